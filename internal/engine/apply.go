package engine

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/berthdev/berth/internal/graph"
)

// Phase is the stage of one resource during Apply.
type Phase string

const (
	PhaseStart    Phase = "start"
	PhaseProgress Phase = "progress"
	PhaseDone     Phase = "done"
	PhaseFailed   Phase = "failed"
	PhaseSkipped  Phase = "skipped"
)

// Event reports progress of one resource.
type Event struct {
	Addr    Addr
	Action  Action
	Phase   Phase
	Message string
	// Elapsed is the time since this resource started, or since the apply
	// started for skipped resources.
	Elapsed time.Duration
}

// DefaultParallelism is how many resources Apply works on at once.
const DefaultParallelism = 4

// ApplyOptions tunes Apply.
type ApplyOptions struct {
	// Parallelism bounds concurrent resource operations; 0 means
	// DefaultParallelism.
	Parallelism int
	// OnEvent receives progress; calls are serialised, so it need not lock.
	OnEvent func(Event)
}

type progressKey struct{}

// Progress reports a message about the resource being applied in ctx, for
// long waits (instances terminating, load balancer provisioning). Outside
// Apply it does nothing.
func Progress(ctx context.Context, format string, args ...any) {
	if report, ok := ctx.Value(progressKey{}).(func(string)); ok {
		report(fmt.Sprintf(format, args...))
	}
}

// Apply carries out the plan: creates and updates in dependency order,
// deletions in reverse order, up to opts.Parallelism at once. A deploy that
// also deletes resources the stack no longer wants deletes them last, once
// what remains has moved off them (a listener off a certificate). A failure
// skips everything that depends on the failed resource; the rest goes on.
// It returns the outputs of every resource that exists afterwards.
func Apply(ctx context.Context, c *Clients, p *Plan, opts ApplyOptions) (map[Addr]Outputs, error) {
	parallelism := opts.Parallelism
	if parallelism == 0 {
		parallelism = DefaultParallelism
	}
	var emitMu sync.Mutex
	emit := func(e Event) {
		if opts.OnEvent == nil {
			return
		}
		emitMu.Lock()
		defer emitMu.Unlock()
		opts.OnEvent(e)
	}
	// Outputs of unchanged resources are known from the plan; a fresh copy
	// keeps the plan reusable for rendering after Apply.
	inputs := p.inputs.Clone()
	started := time.Now()

	deleting := false // which phase of a deploy runs: deletions come last
	visit := func(ctx context.Context, addr Addr) error {
		action := p.actions[addr]
		if action == NoOp || (!p.Destroy && (action == Delete) != deleting) {
			return nil
		}
		begin := time.Now()
		emit(Event{Addr: addr, Action: action, Phase: PhaseStart, Message: action.String()})
		ctx = context.WithValue(ctx, progressKey{}, func(msg string) {
			emit(Event{Addr: addr, Action: action, Phase: PhaseProgress, Message: msg, Elapsed: time.Since(begin)})
		})
		err := applyOne(ctx, c, p, inputs, addr, action)
		if err != nil {
			emit(Event{Addr: addr, Action: action, Phase: PhaseFailed, Message: err.Error(), Elapsed: time.Since(begin)})
			return err
		}
		emit(Event{Addr: addr, Action: action, Phase: PhaseDone, Message: action.String(), Elapsed: time.Since(begin)})
		return nil
	}

	var err error
	if p.Destroy {
		err = p.graph.ReverseWalk(ctx, parallelism, visit)
	} else {
		err = p.graph.Walk(ctx, parallelism, visit)
		if err == nil && p.deletes() {
			deleting = true
			err = p.graph.ReverseWalk(ctx, parallelism, visit)
		}
	}
	var walkErr *graph.WalkError[Addr]
	if errors.As(err, &walkErr) {
		for _, addr := range p.graph.Nodes() {
			blocker, skipped := walkErr.Skipped[addr]
			if !skipped || p.actions[addr] == NoOp || (!p.Destroy && (p.actions[addr] == Delete) != deleting) {
				continue
			}
			msg := "not started: " + string(blocker) + " failed"
			if blocker == addr {
				msg = "not started: apply canceled"
			}
			emit(Event{Addr: addr, Action: p.actions[addr], Phase: PhaseSkipped, Message: msg, Elapsed: time.Since(started)})
		}
	}
	if err != nil {
		return inputs.Outputs(), fmt.Errorf("apply: %w", err)
	}
	return inputs.Outputs(), nil
}

func (p *Plan) deletes() bool {
	for _, c := range p.Changes {
		if c.Action == Delete {
			return true
		}
	}
	return false
}

func applyOne(ctx context.Context, c *Clients, p *Plan, inputs *Inputs, addr Addr, action Action) error {
	r := p.resources[addr]
	actual := p.observed[addr]
	switch action {
	case Delete:
		if err := r.Delete(ctx, c, actual); err != nil {
			return fmt.Errorf("delete: %w", err)
		}
		inputs.Set(addr, nil)
		return nil
	case Replace:
		if err := r.Delete(ctx, c, actual); err != nil {
			return fmt.Errorf("replace: delete: %w", err)
		}
		actual = nil
	}
	out, err := applyConverging(ctx, c, r, inputs, actual)
	if err != nil {
		return fmt.Errorf("%s: %w", action, err)
	}
	inputs.Set(addr, out)
	return nil
}

// maxConvergeRounds bounds how often applyConverging applies again after a
// failed apply that made progress.
const maxConvergeRounds = 8

// applyConverging applies r and, when that fails, looks again before giving
// up. A create or update is a sequence of calls; when the answer to one of
// them is lost (the connection drops after AWS acted, and the SDK's retry
// gets "already exists", "already associated" or a quota of one), the
// object may be there, complete or partly configured, while the apply
// reports an error. Rather than teach every resource which errors mean
// "done", the engine observes again: an object that now matches the
// desired state counts as applied; one that exists but still differs is
// applied again from what it now is (an update finishes the partial
// create), as long as each round changes what is left to do. A failure that
// left nothing behind, or no progress, is returned as it was, and so is a
// wait or retry that gave up (the object is there but not ready). This is
// the one place lost answers are handled.
func applyConverging(ctx context.Context, c *Clients, r Resource, inputs *Inputs, actual *Observed) (Outputs, error) {
	out, err := r.Apply(ctx, c, inputs, actual)
	if err == nil {
		return out, nil
	}
	if errors.As(err, new(gaveUp)) {
		return nil, err
	}
	firstErr := err
	// What was left to do before the failed apply: an update that failed
	// without effect is not tried again.
	var lastChanges []FieldChange
	if actual != nil {
		lastChanges, _ = r.Diff(inputs, actual)
	}
	for round := 0; round < maxConvergeRounds && ctx.Err() == nil; round++ {
		found, observeErr := r.Observe(ctx, c, inputs)
		if observeErr != nil || found == nil {
			return nil, firstErr
		}
		changes, action := r.Diff(inputs, found)
		switch {
		case action == NoOp:
			return found.Outputs, nil
		case action != Update:
			return nil, firstErr
		case (round > 0 || actual != nil) && slices.Equal(changes, lastChanges):
			return nil, err // applying again changed nothing
		}
		lastChanges = changes
		if out, err = r.Apply(ctx, c, inputs, found); err == nil {
			return out, nil
		}
	}
	return nil, firstErr
}
