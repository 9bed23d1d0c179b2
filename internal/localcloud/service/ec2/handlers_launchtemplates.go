package ec2

import (
	"context"
	"slices"
	"strconv"

	"github.com/berthdev/berth/internal/localcloud/protocol"
	"github.com/berthdev/berth/internal/localcloud/protocol/ec2query"
	"github.com/berthdev/berth/internal/localcloud/service/ec2/wire"
	"github.com/berthdev/berth/internal/localcloud/store"
)

func launchTemplateWire(t *LaunchTemplate) wire.LaunchTemplate {
	return wire.LaunchTemplate{LaunchTemplateId: t.ID, LaunchTemplateName: t.Name, CreateTime: ptr(protocol.XMLTime(t.CreateTime)),
		CreatedBy: t.CreatedBy, DefaultVersionNumber: ptr(int(t.DefaultVersion)), LatestVersionNumber: ptr(int(t.LatestVersion)),
		Tags: tagsOut(t.Tags)}
}

// launchTemplateDataFrom reads a request's LaunchTemplateData. Members not
// given stay nil, so a version made from a source copies them.
func launchTemplateDataFrom(in *wire.RequestLaunchTemplateData) LaunchTemplateData {
	d := LaunchTemplateData{
		ImageID: in.ImageId, InstanceType: in.InstanceType, KeyName: in.KeyName, KernelID: in.KernelId, RamDiskID: in.RamDiskId,
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
	if in.TagSpecifications != nil {
		d.TagSpecifications = make([]LaunchTemplateTagSpec, 0, len(in.TagSpecifications))
		for _, ts := range in.TagSpecifications {
			d.TagSpecifications = append(d.TagSpecifications, LaunchTemplateTagSpec{ResourceType: ts.ResourceType, Tags: tagsFrom(ts.Tags)})
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

// listOf is a list member of a reply, absent when empty.
func listOf[T any](items []T) ec2query.List[T] {
	if len(items) == 0 {
		return nil
	}
	return ec2query.List[T](items)
}

func launchTemplateDataWire(d LaunchTemplateData) *wire.ResponseLaunchTemplateData {
	item := &wire.ResponseLaunchTemplateData{
		KernelId: d.KernelID, EbsOptimized: d.EbsOptimized, ImageId: d.ImageID, InstanceType: d.InstanceType, KeyName: d.KeyName,
		RamDiskId: d.RamDiskID, DisableApiTermination: d.DisableAPITermination, DisableApiStop: d.DisableAPIStop,
		InstanceInitiatedShutdownBehavior: d.InstanceInitiatedShutdownBehavior, UserData: d.UserData,
		SecurityGroupIds: listOf(d.SecurityGroupIDs), SecurityGroups: listOf(d.SecurityGroups),
	}
	if p := d.IamInstanceProfile; p != nil {
		item.IamInstanceProfile = &wire.LaunchTemplateIamInstanceProfileSpecification{Arn: p.Arn, Name: p.Name}
	}
	for _, m := range d.BlockDeviceMappings {
		bdm := wire.LaunchTemplateBlockDeviceMapping{DeviceName: m.DeviceName, VirtualName: m.VirtualName, NoDevice: m.NoDevice}
		if e := m.Ebs; e != nil {
			bdm.Ebs = &wire.LaunchTemplateEbsBlockDevice{DeleteOnTermination: e.DeleteOnTermination, Encrypted: e.Encrypted, Iops: e.Iops,
				KmsKeyId: e.KmsKeyID, SnapshotId: e.SnapshotID, Throughput: e.Throughput, VolumeSize: e.VolumeSize, VolumeType: e.VolumeType}
		}
		item.BlockDeviceMappings = append(item.BlockDeviceMappings, bdm)
	}
	for _, n := range d.NetworkInterfaces {
		item.NetworkInterfaces = append(item.NetworkInterfaces, wire.LaunchTemplateInstanceNetworkInterfaceSpecification{
			AssociatePublicIpAddress: n.AssociatePublicIPAddress, DeleteOnTermination: n.DeleteOnTermination, Description: n.Description,
			DeviceIndex: n.DeviceIndex, Groups: listOf(n.Groups), InterfaceType: n.InterfaceType, NetworkInterfaceId: n.NetworkInterfaceID,
			PrivateIpAddress: n.PrivateIPAddress, SubnetId: n.SubnetID})
	}
	if m := d.Monitoring; m != nil {
		item.Monitoring = &wire.LaunchTemplatesMonitoring{Enabled: ptr(boolValue(m.Enabled))}
	}
	if p := d.Placement; p != nil {
		item.Placement = &wire.LaunchTemplatePlacement{AvailabilityZone: p.AvailabilityZone, GroupName: p.GroupName, Tenancy: p.Tenancy}
	}
	for _, ts := range d.TagSpecifications {
		tags, _ := validateTags(ts.Tags, true) // validated when the version was made
		item.TagSpecifications = append(item.TagSpecifications, wire.LaunchTemplateTagSpecification{ResourceType: ts.ResourceType, Tags: tagsOut(tags)})
	}
	if c := d.CreditSpecification; c != nil {
		item.CreditSpecification = &wire.CreditSpecification{CpuCredits: c.CPUCredits}
	}
	if c := d.CPUOptions; c != nil {
		item.CpuOptions = &wire.LaunchTemplateCpuOptions{CoreCount: c.CoreCount, ThreadsPerCore: c.ThreadsPerCore}
	}
	if m := d.MetadataOptions; m != nil {
		item.MetadataOptions = &wire.LaunchTemplateInstanceMetadataOptions{State: "pending", HttpTokens: m.HTTPTokens,
			HttpPutResponseHopLimit: m.HTTPPutResponseHopLimit, HttpEndpoint: m.HTTPEndpoint, HttpProtocolIpv6: m.HTTPProtocolIPv6,
			InstanceMetadataTags: m.InstanceMetadataTags}
	}
	if p := d.PrivateDNSNameOptions; p != nil {
		item.PrivateDnsNameOptions = &wire.LaunchTemplatePrivateDnsNameOptions{HostnameType: p.HostnameType,
			EnableResourceNameDnsARecord: p.EnableResourceNameDNSARecord, EnableResourceNameDnsAAAARecord: p.EnableResourceNameDNSAAAARecord}
	}
	return item
}

func launchTemplateVersionWire(t *LaunchTemplate, v *LaunchTemplateVersion) wire.LaunchTemplateVersion {
	return wire.LaunchTemplateVersion{LaunchTemplateId: t.ID, LaunchTemplateName: t.Name, VersionNumber: ptr(int(v.Number)),
		VersionDescription: v.Description, CreateTime: ptr(protocol.XMLTime(v.CreateTime)), CreatedBy: v.CreatedBy,
		DefaultVersion: ptr(v.Number == t.DefaultVersion), LaunchTemplateData: launchTemplateDataWire(v.Data)}
}

func (b *Backend) handleCreateLaunchTemplate(ctx context.Context, in *wire.CreateLaunchTemplateRequest) (*wire.CreateLaunchTemplateResult, error) {
	if in.LaunchTemplateData == nil {
		return nil, missingParameter("LaunchTemplateData")
	}
	tags, err := tagsFor(tagSpecsFrom(in.TagSpecifications), "launch-template")
	if err != nil {
		return nil, err
	}
	template, err := b.createLaunchTemplate(ctx, createLaunchTemplateRequest{Name: in.LaunchTemplateName, VersionDescription: in.VersionDescription,
		Data: launchTemplateDataFrom(in.LaunchTemplateData), Tags: tags, ClientToken: in.ClientToken}, boolValue(in.DryRun))
	if err != nil {
		return nil, err
	}
	item := launchTemplateWire(template)
	return &wire.CreateLaunchTemplateResult{LaunchTemplate: &item}, nil
}

func (b *Backend) handleCreateLaunchTemplateVersion(ctx context.Context, in *wire.CreateLaunchTemplateVersionRequest) (*wire.CreateLaunchTemplateVersionResult, error) {
	if in.LaunchTemplateData == nil {
		return nil, missingParameter("LaunchTemplateData")
	}
	template, version, err := b.createLaunchTemplateVersion(ctx, createLaunchTemplateVersionRequest{
		Template: templateRef{ID: in.LaunchTemplateId, Name: in.LaunchTemplateName}, SourceVersion: in.SourceVersion,
		VersionDescription: in.VersionDescription, Data: launchTemplateDataFrom(in.LaunchTemplateData), ClientToken: in.ClientToken},
		boolValue(in.DryRun))
	if err != nil {
		return nil, err
	}
	item := launchTemplateVersionWire(template, version)
	return &wire.CreateLaunchTemplateVersionResult{LaunchTemplateVersion: &item}, nil
}

func (b *Backend) handleModifyLaunchTemplate(ctx context.Context, in *wire.ModifyLaunchTemplateRequest) (*wire.ModifyLaunchTemplateResult, error) {
	template, err := b.setDefaultVersion(ctx, templateRef{ID: in.LaunchTemplateId, Name: in.LaunchTemplateName}, in.DefaultVersion,
		boolValue(in.DryRun))
	if err != nil {
		return nil, err
	}
	item := launchTemplateWire(template)
	return &wire.ModifyLaunchTemplateResult{LaunchTemplate: &item}, nil
}

func (b *Backend) handleDeleteLaunchTemplate(ctx context.Context, in *wire.DeleteLaunchTemplateRequest) (*wire.DeleteLaunchTemplateResult, error) {
	template, err := b.deleteLaunchTemplate(ctx, templateRef{ID: in.LaunchTemplateId, Name: in.LaunchTemplateName}, boolValue(in.DryRun))
	if err != nil {
		return nil, err
	}
	item := launchTemplateWire(template)
	return &wire.DeleteLaunchTemplateResult{LaunchTemplate: &item}, nil
}

func (b *Backend) handleDeleteLaunchTemplateVersions(ctx context.Context, in *wire.DeleteLaunchTemplateVersionsRequest) (*wire.DeleteLaunchTemplateVersionsResult, error) {
	template, result, err := b.deleteLaunchTemplateVersions(ctx, templateRef{ID: in.LaunchTemplateId, Name: in.LaunchTemplateName}, in.Versions,
		boolValue(in.DryRun))
	if err != nil {
		return nil, err
	}
	// Both sets are written, empty ones too.
	out := &wire.DeleteLaunchTemplateVersionsResult{
		SuccessfullyDeletedLaunchTemplateVersions:   ec2query.List[wire.DeleteLaunchTemplateVersionsResponseSuccessItem]{},
		UnsuccessfullyDeletedLaunchTemplateVersions: ec2query.List[wire.DeleteLaunchTemplateVersionsResponseErrorItem]{},
	}
	for _, n := range result.Deleted {
		out.SuccessfullyDeletedLaunchTemplateVersions = append(out.SuccessfullyDeletedLaunchTemplateVersions,
			wire.DeleteLaunchTemplateVersionsResponseSuccessItem{LaunchTemplateId: template.ID, LaunchTemplateName: template.Name,
				VersionNumber: ptr(int(n))})
	}
	for _, v := range in.Versions {
		code, failed := result.Unsuccesful[v]
		if !failed {
			continue
		}
		n, _ := strconv.Atoi(v)
		out.UnsuccessfullyDeletedLaunchTemplateVersions = append(out.UnsuccessfullyDeletedLaunchTemplateVersions,
			wire.DeleteLaunchTemplateVersionsResponseErrorItem{LaunchTemplateId: template.ID, LaunchTemplateName: template.Name,
				VersionNumber: ptr(n), ResponseError: &wire.ResponseError{Code: code,
					Message: "The launch template version " + v + " could not be deleted"}})
	}
	return out, nil
}

func (b *Backend) handleDescribeLaunchTemplates(ctx context.Context, in *wire.DescribeLaunchTemplatesRequest) (*wire.DescribeLaunchTemplatesResult, error) {
	out := &wire.DescribeLaunchTemplatesResult{LaunchTemplates: ec2query.List[wire.LaunchTemplate]{}}
	err := b.view(ctx, boolValue(in.DryRun), func(tx *store.Tx) error {
		all, err := store.List[LaunchTemplate](tx, tableLaunchTemplates)
		if err != nil {
			return err
		}
		selected, err := selectByID(kindLaunchTemplate, all, func(t *LaunchTemplate) string { return t.ID }, in.LaunchTemplateIds)
		if err != nil {
			return err
		}
		if len(in.LaunchTemplateNames) > 0 {
			var named []*LaunchTemplate
			for _, name := range in.LaunchTemplateNames {
				i := slices.IndexFunc(selected, func(t *LaunchTemplate) bool { return t.Name == name })
				if i < 0 {
					return errorf("InvalidLaunchTemplateName.NotFoundException", "At least one of the launch templates specified in the request does not exist.")
				}
				named = append(named, selected[i])
			}
			selected = named
		}
		selected, err = filterItems(selected, filtersFrom(in.Filters), func(t *LaunchTemplate) map[string]string { return t.Tags },
			func(t *LaunchTemplate) fieldValues { return t.filterValues })
		if err != nil {
			return err
		}
		page, next, err := paginate(selected, func(t *LaunchTemplate) string { return t.ID }, maxResultsOf(in.MaxResults), tokenOf(in.NextToken), 1)
		if err != nil {
			return err
		}
		for _, t := range page {
			out.LaunchTemplates = append(out.LaunchTemplates, launchTemplateWire(t))
		}
		out.NextToken = next
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (b *Backend) handleDescribeLaunchTemplateVersions(ctx context.Context, in *wire.DescribeLaunchTemplateVersionsRequest) (*wire.DescribeLaunchTemplateVersionsResult, error) {
	if in.LaunchTemplateId == "" && in.LaunchTemplateName == "" {
		// Without a template, EC2 lists $Latest/$Default across templates
		// only when asked for those aliases; a bare call is refused.
		return nil, missingParameter("LaunchTemplateId or LaunchTemplateName")
	}
	out := &wire.DescribeLaunchTemplateVersionsResult{LaunchTemplateVersions: ec2query.List[wire.LaunchTemplateVersion]{}}
	err := b.view(ctx, boolValue(in.DryRun), func(tx *store.Tx) error {
		template, err := findTemplate(tx, templateRef{ID: in.LaunchTemplateId, Name: in.LaunchTemplateName})
		if err != nil {
			return err
		}
		var versions []*LaunchTemplateVersion
		if len(in.Versions) > 0 {
			for _, v := range in.Versions {
				version, err := resolveVersion(tx, template, v)
				if err != nil {
					return err
				}
				if !slices.ContainsFunc(versions, func(x *LaunchTemplateVersion) bool { return x.Number == version.Number }) {
					versions = append(versions, version)
				}
			}
		} else {
			for n := int64(1); n <= template.LatestVersion; n++ {
				v, err := store.Get[LaunchTemplateVersion](tx, tableLaunchTemplateVersions, versionKey(template.ID, n))
				if err != nil {
					return err
				}
				if v != nil {
					versions = append(versions, v)
				}
			}
		}
		minVersion, maxVersion, err := versionBounds(in.MinVersion, in.MaxVersion)
		if err != nil {
			return err
		}
		versions = slices.DeleteFunc(versions, func(v *LaunchTemplateVersion) bool { return v.Number < minVersion || v.Number > maxVersion })
		versions, err = filterItems(versions, filtersFrom(in.Filters), func(*LaunchTemplateVersion) map[string]string { return nil },
			func(v *LaunchTemplateVersion) fieldValues {
				return func(name string) ([]string, bool) {
					if name == "is-default-version" {
						return []string{strconv.FormatBool(v.Number == template.DefaultVersion)}, true
					}
					return v.filterValues(name)
				}
			})
		if err != nil {
			return err
		}
		page, next, err := paginate(versions, func(v *LaunchTemplateVersion) string { return versionKey(v.TemplateID, v.Number) },
			maxResultsOf(in.MaxResults), tokenOf(in.NextToken), 1)
		if err != nil {
			return err
		}
		for _, v := range page {
			out.LaunchTemplateVersions = append(out.LaunchTemplateVersions, launchTemplateVersionWire(template, v))
		}
		out.NextToken = next
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func versionBounds(minVersion, maxVersion string) (int64, int64, error) {
	low, high := int64(0), int64(1<<62)
	if minVersion != "" {
		n, err := strconv.ParseInt(minVersion, 10, 64)
		if err != nil {
			return 0, 0, invalidParameterValue("Value (%s) for parameter minVersion is invalid.", minVersion)
		}
		low = n
	}
	if maxVersion != "" {
		n, err := strconv.ParseInt(maxVersion, 10, 64)
		if err != nil {
			return 0, 0, invalidParameterValue("Value (%s) for parameter maxVersion is invalid.", maxVersion)
		}
		high = n
	}
	return low, high, nil
}
