package autoscaling

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/berthdev/berth/internal/localcloud/protocol/query"
	"github.com/berthdev/berth/internal/localcloud/service/autoscaling/wire"
	"github.com/berthdev/berth/internal/localcloud/store"
)

// Lifecycle hooks hold an instance in Pending:Wait after it launches, or in
// Terminating:Wait before it terminates, until every hook of that
// transition is completed (CompleteLifecycleAction), or its heartbeat
// timeout passes and its default result applies. Deadlines are the
// backend's clock; the controller asks ExpireLifecycleActions on each pass
// and acts on the states that result.

const tableLifecycleHooks = "autoscaling/lifecycle-hooks" // by group/hook name

// Lifecycle transitions and the wait states they lead to.
const (
	transitionLaunching   = "autoscaling:EC2_INSTANCE_LAUNCHING"
	transitionTerminating = "autoscaling:EC2_INSTANCE_TERMINATING"
	StatePendingWait      = "Pending:Wait"
	StateTerminatingWait  = "Terminating:Wait"
	maxGlobalTimeout      = 48 * time.Hour
)

// LifecycleHook is one hook of a group.
type LifecycleHook struct {
	GroupName             string
	Name                  string
	Transition            string
	HeartbeatTimeout      int
	DefaultResult         string
	NotificationMetadata  string `json:",omitempty"`
	NotificationTargetARN string `json:",omitempty"`
	RoleARN               string `json:",omitempty"`
}

// globalTimeout is the longest an instance can wait for the hook:
// 100 heartbeat timeouts or 48 hours, whichever is shorter.
func (h *LifecycleHook) globalTimeout() time.Duration {
	return min(100*time.Duration(h.HeartbeatTimeout)*time.Second, maxGlobalTimeout)
}

func hookKey(group, name string) string { return group + "/" + name }

func groupHooks(tx *store.Tx, group, transition string) ([]*LifecycleHook, error) {
	all, err := store.List[LifecycleHook](tx, tableLifecycleHooks)
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(all, func(h *LifecycleHook) bool {
		return h.GroupName != group || (transition != "" && h.Transition != transition)
	}), nil
}

// startWait puts an instance into a wait state for the hooks of a
// transition; with none it reports false and changes nothing.
func startWait(inst *GroupInstance, hooks []*LifecycleHook, state string, now time.Time) bool {
	if len(hooks) == 0 {
		return false
	}
	inst.LifecycleState = state
	inst.LifecycleToken = store.NewUUID()
	inst.LifecycleSince = now
	inst.LifecycleWaits = map[string]time.Time{}
	for _, h := range hooks {
		inst.LifecycleWaits[h.Name] = now.Add(time.Duration(h.HeartbeatTimeout) * time.Second)
	}
	return true
}

// finishWait ends an instance's wait with a result: a launch that
// continues goes InService, one abandoned and every terminating one goes
// Terminating (the controller terminates it).
func finishWait(inst *GroupInstance, result string) {
	switch {
	case inst.LifecycleState == StatePendingWait && result == "CONTINUE":
		inst.LifecycleState = StateInService
	default:
		inst.LifecycleState = StateTerminating
	}
	inst.LifecycleWaits, inst.LifecycleToken, inst.LifecycleSince = nil, "", time.Time{}
}

// LaunchState is the state a newly launched instance of the group starts
// in: Pending:Wait when launch hooks hold it, else InService. The
// controller calls it as it records the instance.
func (b *Backend) LaunchState(ctx context.Context, inst *GroupInstance, group string) error {
	return internalError(b.store.View(ctx, func(tx *store.Tx) error {
		hooks, err := groupHooks(tx, group, transitionLaunching)
		if err != nil {
			return err
		}
		if !startWait(inst, hooks, StatePendingWait, b.now().UTC()) {
			inst.LifecycleState = StateInService
		}
		return nil
	}))
}

// BeginTermination moves instances the controller scales in to
// Terminating:Wait when terminating hooks hold them, and reports those it
// may terminate at once.
func (b *Backend) BeginTermination(ctx context.Context, group string, ids []string) ([]string, error) {
	var now []string
	err := b.store.Update(ctx, func(tx *store.Tx) error {
		g, err := getGroup(tx, group)
		if err != nil {
			return err
		}
		hooks, err := groupHooks(tx, group, transitionTerminating)
		if err != nil {
			return err
		}
		if len(hooks) == 0 {
			now = ids
			return nil
		}
		for i := range g.Instances {
			if slices.Contains(ids, g.Instances[i].InstanceID) {
				startWait(&g.Instances[i], hooks, StateTerminatingWait, b.now().UTC())
			}
		}
		return tx.Put(tableGroups, g.Name, g)
	})
	return now, internalError(err)
}

// ExpireLifecycleActions applies the default result of each hook whose
// heartbeat (or the global) timeout has passed.
func (b *Backend) ExpireLifecycleActions(ctx context.Context, group string) error {
	return internalError(b.store.Update(ctx, func(tx *store.Tx) error {
		g, err := getGroup(tx, group)
		if err != nil {
			return err
		}
		hooks, err := groupHooks(tx, group, "")
		if err != nil {
			return err
		}
		byName := map[string]*LifecycleHook{}
		for _, h := range hooks {
			byName[h.Name] = h
		}
		now := b.now().UTC()
		changed := false
		for i := range g.Instances {
			inst := &g.Instances[i]
			for _, name := range sortedKeys(inst.LifecycleWaits) {
				deadline := inst.LifecycleWaits[name]
				h := byName[name]
				if h == nil { // the hook was deleted: it holds nothing
					delete(inst.LifecycleWaits, name)
					changed = true
					continue
				}
				if now.Before(deadline) && now.Before(inst.LifecycleSince.Add(h.globalTimeout())) {
					continue
				}
				changed = true
				delete(inst.LifecycleWaits, name)
				if h.DefaultResult == "ABANDON" {
					finishWait(inst, "ABANDON")
					break
				}
			}
			if inst.LifecycleWaits != nil && len(inst.LifecycleWaits) == 0 {
				finishWait(inst, "CONTINUE")
				changed = true
			}
		}
		if !changed {
			return nil
		}
		return tx.Put(tableGroups, g.Name, g)
	}))
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func (b *Backend) handlePutLifecycleHook(ctx context.Context, in *wire.PutLifecycleHookType) (*wire.PutLifecycleHookAnswer, error) {
	if err := required("lifecycleHookName", in.LifecycleHookName != ""); err != nil {
		return nil, err
	}
	return nil, internalError(b.store.Update(ctx, func(tx *store.Tx) error {
		g, err := getGroup(tx, in.AutoScalingGroupName)
		if err != nil {
			return err
		}
		if g.Deleting {
			return pendingDelete(g.Name)
		}
		h, err := store.Get[LifecycleHook](tx, tableLifecycleHooks, hookKey(g.Name, in.LifecycleHookName))
		if err != nil {
			return err
		}
		if h == nil {
			if in.LifecycleTransition == "" {
				return validationError("LifecycleTransition is required to create a lifecycle hook")
			}
			existing, err := groupHooks(tx, g.Name, "")
			if err != nil {
				return err
			}
			if len(existing) >= 50 {
				return limitExceeded("Exceeded the limit of 50 lifecycle hooks per Auto Scaling group")
			}
			h = &LifecycleHook{GroupName: g.Name, Name: in.LifecycleHookName, HeartbeatTimeout: 3600, DefaultResult: "ABANDON"}
		}
		if in.LifecycleTransition != "" {
			if in.LifecycleTransition != transitionLaunching && in.LifecycleTransition != transitionTerminating {
				return validationError("Invalid value for LifecycleTransition: %s. It must be %s or %s", in.LifecycleTransition, transitionLaunching, transitionTerminating)
			}
			h.Transition = in.LifecycleTransition
		}
		if in.HeartbeatTimeout != nil {
			if *in.HeartbeatTimeout < 30 || *in.HeartbeatTimeout > 7200 {
				return validationError("Heartbeat timeout must be between 30 and 7200 seconds")
			}
			h.HeartbeatTimeout = *in.HeartbeatTimeout
		}
		if in.DefaultResult != "" {
			if in.DefaultResult != "CONTINUE" && in.DefaultResult != "ABANDON" {
				return validationError("Default result must be CONTINUE or ABANDON")
			}
			h.DefaultResult = in.DefaultResult
		}
		if in.NotificationMetadata != "" {
			h.NotificationMetadata = in.NotificationMetadata
		}
		if in.NotificationTargetARN != "" {
			h.NotificationTargetARN = in.NotificationTargetARN
		}
		if in.RoleARN != "" {
			h.RoleARN = in.RoleARN
		}
		return tx.Put(tableLifecycleHooks, hookKey(g.Name, h.Name), h)
	}))
}

func (b *Backend) handleDescribeLifecycleHooks(ctx context.Context, in *wire.DescribeLifecycleHooksType) (*wire.DescribeLifecycleHooksAnswer, error) {
	if err := b.existingGroup(ctx, in.AutoScalingGroupName); err != nil {
		return nil, err
	}
	out := &wire.DescribeLifecycleHooksAnswer{LifecycleHooks: query.List[wire.LifecycleHook]{}}
	err := b.store.View(ctx, func(tx *store.Tx) error {
		hooks, err := groupHooks(tx, in.AutoScalingGroupName, "")
		if err != nil {
			return err
		}
		slices.SortFunc(hooks, func(a, b *LifecycleHook) int { return strings.Compare(a.Name, b.Name) })
		for _, h := range hooks {
			if len(in.LifecycleHookNames) > 0 && !slices.Contains(in.LifecycleHookNames, h.Name) {
				continue
			}
			out.LifecycleHooks = append(out.LifecycleHooks, wire.LifecycleHook{
				LifecycleHookName: h.Name, AutoScalingGroupName: h.GroupName, LifecycleTransition: h.Transition,
				NotificationTargetARN: h.NotificationTargetARN, RoleARN: h.RoleARN, NotificationMetadata: h.NotificationMetadata,
				HeartbeatTimeout: ptr(h.HeartbeatTimeout), GlobalTimeout: ptr(int(h.globalTimeout() / time.Second)), DefaultResult: h.DefaultResult,
			})
		}
		return nil
	})
	return out, internalError(err)
}

func (b *Backend) handleDeleteLifecycleHook(ctx context.Context, in *wire.DeleteLifecycleHookType) (*wire.DeleteLifecycleHookAnswer, error) {
	if err := required("lifecycleHookName", in.LifecycleHookName != ""); err != nil {
		return nil, err
	}
	return nil, internalError(b.store.Update(ctx, func(tx *store.Tx) error {
		if _, err := getGroup(tx, in.AutoScalingGroupName); err != nil {
			return err
		}
		key := hookKey(in.AutoScalingGroupName, in.LifecycleHookName)
		h, err := store.Get[LifecycleHook](tx, tableLifecycleHooks, key)
		if err != nil {
			return err
		}
		if h == nil {
			return validationError("No Lifecycle Hook found with name %s for group %s", in.LifecycleHookName, in.AutoScalingGroupName)
		}
		return tx.Delete(tableLifecycleHooks, key)
	}))
}

// lifecycleActionRef names the waiting instance and hook that
// CompleteLifecycleAction and RecordLifecycleActionHeartbeat act on.
type lifecycleActionRef struct {
	AutoScalingGroupName string
	LifecycleHookName    string
	LifecycleActionToken string
	InstanceId           string
}

// waitingInstance finds the instance a lifecycle action call is about, by
// token or instance id, that is waiting for the hook.
func waitingInstance(g *Group, in lifecycleActionRef) (*GroupInstance, error) {
	if in.LifecycleActionToken == "" && in.InstanceId == "" {
		return nil, validationError("Either LifecycleActionToken or InstanceId must be specified")
	}
	for i := range g.Instances {
		inst := &g.Instances[i]
		if (in.InstanceId != "" && inst.InstanceID != in.InstanceId) || (in.LifecycleActionToken != "" && inst.LifecycleToken != in.LifecycleActionToken) {
			continue
		}
		if _, waiting := inst.LifecycleWaits[in.LifecycleHookName]; waiting {
			return inst, nil
		}
	}
	if in.InstanceId != "" {
		return nil, validationError("No active Lifecycle Action found with instance ID %s", in.InstanceId)
	}
	return nil, validationError("No active Lifecycle Action found with token %s", in.LifecycleActionToken)
}

func (b *Backend) lifecycleAction(ctx context.Context, in lifecycleActionRef, act func(g *Group, h *LifecycleHook, inst *GroupInstance) error) error {
	if err := required("lifecycleHookName", in.LifecycleHookName != ""); err != nil {
		return err
	}
	return internalError(b.store.Update(ctx, func(tx *store.Tx) error {
		g, err := getGroup(tx, in.AutoScalingGroupName)
		if err != nil {
			return err
		}
		h, err := store.Get[LifecycleHook](tx, tableLifecycleHooks, hookKey(g.Name, in.LifecycleHookName))
		if err != nil {
			return err
		}
		if h == nil {
			return validationError("No Lifecycle Hook found with name %s for group %s", in.LifecycleHookName, g.Name)
		}
		inst, err := waitingInstance(g, in)
		if err != nil {
			return err
		}
		if err := act(g, h, inst); err != nil {
			return err
		}
		return tx.Put(tableGroups, g.Name, g)
	}))
}

func (b *Backend) handleCompleteLifecycleAction(ctx context.Context, in *wire.CompleteLifecycleActionType) (*wire.CompleteLifecycleActionAnswer, error) {
	if in.LifecycleActionResult != "CONTINUE" && in.LifecycleActionResult != "ABANDON" {
		return nil, validationError("LifecycleActionResult must be CONTINUE or ABANDON")
	}
	ref := lifecycleActionRef{AutoScalingGroupName: in.AutoScalingGroupName, LifecycleHookName: in.LifecycleHookName,
		LifecycleActionToken: in.LifecycleActionToken, InstanceId: in.InstanceId}
	return nil, b.lifecycleAction(ctx, ref, func(g *Group, h *LifecycleHook, inst *GroupInstance) error {
		delete(inst.LifecycleWaits, h.Name)
		if in.LifecycleActionResult == "ABANDON" || len(inst.LifecycleWaits) == 0 {
			finishWait(inst, in.LifecycleActionResult)
		}
		return nil
	})
}

func (b *Backend) handleRecordLifecycleActionHeartbeat(ctx context.Context, in *wire.RecordLifecycleActionHeartbeatType) (*wire.RecordLifecycleActionHeartbeatAnswer, error) {
	ref := lifecycleActionRef{AutoScalingGroupName: in.AutoScalingGroupName, LifecycleHookName: in.LifecycleHookName,
		LifecycleActionToken: in.LifecycleActionToken, InstanceId: in.InstanceId}
	return nil, b.lifecycleAction(ctx, ref, func(g *Group, h *LifecycleHook, inst *GroupInstance) error {
		inst.LifecycleWaits[h.Name] = b.now().UTC().Add(time.Duration(h.HeartbeatTimeout) * time.Second)
		return nil
	})
}
