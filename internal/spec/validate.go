package spec

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

var (
	// name prefixes resource names such as "<name>-tg"; AWS caps target
	// group and load balancer names at 32 characters, hence 23 here.
	namePattern = regexp.MustCompile(`^[a-z][a-z0-9-]{0,22}$`)
	// regionPattern catches slips such as "eu-west1" without hard-coding the
	// list of regions, which grows every year.
	regionPattern       = regexp.MustCompile(`^[a-z]{2,4}(-[a-z0-9]+)+-[0-9]+$`)
	instanceTypePattern = regexp.MustCompile(`^[a-z0-9-]+\.[a-z0-9-]+$`)
)

// validate checks the decoded values against the ranges AWS accepts and
// against each other. Fields that already failed decoding are skipped.
func (d *decoder) validate(s *Spec) {
	v := validator{d}
	if v.ok("name") && s.Name != "" && !namePattern.MatchString(s.Name) {
		d.errorf("name", "must start with a lowercase letter and hold at most 23 lowercase letters, digits and hyphens, because it prefixes every AWS resource name (got %q)", s.Name)
	} else if v.ok("name") && (strings.HasPrefix(s.Name, "internal-") || strings.HasSuffix(s.Name, "-")) {
		d.errorf("name", "must not start with \"internal-\" or end with a hyphen: AWS refuses such load balancer names, and the load balancer is named after the stack (got %q)", s.Name)
	}
	if v.ok("region") && s.Region != "" && !regionPattern.MatchString(s.Region) {
		d.errorf("region", "must be an AWS region such as eu-west-1, or be left out to let the AWS config decide (got %q)", s.Region)
	}
	v.service(&s.Service)
	v.capacity(&s.Capacity)
	if s.Service.Placement == PlacementDistinctInstance && v.ok("service.count") && v.ok("service.placement") && v.ok("capacity.max") && s.Service.Count > s.Capacity.Max {
		d.errorf("service.count", "placement %s runs at most one task per instance and capacity.max is %d, so %d tasks can never all start; lower count, raise capacity.max or use placement: spread", PlacementDistinctInstance, s.Capacity.Max, s.Service.Count)
	}
	v.between("load_balancer.port", s.LoadBalancer.Port, 1, 65535)
	if v.ok("logs.retention_days") && !slices.Contains(retentionDays, s.Logs.RetentionDays) {
		d.errorf("logs.retention_days", "must be one of the values CloudWatch Logs accepts: %s (got %d)", joinInts(retentionDays), s.Logs.RetentionDays)
	}
	if s.Local != nil {
		v.local(s.Local)
	}
}

type validator struct{ d *decoder }

// ok reports whether path and every section enclosing it decoded cleanly;
// a missing or mistyped section would otherwise drag in errors about its
// defaults.
func (v validator) ok(path string) bool {
	for p := path; p != ""; p = parent(p) {
		if v.d.bad[p] {
			return false
		}
	}
	return true
}

func (v validator) between(path string, got, lo, hi int) {
	if v.ok(path) && (got < lo || got > hi) {
		v.d.errorf(path, "must be between %d and %d (got %d)", lo, hi, got)
	}
}

func (v validator) service(svc *Service) {
	d := v.d
	if v.ok("service.image") && svc.Image != "" && strings.ContainsAny(svc.Image, " \t\n") {
		d.errorf("service.image", "must be an image reference without spaces (got %q)", svc.Image)
	}
	v.between("service.port", svc.Port, 1, 65535)
	v.between("service.count", svc.Count, 0, 100)
	v.between("service.cpu", svc.CPU, 128, 10240)
	v.between("service.memory", svc.Memory, 128, 30720)
	if v.ok("service.placement") && !slices.Contains(placements, svc.Placement) {
		d.errorf("service.placement", "must be %s (got %q)", quotedList(placements), svc.Placement)
	}
	hc := &svc.HealthCheck
	if v.ok("service.health_check.path") {
		if !strings.HasPrefix(hc.Path, "/") {
			d.errorf("service.health_check.path", "must start with / (got %q)", hc.Path)
		} else if len(hc.Path) > 1024 {
			d.errorf("service.health_check.path", "must be at most 1024 characters, the ALB limit (got %d)", len(hc.Path))
		}
	}
	v.between("service.health_check.interval", hc.Interval, 5, 300)
	v.between("service.health_check.timeout", hc.Timeout, 2, 120)
	if v.ok("service.health_check.interval") && v.ok("service.health_check.timeout") && hc.Timeout >= hc.Interval {
		d.errorf("service.health_check.timeout", "must be less than service.health_check.interval (%d), since a check cannot outlast the gap between checks (got %d)", hc.Interval, hc.Timeout)
	}
	v.between("service.health_check.healthy_threshold", hc.HealthyThreshold, 2, 10)
	v.between("service.health_check.unhealthy_threshold", hc.UnhealthyThreshold, 2, 10)
	if v.ok("service.health_check.matcher") {
		if err := checkMatcher(hc.Matcher); err != nil {
			d.errorf("service.health_check.matcher", "%v", err)
		}
	}
	v.between("service.deregistration_delay", svc.DeregistrationDelay, 0, 3600)
}

func (v validator) capacity(c *Capacity) {
	d := v.d
	if v.ok("capacity.provider") {
		switch {
		case c.Provider == "fargate":
			d.errorf("capacity.provider", "fargate is not supported yet; use %q (EC2 instances in an Auto Scaling group)", ProviderEC2)
		case !slices.Contains(providers, c.Provider):
			d.errorf("capacity.provider", "must be %s (got %q)", quotedList(providers), c.Provider)
		}
	}
	if v.ok("capacity.instance_type") && !instanceTypePattern.MatchString(c.InstanceType) {
		d.errorf("capacity.instance_type", "must be an EC2 instance type such as t2.medium (got %q)", c.InstanceType)
	}
	if v.ok("capacity.min") && c.Min < 0 {
		d.errorf("capacity.min", "must not be negative (got %d)", c.Min)
	}
	if v.ok("capacity.max") && c.Max < 1 {
		d.errorf("capacity.max", "must be at least 1 (got %d)", c.Max)
	}
	if v.ok("capacity.min") && v.ok("capacity.max") && c.Min >= 0 && c.Max >= 1 && c.Min > c.Max {
		d.errorf("capacity.min", "must not exceed capacity.max, which is %d (got %d)", c.Max, c.Min)
	}
}

func (v validator) local(l *Local) {
	d := v.d
	if v.ok("local.command") && d.values["local.command"] != nil {
		if len(l.Command) == 0 {
			d.errorf("local.command", "must name the program to run, e.g. [python3, -m, uvicorn, main:app]")
		} else if strings.TrimSpace(l.Command[0]) == "" {
			d.errorf("local.command[0]", "the program to run must not be empty")
		}
	}
	if v.ok("local.dir") && l.Dir == "" {
		d.errorf("local.dir", "must not be empty; leave it out to use the spec file's directory")
	}
}

// checkMatcher accepts the ALB HTTP matcher forms: one code, a comma list of
// codes, or a single range, all within 200-499.
func checkMatcher(m string) error {
	const hint = `must be an HTTP code, a comma list or a range within 200-499, such as "200", "200,202" or "200-299"`
	if lo, hi, isRange := strings.Cut(m, "-"); isRange {
		l, errLo := httpCode(lo)
		h, errHi := httpCode(hi)
		if errLo != nil || errHi != nil || l > h {
			return fmt.Errorf("%s (got %q)", hint, m)
		}
		return nil
	}
	for _, code := range strings.Split(m, ",") {
		if _, err := httpCode(code); err != nil {
			return fmt.Errorf("%s (got %q)", hint, m)
		}
	}
	return nil
}

func httpCode(s string) (int, error) {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil {
		return 0, fmt.Errorf("not a number: %w", err)
	}
	if n < 200 || n > 499 {
		return 0, fmt.Errorf("%d is outside 200-499", n)
	}
	return n, nil
}

func quotedList(values []string) string {
	q := make([]string, len(values))
	for i, v := range values {
		q[i] = strconv.Quote(v)
	}
	if len(q) == 1 {
		return q[0]
	}
	return strings.Join(q[:len(q)-1], ", ") + " or " + q[len(q)-1]
}

func joinInts(values []int) string {
	s := make([]string, len(values))
	for i, v := range values {
		s[i] = strconv.Itoa(v)
	}
	return strings.Join(s, ", ")
}
