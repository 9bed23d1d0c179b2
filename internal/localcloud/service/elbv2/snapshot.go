package elbv2

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/berthdev/berth/internal/localcloud/store"
)

// Snapshot is everything the data plane needs to route, read in one
// transaction so that it is consistent.
type Snapshot struct {
	LoadBalancers []SnapshotLoadBalancer
	Listeners     []SnapshotListener
	Rules         []SnapshotRule
	TargetGroups  []SnapshotTargetGroup
}

// SnapshotLoadBalancer is a load balancer as the data plane sees it.
type SnapshotLoadBalancer struct {
	ARN     string
	Name    string
	DNSName string
	Scheme  string
	// SecurityGroups and SubnetIDs are where security groups see it.
	SecurityGroups []string
	SubnetIDs      []string
}

// SnapshotListener is a listener with its default actions (normalised:
// forward actions always carry ForwardConfig with weights).
type SnapshotListener struct {
	ARN             string
	LoadBalancerARN string
	Port            int
	Protocol        string
	// SslPolicy and CertificateARNs (the default first) are an HTTPS
	// listener's TLS settings.
	SslPolicy       string
	CertificateARNs []string
	DefaultActions  []Action
}

// SnapshotRule is a non-default rule with flattened conditions.
type SnapshotRule struct {
	ARN         string
	ListenerARN string
	Priority    int
	Conditions  []RouteCondition
	Actions     []Action
}

// RouteCondition is one rule condition reduced to what matching needs:
// a field, its values (any one matches) and, for http-header, the header.
// query-string values are "key=value" or "value" (any key).
type RouteCondition struct {
	Field      string
	Values     []string
	HeaderName string
}

// SnapshotTargetGroup is a target group with its health check and the
// targets that should receive traffic (registered and not draining).
type SnapshotTargetGroup struct {
	ARN                 string
	Name                string
	Protocol            string
	ProtocolVersion     string // HTTP1 (default), HTTP2 or GRPC
	Port                int
	HealthCheck         HealthCheck
	DeregistrationDelay time.Duration
	Targets             []Target
}

// HealthCheck is a target group's health check in data-plane units.
type HealthCheck struct {
	Enabled            bool
	Protocol           string
	Path               string
	Port               string // "traffic-port" or a number
	Interval           time.Duration
	Timeout            time.Duration
	HealthyThreshold   int
	UnhealthyThreshold int
	Matcher            string
}

// Snapshot reads the routing state in one transaction.
func (b *Backend) Snapshot(ctx context.Context) (*Snapshot, error) {
	snap := &Snapshot{}
	err := b.store.View(ctx, func(tx *store.Tx) error {
		lbs, err := store.List[LoadBalancer](tx, tableLoadBalancers)
		if err != nil {
			return err
		}
		for _, lb := range lbs {
			balancer := SnapshotLoadBalancer{ARN: lb.ARN, Name: lb.Name, DNSName: lb.DNSName, Scheme: lb.Scheme, SecurityGroups: lb.SecurityGroups}
			for _, zone := range lb.AvailabilityZones {
				balancer.SubnetIDs = append(balancer.SubnetIDs, zone.SubnetID)
			}
			snap.LoadBalancers = append(snap.LoadBalancers, balancer)
		}
		listeners, err := store.List[Listener](tx, tableListeners)
		if err != nil {
			return err
		}
		for _, l := range listeners {
			listener := SnapshotListener{ARN: l.ARN, LoadBalancerARN: l.LoadBalancerARN, Port: l.Port, Protocol: l.Protocol, SslPolicy: l.SslPolicy, DefaultActions: l.DefaultActions}
			for _, c := range l.Certificates {
				listener.CertificateARNs = append(listener.CertificateARNs, c.CertificateArn)
			}
			snap.Listeners = append(snap.Listeners, listener)
		}
		rules, err := store.List[Rule](tx, tableRules)
		if err != nil {
			return err
		}
		slices.SortFunc(rules, func(x, y *Rule) int { return x.Priority - y.Priority })
		for _, r := range rules {
			snap.Rules = append(snap.Rules, SnapshotRule{ARN: r.ARN, ListenerARN: r.ListenerARN, Priority: r.Priority, Conditions: routeConditions(r.Conditions), Actions: r.Actions})
		}
		groups, err := store.List[TargetGroup](tx, tableTargetGroups)
		if err != nil {
			return err
		}
		for _, tg := range groups {
			hc := tg.HealthCheck
			group := SnapshotTargetGroup{
				ARN: tg.ARN, Name: tg.Name, Protocol: tg.Protocol, ProtocolVersion: tg.ProtocolVersion, Port: tg.Port,
				HealthCheck: HealthCheck{
					Enabled: hc.Enabled, Protocol: hc.Protocol, Path: hc.Path, Port: hc.Port,
					Interval: time.Duration(hc.IntervalSeconds) * time.Second, Timeout: time.Duration(hc.TimeoutSeconds) * time.Second,
					HealthyThreshold: hc.HealthyThreshold, UnhealthyThreshold: hc.UnhealthyThreshold, Matcher: hc.Matcher,
				},
				DeregistrationDelay: tg.deregistrationDelay(),
				Targets:             []Target{},
			}
			for _, r := range tg.Targets {
				if r.DrainingSince == nil {
					group.Targets = append(group.Targets, Target{ID: r.ID, Port: r.Port})
				}
			}
			snap.TargetGroups = append(snap.TargetGroups, group)
		}
		return nil
	})
	if err != nil {
		return nil, internalError(err)
	}
	return snap, nil
}

func routeConditions(conditions []Condition) []RouteCondition {
	out := make([]RouteCondition, 0, len(conditions))
	for _, c := range conditions {
		rc := RouteCondition{Field: c.Field}
		switch {
		case c.HostHeaderConfig != nil:
			rc.Values = c.HostHeaderConfig.Values
		case c.PathPatternConfig != nil:
			rc.Values = c.PathPatternConfig.Values
		case c.HttpRequestMethodConfig != nil:
			rc.Values = c.HttpRequestMethodConfig.Values
		case c.SourceIpConfig != nil:
			rc.Values = c.SourceIpConfig.Values
		case c.HttpHeaderConfig != nil:
			rc.HeaderName, rc.Values = c.HttpHeaderConfig.HttpHeaderName, c.HttpHeaderConfig.Values
		case c.QueryStringConfig != nil:
			for _, pair := range c.QueryStringConfig.Values {
				if pair.Key != "" {
					rc.Values = append(rc.Values, pair.Key+"="+pair.Value)
				} else {
					rc.Values = append(rc.Values, pair.Value)
				}
			}
		default:
			rc.Values = c.Values
		}
		out = append(out, rc)
	}
	return out
}

// TupleWeight returns a forward tuple's weight (1 when unset).
func TupleWeight(t TargetGroupTuple) int {
	if t.Weight == nil {
		return 1
	}
	return *t.Weight
}

// RedirectStatus returns a redirect's HTTP status (301 or 302).
func RedirectStatus(r *RedirectConfig) int {
	if code, err := strconv.Atoi(strings.TrimPrefix(r.StatusCode, "HTTP_")); err == nil {
		return code
	}
	return 302
}
