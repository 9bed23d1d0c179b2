package stack

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/acm"
	aas "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling"
	aastypes "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling/types"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/berthdev/berth/internal/awsres"
	"github.com/berthdev/berth/internal/deploytest"
	"github.com/berthdev/berth/internal/engine"
	"github.com/berthdev/berth/internal/localcloud/localcloudtest"
	"github.com/berthdev/berth/internal/localcloud/runtime"
	"github.com/berthdev/berth/internal/spec"
)

func init() {
	// moto keeps a requested certificate PENDING_VALIDATION for 60 s;
	// berth's local cloud issues it after about a second. moto_server
	// inherits this process's environment.
	if os.Getenv("MOTO_ACM_VALIDATION_WAIT") == "" {
		os.Setenv("MOTO_ACM_VALIDATION_WAIT", "1")
	}
}

// tlsScalingSpec is the write-up's wish list in berth.yaml: HTTPS on 443
// with a requested certificate and port 80 redirecting, the service's
// count tracked on CPU, memory and requests, managed termination
// protection on the capacity provider.
func tlsScalingSpec(name string) *spec.Spec {
	s := exampleSpec()
	s.Name = name
	s.LoadBalancer.HTTPS = &spec.HTTPS{Domain: "api.example.com", Port: 443, RedirectHTTP: true, SSLPolicy: spec.DefaultSSLPolicy}
	s.Service.Autoscaling = &spec.Autoscaling{Min: 2, Max: 3, CPU: 60, Memory: 75, RequestsPerTarget: 500, ScaleInCooldown: 120, ScaleOutCooldown: 30}
	s.Capacity.ManagedTerminationProtection = true
	s.Capacity.TargetCapacity = 90
	s.Service.DeregistrationDelay = 0 // destroy need not wait for draining
	return s
}

// eachServingEndpoint is eachEndpoint with a local cloud that can run the
// example image (a static file server answering /health), so that the
// service's deployment does not fail, and show in the plans, while a test
// goes through its steps.
func eachServingEndpoint(t *testing.T, test func(t *testing.T, cfg aws.Config)) {
	for _, e := range []struct {
		name  string
		start deploytest.StartFunc
	}{endpoints[0], {"localcloud", servingCloud}} {
		t.Run(e.name, func(t *testing.T) { test(t, newCloud(t, e.start)) })
	}
}

// servingCloud starts a local cloud that runs the example image as a
// static file server answering /health.
func servingCloud(t testing.TB) string {
	cloud := localcloudtest.Start(t)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "health"), []byte("ok\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := cloud.PutImage(runtime.ProcessImage{
		Name: exampleSpec().Service.Image, Dir: dir,
		Command: []string{"/usr/bin/python3", "-m", "http.server", "--bind", "$HOST", "$PORT"},
	}); err != nil {
		t.Fatal(err)
	}
	return cloud.Endpoint
}

func TestHTTPSAndAutoscalingLifecycle(t *testing.T) {
	eachServingEndpoint(t, func(t *testing.T, cfg aws.Config) {
		ctx := context.Background()
		s := tlsScalingSpec("tls-scaling")
		names := NamesFor(s.Name)

		first, err := Plan(ctx, cfg, s)
		if err != nil {
			t.Fatal(err)
		}
		golden(t, "plan-https-create.golden", withoutAMI(t, cfg, renderPlan(t, first)))
		var progress []string
		out, err := Apply(ctx, cfg, first, engine.ApplyOptions{OnEvent: func(e engine.Event) {
			if e.Phase == engine.PhaseProgress || e.Phase == engine.PhaseFailed {
				progress = append(progress, string(e.Addr)+": "+e.Message)
			}
		}})
		if err != nil {
			t.Fatalf("apply: %v\n%s", err, strings.Join(progress, "\n"))
		}
		if !strings.HasPrefix(out.URL, "https://") || strings.Contains(out.URL, ":443") || out.Domain != "api.example.com" || out.CertificateARN == "" {
			t.Fatalf("outputs = %+v", out)
		}
		checkTLSAndScaling(t, cfg, s, out.CertificateARN)

		second, err := Plan(ctx, cfg, s)
		if err != nil {
			t.Fatal(err)
		}
		if !second.Empty() {
			t.Fatalf("second plan is not a no-op:\n%s", renderPlan(t, second))
		}
		// Autoscaling moves the desired count; a deploy leaves it there.
		ecsClient := ecs.NewFromConfig(cfg)
		if _, err := ecsClient.UpdateService(ctx, &ecs.UpdateServiceInput{
			Cluster: aws.String(names.Cluster), Service: aws.String(names.Service), DesiredCount: aws.Int32(3),
		}); err != nil {
			t.Fatal(err)
		}
		if p, err := Plan(ctx, cfg, s); err != nil || !p.Empty() {
			t.Fatalf("a count set by autoscaling is planned over: %v\n%s", err, renderPlan(t, p))
		}

		s.Service.Autoscaling.Max = 2
		s.Service.Autoscaling.Memory = 0
		s.Service.Autoscaling.ScaleOutCooldown = 60
		s.LoadBalancer.HTTPS.SSLPolicy = "ELBSecurityPolicy-TLS13-1-2-Res-2021-06"
		change, err := Plan(ctx, cfg, s)
		if err != nil {
			t.Fatal(err)
		}
		golden(t, "plan-https-change.golden", renderPlan(t, change))
		apply(t, cfg, change)
		if after, err := Plan(ctx, cfg, s); err != nil || !after.Empty() {
			t.Fatalf("plan after the change: %v\n%s", err, renderPlan(t, after))
		}
		policies := scalingPolicies(t, cfg, names)
		if len(policies) != 2 || policies[names.MemoryPolicy] || !policies[names.CPUPolicy] || !policies[names.RequestsPolicy] {
			t.Errorf("policies after dropping memory: %v", policies)
		}
		listener := listenerOn(t, cfg, s, 443)
		if aws.ToString(listener.SslPolicy) != "ELBSecurityPolicy-TLS13-1-2-Res-2021-06" {
			t.Errorf("ssl policy after the change = %s", aws.ToString(listener.SslPolicy))
		}

		destroy, err := PlanDestroy(ctx, cfg, s)
		if err != nil {
			t.Fatal(err)
		}
		if wanted := wantedResources(t, s); len(destroy.Changes) != wanted {
			t.Fatalf("destroy plans %d deletions for %d resources:\n%s", len(destroy.Changes), wanted, renderPlan(t, destroy))
		}
		golden(t, "plan-https-destroy.golden", renderPlan(t, destroy))
		apply(t, cfg, destroy)
		assertNothingLeft(t, cfg, s.Name)
		if again, err := PlanDestroy(ctx, cfg, s); err != nil || !again.Empty() {
			t.Fatalf("destroy left resources: %v\n%s", err, renderPlan(t, again))
		}
	})
}

// Dropping https and autoscaling from berth.yaml deletes what they made,
// after port 80 serves again and the service's count is berth's again.
func TestDroppingHTTPSAndAutoscalingDeletesThem(t *testing.T) {
	eachServingEndpoint(t, func(t *testing.T, cfg aws.Config) {
		ctx := context.Background()
		s := tlsScalingSpec("tls-dropped")
		p, err := Plan(ctx, cfg, s)
		if err != nil {
			t.Fatal(err)
		}
		apply(t, cfg, p)

		s.LoadBalancer.HTTPS = nil
		s.Service.Autoscaling = nil
		s.Service.Count = 2
		drop, err := Plan(ctx, cfg, s)
		if err != nil {
			t.Fatal(err)
		}
		golden(t, "plan-https-drop.golden", stableIDs(renderPlan(t, drop)))
		apply(t, cfg, drop)
		if after, err := Plan(ctx, cfg, s); err != nil || !after.Empty() {
			t.Fatalf("plan after dropping https and autoscaling: %v\n%s", err, renderPlan(t, after))
		}
		names := NamesFor(s.Name)
		if policies := scalingPolicies(t, cfg, names); len(policies) != 0 {
			t.Errorf("policies left: %v", policies)
		}
		if n := certificatesOf(t, cfg, s.Name); n != 0 {
			t.Errorf("%d certificates of the stack left", n)
		}
		http := listenerOn(t, cfg, s, 80)
		if len(http.DefaultActions) != 1 || http.DefaultActions[0].Type != elbtypes.ActionTypeEnumForward {
			t.Errorf("port 80 does not forward again: %+v", http.DefaultActions)
		}

		// And https back, with an existing certificate instead of a domain.
		arn := requestIssued(t, cfg, "given.example.com")
		s.LoadBalancer.HTTPS = &spec.HTTPS{CertificateARN: arn, Port: 443, RedirectHTTP: false, SSLPolicy: spec.DefaultSSLPolicy}
		given, err := Plan(ctx, cfg, s)
		if err != nil {
			t.Fatal(err)
		}
		golden(t, "plan-https-given.golden", stableIDs(renderPlan(t, given)))
		apply(t, cfg, given)
		if after, err := Plan(ctx, cfg, s); err != nil || !after.Empty() {
			t.Fatalf("plan after https with a given certificate: %v\n%s", err, renderPlan(t, after))
		}
		if got := aws.ToString(listenerOn(t, cfg, s, 443).Certificates[0].CertificateArn); got != arn {
			t.Errorf("listener certificate %s, want %s", got, arn)
		}
		destroy, err := PlanDestroy(ctx, cfg, s)
		if err != nil {
			t.Fatal(err)
		}
		apply(t, cfg, destroy)
		assertNothingLeft(t, cfg, s.Name)
		if _, err := acm.NewFromConfig(cfg).DescribeCertificate(ctx, &acm.DescribeCertificateInput{CertificateArn: aws.String(arn)}); err != nil {
			t.Errorf("destroy touched the given certificate: %v", err)
		}
	})
}

// A certificate_arn that does not exist fails the plan, naming the key.
func TestMissingGivenCertificateFailsThePlan(t *testing.T) {
	eachEndpoint(t, func(t *testing.T, cfg aws.Config) {
		s := exampleSpec()
		s.Name = "tls-missing"
		s.LoadBalancer.HTTPS = &spec.HTTPS{
			CertificateARN: "arn:aws:acm:us-east-1:123456789012:certificate/00000000-0000-0000-0000-000000000000",
			Port:           443, RedirectHTTP: true, SSLPolicy: spec.DefaultSSLPolicy,
		}
		_, err := Plan(context.Background(), cfg, s)
		if err == nil || !strings.Contains(err.Error(), "load_balancer.https.certificate_arn: certificate arn:aws:acm:us-east-1:123456789012:certificate/00000000-0000-0000-0000-000000000000 does not exist in us-east-1") {
			t.Fatalf("plan error = %v", err)
		}
	})
}

// generatedID matches the ids endpoints make up, which plans of existing
// stacks show.
var generatedID = regexp.MustCompile(`(sg-|targetgroup/[a-z0-9-]+/|certificate/)[0-9a-f-]+`)

func stableIDs(plan string) string { return generatedID.ReplaceAllString(plan, "${1}<id>") }

// withoutAMI keeps golden plans independent of the AMI the endpoint
// publishes.
func withoutAMI(t *testing.T, cfg aws.Config, plan string) string {
	t.Helper()
	ami, err := ssm.NewFromConfig(cfg).GetParameter(context.Background(), &ssm.GetParameterInput{Name: aws.String(awsres.ECSOptimizedAMIParameter)})
	if err != nil {
		t.Fatal(err)
	}
	return strings.ReplaceAll(plan, aws.ToString(ami.Parameter.Value), "<ecs-optimized-ami>")
}

// checkTLSAndScaling reads back, with the services' own calls, what the
// deploy made of the https and autoscaling keys.
func checkTLSAndScaling(t *testing.T, cfg aws.Config, s *spec.Spec, certificateARN string) {
	t.Helper()
	ctx := context.Background()
	names := NamesFor(s.Name)

	http := listenerOn(t, cfg, s, 80)
	if len(http.DefaultActions) != 1 || http.DefaultActions[0].Type != elbtypes.ActionTypeEnumRedirect {
		t.Fatalf("port 80 actions: %+v", http.DefaultActions)
	}
	rc := http.DefaultActions[0].RedirectConfig
	if aws.ToString(rc.Protocol) != "HTTPS" || aws.ToString(rc.Port) != "443" || rc.StatusCode != elbtypes.RedirectActionStatusCodeEnumHttp301 {
		t.Errorf("port 80 redirects to %s:%s with %s", aws.ToString(rc.Protocol), aws.ToString(rc.Port), rc.StatusCode)
	}
	https := listenerOn(t, cfg, s, 443)
	if https.Protocol != elbtypes.ProtocolEnumHttps || aws.ToString(https.SslPolicy) != spec.DefaultSSLPolicy ||
		len(https.Certificates) != 1 || aws.ToString(https.Certificates[0].CertificateArn) != certificateARN {
		t.Errorf("https listener: protocol %s, policy %s, certificates %+v", https.Protocol, aws.ToString(https.SslPolicy), https.Certificates)
	}
	cert, err := acm.NewFromConfig(cfg).DescribeCertificate(ctx, &acm.DescribeCertificateInput{CertificateArn: aws.String(certificateARN)})
	if err != nil || cert.Certificate.Status != "ISSUED" || aws.ToString(cert.Certificate.DomainName) != "api.example.com" {
		t.Errorf("certificate: %v %+v", err, cert)
	}

	groups, err := ec2.NewFromConfig(cfg).DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{
		Filters: []ec2types.Filter{{Name: aws.String("group-name"), Values: []string{names.ALBSecurityGroup}}}})
	if err != nil || len(groups.SecurityGroups) != 1 {
		t.Fatalf("alb security group: %v", err)
	}
	open := map[int32]bool{}
	for _, p := range groups.SecurityGroups[0].IpPermissions {
		open[aws.ToInt32(p.FromPort)] = true
	}
	if !open[80] || !open[443] || len(open) != 2 {
		t.Errorf("the load balancer's group opens %v, want 80 and 443", open)
	}

	targets, err := aas.NewFromConfig(cfg).DescribeScalableTargets(ctx, &aas.DescribeScalableTargetsInput{
		ServiceNamespace: aastypes.ServiceNamespaceEcs, ResourceIds: []string{"service/" + names.Cluster + "/" + names.Service},
	})
	if err != nil || len(targets.ScalableTargets) != 1 {
		t.Fatalf("scalable targets: %v %+v", err, targets)
	}
	if st := targets.ScalableTargets[0]; aws.ToInt32(st.MinCapacity) != 2 || aws.ToInt32(st.MaxCapacity) != 3 || st.ScalableDimension != aastypes.ScalableDimensionECSServiceDesiredCount {
		t.Errorf("scalable target %+v", st)
	}
	policies, err := aas.NewFromConfig(cfg).DescribeScalingPolicies(ctx, &aas.DescribeScalingPoliciesInput{
		ServiceNamespace: aastypes.ServiceNamespaceEcs, ResourceId: aws.String("service/" + names.Cluster + "/" + names.Service),
	})
	if err != nil || len(policies.ScalingPolicies) != 3 {
		t.Fatalf("scaling policies: %v %+v", err, policies)
	}
	for _, p := range policies.ScalingPolicies {
		m := p.TargetTrackingScalingPolicyConfiguration.PredefinedMetricSpecification
		if m.PredefinedMetricType == aastypes.MetricTypeALBRequestCountPerTarget {
			label := aws.ToString(m.ResourceLabel)
			if !strings.HasPrefix(label, "app/"+names.LoadBalancer+"/") || !strings.Contains(label, "/targetgroup/"+names.TargetGroup+"/") {
				t.Errorf("resource label %q", label)
			}
		}
	}

	providers, err := ecs.NewFromConfig(cfg).DescribeCapacityProviders(ctx, &ecs.DescribeCapacityProvidersInput{CapacityProviders: []string{names.CapacityProvider}})
	if err != nil || len(providers.CapacityProviders) != 1 {
		t.Fatalf("capacity provider: %v", err)
	}
	asgp := providers.CapacityProviders[0].AutoScalingGroupProvider
	if asgp.ManagedTerminationProtection != "ENABLED" || aws.ToInt32(asgp.ManagedScaling.TargetCapacity) != 90 {
		t.Errorf("capacity provider: termination protection %s, target capacity %d", asgp.ManagedTerminationProtection, aws.ToInt32(asgp.ManagedScaling.TargetCapacity))
	}
	asgs, err := autoscaling.NewFromConfig(cfg).DescribeAutoScalingGroups(ctx, &autoscaling.DescribeAutoScalingGroupsInput{AutoScalingGroupNames: []string{names.AutoScalingGroup}})
	if err != nil || len(asgs.AutoScalingGroups) != 1 || !aws.ToBool(asgs.AutoScalingGroups[0].NewInstancesProtectedFromScaleIn) {
		t.Errorf("auto scaling group does not protect new instances: %v", err)
	}
}

func listenerOn(t *testing.T, cfg aws.Config, s *spec.Spec, port int32) elbtypes.Listener {
	t.Helper()
	ctx := context.Background()
	client := elb.NewFromConfig(cfg)
	lbs, err := client.DescribeLoadBalancers(ctx, &elb.DescribeLoadBalancersInput{Names: []string{NamesFor(s.Name).LoadBalancer}})
	if err != nil || len(lbs.LoadBalancers) != 1 {
		t.Fatalf("load balancer: %v", err)
	}
	listeners, err := client.DescribeListeners(ctx, &elb.DescribeListenersInput{LoadBalancerArn: lbs.LoadBalancers[0].LoadBalancerArn})
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range listeners.Listeners {
		if aws.ToInt32(l.Port) == port {
			return l
		}
	}
	t.Fatalf("no listener on port %d", port)
	return elbtypes.Listener{}
}

func scalingPolicies(t *testing.T, cfg aws.Config, names Names) map[string]bool {
	t.Helper()
	out, err := aas.NewFromConfig(cfg).DescribeScalingPolicies(context.Background(), &aas.DescribeScalingPoliciesInput{
		ServiceNamespace: aastypes.ServiceNamespaceEcs,
	})
	if err != nil {
		t.Fatal(err)
	}
	found := map[string]bool{}
	for _, p := range out.ScalingPolicies {
		if aws.ToString(p.ResourceId) == "service/"+names.Cluster+"/"+names.Service {
			found[aws.ToString(p.PolicyName)] = true
		}
	}
	return found
}

// certificatesOf counts the certificates tagged as the stack's.
func certificatesOf(t *testing.T, cfg aws.Config, stackName string) int {
	t.Helper()
	ctx := context.Background()
	client := acm.NewFromConfig(cfg)
	list, err := client.ListCertificates(ctx, &acm.ListCertificatesInput{Includes: awsres.EveryKeyType})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, c := range list.CertificateSummaryList {
		tags, err := client.ListTagsForCertificate(ctx, &acm.ListTagsForCertificateInput{CertificateArn: c.CertificateArn})
		if err != nil {
			t.Fatal(err)
		}
		for _, tag := range tags.Tags {
			if aws.ToString(tag.Key) == awsres.TagStack && aws.ToString(tag.Value) == stackName {
				n++
			}
		}
	}
	return n
}

// requestIssued requests a certificate outside any stack, as a user would,
// and waits until it is issued.
func requestIssued(t *testing.T, cfg aws.Config, domain string) string {
	t.Helper()
	ctx := context.Background()
	client := acm.NewFromConfig(cfg)
	out, err := client.RequestCertificate(ctx, &acm.RequestCertificateInput{DomainName: aws.String(domain), ValidationMethod: "DNS"})
	if err != nil {
		t.Fatal(err)
	}
	waiter := acm.NewCertificateValidatedWaiter(client, func(o *acm.CertificateValidatedWaiterOptions) { o.MinDelay = time.Second })
	if err := waiter.Wait(ctx, &acm.DescribeCertificateInput{CertificateArn: out.CertificateArn}, 2*time.Minute); err != nil {
		t.Fatal(err)
	}
	return aws.ToString(out.CertificateArn)
}

// service.protocol https is an HTTPS target group (health checked over
// TLS too). No task runs, so that no health check judges the example
// image and the plans stay about the target group.
func TestHTTPSTargetGroup(t *testing.T) {
	eachEndpoint(t, func(t *testing.T, cfg aws.Config) {
		ctx := context.Background()
		s := exampleSpec()
		s.Name = "tls-backend"
		s.Service.Count = 0
		s.Service.Protocol = spec.ProtocolHTTPS
		p, err := Plan(ctx, cfg, s)
		if err != nil {
			t.Fatal(err)
		}
		if plan := renderPlan(t, p); !strings.Contains(plan, "    protocol:                          HTTPS\n") {
			t.Fatalf("plan has no HTTPS target group:\n%s", plan)
		}
		apply(t, cfg, p)
		groups, err := elb.NewFromConfig(cfg).DescribeTargetGroups(ctx, &elb.DescribeTargetGroupsInput{Names: []string{NamesFor(s.Name).TargetGroup}})
		if err != nil || len(groups.TargetGroups) != 1 {
			t.Fatalf("target group: %v", err)
		}
		if tg := groups.TargetGroups[0]; tg.Protocol != elbtypes.ProtocolEnumHttps || tg.HealthCheckProtocol != elbtypes.ProtocolEnumHttps {
			t.Errorf("target group protocol %s, health checks %s", tg.Protocol, tg.HealthCheckProtocol)
		}
		if again, err := Plan(ctx, cfg, s); err != nil || !again.Empty() {
			t.Fatalf("second plan: %v\n%s", err, renderPlan(t, again))
		}
		destroy, err := PlanDestroy(ctx, cfg, s)
		if err != nil {
			t.Fatal(err)
		}
		apply(t, cfg, destroy)
		assertNothingLeft(t, cfg, s.Name)
	})
}

// A new domain is a new certificate, which the listener moves to; the old
// one goes in the same deploy, once the listener serves the new one.
func TestNewDomainIsANewCertificate(t *testing.T) {
	eachServingEndpoint(t, func(t *testing.T, cfg aws.Config) {
		ctx := context.Background()
		s := tlsScalingSpec("tls-renamed")
		s.Service.Autoscaling = nil
		p, err := Plan(ctx, cfg, s)
		if err != nil {
			t.Fatal(err)
		}
		first := apply(t, cfg, p).CertificateARN

		s.LoadBalancer.HTTPS.Domain = "www.example.com"
		rename, err := Plan(ctx, cfg, s)
		if err != nil {
			t.Fatal(err)
		}
		if got := renderPlan(t, rename); !regexp.MustCompile(`domain:\s+api\.example\.com → www\.example\.com`).MatchString(got) || !strings.Contains(got, "~ elbv2.listener/https") ||
			!regexp.MustCompile(`replaced_certificate:\s+\S+`+regexp.QuoteMeta(first[strings.LastIndex(first, "/"):])+` → deleted once the listener serves the new one`).MatchString(got) {
			t.Fatalf("renaming planned:\n%s", got)
		}
		second := apply(t, cfg, rename).CertificateARN
		if second == "" || second == first {
			t.Fatalf("certificate after the rename %q, before %q", second, first)
		}
		if got := aws.ToString(listenerOn(t, cfg, s, 443).Certificates[0].CertificateArn); got != second {
			t.Errorf("listener serves %s, want the new certificate %s", got, second)
		}
		if _, err := acm.NewFromConfig(cfg).DescribeCertificate(ctx, &acm.DescribeCertificateInput{CertificateArn: aws.String(first)}); !engine.HasCode(err, "ResourceNotFoundException") {
			t.Errorf("the old certificate after the deploy: %v, want it deleted", err)
		}
		if n := certificatesOf(t, cfg, s.Name); n != 1 {
			t.Errorf("%d certificates of the stack, want 1", n)
		}
		if again, err := Plan(ctx, cfg, s); err != nil || !again.Empty() {
			t.Fatalf("plan after the rename: %v\n%s", err, renderPlan(t, again))
		}
		destroy, err := PlanDestroy(ctx, cfg, s)
		if err != nil {
			t.Fatal(err)
		}
		apply(t, cfg, destroy)
		assertNothingLeft(t, cfg, s.Name)
	})
}
