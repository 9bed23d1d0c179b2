package stack

import (
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
)

// Phase is one step of a deploy, in the order a rolling deployment takes
// them. The apply reports the first; WaitHealthy the others, from its own
// snapshots, so that the timeline and the readiness verdict never disagree.
type Phase string

const (
	PhaseInfrastructure Phase = "infrastructure"
	PhasePlaced         Phase = "tasks placed"
	PhasePulled         Phase = "image pulled"
	PhaseStarted        Phase = "started"
	PhaseHealthy        Phase = "healthy in the target group"
	PhaseDraining       Phase = "old tasks draining"
	PhaseStopped        Phase = "old tasks stopped"
)

// Phases are all phases in order.
var Phases = []Phase{PhaseInfrastructure, PhasePlaced, PhasePulled, PhaseStarted, PhaseHealthy, PhaseDraining, PhaseStopped}

// maxFailureEvents bounds the service events a failure report shows.
const maxFailureEvents = 5

// Progress is what one snapshot of WaitHealthy saw.
type Progress struct {
	// Status is the one-line summary of what the wait waits for.
	Status string
	// Deployment is the deployment the wait follows.
	Deployment string
	// Phases are the rollout's phases, in order, from tasks placed on.
	Phases []PhaseProgress
}

// PhaseProgress is where one phase stands.
type PhaseProgress struct {
	Phase Phase
	// Done of Total tasks (targets, for the health phase) got through it.
	Done, Total int
	// Complete says the phase is over: it and all before it are done.
	Complete bool
	// Detail says what holds the phase up, when something does: the
	// scheduler's placement complaint, unhealthy targets' reason codes.
	Detail string
}

func (p Progress) equal(q Progress) bool {
	return p.Status == q.Status && p.Deployment == q.Deployment && slices.Equal(p.Phases, q.Phases)
}

// rollout is what the timeline remembers between snapshots.
type rollout struct {
	deployment string
	// complete is sticky: a phase once over stays over, so that the
	// timeline moves only forward; a relapse (a task crashing later) is the
	// failure rules' business.
	complete map[Phase]bool
	// old are the tasks of other deployments this wait saw running: the
	// ones the rollout replaces.
	old map[string]bool
}

// advance reads one snapshot into the phases of deployment d. Each phase
// completes once its predecessor has and its own condition holds; a ready
// service has completed them all.
func (r *rollout) advance(h *health, svc *ecstypes.Service, d *ecstypes.Deployment, ready bool) []PhaseProgress {
	id := aws.ToString(d.Id)
	if r.deployment != id {
		*r = rollout{deployment: id, complete: map[Phase]bool{}, old: map[string]bool{}}
	}
	desired := int(svc.DesiredCount)
	placed, pulled, started := 0, 0, 0
	addresses := map[string]bool{}
	stillRunning := map[string]bool{}
	for _, t := range h.running {
		arn := aws.ToString(t.TaskArn)
		if aws.ToString(t.StartedBy) != id {
			r.old[arn] = true
			stillRunning[arn] = true
			continue
		}
		status := aws.ToString(t.LastStatus)
		// A task that waits for capacity exists already, in PROVISIONING
		// and on no instance: it is not placed yet.
		if aws.ToString(t.ContainerInstanceArn) != "" || (status != "PROVISIONING" && status != "") {
			placed++
		}
		if t.PullStoppedAt != nil || status == "RUNNING" {
			pulled++
		}
		if status == "RUNNING" {
			started++
			addresses[TaskAddress(t)] = true
		}
	}
	stopped := 0
	for _, t := range h.stopped {
		if r.old[aws.ToString(t.TaskArn)] && aws.ToString(t.LastStatus) == "STOPPED" {
			stopped++
		}
	}
	var ours []elbtypes.TargetHealthDescription
	healthy, draining := 0, 0
	for _, t := range h.targets {
		if t.TargetHealth == nil || t.Target == nil {
			continue
		}
		if t.TargetHealth.State == elbtypes.TargetHealthStateEnumDraining {
			draining++
		}
		if addresses[aws.ToString(t.Target.Id)] {
			ours = append(ours, t)
			if t.TargetHealth.State == elbtypes.TargetHealthStateEnumHealthy {
				healthy++
			}
		}
	}
	told := len(r.old) - len(stillRunning)

	phases := []PhaseProgress{
		{Phase: PhasePlaced, Done: placed, Total: desired, Detail: latestPlacementProblem(svc, d)},
		{Phase: PhasePulled, Done: pulled, Total: desired},
		{Phase: PhaseStarted, Done: started, Total: desired},
		{Phase: PhaseHealthy, Done: healthy, Total: desired},
		{Phase: PhaseDraining, Done: told, Total: len(r.old)},
		{Phase: PhaseStopped, Done: stopped, Total: len(r.old)},
	}
	if unhealthy := unhealthyTargets(ours); len(unhealthy) > 0 {
		phases[3].Detail = "unhealthy: " + strings.Join(unhealthy, ", ")
	}
	if draining > 0 {
		phases[4].Detail = fmt.Sprintf("%d %s draining", draining, plural(draining, "target", "targets"))
	}
	conditions := map[Phase]bool{
		PhasePlaced:   placed >= desired,
		PhasePulled:   pulled >= desired,
		PhaseStarted:  started >= desired,
		PhaseHealthy:  healthy >= desired,
		PhaseDraining: told == len(r.old) && draining == 0,
		PhaseStopped:  stopped == len(r.old) && len(svc.Deployments) == 1,
	}
	previous := true
	for i := range phases {
		p := phases[i].Phase
		r.complete[p] = r.complete[p] || ready || (previous && conditions[p])
		phases[i].Complete = r.complete[p]
		previous = r.complete[p]
	}
	return phases
}

// eventsSince are the service's newest events since deployment began (all
// of the newest when its start is unknown), newest first.
func eventsSince(svc *ecstypes.Service, deployment string) []string {
	if svc == nil {
		return nil
	}
	d := findDeployment(svc, func(d ecstypes.Deployment) bool { return aws.ToString(d.Id) == deployment })
	var events []string
	for _, e := range svc.Events {
		if d != nil && d.CreatedAt != nil && e.CreatedAt != nil && e.CreatedAt.Before(*d.CreatedAt) {
			break // events come newest first
		}
		if events = append(events, aws.ToString(e.Message)); len(events) == maxFailureEvents {
			break
		}
	}
	return events
}

// TaskAddress is the private address of the task's ENI (awsvpc), which is
// also its target's id in the target group.
func TaskAddress(t ecstypes.Task) string {
	for _, a := range t.Attachments {
		for _, d := range a.Details {
			if aws.ToString(d.Name) == "privateIPv4Address" {
				return aws.ToString(d.Value)
			}
		}
	}
	return ""
}

// StatusLines adapts a printer of status lines to WaitHealthy's progress:
// it hears each status once, when it changes.
func StatusLines(print func(string)) func(Progress) {
	last := ""
	return func(p Progress) {
		if p.Status != last {
			print(p.Status)
			last = p.Status
		}
	}
}
