package runtime

import (
	"bufio"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	goruntime "runtime"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/sys/unix"
)

// Per-task network namespaces.
//
// On ECS every awsvpc task has its own network interface, so images bind
// 0.0.0.0 without a second thought. Where the machine permits (root: a
// network namespace and a veth pair can be created), the process runtime
// gives each task the same: its own network namespace whose eth0 holds the
// task's address, and the task may bind whatever it likes there.
//
// Address plan. Task addresses come from NamespacePool (198.18.0.0/16, the
// range RFC 2544 sets aside for benchmarking, so it meets no real network
// and no VPC CIDR a user models: two VPCs in two regions may both be
// 10.0.0.0/16, and neither is routed on the host). Each task gets one veth
// pair, not a bridge, so that several local clouds on one machine (parallel
// tests) never share a device: the host end, named berth-XXXX after the
// address's last two bytes, carries NamespaceGateway point-to-point to the
// task's address, which routes the task's /32 through it; the task end is
// eth0 in the task's namespace, with the task's address point-to-point to
// the gateway. The load balancer, in the host's namespace, reaches targets
// at their own address, which is also the task's privateIPv4Address. A task
// reaches the host at the gateway's address, but not the host's 127.0.0.1
// (that is its own), and nothing beyond the host: there is deliberately no
// default route. With one, packets to other networks (the resolver in
// /etc/resolv.conf above all) would leave through the host unanswered,
// since nothing translates 198.18.0.0/16, and every name lookup would hang
// until its time-out (python's http.server looks up its bind address at
// start, and so failed its first health checks); without one they fail at
// once with "network unreachable", as in a private subnet with no NAT.
// The local cloud's endpoint is therefore served on the task's loopback as
// well: the runtime opens a listener on 127.0.0.1:<port> inside the
// namespace for each LoopbackService and hands it to the service, so
// AWS_ENDPOINT_URL=http://127.0.0.1:<port> works unchanged inside.
//
// Lifetime. The namespace has no name (nothing under /run/netns): it lives
// while the runtime holds its file descriptor or a process runs in it, and
// deleting the host end of the veth deletes the task end. A local cloud
// killed with SIGKILL takes its task leaders with it (Pdeathsig), so the
// kernel frees the namespaces and links by itself; only a task child that
// left its group (a shell's background job, a daemon) can keep one alive.
// The host end's alias names the owning process (pid and start time); a
// runtime starting up kills what still runs in the namespace of each
// berth- link whose owner is gone, and deletes the link.

// NamespacePool is the range per-task namespace addresses come from.
var NamespacePool = netip.MustParsePrefix("198.18.0.0/16")

// NamespaceGateway is the host's end of every task's veth pair.
var NamespaceGateway = netip.MustParseAddr("198.18.0.1")

// LoopbackPool is the range task addresses come from when tasks share the
// host's network: Linux routes all of 127.0.0.0/8 to lo.
var LoopbackPool = netip.MustParsePrefix("127.1.0.0/16")

const (
	hostLinkPrefix = "berth-"
	taskLinkName   = "eth0"
	ownerAliasForm = "berth local cloud pid %d start %d"
)

// LoopbackService is a service of the host that a task in its own network
// namespace finds on its own 127.0.0.1:Port.
type LoopbackService struct {
	Port int
	// Serve serves ln, which listens inside one task's namespace, until ln
	// is closed (the runtime closes it when the task's network goes), then
	// returns having closed the connections it accepted.
	Serve func(ln net.Listener)
}

// taskNetwork is the namespace of one task; its containers share it, as
// the containers of an awsvpc task share its interface.
type taskNetwork struct {
	addr      netip.Addr
	ns        int // fd of the namespace
	inode     uint64
	link      int // index of the host end of the veth pair
	listeners []net.Listener
	serves    []func(net.Listener) // serves[i] serves listeners[i]
	serving   sync.WaitGroup
	users     int
	// egress is the filter in place (egress.go); egressSet once one was
	// applied, nil included.
	egress    *Egress
	egressSet bool
}

// inNetns runs fn on an OS thread that is in the network namespace nsFD, or
// in a new one when nsFD < 0, and moves the thread back to the host's
// namespace afterwards. Sockets fn opens and processes fn starts stay in
// that namespace. The Go runtime starts new threads from a template thread,
// never from a locked one, so no other goroutine ever runs there. A thread
// that cannot move back stays locked and ends with its goroutine.
func inNetns(nsFD int, fn func() error) error {
	done := make(chan error, 1)
	go func() {
		goruntime.LockOSThread()
		host, err := unix.Open("/proc/thread-self/ns/net", unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			goruntime.UnlockOSThread()
			done <- fmt.Errorf("open the host's network namespace: %w", err)
			return
		}
		defer unix.Close(host)
		if nsFD < 0 {
			err = unix.Unshare(unix.CLONE_NEWNET)
		} else {
			err = unix.Setns(nsFD, unix.CLONE_NEWNET)
		}
		if err != nil {
			done <- fmt.Errorf("enter a network namespace: %w", err)
			return
		}
		fnErr := fn()
		if err := unix.Setns(host, unix.CLONE_NEWNET); err != nil {
			done <- errors.Join(fnErr, fmt.Errorf("return to the host's network namespace: %w", err))
			return
		}
		goruntime.UnlockOSThread()
		done <- fnErr
	}()
	return <-done
}

// newNamespace creates an empty network namespace with lo up, runs inside
// (with the namespace's own netlink socket) and returns its fd.
func newNamespace(inside func(nl *netlinkConn) error) (int, error) {
	return enterNamespace(-1, inside)
}

// enterNamespace is newNamespace for an existing namespace when existing
// >= 0 (a container's): the fd returned is a new one of the caller's,
// existing stays open.
func enterNamespace(existing int, inside func(nl *netlinkConn) error) (int, error) {
	ns := -1
	err := inNetns(existing, func() error {
		var err error
		ns, err = unix.Open("/proc/thread-self/ns/net", unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			return fmt.Errorf("open the new network namespace: %w", err)
		}
		nl, err := openNetlink()
		if err != nil {
			return err
		}
		defer nl.Close()
		lo, err := nl.linkIndex("lo")
		if err != nil {
			return err
		}
		if err := nl.setLink(lo, ""); err != nil {
			return err
		}
		return inside(nl)
	})
	if err != nil {
		if ns >= 0 {
			unix.Close(ns)
		}
		return -1, err
	}
	return ns, nil
}

// probeNamespaces checks that this process may create a network namespace
// and a veth pair into it, by doing so and undoing it.
func probeNamespaces(host *netlinkConn) error {
	ns, err := newNamespace(func(*netlinkConn) error { return nil })
	if err != nil {
		return err
	}
	defer unix.Close(ns)
	name := fmt.Sprintf("berthp%x", os.Getpid())
	if err := host.addVeth(name, taskLinkName, ns); err != nil {
		return err
	}
	index, err := host.linkIndex(name)
	if err != nil {
		return err
	}
	return host.deleteLink(index)
}

func hostLinkName(addr netip.Addr) string {
	b := addr.As4()
	return fmt.Sprintf("%s%02x%02x", hostLinkPrefix, b[2], b[3])
}

// createNetwork builds a task's namespace with addr on its eth0 and its
// loopback services listening inside.
func (p *Process) createNetwork(addr netip.Addr, egress *Egress) (*taskNetwork, error) {
	return p.createNetworkIn(addr, -1, egress)
}

// createNetworkIn is createNetwork in the existing namespace existing
// (a container's) when existing >= 0. The egress filter is in place
// before the link comes up, so the task never runs unfiltered.
func (p *Process) createNetworkIn(addr netip.Addr, existing int, egress *Egress) (_ *taskNetwork, err error) {
	if !NamespacePool.Contains(addr) || addr == NamespaceGateway {
		return nil, fmt.Errorf("task address %s is not in %s", addr, NamespacePool)
	}
	var services []LoopbackService
	if p.opts.LoopbackServices != nil {
		services = p.opts.LoopbackServices()
	}
	n := &taskNetwork{addr: addr, link: -1}
	var inner *netlinkConn
	n.ns, err = enterNamespace(existing, func(nl *netlinkConn) error {
		for _, svc := range services {
			port := strconv.Itoa(svc.Port)
			ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", port))
			if err != nil {
				return fmt.Errorf("listen on the task's 127.0.0.1:%d: %w", svc.Port, err)
			}
			n.listeners = append(n.listeners, ln)
			n.serves = append(n.serves, svc.Serve)
			// "localhost" may resolve to ::1 first; without IPv6 there is
			// none, and 127.0.0.1 does.
			if ln, err := net.Listen("tcp", net.JoinHostPort("::1", port)); err == nil {
				n.listeners = append(n.listeners, ln)
				n.serves = append(n.serves, svc.Serve)
			}
		}
		var err error
		inner, err = openNetlink() // stays in the namespace once the thread leaves
		return err
	})
	if err != nil {
		closeListeners(n.listeners)
		return nil, err
	}
	defer inner.Close()
	defer func() {
		if err != nil {
			p.destroyNetwork(n)
		}
	}()
	var stat unix.Stat_t
	if err := unix.Fstat(n.ns, &stat); err == nil {
		n.inode = stat.Ino
	}
	if egress != nil {
		if err := n.applyEgress(egress); err != nil {
			return n, err
		}
	}
	name := hostLinkName(addr)
	if err := p.host.addVeth(name, taskLinkName, n.ns); err != nil {
		return n, err
	}
	if n.link, err = p.host.linkIndex(name); err != nil {
		return n, err
	}
	if err := p.host.setLink(n.link, p.ownerAlias); err != nil {
		return n, err
	}
	if err := p.host.addPointToPoint(n.link, NamespaceGateway, addr); err != nil {
		return n, err
	}
	eth0, err := inner.linkIndex(taskLinkName)
	if err != nil {
		return n, err
	}
	if err := inner.setLink(eth0, ""); err != nil {
		return n, err
	}
	if err := inner.addPointToPoint(eth0, addr, NamespaceGateway); err != nil {
		return n, err
	}
	for i, ln := range n.listeners {
		n.serving.Add(1)
		go func(serve func(net.Listener)) {
			defer n.serving.Done()
			serve(ln)
		}(n.serves[i])
	}
	return n, nil
}

// destroyNetwork closes the task's loopback services, deletes its veth
// pair and lets the namespace go.
func (p *Process) destroyNetwork(n *taskNetwork) {
	closeListeners(n.listeners)
	n.serving.Wait()
	if n.link >= 0 {
		if err := p.host.deleteLink(n.link); err != nil && !errors.Is(err, unix.ENODEV) {
			p.opts.Logf("runtime: network of %s: %v", n.addr, err)
		}
	}
	unix.Close(n.ns)
}

func closeListeners(listeners []net.Listener) {
	for _, ln := range listeners {
		_ = ln.Close()
	}
}

// acquireNetwork returns the namespace of the task at addr, creating it for
// the task's first container. Called with p.mu held.
func (p *Process) acquireNetwork(address string, egress *Egress) (*taskNetwork, error) {
	addr, err := netip.ParseAddr(address)
	if err != nil || !addr.Is4() {
		return nil, fmt.Errorf("task address %q is not an IPv4 address", address)
	}
	if n := p.networks[addr]; n != nil {
		n.users++
		return n, nil
	}
	n, err := p.createNetwork(addr, egress)
	if err != nil {
		return nil, fmt.Errorf("network namespace for %s: %w", addr, err)
	}
	n.users = 1
	p.networks[addr] = n
	return n, nil
}

// unrefNetwork drops one container's use of its namespace and reports
// whether it was the last; the caller then destroys it. Called with p.mu
// held.
func (p *Process) unrefNetwork(n *taskNetwork) bool {
	n.users--
	if n.users > 0 {
		return false
	}
	delete(p.networks, n.addr)
	return true
}

// processStart is the start time of a process in clock ticks since boot,
// which tells a live owner from a later process that reused its pid.
func processStart(pid int) (uint64, error) {
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, err
	}
	closing := strings.LastIndexByte(string(stat), ')')
	if closing < 0 {
		return 0, errors.New("malformed stat")
	}
	// Fields after the command: state is field 3, starttime field 22.
	fields := strings.Fields(string(stat[closing+1:]))
	if len(fields) < 20 {
		return 0, errors.New("malformed stat")
	}
	return strconv.ParseUint(fields[19], 10, 64)
}

// removeLeftoverLinks deletes the berth- links of local clouds that are
// gone, so their addresses can be used again.
func (p *Process) removeLeftoverLinks() {
	links, err := p.host.links()
	if err != nil {
		p.opts.Logf("runtime: looking for leftover task links: %v", err)
		return
	}
	for _, l := range links {
		var pid int
		var start uint64
		if !strings.HasPrefix(l.name, hostLinkPrefix) {
			continue
		}
		if _, err := fmt.Sscanf(l.alias, ownerAliasForm, &pid, &start); err != nil {
			continue // not ours to judge
		}
		if got, err := processStart(pid); err == nil && got == start {
			continue // its local cloud still runs
		}
		// Strays first: the namespace shows its address only while the
		// link is there.
		if addr, ok := linkAddress(l.name); ok {
			p.killStrays(addr)
		}
		if err := p.host.deleteLink(l.index); err != nil && !errors.Is(err, unix.ENODEV) {
			p.opts.Logf("runtime: deleting leftover task link %s: %v", l.name, err)
			continue
		}
		p.opts.Logf("runtime: deleted task link %s left by a local cloud that is gone (pid %d)", l.name, pid)
	}
}

// linkAddress is the task address a host link is named after.
func linkAddress(name string) (netip.Addr, bool) {
	raw, err := hex.DecodeString(strings.TrimPrefix(name, hostLinkPrefix))
	if err != nil || len(raw) != 2 {
		return netip.Addr{}, false
	}
	b := NamespacePool.Addr().As4()
	b[2], b[3] = raw[0], raw[1]
	return netip.AddrFrom4(b), true
}

// killStrays kills what still runs in the namespace of a task whose local
// cloud is gone: children that left the task's process group, which
// Pdeathsig did not reach and which kept the namespace (and its link)
// alive. That namespace is the one whose own address is addr.
func (p *Process) killStrays(addr netip.Addr) {
	self, err := os.Readlink("/proc/self/ns/net")
	if err != nil {
		return
	}
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return
	}
	byNamespace := map[string][]int{}
	for _, entry := range entries {
		pid, err := strconv.Atoi(entry.Name())
		if err != nil {
			continue
		}
		if ns, err := os.Readlink("/proc/" + entry.Name() + "/ns/net"); err == nil && ns != self {
			byNamespace[ns] = append(byNamespace[ns], pid)
		}
	}
	for _, pids := range byNamespace {
		// fib_trie lists a namespace's local addresses as "addr" followed
		// by "/32 host LOCAL".
		trie, err := os.ReadFile("/proc/" + strconv.Itoa(pids[0]) + "/net/fib_trie")
		if err != nil {
			continue
		}
		_, entry, found := strings.Cut(string(trie), "-- "+addr.String()+"\n")
		if !found || !strings.HasPrefix(strings.TrimLeft(entry, " "), "/32 host LOCAL") {
			continue
		}
		for _, pid := range pids {
			_ = unix.Kill(pid, unix.SIGKILL)
		}
		p.opts.Logf("runtime: killed %d processes left in the namespace of %s", len(pids), addr)
	}
}

// routedAddresses lists the single addresses the host's main routing table
// routes to a device: a task address another local cloud already uses.
func routedAddresses() (map[netip.Addr]bool, error) {
	f, err := os.Open("/proc/net/route")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	routed := map[netip.Addr]bool{}
	scanner := bufio.NewScanner(f)
	scanner.Scan() // header
	for scanner.Scan() {
		fields := strings.Fields(scanner.Text())
		if len(fields) < 8 || fields[7] != "FFFFFFFF" {
			continue
		}
		raw, err := hex.DecodeString(fields[1])
		if err != nil || len(raw) != 4 {
			continue
		}
		// The kernel prints the address as a host-order integer.
		var b [4]byte
		binary.NativeEndian.PutUint32(b[:], binary.BigEndian.Uint32(raw))
		routed[netip.AddrFrom4(b)] = true
	}
	return routed, scanner.Err()
}
