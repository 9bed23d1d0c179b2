package ec2

import (
	"context"
	"slices"

	"github.com/berthdev/berth/internal/localcloud/protocol"
	"github.com/berthdev/berth/internal/localcloud/protocol/ec2query"
	"github.com/berthdev/berth/internal/localcloud/service/ec2/wire"
	"github.com/berthdev/berth/internal/localcloud/store"
)

// runData reads RunInstances' launch parameters, which are those of launch
// template data (RamdiskId aside); members not given stay nil, so the
// template's show through.
func runData(in *wire.RunInstancesRequest) LaunchTemplateData {
	d := LaunchTemplateData{
		ImageID: in.ImageId, InstanceType: in.InstanceType, KeyName: in.KeyName, KernelID: in.KernelId, RamDiskID: in.RamdiskId,
		UserData: in.UserData, SecurityGroupIDs: in.SecurityGroupIds, SecurityGroups: in.SecurityGroups,
		EbsOptimized: in.EbsOptimized, DisableAPITermination: in.DisableApiTermination, DisableAPIStop: in.DisableApiStop,
		InstanceInitiatedShutdownBehavior: in.InstanceInitiatedShutdownBehavior,
	}
	if p := in.IamInstanceProfile; p != nil {
		d.IamInstanceProfile = &IamInstanceProfileSpec{Arn: p.Arn, Name: p.Name}
	}
	if in.NetworkInterfaces != nil {
		d.NetworkInterfaces = make([]NetworkInterfaceSpec, 0, len(in.NetworkInterfaces))
		for _, n := range in.NetworkInterfaces {
			d.NetworkInterfaces = append(d.NetworkInterfaces, NetworkInterfaceSpec{DeviceIndex: n.DeviceIndex, SubnetID: n.SubnetId,
				Groups: n.Groups, AssociatePublicIPAddress: n.AssociatePublicIpAddress, DeleteOnTermination: n.DeleteOnTermination,
				Description: n.Description, PrivateIPAddress: n.PrivateIpAddress, NetworkInterfaceID: n.NetworkInterfaceId,
				InterfaceType: n.InterfaceType})
		}
	}
	if in.BlockDeviceMappings != nil {
		d.BlockDeviceMappings = make([]BlockDeviceMapping, 0, len(in.BlockDeviceMappings))
		for _, m := range in.BlockDeviceMappings {
			bdm := BlockDeviceMapping{DeviceName: m.DeviceName, VirtualName: m.VirtualName, NoDevice: m.NoDevice}
			if e := m.Ebs; e != nil {
				bdm.Ebs = &EbsSpec{VolumeSize: e.VolumeSize, VolumeType: e.VolumeType, Iops: e.Iops, Throughput: e.Throughput,
					SnapshotID: e.SnapshotId, KmsKeyID: e.KmsKeyId, Encrypted: e.Encrypted, DeleteOnTermination: e.DeleteOnTermination}
			}
			d.BlockDeviceMappings = append(d.BlockDeviceMappings, bdm)
		}
	}
	if m := in.Monitoring; m != nil {
		d.Monitoring = &MonitoringSpec{Enabled: m.Enabled}
	}
	if m := in.MetadataOptions; m != nil {
		d.MetadataOptions = &MetadataOptions{HTTPTokens: m.HttpTokens, HTTPPutResponseHopLimit: m.HttpPutResponseHopLimit,
			HTTPEndpoint: m.HttpEndpoint, HTTPProtocolIPv6: m.HttpProtocolIpv6, InstanceMetadataTags: m.InstanceMetadataTags}
	}
	if p := in.Placement; p != nil {
		d.Placement = &PlacementSpec{AvailabilityZone: p.AvailabilityZone, GroupName: p.GroupName, Tenancy: p.Tenancy}
	}
	if c := in.CreditSpecification; c != nil {
		d.CreditSpecification = &CreditSpecification{CPUCredits: c.CpuCredits}
	}
	if c := in.CpuOptions; c != nil {
		d.CPUOptions = &CPUOptions{CoreCount: c.CoreCount, ThreadsPerCore: c.ThreadsPerCore}
	}
	if p := in.PrivateDnsNameOptions; p != nil {
		d.PrivateDNSNameOptions = &PrivateDNSNameOptionsRequest{HostnameType: p.HostnameType,
			EnableResourceNameDNSARecord: p.EnableResourceNameDnsARecord, EnableResourceNameDNSAAAARecord: p.EnableResourceNameDnsAAAARecord}
	}
	return d
}

func instanceState(name string) *wire.InstanceState {
	return &wire.InstanceState{Code: ptr(stateCodes[name]), Name: name}
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

func instanceWire(i *Instance, names groupNames) wire.Instance {
	item := wire.Instance{
		InstanceId: i.ID, ImageId: i.ImageID, State: instanceState(i.State), KeyName: i.KeyName,
		AmiLaunchIndex: ptr(i.AmiLaunchIndex), ProductCodes: ec2query.List[wire.ProductCode]{}, InstanceType: i.InstanceType,
		LaunchTime: ptr(protocol.XMLTime(i.LaunchTime)), Placement: &wire.Placement{AvailabilityZone: i.AvailabilityZone, Tenancy: "default"},
		Monitoring: &wire.Monitoring{State: "disabled"}, SourceDestCheck: ptr(true), SecurityGroups: names.listed(i.SecurityGroupIDs),
		Architecture: "x86_64", RootDeviceType: "ebs", RootDeviceName: "/dev/xvda",
		BlockDeviceMappings: ec2query.List[wire.InstanceBlockDeviceMapping]{}, VirtualizationType: "hvm", ClientToken: i.ClientToken,
		Tags: tagsOut(i.Tags), Hypervisor: "xen", NetworkInterfaces: ec2query.List[wire.InstanceNetworkInterface]{},
		EbsOptimized: ptr(i.EbsOptimized), EnaSupport: ptr(true), PlatformDetails: "Linux/UNIX", UsageOperation: "RunInstances",
		BootMode: "uefi-preferred", CurrentInstanceBootMode: "legacy-bios",
		PrivateDnsNameOptions: &wire.PrivateDnsNameOptionsResponse{HostnameType: "ip-name", EnableResourceNameDnsARecord: ptr(false),
			EnableResourceNameDnsAAAARecord: ptr(false)},
	}
	if i.Monitoring {
		item.Monitoring.State = "enabled"
	}
	item.MetadataOptions = &wire.InstanceMetadataOptionsResponse{State: "applied", HttpTokens: "optional", HttpPutResponseHopLimit: ptr(1),
		HttpEndpoint: "enabled", HttpProtocolIpv6: "disabled", InstanceMetadataTags: "disabled"}
	if m := i.MetadataOptions; m.HTTPTokens != "" {
		item.MetadataOptions.HttpTokens = m.HTTPTokens
	}
	if m := i.MetadataOptions; m.HTTPPutResponseHopLimit != nil {
		item.MetadataOptions.HttpPutResponseHopLimit = m.HTTPPutResponseHopLimit
	}
	if m := i.MetadataOptions; m.HTTPEndpoint != "" {
		item.MetadataOptions.HttpEndpoint = m.HTTPEndpoint
	}
	if m := i.MetadataOptions; m.InstanceMetadataTags != "" {
		item.MetadataOptions.InstanceMetadataTags = m.InstanceMetadataTags
	}
	if i.IamInstanceProfileARN != "" {
		item.IamInstanceProfile = &wire.IamInstanceProfile{Arn: i.IamInstanceProfileARN, Id: "AIPA" + stableSuffix(i.IamInstanceProfileARN)}
	}
	if t, ok := LookupInstanceType(i.InstanceType); ok && t.Hypervisor == "nitro" {
		item.Hypervisor = "xen" // EC2 reports xen for Nitro too
	}
	if i.State == stateTerminated {
		item.StateReason = &wire.StateReason{Code: i.StateReason, Message: "Client.UserInitiatedShutdown: User initiated shutdown"}
		item.StateTransitionReason = "User initiated (" + i.TerminatedAt.UTC().Format("2006-01-02 15:04:05 MST") + ")"
		return item // a terminated instance has left its network
	}
	if i.State == stateStopped && i.StateReason != "" {
		item.StateReason = &wire.StateReason{Code: i.StateReason, Message: "Client.UserInitiatedShutdown: User initiated shutdown"}
	}
	item.SubnetId, item.VpcId, item.PrivateIpAddress, item.PublicIpAddress = i.SubnetID, i.VpcID, i.PrivateIP, i.PublicIP
	item.PrivateDnsName = privateDNSName(i.PrivateIP, i.Region)
	item.BlockDeviceMappings = append(item.BlockDeviceMappings, wire.InstanceBlockDeviceMapping{DeviceName: "/dev/xvda",
		Ebs: &wire.EbsInstanceBlockDevice{VolumeId: "vol-" + stableSuffix(i.ID), Status: "attached",
			AttachTime: ptr(protocol.XMLTime(i.LaunchTime)), DeleteOnTermination: ptr(true)}})
	item.NetworkInterfaces = append(item.NetworkInterfaces, wire.InstanceNetworkInterface{
		NetworkInterfaceId: i.ENIID, SubnetId: i.SubnetID, VpcId: i.VpcID, OwnerId: i.OwnerID, Status: "in-use",
		MacAddress: i.MacAddress, PrivateIpAddress: i.PrivateIP, PrivateDnsName: item.PrivateDnsName, SourceDestCheck: ptr(true),
		Groups: names.listed(i.SecurityGroupIDs), InterfaceType: "interface",
		Attachment: &wire.InstanceNetworkInterfaceAttachment{AttachmentId: "eni-attach-" + stableSuffix(i.ENIID), DeviceIndex: ptr(0),
			Status: "attached", AttachTime: ptr(protocol.XMLTime(i.LaunchTime)), DeleteOnTermination: ptr(true), NetworkCardIndex: ptr(0)},
		PrivateIpAddresses: ec2query.List[wire.InstancePrivateIpAddress]{{PrivateIpAddress: i.PrivateIP, PrivateDnsName: item.PrivateDnsName,
			Primary: ptr(true)}},
	})
	return item
}

// stableSuffix derives a 17-digit id suffix from a string, so derived ids
// (volumes, attachments) stay the same between calls.
func stableSuffix(s string) string {
	hash, _ := paramsHash(s)
	return hash[:17]
}

// reservationWire is a reservation's item, its instances to add; its own
// groupSet is written empty.
func reservationWire(id, ownerID string) wire.Reservation {
	return wire.Reservation{ReservationId: id, OwnerId: ownerID, Groups: ec2query.List[wire.GroupIdentifier]{},
		Instances: ec2query.List[wire.Instance]{}}
}

func (b *Backend) handleRunInstances(ctx context.Context, in *wire.RunInstancesRequest) (*wire.Reservation, error) {
	if in.MinCount == nil {
		return nil, missingParameter("MinCount")
	}
	if in.MaxCount == nil {
		return nil, missingParameter("MaxCount")
	}
	spec := runSpec{Data: runData(in), SubnetID: in.SubnetId, PrivateIPAddress: in.PrivateIpAddress,
		MinCount: *in.MinCount, MaxCount: *in.MaxCount, TagSpecs: tagSpecsFrom(in.TagSpecifications), ClientToken: in.ClientToken}
	if lt := in.LaunchTemplate; lt != nil {
		spec.LaunchTemplate = &launchTemplateSpec{ID: lt.LaunchTemplateId, Name: lt.LaunchTemplateName, Version: lt.Version}
	}
	res, _, err := b.runInstances(ctx, spec, boolValue(in.DryRun))
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
	out := reservationWire(res.ID, res.OwnerID)
	for _, inst := range res.Instances {
		item := instanceWire(inst, names)
		if inst.State == stateRunning {
			item.State = instanceState(statePending) // what EC2 answers at this moment
		}
		out.Instances = append(out.Instances, item)
	}
	return &out, nil
}

func (b *Backend) handleDescribeInstances(ctx context.Context, in *wire.DescribeInstancesRequest) (*wire.DescribeInstancesResult, error) {
	if in.MaxResults != nil && len(in.InstanceIds) > 0 {
		return nil, invalidParameterCombination("The parameter instancesSet cannot be used with the parameter maxResults")
	}
	now := b.now()
	out := &wire.DescribeInstancesResult{Reservations: ec2query.List[wire.Reservation]{}}
	err := b.view(ctx, boolValue(in.DryRun), func(tx *store.Tx) error {
		all, err := store.List[Instance](tx, tableInstances)
		if err != nil {
			return err
		}
		all = slices.DeleteFunc(all, func(i *Instance) bool { return !i.visible(now) })
		selected, err := selectByID(kindInstance, all, func(i *Instance) string { return i.ID }, in.InstanceIds)
		if err != nil {
			return err
		}
		selected, err = filterItems(selected, filtersFrom(in.Filters), func(i *Instance) map[string]string { return i.Tags },
			func(i *Instance) fieldValues { return i.filterValues })
		if err != nil {
			return err
		}
		page, next, err := paginate(selected, func(i *Instance) string { return i.ReservationID + "/" + i.ID },
			maxResultsOf(in.MaxResults), tokenOf(in.NextToken), 5)
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
				out.Reservations = append(out.Reservations, reservationWire(inst.ReservationID, inst.OwnerID))
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

func (b *Backend) handleTerminateInstances(ctx context.Context, in *wire.TerminateInstancesRequest) (*wire.TerminateInstancesResult, error) {
	changes, err := b.terminateInstances(ctx, in.InstanceIds, boolValue(in.DryRun))
	if err != nil {
		return nil, err
	}
	return &wire.TerminateInstancesResult{TerminatingInstances: stateChangeItems(changes)}, nil
}
