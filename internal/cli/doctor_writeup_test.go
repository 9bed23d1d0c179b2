package cli_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	astypes "github.com/aws/aws-sdk-go-v2/service/autoscaling/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbv2types "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"

	"github.com/berthdev/berth/internal/localcloud/localcloudtest"
)

// writeupStack is the write-up's stack, built by hand as its author did
// (there with Terraform): a VPC with two public and two private subnets
// and a NAT gateway, instances of a t2.medium launch template in the
// private subnets behind a capacity provider, an awsvpc task on port 9000,
// a target group on port 80 checking /, and the write-up's three security
// groups.
type writeupStack struct {
	ec2           *ec2.Client
	serviceGroup  string
	albGroup      string
	instanceGroup string
}

func buildWriteupStack(t *testing.T, cfg aws.Config) writeupStack {
	t.Helper()
	ctx := context.Background()
	ec2c, ecsc, elbc, asc := ec2.NewFromConfig(cfg), ecs.NewFromConfig(cfg), elbv2.NewFromConfig(cfg), autoscaling.NewFromConfig(cfg)
	must := func(err error, what string) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	vpc, err := ec2c.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String("10.0.0.0/16")})
	must(err, "create VPC")
	vpcID := vpc.Vpc.VpcId
	subnet := func(cidr, zone string) string {
		out, err := ec2c.CreateSubnet(ctx, &ec2.CreateSubnetInput{VpcId: vpcID, CidrBlock: aws.String(cidr), AvailabilityZone: aws.String(zone)})
		must(err, "create subnet "+cidr)
		return aws.ToString(out.Subnet.SubnetId)
	}
	public := []string{subnet("10.0.101.0/24", "eu-west-1a"), subnet("10.0.102.0/24", "eu-west-1b")}
	private := []string{subnet("10.0.1.0/24", "eu-west-1a"), subnet("10.0.2.0/24", "eu-west-1b")}
	igw, err := ec2c.CreateInternetGateway(ctx, &ec2.CreateInternetGatewayInput{})
	must(err, "create internet gateway")
	_, err = ec2c.AttachInternetGateway(ctx, &ec2.AttachInternetGatewayInput{InternetGatewayId: igw.InternetGateway.InternetGatewayId, VpcId: vpcID})
	must(err, "attach internet gateway")
	table := func(subnets []string, route func(*ec2.CreateRouteInput)) {
		rt, err := ec2c.CreateRouteTable(ctx, &ec2.CreateRouteTableInput{VpcId: vpcID})
		must(err, "create route table")
		in := &ec2.CreateRouteInput{RouteTableId: rt.RouteTable.RouteTableId, DestinationCidrBlock: aws.String("0.0.0.0/0")}
		route(in)
		_, err = ec2c.CreateRoute(ctx, in)
		must(err, "create route")
		for _, s := range subnets {
			_, err = ec2c.AssociateRouteTable(ctx, &ec2.AssociateRouteTableInput{RouteTableId: rt.RouteTable.RouteTableId, SubnetId: aws.String(s)})
			must(err, "associate route table")
		}
	}
	table(public, func(in *ec2.CreateRouteInput) { in.GatewayId = igw.InternetGateway.InternetGatewayId })
	eip, err := ec2c.AllocateAddress(ctx, &ec2.AllocateAddressInput{Domain: ec2types.DomainTypeVpc})
	must(err, "allocate address")
	nat, err := ec2c.CreateNatGateway(ctx, &ec2.CreateNatGatewayInput{SubnetId: aws.String(public[0]), AllocationId: eip.AllocationId})
	must(err, "create NAT gateway")
	table(private, func(in *ec2.CreateRouteInput) { in.NatGatewayId = nat.NatGateway.NatGatewayId })

	group := func(name string) string {
		out, err := ec2c.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{GroupName: aws.String(name), Description: aws.String(name), VpcId: vpcID})
		must(err, "create security group "+name)
		return aws.ToString(out.GroupId)
	}
	ingress := func(id string, from, to int32, perm ec2types.IpPermission) {
		perm.IpProtocol, perm.FromPort, perm.ToPort = aws.String("tcp"), aws.Int32(from), aws.Int32(to)
		_, err := ec2c.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{GroupId: aws.String(id), IpPermissions: []ec2types.IpPermission{perm}})
		must(err, "authorize ingress")
	}
	world := ec2types.IpPermission{IpRanges: []ec2types.IpRange{{CidrIp: aws.String("0.0.0.0/0")}}}
	st := writeupStack{ec2: ec2c, instanceGroup: group("ECS-INSTANCE-SG"), albGroup: group("ApplicationLoadBalancerSG"), serviceGroup: group("ECS-SERVICE-SG")}
	ingress(st.instanceGroup, 80, 80, world)
	ingress(st.instanceGroup, 9000, 9000, world)
	ingress(st.albGroup, 80, 80, world)
	ingress(st.serviceGroup, 0, 65535, ec2types.IpPermission{UserIdGroupPairs: []ec2types.UserIdGroupPair{{GroupId: aws.String(st.albGroup)}}})

	template, err := ec2c.CreateLaunchTemplate(ctx, &ec2.CreateLaunchTemplateInput{
		LaunchTemplateName: aws.String("ECS_RUNNER"),
		LaunchTemplateData: &ec2types.RequestLaunchTemplateData{
			ImageId: aws.String("ami-0123456789abcdef0"), InstanceType: ec2types.InstanceTypeT2Medium,
			NetworkInterfaces: []ec2types.LaunchTemplateInstanceNetworkInterfaceSpecificationRequest{{
				AssociatePublicIpAddress: aws.Bool(false), Groups: []string{st.instanceGroup}, DeleteOnTermination: aws.Bool(true), DeviceIndex: aws.Int32(0),
			}},
		},
	})
	must(err, "create launch template")
	_, err = asc.CreateAutoScalingGroup(ctx, &autoscaling.CreateAutoScalingGroupInput{
		AutoScalingGroupName: aws.String("ECSAsg"), MinSize: aws.Int32(1), MaxSize: aws.Int32(2), DesiredCapacity: aws.Int32(1),
		VPCZoneIdentifier: aws.String(strings.Join(private, ",")),
		LaunchTemplate:    &astypes.LaunchTemplateSpecification{LaunchTemplateId: template.LaunchTemplate.LaunchTemplateId, Version: aws.String("$Latest")},
	})
	must(err, "create Auto Scaling group")
	groups, err := asc.DescribeAutoScalingGroups(ctx, &autoscaling.DescribeAutoScalingGroupsInput{AutoScalingGroupNames: []string{"ECSAsg"}})
	must(err, "describe Auto Scaling group")
	_, err = ecsc.CreateCluster(ctx, &ecs.CreateClusterInput{ClusterName: aws.String("MyCluster")})
	must(err, "create cluster")
	_, err = ecsc.CreateCapacityProvider(ctx, &ecs.CreateCapacityProviderInput{
		Name:                     aws.String("capacity"),
		AutoScalingGroupProvider: &ecstypes.AutoScalingGroupProvider{AutoScalingGroupArn: groups.AutoScalingGroups[0].AutoScalingGroupARN},
	})
	must(err, "create capacity provider")
	_, err = ecsc.PutClusterCapacityProviders(ctx, &ecs.PutClusterCapacityProvidersInput{
		Cluster: aws.String("MyCluster"), CapacityProviders: []string{"capacity"},
		DefaultCapacityProviderStrategy: []ecstypes.CapacityProviderStrategyItem{{CapacityProvider: aws.String("capacity"), Weight: 100}},
	})
	must(err, "put cluster capacity providers")
	task, err := ecsc.RegisterTaskDefinition(ctx, &ecs.RegisterTaskDefinitionInput{
		Family: aws.String("FASTAPI-DEV"), RequiresCompatibilities: []ecstypes.Compatibility{ecstypes.CompatibilityEc2},
		NetworkMode: ecstypes.NetworkModeAwsvpc, Cpu: aws.String("1024"), Memory: aws.String("512"),
		ContainerDefinitions: []ecstypes.ContainerDefinition{{
			Name: aws.String("fastapi"), Image: aws.String("000000000000.dkr.ecr.eu-west-1.amazonaws.com/fastapi-dev"), Essential: aws.Bool(true),
			PortMappings: []ecstypes.PortMapping{{Name: aws.String("fastapi-9000-tcp"), ContainerPort: aws.Int32(9000), HostPort: aws.Int32(9000), Protocol: ecstypes.TransportProtocolTcp, AppProtocol: ecstypes.ApplicationProtocolHttp}},
			LogConfiguration: &ecstypes.LogConfiguration{LogDriver: ecstypes.LogDriverAwslogs, Options: map[string]string{
				"awslogs-group": "/ecs/FASTAPI-DEV", "awslogs-region": "eu-west-1", "awslogs-stream-prefix": "ecs",
			}},
		}},
	})
	must(err, "register task definition")
	tg, err := elbc.CreateTargetGroup(ctx, &elbv2.CreateTargetGroupInput{
		Name: aws.String("TestTargetGroup"), Port: aws.Int32(80), Protocol: elbv2types.ProtocolEnumHttp,
		TargetType: elbv2types.TargetTypeEnumIp, VpcId: vpcID, HealthCheckPath: aws.String("/"),
	})
	must(err, "create target group")
	lb, err := elbc.CreateLoadBalancer(ctx, &elbv2.CreateLoadBalancerInput{
		Name: aws.String("TestALB"), Scheme: elbv2types.LoadBalancerSchemeEnumInternetFacing, Type: elbv2types.LoadBalancerTypeEnumApplication,
		SecurityGroups: []string{st.albGroup}, Subnets: public,
	})
	must(err, "create load balancer")
	_, err = elbc.CreateListener(ctx, &elbv2.CreateListenerInput{
		LoadBalancerArn: lb.LoadBalancers[0].LoadBalancerArn, Port: aws.Int32(80), Protocol: elbv2types.ProtocolEnumHttp,
		DefaultActions: []elbv2types.Action{{Type: elbv2types.ActionTypeEnumForward, TargetGroupArn: tg.TargetGroups[0].TargetGroupArn}},
	})
	must(err, "create listener")
	_, err = ecsc.CreateService(ctx, &ecs.CreateServiceInput{
		Cluster: aws.String("MyCluster"), ServiceName: aws.String("fastapi-service"), TaskDefinition: task.TaskDefinition.TaskDefinitionArn,
		DesiredCount:             aws.Int32(2),
		NetworkConfiguration:     &ecstypes.NetworkConfiguration{AwsvpcConfiguration: &ecstypes.AwsVpcConfiguration{Subnets: private, SecurityGroups: []string{st.serviceGroup}}},
		PlacementConstraints:     []ecstypes.PlacementConstraint{{Type: ecstypes.PlacementConstraintTypeDistinctInstance}},
		CapacityProviderStrategy: []ecstypes.CapacityProviderStrategyItem{{CapacityProvider: aws.String("capacity"), Weight: 100}},
		LoadBalancers:            []ecstypes.LoadBalancer{{TargetGroupArn: tg.TargetGroups[0].TargetGroupArn, ContainerName: aws.String("fastapi"), ContainerPort: aws.Int32(9000)}},
	})
	must(err, "create service")
	return st
}

func assertSays(t *testing.T, out string, wants ...string) {
	t.Helper()
	for _, want := range wants {
		if !strings.Contains(out, want) {
			t.Errorf("doctor does not say %q:\n%s", want, out)
		}
	}
}

// berth doctor --cluster --service reads the write-up's hand-built stack,
// which berth did not make, and reports the write-up's own problems, each
// with its fix; then, with the rule that lets the load balancer reach the
// tasks revoked, the broken chain and the command that mends it.
func TestDoctorFindsTheWriteupsProblems(t *testing.T) {
	cloud := localcloudtest.StartControlPlane(t)
	st := buildWriteupStack(t, cloud.ConfigIn("eu-west-1"))
	doctor := func() string {
		t.Helper()
		out, _, err := berth(t, cloud.Endpoint, "doctor", "--cluster", "MyCluster", "--service", "fastapi-service", "--region", "eu-west-1")
		if err == nil {
			t.Errorf("doctor passed a stack with ports open to the world:\n%s", out)
		}
		return out
	}
	out := doctor()
	assertSays(t, out,
		"ok    credentials: account 000000000000",
		"FAIL  exposure: ports 80 and 9000 open to 0.0.0.0/0 on the instances (ECS-INSTANCE-SG "+st.instanceGroup+"): with awsvpc every task has its own network interface",
		"fix: revoke them: aws ec2 revoke-security-group-ingress --group-id "+st.instanceGroup+" --protocol tcp --port 80 --cidr 0.0.0.0/0",
		"warn  health check: target group TestTargetGroup checks / ",
		"fix: serve a cheap endpoint that answers 200, e.g. /health",
		"warn  ports: target group TestTargetGroup says port 80 but the tasks serve 9000",
		"warn  exposure: ECS-SERVICE-SG "+st.serviceGroup+" lets the load balancer in on ports 0-65535; the tasks serve only port 9000",
		"ok    security groups: listener port 80 of TestALB open to 0.0.0.0/0",
		"ok    security groups: ApplicationLoadBalancerSG "+st.albGroup+" → ECS-SERVICE-SG "+st.serviceGroup+" on port 9000 (traffic and health checks)",
		"ok    fit: the task (1024 CPU, 512 MiB) fits on t2.medium",
		"t2.medium takes 1 task(s) per instance (distinctInstance placement); at most 2 instance(s) (Auto Scaling group ECSAsg) run 2, the service wants 2; a rolling deploy would start up to 4",
		"warn  deploy speed: target group TestTargetGroup: a new task needs 5×30 s = 150 s of passing checks, a stopped one drains for 300 s",
		"ok    reach: the instances in ",
		"through NAT gateway nat-",
		"FAIL  image: 000000000000.dkr.ecr.eu-west-1.amazonaws.com/fastapi-dev: ECR repository fastapi-dev does not exist",
	)

	_, err := st.ec2.RevokeSecurityGroupIngress(context.Background(), &ec2.RevokeSecurityGroupIngressInput{GroupId: aws.String(st.serviceGroup), IpPermissions: []ec2types.IpPermission{{
		IpProtocol: aws.String("tcp"), FromPort: aws.Int32(0), ToPort: aws.Int32(65535),
		UserIdGroupPairs: []ec2types.UserIdGroupPair{{GroupId: aws.String(st.albGroup)}},
	}}})
	if err != nil {
		t.Fatal(err)
	}
	assertSays(t, doctor(),
		"FAIL  security groups: load balancer TestALB cannot reach the tasks on port 9000 (traffic and health checks): no ingress rule of ECS-SERVICE-SG "+st.serviceGroup,
		"fix: aws ec2 authorize-security-group-ingress --group-id "+st.serviceGroup+" --protocol tcp --port 9000 --source-group "+st.albGroup,
	)
}

// A berth.yaml whose task is bigger than its instance type fails doctor
// before anything is deployed, saying what to change.
func TestDoctorSaysTheTaskDoesNotFit(t *testing.T) {
	cloud := localcloudtest.StartControlPlane(t)
	path := filepath.Join(t.TempDir(), "berth.yaml")
	yaml := `name: toobig
service:
  image: fastapi-dev:latest
  port: 9000
  count: 2
  cpu: 4096
  memory: 8192
capacity: {provider: ec2, instance_type: t2.medium, min: 1, max: 2}
`
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	out, _, err := berth(t, cloud.Endpoint, "doctor", "-f", path)
	if err == nil {
		t.Fatalf("doctor passed a task that does not fit:\n%s", out)
	}
	if !strings.Contains(out, "fit:") {
		t.Fatalf("doctor did not check the fit: %v\n%s", err, out)
	}
	assertSays(t, out,
		"FAIL  fit: the task (4096 CPU, 8192 MiB) does not fit on t2.medium: it needs 4096 CPU units of its 2048 and 8192 MiB of its 3891 MiB for tasks, so it waits in PROVISIONING",
		"fix: lower the task's cpu/memory, or choose an instance type with at least 4 vCPUs",
		"FAIL  tasks per instance: t2.medium takes 0 task(s) per instance",
		"warn  image: fastapi-dev:latest is not in ECR: berth cannot check that it exists",
	)
}

// A stack berth deployed, with the rule that lets its load balancer reach
// the tasks revoked by hand: doctor -f berth.yaml reads the deployed
// stack's groups and says which rule to restore.
func TestDoctorFindsTheRevokedRuleOfABerthStack(t *testing.T) {
	cloud := localcloudtest.StartControlPlane(t)
	path := writeSpec(t, "doctored", "fastapi-dev:latest", []string{"/bin/true"}, t.TempDir())
	if out, errOut, err := berth(t, cloud.Endpoint, "deploy", "-f", path, "--yes", "--no-wait"); err != nil {
		t.Fatalf("deploy: %v\n%s\n%s", err, out, errOut)
	}
	out, _, err := berth(t, cloud.Endpoint, "doctor", "-f", path)
	if err != nil {
		t.Fatalf("doctor fails the stack berth deployed: %v\n%s", err, out)
	}
	assertSays(t, out, "ok    security groups: doctored-alb sg-", "on port 9000 (traffic and health checks)", "ok    reach: the instances in ")

	ctx := context.Background()
	client := ec2.NewFromConfig(cloud.Config)
	groups, err := client.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{Filters: []ec2types.Filter{{Name: aws.String("group-name"), Values: []string{"doctored-service"}}}})
	if err != nil || len(groups.SecurityGroups) != 1 {
		t.Fatalf("the service's group: %v %v", err, groups)
	}
	service := groups.SecurityGroups[0]
	if _, err := client.RevokeSecurityGroupIngress(ctx, &ec2.RevokeSecurityGroupIngressInput{GroupId: service.GroupId, IpPermissions: service.IpPermissions}); err != nil {
		t.Fatal(err)
	}
	out, _, err = berth(t, cloud.Endpoint, "doctor", "-f", path)
	if err == nil {
		t.Fatalf("doctor passes a stack whose load balancer cannot reach its tasks:\n%s", out)
	}
	assertSays(t, out,
		"FAIL  security groups: load balancer doctored-alb cannot reach the tasks on port 9000 (traffic and health checks): no ingress rule of doctored-service "+aws.ToString(service.GroupId),
		"fix: aws ec2 authorize-security-group-ingress --group-id "+aws.ToString(service.GroupId)+" --protocol tcp --port 9000 --source-group sg-",
	)
}
