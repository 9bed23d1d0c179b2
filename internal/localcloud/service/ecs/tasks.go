package ecs

import (
	"cmp"
	"context"
	"github.com/berthdev/berth/internal/localcloud/service/ecs/wire"
	"slices"
	"strconv"
	"strings"

	"github.com/berthdev/berth/internal/localcloud/store"
)

// Task states.
const (
	taskProvisioning = "PROVISIONING"
	taskRunning      = "RUNNING"
	taskStopped      = "STOPPED"
)

// expired reports whether a STOPPED task has outlived its visibility.
func (s *State) expired(t *Task) bool {
	return t.LastStatus == taskStopped && !t.StoppedAt.IsZero() && s.now.Sub(t.StoppedAt.Time()) > stoppedTaskRetention
}

// AllTasks returns the tasks of every cluster of the state's scope, for
// the controller's passes that look at each task wherever it runs.
func (s *State) AllTasks() ([]*Task, error) {
	clusters, err := s.Clusters()
	if err != nil {
		return nil, err
	}
	var all []*Task
	for _, cluster := range clusters {
		tasks, err := s.Tasks(cluster.ClusterArn)
		if err != nil {
			return nil, err
		}
		all = append(all, tasks...)
	}
	return all, nil
}

// Tasks returns a cluster's tasks, STOPPED ones included while they are
// still visible. In a write transaction it also forgets the expired ones.
func (s *State) Tasks(clusterARN string) ([]*Task, error) {
	clusterName := nameFromRef(clusterARN, "cluster")
	all, err := store.List[Task](s.tx, tableTasks)
	if err != nil {
		return nil, err
	}
	out := make([]*Task, 0, len(all))
	for _, t := range all {
		if nameFromRef(t.ClusterArn, "cluster") != clusterName {
			continue
		}
		if s.expired(t) {
			if s.writable {
				if err := s.tx.Delete(tableTasks, childKey(clusterName, idFromRef(t.TaskArn))); err != nil {
					return nil, err
				}
				if err := s.tx.Delete(tableTags, t.TaskArn); err != nil {
					return nil, err
				}
			}
			continue
		}
		out = append(out, t)
	}
	return out, nil
}

// Task returns one task of a cluster by id or ARN, nil when there is none
// (or it stopped too long ago).
func (s *State) Task(clusterARN, idOrARN string) (*Task, error) {
	if s.foreign(clusterARN, idOrARN) {
		return nil, nil
	}
	t, err := store.Get[Task](s.tx, tableTasks, childKey(nameFromRef(clusterARN, "cluster"), idFromRef(idOrARN)))
	if err != nil || t == nil || s.expired(t) {
		return nil, err
	}
	return t, nil
}

// PutTask stores a task, bumping its version and stamping the times of the
// stop it records, so the scheduler only has to set the statuses. Tags, when
// the task carries any (NewTask propagates them), are stored too.
func (s *State) PutTask(t *Task) error {
	t.Version++
	if t.DesiredStatus == taskStopped && t.StoppingAt.IsZero() {
		t.StoppingAt = awsjsonTime(s.now)
	}
	if t.LastStatus == taskStopped {
		if t.StoppedAt.IsZero() {
			t.StoppedAt = awsjsonTime(s.now)
		}
		if t.ExecutionStoppedAt.IsZero() {
			t.ExecutionStoppedAt = t.StoppedAt
		}
	}
	if t.Tags != nil {
		if err := s.putTags(t.TaskArn, t.Tags); err != nil {
			return err
		}
	}
	stored := *t
	stored.Tags = nil
	return s.tx.Put(tableTasks, childKey(nameFromRef(t.ClusterArn, "cluster"), idFromRef(t.TaskArn)), &stored)
}

// NewTask builds (without storing) a PROVISIONING task of def in cluster:
// ids, one PENDING container per container definition, empty overrides, and
// the capacity provider of the cluster's default strategy, if any. A
// service's task ("service:<name>" group) gets the service's capacity
// provider and the tags the service propagates.
func (s *State) NewTask(cluster *Cluster, def *TaskDefinition, startedBy, group string) *Task {
	id := store.RandomHex(32)
	taskARN := s.arn("task/" + cluster.ClusterName + "/" + id)
	t := &Task{
		TaskArn:           taskARN,
		ClusterArn:        cluster.ClusterArn,
		TaskDefinitionArn: def.TaskDefinitionArn,
		LastStatus:        taskProvisioning,
		DesiredStatus:     taskRunning,
		Cpu:               def.Cpu,
		Memory:            def.Memory,
		StartedBy:         startedBy,
		CreatedAt:         awsjsonTime(s.now),
		Group:             group,
		LaunchType:        "EC2",
		Attachments:       []Attachment{},
		Attributes:        []Attribute{{Name: "ecs.cpu-architecture", Value: ptr("x86_64")}},
		HealthStatus:      "UNKNOWN",
		Overrides:         &TaskOverride{ContainerOverrides: []ContainerOverride{}, InferenceAcceleratorOverrides: []wire.InferenceAcceleratorOverride{}},
	}
	if t.Group == "" {
		t.Group = "family:" + def.Family
	}
	for _, item := range cluster.DefaultCapacityProviderStrategy {
		if item.Weight > 0 || item.Base > 0 {
			s.setCapacityProvider(t, item.CapacityProvider)
			break
		}
	}
	if name, ok := strings.CutPrefix(t.Group, "service:"); ok {
		s.fromService(t, cluster, def, name)
	}
	for _, cd := range def.ContainerDefinitions {
		c := Container{
			ContainerArn:      s.arn("container/" + cluster.ClusterName + "/" + id + "/" + store.NewUUID()),
			TaskArn:           taskARN,
			Name:              cd.Name,
			Image:             cd.Image,
			LastStatus:        "PENDING",
			NetworkBindings:   []NetworkBinding{},
			NetworkInterfaces: []NetworkInterface{},
			HealthStatus:      "UNKNOWN",
			Cpu:               strconv.Itoa(int(cd.Cpu)),
		}
		if cd.Memory != nil {
			c.Memory = strconv.Itoa(int(*cd.Memory))
		}
		if cd.MemoryReservation != nil {
			c.MemoryReservation = strconv.Itoa(int(*cd.MemoryReservation))
		}
		t.Containers = append(t.Containers, c)
		t.Overrides.ContainerOverrides = append(t.Overrides.ContainerOverrides, ContainerOverride{Name: cd.Name})
	}
	return t
}

// fromService applies a service's capacity choice and tag propagation to one
// of its new tasks. Lookup failures leave the task as it is: the scheduler
// must still be able to launch it.
func (s *State) fromService(t *Task, cluster *Cluster, def *TaskDefinition, serviceName string) {
	svc, err := s.Service(cluster.ClusterName, serviceName)
	if err != nil || svc == nil {
		return
	}
	switch {
	case svc.LaunchType != "":
		t.LaunchType, t.CapacityProviderName = svc.LaunchType, ""
	case len(svc.CapacityProviderStrategy) > 0:
		s.setCapacityProvider(t, pickProvider(svc.CapacityProviderStrategy))
	}
	t.PlatformVersion = svc.PlatformVersion
	t.EnableExecuteCommand = svc.EnableExecuteCommand
	var tags []Tag
	switch svc.PropagateTags {
	case "SERVICE":
		tags, _ = s.tags(svc.ServiceArn)
	case "TASK_DEFINITION":
		tags, _ = s.tags(def.TaskDefinitionArn)
	}
	if svc.EnableECSManagedTags {
		tags = append(tags, Tag{Key: "aws:ecs:clusterName", Value: cluster.ClusterName}, Tag{Key: "aws:ecs:serviceName", Value: svc.ServiceName})
	}
	if len(tags) > 0 {
		t.Tags = tags
	}
}

func (s *State) setCapacityProvider(t *Task, provider string) {
	t.CapacityProviderName = provider
	t.LaunchType = "EC2"
	if isFargateProvider(provider) {
		t.LaunchType = "FARGATE"
	}
}

// describedTask is a task as DescribeTasks shows it.
func (s *State) describedTask(t *Task, withTags bool) (*Task, error) {
	out := *t
	out.Tags = nil
	if withTags {
		tags, err := s.tags(t.TaskArn)
		if err != nil {
			return nil, err
		}
		out.Tags = tags
	}
	return &out, nil
}

func validateRunTask(in *wire.RunTaskRequest) error {
	switch {
	case in.TaskDefinition == "":
		return errMissing("taskDefinition")
	case in.Count != nil && (*in.Count < 1 || *in.Count > 10):
		return errInvalidParameter("Count must be between 1 and 10.")
	case len(in.StartedBy) > 128:
		return errInvalidParameter("startedBy can be at most 128 characters.")
	case len(in.Group) > 255:
		return errInvalidParameter("group can be at most 255 characters.")
	}
	if err := validatePlacement(in.PlacementConstraints, in.PlacementStrategy); err != nil {
		return err
	}
	return validateTags(in.Tags)
}

func (b *Backend) runTask(ctx context.Context, in *wire.RunTaskRequest) (*wire.RunTaskResponse, error) {
	if err := validateRunTask(in); err != nil {
		return nil, err
	}
	out := &wire.RunTaskResponse{Tasks: []wire.Task{}, Failures: []Failure{}}
	err := b.Update(ctx, func(s *State) error {
		cluster, err := s.activeCluster(in.Cluster)
		if err != nil {
			return err
		}
		def, err := s.usableTaskDefinition(in.TaskDefinition)
		if err != nil {
			return err
		}
		launchType, strategy, err := s.resolveCapacity(cluster, def, in.LaunchType, strategyListIn(in.CapacityProviderStrategy))
		if err != nil {
			return err
		}
		if err := validateNetwork(def, in.NetworkConfiguration, launchType); err != nil {
			return err
		}
		if in.Overrides != nil {
			for _, o := range in.Overrides.ContainerOverrides {
				if !slices.ContainsFunc(def.ContainerDefinitions, func(c ContainerDefinition) bool { return c.Name == o.Name }) {
					return errInvalidParameter("Override for container named %s is not a container in the TaskDefinition.", o.Name)
				}
			}
		}
		if launchType == "EC2" {
			// Without a capacity provider nothing can add instances, so ECS
			// refuses at once when the cluster has none.
			instances, err := s.ContainerInstances(cluster.ClusterArn)
			if err != nil {
				return err
			}
			if !slices.ContainsFunc(instances, func(ci *ContainerInstance) bool { return ci.Status == statusActive }) {
				out.Failures = append(out.Failures, Failure{Reason: "No Container Instances were found in your cluster."})
				return nil
			}
		}
		var room *runPlacement
		if launchType == "EC2" {
			group := cmp.Or(in.Group, "family:"+def.Family)
			if room, err = s.newRunPlacement(cluster, def, group, in.PlacementConstraints); err != nil {
				return err
			}
		}
		count := cmp.Or(ptrValue(in.Count), 1)
		for range count {
			if room != nil {
				// Without a capacity provider nothing will add an instance,
				// so a task no instance can take fails now, not later.
				if ok, refusals := room.take(); !ok {
					out.Failures = appendNew(out.Failures, refusals)
					continue
				}
			}
			t := s.NewTask(cluster, def, in.StartedBy, in.Group)
			// Kept for the controller's placement; ECS shows neither on a
			// task, and taskOut leaves them out.
			t.PlacementConstraints = in.PlacementConstraints
			t.PlacementStrategy = in.PlacementStrategy
			if def.NetworkMode == "awsvpc" {
				t.NetworkConfiguration = in.NetworkConfiguration
			}
			switch {
			case launchType != "":
				t.LaunchType, t.CapacityProviderName = launchType, ""
			case len(strategy) > 0:
				s.setCapacityProvider(t, pickProvider(strategy))
			}
			t.PlatformVersion = in.PlatformVersion
			t.EnableExecuteCommand = ptrValue(in.EnableExecuteCommand)
			if in.Overrides != nil {
				t.Overrides = mergeOverrides(t.Overrides, taskOverrideIn(in.Overrides))
			}
			if t.Tags, err = s.runTaskTags(cluster, def, in.Tags, in.PropagateTags, ptrValue(in.EnableECSManagedTags)); err != nil {
				return err
			}
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

// appendNew appends the failures not already listed: a call whose tasks
// meet the same refusals reports each once.
func appendNew(failures, more []Failure) []Failure {
	for _, f := range more {
		if !slices.Contains(failures, f) {
			failures = append(failures, f)
		}
	}
	return failures
}

// runTaskTags are a RunTask's own tags plus the ones it asks to propagate.
func (s *State) runTaskTags(cluster *Cluster, def *TaskDefinition, own []Tag, propagate string, managed bool) ([]Tag, error) {
	tags := slices.Clone(own)
	if propagate == "TASK_DEFINITION" {
		defTags, err := s.tags(def.TaskDefinitionArn)
		if err != nil {
			return nil, err
		}
		tags = mergeTags(defTags, tags)
	}
	if managed {
		tags = append(tags, Tag{Key: "aws:ecs:clusterName", Value: cluster.ClusterName})
	}
	return orEmpty(tags), nil
}

// pickProvider chooses the provider a single task goes to: the one with a
// base, else the heaviest weight.
func pickProvider(strategy []CapacityProviderStrategyItem) string {
	best := strategy[0]
	for _, item := range strategy[1:] {
		if item.Base > best.Base || (best.Base == 0 && item.Weight > best.Weight) {
			best = item
		}
	}
	return best.CapacityProvider
}

func mergeOverrides(base *TaskOverride, requested *TaskOverride) *TaskOverride {
	out := *requested
	out.InferenceAcceleratorOverrides = orEmpty(requested.InferenceAcceleratorOverrides)
	out.ContainerOverrides = slices.Clone(base.ContainerOverrides)
	for _, o := range requested.ContainerOverrides {
		i := slices.IndexFunc(out.ContainerOverrides, func(c ContainerOverride) bool { return c.Name == o.Name })
		if i >= 0 {
			out.ContainerOverrides[i] = o
		}
	}
	return &out
}

func (b *Backend) stopTask(ctx context.Context, in *wire.StopTaskRequest) (*wire.StopTaskResponse, error) {
	if in.Task == "" {
		return nil, errMissing("task")
	}
	if len(in.Reason) > 255 {
		return nil, errInvalidParameter("reason can be at most 255 characters.")
	}
	out := &wire.StopTaskResponse{}
	err := b.Update(ctx, func(s *State) error {
		cluster, err := s.activeCluster(in.Cluster)
		if err != nil {
			return err
		}
		t, err := s.Task(cluster.ClusterArn, in.Task)
		if err != nil {
			return err
		}
		if t == nil {
			return errInvalidParameter("The referenced task was not found.")
		}
		if t.DesiredStatus != taskStopped {
			t.DesiredStatus = taskStopped
			t.StopCode = "UserInitiated"
			t.StoppedReason = cmp.Or(in.Reason, "Task stopped by user")
			if t.LastStatus == taskProvisioning && t.ContainerInstanceArn == "" {
				// Never placed: nothing runs, so there is nothing to wait for.
				t.LastStatus = taskStopped
				for i := range t.Containers {
					t.Containers[i].LastStatus = taskStopped
				}
			}
			if err := s.PutTask(t); err != nil {
				return err
			}
		}
		described, err := s.describedTask(t, false)
		if err != nil {
			return err
		}
		task := taskOut(described)
		out.Task = &task
		return nil
	})
	return out, err
}

func (b *Backend) describeTasks(ctx context.Context, in *wire.DescribeTasksRequest) (*wire.DescribeTasksResponse, error) {
	if err := validateDescribe("tasks", in.Tasks, 100, in.Include, "TAGS"); err != nil {
		return nil, err
	}
	withTags := slices.Contains(in.Include, "TAGS")
	out := &wire.DescribeTasksResponse{Failures: []Failure{}}
	var tasks []*Task
	err := b.View(ctx, func(s *State) error {
		return describeInCluster(s, in.Cluster, in.Tasks, "task", &tasks, &out.Failures,
			func(c *Cluster, ref string) (*Task, error) { return s.Task(c.ClusterArn, ref) },
			func(t *Task) (*Task, error) { return s.describedTask(t, withTags) })
	})
	out.Tasks = orEmpty(listOf(tasks, taskOut))
	return out, err
}

func (b *Backend) listTasks(ctx context.Context, in *wire.ListTasksRequest) (*wire.ListTasksResponse, error) {
	desired := cmp.Or(in.DesiredStatus, taskRunning)
	if desired != taskRunning && desired != "PENDING" && desired != taskStopped {
		return nil, errInvalidParameter("Invalid desiredStatus: %s.", in.DesiredStatus)
	}
	pageOf, next, err := b.listARNs(ctx, in.NextToken, in.MaxResults, 100, func(s *State, add func(arn string)) error {
		cluster, err := s.activeCluster(in.Cluster)
		if err != nil {
			return err
		}
		if in.ServiceName != "" {
			svc, err := s.Service(cluster.ClusterName, in.ServiceName)
			if err != nil {
				return err
			}
			if svc == nil {
				return errServiceNotFound()
			}
		}
		tasks, err := s.Tasks(cluster.ClusterArn)
		if err != nil {
			return err
		}
		for _, t := range tasks {
			switch {
			case t.DesiredStatus != desired:
			case in.ContainerInstance != "" && idFromRef(t.ContainerInstanceArn) != idFromRef(in.ContainerInstance):
			case in.Family != "" && familyOf(t.TaskDefinitionArn) != in.Family:
			case in.StartedBy != "" && t.StartedBy != in.StartedBy:
			case in.ServiceName != "" && t.Group != "service:"+idFromRef(in.ServiceName):
			case in.LaunchType != "" && t.LaunchType != in.LaunchType:
			default:
				add(t.TaskArn)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &wire.ListTasksResponse{TaskArns: pageOf, NextToken: next}, nil
}

// familyOf returns the family of a task definition ARN.
func familyOf(taskDefinitionARN string) string {
	family, _, _ := strings.Cut(nameFromRef(taskDefinitionARN, "task-definition"), ":")
	return family
}
