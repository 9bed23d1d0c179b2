package controller_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"

	"github.com/berthdev/berth/internal/localcloud/localcloudtest"
)

// The write-up's hardest part, checked on the data plane: a task whose
// security group does not let the ALB's group in on the container port
// never turns healthy (Target.Timeout, as on AWS) and turns healthy once
// the rule is added, without a restart; the listener takes clients only
// while the ALB's group lets 127.0.0.1 in on its port.
func TestSecurityGroupsGuardTheLoadBalancerAndItsTargets(t *testing.T) {
	cloud := localcloudtest.Start(t)
	ctx := context.Background()
	ec2Client := ec2.NewFromConfig(cloud.Config)
	var albGroup, taskGroup string
	tgARN := guardedWebService(t, cloud, "guarded", 1, func(vpcID string) ([]string, []string) {
		create := func(name string) string {
			out, err := ec2Client.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{GroupName: aws.String(name), Description: aws.String(name), VpcId: aws.String(vpcID)})
			if err != nil {
				t.Fatalf("CreateSecurityGroup %s: %v", name, err)
			}
			return aws.ToString(out.GroupId)
		}
		albGroup, taskGroup = create("alb"), create("task")
		if _, err := ec2Client.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{
			GroupId: aws.String(albGroup), IpProtocol: aws.String("tcp"), FromPort: aws.Int32(80), ToPort: aws.Int32(80), CidrIp: aws.String("0.0.0.0/0"),
		}); err != nil {
			t.Fatalf("AuthorizeSecurityGroupIngress: %v", err)
		}
		return []string{albGroup}, []string{taskGroup}
	})
	elbClient := elb.NewFromConfig(cloud.Config)
	targetHealth := func() (elbtypes.TargetHealth, bool) {
		out, err := elbClient.DescribeTargetHealth(ctx, &elb.DescribeTargetHealthInput{TargetGroupArn: aws.String(tgARN)})
		if err != nil || len(out.TargetHealthDescriptions) != 1 {
			return elbtypes.TargetHealth{}, false
		}
		return *out.TargetHealthDescriptions[0].TargetHealth, true
	}
	waitFor := func(what string, ok func(elbtypes.TargetHealth) bool) {
		t.Helper()
		for deadline := time.Now().Add(2 * time.Minute); ; time.Sleep(50 * time.Millisecond) {
			if health, found := targetHealth(); found && ok(health) {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("gave up waiting for %s:\n%s", what, serviceReport(t, cloud, "guarded", tgARN))
			}
		}
	}

	waitFor("the blocked target to time out", func(h elbtypes.TargetHealth) bool {
		return h.State == elbtypes.TargetHealthStateEnumUnhealthy
	})
	health, _ := targetHealth()
	if health.Reason != elbtypes.TargetHealthReasonEnumTimeout || aws.ToString(health.Description) != "Request timed out" {
		t.Errorf("blocked target: reason %q, description %q; want Target.Timeout, \"Request timed out\"", health.Reason, aws.ToString(health.Description))
	}

	if _, err := ec2Client.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{
		GroupId: aws.String(taskGroup),
		IpPermissions: []ec2types.IpPermission{{IpProtocol: aws.String("tcp"), FromPort: aws.Int32(9000), ToPort: aws.Int32(9000),
			UserIdGroupPairs: []ec2types.UserIdGroupPair{{GroupId: aws.String(albGroup)}}}},
	}); err != nil {
		t.Fatalf("AuthorizeSecurityGroupIngress: %v", err)
	}
	waitFor("the target to turn healthy once the ALB's group is let in", func(h elbtypes.TargetHealth) bool {
		return h.State == elbtypes.TargetHealthStateEnumHealthy
	})
	base := listenerURL(t, cloud)
	fresh := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	get := func() error {
		resp, err := fresh.Get(base + "/id")
		if err == nil {
			_ = resp.Body.Close()
		}
		return err
	}
	if err := get(); err != nil {
		t.Fatalf("through the ALB once both groups allow it: %v", err)
	}

	if _, err := ec2Client.RevokeSecurityGroupIngress(ctx, &ec2.RevokeSecurityGroupIngressInput{
		GroupId: aws.String(albGroup), IpProtocol: aws.String("tcp"), FromPort: aws.Int32(80), ToPort: aws.Int32(80), CidrIp: aws.String("0.0.0.0/0"),
	}); err != nil {
		t.Fatalf("RevokeSecurityGroupIngress: %v", err)
	}
	localcloudtest.Eventually(t, "the listener to refuse clients its group no longer lets in", func() bool { return get() != nil })
	if _, err := ec2Client.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{
		GroupId: aws.String(albGroup), IpProtocol: aws.String("tcp"), FromPort: aws.Int32(80), ToPort: aws.Int32(80), CidrIp: aws.String("127.0.0.0/8"),
	}); err != nil {
		t.Fatalf("AuthorizeSecurityGroupIngress: %v", err)
	}
	localcloudtest.Eventually(t, "the listener to take loopback clients again", func() bool { return get() == nil })
}

// As on AWS, an ALB created without security groups is in its VPC's
// default group, which lets only its own members in: the listener refuses
// clients until a rule of that group lets them in.
func TestLoadBalancerWithoutGroupsIsInTheDefaultGroup(t *testing.T) {
	cloud := localcloudtest.Start(t)
	ctx := context.Background()
	vpc, subnets := clusterNetwork(t, cloud, "defaulted")
	ec2Client := ec2.NewFromConfig(cloud.Config)
	defaults, err := ec2Client.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{Filters: []ec2types.Filter{
		{Name: aws.String("vpc-id"), Values: []string{vpc}}, {Name: aws.String("group-name"), Values: []string{"default"}}}})
	if err != nil || len(defaults.SecurityGroups) != 1 {
		t.Fatalf("DescribeSecurityGroups: %v %+v", err, defaults)
	}
	defaultGroup := aws.ToString(defaults.SecurityGroups[0].GroupId)
	elbClient := elb.NewFromConfig(cloud.Config)
	created, err := elbClient.CreateLoadBalancer(ctx, &elb.CreateLoadBalancerInput{Name: aws.String("defaulted"), Subnets: subnets})
	if err != nil {
		t.Fatalf("CreateLoadBalancer: %v", err)
	}
	balancer := created.LoadBalancers[0]
	if len(balancer.SecurityGroups) != 1 || balancer.SecurityGroups[0] != defaultGroup {
		t.Errorf("security groups %v, want the VPC's default group %s", balancer.SecurityGroups, defaultGroup)
	}
	again, err := elbClient.CreateLoadBalancer(ctx, &elb.CreateLoadBalancerInput{Name: aws.String("defaulted"), Subnets: subnets})
	if err != nil || aws.ToString(again.LoadBalancers[0].LoadBalancerArn) != aws.ToString(balancer.LoadBalancerArn) {
		t.Errorf("the same call again: %v %+v, want the same load balancer", err, again)
	}
	if _, err := elbClient.CreateListener(ctx, &elb.CreateListenerInput{
		LoadBalancerArn: balancer.LoadBalancerArn, Protocol: elbtypes.ProtocolEnumHttp, Port: aws.Int32(80),
		DefaultActions: []elbtypes.Action{{Type: elbtypes.ActionTypeEnumFixedResponse, FixedResponseConfig: &elbtypes.FixedResponseActionConfig{
			StatusCode: aws.String("200"), ContentType: aws.String("text/plain"), MessageBody: aws.String("ok")}}},
	}); err != nil {
		t.Fatalf("CreateListener: %v", err)
	}
	base := listenerURL(t, cloud)
	fresh := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	get := func() error {
		resp, err := fresh.Get(base + "/")
		if err == nil {
			_ = resp.Body.Close()
		}
		return err
	}
	localcloudtest.Eventually(t, "the listener to refuse clients the default group does not let in", func() bool { return get() != nil })
	if _, err := ec2Client.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{
		GroupId: aws.String(defaultGroup), IpProtocol: aws.String("tcp"), FromPort: aws.Int32(80), ToPort: aws.Int32(80), CidrIp: aws.String("127.0.0.0/8"),
	}); err != nil {
		t.Fatalf("AuthorizeSecurityGroupIngress: %v", err)
	}
	localcloudtest.Eventually(t, "the listener to take loopback clients", func() bool { return get() == nil })
}
