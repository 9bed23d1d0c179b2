package ec2

import (
	"context"
	"slices"

	"github.com/berthdev/berth/internal/localcloud/protocol"
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

type instanceStatesInput struct {
	InstanceIDs []string `query:"InstanceId"`
	DryRun      bool     `query:"DryRun"`
	// Force and Hibernate change nothing here: a local instance stops at once.
	Force     bool `query:"Force"`
	Hibernate bool `query:"Hibernate"`
}

type stopInstancesOutput struct {
	Instances []instanceStateChangeItem `xml:"instancesSet>item"`
}

func stateChangeItems(changes []stateChange) []instanceStateChangeItem {
	items := []instanceStateChangeItem{}
	for _, c := range changes {
		items = append(items, instanceStateChangeItem{InstanceID: c.ID, CurrentState: instanceState(c.Current), PreviousState: instanceState(c.Previous)})
	}
	return items
}

func (b *Backend) handleStopInstances(ctx context.Context, in *instanceStatesInput) (*stopInstancesOutput, error) {
	changes, err := b.changeInstanceStates(ctx, in.InstanceIDs, in.DryRun, stopTransition)
	if err != nil {
		return nil, err
	}
	return &stopInstancesOutput{Instances: stateChangeItems(changes)}, nil
}

func (b *Backend) handleStartInstances(ctx context.Context, in *instanceStatesInput) (*stopInstancesOutput, error) {
	changes, err := b.changeInstanceStates(ctx, in.InstanceIDs, in.DryRun, startTransition)
	if err != nil {
		return nil, err
	}
	return &stopInstancesOutput{Instances: stateChangeItems(changes)}, nil
}

type describeInstanceStatusInput struct {
	InstanceIDs         []string      `query:"InstanceId"`
	Filters             []filterParam `query:"Filter"`
	IncludeAllInstances bool          `query:"IncludeAllInstances"`
	MaxResults          *int32        `query:"MaxResults"`
	NextToken           *string       `query:"NextToken"`
	DryRun              bool          `query:"DryRun"`
}

type statusDetailItem struct {
	Name   string `xml:"name"`
	Status string `xml:"status"`
}

type statusSummaryItem struct {
	Status  string             `xml:"status"`
	Details []statusDetailItem `xml:"details>item"`
}

type instanceStatusItem struct {
	InstanceID       string            `xml:"instanceId"`
	AvailabilityZone string            `xml:"availabilityZone"`
	InstanceState    instanceStateItem `xml:"instanceState"`
	SystemStatus     statusSummaryItem `xml:"systemStatus"`
	InstanceStatus   statusSummaryItem `xml:"instanceStatus"`
	// AttachedEbsStatus is the newer third check, of the attached volumes.
	AttachedEbsStatus statusSummaryItem `xml:"attachedEbsStatus"`
}

type describeInstanceStatusOutput struct {
	Statuses  []instanceStatusItem `xml:"instanceStatusSet>item"`
	NextToken string               `xml:"nextToken,omitempty"`
}

// instanceChecks is the status of a check for an instance in a state: a
// running instance passes (nothing here can fail it), any other is not
// checked.
func instanceChecks(state string) statusSummaryItem {
	if state != stateRunning {
		return statusSummaryItem{Status: "not-applicable", Details: []statusDetailItem{}}
	}
	return statusSummaryItem{Status: "ok", Details: []statusDetailItem{{Name: "reachability", Status: "passed"}}}
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

func (b *Backend) handleDescribeInstanceStatus(ctx context.Context, in *describeInstanceStatusInput) (*describeInstanceStatusOutput, error) {
	if in.MaxResults != nil && len(in.InstanceIDs) > 0 {
		return nil, invalidParameterCombination("The parameter instancesSet cannot be used with the parameter maxResults")
	}
	now := b.now()
	out := &describeInstanceStatusOutput{Statuses: []instanceStatusItem{}}
	err := b.view(ctx, in.DryRun, func(tx *store.Tx) error {
		var selected []*Instance
		if len(in.InstanceIDs) > 0 {
			listed, err := b.listedInstances(tx, in.InstanceIDs)
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
		if !in.IncludeAllInstances {
			// Without it, only running instances have a status to show.
			selected = slices.DeleteFunc(selected, func(i *Instance) bool { return i.State != stateRunning })
		}
		selected, err := filterItems(selected, in.Filters, func(*Instance) map[string]string { return nil },
			func(i *Instance) fieldValues { return i.statusFilterValues })
		if err != nil {
			return err
		}
		page, next, err := paginate(selected, func(i *Instance) string { return i.ID }, in.MaxResults, in.NextToken, 5)
		if err != nil {
			return err
		}
		for _, inst := range page {
			checks := instanceChecks(inst.State)
			out.Statuses = append(out.Statuses, instanceStatusItem{InstanceID: inst.ID, AvailabilityZone: inst.AvailabilityZone,
				InstanceState: instanceState(inst.State), SystemStatus: checks, InstanceStatus: checks, AttachedEbsStatus: checks})
		}
		out.NextToken = next
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
