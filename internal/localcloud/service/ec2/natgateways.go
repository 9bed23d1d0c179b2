package ec2

import (
	"context"
	"time"

	"github.com/berthdev/berth/internal/localcloud/store"
)

// NAT gateway states.
const (
	natPending   = "pending"
	natAvailable = "available"
	natDeleting  = "deleting"
	natDeleted   = "deleted"
)

// NatGateway lets a private subnet's instances reach out. A public one
// holds an Elastic IP; both hold a network interface in their subnet.
//
// Its state moves as a client watching it sees AWS's move, without a clock:
// a gateway answers "pending" (or "deleting") once to a Describe, then
// "available" (or "deleted"), so a waiter sees the transition and a
// test needs no sleep.
type NatGateway struct {
	ID                 string
	SubnetID           string
	VpcID              string
	OwnerID            string
	ConnectivityType   string
	State              string
	AllocationID       string
	PublicIP           string
	PrivateIP          string
	NetworkInterfaceID string
	CreateTime         time.Time
	DeleteTime         time.Time
	Tags               map[string]string
}

// deletedNatVisibility is how long a deleted gateway stays in
// DescribeNatGateways (AWS: about an hour).
const deletedNatVisibility = time.Hour

func (g *NatGateway) visible(now time.Time) bool {
	return g.State != natDeleted || now.Sub(g.DeleteTime) < deletedNatVisibility
}

type createNatGatewayRequest struct {
	SubnetID, AllocationID, ConnectivityType, PrivateIP, ClientToken string
	Tags                                                             map[string]string
}

func (b *Backend) createNatGateway(ctx context.Context, req createNatGatewayRequest, dryRun bool) (*NatGateway, error) {
	if req.SubnetID == "" {
		return nil, missingParameter("SubnetId")
	}
	switch req.ConnectivityType {
	case "":
		req.ConnectivityType = "public"
	case "public", "private":
	default:
		return nil, invalidParameterValue("Value (%s) for parameter connectivityType is invalid.", req.ConnectivityType)
	}
	if req.ConnectivityType == "public" && req.AllocationID == "" {
		return nil, missingParameter("AllocationId")
	}
	if req.ConnectivityType == "private" && req.AllocationID != "" {
		return nil, invalidParameterCombination("An Elastic IP address cannot be given to a private NAT gateway")
	}
	now := b.now().UTC().Truncate(time.Second)
	var gateway *NatGateway
	err := b.update(ctx, dryRun, func(tx *store.Tx) error {
		if prior, err := b.replay(tx, "CreateNatGateway", req.ClientToken, req); err != nil || prior != "" {
			if err == nil {
				gateway, err = getResource[NatGateway](tx, kindNatGateway, prior)
			}
			return err
		}
		subnet, err := getResource[Subnet](tx, kindSubnet, req.SubnetID)
		if err != nil {
			return err
		}
		var address *Address
		if req.AllocationID != "" {
			if address, err = getResource[Address](tx, kindAddress, req.AllocationID); err != nil {
				return err
			}
			if address.AssociationID != "" {
				return errorf(codeResourceAlreadyAssoc, "Elastic IP address [%s] is already associated", address.AllocationID)
			}
		}
		ip, err := claimAddress(tx, subnet, req.PrivateIP)
		if err != nil {
			return err
		}
		id := store.NewID("nat-", 17)
		eni := &NetworkInterface{
			ID: store.NewID("eni-", 17), SubnetID: subnet.ID, VpcID: subnet.VpcID, AvailabilityZone: subnet.AvailabilityZone,
			OwnerID: owner(ctx), Description: "Interface for NAT Gateway " + id, PrivateIP: ip, MacAddress: macAddress(),
			InterfaceType: "nat_gateway", Status: "in-use", RequesterManaged: true, SourceDestCheck: false, Tags: map[string]string{},
		}
		gateway = &NatGateway{ID: id, SubnetID: subnet.ID, VpcID: subnet.VpcID, OwnerID: owner(ctx), ConnectivityType: req.ConnectivityType,
			State: natPending, PrivateIP: ip, NetworkInterfaceID: eni.ID, CreateTime: now, Tags: req.Tags}
		if address != nil {
			gateway.AllocationID, gateway.PublicIP = address.AllocationID, address.PublicIP
			address.AssociationID, address.NetworkInterfaceID, address.InterfaceOwnerID = store.NewID("eipassoc-", 17), eni.ID, "amazon"
			address.PrivateIP, address.NatGatewayID = ip, id
			if err := tx.Put(tableAddresses, address.AllocationID, address); err != nil {
				return err
			}
		}
		if err := tx.Put(tableNetworkInterfaces, eni.ID, eni); err != nil {
			return err
		}
		if err := b.remember(tx, "CreateNatGateway", req.ClientToken, req, id); err != nil {
			return err
		}
		return tx.Put(tableNatGateways, id, gateway)
	})
	if err != nil {
		return nil, err
	}
	return gateway, nil
}

// deleteNatGateway starts deleting a gateway: its network interface and
// Elastic IP let go at once; it shows "deleting", then "deleted".
func (b *Backend) deleteNatGateway(ctx context.Context, id string, dryRun bool) error {
	if id == "" {
		return missingParameter("NatGatewayId")
	}
	now := b.now().UTC().Truncate(time.Second)
	return b.update(ctx, dryRun, func(tx *store.Tx) error {
		gateway, err := getResource[NatGateway](tx, kindNatGateway, id)
		if err != nil {
			return err
		}
		if gateway.State == natDeleted || gateway.State == natDeleting {
			if !gateway.visible(now) {
				return notFound(kindNatGateway, id)
			}
			return nil // AWS answers a repeated delete with the gateway's id
		}
		gateway.State, gateway.DeleteTime = natDeleting, now
		if gateway.AllocationID != "" {
			address, err := store.Get[Address](tx, tableAddresses, gateway.AllocationID)
			if err != nil {
				return err
			}
			if address != nil && address.NatGatewayID == gateway.ID {
				if err := b.endAssociation(tx, address); err != nil {
					return err
				}
			}
		}
		if err := tx.Delete(tableNetworkInterfaces, gateway.NetworkInterfaceID); err != nil {
			return err
		}
		return tx.Put(tableNatGateways, gateway.ID, gateway)
	})
}

// observeNatGateways moves the gateways a Describe just showed in a
// transient state on to the state that follows it.
func observeNatGateways(tx *store.Tx, shown []*NatGateway) error {
	for _, g := range shown {
		next := ""
		switch g.State {
		case natPending:
			next = natAvailable
		case natDeleting:
			next = natDeleted
		default:
			continue
		}
		moved := *g
		moved.State = next
		if err := tx.Put(tableNatGateways, moved.ID, &moved); err != nil {
			return err
		}
	}
	return nil
}

func (g *NatGateway) filterValues(name string) ([]string, bool) {
	switch name {
	case "nat-gateway-id":
		return []string{g.ID}, true
	case "state":
		return []string{g.State}, true
	case "subnet-id":
		return []string{g.SubnetID}, true
	case "vpc-id":
		return []string{g.VpcID}, true
	}
	return nil, false
}
