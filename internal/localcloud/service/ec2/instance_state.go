package ec2

import (
	"context"
	"slices"

	"github.com/berthdev/berth/internal/localcloud/protocol"
	"github.com/berthdev/berth/internal/localcloud/protocol/ec2query"
	"github.com/berthdev/berth/internal/localcloud/service/ec2/wire"
	"github.com/berthdev/berth/internal/localcloud/store"
)

// Stopping and starting instances, and their status checks. A local
// instance is a record, so a stop or start completes at once: the reply
// says "stopping" or "pending", as AWS's does, and the next
// DescribeInstances already shows "stopped" or "running", which is what
// the SDKs' instance-stopped and instance-running waiters poll for.

const codeIncorrectInstanceState = "IncorrectInstanceState"

// listedInstances loads every listed instance or, when one is unknown (or
// terminated long ago), fails naming all those missing, as EC2 does.
func (b *Backend) listedInstances(tx *store.Tx, ids []string) ([]*Instance, error) {
	now := b.now()
	var missing []string
	var found []*Instance
	for _, id := range ids {
		inst, err := store.Get[Instance](tx, tableInstances, id)
		if err != nil {
			return nil, err
		}
		if inst == nil || !inst.visible(now) {
			if !wellFormed(kindInstance, id) {
				return nil, malformedID(kindInstance, id)
			}
			missing = append(missing, id)
			continue
		}
		found = append(found, inst)
	}
	if len(missing) > 0 {
		return nil, notFound(kindInstance, missing...)
	}
	return found, nil
}

// instanceTransition is what StopInstances and StartInstances do to one
// instance: from which states, to which, and what the reply calls the
// state it is passing through.
type instanceTransition struct {
	from     []string
	to       string
	replying string
	verb     string // in "… not in a state from which it can be <verb>."
	reason   string
}

var (
	stopTransition = instanceTransition{from: []string{statePending, stateRunning}, to: stateStopped, replying: stateStopping,
		verb: "stopped", reason: "Client.UserInitiatedShutdown"}
	startTransition = instanceTransition{from: []string{stateStopped}, to: stateRunning, replying: statePending, verb: "started"}
)

// changeInstanceStates applies a transition to every listed instance, or
// to none when one of them cannot make it. An instance already in the
// target state is left as it is and reported unchanged.
func (b *Backend) changeInstanceStates(ctx context.Context, ids []string, dryRun bool, move instanceTransition) ([]stateChange, error) {
	if len(ids) == 0 {
		return nil, missingParameter("InstanceId")
	}
	var changes []stateChange
	err := b.update(ctx, dryRun, func(tx *store.Tx) error {
		changes = nil
		instances, err := b.listedInstances(tx, ids)
		if err != nil {
			return err
		}
		for _, inst := range instances {
			if inst.State != move.to && !slices.Contains(move.from, inst.State) {
				return protocol.Errorf(codeIncorrectInstanceState, "This instance '%s' is not in a state from which it can be %s.", inst.ID, move.verb)
			}
		}
		for _, inst := range instances {
			if inst.State == move.to {
				changes = append(changes, stateChange{ID: inst.ID, Previous: inst.State, Current: inst.State})
				continue
			}
			changes = append(changes, stateChange{ID: inst.ID, Previous: inst.State, Current: move.replying})
			inst.State, inst.StateReason = move.to, move.reason
			if err := tx.Put(tableInstances, inst.ID, inst); err != nil {
				return err
			}
		}
		return nil
	})
	return changes, err
}

func stateChangeItems(changes []stateChange) ec2query.List[wire.InstanceStateChange] {
	items := ec2query.List[wire.InstanceStateChange]{}
	for _, c := range changes {
		items = append(items, wire.InstanceStateChange{InstanceId: c.ID, CurrentState: instanceState(c.Current),
			PreviousState: instanceState(c.Previous)})
	}
	return items
}

// Force and Hibernate change nothing here: a local instance stops at once.
func (b *Backend) handleStopInstances(ctx context.Context, in *wire.StopInstancesRequest) (*wire.StopInstancesResult, error) {
	changes, err := b.changeInstanceStates(ctx, in.InstanceIds, boolValue(in.DryRun), stopTransition)
	if err != nil {
		return nil, err
	}
	return &wire.StopInstancesResult{StoppingInstances: stateChangeItems(changes)}, nil
}

func (b *Backend) handleStartInstances(ctx context.Context, in *wire.StartInstancesRequest) (*wire.StartInstancesResult, error) {
	changes, err := b.changeInstanceStates(ctx, in.InstanceIds, boolValue(in.DryRun), startTransition)
	if err != nil {
		return nil, err
	}
	return &wire.StartInstancesResult{StartingInstances: stateChangeItems(changes)}, nil
}

// instanceChecks is the status of a check for an instance in a state: a
// running instance passes (nothing here can fail it), any other is not
// checked.
func instanceChecks(state string) *wire.InstanceStatusSummary {
	if state != stateRunning {
		return &wire.InstanceStatusSummary{Status: "not-applicable", Details: ec2query.List[wire.InstanceStatusDetails]{}}
	}
	return &wire.InstanceStatusSummary{Status: "ok", Details: ec2query.List[wire.InstanceStatusDetails]{{Name: "reachability", Status: "passed"}}}
}

// ebsChecks is instanceChecks for the attached volumes, the newer third
// check.
func ebsChecks(state string) *wire.EbsStatusSummary {
	checks := instanceChecks(state)
	out := &wire.EbsStatusSummary{Status: checks.Status, Details: ec2query.List[wire.EbsStatusDetails]{}}
	for _, d := range checks.Details {
		out.Details = append(out.Details, wire.EbsStatusDetails{Name: d.Name, Status: d.Status})
	}
	return out
}

func (i *Instance) statusFilterValues(name string) ([]string, bool) {
	switch name {
	case "availability-zone":
		return []string{i.AvailabilityZone}, true
	case "instance-state-name":
		return []string{i.State}, true
	case "instance-state-code":
		return i.filterValues(name)
	case "system-status.status", "instance-status.status":
		return []string{instanceChecks(i.State).Status}, true
	case "system-status.reachability", "instance-status.reachability":
		if i.State != stateRunning {
			return nil, true
		}
		return []string{"passed"}, true
	}
	return nil, false
}

func (b *Backend) handleDescribeInstanceStatus(ctx context.Context, in *wire.DescribeInstanceStatusRequest) (*wire.DescribeInstanceStatusResult, error) {
	if in.MaxResults != nil && len(in.InstanceIds) > 0 {
		return nil, invalidParameterCombination("The parameter instancesSet cannot be used with the parameter maxResults")
	}
	now := b.now()
	out := &wire.DescribeInstanceStatusResult{InstanceStatuses: ec2query.List[wire.InstanceStatus]{}}
	err := b.view(ctx, boolValue(in.DryRun), func(tx *store.Tx) error {
		var selected []*Instance
		if len(in.InstanceIds) > 0 {
			listed, err := b.listedInstances(tx, in.InstanceIds)
			if err != nil {
				return err
			}
			selected = listed
		} else {
			all, err := store.List[Instance](tx, tableInstances)
			if err != nil {
				return err
			}
			selected = slices.DeleteFunc(all, func(i *Instance) bool { return !i.visible(now) })
		}
		if !boolValue(in.IncludeAllInstances) {
			// Without it, only running instances have a status to show.
			selected = slices.DeleteFunc(selected, func(i *Instance) bool { return i.State != stateRunning })
		}
		selected, err := filterItems(selected, filtersFrom(in.Filters), func(*Instance) map[string]string { return nil },
			func(i *Instance) fieldValues { return i.statusFilterValues })
		if err != nil {
			return err
		}
		page, next, err := paginate(selected, func(i *Instance) string { return i.ID }, maxResultsOf(in.MaxResults), tokenOf(in.NextToken), 5)
		if err != nil {
			return err
		}
		for _, inst := range page {
			out.InstanceStatuses = append(out.InstanceStatuses, wire.InstanceStatus{InstanceId: inst.ID, AvailabilityZone: inst.AvailabilityZone,
				InstanceState: instanceState(inst.State), SystemStatus: instanceChecks(inst.State), InstanceStatus: instanceChecks(inst.State),
				AttachedEbsStatus: ebsChecks(inst.State)})
		}
		out.NextToken = next
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
