package elbv2_test

import (
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"

	"github.com/berthdev/berth/internal/localcloud/localcloudtest"
)

func createLB(t *testing.T, f *fixture, name string) types.LoadBalancer {
	t.Helper()
	out, err := f.client.CreateLoadBalancer(ctx, &elb.CreateLoadBalancerInput{
		Name: aws.String(name), Subnets: []string{"subnet-a", "subnet-b"}, SecurityGroups: []string{"sg-1"},
		Tags: []types.Tag{{Key: aws.String("app"), Value: aws.String("web")}},
	})
	localcloudtest.WantCode(t, err, "")
	return out.LoadBalancers[0]
}

func createTG(t *testing.T, f *fixture, name string) types.TargetGroup {
	t.Helper()
	out, err := f.client.CreateTargetGroup(ctx, &elb.CreateTargetGroupInput{
		Name: aws.String(name), Protocol: types.ProtocolEnumHttp, Port: aws.Int32(8000), VpcId: aws.String("vpc-1"),
		TargetType: types.TargetTypeEnumIp,
	})
	localcloudtest.WantCode(t, err, "")
	return out.TargetGroups[0]
}

func forward(tgARN string) []types.Action {
	return []types.Action{{Type: types.ActionTypeEnumForward, TargetGroupArn: aws.String(tgARN)}}
}

func TestLoadBalancerLifecycle(t *testing.T) {
	f := start(t)
	lb := createLB(t, f, "web")
	if !regexp.MustCompile(`^arn:aws:elasticloadbalancing:us-east-1:000000000000:loadbalancer/app/web/[0-9a-f]{16}$`).MatchString(*lb.LoadBalancerArn) {
		t.Errorf("ARN %s", *lb.LoadBalancerArn)
	}
	if !regexp.MustCompile(`^web-\d{10}\.us-east-1\.elb\.localhost$`).MatchString(*lb.DNSName) {
		t.Errorf("DNS name %s", *lb.DNSName)
	}
	if lb.State.Code != types.LoadBalancerStateEnumActive || lb.Scheme != types.LoadBalancerSchemeEnumInternetFacing ||
		lb.Type != types.LoadBalancerTypeEnumApplication || *lb.CanonicalHostedZoneId == "" || len(lb.AvailabilityZones) != 2 ||
		lb.CreatedTime == nil || !slices.Equal(lb.SecurityGroups, []string{"sg-1"}) {
		t.Errorf("load balancer %+v", lb)
	}

	internal, err := f.client.CreateLoadBalancer(ctx, &elb.CreateLoadBalancerInput{
		Name: aws.String("api"), Scheme: types.LoadBalancerSchemeEnumInternal, Subnets: []string{"subnet-a", "subnet-b"},
	})
	localcloudtest.WantCode(t, err, "")
	if !strings.HasPrefix(*internal.LoadBalancers[0].DNSName, "internal-api-") {
		t.Errorf("internal DNS name %s", *internal.LoadBalancers[0].DNSName)
	}

	again := createLB(t, f, "web")
	if *again.LoadBalancerArn != *lb.LoadBalancerArn {
		t.Errorf("identical create made a new load balancer")
	}

	errors := []struct {
		name string
		in   elb.CreateLoadBalancerInput
		code string
	}{
		{"different settings", elb.CreateLoadBalancerInput{Name: aws.String("web"), Subnets: []string{"subnet-a", "subnet-c"}}, "DuplicateLoadBalancerName"},
		{"one subnet", elb.CreateLoadBalancerInput{Name: aws.String("one"), Subnets: []string{"subnet-a"}}, "ValidationError"},
		{"no subnets", elb.CreateLoadBalancerInput{Name: aws.String("none")}, "ValidationError"},
		{"name too long", elb.CreateLoadBalancerInput{Name: aws.String(strings.Repeat("a", 33)), Subnets: []string{"subnet-a", "subnet-b"}}, "ValidationError"},
		{"leading hyphen", elb.CreateLoadBalancerInput{Name: aws.String("-web"), Subnets: []string{"subnet-a", "subnet-b"}}, "ValidationError"},
		{"bad character", elb.CreateLoadBalancerInput{Name: aws.String("web_1"), Subnets: []string{"subnet-a", "subnet-b"}}, "ValidationError"},
		{"internal- prefix", elb.CreateLoadBalancerInput{Name: aws.String("internal-web"), Subnets: []string{"subnet-a", "subnet-b"}}, "ValidationError"},
		{"bad scheme", elb.CreateLoadBalancerInput{Name: aws.String("x"), Scheme: "public", Subnets: []string{"subnet-a", "subnet-b"}}, "ValidationError"},
		{"duplicate tag keys", elb.CreateLoadBalancerInput{Name: aws.String("x"), Subnets: []string{"subnet-a", "subnet-b"},
			Tags: []types.Tag{{Key: aws.String("k")}, {Key: aws.String("k")}}}, "DuplicateTagKeys"},
	}
	for _, tt := range errors {
		t.Run(tt.name, func(t *testing.T) {
			_, err := f.client.CreateLoadBalancer(ctx, &tt.in)
			localcloudtest.WantCode(t, err, tt.code)
		})
	}

	byName, err := f.client.DescribeLoadBalancers(ctx, &elb.DescribeLoadBalancersInput{Names: []string{"web"}})
	localcloudtest.WantCode(t, err, "")
	if len(byName.LoadBalancers) != 1 || *byName.LoadBalancers[0].LoadBalancerArn != *lb.LoadBalancerArn {
		t.Errorf("describe by name: %+v", byName.LoadBalancers)
	}
	_, err = f.client.DescribeLoadBalancers(ctx, &elb.DescribeLoadBalancersInput{Names: []string{"web", "missing"}})
	localcloudtest.WantCode(t, err, "LoadBalancerNotFound")

	// Pagination walks every load balancer once.
	var names []string
	pager := elb.NewDescribeLoadBalancersPaginator(f.client, &elb.DescribeLoadBalancersInput{PageSize: aws.Int32(1)})
	for pager.HasMorePages() {
		page, err := pager.NextPage(ctx)
		localcloudtest.WantCode(t, err, "")
		for _, l := range page.LoadBalancers {
			names = append(names, *l.LoadBalancerName)
		}
	}
	if !slices.Equal(names, []string{"web", "api"}) {
		t.Errorf("paginated names %v", names)
	}

	attrs, err := f.client.DescribeLoadBalancerAttributes(ctx, &elb.DescribeLoadBalancerAttributesInput{LoadBalancerArn: lb.LoadBalancerArn})
	localcloudtest.WantCode(t, err, "")
	if got := attribute(attrs.Attributes, "idle_timeout.timeout_seconds"); got != "60" {
		t.Errorf("idle timeout default %q", got)
	}
	_, err = f.client.ModifyLoadBalancerAttributes(ctx, &elb.ModifyLoadBalancerAttributesInput{LoadBalancerArn: lb.LoadBalancerArn,
		Attributes: []types.LoadBalancerAttribute{{Key: aws.String("idle_timeout.timeout_seconds"), Value: aws.String("0")}}})
	localcloudtest.WantCode(t, err, "ValidationError")
	_, err = f.client.ModifyLoadBalancerAttributes(ctx, &elb.ModifyLoadBalancerAttributesInput{LoadBalancerArn: lb.LoadBalancerArn,
		Attributes: []types.LoadBalancerAttribute{{Key: aws.String("deletion_protection.enabled"), Value: aws.String("true")}}})
	localcloudtest.WantCode(t, err, "")
	_, err = f.client.DeleteLoadBalancer(ctx, &elb.DeleteLoadBalancerInput{LoadBalancerArn: lb.LoadBalancerArn})
	localcloudtest.WantCode(t, err, "OperationNotPermitted")
	_, err = f.client.ModifyLoadBalancerAttributes(ctx, &elb.ModifyLoadBalancerAttributesInput{LoadBalancerArn: lb.LoadBalancerArn,
		Attributes: []types.LoadBalancerAttribute{{Key: aws.String("deletion_protection.enabled"), Value: aws.String("false")}}})
	localcloudtest.WantCode(t, err, "")

	sgs, err := f.client.SetSecurityGroups(ctx, &elb.SetSecurityGroupsInput{LoadBalancerArn: lb.LoadBalancerArn, SecurityGroups: []string{"sg-2", "sg-3"}})
	localcloudtest.WantCode(t, err, "")
	if !slices.Equal(sgs.SecurityGroupIds, []string{"sg-2", "sg-3"}) {
		t.Errorf("security groups %v", sgs.SecurityGroupIds)
	}
	subnets, err := f.client.SetSubnets(ctx, &elb.SetSubnetsInput{LoadBalancerArn: lb.LoadBalancerArn, Subnets: []string{"subnet-c", "subnet-d", "subnet-e"}})
	localcloudtest.WantCode(t, err, "")
	if len(subnets.AvailabilityZones) != 3 {
		t.Errorf("zones %+v", subnets.AvailabilityZones)
	}
	_, err = f.client.SetSubnets(ctx, &elb.SetSubnetsInput{LoadBalancerArn: aws.String(strings.Replace(*lb.LoadBalancerArn, "/web/", "/gone/", 1)), Subnets: []string{"subnet-c", "subnet-d"}})
	localcloudtest.WantCode(t, err, "LoadBalancerNotFound")

	_, err = f.client.DeleteLoadBalancer(ctx, &elb.DeleteLoadBalancerInput{LoadBalancerArn: lb.LoadBalancerArn})
	localcloudtest.WantCode(t, err, "")
	_, err = f.client.DeleteLoadBalancer(ctx, &elb.DeleteLoadBalancerInput{LoadBalancerArn: lb.LoadBalancerArn})
	localcloudtest.WantCode(t, err, "") // idempotent
	_, err = f.client.DescribeLoadBalancers(ctx, &elb.DescribeLoadBalancersInput{LoadBalancerArns: []string{*lb.LoadBalancerArn}})
	localcloudtest.WantCode(t, err, "LoadBalancerNotFound")
}

func attribute[T interface {
	types.LoadBalancerAttribute | types.TargetGroupAttribute
}](attrs []T, key string) string {
	for _, a := range attrs {
		switch a := any(a).(type) {
		case types.LoadBalancerAttribute:
			if *a.Key == key {
				return *a.Value
			}
		case types.TargetGroupAttribute:
			if *a.Key == key {
				return *a.Value
			}
		}
	}
	return "<absent>"
}

func TestTargetGroupLifecycle(t *testing.T) {
	f := start(t)
	tg := createTG(t, f, "web")
	if *tg.HealthCheckIntervalSeconds != 30 || *tg.HealthCheckTimeoutSeconds != 5 || *tg.HealthyThresholdCount != 5 ||
		*tg.UnhealthyThresholdCount != 2 || *tg.HealthCheckPath != "/" || *tg.Matcher.HttpCode != "200" ||
		*tg.HealthCheckPort != "traffic-port" || tg.HealthCheckProtocol != types.ProtocolEnumHttp || !*tg.HealthCheckEnabled ||
		tg.TargetType != types.TargetTypeEnumIp || *tg.Port != 8000 || len(tg.LoadBalancerArns) != 0 {
		t.Errorf("defaults %+v", tg)
	}
	if again := createTG(t, f, "web"); *again.TargetGroupArn != *tg.TargetGroupArn {
		t.Errorf("identical create made a new target group")
	}

	tests := []struct {
		name string
		in   elb.CreateTargetGroupInput
		code string
	}{
		{"different port", elb.CreateTargetGroupInput{Name: aws.String("web"), Protocol: types.ProtocolEnumHttp, Port: aws.Int32(9000), VpcId: aws.String("vpc-1"), TargetType: types.TargetTypeEnumIp}, "DuplicateTargetGroupName"},
		{"interval too short", elb.CreateTargetGroupInput{Name: aws.String("x"), Protocol: types.ProtocolEnumHttp, Port: aws.Int32(80), VpcId: aws.String("vpc-1"), HealthCheckIntervalSeconds: aws.Int32(4)}, "ValidationError"},
		{"threshold too high", elb.CreateTargetGroupInput{Name: aws.String("x"), Protocol: types.ProtocolEnumHttp, Port: aws.Int32(80), VpcId: aws.String("vpc-1"), HealthyThresholdCount: aws.Int32(11)}, "ValidationError"},
		{"timeout not below interval", elb.CreateTargetGroupInput{Name: aws.String("x"), Protocol: types.ProtocolEnumHttp, Port: aws.Int32(80), VpcId: aws.String("vpc-1"), HealthCheckIntervalSeconds: aws.Int32(5), HealthCheckTimeoutSeconds: aws.Int32(5)}, "ValidationError"},
		{"bad matcher", elb.CreateTargetGroupInput{Name: aws.String("x"), Protocol: types.ProtocolEnumHttp, Port: aws.Int32(80), VpcId: aws.String("vpc-1"), Matcher: &types.Matcher{HttpCode: aws.String("ok")}}, "ValidationError"},
		{"no vpc", elb.CreateTargetGroupInput{Name: aws.String("x"), Protocol: types.ProtocolEnumHttp, Port: aws.Int32(80)}, "ValidationError"},
		{"no port", elb.CreateTargetGroupInput{Name: aws.String("x"), Protocol: types.ProtocolEnumHttp, VpcId: aws.String("vpc-1")}, "ValidationError"},
		{"bad name", elb.CreateTargetGroupInput{Name: aws.String("web-"), Protocol: types.ProtocolEnumHttp, Port: aws.Int32(80), VpcId: aws.String("vpc-1")}, "ValidationError"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := f.client.CreateTargetGroup(ctx, &tt.in)
			localcloudtest.WantCode(t, err, tt.code)
		})
	}

	modified, err := f.client.ModifyTargetGroup(ctx, &elb.ModifyTargetGroupInput{TargetGroupArn: tg.TargetGroupArn,
		HealthCheckIntervalSeconds: aws.Int32(5), HealthCheckTimeoutSeconds: aws.Int32(2), HealthyThresholdCount: aws.Int32(2),
		HealthCheckPath: aws.String("/health"), Matcher: &types.Matcher{HttpCode: aws.String("200-299")}})
	localcloudtest.WantCode(t, err, "")
	if m := modified.TargetGroups[0]; *m.HealthCheckIntervalSeconds != 5 || *m.HealthCheckPath != "/health" || *m.Matcher.HttpCode != "200-299" {
		t.Errorf("modified %+v", m)
	}

	attrs, err := f.client.DescribeTargetGroupAttributes(ctx, &elb.DescribeTargetGroupAttributesInput{TargetGroupArn: tg.TargetGroupArn})
	localcloudtest.WantCode(t, err, "")
	for key, want := range map[string]string{"deregistration_delay.timeout_seconds": "300", "stickiness.enabled": "false",
		"stickiness.type": "lb_cookie", "load_balancing.algorithm.type": "round_robin", "slow_start.duration_seconds": "0"} {
		if got := attribute(attrs.Attributes, key); got != want {
			t.Errorf("%s = %q, want %q", key, got, want)
		}
	}
	for _, tt := range []struct{ key, value, code string }{
		{"deregistration_delay.timeout_seconds", "30", ""},
		{"deregistration_delay.timeout_seconds", "3601", "ValidationError"},
		{"slow_start.duration_seconds", "10", "ValidationError"},
		{"stickiness.type", "source_ip", "ValidationError"},
		{"no.such.key", "1", "ValidationError"},
	} {
		_, err := f.client.ModifyTargetGroupAttributes(ctx, &elb.ModifyTargetGroupAttributesInput{TargetGroupArn: tg.TargetGroupArn,
			Attributes: []types.TargetGroupAttribute{{Key: aws.String(tt.key), Value: aws.String(tt.value)}}})
		localcloudtest.WantCode(t, err, tt.code)
	}

	_, err = f.client.DescribeTargetGroups(ctx, &elb.DescribeTargetGroupsInput{Names: []string{"missing"}})
	localcloudtest.WantCode(t, err, "TargetGroupNotFound")
	_, err = f.client.DeleteTargetGroup(ctx, &elb.DeleteTargetGroupInput{TargetGroupArn: tg.TargetGroupArn})
	localcloudtest.WantCode(t, err, "")
	_, err = f.client.DescribeTargetGroups(ctx, &elb.DescribeTargetGroupsInput{TargetGroupArns: []string{*tg.TargetGroupArn}})
	localcloudtest.WantCode(t, err, "TargetGroupNotFound")
}

func TestListenersAndRules(t *testing.T) {
	f := start(t)
	lb := createLB(t, f, "web")
	other := createLB(t, f, "other")
	tg := createTG(t, f, "web")
	spare := createTG(t, f, "spare")

	listener, err := f.client.CreateListener(ctx, &elb.CreateListenerInput{LoadBalancerArn: lb.LoadBalancerArn,
		Protocol: types.ProtocolEnumHttp, Port: aws.Int32(80), DefaultActions: forward(*tg.TargetGroupArn)})
	localcloudtest.WantCode(t, err, "")
	l := listener.Listeners[0]
	action := l.DefaultActions[0]
	if action.ForwardConfig == nil || len(action.ForwardConfig.TargetGroups) != 1 || *action.ForwardConfig.TargetGroups[0].Weight != 1 || *action.Order != 1 {
		t.Errorf("forward action not normalised: %+v", action)
	}

	groups, err := f.client.DescribeTargetGroups(ctx, &elb.DescribeTargetGroupsInput{LoadBalancerArn: lb.LoadBalancerArn})
	localcloudtest.WantCode(t, err, "")
	if len(groups.TargetGroups) != 1 || !slices.Equal(groups.TargetGroups[0].LoadBalancerArns, []string{*lb.LoadBalancerArn}) {
		t.Errorf("target groups of the load balancer: %+v", groups.TargetGroups)
	}

	listenerErrors := []struct {
		name string
		in   elb.CreateListenerInput
		code string
	}{
		{"same port", elb.CreateListenerInput{LoadBalancerArn: lb.LoadBalancerArn, Protocol: types.ProtocolEnumHttp, Port: aws.Int32(80), DefaultActions: forward(*spare.TargetGroupArn)}, "DuplicateListener"},
		{"unknown target group", elb.CreateListenerInput{LoadBalancerArn: lb.LoadBalancerArn, Protocol: types.ProtocolEnumHttp, Port: aws.Int32(81), DefaultActions: forward(strings.Replace(*tg.TargetGroupArn, "/web/", "/nope/", 1))}, "TargetGroupNotFound"},
		{"group of another load balancer", elb.CreateListenerInput{LoadBalancerArn: other.LoadBalancerArn, Protocol: types.ProtocolEnumHttp, Port: aws.Int32(80), DefaultActions: forward(*tg.TargetGroupArn)}, "InvalidConfigurationRequest"},
		{"https without certificate", elb.CreateListenerInput{LoadBalancerArn: lb.LoadBalancerArn, Protocol: types.ProtocolEnumHttps, Port: aws.Int32(443), DefaultActions: forward(*tg.TargetGroupArn)}, "ValidationError"},
		{"bad fixed response", elb.CreateListenerInput{LoadBalancerArn: lb.LoadBalancerArn, Protocol: types.ProtocolEnumHttp, Port: aws.Int32(82), DefaultActions: []types.Action{{Type: types.ActionTypeEnumFixedResponse, FixedResponseConfig: &types.FixedResponseActionConfig{StatusCode: aws.String("302")}}}}, "ValidationError"},
		{"unknown load balancer", elb.CreateListenerInput{LoadBalancerArn: aws.String(strings.Replace(*lb.LoadBalancerArn, "/web/", "/gone/", 1)), Protocol: types.ProtocolEnumHttp, Port: aws.Int32(80), DefaultActions: forward(*tg.TargetGroupArn)}, "LoadBalancerNotFound"},
	}
	for _, tt := range listenerErrors {
		t.Run(tt.name, func(t *testing.T) {
			_, err := f.client.CreateListener(ctx, &tt.in)
			localcloudtest.WantCode(t, err, tt.code)
		})
	}

	redirect, err := f.client.CreateListener(ctx, &elb.CreateListenerInput{LoadBalancerArn: lb.LoadBalancerArn, Protocol: types.ProtocolEnumHttp, Port: aws.Int32(8080),
		DefaultActions: []types.Action{{Type: types.ActionTypeEnumRedirect, RedirectConfig: &types.RedirectActionConfig{Port: aws.String("80"), StatusCode: types.RedirectActionStatusCodeEnumHttp301}}}})
	localcloudtest.WantCode(t, err, "")
	if rc := redirect.Listeners[0].DefaultActions[0].RedirectConfig; *rc.Host != "#{host}" || *rc.Port != "80" || *rc.Path != "/#{path}" {
		t.Errorf("redirect %+v", rc)
	}

	rule, err := f.client.CreateRule(ctx, &elb.CreateRuleInput{ListenerArn: l.ListenerArn, Priority: aws.Int32(10),
		Conditions: []types.RuleCondition{{Field: aws.String("path-pattern"), Values: []string{"/api/*"}}},
		Actions:    forward(*spare.TargetGroupArn)})
	localcloudtest.WantCode(t, err, "")
	r := rule.Rules[0]
	if *r.Priority != "10" || *r.IsDefault || r.Conditions[0].PathPatternConfig == nil || r.Conditions[0].PathPatternConfig.Values[0] != "/api/*" {
		t.Errorf("rule %+v", r)
	}
	_, err = f.client.CreateRule(ctx, &elb.CreateRuleInput{ListenerArn: l.ListenerArn, Priority: aws.Int32(10),
		Conditions: []types.RuleCondition{{Field: aws.String("host-header"), Values: []string{"a.example"}}}, Actions: forward(*spare.TargetGroupArn)})
	localcloudtest.WantCode(t, err, "PriorityInUse")
	_, err = f.client.CreateRule(ctx, &elb.CreateRuleInput{ListenerArn: l.ListenerArn, Priority: aws.Int32(11),
		Conditions: []types.RuleCondition{{Field: aws.String("cookie"), Values: []string{"x"}}}, Actions: forward(*spare.TargetGroupArn)})
	localcloudtest.WantCode(t, err, "ValidationError")
	second, err := f.client.CreateRule(ctx, &elb.CreateRuleInput{ListenerArn: l.ListenerArn, Priority: aws.Int32(20),
		Conditions: []types.RuleCondition{{Field: aws.String("http-header"), HttpHeaderConfig: &types.HttpHeaderConditionConfig{HttpHeaderName: aws.String("X-Env"), Values: []string{"dev"}}}},
		Actions:    []types.Action{{Type: types.ActionTypeEnumFixedResponse, FixedResponseConfig: &types.FixedResponseActionConfig{StatusCode: aws.String("404"), ContentType: aws.String("text/plain"), MessageBody: aws.String("no")}}}})
	localcloudtest.WantCode(t, err, "")

	rules, err := f.client.DescribeRules(ctx, &elb.DescribeRulesInput{ListenerArn: l.ListenerArn})
	localcloudtest.WantCode(t, err, "")
	var priorities []string
	for _, r := range rules.Rules {
		priorities = append(priorities, *r.Priority)
	}
	if !slices.Equal(priorities, []string{"10", "20", "default"}) || !*rules.Rules[2].IsDefault {
		t.Errorf("rule priorities %v", priorities)
	}
	defaultRule := rules.Rules[2]

	_, err = f.client.SetRulePriorities(ctx, &elb.SetRulePrioritiesInput{RulePriorities: []types.RulePriorityPair{{RuleArn: r.RuleArn, Priority: aws.Int32(20)}}})
	localcloudtest.WantCode(t, err, "PriorityInUse")
	swapped, err := f.client.SetRulePriorities(ctx, &elb.SetRulePrioritiesInput{RulePriorities: []types.RulePriorityPair{
		{RuleArn: r.RuleArn, Priority: aws.Int32(20)}, {RuleArn: second.Rules[0].RuleArn, Priority: aws.Int32(10)}}})
	localcloudtest.WantCode(t, err, "")
	if len(swapped.Rules) != 2 || *swapped.Rules[0].RuleArn != *second.Rules[0].RuleArn {
		t.Errorf("swapped %+v", swapped.Rules)
	}
	_, err = f.client.DeleteRule(ctx, &elb.DeleteRuleInput{RuleArn: defaultRule.RuleArn})
	localcloudtest.WantCode(t, err, "OperationNotPermitted")

	// The spare group is in use by a rule; the main one by the listener.
	_, err = f.client.DeleteTargetGroup(ctx, &elb.DeleteTargetGroupInput{TargetGroupArn: spare.TargetGroupArn})
	localcloudtest.WantCode(t, err, "ResourceInUse")
	_, err = f.client.ModifyRule(ctx, &elb.ModifyRuleInput{RuleArn: r.RuleArn, Actions: forward(*tg.TargetGroupArn)})
	localcloudtest.WantCode(t, err, "")
	_, err = f.client.DeleteTargetGroup(ctx, &elb.DeleteTargetGroupInput{TargetGroupArn: spare.TargetGroupArn})
	localcloudtest.WantCode(t, err, "")

	// Tags across every kind of resource.
	arns := []string{*lb.LoadBalancerArn, *tg.TargetGroupArn, *l.ListenerArn, *r.RuleArn, *defaultRule.RuleArn}
	_, err = f.client.AddTags(ctx, &elb.AddTagsInput{ResourceArns: arns, Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("edge")}}})
	localcloudtest.WantCode(t, err, "")
	tags, err := f.client.DescribeTags(ctx, &elb.DescribeTagsInput{ResourceArns: arns})
	localcloudtest.WantCode(t, err, "")
	if len(tags.TagDescriptions) != len(arns) {
		t.Fatalf("tag descriptions %+v", tags.TagDescriptions)
	}
	for _, d := range tags.TagDescriptions {
		if !slices.ContainsFunc(d.Tags, func(tag types.Tag) bool { return *tag.Key == "team" && *tag.Value == "edge" }) {
			t.Errorf("%s tags %+v", *d.ResourceArn, d.Tags)
		}
	}
	_, err = f.client.RemoveTags(ctx, &elb.RemoveTagsInput{ResourceArns: []string{*lb.LoadBalancerArn}, TagKeys: []string{"team", "app"}})
	localcloudtest.WantCode(t, err, "")
	tags, err = f.client.DescribeTags(ctx, &elb.DescribeTagsInput{ResourceArns: []string{*lb.LoadBalancerArn}})
	localcloudtest.WantCode(t, err, "")
	if len(tags.TagDescriptions[0].Tags) != 0 {
		t.Errorf("tags left %+v", tags.TagDescriptions[0].Tags)
	}
	_, err = f.client.DescribeTags(ctx, &elb.DescribeTagsInput{ResourceArns: []string{strings.Replace(*tg.TargetGroupArn, "/web/", "/nope/", 1)}})
	localcloudtest.WantCode(t, err, "TargetGroupNotFound")

	modified, err := f.client.ModifyListener(ctx, &elb.ModifyListenerInput{ListenerArn: l.ListenerArn, Port: aws.Int32(8080)})
	localcloudtest.WantCode(t, err, "DuplicateListener")
	_ = modified
	moved, err := f.client.ModifyListener(ctx, &elb.ModifyListenerInput{ListenerArn: l.ListenerArn, Port: aws.Int32(81),
		DefaultActions: []types.Action{{Type: types.ActionTypeEnumFixedResponse, FixedResponseConfig: &types.FixedResponseActionConfig{StatusCode: aws.String("503")}}}})
	localcloudtest.WantCode(t, err, "")
	if *moved.Listeners[0].Port != 81 || moved.Listeners[0].DefaultActions[0].Type != types.ActionTypeEnumFixedResponse {
		t.Errorf("modified listener %+v", moved.Listeners[0])
	}

	// Deleting the load balancer takes its listeners and rules with it.
	_, err = f.client.DeleteLoadBalancer(ctx, &elb.DeleteLoadBalancerInput{LoadBalancerArn: lb.LoadBalancerArn})
	localcloudtest.WantCode(t, err, "")
	_, err = f.client.DescribeListeners(ctx, &elb.DescribeListenersInput{ListenerArns: []string{*l.ListenerArn}})
	localcloudtest.WantCode(t, err, "ListenerNotFound")
	_, err = f.client.DescribeRules(ctx, &elb.DescribeRulesInput{RuleArns: []string{*r.RuleArn}})
	localcloudtest.WantCode(t, err, "RuleNotFound")
	_, err = f.client.DeleteTargetGroup(ctx, &elb.DeleteTargetGroupInput{TargetGroupArn: tg.TargetGroupArn})
	localcloudtest.WantCode(t, err, "")
}
