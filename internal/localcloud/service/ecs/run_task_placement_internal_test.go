package ecs

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/berthdev/berth/internal/localcloud/store"
)

// RunTask's placement is kept on the task in the store, so a placement
// decided after a restart still follows it, yet DescribeTasks shows it no
// more than ECS does.
func TestRunTaskPlacementSurvivesAStoreReload(t *testing.T) {
	dir := t.TempDir()
	ctx := store.WithScope(context.Background(), store.Scope{Account: "123456789012", Region: "us-east-1"})
	constraints := []PlacementConstraint{{Type: "memberOf", Expression: "attribute:ecs.instance-type == t3.small"}, {Type: "distinctInstance"}}
	strategies := []PlacementStrategy{{Type: "binpack", Field: "memory"}, {Type: "random"}}
	const clusterARN = "arn:aws:ecs:us-east-1:123456789012:cluster/reload"
	const taskARN = "arn:aws:ecs:us-east-1:123456789012:task/reload/0123456789abcdef"

	st, err := store.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := New(st).Update(ctx, func(s *State) error {
		return s.PutTask(&Task{TaskArn: taskARN, ClusterArn: clusterARN, LastStatus: taskProvisioning, DesiredStatus: taskRunning,
			PlacementConstraints: constraints, PlacementStrategy: strategies})
	}); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}

	st, err = store.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var task *Task
	if err := New(st).View(ctx, func(s *State) (err error) { task, err = s.Task(clusterARN, taskARN); return err }); err != nil {
		t.Fatal(err)
	}
	if task == nil || !slices.Equal(task.PlacementConstraints, constraints) || !slices.Equal(task.PlacementStrategy, strategies) {
		t.Fatalf("after the reload the task is %+v, want its placement %v %v", task, constraints, strategies)
	}
	shown, err := json.Marshal(taskOut(task))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(shown), "placement") {
		t.Errorf("DescribeTasks would show the placement: %s", shown)
	}
}
