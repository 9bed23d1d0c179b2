// Package secgroup decides whether a security group lets a TCP connection
// through, as EC2 does: a connection passes when an egress rule of one of
// the sender's groups allows the receiver and an ingress rule of one of the
// receiver's groups allows the sender, on the receiver's port. Groups are
// stateful, so answers always return. The local cloud's load balancer asks
// it for every client it accepts and every target it reaches (traffic and
// health checks), and berth's health wait asks it for a hint when targets
// time out. It knows nothing of where rules are stored.
package secgroup

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
)

// Rule allows one protocol and port range from (ingress) or to (egress)
// one peer: a CIDR block or another security group.
type Rule struct {
	ID string
	// Protocol is "tcp", "6" or "-1" (everything); udp, icmp and the rest
	// never allow a TCP connection.
	Protocol         string
	FromPort, ToPort int // -1 with protocol -1: every port
	CIDR             netip.Prefix
	Group            string // a referenced group's id, when CIDR is not valid
}

// Group is one security group's rules.
type Group struct {
	ID              string
	Ingress, Egress []Rule
}

// Endpoint is one end of a connection as security groups see it.
type Endpoint struct {
	// Name says what it is in a verdict ("the load balancer").
	Name string
	// Groups are its security groups. An endpoint without known groups is
	// not guarded: a client outside the VPC, or a resource whose groups
	// this Rules does not know.
	Groups []string
	// Within is where its address is: a host prefix when the address is
	// known, else the subnets it is somewhere in. A CIDR rule allows the
	// endpoint only when it holds all of them, because a load balancer's
	// nodes and a task's ENI may take any address of their subnets.
	Within []netip.Prefix
}

// Rules is an immutable set of security groups. A nil *Rules allows
// everything.
type Rules struct {
	groups map[string]Group
}

// New indexes groups by id.
func New(groups []Group) *Rules {
	r := &Rules{groups: make(map[string]Group, len(groups))}
	for _, g := range groups {
		r.groups[g.ID] = g
	}
	return r
}

// Verdict is the answer for one connection; a blocked one says which
// group refused it and the rule that would let it through.
type Verdict struct {
	Allowed bool
	// Egress says the sender's groups refused it, else the receiver's.
	Egress bool
	Group  string
	// Fix is the rule that would open the path, in words.
	Fix string
}

func (v Verdict) String() string {
	if v.Allowed {
		return "allowed"
	}
	direction := "ingress"
	if v.Egress {
		direction = "egress"
	}
	return fmt.Sprintf("blocked by the %s rules of %s: %s", direction, v.Group, v.Fix)
}

// TCP decides a TCP connection from one endpoint to another's port.
func (r *Rules) TCP(from, to Endpoint, port int) Verdict {
	if r == nil {
		return Verdict{Allowed: true}
	}
	if groups := r.known(from.Groups); len(groups) > 0 && !r.allows(groups, true, to, port) {
		return Verdict{Egress: true, Group: groups[0], Fix: fmt.Sprintf("add an egress rule to %s allowing tcp %d to %s", groups[0], port, peerName(to, r))}
	}
	if groups := r.known(to.Groups); len(groups) > 0 && !r.allows(groups, false, from, port) {
		return Verdict{Group: groups[0], Fix: fmt.Sprintf("add an ingress rule to %s allowing tcp %d from %s", groups[0], port, peerName(from, r))}
	}
	return Verdict{Allowed: true}
}

// known are the ids of ids that r has rules for, in order.
func (r *Rules) known(ids []string) []string {
	var out []string
	for _, id := range ids {
		if _, ok := r.groups[id]; ok && !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out
}

func (r *Rules) allows(groups []string, egress bool, peer Endpoint, port int) bool {
	for _, id := range groups {
		rules := r.groups[id].Ingress
		if egress {
			rules = r.groups[id].Egress
		}
		for _, rule := range rules {
			if rule.carriesTCP(port) && rule.matches(peer) {
				return true
			}
		}
	}
	return false
}

func (rule Rule) carriesTCP(port int) bool {
	p, ok := rule.permit()
	return ok && (p.Everything() || p.Protocol == ProtocolTCP && p.FromPort <= port && port <= p.ToPort)
}

func (rule Rule) matches(peer Endpoint) bool {
	if rule.CIDR.IsValid() {
		if len(peer.Within) == 0 {
			return rule.CIDR.Bits() == 0 // anywhere holds even an unknown address
		}
		for _, where := range peer.Within {
			if where.Addr().Is4() != rule.CIDR.Addr().Is4() || where.Bits() < rule.CIDR.Bits() || !rule.CIDR.Contains(where.Addr()) {
				return false
			}
		}
		return true
	}
	return rule.Group != "" && slices.Contains(peer.Groups, rule.Group)
}

// peerName is how a fix names the other end: its group when it has one
// (the reference that keeps working as addresses change), else a CIDR.
func peerName(peer Endpoint, r *Rules) string {
	if groups := r.known(peer.Groups); len(groups) > 0 {
		return groups[0]
	}
	if len(peer.Within) == 1 {
		return peer.Within[0].String()
	}
	cidrs := make([]string, len(peer.Within))
	for i, where := range peer.Within {
		cidrs[i] = where.String()
	}
	if len(cidrs) == 0 {
		return "its address"
	}
	return strings.Join(cidrs, " and ")
}

// Host is the prefix of one address, for Endpoint.Within.
func Host(addr netip.Addr) netip.Prefix {
	return netip.PrefixFrom(addr, addr.BitLen())
}
