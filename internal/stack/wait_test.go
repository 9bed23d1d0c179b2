package stack

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"

	"github.com/berthdev/berth/internal/engine"
	"github.com/berthdev/berth/internal/localcloud/localcloudtest"
)

func target(id string, state elbtypes.TargetHealthStateEnum, reason elbtypes.TargetHealthReasonEnum, description string) elbtypes.TargetHealthDescription {
	return elbtypes.TargetHealthDescription{
		Target:       &elbtypes.TargetDescription{Id: aws.String(id)},
		TargetHealth: &elbtypes.TargetHealth{State: state, Reason: reason, Description: optional(description)},
	}
}

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return aws.String(s)
}

func service(running int32, deployments ...ecstypes.Deployment) *ecstypes.Service {
	return &ecstypes.Service{
		ServiceName: aws.String("web"), Status: aws.String("ACTIVE"), DesiredCount: 2, RunningCount: running, Deployments: deployments,
		DeploymentConfiguration: &ecstypes.DeploymentConfiguration{DeploymentCircuitBreaker: &ecstypes.DeploymentCircuitBreaker{Enable: true, Rollback: true}},
	}
}

// withoutBreaker turns the service's deployment circuit breaker off.
func withoutBreaker(svc *ecstypes.Service) *ecstypes.Service {
	svc.DeploymentConfiguration = &ecstypes.DeploymentConfiguration{}
	return svc
}

func deployment(id string, state ecstypes.DeploymentRolloutState, reason string) ecstypes.Deployment {
	return ecstypes.Deployment{Id: aws.String(id), Status: aws.String("PRIMARY"), RolloutState: state, RolloutStateReason: optional(reason),
		TaskDefinition: aws.String("arn:aws:ecs:us-east-1:000000000000:task-definition/web:" + id[len(id)-1:])}
}

func older(d ecstypes.Deployment) ecstypes.Deployment {
	d.Status = aws.String("ACTIVE")
	return d
}

var taskCount int

func stoppedTask(deployment string, code ecstypes.TaskStopCode, reason string) ecstypes.Task {
	taskCount++
	return ecstypes.Task{TaskArn: aws.String(fmt.Sprintf("arn:aws:ecs:us-east-1:000000000000:task/web/%032d", taskCount)),
		StartedBy: aws.String(deployment), StopCode: code, StoppedReason: aws.String(reason)}
}

func crashed(deployment string) ecstypes.Task {
	t := stoppedTask(deployment, ecstypes.TaskStopCodeEssentialContainerExited, "Essential container in task exited")
	t.Containers = []ecstypes.Container{{Name: aws.String("app"), ExitCode: aws.Int32(1)}}
	return t
}

func TestAssess(t *testing.T) {
	healthy := []elbtypes.TargetHealthDescription{
		target("10.0.0.5", elbtypes.TargetHealthStateEnumHealthy, "", ""),
		target("10.0.1.7", elbtypes.TargetHealthStateEnumHealthy, "", ""),
	}
	restarted := "Task stopped because the local cloud restarted and its processes were gone"
	tests := []struct {
		name string
		// snapshots are what successive polls see; the verdict of the last
		// one is checked.
		snapshots  []health
		wantReady  bool
		wantFailed string // substring of the failure's reason and rollback; empty means none
		wantState  string // substring of the status
	}{
		{
			name:      "steady and healthy",
			snapshots: []health{{service: service(2, deployment("ecs-svc/1", ecstypes.DeploymentRolloutStateCompleted, "")), targets: healthy}},
			wantReady: true, wantState: "targets healthy 2/2",
		},
		{
			name: "targets still checking",
			snapshots: []health{{service: service(2, deployment("ecs-svc/1", ecstypes.DeploymentRolloutStateCompleted, "")), targets: []elbtypes.TargetHealthDescription{
				target("10.0.0.5", elbtypes.TargetHealthStateEnumHealthy, "", ""),
				target("10.0.1.7", elbtypes.TargetHealthStateEnumInitial, elbtypes.TargetHealthReasonEnumInitialHealthChecking, ""),
			}}},
			wantState: "targets healthy 1/2",
		},
		{
			name: "unhealthy target reason is shown",
			snapshots: []health{{service: service(2, deployment("ecs-svc/1", ecstypes.DeploymentRolloutStateInProgress, "")), targets: []elbtypes.TargetHealthDescription{
				target("10.0.0.5", elbtypes.TargetHealthStateEnumUnhealthy, elbtypes.TargetHealthReasonEnumResponseCodeMismatch, "Health checks failed with these codes: [404]"),
			}}},
			wantState: "10.0.0.5 Target.ResponseCodeMismatch (Health checks failed with these codes: [404])",
		},
		{
			name: "old deployment still draining",
			snapshots: []health{{service: service(2,
				deployment("ecs-svc/2", ecstypes.DeploymentRolloutStateCompleted, ""),
				older(deployment("ecs-svc/1", ecstypes.DeploymentRolloutStateCompleted, ""))), targets: healthy}},
			wantState: "deployments 2",
		},
		{
			name: "circuit breaker tripped on the first deployment",
			snapshots: []health{{service: service(0, deployment("ecs-svc/1", ecstypes.DeploymentRolloutStateFailed, "ECS deployment circuit breaker: tasks failed to start.")),
				stopped: []ecstypes.Task{crashed("ecs-svc/1"), crashed("ecs-svc/1"), crashed("ecs-svc/1")}}},
			wantFailed: "ECS deployment circuit breaker: tasks failed to start. (3 failed tasks; the circuit breaker's threshold is 3)\nThere is no completed deployment to roll back to",
		},
		{
			name: "circuit breaker rolled back",
			snapshots: []health{
				{service: service(2, deployment("ecs-svc/2", ecstypes.DeploymentRolloutStateInProgress, ""), older(deployment("ecs-svc/1", ecstypes.DeploymentRolloutStateCompleted, "")))},
				{service: service(2, deployment("ecs-svc/3", ecstypes.DeploymentRolloutStateInProgress, ""),
					older(deployment("ecs-svc/2", ecstypes.DeploymentRolloutStateFailed, "ECS deployment circuit breaker: tasks failed to start.")))},
			},
			wantFailed: "rolled the service back to web:3 (deployment ecs-svc/3)",
		},
		{
			name: "a rolled-back deployment that vanished before a poll saw it fail",
			snapshots: []health{
				{service: service(2, deployment("ecs-svc/2", ecstypes.DeploymentRolloutStateInProgress, ""), older(deployment("ecs-svc/1", ecstypes.DeploymentRolloutStateCompleted, "")))},
				{service: service(2, deployment("ecs-svc/3", ecstypes.DeploymentRolloutStateInProgress, ""), older(deployment("ecs-svc/1", ecstypes.DeploymentRolloutStateCompleted, ""))),
					stopped: []ecstypes.Task{crashed("ecs-svc/2"), crashed("ecs-svc/2"), crashed("ecs-svc/2")}},
			},
			wantFailed: "replaced by deployment ecs-svc/3",
		},
		{
			name: "a newer deploy replaces the followed one",
			snapshots: []health{
				{service: service(2, deployment("ecs-svc/1", ecstypes.DeploymentRolloutStateInProgress, ""))},
				{service: service(2, deployment("ecs-svc/2", ecstypes.DeploymentRolloutStateInProgress, ""), older(deployment("ecs-svc/1", ecstypes.DeploymentRolloutStateInProgress, "")))},
			},
			wantState: "deployments 2 (in_progress)",
		},
		{
			name: "with the breaker on, ECS decides: failures alone do not fail the wait",
			snapshots: []health{{service: service(0, deployment("ecs-svc/1", ecstypes.DeploymentRolloutStateInProgress, "")),
				stopped: []ecstypes.Task{crashed("ecs-svc/1"), crashed("ecs-svc/1"), crashed("ecs-svc/1"), crashed("ecs-svc/1")}}},
			wantState: "failed tasks 4 (the deployment fails at 3)",
		},
		{
			name: "without a breaker, berth gives up at the breaker's threshold",
			snapshots: []health{
				{service: withoutBreaker(service(0, deployment("ecs-svc/1", ecstypes.DeploymentRolloutStateInProgress, "")))},
				{service: withoutBreaker(service(0, deployment("ecs-svc/1", ecstypes.DeploymentRolloutStateInProgress, ""))),
					stopped: []ecstypes.Task{crashed("ecs-svc/1"), crashed("ecs-svc/1"), crashed("ecs-svc/1")}},
			},
			wantFailed: "3 of its tasks failed while berth waited; the service has no deployment circuit breaker",
		},
		{
			name: "failures from before the wait are history, not blamed",
			snapshots: []health{{service: withoutBreaker(service(0, deployment("ecs-svc/1", ecstypes.DeploymentRolloutStateInProgress, ""))),
				stopped: []ecstypes.Task{crashed("ecs-svc/1"), crashed("ecs-svc/1"), crashed("ecs-svc/1")}}},
			wantState: "tasks running 0/2",
		},
		{
			name: "tasks lost in a restart of the local cloud, scaled in or stopped by a user are no failures",
			snapshots: []health{
				{service: withoutBreaker(service(0, deployment("ecs-svc/1", ecstypes.DeploymentRolloutStateCompleted, "")))},
				{service: withoutBreaker(service(1, deployment("ecs-svc/1", ecstypes.DeploymentRolloutStateCompleted, ""))), stopped: []ecstypes.Task{
					stoppedTask("ecs-svc/1", ecstypes.TaskStopCodeInfrastructureHealth, restarted),
					stoppedTask("ecs-svc/1", ecstypes.TaskStopCodeInfrastructureHealth, restarted),
					stoppedTask("ecs-svc/1", ecstypes.TaskStopCodeUserInitiated, "Task stopped by user"),
					stoppedTask("ecs-svc/1", ecstypes.TaskStopCodeServiceSchedulerInitiated, "Scaling activity initiated by (deployment ecs-svc/1)"),
					crashed("ecs-svc/0"), crashed("ecs-svc/0"), crashed("ecs-svc/0"),
				}},
			},
			wantState: "tasks running 1/2",
		},
		{
			name:       "service gone",
			snapshots:  []health{{}},
			wantFailed: "does not exist",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := &waiter{}
			var v verdict
			var err error
			for i := range tt.snapshots {
				if v, err = w.assess(&tt.snapshots[i]); err != nil || v.failed != nil {
					break
				}
			}
			if err != nil {
				if tt.wantFailed == "" || !strings.Contains(err.Error(), tt.wantFailed) || !errors.Is(err, ErrUnhealthy) {
					t.Fatalf("err = %v, want a failure containing %q", err, tt.wantFailed)
				}
				return
			}
			if tt.wantFailed != "" {
				if v.failed == nil {
					t.Fatalf("no failure (status %q), want one containing %q", v.status, tt.wantFailed)
				}
				if got := v.failed.reason + "\n" + v.failed.rollback; !strings.Contains(got, tt.wantFailed) {
					t.Fatalf("failure %q does not contain %q", got, tt.wantFailed)
				}
				return
			}
			if v.failed != nil {
				t.Fatalf("failure %q, want none", v.failed.reason)
			}
			if v.ready != tt.wantReady || !strings.Contains(v.status, tt.wantState) {
				t.Fatalf("ready = %v, status = %q", v.ready, v.status)
			}
		})
	}
}

// The report names each distinct cause once, newest first, with how many
// tasks share it, and at most maxReportedTasks of them.
func TestFailureReportGroupsCauses(t *testing.T) {
	exitWith := func(code int32) ecstypes.Task {
		task := crashed("ecs-svc/1")
		task.Containers[0].ExitCode = aws.Int32(code)
		return task
	}
	pull := stoppedTask("ecs-svc/1", ecstypes.TaskStopCodeTaskFailedToStart, "CannotPullContainerError: repository not found")
	f := &failure{deployment: "ecs-svc/1", reason: "ECS deployment circuit breaker: tasks failed to start.", tasks: []ecstypes.Task{
		exitWith(1), exitWith(1), exitWith(137), pull, exitWith(2), exitWith(3),
	}}
	// No log lines are read: the tasks name no task definition the local
	// cloud knows, and the report still gives their causes.
	report := explain(context.Background(), engine.NewClients(localcloudtest.StartControlPlane(t).Config), "web", f)
	if len(report.Tasks) != maxReportedTasks || report.Unshown != 2 {
		t.Fatalf("tasks = %+v, unshown = %d", report.Tasks, report.Unshown)
	}
	msg := report.Error()
	for _, want := range []string{
		"service is not healthy: deployment ecs-svc/1 failed: ECS deployment circuit breaker",
		"Essential container in task exited; container app exited with code 1 (and 1 more task the same way)",
		"container app exited with code 137",
		"CannotPullContainerError: repository not found",
		"2 older failed tasks stopped for other reasons.",
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("report lacks %q:\n%s", want, msg)
		}
	}
	if !errors.Is(report, ErrUnhealthy) {
		t.Error("the report does not wrap ErrUnhealthy")
	}
}

func TestWaitHealthyFailsFastWithoutStack(t *testing.T) {
	eachEndpoint(t, func(t *testing.T, cfg aws.Config) {
		_, err := WaitHealthy(context.Background(), cfg, exampleSpec(), nil)
		if !errors.Is(err, ErrUnhealthy) || !strings.Contains(err.Error(), "deploy it first") {
			t.Fatalf("err = %v", err)
		}
	})
}
