package awsres

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/berthdev/berth/internal/engine"
)

// SecurityGroup is a group without rules of its own: rules are separate
// SecurityGroupRule resources because the ALB and service groups reference
// each other, which would otherwise be a dependency cycle.
type SecurityGroup struct {
	Meta
	Name        string
	Description string
	VPC         engine.Ref
	// RevokeDefaultEgress removes the allow-all egress rule AWS adds to
	// every new group, for groups whose egress berth restricts.
	RevokeDefaultEgress bool
}

type securityGroupState struct {
	id, name, vpcID string
	defaultEgress   bool
}

func (r *SecurityGroup) Observe(ctx context.Context, c *engine.Clients, _ *engine.Inputs) (*engine.Observed, error) {
	out, err := c.EC2.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{Filters: r.ec2Filters()})
	if err != nil {
		return nil, fmt.Errorf("describe security groups: %w", err)
	}
	if len(out.SecurityGroups) == 0 {
		return nil, nil
	}
	group := out.SecurityGroups[0]
	state := &securityGroupState{id: aws.ToString(group.GroupId), name: aws.ToString(group.GroupName), vpcID: aws.ToString(group.VpcId)}
	for _, p := range group.IpPermissionsEgress {
		if isAllowAll(p) {
			state.defaultEgress = true
		}
	}
	return &engine.Observed{Outputs: engine.Outputs{"id": state.id}, State: state}, nil
}

func isAllowAll(p ec2types.IpPermission) bool {
	if aws.ToString(p.IpProtocol) != "-1" {
		return false
	}
	for _, ipRange := range p.IpRanges {
		if aws.ToString(ipRange.CidrIp) == anywhereIPv4 {
			return true
		}
	}
	return false
}

func (r *SecurityGroup) egressShown(allowAll bool) string {
	if allowAll {
		return "all traffic"
	}
	return "only berth rules"
}

func (r *SecurityGroup) Diff(in *engine.Inputs, actual *engine.Observed) ([]engine.FieldChange, engine.Action) {
	changes := engine.NewChanges(actual)
	state := &securityGroupState{defaultEgress: true}
	if actual != nil {
		state = actual.State.(*securityGroupState)
	}
	changes.ForceNew("name", state.name, r.Name)
	changes.ForceNew("vpc_id", state.vpcID, in.Show(r.VPC))
	if r.RevokeDefaultEgress {
		changes.Field("egress", r.egressShown(state.defaultEgress), r.egressShown(false))
	}
	return changes.Result()
}

func (r *SecurityGroup) Apply(ctx context.Context, c *engine.Clients, in *engine.Inputs, actual *engine.Observed) (engine.Outputs, error) {
	state := &securityGroupState{defaultEgress: true}
	if actual == nil {
		vpcID, err := in.Get(r.VPC)
		if err != nil {
			return nil, err
		}
		out, err := c.EC2.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{
			GroupName: aws.String(r.Name), Description: aws.String(r.Description), VpcId: aws.String(vpcID),
			TagSpecifications: r.ec2TagSpec(ec2types.ResourceTypeSecurityGroup, r.Name),
		})
		if err != nil {
			return nil, fmt.Errorf("create security group: %w", err)
		}
		state.id = aws.ToString(out.GroupId)
	} else {
		state = actual.State.(*securityGroupState)
	}
	if r.RevokeDefaultEgress && state.defaultEgress {
		_, err := c.EC2.RevokeSecurityGroupEgress(ctx, &ec2.RevokeSecurityGroupEgressInput{
			GroupId: aws.String(state.id),
			IpPermissions: []ec2types.IpPermission{{
				IpProtocol: aws.String("-1"), IpRanges: []ec2types.IpRange{{CidrIp: aws.String(anywhereIPv4)}},
			}},
		})
		if err != nil && !hasCode(err, "InvalidPermission.NotFound") {
			return nil, fmt.Errorf("revoke default egress: %w", err)
		}
	}
	return engine.Outputs{"id": state.id}, nil
}

func (r *SecurityGroup) Delete(ctx context.Context, c *engine.Clients, actual *engine.Observed) error {
	return DeleteSecurityGroup(ctx, c, actual.State.(*securityGroupState).id)
}
