package ec2

import (
	"context"
	"errors"

	"github.com/berthdev/berth/internal/localcloud/protocol"
	"github.com/berthdev/berth/internal/localcloud/store"
)

// VPCExists reports whether the VPC exists in the scope ctx carries: other
// services (ELBv2's target groups) check the VPCs they are given, as AWS's
// do.
func (b *Backend) VPCExists(ctx context.Context, id string) (bool, error) {
	var found bool
	err := b.store.View(ctx, func(tx *store.Tx) error {
		vpc, err := store.Get[Vpc](tx, tableVpcs, id)
		found = vpc != nil
		return err
	})
	return found, err
}

// DefaultSecurityGroup is the id of a VPC's default security group, ""
// when there is no such VPC (ELBv2 gives it to a load balancer created
// without groups, as AWS does).
func (b *Backend) DefaultSecurityGroup(ctx context.Context, vpcID string) (string, error) {
	var id string
	err := b.store.View(ctx, func(tx *store.Tx) error {
		vpc, err := store.Get[Vpc](tx, tableVpcs, vpcID)
		if vpc != nil {
			id = vpc.DefaultSecurityGroupID
		}
		return err
	})
	return id, err
}

// LaunchTemplateRef finds a launch template by id or name in the scope
// ctx carries and returns both; found is false when there is none (Auto
// Scaling checks the templates its groups name).
func (b *Backend) LaunchTemplateRef(ctx context.Context, id, name string) (gotID, gotName string, found bool, err error) {
	err = b.store.View(ctx, func(tx *store.Tx) error {
		t, err := findTemplate(tx, templateRef{ID: id, Name: name})
		var apiErr *protocol.Error
		if errors.As(err, &apiErr) {
			return nil // not found, or a malformed reference: no such template
		}
		if err != nil || t == nil {
			return err
		}
		gotID, gotName, found = t.ID, t.Name, true
		return nil
	})
	return gotID, gotName, found, err
}

// Firewall is what the data plane needs to enforce security groups in the
// scope ctx carries: every group with its rules, and the CIDR block of
// every subnet (where a resource without a known address may be).
type Firewall struct {
	Groups  []*SecurityGroup
	Subnets map[string]string // subnet id → IPv4 CIDR block
	// Instances are each instance's subnet, private address and groups.
	Instances map[string]*Instance
}

// FirewallState reads the security groups, subnets and instances in one
// transaction.
func (b *Backend) FirewallState(ctx context.Context) (*Firewall, error) {
	out := &Firewall{Subnets: map[string]string{}, Instances: map[string]*Instance{}}
	err := b.store.View(ctx, func(tx *store.Tx) error {
		groups, err := store.List[SecurityGroup](tx, tableSecurityGroups)
		if err != nil {
			return err
		}
		out.Groups = groups
		subnets, err := store.List[Subnet](tx, tableSubnets)
		if err != nil {
			return err
		}
		for _, s := range subnets {
			out.Subnets[s.ID] = s.CidrBlock
		}
		instances, err := store.List[Instance](tx, tableInstances)
		if err != nil {
			return err
		}
		for _, i := range instances {
			out.Instances[i.ID] = i
		}
		return nil
	})
	return out, err
}
