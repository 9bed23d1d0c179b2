package ec2

import (
	"context"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/berthdev/berth/internal/localcloud/store"
)

// NetworkInterface is an elastic network interface that is not an
// instance's primary one: made by CreateNetworkInterface, or by AWS for a
// NAT gateway (requester-managed). An instance's primary interface lives on
// the instance and is listed beside these.
type NetworkInterface struct {
	ID               string
	SubnetID         string
	VpcID            string
	AvailabilityZone string
	OwnerID          string
	Description      string
	PrivateIP        string
	MacAddress       string
	InterfaceType    string
	Status           string // available or in-use
	RequesterManaged bool
	SourceDestCheck  bool
	SecurityGroupIDs []string
	Attachment       *InterfaceAttachment
	Tags             map[string]string
}

// InterfaceAttachment ties an interface to an instance.
type InterfaceAttachment struct {
	ID                  string
	InstanceID          string
	DeviceIndex         int
	AttachTime          time.Time
	DeleteOnTermination bool
}

// takenAddresses lists the subnet's addresses that instances and network
// interfaces hold.
func takenAddresses(tx *store.Tx, subnetID string) (map[string]bool, error) {
	taken := map[string]bool{}
	instances, err := store.List[Instance](tx, tableInstances)
	if err != nil {
		return nil, err
	}
	for _, inst := range instances {
		if inst.SubnetID == subnetID && inst.State != stateTerminated {
			taken[inst.PrivateIP] = true
		}
	}
	interfaces, err := store.List[NetworkInterface](tx, tableNetworkInterfaces)
	if err != nil {
		return nil, err
	}
	for _, eni := range interfaces {
		if eni.SubnetID == subnetID {
			taken[eni.PrivateIP] = true
		}
	}
	return taken, nil
}

// claimAddress picks the interface's private address: the one asked for
// when it is free, else the subnet's lowest free one.
func claimAddress(tx *store.Tx, subnet *Subnet, requested string) (string, error) {
	free, err := freeAddresses(tx, subnet)
	if err != nil {
		return "", err
	}
	if requested == "" {
		if len(free) == 0 {
			return "", errorf(codeInsufficientAddresses, "There are not enough free addresses in subnet '%s' to satisfy the requested number of instances.", subnet.ID)
		}
		return free[0].String(), nil
	}
	addr, err := netip.ParseAddr(requested)
	if err != nil || !netip.MustParsePrefix(subnet.CidrBlock).Contains(addr) {
		return "", invalidParameterValue("Address %s does not fall within the subnet's address range", requested)
	}
	if !slices.Contains(free, addr) {
		return "", errorf(codeInvalidIPAddressInUse, "The specified address is already in use.")
	}
	return addr.String(), nil
}

type createNetworkInterfaceRequest struct {
	SubnetID, Description, PrivateIP string
	Groups                           []string
	Tags                             map[string]string
}

func (b *Backend) createNetworkInterface(ctx context.Context, req createNetworkInterfaceRequest, dryRun bool) (*NetworkInterface, error) {
	if req.SubnetID == "" {
		return nil, missingParameter("SubnetId")
	}
	var eni *NetworkInterface
	err := b.update(ctx, dryRun, func(tx *store.Tx) error {
		subnet, err := getResource[Subnet](tx, kindSubnet, req.SubnetID)
		if err != nil {
			return err
		}
		groups, err := resolveInstanceGroups(tx, subnet, req.Groups, nil)
		if err != nil {
			return err
		}
		ip, err := claimAddress(tx, subnet, req.PrivateIP)
		if err != nil {
			return err
		}
		eni = &NetworkInterface{
			ID: store.NewID("eni-", 17), SubnetID: subnet.ID, VpcID: subnet.VpcID, AvailabilityZone: subnet.AvailabilityZone,
			OwnerID: owner(ctx), Description: req.Description, PrivateIP: ip, MacAddress: macAddress(), InterfaceType: "interface",
			Status: "available", SourceDestCheck: true, SecurityGroupIDs: groups, Tags: req.Tags,
		}
		return tx.Put(tableNetworkInterfaces, eni.ID, eni)
	})
	return eni, err
}

func (b *Backend) deleteNetworkInterface(ctx context.Context, id string, dryRun bool) error {
	return b.update(ctx, dryRun, func(tx *store.Tx) error {
		eni, err := getInterface(tx, id)
		if err != nil {
			return err
		}
		if eni.Attachment != nil || eni.RequesterManaged {
			return errorf("InvalidNetworkInterface.InUse", "Interface: [%s] in use.", eni.ID)
		}
		if err := dropInterfaceAddresses(tx, b, eni.ID); err != nil {
			return err
		}
		return tx.Delete(tableNetworkInterfaces, eni.ID)
	})
}

// getInterface loads a standalone interface; an instance's primary one is
// reported in use, as it cannot be handled apart from its instance.
func getInterface(tx *store.Tx, id string) (*NetworkInterface, error) {
	if !wellFormed(kindNetworkInterface, id) {
		if id == "" {
			return nil, missingParameter("NetworkInterfaceId")
		}
		return nil, malformedID(kindNetworkInterface, id)
	}
	eni, err := store.Get[NetworkInterface](tx, tableNetworkInterfaces, id)
	if err != nil || eni != nil {
		return eni, err
	}
	instances, err := store.List[Instance](tx, tableInstances)
	if err != nil {
		return nil, err
	}
	for _, inst := range instances {
		if inst.ENIID == id && inst.State != stateTerminated {
			return nil, errorf("InvalidNetworkInterface.InUse", "Interface: [%s] in use.", id)
		}
	}
	return nil, notFound(kindNetworkInterface, id)
}

func dropInterfaceAddresses(tx *store.Tx, b *Backend, interfaceID string) error {
	addresses, err := store.List[Address](tx, tableAddresses)
	if err != nil {
		return err
	}
	for _, a := range addresses {
		if a.NetworkInterfaceID == interfaceID {
			if err := b.endAssociation(tx, a); err != nil {
				return err
			}
		}
	}
	return nil
}

func (b *Backend) attachNetworkInterface(ctx context.Context, id, instanceID string, deviceIndex int, dryRun bool) (string, error) {
	attachmentID := store.NewID("eni-attach-", 17)
	now := b.now().UTC().Truncate(time.Second)
	err := b.update(ctx, dryRun, func(tx *store.Tx) error {
		eni, err := getInterface(tx, id)
		if err != nil {
			return err
		}
		inst, err := getResource[Instance](tx, kindInstance, instanceID)
		if err != nil {
			return err
		}
		if inst.State == stateTerminated || inst.State == stateShuttingDown {
			return errorf("IncorrectInstanceState", "The instance '%s' is not in a valid state for this operation.", inst.ID)
		}
		if eni.Attachment != nil || eni.RequesterManaged {
			return errorf("InvalidNetworkInterface.InUse", "Interface: [%s] in use.", eni.ID)
		}
		if eni.AvailabilityZone != inst.AvailabilityZone {
			return invalidParameterValue("The network interface %s and instance %s are in different availability zones", eni.ID, inst.ID)
		}
		if deviceIndex == 0 {
			return invalidParameterValue("Instance '%s' already has an interface attached at device index '0'.", inst.ID)
		}
		interfaces, err := store.List[NetworkInterface](tx, tableNetworkInterfaces)
		if err != nil {
			return err
		}
		for _, other := range interfaces {
			if a := other.Attachment; a != nil && a.InstanceID == inst.ID && a.DeviceIndex == deviceIndex {
				return invalidParameterValue("Instance '%s' already has an interface attached at device index '%d'.", inst.ID, deviceIndex)
			}
		}
		eni.Attachment = &InterfaceAttachment{ID: attachmentID, InstanceID: inst.ID, DeviceIndex: deviceIndex, AttachTime: now}
		eni.Status = "in-use"
		return tx.Put(tableNetworkInterfaces, eni.ID, eni)
	})
	if err != nil {
		return "", err
	}
	return attachmentID, nil
}

func (b *Backend) detachNetworkInterface(ctx context.Context, attachmentID string, dryRun bool) error {
	if attachmentID == "" {
		return missingParameter("AttachmentId")
	}
	return b.update(ctx, dryRun, func(tx *store.Tx) error {
		interfaces, err := store.List[NetworkInterface](tx, tableNetworkInterfaces)
		if err != nil {
			return err
		}
		for _, eni := range interfaces {
			if eni.Attachment != nil && eni.Attachment.ID == attachmentID {
				eni.Attachment, eni.Status = nil, "available"
				return tx.Put(tableNetworkInterfaces, eni.ID, eni)
			}
		}
		return errorf("InvalidAttachmentID.NotFound", "The attachment ID '%s' does not exist", attachmentID)
	})
}

type modifyInterfaceRequest struct {
	ID              string
	Description     *string
	SourceDestCheck *bool
	Groups          []string
}

func (b *Backend) modifyNetworkInterfaceAttribute(ctx context.Context, req modifyInterfaceRequest, dryRun bool) error {
	return b.update(ctx, dryRun, func(tx *store.Tx) error {
		eni, err := getInterface(tx, req.ID)
		if err != nil {
			return err
		}
		switch {
		case req.Description != nil:
			eni.Description = *req.Description
		case req.SourceDestCheck != nil:
			eni.SourceDestCheck = *req.SourceDestCheck
		case len(req.Groups) > 0:
			subnet, err := getResource[Subnet](tx, kindSubnet, eni.SubnetID)
			if err != nil {
				return err
			}
			if eni.SecurityGroupIDs, err = resolveInstanceGroups(tx, subnet, req.Groups, nil); err != nil {
				return err
			}
		default:
			return missingParameter("Attribute")
		}
		return tx.Put(tableNetworkInterfaces, eni.ID, eni)
	})
}

// interfaceView is one interface as DescribeNetworkInterfaces shows it:
// a standalone one, or an instance's primary one.
type interfaceView struct {
	NetworkInterface
	address *Address
}

// allInterfaces lists the scope's interfaces, instances' primary ones
// included, with the Elastic IP each holds.
func allInterfaces(tx *store.Tx, now time.Time) ([]*interfaceView, error) {
	interfaces, err := store.List[NetworkInterface](tx, tableNetworkInterfaces)
	if err != nil {
		return nil, err
	}
	instances, err := store.List[Instance](tx, tableInstances)
	if err != nil {
		return nil, err
	}
	addresses, err := store.List[Address](tx, tableAddresses)
	if err != nil {
		return nil, err
	}
	var out []*interfaceView
	for _, eni := range interfaces {
		out = append(out, &interfaceView{NetworkInterface: *eni})
	}
	for _, inst := range instances {
		if inst.State == stateTerminated || !inst.visible(now) {
			continue
		}
		out = append(out, &interfaceView{NetworkInterface: NetworkInterface{
			ID: inst.ENIID, SubnetID: inst.SubnetID, VpcID: inst.VpcID, AvailabilityZone: inst.AvailabilityZone, OwnerID: inst.OwnerID,
			PrivateIP: inst.PrivateIP, MacAddress: inst.MacAddress, InterfaceType: "interface", Status: "in-use", SourceDestCheck: true,
			SecurityGroupIDs: inst.SecurityGroupIDs, Tags: map[string]string{},
			Attachment: &InterfaceAttachment{ID: "eni-attach-" + stableSuffix(inst.ENIID), InstanceID: inst.ID, AttachTime: inst.LaunchTime, DeleteOnTermination: true},
		}})
	}
	for _, v := range out {
		for _, a := range addresses {
			if a.NetworkInterfaceID == v.ID {
				v.address = a
			}
		}
	}
	return out, nil
}

func (v *interfaceView) filterValues(name string) ([]string, bool) {
	one := func(s string) ([]string, bool) {
		if s == "" {
			return nil, true
		}
		return []string{s}, true
	}
	attachment := func(f func(*InterfaceAttachment) string) ([]string, bool) {
		if v.Attachment == nil {
			return nil, true
		}
		return one(f(v.Attachment))
	}
	association := func(f func(*Address) string) ([]string, bool) {
		if v.address == nil {
			return nil, true
		}
		return one(f(v.address))
	}
	switch name {
	case "network-interface-id":
		return one(v.ID)
	case "subnet-id":
		return one(v.SubnetID)
	case "vpc-id":
		return one(v.VpcID)
	case "availability-zone":
		return one(v.AvailabilityZone)
	case "availability-zone-id":
		if z, ok := zoneNamed(zoneRegion(v.AvailabilityZone), v.AvailabilityZone, ""); ok {
			return one(z.ID)
		}
		return nil, true
	case "description":
		return one(v.Description)
	case "owner-id":
		return one(v.OwnerID)
	case "private-ip-address", "addresses.private-ip-address":
		return one(v.PrivateIP)
	case "addresses.primary":
		return one("true")
	case "private-dns-name":
		return one(privateDNSName(v.PrivateIP, zoneRegion(v.AvailabilityZone)))
	case "mac-address":
		return one(v.MacAddress)
	case "interface-type":
		return one(v.InterfaceType)
	case "status":
		return one(v.Status)
	case "requester-managed":
		return one(strconv.FormatBool(v.RequesterManaged))
	case "source-dest-check":
		return one(strconv.FormatBool(v.SourceDestCheck))
	case "group-id":
		return v.SecurityGroupIDs, true
	case "attachment.attachment-id":
		return attachment(func(a *InterfaceAttachment) string { return a.ID })
	case "attachment.instance-id":
		return attachment(func(a *InterfaceAttachment) string { return a.InstanceID })
	case "attachment.instance-owner-id":
		return attachment(func(*InterfaceAttachment) string { return v.OwnerID })
	case "attachment.device-index":
		return attachment(func(a *InterfaceAttachment) string { return strconv.Itoa(a.DeviceIndex) })
	case "attachment.status":
		return attachment(func(*InterfaceAttachment) string { return "attached" })
	case "attachment.delete-on-termination":
		return attachment(func(a *InterfaceAttachment) string { return strconv.FormatBool(a.DeleteOnTermination) })
	case "association.allocation-id":
		return association(func(a *Address) string { return a.AllocationID })
	case "association.association-id":
		return association(func(a *Address) string { return a.AssociationID })
	case "association.public-ip", "addresses.association.public-ip":
		return association(func(a *Address) string { return a.PublicIP })
	case "association.ip-owner-id", "addresses.association.owner-id":
		return association(func(a *Address) string { return a.OwnerID })
	case "association.public-dns-name":
		return association(func(a *Address) string { return publicDNSName(a.PublicIP, zoneRegion(v.AvailabilityZone)) })
	case "attachment.attach-time":
		return attachment(func(a *InterfaceAttachment) string { return a.AttachTime.UTC().Format("2006-01-02T15:04:05.000Z") })
	case "ipv6-addresses.ipv6-address":
		return nil, true // the local cloud's interfaces have no IPv6 addresses
	case "requester-id":
		if v.RequesterManaged {
			return one("amazon")
		}
		return nil, true
	case "operator.managed":
		return one("false")
	case "operator.principal":
		return nil, true
	}
	return nil, false
}

// zoneRegion is the region of a zone name (us-east-1a → us-east-1).
func zoneRegion(zone string) string {
	if zone == "" {
		return ""
	}
	return zone[:len(zone)-1]
}

// releaseInterfaces detaches a terminating instance's secondary interfaces,
// deleting those marked to go with it.
func releaseInterfaces(tx *store.Tx, instanceID string) error {
	interfaces, err := store.List[NetworkInterface](tx, tableNetworkInterfaces)
	if err != nil {
		return err
	}
	for _, eni := range interfaces {
		if eni.Attachment == nil || eni.Attachment.InstanceID != instanceID {
			continue
		}
		if eni.Attachment.DeleteOnTermination {
			if err := tx.Delete(tableNetworkInterfaces, eni.ID); err != nil {
				return err
			}
			continue
		}
		eni.Attachment, eni.Status = nil, "available"
		if err := tx.Put(tableNetworkInterfaces, eni.ID, eni); err != nil {
			return err
		}
	}
	return nil
}

// publicDNSName is EC2's public hostname of a public address.
func publicDNSName(ip, region string) string {
	host := "ec2-" + strings.ReplaceAll(ip, ".", "-")
	if region == "us-east-1" {
		return host + ".compute-1.amazonaws.com"
	}
	return host + "." + region + ".compute.amazonaws.com"
}
