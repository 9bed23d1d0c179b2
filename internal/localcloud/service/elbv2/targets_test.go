package elbv2_test

import (
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"

	"github.com/berthdev/berth/internal/localcloud/localcloudtest"
	"github.com/berthdev/berth/internal/localcloud/service/elbv2"
)

type healthRow struct{ id, state, reason string }

func describeHealth(t *testing.T, f *fixture, tgARN string) []healthRow {
	t.Helper()
	out, err := f.client.DescribeTargetHealth(ctx, &elb.DescribeTargetHealthInput{TargetGroupArn: aws.String(tgARN)})
	localcloudtest.WantCode(t, err, "")
	var rows []healthRow
	for _, d := range out.TargetHealthDescriptions {
		rows = append(rows, healthRow{*d.Target.Id, string(d.TargetHealth.State), string(d.TargetHealth.Reason)})
	}
	return rows
}

func TestTargetHealthTransitions(t *testing.T) {
	f := start(t)
	lb := createLB(t, f, "web")
	tg := createTG(t, f, "web")
	arn := *tg.TargetGroupArn
	target := elbv2.Target{ID: "10.0.0.5"}

	localcloudtest.WantCode(t, f.backend.RegisterTargets(ctx, arn, []elbv2.Target{target}), "")
	if got := describeHealth(t, f, arn); len(got) != 1 || got[0] != (healthRow{"10.0.0.5", "unused", "Target.NotInUse"}) {
		t.Fatalf("before any listener: %v", got)
	}

	_, err := f.client.CreateListener(ctx, &elb.CreateListenerInput{LoadBalancerArn: lb.LoadBalancerArn,
		Protocol: types.ProtocolEnumHttp, Port: aws.Int32(80), DefaultActions: forward(arn)})
	localcloudtest.WantCode(t, err, "")
	if got := describeHealth(t, f, arn); got[0] != (healthRow{"10.0.0.5", "initial", "Elb.RegistrationInProgress"}) {
		t.Fatalf("registered: %v", got)
	}
	out, err := f.client.DescribeTargetHealth(ctx, &elb.DescribeTargetHealthInput{TargetGroupArn: aws.String(arn)})
	localcloudtest.WantCode(t, err, "")
	if d := out.TargetHealthDescriptions[0]; *d.Target.Port != 8000 || *d.HealthCheckPort != "8000" {
		t.Errorf("port defaults to the group's: %+v", d)
	}

	localcloudtest.WantCode(t, f.backend.SetTargetHealth(ctx, arn, target, "healthy", "", ""), "")
	localcloudtest.WantCode(t, f.backend.SetTargetHealth(ctx, arn, elbv2.Target{ID: "10.9.9.9"}, "healthy", "", ""), "") // unknown: ignored
	if got := describeHealth(t, f, arn); len(got) != 1 || got[0] != (healthRow{"10.0.0.5", "healthy", ""}) {
		t.Fatalf("after a passing check: %v", got)
	}

	// Draining lasts the deregistration delay (300 s by default) and
	// re-registering brings the target back with its health.
	localcloudtest.WantCode(t, f.backend.DeregisterTargets(ctx, arn, []elbv2.Target{target}), "")
	if got := describeHealth(t, f, arn); got[0] != (healthRow{"10.0.0.5", "draining", "Target.DeregistrationInProgress"}) {
		t.Fatalf("deregistered: %v", got)
	}
	snap, err := f.backend.Snapshot(ctx)
	localcloudtest.WantCode(t, err, "")
	if len(snap.TargetGroups[0].Targets) != 0 {
		t.Errorf("a draining target still receives traffic: %+v", snap.TargetGroups[0].Targets)
	}
	localcloudtest.WantCode(t, f.backend.RegisterTargets(ctx, arn, []elbv2.Target{target}), "")
	if got := describeHealth(t, f, arn); got[0] != (healthRow{"10.0.0.5", "healthy", ""}) {
		t.Fatalf("re-registered while draining: %v", got)
	}

	// With no delay, a deregistered target is gone at once.
	_, err = f.client.ModifyTargetGroupAttributes(ctx, &elb.ModifyTargetGroupAttributesInput{TargetGroupArn: aws.String(arn),
		Attributes: []types.TargetGroupAttribute{{Key: aws.String("deregistration_delay.timeout_seconds"), Value: aws.String("0")}}})
	localcloudtest.WantCode(t, err, "")
	_, err = f.client.DeregisterTargets(ctx, &elb.DeregisterTargetsInput{TargetGroupArn: aws.String(arn), Targets: []types.TargetDescription{{Id: aws.String("10.0.0.5")}}})
	localcloudtest.WantCode(t, err, "")
	if got := describeHealth(t, f, arn); len(got) != 0 {
		t.Fatalf("after draining with no delay: %v", got)
	}
	named, err := f.client.DescribeTargetHealth(ctx, &elb.DescribeTargetHealthInput{TargetGroupArn: aws.String(arn), Targets: []types.TargetDescription{{Id: aws.String("10.0.0.5")}}})
	localcloudtest.WantCode(t, err, "")
	if h := named.TargetHealthDescriptions[0].TargetHealth; h.State != types.TargetHealthStateEnumUnused || h.Reason != types.TargetHealthReasonEnumNotRegistered {
		t.Errorf("named unregistered target: %+v", h)
	}

	_, err = f.client.RegisterTargets(ctx, &elb.RegisterTargetsInput{TargetGroupArn: aws.String(arn), Targets: []types.TargetDescription{{Id: aws.String("i-0123456789abcdef0")}}})
	localcloudtest.WantCode(t, err, "InvalidTarget")
	_, err = f.client.RegisterTargets(ctx, &elb.RegisterTargetsInput{TargetGroupArn: aws.String(arn + "0"), Targets: []types.TargetDescription{{Id: aws.String("10.0.0.6")}}})
	localcloudtest.WantCode(t, err, "TargetGroupNotFound")
}

func TestSnapshot(t *testing.T) {
	f := start(t)
	lb := createLB(t, f, "web")
	tg := createTG(t, f, "web")
	_, err := f.client.ModifyTargetGroupAttributes(ctx, &elb.ModifyTargetGroupAttributesInput{TargetGroupArn: tg.TargetGroupArn,
		Attributes: []types.TargetGroupAttribute{{Key: aws.String("deregistration_delay.timeout_seconds"), Value: aws.String("15")}}})
	localcloudtest.WantCode(t, err, "")
	listener, err := f.client.CreateListener(ctx, &elb.CreateListenerInput{LoadBalancerArn: lb.LoadBalancerArn,
		Protocol: types.ProtocolEnumHttp, Port: aws.Int32(8080), DefaultActions: forward(*tg.TargetGroupArn)})
	localcloudtest.WantCode(t, err, "")
	_, err = f.client.CreateRule(ctx, &elb.CreateRuleInput{ListenerArn: listener.Listeners[0].ListenerArn, Priority: aws.Int32(5),
		Conditions: []types.RuleCondition{{Field: aws.String("query-string"), QueryStringConfig: &types.QueryStringConditionConfig{
			Values: []types.QueryStringKeyValuePair{{Key: aws.String("v"), Value: aws.String("2")}}}}},
		Actions: []types.Action{{Type: types.ActionTypeEnumFixedResponse, FixedResponseConfig: &types.FixedResponseActionConfig{StatusCode: aws.String("200")}}}})
	localcloudtest.WantCode(t, err, "")
	localcloudtest.WantCode(t, f.backend.RegisterTargets(ctx, *tg.TargetGroupArn, []elbv2.Target{{ID: "127.0.0.1", Port: 9001}, {ID: "127.0.0.2"}}), "")

	snap, err := f.backend.Snapshot(ctx)
	localcloudtest.WantCode(t, err, "")
	if len(snap.LoadBalancers) != 1 || snap.LoadBalancers[0].DNSName != *lb.DNSName || snap.LoadBalancers[0].Scheme != "internet-facing" {
		t.Errorf("load balancers %+v", snap.LoadBalancers)
	}
	if len(snap.Listeners) != 1 || snap.Listeners[0].Port != 8080 || snap.Listeners[0].LoadBalancerARN != *lb.LoadBalancerArn ||
		snap.Listeners[0].DefaultActions[0].ForwardConfig.TargetGroups[0].TargetGroupArn != *tg.TargetGroupArn {
		t.Errorf("listeners %+v", snap.Listeners)
	}
	if len(snap.Rules) != 1 || snap.Rules[0].Priority != 5 || snap.Rules[0].Conditions[0].Field != "query-string" ||
		snap.Rules[0].Conditions[0].Values[0] != "v=2" || snap.Rules[0].Actions[0].FixedResponseConfig.StatusCode != "200" {
		t.Errorf("rules %+v", snap.Rules)
	}
	group := snap.TargetGroups[0]
	want := elbv2.HealthCheck{Enabled: true, Protocol: "HTTP", Path: "/", Port: "traffic-port", Interval: 30 * time.Second,
		Timeout: 5 * time.Second, HealthyThreshold: 5, UnhealthyThreshold: 2, Matcher: "200"}
	if group.HealthCheck != want || group.DeregistrationDelay != 15*time.Second || group.Port != 8000 || group.Protocol != "HTTP" {
		t.Errorf("target group %+v", group)
	}
	if len(group.Targets) != 2 || group.Targets[0] != (elbv2.Target{ID: "127.0.0.1", Port: 9001}) || group.Targets[1] != (elbv2.Target{ID: "127.0.0.2", Port: 8000}) {
		t.Errorf("targets %+v", group.Targets)
	}
}

// The AWS CLI (botocore) is stricter than Go about element names.
func TestAWSCLI(t *testing.T) {
	f := start(t)
	lb := createLB(t, f, "web")
	tg := createTG(t, f, "web")
	_, err := f.client.CreateListener(ctx, &elb.CreateListenerInput{LoadBalancerArn: lb.LoadBalancerArn,
		Protocol: types.ProtocolEnumHttp, Port: aws.Int32(80), DefaultActions: forward(*tg.TargetGroupArn)})
	localcloudtest.WantCode(t, err, "")

	run := func(args ...string) map[string]any {
		t.Helper()
		var doc map[string]any
		localcloudtest.MustAWSCLI(t, f.endpoint, "us-east-1", &doc, append([]string{"elbv2"}, args...)...)
		return doc
	}
	groups := run("describe-target-groups", "--names", "web")["TargetGroups"].([]any)
	group := groups[0].(map[string]any)
	if group["TargetGroupName"] != "web" || group["HealthCheckIntervalSeconds"] != float64(30) ||
		group["Matcher"].(map[string]any)["HttpCode"] != "200" || len(group["LoadBalancerArns"].([]any)) != 1 {
		t.Errorf("describe-target-groups: %v", group)
	}
	lbs := run("describe-load-balancers")["LoadBalancers"].([]any)
	if lbs[0].(map[string]any)["DNSName"] != *lb.DNSName || lbs[0].(map[string]any)["State"].(map[string]any)["Code"] != "active" {
		t.Errorf("describe-load-balancers: %v", lbs)
	}
	listeners := run("describe-listeners", "--load-balancer-arn", *lb.LoadBalancerArn)["Listeners"].([]any)
	action := listeners[0].(map[string]any)["DefaultActions"].([]any)[0].(map[string]any)
	if action["TargetGroupArn"] != *tg.TargetGroupArn || action["Type"] != "forward" {
		t.Errorf("describe-listeners: %v", listeners)
	}
	health := run("describe-target-health", "--target-group-arn", *tg.TargetGroupArn)
	if descriptions, ok := health["TargetHealthDescriptions"].([]any); !ok || len(descriptions) != 0 {
		t.Errorf("empty target health must be an empty list: %v", health)
	}
}
