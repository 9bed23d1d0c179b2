package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
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
	// Timeline are the deploy timeline's phases this one spans, whose
	// durations a local deploy recorded.
	Timeline []stack.Phase
	// Local is the local cloud's time by its model (localModel).
	Local time.Duration
}

// The local cloud's model, for when no local deploy of the stack was
// recorded: it answers every API call in-process and provisions nothing
// (no load balancer or NAT gateway to wait for, instances that join at
// once), runs a process image with nothing to pull, and keeps AWS's
// clock where it matters for a deploy: health checks run every interval
// until the healthy threshold, and a deregistered target drains for the
// whole deregistration delay (time_scale shortens metrics and alarms
// only).
const (
	localAPICall = 100 * time.Millisecond
	localPlace   = time.Second // the scheduler's pass and the process's spawn
	localStart   = time.Second // a small app such as the example's uvicorn
	localStop    = time.Second
)

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
		changed := 0
		for _, a := range actions {
			if a != engine.NoOp {
				changed++
			}
		}
		phases = append(phases, Phase{"infrastructure", infra, why, []stack.Phase{stack.PhaseInfrastructure}, time.Duration(changed) * localAPICall})
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
		Phase{"tasks placed, image pulled", imagePull, "ENI attached and a 100–200 MB image pulled from ECR in the region",
			[]stack.Phase{stack.PhasePlaced, stack.PhasePulled}, localPlace},
		Phase{"started", containerStart, "the container's own start", []stack.Phase{stack.PhaseStarted}, localStart},
		Phase{"healthy in the target group", healthy, fmt.Sprintf("%d checks × %d s interval", hc.HealthyThreshold, hc.Interval),
			[]stack.Phase{stack.PhaseHealthy}, healthy},
	)
	if !fresh {
		phases = append(phases,
			Phase{"old tasks draining", drain, fmt.Sprintf("deregistration delay %d s", s.Service.DeregistrationDelay),
				[]stack.Phase{stack.PhaseDraining}, drain},
			Phase{"stopped", taskStop, fmt.Sprintf("SIGTERM, at most stop_timeout %d s", s.Service.Deployment.StopTimeout),
				[]stack.Phase{stack.PhaseStopped}, localStop},
		)
	}
	if batches > 1 {
		var batch, localBatch time.Duration
		for _, p := range phases[len(phases)-5:] {
			batch += p.Duration
			localBatch += p.Local
		}
		// The timeline's phases span every batch, so a recorded deploy
		// has no separate time for them: Timeline stays empty.
		phases = append(phases, Phase{Name: "more rolling batches", Duration: time.Duration(batches-1) * batch,
			Why: fmt.Sprintf("%d tasks, %d a batch (minimum healthy %d%%, maximum %d%%): %d batches", s.Service.Count, perBatch,
				s.Service.Deployment.MinimumHealthyPercent, s.Service.Deployment.MaximumPercent, batches),
			Local: time.Duration(batches-1) * localBatch})
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

// renderEstimate prints the phases with AWS's typical time and, beside it,
// the local cloud's: measured on its last recorded deploy of the stack
// when there is one, else by its model.
func renderEstimate(w io.Writer, phases []Phase, local *localTimings) error {
	source := "the local cloud's model: in-process API calls, nothing to provision or pull, AWS's health-check and drain clocks"
	if local != nil {
		source = fmt.Sprintf("measured on the local cloud's last deploy of %s in %s, %s", local.Stack, local.Region, local.Recorded.UTC().Format(time.RFC3339))
	}
	fmt.Fprintf(w, "\nEstimated deploy time on AWS (typical durations, phase by phase), and on the local cloud (%s):\n", source)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "  phase\tAWS\tlocal\twhy (on AWS)\n")
	var total, localTotal time.Duration
	for _, p := range phases {
		total += p.Duration
		l, ok := p.Local, true
		if local != nil {
			l, ok = local.span(p.Timeline)
		}
		cell := "–"
		if ok {
			localTotal += l
			cell = roundLocal(l).String()
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", p.Name, p.Duration, cell, p.Why)
	}
	fmt.Fprintf(tw, "  total\t%s\t%s\t\n", total, roundLocal(localTotal))
	return tw.Flush()
}

// roundLocal keeps the local column readable: tenths of a second.
func roundLocal(d time.Duration) time.Duration { return d.Round(100 * time.Millisecond) }

// localTimings is what berth up records of a deploy on the local cloud:
// each timeline phase's duration, for plan --estimate to show beside AWS's.
type localTimings struct {
	Stack    string             `json:"stack"`
	Region   string             `json:"region"`
	Recorded time.Time          `json:"recorded"`
	Seconds  map[string]float64 `json:"seconds"`
}

// span is the recorded time of the timeline phases, and whether the
// deploy went through any of them (a first deploy drains nothing).
func (l *localTimings) span(phases []stack.Phase) (time.Duration, bool) {
	var d float64
	ok := false
	for _, p := range phases {
		if s, found := l.Seconds[string(p)]; found {
			d, ok = d+s, true
		}
	}
	return time.Duration(d * float64(time.Second)), ok
}

// localTimingsPath is where the local cloud's last deploy of a stack is
// recorded, in the state directory of berth local and berth up.
func localTimingsPath(stateDir, region string, s *spec.Spec) string {
	return filepath.Join(stateDir, "timings", region+"-"+s.Name+".json")
}

// saveLocalTimings records the phases of a local deploy that succeeded,
// written whole (a temporary file renamed) so that a reader never sees
// half of it.
func saveLocalTimings(stateDir, region string, s *spec.Spec, tl *timeline, now time.Time) error {
	t := localTimings{Stack: s.Name, Region: region, Recorded: now.UTC(), Seconds: tl.elapsed()}
	b, err := json.MarshalIndent(t, "", "  ")
	if err != nil {
		return err
	}
	path := localTimingsPath(stateDir, region, s)
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".timings-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(append(b, '\n')); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// loadLocalTimings reads the record of the stack's last local deploy; nil
// when there is none. A record that does not parse is an error naming it.
func loadLocalTimings(stateDir, region string, s *spec.Spec) (*localTimings, error) {
	path := localTimingsPath(stateDir, region, s)
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var t localTimings
	if err := json.Unmarshal(b, &t); err != nil {
		return nil, fmt.Errorf("%s: %w (delete it, or run berth up again to record a new one)", path, err)
	}
	return &t, nil
}
