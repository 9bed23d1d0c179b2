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
