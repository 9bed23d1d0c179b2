package elbv2

import (
	"context"
	"net/netip"
	"slices"
	"strconv"
	"time"

	"github.com/berthdev/berth/internal/localcloud/store"
)

// Target is one registration: an instance id or IP address, and a port.
type Target struct {
	ID   string
	Port int
}

// Target health states and reason codes, as DescribeTargetHealth reports.
const (
	StateInitial     = "initial"
	StateHealthy     = "healthy"
	StateUnhealthy   = "unhealthy"
	StateUnused      = "unused"
	StateDraining    = "draining"
	StateUnavailable = "unavailable"

	ReasonRegistrationInProgress   = "Elb.RegistrationInProgress"
	ReasonNotRegistered            = "Target.NotRegistered"
	ReasonNotInUse                 = "Target.NotInUse"
	ReasonDeregistrationInProgress = "Target.DeregistrationInProgress"
	ReasonHealthCheckDisabled      = "Target.HealthCheckDisabled"
)

// TargetHealth is one target's reported health.
type TargetHealth struct {
	Target      Target
	State       string
	Reason      string
	Description string
	// HealthCheckPort is the port health checks go to.
	HealthCheckPort string
}

// resolveTarget fills a target's default port and checks its id against
// the group's target type.
func resolveTarget(tg *TargetGroup, t Target) (Target, error) {
	if t.ID == "" {
		return t, validationError("1 validation error detected: Value null at 'targets.member.id' failed to satisfy constraint: Member must not be null")
	}
	if t.Port == 0 {
		t.Port = tg.Port
	}
	if err := checkPort(t.Port); err != nil {
		return t, err
	}
	if tg.TargetType == "ip" {
		if _, err := netip.ParseAddr(t.ID); err != nil {
			return t, invalidTarget("The IP address '%s' is not a valid IPv4 address", t.ID)
		}
	}
	if tg.TargetType == "instance" && (len(t.ID) < 3 || t.ID[:2] != "i-") {
		return t, invalidTarget("The following targets are not valid instances: '%s'", t.ID)
	}
	return t, nil
}

// drained reports whether a deregistered target has finished draining.
func drained(tg *TargetGroup, r Registration, now time.Time) bool {
	return r.DrainingSince != nil && !now.Before(r.DrainingSince.Add(tg.deregistrationDelay()))
}

// pruneDrained drops the targets whose draining has ended.
func pruneDrained(tg *TargetGroup, now time.Time) {
	tg.Targets = slices.DeleteFunc(tg.Targets, func(r Registration) bool { return drained(tg, r, now) })
}

// RegisterTargets registers targets with a group. Registering a target that
// is draining brings it back with its last known health.
func (b *Backend) RegisterTargets(ctx context.Context, targetGroupARN string, targets []Target) error {
	if len(targets) == 0 {
		return validationError("1 validation error detected: Value null at 'targets' failed to satisfy constraint: Member must not be null")
	}
	now := b.now()
	_, err := b.updateTargetGroup(ctx, targetGroupARN, func(_ *store.Tx, tg *TargetGroup) error {
		pruneDrained(tg, now)
		for _, t := range targets {
			t, err := resolveTarget(tg, t)
			if err != nil {
				return err
			}
			i := slices.IndexFunc(tg.Targets, func(r Registration) bool { return r.ID == t.ID && r.Port == t.Port })
			if i >= 0 {
				tg.Targets[i].DrainingSince = nil
				continue
			}
			tg.Targets = append(tg.Targets, Registration{ID: t.ID, Port: t.Port})
		}
		return nil
	})
	return err
}

// DeregisterTargets starts draining targets; they are gone once the group's
// deregistration delay has passed. Unknown targets are ignored.
func (b *Backend) DeregisterTargets(ctx context.Context, targetGroupARN string, targets []Target) error {
	if len(targets) == 0 {
		return validationError("1 validation error detected: Value null at 'targets' failed to satisfy constraint: Member must not be null")
	}
	now := b.now().UTC()
	_, err := b.updateTargetGroup(ctx, targetGroupARN, func(_ *store.Tx, tg *TargetGroup) error {
		pruneDrained(tg, now)
		for _, t := range targets {
			t, err := resolveTarget(tg, t)
			if err != nil {
				return err
			}
			for i := range tg.Targets {
				r := &tg.Targets[i]
				if r.ID == t.ID && r.Port == t.Port && r.DrainingSince == nil {
					r.DrainingSince = &now
				}
			}
		}
		pruneDrained(tg, now)
		return nil
	})
	return err
}

// SetTargetHealth records the health the data plane observed for a target.
// A target that is not registered (any more) is ignored.
func (b *Backend) SetTargetHealth(ctx context.Context, targetGroupARN string, target Target, state, reason, description string) error {
	err := b.store.Update(ctx, func(tx *store.Tx) error {
		tg, err := store.Get[TargetGroup](tx, tableTargetGroups, targetGroupARN)
		if err != nil || tg == nil {
			return err
		}
		if target.Port == 0 {
			target.Port = tg.Port
		}
		for i := range tg.Targets {
			r := &tg.Targets[i]
			if r.ID == target.ID && r.Port == target.Port {
				if r.State == state && r.Reason == reason && r.Description == description {
					return nil // no write, no wake-up for the controllers
				}
				r.State, r.Reason, r.Description = state, reason, description
				return tx.Put(tableTargetGroups, tg.ARN, tg)
			}
		}
		return nil
	})
	return internalError(err)
}

// TargetHealth describes the health of a group's targets, or of the named
// ones (unregistered ones as unused / Target.NotRegistered).
func (b *Backend) TargetHealth(ctx context.Context, targetGroupARN string, targets []Target) ([]TargetHealth, error) {
	now := b.now()
	var out []TargetHealth
	err := b.store.View(ctx, func(tx *store.Tx) error {
		tg, err := getFound[TargetGroup](tx, tableTargetGroups, targetGroupARN, targetGroupNotFound)
		if err != nil {
			return err
		}
		users, err := targetGroupUsers(tx)
		if err != nil {
			return err
		}
		inUse := len(users[tg.ARN]) > 0
		live := slices.DeleteFunc(slices.Clone(tg.Targets), func(r Registration) bool { return drained(tg, r, now) })
		if len(targets) == 0 {
			for _, r := range live {
				out = append(out, describeRegistration(tg, r, inUse))
			}
			return nil
		}
		for _, t := range targets {
			t, err := resolveTarget(tg, t)
			if err != nil {
				return err
			}
			i := slices.IndexFunc(live, func(r Registration) bool { return r.ID == t.ID && r.Port == t.Port })
			if i < 0 {
				out = append(out, TargetHealth{
					Target: t, State: StateUnused, Reason: ReasonNotRegistered,
					Description: "Target is not registered to the target group", HealthCheckPort: healthCheckPort(tg, t.Port),
				})
				continue
			}
			out = append(out, describeRegistration(tg, live[i], inUse))
		}
		return nil
	})
	return out, internalError(err)
}

func healthCheckPort(tg *TargetGroup, port int) string {
	if tg.HealthCheck.Port == "traffic-port" || tg.HealthCheck.Port == "" {
		return strconv.Itoa(port)
	}
	return tg.HealthCheck.Port
}

// describeRegistration applies AWS's precedence: draining, then not in use,
// then checks disabled, then the last reported health, else initial.
func describeRegistration(tg *TargetGroup, r Registration, inUse bool) TargetHealth {
	h := TargetHealth{Target: Target{ID: r.ID, Port: r.Port}, HealthCheckPort: healthCheckPort(tg, r.Port)}
	switch {
	case r.DrainingSince != nil:
		h.State, h.Reason, h.Description = StateDraining, ReasonDeregistrationInProgress, "Target deregistration is in progress"
	case !inUse:
		h.State, h.Reason, h.Description = StateUnused, ReasonNotInUse, "Target group is not configured to receive traffic from the load balancer"
	case !tg.HealthCheck.Enabled:
		h.State, h.Reason, h.Description = StateUnavailable, ReasonHealthCheckDisabled, "Health checks are disabled"
	case r.State != "":
		h.State, h.Reason, h.Description = r.State, r.Reason, r.Description
	default:
		h.State, h.Reason, h.Description = StateInitial, ReasonRegistrationInProgress, "Target registration is in progress"
	}
	return h
}
