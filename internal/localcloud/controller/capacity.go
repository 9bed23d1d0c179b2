package controller

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/berthdev/berth/internal/localcloud/service/autoscaling"
	"github.com/berthdev/berth/internal/localcloud/service/ec2"
	"github.com/berthdev/berth/internal/localcloud/service/ecs"
)

// reconcileGroups gives every Auto Scaling group its desired number of
// instances: launching from the launch template into the least used subnet,
// terminating unprotected instances first, and finishing force deletes.
func (c *Controller) reconcileGroups(ctx context.Context) error {
	groups, err := c.deps.AutoScaling.Groups(ctx)
	if err != nil {
		return err
	}
	var errs []error
	for _, g := range groups {
		// Scheduled actions that are due run, and lifecycle waits whose
		// timeout passed end, first, so this pass acts on what they leave.
		if err := c.deps.AutoScaling.RunScheduledActions(ctx, g.Name); err != nil {
			errs = append(errs, fmt.Errorf("group %s: %w", g.Name, err))
			continue
		}
		if err := c.deps.AutoScaling.ExpireLifecycleActions(ctx, g.Name); err != nil {
			errs = append(errs, fmt.Errorf("group %s: %w", g.Name, err))
			continue
		}
		if g, err = c.deps.AutoScaling.Group(ctx, g.Name); err != nil || g == nil {
			errs = append(errs, err)
			continue
		}
		if err := c.reconcileGroup(ctx, g); err != nil {
			errs = append(errs, fmt.Errorf("group %s: %w", g.Name, err))
		}
	}
	return errors.Join(errs...)
}

func (c *Controller) reconcileGroup(ctx context.Context, g *autoscaling.Group) error {
	// Instances that died outside the group's control (terminated through
	// EC2, or lost in a restart) leave the group, as ASG health checks do.
	// With HealthCheck suspended nobody looks; with ReplaceUnhealthy
	// suspended they are marked Unhealthy and stay.
	var gone []string
	for _, inst := range g.Instances {
		if g.Suspended("HealthCheck") {
			break
		}
		ec2Inst, err := c.deps.EC2.Instance(ctx, inst.InstanceID)
		if err != nil {
			return err
		}
		if ec2Inst == nil || ec2Inst.State == "terminated" || ec2Inst.State == "shutting-down" {
			gone = append(gone, inst.InstanceID)
		}
	}
	if len(gone) > 0 && g.Suspended("ReplaceUnhealthy") {
		return c.markUnhealthy(ctx, g, gone)
	}
	if len(gone) > 0 {
		if err := c.removeFromGroup(ctx, g.Name, gone); err != nil {
			return err
		}
		for _, id := range gone {
			_ = c.deps.AutoScaling.AddActivity(ctx, g.Name, "Terminating EC2 instance: "+id, "an instance was taken out of service in response to an EC2 health check indicating it has been terminated or stopped.")
		}
		return nil // the next pass sees the group as it now is
	}

	if g.Deleting {
		if len(g.Instances) == 0 {
			return c.deps.AutoScaling.FinishDelete(ctx, g.Name)
		}
		return c.terminate(ctx, g, instanceIDs(g.Instances), "the group is being deleted")
	}

	// Instances marked Terminating (TerminateInstanceInAutoScalingGroup)
	// go first and no longer count toward the capacity.
	var terminating []string
	for _, inst := range g.Instances {
		if inst.LifecycleState == autoscaling.StateTerminating {
			terminating = append(terminating, inst.InstanceID)
		}
	}
	if len(terminating) > 0 {
		return c.terminate(ctx, g, terminating, "it was asked to terminate")
	}

	// Instances waiting to terminate (a lifecycle hook holds them) are no
	// longer capacity.
	live := 0
	for _, inst := range g.Instances {
		if inst.LifecycleState != autoscaling.StateTerminatingWait {
			live++
		}
	}
	switch {
	case live < g.DesiredCapacity && !g.Suspended("Launch"):
		return c.launch(ctx, g, g.DesiredCapacity-live)
	case live > g.DesiredCapacity && !g.Suspended("Terminate"):
		now, err := c.deps.AutoScaling.BeginTermination(ctx, g.Name, pickForScaleIn(g, live-g.DesiredCapacity))
		if err != nil {
			return err
		}
		return c.terminate(ctx, g, now, fmt.Sprintf("the desired capacity is %d", g.DesiredCapacity))
	}
	return nil
}

// markUnhealthy records instances as Unhealthy without replacing them.
func (c *Controller) markUnhealthy(ctx context.Context, g *autoscaling.Group, ids []string) error {
	changed := false
	for _, inst := range g.Instances {
		if slices.Contains(ids, inst.InstanceID) && inst.HealthStatus != "Unhealthy" {
			changed = true
		}
	}
	if !changed {
		return nil
	}
	return c.deps.AutoScaling.UpdateGroup(ctx, g.Name, func(group *autoscaling.Group) error {
		for i := range group.Instances {
			if slices.Contains(ids, group.Instances[i].InstanceID) {
				group.Instances[i].HealthStatus = "Unhealthy"
			}
		}
		return nil
	})
}

func instanceIDs(instances []autoscaling.GroupInstance) []string {
	ids := make([]string, len(instances))
	for i, inst := range instances {
		ids[i] = inst.InstanceID
	}
	return ids
}

// pickForScaleIn chooses n instances, unprotected ones first and the newest
// of those first, so long-running capacity stays.
func pickForScaleIn(g *autoscaling.Group, n int) []string {
	candidates := slices.Clone(g.Instances)
	slices.SortStableFunc(candidates, func(a, b autoscaling.GroupInstance) int {
		if a.ProtectedFromScaleIn != b.ProtectedFromScaleIn {
			if a.ProtectedFromScaleIn {
				return 1
			}
			return -1
		}
		return 0
	})
	var ids []string
	for i := len(candidates) - 1; i >= 0 && len(ids) < n; i-- {
		if !candidates[i].ProtectedFromScaleIn && candidates[i].LifecycleState != autoscaling.StateTerminatingWait {
			ids = append(ids, candidates[i].InstanceID)
		}
	}
	return ids
}

func (c *Controller) launch(ctx context.Context, g *autoscaling.Group, count int) error {
	if len(g.SubnetIDs) == 0 {
		return fmt.Errorf("no subnets (VPCZoneIdentifier) to launch into")
	}
	tags := map[string]string{"aws:autoscaling:groupName": g.Name}
	for _, t := range g.Tags {
		if t.PropagateAtLaunch {
			tags[t.Key] = t.Value
		}
	}
	perSubnet := map[string]int{}
	for _, inst := range g.Instances {
		perSubnet[inst.SubnetID]++
	}
	data, err := c.launchData(ctx, g)
	if err != nil {
		return err
	}
	for range count {
		subnet := g.SubnetIDs[0]
		for _, s := range g.SubnetIDs { // balance across subnets (and so AZs)
			if perSubnet[s] < perSubnet[subnet] {
				subnet = s
			}
		}
		// A group names its template by id and name, as AWS describes it;
		// EC2 takes one of the two.
		templateName := g.LaunchTemplate.Name
		if g.LaunchTemplate.ID != "" {
			templateName = ""
		}
		instances, err := c.deps.EC2.LaunchInstances(ctx, ec2.LaunchRequest{
			LaunchTemplateID:   g.LaunchTemplate.ID,
			LaunchTemplateName: templateName,
			Version:            g.LaunchTemplate.Version,
			SubnetID:           subnet,
			Count:              1,
			Tags:               tags,
			Data:               data,
		})
		if err != nil {
			_ = c.deps.AutoScaling.AddActivity(ctx, g.Name, "Launching a new EC2 instance. Status Reason: "+err.Error(), "an instance was started in response to a difference between desired and actual capacity")
			return fmt.Errorf("launching an instance: %w", err)
		}
		perSubnet[subnet]++
		var members []autoscaling.GroupInstance
		for _, inst := range instances {
			member := autoscaling.GroupInstance{
				InstanceID:       inst.ID,
				AvailabilityZone: inst.AvailabilityZone,
				SubnetID:         inst.SubnetID,
				InstanceType:     inst.InstanceType,
				HealthStatus:     "Healthy",
			}
			if err := c.deps.AutoScaling.LaunchState(ctx, &member, g.Name); err != nil {
				return err
			}
			members = append(members, member)
		}
		err = c.deps.AutoScaling.UpdateGroup(ctx, g.Name, func(group *autoscaling.Group) error {
			for _, member := range members {
				member.ProtectedFromScaleIn = group.NewInstancesProtectedFromScaleIn
				group.Instances = append(group.Instances, member)
			}
			return nil
		})
		if err != nil {
			return err
		}
		for _, inst := range instances {
			c.log.Info("launched instance", "group", g.Name, "instance", inst.ID, "type", inst.InstanceType, "subnet", inst.SubnetID)
			_ = c.deps.AutoScaling.AddActivity(ctx, g.Name, "Launching a new EC2 instance: "+inst.ID, fmt.Sprintf("an instance was started in response to a difference between desired and actual capacity, increasing the capacity from %d to %d.", len(g.Instances), g.DesiredCapacity))
		}
	}
	return nil
}

// launchData is what a group launches with beyond its launch template: a
// launch configuration's settings, or the instance type of a mixed
// instances policy's first override (its highest priority).
func (c *Controller) launchData(ctx context.Context, g *autoscaling.Group) (ec2.LaunchTemplateData, error) {
	var data ec2.LaunchTemplateData
	if g.LaunchConfigurationName != "" {
		lc, err := c.deps.AutoScaling.LaunchConfiguration(ctx, g.LaunchConfigurationName)
		if err != nil {
			return data, err
		}
		if lc == nil {
			return data, fmt.Errorf("launch configuration %s is gone", g.LaunchConfigurationName)
		}
		data = ec2.LaunchTemplateData{ImageID: lc.ImageID, InstanceType: lc.InstanceType, KeyName: lc.KeyName, UserData: lc.UserData}
		for _, sg := range lc.SecurityGroups { // ids or (EC2-Classic style) names
			if strings.HasPrefix(sg, "sg-") {
				data.SecurityGroupIDs = append(data.SecurityGroupIDs, sg)
			} else {
				data.SecurityGroups = append(data.SecurityGroups, sg)
			}
		}
		if lc.IamInstanceProfile != "" {
			profile := &ec2.IamInstanceProfileSpec{Name: lc.IamInstanceProfile}
			if strings.HasPrefix(lc.IamInstanceProfile, "arn:") {
				profile = &ec2.IamInstanceProfileSpec{Arn: lc.IamInstanceProfile}
			}
			data.IamInstanceProfile = profile
		}
		return data, nil
	}
	if mip := g.MixedInstancesPolicy; mip != nil && mip.LaunchTemplate != nil && len(mip.LaunchTemplate.Overrides) > 0 {
		data.InstanceType = mip.LaunchTemplate.Overrides[0].InstanceType
	}
	return data, nil
}

func (c *Controller) terminate(ctx context.Context, g *autoscaling.Group, ids []string, why string) error {
	if len(ids) == 0 {
		return nil
	}
	if err := c.deps.EC2.TerminateInstances(ctx, ids); err != nil {
		return fmt.Errorf("terminating %v: %w", ids, err)
	}
	for _, id := range ids {
		c.log.Info("terminated instance", "group", g.Name, "instance", id, "why", why)
		_ = c.deps.AutoScaling.AddActivity(ctx, g.Name, "Terminating EC2 instance: "+id, "an instance was taken out of service because "+why+".")
	}
	return c.removeFromGroup(ctx, g.Name, ids)
}

func (c *Controller) removeFromGroup(ctx context.Context, group string, ids []string) error {
	return c.deps.AutoScaling.UpdateGroup(ctx, group, func(g *autoscaling.Group) error {
		g.Instances = slices.DeleteFunc(g.Instances, func(inst autoscaling.GroupInstance) bool {
			return slices.Contains(ids, inst.InstanceID)
		})
		return nil
	})
}

// ecsClusterLine finds the cluster an instance's user data joins, the way the
// ECS agent reads /etc/ecs/ecs.config.
var ecsClusterLine = regexp.MustCompile(`(?m)ECS_CLUSTER=["']?([A-Za-z0-9_-]+)`)

// clusterFromUserData returns the cluster named in user data, else "default".
func clusterFromUserData(userData string) string {
	if m := ecsClusterLine.FindStringSubmatch(userData); m != nil {
		return m[1]
	}
	return "default"
}

// reconcileContainerInstances registers each running instance of every
// Auto Scaling group with the cluster its user data names (as the ECS agent
// would at boot) and deregisters the container instances whose EC2 instance
// is gone.
func (c *Controller) reconcileContainerInstances(ctx context.Context) error {
	groups, err := c.deps.AutoScaling.Groups(ctx)
	if err != nil {
		return err
	}
	// Read ECS first and ask EC2 afterwards: one store transaction must not
	// be opened inside another (bbolt can deadlock when a writer waits).
	var current []*ecs.ContainerInstance
	viaAPI := map[string]bool{} // container instances an agent registered itself
	err = c.deps.ECS.View(ctx, func(s *ecs.State) error {
		clusters, err := s.Clusters()
		if err != nil {
			return err
		}
		for _, cluster := range clusters {
			cis, err := s.ContainerInstances(cluster.ClusterArn)
			if err != nil {
				return err
			}
			for _, ci := range cis {
				if ci.Status == "INACTIVE" {
					continue
				}
				current = append(current, ci)
				if viaAPI[ci.ContainerInstanceArn], err = s.RegisteredThroughAPI(ci.ContainerInstanceArn); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	registered := map[string]bool{} // EC2 instance ids with a live container instance
	var stale []*ecs.ContainerInstance
	for _, ci := range current {
		if ci.Ec2InstanceId == "" {
			continue // an agent outside EC2: only it can deregister
		}
		inst, err := c.deps.EC2.Instance(ctx, ci.Ec2InstanceId)
		if err != nil {
			return err
		}
		if inst == nil && viaAPI[ci.ContainerInstanceArn] {
			registered[ci.Ec2InstanceId] = true
			continue // its agent names an instance EC2 here never had
		}
		if inst == nil || inst.State == "terminated" || inst.State == "shutting-down" {
			stale = append(stale, ci)
			continue
		}
		registered[ci.Ec2InstanceId] = true
	}
	for _, ci := range stale {
		if err := c.deregisterContainerInstance(ctx, ci); err != nil {
			return err
		}
	}
	for _, g := range groups {
		for _, member := range g.Instances {
			if registered[member.InstanceID] {
				continue
			}
			inst, err := c.deps.EC2.Instance(ctx, member.InstanceID)
			if err != nil || inst == nil || inst.State != "running" {
				continue
			}
			if err := c.registerInstance(ctx, g, inst); err != nil {
				c.log.Debug("instance not registered yet", "instance", inst.ID, "error", err)
			}
		}
	}
	return nil
}

func (c *Controller) registerInstance(ctx context.Context, g *autoscaling.Group, inst *ec2.Instance) error {
	instanceType, ok := ec2.LookupInstanceType(inst.InstanceType)
	if !ok {
		return fmt.Errorf("unknown instance type %q", inst.InstanceType)
	}
	cluster := clusterFromUserData(inst.UserData)
	ci, err := c.deps.ECS.RegisterContainerInstance(ctx, ecs.RegisterInstanceInput{
		Cluster:          cluster,
		EC2InstanceID:    inst.ID,
		InstanceType:     inst.InstanceType,
		AvailabilityZone: inst.AvailabilityZone,
		ImageID:          inst.ImageID,
		CPU:              instanceType.VCPUs * 1024,
		// The agent registers what the OS reports minus what the kernel
		// and the agent keep, about 5% on small instances.
		MemoryMiB:  instanceType.MemoryMiB * 95 / 100,
		Attributes: map[string]string{"berth.asg-arn": g.ARN},
	})
	if err != nil {
		return err
	}
	c.log.Info("container instance registered", "cluster", cluster, "instance", inst.ID, "containerInstance", ci.ContainerInstanceArn)
	return nil
}

// deregisterContainerInstance marks a container instance whose EC2 instance
// is gone INACTIVE and stops its tasks, as ECS does when a host terminates.
func (c *Controller) deregisterContainerInstance(ctx context.Context, ci *ecs.ContainerInstance) error {
	return c.deps.ECS.Update(ctx, func(s *ecs.State) error {
		clusterARN := clusterOfContainerInstance(ci.ContainerInstanceArn)
		tasks, err := s.Tasks(clusterARN)
		if err != nil {
			return err
		}
		for _, t := range tasks {
			if t.ContainerInstanceArn == ci.ContainerInstanceArn && t.LastStatus != "STOPPED" {
				requestStop(t, "TerminationNotice", fmt.Sprintf("Host EC2 (instance %s) stopped/terminated.", ci.Ec2InstanceId))
				if err := s.PutTask(t); err != nil {
					return err
				}
			}
		}
		current, err := s.ContainerInstance(clusterARN, ci.ContainerInstanceArn)
		if err != nil || current == nil {
			return err
		}
		current.Status = "INACTIVE"
		current.AgentConnected = false
		return s.PutContainerInstance(current)
	})
}

// clusterOfContainerInstance derives the cluster ARN from a long-format
// container instance ARN: …:container-instance/<cluster>/<id>.
func clusterOfContainerInstance(arn string) string {
	prefix, rest, ok := strings.Cut(arn, ":container-instance/")
	if !ok {
		return ""
	}
	cluster, _, _ := strings.Cut(rest, "/")
	return prefix + ":cluster/" + cluster
}
