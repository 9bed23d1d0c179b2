package secgroup

import (
	"net/netip"
	"strconv"
	"strings"
)

// Protocol numbers a Permit carries (IANA's, as EC2 accepts them too).
const (
	ProtocolAll  = -1
	ProtocolICMP = 1
	ProtocolTCP  = 6
	ProtocolUDP  = 17
)

// Permit is what one egress rule lets a sender open: a protocol, a port
// range for TCP and UDP, and, for a CIDR rule, where to.
type Permit struct {
	// Protocol is an IANA protocol number, ProtocolAll for every one.
	Protocol int
	// FromPort and ToPort bound the destination port of TCP and UDP;
	// other protocols (ICMP's types among them) are permitted whole.
	FromPort, ToPort int
	// To is the CIDR rule's block; invalid in what EgressTo returns,
	// where the peer is the destination.
	To netip.Prefix
}

// Everything reports whether p lets every packet through to anywhere it
// applies.
func (p Permit) Everything() bool { return p.Protocol == ProtocolAll }

// Guards reports whether any of groups has rules here, so that a sender
// in them is filtered at all: one whose groups are unknown is not.
func (r *Rules) Guards(groups []string) bool {
	return r != nil && len(r.known(groups)) > 0
}

// EgressTo lists what the egress rules of groups let a sender open to
// peer, judged as TCP does: CIDR rules by where peer is, group rules by
// peer's groups. The permits' To is left invalid.
func (r *Rules) EgressTo(groups []string, peer Endpoint) []Permit {
	var permits []Permit
	for _, rule := range r.egressRules(groups) {
		if permit, ok := rule.permit(); ok && rule.matches(peer) {
			permit.To = netip.Prefix{}
			permits = append(permits, permit)
		}
	}
	return permits
}

// EgressCIDRs lists the CIDR egress rules of groups as permits: what a
// sender may open to an address no security group speaks for (the host,
// anything beyond the VPC), judged by that address itself.
func (r *Rules) EgressCIDRs(groups []string) []Permit {
	var permits []Permit
	for _, rule := range r.egressRules(groups) {
		if permit, ok := rule.permit(); ok && permit.To.IsValid() {
			permits = append(permits, permit)
		}
	}
	return permits
}

func (r *Rules) egressRules(groups []string) []Rule {
	if r == nil {
		return nil
	}
	var rules []Rule
	for _, id := range r.known(groups) {
		rules = append(rules, r.groups[id].Egress...)
	}
	return rules
}

// permit is the rule as a Permit; false for a protocol nothing can match.
func (rule Rule) permit() (Permit, bool) {
	protocol, ok := protocolNumber(rule.Protocol)
	if !ok {
		return Permit{}, false
	}
	p := Permit{Protocol: protocol, FromPort: 0, ToPort: 65535, To: rule.CIDR}
	if (protocol == ProtocolTCP || protocol == ProtocolUDP) && rule.FromPort >= 0 && rule.ToPort >= rule.FromPort {
		p.FromPort, p.ToPort = rule.FromPort, rule.ToPort
	}
	return p, true
}

// protocolNumber reads a rule's protocol as EC2 stores it: a name or a
// number, "-1" (or "all") for every protocol.
func protocolNumber(protocol string) (int, bool) {
	switch strings.ToLower(protocol) {
	case "-1", "all":
		return ProtocolAll, true
	case "tcp":
		return ProtocolTCP, true
	case "udp":
		return ProtocolUDP, true
	case "icmp":
		return ProtocolICMP, true
	case "icmpv6":
		return 58, true
	}
	n, err := strconv.Atoi(protocol)
	if err != nil || n < 0 || n > 255 {
		return 0, false
	}
	return n, true
}
