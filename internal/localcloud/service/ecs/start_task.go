package ecs

import (
	"context"
	"github.com/berthdev/berth/internal/localcloud/service/ecs/wire"
	"slices"
)

// startTask runs one task of the definition on each named container
// instance, with no placement decision: an instance that is missing, not
// ACTIVE or too small for the task gets a failure, as on ECS. The
// controller starts the tasks on the instances they name.
func (b *Backend) startTask(ctx context.Context, in *wire.StartTaskRequest) (*wire.StartTaskResponse, error) {
	switch {
	case in.TaskDefinition == "":
		return nil, errMissing("taskDefinition")
	case len(in.ContainerInstances) == 0:
		return nil, errMissing("containerInstances")
	case len(in.ContainerInstances) > 10:
		return nil, errInvalidParameter("containerInstances can have at most 10 items.")
	case len(in.StartedBy) > 128:
		return nil, errInvalidParameter("startedBy can be at most 128 characters.")
	case len(in.Group) > 255:
		return nil, errInvalidParameter("group can be at most 255 characters.")
	case len(in.VolumeConfigurations) > 0:
		return nil, errInvalidParameter("volumeConfigurations (Amazon EBS volumes) are not supported by the local cloud.")
	}
	if err := validateTags(in.Tags); err != nil {
		return nil, err
	}
	out := &wire.StartTaskResponse{Tasks: []wire.Task{}, Failures: []Failure{}}
	err := b.Update(ctx, func(s *State) error {
		cluster, err := s.activeCluster(in.Cluster)
		if err != nil {
			return err
		}
		def, err := s.usableTaskDefinition(in.TaskDefinition)
		if err != nil {
			return err
		}
		if !slices.Contains(def.Compatibilities, "EC2") && !slices.Contains(def.Compatibilities, "EXTERNAL") {
			return errInvalidParameter("Task definition does not support launch_type EC2.")
		}
		if err := validateNetwork(def, in.NetworkConfiguration, "EC2"); err != nil {
			return err
		}
		if in.Overrides != nil {
			for _, o := range in.Overrides.ContainerOverrides {
				if !slices.ContainsFunc(def.ContainerDefinitions, func(c ContainerDefinition) bool { return c.Name == o.Name }) {
					return errInvalidParameter("Override for container named %s is not a container in the TaskDefinition.", o.Name)
				}
			}
		}
		tags, err := s.runTaskTags(cluster, def, in.Tags, in.PropagateTags, ptrValue(in.EnableECSManagedTags))
		if err != nil {
			return err
		}
		need := needOf(def)
		instances, err := s.ContainerInstances(cluster.ClusterArn)
		if err != nil {
			return err
		}
		used, err := s.instanceUses(cluster, instances)
		if err != nil {
			return err
		}
		taken := map[string]instanceRoom{} // by instance: what this call already put there
		for _, ref := range in.ContainerInstances {
			ci, err := s.ContainerInstance(cluster.ClusterArn, ref)
			if err != nil {
				return err
			}
			arn := ref
			if !isARN(ref) {
				arn = s.arn("container-instance/" + cluster.ClusterName + "/" + ref)
			}
			switch {
			case ci == nil || ci.Status == statusInactive:
				out.Failures = append(out.Failures, Failure{Arn: arn, Reason: "MISSING"})
				continue
			case ci.Status != statusActive:
				out.Failures = append(out.Failures, Failure{Arn: ci.ContainerInstanceArn, Reason: ci.Status})
				continue
			}
			room := taken[ci.ContainerInstanceArn]
			if reason := resourceRefusal(ci, need, used[ci.ContainerInstanceArn], room); reason != "" {
				out.Failures = append(out.Failures, Failure{Arn: ci.ContainerInstanceArn, Reason: reason})
				continue
			}
			taken[ci.ContainerInstanceArn] = room.plus(need)

			t := s.NewTask(cluster, def, in.StartedBy, in.Group)
			t.LaunchType, t.CapacityProviderName = "EC2", ci.CapacityProviderName
			t.ContainerInstanceArn = ci.ContainerInstanceArn
			t.EnableExecuteCommand = ptrValue(in.EnableExecuteCommand)
			if def.NetworkMode == "awsvpc" {
				t.NetworkConfiguration = in.NetworkConfiguration
			}
			if in.Overrides != nil {
				t.Overrides = mergeOverrides(t.Overrides, taskOverrideIn(in.Overrides))
			}
			t.Tags = slices.Clone(tags)
			if err := s.PutTask(t); err != nil {
				return err
			}
			described, err := s.describedTask(t, true)
			if err != nil {
				return err
			}
			out.Tasks = append(out.Tasks, taskOut(described))
		}
		return nil
	})
	return out, err
}

func resourceInt(resources []Resource, name string) int {
	for _, r := range resources {
		if r.Name == name {
			return int(r.IntegerValue)
		}
	}
	return 0
}
