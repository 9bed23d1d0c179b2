// Package controller is the local cloud's data plane brain: level-triggered
// loops that turn the control plane's records into running things. Auto
// Scaling groups get EC2 instances, instances join ECS clusters, services get
// tasks placed and started, tasks get load balancer targets, and the
// balancer's health checks flow back into ELBv2 and the service scheduler.
//
// Every pass reads the whole state and corrects what differs, so a restart,
// a reset or a missed event heals on the next pass. All passes run on one
// goroutine; the runtime and the balancer report back through channels.
package controller

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/berthdev/berth/internal/localcloud/lb"
	"github.com/berthdev/berth/internal/localcloud/runtime"
	"github.com/berthdev/berth/internal/localcloud/service/acm"
	"github.com/berthdev/berth/internal/localcloud/service/applicationautoscaling"
	"github.com/berthdev/berth/internal/localcloud/service/autoscaling"
	"github.com/berthdev/berth/internal/localcloud/service/cloudwatch"
	"github.com/berthdev/berth/internal/localcloud/service/ec2"
	"github.com/berthdev/berth/internal/localcloud/service/ecs"
	"github.com/berthdev/berth/internal/localcloud/service/elbv2"
	"github.com/berthdev/berth/internal/localcloud/service/iam"
	"github.com/berthdev/berth/internal/localcloud/service/logs"
	"github.com/berthdev/berth/internal/localcloud/service/secretsmanager"
	"github.com/berthdev/berth/internal/localcloud/service/ssm"
	"github.com/berthdev/berth/internal/localcloud/store"
)

// Deps are the parts of the local cloud the controllers drive.
type Deps struct {
	Store       *store.Store
	EC2         *ec2.Backend
	AutoScaling *autoscaling.Backend
	ECS         *ecs.Backend
	ELBv2       *elbv2.Backend
	Logs        *logs.Backend
	CloudWatch  *cloudwatch.Backend
	// AppAutoScaling is Application Auto Scaling's control plane, whose
	// policies the controller carries out; nil scales nothing.
	AppAutoScaling *applicationautoscaling.Backend
	Runtime        runtime.Runtime
	Balancer       *lb.Balancer
	// Images resolves an image reference to the process image that runs it.
	Images func(ref string) (*runtime.ProcessImage, error)
	// Endpoint is the local cloud's API URL (for task metadata), "" if unknown.
	Endpoint func() string
	Logger   *slog.Logger

	// SSM and Secrets hold the parameters and secrets that task
	// definitions' secrets name; nil: a task with secrets fails to start.
	SSM     *ssm.Backend
	Secrets *secretsmanager.Backend
	// IAM holds the execution roles that must allow reading those
	// secrets; nil: the roles are not checked.
	IAM *iam.Backend

	// ACM hands HTTPS listeners their certificates.
	ACM     *acm.Backend
	Options Options
}

// Options tune the data plane's timing.
type Options struct {
	// TimeScale speeds up AWS's clocks for tests and demos: metric
	// periods, alarm evaluation periods, scaling cooldowns and instance
	// warm-up last 1/TimeScale of AWS's time. 0 and 1 are AWS's timing.
	TimeScale float64
}

// period is d on the controller's time scale (cloudwatch.ScaledPeriod):
// the one conversion every scaled duration of the data plane goes through.
func (c *Controller) period(d time.Duration) time.Duration {
	return cloudwatch.ScaledPeriod(d, c.deps.Options.TimeScale)
}

// resyncInterval bounds how long a pass waits when nothing is written: time
// itself moves state (draining deadlines, grace periods, retention).
const resyncInterval = time.Second

// minPassGap coalesces bursts of commits (an API call, a pass that changed
// something) into one pass. A pass that changes nothing commits nothing, so
// at rest the loop runs at the resync rate only.
const minPassGap = 20 * time.Millisecond

// passes counts the reconcile passes of every controller in the process,
// so that a test can wait for passes to happen instead of sleeping.
var passes atomic.Uint64

// Controller runs the reconcile loops.
type Controller struct {
	deps Deps
	log  *slog.Logger

	// Owned by the Run goroutine.
	processes map[string]*taskProcess // by runtime id (task id/container)
	starts    map[string]*startPlan   // by task ARN, until all its containers started
	addresses *addressPool
	forwards  map[string]*forward // published host ports, by instance address:port
	// ec2Instances are the EC2 instances of container instances (by ARN),
	// as placement last read them.
	ec2Instances map[string]string
	// subnetZones are the zones of the subnets Fargate tasks are placed
	// in (subnet ids are unique across regions), read outside the ECS
	// transaction that places them; zonesWanted those placement asked for.
	subnetZones map[string]string
	zonesWanted map[string]bool
	logs        *logShipper
	backoff     map[string]launchBackoff // by service ARN
	unplaced    map[string]unplaced      // by cluster ARN, from the last placement
	snapshot    *elbv2.Snapshot          // the last routing state read
	metrics     map[store.Scope]*ecsMetrics
	scaling     map[string]*targetState   // by scope and resource id
	providers   map[string]*providerState // by scope and capacity provider
	// lastFailure is each reconcile step's last error message.
	lastFailure map[string]string
	// egressUnenforced: the runtime said it cannot filter tasks' egress,
	// and the log says so once.
	egressUnenforced bool
	// startFirewall is the firewall the tasks started in this pass's
	// reconcileTasks are filtered by, read at the first start (nil: not
	// read yet).
	startFirewall *firewall

	// certificateUsers are the load balancers recorded in ACM as using
	// each certificate (markCertificatesInUse); metricsFrom is the start
	// of the load balancers' current metrics period.
	certificateUsers map[string][]string
	metricsFrom      time.Time

	// probes are the running container health checks, by runtime id.
	probes map[string]*healthProbe

	healthMu               sync.Mutex
	pendingHealth          []lb.TargetHealthChange
	pendingContainerHealth []containerHealthChange
	healthSignal           chan struct{}
}

// New builds the controller; Run starts it.
func New(deps Deps) *Controller {
	c := &Controller{
		deps:         deps,
		log:          deps.Logger.With("component", "controller"),
		processes:    map[string]*taskProcess{},
		subnetZones:  map[string]string{},
		zonesWanted:  map[string]bool{},
		probes:       map[string]*healthProbe{},
		starts:       map[string]*startPlan{},
		addresses:    newAddressPool(deps.Runtime),
		forwards:     map[string]*forward{},
		ec2Instances: map[string]string{},
		backoff:      map[string]launchBackoff{},
		unplaced:     map[string]unplaced{},
		metrics:      map[store.Scope]*ecsMetrics{},
		scaling:      map[string]*targetState{},
		providers:    map[string]*providerState{},
		lastFailure:  map[string]string{},
		healthSignal: make(chan struct{}, 1),
	}
	c.logs = newLogShipper(deps.Logs, c.log)
	return c
}

// OnTargetHealth receives the balancer's health changes; it never blocks.
func (c *Controller) OnTargetHealth(change lb.TargetHealthChange) {
	c.healthMu.Lock()
	c.pendingHealth = append(c.pendingHealth, change)
	c.healthMu.Unlock()
	select {
	case c.healthSignal <- struct{}{}:
	default:
	}
}

func (c *Controller) takeHealthChanges() []lb.TargetHealthChange {
	c.healthMu.Lock()
	defer c.healthMu.Unlock()
	changes := c.pendingHealth
	c.pendingHealth = nil
	return changes
}

// Run reconciles until ctx ends, then stops every task it started.
func (c *Controller) Run(ctx context.Context) error {
	changes, unsubscribe := c.deps.Store.Subscribe()
	defer unsubscribe()
	shipperDone := make(chan struct{})
	go func() {
		defer close(shipperDone)
		c.logs.run(ctx)
	}()
	defer func() { <-shipperDone }()

	ticker := time.NewTicker(resyncInterval)
	defer ticker.Stop()
	events := c.deps.Runtime.Events()
	for {
		c.reconcile(ctx)
		select {
		case <-ctx.Done():
			c.stopAll()
			c.closeForwards()
			return ctx.Err()
		case <-changes:
		case <-ticker.C:
		case <-c.healthSignal:
			c.recordHealth(ctx, c.takeHealthChanges())
			c.recordContainerHealth(ctx, c.takeContainerHealthChanges())
		case ev, ok := <-events:
			if !ok { // the runtime closed: nothing more will run
				events = nil
				continue
			}
			c.onProcessExit(ctx, ev)
		}
		select { // let a burst of commits land before the next pass
		case <-ctx.Done():
		case <-time.After(minPassGap):
		}
	}
}

// reconcile is one pass over everything: each region's steps in dependency
// order, in that region's scope, then what spans regions (the machine's
// processes and its one balancer).
func (c *Controller) reconcile(ctx context.Context) {
	defer passes.Add(1)
	regional := []struct {
		name string
		fn   func(context.Context) error
	}{
		{"auto scaling groups", c.reconcileGroups},
		{"container instances", c.reconcileContainerInstances},
		{"services", c.reconcileServices},
		{"tasks", c.reconcileTasks},
		{"ecs metrics", c.publishECSMetrics},
		{"capacity providers", c.reconcileManagedScaling},
		{"alarms", c.evaluateAlarms},
		{"application auto scaling", c.reconcileApplicationAutoScaling},
	}
	scopes, err := c.regionalScopes()
	c.note("regions", err)
	for _, scope := range scopes {
		scoped := store.WithScope(ctx, scope)
		for _, step := range regional {
			if ctx.Err() != nil {
				return
			}
			c.note(scope.String()+" "+step.name, step.fn(scoped))
		}
	}
	if ctx.Err() != nil {
		return
	}
	c.note("orphaned processes", c.stopOrphans(ctx))
	c.note("published host ports", c.reconcileBindings(ctx))
	c.note("load balancers", c.reconcileLoadBalancers(ctx))
}

// note logs a step's failure. A failure repeats every pass until its cause
// goes away: say it once, and say when it is over.
func (c *Controller) note(step string, err error) {
	msg := ""
	if err != nil {
		msg = err.Error()
	}
	if msg == c.lastFailure[step] {
		return
	}
	if err != nil {
		c.log.Warn("reconcile failed", "step", step, "error", err)
	} else {
		c.log.Info("reconcile recovered", "step", step)
	}
	c.lastFailure[step] = msg
}
