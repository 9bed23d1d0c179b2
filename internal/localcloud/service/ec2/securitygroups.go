package ec2

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/berthdev/berth/internal/localcloud/store"
)

// SecurityGroup is a stateful firewall of a VPC. Its rules are kept one per
// source, as DescribeSecurityGroupRules lists them; IpPermissions are built
// from them for DescribeSecurityGroups.
type SecurityGroup struct {
	ID          string
	ARN         string
	Name        string
	Description string
	VpcID       string
	OwnerID     string
	Rules       []SecurityGroupRule
	Tags        map[string]string
}

// SecurityGroupRule allows one protocol and port range from (ingress) or to
// (egress) one source: an IPv4 or IPv6 block, a prefix list or a group.
type SecurityGroupRule struct {
	ID                string
	Egress            bool
	Protocol          string // tcp, udp, icmp, icmpv6, -1 or a protocol number
	FromPort, ToPort  int    // -1 when the protocol has no ports
	CidrIPv4          string
	CidrIPv6          string
	PrefixListID      string
	ReferencedGroupID string
	ReferencedUserID  string
	Description       string
	Tags              map[string]string
}

// sameRule reports whether two rules allow the same traffic (descriptions
// aside), which is what makes a rule a duplicate.
func (r SecurityGroupRule) sameRule(o SecurityGroupRule) bool {
	return r.Egress == o.Egress && r.Protocol == o.Protocol && r.FromPort == o.FromPort && r.ToPort == o.ToPort &&
		r.CidrIPv4 == o.CidrIPv4 && r.CidrIPv6 == o.CidrIPv6 && r.PrefixListID == o.PrefixListID && r.ReferencedGroupID == o.ReferencedGroupID
}

func (r SecurityGroupRule) describe() string {
	peer := r.CidrIPv4 + r.CidrIPv6 + r.PrefixListID + r.ReferencedGroupID
	return fmt.Sprintf("peer: %s, %s, from port: %d, to port: %d, ALLOW", peer, strings.ToUpper(r.Protocol), r.FromPort, r.ToPort)
}

func newSecurityGroup(ctx context.Context, vpcID, name, description string) *SecurityGroup {
	id := store.NewID("sg-", 17)
	return &SecurityGroup{
		ID: id, ARN: scopeOf(ctx).ARN("ec2", "security-group/"+id), Name: name, Description: description,
		VpcID: vpcID, OwnerID: owner(ctx), Tags: map[string]string{},
		// Every new group may send anything anywhere until told otherwise.
		Rules: []SecurityGroupRule{{ID: store.NewID("sgr-", 17), Egress: true, Protocol: "-1", FromPort: -1, ToPort: -1, CidrIPv4: "0.0.0.0/0"}},
	}
}

type createSecurityGroupRequest struct {
	Name, Description, VpcID string
	Tags                     map[string]string
}

func validateGroupText(param, value string) error {
	if len(value) > 255 {
		return invalidParameterValue("Value for parameter %s is too long. Maximum length is 255.", param)
	}
	for _, r := range value {
		if r < 0x20 || r > 0x7e {
			return invalidParameterValue("Value (%s) for parameter %s is invalid. Character sets beyond ASCII are not supported.", value, param)
		}
	}
	return nil
}

func (b *Backend) createSecurityGroup(ctx context.Context, req createSecurityGroupRequest, dryRun bool) (*SecurityGroup, error) {
	switch {
	case req.Name == "":
		return nil, missingParameter("GroupName")
	case req.Description == "":
		return nil, missingParameter("GroupDescription")
	case req.Name == "default":
		return nil, errorf(codeInvalidGroupReserved, "The security group 'default' is reserved")
	case strings.HasPrefix(req.Name, "sg-"):
		return nil, invalidParameterValue("Group names may not be in the format sg-*")
	}
	if err := validateGroupText("GroupName", req.Name); err != nil {
		return nil, err
	}
	if err := validateGroupText("GroupDescription", req.Description); err != nil {
		return nil, err
	}
	var group *SecurityGroup
	err := b.update(ctx, dryRun, func(tx *store.Tx) error {
		if req.VpcID == "" { // the default VPC's, as on AWS
			vpc, err := defaultVpc(tx)
			if err != nil {
				return err
			}
			if vpc == nil {
				return errorf(codeVPCIDNotSpecified, "No default VPC for this user")
			}
			req.VpcID = vpc.ID
		}
		if _, err := getResource[Vpc](tx, kindVpc, req.VpcID); err != nil {
			return err
		}
		group = newSecurityGroup(ctx, req.VpcID, req.Name, req.Description)
		group.Tags = req.Tags
		groups, err := store.List[SecurityGroup](tx, tableSecurityGroups)
		if err != nil {
			return err
		}
		for _, g := range groups {
			if g.VpcID == req.VpcID && g.Name == req.Name {
				return errorf(codeInvalidGroupDuplicate, "The security group '%s' already exists for VPC '%s'", req.Name, req.VpcID)
			}
		}
		return tx.Put(tableSecurityGroups, group.ID, group)
	})
	if err != nil {
		return nil, err
	}
	return group, nil
}

// Permission is one IpPermission of a request: a protocol and port range
// with its sources.
type Permission struct {
	Protocol         string
	FromPort, ToPort *int
	IPv4Ranges       []PermissionSource
	IPv6Ranges       []PermissionSource
	PrefixListIDs    []PermissionSource
	Groups           []PermissionGroup
}

// PermissionSource is a CIDR block or prefix list with its description.
type PermissionSource struct {
	Value       string
	Description string
}

// PermissionGroup is a source group, by id or (in the group's VPC) by name.
type PermissionGroup struct {
	GroupID, GroupName, UserID, Description string
}

// protocolNames are the protocol numbers EC2 shows by name.
var protocolNames = map[string]string{"6": "tcp", "17": "udp", "1": "icmp", "58": "icmpv6", "all": "-1"}

// normalizePorts validates a permission's protocol and ports and returns
// them the way EC2 stores them.
func normalizePorts(p Permission) (protocol string, from, to int, err error) {
	protocol = strings.ToLower(p.Protocol)
	if name, ok := protocolNames[protocol]; ok {
		protocol = name
	}
	port := func(v *int) int {
		if v == nil {
			return -1
		}
		return *v
	}
	switch protocol {
	case "":
		return "", 0, 0, missingParameter("IpProtocol")
	case "tcp", "udp":
		if p.FromPort == nil || p.ToPort == nil {
			return "", 0, 0, invalidParameterValue("Invalid value 'Must specify both from and to ports with TCP/UDP.' for portRange")
		}
		from, to = *p.FromPort, *p.ToPort
		if from < 0 || to > 65535 || from > to {
			return "", 0, 0, invalidParameterValue("Invalid value '%d-%d' for portRange. Must be in the range 0-65535 with from <= to.", from, to)
		}
		return protocol, from, to, nil
	case "icmp", "icmpv6":
		from, to = port(p.FromPort), port(p.ToPort)
		if from < -1 || from > 255 || to < -1 || to > 255 {
			return "", 0, 0, invalidParameterValue("Invalid value for ICMP type or code: %d/%d", from, to)
		}
		return protocol, from, to, nil
	case "-1":
		return protocol, -1, -1, nil
	}
	if n, convErr := strconv.Atoi(protocol); convErr == nil && n >= 0 && n <= 255 {
		return protocol, -1, -1, nil
	}
	return "", 0, 0, invalidParameterValue("Invalid value '%s' for IP protocol. Unknown protocol.", p.Protocol)
}

// expandPermissions turns permissions into one rule per source, resolving
// source groups (by id, or by name within the group's VPC).
func expandPermissions(tx *store.Tx, group *SecurityGroup, egress bool, permissions []Permission) ([]SecurityGroupRule, error) {
	if len(permissions) == 0 {
		return nil, missingParameter("IpPermissions")
	}
	var rules []SecurityGroupRule
	for _, p := range permissions {
		protocol, from, to, err := normalizePorts(p)
		if err != nil {
			return nil, err
		}
		base := SecurityGroupRule{Egress: egress, Protocol: protocol, FromPort: from, ToPort: to}
		add := func(fill func(*SecurityGroupRule), description string) {
			rule := base
			fill(&rule)
			rule.Description = description
			rules = append(rules, rule)
		}
		sources := 0
		for _, r := range p.IPv4Ranges {
			if _, err := parseCIDR("cidrIp", r.Value); err != nil {
				if prefix, perr := netip.ParsePrefix(r.Value); perr == nil && prefix.Addr().Is4() {
					return nil, invalidParameterValue("CIDR block %s is malformed", r.Value)
				}
				return nil, err
			}
			add(func(rule *SecurityGroupRule) { rule.CidrIPv4 = r.Value }, r.Description)
			sources++
		}
		for _, r := range p.IPv6Ranges {
			if prefix, err := netip.ParsePrefix(r.Value); err != nil || !prefix.Addr().Is6() {
				return nil, invalidParameterValue("CIDR block %s is malformed", r.Value)
			}
			add(func(rule *SecurityGroupRule) { rule.CidrIPv6 = r.Value }, r.Description)
			sources++
		}
		for _, r := range p.PrefixListIDs {
			if !strings.HasPrefix(r.Value, "pl-") {
				return nil, errorf("InvalidPrefixListId.Malformed", "The prefix list ID '%s' is malformed", r.Value)
			}
			add(func(rule *SecurityGroupRule) { rule.PrefixListID = r.Value }, r.Description)
			sources++
		}
		for _, g := range p.Groups {
			source, err := resolveSourceGroup(tx, group, g)
			if err != nil {
				return nil, err
			}
			add(func(rule *SecurityGroupRule) {
				rule.ReferencedGroupID = source.ID
				rule.ReferencedUserID = source.OwnerID
			}, g.Description)
			sources++
		}
		if sources == 0 {
			// A permission without a source means "from anywhere" only in
			// EC2-Classic; VPC groups need one.
			return nil, missingParameter("IpRanges, Ipv6Ranges, PrefixListIds or UserIdGroupPairs")
		}
	}
	return rules, nil
}

func resolveSourceGroup(tx *store.Tx, group *SecurityGroup, g PermissionGroup) (*SecurityGroup, error) {
	if g.GroupID != "" {
		return getResource[SecurityGroup](tx, kindSecurityGroup, g.GroupID)
	}
	if g.GroupName == "" {
		return nil, missingParameter("GroupId")
	}
	groups, err := store.List[SecurityGroup](tx, tableSecurityGroups)
	if err != nil {
		return nil, err
	}
	for _, other := range groups {
		if other.VpcID == group.VpcID && other.Name == g.GroupName {
			return other, nil
		}
	}
	return nil, errorf(kindSecurityGroup.notFoundCode, "The security group '%s' does not exist in VPC '%s'", g.GroupName, group.VpcID)
}

// groupRef names a group by id or by name.
type groupRef struct{ ID, Name string }

func findGroup(tx *store.Tx, ref groupRef) (*SecurityGroup, error) {
	if ref.ID != "" {
		return getResource[SecurityGroup](tx, kindSecurityGroup, ref.ID)
	}
	if ref.Name == "" {
		return nil, missingParameter("GroupId")
	}
	groups, err := store.List[SecurityGroup](tx, tableSecurityGroups)
	if err != nil {
		return nil, err
	}
	var found []*SecurityGroup
	for _, g := range groups {
		if g.Name == ref.Name {
			found = append(found, g)
		}
	}
	switch len(found) {
	case 0:
		return nil, errorf(kindSecurityGroup.notFoundCode, "The security group '%s' does not exist", ref.Name)
	case 1:
		return found[0], nil
	}
	return nil, invalidParameterValue("Security group name '%s' is ambiguous: more than one VPC has it; use the group id", ref.Name)
}

// authorize adds rules; one that exists already (or twice in the request)
// fails the whole call.
func (b *Backend) authorize(ctx context.Context, ref groupRef, egress bool, permissions []Permission, tags map[string]string, dryRun bool) ([]SecurityGroupRule, *SecurityGroup, error) {
	var added []SecurityGroupRule
	var group *SecurityGroup
	err := b.update(ctx, dryRun, func(tx *store.Tx) error {
		var err error
		if group, err = findGroup(tx, ref); err != nil {
			return err
		}
		rules, err := expandPermissions(tx, group, egress, permissions)
		if err != nil {
			return err
		}
		added = nil
		for _, rule := range rules {
			for _, existing := range append(slices.Clone(group.Rules), added...) {
				if existing.sameRule(rule) {
					return errorf(codePermissionDuplicate, "the specified rule \"%s\" already exists", rule.describe())
				}
			}
			rule.ID = store.NewID("sgr-", 17)
			rule.Tags = tags
			added = append(added, rule)
		}
		group.Rules = append(group.Rules, added...)
		return tx.Put(tableSecurityGroups, group.ID, group)
	})
	if err != nil {
		return nil, nil, err
	}
	return added, group, nil
}

// revoke removes rules, given as permissions or by rule id; every one must
// exist.
func (b *Backend) revoke(ctx context.Context, ref groupRef, egress bool, permissions []Permission, ruleIDs []string, dryRun bool) error {
	if len(permissions) > 0 && len(ruleIDs) > 0 {
		return invalidParameterCombination("IpPermissions and SecurityGroupRuleIds cannot both be given")
	}
	return b.update(ctx, dryRun, func(tx *store.Tx) error {
		group, err := findGroup(tx, ref)
		if err != nil {
			return err
		}
		var remove []int
		if len(ruleIDs) > 0 {
			for _, id := range ruleIDs {
				i := slices.IndexFunc(group.Rules, func(r SecurityGroupRule) bool { return r.ID == id && r.Egress == egress })
				if i < 0 {
					return errorf(kindSecurityGroupRule.notFoundCode, "The security group rule ID '%s' does not exist", id)
				}
				remove = append(remove, i)
			}
		} else {
			rules, err := expandPermissions(tx, group, egress, permissions)
			if err != nil {
				return err
			}
			for _, rule := range rules {
				i := slices.IndexFunc(group.Rules, rule.sameRule)
				if i < 0 {
					return errorf(codePermissionNotFound, "The specified rule does not exist in this security group.")
				}
				remove = append(remove, i)
			}
		}
		kept := group.Rules[:0:0]
		for i, r := range group.Rules {
			if !slices.Contains(remove, i) {
				kept = append(kept, r)
			}
		}
		group.Rules = kept
		return tx.Put(tableSecurityGroups, group.ID, group)
	})
}

func (b *Backend) deleteSecurityGroup(ctx context.Context, ref groupRef, dryRun bool) (string, error) {
	var deleted string
	now := b.now()
	err := b.update(ctx, dryRun, func(tx *store.Tx) error {
		group, err := findGroup(tx, ref)
		if err != nil {
			return err
		}
		if group.Name == "default" {
			return errorf(codeCannotDelete, "the specified group: \"%s\" name: \"default\" cannot be deleted by a user", group.ID)
		}
		groups, err := store.List[SecurityGroup](tx, tableSecurityGroups)
		if err != nil {
			return err
		}
		for _, other := range groups {
			if other.ID == group.ID {
				continue
			}
			for _, r := range other.Rules {
				if r.ReferencedGroupID == group.ID {
					return dependencyViolation("resource %s has a dependent object", group.ID)
				}
			}
		}
		instances, err := store.List[Instance](tx, tableInstances)
		if err != nil {
			return err
		}
		for _, inst := range instances {
			if inst.State != stateTerminated && inst.visible(now) && slices.Contains(inst.SecurityGroupIDs, group.ID) {
				return dependencyViolation("resource %s has a dependent object", group.ID)
			}
		}
		interfaces, err := store.List[NetworkInterface](tx, tableNetworkInterfaces)
		if err != nil {
			return err
		}
		for _, eni := range interfaces {
			if slices.Contains(eni.SecurityGroupIDs, group.ID) {
				return dependencyViolation("resource %s has a dependent object", group.ID)
			}
		}
		deleted = group.ID
		return tx.Delete(tableSecurityGroups, group.ID)
	})
	return deleted, err
}

func (g *SecurityGroup) filterValues(name string) ([]string, bool) {
	ruleValues := func(egress bool, f func(SecurityGroupRule) string) []string {
		var out []string
		for _, r := range g.Rules {
			if r.Egress == egress {
				if v := f(r); v != "" {
					out = append(out, v)
				}
			}
		}
		return out
	}
	egress := strings.HasPrefix(name, "egress.")
	switch strings.TrimPrefix(name, "egress.") {
	case "group-id":
		return []string{g.ID}, true
	case "group-name":
		return []string{g.Name}, true
	case "description":
		return []string{g.Description}, true
	case "vpc-id":
		return []string{g.VpcID}, true
	case "owner-id":
		return []string{g.OwnerID}, true
	case "ip-permission.cidr":
		return ruleValues(egress, func(r SecurityGroupRule) string { return r.CidrIPv4 }), true
	case "ip-permission.ipv6-cidr":
		return ruleValues(egress, func(r SecurityGroupRule) string { return r.CidrIPv6 }), true
	case "ip-permission.prefix-list-id":
		return ruleValues(egress, func(r SecurityGroupRule) string { return r.PrefixListID }), true
	case "ip-permission.group-id":
		return ruleValues(egress, func(r SecurityGroupRule) string { return r.ReferencedGroupID }), true
	case "ip-permission.protocol":
		return ruleValues(egress, func(r SecurityGroupRule) string { return r.Protocol }), true
	case "ip-permission.from-port":
		return ruleValues(egress, func(r SecurityGroupRule) string { return strconv.Itoa(r.FromPort) }), true
	case "ip-permission.to-port":
		return ruleValues(egress, func(r SecurityGroupRule) string { return strconv.Itoa(r.ToPort) }), true
	case "ip-permission.user-id":
		return ruleValues(egress, func(r SecurityGroupRule) string { return r.ReferencedUserID }), true
	}
	return nil, false
}

// RuleUpdate is one rule of ModifySecurityGroupRules: the rule's id and
// what it allows from now on.
type RuleUpdate struct {
	RuleID            string
	Protocol          string
	FromPort, ToPort  *int
	CidrIPv4          string
	CidrIPv6          string
	PrefixListID      string
	ReferencedGroupID string
	Description       string
}

// modifySecurityGroupRules rewrites rules in place: each keeps its id, its
// direction and its tags.
func (b *Backend) modifySecurityGroupRules(ctx context.Context, groupID string, updates []RuleUpdate, dryRun bool) error {
	if groupID == "" {
		return missingParameter("GroupId")
	}
	if len(updates) == 0 {
		return missingParameter("SecurityGroupRule")
	}
	return b.update(ctx, dryRun, func(tx *store.Tx) error {
		group, err := getResource[SecurityGroup](tx, kindSecurityGroup, groupID)
		if err != nil {
			return err
		}
		for _, u := range updates {
			i := slices.IndexFunc(group.Rules, func(r SecurityGroupRule) bool { return r.ID == u.RuleID })
			if i < 0 {
				return errorf(kindSecurityGroupRule.notFoundCode, "The security group rule ID '%s' does not exist", u.RuleID)
			}
			old := group.Rules[i]
			p := Permission{Protocol: u.Protocol, FromPort: u.FromPort, ToPort: u.ToPort}
			switch {
			case u.CidrIPv4 != "":
				p.IPv4Ranges = []PermissionSource{{Value: u.CidrIPv4, Description: u.Description}}
			case u.CidrIPv6 != "":
				p.IPv6Ranges = []PermissionSource{{Value: u.CidrIPv6, Description: u.Description}}
			case u.PrefixListID != "":
				p.PrefixListIDs = []PermissionSource{{Value: u.PrefixListID, Description: u.Description}}
			case u.ReferencedGroupID != "":
				p.Groups = []PermissionGroup{{GroupID: u.ReferencedGroupID, Description: u.Description}}
			}
			rules, err := expandPermissions(tx, group, old.Egress, []Permission{p})
			if err != nil {
				return err
			}
			if len(rules) != 1 {
				return invalidParameterCombination("A security group rule names exactly one of CidrIpv4, CidrIpv6, PrefixListId and ReferencedGroupId")
			}
			rule := rules[0]
			rule.ID, rule.Tags = old.ID, old.Tags
			for j, other := range group.Rules {
				if j != i && other.sameRule(rule) {
					return errorf(codePermissionDuplicate, "the specified rule \"%s\" already exists", rule.describe())
				}
			}
			group.Rules[i] = rule
		}
		return tx.Put(tableSecurityGroups, group.ID, group)
	})
}

// ruleGroup finds the group that holds a rule.
func ruleGroup(tx *store.Tx, ruleID string) (*SecurityGroup, int, error) {
	if !wellFormed(kindSecurityGroupRule, ruleID) {
		return nil, 0, malformedID(kindSecurityGroupRule, ruleID)
	}
	groups, err := store.List[SecurityGroup](tx, tableSecurityGroups)
	if err != nil {
		return nil, 0, err
	}
	for _, g := range groups {
		if i := slices.IndexFunc(g.Rules, func(r SecurityGroupRule) bool { return r.ID == ruleID }); i >= 0 {
			return g, i, nil
		}
	}
	return nil, 0, errorf(kindSecurityGroupRule.notFoundCode, "The security group rule ID '%s' does not exist", ruleID)
}
