package autoscaling

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/berthdev/berth/internal/localcloud/protocol"
	"github.com/berthdev/berth/internal/localcloud/service/autoscaling/wire"
	"github.com/berthdev/berth/internal/localcloud/store"
)

// Instance lifecycle states the backend and controller use.
const (
	StatePending     = "Pending"
	StateInService   = "InService"
	StateTerminating = "Terminating"
)

// statusDeleting is the Status a force-deleted group reports until its
// instances are gone.
const statusDeleting = "Delete in progress"

// GroupRequest is a Create (or Update, where nil and empty mean "keep")
// call in domain terms.
type GroupRequest struct {
	Name                             string
	LaunchTemplate                   *wire.LaunchTemplateSpecification
	MixedInstancesPolicy             *wire.MixedInstancesPolicy
	LaunchConfigurationName          string
	InstanceID                       string
	MinSize                          *int
	MaxSize                          *int
	DesiredCapacity                  *int
	DefaultCooldown                  *int
	AvailabilityZones                []string
	VPCZoneIdentifier                *string
	TargetGroupARNs                  []string
	LoadBalancerNames                []string
	HealthCheckType                  string
	HealthCheckGracePeriod           *int
	TerminationPolicies              []string
	NewInstancesProtectedFromScaleIn *bool
	CapacityRebalance                *bool
	MaxInstanceLifetime              *int
	DefaultInstanceWarmup            *int
	DesiredCapacityType              string
	Context                          string
	ServiceLinkedRoleARN             string
	Tags                             []Tag
}

// launchTemplateOf picks the template a request names, directly or in its
// mixed instances policy.
func launchTemplateOf(req GroupRequest) (*LaunchTemplate, error) {
	spec := req.LaunchTemplate
	if spec == nil && req.MixedInstancesPolicy != nil && req.MixedInstancesPolicy.LaunchTemplate != nil {
		spec = req.MixedInstancesPolicy.LaunchTemplate.LaunchTemplateSpecification
	}
	if spec == nil {
		return nil, nil
	}
	if (spec.LaunchTemplateId == "") == (spec.LaunchTemplateName == "") {
		return nil, validationError("Valid requests must contain either launchTemplateId or LaunchTemplateName")
	}
	version := spec.Version
	if version == "" {
		version = "$Default"
	}
	return &LaunchTemplate{ID: spec.LaunchTemplateId, Name: spec.LaunchTemplateName, Version: version}, nil
}

// resolveLaunchTemplate checks that the group's launch template exists and
// completes its reference with both id and name, as AWS describes it.
func (b *Backend) resolveLaunchTemplate(ctx context.Context, lt *LaunchTemplate) error {
	if lt == nil || b.ResolveLaunchTemplate == nil || (lt.ID == "" && lt.Name == "") {
		return nil
	}
	id, name, found, err := b.ResolveLaunchTemplate(ctx, lt.ID, lt.Name)
	if err != nil {
		return err
	}
	if !found {
		which := "id " + lt.ID
		if lt.ID == "" {
			which = "name " + lt.Name
		}
		return validationError("You must use a valid fully-formed launch template. The launch template with %s does not exist.", which)
	}
	lt.ID, lt.Name = id, name
	return nil
}

func splitSubnets(identifier string) []string {
	var out []string
	for _, s := range strings.Split(identifier, ",") {
		if s = strings.TrimSpace(s); s != "" && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

// zonesOf returns the Availability Zones of subnets, through EC2 when a
// resolver is wired.
func (b *Backend) zonesOf(ctx context.Context, subnets []string) ([]string, error) {
	region := scopeOf(ctx).Region
	var zones []string
	for i, subnet := range subnets {
		zone := fmt.Sprintf("%s%c", region, 'a'+rune(i%6))
		if b.ResolveSubnetZone != nil {
			z, err := b.ResolveSubnetZone(ctx, subnet)
			if err != nil {
				return nil, err
			}
			if z == "" {
				return nil, validationError("The subnet ID '%s' does not exist", subnet)
			}
			zone = z
		}
		if !slices.Contains(zones, zone) {
			zones = append(zones, zone)
		}
	}
	return zones, nil
}

var healthCheckTypes = []string{"EC2", "ELB", "VPC_LATTICE", "EBS"}

func checkSizes(g *Group) error {
	switch {
	case g.MinSize < 0 || g.MaxSize < 0 || g.DesiredCapacity < 0:
		return validationError("Sizes must be non-negative")
	case g.MinSize > g.MaxSize:
		return validationError("Max bound, %d, must be greater than or equal to min bound, %d", g.MaxSize, g.MinSize)
	case g.DesiredCapacity > g.MaxSize:
		return validationError("Desired capacity:%d must be between the specified min size:%d and max size:%d", g.DesiredCapacity, g.MinSize, g.MaxSize)
	case g.DesiredCapacity < g.MinSize:
		return validationError("Desired capacity:%d must be between the specified min size:%d and max size:%d", g.DesiredCapacity, g.MinSize, g.MaxSize)
	}
	return nil
}

func checkTags(tags []Tag) error {
	seen := map[string]bool{}
	for _, t := range tags {
		if t.Key == "" || len(t.Key) > 128 {
			return validationError("Tag keys must be between 1 and 128 characters")
		}
		if len(t.Value) > 256 {
			return validationError("Tag values must be at most 256 characters")
		}
		if strings.HasPrefix(strings.ToLower(t.Key), "aws:") {
			return validationError("Tag keys starting with 'aws:' are reserved")
		}
		if seen[t.Key] {
			return validationError("Duplicate tag key: %s", t.Key)
		}
		seen[t.Key] = true
	}
	if len(tags) > 50 {
		return protocol.Errorf(codeLimitExceeded, "The quota of 50 tags per group is exceeded")
	}
	return nil
}

// CreateGroup creates a group. Its desired capacity defaults to its minimum.
func (b *Backend) CreateGroup(ctx context.Context, req GroupRequest) (*Group, error) {
	if err := required("autoScalingGroupName", req.Name != ""); err != nil {
		return nil, err
	}
	if len(req.Name) > 255 {
		return nil, validationError("1 validation error detected: Value at 'autoScalingGroupName' failed to satisfy constraint: Member must have length less than or equal to 255")
	}
	if err := required("minSize", req.MinSize != nil); err != nil {
		return nil, err
	}
	if err := required("maxSize", req.MaxSize != nil); err != nil {
		return nil, err
	}
	lt, err := launchTemplateOf(req)
	if err != nil {
		return nil, err
	}
	if err := b.resolveLaunchTemplate(ctx, lt); err != nil {
		return nil, err
	}
	if lt != nil && req.LaunchConfigurationName != "" {
		return nil, validationError("Valid requests must contain either LaunchTemplate, LaunchConfigurationName, InstanceId or MixedInstancesPolicy parameter.")
	}
	if lt == nil {
		switch {
		case req.InstanceID != "":
			return nil, validationError("Groups created from an instance id are not supported by the local cloud; use a launch template or a launch configuration")
		case req.LaunchConfigurationName == "":
			return nil, validationError("Valid requests must contain either LaunchTemplate, LaunchConfigurationName, InstanceId or MixedInstancesPolicy parameter.")
		}
		if err := b.launchConfigurationExists(ctx, req.LaunchConfigurationName); err != nil {
			return nil, err
		}
		lt = &LaunchTemplate{}
	}
	var subnets []string
	if req.VPCZoneIdentifier != nil {
		subnets = splitSubnets(*req.VPCZoneIdentifier)
	}
	if len(subnets) == 0 && len(req.AvailabilityZones) == 0 {
		return nil, validationError("At least one Availability Zone or VPC Subnet is required.")
	}
	zones := req.AvailabilityZones
	if len(subnets) > 0 {
		if zones, err = b.zonesOf(ctx, subnets); err != nil {
			return nil, err
		}
	}
	if req.HealthCheckType == "" {
		req.HealthCheckType = "EC2"
	}
	if !slices.Contains(healthCheckTypes, req.HealthCheckType) {
		return nil, validationError("Health check type '%s' must be one of %v", req.HealthCheckType, healthCheckTypes)
	}
	for i := range req.Tags {
		req.Tags[i].Key = strings.TrimSpace(req.Tags[i].Key)
	}
	if err := checkTags(req.Tags); err != nil {
		return nil, err
	}
	scope := scopeOf(ctx)
	g := &Group{
		Name: req.Name, ARN: groupARN(scope, req.Name), LaunchTemplate: *lt, MixedInstancesPolicy: req.MixedInstancesPolicy,
		LaunchConfigurationName: req.LaunchConfigurationName,
		MinSize:                 *req.MinSize, MaxSize: *req.MaxSize, DesiredCapacity: *req.MinSize, DefaultCooldown: 300,
		AvailabilityZones: zones, SubnetIDs: subnets, TargetGroupARNs: req.TargetGroupARNs, LoadBalancerNames: req.LoadBalancerNames,
		TerminationPolicies:  []string{"Default"},
		ServiceLinkedRoleARN: req.ServiceLinkedRoleARN, Instances: []GroupInstance{}, Tags: req.Tags, CreatedTime: b.now().UTC(),
	}
	if g.ServiceLinkedRoleARN == "" {
		g.ServiceLinkedRoleARN = scope.Global().ARN("iam", "role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling")
	}
	if req.DesiredCapacity != nil {
		g.DesiredCapacity = *req.DesiredCapacity
	}
	applySettings(g, req)
	if g.Tags == nil {
		g.Tags = []Tag{}
	}
	if err := checkSizes(g); err != nil {
		return nil, err
	}
	err = b.store.Update(ctx, func(tx *store.Tx) error {
		existing, err := store.Get[Group](tx, tableGroups, g.Name)
		if err != nil {
			return err
		}
		if existing != nil {
			return alreadyExists(g.Name)
		}
		return tx.Put(tableGroups, g.Name, g)
	})
	if err != nil {
		return nil, internalError(err)
	}
	return g, nil
}

// Groups returns every group, by name.
func (b *Backend) Groups(ctx context.Context) ([]*Group, error) {
	var out []*Group
	err := b.store.View(ctx, func(tx *store.Tx) error {
		var err error
		out, err = store.List[Group](tx, tableGroups)
		return err
	})
	return out, internalError(err)
}

// Group returns the named group, or nil when there is none.
func (b *Backend) Group(ctx context.Context, name string) (*Group, error) {
	var out *Group
	err := b.store.View(ctx, func(tx *store.Tx) error {
		var err error
		out, err = store.Get[Group](tx, tableGroups, name)
		return err
	})
	return out, internalError(err)
}

// getGroup reads the named group; an unknown one is groupNotFound.
func getGroup(tx *store.Tx, name string) (*Group, error) {
	g, err := store.Get[Group](tx, tableGroups, name)
	if err != nil {
		return nil, err
	}
	if g == nil {
		return nil, groupNotFound(name)
	}
	return g, nil
}

// UpdateGroup is an atomic read-modify-write of a group for the controller;
// fn's error aborts it. An unknown group is a ValidationError.
func (b *Backend) UpdateGroup(ctx context.Context, name string, fn func(g *Group) error) error {
	return internalError(b.store.Update(ctx, func(tx *store.Tx) error {
		g, err := getGroup(tx, name)
		if err != nil {
			return err
		}
		if err := fn(g); err != nil {
			return err
		}
		return tx.Put(tableGroups, name, g)
	}))
}

// updateLiveGroup is UpdateGroup for API calls, which a group being
// deleted refuses.
func (b *Backend) updateLiveGroup(ctx context.Context, name string, fn func(g *Group) error) error {
	if name == "" {
		return required("autoScalingGroupName", false)
	}
	return b.UpdateGroup(ctx, name, func(g *Group) error {
		if g.Deleting {
			return pendingDelete(name)
		}
		return fn(g)
	})
}

// UpdateAutoScalingGroup applies an UpdateAutoScalingGroup call. A new
// minimum above, or maximum below, the desired capacity moves it along, as
// AWS does when DesiredCapacity is not given.
func (b *Backend) UpdateAutoScalingGroup(ctx context.Context, req GroupRequest) error {
	lt, err := launchTemplateOf(req)
	if err != nil {
		return err
	}
	if err := b.resolveLaunchTemplate(ctx, lt); err != nil {
		return err
	}
	var subnets, zones []string
	if req.VPCZoneIdentifier != nil {
		subnets = splitSubnets(*req.VPCZoneIdentifier)
		if len(subnets) == 0 {
			return validationError("At least one Availability Zone or VPC Subnet is required.")
		}
		if zones, err = b.zonesOf(ctx, subnets); err != nil {
			return err
		}
	}
	if req.HealthCheckType != "" && !slices.Contains(healthCheckTypes, req.HealthCheckType) {
		return validationError("Health check type '%s' must be one of %v", req.HealthCheckType, healthCheckTypes)
	}
	if req.LaunchConfigurationName != "" {
		if lt != nil {
			return validationError("Valid requests must contain either LaunchTemplate, LaunchConfigurationName or MixedInstancesPolicy parameter.")
		}
		if err := b.launchConfigurationExists(ctx, req.LaunchConfigurationName); err != nil {
			return err
		}
	}
	return b.updateLiveGroup(ctx, req.Name, func(g *Group) error {
		if lt != nil {
			g.LaunchTemplate = *lt
			g.MixedInstancesPolicy = req.MixedInstancesPolicy
			g.LaunchConfigurationName = ""
		}
		if req.LaunchConfigurationName != "" {
			g.LaunchTemplate, g.MixedInstancesPolicy = LaunchTemplate{}, nil
			g.LaunchConfigurationName = req.LaunchConfigurationName
		}
		if req.MinSize != nil {
			g.MinSize = *req.MinSize
			if req.DesiredCapacity == nil && g.DesiredCapacity < g.MinSize {
				g.DesiredCapacity = g.MinSize
			}
		}
		if req.MaxSize != nil {
			g.MaxSize = *req.MaxSize
			if req.DesiredCapacity == nil && g.DesiredCapacity > g.MaxSize {
				g.DesiredCapacity = g.MaxSize
			}
		}
		if req.DesiredCapacity != nil {
			g.DesiredCapacity = *req.DesiredCapacity
		}
		if err := checkSizes(g); err != nil {
			return err
		}
		if subnets != nil {
			g.SubnetIDs, g.AvailabilityZones = subnets, zones
		} else if len(req.AvailabilityZones) > 0 {
			g.AvailabilityZones = req.AvailabilityZones
		}
		applySettings(g, req)
		return nil
	})
}

// applySettings sets the settings a create or update request gives; what
// it leaves out keeps its value (on create, the default).
func applySettings(g *Group, req GroupRequest) {
	if req.DefaultCooldown != nil {
		g.DefaultCooldown = *req.DefaultCooldown
	}
	if req.HealthCheckType != "" {
		g.HealthCheckType = req.HealthCheckType
	}
	if req.HealthCheckGracePeriod != nil {
		g.HealthCheckGracePeriod = *req.HealthCheckGracePeriod
	}
	if len(req.TerminationPolicies) > 0 {
		g.TerminationPolicies = req.TerminationPolicies
	}
	if req.NewInstancesProtectedFromScaleIn != nil {
		g.NewInstancesProtectedFromScaleIn = *req.NewInstancesProtectedFromScaleIn
	}
	if req.CapacityRebalance != nil {
		g.CapacityRebalance = *req.CapacityRebalance
	}
	if req.MaxInstanceLifetime != nil {
		g.MaxInstanceLifetime = req.MaxInstanceLifetime
	}
	if req.DefaultInstanceWarmup != nil {
		g.DefaultInstanceWarmup = req.DefaultInstanceWarmup
	}
	if req.DesiredCapacityType != "" {
		g.DesiredCapacityType = req.DesiredCapacityType
	}
	if req.Context != "" {
		g.Context = req.Context
	}
}

// SetDesiredCapacity sets a group's desired capacity within its bounds.
func (b *Backend) SetDesiredCapacity(ctx context.Context, name string, desired int) error {
	return b.updateLiveGroup(ctx, name, func(g *Group) error {
		switch {
		case desired > g.MaxSize:
			return validationError("New SetDesiredCapacity value %d is above max value %d for the AutoScalingGroup.", desired, g.MaxSize)
		case desired < g.MinSize:
			return validationError("New SetDesiredCapacity value %d is below min value %d for the AutoScalingGroup.", desired, g.MinSize)
		}
		g.DesiredCapacity = desired
		return nil
	})
}

// DeleteGroup deletes a group. With instances it needs force, which empties
// the group first: it then reports "Delete in progress" until the
// controller calls FinishDelete.
func (b *Backend) DeleteGroup(ctx context.Context, name string, force bool) error {
	if err := required("autoScalingGroupName", name != ""); err != nil {
		return err
	}
	return internalError(b.store.Update(ctx, func(tx *store.Tx) error {
		g, err := getGroup(tx, name)
		if err != nil {
			return err
		}
		if len(g.Instances) == 0 {
			return deleteGroup(tx, name)
		}
		if !force {
			if g.Deleting || slices.ContainsFunc(g.Instances, func(i GroupInstance) bool { return i.LifecycleState == StateTerminating }) ||
				len(g.Instances) > g.DesiredCapacity {
				return scalingActivityInProgress("You cannot delete an AutoScalingGroup while there are scaling activities in progress for that group.")
			}
			return resourceInUse("You cannot delete an AutoScalingGroup while there are instances or pending Spot instance request(s) still in the group.")
		}
		g.Deleting = true
		g.MinSize, g.MaxSize, g.DesiredCapacity = 0, 0, 0
		return tx.Put(tableGroups, name, g)
	}))
}

// FinishDelete removes a force-deleted group once it has no instances.
func (b *Backend) FinishDelete(ctx context.Context, name string) error {
	return internalError(b.store.Update(ctx, func(tx *store.Tx) error {
		g, err := store.Get[Group](tx, tableGroups, name)
		if err != nil || g == nil {
			return err
		}
		if len(g.Instances) > 0 {
			return resourceInUse("AutoScalingGroup '%s' still has %d instances", name, len(g.Instances))
		}
		return deleteGroup(tx, name)
	}))
}

// deleteGroup removes a group with its policies; activities stay readable
// (DescribeScalingActivities with IncludeDeletedGroups).
func deleteGroup(tx *store.Tx, name string) error {
	policies, err := store.List[Policy](tx, tablePolicies)
	if err != nil {
		return err
	}
	for _, p := range policies {
		if p.GroupName == name {
			if err := tx.Delete(tablePolicies, policyKey(p.GroupName, p.Name)); err != nil {
				return err
			}
		}
	}
	if err := tx.Delete(tableWarmPools, name); err != nil {
		return err
	}
	actions, err := store.List[ScheduledAction](tx, tableScheduledActions)
	if err != nil {
		return err
	}
	for _, a := range actions {
		if a.GroupName == name {
			if err := tx.Delete(tableScheduledActions, actionKey(a.GroupName, a.Name)); err != nil {
				return err
			}
		}
	}
	hooks, err := groupHooks(tx, name, "")
	if err != nil {
		return err
	}
	for _, h := range hooks {
		if err := tx.Delete(tableLifecycleHooks, hookKey(name, h.Name)); err != nil {
			return err
		}
	}
	return tx.Delete(tableGroups, name)
}

// InstanceDetails is an instance with the group it belongs to.
type InstanceDetails struct {
	GroupName string
	Instance  GroupInstance
	Template  LaunchTemplate
}

// Instances returns the instances of all groups, or those named.
func (b *Backend) Instances(ctx context.Context, ids []string) ([]InstanceDetails, error) {
	groups, err := b.Groups(ctx)
	if err != nil {
		return nil, err
	}
	var out []InstanceDetails
	for _, g := range groups {
		for _, inst := range g.Instances {
			if len(ids) == 0 || slices.Contains(ids, inst.InstanceID) {
				out = append(out, InstanceDetails{GroupName: g.Name, Instance: inst, Template: g.LaunchTemplate})
			}
		}
	}
	slices.SortFunc(out, func(x, y InstanceDetails) int { return strings.Compare(x.Instance.InstanceID, y.Instance.InstanceID) })
	return out, nil
}

// SetInstanceProtection protects instances of a group from scale-in, or
// lifts the protection.
func (b *Backend) SetInstanceProtection(ctx context.Context, name string, ids []string, protected bool) error {
	if len(ids) == 0 {
		return required("instanceIds", false)
	}
	return b.updateLiveGroup(ctx, name, func(g *Group) error {
		for _, id := range ids {
			i := slices.IndexFunc(g.Instances, func(inst GroupInstance) bool { return inst.InstanceID == id })
			if i < 0 {
				return validationError("The instance %s is not part of Auto Scaling group %s.", id, name)
			}
			g.Instances[i].ProtectedFromScaleIn = protected
		}
		return nil
	})
}

// TerminateInstance marks an instance Terminating for the controller to
// terminate, lowering the desired capacity when asked (else the controller
// launches a replacement). It records the activity and returns it.
func (b *Backend) TerminateInstance(ctx context.Context, instanceID string, decrement bool) (*Activity, error) {
	var activity *Activity
	err := b.store.Update(ctx, func(tx *store.Tx) error {
		groups, err := store.List[Group](tx, tableGroups)
		if err != nil {
			return err
		}
		for _, g := range groups {
			i := slices.IndexFunc(g.Instances, func(inst GroupInstance) bool { return inst.InstanceID == instanceID })
			if i < 0 {
				continue
			}
			if decrement {
				if g.DesiredCapacity-1 < g.MinSize {
					return validationError("Currently, desiredSize equals minSize (%d). Terminating instance without replacement will violate group's min size constraint. Either set shouldDecrementDesiredCapacity flag to false or lower group's min size.", g.MinSize)
				}
				g.DesiredCapacity--
			}
			hooks, err := groupHooks(tx, g.Name, transitionTerminating)
			if err != nil {
				return err
			}
			if !startWait(&g.Instances[i], hooks, StateTerminatingWait, b.now().UTC()) {
				g.Instances[i].LifecycleState = StateTerminating
			}
			if err := tx.Put(tableGroups, g.Name, g); err != nil {
				return err
			}
			cause := "an instance was taken out of service in response to a user request"
			if decrement {
				cause += fmt.Sprintf(", shrinking the capacity from %d to %d", g.DesiredCapacity+1, g.DesiredCapacity)
			}
			activity, err = b.putActivity(tx, g, "Terminating EC2 instance: "+instanceID, "At "+b.now().UTC().Format("2006-01-02T15:04:05Z")+" "+cause+".")
			return err
		}
		return validationError("Instance Id not found - No managed instance found for instance ID: %s", instanceID)
	})
	if err != nil {
		return nil, internalError(err)
	}
	return activity, nil
}
