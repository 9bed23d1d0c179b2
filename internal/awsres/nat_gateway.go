package awsres

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/berthdev/berth/internal/engine"
)

// NATGateway is a public NAT gateway in a public subnet, holding an Elastic
// IP, through which the private subnets reach ECR, CloudWatch Logs and the
// ECS endpoints.
type NATGateway struct {
	Meta
	Subnet     engine.Ref // the public subnet's "id"
	Allocation engine.Ref // the Elastic IP's "allocation_id"
}

type natGatewayState struct {
	id, subnet, allocation, state string
}

// natTimeout bounds a NAT gateway's creation and deletion, which take one to
// a few minutes on AWS.
const natTimeout = 10 * time.Minute

func (r *NATGateway) find(ctx context.Context, c *engine.Clients) (*ec2types.NatGateway, error) {
	out, err := c.EC2.DescribeNatGateways(ctx, &ec2.DescribeNatGatewaysInput{Filter: append(r.ec2Filters(),
		ec2types.Filter{Name: aws.String("state"), Values: []string{"pending", "available", "deleting"}})})
	if err != nil {
		return nil, fmt.Errorf("describe nat gateways: %w", err)
	}
	for i, g := range out.NatGateways {
		// A deleting gateway is on its way out; it cannot be used again.
		if g.State != ec2types.NatGatewayStateDeleting && r.taggedAs(g.Tags) {
			return &out.NatGateways[i], nil
		}
	}
	return nil, nil
}

func (r *NATGateway) Observe(ctx context.Context, c *engine.Clients, _ *engine.Inputs) (*engine.Observed, error) {
	g, err := r.find(ctx, c)
	if err != nil || g == nil {
		return nil, err
	}
	state := &natGatewayState{id: aws.ToString(g.NatGatewayId), subnet: aws.ToString(g.SubnetId), state: string(g.State)}
	for _, a := range g.NatGatewayAddresses {
		state.allocation = aws.ToString(a.AllocationId)
	}
	return &engine.Observed{Outputs: engine.Outputs{"id": state.id}, State: state}, nil
}

func (r *NATGateway) Diff(in *engine.Inputs, actual *engine.Observed) ([]engine.FieldChange, engine.Action) {
	changes := engine.NewChanges(actual)
	state := &natGatewayState{}
	if actual != nil {
		state = actual.State.(*natGatewayState)
	}
	changes.ForceNew("subnet_id", state.subnet, in.Show(r.Subnet))
	changes.ForceNew("allocation_id", state.allocation, in.Show(r.Allocation))
	return changes.Result()
}

func (r *NATGateway) Apply(ctx context.Context, c *engine.Clients, in *engine.Inputs, actual *engine.Observed) (engine.Outputs, error) {
	if actual != nil {
		return actual.Outputs, nil
	}
	refs, err := in.Resolve(r.Subnet, r.Allocation)
	if err != nil {
		return nil, err
	}
	out, err := c.EC2.CreateNatGateway(ctx, &ec2.CreateNatGatewayInput{
		SubnetId: aws.String(refs[0]), AllocationId: aws.String(refs[1]), ConnectivityType: ec2types.ConnectivityTypePublic,
		// The client token makes a retried create return the same gateway.
		ClientToken:       aws.String(r.Stack + "-" + string(r.Address)),
		TagSpecifications: r.ec2TagSpec(ec2types.ResourceTypeNatgateway, r.ec2Name()),
	})
	if err != nil {
		return nil, fmt.Errorf("create nat gateway: %w", err)
	}
	id := aws.ToString(out.NatGateway.NatGatewayId)
	// Routes to a pending gateway are accepted, but traffic only flows once
	// it is available, which instances booting behind it need.
	err = waitUntil(ctx, natTimeout, "nat gateway "+id+" to be available", func() (bool, string, error) {
		out, err := c.EC2.DescribeNatGateways(ctx, &ec2.DescribeNatGatewaysInput{NatGatewayIds: []string{id}})
		if err != nil {
			return false, "", err
		}
		if len(out.NatGateways) == 0 {
			return false, "not listed yet", nil
		}
		switch g := out.NatGateways[0]; g.State {
		case ec2types.NatGatewayStateAvailable:
			return true, "", nil
		case ec2types.NatGatewayStateFailed:
			return false, "", fmt.Errorf("nat gateway %s failed: %s", id, aws.ToString(g.FailureMessage))
		default:
			return false, string(g.State), nil
		}
	})
	if err != nil {
		return nil, err
	}
	return engine.Outputs{"id": id}, nil
}

// Delete returns once the gateway is deleted, because its Elastic IP, its
// subnet and the internet gateway cannot go before.
func (r *NATGateway) Delete(ctx context.Context, c *engine.Clients, actual *engine.Observed) error {
	return DeleteNATGateway(ctx, c, actual.State.(*natGatewayState).id)
}
