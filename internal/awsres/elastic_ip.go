package awsres

import (
	"context"
	"fmt"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/berthdev/berth/internal/engine"
)

// ElasticIP is a VPC address allocated for a NAT gateway. It has nothing to
// compare: it exists or not.
type ElasticIP struct {
	Meta
}

type elasticIPState struct {
	allocationID, publicIP, associationID string
}

func (r *ElasticIP) Observe(ctx context.Context, c *engine.Clients, _ *engine.Inputs) (*engine.Observed, error) {
	addresses, err := r.tagged(ctx, c)
	if err != nil || len(addresses) == 0 {
		return nil, err
	}
	a := addresses[0]
	state := &elasticIPState{
		allocationID: aws.ToString(a.AllocationId), publicIP: aws.ToString(a.PublicIp), associationID: aws.ToString(a.AssociationId),
	}
	return &engine.Observed{Outputs: state.outputs(), State: state}, nil
}

// tagged reads the addresses tagged as this resource: one, unless a
// retried allocation made a second.
func (r *ElasticIP) tagged(ctx context.Context, c *engine.Clients) ([]ec2types.Address, error) {
	out, err := c.EC2.DescribeAddresses(ctx, &ec2.DescribeAddressesInput{Filters: r.ec2Filters()})
	if err != nil {
		return nil, fmt.Errorf("describe addresses: %w", err)
	}
	return slices.DeleteFunc(out.Addresses, func(a ec2types.Address) bool { return !r.taggedAs(a.Tags) }), nil
}

func (s *elasticIPState) outputs() engine.Outputs {
	return engine.Outputs{"allocation_id": s.allocationID, "public_ip": s.publicIP}
}

func (r *ElasticIP) Diff(_ *engine.Inputs, actual *engine.Observed) ([]engine.FieldChange, engine.Action) {
	changes := engine.NewChanges(actual)
	changes.ForceNew("domain", "vpc", "vpc")
	return changes.Result()
}

func (r *ElasticIP) Apply(ctx context.Context, c *engine.Clients, _ *engine.Inputs, actual *engine.Observed) (engine.Outputs, error) {
	if actual != nil {
		return actual.Outputs, nil
	}
	out, err := c.EC2.AllocateAddress(ctx, &ec2.AllocateAddressInput{
		Domain: ec2types.DomainTypeVpc, TagSpecifications: r.ec2TagSpec(ec2types.ResourceTypeElasticIp, r.ec2Name()),
	})
	if err != nil {
		return nil, fmt.Errorf("allocate address: %w", err)
	}
	state := &elasticIPState{allocationID: aws.ToString(out.AllocationId), publicIP: aws.ToString(out.PublicIp)}
	if err := dropDuplicates(ctx, c, state.allocationID, r.tagged, func(o ec2types.Address) *string { return o.AllocationId }, ReleaseAddress); err != nil {
		return nil, err
	}
	return state.outputs(), nil
}

// Delete releases the address; AWS refuses while the NAT gateway that held
// it is still being deleted (AuthFailure or InvalidIPAddress.InUse).
func (r *ElasticIP) Delete(ctx context.Context, c *engine.Clients, actual *engine.Observed) error {
	return ReleaseAddress(ctx, c, actual.State.(*elasticIPState).allocationID)
}
