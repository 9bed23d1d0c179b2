package ec2

import (
	"context"
	"slices"
	"strconv"

	"github.com/berthdev/berth/internal/localcloud/protocol"
	"github.com/berthdev/berth/internal/localcloud/store"
)

type launchTemplateItem struct {
	LaunchTemplateID     string           `xml:"launchTemplateId"`
	LaunchTemplateName   string           `xml:"launchTemplateName"`
	CreateTime           protocol.XMLTime `xml:"createTime"`
	CreatedBy            string           `xml:"createdBy"`
	DefaultVersionNumber int64            `xml:"defaultVersionNumber"`
	LatestVersionNumber  int64            `xml:"latestVersionNumber"`
	TagSet               []tagItem        `xml:"tagSet>item,omitempty"`
}

func launchTemplateWire(t *LaunchTemplate) launchTemplateItem {
	return launchTemplateItem{LaunchTemplateID: t.ID, LaunchTemplateName: t.Name, CreateTime: protocol.XMLTime(t.CreateTime),
		CreatedBy: t.CreatedBy, DefaultVersionNumber: t.DefaultVersion, LatestVersionNumber: t.LatestVersion, TagSet: tagSet(t.Tags)}
}

type iamInstanceProfileItem struct {
	Arn  string `xml:"arn,omitempty"`
	Name string `xml:"name,omitempty"`
}

type launchTemplateNetworkInterfaceItem struct {
	AssociatePublicIPAddress *bool    `xml:"associatePublicIpAddress,omitempty"`
	DeleteOnTermination      *bool    `xml:"deleteOnTermination,omitempty"`
	Description              string   `xml:"description,omitempty"`
	DeviceIndex              *int     `xml:"deviceIndex,omitempty"`
	Groups                   []string `xml:"groupSet>groupId,omitempty"`
	InterfaceType            string   `xml:"interfaceType,omitempty"`
	NetworkInterfaceID       string   `xml:"networkInterfaceId,omitempty"`
	PrivateIPAddress         string   `xml:"privateIpAddress,omitempty"`
	SubnetID                 string   `xml:"subnetId,omitempty"`
}

type ebsItem struct {
	DeleteOnTermination *bool  `xml:"deleteOnTermination,omitempty"`
	Encrypted           *bool  `xml:"encrypted,omitempty"`
	Iops                *int   `xml:"iops,omitempty"`
	KmsKeyID            string `xml:"kmsKeyId,omitempty"`
	SnapshotID          string `xml:"snapshotId,omitempty"`
	Throughput          *int   `xml:"throughput,omitempty"`
	VolumeSize          *int   `xml:"volumeSize,omitempty"`
	VolumeType          string `xml:"volumeType,omitempty"`
}

type blockDeviceMappingItem struct {
	DeviceName  string   `xml:"deviceName,omitempty"`
	VirtualName string   `xml:"virtualName,omitempty"`
	NoDevice    string   `xml:"noDevice,omitempty"`
	Ebs         *ebsItem `xml:"ebs,omitempty"`
}

type tagSpecificationItem struct {
	ResourceType string    `xml:"resourceType"`
	TagSet       []tagItem `xml:"tagSet>item"`
}

type monitoringItem struct {
	Enabled bool `xml:"enabled"`
}

type metadataOptionsItem struct {
	State                   string `xml:"state,omitempty"`
	HTTPTokens              string `xml:"httpTokens,omitempty"`
	HTTPPutResponseHopLimit *int   `xml:"httpPutResponseHopLimit,omitempty"`
	HTTPEndpoint            string `xml:"httpEndpoint,omitempty"`
	HTTPProtocolIpv6        string `xml:"httpProtocolIpv6,omitempty"`
	InstanceMetadataTags    string `xml:"instanceMetadataTags,omitempty"`
}

type placementItem struct {
	AvailabilityZone string `xml:"availabilityZone,omitempty"`
	GroupName        string `xml:"groupName,omitempty"`
	Tenancy          string `xml:"tenancy,omitempty"`
}

type creditSpecificationItem struct {
	CPUCredits string `xml:"cpuCredits"`
}

type cpuOptionsItem struct {
	CoreCount      *int `xml:"coreCount,omitempty"`
	ThreadsPerCore *int `xml:"threadsPerCore,omitempty"`
}

type privateDNSNameOptionsItem struct {
	HostnameType                    string `xml:"hostnameType,omitempty"`
	EnableResourceNameDNSARecord    *bool  `xml:"enableResourceNameDnsARecord,omitempty"`
	EnableResourceNameDNSAAAARecord *bool  `xml:"enableResourceNameDnsAAAARecord,omitempty"`
}

type launchTemplateDataItem struct {
	KernelID                          string                               `xml:"kernelId,omitempty"`
	EbsOptimized                      *bool                                `xml:"ebsOptimized,omitempty"`
	IamInstanceProfile                *iamInstanceProfileItem              `xml:"iamInstanceProfile,omitempty"`
	BlockDeviceMappings               []blockDeviceMappingItem             `xml:"blockDeviceMappingSet>item,omitempty"`
	NetworkInterfaces                 []launchTemplateNetworkInterfaceItem `xml:"networkInterfaceSet>item,omitempty"`
	ImageID                           string                               `xml:"imageId,omitempty"`
	InstanceType                      string                               `xml:"instanceType,omitempty"`
	KeyName                           string                               `xml:"keyName,omitempty"`
	Monitoring                        *monitoringItem                      `xml:"monitoring,omitempty"`
	Placement                         *placementItem                       `xml:"placement,omitempty"`
	RamDiskID                         string                               `xml:"ramDiskId,omitempty"`
	DisableAPITermination             *bool                                `xml:"disableApiTermination,omitempty"`
	DisableAPIStop                    *bool                                `xml:"disableApiStop,omitempty"`
	InstanceInitiatedShutdownBehavior string                               `xml:"instanceInitiatedShutdownBehavior,omitempty"`
	UserData                          string                               `xml:"userData,omitempty"`
	TagSpecifications                 []tagSpecificationItem               `xml:"tagSpecificationSet>item,omitempty"`
	SecurityGroupIDs                  []string                             `xml:"securityGroupIdSet>item,omitempty"`
	SecurityGroups                    []string                             `xml:"securityGroupSet>item,omitempty"`
	CreditSpecification               *creditSpecificationItem             `xml:"creditSpecification,omitempty"`
	CPUOptions                        *cpuOptionsItem                      `xml:"cpuOptions,omitempty"`
	MetadataOptions                   *metadataOptionsItem                 `xml:"metadataOptions,omitempty"`
	PrivateDNSNameOptions             *privateDNSNameOptionsItem           `xml:"privateDnsNameOptions,omitempty"`
}

func launchTemplateDataWire(d LaunchTemplateData) launchTemplateDataItem {
	item := launchTemplateDataItem{
		KernelID: d.KernelID, EbsOptimized: d.EbsOptimized, ImageID: d.ImageID, InstanceType: d.InstanceType, KeyName: d.KeyName,
		RamDiskID: d.RamDiskID, DisableAPITermination: d.DisableAPITermination, DisableAPIStop: d.DisableAPIStop,
		InstanceInitiatedShutdownBehavior: d.InstanceInitiatedShutdownBehavior, UserData: d.UserData,
		SecurityGroupIDs: d.SecurityGroupIDs, SecurityGroups: d.SecurityGroups,
	}
	if p := d.IamInstanceProfile; p != nil {
		item.IamInstanceProfile = &iamInstanceProfileItem{Arn: p.Arn, Name: p.Name}
	}
	for _, m := range d.BlockDeviceMappings {
		bdm := blockDeviceMappingItem{DeviceName: m.DeviceName, VirtualName: m.VirtualName, NoDevice: m.NoDevice}
		if e := m.Ebs; e != nil {
			bdm.Ebs = &ebsItem{DeleteOnTermination: e.DeleteOnTermination, Encrypted: e.Encrypted, Iops: e.Iops, KmsKeyID: e.KmsKeyID,
				SnapshotID: e.SnapshotID, Throughput: e.Throughput, VolumeSize: e.VolumeSize, VolumeType: e.VolumeType}
		}
		item.BlockDeviceMappings = append(item.BlockDeviceMappings, bdm)
	}
	for _, n := range d.NetworkInterfaces {
		item.NetworkInterfaces = append(item.NetworkInterfaces, launchTemplateNetworkInterfaceItem{
			AssociatePublicIPAddress: n.AssociatePublicIPAddress, DeleteOnTermination: n.DeleteOnTermination, Description: n.Description,
			DeviceIndex: n.DeviceIndex, Groups: n.Groups, InterfaceType: n.InterfaceType, NetworkInterfaceID: n.NetworkInterfaceID,
			PrivateIPAddress: n.PrivateIPAddress, SubnetID: n.SubnetID})
	}
	if m := d.Monitoring; m != nil {
		item.Monitoring = &monitoringItem{Enabled: boolValue(m.Enabled)}
	}
	if p := d.Placement; p != nil {
		item.Placement = &placementItem{AvailabilityZone: p.AvailabilityZone, GroupName: p.GroupName, Tenancy: p.Tenancy}
	}
	for _, ts := range d.TagSpecifications {
		tags, _ := validateTags(ts.Tags, true) // validated when the version was made
		item.TagSpecifications = append(item.TagSpecifications, tagSpecificationItem{ResourceType: ts.ResourceType, TagSet: tagSet(tags)})
	}
	if c := d.CreditSpecification; c != nil {
		item.CreditSpecification = &creditSpecificationItem{CPUCredits: c.CPUCredits}
	}
	if c := d.CPUOptions; c != nil {
		item.CPUOptions = &cpuOptionsItem{CoreCount: c.CoreCount, ThreadsPerCore: c.ThreadsPerCore}
	}
	if m := d.MetadataOptions; m != nil {
		item.MetadataOptions = &metadataOptionsItem{State: "pending", HTTPTokens: m.HTTPTokens, HTTPPutResponseHopLimit: m.HTTPPutResponseHopLimit,
			HTTPEndpoint: m.HTTPEndpoint, HTTPProtocolIpv6: m.HTTPProtocolIPv6, InstanceMetadataTags: m.InstanceMetadataTags}
	}
	if p := d.PrivateDNSNameOptions; p != nil {
		item.PrivateDNSNameOptions = &privateDNSNameOptionsItem{HostnameType: p.HostnameType,
			EnableResourceNameDNSARecord: p.EnableResourceNameDNSARecord, EnableResourceNameDNSAAAARecord: p.EnableResourceNameDNSAAAARecord}
	}
	return item
}

type launchTemplateVersionItem struct {
	LaunchTemplateID   string                 `xml:"launchTemplateId"`
	LaunchTemplateName string                 `xml:"launchTemplateName"`
	VersionNumber      int64                  `xml:"versionNumber"`
	VersionDescription string                 `xml:"versionDescription,omitempty"`
	CreateTime         protocol.XMLTime       `xml:"createTime"`
	CreatedBy          string                 `xml:"createdBy"`
	DefaultVersion     bool                   `xml:"defaultVersion"`
	LaunchTemplateData launchTemplateDataItem `xml:"launchTemplateData"`
}

func launchTemplateVersionWire(t *LaunchTemplate, v *LaunchTemplateVersion) launchTemplateVersionItem {
	return launchTemplateVersionItem{LaunchTemplateID: t.ID, LaunchTemplateName: t.Name, VersionNumber: v.Number,
		VersionDescription: v.Description, CreateTime: protocol.XMLTime(v.CreateTime), CreatedBy: v.CreatedBy,
		DefaultVersion: v.Number == t.DefaultVersion, LaunchTemplateData: launchTemplateDataWire(v.Data)}
}

type createLaunchTemplateInput struct {
	LaunchTemplateName string              `query:"LaunchTemplateName"`
	VersionDescription string              `query:"VersionDescription"`
	LaunchTemplateData *LaunchTemplateData `query:"LaunchTemplateData"`
	TagSpecifications  []tagSpecParam      `query:"TagSpecification"`
	ClientToken        string              `query:"ClientToken"`
	DryRun             bool                `query:"DryRun"`
}

type createLaunchTemplateOutput struct {
	LaunchTemplate launchTemplateItem `xml:"launchTemplate"`
}

func (b *Backend) handleCreateLaunchTemplate(ctx context.Context, in *createLaunchTemplateInput) (*createLaunchTemplateOutput, error) {
	if in.LaunchTemplateData == nil {
		return nil, missingParameter("LaunchTemplateData")
	}
	tags, err := tagsFor(in.TagSpecifications, "launch-template")
	if err != nil {
		return nil, err
	}
	template, err := b.createLaunchTemplate(ctx, createLaunchTemplateRequest{Name: in.LaunchTemplateName, VersionDescription: in.VersionDescription,
		Data: *in.LaunchTemplateData, Tags: tags, ClientToken: in.ClientToken}, in.DryRun)
	if err != nil {
		return nil, err
	}
	return &createLaunchTemplateOutput{LaunchTemplate: launchTemplateWire(template)}, nil
}

type createLaunchTemplateVersionInput struct {
	LaunchTemplateID   string              `query:"LaunchTemplateId"`
	LaunchTemplateName string              `query:"LaunchTemplateName"`
	SourceVersion      string              `query:"SourceVersion"`
	VersionDescription string              `query:"VersionDescription"`
	LaunchTemplateData *LaunchTemplateData `query:"LaunchTemplateData"`
	ClientToken        string              `query:"ClientToken"`
	DryRun             bool                `query:"DryRun"`
}

type createLaunchTemplateVersionOutput struct {
	LaunchTemplateVersion launchTemplateVersionItem `xml:"launchTemplateVersion"`
}

func (b *Backend) handleCreateLaunchTemplateVersion(ctx context.Context, in *createLaunchTemplateVersionInput) (*createLaunchTemplateVersionOutput, error) {
	if in.LaunchTemplateData == nil {
		return nil, missingParameter("LaunchTemplateData")
	}
	template, version, err := b.createLaunchTemplateVersion(ctx, createLaunchTemplateVersionRequest{
		Template: templateRef{ID: in.LaunchTemplateID, Name: in.LaunchTemplateName}, SourceVersion: in.SourceVersion,
		VersionDescription: in.VersionDescription, Data: *in.LaunchTemplateData, ClientToken: in.ClientToken}, in.DryRun)
	if err != nil {
		return nil, err
	}
	return &createLaunchTemplateVersionOutput{LaunchTemplateVersion: launchTemplateVersionWire(template, version)}, nil
}

type modifyLaunchTemplateInput struct {
	LaunchTemplateID   string `query:"LaunchTemplateId"`
	LaunchTemplateName string `query:"LaunchTemplateName"`
	DefaultVersion     string `query:"SetDefaultVersion"`
	ClientToken        string `query:"ClientToken"`
	DryRun             bool   `query:"DryRun"`
}

type launchTemplateOutput struct {
	LaunchTemplate launchTemplateItem `xml:"launchTemplate"`
}

func (b *Backend) handleModifyLaunchTemplate(ctx context.Context, in *modifyLaunchTemplateInput) (*launchTemplateOutput, error) {
	template, err := b.setDefaultVersion(ctx, templateRef{ID: in.LaunchTemplateID, Name: in.LaunchTemplateName}, in.DefaultVersion, in.DryRun)
	if err != nil {
		return nil, err
	}
	return &launchTemplateOutput{LaunchTemplate: launchTemplateWire(template)}, nil
}

type deleteLaunchTemplateInput struct {
	LaunchTemplateID   string `query:"LaunchTemplateId"`
	LaunchTemplateName string `query:"LaunchTemplateName"`
	DryRun             bool   `query:"DryRun"`
}

func (b *Backend) handleDeleteLaunchTemplate(ctx context.Context, in *deleteLaunchTemplateInput) (*launchTemplateOutput, error) {
	template, err := b.deleteLaunchTemplate(ctx, templateRef{ID: in.LaunchTemplateID, Name: in.LaunchTemplateName}, in.DryRun)
	if err != nil {
		return nil, err
	}
	return &launchTemplateOutput{LaunchTemplate: launchTemplateWire(template)}, nil
}

type deleteLaunchTemplateVersionsInput struct {
	LaunchTemplateID   string   `query:"LaunchTemplateId"`
	LaunchTemplateName string   `query:"LaunchTemplateName"`
	Versions           []string `query:"LaunchTemplateVersion"`
	DryRun             bool     `query:"DryRun"`
}

type deletedVersionItem struct {
	LaunchTemplateID   string `xml:"launchTemplateId"`
	LaunchTemplateName string `xml:"launchTemplateName"`
	VersionNumber      int64  `xml:"versionNumber"`
}

type versionErrorItem struct {
	Code    string `xml:"code"`
	Message string `xml:"message"`
}

type unsuccessfulVersionItem struct {
	LaunchTemplateID   string           `xml:"launchTemplateId"`
	LaunchTemplateName string           `xml:"launchTemplateName"`
	VersionNumber      int64            `xml:"versionNumber"`
	ResponseError      versionErrorItem `xml:"responseError"`
}

type deleteLaunchTemplateVersionsOutput struct {
	Successful   []deletedVersionItem      `xml:"successfullyDeletedLaunchTemplateVersionSet>item"`
	Unsuccessful []unsuccessfulVersionItem `xml:"unsuccessfullyDeletedLaunchTemplateVersionSet>item"`
}

func (b *Backend) handleDeleteLaunchTemplateVersions(ctx context.Context, in *deleteLaunchTemplateVersionsInput) (*deleteLaunchTemplateVersionsOutput, error) {
	template, result, err := b.deleteLaunchTemplateVersions(ctx, templateRef{ID: in.LaunchTemplateID, Name: in.LaunchTemplateName}, in.Versions, in.DryRun)
	if err != nil {
		return nil, err
	}
	out := &deleteLaunchTemplateVersionsOutput{Successful: []deletedVersionItem{}, Unsuccessful: []unsuccessfulVersionItem{}}
	for _, n := range result.Deleted {
		out.Successful = append(out.Successful, deletedVersionItem{LaunchTemplateID: template.ID, LaunchTemplateName: template.Name, VersionNumber: n})
	}
	for _, v := range in.Versions {
		code, failed := result.Unsuccesful[v]
		if !failed {
			continue
		}
		n, _ := strconv.ParseInt(v, 10, 64)
		out.Unsuccessful = append(out.Unsuccessful, unsuccessfulVersionItem{LaunchTemplateID: template.ID, LaunchTemplateName: template.Name,
			VersionNumber: n, ResponseError: versionErrorItem{Code: code, Message: "The launch template version " + v + " could not be deleted"}})
	}
	return out, nil
}

type describeLaunchTemplatesInput struct {
	LaunchTemplateIDs   []string      `query:"LaunchTemplateId"`
	LaunchTemplateNames []string      `query:"LaunchTemplateName"`
	Filters             []filterParam `query:"Filter"`
	MaxResults          *int32        `query:"MaxResults"`
	NextToken           *string       `query:"NextToken"`
	DryRun              bool          `query:"DryRun"`
}

type describeLaunchTemplatesOutput struct {
	LaunchTemplates []launchTemplateItem `xml:"launchTemplates>item"`
	NextToken       string               `xml:"nextToken,omitempty"`
}

func (b *Backend) handleDescribeLaunchTemplates(ctx context.Context, in *describeLaunchTemplatesInput) (*describeLaunchTemplatesOutput, error) {
	out := &describeLaunchTemplatesOutput{LaunchTemplates: []launchTemplateItem{}}
	err := b.view(ctx, in.DryRun, func(tx *store.Tx) error {
		all, err := store.List[LaunchTemplate](tx, tableLaunchTemplates)
		if err != nil {
			return err
		}
		selected, err := selectByID(kindLaunchTemplate, all, func(t *LaunchTemplate) string { return t.ID }, in.LaunchTemplateIDs)
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
		selected, err = filterItems(selected, in.Filters, func(t *LaunchTemplate) map[string]string { return t.Tags },
			func(t *LaunchTemplate) fieldValues { return t.filterValues })
		if err != nil {
			return err
		}
		page, next, err := paginate(selected, func(t *LaunchTemplate) string { return t.ID }, in.MaxResults, in.NextToken, 1)
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

type describeLaunchTemplateVersionsInput struct {
	LaunchTemplateID   string        `query:"LaunchTemplateId"`
	LaunchTemplateName string        `query:"LaunchTemplateName"`
	Versions           []string      `query:"LaunchTemplateVersion"`
	MinVersion         string        `query:"MinVersion"`
	MaxVersion         string        `query:"MaxVersion"`
	Filters            []filterParam `query:"Filter"`
	MaxResults         *int32        `query:"MaxResults"`
	NextToken          *string       `query:"NextToken"`
	ResolveAlias       bool          `query:"ResolveAlias"`
	DryRun             bool          `query:"DryRun"`
}

type describeLaunchTemplateVersionsOutput struct {
	Versions  []launchTemplateVersionItem `xml:"launchTemplateVersionSet>item"`
	NextToken string                      `xml:"nextToken,omitempty"`
}

func (b *Backend) handleDescribeLaunchTemplateVersions(ctx context.Context, in *describeLaunchTemplateVersionsInput) (*describeLaunchTemplateVersionsOutput, error) {
	if in.LaunchTemplateID == "" && in.LaunchTemplateName == "" {
		// Without a template, EC2 lists $Latest/$Default across templates
		// only when asked for those aliases; a bare call is refused.
		return nil, missingParameter("LaunchTemplateId or LaunchTemplateName")
	}
	out := &describeLaunchTemplateVersionsOutput{Versions: []launchTemplateVersionItem{}}
	err := b.view(ctx, in.DryRun, func(tx *store.Tx) error {
		template, err := findTemplate(tx, templateRef{ID: in.LaunchTemplateID, Name: in.LaunchTemplateName})
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
		versions, err = filterItems(versions, in.Filters, func(*LaunchTemplateVersion) map[string]string { return nil },
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
			in.MaxResults, in.NextToken, 1)
		if err != nil {
			return err
		}
		for _, v := range page {
			out.Versions = append(out.Versions, launchTemplateVersionWire(template, v))
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
