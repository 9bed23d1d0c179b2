package ec2

import (
	"context"
	"encoding/base64"
	"fmt"
	"regexp"
	"strconv"
	"time"

	"github.com/berthdev/berth/internal/localcloud/store"
)

// LaunchTemplate is a named, versioned set of instance launch parameters.
type LaunchTemplate struct {
	ID             string
	Name           string
	OwnerID        string
	CreatedBy      string
	CreateTime     time.Time
	DefaultVersion int64
	LatestVersion  int64
	Tags           map[string]string
}

// LaunchTemplateVersion is one immutable version of a template.
type LaunchTemplateVersion struct {
	TemplateID  string
	Number      int64
	Description string
	CreatedBy   string
	CreateTime  time.Time
	Data        LaunchTemplateData
}

// LaunchTemplateData is what a version holds, and what RunInstances and
// Auto Scaling launch with (handlers read it from the generated
// RequestLaunchTemplateData and RunInstancesRequest). Pointers and nil
// lists mark members that were not given (a version copies only what its
// source set).
type LaunchTemplateData struct {
	ImageID                           string
	InstanceType                      string
	KeyName                           string
	KernelID                          string
	RamDiskID                         string
	UserData                          string // base64, as given
	IamInstanceProfile                *IamInstanceProfileSpec
	SecurityGroupIDs                  []string
	SecurityGroups                    []string
	NetworkInterfaces                 []NetworkInterfaceSpec
	BlockDeviceMappings               []BlockDeviceMapping
	TagSpecifications                 []LaunchTemplateTagSpec
	Monitoring                        *MonitoringSpec
	MetadataOptions                   *MetadataOptions
	Placement                         *PlacementSpec
	CreditSpecification               *CreditSpecification
	EbsOptimized                      *bool
	DisableAPITermination             *bool
	DisableAPIStop                    *bool
	InstanceInitiatedShutdownBehavior string
	CPUOptions                        *CPUOptions
	PrivateDNSNameOptions             *PrivateDNSNameOptionsRequest
}

// IamInstanceProfileSpec names an instance profile by ARN or by name.
type IamInstanceProfileSpec struct {
	Arn  string
	Name string
}

// NetworkInterfaceSpec is a network interface to create at launch.
type NetworkInterfaceSpec struct {
	DeviceIndex              *int
	SubnetID                 string
	Groups                   []string
	AssociatePublicIPAddress *bool
	DeleteOnTermination      *bool
	Description              string
	PrivateIPAddress         string
	NetworkInterfaceID       string
	InterfaceType            string
}

// BlockDeviceMapping is a volume attached at launch.
type BlockDeviceMapping struct {
	DeviceName  string
	VirtualName string
	NoDevice    string
	Ebs         *EbsSpec
}

// EbsSpec describes an EBS volume.
type EbsSpec struct {
	VolumeSize          *int
	VolumeType          string
	Iops                *int
	Throughput          *int
	SnapshotID          string
	KmsKeyID            string
	Encrypted           *bool
	DeleteOnTermination *bool
}

// LaunchTemplateTagSpec tags what instances launched from the template create.
type LaunchTemplateTagSpec struct {
	ResourceType string
	Tags         []tagParam
}

// MonitoringSpec turns detailed monitoring on.
type MonitoringSpec struct {
	Enabled *bool
}

// MetadataOptions configures the instance metadata service.
type MetadataOptions struct {
	HTTPTokens              string
	HTTPPutResponseHopLimit *int
	HTTPEndpoint            string
	HTTPProtocolIPv6        string
	InstanceMetadataTags    string
}

// PlacementSpec places instances.
type PlacementSpec struct {
	AvailabilityZone string
	GroupName        string
	Tenancy          string
}

// CreditSpecification sets a burstable instance's credit option.
type CreditSpecification struct {
	CPUCredits string
}

// CPUOptions sets cores and threads.
type CPUOptions struct {
	CoreCount      *int
	ThreadsPerCore *int
}

// PrivateDNSNameOptionsRequest sets the hostname type.
type PrivateDNSNameOptionsRequest struct {
	HostnameType                    string
	EnableResourceNameDNSARecord    *bool
	EnableResourceNameDNSAAAARecord *bool
}

// validLaunchTemplateName is EC2's rule: 3 to 128 of [a-zA-Z0-9().\-/_].
var validLaunchTemplateName = regexp.MustCompile(`^[a-zA-Z0-9().\-/_]{3,128}$`)

// validate checks what EC2 checks when a version is created; references to
// images, groups and subnets are only checked at launch, as in AWS.
func (d *LaunchTemplateData) validate() error {
	if d.UserData != "" {
		if _, err := base64.StdEncoding.DecodeString(d.UserData); err != nil {
			return invalidParameterValue("Invalid BASE64 encoding of user data.")
		}
	}
	if d.InstanceType != "" {
		if _, ok := LookupInstanceType(d.InstanceType); !ok {
			return invalidParameterValue("The instance type '%s' does not exist.", d.InstanceType)
		}
	}
	if p := d.IamInstanceProfile; p != nil && p.Arn != "" && p.Name != "" {
		return invalidParameterCombination("The parameter 'iamInstanceProfile.name' may not be used in combination with 'iamInstanceProfile.arn'")
	}
	if m := d.MetadataOptions; m != nil {
		if m.HTTPTokens != "" && m.HTTPTokens != "optional" && m.HTTPTokens != "required" {
			return invalidParameterValue("Value (%s) for parameter httpTokens is invalid.", m.HTTPTokens)
		}
		if m.HTTPEndpoint != "" && m.HTTPEndpoint != "enabled" && m.HTTPEndpoint != "disabled" {
			return invalidParameterValue("Value (%s) for parameter httpEndpoint is invalid.", m.HTTPEndpoint)
		}
		if h := m.HTTPPutResponseHopLimit; h != nil && (*h < 1 || *h > 64) {
			return invalidParameterValue("Value (%d) for parameter httpPutResponseHopLimit is invalid.", *h)
		}
	}
	for _, spec := range d.TagSpecifications {
		switch spec.ResourceType {
		case "instance", "volume", "network-interface", "spot-instances-request", "elastic-gpu":
		default:
			return invalidParameterValue("'%s' is not a valid taggable resource type for this operation.", spec.ResourceType)
		}
		if _, err := validateTags(spec.Tags, false); err != nil {
			return err
		}
	}
	if len(d.SecurityGroupIDs) > 0 && len(d.NetworkInterfaces) > 0 {
		for _, ni := range d.NetworkInterfaces {
			if len(ni.Groups) > 0 {
				return invalidParameterCombination("Network interfaces and an instance-level security groups may not be specified on the same request")
			}
		}
	}
	return nil
}

func versionKey(templateID string, number int64) string {
	return fmt.Sprintf("%s/%012d", templateID, number)
}

// templateRef names a template by id or by name.
type templateRef struct{ ID, Name string }

func findTemplate(tx *store.Tx, ref templateRef) (*LaunchTemplate, error) {
	switch {
	case ref.ID != "" && ref.Name != "":
		return nil, invalidParameterCombination("Both a launch template ID and a launch template name were specified. Specify one or the other.")
	case ref.ID != "":
		return getResource[LaunchTemplate](tx, kindLaunchTemplate, ref.ID)
	case ref.Name != "":
		templates, err := store.List[LaunchTemplate](tx, tableLaunchTemplates)
		if err != nil {
			return nil, err
		}
		for _, t := range templates {
			if t.Name == ref.Name {
				return t, nil
			}
		}
		return nil, errorf("InvalidLaunchTemplateName.NotFoundException", "The specified launch template, with template name %s, does not exist.", ref.Name)
	}
	return nil, missingParameter("LaunchTemplateId or LaunchTemplateName")
}

// resolveVersion reads "$Latest", "$Default", a number or "" (the default).
func resolveVersion(tx *store.Tx, template *LaunchTemplate, version string) (*LaunchTemplateVersion, error) {
	var number int64
	switch version {
	case "", "$Default":
		number = template.DefaultVersion
	case "$Latest":
		number = template.LatestVersion
	default:
		n, err := strconv.ParseInt(version, 10, 64)
		if err != nil || n < 1 {
			return nil, invalidParameterValue("The launch template version '%s' is not valid. Specify a version number, $Latest, or $Default.", version)
		}
		number = n
	}
	v, err := store.Get[LaunchTemplateVersion](tx, tableLaunchTemplateVersions, versionKey(template.ID, number))
	if err != nil {
		return nil, err
	}
	if v == nil {
		return nil, errorf(codeLaunchTemplateVersion, "Could not find launch template version %s for launch template %s", version, template.ID)
	}
	return v, nil
}

type createLaunchTemplateRequest struct {
	Name               string
	VersionDescription string
	Data               LaunchTemplateData
	Tags               map[string]string
	ClientToken        string
}

func createdBy(ctx context.Context) string { return scopeOf(ctx).Global().ARN("iam", "root") }

func (b *Backend) createLaunchTemplate(ctx context.Context, req createLaunchTemplateRequest, dryRun bool) (*LaunchTemplate, error) {
	if req.Name == "" {
		return nil, missingParameter("LaunchTemplateName")
	}
	if !validLaunchTemplateName.MatchString(req.Name) {
		return nil, errorf(codeLaunchTemplateMalformed, "A launch template name must be between 3 and 128 characters, and may contain letters, numbers, and the following characters: - ( ) . / _.'")
	}
	if len(req.VersionDescription) > 255 {
		return nil, invalidParameterValue("Value for parameter versionDescription is too long. Maximum length is 255.")
	}
	if err := req.Data.validate(); err != nil {
		return nil, err
	}
	now := b.now().UTC().Truncate(time.Second)
	template := &LaunchTemplate{ID: store.NewID("lt-", 17), Name: req.Name, OwnerID: owner(ctx), CreatedBy: createdBy(ctx),
		CreateTime: now, DefaultVersion: 1, LatestVersion: 1, Tags: req.Tags}
	err := b.update(ctx, dryRun, func(tx *store.Tx) error {
		params := []any{req.Name, req.VersionDescription, req.Data, req.Tags}
		if prior, err := b.replay(tx, "CreateLaunchTemplate", req.ClientToken, params); err != nil || prior != "" {
			if err == nil {
				template, err = getResource[LaunchTemplate](tx, kindLaunchTemplate, prior)
			}
			return err
		}
		templates, err := store.List[LaunchTemplate](tx, tableLaunchTemplates)
		if err != nil {
			return err
		}
		for _, t := range templates {
			if t.Name == req.Name {
				return errorf(codeLaunchTemplateExists, "Launch template name already in use.")
			}
		}
		version := &LaunchTemplateVersion{TemplateID: template.ID, Number: 1, Description: req.VersionDescription,
			CreatedBy: template.CreatedBy, CreateTime: now, Data: req.Data}
		if err := b.remember(tx, "CreateLaunchTemplate", req.ClientToken, params, template.ID); err != nil {
			return err
		}
		if err := tx.Put(tableLaunchTemplateVersions, versionKey(template.ID, 1), version); err != nil {
			return err
		}
		return tx.Put(tableLaunchTemplates, template.ID, template)
	})
	if err != nil {
		return nil, err
	}
	return template, nil
}

type createLaunchTemplateVersionRequest struct {
	Template           templateRef
	SourceVersion      string
	VersionDescription string
	Data               LaunchTemplateData
	ClientToken        string
}

// createLaunchTemplateVersion adds a version; with a source version, the new
// data is the source's with the given members on top (lists replace).
func (b *Backend) createLaunchTemplateVersion(ctx context.Context, req createLaunchTemplateVersionRequest, dryRun bool) (*LaunchTemplate, *LaunchTemplateVersion, error) {
	if err := req.Data.validate(); err != nil {
		return nil, nil, err
	}
	var template *LaunchTemplate
	var version *LaunchTemplateVersion
	err := b.update(ctx, dryRun, func(tx *store.Tx) error {
		var err error
		if template, err = findTemplate(tx, req.Template); err != nil {
			return err
		}
		params := []any{template.ID, req.SourceVersion, req.VersionDescription, req.Data}
		if prior, err := b.replay(tx, "CreateLaunchTemplateVersion", req.ClientToken, params); err != nil || prior != "" {
			if err == nil {
				version, err = store.Get[LaunchTemplateVersion](tx, tableLaunchTemplateVersions, prior)
				if version == nil && err == nil {
					err = errorf(codeLaunchTemplateVersion, "the version that client token created was deleted")
				}
			}
			return err
		}
		data := req.Data
		if req.SourceVersion != "" {
			source, err := resolveVersion(tx, template, req.SourceVersion)
			if err != nil {
				return err
			}
			data = mergeLaunchTemplateData(source.Data, req.Data)
		}
		template.LatestVersion++
		version = &LaunchTemplateVersion{TemplateID: template.ID, Number: template.LatestVersion, Description: req.VersionDescription,
			CreatedBy: createdBy(ctx), CreateTime: b.now().UTC().Truncate(time.Second), Data: data}
		key := versionKey(template.ID, version.Number)
		if err := b.remember(tx, "CreateLaunchTemplateVersion", req.ClientToken, params, key); err != nil {
			return err
		}
		if err := tx.Put(tableLaunchTemplateVersions, key, version); err != nil {
			return err
		}
		return tx.Put(tableLaunchTemplates, template.ID, template)
	})
	if err != nil {
		return nil, nil, err
	}
	return template, version, nil
}

// mergeLaunchTemplateData overlays the members set in top on base.
func mergeLaunchTemplateData(base, top LaunchTemplateData) LaunchTemplateData {
	out := base
	setString := func(dst *string, v string) {
		if v != "" {
			*dst = v
		}
	}
	setString(&out.ImageID, top.ImageID)
	setString(&out.InstanceType, top.InstanceType)
	setString(&out.KeyName, top.KeyName)
	setString(&out.KernelID, top.KernelID)
	setString(&out.RamDiskID, top.RamDiskID)
	setString(&out.UserData, top.UserData)
	setString(&out.InstanceInitiatedShutdownBehavior, top.InstanceInitiatedShutdownBehavior)
	if top.IamInstanceProfile != nil {
		out.IamInstanceProfile = top.IamInstanceProfile
	}
	if top.SecurityGroupIDs != nil {
		out.SecurityGroupIDs = top.SecurityGroupIDs
	}
	if top.SecurityGroups != nil {
		out.SecurityGroups = top.SecurityGroups
	}
	if top.NetworkInterfaces != nil {
		out.NetworkInterfaces = top.NetworkInterfaces
	}
	if top.BlockDeviceMappings != nil {
		out.BlockDeviceMappings = top.BlockDeviceMappings
	}
	if top.TagSpecifications != nil {
		out.TagSpecifications = top.TagSpecifications
	}
	if top.Monitoring != nil {
		out.Monitoring = top.Monitoring
	}
	if top.MetadataOptions != nil {
		out.MetadataOptions = top.MetadataOptions
	}
	if top.Placement != nil {
		out.Placement = top.Placement
	}
	if top.CreditSpecification != nil {
		out.CreditSpecification = top.CreditSpecification
	}
	if top.EbsOptimized != nil {
		out.EbsOptimized = top.EbsOptimized
	}
	if top.DisableAPITermination != nil {
		out.DisableAPITermination = top.DisableAPITermination
	}
	if top.DisableAPIStop != nil {
		out.DisableAPIStop = top.DisableAPIStop
	}
	if top.CPUOptions != nil {
		out.CPUOptions = top.CPUOptions
	}
	if top.PrivateDNSNameOptions != nil {
		out.PrivateDNSNameOptions = top.PrivateDNSNameOptions
	}
	return out
}

func (b *Backend) setDefaultVersion(ctx context.Context, ref templateRef, version string, dryRun bool) (*LaunchTemplate, error) {
	var template *LaunchTemplate
	err := b.update(ctx, dryRun, func(tx *store.Tx) error {
		var err error
		if template, err = findTemplate(tx, ref); err != nil {
			return err
		}
		if version == "" {
			return nil
		}
		v, err := resolveVersion(tx, template, version)
		if err != nil {
			return err
		}
		template.DefaultVersion = v.Number
		return tx.Put(tableLaunchTemplates, template.ID, template)
	})
	if err != nil {
		return nil, err
	}
	return template, nil
}

func (b *Backend) deleteLaunchTemplate(ctx context.Context, ref templateRef, dryRun bool) (*LaunchTemplate, error) {
	var template *LaunchTemplate
	err := b.update(ctx, dryRun, func(tx *store.Tx) error {
		var err error
		if template, err = findTemplate(tx, ref); err != nil {
			return err
		}
		for n := int64(1); n <= template.LatestVersion; n++ {
			if err := tx.Delete(tableLaunchTemplateVersions, versionKey(template.ID, n)); err != nil {
				return err
			}
		}
		return tx.Delete(tableLaunchTemplates, template.ID)
	})
	if err != nil {
		return nil, err
	}
	return template, nil
}

// deleteVersionsResult says, per version asked for, whether it went.
type deleteVersionsResult struct {
	Deleted     []int64
	Unsuccesful map[string]string // version → error code
}

func (b *Backend) deleteLaunchTemplateVersions(ctx context.Context, ref templateRef, versions []string, dryRun bool) (*LaunchTemplate, deleteVersionsResult, error) {
	result := deleteVersionsResult{Unsuccesful: map[string]string{}}
	if len(versions) == 0 {
		return nil, result, missingParameter("LaunchTemplateVersion")
	}
	var template *LaunchTemplate
	err := b.update(ctx, dryRun, func(tx *store.Tx) error {
		var err error
		if template, err = findTemplate(tx, ref); err != nil {
			return err
		}
		for _, version := range versions {
			n, err := strconv.ParseInt(version, 10, 64)
			if err != nil {
				result.Unsuccesful[version] = "launchTemplateVersionDoesNotExist"
				continue
			}
			if n == template.DefaultVersion {
				result.Unsuccesful[version] = "launchTemplateVersionCannotBeDeleted"
				continue
			}
			v, err := store.Get[LaunchTemplateVersion](tx, tableLaunchTemplateVersions, versionKey(template.ID, n))
			if err != nil {
				return err
			}
			if v == nil {
				result.Unsuccesful[version] = "launchTemplateVersionDoesNotExist"
				continue
			}
			if err := tx.Delete(tableLaunchTemplateVersions, versionKey(template.ID, n)); err != nil {
				return err
			}
			result.Deleted = append(result.Deleted, n)
		}
		return nil
	})
	if err != nil {
		return nil, result, err
	}
	return template, result, nil
}

func (t *LaunchTemplate) filterValues(name string) ([]string, bool) {
	switch name {
	case "launch-template-id":
		return []string{t.ID}, true
	case "launch-template-name":
		return []string{t.Name}, true
	case "create-time":
		return []string{t.CreateTime.Format("2006-01-02T15:04:05.000Z")}, true
	}
	return nil, false
}

func (v *LaunchTemplateVersion) filterValues(name string) ([]string, bool) {
	switch name {
	case "image-id":
		return []string{v.Data.ImageID}, true
	case "instance-type":
		return []string{v.Data.InstanceType}, true
	case "is-default-version":
		return nil, false // answered by the caller, which knows the template
	case "kernel-id":
		return []string{v.Data.KernelID}, true
	case "ram-disk-id":
		return []string{v.Data.RamDiskID}, true
	case "create-time":
		return []string{v.CreateTime.Format("2006-01-02T15:04:05.000Z")}, true
	}
	return nil, false
}
