package controller_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"

	"github.com/berthdev/berth/internal/localcloud/controller"
	"github.com/berthdev/berth/internal/localcloud/localcloudtest"
)

// A stack at rest (a cluster, an ALB and a target group whose two targets
// are healthy) costs nothing: a pass that finds nothing to change commits
// nothing, so it does not wake the next pass. Before, every pass rewrote the
// cluster's scheduling state and the loop ran flat out.
func TestPassesAtRestCommitNothing(t *testing.T) {
	cloud := localcloudtest.Start(t)
	ctx := context.Background()
	var targets []elbtypes.TargetDescription
	for range 2 {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {}))
		t.Cleanup(srv.Close)
		u, err := url.Parse(srv.URL)
		if err != nil {
			t.Fatal(err)
		}
		addr := netip.MustParseAddrPort(u.Host)
		targets = append(targets, elbtypes.TargetDescription{Id: aws.String(addr.Addr().String()), Port: aws.Int32(int32(addr.Port()))})
	}

	ec2Client := ec2.NewFromConfig(cloud.Config)
	vpc, err := ec2Client.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String("10.0.0.0/16")})
	if err != nil {
		t.Fatalf("CreateVpc: %v", err)
	}
	var subnets []string
	for i, zone := range []string{"us-east-1a", "us-east-1b"} {
		subnet, err := ec2Client.CreateSubnet(ctx, &ec2.CreateSubnetInput{VpcId: vpc.Vpc.VpcId, CidrBlock: aws.String([]string{"10.0.1.0/24", "10.0.2.0/24"}[i]), AvailabilityZone: aws.String(zone)})
		if err != nil {
			t.Fatalf("CreateSubnet: %v", err)
		}
		subnets = append(subnets, aws.ToString(subnet.Subnet.SubnetId))
	}
	sg, err := ec2Client.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{GroupName: aws.String("alb"), Description: aws.String("alb"), VpcId: vpc.Vpc.VpcId})
	if err != nil {
		t.Fatalf("CreateSecurityGroup: %v", err)
	}
	if _, err := ecs.NewFromConfig(cloud.Config).CreateCluster(ctx, &ecs.CreateClusterInput{ClusterName: aws.String("rest")}); err != nil {
		t.Fatalf("CreateCluster: %v", err)
	}
	elbClient := elb.NewFromConfig(cloud.Config)
	tg, err := elbClient.CreateTargetGroup(ctx, &elb.CreateTargetGroupInput{
		Name: aws.String("rest-tg"), Protocol: elbtypes.ProtocolEnumHttp, Port: aws.Int32(80), VpcId: vpc.Vpc.VpcId, TargetType: elbtypes.TargetTypeEnumIp,
		HealthCheckIntervalSeconds: aws.Int32(5), HealthCheckTimeoutSeconds: aws.Int32(2), HealthyThresholdCount: aws.Int32(2),
	})
	if err != nil {
		t.Fatalf("CreateTargetGroup: %v", err)
	}
	tgARN := tg.TargetGroups[0].TargetGroupArn
	if _, err := elbClient.RegisterTargets(ctx, &elb.RegisterTargetsInput{TargetGroupArn: tgARN, Targets: targets}); err != nil {
		t.Fatalf("RegisterTargets: %v", err)
	}
	alb, err := elbClient.CreateLoadBalancer(ctx, &elb.CreateLoadBalancerInput{Name: aws.String("rest"), Subnets: subnets, SecurityGroups: []string{aws.ToString(sg.GroupId)}})
	if err != nil {
		t.Fatalf("CreateLoadBalancer: %v", err)
	}
	if _, err := elbClient.CreateListener(ctx, &elb.CreateListenerInput{
		LoadBalancerArn: alb.LoadBalancers[0].LoadBalancerArn, Protocol: elbtypes.ProtocolEnumHttp, Port: aws.Int32(80),
		DefaultActions: []elbtypes.Action{{Type: elbtypes.ActionTypeEnumForward, TargetGroupArn: tgARN}},
	}); err != nil {
		t.Fatalf("CreateListener: %v", err)
	}

	// Settled: both targets healthy (the last change the stack makes by
	// itself), and a pass has run since that verdict was recorded.
	localcloudtest.Eventually(t, "both targets to be healthy", func() bool {
		out, err := elbClient.DescribeTargetHealth(ctx, &elb.DescribeTargetHealthInput{TargetGroupArn: tgARN})
		if err != nil || len(out.TargetHealthDescriptions) != 2 {
			return false
		}
		for _, d := range out.TargetHealthDescriptions {
			if d.TargetHealth.State != elbtypes.TargetHealthStateEnumHealthy {
				return false
			}
		}
		return true
	})
	waitForPasses(t, 2)
	noCommitsAtRest(t, cloud)
}

// A service whose deployment has completed, its task running, is at rest
// too: the scheduler stores the service only when it changed.
func TestServiceAtRestCommitsNothing(t *testing.T) {
	cloud := localcloudtest.Start(t)
	capacity(t, cloud, "idle")
	sleeperImage(t, cloud)
	client := ecs.NewFromConfig(cloud.Config)
	ctx := localcloudtest.InRegion(context.Background(), "us-east-1")
	defARN := registerTaskDefinition(t, client, "sleeper", "sleeper")
	if _, err := client.CreateService(ctx, &ecs.CreateServiceInput{
		Cluster: aws.String("idle"), ServiceName: aws.String("svc"), TaskDefinition: aws.String(defARN), DesiredCount: aws.Int32(1),
	}); err != nil {
		t.Fatalf("CreateService: %v", err)
	}
	localcloudtest.Eventually(t, "the deployment to complete", func() bool {
		out, err := client.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String("idle"), Services: []string{"svc"}})
		if err != nil || len(out.Services) != 1 || len(out.Services[0].Deployments) != 1 {
			return false
		}
		d := out.Services[0].Deployments[0]
		return d.RolloutState == ecstypes.DeploymentRolloutStateCompleted && d.RunningCount == 1
	})
	waitForPasses(t, 2)
	noCommitsAtRest(t, cloud)
}

// noCommitsAtRest fails the test if the state is committed while the
// controller runs a few passes with no API call.
func noCommitsAtRest(t *testing.T, cloud *localcloudtest.Cloud) {
	t.Helper()
	commits, unsubscribe := cloud.Commits()
	defer unsubscribe()
	const atRest = 3
	waitForPasses(t, atRest)
	select {
	case <-commits:
		t.Fatalf("the state was committed during %d reconcile passes at rest: each commit wakes another pass, so the controller never rests", atRest)
	default:
	}
}

// waitForPasses waits until n more reconcile passes have finished.
func waitForPasses(t *testing.T, n uint64) {
	t.Helper()
	target := controller.Passes() + n
	localcloudtest.Eventually(t, "reconcile passes", func() bool { return controller.Passes() >= target })
}
