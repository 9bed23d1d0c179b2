package graph

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// WalkError tells which nodes failed and which were never visited because
// something they depend on failed (or the context ended first).
type WalkError[K cmp.Ordered] struct {
	Failed map[K]error
	// Skipped maps a node that was not visited to the failed node that
	// blocked it; for nodes skipped because the context ended, the value is
	// the node itself.
	Skipped map[K]K
	// Canceled is the context error when the walk stopped early.
	Canceled error
}

func (e *WalkError[K]) Error() string {
	var parts []string
	for _, n := range slices.Sorted(maps.Keys(e.Failed)) {
		parts = append(parts, fmt.Sprintf("%v: %v", n, e.Failed[n]))
	}
	if e.Canceled != nil {
		parts = append(parts, e.Canceled.Error())
	}
	msg := strings.Join(parts, "; ")
	if len(e.Skipped) > 0 {
		msg += fmt.Sprintf(" (%d skipped)", len(e.Skipped))
	}
	return msg
}

// Unwrap exposes every node's error so errors.Is/As see through the walk.
func (e *WalkError[K]) Unwrap() []error {
	errs := make([]error, 0, len(e.Failed)+1)
	for _, n := range slices.Sorted(maps.Keys(e.Failed)) {
		errs = append(errs, e.Failed[n])
	}
	if e.Canceled != nil {
		errs = append(errs, e.Canceled)
	}
	return errs
}

// Walk visits every node after all of its dependencies, running at most
// parallelism visits at once (values below 1 mean 1). A node whose visit
// fails is not retried and every node depending on it, directly or not, is
// skipped; independent branches continue. When ctx ends, running visits are
// awaited and nothing new starts. The error is nil or a *WalkError.
func (g *Graph[K]) Walk(ctx context.Context, parallelism int, visit func(context.Context, K) error) error {
	if err := g.Validate(); err != nil {
		return err
	}
	return g.walk(ctx, parallelism, visit)
}

// ReverseWalk visits every node after all of its dependents, the order in
// which resources must be deleted. Failure handling is the same as Walk's:
// a node whose dependent failed to go away is skipped.
func (g *Graph[K]) ReverseWalk(ctx context.Context, parallelism int, visit func(context.Context, K) error) error {
	if err := g.Validate(); err != nil {
		return err
	}
	return g.Reverse().walk(ctx, parallelism, visit)
}

type walkResult[K cmp.Ordered] struct {
	node K
	err  error
}

func (g *Graph[K]) walk(ctx context.Context, parallelism int, visit func(context.Context, K) error) error {
	if parallelism < 1 {
		parallelism = 1
	}
	dependents := g.dependents()
	waiting := map[K]int{}
	var ready []K
	for _, n := range g.Nodes() {
		waiting[n] = len(g.deps[n])
		if waiting[n] == 0 {
			ready = append(ready, n)
		}
	}
	failed := map[K]error{}
	skipped := map[K]K{}
	results := make(chan walkResult[K])
	running := 0

	// finish releases a node's dependents, or skips them when the node did
	// not succeed; skipping cascades so a whole branch is reported at once.
	var finish func(n K, blockedBy *K)
	finish = func(n K, blockedBy *K) {
		for _, d := range dependents[n] {
			if blockedBy != nil {
				if _, already := skipped[d]; already {
					continue
				}
				skipped[d] = *blockedBy
				finish(d, blockedBy)
				continue
			}
			if _, isSkipped := skipped[d]; isSkipped {
				continue
			}
			waiting[d]--
			if waiting[d] == 0 {
				ready = append(ready, d)
			}
		}
	}

	var canceled error
	for {
		if canceled == nil && ctx.Err() != nil {
			canceled = ctx.Err()
		}
		slices.Sort(ready)
		for canceled == nil && running < parallelism && len(ready) > 0 {
			n := ready[0]
			ready = ready[1:]
			running++
			go func() {
				results <- walkResult[K]{node: n, err: visit(ctx, n)}
			}()
		}
		if running == 0 {
			break
		}
		r := <-results
		running--
		if r.err != nil {
			failed[r.node] = r.err
			finish(r.node, &r.node)
		} else {
			finish(r.node, nil)
		}
	}
	if canceled != nil {
		for _, n := range g.Nodes() {
			if _, ok := failed[n]; ok {
				continue
			}
			if _, ok := skipped[n]; ok {
				continue
			}
			if waiting[n] > 0 || slices.Contains(ready, n) {
				skipped[n] = n
			}
		}
	}
	if len(failed) == 0 && canceled == nil {
		return nil
	}
	return &WalkError[K]{Failed: failed, Skipped: skipped, Canceled: canceled}
}

// IsSkipped reports whether err is a walk error in which node was skipped.
func IsSkipped[K cmp.Ordered](err error, node K) bool {
	var walkErr *WalkError[K]
	if !errors.As(err, &walkErr) {
		return false
	}
	_, ok := walkErr.Skipped[node]
	return ok
}
