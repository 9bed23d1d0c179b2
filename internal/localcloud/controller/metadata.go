package controller

import (
	"context"
	"fmt"
	"strings"

	"github.com/berthdev/berth/internal/localcloud/service/ecs"
	"github.com/berthdev/berth/internal/localcloud/store"
)

// TaskMetadata answers the task metadata endpoint (v4) for a task id: the
// task with its containers when wholeTask, else the first container, in
// the shape the ECS agent serves at ECS_CONTAINER_METADATA_URI_V4.
func (c *Controller) TaskMetadata(ctx context.Context, id string, wholeTask bool) (any, error) {
	var task *ecs.Task
	var def *ecs.TaskDefinition
	// A task id is unique across regions; the task is looked up in each
	// region with state until it is found.
	scopes, err := c.regionalScopes()
	if err != nil {
		return nil, err
	}
	for _, scope := range scopes {
		if task != nil {
			break
		}
		err = c.deps.ECS.View(store.WithScope(ctx, scope), func(s *ecs.State) error {
			tasks, err := s.AllTasks()
			if err != nil {
				return err
			}
			for _, t := range tasks {
				if taskID(t.TaskArn) == id {
					task = t
					def, err = s.TaskDefinition(t.TaskDefinitionArn)
					return err
				}
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	if task == nil {
		return nil, fmt.Errorf("no task %s", id)
	}
	containers := make([]map[string]any, 0, len(task.Containers))
	for _, ct := range task.Containers {
		containers = append(containers, map[string]any{
			"DockerId":      RuntimeID(task.TaskArn, ct.Name),
			"Name":          ct.Name,
			"Image":         ct.Image,
			"DesiredStatus": task.DesiredStatus,
			"KnownStatus":   ct.LastStatus,
			"ContainerARN":  ct.ContainerArn,
			"Type":          "NORMAL",
			"Networks": []map[string]any{{
				"NetworkMode":   "awsvpc",
				"IPv4Addresses": []string{taskAddress(task)},
			}},
		})
	}
	if !wholeTask {
		if len(containers) == 0 {
			return nil, fmt.Errorf("task %s has no containers", id)
		}
		return containers[0], nil
	}
	family, revision := "", ""
	if def != nil {
		family, revision = def.Family, fmt.Sprint(def.Revision)
	}
	serviceName, _ := strings.CutPrefix(task.Group, "service:")
	return map[string]any{
		"Cluster":          task.ClusterArn,
		"TaskARN":          task.TaskArn,
		"Family":           family,
		"Revision":         revision,
		"ServiceName":      serviceName,
		"DesiredStatus":    task.DesiredStatus,
		"KnownStatus":      task.LastStatus,
		"Limits":           map[string]any{"CPU": task.Cpu, "Memory": task.Memory},
		"AvailabilityZone": task.AvailabilityZone,
		"LaunchType":       "EC2",
		"Containers":       containers,
	}, nil
}
