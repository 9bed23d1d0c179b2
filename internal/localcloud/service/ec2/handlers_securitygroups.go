package ec2

import (
	"context"

	"github.com/berthdev/berth/internal/localcloud/store"
)

type ipRangeParam struct {
	CidrIP      string `query:"CidrIp"`
	Description string `query:"Description"`
}

type ipv6RangeParam struct {
	CidrIpv6    string `query:"CidrIpv6"`
	Description string `query:"Description"`
}

type prefixListParam struct {
	PrefixListID string `query:"PrefixListId"`
	Description  string `query:"Description"`
}

type groupPairParam struct {
	GroupID     string `query:"GroupId"`
	GroupName   string `query:"GroupName"`
	UserID      string `query:"UserId"`
	VpcID       string `query:"VpcId"`
	Description string `query:"Description"`
}

type ipPermissionParam struct {
	IPProtocol    string            `query:"IpProtocol"`
	FromPort      *int              `query:"FromPort"`
	ToPort        *int              `query:"ToPort"`
	IPRanges      []ipRangeParam    `query:"IpRanges"`
	Ipv6Ranges    []ipv6RangeParam  `query:"Ipv6Ranges"`
	PrefixListIDs []prefixListParam `query:"PrefixListIds"`
	Groups        []groupPairParam  `query:"Groups"`
}

func (p ipPermissionParam) permission() Permission {
	out := Permission{Protocol: p.IPProtocol, FromPort: p.FromPort, ToPort: p.ToPort}
	for _, r := range p.IPRanges {
		out.IPv4Ranges = append(out.IPv4Ranges, PermissionSource{Value: r.CidrIP, Description: r.Description})
	}
	for _, r := range p.Ipv6Ranges {
		out.IPv6Ranges = append(out.IPv6Ranges, PermissionSource{Value: r.CidrIpv6, Description: r.Description})
	}
	for _, r := range p.PrefixListIDs {
		out.PrefixListIDs = append(out.PrefixListIDs, PermissionSource{Value: r.PrefixListID, Description: r.Description})
	}
	for _, g := range p.Groups {
		out.Groups = append(out.Groups, PermissionGroup{GroupID: g.GroupID, GroupName: g.GroupName, UserID: g.UserID, Description: g.Description})
	}
	return out
}

// ruleChangeInput is the shape Authorize/Revoke Ingress/Egress share: a
// list of IpPermissions, or the older flat members for one permission.
type ruleChangeInput struct {
	GroupID                    string              `query:"GroupId"`
	GroupName                  string              `query:"GroupName"`
	IPPermissions              []ipPermissionParam `query:"IpPermissions"`
	SecurityGroupRuleIDs       []string            `query:"SecurityGroupRuleId"`
	CidrIP                     string              `query:"CidrIp"`
	IPProtocol                 string              `query:"IpProtocol"`
	FromPort                   *int                `query:"FromPort"`
	ToPort                     *int                `query:"ToPort"`
	SourceSecurityGroupName    string              `query:"SourceSecurityGroupName"`
	SourceSecurityGroupOwnerID string              `query:"SourceSecurityGroupOwnerId"`
	TagSpecifications          []tagSpecParam      `query:"TagSpecification"`
	DryRun                     bool                `query:"DryRun"`
}

func (in *ruleChangeInput) permissions() ([]Permission, error) {
	flat := in.CidrIP != "" || in.IPProtocol != "" || in.FromPort != nil || in.ToPort != nil || in.SourceSecurityGroupName != ""
	if flat && len(in.IPPermissions) > 0 {
		return nil, invalidParameterCombination("The parameter 'ipPermissions' may not be used in combination with 'ipProtocol', 'fromPort', 'toPort', 'cidrIp' or 'sourceSecurityGroupName'")
	}
	if flat {
		p := Permission{Protocol: in.IPProtocol, FromPort: in.FromPort, ToPort: in.ToPort}
		if p.Protocol == "" && in.SourceSecurityGroupName != "" {
			p.Protocol = "-1" // a whole group as the source allows everything
		}
		if in.CidrIP != "" {
			p.IPv4Ranges = []PermissionSource{{Value: in.CidrIP}}
		}
		if in.SourceSecurityGroupName != "" {
			p.Groups = []PermissionGroup{{GroupName: in.SourceSecurityGroupName, UserID: in.SourceSecurityGroupOwnerID}}
		}
		return []Permission{p}, nil
	}
	out := make([]Permission, len(in.IPPermissions))
	for i, p := range in.IPPermissions {
		out[i] = p.permission()
	}
	return out, nil
}

func (in *ruleChangeInput) group() (groupRef, error) {
	if in.GroupID == "" && in.GroupName == "" {
		return groupRef{}, missingParameter("GroupId")
	}
	return groupRef{ID: in.GroupID, Name: in.GroupName}, nil
}

type ipRangeItem struct {
	CidrIP      string `xml:"cidrIp"`
	Description string `xml:"description,omitempty"`
}

type ipv6RangeItem struct {
	CidrIpv6    string `xml:"cidrIpv6"`
	Description string `xml:"description,omitempty"`
}

type prefixListItem struct {
	PrefixListID string `xml:"prefixListId"`
	Description  string `xml:"description,omitempty"`
}

type groupPairItem struct {
	UserID      string `xml:"userId"`
	GroupID     string `xml:"groupId"`
	Description string `xml:"description,omitempty"`
}

type ipPermissionItem struct {
	IPProtocol    string           `xml:"ipProtocol"`
	FromPort      *int             `xml:"fromPort,omitempty"`
	ToPort        *int             `xml:"toPort,omitempty"`
	Groups        []groupPairItem  `xml:"groups>item"`
	IPRanges      []ipRangeItem    `xml:"ipRanges>item"`
	Ipv6Ranges    []ipv6RangeItem  `xml:"ipv6Ranges>item"`
	PrefixListIDs []prefixListItem `xml:"prefixListIds>item"`
}

// ipPermissions groups a direction's rules by protocol and ports, in the
// order they were first added, as DescribeSecurityGroups shows them.
func ipPermissions(rules []SecurityGroupRule, egress bool) []ipPermissionItem {
	out := []ipPermissionItem{}
	index := map[[3]string]int{}
	for _, r := range rules {
		if r.Egress != egress {
			continue
		}
		key := [3]string{r.Protocol, itoa(r.FromPort), itoa(r.ToPort)}
		i, ok := index[key]
		if !ok {
			item := ipPermissionItem{IPProtocol: r.Protocol, Groups: []groupPairItem{}, IPRanges: []ipRangeItem{},
				Ipv6Ranges: []ipv6RangeItem{}, PrefixListIDs: []prefixListItem{}}
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
			p.IPRanges = append(p.IPRanges, ipRangeItem{CidrIP: r.CidrIPv4, Description: r.Description})
		case r.CidrIPv6 != "":
			p.Ipv6Ranges = append(p.Ipv6Ranges, ipv6RangeItem{CidrIpv6: r.CidrIPv6, Description: r.Description})
		case r.PrefixListID != "":
			p.PrefixListIDs = append(p.PrefixListIDs, prefixListItem{PrefixListID: r.PrefixListID, Description: r.Description})
		case r.ReferencedGroupID != "":
			p.Groups = append(p.Groups, groupPairItem{UserID: r.ReferencedUserID, GroupID: r.ReferencedGroupID, Description: r.Description})
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

type securityGroupItem struct {
	OwnerID             string             `xml:"ownerId"`
	GroupID             string             `xml:"groupId"`
	GroupName           string             `xml:"groupName"`
	GroupDescription    string             `xml:"groupDescription"`
	VpcID               string             `xml:"vpcId"`
	SecurityGroupArn    string             `xml:"securityGroupArn"`
	IPPermissions       []ipPermissionItem `xml:"ipPermissions>item"`
	IPPermissionsEgress []ipPermissionItem `xml:"ipPermissionsEgress>item"`
	TagSet              []tagItem          `xml:"tagSet>item,omitempty"`
}

func securityGroupWire(g *SecurityGroup) securityGroupItem {
	return securityGroupItem{OwnerID: g.OwnerID, GroupID: g.ID, GroupName: g.Name, GroupDescription: g.Description, VpcID: g.VpcID,
		SecurityGroupArn: g.ARN, IPPermissions: ipPermissions(g.Rules, false), IPPermissionsEgress: ipPermissions(g.Rules, true),
		TagSet: tagSet(g.Tags)}
}

type referencedGroupItem struct {
	GroupID string `xml:"groupId"`
	UserID  string `xml:"userId"`
}

type securityGroupRuleItem struct {
	SecurityGroupRuleID  string               `xml:"securityGroupRuleId"`
	GroupID              string               `xml:"groupId"`
	GroupOwnerID         string               `xml:"groupOwnerId"`
	IsEgress             bool                 `xml:"isEgress"`
	IPProtocol           string               `xml:"ipProtocol"`
	FromPort             int                  `xml:"fromPort"`
	ToPort               int                  `xml:"toPort"`
	CidrIpv4             string               `xml:"cidrIpv4,omitempty"`
	CidrIpv6             string               `xml:"cidrIpv6,omitempty"`
	PrefixListID         string               `xml:"prefixListId,omitempty"`
	ReferencedGroupInfo  *referencedGroupItem `xml:"referencedGroupInfo,omitempty"`
	Description          string               `xml:"description,omitempty"`
	SecurityGroupRuleArn string               `xml:"securityGroupRuleArn"`
	TagSet               []tagItem            `xml:"tagSet>item"`
}

func securityGroupRuleWire(g *SecurityGroup, r SecurityGroupRule) securityGroupRuleItem {
	item := securityGroupRuleItem{SecurityGroupRuleID: r.ID, GroupID: g.ID, GroupOwnerID: g.OwnerID, IsEgress: r.Egress,
		IPProtocol: r.Protocol, FromPort: r.FromPort, ToPort: r.ToPort, CidrIpv4: r.CidrIPv4, CidrIpv6: r.CidrIPv6,
		PrefixListID: r.PrefixListID, Description: r.Description, TagSet: tagSet(r.Tags),
		SecurityGroupRuleArn: securityGroupRuleARN(g, r.ID)}
	if r.ReferencedGroupID != "" {
		item.ReferencedGroupInfo = &referencedGroupItem{GroupID: r.ReferencedGroupID, UserID: r.ReferencedUserID}
	}
	return item
}

// securityGroupRuleARN builds a rule's ARN in the group's region.
func securityGroupRuleARN(g *SecurityGroup, ruleID string) string {
	return g.ARN[:len(g.ARN)-len("security-group/"+g.ID)] + "security-group-rule/" + ruleID
}

type createSecurityGroupInput struct {
	GroupName         string         `query:"GroupName"`
	GroupDescription  string         `query:"GroupDescription"`
	VpcID             string         `query:"VpcId"`
	TagSpecifications []tagSpecParam `query:"TagSpecification"`
	DryRun            bool           `query:"DryRun"`
}

type createSecurityGroupOutput struct {
	GroupID          string    `xml:"groupId"`
	SecurityGroupArn string    `xml:"securityGroupArn"`
	TagSet           []tagItem `xml:"tagSet>item,omitempty"`
}

func (b *Backend) handleCreateSecurityGroup(ctx context.Context, in *createSecurityGroupInput) (*createSecurityGroupOutput, error) {
	tags, err := tagsFor(in.TagSpecifications, "security-group")
	if err != nil {
		return nil, err
	}
	group, err := b.createSecurityGroup(ctx, createSecurityGroupRequest{Name: in.GroupName, Description: in.GroupDescription,
		VpcID: in.VpcID, Tags: tags}, in.DryRun)
	if err != nil {
		return nil, err
	}
	return &createSecurityGroupOutput{GroupID: group.ID, SecurityGroupArn: group.ARN, TagSet: tagSet(group.Tags)}, nil
}

type describeSecurityGroupsInput struct {
	GroupIDs   []string      `query:"GroupId"`
	GroupNames []string      `query:"GroupName"`
	Filters    []filterParam `query:"Filter"`
	MaxResults *int32        `query:"MaxResults"`
	NextToken  *string       `query:"NextToken"`
	DryRun     bool          `query:"DryRun"`
}

type describeSecurityGroupsOutput struct {
	SecurityGroups []securityGroupItem `xml:"securityGroupInfo>item"`
	NextToken      string              `xml:"nextToken,omitempty"`
}

func (b *Backend) handleDescribeSecurityGroups(ctx context.Context, in *describeSecurityGroupsInput) (*describeSecurityGroupsOutput, error) {
	out := &describeSecurityGroupsOutput{SecurityGroups: []securityGroupItem{}}
	err := b.view(ctx, in.DryRun, func(tx *store.Tx) error {
		all, err := store.List[SecurityGroup](tx, tableSecurityGroups)
		if err != nil {
			return err
		}
		selected, err := selectByID(kindSecurityGroup, all, func(g *SecurityGroup) string { return g.ID }, in.GroupIDs)
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
		selected, err = filterItems(selected, in.Filters, func(g *SecurityGroup) map[string]string { return g.Tags },
			func(g *SecurityGroup) fieldValues { return g.filterValues })
		if err != nil {
			return err
		}
		page, next, err := paginate(selected, func(g *SecurityGroup) string { return g.ID }, in.MaxResults, in.NextToken, 5)
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

type describeSecurityGroupRulesInput struct {
	SecurityGroupRuleIDs []string      `query:"SecurityGroupRuleId"`
	Filters              []filterParam `query:"Filter"`
	MaxResults           *int32        `query:"MaxResults"`
	NextToken            *string       `query:"NextToken"`
	DryRun               bool          `query:"DryRun"`
}

type describeSecurityGroupRulesOutput struct {
	SecurityGroupRules []securityGroupRuleItem `xml:"securityGroupRuleSet>item"`
	NextToken          string                  `xml:"nextToken,omitempty"`
}

// ruleOfGroup pairs a rule with its group for listing.
type ruleOfGroup struct {
	group *SecurityGroup
	rule  SecurityGroupRule
}

func (b *Backend) handleDescribeSecurityGroupRules(ctx context.Context, in *describeSecurityGroupRulesInput) (*describeSecurityGroupRulesOutput, error) {
	out := &describeSecurityGroupRulesOutput{SecurityGroupRules: []securityGroupRuleItem{}}
	err := b.view(ctx, in.DryRun, func(tx *store.Tx) error {
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
		selected, err := selectByID(kindSecurityGroupRule, all, func(r *ruleOfGroup) string { return r.rule.ID }, in.SecurityGroupRuleIDs)
		if err != nil {
			return err
		}
		selected, err = filterItems(selected, in.Filters, func(r *ruleOfGroup) map[string]string { return r.rule.Tags },
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
		page, next, err := paginate(selected, func(r *ruleOfGroup) string { return r.rule.ID }, in.MaxResults, in.NextToken, 5)
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

type authorizeOutput struct {
	Return             bool                    `xml:"return"`
	SecurityGroupRules []securityGroupRuleItem `xml:"securityGroupRuleSet>item"`
}

func (b *Backend) authorizeHandler(ctx context.Context, in *ruleChangeInput, egress bool) (*authorizeOutput, error) {
	ref, err := in.group()
	if err != nil {
		return nil, err
	}
	if egress && in.GroupID == "" {
		return nil, missingParameter("GroupId")
	}
	permissions, err := in.permissions()
	if err != nil {
		return nil, err
	}
	tags, err := tagsFor(in.TagSpecifications, "security-group-rule")
	if err != nil {
		return nil, err
	}
	rules, group, err := b.authorize(ctx, ref, egress, permissions, tags, in.DryRun)
	if err != nil {
		return nil, err
	}
	out := &authorizeOutput{Return: true, SecurityGroupRules: []securityGroupRuleItem{}}
	for _, r := range rules {
		out.SecurityGroupRules = append(out.SecurityGroupRules, securityGroupRuleWire(group, r))
	}
	return out, nil
}

func (b *Backend) handleAuthorizeSecurityGroupIngress(ctx context.Context, in *ruleChangeInput) (*authorizeOutput, error) {
	return b.authorizeHandler(ctx, in, false)
}

func (b *Backend) handleAuthorizeSecurityGroupEgress(ctx context.Context, in *ruleChangeInput) (*authorizeOutput, error) {
	return b.authorizeHandler(ctx, in, true)
}

type revokeOutput struct {
	Return                 bool               `xml:"return"`
	UnknownIPPermissionSet []ipPermissionItem `xml:"unknownIpPermissionSet>item"`
}

func (b *Backend) revokeHandler(ctx context.Context, in *ruleChangeInput, egress bool) (*revokeOutput, error) {
	ref, err := in.group()
	if err != nil {
		return nil, err
	}
	var permissions []Permission
	if len(in.SecurityGroupRuleIDs) == 0 {
		if permissions, err = in.permissions(); err != nil {
			return nil, err
		}
	}
	if err := b.revoke(ctx, ref, egress, permissions, in.SecurityGroupRuleIDs, in.DryRun); err != nil {
		return nil, err
	}
	return &revokeOutput{Return: true, UnknownIPPermissionSet: []ipPermissionItem{}}, nil
}

func (b *Backend) handleRevokeSecurityGroupIngress(ctx context.Context, in *ruleChangeInput) (*revokeOutput, error) {
	return b.revokeHandler(ctx, in, false)
}

func (b *Backend) handleRevokeSecurityGroupEgress(ctx context.Context, in *ruleChangeInput) (*revokeOutput, error) {
	return b.revokeHandler(ctx, in, true)
}

type deleteSecurityGroupInput struct {
	GroupID   string `query:"GroupId"`
	GroupName string `query:"GroupName"`
	DryRun    bool   `query:"DryRun"`
}

type deleteSecurityGroupOutput struct {
	Return  bool   `xml:"return"`
	GroupID string `xml:"groupId"`
}

func (b *Backend) handleDeleteSecurityGroup(ctx context.Context, in *deleteSecurityGroupInput) (*deleteSecurityGroupOutput, error) {
	if in.GroupID == "" && in.GroupName == "" {
		return nil, missingParameter("GroupId")
	}
	id, err := b.deleteSecurityGroup(ctx, groupRef{ID: in.GroupID, Name: in.GroupName}, in.DryRun)
	if err != nil {
		return nil, err
	}
	return &deleteSecurityGroupOutput{Return: true, GroupID: id}, nil
}

type securityGroupRuleRequestParam struct {
	IPProtocol        string `query:"IpProtocol"`
	FromPort          *int   `query:"FromPort"`
	ToPort            *int   `query:"ToPort"`
	CidrIpv4          string `query:"CidrIpv4"`
	CidrIpv6          string `query:"CidrIpv6"`
	PrefixListID      string `query:"PrefixListId"`
	ReferencedGroupID string `query:"ReferencedGroupId"`
	Description       string `query:"Description"`
}

type securityGroupRuleUpdateParam struct {
	SecurityGroupRuleID string                         `query:"SecurityGroupRuleId"`
	SecurityGroupRule   *securityGroupRuleRequestParam `query:"SecurityGroupRule"`
}

type modifySecurityGroupRulesInput struct {
	GroupID            string                         `query:"GroupId"`
	SecurityGroupRules []securityGroupRuleUpdateParam `query:"SecurityGroupRule"`
	DryRun             bool                           `query:"DryRun"`
}

func (b *Backend) handleModifySecurityGroupRules(ctx context.Context, in *modifySecurityGroupRulesInput) (*returnOutput, error) {
	var updates []RuleUpdate
	for _, r := range in.SecurityGroupRules {
		if r.SecurityGroupRuleID == "" {
			return nil, missingParameter("SecurityGroupRule.SecurityGroupRuleId")
		}
		if r.SecurityGroupRule == nil {
			return nil, missingParameter("SecurityGroupRule.SecurityGroupRule")
		}
		s := r.SecurityGroupRule
		updates = append(updates, RuleUpdate{RuleID: r.SecurityGroupRuleID, Protocol: s.IPProtocol, FromPort: s.FromPort, ToPort: s.ToPort,
			CidrIPv4: s.CidrIpv4, CidrIPv6: s.CidrIpv6, PrefixListID: s.PrefixListID, ReferencedGroupID: s.ReferencedGroupID, Description: s.Description})
	}
	if err := b.modifySecurityGroupRules(ctx, in.GroupID, updates, in.DryRun); err != nil {
		return nil, err
	}
	return returnTrue, nil
}
