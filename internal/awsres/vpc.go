package awsres

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/berthdev/berth/internal/engine"
)

// VPC is the stack's own network.
type VPC struct {
	Meta
	CIDR string
}

type vpcState struct {
	id, cidr     string
	dnsHostnames bool
}

func (r *VPC) Observe(ctx context.Context, c *engine.Clients, _ *engine.Inputs) (*engine.Observed, error) {
	vpcs, err := r.tagged(ctx, c)
	if err != nil || len(vpcs) == 0 {
		return nil, err
	}
	vpc := vpcs[0]
	attr, err := c.EC2.DescribeVpcAttribute(ctx, &ec2.DescribeVpcAttributeInput{
		VpcId: vpc.VpcId, Attribute: ec2types.VpcAttributeNameEnableDnsHostnames,
	})
	if err != nil {
		return nil, fmt.Errorf("describe vpc attribute: %w", err)
	}
	state := &vpcState{id: aws.ToString(vpc.VpcId), cidr: aws.ToString(vpc.CidrBlock)}
	if attr.EnableDnsHostnames != nil {
		state.dnsHostnames = aws.ToBool(attr.EnableDnsHostnames.Value)
	}
	return &engine.Observed{Outputs: engine.Outputs{"id": state.id}, State: state}, nil
}

// tagged reads the VPCs tagged as this resource: one, unless a retried
// create made a second.
func (r *VPC) tagged(ctx context.Context, c *engine.Clients) ([]ec2types.Vpc, error) {
	out, err := c.EC2.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{Filters: r.ec2Filters()})
	if err != nil {
		return nil, fmt.Errorf("describe vpcs: %w", err)
	}
	return out.Vpcs, nil
}

func (r *VPC) Diff(_ *engine.Inputs, actual *engine.Observed) ([]engine.FieldChange, engine.Action) {
	changes := engine.NewChanges(actual)
	state := &vpcState{}
	if actual != nil {
		state = actual.State.(*vpcState)
	}
	changes.ForceNew("cidr_block", state.cidr, r.CIDR)
	// ALB and instance DNS names only resolve with hostnames on.
	changes.Field("enable_dns_hostnames", boolString(state.dnsHostnames), "true")
	return changes.Result()
}

func (r *VPC) Apply(ctx context.Context, c *engine.Clients, _ *engine.Inputs, actual *engine.Observed) (engine.Outputs, error) {
	var id string
	if actual == nil {
		out, err := c.EC2.CreateVpc(ctx, &ec2.CreateVpcInput{
			CidrBlock:         aws.String(r.CIDR),
			TagSpecifications: r.ec2TagSpec(ec2types.ResourceTypeVpc, r.Stack),
		})
		if err != nil {
			return nil, fmt.Errorf("create vpc: %w", err)
		}
		id = aws.ToString(out.Vpc.VpcId)
		if err := dropDuplicates(ctx, c, id, r.tagged, func(o ec2types.Vpc) *string { return o.VpcId }, DeleteVPC); err != nil {
			return nil, err
		}
	} else {
		id = actual.State.(*vpcState).id
	}
	if actual == nil || !actual.State.(*vpcState).dnsHostnames {
		_, err := c.EC2.ModifyVpcAttribute(ctx, &ec2.ModifyVpcAttributeInput{
			VpcId: aws.String(id), EnableDnsHostnames: &ec2types.AttributeBooleanValue{Value: aws.Bool(true)},
		})
		if err != nil {
			return nil, fmt.Errorf("enable dns hostnames: %w", err)
		}
	}
	return engine.Outputs{"id": id}, nil
}

func (r *VPC) Delete(ctx context.Context, c *engine.Clients, actual *engine.Observed) error {
	return DeleteVPC(ctx, c, actual.State.(*vpcState).id)
}

// isDependencyViolation matches EC2's answer while something still uses the
// object (ENIs of a deleted load balancer or terminated instance linger).
func isDependencyViolation(err error) bool {
	return hasCode(err, "DependencyViolation")
}
