package ec2

import (
	"context"
	"slices"

	"github.com/berthdev/berth/internal/localcloud/protocol"
	"github.com/berthdev/berth/internal/localcloud/store"
)

type launchTemplateSpecParam struct {
	LaunchTemplateID   string `query:"LaunchTemplateId"`
	LaunchTemplateName string `query:"LaunchTemplateName"`
	Version            string `query:"Version"`
}

// runInstancesInput is RunInstances' request; its launch parameters have the
// keys of launch template data (RamdiskId aside).
type runInstancesInput struct {
	ImageID                           string                        `query:"ImageId"`
	InstanceType                      string                        `query:"InstanceType"`
	KeyName                           string                        `query:"KeyName"`
	KernelID                          string                        `query:"KernelId"`
	RamdiskID                         string                        `query:"RamdiskId"`
	UserData                          string                        `query:"UserData"`
	IamInstanceProfile                *IamInstanceProfileSpec       `query:"IamInstanceProfile"`
	SecurityGroupIDs                  []string                      `query:"SecurityGroupId"`
	SecurityGroups                    []string                      `query:"SecurityGroup"`
	NetworkInterfaces                 []NetworkInterfaceSpec        `query:"NetworkInterface"`
	BlockDeviceMappings               []BlockDeviceMapping          `query:"BlockDeviceMapping"`
	Monitoring                        *MonitoringSpec               `query:"Monitoring"`
	MetadataOptions                   *MetadataOptions              `query:"MetadataOptions"`
	Placement                         *PlacementSpec                `query:"Placement"`
	CreditSpecification               *CreditSpecification          `query:"CreditSpecification"`
	EbsOptimized                      *bool                         `query:"EbsOptimized"`
	DisableAPITermination             *bool                         `query:"DisableApiTermination"`
	DisableAPIStop                    *bool                         `query:"DisableApiStop"`
	InstanceInitiatedShutdownBehavior string                        `query:"InstanceInitiatedShutdownBehavior"`
	CPUOptions                        *CPUOptions                   `query:"CpuOptions"`
	PrivateDNSNameOptions             *PrivateDNSNameOptionsRequest `query:"PrivateDnsNameOptions"`

	MinCount         *int                     `query:"MinCount"`
	MaxCount         *int                     `query:"MaxCount"`
	SubnetID         string                   `query:"SubnetId"`
	PrivateIPAddress string                   `query:"PrivateIpAddress"`
	LaunchTemplate   *launchTemplateSpecParam `query:"LaunchTemplate"`
	RunTagSpecs      []tagSpecParam           `query:"TagSpecification"`
	ClientToken      string                   `query:"ClientToken"`
	DryRun           bool                     `query:"DryRun"`
}

type instanceStateItem struct {
	Code int    `xml:"code"`
	Name string `xml:"name"`
}

func instanceState(name string) instanceStateItem {
	return instanceStateItem{Code: stateCodes[name], Name: name}
}

type groupIdentifierItem struct {
	GroupID   string `xml:"groupId"`
	GroupName string `xml:"groupName"`
}

type instancePlacementItem struct {
	AvailabilityZone string `xml:"availabilityZone"`
	GroupName        string `xml:"groupName"`
	Tenancy          string `xml:"tenancy"`
}

type instanceMonitoringItem struct {
	State string `xml:"state"`
}

type instanceProfileItem struct {
	Arn string `xml:"arn"`
	ID  string `xml:"id"`
}

type stateReasonItem struct {
	Code    string `xml:"code"`
	Message string `xml:"message"`
}

type eniAttachmentItem struct {
	AttachmentID        string           `xml:"attachmentId"`
	DeviceIndex         int              `xml:"deviceIndex"`
	Status              string           `xml:"status"`
	AttachTime          protocol.XMLTime `xml:"attachTime"`
	DeleteOnTermination bool             `xml:"deleteOnTermination"`
	NetworkCardIndex    int              `xml:"networkCardIndex"`
}

type privateIPItem struct {
	PrivateIPAddress string `xml:"privateIpAddress"`
	PrivateDNSName   string `xml:"privateDnsName"`
	Primary          bool   `xml:"primary"`
}

type instanceNetworkInterfaceItem struct {
	NetworkInterfaceID string                `xml:"networkInterfaceId"`
	SubnetID           string                `xml:"subnetId"`
	VpcID              string                `xml:"vpcId"`
	Description        string                `xml:"description"`
	OwnerID            string                `xml:"ownerId"`
	Status             string                `xml:"status"`
	MacAddress         string                `xml:"macAddress"`
	PrivateIPAddress   string                `xml:"privateIpAddress"`
	PrivateDNSName     string                `xml:"privateDnsName"`
	SourceDestCheck    bool                  `xml:"sourceDestCheck"`
	Groups             []groupIdentifierItem `xml:"groupSet>item"`
	Attachment         eniAttachmentItem     `xml:"attachment"`
	PrivateIPAddresses []privateIPItem       `xml:"privateIpAddressesSet>item"`
	InterfaceType      string                `xml:"interfaceType"`
}

type instanceBlockDeviceItem struct {
	DeviceName string `xml:"deviceName"`
	Ebs        struct {
		VolumeID            string           `xml:"volumeId"`
		Status              string           `xml:"status"`
		AttachTime          protocol.XMLTime `xml:"attachTime"`
		DeleteOnTermination bool             `xml:"deleteOnTermination"`
	} `xml:"ebs"`
}

type instanceItem struct {
	InstanceID            string                         `xml:"instanceId"`
	ImageID               string                         `xml:"imageId"`
	InstanceState         instanceStateItem              `xml:"instanceState"`
	PrivateDNSName        string                         `xml:"privateDnsName"`
	DNSName               string                         `xml:"dnsName"`
	Reason                string                         `xml:"reason"`
	KeyName               string                         `xml:"keyName,omitempty"`
	AmiLaunchIndex        int                            `xml:"amiLaunchIndex"`
	ProductCodes          []struct{}                     `xml:"productCodes>item"`
	InstanceType          string                         `xml:"instanceType"`
	LaunchTime            protocol.XMLTime               `xml:"launchTime"`
	Placement             instancePlacementItem          `xml:"placement"`
	Monitoring            instanceMonitoringItem         `xml:"monitoring"`
	SubnetID              string                         `xml:"subnetId,omitempty"`
	VpcID                 string                         `xml:"vpcId,omitempty"`
	PrivateIPAddress      string                         `xml:"privateIpAddress,omitempty"`
	IPAddress             string                         `xml:"ipAddress,omitempty"`
	SourceDestCheck       bool                           `xml:"sourceDestCheck"`
	Groups                []groupIdentifierItem          `xml:"groupSet>item"`
	StateReason           *stateReasonItem               `xml:"stateReason,omitempty"`
	Architecture          string                         `xml:"architecture"`
	RootDeviceType        string                         `xml:"rootDeviceType"`
	RootDeviceName        string                         `xml:"rootDeviceName"`
	BlockDeviceMappings   []instanceBlockDeviceItem      `xml:"blockDeviceMapping>item"`
	VirtualizationType    string                         `xml:"virtualizationType"`
	ClientToken           string                         `xml:"clientToken"`
	TagSet                []tagItem                      `xml:"tagSet>item,omitempty"`
	Hypervisor            string                         `xml:"hypervisor"`
	NetworkInterfaces     []instanceNetworkInterfaceItem `xml:"networkInterfaceSet>item"`
	IamInstanceProfile    *instanceProfileItem           `xml:"iamInstanceProfile,omitempty"`
	EbsOptimized          bool                           `xml:"ebsOptimized"`
	EnaSupport            bool                           `xml:"enaSupport"`
	MetadataOptions       metadataOptionsItem            `xml:"metadataOptions"`
	PlatformDetails       string                         `xml:"platformDetails"`
	UsageOperation        string                         `xml:"usageOperation"`
	BootMode              string                         `xml:"bootMode"`
	CurrentInstanceBoot   string                         `xml:"currentInstanceBootMode"`
	PrivateDNSNameOptions privateDNSNameOptionsItem      `xml:"privateDnsNameOptions"`
}

// groupNames maps group ids to names for groupSet items.
type groupNames map[string]string

func loadGroupNames(tx *store.Tx) (groupNames, error) {
	groups, err := store.List[SecurityGroup](tx, tableSecurityGroups)
	if err != nil {
		return nil, err
	}
	names := groupNames{}
	for _, g := range groups {
		names[g.ID] = g.Name
	}
	return names, nil
}

func (n groupNames) items(ids []string) []groupIdentifierItem {
	out := []groupIdentifierItem{}
	for _, id := range ids {
		out = append(out, groupIdentifierItem{GroupID: id, GroupName: n[id]})
	}
	return out
}

func instanceWire(i *Instance, names groupNames) instanceItem {
	item := instanceItem{
		InstanceID: i.ID, ImageID: i.ImageID, InstanceState: instanceState(i.State), KeyName: i.KeyName,
		AmiLaunchIndex: i.AmiLaunchIndex, ProductCodes: []struct{}{}, InstanceType: i.InstanceType,
		LaunchTime: protocol.XMLTime(i.LaunchTime), Placement: instancePlacementItem{AvailabilityZone: i.AvailabilityZone, Tenancy: "default"},
		Monitoring: instanceMonitoringItem{State: "disabled"}, SourceDestCheck: true, Groups: names.items(i.SecurityGroupIDs),
		Architecture: "x86_64", RootDeviceType: "ebs", RootDeviceName: "/dev/xvda", BlockDeviceMappings: []instanceBlockDeviceItem{},
		VirtualizationType: "hvm", ClientToken: i.ClientToken, TagSet: tagSet(i.Tags), Hypervisor: "xen",
		NetworkInterfaces: []instanceNetworkInterfaceItem{}, EbsOptimized: i.EbsOptimized, EnaSupport: true,
		PlatformDetails: "Linux/UNIX", UsageOperation: "RunInstances", BootMode: "uefi-preferred", CurrentInstanceBoot: "legacy-bios",
		PrivateDNSNameOptions: privateDNSNameOptionsItem{HostnameType: "ip-name", EnableResourceNameDNSARecord: ptr(false), EnableResourceNameDNSAAAARecord: ptr(false)},
	}
	if i.Monitoring {
		item.Monitoring.State = "enabled"
	}
	item.MetadataOptions = metadataOptionsItem{State: "applied", HTTPTokens: "optional", HTTPPutResponseHopLimit: ptr(1),
		HTTPEndpoint: "enabled", HTTPProtocolIpv6: "disabled", InstanceMetadataTags: "disabled"}
	if m := i.MetadataOptions; m.HTTPTokens != "" {
		item.MetadataOptions.HTTPTokens = m.HTTPTokens
	}
	if m := i.MetadataOptions; m.HTTPPutResponseHopLimit != nil {
		item.MetadataOptions.HTTPPutResponseHopLimit = m.HTTPPutResponseHopLimit
	}
	if m := i.MetadataOptions; m.HTTPEndpoint != "" {
		item.MetadataOptions.HTTPEndpoint = m.HTTPEndpoint
	}
	if m := i.MetadataOptions; m.InstanceMetadataTags != "" {
		item.MetadataOptions.InstanceMetadataTags = m.InstanceMetadataTags
	}
	if i.IamInstanceProfileARN != "" {
		item.IamInstanceProfile = &instanceProfileItem{Arn: i.IamInstanceProfileARN, ID: "AIPA" + stableSuffix(i.IamInstanceProfileARN)}
	}
	if t, ok := LookupInstanceType(i.InstanceType); ok && t.Hypervisor == "nitro" {
		item.Hypervisor = "xen" // EC2 reports xen for Nitro too
	}
	if i.State == stateTerminated {
		item.StateReason = &stateReasonItem{Code: i.StateReason, Message: "Client.UserInitiatedShutdown: User initiated shutdown"}
		item.Reason = "User initiated (" + i.TerminatedAt.UTC().Format("2006-01-02 15:04:05 MST") + ")"
		return item // a terminated instance has left its network
	}
	if i.State == stateStopped && i.StateReason != "" {
		item.StateReason = &stateReasonItem{Code: i.StateReason, Message: "Client.UserInitiatedShutdown: User initiated shutdown"}
	}
	item.SubnetID, item.VpcID, item.PrivateIPAddress, item.IPAddress = i.SubnetID, i.VpcID, i.PrivateIP, i.PublicIP
	item.PrivateDNSName = privateDNSName(i.PrivateIP, i.Region)
	volume := instanceBlockDeviceItem{DeviceName: "/dev/xvda"}
	volume.Ebs.VolumeID = "vol-" + stableSuffix(i.ID)
	volume.Ebs.Status = "attached"
	volume.Ebs.AttachTime = protocol.XMLTime(i.LaunchTime)
	volume.Ebs.DeleteOnTermination = true
	item.BlockDeviceMappings = append(item.BlockDeviceMappings, volume)
	item.NetworkInterfaces = append(item.NetworkInterfaces, instanceNetworkInterfaceItem{
		NetworkInterfaceID: i.ENIID, SubnetID: i.SubnetID, VpcID: i.VpcID, OwnerID: i.OwnerID, Status: "in-use",
		MacAddress: i.MacAddress, PrivateIPAddress: i.PrivateIP, PrivateDNSName: item.PrivateDNSName, SourceDestCheck: true,
		Groups: names.items(i.SecurityGroupIDs), InterfaceType: "interface",
		Attachment: eniAttachmentItem{AttachmentID: "eni-attach-" + stableSuffix(i.ENIID), Status: "attached",
			AttachTime: protocol.XMLTime(i.LaunchTime), DeleteOnTermination: true},
		PrivateIPAddresses: []privateIPItem{{PrivateIPAddress: i.PrivateIP, PrivateDNSName: item.PrivateDNSName, Primary: true}},
	})
	return item
}

// stableSuffix derives a 17-digit id suffix from a string, so derived ids
// (volumes, attachments) stay the same between calls.
func stableSuffix(s string) string {
	hash, _ := paramsHash(s)
	return hash[:17]
}

type reservationItem struct {
	ReservationID string                `xml:"reservationId"`
	OwnerID       string                `xml:"ownerId"`
	Groups        []groupIdentifierItem `xml:"groupSet>item"`
	Instances     []instanceItem        `xml:"instancesSet>item"`
}

func (b *Backend) handleRunInstances(ctx context.Context, in *runInstancesInput) (*reservationItem, error) {
	if in.MinCount == nil {
		return nil, missingParameter("MinCount")
	}
	if in.MaxCount == nil {
		return nil, missingParameter("MaxCount")
	}
	data := LaunchTemplateData{
		ImageID: in.ImageID, InstanceType: in.InstanceType, KeyName: in.KeyName, KernelID: in.KernelID, RamDiskID: in.RamdiskID,
		UserData: in.UserData, IamInstanceProfile: in.IamInstanceProfile, SecurityGroupIDs: in.SecurityGroupIDs,
		SecurityGroups: in.SecurityGroups, NetworkInterfaces: in.NetworkInterfaces, BlockDeviceMappings: in.BlockDeviceMappings,
		Monitoring: in.Monitoring, MetadataOptions: in.MetadataOptions, Placement: in.Placement, CreditSpecification: in.CreditSpecification,
		EbsOptimized: in.EbsOptimized, DisableAPITermination: in.DisableAPITermination, DisableAPIStop: in.DisableAPIStop,
		InstanceInitiatedShutdownBehavior: in.InstanceInitiatedShutdownBehavior, CPUOptions: in.CPUOptions,
		PrivateDNSNameOptions: in.PrivateDNSNameOptions,
	}
	spec := runSpec{Data: data, SubnetID: in.SubnetID, PrivateIPAddress: in.PrivateIPAddress,
		MinCount: *in.MinCount, MaxCount: *in.MaxCount, TagSpecs: in.RunTagSpecs, ClientToken: in.ClientToken}
	if lt := in.LaunchTemplate; lt != nil {
		spec.LaunchTemplate = &launchTemplateSpec{ID: lt.LaunchTemplateID, Name: lt.LaunchTemplateName, Version: lt.Version}
	}
	res, _, err := b.runInstances(ctx, spec, in.DryRun)
	if err != nil {
		return nil, err
	}
	var names groupNames
	if err := b.store.View(ctx, func(tx *store.Tx) error {
		var err error
		names, err = loadGroupNames(tx)
		return err
	}); err != nil {
		return nil, err
	}
	out := &reservationItem{ReservationID: res.ID, OwnerID: res.OwnerID, Groups: []groupIdentifierItem{}, Instances: []instanceItem{}}
	for _, inst := range res.Instances {
		item := instanceWire(inst, names)
		if inst.State == stateRunning {
			item.InstanceState = instanceState(statePending) // what EC2 answers at this moment
		}
		out.Instances = append(out.Instances, item)
	}
	return out, nil
}

type describeInstancesInput struct {
	InstanceIDs []string      `query:"InstanceId"`
	Filters     []filterParam `query:"Filter"`
	MaxResults  *int32        `query:"MaxResults"`
	NextToken   *string       `query:"NextToken"`
	DryRun      bool          `query:"DryRun"`
}

type describeInstancesOutput struct {
	Reservations []reservationItem `xml:"reservationSet>item"`
	NextToken    string            `xml:"nextToken,omitempty"`
}

func (b *Backend) handleDescribeInstances(ctx context.Context, in *describeInstancesInput) (*describeInstancesOutput, error) {
	if in.MaxResults != nil && len(in.InstanceIDs) > 0 {
		return nil, invalidParameterCombination("The parameter instancesSet cannot be used with the parameter maxResults")
	}
	now := b.now()
	out := &describeInstancesOutput{Reservations: []reservationItem{}}
	err := b.view(ctx, in.DryRun, func(tx *store.Tx) error {
		all, err := store.List[Instance](tx, tableInstances)
		if err != nil {
			return err
		}
		all = slices.DeleteFunc(all, func(i *Instance) bool { return !i.visible(now) })
		selected, err := selectByID(kindInstance, all, func(i *Instance) string { return i.ID }, in.InstanceIDs)
		if err != nil {
			return err
		}
		selected, err = filterItems(selected, in.Filters, func(i *Instance) map[string]string { return i.Tags },
			func(i *Instance) fieldValues { return i.filterValues })
		if err != nil {
			return err
		}
		page, next, err := paginate(selected, func(i *Instance) string { return i.ReservationID + "/" + i.ID }, in.MaxResults, in.NextToken, 5)
		if err != nil {
			return err
		}
		names, err := loadGroupNames(tx)
		if err != nil {
			return err
		}
		index := map[string]int{}
		for _, inst := range page {
			i, ok := index[inst.ReservationID]
			if !ok {
				out.Reservations = append(out.Reservations, reservationItem{ReservationID: inst.ReservationID, OwnerID: inst.OwnerID,
					Groups: []groupIdentifierItem{}, Instances: []instanceItem{}})
				i = len(out.Reservations) - 1
				index[inst.ReservationID] = i
			}
			out.Reservations[i].Instances = append(out.Reservations[i].Instances, instanceWire(inst, names))
		}
		out.NextToken = next
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

type terminateInstancesInput struct {
	InstanceIDs []string `query:"InstanceId"`
	DryRun      bool     `query:"DryRun"`
}

type instanceStateChangeItem struct {
	InstanceID    string            `xml:"instanceId"`
	CurrentState  instanceStateItem `xml:"currentState"`
	PreviousState instanceStateItem `xml:"previousState"`
}

type terminateInstancesOutput struct {
	Instances []instanceStateChangeItem `xml:"instancesSet>item"`
}

func (b *Backend) handleTerminateInstances(ctx context.Context, in *terminateInstancesInput) (*terminateInstancesOutput, error) {
	changes, err := b.terminateInstances(ctx, in.InstanceIDs, in.DryRun)
	if err != nil {
		return nil, err
	}
	return &terminateInstancesOutput{Instances: stateChangeItems(changes)}, nil
}

type metadataOptionsItem struct {
	State                   string `xml:"state,omitempty"`
	HTTPTokens              string `xml:"httpTokens,omitempty"`
	HTTPPutResponseHopLimit *int   `xml:"httpPutResponseHopLimit,omitempty"`
	HTTPEndpoint            string `xml:"httpEndpoint,omitempty"`
	HTTPProtocolIpv6        string `xml:"httpProtocolIpv6,omitempty"`
	InstanceMetadataTags    string `xml:"instanceMetadataTags,omitempty"`
}

type privateDNSNameOptionsItem struct {
	HostnameType                    string `xml:"hostnameType,omitempty"`
	EnableResourceNameDNSARecord    *bool  `xml:"enableResourceNameDnsARecord,omitempty"`
	EnableResourceNameDNSAAAARecord *bool  `xml:"enableResourceNameDnsAAAARecord,omitempty"`
}
