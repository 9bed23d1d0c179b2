package ecs

import (
	"context"
	"github.com/berthdev/berth/internal/localcloud/service/ecs/wire"
	"maps"
	"slices"
	"strings"

	"github.com/berthdev/berth/internal/localcloud/store"
)

// reservedPorts are the host ports the ECS agent keeps for itself and SSH
// (ECS_RESERVED_PORTS' default).
var reservedPorts = []string{"22", "2375", "2376", "51678", "51679"}

// internalAttributePrefix marks RegisterInstanceInput attributes meant for
// this package only; they are not published as instance attributes.
const internalAttributePrefix = "berth."

// ContainerInstances returns a cluster's container instances, INACTIVE ones
// included.
func (s *State) ContainerInstances(clusterARN string) ([]*ContainerInstance, error) {
	clusterName := nameFromRef(clusterARN, "cluster")
	all, err := store.List[ContainerInstance](s.tx, tableContainerInstances)
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(all, func(ci *ContainerInstance) bool {
		return clusterNameOfARN(ci.ContainerInstanceArn, "container-instance") != clusterName
	}), nil
}

// ContainerInstance returns one container instance of a cluster by id or
// ARN, nil when there is none.
func (s *State) ContainerInstance(clusterARN, idOrARN string) (*ContainerInstance, error) {
	if s.foreign(clusterARN, idOrARN) {
		return nil, nil
	}
	return store.Get[ContainerInstance](s.tx, tableContainerInstances, childKey(nameFromRef(clusterARN, "cluster"), idFromRef(idOrARN)))
}

// PutContainerInstance stores a container instance, bumping its version.
func (s *State) PutContainerInstance(ci *ContainerInstance) error {
	ci.Version++
	stored := *ci
	stored.Tags = nil
	key := childKey(clusterNameOfARN(ci.ContainerInstanceArn, "container-instance"), idFromRef(ci.ContainerInstanceArn))
	return s.tx.Put(tableContainerInstances, key, &stored)
}

// RegisterInstanceInput is what the ECS agent of an instance reports when it
// joins a cluster.
type RegisterInstanceInput struct {
	Cluster          string
	EC2InstanceID    string
	InstanceType     string
	AvailabilityZone string
	ImageID          string
	CPU, MemoryMiB   int
	// Attributes are custom attributes; "berth.asg-arn" names the Auto
	// Scaling group the instance belongs to, which picks its capacity
	// provider, and is not published.
	Attributes map[string]string

	// What an agent calling RegisterContainerInstance itself adds: the
	// resources it counted (replacing CPU and MemoryMiB), its versions, the
	// container instance it re-registers, tags, and whether it came through
	// the API (such an instance is not an EC2 instance the local cloud
	// launched, so it is not deregistered when EC2 does not know it).
	Resources            []Resource
	VersionInfo          *VersionInfo
	ContainerInstanceARN string
	Tags                 []Tag
	ViaAPI               bool
}

// tableAgentRegistrations marks the container instances an agent
// registered through the API (by container instance ARN).
const tableAgentRegistrations = "ecs/agent-registrations"

// RegisteredThroughAPI reports whether an agent registered the container
// instance itself (RegisterContainerInstance) rather than the local cloud
// for an instance it launched.
func (s *State) RegisteredThroughAPI(containerInstanceARN string) (bool, error) {
	mark, err := store.Get[bool](s.tx, tableAgentRegistrations, containerInstanceARN)
	return mark != nil && *mark, err
}

// RegisterContainerInstance joins an EC2 instance to a cluster, as the ECS
// agent does at boot. It is idempotent per EC2 instance: an instance already
// registered (and not INACTIVE) gets its existing record back, reconnected.
func (b *Backend) RegisterContainerInstance(ctx context.Context, in RegisterInstanceInput) (*ContainerInstance, error) {
	if in.EC2InstanceID == "" && !in.ViaAPI {
		return nil, errMissing("ec2InstanceId")
	}
	if err := validateTags(in.Tags); err != nil {
		return nil, err
	}
	var out *ContainerInstance
	err := b.Update(ctx, func(s *State) error {
		cluster, err := s.activeCluster(in.Cluster)
		if err != nil {
			return err
		}
		instances, err := s.ContainerInstances(cluster.ClusterArn)
		if err != nil {
			return err
		}
		for _, ci := range instances {
			same := (in.EC2InstanceID != "" && ci.Ec2InstanceId == in.EC2InstanceID) ||
				(in.ContainerInstanceARN != "" && idFromRef(ci.ContainerInstanceArn) == idFromRef(in.ContainerInstanceARN))
			if !same || ci.Status == statusInactive {
				continue
			}
			// A reconnecting agent reports its resources and versions
			// anew; what it does not report stays as it was.
			if len(in.Resources) > 0 {
				ci.RegisteredResources = registeredResources(in)
			}
			if in.VersionInfo != nil {
				ci.VersionInfo = in.VersionInfo
			}
			ci.AgentConnected = true
			if err := s.PutContainerInstance(ci); err != nil {
				return err
			}
			out, err = s.describedContainerInstance(ci, true)
			return err
		}
		if in.ContainerInstanceARN != "" {
			return errInvalidParameter("The referenced container instance was not found.")
		}
		versions := &VersionInfo{AgentVersion: "1.89.0", AgentHash: "berth", DockerVersion: "DockerVersion: 25.0.8"}
		if in.VersionInfo != nil {
			versions = in.VersionInfo
		}
		resources := registeredResources(in)
		ci := &ContainerInstance{
			ContainerInstanceArn: s.arn("container-instance/" + cluster.ClusterName + "/" + store.RandomHex(32)),
			Ec2InstanceId:        in.EC2InstanceID,
			VersionInfo:          versions,
			RegisteredResources:  resources,
			RemainingResources:   slices.Clone(resources),
			Status:               statusActive,
			AgentConnected:       true,
			Attributes:           instanceAttributes(in),
			RegisteredAt:         awsjsonTime(s.now),
			Attachments:          []Attachment{},
		}
		if asgARN := in.Attributes["berth.asg-arn"]; asgARN != "" {
			for _, name := range cluster.CapacityProviders {
				cp, err := s.CapacityProvider(name)
				if err != nil {
					return err
				}
				if cp != nil && cp.AutoScalingGroupProvider != nil && cp.AutoScalingGroupProvider.AutoScalingGroupArn == asgARN {
					ci.CapacityProviderName = cp.Name
				}
			}
		}
		if err := s.PutContainerInstance(ci); err != nil {
			return err
		}
		if err := s.putTags(ci.ContainerInstanceArn, in.Tags); err != nil {
			return err
		}
		if in.ViaAPI {
			if err := s.tx.Put(tableAgentRegistrations, ci.ContainerInstanceArn, true); err != nil {
				return err
			}
		}
		out, err = s.describedContainerInstance(ci, true)
		return err
	})
	return out, err
}

// registeredResources are the resources an agent reported, completed with
// the ones it left out (CPU and memory from the instance's size, the
// agent's reserved ports).
func registeredResources(in RegisterInstanceInput) []Resource {
	defaults := instanceResources(in.CPU, in.MemoryMiB)
	if len(in.Resources) == 0 {
		return defaults
	}
	out := slices.Clone(in.Resources)
	for _, r := range defaults {
		if !slices.ContainsFunc(out, func(o Resource) bool { return o.Name == r.Name }) {
			out = append(out, r)
		}
	}
	for i := range out {
		if out[i].StringSetValue == nil && out[i].Type == "STRINGSET" {
			out[i].StringSetValue = []string{}
		}
	}
	return out
}

// describedContainerInstance is a container instance as the API shows it,
// with its tags when asked for.
func (s *State) describedContainerInstance(ci *ContainerInstance, withTags bool) (*ContainerInstance, error) {
	out := *ci
	out.Tags = nil
	if withTags {
		tags, err := s.tags(ci.ContainerInstanceArn)
		if err != nil {
			return nil, err
		}
		out.Tags = tags
	}
	return &out, nil
}

func instanceResources(cpu, memoryMiB int) []Resource {
	return []Resource{
		{Name: "CPU", Type: "INTEGER", IntegerValue: int32(cpu)},
		{Name: "MEMORY", Type: "INTEGER", IntegerValue: int32(memoryMiB)},
		{Name: "PORTS", Type: "STRINGSET", StringSetValue: slices.Clone(reservedPorts)},
		{Name: "PORTS_UDP", Type: "STRINGSET", StringSetValue: []string{}},
	}
}

// instanceAttributes are the agent's built-in attributes and capabilities,
// then the custom ones.
func instanceAttributes(in RegisterInstanceInput) []Attribute {
	valued := func(name, value string) Attribute { return Attribute{Name: name, Value: ptr(value)} }
	var attrs []Attribute
	for _, a := range []Attribute{
		valued("ecs.availability-zone", in.AvailabilityZone),
		valued("ecs.instance-type", in.InstanceType),
		valued("ecs.os-type", "linux"),
		valued("ecs.os-family", "LINUX"),
		valued("ecs.cpu-architecture", "x86_64"),
		valued("ecs.ami-id", in.ImageID),
	} {
		// An agent outside EC2 has no zone, type or image to report.
		if *a.Value != "" && !(in.ViaAPI && in.Attributes[a.Name] != "") {
			attrs = append(attrs, a)
		}
	}
	for _, capability := range []string{
		"com.amazonaws.ecs.capability.docker-remote-api.1.17",
		"com.amazonaws.ecs.capability.docker-remote-api.1.18",
		"com.amazonaws.ecs.capability.docker-remote-api.1.19",
		"com.amazonaws.ecs.capability.docker-remote-api.1.21",
		"com.amazonaws.ecs.capability.docker-remote-api.1.44",
		"com.amazonaws.ecs.capability.logging-driver.awslogs",
		"com.amazonaws.ecs.capability.logging-driver.json-file",
		"com.amazonaws.ecs.capability.task-iam-role",
		"ecs.capability.execution-role-awslogs",
		"ecs.capability.task-eni",
		"ecs.capability.container-health-check",
	} {
		attrs = append(attrs, Attribute{Name: capability})
	}
	for _, name := range slices.Sorted(maps.Keys(in.Attributes)) {
		if strings.HasPrefix(name, internalAttributePrefix) {
			continue
		}
		a := Attribute{Name: name} // no value: a capability
		if in.Attributes[name] != "" {
			a = valued(name, in.Attributes[name])
		}
		if i := slices.IndexFunc(attrs, func(o Attribute) bool { return o.Name == name }); i >= 0 {
			attrs[i] = a
		} else {
			attrs = append(attrs, a)
		}
	}
	return attrs
}

var containerInstanceStatuses = []string{"ACTIVE", "DRAINING", "REGISTERING", "DEREGISTERING", "REGISTRATION_FAILED"}

func (b *Backend) listContainerInstances(ctx context.Context, in *wire.ListContainerInstancesRequest) (*wire.ListContainerInstancesResponse, error) {
	if in.Status != "" && !slices.Contains(containerInstanceStatuses, in.Status) {
		return nil, errInvalidParameter("Invalid status: %s.", in.Status)
	}
	var query *InstanceQuery
	if strings.TrimSpace(in.Filter) != "" {
		var err error
		if query, err = ParseInstanceQuery(in.Filter); err != nil {
			return nil, err
		}
	}
	pageOf, next, err := b.listARNs(ctx, in.NextToken, in.MaxResults, 100, func(s *State, add func(arn string)) error {
		cluster, err := s.activeCluster(in.Cluster)
		if err != nil {
			return err
		}
		instances, err := s.ContainerInstances(cluster.ClusterArn)
		if err != nil {
			return err
		}
		for _, ci := range instances {
			if ci.Status == statusInactive || (in.Status != "" && ci.Status != in.Status) {
				continue
			}
			if query != nil && !query.Matches(ci) {
				continue
			}
			add(ci.ContainerInstanceArn)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &wire.ListContainerInstancesResponse{ContainerInstanceArns: pageOf, NextToken: next}, nil
}

func (b *Backend) describeContainerInstances(ctx context.Context, in *wire.DescribeContainerInstancesRequest) (*wire.DescribeContainerInstancesResponse, error) {
	if err := validateDescribe("containerInstances", in.ContainerInstances, 100, in.Include, "TAGS", "CONTAINER_INSTANCE_HEALTH"); err != nil {
		return nil, err
	}
	withTags := slices.Contains(in.Include, "TAGS")
	out := &wire.DescribeContainerInstancesResponse{Failures: []Failure{}}
	var instances []*ContainerInstance
	err := b.View(ctx, func(s *State) error {
		return describeInCluster(s, in.Cluster, in.ContainerInstances, "container-instance", &instances, &out.Failures,
			func(c *Cluster, ref string) (*ContainerInstance, error) {
				return s.ContainerInstance(c.ClusterArn, ref)
			},
			func(ci *ContainerInstance) (*ContainerInstance, error) {
				if withTags {
					tags, err := s.tags(ci.ContainerInstanceArn)
					if err != nil {
						return nil, err
					}
					ci.Tags = tags
				}
				return ci, nil
			})
	})
	out.ContainerInstances = orEmpty(listOf(instances, func(ci *ContainerInstance) wire.ContainerInstance { return *containerInstanceOut(ci) }))
	return out, err
}

// eachContainerInstance resolves references to container instances of
// cluster, recording MISSING failures.
func (s *State) eachContainerInstance(cluster *Cluster, refs []string, failures *[]Failure, fn func(ci *ContainerInstance) error) error {
	return eachRef(s, refs, "container-instance/"+cluster.ClusterName+"/", failures,
		func(ref string) (*ContainerInstance, error) { return s.ContainerInstance(cluster.ClusterArn, ref) }, fn)
}

func (b *Backend) updateContainerInstancesState(ctx context.Context, in *wire.UpdateContainerInstancesStateRequest) (*wire.UpdateContainerInstancesStateResponse, error) {
	switch {
	case len(in.ContainerInstances) == 0:
		return nil, errMissing("containerInstances")
	case len(in.ContainerInstances) > 10:
		return nil, errInvalidParameter("containerInstances can have at most 10 items.")
	case in.Status == "":
		return nil, errMissing("status")
	case in.Status != statusActive && in.Status != statusDraining:
		return nil, errInvalidParameter("Container instances status can only be updated to ACTIVE or DRAINING.")
	}
	out := &wire.UpdateContainerInstancesStateResponse{ContainerInstances: []wire.ContainerInstance{}, Failures: []Failure{}}
	err := b.Update(ctx, func(s *State) error {
		cluster, err := s.activeCluster(in.Cluster)
		if err != nil {
			return err
		}
		return s.eachContainerInstance(cluster, in.ContainerInstances, &out.Failures, func(ci *ContainerInstance) error {
			if ci.Status != statusActive && ci.Status != statusDraining {
				out.Failures = append(out.Failures, Failure{Arn: ci.ContainerInstanceArn, Reason: ci.Status})
				return nil
			}
			if ci.Status != in.Status {
				ci.Status = in.Status
				if err := s.PutContainerInstance(ci); err != nil {
					return err
				}
			}
			out.ContainerInstances = append(out.ContainerInstances, *containerInstanceOut(ci))
			return nil
		})
	})
	return out, err
}

func (b *Backend) deregisterContainerInstance(ctx context.Context, in *wire.DeregisterContainerInstanceRequest) (*wire.DeregisterContainerInstanceResponse, error) {
	if in.ContainerInstance == "" {
		return nil, errMissing("containerInstance")
	}
	out := &wire.DeregisterContainerInstanceResponse{}
	err := b.Update(ctx, func(s *State) error {
		cluster, err := s.activeCluster(in.Cluster)
		if err != nil {
			return err
		}
		ci, err := s.ContainerInstance(cluster.ClusterArn, in.ContainerInstance)
		if err != nil {
			return err
		}
		if ci == nil || ci.Status == statusInactive {
			return errInvalidParameter("The referenced container instance was not found.")
		}
		tasks, err := s.Tasks(cluster.ClusterArn)
		if err != nil {
			return err
		}
		var onInstance []*Task
		for _, t := range tasks {
			if t.ContainerInstanceArn == ci.ContainerInstanceArn && t.LastStatus != taskStopped {
				onInstance = append(onInstance, t)
			}
		}
		if len(onInstance) > 0 && !ptrValue(in.Force) {
			return errInvalidParameter("Found running tasks on the instance.")
		}
		// Locally nothing could keep running unmanaged, so forced tasks stop;
		// services start replacements elsewhere.
		for _, t := range onInstance {
			if t.DesiredStatus != taskStopped {
				t.DesiredStatus = taskStopped
				t.StopCode = "TerminationNotice"
				t.StoppedReason = "Container instance deregistration forced by user."
				if err := s.PutTask(t); err != nil {
					return err
				}
			}
		}
		ci.Status = statusInactive
		ci.AgentConnected = false
		if err := s.PutContainerInstance(ci); err != nil {
			return err
		}
		out.ContainerInstance = containerInstanceOut(ci)
		return nil
	})
	return out, err
}
