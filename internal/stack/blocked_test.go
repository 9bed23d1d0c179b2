package stack

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"

	"github.com/berthdev/berth/internal/engine"
)

// When targets time out, the health wait reads the security groups and
// names the rule that would let the load balancer in; once it is there, it
// blames nothing.
func TestBlockedHintNamesTheMissingRule(t *testing.T) {
	eachEndpoint(t, func(t *testing.T, cfg aws.Config) {
		ctx := context.Background()
		c := engine.NewClients(cfg)
		vpc, err := c.EC2.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String("10.0.0.0/16")})
		if err != nil {
			t.Fatalf("CreateVpc: %v", err)
		}
		vpcID := vpc.Vpc.VpcId
		var subnets []string
		for i, zone := range []string{"a", "b"} {
			s, err := c.EC2.CreateSubnet(ctx, &ec2.CreateSubnetInput{VpcId: vpcID, CidrBlock: aws.String([]string{"10.0.1.0/24", "10.0.2.0/24"}[i]), AvailabilityZone: aws.String(cfg.Region + zone)})
			if err != nil {
				t.Fatalf("CreateSubnet: %v", err)
			}
			subnets = append(subnets, aws.ToString(s.Subnet.SubnetId))
		}
		group := func(name string) string {
			out, err := c.EC2.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{GroupName: aws.String(name), Description: aws.String(name), VpcId: vpcID})
			if err != nil {
				t.Fatalf("CreateSecurityGroup: %v", err)
			}
			return aws.ToString(out.GroupId)
		}
		albGroup, taskGroup := group("hint-alb"), group("hint-task")
		if _, err := c.ELB.CreateLoadBalancer(ctx, &elb.CreateLoadBalancerInput{Name: aws.String("hint"), Subnets: subnets, SecurityGroups: []string{albGroup}}); err != nil {
			t.Fatalf("CreateLoadBalancer: %v", err)
		}
		h := &health{
			service: &ecstypes.Service{NetworkConfiguration: &ecstypes.NetworkConfiguration{AwsvpcConfiguration: &ecstypes.AwsVpcConfiguration{
				Subnets: subnets[:1], SecurityGroups: []string{taskGroup}}}},
			targets: []elbtypes.TargetHealthDescription{{
				Target:       &elbtypes.TargetDescription{Id: aws.String("10.0.1.17"), Port: aws.Int32(9000)},
				TargetHealth: &elbtypes.TargetHealth{State: elbtypes.TargetHealthStateEnumUnhealthy, Reason: elbtypes.TargetHealthReasonEnumTimeout, Description: aws.String("Request timed out")},
			}},
		}
		hint := blockedHint(ctx, c, "hint", h)
		want := "add an ingress rule to " + taskGroup + " allowing tcp 9000 from " + albGroup
		if !strings.Contains(hint, want) {
			t.Fatalf("hint %q lacks %q", hint, want)
		}
		if _, err := c.EC2.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{GroupId: aws.String(taskGroup),
			IpPermissions: []ec2types.IpPermission{{IpProtocol: aws.String("tcp"), FromPort: aws.Int32(9000), ToPort: aws.Int32(9000),
				UserIdGroupPairs: []ec2types.UserIdGroupPair{{GroupId: aws.String(albGroup)}}}}}); err != nil {
			t.Fatalf("AuthorizeSecurityGroupIngress: %v", err)
		}
		if hint := blockedHint(ctx, c, "hint", h); hint != "" {
			t.Errorf("hint %q once the rule is there, want none", hint)
		}
		// The wait's status carries the hint.
		h.hint = want
		h.service = service(0, deployment("ecs-svc/1", ecstypes.DeploymentRolloutStateInProgress, ""))
		v, err := (&waiter{}).assess(h)
		if err != nil || !strings.Contains(v.status, want) {
			t.Errorf("status %q (err %v) lacks the hint", v.status, err)
		}
	})
}
