package ecs

import (
	"slices"
	"strconv"

	"github.com/berthdev/berth/internal/localcloud/service/ec2"
)

// ECS's words for an instance that cannot take a task, as RunTask and
// StartTask report them in failures.
const (
	refusedAgent    = "AGENT"
	refusedCPU      = "RESOURCE:CPU"
	refusedMemory   = "RESOURCE:MEMORY"
	refusedENI      = "RESOURCE:ENI"
	refusedPorts    = "RESOURCE:PORTS"
	refusedMemberOf = "MemberOf placement constraint unsatisfied."
	refusedDistinct = "DistinctInstance placement constraint unsatisfied."
)

// instanceRoom is what a call has already put on an instance besides the
// tasks placed there before it: cpu units, MiB, ENIs and static host
// ports.
type instanceRoom struct {
	cpu, mem, enis int
	ports          []int
}

// taskNeed is what one task of a definition takes on its instance.
type taskNeed struct {
	cpu, mem  int
	awsvpc    bool
	hostPorts []int
}

func needOf(def *TaskDefinition) taskNeed {
	need := taskNeed{awsvpc: def.NetworkMode == "awsvpc", hostPorts: def.StaticHostPorts()}
	need.cpu, need.mem = def.Reservation()
	return need
}

// instanceUse is what the tasks already placed on an instance hold: ENIs
// (awsvpc tasks) and host ports (the agent's reserved ones among them).
type instanceUse struct {
	enis  int
	ports map[int]bool
}

// resourceRefusal is why an ACTIVE instance cannot take a task needing
// need on top of what is placed there (used) and what the same call
// already put there (room): "" when it can. Remaining CPU and memory are
// the controller's account of what placed tasks hold.
func resourceRefusal(ci *ContainerInstance, need taskNeed, used instanceUse, room instanceRoom) string {
	switch {
	case !ci.AgentConnected:
		return refusedAgent
	case resourceInt(ci.RemainingResources, "CPU")-room.cpu < need.cpu:
		return refusedCPU
	case resourceInt(ci.RemainingResources, "MEMORY")-room.mem < need.mem:
		return refusedMemory
	case need.awsvpc && used.enis+room.enis >= TaskENILimit(ci):
		return refusedENI
	}
	for _, port := range need.hostPorts {
		if used.ports[port] || slices.Contains(room.ports, port) {
			return refusedPorts
		}
	}
	return ""
}

// TaskENILimit is how many awsvpc tasks an instance can run: one ENI per
// task on top of the instance's own primary one (a t2.medium's 3 ENIs take
// 2 tasks), at least one when its type is unknown here.
func TaskENILimit(ci *ContainerInstance) int {
	for _, a := range ci.Attributes {
		if a.Name == "ecs.instance-type" && a.Value != nil {
			if it, ok := ec2.LookupInstanceType(*a.Value); ok {
				return max(it.MaxENIs-1, 1)
			}
		}
	}
	return 1
}

// ReservedPorts are the host ports an instance keeps for the agent and
// SSH, as its registered PORTS resource lists them.
func ReservedPorts(ci *ContainerInstance) []int {
	var ports []int
	for _, r := range ci.RegisteredResources {
		if r.Name != "PORTS" {
			continue
		}
		for _, v := range r.StringSetValue {
			if port, err := strconv.Atoi(v); err == nil {
				ports = append(ports, port)
			}
		}
	}
	return ports
}

// HostPort is the instance port a port mapping of def takes: a host
// task's container port, a bridge task's hostPort; 0 for a dynamic one
// (bridge without hostPort) and for modes that take none.
func HostPort(def *TaskDefinition, pm PortMapping) int {
	switch {
	case pm.ContainerPort <= 0:
		return 0
	case def.NetworkMode == "host":
		return int(pm.ContainerPort)
	case def.NetworkMode == "bridge" && pm.HostPort != nil:
		return int(*pm.HostPort)
	}
	return 0
}

// StaticHostPorts are the instance ports every task of def holds.
func (def *TaskDefinition) StaticHostPorts() []int {
	var ports []int
	for _, cd := range def.ContainerDefinitions {
		for _, pm := range cd.PortMappings {
			if port := HostPort(def, pm); port != 0 {
				ports = append(ports, port)
			}
		}
	}
	return ports
}

// HostPorts are the host ports a placed task holds, from its network
// bindings.
func (t *Task) HostPorts() []int {
	var ports []int
	for _, c := range t.Containers {
		for _, b := range c.NetworkBindings {
			if b.HostPort != nil {
				ports = append(ports, int(*b.HostPort))
			}
		}
	}
	return ports
}

// instanceUses reads what the cluster's active tasks hold on each
// instance, by ARN.
func (s *State) instanceUses(cluster *Cluster, instances []*ContainerInstance) (map[string]instanceUse, error) {
	uses := map[string]instanceUse{}
	for _, ci := range instances {
		use := instanceUse{ports: map[int]bool{}}
		for _, port := range ReservedPorts(ci) {
			use.ports[port] = true
		}
		uses[ci.ContainerInstanceArn] = use
	}
	tasks, err := s.Tasks(cluster.ClusterArn)
	if err != nil {
		return nil, err
	}
	for _, t := range tasks {
		use, ok := uses[t.ContainerInstanceArn]
		if !ok || t.LastStatus == taskStopped {
			continue
		}
		for _, port := range t.HostPorts() {
			use.ports[port] = true
		}
		if def, err := s.TaskDefinition(t.TaskDefinitionArn); err == nil && def != nil && def.NetworkMode == "awsvpc" {
			use.enis++
		}
		uses[t.ContainerInstanceArn] = use
	}
	return uses, nil
}

// runPlacement answers, while RunTask runs, whether each of its tasks has
// an instance that could take it, so that a task that has none comes back
// in failures at once, as ECS does for the EC2 launch type. It does not
// choose the instance: the controller's placement does, with the
// strategies; this check only keeps the call's own tasks from counting the
// same room twice.
type runPlacement struct {
	instances []*ContainerInstance
	memberOf  []*InstanceQuery
	distinct  bool
	need      taskNeed
	// used is what placed tasks hold, reserved what this call's earlier
	// tasks took, by instance ARN; groupTasks counts the group's tasks on
	// each instance, theirs included.
	used       map[string]instanceUse
	reserved   map[string]instanceRoom
	groupTasks map[string]int
}

func (s *State) newRunPlacement(cluster *Cluster, def *TaskDefinition, group string, constraints []PlacementConstraint) (*runPlacement, error) {
	p := &runPlacement{need: needOf(def), reserved: map[string]instanceRoom{}, groupTasks: map[string]int{}}
	var exprs []string
	for _, pc := range def.PlacementConstraints {
		if pc.Type == "memberOf" {
			exprs = append(exprs, pc.Expression)
		}
	}
	for _, pc := range constraints {
		switch pc.Type {
		case "memberOf":
			exprs = append(exprs, pc.Expression)
		case "distinctInstance":
			p.distinct = true
		}
	}
	for _, expr := range exprs {
		q, err := ParseInstanceQuery(expr)
		if err != nil {
			return nil, err
		}
		p.memberOf = append(p.memberOf, q)
	}
	instances, err := s.ContainerInstances(cluster.ClusterArn)
	if err != nil {
		return nil, err
	}
	for _, ci := range instances {
		if ci.Status == statusActive {
			p.instances = append(p.instances, ci)
		}
	}
	if p.used, err = s.instanceUses(cluster, p.instances); err != nil {
		return nil, err
	}
	if p.distinct {
		tasks, err := s.Tasks(cluster.ClusterArn)
		if err != nil {
			return nil, err
		}
		for _, t := range tasks {
			if t.Group == group && t.ContainerInstanceArn != "" && t.LastStatus != taskStopped {
				p.groupTasks[t.ContainerInstanceArn]++
			}
		}
	}
	return p, nil
}

// take finds the first instance that could take one more task and holds
// its room for the rest of the call. When none can, it returns each
// instance's refusal instead, as ECS lists them.
func (p *runPlacement) take() (ok bool, refusals []Failure) {
	for _, ci := range p.instances {
		reason := p.refusal(ci)
		if reason == "" {
			p.reserved[ci.ContainerInstanceArn] = p.reserved[ci.ContainerInstanceArn].plus(p.need)
			p.groupTasks[ci.ContainerInstanceArn]++
			return true, nil
		}
		refusals = append(refusals, Failure{Arn: ci.ContainerInstanceArn, Reason: reason})
	}
	return false, refusals
}

func (p *runPlacement) refusal(ci *ContainerInstance) string {
	for _, q := range p.memberOf {
		if !q.Matches(ci) {
			return refusedMemberOf
		}
	}
	if p.distinct && p.groupTasks[ci.ContainerInstanceArn] > 0 {
		return refusedDistinct
	}
	return resourceRefusal(ci, p.need, p.used[ci.ContainerInstanceArn], p.reserved[ci.ContainerInstanceArn])
}

// plus is room with one more task of need in it.
func (room instanceRoom) plus(need taskNeed) instanceRoom {
	room.cpu += need.cpu
	room.mem += need.mem
	if need.awsvpc {
		room.enis++
	}
	room.ports = append(slices.Clone(room.ports), need.hostPorts...)
	return room
}
