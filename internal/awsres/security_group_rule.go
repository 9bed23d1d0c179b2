package awsres

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/berthdev/berth/internal/engine"
)

// Rule directions.
const (
	Ingress = "ingress"
	Egress  = "egress"
)

// SecurityGroupRule allows TCP on one port, from (ingress) or to (egress)
// a set of CIDR blocks or another security group. It owns every rule of its
// group tagged with its address, so a port or a peer that berth.yaml no
// longer names is revoked, never left open.
type SecurityGroupRule struct {
	Meta
	Group     engine.Ref
	Direction string
	Port      int
	// Either Peer, or CIDRs and CIDRFrom (a looked-up VPC's "cidr").
	CIDRs    []string
	CIDRFrom *engine.Ref
	Peer     *engine.Ref
}

// allowed is one rule as EC2 holds it: a port and a CIDR or group id.
type allowed struct {
	port int
	peer string
}

type securityGroupRuleState struct {
	groupID string
	rules   []allowed
}

func (r *SecurityGroupRule) permission(a allowed) ec2types.IpPermission {
	p := ec2types.IpPermission{
		IpProtocol: aws.String("tcp"), FromPort: aws.Int32(int32(a.port)), ToPort: aws.Int32(int32(a.port)),
	}
	if r.Peer != nil {
		p.UserIdGroupPairs = []ec2types.UserIdGroupPair{{GroupId: aws.String(a.peer)}}
	} else {
		p.IpRanges = []ec2types.IpRange{{CidrIp: aws.String(a.peer), Description: aws.String(string(r.Address))}}
	}
	return p
}

// wanted lists the rules berth.yaml asks for; show renders unresolved
// references for a plan instead of failing on them.
func (r *SecurityGroupRule) wanted(resolve func(engine.Ref) string) []allowed {
	var peers []string
	if r.Peer != nil {
		peers = []string{resolve(*r.Peer)}
	} else {
		peers = append(peers, r.CIDRs...)
		if r.CIDRFrom != nil {
			peers = append(peers, resolve(*r.CIDRFrom))
		}
	}
	rules := make([]allowed, 0, len(peers))
	for _, p := range peers {
		rules = append(rules, allowed{r.Port, p})
	}
	return rules
}

// Observe finds the group's rules tagged as this resource. Rules made
// before berth tagged them are found by what they allow instead, so an
// older stack is adopted rather than duplicated.
func (r *SecurityGroupRule) Observe(ctx context.Context, c *engine.Clients, in *engine.Inputs) (*engine.Observed, error) {
	groupID, ok := in.Lookup(r.Group)
	if !ok {
		return nil, nil
	}
	filters := append(r.ec2Filters(), ec2types.Filter{Name: aws.String("group-id"), Values: []string{groupID}})
	out, err := c.EC2.DescribeSecurityGroupRules(ctx, &ec2.DescribeSecurityGroupRulesInput{Filters: filters})
	if hasCode(err, "InvalidGroup.NotFound") {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("describe rules of security group %s: %w", groupID, err)
	}
	state := &securityGroupRuleState{groupID: groupID}
	for _, rule := range out.SecurityGroupRules {
		if aws.ToBool(rule.IsEgress) != (r.Direction == Egress) || !r.taggedAs(rule.Tags) {
			continue
		}
		peer := aws.ToString(rule.CidrIpv4)
		if rule.ReferencedGroupInfo != nil {
			peer = aws.ToString(rule.ReferencedGroupInfo.GroupId)
		}
		state.rules = append(state.rules, allowed{int(aws.ToInt32(rule.FromPort)), peer})
	}
	if len(state.rules) == 0 {
		if state.rules, err = r.untagged(ctx, c, groupID, r.wanted(in.Show)); err != nil {
			return nil, err
		}
	}
	if len(state.rules) == 0 {
		return nil, nil
	}
	return &engine.Observed{Outputs: engine.Outputs{}, State: state}, nil
}

// untagged returns those of want that the group allows by content.
func (r *SecurityGroupRule) untagged(ctx context.Context, c *engine.Clients, groupID string, want []allowed) ([]allowed, error) {
	out, err := c.EC2.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{GroupIds: []string{groupID}})
	if hasCode(err, "InvalidGroup.NotFound") {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("describe security group %s: %w", groupID, err)
	}
	var found []allowed
	for _, group := range out.SecurityGroups {
		permissions := group.IpPermissions
		if r.Direction == Egress {
			permissions = group.IpPermissionsEgress
		}
		for _, p := range permissions {
			for _, w := range want {
				if allows(p, w) && !slices.Contains(found, w) {
					found = append(found, w)
				}
			}
		}
	}
	return found, nil
}

// allows reports whether permission p holds rule a.
func allows(p ec2types.IpPermission, a allowed) bool {
	if aws.ToString(p.IpProtocol) != "tcp" || aws.ToInt32(p.FromPort) != int32(a.port) || aws.ToInt32(p.ToPort) != int32(a.port) {
		return false
	}
	for _, pair := range p.UserIdGroupPairs {
		if aws.ToString(pair.GroupId) == a.peer {
			return true
		}
	}
	for _, ipRange := range p.IpRanges {
		if aws.ToString(ipRange.CidrIp) == a.peer {
			return true
		}
	}
	return false
}

func (r *SecurityGroupRule) Diff(in *engine.Inputs, actual *engine.Observed) ([]engine.FieldChange, engine.Action) {
	changes := engine.NewChanges(actual)
	state := &securityGroupRuleState{}
	if actual != nil {
		state = actual.State.(*securityGroupRuleState)
	}
	want := r.wanted(in.Show)
	if actual == nil {
		changes.Field("security_group", "", in.Show(r.Group))
		changes.Field("direction", "", r.Direction)
	}
	ports, peers := describeAllowed(state.rules)
	wantPorts, wantPeers := describeAllowed(want)
	changes.Field("port", ports, wantPorts)
	changes.Field("peer", peers, wantPeers)
	return changes.Result()
}

// describeAllowed renders rules as a plan shows them: the distinct ports
// and the peers, each sorted.
func describeAllowed(rules []allowed) (ports, peers string) {
	var portList, peerList []string
	for _, a := range rules {
		portList = append(portList, fmt.Sprint(a.port))
		peerList = append(peerList, a.peer)
	}
	slices.Sort(portList)
	slices.Sort(peerList)
	return strings.Join(slices.Compact(portList), ", "), strings.Join(slices.Compact(peerList), ", ")
}

// Apply authorizes the wanted rules the group lacks, then revokes the ones
// of this resource that are no longer wanted.
func (r *SecurityGroupRule) Apply(ctx context.Context, c *engine.Clients, in *engine.Inputs, actual *engine.Observed) (engine.Outputs, error) {
	groupID, err := in.Get(r.Group)
	if err != nil {
		return nil, err
	}
	var resolveErr error
	want := r.wanted(func(ref engine.Ref) string {
		v, err := in.Get(ref)
		if err != nil && resolveErr == nil {
			resolveErr = err
		}
		return v
	})
	if resolveErr != nil {
		return nil, resolveErr
	}
	var have []allowed
	if actual != nil {
		have = actual.State.(*securityGroupRuleState).rules
	}
	var missing, extra []ec2types.IpPermission
	for _, w := range want {
		if !slices.Contains(have, w) {
			missing = append(missing, r.permission(w))
		}
	}
	for _, h := range have {
		if !slices.Contains(want, h) {
			extra = append(extra, r.permission(h))
		}
	}
	if len(missing) > 0 {
		if err := r.authorize(ctx, c, groupID, missing); err != nil {
			return nil, err
		}
	}
	if len(extra) > 0 {
		if err := r.revoke(ctx, c, groupID, extra); err != nil {
			return nil, err
		}
	}
	return engine.Outputs{}, nil
}

func (r *SecurityGroupRule) authorize(ctx context.Context, c *engine.Clients, groupID string, permissions []ec2types.IpPermission) error {
	tags := r.ec2TagSpec(ec2types.ResourceTypeSecurityGroupRule, r.ec2Name())
	var err error
	if r.Direction == Egress {
		_, err = c.EC2.AuthorizeSecurityGroupEgress(ctx, &ec2.AuthorizeSecurityGroupEgressInput{
			GroupId: aws.String(groupID), IpPermissions: permissions, TagSpecifications: tags,
		})
	} else {
		_, err = c.EC2.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{
			GroupId: aws.String(groupID), IpPermissions: permissions, TagSpecifications: tags,
		})
	}
	if err != nil && !hasCode(err, "InvalidPermission.Duplicate") {
		return fmt.Errorf("authorize %s: %w", r.Direction, err)
	}
	return nil
}

func (r *SecurityGroupRule) revoke(ctx context.Context, c *engine.Clients, groupID string, permissions []ec2types.IpPermission) error {
	var err error
	if r.Direction == Egress {
		_, err = c.EC2.RevokeSecurityGroupEgress(ctx, &ec2.RevokeSecurityGroupEgressInput{GroupId: aws.String(groupID), IpPermissions: permissions})
	} else {
		_, err = c.EC2.RevokeSecurityGroupIngress(ctx, &ec2.RevokeSecurityGroupIngressInput{GroupId: aws.String(groupID), IpPermissions: permissions})
	}
	if err != nil && !hasCode(err, "InvalidPermission.NotFound", "InvalidGroup.NotFound") {
		return fmt.Errorf("revoke %s: %w", r.Direction, err)
	}
	return nil
}

func (r *SecurityGroupRule) Delete(ctx context.Context, c *engine.Clients, actual *engine.Observed) error {
	state := actual.State.(*securityGroupRuleState)
	permissions := make([]ec2types.IpPermission, 0, len(state.rules))
	for _, a := range state.rules {
		permissions = append(permissions, r.permission(a))
	}
	return r.revoke(ctx, c, state.groupID, permissions)
}
