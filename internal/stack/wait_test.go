package stack

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
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
	return &ecstypes.Service{Status: aws.String("ACTIVE"), DesiredCount: 2, RunningCount: running, Deployments: deployments}
}

func deployment(id string, state ecstypes.DeploymentRolloutState, reason string) ecstypes.Deployment {
	return ecstypes.Deployment{Id: aws.String(id), Status: aws.String("PRIMARY"), RolloutState: state, RolloutStateReason: optional(reason)}
}

func stoppedTask(deployment string, code ecstypes.TaskStopCode, reason string) ecstypes.Task {
	return ecstypes.Task{StartedBy: aws.String(deployment), StopCode: code, StoppedReason: aws.String(reason)}
}

func TestAssess(t *testing.T) {
	healthy := []elbtypes.TargetHealthDescription{
		target("10.0.0.5", elbtypes.TargetHealthStateEnumHealthy, "", ""),
		target("10.0.1.7", elbtypes.TargetHealthStateEnumHealthy, "", ""),
	}
	tests := []struct {
		name      string
		health    health
		wantReady bool
		wantErr   string // substring; empty means no error
		wantState string // substring of the status
	}{
		{
			name:      "steady and healthy",
			health:    health{service: service(2, deployment("ecs-svc/1", ecstypes.DeploymentRolloutStateCompleted, "")), targets: healthy},
			wantReady: true, wantState: "targets healthy 2/2",
		},
		{
			name: "targets still checking",
			health: health{service: service(2, deployment("ecs-svc/1", ecstypes.DeploymentRolloutStateCompleted, "")), targets: []elbtypes.TargetHealthDescription{
				target("10.0.0.5", elbtypes.TargetHealthStateEnumHealthy, "", ""),
				target("10.0.1.7", elbtypes.TargetHealthStateEnumInitial, elbtypes.TargetHealthReasonEnumInitialHealthChecking, ""),
			}},
			wantState: "targets healthy 1/2",
		},
		{
			name: "unhealthy target reason is shown",
			health: health{service: service(2, deployment("ecs-svc/1", ecstypes.DeploymentRolloutStateInProgress, "")), targets: []elbtypes.TargetHealthDescription{
				target("10.0.0.5", elbtypes.TargetHealthStateEnumUnhealthy, elbtypes.TargetHealthReasonEnumResponseCodeMismatch, "Health checks failed with these codes: [404]"),
			}},
			wantState: "10.0.0.5 Target.ResponseCodeMismatch (Health checks failed with these codes: [404])",
		},
		{
			name: "old deployment still draining",
			health: health{service: service(2,
				deployment("ecs-svc/2", ecstypes.DeploymentRolloutStateCompleted, ""),
				ecstypes.Deployment{Id: aws.String("ecs-svc/1"), Status: aws.String("ACTIVE")}), targets: healthy},
			wantState: "deployments 2",
		},
		{
			name:    "circuit breaker tripped",
			health:  health{service: service(0, deployment("ecs-svc/1", ecstypes.DeploymentRolloutStateFailed, "ECS deployment circuit breaker: tasks failed to start."))},
			wantErr: "deployment failed: ECS deployment circuit breaker: tasks failed to start.",
		},
		{
			name: "tasks keep failing to start",
			health: health{service: service(0, deployment("ecs-svc/1", ecstypes.DeploymentRolloutStateInProgress, "")), stopped: []ecstypes.Task{
				stoppedTask("ecs-svc/1", ecstypes.TaskStopCodeTaskFailedToStart, "CannotPullContainerError: repository not found"),
				stoppedTask("ecs-svc/1", ecstypes.TaskStopCodeTaskFailedToStart, "CannotPullContainerError: repository not found"),
			}},
			wantErr: "2 tasks of the new deployment stopped; stopped tasks: CannotPullContainerError: repository not found",
		},
		{
			name: "stops of an older deployment and user stops do not count",
			health: health{service: service(1, deployment("ecs-svc/2", ecstypes.DeploymentRolloutStateInProgress, "")), stopped: []ecstypes.Task{
				stoppedTask("ecs-svc/1", ecstypes.TaskStopCodeEssentialContainerExited, "Essential container in task exited"),
				stoppedTask("ecs-svc/2", ecstypes.TaskStopCodeUserInitiated, "Task stopped by user"),
				stoppedTask("ecs-svc/2", ecstypes.TaskStopCodeEssentialContainerExited, "Essential container in task exited"),
			}},
			wantState: "tasks running 1/2",
		},
		{
			name:    "service gone",
			health:  health{},
			wantErr: "does not exist",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ready, status, err := tt.health.assess()
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !errors.Is(err, ErrUnhealthy) {
					t.Fatalf("err = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if ready != tt.wantReady || !strings.Contains(status, tt.wantState) {
				t.Fatalf("ready = %v, status = %q", ready, status)
			}
		})
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
