package controller

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/berthdev/berth/internal/localcloud/lb"
	"github.com/berthdev/berth/internal/localcloud/protocol"
	"github.com/berthdev/berth/internal/localcloud/service/elbv2"
)

// reconcileLoadBalancers hands the balancer the routing state of ELBv2 in
// every region: listeners to open or close, rules, target groups and their
// targets.
func (c *Controller) reconcileLoadBalancers(ctx context.Context) error {
	snap, err := c.routingSnapshot(ctx)
	if err != nil {
		return err
	}
	c.snapshot = snap
	cfg := balancerConfig(snap, c.listenerTLS(ctx))
	// Without the rules, run unguarded rather than not route at all; the
	// tasks' egress filters keep what they last had.
	fw, err := c.guard(ctx, snap, &cfg)
	c.note("security groups", err)
	if fw != nil {
		c.note("egress rules", c.enforceEgress(fw))
	}
	c.markCertificatesInUse(ctx, snap)
	err = c.deps.Balancer.Apply(cfg)
	c.note("load balancer metrics", c.publishLoadBalancerMetrics(ctx, time.Now()))
	return err
}

// listenerTLS returns what gives an HTTPS listener its TLS settings: its
// policy's versions and ciphers and the key pairs ACM holds for its
// certificates. A certificate ACM cannot hand out yet (pending validation,
// deleted, of another account) is left out until it can; the balancer
// compares what it is given with what it serves, so a renewed or
// re-imported certificate is served from the next pass on.
func (c *Controller) listenerTLS(ctx context.Context) func(elbv2.SnapshotListener) *lb.ListenerTLS {
	return func(l elbv2.SnapshotListener) *lb.ListenerTLS {
		spec := &lb.ListenerTLS{}
		if policy, ok := elbv2.LookupSSLPolicy(l.SslPolicy); ok {
			spec.MinVersion, spec.MaxVersion = policy.TLSVersions()
			spec.CipherSuites = policy.CipherSuites()
		}
		var missing []error
		for _, arn := range l.CertificateARNs {
			certificate, err := c.keyPair(ctx, arn)
			if err != nil {
				missing = append(missing, err)
				continue
			}
			spec.Certificates = append(spec.Certificates, certificate)
		}
		c.note("certificates of listener "+l.ARN, errors.Join(missing...))
		return spec
	}
}

func (c *Controller) keyPair(ctx context.Context, arn string) (lb.Certificate, error) {
	if c.deps.ACM == nil {
		return lb.Certificate{}, fmt.Errorf("certificate %s: no ACM in this cloud", arn)
	}
	scoped, err := inScopeOf(ctx, arn)
	if err != nil {
		return lb.Certificate{}, err
	}
	certPEM, chainPEM, keyPEM, err := c.deps.ACM.KeyPair(scoped, arn)
	if err != nil {
		return lb.Certificate{}, fmt.Errorf("certificate %s: %w", arn, err)
	}
	return lb.Certificate{ARN: arn, CertPEM: certPEM, ChainPEM: chainPEM, KeyPEM: keyPEM}, nil
}

// markCertificatesInUse records in ACM which load balancers use each
// certificate, so DescribeCertificate lists them in InUseBy and
// DeleteCertificate refuses (ResourceInUseException) while one does. This
// is the one place that does it: ELBv2 only stores the listeners' ARNs.
// It remembers what it recorded to clear a certificate a load balancer no
// longer uses; a record made before a restart for a listener deleted while
// the cloud was down stays until the certificate is used and dropped again.
func (c *Controller) markCertificatesInUse(ctx context.Context, snap *elbv2.Snapshot) {
	if c.deps.ACM == nil {
		return
	}
	users := map[string][]string{}
	for _, l := range snap.Listeners {
		if l.Protocol != "HTTPS" {
			continue
		}
		for _, arn := range l.CertificateARNs {
			if !slices.Contains(users[arn], l.LoadBalancerARN) {
				users[arn] = append(users[arn], l.LoadBalancerARN)
			}
		}
	}
	for arn := range c.certificateUsers {
		if _, still := users[arn]; !still {
			users[arn] = nil
		}
	}
	for arn, balancers := range users {
		slices.Sort(balancers)
		if previous, known := c.certificateUsers[arn]; known && slices.Equal(previous, balancers) {
			continue
		}
		scoped, err := inScopeOf(ctx, arn)
		if err == nil {
			err = c.deps.ACM.SetInUse(scoped, arn, balancers)
		}
		var apiErr *protocol.Error
		if errors.As(err, &apiErr) {
			err = nil // not a certificate of this cloud (yet): nothing to mark
		}
		c.note("marking certificate "+arn+" in use", err)
		if err != nil {
			continue
		}
		if len(balancers) == 0 {
			delete(c.certificateUsers, arn)
		} else {
			if c.certificateUsers == nil {
				c.certificateUsers = map[string][]string{}
			}
			c.certificateUsers[arn] = balancers
		}
	}
}

// balancerConfig translates ELBv2's records into the data plane's terms;
// tlsOf gives HTTPS listeners their TLS settings.
func balancerConfig(snap *elbv2.Snapshot, tlsOf func(elbv2.SnapshotListener) *lb.ListenerTLS) lb.Config {
	listenersByLB := map[string][]lb.Listener{}
	rulesByListener := map[string][]lb.Rule{}
	for _, r := range snap.Rules {
		rule := lb.Rule{Priority: r.Priority, Actions: actions(r.Actions)}
		for _, cond := range r.Conditions {
			rule.Conditions = append(rule.Conditions, lb.Condition{Field: cond.Field, Values: cond.Values, HeaderName: cond.HeaderName})
		}
		rulesByListener[r.ListenerARN] = append(rulesByListener[r.ListenerARN], rule)
	}
	for _, l := range snap.Listeners {
		listener := lb.Listener{
			ARN:            l.ARN,
			Port:           l.Port,
			Protocol:       l.Protocol,
			DefaultActions: actions(l.DefaultActions),
			Rules:          rulesByListener[l.ARN],
		}
		if l.Protocol == "HTTPS" {
			listener.TLS = tlsOf(l)
		}
		listenersByLB[l.LoadBalancerARN] = append(listenersByLB[l.LoadBalancerARN], listener)
	}
	var cfg lb.Config
	for _, b := range snap.LoadBalancers {
		cfg.LoadBalancers = append(cfg.LoadBalancers, lb.LoadBalancer{ARN: b.ARN, DNSName: b.DNSName, Listeners: listenersByLB[b.ARN]})
	}
	for _, tg := range snap.TargetGroups {
		group := lb.TargetGroup{
			ARN:             tg.ARN,
			Protocol:        tg.Protocol,
			ProtocolVersion: tg.ProtocolVersion,
			Port:            tg.Port,
			HealthCheck: lb.HealthCheck{
				Enabled:            tg.HealthCheck.Enabled,
				Protocol:           tg.HealthCheck.Protocol,
				Path:               tg.HealthCheck.Path,
				Port:               tg.HealthCheck.Port,
				Interval:           tg.HealthCheck.Interval,
				Timeout:            tg.HealthCheck.Timeout,
				HealthyThreshold:   tg.HealthCheck.HealthyThreshold,
				UnhealthyThreshold: tg.HealthCheck.UnhealthyThreshold,
				Matcher:            tg.HealthCheck.Matcher,
			},
			DeregistrationDelay: tg.DeregistrationDelay,
		}
		for _, t := range tg.Targets {
			group.Targets = append(group.Targets, lb.Target{ID: t.ID, Port: t.Port})
		}
		cfg.TargetGroups = append(cfg.TargetGroups, group)
	}
	return cfg
}

func actions(in []elbv2.Action) []lb.Action {
	out := make([]lb.Action, 0, len(in))
	for _, a := range in {
		action := lb.Action{Type: a.Type}
		switch {
		case a.ForwardConfig != nil:
			for _, tg := range a.ForwardConfig.TargetGroups {
				action.TargetGroups = append(action.TargetGroups, lb.WeightedTargetGroup{ARN: tg.TargetGroupArn, Weight: elbv2.TupleWeight(tg)})
			}
		case a.TargetGroupArn != "":
			action.TargetGroups = []lb.WeightedTargetGroup{{ARN: a.TargetGroupArn, Weight: 1}}
		}
		if f := a.FixedResponseConfig; f != nil {
			code, _ := strconv.Atoi(f.StatusCode)
			action.FixedResponse = &lb.FixedResponse{StatusCode: code, ContentType: f.ContentType, Body: f.MessageBody}
		}
		if r := a.RedirectConfig; r != nil {
			action.Redirect = &lb.Redirect{Protocol: r.Protocol, Host: r.Host, Port: r.Port, Path: r.Path, Query: r.Query, StatusCode: elbv2.RedirectStatus(r)}
		}
		out = append(out, action)
	}
	return out
}

// deregistrationDelay is a target group's drain time, from the last snapshot.
func (c *Controller) deregistrationDelay(targetGroupARN string) time.Duration {
	if c.snapshot == nil {
		return 0
	}
	for _, tg := range c.snapshot.TargetGroups {
		if tg.ARN == targetGroupARN {
			return tg.DeregistrationDelay
		}
	}
	return 0
}

// recordHealth writes the balancer's health verdicts into ELBv2, where
// DescribeTargetHealth reads them.
func (c *Controller) recordHealth(ctx context.Context, changes []lb.TargetHealthChange) {
	for _, ch := range changes {
		target := elbv2.Target{ID: ch.Target.ID, Port: ch.Target.Port}
		scoped, err := inScopeOf(ctx, ch.TargetGroupARN)
		if err == nil {
			err = c.deps.ELBv2.SetTargetHealth(scoped, ch.TargetGroupARN, target, ch.State, ch.Reason, ch.Description)
		}
		if err != nil {
			c.log.Warn("recording target health", "group", ch.TargetGroupARN, "target", ch.Target.ID, "error", err)
		}
	}
}

// ListenerInfo says where a load balancer's listener really listens.
type ListenerInfo struct {
	ListenerARN     string `json:"listenerArn"`
	LoadBalancerARN string `json:"loadBalancerArn"`
	DNSName         string `json:"dnsName"`
	Port            int    `json:"port"`
	Address         string `json:"address"`
}

// Listeners reports every open listener, of every region, with its load
// balancer's DNS name.
func (c *Controller) Listeners(ctx context.Context) ([]ListenerInfo, error) {
	snap, err := c.routingSnapshot(ctx)
	if err != nil {
		return nil, err
	}
	dns := map[string]string{}
	for _, b := range snap.LoadBalancers {
		dns[b.ARN] = b.DNSName
	}
	out := []ListenerInfo{}
	for _, l := range c.deps.Balancer.Listeners() {
		out = append(out, ListenerInfo{ListenerARN: l.ListenerARN, LoadBalancerARN: l.LoadBalancerARN, DNSName: dns[l.LoadBalancerARN], Port: l.Port, Address: l.Address})
	}
	return out, nil
}
