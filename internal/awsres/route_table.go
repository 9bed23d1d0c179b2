package awsres

import (
	"cmp"
	"context"
	"fmt"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/berthdev/berth/internal/engine"
)

const anywhereIPv4 = "0.0.0.0/0"

// RouteTable sends 0.0.0.0/0 to a gateway — the internet gateway for the
// public subnets, a NAT gateway for a private one — and is associated with
// the subnets; the route and associations live here because they have no
// identity of their own worth tagging.
type RouteTable struct {
	Meta
	VPC engine.Ref
	// Gateway is the internet gateway's "id", or the NAT gateway's when NAT.
	Gateway engine.Ref
	NAT     bool
	Subnets []engine.Ref
}

type routeTableState struct {
	id, vpcID, defaultGateway string
	// associations maps subnet id to association id.
	associations map[string]string
}

func (r *RouteTable) Observe(ctx context.Context, c *engine.Clients, _ *engine.Inputs) (*engine.Observed, error) {
	out, err := c.EC2.DescribeRouteTables(ctx, &ec2.DescribeRouteTablesInput{Filters: r.ec2Filters()})
	if err != nil {
		return nil, fmt.Errorf("describe route tables: %w", err)
	}
	if len(out.RouteTables) == 0 {
		return nil, nil
	}
	rt := out.RouteTables[0]
	state := &routeTableState{id: aws.ToString(rt.RouteTableId), vpcID: aws.ToString(rt.VpcId), associations: map[string]string{}}
	for _, route := range rt.Routes {
		if aws.ToString(route.DestinationCidrBlock) == anywhereIPv4 {
			state.defaultGateway = cmp.Or(aws.ToString(route.NatGatewayId), aws.ToString(route.GatewayId))
		}
	}
	for _, a := range rt.Associations {
		if a.SubnetId != nil && !aws.ToBool(a.Main) {
			state.associations[aws.ToString(a.SubnetId)] = aws.ToString(a.RouteTableAssociationId)
		}
	}
	return &engine.Observed{Outputs: engine.Outputs{"id": state.id}, State: state}, nil
}

func (s *routeTableState) subnets() []string {
	ids := make([]string, 0, len(s.associations))
	for id := range s.associations {
		ids = append(ids, id)
	}
	return ids
}

func (r *RouteTable) Diff(in *engine.Inputs, actual *engine.Observed) ([]engine.FieldChange, engine.Action) {
	changes := engine.NewChanges(actual)
	state := &routeTableState{}
	if actual != nil {
		state = actual.State.(*routeTableState)
	}
	changes.ForceNew("vpc_id", state.vpcID, in.Show(r.VPC))
	changes.Field("route "+anywhereIPv4, state.defaultGateway, in.Show(r.Gateway))
	changes.Field("subnets", sortedJoin(state.subnets()), sortedJoin(showAll(in, r.Subnets)))
	return changes.Result()
}

func (r *RouteTable) Apply(ctx context.Context, c *engine.Clients, in *engine.Inputs, actual *engine.Observed) (engine.Outputs, error) {
	refs, err := in.Resolve(append([]engine.Ref{r.VPC, r.Gateway}, r.Subnets...)...)
	if err != nil {
		return nil, err
	}
	vpcID, gatewayID, subnetIDs := refs[0], refs[1], refs[2:]
	state := &routeTableState{associations: map[string]string{}}
	if actual == nil {
		out, err := c.EC2.CreateRouteTable(ctx, &ec2.CreateRouteTableInput{
			VpcId:             aws.String(vpcID),
			TagSpecifications: r.ec2TagSpec(ec2types.ResourceTypeRouteTable, r.ec2Name()),
		})
		if err != nil {
			return nil, fmt.Errorf("create route table: %w", err)
		}
		state.id = aws.ToString(out.RouteTable.RouteTableId)
	} else {
		state = actual.State.(*routeTableState)
	}

	var gateway, nat *string
	if r.NAT {
		nat = aws.String(gatewayID)
	} else {
		gateway = aws.String(gatewayID)
	}
	switch state.defaultGateway {
	case gatewayID:
	case "":
		_, err := c.EC2.CreateRoute(ctx, &ec2.CreateRouteInput{
			RouteTableId: aws.String(state.id), DestinationCidrBlock: aws.String(anywhereIPv4), GatewayId: gateway, NatGatewayId: nat,
		})
		if err != nil {
			return nil, fmt.Errorf("create default route: %w", err)
		}
	default:
		_, err := c.EC2.ReplaceRoute(ctx, &ec2.ReplaceRouteInput{
			RouteTableId: aws.String(state.id), DestinationCidrBlock: aws.String(anywhereIPv4), GatewayId: gateway, NatGatewayId: nat,
		})
		if err != nil {
			return nil, fmt.Errorf("replace default route: %w", err)
		}
	}

	for subnetID, associationID := range state.associations {
		if slices.Contains(subnetIDs, subnetID) {
			continue
		}
		if _, err := c.EC2.DisassociateRouteTable(ctx, &ec2.DisassociateRouteTableInput{AssociationId: aws.String(associationID)}); err != nil {
			return nil, fmt.Errorf("disassociate subnet %s: %w", subnetID, err)
		}
	}
	for _, subnetID := range subnetIDs {
		if _, ok := state.associations[subnetID]; ok {
			continue
		}
		_, err := c.EC2.AssociateRouteTable(ctx, &ec2.AssociateRouteTableInput{
			RouteTableId: aws.String(state.id), SubnetId: aws.String(subnetID),
		})
		if err != nil {
			return nil, fmt.Errorf("associate subnet %s: %w", subnetID, err)
		}
	}
	return engine.Outputs{"id": state.id}, nil
}

func (r *RouteTable) Delete(ctx context.Context, c *engine.Clients, actual *engine.Observed) error {
	return DeleteRouteTable(ctx, c, actual.State.(*routeTableState).id)
}
