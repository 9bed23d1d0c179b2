package controller

import (
	"math/rand/v2"
	"strings"

	"github.com/berthdev/berth/internal/localcloud/service/ecs"
)

// ECS's strategies when a service names none: tasks spread over zones,
// then over the instances of a zone.
var defaultServiceStrategies = []ecs.PlacementStrategy{
	{Type: "spread", Field: "attribute:ecs.availability-zone"},
	{Type: "spread", Field: "instanceId"},
}

// RunTask and StartTask place at random when nothing else is asked.
var defaultStandaloneStrategies = []ecs.PlacementStrategy{{Type: "random"}}

// placementStrategies is the ordered list that ranks the instances a task
// fits on: its service's, or the ones RunTask stored on it, else ECS's
// defaults.
func placementStrategies(svc *ecs.Service, t *ecs.Task) []ecs.PlacementStrategy {
	switch {
	case svc == nil && len(t.PlacementStrategy) > 0:
		return t.PlacementStrategy
	case svc == nil:
		return defaultStandaloneStrategies
	case len(svc.PlacementStrategy) > 0:
		return svc.PlacementStrategy
	default:
		return defaultServiceStrategies
	}
}

// rankPlacement picks one instance among those a task fits on by applying
// the strategies in order, as ECS does: each keeps the instances it scores
// best and hands the ties to the next one. Ties left at the end go to the
// instance with the fewest tasks, then the first registered, so placement
// is repeatable unless a strategy asks for chance.
func rankPlacement(fits []*instanceUsage, strategies []ecs.PlacementStrategy, group string, need placementNeed, all []*instanceUsage) *instanceUsage {
	candidates := fits
	for _, st := range strategies {
		if len(candidates) <= 1 {
			break
		}
		switch strings.ToLower(st.Type) {
		case "random":
			return candidates[rand.IntN(len(candidates))]
		case "spread":
			candidates = keepLowest(candidates, func(u *instanceUsage) int { return spreadLoad(u, st.Field, group, all) })
		case "binpack":
			candidates = keepLowest(candidates, func(u *instanceUsage) int { return leftAfter(u, st.Field, need) })
		}
	}
	best := candidates[0]
	for _, u := range candidates[1:] {
		if u.tasks < best.tasks {
			best = u
		}
	}
	return best
}

// keepLowest keeps the instances with the lowest score, in their order.
func keepLowest(candidates []*instanceUsage, score func(*instanceUsage) int) []*instanceUsage {
	var kept []*instanceUsage
	lowest := 0
	for _, u := range candidates {
		s := score(u)
		switch {
		case len(kept) == 0 || s < lowest:
			kept, lowest = []*instanceUsage{u}, s
		case s == lowest:
			kept = append(kept, u)
		}
	}
	return kept
}

// spreadLoad is how many tasks of the group already run where the field's
// value is the instance's: on instances of its zone for
// attribute:ecs.availability-zone, on the instance itself for instanceId.
// ECS spreads the tasks of one group (the service), so other groups'
// tasks do not count.
func spreadLoad(u *instanceUsage, field, group string, all []*instanceUsage) int {
	value := spreadValue(u, field)
	load := 0
	for _, other := range all {
		if spreadValue(other, field) == value {
			load += other.groups[group]
		}
	}
	return load
}

// spreadValue is what an instance is spread by; instances without the
// attribute share the empty value, as ECS groups them together.
func spreadValue(u *instanceUsage, field string) string {
	switch {
	case strings.EqualFold(field, "instanceId"), strings.EqualFold(field, "host"):
		return u.instance.ContainerInstanceArn
	case strings.HasPrefix(field, "attribute:"):
		return attribute(u.instance, strings.TrimPrefix(field, "attribute:"))
	}
	return ""
}

// placementNeed is what a task reserves on the instance it lands on.
type placementNeed struct{ cpu, mem int }

// leftAfter is the CPU units or MiB the instance would have left with the
// task on it: binpack takes the instance left with the least.
func leftAfter(u *instanceUsage, field string, need placementNeed) int {
	if strings.EqualFold(field, "cpu") {
		return resourceInt(u.instance.RegisteredResources, "CPU") - u.cpu - need.cpu
	}
	return resourceInt(u.instance.RegisteredResources, "MEMORY") - u.mem - need.mem
}
