package elbv2

import (
	"context"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"time"

	"github.com/berthdev/berth/internal/localcloud/protocol"
	"github.com/berthdev/berth/internal/localcloud/store"
)

// defaultTargetGroupAttributes are an ALB target group's attributes before
// any change.
func defaultTargetGroupAttributes() map[string]string {
	return map[string]string{
		"deregistration_delay.timeout_seconds":                                           "300",
		"stickiness.enabled":                                                             "false",
		"stickiness.type":                                                                "lb_cookie",
		"stickiness.lb_cookie.duration_seconds":                                          "86400",
		"stickiness.app_cookie.cookie_name":                                              "",
		"stickiness.app_cookie.duration_seconds":                                         "86400",
		"slow_start.duration_seconds":                                                    "0",
		"load_balancing.algorithm.type":                                                  "round_robin",
		"load_balancing.algorithm.anomaly_mitigation":                                    "off",
		"load_balancing.cross_zone.enabled":                                              "use_load_balancer_configuration",
		"target_group_health.dns_failover.minimum_healthy_targets.count":                 "1",
		"target_group_health.dns_failover.minimum_healthy_targets.percentage":            "off",
		"target_group_health.unhealthy_state_routing.minimum_healthy_targets.count":      "1",
		"target_group_health.unhealthy_state_routing.minimum_healthy_targets.percentage": "off",
	}
}

func checkTargetGroupAttribute(key, value string, attrs map[string]string) error {
	intRange := func(low, high int) error {
		n, err := strconv.Atoi(value)
		if err != nil || n < low || n > high {
			return validationError("Target group attribute '%s' must be an integer between %d and %d", key, low, high)
		}
		return nil
	}
	oneOf := func(allowed ...string) error {
		if !slices.Contains(allowed, value) {
			return validationError("Target group attribute '%s' must be one of %v", key, allowed)
		}
		return nil
	}
	switch key {
	case "deregistration_delay.timeout_seconds":
		return intRange(0, 3600)
	case "stickiness.enabled":
		return oneOf("true", "false")
	case "stickiness.type":
		return oneOf("lb_cookie", "app_cookie")
	case "stickiness.lb_cookie.duration_seconds", "stickiness.app_cookie.duration_seconds":
		return intRange(1, 604800)
	case "stickiness.app_cookie.cookie_name":
		return nil
	case "slow_start.duration_seconds":
		if value == "0" {
			return nil
		}
		if err := intRange(30, 900); err != nil {
			return validationError("Target group attribute '%s' must be 0 or an integer between 30 and 900", key)
		}
		if attrs["load_balancing.algorithm.type"] == "least_outstanding_requests" {
			return invalidConfiguration("Slow start cannot be enabled with the least outstanding requests algorithm")
		}
		return nil
	case "load_balancing.algorithm.type":
		return oneOf("round_robin", "least_outstanding_requests", "weighted_random")
	case "load_balancing.algorithm.anomaly_mitigation":
		return oneOf("on", "off")
	case "load_balancing.cross_zone.enabled":
		return oneOf("true", "false", "use_load_balancer_configuration")
	case "target_group_health.dns_failover.minimum_healthy_targets.count",
		"target_group_health.unhealthy_state_routing.minimum_healthy_targets.count":
		if value == "off" {
			return nil
		}
		return intRange(1, 1000000)
	case "target_group_health.dns_failover.minimum_healthy_targets.percentage",
		"target_group_health.unhealthy_state_routing.minimum_healthy_targets.percentage":
		if value == "off" {
			return nil
		}
		return intRange(1, 100)
	}
	return validationError("Target group attribute key '%s' is not recognized", key)
}

// TargetGroupRequest is a CreateTargetGroup (or, with nil meaning "keep",
// ModifyTargetGroup) call in domain terms.
type TargetGroupRequest struct {
	Name                       string
	Protocol                   string
	ProtocolVersion            string
	Port                       *int
	VpcID                      string
	TargetType                 string
	IPAddressType              string
	HealthCheckEnabled         *bool
	HealthCheckProtocol        string
	HealthCheckPort            string
	HealthCheckPath            string
	HealthCheckIntervalSeconds *int
	HealthCheckTimeoutSeconds  *int
	HealthyThresholdCount      *int
	UnhealthyThresholdCount    *int
	Matcher                    string
	Tags                       []Tag
}

var matcherPattern = regexp.MustCompile(`^\d{3}(-\d{3})?(,\d{3}(-\d{3})?)*$`)

// applyHealthCheck overlays the request's health check members on hc and
// validates the result the way AWS does.
func applyHealthCheck(hc *HealthCheckConfig, req TargetGroupRequest) error {
	if req.HealthCheckEnabled != nil {
		hc.Enabled = *req.HealthCheckEnabled
	}
	if req.HealthCheckProtocol != "" {
		if req.HealthCheckProtocol != "HTTP" && req.HealthCheckProtocol != "HTTPS" {
			return validationError("Health check protocol '%s' is not supported for target groups with the HTTP/HTTPS protocol", req.HealthCheckProtocol)
		}
		hc.Protocol = req.HealthCheckProtocol
	}
	if req.HealthCheckPort != "" {
		if req.HealthCheckPort != "traffic-port" {
			n, err := strconv.Atoi(req.HealthCheckPort)
			if err != nil || n < 1 || n > 65535 {
				return validationError("Health check port '%s' must be 'traffic-port' or a number between 1 and 65535", req.HealthCheckPort)
			}
		}
		hc.Port = req.HealthCheckPort
	}
	if req.HealthCheckPath != "" {
		if len(req.HealthCheckPath) > 1024 || req.HealthCheckPath[0] != '/' {
			return validationError("Health check path '%s' must begin with '/' and be at most 1024 characters", req.HealthCheckPath)
		}
		hc.Path = req.HealthCheckPath
	}
	inRange := func(name string, v *int, low, high int, dst *int) error {
		if v == nil {
			return nil
		}
		if *v < low || *v > high {
			return validationError("1 validation error detected: Value '%d' at '%s' failed to satisfy constraint: Member must have value between %d and %d", *v, name, low, high)
		}
		*dst = *v
		return nil
	}
	if err := inRange("healthCheckIntervalSeconds", req.HealthCheckIntervalSeconds, 5, 300, &hc.IntervalSeconds); err != nil {
		return err
	}
	if err := inRange("healthCheckTimeoutSeconds", req.HealthCheckTimeoutSeconds, 2, 120, &hc.TimeoutSeconds); err != nil {
		return err
	}
	if err := inRange("healthyThresholdCount", req.HealthyThresholdCount, 2, 10, &hc.HealthyThreshold); err != nil {
		return err
	}
	if err := inRange("unhealthyThresholdCount", req.UnhealthyThresholdCount, 2, 10, &hc.UnhealthyThreshold); err != nil {
		return err
	}
	if req.Matcher != "" {
		if !matcherPattern.MatchString(req.Matcher) {
			return validationError("Health check matcher HTTP code '%s' must be a code or range between 200 and 499, e.g. '200', '200,202' or '200-299'", req.Matcher)
		}
		hc.Matcher = req.Matcher
	}
	if hc.TimeoutSeconds >= hc.IntervalSeconds {
		return validationError("Health check timeout '%d' must be smaller than the interval '%d'", hc.TimeoutSeconds, hc.IntervalSeconds)
	}
	return nil
}

// CreateTargetGroup creates a target group, or returns the existing one of
// the same name when its settings are identical.
func (b *Backend) CreateTargetGroup(ctx context.Context, req TargetGroupRequest) (*TargetGroup, error) {
	if err := validateName("Target group", req.Name); err != nil {
		return nil, err
	}
	if req.TargetType == "" {
		req.TargetType = "instance"
	}
	if req.TargetType != "instance" && req.TargetType != "ip" {
		return nil, validationError("Target type '%s' is not supported by the local cloud; use 'instance' or 'ip'", req.TargetType)
	}
	if err := required("protocol", req.Protocol != ""); err != nil {
		return nil, validationError("A protocol must be specified for target groups with the target type '%s'", req.TargetType)
	}
	if req.Protocol != "HTTP" && req.Protocol != "HTTPS" {
		return nil, protocol.Errorf(codeUnsupportedProtocol, "Protocol '%s' is not supported by the local cloud; application load balancers use HTTP or HTTPS", req.Protocol)
	}
	if req.Port == nil {
		return nil, validationError("A port must be specified for target groups with the target type '%s'", req.TargetType)
	}
	if err := checkPort(*req.Port); err != nil {
		return nil, err
	}
	if req.VpcID == "" {
		return nil, validationError("A VPC ID must be specified for target groups with the target type '%s'", req.TargetType)
	}
	if b.VPCExists != nil {
		exists, err := b.VPCExists(ctx, req.VpcID)
		if err != nil {
			return nil, internalError(err)
		}
		if !exists {
			return nil, validationError("The VPC ID '%s' is not found", req.VpcID)
		}
	}
	if req.ProtocolVersion == "" {
		req.ProtocolVersion = "HTTP1"
	}
	if !slices.Contains([]string{"HTTP1", "HTTP2", "GRPC"}, req.ProtocolVersion) {
		return nil, validationError("Protocol version '%s' must be one of HTTP1, HTTP2, GRPC", req.ProtocolVersion)
	}
	if req.IPAddressType == "" {
		req.IPAddressType = "ipv4"
	}
	if req.IPAddressType != "ipv4" && req.IPAddressType != "ipv6" {
		return nil, validationError("IP address type '%s' must be 'ipv4' or 'ipv6'", req.IPAddressType)
	}
	if err := validateTags(req.Tags); err != nil {
		return nil, err
	}
	hc := HealthCheckConfig{
		Enabled: true, Protocol: req.Protocol, Port: "traffic-port", Path: "/",
		IntervalSeconds: 30, TimeoutSeconds: 5, HealthyThreshold: 5, UnhealthyThreshold: 2, Matcher: "200",
	}
	if req.ProtocolVersion == "GRPC" {
		hc.Path, hc.Matcher = "/AWS.ALB/healthcheck", "12"
	}
	if err := applyHealthCheck(&hc, req); err != nil {
		return nil, err
	}
	tg := &TargetGroup{
		Name:            req.Name,
		Protocol:        req.Protocol,
		ProtocolVersion: req.ProtocolVersion,
		Port:            *req.Port,
		VpcID:           req.VpcID,
		TargetType:      req.TargetType,
		IPAddressType:   req.IPAddressType,
		HealthCheck:     hc,
		CreatedTime:     b.now().UTC(),
		Attributes:      defaultTargetGroupAttributes(),
		Tags:            append([]Tag{}, req.Tags...),
		Targets:         []Registration{},
	}
	err := b.store.Update(ctx, func(tx *store.Tx) error {
		all, err := store.List[TargetGroup](tx, tableTargetGroups)
		if err != nil {
			return err
		}
		for _, existing := range all {
			if existing.Name != req.Name {
				continue
			}
			if existing.Protocol == tg.Protocol && existing.Port == tg.Port && existing.VpcID == tg.VpcID &&
				existing.TargetType == tg.TargetType && existing.HealthCheck == tg.HealthCheck {
				tg = existing
				return nil
			}
			return protocol.Errorf(codeDuplicateTargetGroupName, "A target group with the same name '%s' exists, but with different settings", req.Name)
		}
		tg.ARN = tx.ARN("elasticloadbalancing", "targetgroup/"+req.Name+"/"+store.RandomHex(16))
		return tx.Put(tableTargetGroups, tg.ARN, tg)
	})
	if err != nil {
		return nil, internalError(err)
	}
	return tg, nil
}

// TargetGroups returns target groups by ARN, by name, or of a load balancer
// (those its listeners and rules forward to), or all of them.
func (b *Backend) TargetGroups(ctx context.Context, loadBalancerARN string, arns, names []string) ([]*TargetGroup, map[string][]string, error) {
	var out []*TargetGroup
	var users map[string][]string
	err := b.store.View(ctx, func(tx *store.Tx) error {
		if (loadBalancerARN != "" && (len(arns) > 0 || len(names) > 0)) || (len(arns) > 0 && len(names) > 0) {
			return validationError("Target group ARNs, names and a load balancer ARN cannot be specified at the same time")
		}
		var err error
		if users, err = targetGroupUsers(tx); err != nil {
			return err
		}
		if len(arns) > 0 {
			// Asked by ARN (what the deployer and the bench do): read
			// those groups only, not every group of the region.
			for _, arn := range arns {
				tg, err := getFound[TargetGroup](tx, tableTargetGroups, arn, targetGroupNotFound)
				if err != nil {
					return err
				}
				out = append(out, tg)
			}
			return nil
		}
		all, err := store.List[TargetGroup](tx, tableTargetGroups)
		if err != nil {
			return err
		}
		slices.SortFunc(all, func(x, y *TargetGroup) int { return x.CreatedTime.Compare(y.CreatedTime) })
		switch {
		case loadBalancerARN != "":
			if _, err := getFound[LoadBalancer](tx, tableLoadBalancers, loadBalancerARN, loadBalancerNotFound); err != nil {
				return err
			}
			for _, tg := range all {
				if slices.Contains(users[tg.ARN], loadBalancerARN) {
					out = append(out, tg)
				}
			}
		case len(names) > 0:
			for _, name := range names {
				i := slices.IndexFunc(all, func(tg *TargetGroup) bool { return tg.Name == name })
				if i < 0 {
					return targetGroupNotFound()
				}
				out = append(out, all[i])
			}
		default:
			out = all
		}
		return nil
	})
	return out, users, internalError(err)
}

// targetGroupUsers maps each target group ARN to the load balancers whose
// listeners or rules forward to it.
func targetGroupUsers(tx *store.Tx) (map[string][]string, error) {
	users := map[string][]string{}
	add := func(tgARN, lbARN string) {
		if !slices.Contains(users[tgARN], lbARN) {
			users[tgARN] = append(users[tgARN], lbARN)
		}
	}
	listeners, err := store.List[Listener](tx, tableListeners)
	if err != nil {
		return nil, err
	}
	lbOfListener := map[string]string{}
	for _, l := range listeners {
		lbOfListener[l.ARN] = l.LoadBalancerARN
		for _, tgARN := range forwardTargets(l.DefaultActions) {
			add(tgARN, l.LoadBalancerARN)
		}
	}
	rules, err := store.List[Rule](tx, tableRules)
	if err != nil {
		return nil, err
	}
	for _, r := range rules {
		for _, tgARN := range forwardTargets(r.Actions) {
			add(tgARN, lbOfListener[r.ListenerARN])
		}
	}
	for _, lbs := range users {
		slices.Sort(lbs)
	}
	return users, nil
}

// forwardTargets lists the target groups that actions forward to.
func forwardTargets(actions []Action) []string {
	var arns []string
	for _, a := range actions {
		if a.Type != "forward" {
			continue
		}
		if a.TargetGroupArn != "" && !slices.Contains(arns, a.TargetGroupArn) {
			arns = append(arns, a.TargetGroupArn)
		}
		if a.ForwardConfig != nil {
			for _, t := range a.ForwardConfig.TargetGroups {
				if !slices.Contains(arns, t.TargetGroupArn) {
					arns = append(arns, t.TargetGroupArn)
				}
			}
		}
	}
	return arns
}

// updateTargetGroup is an atomic read-modify-write of one target group.
func (b *Backend) updateTargetGroup(ctx context.Context, arn string, fn func(tx *store.Tx, tg *TargetGroup) error) (*TargetGroup, error) {
	var out *TargetGroup
	err := b.store.Update(ctx, func(tx *store.Tx) error {
		tg, err := getFound[TargetGroup](tx, tableTargetGroups, arn, targetGroupNotFound)
		if err != nil {
			return err
		}
		if err := fn(tx, tg); err != nil {
			return err
		}
		out = tg
		return tx.Put(tableTargetGroups, arn, tg)
	})
	return out, internalError(err)
}

// ModifyTargetGroup changes a target group's health check.
func (b *Backend) ModifyTargetGroup(ctx context.Context, arn string, req TargetGroupRequest) (*TargetGroup, error) {
	return b.updateTargetGroup(ctx, arn, func(_ *store.Tx, tg *TargetGroup) error {
		return applyHealthCheck(&tg.HealthCheck, req)
	})
}

// DeleteTargetGroup deletes a target group no listener or rule forwards to.
// Deleting one that is already gone succeeds.
func (b *Backend) DeleteTargetGroup(ctx context.Context, arn string) error {
	return internalError(b.store.Update(ctx, func(tx *store.Tx) error {
		tg, err := store.Get[TargetGroup](tx, tableTargetGroups, arn)
		if err != nil || tg == nil {
			return err
		}
		users, err := targetGroupUsers(tx)
		if err != nil {
			return err
		}
		if len(users[arn]) > 0 {
			return resourceInUse("Target group '%s' is currently in use by a listener or a rule", arn)
		}
		return tx.Delete(tableTargetGroups, arn)
	}))
}

// ModifyTargetGroupAttributes validates and sets attributes, returning all.
func (b *Backend) ModifyTargetGroupAttributes(ctx context.Context, arn string, attrs map[string]string) (map[string]string, error) {
	tg, err := b.updateTargetGroup(ctx, arn, func(_ *store.Tx, tg *TargetGroup) error {
		merged := maps.Clone(tg.Attributes)
		maps.Copy(merged, attrs)
		for key, value := range attrs {
			if err := checkTargetGroupAttribute(key, value, merged); err != nil {
				return err
			}
		}
		if merged["load_balancing.algorithm.type"] == "least_outstanding_requests" && merged["slow_start.duration_seconds"] != "0" {
			return invalidConfiguration("Slow start cannot be enabled with the least outstanding requests algorithm")
		}
		tg.Attributes = merged
		return nil
	})
	if err != nil {
		return nil, err
	}
	return tg.Attributes, nil
}

// deregistrationDelay is the group's draining time.
func (tg *TargetGroup) deregistrationDelay() time.Duration {
	seconds, err := strconv.Atoi(tg.Attributes["deregistration_delay.timeout_seconds"])
	if err != nil {
		seconds = 300
	}
	return time.Duration(seconds) * time.Second
}
