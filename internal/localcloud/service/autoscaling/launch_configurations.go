package autoscaling

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/berthdev/berth/internal/localcloud/protocol"
	"github.com/berthdev/berth/internal/localcloud/protocol/query"
	"github.com/berthdev/berth/internal/localcloud/service/autoscaling/wire"
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

func (b *Backend) handleCreateLaunchConfiguration(ctx context.Context, in *wire.CreateLaunchConfigurationType) (*struct{}, error) {
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

func (b *Backend) handleDescribeLaunchConfigurations(ctx context.Context, in *wire.LaunchConfigurationNamesType) (*wire.LaunchConfigurationsType, error) {
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
	return &wire.LaunchConfigurationsType{LaunchConfigurations: listOf(page, launchConfigurationOut), NextToken: next}, nil
}

func launchConfigurationOut(lc *LaunchConfiguration) wire.LaunchConfiguration {
	return wire.LaunchConfiguration{
		LaunchConfigurationName: lc.Name, LaunchConfigurationARN: lc.ARN, ImageId: lc.ImageID, KeyName: lc.KeyName,
		SecurityGroups: list(lc.SecurityGroups), UserData: lc.UserData, InstanceType: lc.InstanceType,
		BlockDeviceMappings: query.List[wire.BlockDeviceMapping]{}, IamInstanceProfile: lc.IamInstanceProfile, CreatedTime: xmlTime(lc.CreatedTime),
		EbsOptimized: ptr(lc.EbsOptimized), AssociatePublicIpAddress: lc.AssociatePublicIPAddress,
		InstanceMonitoring: &wire.InstanceMonitoring{Enabled: ptr(lc.InstanceMonitoring)},
	}
}

func (b *Backend) handleDeleteLaunchConfiguration(ctx context.Context, in *wire.LaunchConfigurationNameType) (*struct{}, error) {
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
