package awsres

import (
	"context"
	"fmt"

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
// either a CIDR block or another security group.
type SecurityGroupRule struct {
	Meta
	Group     engine.Ref
	Direction string
	Port      int
	// Exactly one of CIDR, CIDRFrom (a looked-up VPC's "cidr") and Peer
	// is set.
	CIDR     string
	CIDRFrom *engine.Ref
	Peer     *engine.Ref
}

type securityGroupRuleState struct {
	groupID, peer string
}

func (r *SecurityGroupRule) permission(peer string) ec2types.IpPermission {
	p := ec2types.IpPermission{
		IpProtocol: aws.String("tcp"), FromPort: aws.Int32(int32(r.Port)), ToPort: aws.Int32(int32(r.Port)),
	}
	if r.Peer != nil {
		p.UserIdGroupPairs = []ec2types.UserIdGroupPair{{GroupId: aws.String(peer)}}
	} else {
		p.IpRanges = []ec2types.IpRange{{CidrIp: aws.String(peer), Description: aws.String(string(r.Address))}}
	}
	return p
}

func (r *SecurityGroupRule) peer(in *engine.Inputs) string {
	if r.Peer != nil {
		return in.Show(*r.Peer)
	}
	if r.CIDRFrom != nil {
		return in.Show(*r.CIDRFrom)
	}
	return r.CIDR
}

func (r *SecurityGroupRule) matches(p ec2types.IpPermission, peer string) bool {
	if aws.ToString(p.IpProtocol) != "tcp" || aws.ToInt32(p.FromPort) != int32(r.Port) || aws.ToInt32(p.ToPort) != int32(r.Port) {
		return false
	}
	if r.Peer != nil {
		for _, pair := range p.UserIdGroupPairs {
			if aws.ToString(pair.GroupId) == peer {
				return true
			}
		}
		return false
	}
	for _, ipRange := range p.IpRanges {
		if aws.ToString(ipRange.CidrIp) == peer {
			return true
		}
	}
	return false
}

// Observe looks the rule up in its group: a rule is identified by what it
// allows, so there is nothing else to find it by.
func (r *SecurityGroupRule) Observe(ctx context.Context, c *engine.Clients, in *engine.Inputs) (*engine.Observed, error) {
	groupID, ok := in.Lookup(r.Group)
	if !ok {
		return nil, nil
	}
	peer := r.peer(in)
	out, err := c.EC2.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{GroupIds: []string{groupID}})
	if hasCode(err, "InvalidGroup.NotFound") {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("describe security group %s: %w", groupID, err)
	}
	for _, group := range out.SecurityGroups {
		permissions := group.IpPermissions
		if r.Direction == Egress {
			permissions = group.IpPermissionsEgress
		}
		for _, p := range permissions {
			if r.matches(p, peer) {
				return &engine.Observed{Outputs: engine.Outputs{}, State: &securityGroupRuleState{groupID: groupID, peer: peer}}, nil
			}
		}
	}
	return nil, nil
}

func (r *SecurityGroupRule) Diff(in *engine.Inputs, actual *engine.Observed) ([]engine.FieldChange, engine.Action) {
	// A rule that exists allows exactly what is wanted: Observe matched it
	// on every field.
	if actual != nil {
		return nil, engine.NoOp
	}
	changes := engine.NewChanges(actual)
	changes.Field("security_group", "", in.Show(r.Group))
	changes.Field("direction", "", r.Direction)
	changes.Field("port", "", fmt.Sprint(r.Port))
	changes.Field("peer", "", r.peer(in))
	return changes.Result()
}

func (r *SecurityGroupRule) Apply(ctx context.Context, c *engine.Clients, in *engine.Inputs, actual *engine.Observed) (engine.Outputs, error) {
	if actual != nil {
		return engine.Outputs{}, nil
	}
	groupID, err := in.Get(r.Group)
	if err != nil {
		return nil, err
	}
	peer := r.CIDR
	for _, ref := range []*engine.Ref{r.Peer, r.CIDRFrom} {
		if ref != nil {
			if peer, err = in.Get(*ref); err != nil {
				return nil, err
			}
		}
	}
	permissions := []ec2types.IpPermission{r.permission(peer)}
	tags := r.ec2TagSpec(ec2types.ResourceTypeSecurityGroupRule, r.ec2Name())
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
		return nil, fmt.Errorf("authorize %s: %w", r.Direction, err)
	}
	return engine.Outputs{}, nil
}

func (r *SecurityGroupRule) Delete(ctx context.Context, c *engine.Clients, actual *engine.Observed) error {
	state := actual.State.(*securityGroupRuleState)
	permissions := []ec2types.IpPermission{r.permission(state.peer)}
	var err error
	if r.Direction == Egress {
		_, err = c.EC2.RevokeSecurityGroupEgress(ctx, &ec2.RevokeSecurityGroupEgressInput{GroupId: aws.String(state.groupID), IpPermissions: permissions})
	} else {
		_, err = c.EC2.RevokeSecurityGroupIngress(ctx, &ec2.RevokeSecurityGroupIngressInput{GroupId: aws.String(state.groupID), IpPermissions: permissions})
	}
	if err != nil && !hasCode(err, "InvalidPermission.NotFound", "InvalidGroup.NotFound") {
		return fmt.Errorf("revoke %s: %w", r.Direction, err)
	}
	return nil
}
