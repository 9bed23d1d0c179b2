package autoscaling

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/berthdev/berth/internal/localcloud/protocol"
	"github.com/berthdev/berth/internal/localcloud/store"
)

const tableLaunchConfigurations = "autoscaling/launch-configurations" // by name

// LaunchConfiguration is the older, immutable way to say what a group's
// instances launch with.
type LaunchConfiguration struct {
	Name                     string
	ARN                      string
	ImageID                  string
	InstanceType             string
	KeyName                  string
	SecurityGroups           []string
	UserData                 string // base64, as given
	IamInstanceProfile       string
	InstanceMonitoring       bool
	AssociatePublicIPAddress *bool `json:",omitempty"`
	EbsOptimized             bool
	CreatedTime              time.Time
}

type createLaunchConfigurationInput struct {
	LaunchConfigurationName  string
	ImageId                  string
	InstanceType             string
	KeyName                  string
	SecurityGroups           []string
	UserData                 string
	IamInstanceProfile       string
	InstanceId               string
	InstanceMonitoring       *struct{ Enabled *bool }
	AssociatePublicIpAddress *bool
	EbsOptimized             *bool
}

func (b *Backend) handleCreateLaunchConfiguration(ctx context.Context, in *createLaunchConfigurationInput) (*emptyOutput, error) {
	switch {
	case in.LaunchConfigurationName == "":
		return nil, required("launchConfigurationName", false)
	case in.InstanceId != "":
		return nil, validationError("Launch configurations from an instance (InstanceId) are not supported by the local cloud; give ImageId and InstanceType")
	case in.ImageId == "":
		return nil, validationError("Valid requests must contain either the InstanceID parameter or both the ImageId and InstanceType parameters.")
	case in.InstanceType == "":
		return nil, validationError("Valid requests must contain either the InstanceID parameter or both the ImageId and InstanceType parameters.")
	}
	lc := &LaunchConfiguration{
		Name: in.LaunchConfigurationName, ImageID: in.ImageId, InstanceType: in.InstanceType, KeyName: in.KeyName,
		SecurityGroups: in.SecurityGroups, UserData: in.UserData, IamInstanceProfile: in.IamInstanceProfile,
		InstanceMonitoring:       in.InstanceMonitoring == nil || in.InstanceMonitoring.Enabled == nil || *in.InstanceMonitoring.Enabled,
		AssociatePublicIPAddress: in.AssociatePublicIpAddress, EbsOptimized: in.EbsOptimized != nil && *in.EbsOptimized,
		CreatedTime: b.now().UTC(),
	}
	return nil, internalError(b.store.Update(ctx, func(tx *store.Tx) error {
		existing, err := store.Get[LaunchConfiguration](tx, tableLaunchConfigurations, lc.Name)
		if err != nil {
			return err
		}
		if existing != nil {
			return protocol.Errorf(codeAlreadyExists, "Launch Configuration by this name already exists - A launch configuration already exists with the name %s", lc.Name)
		}
		lc.ARN = tx.ARN("autoscaling", "launchConfiguration:"+store.NewUUID()+":launchConfigurationName/"+lc.Name)
		return tx.Put(tableLaunchConfigurations, lc.Name, lc)
	}))
}

// LaunchConfiguration returns the named launch configuration, nil when
// there is none.
func (b *Backend) LaunchConfiguration(ctx context.Context, name string) (*LaunchConfiguration, error) {
	var out *LaunchConfiguration
	err := b.store.View(ctx, func(tx *store.Tx) (err error) {
		out, err = store.Get[LaunchConfiguration](tx, tableLaunchConfigurations, name)
		return err
	})
	return out, internalError(err)
}

type describeLaunchConfigurationsInput struct {
	LaunchConfigurationNames []string
	NextToken                string
	MaxRecords               *int
}

type launchConfigurationXML struct {
	LaunchConfigurationName  string                 `xml:"LaunchConfigurationName"`
	LaunchConfigurationARN   string                 `xml:"LaunchConfigurationARN"`
	ImageId                  string                 `xml:"ImageId"`
	KeyName                  string                 `xml:"KeyName"`
	SecurityGroups           members[string]        `xml:"SecurityGroups"`
	UserData                 string                 `xml:"UserData"`
	InstanceType             string                 `xml:"InstanceType"`
	KernelId                 string                 `xml:"KernelId"`
	RamdiskId                string                 `xml:"RamdiskId"`
	BlockDeviceMappings      members[string]        `xml:"BlockDeviceMappings"`
	InstanceMonitoring       struct{ Enabled bool } `xml:"InstanceMonitoring"`
	IamInstanceProfile       string                 `xml:"IamInstanceProfile,omitempty"`
	CreatedTime              protocol.XMLTime       `xml:"CreatedTime"`
	EbsOptimized             bool                   `xml:"EbsOptimized"`
	AssociatePublicIpAddress *bool                  `xml:"AssociatePublicIpAddress,omitempty"`
}

type describeLaunchConfigurationsOutput struct {
	LaunchConfigurations members[launchConfigurationXML] `xml:"LaunchConfigurations"`
	NextToken            string                          `xml:"NextToken,omitempty"`
}

func (b *Backend) handleDescribeLaunchConfigurations(ctx context.Context, in *describeLaunchConfigurationsInput) (*describeLaunchConfigurationsOutput, error) {
	var all []*LaunchConfiguration
	err := b.store.View(ctx, func(tx *store.Tx) (err error) {
		all, err = store.List[LaunchConfiguration](tx, tableLaunchConfigurations)
		return err
	})
	if err != nil {
		return nil, internalError(err)
	}
	if len(in.LaunchConfigurationNames) > 0 {
		all = slices.DeleteFunc(all, func(lc *LaunchConfiguration) bool { return !slices.Contains(in.LaunchConfigurationNames, lc.Name) })
	}
	slices.SortFunc(all, func(a, b *LaunchConfiguration) int { return strings.Compare(a.Name, b.Name) })
	page, next, err := paginate(all, in.NextToken, in.MaxRecords)
	if err != nil {
		return nil, err
	}
	out := &describeLaunchConfigurationsOutput{LaunchConfigurations: members[launchConfigurationXML]{}, NextToken: next}
	for _, lc := range page {
		x := launchConfigurationXML{
			LaunchConfigurationName: lc.Name, LaunchConfigurationARN: lc.ARN, ImageId: lc.ImageID, KeyName: lc.KeyName,
			SecurityGroups: append(members[string]{}, lc.SecurityGroups...), UserData: lc.UserData, InstanceType: lc.InstanceType,
			BlockDeviceMappings: members[string]{}, IamInstanceProfile: lc.IamInstanceProfile, CreatedTime: protocol.XMLTime(lc.CreatedTime),
			EbsOptimized: lc.EbsOptimized, AssociatePublicIpAddress: lc.AssociatePublicIPAddress,
		}
		x.InstanceMonitoring.Enabled = lc.InstanceMonitoring
		out.LaunchConfigurations = append(out.LaunchConfigurations, x)
	}
	return out, nil
}

type deleteLaunchConfigurationInput struct {
	LaunchConfigurationName string
}

func (b *Backend) handleDeleteLaunchConfiguration(ctx context.Context, in *deleteLaunchConfigurationInput) (*emptyOutput, error) {
	if in.LaunchConfigurationName == "" {
		return nil, required("launchConfigurationName", false)
	}
	return nil, internalError(b.store.Update(ctx, func(tx *store.Tx) error {
		lc, err := store.Get[LaunchConfiguration](tx, tableLaunchConfigurations, in.LaunchConfigurationName)
		if err != nil {
			return err
		}
		if lc == nil {
			return validationError("Launch configuration name not found - Launch configuration %s not found", in.LaunchConfigurationName)
		}
		groups, err := store.List[Group](tx, tableGroups)
		if err != nil {
			return err
		}
		for _, g := range groups {
			if g.LaunchConfigurationName == lc.Name {
				return resourceInUse("Cannot delete launch configuration %s because it is attached to AutoScalingGroup %s", lc.Name, g.Name)
			}
		}
		return tx.Delete(tableLaunchConfigurations, lc.Name)
	}))
}

// launchConfigurationExists checks a group's launch configuration.
func (b *Backend) launchConfigurationExists(ctx context.Context, name string) error {
	lc, err := b.LaunchConfiguration(ctx, name)
	if err != nil {
		return err
	}
	if lc == nil {
		return validationError("Launch configuration name not found - Launch configuration %s not found", name)
	}
	return nil
}
