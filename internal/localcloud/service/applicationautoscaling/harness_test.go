package applicationautoscaling_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	aas "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"

	"github.com/berthdev/berth/internal/localcloud/localcloudtest"
)

// fixture is a local cloud with the SDK clients a scaling setup needs: the
// tests build the ECS service and the load balancer through the APIs, as
// a user does, and scale them through Application Auto Scaling.
type fixture struct {
	cloud *localcloudtest.Cloud
	aas   *aas.Client
	ecs   *ecs.Client
	elb   *elb.Client
	ec2   *ec2.Client
	ctx   context.Context
}

func start(t *testing.T) *fixture {
	t.Helper()
	cloud := localcloudtest.Start(t)
	noRetry := func(o *aas.Options) { o.RetryMaxAttempts = 1 }
	return &fixture{
		cloud: cloud,
		aas:   aas.NewFromConfig(cloud.Config, noRetry),
		ecs:   ecs.NewFromConfig(cloud.Config),
		elb:   elb.NewFromConfig(cloud.Config),
		ec2:   ec2.NewFromConfig(cloud.Config),
		ctx:   context.Background(),
	}
}

// must returns v, failing the test on err: must(c.Op(ctx, in))(t).
func must[T any](v T, err error) func(*testing.T) T {
	return func(t *testing.T) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

// service creates cluster "web" (once) and an ECS service in it.
func (f *fixture) service(t *testing.T, name string) string {
	t.Helper()
	must(f.ecs.CreateCluster(f.ctx, &ecs.CreateClusterInput{ClusterName: aws.String("web")}))(t)
	must(f.ecs.RegisterTaskDefinition(f.ctx, &ecs.RegisterTaskDefinitionInput{
		Family: aws.String("app"),
		ContainerDefinitions: []ecstypes.ContainerDefinition{{
			Name: aws.String("app"), Image: aws.String("public.ecr.aws/docker/library/nginx:latest"), Memory: aws.Int32(128),
		}},
	}))(t)
	must(f.ecs.CreateService(f.ctx, &ecs.CreateServiceInput{
		Cluster: aws.String("web"), ServiceName: aws.String(name), TaskDefinition: aws.String("app"), DesiredCount: aws.Int32(2),
	}))(t)
	return "service/web/" + name
}

// loadBalancer creates an ALB whose listener forwards to a target group and
// returns the ALBRequestCountPerTarget label that names the pair.
func (f *fixture) loadBalancer(t *testing.T) (label string, lb, tg string) {
	t.Helper()
	vpc := must(f.ec2.CreateVpc(f.ctx, &ec2.CreateVpcInput{CidrBlock: aws.String("10.0.0.0/16")}))(t).Vpc
	var subnets []string
	for i, zone := range []string{"us-east-1a", "us-east-1b"} {
		s := must(f.ec2.CreateSubnet(f.ctx, &ec2.CreateSubnetInput{
			VpcId: vpc.VpcId, CidrBlock: aws.String([]string{"10.0.1.0/24", "10.0.2.0/24"}[i]), AvailabilityZone: aws.String(zone),
		}))(t).Subnet
		subnets = append(subnets, aws.ToString(s.SubnetId))
	}
	alb := must(f.elb.CreateLoadBalancer(f.ctx, &elb.CreateLoadBalancerInput{Name: aws.String("web"), Subnets: subnets}))(t).LoadBalancers[0]
	group := must(f.elb.CreateTargetGroup(f.ctx, &elb.CreateTargetGroupInput{
		Name: aws.String("web"), Protocol: elbtypes.ProtocolEnumHttp, Port: aws.Int32(8000), VpcId: vpc.VpcId, TargetType: elbtypes.TargetTypeEnumIp,
	}))(t).TargetGroups[0]
	must(f.elb.CreateListener(f.ctx, &elb.CreateListenerInput{
		LoadBalancerArn: alb.LoadBalancerArn, Protocol: elbtypes.ProtocolEnumHttp, Port: aws.Int32(80),
		DefaultActions: []elbtypes.Action{{Type: elbtypes.ActionTypeEnumForward, TargetGroupArn: group.TargetGroupArn}},
	}))(t)
	lb, tg = aws.ToString(alb.LoadBalancerArn), aws.ToString(group.TargetGroupArn)
	_, lbPart, _ := strings.Cut(lb, ":loadbalancer/")
	tgPart := tg[strings.LastIndex(tg, ":")+1:]
	return lbPart + "/" + tgPart, lb, tg
}

// awsCLI runs the real AWS CLI against the cloud and decodes its JSON
// output (nil out: the output is not read). botocore is stricter than the
// Go SDK about member names and types. A missing CLI fails the test.
func awsCLI(t *testing.T, endpoint string, out any, args ...string) {
	t.Helper()
	path, err := exec.LookPath("aws")
	if err != nil {
		t.Fatalf("the aws CLI is needed: %v", err)
	}
	cmd := exec.CommandContext(context.Background(), path, append([]string{"--endpoint-url", endpoint, "--output", "json"}, args...)...)
	cmd.Env = append(os.Environ(),
		"AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test", "AWS_DEFAULT_REGION=us-east-1",
		"AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null", "AWS_MAX_ATTEMPTS=1", "AWS_PAGER=",
	)
	output, err := cmd.Output()
	if err != nil {
		var exitErr *exec.ExitError
		stderr := ""
		if errors.As(err, &exitErr) {
			stderr = string(exitErr.Stderr)
		}
		t.Fatalf("aws %v: %v\n%s", args, err, stderr)
	}
	if out == nil || len(strings.TrimSpace(string(output))) == 0 {
		return
	}
	if err := json.Unmarshal(output, out); err != nil {
		t.Fatalf("aws %v printed no JSON: %v\n%s", args, err, output)
	}
}
