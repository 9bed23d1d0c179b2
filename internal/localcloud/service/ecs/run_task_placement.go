package ecs

// ECS's words for an instance that cannot take a task, as RunTask and
// StartTask report them in failures.
const (
	refusedAgent    = "AGENT"
	refusedCPU      = "RESOURCE:CPU"
	refusedMemory   = "RESOURCE:MEMORY"
	refusedMemberOf = "MemberOf placement constraint unsatisfied."
	refusedDistinct = "DistinctInstance placement constraint unsatisfied."
)

// resourceRefusal is why an ACTIVE instance cannot take a task reserving
// cpu units and mem MiB on top of what the same call already put there
// ("" when it can). Remaining resources are the controller's account of
// what placed tasks hold.
func resourceRefusal(ci *ContainerInstance, cpu, mem int, reserved [2]int) string {
	switch {
	case !ci.AgentConnected:
		return refusedAgent
	case resourceInt(ci.RemainingResources, "CPU")-reserved[0] < cpu:
		return refusedCPU
	case resourceInt(ci.RemainingResources, "MEMORY")-reserved[1] < mem:
		return refusedMemory
	}
	return ""
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
	cpu, mem  int
	// reserved is what this call's earlier tasks took, by instance ARN;
	// groupTasks counts the group's tasks on each instance, theirs included.
	reserved   map[string][2]int
	groupTasks map[string]int
}

func (s *State) newRunPlacement(cluster *Cluster, def *TaskDefinition, group string, constraints []PlacementConstraint) (*runPlacement, error) {
	p := &runPlacement{reserved: map[string][2]int{}, groupTasks: map[string]int{}}
	p.cpu, p.mem = def.Reservation()
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
			used := p.reserved[ci.ContainerInstanceArn]
			p.reserved[ci.ContainerInstanceArn] = [2]int{used[0] + p.cpu, used[1] + p.mem}
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
	return resourceRefusal(ci, p.cpu, p.mem, p.reserved[ci.ContainerInstanceArn])
}
