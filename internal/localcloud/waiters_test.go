package localcloud_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"os/exec"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/acm"
	acmtypes "github.com/aws/aws-sdk-go-v2/service/acm/types"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	asgtypes "github.com/aws/aws-sdk-go-v2/service/autoscaling/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/berthdev/berth/internal/localcloud/localcloudtest"
	"github.com/berthdev/berth/internal/localcloud/runtime"
)

// waitersNeedingMore are the waiters of served models whose success state
// takes an operation the local cloud does not implement yet. The test
// checks that the operation named is still unimplemented, so an entry
// cannot outlive its reason.
var waitersNeedingMore = map[string][2]string{
	"cloudwatch CompositeAlarmExists": {"cloudwatch", "PutCompositeAlarm"},
}

// botocoreWaiters lists, per served model, each waiter AWS's waiter models
// (waiters-2.json) define and the operation it polls.
func botocoreWaiters(t *testing.T, models []string) map[string]string {
	t.Helper()
	python, err := exec.LookPath("python3")
	if err != nil {
		t.Fatalf("python3 with botocore is needed (it comes with the AWS CLI): %v", err)
	}
	const script = `
import json, sys
import botocore.session
from botocore.exceptions import DataNotFoundError
session = botocore.session.get_session()
out = {}
for name in sys.argv[1:]:
    try:
        model = session.get_waiter_model(name)
    except DataNotFoundError:
        continue
    for waiter in model.waiter_names:
        out[name + " " + waiter] = model.get_waiter(waiter).operation
print(json.dumps(out))
`
	out, err := exec.Command(python, append([]string{"-c", script}, models...)...).Output()
	if err != nil {
		t.Fatalf("listing botocore's waiters: %v", err)
	}
	waiters := map[string]string{}
	if err := json.Unmarshal(out, &waiters); err != nil {
		t.Fatalf("botocore's waiters: %v: %s", err, out)
	}
	return waiters
}

// quickly polls every 200 ms to 2 s instead of the waiters' AWS-sized
// delays (15 s for ECS, for instance); the states themselves are reached
// by the local cloud's data plane, at its own pace.
func quickly[Options any](o *Options) {
	v := reflect.ValueOf(o).Elem()
	v.FieldByName("MinDelay").Set(reflect.ValueOf(200 * time.Millisecond))
	v.FieldByName("MaxDelay").Set(reflect.ValueOf(2 * time.Second))
}

const (
	waiterAppPort       = "38419"
	waiterAppPortNumber = 38419
)

// Every waiter in AWS's models of the served services reaches its
// success state through the Go SDK's own waiter, on a stack built and torn
// down by hand in eu-central-1: the states come from what the local cloud
// really does (instances launched, tasks started and healthy behind the
// load balancer, then drained and stopped), not from a faked status.
func TestEveryWaiterOfTheServedModelsReachesItsSuccessState(t *testing.T) {
	cloud := localcloudtest.Start(t)
	waiters := botocoreWaiters(t, cloud.Models())
	if len(waiters) < 20 {
		t.Fatalf("botocore lists only %d waiters for %v", len(waiters), cloud.Models())
	}
	const region = "eu-central-1"
	cfg := cloud.ConfigIn(region)
	ctx := context.Background()
	ec2c, ecsc, elbc := ec2.NewFromConfig(cfg), ecs.NewFromConfig(cfg), elb.NewFromConfig(cfg)
	asgc, iamc, acmc, cwc := autoscaling.NewFromConfig(cfg), iam.NewFromConfig(cfg), acm.NewFromConfig(cfg), cloudwatch.NewFromConfig(cfg)

	reached := map[string]bool{}
	wait := func(waiter string, run func() error) {
		t.Helper()
		if err := run(); err != nil {
			t.Fatalf("waiter %s: %v", waiter, err)
		}
		reached[waiter] = true
	}
	const patience = 3 * time.Minute
	check := func(err error) {
		t.Helper()
		localcloudtest.WantCode(t, err, "")
	}

	// IAM.
	role, err := iamc.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("waiters-task"),
		AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ecs-tasks.amazonaws.com"},"Action":"sts:AssumeRole"}]}`)})
	check(err)
	wait("iam RoleExists", func() error {
		return iam.NewRoleExistsWaiter(iamc, quickly).Wait(ctx, &iam.GetRoleInput{RoleName: role.Role.RoleName}, patience)
	})
	_, err = iamc.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("waiters-user")})
	check(err)
	wait("iam UserExists", func() error {
		return iam.NewUserExistsWaiter(iamc, quickly).Wait(ctx, &iam.GetUserInput{UserName: aws.String("waiters-user")}, patience)
	})
	policy, err := iamc.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("waiters-read"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}`)})
	check(err)
	wait("iam PolicyExists", func() error {
		return iam.NewPolicyExistsWaiter(iamc, quickly).Wait(ctx, &iam.GetPolicyInput{PolicyArn: policy.Policy.Arn}, patience)
	})
	_, err = iamc.CreateInstanceProfile(ctx, &iam.CreateInstanceProfileInput{InstanceProfileName: aws.String("waiters-instances")})
	check(err)
	wait("iam InstanceProfileExists", func() error {
		return iam.NewInstanceProfileExistsWaiter(iamc, quickly).Wait(ctx, &iam.GetInstanceProfileInput{InstanceProfileName: aws.String("waiters-instances")}, patience)
	})

	// ACM: a DNS-validated certificate is issued by the local CA.
	cert, err := acmc.RequestCertificate(ctx, &acm.RequestCertificateInput{DomainName: aws.String("waiters.example.test"), ValidationMethod: acmtypes.ValidationMethodDns})
	check(err)
	wait("acm CertificateValidated", func() error {
		return acm.NewCertificateValidatedWaiter(acmc, quickly).Wait(ctx, &acm.DescribeCertificateInput{CertificateArn: cert.CertificateArn}, patience)
	})

	// CloudWatch.
	_, err = cwc.PutMetricAlarm(ctx, &cloudwatch.PutMetricAlarmInput{AlarmName: aws.String("waiters-cpu"), Namespace: aws.String("AWS/ECS"),
		MetricName: aws.String("CPUUtilization"), Statistic: cwtypes.StatisticAverage, Period: aws.Int32(60), EvaluationPeriods: aws.Int32(1),
		Threshold: aws.Float64(80), ComparisonOperator: cwtypes.ComparisonOperatorGreaterThanThreshold})
	check(err)
	wait("cloudwatch AlarmExists", func() error {
		return cloudwatch.NewAlarmExistsWaiter(cwc, quickly).Wait(ctx, &cloudwatch.DescribeAlarmsInput{AlarmNames: []string{"waiters-cpu"}}, patience)
	})

	// EC2: the network.
	vpc, err := ec2c.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String("10.40.0.0/16")})
	check(err)
	vpcID := vpc.Vpc.VpcId
	wait("ec2 VpcExists", func() error {
		return ec2.NewVpcExistsWaiter(ec2c, quickly).Wait(ctx, &ec2.DescribeVpcsInput{VpcIds: []string{*vpcID}}, patience)
	})
	wait("ec2 VpcAvailable", func() error {
		return ec2.NewVpcAvailableWaiter(ec2c, quickly).Wait(ctx, &ec2.DescribeVpcsInput{VpcIds: []string{*vpcID}}, patience)
	})
	var subnets []string
	for i, zone := range []string{"a", "b"} {
		subnet, err := ec2c.CreateSubnet(ctx, &ec2.CreateSubnetInput{VpcId: vpcID, CidrBlock: aws.String("10.40." + string(rune('1'+i)) + ".0/24"), AvailabilityZone: aws.String(region + zone)})
		check(err)
		subnets = append(subnets, *subnet.Subnet.SubnetId)
	}
	wait("ec2 SubnetAvailable", func() error {
		return ec2.NewSubnetAvailableWaiter(ec2c, quickly).Wait(ctx, &ec2.DescribeSubnetsInput{SubnetIds: subnets}, patience)
	})
	gateway, err := ec2c.CreateInternetGateway(ctx, &ec2.CreateInternetGatewayInput{})
	check(err)
	_, err = ec2c.AttachInternetGateway(ctx, &ec2.AttachInternetGatewayInput{InternetGatewayId: gateway.InternetGateway.InternetGatewayId, VpcId: vpcID})
	check(err)
	wait("ec2 InternetGatewayExists", func() error {
		return ec2.NewInternetGatewayExistsWaiter(ec2c, quickly).Wait(ctx, &ec2.DescribeInternetGatewaysInput{InternetGatewayIds: []string{*gateway.InternetGateway.InternetGatewayId}}, patience)
	})
	albSG, err := ec2c.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{GroupName: aws.String("waiters-alb"), Description: aws.String("load balancer"), VpcId: vpcID})
	check(err)
	taskSG, err := ec2c.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{GroupName: aws.String("waiters-tasks"), Description: aws.String("tasks"), VpcId: vpcID})
	check(err)
	_, err = ec2c.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{GroupId: taskSG.GroupId, IpPermissions: []ec2types.IpPermission{{
		IpProtocol: aws.String("tcp"), FromPort: aws.Int32(waiterAppPortNumber), ToPort: aws.Int32(waiterAppPortNumber),
		UserIdGroupPairs: []ec2types.UserIdGroupPair{{GroupId: albSG.GroupId}},
	}}})
	check(err)
	wait("ec2 SecurityGroupExists", func() error {
		return ec2.NewSecurityGroupExistsWaiter(ec2c, quickly).Wait(ctx, &ec2.DescribeSecurityGroupsInput{GroupIds: []string{*albSG.GroupId, *taskSG.GroupId}}, patience)
	})
	eni, err := ec2c.CreateNetworkInterface(ctx, &ec2.CreateNetworkInterfaceInput{SubnetId: aws.String(subnets[0]), Groups: []string{*taskSG.GroupId}})
	check(err)
	wait("ec2 NetworkInterfaceAvailable", func() error {
		return ec2.NewNetworkInterfaceAvailableWaiter(ec2c, quickly).Wait(ctx, &ec2.DescribeNetworkInterfacesInput{NetworkInterfaceIds: []string{*eni.NetworkInterface.NetworkInterfaceId}}, patience)
	})
	_, err = ec2c.DeleteNetworkInterface(ctx, &ec2.DeleteNetworkInterfaceInput{NetworkInterfaceId: eni.NetworkInterface.NetworkInterfaceId})
	check(err)
	address, err := ec2c.AllocateAddress(ctx, &ec2.AllocateAddressInput{Domain: ec2types.DomainTypeVpc})
	check(err)
	nat, err := ec2c.CreateNatGateway(ctx, &ec2.CreateNatGatewayInput{SubnetId: aws.String(subnets[0]), AllocationId: address.AllocationId})
	check(err)
	natIDs := []string{*nat.NatGateway.NatGatewayId}
	wait("ec2 NatGatewayAvailable", func() error {
		return ec2.NewNatGatewayAvailableWaiter(ec2c, quickly).Wait(ctx, &ec2.DescribeNatGatewaysInput{NatGatewayIds: natIDs}, patience)
	})
	_, err = ec2c.DeleteNatGateway(ctx, &ec2.DeleteNatGatewayInput{NatGatewayId: nat.NatGateway.NatGatewayId})
	check(err)
	wait("ec2 NatGatewayDeleted", func() error {
		return ec2.NewNatGatewayDeletedWaiter(ec2c, quickly).Wait(ctx, &ec2.DescribeNatGatewaysInput{NatGatewayIds: natIDs}, patience)
	})

	_, err = ec2c.CreateKeyPair(ctx, &ec2.CreateKeyPairInput{KeyName: aws.String("waiters"), KeyType: ec2types.KeyTypeEd25519})
	check(err)
	wait("ec2 KeyPairExists", func() error {
		return ec2.NewKeyPairExistsWaiter(ec2c, quickly).Wait(ctx, &ec2.DescribeKeyPairsInput{KeyNames: []string{"waiters"}}, patience)
	})

	// EC2: images and a standalone instance.
	parameter, err := ssm.NewFromConfig(cfg).GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/aws/service/ecs/optimized-ami/amazon-linux-2023/recommended/image_id")})
	check(err)
	imageIDs := []string{*parameter.Parameter.Value}
	wait("ec2 ImageExists", func() error {
		return ec2.NewImageExistsWaiter(ec2c, quickly).Wait(ctx, &ec2.DescribeImagesInput{ImageIds: imageIDs}, patience)
	})
	wait("ec2 ImageAvailable", func() error {
		return ec2.NewImageAvailableWaiter(ec2c, quickly).Wait(ctx, &ec2.DescribeImagesInput{ImageIds: imageIDs}, patience)
	})
	run, err := ec2c.RunInstances(ctx, &ec2.RunInstancesInput{ImageId: aws.String(imageIDs[0]), InstanceType: ec2types.InstanceTypeT3Micro,
		MinCount: aws.Int32(1), MaxCount: aws.Int32(1), SubnetId: aws.String(subnets[1]), KeyName: aws.String("waiters")})
	check(err)
	standalone := []string{*run.Instances[0].InstanceId}
	wait("ec2 InstanceExists", func() error {
		return ec2.NewInstanceExistsWaiter(ec2c, quickly).Wait(ctx, &ec2.DescribeInstancesInput{InstanceIds: standalone}, patience)
	})
	wait("ec2 InstanceRunning", func() error {
		return ec2.NewInstanceRunningWaiter(ec2c, quickly).Wait(ctx, &ec2.DescribeInstancesInput{InstanceIds: standalone}, patience)
	})
	wait("ec2 InstanceStatusOk", func() error {
		return ec2.NewInstanceStatusOkWaiter(ec2c, quickly).Wait(ctx, &ec2.DescribeInstanceStatusInput{InstanceIds: standalone}, patience)
	})
	wait("ec2 SystemStatusOk", func() error {
		return ec2.NewSystemStatusOkWaiter(ec2c, quickly).Wait(ctx, &ec2.DescribeInstanceStatusInput{InstanceIds: standalone}, patience)
	})
	stopped, err := ec2c.StopInstances(ctx, &ec2.StopInstancesInput{InstanceIds: standalone})
	check(err)
	if change := stopped.StoppingInstances[0]; change.CurrentState.Name != ec2types.InstanceStateNameStopping || change.PreviousState.Name != ec2types.InstanceStateNameRunning {
		t.Errorf("StopInstances answered %s → %s, want running → stopping", change.PreviousState.Name, change.CurrentState.Name)
	}
	wait("ec2 InstanceStopped", func() error {
		return ec2.NewInstanceStoppedWaiter(ec2c, quickly).Wait(ctx, &ec2.DescribeInstancesInput{InstanceIds: standalone}, patience)
	})
	_, err = ec2c.StartInstances(ctx, &ec2.StartInstancesInput{InstanceIds: standalone})
	check(err)
	if err := ec2.NewInstanceRunningWaiter(ec2c, quickly).Wait(ctx, &ec2.DescribeInstancesInput{InstanceIds: standalone}, patience); err != nil {
		t.Fatalf("started again: %v", err)
	}
	_, err = ec2c.TerminateInstances(ctx, &ec2.TerminateInstancesInput{InstanceIds: standalone})
	check(err)
	wait("ec2 InstanceTerminated", func() error {
		return ec2.NewInstanceTerminatedWaiter(ec2c, quickly).Wait(ctx, &ec2.DescribeInstancesInput{InstanceIds: standalone}, patience)
	})

	// The load balancer.
	lb, err := elbc.CreateLoadBalancer(ctx, &elb.CreateLoadBalancerInput{Name: aws.String("waiters-alb"), Subnets: subnets, SecurityGroups: []string{*albSG.GroupId}})
	check(err)
	lbARNs := []string{*lb.LoadBalancers[0].LoadBalancerArn}
	wait("elbv2 LoadBalancerExists", func() error {
		return elb.NewLoadBalancerExistsWaiter(elbc, quickly).Wait(ctx, &elb.DescribeLoadBalancersInput{LoadBalancerArns: lbARNs}, patience)
	})
	wait("elbv2 LoadBalancerAvailable", func() error {
		return elb.NewLoadBalancerAvailableWaiter(elbc, quickly).Wait(ctx, &elb.DescribeLoadBalancersInput{LoadBalancerArns: lbARNs}, patience)
	})
	tg, err := elbc.CreateTargetGroup(ctx, &elb.CreateTargetGroupInput{Name: aws.String("waiters-tg"), Protocol: elbtypes.ProtocolEnumHttp,
		Port: aws.Int32(waiterAppPortNumber), VpcId: vpcID, TargetType: elbtypes.TargetTypeEnumIp, HealthCheckPath: aws.String("/"),
		HealthCheckIntervalSeconds: aws.Int32(5), HealthCheckTimeoutSeconds: aws.Int32(4), HealthyThresholdCount: aws.Int32(2),
		// Patient with a machine busy running other tests: a task that
		// answers a check late is replaced, and the targets change.
		UnhealthyThresholdCount: aws.Int32(10)})
	check(err)
	tgARN := tg.TargetGroups[0].TargetGroupArn
	_, err = elbc.ModifyTargetGroupAttributes(ctx, &elb.ModifyTargetGroupAttributesInput{TargetGroupArn: tgARN,
		Attributes: []elbtypes.TargetGroupAttribute{{Key: aws.String("deregistration_delay.timeout_seconds"), Value: aws.String("1")}}})
	check(err)
	_, err = elbc.CreateListener(ctx, &elb.CreateListenerInput{LoadBalancerArn: aws.String(lbARNs[0]), Protocol: elbtypes.ProtocolEnumHttp, Port: aws.Int32(80),
		DefaultActions: []elbtypes.Action{{Type: elbtypes.ActionTypeEnumForward, TargetGroupArn: tgARN}}})
	check(err)

	// ECS capacity: an Auto Scaling group whose instances join the cluster
	// their user data names.
	userData := base64.StdEncoding.EncodeToString([]byte("#!/bin/bash\necho ECS_CLUSTER=waiters >> /etc/ecs/ecs.config\n"))
	_, err = ec2c.CreateLaunchTemplate(ctx, &ec2.CreateLaunchTemplateInput{LaunchTemplateName: aws.String("waiters-lt"),
		LaunchTemplateData: &ec2types.RequestLaunchTemplateData{ImageId: aws.String(imageIDs[0]), InstanceType: ec2types.InstanceTypeT2Medium,
			UserData: aws.String(userData), SecurityGroupIds: []string{*taskSG.GroupId}}})
	check(err)
	_, err = asgc.CreateAutoScalingGroup(ctx, &autoscaling.CreateAutoScalingGroupInput{AutoScalingGroupName: aws.String("waiters-asg"),
		LaunchTemplate: &asgtypes.LaunchTemplateSpecification{LaunchTemplateName: aws.String("waiters-lt"), Version: aws.String("$Latest")},
		MinSize:        aws.Int32(1), MaxSize: aws.Int32(1), DesiredCapacity: aws.Int32(1), VPCZoneIdentifier: aws.String(strings.Join(subnets, ","))})
	check(err)

	// The service: two tasks of a process image behind the target group.
	if err := cloud.PutImage(runtime.ProcessImage{Name: "waiters-app", Dir: t.TempDir(),
		Command: []string{"/bin/sh", "-c", `exec python3 -m http.server ` + waiterAppPort + ` --bind "$HOST"`}}); err != nil {
		t.Fatal(err)
	}
	_, err = ecsc.CreateCluster(ctx, &ecs.CreateClusterInput{ClusterName: aws.String("waiters")})
	check(err)
	_, err = ecsc.RegisterTaskDefinition(ctx, &ecs.RegisterTaskDefinitionInput{Family: aws.String("waiters"), NetworkMode: ecstypes.NetworkModeAwsvpc,
		Cpu: aws.String("256"), Memory: aws.String("256"), TaskRoleArn: role.Role.Arn,
		ContainerDefinitions: []ecstypes.ContainerDefinition{{Name: aws.String("app"), Image: aws.String("waiters-app:latest"), Essential: aws.Bool(true),
			PortMappings: []ecstypes.PortMapping{{ContainerPort: aws.Int32(waiterAppPortNumber)}}}}})
	check(err)
	_, err = ecsc.CreateService(ctx, &ecs.CreateServiceInput{Cluster: aws.String("waiters"), ServiceName: aws.String("web"), TaskDefinition: aws.String("waiters"),
		DesiredCount: aws.Int32(2), LaunchType: ecstypes.LaunchTypeEc2, HealthCheckGracePeriodSeconds: aws.Int32(60),
		NetworkConfiguration: &ecstypes.NetworkConfiguration{AwsvpcConfiguration: &ecstypes.AwsVpcConfiguration{Subnets: subnets, SecurityGroups: []string{*taskSG.GroupId}}},
		LoadBalancers:        []ecstypes.LoadBalancer{{TargetGroupArn: tgARN, ContainerName: aws.String("app"), ContainerPort: aws.Int32(waiterAppPortNumber)}}})
	check(err)
	services := &ecs.DescribeServicesInput{Cluster: aws.String("waiters"), Services: []string{"web"}}
	wait("ecs ServicesStable", func() error {
		return ecs.NewServicesStableWaiter(ecsc, quickly).Wait(ctx, services, patience)
	})
	listed, err := ecsc.ListTasks(ctx, &ecs.ListTasksInput{Cluster: aws.String("waiters"), ServiceName: aws.String("web")})
	check(err)
	if len(listed.TaskArns) != 2 {
		t.Fatalf("the stable service has tasks %v, want 2", listed.TaskArns)
	}
	tasks := &ecs.DescribeTasksInput{Cluster: aws.String("waiters"), Tasks: listed.TaskArns}
	wait("ecs TasksRunning", func() error {
		return ecs.NewTasksRunningWaiter(ecsc, quickly).Wait(ctx, tasks, patience)
	})
	health, err := elbc.DescribeTargetHealth(ctx, &elb.DescribeTargetHealthInput{TargetGroupArn: tgARN})
	check(err)
	var targets []elbtypes.TargetDescription
	for _, d := range health.TargetHealthDescriptions {
		targets = append(targets, *d.Target)
	}
	if len(targets) != 2 {
		t.Fatalf("the service registered targets %v, want 2", targets)
	}
	targetHealth := &elb.DescribeTargetHealthInput{TargetGroupArn: tgARN, Targets: targets}
	wait("elbv2 TargetInService", func() error {
		err := elb.NewTargetInServiceWaiter(elbc, quickly).Wait(ctx, targetHealth, patience)
		if err != nil {
			now, _ := elbc.DescribeTargetHealth(ctx, &elb.DescribeTargetHealthInput{TargetGroupArn: tgARN})
			described, _ := ecsc.DescribeServices(ctx, services)
			health, _ := json.Marshal(now)
			events, _ := json.Marshal(described)
			asked, _ := json.Marshal(targets)
			t.Logf("targets asked for: %s\nthe group's health now: %s\nthe service: %s", asked, health, events)
		}
		return err
	})

	// Tear down: the service's tasks drain from the target group and stop,
	// the service goes, the load balancer goes.
	_, err = ecsc.UpdateService(ctx, &ecs.UpdateServiceInput{Cluster: aws.String("waiters"), Service: aws.String("web"), DesiredCount: aws.Int32(0)})
	check(err)
	wait("elbv2 TargetDeregistered", func() error {
		return elb.NewTargetDeregisteredWaiter(elbc, quickly).Wait(ctx, targetHealth, patience)
	})
	wait("ecs TasksStopped", func() error {
		return ecs.NewTasksStoppedWaiter(ecsc, quickly).Wait(ctx, tasks, patience)
	})
	_, err = ecsc.DeleteService(ctx, &ecs.DeleteServiceInput{Cluster: aws.String("waiters"), Service: aws.String("web")})
	check(err)
	wait("ecs ServicesInactive", func() error {
		return ecs.NewServicesInactiveWaiter(ecsc, quickly).Wait(ctx, services, patience)
	})
	_, err = elbc.DeleteLoadBalancer(ctx, &elb.DeleteLoadBalancerInput{LoadBalancerArn: aws.String(lbARNs[0])})
	check(err)
	wait("elbv2 LoadBalancersDeleted", func() error {
		return elb.NewLoadBalancersDeletedWaiter(elbc, quickly).Wait(ctx, &elb.DescribeLoadBalancersInput{LoadBalancerArns: lbARNs}, patience)
	})

	// Every waiter is accounted for: reached above, or waiting for an
	// operation the local cloud does not have yet.
	var missing []string
	for waiter, operation := range waiters {
		service := strings.Fields(waiter)[0]
		if reached[waiter] || !cloud.Implements(service, operation) {
			continue
		}
		if needs, ok := waitersNeedingMore[waiter]; ok {
			if cloud.Implements(needs[0], needs[1]) {
				t.Errorf("%s is listed as needing %s %s, which is implemented now: drive the waiter above", waiter, needs[0], needs[1])
			}
			continue
		}
		missing = append(missing, waiter+" (polls "+operation+")")
	}
	sort.Strings(missing)
	for _, m := range missing {
		t.Errorf("waiter %s polls an implemented operation but no scenario above reaches it", m)
	}
	t.Logf("%d of botocore's %d waiters for the served models reached their success state", len(reached), len(waiters))
}
