package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
)

// clients are the SDK clients of one endpoint (berth local or moto_server).
type clients struct {
	config aws.Config
	ecs    *ecs.Client
	ec2    *ec2.Client
	elbv2  *elb.Client
}

func newClients(ctx context.Context, endpoint string) (*clients, error) {
	return newClientsWith(ctx, endpoint, nil)
}

// newClientsWith sends through httpClient (the SDK's default when nil).
func newClientsWith(ctx context.Context, endpoint string, httpClient aws.HTTPClient) (*clients, error) {
	loaders := []func(*config.LoadOptions) error{
		config.WithRegion("us-east-1"),
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("bench", "bench", "")),
		config.WithBaseEndpoint(endpoint),
		config.WithSharedConfigFiles(nil), config.WithSharedCredentialsFiles(nil),
		// A retried call would hide an error and blur a latency.
		config.WithRetryer(func() aws.Retryer { return retry.AddWithMaxAttempts(retry.NewStandard(), 1) }),
	}
	cfg, err := config.LoadDefaultConfig(ctx, loaders...)
	if err != nil {
		return nil, err
	}
	if httpClient != nil {
		// Set after loading: the loader refuses a plain *http.Client when
		// the environment names a CA bundle (AWS_CA_BUNDLE).
		cfg.HTTPClient = httpClient
	}
	return &clients{config: cfg, ecs: ecs.NewFromConfig(cfg), ec2: ec2.NewFromConfig(cfg), elbv2: elb.NewFromConfig(cfg)}, nil
}

// stack is the small stack both control planes hold before the read mix,
// and that routes berth's load-balanced traffic.
type stack struct {
	cluster         string
	securityGroupID string
	targetGroupARN  string
	listenerARN     string
}

// createStack creates a cluster, a VPC with two subnets and a security
// group, a target group of the given backends, a load balancer and a
// listener on listenerPort forwarding to the group.
func createStack(ctx context.Context, c *clients, backends []int, listenerPort int) (*stack, error) {
	s := &stack{cluster: "bench"}
	if _, err := c.ecs.CreateCluster(ctx, &ecs.CreateClusterInput{ClusterName: aws.String(s.cluster)}); err != nil {
		return nil, fmt.Errorf("CreateCluster: %w", err)
	}
	vpc, err := c.ec2.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String("10.0.0.0/16")})
	if err != nil {
		return nil, fmt.Errorf("CreateVpc: %w", err)
	}
	var subnets []string
	for i, zone := range []string{"us-east-1a", "us-east-1b"} {
		subnet, err := c.ec2.CreateSubnet(ctx, &ec2.CreateSubnetInput{VpcId: vpc.Vpc.VpcId,
			CidrBlock: aws.String(fmt.Sprintf("10.0.%d.0/24", i+1)), AvailabilityZone: aws.String(zone)})
		if err != nil {
			return nil, fmt.Errorf("CreateSubnet: %w", err)
		}
		subnets = append(subnets, *subnet.Subnet.SubnetId)
	}
	group, err := c.ec2.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{VpcId: vpc.Vpc.VpcId,
		GroupName: aws.String("bench-alb"), Description: aws.String("bench load balancer")})
	if err != nil {
		return nil, fmt.Errorf("CreateSecurityGroup: %w", err)
	}
	s.securityGroupID = *group.GroupId
	if err := allowListenerPort(ctx, c, s, listenerPort); err != nil {
		return nil, err
	}
	targetGroup, err := c.elbv2.CreateTargetGroup(ctx, &elb.CreateTargetGroupInput{
		Name: aws.String("bench"), Protocol: elbtypes.ProtocolEnumHttp, Port: aws.Int32(int32(backends[0])),
		VpcId: vpc.Vpc.VpcId, TargetType: elbtypes.TargetTypeEnumIp,
		HealthCheckPath: aws.String("/"), HealthCheckIntervalSeconds: aws.Int32(5), HealthCheckTimeoutSeconds: aws.Int32(2), HealthyThresholdCount: aws.Int32(2),
	})
	if err != nil {
		return nil, fmt.Errorf("CreateTargetGroup: %w", err)
	}
	s.targetGroupARN = *targetGroup.TargetGroups[0].TargetGroupArn
	var targets []elbtypes.TargetDescription
	for _, port := range backends {
		targets = append(targets, elbtypes.TargetDescription{Id: aws.String("127.0.0.1"), Port: aws.Int32(int32(port))})
	}
	if _, err := c.elbv2.RegisterTargets(ctx, &elb.RegisterTargetsInput{TargetGroupArn: aws.String(s.targetGroupARN), Targets: targets}); err != nil {
		return nil, fmt.Errorf("RegisterTargets: %w", err)
	}
	balancer, err := c.elbv2.CreateLoadBalancer(ctx, &elb.CreateLoadBalancerInput{Name: aws.String("bench"),
		Subnets: subnets, SecurityGroups: []string{s.securityGroupID}})
	if err != nil {
		return nil, fmt.Errorf("CreateLoadBalancer: %w", err)
	}
	listener, err := c.elbv2.CreateListener(ctx, &elb.CreateListenerInput{LoadBalancerArn: balancer.LoadBalancers[0].LoadBalancerArn,
		Protocol: elbtypes.ProtocolEnumHttp, Port: aws.Int32(int32(listenerPort)),
		DefaultActions: []elbtypes.Action{{Type: elbtypes.ActionTypeEnumForward, TargetGroupArn: aws.String(s.targetGroupARN)}}})
	if err != nil {
		return nil, fmt.Errorf("CreateListener: %w", err)
	}
	s.listenerARN = *listener.Listeners[0].ListenerArn
	return s, nil
}

// allowListenerPort opens port in the load balancer's security group: the
// local cloud's listener, like the ALB, takes only the clients its groups
// let in.
func allowListenerPort(ctx context.Context, c *clients, s *stack, port int) error {
	_, err := c.ec2.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{GroupId: aws.String(s.securityGroupID),
		IpPermissions: []ec2types.IpPermission{{IpProtocol: aws.String("tcp"), FromPort: aws.Int32(int32(port)), ToPort: aws.Int32(int32(port)),
			IpRanges: []ec2types.IpRange{{CidrIp: aws.String("0.0.0.0/0")}}}}})
	if err != nil {
		return fmt.Errorf("AuthorizeSecurityGroupIngress: %w", err)
	}
	return nil
}

// waitHealthy polls DescribeTargetHealth until every target is healthy.
func waitHealthy(ctx context.Context, c *clients, s *stack) error {
	deadline := time.Now().Add(60 * time.Second)
	for {
		out, err := c.elbv2.DescribeTargetHealth(ctx, &elb.DescribeTargetHealthInput{TargetGroupArn: aws.String(s.targetGroupARN)})
		if err != nil {
			return fmt.Errorf("DescribeTargetHealth: %w", err)
		}
		healthy := 0
		for _, description := range out.TargetHealthDescriptions {
			if description.TargetHealth.State == elbtypes.TargetHealthStateEnumHealthy {
				healthy++
			}
		}
		if len(out.TargetHealthDescriptions) > 0 && healthy == len(out.TargetHealthDescriptions) {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("targets not healthy within 60 s: %+v", out.TargetHealthDescriptions)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// listenerAddress asks the local cloud where the listener really listens
// (another port when the requested one was taken).
func listenerAddress(endpoint, listenerARN string) (string, error) {
	response, err := http.Get(endpoint + "/_berth/listeners")
	if err != nil {
		return "", err
	}
	defer response.Body.Close()
	var body struct {
		Listeners []struct {
			ListenerARN string `json:"listenerArn"`
			Address     string `json:"address"`
		} `json:"listeners"`
	}
	if err := json.NewDecoder(response.Body).Decode(&body); err != nil {
		return "", fmt.Errorf("GET /_berth/listeners: %w", err)
	}
	for _, listener := range body.Listeners {
		if listener.ListenerARN == listenerARN {
			return listener.Address, nil
		}
	}
	return "", fmt.Errorf("GET /_berth/listeners does not list %s", listenerARN)
}
