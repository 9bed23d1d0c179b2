package runtime

import (
	"context"
	"fmt"
	"path/filepath"

	"net"

	"net/netip"
	"net/url"
	"os"
	"slices"
	"strings"
	"testing"
)

// dial asks the dialer task at addr to connect to target and returns its
// answer.
func dial(t *testing.T, addr, target string) string {
	t.Helper()
	return get(t, "http://"+addr+":8000/dial?to="+url.QueryEscape(target))
}

// A task's egress filter lets out what its rules allow, to peers by their
// own verdict and elsewhere by CIDR, and refuses every other new connection
// at once; answers to connections into the task still flow; a changed
// policy applies to the running task; nil lets everything out again.
func TestEgressFilterFollowsItsPolicy(t *testing.T) {
	py := python3(t)
	rt := newNamespaceRuntime(t)
	t.Cleanup(func() { _ = rt.Close(context.Background()) })

	// The host's side: a listener the tasks reach at the gateway.
	hostListener, err := net.Listen("tcp", "0.0.0.0:0")
	if err != nil {
		t.Fatal(err)
	}
	defer hostListener.Close()
	go func() {
		for {
			conn, err := hostListener.Accept()
			if err != nil {
				return
			}
			_ = conn.Close()
		}
	}()
	hostPort := hostListener.Addr().(*net.TCPAddr).Port
	gateway := fmt.Sprintf("%s:%d", NamespaceGateway, hostPort)

	caller := freeTaskAddresses(t, rt, 1)[0]
	dir := dialerDir(t)
	env := map[string]string{"PATH": os.Getenv("PATH")}
	blocked := &Egress{
		Rules: []EgressRule{{To: netip.MustParsePrefix("10.0.0.0/8"), Protocol: 6, FromPort: 443, ToPort: 443}},
	}
	for _, spec := range []TaskSpec{
		{ID: "caller", Address: caller, Env: env, Dir: dir, Command: []string{py, "dialer.py"}, Egress: blocked},
	} {
		if err := rt.Start(context.Background(), spec); err != nil {
			t.Fatalf("start %s: %v", spec.ID, err)
		}
	}

	if got := dial(t, caller, gateway); !strings.Contains(got, "No route to host") {
		t.Errorf("dial the host under a tcp 443 to 10.0.0.0/8 policy: %q, want a refusal", got)
	}
	// Answers to connections into the task pass: this very request is one.
	allowed := &Egress{Rules: append(slices.Clone(blocked.Rules), EgressRule{To: netip.MustParsePrefix("198.18.0.1/32"), Protocol: 6, FromPort: hostPort, ToPort: hostPort})}
	if err := rt.SetEgress(caller, allowed); err != nil {
		t.Fatalf("SetEgress: %v", err)
	}
	if got := dial(t, caller, gateway); got != "ok" {
		t.Errorf("dial the host once its port is allowed: %q", got)
	}
	// A peer is judged by its own verdict, whatever CIDR holds its address
	// here: the gateway as a peer with nothing allowed is refused.
	asPeer := &Egress{Rules: []EgressRule{{To: netip.MustParsePrefix("198.18.0.0/16"), Protocol: -1}}, Peers: map[netip.Addr][]EgressRule{NamespaceGateway: nil}}
	if err := rt.SetEgress(caller, asPeer); err != nil {
		t.Fatalf("SetEgress: %v", err)
	}
	if got := dial(t, caller, gateway); !strings.Contains(got, "No route to host") {
		t.Errorf("dial a peer its verdict refuses: %q", got)
	}
	asPeer.Peers[NamespaceGateway] = []EgressRule{{Protocol: 6, FromPort: hostPort - 1, ToPort: hostPort + 1}}
	if err := rt.SetEgress(caller, asPeer); err != nil {
		t.Fatalf("SetEgress: %v", err)
	}
	if got := dial(t, caller, gateway); got != "ok" {
		t.Errorf("dial a peer on a port its verdict allows: %q", got)
	}
	if err := rt.SetEgress(caller, nil); err != nil {
		t.Fatalf("SetEgress nil: %v", err)
	}
	if got := dial(t, caller, gateway); got != "ok" {
		t.Errorf("dial the host without a filter: %q", got)
	}
	if err := rt.SetEgress("198.18.255.254", nil); err == nil {
		t.Error("SetEgress for an address no task has: no error")
	}
}

// Where tasks share the host's network nothing can filter their
// connections, and SetEgress says so rather than pretending.
func TestSharedNetworkDoesNotEnforceEgress(t *testing.T) {
	rt := NewProcess(ProcessOptions{SharedNetwork: true})
	t.Cleanup(func() { _ = rt.Close(context.Background()) })
	if err := rt.SetEgress("127.1.0.9", &Egress{}); err != ErrEgressNotEnforced {
		t.Errorf("SetEgress on a shared network = %v, want ErrEgressNotEnforced", err)
	}
}

// dialerDir is the folder of testdata/dialer.py, which serves
// /dial?to=HOST:PORT on 0.0.0.0:8000: it opens a TCP connection from inside
// the task and answers "ok" or the error. The controller's egress tests run
// it too.
func dialerDir(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs("testdata")
	if err != nil {
		t.Fatal(err)
	}
	return dir
}
