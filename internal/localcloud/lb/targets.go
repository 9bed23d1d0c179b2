package lb

import (
	"context"
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

type targetGroup struct {
	config *targetGroupConfig
	// targets holds registered and draining targets; ordered is the same set
	// in registration order, which makes round robin predictable.
	targets map[Target]*target
	ordered []*target
	next    atomic.Uint64
	// counters live as long as the group: requests count on them.
	counters groupCounters
}

type target struct {
	target Target
	// host is the IP address the target is reached at; address is its
	// host:port, made once rather than per request.
	host, address string
	state         string
	reason        string
	description   string
	// passes and failures count consecutive health check outcomes.
	passes, failures int
	// stopChecks ends this target's health checks; nil when none run.
	stopChecks context.CancelFunc
	drainTimer *time.Timer
	// generation tells a health check result or drain timer whether it still
	// belongs to the target's current registration.
	generation uint64
}

var generations atomic.Uint64

// reconcileGroups brings target groups and targets to the validated config.
// Callers hold b.mu.
func (b *Balancer) reconcileGroups(valid *config) {
	for arn, group := range b.groups {
		if valid.targetGroups[arn] != nil {
			continue
		}
		for _, target := range group.targets {
			b.stopTarget(target)
		}
		delete(b.groups, arn)
	}
	for arn, groupConfig := range valid.targetGroups {
		group := b.groups[arn]
		if group == nil {
			group = &targetGroup{targets: map[Target]*target{}}
			b.groups[arn] = group
		}
		previous := group.config
		group.config = groupConfig
		checksToggled := previous != nil && previous.healthCheck.Enabled != groupConfig.healthCheck.Enabled

		wanted := make(map[Target]bool, len(groupConfig.targets))
		for _, registration := range groupConfig.targets {
			wanted[registration] = true
			existing := group.targets[registration]
			host := hostAddress(registration.ID, valid.hosts)
			switch {
			case existing == nil:
				existing = &target{target: registration, host: host, address: targetAddress(registration, registration.Port, valid.hosts)}
				group.targets[registration] = existing
				group.ordered = append(group.ordered, existing)
				b.register(arn, group, existing)
			case existing.host != host:
				// An instance target whose instance moved: reach it
				// where it is now, and check it anew.
				existing.host, existing.address = host, targetAddress(registration, registration.Port, valid.hosts)
				b.stopTarget(existing)
				b.register(arn, group, existing)
			case existing.state == StateDraining, checksToggled:
				// Registered again, or checked differently: start over.
				b.stopTarget(existing)
				b.register(arn, group, existing)
			}
		}
		for registration, existing := range group.targets {
			if !wanted[registration] && existing.state != StateDraining {
				b.deregister(arn, group, existing)
			}
		}
	}
}

// register starts a target's life: initial with checks, or unavailable when
// the group does not check health.
func (b *Balancer) register(groupARN string, group *targetGroup, target *target) {
	target.generation = generations.Add(1)
	target.passes, target.failures = 0, 0
	if !group.config.healthCheck.Enabled {
		b.setState(groupARN, target, StateUnavailable, ReasonHealthCheckDisabled, "Health checks are disabled")
		return
	}
	b.setState(groupARN, target, StateInitial, ReasonRegistrationInProgress, "Target registration is in progress")
	checks, stop := context.WithCancel(b.background)
	target.stopChecks = stop
	b.workers.Add(1)
	go b.checkHealth(checks, groupARN, target, target.generation)
}

// deregister drains a target: it gets no new requests, those in flight
// finish, and after the group's delay it is forgotten.
func (b *Balancer) deregister(groupARN string, group *targetGroup, target *target) {
	b.stopTarget(target)
	target.generation = generations.Add(1)
	b.setState(groupARN, target, StateDraining, ReasonDeregistrationInProgress, "Target deregistration is in progress")
	delay := group.config.deregistrationDelay
	if delay <= 0 {
		b.forget(groupARN, group, target)
		return
	}
	generation := target.generation
	b.workers.Add(1)
	target.drainTimer = time.AfterFunc(delay, func() {
		defer b.workers.Done()
		b.mu.Lock()
		defer b.mu.Unlock()
		if b.groups[groupARN] == group && group.targets[target.target] == target && target.generation == generation {
			target.drainTimer = nil
			b.forget(groupARN, group, target)
		}
	})
}

func (b *Balancer) forget(groupARN string, group *targetGroup, target *target) {
	delete(group.targets, target.target)
	for i, candidate := range group.ordered {
		if candidate == target {
			group.ordered = append(group.ordered[:i:i], group.ordered[i+1:]...)
			break
		}
	}
	b.setState(groupARN, target, StateUnused, ReasonNotRegistered, "Target is not registered to the target group")
}

// stopTarget ends a target's health checks and drain timer. Callers hold
// b.mu.
func (b *Balancer) stopTarget(target *target) {
	if target.stopChecks != nil {
		target.stopChecks()
		target.stopChecks = nil
	}
	if target.drainTimer != nil {
		if target.drainTimer.Stop() {
			b.workers.Done() // the timer's function will never run
		}
		target.drainTimer = nil
	}
}

// setState records a state and queues its notification. Callers hold b.mu,
// which keeps notifications in the order the changes happened.
func (b *Balancer) setState(groupARN string, target *target, state, reason, description string) {
	if target.state == state && target.reason == reason {
		target.description = description
		return
	}
	target.state, target.reason, target.description = state, reason, description
	b.notifier.push(TargetHealthChange{
		TargetGroupARN: groupARN,
		TargetHealth:   TargetHealth{Target: target.target, State: state, Reason: reason, Description: description},
	})
}

// TargetHealth reports the health of a target group's registered and
// draining targets, ordered by address and port; nil for an unknown group.
func (b *Balancer) TargetHealth(targetGroupARN string) []TargetHealth {
	b.mu.RLock()
	group := b.groups[targetGroupARN]
	if group == nil {
		b.mu.RUnlock()
		return nil
	}
	health := make([]TargetHealth, 0, len(group.targets))
	for _, target := range group.targets {
		health = append(health, TargetHealth{Target: target.target, State: target.state, Reason: target.reason, Description: target.description})
	}
	b.mu.RUnlock()
	sort.Slice(health, func(i, j int) bool {
		if health[i].Target.ID != health[j].Target.ID {
			return health[i].Target.ID < health[j].Target.ID
		}
		return health[i].Target.Port < health[j].Target.Port
	})
	return health
}

// picked is the target chosen for a request and how to reach it.
type picked struct {
	endpoint
	// http2 says requests reach the group's targets over HTTP/2 (its
	// protocol version is HTTP2 or GRPC).
	http2    bool
	counters *groupCounters
}

// pick chooses a target round robin among the healthy ones (or those whose
// group does not check health); with none, it fails open to every target
// that is not draining, as an ALB does. It returns the target's host:port;
// ok is false when there is none.
func (b *Balancer) pick(groupARN string) (chosen picked, ok bool) {
	b.mu.RLock()
	defer b.mu.RUnlock()
	group := b.groups[groupARN]
	if group == nil {
		return picked{}, false
	}
	routable := func(candidate *target) bool {
		return candidate.state == StateHealthy || candidate.state == StateUnavailable
	}
	count := 0
	for _, candidate := range group.ordered {
		if routable(candidate) {
			count++
		}
	}
	if count == 0 {
		routable = func(candidate *target) bool { return candidate.state != StateDraining }
		for _, candidate := range group.ordered {
			if routable(candidate) {
				count++
			}
		}
	}
	if count == 0 {
		return picked{}, false
	}
	index := int((group.next.Add(1) - 1) % uint64(count))
	for _, candidate := range group.ordered {
		if !routable(candidate) {
			continue
		}
		if index == 0 {
			return picked{endpoint: endpoint{address: candidate.address, secure: group.config.secure}, http2: group.config.http2, counters: &group.counters}, true
		}
		index--
	}
	return picked{}, false
}

// notifier delivers health changes to OnTargetHealth from its own
// goroutine, in order, so callbacks run outside the balancer's locks and a
// slow callback never holds up routing.
type notifier struct {
	deliver func(TargetHealthChange)
	wake    chan struct{}
	stop    chan struct{}
	gone    chan struct{}

	mu      sync.Mutex
	pending []TargetHealthChange
}

func newNotifier(deliver func(TargetHealthChange)) *notifier {
	n := &notifier{deliver: deliver, wake: make(chan struct{}, 1), stop: make(chan struct{}), gone: make(chan struct{})}
	if deliver == nil {
		close(n.gone)
		return n
	}
	go n.run()
	return n
}

func (n *notifier) push(change TargetHealthChange) {
	if n.deliver == nil {
		return
	}
	n.mu.Lock()
	n.pending = append(n.pending, change)
	n.mu.Unlock()
	select {
	case n.wake <- struct{}{}:
	default:
	}
}

func (n *notifier) run() {
	defer close(n.gone)
	for {
		select {
		case <-n.stop:
			return
		case <-n.wake:
		}
		for {
			n.mu.Lock()
			batch := n.pending
			n.pending = nil
			n.mu.Unlock()
			if len(batch) == 0 {
				break
			}
			for _, change := range batch {
				select {
				case <-n.stop:
					return
				default:
				}
				n.deliver(change)
			}
		}
	}
}

// close stops delivery, dropping what is still queued, and waits for a
// callback in progress to return.
func (n *notifier) close() {
	if n.deliver == nil {
		return
	}
	close(n.stop)
	<-n.gone
}
