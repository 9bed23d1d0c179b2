package elbv2_test

import (
	"errors"
	"fmt"
	"reflect"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/aws/smithy-go"

	"github.com/berthdev/berth/internal/deploytest"
)

// scenario runs one create/describe/delete sequence and records what a
// client can observe: values and error codes, not ids.
func scenario(t *testing.T, client *elb.Client, subnets []string, vpcID string) []string {
	t.Helper()
	var seen []string
	record := func(step string, err error, values ...any) {
		code := "ok"
		var apiErr smithy.APIError
		if errors.As(err, &apiErr) {
			code = apiErr.ErrorCode()
		} else if err != nil {
			t.Fatalf("%s: %v", step, err)
		}
		seen = append(seen, fmt.Sprintf("%s: %s %v", step, code, values))
	}
	lbOut, err := client.CreateLoadBalancer(ctx, &elb.CreateLoadBalancerInput{Name: aws.String("diff"), Subnets: subnets})
	if err != nil {
		t.Fatalf("create load balancer: %v", err)
	}
	lb := lbOut.LoadBalancers[0]
	// Not compared: State (AWS and moto answer "provisioning" first; the
	// local cloud is active at once, as berth's brief asks) and Scheme,
	// which moto leaves empty.
	record("create lb", nil, lb.Type, len(lb.AvailabilityZones), lb.IpAddressType)
	_, err = client.DescribeLoadBalancers(ctx, &elb.DescribeLoadBalancersInput{Names: []string{"missing"}})
	record("describe missing lb", err)

	tgOut, err := client.CreateTargetGroup(ctx, &elb.CreateTargetGroupInput{Name: aws.String("diff"), Protocol: types.ProtocolEnumHttp,
		Port: aws.Int32(80), VpcId: aws.String(vpcID), TargetType: types.TargetTypeEnumIp})
	if err != nil {
		t.Fatalf("create target group: %v", err)
	}
	tg := tgOut.TargetGroups[0]
	record("create tg", nil, *tg.HealthCheckIntervalSeconds, *tg.HealthCheckTimeoutSeconds, *tg.HealthyThresholdCount,
		*tg.UnhealthyThresholdCount, *tg.HealthCheckPath, *tg.HealthCheckPort, *tg.Matcher.HttpCode, tg.HealthCheckProtocol)
	_, err = client.CreateTargetGroup(ctx, &elb.CreateTargetGroupInput{Name: aws.String("diff"), Protocol: types.ProtocolEnumHttp,
		Port: aws.Int32(81), VpcId: aws.String(vpcID), TargetType: types.TargetTypeEnumIp})
	record("duplicate tg", err)

	lOut, err := client.CreateListener(ctx, &elb.CreateListenerInput{LoadBalancerArn: lb.LoadBalancerArn, Protocol: types.ProtocolEnumHttp,
		Port: aws.Int32(80), DefaultActions: forward(*tg.TargetGroupArn)})
	record("create listener", err)
	// Not compared: a second listener on the port, which moto accepts and
	// AWS refuses with DuplicateListener (TestListenersAndRules covers it).
	groups, err := client.DescribeTargetGroups(ctx, &elb.DescribeTargetGroupsInput{LoadBalancerArn: lb.LoadBalancerArn})
	record("tgs of lb", err, len(groups.TargetGroups), len(groups.TargetGroups[0].LoadBalancerArns))

	_, err = client.RegisterTargets(ctx, &elb.RegisterTargetsInput{TargetGroupArn: tg.TargetGroupArn, Targets: []types.TargetDescription{{Id: aws.String("10.0.1.10")}}})
	record("register", err)
	health, err := client.DescribeTargetHealth(ctx, &elb.DescribeTargetHealthInput{TargetGroupArn: tg.TargetGroupArn})
	record("health", err, len(health.TargetHealthDescriptions), *health.TargetHealthDescriptions[0].Target.Port)

	attrs, err := client.DescribeTargetGroupAttributes(ctx, &elb.DescribeTargetGroupAttributesInput{TargetGroupArn: tg.TargetGroupArn})
	record("tg attrs", err, attribute(attrs.Attributes, "deregistration_delay.timeout_seconds"), attribute(attrs.Attributes, "stickiness.enabled"))

	rules, err := client.DescribeRules(ctx, &elb.DescribeRulesInput{ListenerArn: lOut.Listeners[0].ListenerArn})
	record("rules", err, len(rules.Rules), *rules.Rules[0].Priority, *rules.Rules[0].IsDefault)

	_, err = client.DeleteLoadBalancer(ctx, &elb.DeleteLoadBalancerInput{LoadBalancerArn: lb.LoadBalancerArn})
	record("delete lb", err)
	_, err = client.DescribeListeners(ctx, &elb.DescribeListenersInput{ListenerArns: []string{*lOut.Listeners[0].ListenerArn}})
	record("listener after lb delete", err)
	_, err = client.DeleteTargetGroup(ctx, &elb.DeleteTargetGroupInput{TargetGroupArn: tg.TargetGroupArn})
	record("delete tg", err)
	_, err = client.DescribeTargetGroups(ctx, &elb.DescribeTargetGroupsInput{Names: []string{"diff"}})
	record("describe deleted tg", err)
	return seen
}

func TestAgainstMoto(t *testing.T) {
	moto := deploytest.ConfigFor(deploytest.Moto(t))
	ec2Client := ec2.NewFromConfig(moto)
	vpc, err := ec2Client.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String("10.0.0.0/16")})
	if err != nil {
		t.Fatal(err)
	}
	var subnets []string
	for i, zone := range []string{"us-east-1a", "us-east-1b"} {
		s, err := ec2Client.CreateSubnet(ctx, &ec2.CreateSubnetInput{VpcId: vpc.Vpc.VpcId, CidrBlock: aws.String(fmt.Sprintf("10.0.%d.0/24", i)), AvailabilityZone: aws.String(zone)})
		if err != nil {
			t.Fatal(err)
		}
		subnets = append(subnets, *s.Subnet.SubnetId)
	}

	want := scenario(t, elb.NewFromConfig(moto), subnets, *vpc.Vpc.VpcId)
	got := scenario(t, start(t).client, subnets, *vpc.Vpc.VpcId)
	if !reflect.DeepEqual(got, want) {
		for i := range max(len(got), len(want)) {
			var g, w string
			if i < len(got) {
				g = got[i]
			}
			if i < len(want) {
				w = want[i]
			}
			if g != w {
				t.Errorf("local cloud: %s\n          moto: %s", g, w)
			}
		}
	}
}
