package doctor

import (
	"context"
	"fmt"
	"strings"

	"github.com/berthdev/berth/internal/engine"
)

// agentMemoryShare estimates the part of an instance's memory the ECS
// agent registers for tasks when no instance has registered yet: the
// operating system, Docker and the agent keep the rest.
const agentMemoryShare = 95

// taskSize is what one task reserves: the task-level size, else the sum
// of its containers'.
func (st *Stack) taskSize() (cpu, memory int) {
	cpu, memory = st.Task.CPU, st.Task.Memory
	if cpu == 0 {
		for _, c := range st.Task.Containers {
			cpu += c.CPU
		}
	}
	if memory == 0 {
		for _, c := range st.Task.Containers {
			memory += max(c.Memory, c.MemoryReserv)
		}
	}
	return cpu, memory
}

// forTasks is what an instance of the type offers tasks: what such an
// instance registered, else an estimate from the type.
func (st *Stack) forTasks(name string) (cpu, memory int, known bool) {
	t, known := st.InstanceTypes[name]
	cpu, memory = t.VCPUs*1024, t.MemoryMiB*agentMemoryShare/100
	if st.Instances != nil {
		if n := st.Instances.RegisteredCPU[name]; n > 0 {
			cpu = n
		}
		if n := st.Instances.RegisteredMemory[name]; n > 0 {
			memory = n
		}
	}
	return cpu, memory, known
}

// checkFit: a task bigger than every instance waits in PROVISIONING
// forever; ECS says only that no container instance met its requirements.
func checkFit(_ context.Context, _ *engine.Clients, st *Stack) []Finding {
	if st.Fargate || st.Instances == nil {
		return nil
	}
	cpu, memory := st.taskSize()
	var findings []Finding
	for _, name := range st.Instances.Types {
		haveCPU, haveMemory, known := st.forTasks(name)
		if !known {
			findings = append(findings, warn("fit", fmt.Sprintf("instance type %s: EC2 does not describe it", name), "use an instance type this region offers"))
			continue
		}
		var short []string
		if cpu > haveCPU {
			short = append(short, fmt.Sprintf("%d CPU units of its %d", cpu, haveCPU))
		}
		if memory > haveMemory {
			short = append(short, fmt.Sprintf("%d MiB of its %d MiB", memory, haveMemory))
		}
		if len(short) > 0 {
			findings = append(findings, fail("fit",
				fmt.Sprintf("the task (%d CPU, %d MiB) does not fit on %s: it needs %s for tasks, so it waits in PROVISIONING", cpu, memory, name, strings.Join(short, " and ")),
				fmt.Sprintf("lower the task's cpu/memory, or choose an instance type with at least %d vCPUs and %d MiB (capacity.instance_type in berth.yaml)", (cpu+1023)/1024, memory*100/agentMemoryShare+1)))
			continue
		}
		findings = append(findings, pass("fit", fmt.Sprintf("the task (%d CPU, %d MiB) fits on %s (%d CPU, %d MiB for tasks): %d per instance", cpu, memory, name, haveCPU, haveMemory, perInstanceBySize(cpu, memory, haveCPU, haveMemory))))
	}
	return findings
}

func perInstanceBySize(cpu, memory, haveCPU, haveMemory int) int {
	n := haveMemory / max(memory, 1)
	if cpu > 0 {
		n = min(n, haveCPU/cpu)
	}
	return n
}

// staticHostPort is the host port the task binds on its instance, 0 when
// none: every port under host mode, a fixed hostPort under bridge.
func (st *Stack) staticHostPort() int {
	if st.NetworkMode != "host" && st.NetworkMode != "bridge" {
		return 0
	}
	for _, c := range st.Task.Containers {
		for _, pm := range c.Ports {
			switch {
			case st.NetworkMode == "host":
				return pm.Container
			case pm.Host != 0:
				return pm.Host
			}
		}
	}
	return 0
}

// checkENIs: under awsvpc on EC2 every task takes a network interface of
// its instance, which keeps one for itself, so a t2.medium (3) runs 2
// tasks; distinctInstance runs one per instance whatever the type.
func checkENIs(_ context.Context, _ *engine.Clients, st *Stack) []Finding {
	if st.Fargate || st.Instances == nil || len(st.Instances.Types) == 0 {
		return nil
	}
	cpu, memory := st.taskSize()
	perInstance, limitedBy, smallest := -1, "", ""
	for _, name := range st.Instances.Types {
		t, ok := st.InstanceTypes[name]
		if !ok {
			continue
		}
		haveCPU, haveMemory, _ := st.forTasks(name)
		n, why := perInstanceBySize(cpu, memory, haveCPU, haveMemory), "CPU and memory"
		if st.NetworkMode == "awsvpc" && t.MaxENIs-1 < n {
			n, why = t.MaxENIs-1, fmt.Sprintf("%d network interfaces, one the instance's own", t.MaxENIs)
		}
		if hp := st.staticHostPort(); hp != 0 && n > 1 {
			// Two tasks cannot bind one port of one instance: ECS places
			// at most one per instance, and a rolling deploy's new task
			// needs an instance the old one does not hold.
			n, why = 1, fmt.Sprintf("%s network mode binds host port %d, which one task per instance can hold", st.NetworkMode, hp)
		}
		if st.DistinctInstance && n > 1 {
			n, why = 1, "distinctInstance placement"
		}
		if perInstance < 0 || n < perInstance {
			perInstance, limitedBy, smallest = n, why, name
		}
	}
	if perInstance < 0 {
		return nil
	}
	capacity := perInstance * st.Instances.Max
	need := max(st.Desired, st.MaxDesired)
	detail := fmt.Sprintf("%s takes %d task(s) per instance (%s); at most %d instance(s) (%s) run %d, the service wants %d",
		smallest, perInstance, limitedBy, st.Instances.Max, st.Instances.Source, capacity, need)
	instancesNeeded := need
	if perInstance > 0 {
		instancesNeeded = (need + perInstance - 1) / perInstance
	}
	if capacity < need {
		fix := fmt.Sprintf("raise the Auto Scaling group's max size to %d (capacity.max in berth.yaml)", instancesNeeded)
		if perInstance == 0 {
			fix = "choose a larger instance type"
		} else if st.NetworkMode == "awsvpc" && !st.DistinctInstance {
			fix += ", choose an instance type with more network interfaces, or turn on awsvpcTrunking for the account"
		} else if st.staticHostPort() != 0 {
			fix += ", or map the container port to hostPort 0 (bridge mode's dynamic ports) so that several tasks share an instance"
		}
		return []Finding{fail("tasks per instance", detail, fix)}
	}
	surge := need * st.MaximumPercent / 100
	if surge > capacity {
		return []Finding{warn("tasks per instance", detail+fmt.Sprintf("; a rolling deploy would start up to %d at once (maximum percent %d) and has room for %d", surge, st.MaximumPercent, capacity),
			fmt.Sprintf("allow %d instances (capacity.max), or lower the deployment's maximum percent, so that deploys do not wait for room", (surge+perInstance-1)/max(perInstance, 1)))}
	}
	return []Finding{pass("tasks per instance", detail)}
}
