package ecs

import (
	"cmp"
	"context"
	"github.com/berthdev/berth/internal/localcloud/service/ecs/wire"
	"regexp"
	"slices"
	"strings"

	"github.com/berthdev/berth/internal/localcloud/store"
)

var asgARNPattern = regexp.MustCompile(`^arn:aws[a-z-]*:autoscaling:[a-z0-9-]+:[0-9]+:autoScalingGroup:[^:]+:autoScalingGroupName/[^/]+$`)

// isFargateProvider reports whether a name is one of the built-in providers.
func isFargateProvider(name string) bool { return name == "FARGATE" || name == "FARGATE_SPOT" }

// builtinProvider returns FARGATE or FARGATE_SPOT, which every account has.
func (s *State) builtinProvider(name string) *CapacityProvider {
	return &CapacityProvider{
		CapacityProviderArn: s.arn("capacity-provider/" + name),
		Name:                name,
		Status:              statusActive,
		Type:                name,
		Tags:                []Tag{},
	}
}

// CapacityProvider returns the provider a name or ARN means (the built-in
// FARGATE ones included), nil when there is none.
func (s *State) CapacityProvider(nameOrARN string) (*CapacityProvider, error) {
	if s.foreign(nameOrARN) {
		return nil, nil
	}
	name := nameFromRef(nameOrARN, "capacity-provider")
	if isFargateProvider(name) {
		return s.builtinProvider(name), nil
	}
	return store.Get[CapacityProvider](s.tx, tableCapacityProviders, name)
}

// CapacityProviders returns the account's ASG capacity providers, INACTIVE
// ones included.
func (s *State) CapacityProviders() ([]*CapacityProvider, error) {
	return store.List[CapacityProvider](s.tx, tableCapacityProviders)
}

// PutCapacityProvider stores an ASG capacity provider (tags live apart).
func (s *State) PutCapacityProvider(cp *CapacityProvider) error {
	stored := *cp
	stored.Tags = nil
	return s.tx.Put(tableCapacityProviders, cp.Name, &stored)
}

func validateProviderName(name string) error {
	lower := strings.ToLower(name)
	if !namePattern.MatchString(name) || strings.HasPrefix(lower, "aws") || strings.HasPrefix(lower, "ecs") || strings.HasPrefix(lower, "fargate") {
		return errClient(`The specified capacity provider name is invalid. Up to 255 characters are allowed, including letters (upper and lowercase), numbers, underscores, and hyphens. The name cannot be prefixed with "aws", "ecs", or "fargate". Specify a valid name and try again.`)
	}
	return nil
}

// applyManagedScaling merges requested managed scaling settings over the
// current ones and fills ECS's defaults.
func applyManagedScaling(current, requested *ManagedScaling) (*ManagedScaling, error) {
	out := &ManagedScaling{}
	if current != nil {
		*out = *current
	}
	if requested != nil {
		if requested.Status != "" {
			out.Status = requested.Status
		}
		if requested.TargetCapacity != nil {
			out.TargetCapacity = requested.TargetCapacity
		}
		if requested.MinimumScalingStepSize != nil {
			out.MinimumScalingStepSize = requested.MinimumScalingStepSize
		}
		if requested.MaximumScalingStepSize != nil {
			out.MaximumScalingStepSize = requested.MaximumScalingStepSize
		}
		if requested.InstanceWarmupPeriod != nil {
			out.InstanceWarmupPeriod = requested.InstanceWarmupPeriod
		}
	}
	if out.Status == "" {
		out.Status = "DISABLED"
	}
	if out.TargetCapacity == nil {
		out.TargetCapacity = ptr[int32](100)
	}
	if out.MinimumScalingStepSize == nil {
		out.MinimumScalingStepSize = ptr[int32](1)
	}
	if out.MaximumScalingStepSize == nil {
		out.MaximumScalingStepSize = ptr[int32](10000)
	}
	if out.InstanceWarmupPeriod == nil {
		out.InstanceWarmupPeriod = ptr[int32](300)
	}
	switch {
	case out.Status != "ENABLED" && out.Status != "DISABLED":
		return nil, errInvalidParameter("managedScaling.status must be ENABLED or DISABLED.")
	case *out.TargetCapacity < 1 || *out.TargetCapacity > 100:
		return nil, errInvalidParameter("managedScaling.targetCapacity must be between 1 and 100.")
	case *out.MinimumScalingStepSize < 1 || *out.MinimumScalingStepSize > 10000:
		return nil, errInvalidParameter("managedScaling.minimumScalingStepSize must be between 1 and 10000.")
	case *out.MaximumScalingStepSize < 1 || *out.MaximumScalingStepSize > 10000:
		return nil, errInvalidParameter("managedScaling.maximumScalingStepSize must be between 1 and 10000.")
	case *out.MinimumScalingStepSize > *out.MaximumScalingStepSize:
		return nil, errInvalidParameter("managedScaling.minimumScalingStepSize cannot be greater than maximumScalingStepSize.")
	case *out.InstanceWarmupPeriod < 0 || *out.InstanceWarmupPeriod > 10000:
		return nil, errInvalidParameter("managedScaling.instanceWarmupPeriod must be between 0 and 10000.")
	}
	return out, nil
}

func validateEnabledDisabled(member, value string) error {
	if value != "" && value != "ENABLED" && value != "DISABLED" {
		return errInvalidParameter("%s must be ENABLED or DISABLED.", member)
	}
	return nil
}

func (b *Backend) createCapacityProvider(ctx context.Context, in *wire.CreateCapacityProviderRequest) (*wire.CreateCapacityProviderResponse, error) {
	if in.Name == "" {
		return nil, errMissing("name")
	}
	if err := validateProviderName(in.Name); err != nil {
		return nil, err
	}
	asg := in.AutoScalingGroupProvider
	if asg == nil {
		return nil, errInvalidParameter("autoScalingGroupProvider can not be blank.")
	}
	if !asgARNPattern.MatchString(asg.AutoScalingGroupArn) {
		return nil, errInvalidParameter("The specified Auto Scaling group ARN is invalid. Specify a valid Auto Scaling group ARN and try again.")
	}
	if err := validateTags(in.Tags); err != nil {
		return nil, err
	}
	if err := validateEnabledDisabled("managedTerminationProtection", asg.ManagedTerminationProtection); err != nil {
		return nil, err
	}
	if err := validateEnabledDisabled("managedDraining", asg.ManagedDraining); err != nil {
		return nil, err
	}
	scaling, err := applyManagedScaling(nil, managedScalingIn(asg.ManagedScaling))
	if err != nil {
		return nil, err
	}
	provider := &AutoScalingGroupProvider{
		AutoScalingGroupArn:          asg.AutoScalingGroupArn,
		ManagedScaling:               scaling,
		ManagedTerminationProtection: cmp.Or(asg.ManagedTerminationProtection, "DISABLED"),
		ManagedDraining:              cmp.Or(asg.ManagedDraining, "ENABLED"),
	}
	if provider.ManagedTerminationProtection == "ENABLED" && scaling.Status != "ENABLED" {
		return nil, errClient("The managed termination protection setting for the capacity provider is invalid. To enable managed termination protection for a capacity provider, managed scaling must be turned on.")
	}
	var out *CapacityProvider
	err = b.Update(ctx, func(s *State) error {
		existing, err := s.CapacityProvider(in.Name)
		if err != nil {
			return err
		}
		if existing != nil && existing.Status == statusActive {
			return errClient("The specified capacity provider already exists. To change the configuration of an existing capacity provider, update the capacity provider.")
		}
		all, err := s.CapacityProviders()
		if err != nil {
			return err
		}
		for _, other := range all {
			if other.Status == statusActive && other.AutoScalingGroupProvider != nil && other.AutoScalingGroupProvider.AutoScalingGroupArn == asg.AutoScalingGroupArn {
				return errClient("The specified Auto Scaling group ARN is already being used by another capacity provider. Specify a unique Auto Scaling group ARN and try again.")
			}
		}
		cp := &CapacityProvider{
			CapacityProviderArn:      s.arn("capacity-provider/" + in.Name),
			Name:                     in.Name,
			Status:                   statusActive,
			Type:                     "EC2_AUTOSCALING",
			AutoScalingGroupProvider: provider,
		}
		if err := s.PutCapacityProvider(cp); err != nil {
			return err
		}
		if err := s.putTags(cp.CapacityProviderArn, in.Tags); err != nil {
			return err
		}
		cp.Tags = in.Tags
		if cp.Tags == nil {
			cp.Tags = []Tag{}
		}
		out = cp
		return nil
	})
	return &wire.CreateCapacityProviderResponse{CapacityProvider: capacityProviderOut(out)}, err
}

func (b *Backend) describeCapacityProviders(ctx context.Context, in *wire.DescribeCapacityProvidersRequest) (*wire.DescribeCapacityProvidersResponse, error) {
	if err := validateInclude(in.Include, "TAGS"); err != nil {
		return nil, err
	}
	out := &wire.DescribeCapacityProvidersResponse{CapacityProviders: []wire.CapacityProvider{}, Failures: []Failure{}}
	var found []*CapacityProvider
	err := b.View(ctx, func(s *State) error {
		if len(in.CapacityProviders) == 0 {
			found = append(found, s.builtinProvider("FARGATE"), s.builtinProvider("FARGATE_SPOT"))
			all, err := s.CapacityProviders()
			if err != nil {
				return err
			}
			for _, cp := range all {
				if cp.UpdateStatus != "DELETE_COMPLETE" {
					found = append(found, cp)
				}
			}
		}
		err := eachRef(s, in.CapacityProviders, "capacity-provider/", &out.Failures, s.CapacityProvider, func(cp *CapacityProvider) error {
			found = append(found, cp)
			return nil
		})
		if err != nil {
			return err
		}
		for _, cp := range found {
			cp.Tags = []Tag{}
			if slices.Contains(in.Include, "TAGS") {
				tags, err := s.tags(cp.CapacityProviderArn)
				if err != nil {
					return err
				}
				cp.Tags = tags
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	pageOf, next, err := page(found, nil, in.NextToken, in.MaxResults, 100)
	if err != nil {
		return nil, err
	}
	out.NextToken = next
	for _, cp := range pageOf {
		out.CapacityProviders = append(out.CapacityProviders, *capacityProviderOut(cp))
	}
	return out, nil
}

func (b *Backend) updateCapacityProvider(ctx context.Context, in *wire.UpdateCapacityProviderRequest) (*wire.UpdateCapacityProviderResponse, error) {
	if in.Name == "" {
		return nil, errMissing("name")
	}
	if in.AutoScalingGroupProvider == nil {
		return nil, errMissing("autoScalingGroupProvider")
	}
	requested := in.AutoScalingGroupProvider
	if err := validateEnabledDisabled("managedTerminationProtection", requested.ManagedTerminationProtection); err != nil {
		return nil, err
	}
	if err := validateEnabledDisabled("managedDraining", requested.ManagedDraining); err != nil {
		return nil, err
	}
	var out *CapacityProvider
	err := b.Update(ctx, func(s *State) error {
		name := nameFromRef(in.Name, "capacity-provider")
		if isFargateProvider(name) {
			return errClient("The specified capacity provider is reserved and cannot be updated.")
		}
		cp, err := s.CapacityProvider(name)
		if err != nil {
			return err
		}
		if cp == nil || cp.Status != statusActive {
			return errClient("The specified capacity provider does not exist. Specify a valid name or ARN and try again.")
		}
		asg := cp.AutoScalingGroupProvider
		scaling, err := applyManagedScaling(asg.ManagedScaling, managedScalingIn(requested.ManagedScaling))
		if err != nil {
			return err
		}
		asg.ManagedScaling = scaling
		asg.ManagedTerminationProtection = cmp.Or(requested.ManagedTerminationProtection, asg.ManagedTerminationProtection)
		asg.ManagedDraining = cmp.Or(requested.ManagedDraining, asg.ManagedDraining)
		if asg.ManagedTerminationProtection == "ENABLED" && scaling.Status != "ENABLED" {
			return errClient("The managed termination protection setting for the capacity provider is invalid. To enable managed termination protection for a capacity provider, managed scaling must be turned on.")
		}
		cp.UpdateStatus = "UPDATE_COMPLETE"
		cp.UpdateStatusReason = ""
		if err := s.PutCapacityProvider(cp); err != nil {
			return err
		}
		if cp.Tags, err = s.tags(cp.CapacityProviderArn); err != nil {
			return err
		}
		out = cp
		return nil
	})
	return &wire.UpdateCapacityProviderResponse{CapacityProvider: capacityProviderOut(out)}, err
}

func (b *Backend) deleteCapacityProvider(ctx context.Context, in *wire.DeleteCapacityProviderRequest) (*wire.DeleteCapacityProviderResponse, error) {
	if in.CapacityProvider == "" {
		return nil, errMissing("capacityProvider")
	}
	var out *CapacityProvider
	err := b.Update(ctx, func(s *State) error {
		name := nameFromRef(in.CapacityProvider, "capacity-provider")
		if isFargateProvider(name) {
			return errClient("The specified capacity provider is reserved and cannot be deleted.")
		}
		cp, err := s.CapacityProvider(name)
		if err != nil {
			return err
		}
		if cp == nil || cp.Status != statusActive {
			return errClient("The specified capacity provider does not exist. Specify a valid name or ARN and try again.")
		}
		owner, err := s.clusterUsingProvider(name)
		if err != nil {
			return err
		}
		if owner != nil {
			return errResourceInUse("The capacity provider cannot be deleted because it is associated with cluster: %s. Remove the capacity provider from the cluster and try again.", owner.ClusterName)
		}
		// Nothing is left to drain locally, so the delete completes at once;
		// the record stays INACTIVE so describing it still works.
		cp.Status = statusInactive
		cp.UpdateStatus = "DELETE_COMPLETE"
		cp.UpdateStatusReason = ""
		if err := s.PutCapacityProvider(cp); err != nil {
			return err
		}
		if cp.Tags, err = s.tags(cp.CapacityProviderArn); err != nil {
			return err
		}
		out = cp
		return nil
	})
	return &wire.DeleteCapacityProviderResponse{CapacityProvider: capacityProviderOut(out)}, err
}
