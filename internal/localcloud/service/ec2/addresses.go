package ec2

import (
	"context"
	"net/netip"
	"slices"

	"github.com/berthdev/berth/internal/localcloud/store"
)

// Address is an Elastic IP address: a public address the account holds
// until it releases it, associated with at most one instance or network
// interface at a time.
type Address struct {
	AllocationID       string
	PublicIP           string
	NetworkBorderGroup string
	OwnerID            string

	// The association, when there is one.
	AssociationID      string
	InstanceID         string
	NetworkInterfaceID string
	InterfaceOwnerID   string
	PrivateIP          string
	// ReplacedPublicIP is the public address the instance had before this
	// one, given back when the association ends.
	ReplacedPublicIP string
	// NatGatewayID is the NAT gateway the address serves; it is released
	// from the gateway only by the gateway's deletion.
	NatGatewayID string

	Tags map[string]string
}

// elasticPool is where Elastic IPs come from: TEST-NET-2, a documentation
// range (instances' automatic public addresses are TEST-NET-3's), so no
// address of the local cloud is mistaken for a routable one.
var elasticPool = netip.MustParsePrefix("198.51.100.0/24")

// freeElasticIP returns the lowest pool address the scope does not hold.
func freeElasticIP(held []*Address) (string, error) {
	taken := map[string]bool{}
	for _, a := range held {
		taken[a.PublicIP] = true
	}
	for addr := elasticPool.Addr().Next(); elasticPool.Contains(addr); addr = addr.Next() {
		if !taken[addr.String()] && addr.As4()[3] != 255 {
			return addr.String(), nil
		}
	}
	return "", errorf("AddressLimitExceeded", "The maximum number of addresses has been reached.")
}

func (b *Backend) allocateAddress(ctx context.Context, domain string, tags map[string]string, dryRun bool) (*Address, error) {
	if domain != "" && domain != "vpc" {
		// EC2-Classic addresses went with EC2-Classic.
		return nil, invalidParameterValue("Invalid value '%s' for domain.", domain)
	}
	var address *Address
	err := b.update(ctx, dryRun, func(tx *store.Tx) error {
		held, err := store.List[Address](tx, tableAddresses)
		if err != nil {
			return err
		}
		ip, err := freeElasticIP(held)
		if err != nil {
			return err
		}
		address = &Address{AllocationID: store.NewID("eipalloc-", 17), PublicIP: ip, NetworkBorderGroup: region(ctx),
			OwnerID: owner(ctx), Tags: tags}
		return tx.Put(tableAddresses, address.AllocationID, address)
	})
	return address, err
}

// findAddress finds an address by allocation id, else by public address.
func findAddress(tx *store.Tx, allocationID, publicIP string) (*Address, error) {
	if allocationID != "" {
		return getResource[Address](tx, kindAddress, allocationID)
	}
	if publicIP == "" {
		return nil, missingParameter("AllocationId")
	}
	addresses, err := store.List[Address](tx, tableAddresses)
	if err != nil {
		return nil, err
	}
	for _, a := range addresses {
		if a.PublicIP == publicIP {
			return a, nil
		}
	}
	return nil, errorf("AuthFailure", "The address '%s' does not belong to you.", publicIP)
}

type associateAddressRequest struct {
	AllocationID, PublicIP, InstanceID, NetworkInterfaceID, PrivateIP string
	AllowReassociation                                                bool
}

// associateAddress ties an address to an instance (its primary network
// interface) or to a network interface; the instance shows it as its public
// address.
func (b *Backend) associateAddress(ctx context.Context, req associateAddressRequest, dryRun bool) (string, error) {
	if req.InstanceID == "" && req.NetworkInterfaceID == "" {
		return "", missingParameter("InstanceId")
	}
	associationID := store.NewID("eipassoc-", 17)
	err := b.update(ctx, dryRun, func(tx *store.Tx) error {
		address, err := findAddress(tx, req.AllocationID, req.PublicIP)
		if err != nil {
			return err
		}
		target, err := findInterface(tx, req.InstanceID, req.NetworkInterfaceID)
		if err != nil {
			return err
		}
		if address.AssociationID != "" {
			if !req.AllowReassociation || address.NatGatewayID != "" {
				return errorf(codeResourceAlreadyAssoc, "resource %s is already associated with associate-id %s", address.AllocationID, address.AssociationID)
			}
			if err := b.endAssociation(tx, address); err != nil {
				return err
			}
		}
		privateIP := target.privateIP
		if req.PrivateIP != "" {
			if req.PrivateIP != target.privateIP {
				return invalidParameterValue("The private IP address %s is not assigned to network interface %s", req.PrivateIP, target.interfaceID)
			}
		}
		// The interface's former Elastic IP (one per private address) lets go.
		addresses, err := store.List[Address](tx, tableAddresses)
		if err != nil {
			return err
		}
		for _, other := range addresses {
			if other.AllocationID != address.AllocationID && other.NetworkInterfaceID == target.interfaceID && other.PrivateIP == privateIP {
				if err := b.endAssociation(tx, other); err != nil {
					return err
				}
			}
		}
		address.AssociationID, address.NetworkInterfaceID, address.InterfaceOwnerID, address.PrivateIP = associationID, target.interfaceID, owner(ctx), privateIP
		if target.instance != nil {
			inst, err := getResource[Instance](tx, kindInstance, target.instance.ID) // endAssociation may have changed it
			if err != nil {
				return err
			}
			address.InstanceID, address.ReplacedPublicIP = inst.ID, inst.PublicIP
			inst.PublicIP = address.PublicIP
			if err := tx.Put(tableInstances, inst.ID, inst); err != nil {
				return err
			}
		}
		return tx.Put(tableAddresses, address.AllocationID, address)
	})
	if err != nil {
		return "", err
	}
	return associationID, nil
}

// endAssociation disassociates an address, giving its instance back the
// public address it had before.
func (b *Backend) endAssociation(tx *store.Tx, address *Address) error {
	if address.InstanceID != "" {
		inst, err := store.Get[Instance](tx, tableInstances, address.InstanceID)
		if err != nil {
			return err
		}
		if inst != nil && inst.PublicIP == address.PublicIP {
			inst.PublicIP = address.ReplacedPublicIP
			if err := tx.Put(tableInstances, inst.ID, inst); err != nil {
				return err
			}
		}
	}
	address.AssociationID, address.InstanceID, address.NetworkInterfaceID, address.InterfaceOwnerID = "", "", "", ""
	address.PrivateIP, address.ReplacedPublicIP, address.NatGatewayID = "", "", ""
	return tx.Put(tableAddresses, address.AllocationID, address)
}

func (b *Backend) disassociateAddress(ctx context.Context, associationID, publicIP string, dryRun bool) error {
	if associationID == "" && publicIP == "" {
		return missingParameter("AssociationId")
	}
	return b.update(ctx, dryRun, func(tx *store.Tx) error {
		addresses, err := store.List[Address](tx, tableAddresses)
		if err != nil {
			return err
		}
		i := slices.IndexFunc(addresses, func(a *Address) bool {
			return a.AssociationID != "" && (a.AssociationID == associationID || (associationID == "" && a.PublicIP == publicIP))
		})
		if i < 0 {
			if associationID == "" {
				return errorf("AuthFailure", "The address '%s' does not belong to you.", publicIP)
			}
			return errorf(codeInvalidAssociationID, "The association ID '%s' does not exist", associationID)
		}
		if addresses[i].NatGatewayID != "" {
			return errorf("AuthFailure", "You do not have permission to access the specified resource.")
		}
		return b.endAssociation(tx, addresses[i])
	})
}

// releaseAddress gives an address back. One in use stays, except in the
// default VPC, where releasing disassociates it first (as EC2 documents).
func (b *Backend) releaseAddress(ctx context.Context, allocationID, publicIP string, dryRun bool) error {
	return b.update(ctx, dryRun, func(tx *store.Tx) error {
		address, err := findAddress(tx, allocationID, publicIP)
		if err != nil {
			return err
		}
		if address.AssociationID != "" {
			inDefaultVpc := false
			if address.InstanceID != "" {
				inst, err := store.Get[Instance](tx, tableInstances, address.InstanceID)
				if err != nil {
					return err
				}
				if inst != nil {
					vpc, err := store.Get[Vpc](tx, tableVpcs, inst.VpcID)
					if err != nil {
						return err
					}
					inDefaultVpc = vpc != nil && vpc.IsDefault
				}
			}
			if !inDefaultVpc || address.NatGatewayID != "" {
				return errorf(codeInvalidIPAddressInUse, "Address %s is in use.", address.AllocationID)
			}
			if err := b.endAssociation(tx, address); err != nil {
				return err
			}
		}
		return tx.Delete(tableAddresses, address.AllocationID)
	})
}

// dropInstanceAddresses ends the associations of instances that are gone:
// a terminated instance lets its Elastic IPs go.
func dropInstanceAddresses(tx *store.Tx, b *Backend, instanceID string) error {
	addresses, err := store.List[Address](tx, tableAddresses)
	if err != nil {
		return err
	}
	for _, a := range addresses {
		if a.InstanceID == instanceID {
			if err := b.endAssociation(tx, a); err != nil {
				return err
			}
		}
	}
	return nil
}

func (a *Address) filterValues(name string) ([]string, bool) {
	one := func(v string) ([]string, bool) {
		if v == "" {
			return nil, true
		}
		return []string{v}, true
	}
	switch name {
	case "allocation-id":
		return one(a.AllocationID)
	case "association-id":
		return one(a.AssociationID)
	case "instance-id":
		return one(a.InstanceID)
	case "network-border-group":
		return one(a.NetworkBorderGroup)
	case "network-interface-id":
		return one(a.NetworkInterfaceID)
	case "network-interface-owner-id":
		return one(a.InterfaceOwnerID)
	case "private-ip-address":
		return one(a.PrivateIP)
	case "public-ip":
		return one(a.PublicIP)
	case "domain":
		return one("vpc")
	}
	return nil, false
}

// attachedInterface is a network interface an address can be associated
// with: an instance's primary interface, a NAT gateway's or a standalone
// one.
type attachedInterface struct {
	interfaceID string
	privateIP   string
	instance    *Instance
}

// findInterface resolves AssociateAddress' target: an instance (its
// primary interface) or a network interface.
func findInterface(tx *store.Tx, instanceID, interfaceID string) (attachedInterface, error) {
	if instanceID != "" {
		inst, err := getResource[Instance](tx, kindInstance, instanceID)
		if err != nil {
			return attachedInterface{}, err
		}
		if inst.State == stateTerminated || inst.State == stateShuttingDown {
			return attachedInterface{}, errorf("IncorrectInstanceState", "The instance '%s' is not in a valid state for this operation.", inst.ID)
		}
		return attachedInterface{interfaceID: inst.ENIID, privateIP: inst.PrivateIP, instance: inst}, nil
	}
	if !wellFormed(kindNetworkInterface, interfaceID) {
		return attachedInterface{}, malformedID(kindNetworkInterface, interfaceID)
	}
	instances, err := store.List[Instance](tx, tableInstances)
	if err != nil {
		return attachedInterface{}, err
	}
	for _, inst := range instances {
		if inst.ENIID == interfaceID && inst.State != stateTerminated {
			return attachedInterface{interfaceID: inst.ENIID, privateIP: inst.PrivateIP, instance: inst}, nil
		}
	}
	eni, err := store.Get[NetworkInterface](tx, tableNetworkInterfaces, interfaceID)
	if err != nil {
		return attachedInterface{}, err
	}
	if eni == nil {
		return attachedInterface{}, notFound(kindNetworkInterface, interfaceID)
	}
	return attachedInterface{interfaceID: eni.ID, privateIP: eni.PrivateIP}, nil
}
