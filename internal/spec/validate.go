package spec

import (
	"errors"
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
	// domainLabel is one label of a DNS name, as ACM accepts it.
	domainLabel = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$`)
	// certificateARNPattern is an ACM certificate's ARN in any partition;
	// its region is the fourth field.
	certificateARNPattern = regexp.MustCompile(`^arn:aws[a-z-]*:acm:([a-z0-9-]+):[0-9]{12}:certificate/[A-Za-z0-9-]+$`)
)

// Bounds of the autoscaling keys.
const (
	maxTasks             = 100
	maxRequestsPerTarget = 1000000
	maxCooldown          = 86400 // a day
)

// derive sets the defaults that depend on other keys of the file, which
// defaults cannot know; validate then only checks.
func (d *decoder) derive(s *Spec) {
	v := validator{d}
	if a := s.Service.Autoscaling; a != nil && d.values["service.count"] == nil && v.ok("service.autoscaling.min") {
		// Autoscaling owns the count; the service starts at its minimum.
		s.Service.Count = a.Min
	}
	if c := &s.Capacity; c.Provider == ProviderFargate || c.Provider == ProviderFargateSpot {
		// Fargate has no instances: the EC2 defaults do not apply, and the
		// chosen provider carries the tasks unless weights say otherwise.
		c.InstanceType, c.InstanceTypes, c.Min, c.Max, c.TargetCapacity = "", nil, 0, 0, 0
		if d.values["capacity.fargate_weight"] == nil && c.Provider == ProviderFargate {
			c.FargateWeight = 1
		}
		if d.values["capacity.fargate_spot_weight"] == nil && c.Provider == ProviderFargateSpot {
			c.FargateSpotWeight = 1
		}
	}
	if h := s.LoadBalancer.HTTPS; h != nil && d.values["load_balancer.https.certificate_arn"] != nil && d.values["load_balancer.https.key_algorithm"] == nil {
		// A given certificate's key is its own: no default to apply.
		h.KeyAlgorithm = ""
	}
}

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
	if v.ok("profile") && s.Profile != "" && strings.TrimSpace(s.Profile) != s.Profile {
		d.errorf("profile", "must be the name of a profile in ~/.aws/config, without surrounding spaces (got %q)", s.Profile)
	}
	v.service(&s.Service)
	v.capacity(s)
	v.network(&s.Network)
	v.tags("tags", s.Tags)
	if s.Capacity.Provider == ProviderEC2 && s.Service.Placement == PlacementDistinctInstance && v.ok("service.count") && v.ok("service.placement") && v.ok("capacity.max") && s.Service.Count > s.Capacity.Max {
		d.errorf("service.count", "placement %s runs at most one task per instance and capacity.max is %d, so %d tasks can never all start; lower count, raise capacity.max or use placement: spread", PlacementDistinctInstance, s.Capacity.Max, s.Service.Count)
	}
	if a := s.Service.Autoscaling; a != nil && s.Capacity.Provider == ProviderEC2 && s.Service.Placement == PlacementDistinctInstance && v.ok("service.autoscaling.max") && v.ok("service.placement") && v.ok("capacity.max") && a.Max > s.Capacity.Max {
		d.errorf("service.autoscaling.max", "placement %s runs at most one task per instance and capacity.max is %d, so autoscaling could never run %d tasks; lower it, raise capacity.max or use placement: spread", PlacementDistinctInstance, s.Capacity.Max, a.Max)
	}
	v.between("load_balancer.port", s.LoadBalancer.Port, 1, 65535)
	v.cidrs("load_balancer.allowed_cidrs", s.LoadBalancer.AllowedCIDRs)
	if s.LoadBalancer.HTTPS != nil {
		v.https(s.LoadBalancer.HTTPS, s.LoadBalancer.Port, s.Region)
	}
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
	v.image(svc)
	v.between("service.port", svc.Port, 1, 65535)
	v.between("service.count", svc.Count, 0, 100)
	v.between("service.cpu", svc.CPU, 128, 16384)
	v.between("service.memory", svc.Memory, 128, 122880)
	if v.given("service.command") && len(svc.Command) == 0 {
		d.errorf("service.command", "must name the program to run, or be left out to keep the image's CMD")
	}
	v.secrets(svc.Secrets, svc.Environment)
	v.deployment(&svc.Deployment)
	v.between("service.health_check.grace_period", svc.HealthCheck.GracePeriod, 0, 2147483647)
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
	if v.ok("service.protocol") && !slices.Contains(protocols, svc.Protocol) {
		d.errorf("service.protocol", "must be %s: how the load balancer talks to the tasks (got %q)", quotedList(protocols), svc.Protocol)
	}
	if svc.Autoscaling != nil {
		v.autoscaling(svc.Autoscaling, svc.Count)
	}
}

func (v validator) given(path string) bool { return v.d.values[path] != nil && v.ok(path) }

func (v validator) autoscaling(a *Autoscaling, count int) {
	d := v.d
	const p = "service.autoscaling"
	v.between(p+".min", a.Min, 0, maxTasks)
	v.between(p+".max", a.Max, 1, maxTasks)
	boundsOK := v.ok(p+".min") && v.ok(p+".max") && a.Min >= 0 && a.Max >= 1 && a.Min <= maxTasks && a.Max <= maxTasks
	if boundsOK && a.Min > a.Max {
		d.errorf(p+".min", "must not exceed service.autoscaling.max, which is %d (got %d)", a.Max, a.Min)
		boundsOK = false
	}
	if boundsOK && v.given("service.count") && (count < a.Min || count > a.Max) {
		d.errorf("service.count", "must be within service.autoscaling.min and max (%d-%d): with autoscaling it is only the number of tasks the service starts with, and can be left out to start at min (got %d)", a.Min, a.Max, count)
	}
	metrics := 0
	for _, m := range []struct {
		key     string
		value   int
		lo, hi  int
		meaning string
	}{
		{"cpu", a.CPU, 1, 100, "percent of the tasks' CPU reservation"},
		{"memory", a.Memory, 1, 100, "percent of the tasks' memory reservation"},
		{"requests_per_target", a.RequestsPerTarget, 1, maxRequestsPerTarget, "requests per task per minute"},
	} {
		path := p + "." + m.key
		if v.d.values[path] == nil && !v.d.bad[path] {
			continue
		}
		metrics++
		if v.ok(path) && (m.value < m.lo || m.value > m.hi) {
			d.errorf(path, "must be between %d and %d, in %s (got %d)", m.lo, m.hi, m.meaning, m.value)
		}
	}
	if metrics == 0 && v.ok(p) {
		d.errorf(p, "needs a target to track: set cpu, memory or requests_per_target (each becomes a target-tracking policy)")
	}
	v.between(p+".scale_in_cooldown", a.ScaleInCooldown, 0, maxCooldown)
	v.between(p+".scale_out_cooldown", a.ScaleOutCooldown, 0, maxCooldown)
}

func (v validator) https(h *HTTPS, httpPort int, region string) {
	d := v.d
	const p = "load_balancer.https"
	hasDomain, hasARN := v.d.values[p+".domain"] != nil, v.d.values[p+".certificate_arn"] != nil
	switch {
	case hasDomain && hasARN:
		d.errorf(p+".certificate_arn", "set either domain (berth requests an ACM certificate for it) or certificate_arn (an existing one), not both")
	case !hasDomain && !hasARN && v.ok(p+".domain") && v.ok(p+".certificate_arn"):
		d.errorf(p, "needs domain (berth requests an ACM certificate for it and waits until DNS validates it) or certificate_arn (an existing or imported ACM certificate)")
	}
	if hasDomain && v.ok(p+".domain") {
		if err := checkDomain(h.Domain); err != nil {
			d.errorf(p+".domain", "%v (got %q)", err, h.Domain)
		}
	}
	if hasARN && v.ok(p+".certificate_arn") {
		m := certificateARNPattern.FindStringSubmatch(h.CertificateARN)
		switch {
		case m == nil:
			d.errorf(p+".certificate_arn", "must be an ACM certificate ARN such as arn:aws:acm:eu-west-1:123456789012:certificate/<id> (got %q)", h.CertificateARN)
		case region != "" && v.ok("region") && m[1] != region:
			d.errorf(p+".certificate_arn", "is in %s, but the load balancer is in %s: an ALB only uses certificates of its own region", m[1], region)
		}
	}
	v.between(p+".port", h.Port, 1, 65535)
	if h.RedirectHTTP && v.ok(p+".port") && v.ok(p+".redirect_http") && v.ok("load_balancer.port") && h.Port == httpPort {
		d.errorf(p+".port", "must differ from load_balancer.port (%d), where the HTTP listener redirects to HTTPS", httpPort)
	}
	v.keyAlgorithm(h, hasARN)
	if v.ok(p+".ssl_policy") && !slices.Contains(sslPolicies, h.SSLPolicy) {
		if hint := closestPolicy(h.SSLPolicy); hint != "" {
			d.errorf(p+".ssl_policy", "not a security policy of the Application Load Balancer, did you mean %q? (got %q)", hint, h.SSLPolicy)
		} else {
			d.errorf(p+".ssl_policy", "must be one of the Application Load Balancer's predefined security policies, such as %s (got %q)", DefaultSSLPolicy, h.SSLPolicy)
		}
	}
}

// keyAlgorithm checks the requested certificate's key against what ACM's
// RequestCertificate accepts, in ACM's spelling, so the value can be
// looked up in ACM's documentation as it is.
func (v validator) keyAlgorithm(h *HTTPS, hasARN bool) {
	const path = "load_balancer.https.key_algorithm"
	if !v.ok(path) {
		return
	}
	if hasARN {
		if v.given(path) {
			v.d.errorf(path, "applies to the certificate berth requests for domain; the certificate given by certificate_arn has its own key (got %q)", h.KeyAlgorithm)
		}
		return
	}
	if slices.Contains(keyAlgorithms, h.KeyAlgorithm) {
		return
	}
	switch hint := keyAlgorithmHint(h.KeyAlgorithm); {
	case hint != "":
		v.d.errorf(path, "must be %s, ACM's names for the keys a requested certificate can have; did you mean %q? (got %q)", quotedList(keyAlgorithms), hint, h.KeyAlgorithm)
	case strings.HasPrefix(strings.ToUpper(h.KeyAlgorithm), "RSA_") || strings.HasPrefix(strings.ToUpper(h.KeyAlgorithm), "EC_"):
		v.d.errorf(path, "must be %s: ACM requests certificates with these keys only, others are for imported certificates (use certificate_arn) (got %q)", quotedList(keyAlgorithms), h.KeyAlgorithm)
	default:
		v.d.errorf(path, "must be %s, ACM's names for the keys a requested certificate can have (got %q)", quotedList(keyAlgorithms), h.KeyAlgorithm)
	}
}

// keyAlgorithmHint maps other spellings of the same key (ACM's own
// DescribeCertificate answers "EC-prime256v1", OpenSSL says prime256v1,
// NIST P-256) to ACM's request name.
func keyAlgorithmHint(got string) string {
	norm := strings.NewReplacer("-", "", "_", "", " ", "").Replace(strings.ToLower(got))
	for _, known := range keyAlgorithms {
		if strings.NewReplacer("_", "").Replace(strings.ToLower(known)) == norm {
			return known
		}
	}
	switch norm {
	case "ecdsa", "ec", "ecprime256v1", "prime256v1", "p256", "secp256r1", "ecp256", "ecdsap256":
		return "EC_prime256v1"
	case "secp384r1", "p384", "ecp384", "ecdsap384":
		return "EC_secp384r1"
	case "rsa", "rsa2048", "2048":
		return "RSA_2048"
	}
	return ""
}

// closestPolicy suggests the policy name a slip was meant to be; names are
// compared in lower case because closestKey expects lowercase keys.
func closestPolicy(name string) string {
	lower := make([]string, len(sslPolicies))
	for i, p := range sslPolicies {
		lower[i] = strings.ToLower(p)
	}
	if i := slices.Index(lower, closestKey(strings.ToLower(name), lower)); i >= 0 {
		return sslPolicies[i]
	}
	return ""
}

// checkDomain accepts what ACM's DomainName does: a fully qualified name of
// at most 253 characters, optionally a wildcard (*.example.com).
func checkDomain(name string) error {
	const hint = "must be a fully qualified domain name such as api.example.com or *.example.com"
	if len(name) > 253 {
		return fmt.Errorf("%s, at most 253 characters", hint)
	}
	labels := strings.Split(strings.TrimPrefix(name, "*."), ".")
	if len(labels) < 2 {
		return errors.New(hint)
	}
	for _, l := range labels {
		if !domainLabel.MatchString(l) {
			return errors.New(hint)
		}
	}
	return nil
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

// ValidateName checks a stack name given outside berth.yaml (berth destroy
// --stack) by the same rule as berth.yaml's name.
func ValidateName(name string) error {
	if !namePattern.MatchString(name) {
		return fmt.Errorf("a stack name starts with a lowercase letter and holds at most 23 lowercase letters, digits and hyphens (got %q)", name)
	}
	return nil
}
