package autoscaling

import (
	"context"
	"slices"

	"github.com/berthdev/berth/internal/localcloud/service/autoscaling/wire"
)

// The scaling processes a group runs; SuspendProcesses stops any of them.
// The controller honours Launch, Terminate, HealthCheck, ReplaceUnhealthy
// and AZRebalance (it has no rebalancing, so that one is moot) and the
// backend ScheduledActions and AlarmNotification (ExecutePolicy).
var scalingProcesses = []string{
	"Launch", "Terminate", "HealthCheck", "ReplaceUnhealthy", "AZRebalance",
	"AlarmNotification", "ScheduledActions", "AddToLoadBalancer", "InstanceRefresh",
}

// Suspended reports whether a group's process is suspended.
func (g *Group) Suspended(process string) bool {
	return slices.ContainsFunc(g.SuspendedProcesses, func(p wire.SuspendedProcess) bool { return p.ProcessName == process })
}

func checkProcesses(names []string) error {
	for _, name := range names {
		if !slices.Contains(scalingProcesses, name) {
			return validationError("Unknown process name: %s", name)
		}
	}
	return nil
}

// handleSuspendProcesses suspends the named processes, all of them when
// none is named.
func (b *Backend) handleSuspendProcesses(ctx context.Context, in *wire.ScalingProcessQuery) (*struct{}, error) {
	if err := checkProcesses(in.ScalingProcesses); err != nil {
		return nil, err
	}
	names := in.ScalingProcesses
	if len(names) == 0 {
		names = scalingProcesses
	}
	return nil, b.updateLiveGroup(ctx, in.AutoScalingGroupName, func(g *Group) error {
		for _, name := range names {
			if !g.Suspended(name) {
				g.SuspendedProcesses = append(g.SuspendedProcesses, wire.SuspendedProcess{ProcessName: name, SuspensionReason: "User suspended at " + b.now().UTC().Format("2006-01-02T15:04:05Z")})
			}
		}
		return nil
	})
}

// handleResumeProcesses resumes the named processes, all when none is named.
func (b *Backend) handleResumeProcesses(ctx context.Context, in *wire.ScalingProcessQuery) (*struct{}, error) {
	if err := checkProcesses(in.ScalingProcesses); err != nil {
		return nil, err
	}
	return nil, b.updateLiveGroup(ctx, in.AutoScalingGroupName, func(g *Group) error {
		g.SuspendedProcesses = slices.DeleteFunc(g.SuspendedProcesses, func(p wire.SuspendedProcess) bool {
			return len(in.ScalingProcesses) == 0 || slices.Contains(in.ScalingProcesses, p.ProcessName)
		})
		return nil
	})
}

func (b *Backend) handleDescribeScalingProcessTypes(ctx context.Context, _ *struct{}) (*wire.ProcessesType, error) {
	return &wire.ProcessesType{Processes: listOf(scalingProcesses, func(name string) wire.ProcessType { return wire.ProcessType{ProcessName: name} })}, nil
}
