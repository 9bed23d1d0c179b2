package cli

import (
	"fmt"
	"io"
	"math"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/berthdev/berth/internal/engine"
	"github.com/berthdev/berth/internal/spec"
	"github.com/berthdev/berth/internal/stack"
)

// typicalCreate is how long AWS typically takes to create one resource of
// a kind until its dependents can use it. Sources: the ELB user guide (a
// new ALB is "provisioning" for a few minutes, ~3 min in practice); the VPC
// user guide (a NAT gateway is "pending" for a minute or two); the EC2 and
// ECS guides (an instance boots in about a minute, and its ECS agent
// registers some 30–60 s later); IAM's eventual consistency (a new role or
// instance profile is usable after seconds); ACM's DNS validation (minutes
// after the CNAME exists). Everything else is one API call.
var typicalCreate = map[string]time.Duration{
	"elbv2.load-balancer":  3 * time.Minute,
	"ec2.nat-gateway":      2 * time.Minute,
	"autoscaling.group":    2 * time.Minute,
	"acm.certificate":      5 * time.Minute,
	"iam.role":             10 * time.Second,
	"iam.instance-profile": 10 * time.Second,
	"ecs.cluster":          5 * time.Second,
	"ecs.service":          5 * time.Second,
}

// Deleting is quick but for what must drain or release an address.
var typicalDelete = map[string]time.Duration{
	"ec2.nat-gateway":     time.Minute,
	"autoscaling.group":   2 * time.Minute,
	"elbv2.load-balancer": 30 * time.Second,
}

const (
	apiCall = 3 * time.Second
	// imagePull is a typical image of 100–200 MB pulled from ECR in the
	// same region, with the task's ENI attached first (awsvpc).
	imagePull = 30 * time.Second
	// containerStart is the process's own start until it answers.
	containerStart = 5 * time.Second
	// taskStop is an old task stopping after SIGTERM; stop_timeout bounds it.
	taskStop = 2 * time.Second
)

// Phase is one step of the estimate.
type Phase struct {
	Name     string
	Duration time.Duration
	Why      string
}

// estimateDeploy says how long applying plan will take on AWS and why:
// the infrastructure's critical path through the dependency graph, then the
// service's rolling deployment batch by batch.
func estimateDeploy(s *spec.Spec, resources []engine.Resource, plan *engine.Plan) []Phase {
	actions := map[engine.Addr]engine.Action{}
	for _, c := range plan.Changes {
		actions[c.Addr] = c.Action
	}
	var phases []Phase
	if infra, why := criticalPath(resources, actions); infra > 0 {
		phases = append(phases, Phase{"infrastructure", infra, why})
	}
	serviceAction := actions[stack.AddrService]
	if serviceAction == engine.NoOp && actions[stack.AddrTaskDefinition] == engine.NoOp {
		return phases
	}
	fresh := serviceAction == engine.Create || serviceAction == engine.Replace
	batches, perBatch := rollingBatches(s, fresh)
	hc := s.Service.HealthCheck
	healthy := time.Duration(hc.Interval*hc.HealthyThreshold) * time.Second
	drain := time.Duration(s.Service.DeregistrationDelay) * time.Second
	phases = append(phases,
		Phase{"tasks placed, image pulled", imagePull, "ENI attached and a 100–200 MB image pulled from ECR in the region"},
		Phase{"started", containerStart, "the container's own start"},
		Phase{"healthy in the target group", healthy, fmt.Sprintf("%d checks × %d s interval", hc.HealthyThreshold, hc.Interval)},
	)
	if !fresh {
		phases = append(phases,
			Phase{"old tasks draining", drain, fmt.Sprintf("deregistration delay %d s", s.Service.DeregistrationDelay)},
			Phase{"stopped", taskStop, fmt.Sprintf("SIGTERM, at most stop_timeout %d s", s.Service.Deployment.StopTimeout)},
		)
	}
	if batches > 1 {
		var batch time.Duration
		for _, p := range phases[len(phases)-5:] {
			batch += p.Duration
		}
		phases = append(phases, Phase{"more rolling batches", time.Duration(batches-1) * batch,
			fmt.Sprintf("%d tasks, %d a batch (minimum healthy %d%%, maximum %d%%): %d batches", s.Service.Count, perBatch,
				s.Service.Deployment.MinimumHealthyPercent, s.Service.Deployment.MaximumPercent, batches)})
	}
	return phases
}

// rollingBatches is how many rounds ECS needs to replace count tasks: each
// round starts the tasks maximum percent allows above count and those
// minimum healthy percent allows it to stop first. A new service starts all
// at once.
func rollingBatches(s *spec.Spec, fresh bool) (batches, perBatch int) {
	n := s.Service.Count
	if fresh || n == 0 {
		return 1, n
	}
	d := s.Service.Deployment
	perBatch = n*(d.MaximumPercent-100)/100 + n*(100-d.MinimumHealthyPercent)/100
	perBatch = min(max(perBatch, 1), n)
	return int(math.Ceil(float64(n) / float64(perBatch))), perBatch
}

// criticalPath is the longest chain of changed resources through the
// dependency graph, each taking its kind's typical time: independent
// resources are created in parallel.
func criticalPath(resources []engine.Resource, actions map[engine.Addr]engine.Action) (time.Duration, string) {
	byAddr := map[engine.Addr]engine.Resource{}
	for _, r := range resources {
		byAddr[r.Addr()] = r
	}
	finish := map[engine.Addr]time.Duration{}
	via := map[engine.Addr]engine.Addr{}
	var visit func(engine.Addr) time.Duration
	visit = func(a engine.Addr) time.Duration {
		if d, ok := finish[a]; ok {
			return d
		}
		finish[a] = 0 // the graph is acyclic (the plan checked); this only guards
		var start time.Duration
		if r, ok := byAddr[a]; ok {
			for _, dep := range r.DependsOn() {
				if d := visit(dep); d > start {
					start, via[a] = d, dep
				}
			}
		}
		finish[a] = start + duration(a, actions[a])
		return finish[a]
	}
	var longest time.Duration
	var last engine.Addr
	for _, r := range resources {
		if d := visit(r.Addr()); d > longest {
			longest, last = d, r.Addr()
		}
	}
	var chain []string
	for a := last; a != ""; a = via[a] {
		if d := duration(a, actions[a]); d >= 10*time.Second {
			chain = append([]string{fmt.Sprintf("%s ~%s", a.Kind(), d)}, chain...)
		}
	}
	return longest, strings.Join(chain, " → ")
}

func duration(a engine.Addr, action engine.Action) time.Duration {
	switch action {
	case engine.Create, engine.Replace:
		if d, ok := typicalCreate[a.Kind()]; ok {
			return d
		}
		return apiCall
	case engine.Update:
		return apiCall
	case engine.Delete:
		if d, ok := typicalDelete[a.Kind()]; ok {
			return d
		}
		return apiCall
	}
	return 0
}

func renderEstimate(w io.Writer, phases []Phase) error {
	fmt.Fprintf(w, "\nEstimated deploy time on AWS (typical durations, phase by phase):\n")
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	var total time.Duration
	for _, p := range phases {
		total += p.Duration
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", p.Name, p.Duration, p.Why)
	}
	fmt.Fprintf(tw, "  total\t%s\t\n", total)
	return tw.Flush()
}
