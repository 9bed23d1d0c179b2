package engine

import (
	"context"
	"fmt"
	"maps"
	"sync"

	"github.com/berthdev/berth/internal/graph"
)

// Change is the plan's entry for one resource.
type Change struct {
	Addr   Addr          `json:"address"`
	Action Action        `json:"action"`
	Fields []FieldChange `json:"fields,omitempty"`
}

// Plan is the ordered list of changes that would bring the stack to the
// desired state, together with what was observed so Apply does not need to
// look again.
type Plan struct {
	// Changes lists only resources that change, in the order Apply would
	// start them when run one at a time.
	Changes []Change
	// Destroy is set for plans from PlanDestroy: Apply walks them in
	// reverse dependency order.
	Destroy bool

	resources map[Addr]Resource
	graph     *graph.Graph[Addr]
	observed  map[Addr]*Observed
	actions   map[Addr]Action
	inputs    *Inputs
}

// Empty reports whether applying the plan would change nothing.
func (p *Plan) Empty() bool { return len(p.Changes) == 0 }

// Outputs returns the outputs observed at plan time, by resource.
func (p *Plan) Outputs() map[Addr]Outputs { return p.inputs.Outputs() }

// Observed returns what was found for addr at plan time, nil when absent.
func (p *Plan) Observed(addr Addr) *Observed { return p.observed[addr] }

// observeParallelism bounds concurrent Describe calls while planning; they
// are cheap but AWS throttles bursts per account.
const observeParallelism = 8

// BuildGraph checks that resources form a valid dependency graph.
func BuildGraph(resources []Resource) (*graph.Graph[Addr], map[Addr]Resource, error) {
	g := graph.New[Addr]()
	byAddr := make(map[Addr]Resource, len(resources))
	for _, r := range resources {
		if _, dup := byAddr[r.Addr()]; dup {
			return nil, nil, fmt.Errorf("duplicate resource %s", r.Addr())
		}
		byAddr[r.Addr()] = r
		g.Add(r.Addr())
	}
	for _, r := range resources {
		for _, dep := range r.DependsOn() {
			g.Connect(r.Addr(), dep)
		}
	}
	if err := g.Validate(); err != nil {
		return nil, nil, fmt.Errorf("resource graph: %w", err)
	}
	return g, byAddr, nil
}

// NewPlan observes every resource (dependencies first, so references
// resolve) and diffs it against the desired state.
func NewPlan(ctx context.Context, c *Clients, resources []Resource) (*Plan, error) {
	p, err := observe(ctx, c, resources, false)
	if err != nil {
		return nil, err
	}
	order, err := p.graph.TopologicalOrder()
	if err != nil {
		return nil, fmt.Errorf("resource graph: %w", err)
	}
	// Diffs see what the stack will look like after apply: outputs a change
	// will replace are unknown, so dependents plan to pick them up.
	planned := p.inputs.Clone()
	for _, addr := range order {
		r := p.resources[addr]
		fields, action := r.Diff(planned, p.observed[addr])
		p.actions[addr] = action
		if action != NoOp {
			p.Changes = append(p.Changes, Change{Addr: addr, Action: action, Fields: fields})
		}
		switch action {
		case Replace, Delete:
			planned.Set(addr, nil)
		case Update:
			if changing, ok := r.(OutputsChangedByUpdate); ok {
				out := maps.Clone(p.observed[addr].Outputs)
				for _, k := range changing.OutputsChangedByUpdate() {
					delete(out, k)
				}
				planned.Set(addr, out)
			}
		}
	}
	return p, nil
}

// NewDestroyPlan observes every resource and plans the deletion of each one
// that exists, dependents before what they depend on.
func NewDestroyPlan(ctx context.Context, c *Clients, resources []Resource) (*Plan, error) {
	p, err := observe(ctx, c, resources, true)
	if err != nil {
		return nil, err
	}
	p.Destroy = true
	order, err := p.graph.Reverse().TopologicalOrder()
	if err != nil {
		return nil, fmt.Errorf("resource graph: %w", err)
	}
	for _, addr := range order {
		if p.observed[addr] == nil || isReadOnly(p.resources[addr]) {
			p.actions[addr] = NoOp
			continue
		}
		p.actions[addr] = Delete
		p.Changes = append(p.Changes, Change{Addr: addr, Action: Delete})
	}
	return p, nil
}

// observe looks every resource up, dependencies first; a destroy skips the
// read-only ones, which it would not delete and which may be gone already.
func observe(ctx context.Context, c *Clients, resources []Resource, destroy bool) (*Plan, error) {
	g, byAddr, err := BuildGraph(resources)
	if err != nil {
		return nil, err
	}
	p := &Plan{
		resources: byAddr,
		graph:     g,
		observed:  map[Addr]*Observed{},
		actions:   map[Addr]Action{},
		inputs:    NewInputs(),
	}
	var mu sync.Mutex
	err = g.Walk(ctx, observeParallelism, func(ctx context.Context, addr Addr) error {
		if destroy && isReadOnly(byAddr[addr]) {
			return nil
		}
		actual, err := byAddr[addr].Observe(ctx, c, p.inputs)
		if err != nil {
			return fmt.Errorf("observe: %w", err)
		}
		if actual != nil {
			p.inputs.Set(addr, actual.Outputs)
		}
		mu.Lock()
		p.observed[addr] = actual
		mu.Unlock()
		return nil
	})
	if err != nil {
		return nil, err
	}
	return p, nil
}
