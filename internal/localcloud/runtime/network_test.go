package runtime

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// python3 finds the interpreter the tests' tasks run; a machine without it
// fails the test rather than skipping it.
func python3(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("python3")
	if err != nil {
		t.Fatalf("these tests run python3 tasks: %v", err)
	}
	return path
}

// freeTaskAddresses picks n addresses the runtime accepts, at random so
// that parallel tests on one machine rarely meet.
func freeTaskAddresses(t *testing.T, rt *Process, n int, ports ...int) []string {
	t.Helper()
	pool := rt.TaskAddresses()
	base := pool.Addr().As4()
	var out []string
	for tries := 0; len(out) < n && tries < 1000; tries++ {
		x := rand.Uint32N(1 << 16)
		b := base
		b[2], b[3] = byte(x>>8), byte(x)
		addr := netip.AddrFrom4(b)
		if b[3] == 0 || b[3] == 255 || rt.CheckAddress(addr, ports) != nil {
			continue
		}
		out = append(out, addr.String())
	}
	if len(out) < n {
		t.Fatalf("found only %d free task addresses in %s", len(out), pool)
	}
	return out
}

func newNamespaceRuntime(t *testing.T, services ...LoopbackService) *Process {
	t.Helper()
	var logs strings.Builder
	rt := NewProcess(ProcessOptions{
		CloseGrace:       2 * time.Second,
		LoopbackServices: func() []LoopbackService { return services },
		Logf:             func(format string, args ...any) { fmt.Fprintf(&logs, format+"\n", args...) },
	})
	if !rt.Isolated() {
		_ = rt.Close(context.Background())
		t.Fatalf("per-task network namespaces are unavailable (these tests run as root): %s", logs.String())
	}
	return rt
}

// get fetches url until it answers 200 or the wait limit passes.
func get(t *testing.T, url string) string {
	t.Helper()
	client := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(waitLimit)
	for {
		resp, err := client.Get(url)
		if err == nil {
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return string(body)
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("GET %s: no 200 within %s (last error %v)", url, waitLimit, err)
		}
		time.Sleep(50 * time.Millisecond) // polling interval, not synchronisation
	}
}

// ownedLinks lists the host's berth- links whose alias names this process.
func ownedLinks(t *testing.T, rt *Process) []string {
	t.Helper()
	nl, err := openNetlink()
	if err != nil {
		t.Fatal(err)
	}
	defer nl.Close()
	links, err := nl.links()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, l := range links {
		if strings.HasPrefix(l.name, hostLinkPrefix) && l.alias == rt.ownerAlias {
			names = append(names, l.name)
		}
	}
	return names
}

// namespaceInUse reports whether any process has a thread in, or a file
// descriptor of, the network namespace with this inode.
func namespaceInUse(inode uint64) bool {
	want := fmt.Sprintf("net:[%d]", inode)
	entries, _ := os.ReadDir("/proc")
	for _, entry := range entries {
		if _, err := strconv.Atoi(entry.Name()); err != nil {
			continue
		}
		dir := "/proc/" + entry.Name()
		if target, _ := os.Readlink(dir + "/ns/net"); target == want {
			return true
		}
		fds, _ := os.ReadDir(dir + "/fd")
		for _, fd := range fds {
			if target, _ := os.Readlink(dir + "/fd/" + fd.Name()); target == want {
				return true
			}
		}
	}
	return false
}

// Two tasks bind 0.0.0.0 on the same port, each in its own namespace, and
// both answer at their own address from the host; a task reaches the
// host's loopback service on its own 127.0.0.1; nothing is left after
// Close.
func TestNamespacedTasksBindWildcardSidebySide(t *testing.T) {
	py := python3(t)
	hostService := http.NewServeMux()
	hostService.HandleFunc("/ping", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "pong from "+r.Host) })
	const servicePort = 4599
	rt := newNamespaceRuntime(t, LoopbackService{Port: servicePort, Serve: func(ln net.Listener) {
		srv := &http.Server{Handler: hostService}
		_ = srv.Serve(ln)
		_ = srv.Close()
	}})
	closed := false
	t.Cleanup(func() {
		if !closed {
			_ = rt.Close(context.Background())
		}
	})
	addrs := freeTaskAddresses(t, rt, 3)
	env := map[string]string{"PATH": os.Getenv("PATH")}
	for i, addr := range addrs[:2] {
		spec := TaskSpec{ID: fmt.Sprintf("web%d", i), Address: addr, Env: env,
			Command: []string{py, "-m", "http.server", "--bind", "0.0.0.0", "9000"}, Dir: t.TempDir()}
		if err := rt.Start(context.Background(), spec); err != nil {
			t.Fatalf("start %s: %v", spec.ID, err)
		}
	}
	for _, addr := range addrs[:2] {
		get(t, "http://"+addr+":9000/")
	}

	recorder := newLineRecorder()
	caller := TaskSpec{ID: "caller", Address: addrs[2], Env: env, Output: recorder.record,
		Command: []string{py, "-c", fmt.Sprintf("import urllib.request\nfor host in ('127.0.0.1', 'localhost'):\n    print(urllib.request.urlopen('http://%%s:%d/ping' %% host).read().decode())", servicePort)}}
	if err := rt.Start(context.Background(), caller); err != nil {
		t.Fatalf("start caller: %v", err)
	}
	if event := waitEvent(t, rt, "caller"); event.ExitCode != 0 {
		t.Fatalf("caller = %+v, stderr %q", event, recorder.stream(StreamStderr))
	}
	if got, want := strings.Join(recorder.stream(StreamStdout), "\n"), fmt.Sprintf("pong from 127.0.0.1:%d\npong from localhost:%d", servicePort, servicePort); got != want {
		t.Errorf("caller printed %q, want %q", got, want)
	}

	rt.mu.Lock()
	var inodes []uint64
	for _, n := range rt.networks {
		inodes = append(inodes, n.inode)
	}
	rt.mu.Unlock()
	if len(inodes) != 2 || len(ownedLinks(t, rt)) != 2 {
		t.Fatalf("running: %d namespaces and links %q, want 2 of each (the caller's went when it ended)", len(inodes), ownedLinks(t, rt))
	}
	if err := rt.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	closed = true
	if links := ownedLinks(t, rt); len(links) != 0 {
		t.Errorf("links left after Close: %q", links)
	}
	for _, inode := range inodes {
		if namespaceInUse(inode) {
			t.Errorf("network namespace %d still held after Close", inode)
		}
	}
	for _, addr := range addrs {
		if err := rt.CheckAddress(netip.MustParseAddr(addr), nil); err != nil {
			t.Errorf("address %s not free again after Close: %v", addr, err)
		}
	}
}

// A task namespace whose local cloud is gone, kept alive by a child that
// escaped its task's process group, loses its link and that child when the
// next runtime starts.
func TestLeftoversOfAGoneCloudAreRemovedAtStart(t *testing.T) {
	rt := newNamespaceRuntime(t)
	defer rt.Close(context.Background())
	addr := netip.MustParseAddr(freeTaskAddresses(t, rt, 1)[0])
	rt.mu.Lock()
	n, err := rt.createNetwork(addr, nil)
	rt.mu.Unlock()
	if err != nil {
		t.Fatal(err)
	}
	stray := exec.Command("/bin/sleep", "300")
	if err := inNetns(n.ns, stray.Start); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- stray.Wait() }()
	// pid 1 runs, but did not start then: this owner is gone. Its runtime
	// would have held no fd of the namespace any more.
	initStart, err := processStart(1)
	if err != nil {
		t.Fatal(err)
	}
	if err := rt.host.setLink(n.link, fmt.Sprintf(ownerAliasForm, 1, initStart+1)); err != nil {
		t.Fatal(err)
	}
	unix.Close(n.ns)

	second := newNamespaceRuntime(t)
	defer second.Close(context.Background())
	if _, err := rt.host.linkIndex(hostLinkName(addr)); err == nil {
		t.Errorf("leftover link %s still there after a new runtime started", hostLinkName(addr))
	}
	select {
	case err := <-exited:
		var exitErr *exec.ExitError
		if !errors.As(err, &exitErr) || exitErr.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
			t.Errorf("stray ended with %v, want SIGKILL", err)
		}
	case <-time.After(waitLimit):
		_ = stray.Process.Kill()
		t.Error("the stray process in the leftover namespace still runs")
	}
}

// Without namespaces, a task that listens on 0.0.0.0 is stopped with a
// WildcardListenError that names its port and the fix.
func TestSharedNetworkStopsWildcardListener(t *testing.T) {
	py := python3(t)
	rt := NewProcess(ProcessOptions{Logf: t.Logf, CloseGrace: 2 * time.Second, SharedNetwork: true})
	defer rt.Close(context.Background())
	if rt.Isolated() || rt.TaskAddresses() != LoopbackPool {
		t.Fatalf("SharedNetwork runtime: isolated %v, addresses %s", rt.Isolated(), rt.TaskAddresses())
	}
	port := freePort(t)
	spec := TaskSpec{ID: "wild/app", Address: "127.1.0.7", Env: map[string]string{"PATH": os.Getenv("PATH")},
		Command: []string{py, "-m", "http.server", "--bind", "0.0.0.0", strconv.Itoa(port)}, Dir: t.TempDir()}
	if err := rt.Start(context.Background(), spec); err != nil {
		t.Fatal(err)
	}
	event := waitEvent(t, rt, "wild/app")
	var wildcard *WildcardListenError
	if !errors.As(event.Err, &wildcard) {
		t.Fatalf("event = %+v, want a WildcardListenError", event)
	}
	if wildcard.TaskID != "wild/app" || int(wildcard.Addr.Port()) != port {
		t.Errorf("error = %+v, want task wild/app on port %d", wildcard, port)
	}
	for _, want := range []string{fmt.Sprintf("0.0.0.0:%d", port), "bind $HOST instead", "per-task network namespaces"} {
		if !strings.Contains(event.Err.Error(), want) {
			t.Errorf("reason %q lacks %q", event.Err, want)
		}
	}
}

// An address check on a port someone holds on the wildcard address says
// who, instead of blaming the address.
func TestSharedNetworkCheckAddressNamesWildcardHolder(t *testing.T) {
	rt := NewProcess(ProcessOptions{Logf: t.Logf, SharedNetwork: true})
	defer rt.Close(context.Background())
	ln, err := net.Listen("tcp4", "0.0.0.0:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := ln.Addr().(*net.TCPAddr).Port
	err = rt.CheckAddress(netip.MustParseAddr("127.1.3.4"), []int{port})
	var wildcard *WildcardListenError
	if !errors.As(err, &wildcard) || wildcard.PID != os.Getpid() || int(wildcard.Addr.Port()) != port {
		t.Fatalf("CheckAddress = %v, want a WildcardListenError naming pid %d and port %d", err, os.Getpid(), port)
	}
	if err := rt.CheckAddress(netip.MustParseAddr("127.1.3.4"), []int{freePort(t)}); err != nil {
		t.Errorf("CheckAddress on a free port = %v", err)
	}
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}
