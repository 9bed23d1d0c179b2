package ec2

import (
	"context"

	"github.com/berthdev/berth/internal/localcloud/protocol/ec2query"
	"github.com/berthdev/berth/internal/localcloud/service/ec2/wire"
	"github.com/berthdev/berth/internal/localcloud/store"
)

// ruleChange is what Authorize and Revoke, Ingress and Egress, share: a
// list of IpPermissions, or the older flat members for one permission
// (the four requests of the model carry the same members, Egress without
// GroupName).
type ruleChange struct {
	groupID, groupName string
	ipPermissions      []wire.IpPermission
	ruleIDs            []string
	cidrIP, ipProtocol string
	fromPort, toPort   *int
	sourceGroupName    string
	sourceGroupOwnerID string
	tagSpecifications  []wire.TagSpecification
	dryRun             bool
}

func permissionOf(p wire.IpPermission) Permission {
	out := Permission{Protocol: p.IpProtocol, FromPort: p.FromPort, ToPort: p.ToPort}
	for _, r := range p.IpRanges {
		out.IPv4Ranges = append(out.IPv4Ranges, PermissionSource{Value: r.CidrIp, Description: r.Description})
	}
	for _, r := range p.Ipv6Ranges {
		out.IPv6Ranges = append(out.IPv6Ranges, PermissionSource{Value: r.CidrIpv6, Description: r.Description})
	}
	for _, r := range p.PrefixListIds {
		out.PrefixListIDs = append(out.PrefixListIDs, PermissionSource{Value: r.PrefixListId, Description: r.Description})
	}
	for _, g := range p.UserIdGroupPairs {
		out.Groups = append(out.Groups, PermissionGroup{GroupID: g.GroupId, GroupName: g.GroupName, UserID: g.UserId, Description: g.Description})
	}
	return out
}

func (in *ruleChange) permissions() ([]Permission, error) {
	flat := in.cidrIP != "" || in.ipProtocol != "" || in.fromPort != nil || in.toPort != nil || in.sourceGroupName != ""
	if flat && len(in.ipPermissions) > 0 {
		return nil, invalidParameterCombination("The parameter 'ipPermissions' may not be used in combination with 'ipProtocol', 'fromPort', 'toPort', 'cidrIp' or 'sourceSecurityGroupName'")
	}
	if flat {
		p := Permission{Protocol: in.ipProtocol, FromPort: in.fromPort, ToPort: in.toPort}
		if p.Protocol == "" && in.sourceGroupName != "" {
			p.Protocol = "-1" // a whole group as the source allows everything
		}
		if in.cidrIP != "" {
			p.IPv4Ranges = []PermissionSource{{Value: in.cidrIP}}
		}
		if in.sourceGroupName != "" {
			p.Groups = []PermissionGroup{{GroupName: in.sourceGroupName, UserID: in.sourceGroupOwnerID}}
		}
		return []Permission{p}, nil
	}
	out := make([]Permission, len(in.ipPermissions))
	for i, p := range in.ipPermissions {
		out[i] = permissionOf(p)
	}
	return out, nil
}

func (in *ruleChange) group() (groupRef, error) {
	if in.groupID == "" && in.groupName == "" {
		return groupRef{}, missingParameter("GroupId")
	}
	return groupRef{ID: in.groupID, Name: in.groupName}, nil
}

// ipPermissions groups a direction's rules by protocol and ports, in the
// order they were first added, as DescribeSecurityGroups shows them.
func ipPermissions(rules []SecurityGroupRule, egress bool) ec2query.List[wire.IpPermission] {
	out := ec2query.List[wire.IpPermission]{}
	index := map[[3]string]int{}
	for _, r := range rules {
		if r.Egress != egress {
			continue
		}
		key := [3]string{r.Protocol, itoa(r.FromPort), itoa(r.ToPort)}
		i, ok := index[key]
		if !ok {
			item := wire.IpPermission{IpProtocol: r.Protocol, UserIdGroupPairs: ec2query.List[wire.UserIdGroupPair]{},
				IpRanges: ec2query.List[wire.IpRange]{}, Ipv6Ranges: ec2query.List[wire.Ipv6Range]{},
				PrefixListIds: ec2query.List[wire.PrefixListId]{}}
			if hasPorts(r.Protocol) {
				item.FromPort, item.ToPort = ptr(r.FromPort), ptr(r.ToPort)
			}
			out = append(out, item)
			i = len(out) - 1
			index[key] = i
		}
		p := &out[i]
		switch {
		case r.CidrIPv4 != "":
			p.IpRanges = append(p.IpRanges, wire.IpRange{CidrIp: r.CidrIPv4, Description: r.Description})
		case r.CidrIPv6 != "":
			p.Ipv6Ranges = append(p.Ipv6Ranges, wire.Ipv6Range{CidrIpv6: r.CidrIPv6, Description: r.Description})
		case r.PrefixListID != "":
			p.PrefixListIds = append(p.PrefixListIds, wire.PrefixListId{PrefixListId: r.PrefixListID, Description: r.Description})
		case r.ReferencedGroupID != "":
			p.UserIdGroupPairs = append(p.UserIdGroupPairs, wire.UserIdGroupPair{UserId: r.ReferencedUserID, GroupId: r.ReferencedGroupID, Description: r.Description})
		}
	}
	return out
}

// hasPorts reports whether EC2 shows ports for a protocol.
func hasPorts(protocol string) bool {
	switch protocol {
	case "tcp", "udp", "icmp", "icmpv6":
		return true
	}
	return false
}

func ptr[T any](v T) *T { return &v }

func securityGroupWire(g *SecurityGroup) wire.SecurityGroup {
	return wire.SecurityGroup{OwnerId: g.OwnerID, GroupId: g.ID, GroupName: g.Name, Description: g.Description, VpcId: g.VpcID,
		SecurityGroupArn: g.ARN, IpPermissions: ipPermissions(g.Rules, false), IpPermissionsEgress: ipPermissions(g.Rules, true),
		Tags: tagsOut(g.Tags)}
}

func securityGroupRuleWire(g *SecurityGroup, r SecurityGroupRule) wire.SecurityGroupRule {
	item := wire.SecurityGroupRule{SecurityGroupRuleId: r.ID, GroupId: g.ID, GroupOwnerId: g.OwnerID, IsEgress: ptr(r.Egress),
		IpProtocol: r.Protocol, FromPort: ptr(r.FromPort), ToPort: ptr(r.ToPort), CidrIpv4: r.CidrIPv4, CidrIpv6: r.CidrIPv6,
		PrefixListId: r.PrefixListID, Description: r.Description, Tags: tagsOut(r.Tags),
		SecurityGroupRuleArn: securityGroupRuleARN(g, r.ID)}
	if r.ReferencedGroupID != "" {
		item.ReferencedGroupInfo = &wire.ReferencedSecurityGroup{GroupId: r.ReferencedGroupID, UserId: r.ReferencedUserID}
	}
	return item
}

// securityGroupRuleARN builds a rule's ARN in the group's region.
func securityGroupRuleARN(g *SecurityGroup, ruleID string) string {
	return g.ARN[:len(g.ARN)-len("security-group/"+g.ID)] + "security-group-rule/" + ruleID
}

func (b *Backend) handleCreateSecurityGroup(ctx context.Context, in *wire.CreateSecurityGroupRequest) (*wire.CreateSecurityGroupResult, error) {
	tags, err := tagsFor(tagSpecsFrom(in.TagSpecifications), "security-group")
	if err != nil {
		return nil, err
	}
	group, err := b.createSecurityGroup(ctx, createSecurityGroupRequest{Name: in.GroupName, Description: in.Description,
		VpcID: in.VpcId, Tags: tags}, boolValue(in.DryRun))
	if err != nil {
		return nil, err
	}
	return &wire.CreateSecurityGroupResult{GroupId: group.ID, SecurityGroupArn: group.ARN, Tags: tagsOut(group.Tags)}, nil
}

func (b *Backend) handleDescribeSecurityGroups(ctx context.Context, in *wire.DescribeSecurityGroupsRequest) (*wire.DescribeSecurityGroupsResult, error) {
	out := &wire.DescribeSecurityGroupsResult{SecurityGroups: ec2query.List[wire.SecurityGroup]{}}
	err := b.view(ctx, boolValue(in.DryRun), func(tx *store.Tx) error {
		all, err := store.List[SecurityGroup](tx, tableSecurityGroups)
		if err != nil {
			return err
		}
		selected, err := selectByID(kindSecurityGroup, all, func(g *SecurityGroup) string { return g.ID }, in.GroupIds)
		if err != nil {
			return err
		}
		if len(in.GroupNames) > 0 {
			var named []*SecurityGroup
			for _, name := range in.GroupNames {
				found := false
				for _, g := range selected {
					if g.Name == name {
						named = append(named, g)
						found = true
					}
				}
				if !found {
					return errorf(kindSecurityGroup.notFoundCode, "The security group '%s' does not exist", name)
				}
			}
			selected = named
		}
		selected, err = filterItems(selected, filtersFrom(in.Filters), func(g *SecurityGroup) map[string]string { return g.Tags },
			func(g *SecurityGroup) fieldValues { return g.filterValues })
		if err != nil {
			return err
		}
		page, next, err := paginate(selected, func(g *SecurityGroup) string { return g.ID }, maxResultsOf(in.MaxResults), tokenOf(in.NextToken), 5)
		if err != nil {
			return err
		}
		for _, g := range page {
			out.SecurityGroups = append(out.SecurityGroups, securityGroupWire(g))
		}
		out.NextToken = next
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// ruleOfGroup pairs a rule with its group for listing.
type ruleOfGroup struct {
	group *SecurityGroup
	rule  SecurityGroupRule
}

func (b *Backend) handleDescribeSecurityGroupRules(ctx context.Context, in *wire.DescribeSecurityGroupRulesRequest) (*wire.DescribeSecurityGroupRulesResult, error) {
	out := &wire.DescribeSecurityGroupRulesResult{SecurityGroupRules: ec2query.List[wire.SecurityGroupRule]{}}
	err := b.view(ctx, boolValue(in.DryRun), func(tx *store.Tx) error {
		groups, err := store.List[SecurityGroup](tx, tableSecurityGroups)
		if err != nil {
			return err
		}
		var all []*ruleOfGroup
		for _, g := range groups {
			for _, r := range g.Rules {
				all = append(all, &ruleOfGroup{group: g, rule: r})
			}
		}
		selected, err := selectByID(kindSecurityGroupRule, all, func(r *ruleOfGroup) string { return r.rule.ID }, in.SecurityGroupRuleIds)
		if err != nil {
			return err
		}
		selected, err = filterItems(selected, filtersFrom(in.Filters), func(r *ruleOfGroup) map[string]string { return r.rule.Tags },
			func(r *ruleOfGroup) fieldValues {
				return func(name string) ([]string, bool) {
					switch name {
					case "group-id":
						return []string{r.group.ID}, true
					case "security-group-rule-id":
						return []string{r.rule.ID}, true
					}
					return nil, false
				}
			})
		if err != nil {
			return err
		}
		page, next, err := paginate(selected, func(r *ruleOfGroup) string { return r.rule.ID }, maxResultsOf(in.MaxResults), tokenOf(in.NextToken), 5)
		if err != nil {
			return err
		}
		for _, r := range page {
			out.SecurityGroupRules = append(out.SecurityGroupRules, securityGroupRuleWire(r.group, r.rule))
		}
		out.NextToken = next
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// authorizeRules adds in's rules to its group and renders them, for
// AuthorizeSecurityGroupIngress and AuthorizeSecurityGroupEgress.
func (b *Backend) authorizeRules(ctx context.Context, in *ruleChange, egress bool) (ec2query.List[wire.SecurityGroupRule], error) {
	ref, err := in.group()
	if err != nil {
		return nil, err
	}
	if egress && in.groupID == "" {
		return nil, missingParameter("GroupId")
	}
	permissions, err := in.permissions()
	if err != nil {
		return nil, err
	}
	tags, err := tagsFor(tagSpecsFrom(in.tagSpecifications), "security-group-rule")
	if err != nil {
		return nil, err
	}
	rules, group, err := b.authorize(ctx, ref, egress, permissions, tags, in.dryRun)
	if err != nil {
		return nil, err
	}
	out := ec2query.List[wire.SecurityGroupRule]{}
	for _, r := range rules {
		out = append(out, securityGroupRuleWire(group, r))
	}
	return out, nil
}

func (b *Backend) handleAuthorizeSecurityGroupIngress(ctx context.Context, in *wire.AuthorizeSecurityGroupIngressRequest) (*wire.AuthorizeSecurityGroupIngressResult, error) {
	rules, err := b.authorizeRules(ctx, &ruleChange{groupID: in.GroupId, groupName: in.GroupName, ipPermissions: in.IpPermissions,
		cidrIP: in.CidrIp, ipProtocol: in.IpProtocol, fromPort: in.FromPort, toPort: in.ToPort, sourceGroupName: in.SourceSecurityGroupName,
		sourceGroupOwnerID: in.SourceSecurityGroupOwnerId, tagSpecifications: in.TagSpecifications, dryRun: boolValue(in.DryRun)}, false)
	if err != nil {
		return nil, err
	}
	return &wire.AuthorizeSecurityGroupIngressResult{Return: ptr(true), SecurityGroupRules: rules}, nil
}

func (b *Backend) handleAuthorizeSecurityGroupEgress(ctx context.Context, in *wire.AuthorizeSecurityGroupEgressRequest) (*wire.AuthorizeSecurityGroupEgressResult, error) {
	rules, err := b.authorizeRules(ctx, &ruleChange{groupID: in.GroupId, ipPermissions: in.IpPermissions,
		cidrIP: in.CidrIp, ipProtocol: in.IpProtocol, fromPort: in.FromPort, toPort: in.ToPort, sourceGroupName: in.SourceSecurityGroupName,
		sourceGroupOwnerID: in.SourceSecurityGroupOwnerId, tagSpecifications: in.TagSpecifications, dryRun: boolValue(in.DryRun)}, true)
	if err != nil {
		return nil, err
	}
	return &wire.AuthorizeSecurityGroupEgressResult{Return: ptr(true), SecurityGroupRules: rules}, nil
}

// revokeRules removes in's rules from its group, named by rule id or by
// permission.
func (b *Backend) revokeRules(ctx context.Context, in *ruleChange, egress bool) error {
	ref, err := in.group()
	if err != nil {
		return err
	}
	var permissions []Permission
	if len(in.ruleIDs) == 0 {
		if permissions, err = in.permissions(); err != nil {
			return err
		}
	}
	return b.revoke(ctx, ref, egress, permissions, in.ruleIDs, in.dryRun)
}

func (b *Backend) handleRevokeSecurityGroupIngress(ctx context.Context, in *wire.RevokeSecurityGroupIngressRequest) (*wire.RevokeSecurityGroupIngressResult, error) {
	err := b.revokeRules(ctx, &ruleChange{groupID: in.GroupId, groupName: in.GroupName, ipPermissions: in.IpPermissions,
		ruleIDs: in.SecurityGroupRuleIds, cidrIP: in.CidrIp, ipProtocol: in.IpProtocol, fromPort: in.FromPort, toPort: in.ToPort,
		sourceGroupName: in.SourceSecurityGroupName, sourceGroupOwnerID: in.SourceSecurityGroupOwnerId, dryRun: boolValue(in.DryRun)}, false)
	if err != nil {
		return nil, err
	}
	return &wire.RevokeSecurityGroupIngressResult{Return: ptr(true), UnknownIpPermissions: ec2query.List[wire.IpPermission]{}}, nil
}

func (b *Backend) handleRevokeSecurityGroupEgress(ctx context.Context, in *wire.RevokeSecurityGroupEgressRequest) (*wire.RevokeSecurityGroupEgressResult, error) {
	err := b.revokeRules(ctx, &ruleChange{groupID: in.GroupId, ipPermissions: in.IpPermissions,
		ruleIDs: in.SecurityGroupRuleIds, cidrIP: in.CidrIp, ipProtocol: in.IpProtocol, fromPort: in.FromPort, toPort: in.ToPort,
		sourceGroupName: in.SourceSecurityGroupName, sourceGroupOwnerID: in.SourceSecurityGroupOwnerId, dryRun: boolValue(in.DryRun)}, true)
	if err != nil {
		return nil, err
	}
	return &wire.RevokeSecurityGroupEgressResult{Return: ptr(true), UnknownIpPermissions: ec2query.List[wire.IpPermission]{}}, nil
}

func (b *Backend) handleDeleteSecurityGroup(ctx context.Context, in *wire.DeleteSecurityGroupRequest) (*wire.DeleteSecurityGroupResult, error) {
	if in.GroupId == "" && in.GroupName == "" {
		return nil, missingParameter("GroupId")
	}
	id, err := b.deleteSecurityGroup(ctx, groupRef{ID: in.GroupId, Name: in.GroupName}, boolValue(in.DryRun))
	if err != nil {
		return nil, err
	}
	return &wire.DeleteSecurityGroupResult{Return: ptr(true), GroupId: id}, nil
}

func (b *Backend) handleModifySecurityGroupRules(ctx context.Context, in *wire.ModifySecurityGroupRulesRequest) (*wire.ModifySecurityGroupRulesResult, error) {
	var updates []RuleUpdate
	for _, r := range in.SecurityGroupRules {
		if r.SecurityGroupRuleId == "" {
			return nil, missingParameter("SecurityGroupRule.SecurityGroupRuleId")
		}
		if r.SecurityGroupRule == nil {
			return nil, missingParameter("SecurityGroupRule.SecurityGroupRule")
		}
		s := r.SecurityGroupRule
		updates = append(updates, RuleUpdate{RuleID: r.SecurityGroupRuleId, Protocol: s.IpProtocol, FromPort: s.FromPort, ToPort: s.ToPort,
			CidrIPv4: s.CidrIpv4, CidrIPv6: s.CidrIpv6, PrefixListID: s.PrefixListId, ReferencedGroupID: s.ReferencedGroupId, Description: s.Description})
	}
	if err := b.modifySecurityGroupRules(ctx, in.GroupId, updates, boolValue(in.DryRun)); err != nil {
		return nil, err
	}
	return &wire.ModifySecurityGroupRulesResult{Return: ptr(true)}, nil
}
