package runtime

import (
	"errors"
	"fmt"
	"maps"
	"net"
	"net/netip"
	"slices"
	"sync"

	"github.com/google/nftables"
	"github.com/google/nftables/binaryutil"
	"github.com/google/nftables/expr"
	"golang.org/x/sys/unix"
)

// Egress filtering.
//
// On AWS a task's security groups decide what it may open as well as who
// may reach it. The load balancer enforces ingress on the data plane (it
// is the only way in); egress is enforced here, in the task's own network
// namespace, by an nftables table ("berth", family inet) whose output
// chain lets through what the task's groups' egress rules allow and drops
// every other new connection on eth0. Answers and what belongs to
// connections already open pass (conntrack's established and related),
// as security groups are stateful; the task's loopback (its own ports and
// the local cloud's endpoint served there) is never filtered. A refused
// connect fails at once with "no route to host" (the packet is rejected
// as administratively prohibited), where AWS would let it time out: a
// task learns the same thing, sooner.
//
// The policy is replaced in one netlink transaction (the table deleted
// and built again), so a task never runs with half a rule set, and only
// when it changed. Where tasks share the host's network there is no
// namespace to filter in, and SetEgress says so with ErrEgressNotEnforced.

// Egress is what a task may open. A nil *Egress lets everything out.
type Egress struct {
	// Peers are destinations with a verdict of their own (other tasks,
	// judged by their security groups rather than by the address they
	// happen to have here): only Peers[addr] reach addr.
	Peers map[netip.Addr][]EgressRule
	// Rules reach every other destination whose address their To holds.
	Rules []EgressRule
}

// EgressRule lets out one protocol, to a port range for TCP and UDP.
type EgressRule struct {
	// To is where; in Peers it is ignored (the peer is where).
	To netip.Prefix
	// Protocol is an IANA protocol number, -1 for every protocol.
	Protocol int
	// FromPort and ToPort bound the destination port of TCP (6) and UDP
	// (17): 0–65535 is every port.
	FromPort, ToPort int
}

// Equal reports whether e and other filter the same.
func (e *Egress) Equal(other *Egress) bool {
	if e == nil || other == nil {
		return e == other
	}
	return slices.Equal(e.Rules, other.Rules) && maps.EqualFunc(e.Peers, other.Peers, slices.Equal[[]EgressRule])
}

// ErrEgressNotEnforced says the runtime cannot filter the task's outbound
// connections: it shares the host's network (not root), or its runtime
// has no namespace of its own to filter in.
var ErrEgressNotEnforced = errors.New("egress rules are not enforced: tasks share the host's network (per-task network namespaces need root)")

// EgressEnforcer is a runtime that can apply Egress to a running task.
type EgressEnforcer interface {
	// SetEgress filters the outbound connections of the task at address
	// (its TaskSpec.Address) from now on. ErrTaskNotFound: no task has
	// that address here; ErrEgressNotEnforced: this runtime cannot.
	SetEgress(address string, egress *Egress) error
}

const egressTable = "berth"

// setEgress is SetEgress for both runtimes, which differ only in how they
// find a task address's network; network is called with the runtime's
// lock held, and returns nil when no task has the address.
func setEgress(isolated bool, mu *sync.Mutex, address string, egress *Egress, network func(netip.Addr) *taskNetwork) error {
	if !isolated {
		return ErrEgressNotEnforced
	}
	addr, err := netip.ParseAddr(address)
	if err != nil {
		return fmt.Errorf("task address %q: %w", address, ErrTaskNotFound)
	}
	mu.Lock()
	defer mu.Unlock()
	n := network(addr)
	if n == nil {
		return fmt.Errorf("task address %s: %w", addr, ErrTaskNotFound)
	}
	return n.applyEgress(egress)
}

// applyEgress installs e in the task's namespace (removes the filter
// when e is nil). Called with the owning runtime's lock held.
func (n *taskNetwork) applyEgress(e *Egress) error {
	if n.egressSet && n.egress.Equal(e) {
		return nil
	}
	conn, err := nftables.New(nftables.WithNetNSFd(n.ns))
	if err != nil {
		return fmt.Errorf("egress filter of %s: %w", n.addr, err)
	}
	table := &nftables.Table{Name: egressTable, Family: nftables.TableFamilyINet}
	// Adding first makes the delete valid on a namespace without the
	// table; the three happen as one transaction.
	conn.AddTable(table)
	conn.DelTable(table)
	if e != nil {
		conn.AddTable(table)
		accept := nftables.ChainPolicyAccept
		chain := conn.AddChain(&nftables.Chain{
			Name: "output", Table: table, Type: nftables.ChainTypeFilter,
			Hooknum: nftables.ChainHookOutput, Priority: nftables.ChainPriorityFilter, Policy: &accept,
		})
		for _, exprs := range egressRules(e) {
			conn.AddRule(&nftables.Rule{Table: table, Chain: chain, Exprs: exprs})
		}
	}
	if err := conn.Flush(); err != nil {
		return fmt.Errorf("egress filter of %s: %w", n.addr, err)
	}
	n.egress, n.egressSet = e.clone(), true
	return nil
}

// clone is a deep copy, so that a caller changing its policy afterwards
// does not change what this network believes is in place.
func (e *Egress) clone() *Egress {
	if e == nil {
		return nil
	}
	out := &Egress{Rules: slices.Clone(e.Rules), Peers: make(map[netip.Addr][]EgressRule, len(e.Peers))}
	for addr, rules := range e.Peers {
		out.Peers[addr] = slices.Clone(rules)
	}
	return out
}

// egressRules compiles e to the output chain's rules, in order.
func egressRules(e *Egress) [][]expr.Any {
	accept := &expr.Verdict{Kind: expr.VerdictAccept}
	// Rejected rather than dropped: a dropped SYN leaves connect() to
	// retry until it times out, an administratively prohibited answer
	// fails it at once ("no route to host").
	drop := &expr.Reject{Type: unix.NFT_REJECT_ICMPX_UNREACH, Code: unix.NFT_REJECT_ICMPX_ADMIN_PROHIBITED}
	rules := [][]expr.Any{
		{&expr.Meta{Key: expr.MetaKeyOIFNAME, Register: 1}, &expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: ifname("lo")}, accept},
		{
			&expr.Ct{Register: 1, Key: expr.CtKeySTATE},
			&expr.Bitwise{SourceRegister: 1, DestRegister: 1, Len: 4,
				Mask: binaryutil.NativeEndian.PutUint32(expr.CtStateBitESTABLISHED | expr.CtStateBitRELATED), Xor: make([]byte, 4)},
			&expr.Cmp{Op: expr.CmpOpNeq, Register: 1, Data: make([]byte, 4)},
			accept,
		},
	}
	peers := slices.SortedFunc(maps.Keys(e.Peers), netip.Addr.Compare)
	for _, peer := range peers {
		to := netip.PrefixFrom(peer, peer.BitLen())
		for _, r := range e.Peers[peer] {
			r.To = to
			if match, ok := r.match(); ok {
				rules = append(rules, append(match, accept))
			}
		}
		if match, ok := (EgressRule{To: to, Protocol: -1}).match(); ok {
			rules = append(rules, append(match, drop))
		}
	}
	for _, r := range e.Rules {
		if match, ok := r.match(); ok {
			rules = append(rules, append(match, accept))
		}
	}
	return append(rules, []expr.Any{drop})
}

// match is the expressions that select r's packets; false when none can
// leave here (an IPv6 block: tasks have no IPv6 route).
func (r EgressRule) match() ([]expr.Any, bool) {
	if !r.To.IsValid() || !r.To.Addr().Is4() {
		return nil, false
	}
	var exprs []expr.Any
	if r.To.Bits() > 0 {
		mask := net.CIDRMask(r.To.Bits(), 32)
		network := r.To.Masked().Addr().As4()
		exprs = append(exprs,
			&expr.Meta{Key: expr.MetaKeyNFPROTO, Register: 1},
			&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: []byte{unix.NFPROTO_IPV4}},
			&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseNetworkHeader, Offset: 16, Len: 4},
			&expr.Bitwise{SourceRegister: 1, DestRegister: 1, Len: 4, Mask: mask, Xor: make([]byte, 4)},
			&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: network[:]},
		)
	}
	if r.Protocol >= 0 {
		exprs = append(exprs,
			&expr.Meta{Key: expr.MetaKeyL4PROTO, Register: 1},
			&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: []byte{byte(r.Protocol)}},
		)
		if (r.Protocol == unix.IPPROTO_TCP || r.Protocol == unix.IPPROTO_UDP) && (r.FromPort > 0 || r.ToPort < 65535) {
			exprs = append(exprs,
				&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseTransportHeader, Offset: 2, Len: 2},
				&expr.Range{Op: expr.CmpOpEq, Register: 1,
					FromData: binaryutil.BigEndian.PutUint16(uint16(max(r.FromPort, 0))), ToData: binaryutil.BigEndian.PutUint16(uint16(min(r.ToPort, 65535)))},
			)
		}
	}
	return exprs, true
}

// ifname is an interface name as nftables compares it: NUL-padded to
// IFNAMSIZ.
func ifname(name string) []byte {
	b := make([]byte, unix.IFNAMSIZ)
	copy(b, name)
	return b
}
