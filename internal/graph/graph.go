// Package graph is a small dependency graph: nodes, "depends on" edges,
// validation that names cycles and dangling edges, and bounded-parallel walks
// in dependency order (apply) or its reverse (destroy).
package graph

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// Graph is a directed acyclic graph whose edges point from a node to the
// nodes it depends on. Keys are ordered so that every listing and every
// sequential walk is deterministic, which keeps printed plans stable.
type Graph[K cmp.Ordered] struct {
	nodes map[K]struct{}
	// deps[n] holds the nodes n depends on, including ones never added, so
	// Validate can report them instead of Connect failing half-way through.
	deps map[K]map[K]struct{}
}

// New returns an empty graph.
func New[K cmp.Ordered]() *Graph[K] {
	return &Graph[K]{nodes: map[K]struct{}{}, deps: map[K]map[K]struct{}{}}
}

// Add adds a node; adding it again is harmless.
func (g *Graph[K]) Add(node K) {
	g.nodes[node] = struct{}{}
}

// Connect records that node depends on dependency: a forward walk visits
// dependency first, a reverse walk visits node first.
func (g *Graph[K]) Connect(node, dependency K) {
	if g.deps[node] == nil {
		g.deps[node] = map[K]struct{}{}
	}
	g.deps[node][dependency] = struct{}{}
}

// Has reports whether node was added.
func (g *Graph[K]) Has(node K) bool {
	_, ok := g.nodes[node]
	return ok
}

// Nodes returns every node in ascending key order.
func (g *Graph[K]) Nodes() []K {
	return slices.Sorted(maps.Keys(g.nodes))
}

// DependenciesOf returns the nodes that node depends on, sorted.
func (g *Graph[K]) DependenciesOf(node K) []K {
	return slices.Sorted(maps.Keys(g.deps[node]))
}

// DependentsOf returns the nodes that depend on node, sorted.
func (g *Graph[K]) DependentsOf(node K) []K {
	var dependents []K
	for n, deps := range g.deps {
		if _, ok := deps[node]; ok {
			dependents = append(dependents, n)
		}
	}
	slices.Sort(dependents)
	return dependents
}

// MissingError reports edges whose ends were never added.
type MissingError[K cmp.Ordered] struct {
	// Edges maps a node to the dependencies it names that do not exist.
	Edges map[K][]K
}

func (e *MissingError[K]) Error() string {
	var parts []string
	for _, n := range slices.Sorted(maps.Keys(e.Edges)) {
		parts = append(parts, fmt.Sprintf("%v depends on missing %v", n, joinKeys(e.Edges[n], ", ")))
	}
	return "graph: " + strings.Join(parts, "; ")
}

// CycleError names the nodes of one dependency cycle in walk order; the
// first node is repeated at the end so the loop is visible when printed.
type CycleError[K cmp.Ordered] struct {
	Cycle []K
}

func (e *CycleError[K]) Error() string {
	return "graph: dependency cycle: " + joinKeys(e.Cycle, " -> ")
}

// Validate reports dangling edges first (they make cycle reports misleading),
// then the first cycle found in key order.
func (g *Graph[K]) Validate() error {
	missing := map[K][]K{}
	for n, deps := range g.deps {
		for d := range deps {
			if !g.Has(d) {
				missing[n] = append(missing[n], d)
			} else if !g.Has(n) {
				missing[d] = append(missing[d], n)
			}
		}
	}
	if len(missing) > 0 {
		for n := range missing {
			slices.Sort(missing[n])
			missing[n] = slices.Compact(missing[n])
		}
		return &MissingError[K]{Edges: missing}
	}
	const (
		unvisited = iota
		onPath
		done
	)
	state := map[K]int{}
	var path []K
	var visit func(n K) []K
	visit = func(n K) []K {
		state[n] = onPath
		path = append(path, n)
		for _, d := range g.DependenciesOf(n) {
			switch state[d] {
			case onPath:
				start := slices.Index(path, d)
				cycle := slices.Clone(path[start:])
				return append(cycle, d)
			case unvisited:
				if cycle := visit(d); cycle != nil {
					return cycle
				}
			}
		}
		path = path[:len(path)-1]
		state[n] = done
		return nil
	}
	for _, n := range g.Nodes() {
		if state[n] == unvisited {
			if cycle := visit(n); cycle != nil {
				return &CycleError[K]{Cycle: cycle}
			}
		}
	}
	return nil
}

// TopologicalOrder returns every node after all of its dependencies; among
// nodes that are ready at the same time the smaller key comes first. It is
// the order of a walk one visit at a time.
func (g *Graph[K]) TopologicalOrder() ([]K, error) {
	var order []K
	err := g.Walk(context.Background(), 1, func(_ context.Context, n K) error {
		order = append(order, n)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return order, nil
}

// dependents inverts the edges once so walks need not scan every node.
func (g *Graph[K]) dependents() map[K][]K {
	out := map[K][]K{}
	for n, deps := range g.deps {
		for d := range deps {
			out[d] = append(out[d], n)
		}
	}
	for d := range out {
		slices.Sort(out[d])
	}
	return out
}

// Reverse returns a copy with every edge inverted, which is the order in
// which things must be torn down.
func (g *Graph[K]) Reverse() *Graph[K] {
	r := New[K]()
	for n := range g.nodes {
		r.Add(n)
	}
	for n, deps := range g.deps {
		for d := range deps {
			r.Connect(d, n)
		}
	}
	return r
}

func joinKeys[K cmp.Ordered](keys []K, sep string) string {
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprint(k)
	}
	return strings.Join(parts, sep)
}
