package graph

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
)

// diamond builds a → {b, c} → d, where a depends on b and c, which both
// depend on d.
func diamond() *Graph[string] {
	g := New[string]()
	for _, n := range []string{"a", "b", "c", "d"} {
		g.Add(n)
	}
	g.Connect("a", "b")
	g.Connect("a", "c")
	g.Connect("b", "d")
	g.Connect("c", "d")
	return g
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name  string
		build func() *Graph[string]
		want  string
	}{
		{"acyclic", diamond, ""},
		{"missing dependency", func() *Graph[string] {
			g := diamond()
			g.Connect("b", "ghost")
			return g
		}, "graph: b depends on missing ghost"},
		{"self loop", func() *Graph[string] {
			g := diamond()
			g.Connect("d", "d")
			return g
		}, "graph: dependency cycle: d -> d"},
		{"three node cycle", func() *Graph[string] {
			g := diamond()
			g.Connect("d", "a")
			return g
		}, "graph: dependency cycle: a -> b -> d -> a"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.build().Validate()
			got := ""
			if err != nil {
				got = err.Error()
			}
			if got != tt.want {
				t.Fatalf("Validate() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestValidateCycleIsTyped(t *testing.T) {
	g := New[int]()
	g.Add(1)
	g.Add(2)
	g.Connect(1, 2)
	g.Connect(2, 1)
	var cycle *CycleError[int]
	if !errors.As(g.Validate(), &cycle) {
		t.Fatalf("want *CycleError, got %v", g.Validate())
	}
	if !slices.Equal(cycle.Cycle, []int{1, 2, 1}) {
		t.Fatalf("cycle = %v", cycle.Cycle)
	}
}

func TestTopologicalOrderIsStable(t *testing.T) {
	g := diamond()
	g.Add("e") // independent, ready from the start
	for range 20 {
		order, err := g.TopologicalOrder()
		if err != nil {
			t.Fatal(err)
		}
		if want := []string{"d", "b", "c", "a", "e"}; !slices.Equal(order, want) {
			t.Fatalf("order = %v, want %v", order, want)
		}
	}
}

// recorder remembers the order of visits and checks, at each visit, that
// every dependency (or dependent, for reverse walks) already finished.
type recorder struct {
	mu       sync.Mutex
	finished map[string]bool
	order    []string
}

func (r *recorder) visit(t *testing.T, mustBeDone func(string) []string, fail map[string]bool) func(context.Context, string) error {
	return func(_ context.Context, n string) error {
		r.mu.Lock()
		defer r.mu.Unlock()
		for _, d := range mustBeDone(n) {
			if !r.finished[d] {
				t.Errorf("%s visited before %s finished", n, d)
			}
		}
		r.order = append(r.order, n)
		if fail[n] {
			return fmt.Errorf("boom %s", n)
		}
		r.finished[n] = true
		return nil
	}
}

func TestWalkOrder(t *testing.T) {
	g := diamond()
	r := &recorder{finished: map[string]bool{}}
	if err := g.Walk(context.Background(), 4, r.visit(t, g.DependenciesOf, nil)); err != nil {
		t.Fatal(err)
	}
	if len(r.order) != 4 {
		t.Fatalf("visited %v", r.order)
	}
}

func TestReverseWalkOrder(t *testing.T) {
	g := diamond()
	r := &recorder{finished: map[string]bool{}}
	if err := g.ReverseWalk(context.Background(), 4, r.visit(t, g.DependentsOf, nil)); err != nil {
		t.Fatal(err)
	}
	if r.order[0] != "a" || r.order[3] != "d" {
		t.Fatalf("reverse order = %v", r.order)
	}
}

func TestWalkSkipsDependentsOfFailure(t *testing.T) {
	// x depends on nothing and must still run although b fails.
	g := diamond()
	g.Add("x")
	r := &recorder{finished: map[string]bool{}}
	err := g.Walk(context.Background(), 2, r.visit(t, g.DependenciesOf, map[string]bool{"b": true}))
	var walkErr *WalkError[string]
	if !errors.As(err, &walkErr) {
		t.Fatalf("want *WalkError, got %v", err)
	}
	if len(walkErr.Failed) != 1 || walkErr.Failed["b"] == nil {
		t.Fatalf("failed = %v", walkErr.Failed)
	}
	if walkErr.Skipped["a"] != "b" || len(walkErr.Skipped) != 1 {
		t.Fatalf("skipped = %v", walkErr.Skipped)
	}
	if !IsSkipped(err, "a") || IsSkipped(err, "c") {
		t.Fatal("IsSkipped disagrees with Skipped")
	}
	if slices.Contains(r.order, "a") || !slices.Contains(r.order, "x") || !slices.Contains(r.order, "c") {
		t.Fatalf("visited %v", r.order)
	}
	if err.Error() != "b: boom b (1 skipped)" {
		t.Fatalf("message = %q", err.Error())
	}
}

func TestWalkSkipCascades(t *testing.T) {
	g := New[string]()
	for _, n := range []string{"base", "mid", "top"} {
		g.Add(n)
	}
	g.Connect("mid", "base")
	g.Connect("top", "mid")
	err := g.Walk(context.Background(), 1, func(_ context.Context, n string) error {
		if n != "base" {
			t.Errorf("%s should have been skipped", n)
		}
		return errors.New("no")
	})
	var walkErr *WalkError[string]
	if !errors.As(err, &walkErr) || walkErr.Skipped["top"] != "base" || walkErr.Skipped["mid"] != "base" {
		t.Fatalf("err = %#v", err)
	}
}

func TestWalkRespectsParallelism(t *testing.T) {
	g := New[int]()
	for i := range 50 {
		g.Add(i)
	}
	for _, limit := range []int{1, 3, 8} {
		var running, peak atomic.Int32
		// The peak is tracked by the visits themselves; no visit ever
		// waits, so the check cannot depend on timing.
		err := g.Walk(context.Background(), limit, func(context.Context, int) error {
			now := running.Add(1)
			for {
				p := peak.Load()
				if now <= p || peak.CompareAndSwap(p, now) {
					break
				}
			}
			running.Add(-1)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if peak.Load() > int32(limit) {
			t.Fatalf("limit %d: %d visits ran at once", limit, peak.Load())
		}
	}
}

func TestWalkReachesParallelism(t *testing.T) {
	// Three independent nodes with a limit of 3 must all be in flight at
	// once: each visit blocks until all three have started.
	g := New[string]()
	for _, n := range []string{"a", "b", "c"} {
		g.Add(n)
	}
	var started sync.WaitGroup
	started.Add(3)
	err := g.Walk(context.Background(), 3, func(context.Context, string) error {
		started.Done()
		started.Wait()
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestWalkStopsWhenContextEnds(t *testing.T) {
	g := New[string]()
	for _, n := range []string{"a", "b", "c"} {
		g.Add(n)
	}
	g.Connect("b", "a")
	g.Connect("c", "b")
	ctx, cancel := context.WithCancel(context.Background())
	err := g.Walk(ctx, 1, func(_ context.Context, n string) error {
		if n == "a" {
			cancel()
			return nil
		}
		t.Errorf("%s started after cancel", n)
		return nil
	})
	var walkErr *WalkError[string]
	if !errors.As(err, &walkErr) || !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
	if _, ok := walkErr.Skipped["b"]; !ok {
		t.Fatalf("b not reported skipped: %v", walkErr.Skipped)
	}
	if _, ok := walkErr.Skipped["c"]; !ok {
		t.Fatalf("c not reported skipped: %v", walkErr.Skipped)
	}
}

func TestWalkRejectsInvalidGraph(t *testing.T) {
	g := diamond()
	g.Connect("d", "a")
	called := false
	err := g.Walk(context.Background(), 2, func(context.Context, string) error {
		called = true
		return nil
	})
	var cycle *CycleError[string]
	if !errors.As(err, &cycle) || called {
		t.Fatalf("err = %v, called = %v", err, called)
	}
}
