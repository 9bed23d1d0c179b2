package awsres

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/berthdev/berth/internal/engine"
)

// InternetGateway is the VPC's route to the internet, attached to it; the
// attachment is part of this resource because neither is useful alone.
type InternetGateway struct {
	Meta
	VPC engine.Ref
}

type internetGatewayState struct {
	id, attachedVPC string
}

func (r *InternetGateway) Observe(ctx context.Context, c *engine.Clients, _ *engine.Inputs) (*engine.Observed, error) {
	gateways, err := r.tagged(ctx, c)
	if err != nil || len(gateways) == 0 {
		return nil, err
	}
	igw := gateways[0]
	state := &internetGatewayState{id: aws.ToString(igw.InternetGatewayId)}
	for _, a := range igw.Attachments {
		if a.State == ec2types.AttachmentStatusAttached || a.State == "available" {
			state.attachedVPC = aws.ToString(a.VpcId)
		}
	}
	return &engine.Observed{Outputs: engine.Outputs{"id": state.id}, State: state}, nil
}

// tagged reads the gateways tagged as this resource: one, unless a retried
// create made a second.
func (r *InternetGateway) tagged(ctx context.Context, c *engine.Clients) ([]ec2types.InternetGateway, error) {
	out, err := c.EC2.DescribeInternetGateways(ctx, &ec2.DescribeInternetGatewaysInput{Filters: r.ec2Filters()})
	if err != nil {
		return nil, fmt.Errorf("describe internet gateways: %w", err)
	}
	return out.InternetGateways, nil
}

func (r *InternetGateway) Diff(in *engine.Inputs, actual *engine.Observed) ([]engine.FieldChange, engine.Action) {
	changes := engine.NewChanges(actual)
	state := &internetGatewayState{}
	if actual != nil {
		state = actual.State.(*internetGatewayState)
	}
	changes.Field("attached_vpc", state.attachedVPC, in.Show(r.VPC))
	return changes.Result()
}

func (r *InternetGateway) Apply(ctx context.Context, c *engine.Clients, in *engine.Inputs, actual *engine.Observed) (engine.Outputs, error) {
	vpcID, err := in.Get(r.VPC)
	if err != nil {
		return nil, err
	}
	state := &internetGatewayState{}
	if actual == nil {
		out, err := c.EC2.CreateInternetGateway(ctx, &ec2.CreateInternetGatewayInput{
			TagSpecifications: r.ec2TagSpec(ec2types.ResourceTypeInternetGateway, r.ec2Name()),
		})
		if err != nil {
			return nil, fmt.Errorf("create internet gateway: %w", err)
		}
		state.id = aws.ToString(out.InternetGateway.InternetGatewayId)
		if err := dropDuplicates(ctx, c, state.id, r.tagged, func(o ec2types.InternetGateway) *string { return o.InternetGatewayId }, DeleteInternetGateway); err != nil {
			return nil, err
		}
	} else {
		state = actual.State.(*internetGatewayState)
	}
	if state.attachedVPC != "" && state.attachedVPC != vpcID {
		if err := r.detach(ctx, c, state); err != nil {
			return nil, err
		}
	}
	if state.attachedVPC != vpcID {
		_, err := c.EC2.AttachInternetGateway(ctx, &ec2.AttachInternetGatewayInput{
			InternetGatewayId: aws.String(state.id), VpcId: aws.String(vpcID),
		})
		if err != nil {
			return nil, fmt.Errorf("attach internet gateway: %w", err)
		}
	}
	return engine.Outputs{"id": state.id}, nil
}

// detach waits out DependencyViolation: AWS refuses while instances or load
// balancers in the VPC still hold public addresses.
func (r *InternetGateway) detach(ctx context.Context, c *engine.Clients, state *internetGatewayState) error {
	return detachInternetGateway(ctx, c, state.id, state.attachedVPC)
}

func (r *InternetGateway) Delete(ctx context.Context, c *engine.Clients, actual *engine.Observed) error {
	return DeleteInternetGateway(ctx, c, actual.State.(*internetGatewayState).id)
}
