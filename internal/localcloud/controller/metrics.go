package controller

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/berthdev/berth/internal/localcloud/runtime"
	"github.com/berthdev/berth/internal/localcloud/service/cloudwatch"
	"github.com/berthdev/berth/internal/localcloud/service/ecs"
	"github.com/berthdev/berth/internal/localcloud/store"
)

// metricPeriod is how often ECS publishes its service and cluster metrics:
// one datapoint a minute.
const metricPeriod = time.Minute

// cpuSample is a task's CPU time at the start of the period being measured.
type cpuSample struct {
	cpu time.Duration
	at  time.Time
}

// ecsMetrics is what the publisher keeps between passes, per scope.
type ecsMetrics struct {
	// periodStart is the start (unix seconds) of the period being measured.
	periodStart int64
	baseline    map[string]cpuSample // by task ARN
}

// usageOf is a task's measured use over the period and its reservation.
type usageOf struct {
	cpuUnits, memMiB         float64 // used
	reservedCPU, reservedMem float64
}

// publishECSMetrics publishes AWS/ECS CPUUtilization and MemoryUtilization
// once a period, from what the tasks' processes really used, as ECS does:
//
//   - per service (ClusterName, ServiceName): the CPU units its running
//     tasks used over the period against the units their task definitions
//     reserve, and their resident memory against the MiB reserved;
//   - per cluster (ClusterName): the same use of all its tasks against what
//     its container instances registered, plus CPUReservation and
//     MemoryReservation (what the tasks reserve against what is registered).
//
// A datapoint is stamped with the start of the period it measures. A task
// is measured from the first pass that sees it running, so a period counts
// only tasks that ran in all of it since the publisher's start.
func (c *Controller) publishECSMetrics(ctx context.Context) error {
	if c.deps.CloudWatch == nil {
		return nil
	}
	stats, ok := c.deps.Runtime.(runtime.StatsReader)
	if !ok {
		return nil
	}
	scope, _ := store.ScopeFrom(ctx)
	now := time.Now()
	p := int64(c.period(metricPeriod) / time.Second)
	current := now.Unix() / p * p
	state := c.metrics[scope]
	if state == nil {
		state = &ecsMetrics{periodStart: current, baseline: map[string]cpuSample{}}
		c.metrics[scope] = state
	}
	closing := current > state.periodStart
	measured := state.periodStart

	type clusterView struct {
		cluster             *ecs.Cluster
		tasks               []*ecs.Task
		defs                map[string]*ecs.TaskDefinition
		registeredCPU, mem  float64
		reservedCPU, resMem float64
	}
	var views []clusterView
	err := c.deps.ECS.View(ctx, func(s *ecs.State) error {
		clusters, err := s.Clusters()
		if err != nil {
			return err
		}
		for _, cluster := range clusters {
			if cluster.Status != "ACTIVE" {
				continue
			}
			v := clusterView{cluster: cluster, defs: map[string]*ecs.TaskDefinition{}}
			instances, err := s.ContainerInstances(cluster.ClusterArn)
			if err != nil {
				return err
			}
			for _, ci := range instances {
				if ci.Status == "ACTIVE" {
					v.registeredCPU += float64(resourceInt(ci.RegisteredResources, "CPU"))
					v.mem += float64(resourceInt(ci.RegisteredResources, "MEMORY"))
				}
			}
			tasks, err := s.Tasks(cluster.ClusterArn)
			if err != nil {
				return err
			}
			for _, t := range tasks {
				if t.LastStatus != statusRunning {
					continue
				}
				def, err := s.TaskDefinition(t.TaskDefinitionArn)
				if err != nil {
					return err
				}
				if def == nil {
					continue
				}
				v.tasks = append(v.tasks, t)
				v.defs[t.TaskArn] = def
				if t.ContainerInstanceArn != "" {
					cpu, mem := def.Reservation()
					v.reservedCPU += float64(cpu)
					v.resMem += float64(mem)
				}
			}
			views = append(views, v)
		}
		return nil
	})
	if err != nil {
		return err
	}

	seen := map[string]bool{}
	var errs []error
	// A pass that comes late closes more than one period: each of them gets
	// the average measured over all, so that no period is missing.
	put := func(name string, dims []cloudwatch.Dimension, value float64) {
		for at := measured; at < current; at += p {
			errs = append(errs, c.deps.CloudWatch.Put(ctx, "AWS/ECS", name, dims, value, "Percent", time.Unix(at, 0)))
		}
	}
	for _, v := range views {
		type total struct{ usageOf }
		services := map[string]*total{}
		var cluster total
		for _, t := range v.tasks {
			seen[t.TaskArn] = true
			u, ok := c.measure(stats, state, t, v.defs[t.TaskArn], now, closing)
			if !ok {
				continue
			}
			cluster.cpuUnits += u.cpuUnits
			cluster.memMiB += u.memMiB
			if svc, isService := serviceName(t.Group); isService {
				sum := services[svc]
				if sum == nil {
					sum = &total{}
					services[svc] = sum
				}
				sum.cpuUnits += u.cpuUnits
				sum.memMiB += u.memMiB
				sum.reservedCPU += u.reservedCPU
				sum.reservedMem += u.reservedMem
			}
		}
		if !closing {
			continue
		}
		clusterDims := []cloudwatch.Dimension{{Name: "ClusterName", Value: v.cluster.ClusterName}}
		for name, sum := range services {
			dims := append(clusterDims[:1:1], cloudwatch.Dimension{Name: "ServiceName", Value: name})
			if sum.reservedCPU > 0 {
				put("CPUUtilization", dims, 100*sum.cpuUnits/sum.reservedCPU)
			}
			if sum.reservedMem > 0 {
				put("MemoryUtilization", dims, 100*sum.memMiB/sum.reservedMem)
			}
		}
		if v.registeredCPU > 0 {
			put("CPUUtilization", clusterDims, 100*cluster.cpuUnits/v.registeredCPU)
			put("CPUReservation", clusterDims, 100*v.reservedCPU/v.registeredCPU)
		}
		if v.mem > 0 {
			put("MemoryUtilization", clusterDims, 100*cluster.memMiB/v.mem)
			put("MemoryReservation", clusterDims, 100*v.resMem/v.mem)
		}
	}
	for arn := range state.baseline { // stopped tasks
		if !seen[arn] {
			delete(state.baseline, arn)
		}
	}
	if closing {
		state.periodStart = current
	}
	return errors.Join(errs...)
}

// measure returns a task's use over the period that is closing, and starts
// measuring the next one; ok is false while there is nothing to report (a
// task seen for the first time, or a period still open).
func (c *Controller) measure(stats runtime.StatsReader, state *ecsMetrics, t *ecs.Task, def *ecs.TaskDefinition, now time.Time, closing bool) (usageOf, bool) {
	base, known := state.baseline[t.TaskArn]
	if known && !closing {
		return usageOf{}, false
	}
	var cpu time.Duration
	var memBytes uint64
	for _, id := range c.processesOf(t.TaskArn) {
		s, err := stats.Stats(id)
		if err != nil {
			continue
		}
		cpu += s.CPU
		memBytes += s.MemoryBytes
	}
	state.baseline[t.TaskArn] = cpuSample{cpu: cpu, at: now}
	elapsed := now.Sub(base.at).Seconds()
	if !known || elapsed <= 0 {
		return usageOf{}, false
	}
	used := max(cpu-base.cpu, 0).Seconds() / elapsed // vCPUs
	cpuUnits, _ := def.Reservation()
	return usageOf{
		cpuUnits:    used * 1024,
		memMiB:      float64(memBytes) / (1 << 20),
		reservedCPU: float64(cpuUnits),
		reservedMem: float64(memoryReservation(def)),
	}, true
}

// memoryReservation is the MiB ECS divides a task's memory use by: the
// task's memory, else its containers' soft limits (memoryReservation) or,
// for containers without one, their hard limits.
func memoryReservation(def *ecs.TaskDefinition) int {
	if mem, err := strconv.Atoi(def.Memory); err == nil && mem > 0 {
		return mem
	}
	total := 0
	for _, cd := range def.ContainerDefinitions {
		switch {
		case cd.MemoryReservation != nil:
			total += int(*cd.MemoryReservation)
		case cd.Memory != nil:
			total += int(*cd.Memory)
		}
	}
	return total
}

// serviceName is the service a task's group ("service:<name>") names.
func serviceName(group string) (string, bool) {
	const prefix = "service:"
	if len(group) <= len(prefix) || group[:len(prefix)] != prefix {
		return "", false
	}
	return group[len(prefix):], true
}
