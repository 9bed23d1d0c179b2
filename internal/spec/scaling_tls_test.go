package spec

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

// An https section takes its defaults from the keys it leaves out, and an
// autoscaling section starts the service at its minimum unless count says
// otherwise.
func TestParseHTTPSAndAutoscalingDefaults(t *testing.T) {
	src := minimal + `  autoscaling: {min: 3, max: 6, cpu: 60}
  placement: spread
load_balancer:
  https: {domain: api.example.com}
`
	s, err := Parse("b.yaml", []byte(src))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	wantHTTPS := &HTTPS{Domain: "api.example.com", Port: 443, RedirectHTTP: true, SSLPolicy: "ELBSecurityPolicy-TLS13-1-2-2021-06", KeyAlgorithm: "EC_prime256v1"}
	if !reflect.DeepEqual(s.LoadBalancer.HTTPS, wantHTTPS) {
		t.Errorf("https = %+v, want %+v", s.LoadBalancer.HTTPS, wantHTTPS)
	}
	wantScaling := &Autoscaling{Min: 3, Max: 6, CPU: 60, ScaleInCooldown: 300, ScaleOutCooldown: 300}
	if !reflect.DeepEqual(s.Service.Autoscaling, wantScaling) {
		t.Errorf("autoscaling = %+v, want %+v", s.Service.Autoscaling, wantScaling)
	}
	if s.Service.Count != 3 {
		t.Errorf("count = %d, want autoscaling.min (3)", s.Service.Count)
	}

	withCount, err := Parse("b.yaml", []byte(minimal+"  count: 5\n  placement: spread\n  autoscaling: {max: 6, requests_per_target: 100}\n"))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if withCount.Service.Count != 5 || withCount.Service.Autoscaling.Min != 1 {
		t.Errorf("count = %d, min = %d, want 5 and 1", withCount.Service.Count, withCount.Service.Autoscaling.Min)
	}
}

func TestParseHTTPSAndAutoscalingErrors(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want []string
	}{
		{
			name: "https with neither domain nor certificate",
			src:  minimal + "load_balancer:\n  https: {ssl_policy: ELBSecurityPolicy-2016-08}\n",
			want: []string{"b.yaml:6:10: load_balancer.https: needs domain (berth requests an ACM certificate for it and waits until DNS validates it) or certificate_arn (an existing or imported ACM certificate)"},
		},
		{
			name: "empty https section",
			src:  minimal + "load_balancer:\n  https:\n",
			want: []string{"b.yaml:6:3: load_balancer.https: needs domain (berth requests an ACM certificate for it and waits until DNS validates it) or certificate_arn (an existing or imported ACM certificate)"},
		},
		{
			name: "https with both",
			src:  minimal + "load_balancer:\n  https:\n    domain: api.example.com\n    certificate_arn: arn:aws:acm:us-east-1:123456789012:certificate/abc\n",
			want: []string{"b.yaml:8:22: load_balancer.https.certificate_arn: set either domain (berth requests an ACM certificate for it) or certificate_arn (an existing one), not both"},
		},
		{
			name: "bad domain, port, policy",
			src:  minimal + "load_balancer:\n  https:\n    domain: localhost\n    port: 80\n    ssl_policy: ELBSecurityPolicy-TLS13-1-2-2021-6\n",
			want: []string{
				`b.yaml:7:13: load_balancer.https.domain: must be a fully qualified domain name such as api.example.com or *.example.com (got "localhost")`,
				"b.yaml:8:11: load_balancer.https.port: must differ from load_balancer.port (80), where the HTTP listener redirects to HTTPS",
				`b.yaml:9:17: load_balancer.https.ssl_policy: not a security policy of the Application Load Balancer, did you mean "ELBSecurityPolicy-TLS13-1-2-2021-06"? (got "ELBSecurityPolicy-TLS13-1-2-2021-6")`,
			},
		},
		{
			name: "a policy far from any",
			src:  minimal + "load_balancer:\n  https: {domain: \"*.example.com\", ssl_policy: modern}\n",
			want: []string{`b.yaml:6:48: load_balancer.https.ssl_policy: must be one of the Application Load Balancer's predefined security policies, such as ELBSecurityPolicy-TLS13-1-2-2021-06 (got "modern")`},
		},
		{
			name: "domain label too long and a hyphen at the end",
			src:  minimal + "load_balancer:\n  https: {domain: api-.example.com}\n",
			want: []string{`b.yaml:6:19: load_balancer.https.domain: must be a fully qualified domain name such as api.example.com or *.example.com (got "api-.example.com")`},
		},
		{
			name: "not an ACM ARN, and one of another region",
			src:  "name: web\nregion: eu-west-1\nservice: {image: web:1, port: 80}\nload_balancer:\n  https: {certificate_arn: \"arn:aws:iam::123456789012:server-certificate/web\"}\n",
			want: []string{`b.yaml:5:28: load_balancer.https.certificate_arn: must be an ACM certificate ARN such as arn:aws:acm:eu-west-1:123456789012:certificate/<id> (got "arn:aws:iam::123456789012:server-certificate/web")`},
		},
		{
			name: "certificate of another region",
			src:  "name: web\nregion: eu-west-1\nservice: {image: web:1, port: 80}\nload_balancer:\n  https: {certificate_arn: \"arn:aws:acm:us-east-1:123456789012:certificate/abc\"}\n",
			want: []string{`b.yaml:5:28: load_balancer.https.certificate_arn: is in us-east-1, but the load balancer is in eu-west-1: an ALB only uses certificates of its own region`},
		},
		{
			name: "redirect_http not a boolean",
			src:  minimal + "load_balancer:\n  https: {domain: a.example.com, redirect_http: yes please}\n",
			want: []string{`b.yaml:6:49: load_balancer.https.redirect_http: must be true or false (got string "yes please")`},
		},
		{
			name: "key algorithm in another spelling",
			src:  minimal + "load_balancer:\n  https:\n    domain: shop.example.org\n    key_algorithm: EC-secp384r1\n",
			want: []string{`b.yaml:8:20: load_balancer.https.key_algorithm: must be "EC_prime256v1", "EC_secp384r1" or "RSA_2048", ACM's names for the keys a requested certificate can have; did you mean "EC_secp384r1"? (got "EC-secp384r1")`},
		},
		{
			name: "key algorithm ACM only imports",
			src:  minimal + "load_balancer:\n  https: {domain: shop.example.org, key_algorithm: RSA_4096}\n",
			want: []string{`b.yaml:6:52: load_balancer.https.key_algorithm: must be "EC_prime256v1", "EC_secp384r1" or "RSA_2048": ACM requests certificates with these keys only, others are for imported certificates (use certificate_arn) (got "RSA_4096")`},
		},
		{
			name: "key algorithm of a given certificate",
			src:  "name: web\nregion: ap-southeast-2\nservice: {image: web:1, port: 80}\nload_balancer:\n  https:\n    certificate_arn: arn:aws:acm:ap-southeast-2:123456789012:certificate/abc\n    key_algorithm: RSA_2048\n",
			want: []string{`b.yaml:7:20: load_balancer.https.key_algorithm: applies to the certificate berth requests for domain; the certificate given by certificate_arn has its own key (got "RSA_2048")`},
		},
		{
			name: "key algorithm not a string",
			src:  minimal + "load_balancer:\n  https: {domain: shop.example.org, key_algorithm: [ecdsa]}\n",
			want: []string{`b.yaml:6:52: load_balancer.https.key_algorithm: must be a string (got a list)`},
		},
		{
			name: "unknown https key",
			src:  minimal + "load_balancer:\n  https: {domain: a.example.com, certificate: x}\n",
			want: []string{`b.yaml:6:34: load_balancer.https.certificate: unknown key (expected one of: certificate_arn, domain, key_algorithm, port, redirect_http, ssl_policy)`},
		},
		{
			name: "service protocol",
			src:  minimal + "  protocol: tcp\n",
			want: []string{`b.yaml:5:13: service.protocol: must be "http" or "https": how the load balancer talks to the tasks (got "tcp")`},
		},
		{
			name: "autoscaling without max or metric",
			src:  minimal + "  autoscaling: {min: 1}\n",
			want: []string{
				"b.yaml:5:3: service.autoscaling.max: is required",
				"b.yaml:5:16: service.autoscaling: needs a target to track: set cpu, memory or requests_per_target (each becomes a target-tracking policy)",
			},
		},
		{
			name: "autoscaling ranges",
			src: minimal + `  placement: spread
  autoscaling:
    min: 5
    max: 4
    cpu: 0
    memory: 101
    requests_per_target: 0
    scale_in_cooldown: -1
    scale_out_cooldown: 86401
`,
			want: []string{
				"b.yaml:7:10: service.autoscaling.min: must not exceed service.autoscaling.max, which is 4 (got 5)",
				"b.yaml:9:10: service.autoscaling.cpu: must be between 1 and 100, in percent of the tasks' CPU reservation (got 0)",
				"b.yaml:10:13: service.autoscaling.memory: must be between 1 and 100, in percent of the tasks' memory reservation (got 101)",
				"b.yaml:11:26: service.autoscaling.requests_per_target: must be between 1 and 1000000, in requests per task per minute (got 0)",
				"b.yaml:12:24: service.autoscaling.scale_in_cooldown: must be between 0 and 86400 (got -1)",
				"b.yaml:13:25: service.autoscaling.scale_out_cooldown: must be between 0 and 86400 (got 86401)",
			},
		},
		{
			name: "count outside min and max",
			src:  minimal + "  count: 1\n  placement: spread\n  autoscaling: {min: 2, max: 6, cpu: 60}\n",
			want: []string{"b.yaml:5:10: service.count: must be within service.autoscaling.min and max (2-6): with autoscaling it is only the number of tasks the service starts with, and can be left out to start at min (got 1)"},
		},
		{
			name: "autoscaling max beyond the instances of distinct-instance placement",
			src:  minimal + "  autoscaling: {min: 2, max: 6, memory: 75}\n",
			want: []string{"b.yaml:5:30: service.autoscaling.max: placement distinct-instance runs at most one task per instance and capacity.max is 2, so autoscaling could never run 6 tasks; lower it, raise capacity.max or use placement: spread"},
		},
		{
			name: "autoscaling metric of the wrong type still counts as given",
			src:  minimal + "  autoscaling: {max: 2, cpu: high}\n",
			want: []string{`b.yaml:5:30: service.autoscaling.cpu: must be an integer (got string "high")`},
		},
		{
			name: "capacity target and protection",
			src:  minimal + "capacity: {target_capacity: 0, managed_termination_protection: 1}\n",
			want: []string{
				"b.yaml:5:29: capacity.target_capacity: must be between 1 and 100, the percentage of the instances' capacity tasks should use (got 0)",
				"b.yaml:5:64: capacity.managed_termination_protection: must be true or false (got integer 1)",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Parse("b.yaml", []byte(tt.src))
			if err == nil {
				t.Fatalf("Parse succeeded with %+v, want errors:\n%s", s, strings.Join(tt.want, "\n"))
			}
			var errs Errors
			if !errors.As(err, &errs) {
				t.Fatalf("error is %T, want Errors: %v", err, err)
			}
			got := make([]string, len(errs))
			for i, e := range errs {
				got[i] = e.Error()
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("errors\n got:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(tt.want, "\n  "))
			}
		})
	}
}
