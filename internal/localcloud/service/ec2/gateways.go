package ec2

import (
	"context"

	"github.com/berthdev/berth/internal/localcloud/store"
)

// InternetGateway connects a VPC to the internet; it attaches to one VPC at
// most.
type InternetGateway struct {
	ID      string
	OwnerID string
	VpcID   string // "" when detached
	Tags    map[string]string
}

func (b *Backend) createInternetGateway(ctx context.Context, tags map[string]string, dryRun bool) (*InternetGateway, error) {
	gateway := &InternetGateway{ID: store.NewID("igw-", 17), OwnerID: owner(ctx), Tags: tags}
	err := b.update(ctx, dryRun, func(tx *store.Tx) error { return tx.Put(tableInternetGateways, gateway.ID, gateway) })
	if err != nil {
		return nil, err
	}
	return gateway, nil
}

func (b *Backend) attachInternetGateway(ctx context.Context, gatewayID, vpcID string, dryRun bool) error {
	return b.update(ctx, dryRun, func(tx *store.Tx) error {
		gateway, err := getResource[InternetGateway](tx, kindInternetGateway, gatewayID)
		if err != nil {
			return err
		}
		vpc, err := getResource[Vpc](tx, kindVpc, vpcID)
		if err != nil {
			return err
		}
		if gateway.VpcID != "" {
			return errorf(codeResourceAlreadyAssoc, "resource %s is already attached to network %s", gateway.ID, gateway.VpcID)
		}
		gateways, err := store.List[InternetGateway](tx, tableInternetGateways)
		if err != nil {
			return err
		}
		for _, other := range gateways {
			if other.VpcID == vpc.ID {
				return errorf(codeResourceAlreadyAssoc, "Network %s already has an internet gateway attached", vpc.ID)
			}
		}
		gateway.VpcID = vpc.ID
		return tx.Put(tableInternetGateways, gateway.ID, gateway)
	})
}

func (b *Backend) detachInternetGateway(ctx context.Context, gatewayID, vpcID string, dryRun bool) error {
	return b.update(ctx, dryRun, func(tx *store.Tx) error {
		gateway, err := getResource[InternetGateway](tx, kindInternetGateway, gatewayID)
		if err != nil {
			return err
		}
		if _, err := getResource[Vpc](tx, kindVpc, vpcID); err != nil {
			return err
		}
		if gateway.VpcID != vpcID {
			return errorf(codeGatewayNotAttached, "resource %s is not attached to network %s", gateway.ID, vpcID)
		}
		gateway.VpcID = ""
		return tx.Put(tableInternetGateways, gateway.ID, gateway)
	})
}

func (b *Backend) deleteInternetGateway(ctx context.Context, gatewayID string, dryRun bool) error {
	return b.update(ctx, dryRun, func(tx *store.Tx) error {
		gateway, err := getResource[InternetGateway](tx, kindInternetGateway, gatewayID)
		if err != nil {
			return err
		}
		if gateway.VpcID != "" {
			return dependencyViolation("The internetGateway '%s' has dependencies and cannot be deleted.", gateway.ID)
		}
		return tx.Delete(tableInternetGateways, gateway.ID)
	})
}

func (g *InternetGateway) filterValues(name string) ([]string, bool) {
	switch name {
	case "internet-gateway-id":
		return []string{g.ID}, true
	case "owner-id":
		return []string{g.OwnerID}, true
	case "attachment.vpc-id":
		if g.VpcID == "" {
			return nil, true
		}
		return []string{g.VpcID}, true
	case "attachment.state":
		if g.VpcID == "" {
			return nil, true
		}
		return []string{"available"}, true
	}
	return nil, false
}
