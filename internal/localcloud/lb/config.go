package lb

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/berthdev/berth/internal/localcloud/secgroup"
)

// Config is the whole desired state of the load balancers; Apply reconciles
// the running data plane to it.
type Config struct {
	LoadBalancers []LoadBalancer
	TargetGroups  []TargetGroup
	// Firewall is the security groups that guard the load balancers and
	// their targets (see firewall.go); nil lets every connection through.
	Firewall *secgroup.Rules
	// Hosts say, by target id, where a target is reached and how security
	// groups see it. A target without one is reached at its id, which must
	// then be an IP address, and is not guarded.
	Hosts map[string]TargetHost
}

// TargetHost is where a registered target id is.
type TargetHost struct {
	// Address is the IP address to connect to; empty means the target id.
	Address  string
	Endpoint secgroup.Endpoint
}

// LoadBalancer is one Application Load Balancer.
type LoadBalancer struct {
	ARN string
	// DNSName lets HandlerForHost answer requests whose Host header names
	// this load balancer ("<name>-<id>.elb.localhost").
	DNSName   string
	Listeners []Listener
	// Endpoint is the load balancer as security groups see it: its groups
	// and its subnets.
	Endpoint secgroup.Endpoint
}

// Listener is one port of a load balancer.
type Listener struct {
	ARN  string
	Port int
	// Protocol is "HTTP" (default) or "HTTPS", which terminates TLS as TLS
	// says (an HTTPS listener without it fails every handshake).
	Protocol       string
	TLS            *ListenerTLS
	DefaultActions []Action
	Rules          []Rule
}

// Rule routes requests matching all its conditions; lower priorities are
// evaluated first and the listener's default actions run last.
type Rule struct {
	Priority   int
	Conditions []Condition
	Actions    []Action
}

// Condition fields.
const (
	FieldPathPattern       = "path-pattern"
	FieldHostHeader        = "host-header"
	FieldHTTPHeader        = "http-header"
	FieldHTTPRequestMethod = "http-request-method"
	FieldQueryString       = "query-string"
	FieldSourceIP          = "source-ip"
)

// Condition matches when any of its Values matches. Values of path-pattern,
// host-header, http-header and query-string may use the wildcards * and ?.
// A query-string value is "key=value" or just "value" (any key); a source-ip
// value is a CIDR block; http-header needs HeaderName.
type Condition struct {
	Field      string
	Values     []string
	HeaderName string
}

// Action types.
const (
	ActionForward       = "forward"
	ActionFixedResponse = "fixed-response"
	ActionRedirect      = "redirect"
)

// Action is what a matching rule does. Authentication actions
// ("authenticate-oidc", "authenticate-cognito") are accepted and skipped:
// the local cloud has no identity provider.
type Action struct {
	Type          string
	TargetGroups  []WeightedTargetGroup
	FixedResponse *FixedResponse
	Redirect      *Redirect
}

// WeightedTargetGroup is one target group of a forward action. With several
// groups, each gets a share of requests proportional to its weight (0–999).
type WeightedTargetGroup struct {
	ARN    string
	Weight int
}

// FixedResponse answers without a target.
type FixedResponse struct {
	StatusCode  int
	ContentType string
	Body        string
}

// Redirect answers with a redirect. Empty components keep the request's own,
// and components may use #{protocol}, #{host}, #{port}, #{path} (without its
// leading "/") and #{query}. StatusCode is 301 or 302 (0 means 302).
type Redirect struct {
	Protocol, Host, Port, Path, Query string
	StatusCode                        int
}

// TargetGroup is a set of targets with one health check.
type TargetGroup struct {
	ARN string
	// Protocol is "HTTP" (default) or "HTTPS": TLS to the targets, whose
	// certificates are not verified, as an ALB does not.
	Protocol string
	// ProtocolVersion is "HTTP1" (default), "HTTP2" or "GRPC": how requests
	// reach the targets, whatever the client spoke.
	ProtocolVersion string
	Port            int
	// HealthCheck's zero value disables checks (targets are "unavailable" and
	// still get traffic); zero fields of an enabled check take AWS's defaults.
	HealthCheck HealthCheck
	// DeregistrationDelay is how long a removed target drains; zero removes
	// it at once (AWS's default of 300 s is the caller's to apply).
	DeregistrationDelay time.Duration
	Targets             []Target
}

// Target is one registered target: an IP address, or an id that
// Config.Hosts resolves (an instance's). A zero Port means the group's port.
type Target struct {
	ID   string
	Port int
}

// HealthCheck configures the active health checks of a target group.
type HealthCheck struct {
	Enabled bool
	// Protocol is "HTTP" (default) or "HTTPS", whose checks do not verify
	// the target's certificate.
	Protocol string
	Path     string // default "/"
	// Port is "traffic-port" (default) or a port number.
	Port               string
	Interval           time.Duration // default 30 s
	Timeout            time.Duration // default 5 s
	HealthyThreshold   int           // default 5
	UnhealthyThreshold int           // default 2
	Matcher            string        // "200" (default), "200,202", "200-299"
}

// Target health states and reasons, as DescribeTargetHealth reports them.
const (
	StateInitial     = "initial"
	StateHealthy     = "healthy"
	StateUnhealthy   = "unhealthy"
	StateDraining    = "draining"
	StateUnused      = "unused"
	StateUnavailable = "unavailable"

	ReasonRegistrationInProgress   = "Elb.RegistrationInProgress"
	ReasonInitialHealthChecking    = "Elb.InitialHealthChecking"
	ReasonResponseCodeMismatch     = "Target.ResponseCodeMismatch"
	ReasonTimeout                  = "Target.Timeout"
	ReasonFailedHealthChecks       = "Target.FailedHealthChecks"
	ReasonDeregistrationInProgress = "Target.DeregistrationInProgress"
	ReasonNotRegistered            = "Target.NotRegistered"
	ReasonHealthCheckDisabled      = "Target.HealthCheckDisabled"
)

// TargetHealth is the health of one target.
type TargetHealth struct {
	Target      Target
	State       string
	Reason      string
	Description string
}

// TargetHealthChange reports a change of one target's health. A target that
// finished draining is reported once more as unused / Target.NotRegistered
// and then forgotten.
type TargetHealthChange struct {
	TargetGroupARN string
	TargetHealth
}

// statusRange is one span of a health check matcher.
type statusRange struct{ low, high int }

// config is a validated Config with defaults filled in.
type config struct {
	loadBalancers []LoadBalancer
	targetGroups  map[string]*targetGroupConfig
	firewall      *secgroup.Rules
	hosts         map[string]TargetHost
}

type targetGroupConfig struct {
	arn  string
	port int
	// secure is TLS to the targets (HTTPS); http2 is HTTP/2 to them.
	secure, http2       bool
	healthCheck         HealthCheck
	matcher             []statusRange
	deregistrationDelay time.Duration
	targets             []Target
}

func validate(cfg Config) (*config, error) {
	var problems []error
	fail := func(format string, args ...any) { problems = append(problems, fmt.Errorf(format, args...)) }

	valid := &config{targetGroups: make(map[string]*targetGroupConfig, len(cfg.TargetGroups)), firewall: cfg.Firewall, hosts: cfg.Hosts}
	for _, group := range cfg.TargetGroups {
		if group.ARN == "" {
			fail("target group without ARN")
			continue
		}
		if _, dup := valid.targetGroups[group.ARN]; dup {
			fail("target group %s appears twice", group.ARN)
			continue
		}
		normalized, err := normalizeTargetGroup(group, cfg.Hosts)
		if err != nil {
			fail("target group %s: %w", group.ARN, err)
			continue
		}
		valid.targetGroups[group.ARN] = normalized
	}

	seenBalancers := map[string]bool{}
	seenListeners := map[string]bool{}
	for _, balancer := range cfg.LoadBalancers {
		if balancer.ARN == "" {
			fail("load balancer without ARN")
			continue
		}
		if seenBalancers[balancer.ARN] {
			fail("load balancer %s appears twice", balancer.ARN)
			continue
		}
		seenBalancers[balancer.ARN] = true
		copied := balancer
		copied.Listeners = nil
		for _, listener := range balancer.Listeners {
			if listener.ARN == "" {
				fail("load balancer %s: listener without ARN", balancer.ARN)
				continue
			}
			if seenListeners[listener.ARN] {
				fail("listener %s appears twice", listener.ARN)
				continue
			}
			seenListeners[listener.ARN] = true
			if err := validateListener(listener, valid.targetGroups); err != nil {
				fail("listener %s: %w", listener.ARN, err)
				continue
			}
			if listener.Protocol == "" {
				listener.Protocol = "HTTP"
			}
			copied.Listeners = append(copied.Listeners, listener)
		}
		valid.loadBalancers = append(valid.loadBalancers, copied)
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("invalid load balancer configuration: %w", errors.Join(problems...))
	}
	return valid, nil
}

func normalizeTargetGroup(group TargetGroup, hosts map[string]TargetHost) (*targetGroupConfig, error) {
	if group.Port < 0 || group.Port > 65535 {
		return nil, fmt.Errorf("port %d out of range", group.Port)
	}
	if group.DeregistrationDelay < 0 {
		return nil, fmt.Errorf("negative deregistration delay %v", group.DeregistrationDelay)
	}
	check := group.HealthCheck
	if check.Protocol == "" {
		check.Protocol = "HTTP"
	}
	if check.Path == "" {
		check.Path = "/"
	}
	if !strings.HasPrefix(check.Path, "/") {
		return nil, fmt.Errorf("health check path %q must start with /", check.Path)
	}
	if check.Port == "" {
		check.Port = "traffic-port"
	}
	if check.Port != "traffic-port" {
		port, err := strconv.Atoi(check.Port)
		if err != nil || port < 1 || port > 65535 {
			return nil, fmt.Errorf("health check port %q is neither traffic-port nor a port number", check.Port)
		}
	}
	if check.Interval <= 0 {
		check.Interval = 30 * time.Second
	}
	if check.Timeout <= 0 {
		check.Timeout = 5 * time.Second
	}
	if check.HealthyThreshold <= 0 {
		check.HealthyThreshold = 5
	}
	if check.UnhealthyThreshold <= 0 {
		check.UnhealthyThreshold = 2
	}
	if check.Matcher == "" {
		check.Matcher = "200"
	}
	matcher, err := parseMatcher(check.Matcher)
	if err != nil {
		return nil, err
	}
	switch group.Protocol {
	case "", "HTTP", "HTTPS":
	default:
		return nil, fmt.Errorf("protocol %q is not supported by an application load balancer", group.Protocol)
	}
	switch check.Protocol {
	case "HTTP", "HTTPS":
	default:
		return nil, fmt.Errorf("health check protocol %q is neither HTTP nor HTTPS", check.Protocol)
	}
	normalized := &targetGroupConfig{
		arn:                 group.ARN,
		port:                group.Port,
		secure:              group.Protocol == "HTTPS",
		http2:               group.ProtocolVersion == "HTTP2" || group.ProtocolVersion == "GRPC",
		healthCheck:         check,
		matcher:             matcher,
		deregistrationDelay: group.DeregistrationDelay,
	}
	seen := map[Target]bool{}
	for _, target := range group.Targets {
		if target.Port == 0 {
			target.Port = group.Port
		}
		if _, err := netip.ParseAddr(hostAddress(target.ID, hosts)); err != nil {
			return nil, fmt.Errorf("target %q is neither an IP address nor a known host: %w", target.ID, err)
		}
		if target.Port < 1 || target.Port > 65535 {
			return nil, fmt.Errorf("target %s: port %d out of range", target.ID, target.Port)
		}
		if seen[target] {
			continue // registering twice is a no-op, as in ELBv2
		}
		seen[target] = true
		normalized.targets = append(normalized.targets, target)
	}
	return normalized, nil
}

func parseMatcher(matcher string) ([]statusRange, error) {
	var ranges []statusRange
	for _, part := range strings.Split(matcher, ",") {
		part = strings.TrimSpace(part)
		lowText, highText, isRange := strings.Cut(part, "-")
		low, err := strconv.Atoi(lowText)
		high := low
		if err == nil && isRange {
			high, err = strconv.Atoi(highText)
		}
		if err != nil || low < 100 || high > 599 || low > high {
			return nil, fmt.Errorf("health check matcher %q: %q is not a status code or range", matcher, part)
		}
		ranges = append(ranges, statusRange{low, high})
	}
	return ranges, nil
}

func validateListener(listener Listener, groups map[string]*targetGroupConfig) error {
	if listener.Port < 0 || listener.Port > 65535 {
		return fmt.Errorf("port %d out of range", listener.Port)
	}
	switch listener.Protocol {
	case "", "HTTP", "HTTPS":
	default:
		return fmt.Errorf("protocol %q is not supported by an application load balancer", listener.Protocol)
	}
	if err := validateActions(listener.DefaultActions, groups); err != nil {
		return fmt.Errorf("default actions: %w", err)
	}
	priorities := map[int]bool{}
	for _, rule := range listener.Rules {
		if priorities[rule.Priority] {
			return fmt.Errorf("two rules with priority %d", rule.Priority)
		}
		priorities[rule.Priority] = true
		for _, condition := range rule.Conditions {
			if err := validateCondition(condition); err != nil {
				return fmt.Errorf("rule %d: %w", rule.Priority, err)
			}
		}
		if err := validateActions(rule.Actions, groups); err != nil {
			return fmt.Errorf("rule %d: %w", rule.Priority, err)
		}
	}
	return nil
}

func validateCondition(condition Condition) error {
	if len(condition.Values) == 0 {
		return fmt.Errorf("condition %s has no values", condition.Field)
	}
	switch condition.Field {
	case FieldPathPattern, FieldHostHeader, FieldHTTPRequestMethod, FieldQueryString:
	case FieldHTTPHeader:
		if condition.HeaderName == "" {
			return errors.New("http-header condition without header name")
		}
	case FieldSourceIP:
		for _, value := range condition.Values {
			if _, err := netip.ParsePrefix(value); err != nil {
				return fmt.Errorf("source-ip %q: %w", value, err)
			}
		}
	default:
		return fmt.Errorf("unknown condition field %q", condition.Field)
	}
	return nil
}

func validateActions(actions []Action, groups map[string]*targetGroupConfig) error {
	if len(actions) == 0 {
		return errors.New("no actions")
	}
	terminal := 0
	for _, action := range actions {
		switch action.Type {
		case "authenticate-oidc", "authenticate-cognito":
			continue
		case ActionForward:
			if len(action.TargetGroups) == 0 {
				return errors.New("forward action without target groups")
			}
			for _, weighted := range action.TargetGroups {
				if groups[weighted.ARN] == nil {
					return fmt.Errorf("forward to unknown target group %q", weighted.ARN)
				}
				if weighted.Weight < 0 || weighted.Weight > 999 {
					return fmt.Errorf("target group %s: weight %d out of range 0-999", weighted.ARN, weighted.Weight)
				}
			}
		case ActionFixedResponse:
			if action.FixedResponse == nil {
				return errors.New("fixed-response action without its response")
			}
			if code := action.FixedResponse.StatusCode; code < 200 || code > 599 || code/100 == 3 {
				return fmt.Errorf("fixed-response status %d is not 2XX, 4XX or 5XX", code)
			}
		case ActionRedirect:
			if action.Redirect == nil {
				return errors.New("redirect action without its redirect")
			}
			switch action.Redirect.StatusCode {
			case 0, 301, 302:
			default:
				return fmt.Errorf("redirect status %d is neither 301 nor 302", action.Redirect.StatusCode)
			}
		default:
			return fmt.Errorf("unknown action type %q", action.Type)
		}
		terminal++
	}
	if terminal != 1 {
		return fmt.Errorf("%d forward, fixed-response or redirect actions; want exactly one", terminal)
	}
	return nil
}
