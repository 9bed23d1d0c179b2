package controller_test

import (
	"context"
	"encoding/base64"
	"os"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	aas "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling"
	aastypes "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling/types"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	astypes "github.com/aws/aws-sdk-go-v2/service/autoscaling/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/berthdev/berth/internal/localcloud"
	"github.com/berthdev/berth/internal/localcloud/localcloudtest"
	localec2 "github.com/berthdev/berth/internal/localcloud/service/ec2"
)

// Both levels scale together: a CPU load in the tasks raises the service's
// desired count through target tracking; its tasks must each have their
// own instance (distinctInstance), so managed scaling adds instances until
// they fit, protecting the busy ones from scale-in. Once the load stops,
// the service scales in and managed scaling removes the idle instances.
func TestServiceAndClusterScaleOutAndBackIn(t *testing.T) {
	cloud := localcloudtest.StartWithOptions(t, localcloud.Options{TimeScale: testTimeScale})
	ctx := context.Background()
	loadFile := burnerImage(t, cloud)
	ec2Client, ecsClient := ec2.NewFromConfig(cloud.Config), ecs.NewFromConfig(cloud.Config)
	groups, scaling, watch := autoscaling.NewFromConfig(cloud.Config), aas.NewFromConfig(cloud.Config), cloudwatch.NewFromConfig(cloud.Config)

	vpc := must(ec2Client.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String("10.0.0.0/16")}))(t)
	subnet := must(ec2Client.CreateSubnet(ctx, &ec2.CreateSubnetInput{VpcId: vpc.Vpc.VpcId, CidrBlock: aws.String("10.0.1.0/24"), AvailabilityZone: aws.String("us-east-1a")}))(t)
	userData := base64.StdEncoding.EncodeToString([]byte("#!/bin/bash\necho ECS_CLUSTER=elastic >> /etc/ecs/ecs.config\n"))
	lt := must(ec2Client.CreateLaunchTemplate(ctx, &ec2.CreateLaunchTemplateInput{
		LaunchTemplateName: aws.String("elastic"),
		LaunchTemplateData: &ec2types.RequestLaunchTemplateData{ImageId: aws.String(localec2.ECSOptimizedImage("us-east-1").ID), InstanceType: ec2types.InstanceTypeT2Medium, UserData: aws.String(userData)},
	}))(t)
	must(groups.CreateAutoScalingGroup(ctx, &autoscaling.CreateAutoScalingGroupInput{
		AutoScalingGroupName: aws.String("elastic"), MinSize: aws.Int32(1), MaxSize: aws.Int32(4), DesiredCapacity: aws.Int32(1),
		LaunchTemplate:                   &astypes.LaunchTemplateSpecification{LaunchTemplateId: lt.LaunchTemplate.LaunchTemplateId, Version: aws.String("$Latest")},
		VPCZoneIdentifier:                subnet.Subnet.SubnetId,
		NewInstancesProtectedFromScaleIn: aws.Bool(true),
	}))(t)
	group := must(groups.DescribeAutoScalingGroups(ctx, &autoscaling.DescribeAutoScalingGroupsInput{AutoScalingGroupNames: []string{"elastic"}}))(t).AutoScalingGroups[0]
	must(ecsClient.CreateCapacityProvider(ctx, &ecs.CreateCapacityProviderInput{
		Name: aws.String("elastic-cp"),
		AutoScalingGroupProvider: &ecstypes.AutoScalingGroupProvider{
			AutoScalingGroupArn: group.AutoScalingGroupARN,
			ManagedScaling: &ecstypes.ManagedScaling{Status: ecstypes.ManagedScalingStatusEnabled, TargetCapacity: aws.Int32(100),
				MinimumScalingStepSize: aws.Int32(1), MaximumScalingStepSize: aws.Int32(2), InstanceWarmupPeriod: aws.Int32(60)},
			ManagedTerminationProtection: ecstypes.ManagedTerminationProtectionEnabled,
		},
	}))(t)
	must(ecsClient.CreateCluster(ctx, &ecs.CreateClusterInput{ClusterName: aws.String("elastic")}))(t)
	strategy := []ecstypes.CapacityProviderStrategyItem{{CapacityProvider: aws.String("elastic-cp"), Weight: 1}}
	must(ecsClient.PutClusterCapacityProviders(ctx, &ecs.PutClusterCapacityProvidersInput{
		Cluster: aws.String("elastic"), CapacityProviders: []string{"elastic-cp"}, DefaultCapacityProviderStrategy: strategy,
	}))(t)
	must(ecsClient.CreateService(ctx, &ecs.CreateServiceInput{
		Cluster: aws.String("elastic"), ServiceName: aws.String("web"), TaskDefinition: aws.String(burnerDefinition(t, ecsClient)), DesiredCount: aws.Int32(1),
		CapacityProviderStrategy: strategy,
		PlacementConstraints:     []ecstypes.PlacementConstraint{{Type: ecstypes.PlacementConstraintTypeDistinctInstance}},
	}))(t)
	resource := aws.String("service/elastic/web")
	must(scaling.RegisterScalableTarget(ctx, &aas.RegisterScalableTargetInput{
		ServiceNamespace: aastypes.ServiceNamespaceEcs, ScalableDimension: aastypes.ScalableDimensionECSServiceDesiredCount,
		ResourceId: resource, MinCapacity: aws.Int32(1), MaxCapacity: aws.Int32(3),
	}))(t)
	must(scaling.PutScalingPolicy(ctx, &aas.PutScalingPolicyInput{
		PolicyName: aws.String("cpu50"), PolicyType: aastypes.PolicyTypeTargetTrackingScaling,
		ServiceNamespace: aastypes.ServiceNamespaceEcs, ScalableDimension: aastypes.ScalableDimensionECSServiceDesiredCount, ResourceId: resource,
		TargetTrackingScalingPolicyConfiguration: &aastypes.TargetTrackingScalingPolicyConfiguration{
			TargetValue:                   aws.Float64(50),
			PredefinedMetricSpecification: &aastypes.PredefinedMetricSpecification{PredefinedMetricType: aastypes.MetricTypeECSServiceAverageCPUUtilization},
			ScaleOutCooldown:              aws.Int32(60), ScaleInCooldown: aws.Int32(60),
		},
	}))(t)

	runningOnDistinctInstances := func(want int) func() bool {
		return func() bool {
			list, err := ecsClient.ListTasks(ctx, &ecs.ListTasksInput{Cluster: aws.String("elastic"), DesiredStatus: ecstypes.DesiredStatusRunning})
			if err != nil || len(list.TaskArns) != want {
				return false
			}
			tasks, err := ecsClient.DescribeTasks(ctx, &ecs.DescribeTasksInput{Cluster: aws.String("elastic"), Tasks: list.TaskArns})
			if err != nil {
				return false
			}
			instances := map[string]bool{}
			for _, task := range tasks.Tasks {
				if aws.ToString(task.LastStatus) != "RUNNING" {
					return false
				}
				instances[aws.ToString(task.ContainerInstanceArn)] = true
			}
			return len(instances) == want
		}
	}
	groupAt := func(want int32) func() bool {
		return func() bool {
			out, err := groups.DescribeAutoScalingGroups(ctx, &autoscaling.DescribeAutoScalingGroupsInput{AutoScalingGroupNames: []string{"elastic"}})
			return err == nil && aws.ToInt32(out.AutoScalingGroups[0].DesiredCapacity) == want && len(out.AutoScalingGroups[0].Instances) == int(want)
		}
	}
	localcloudtest.Eventually(t, "the first task", runningOnDistinctInstances(1))

	if err := os.WriteFile(loadFile, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	localcloudtest.Eventually(t, "three tasks on three instances", runningOnDistinctInstances(3))
	localcloudtest.Eventually(t, "the group at three instances", groupAt(3))
	instances := must(groups.DescribeAutoScalingInstances(ctx, &autoscaling.DescribeAutoScalingInstancesInput{}))(t)
	for _, inst := range instances.AutoScalingInstances {
		if !aws.ToBool(inst.ProtectedFromScaleIn) {
			t.Errorf("instance %s runs a task but is not protected from scale-in", aws.ToString(inst.InstanceId))
		}
	}
	if err := os.Remove(loadFile); err != nil {
		t.Fatal(err)
	}
	localcloudtest.Eventually(t, "the service back at one task", runningOnDistinctInstances(1))
	localcloudtest.Eventually(t, "the group back at one instance", groupAt(1))

	reservation := must(watch.GetMetricStatistics(ctx, &cloudwatch.GetMetricStatisticsInput{
		Namespace: aws.String("AWS/ECS/ManagedScaling"), MetricName: aws.String("CapacityProviderReservation"),
		Dimensions: []cwtypes.Dimension{{Name: aws.String("CapacityProviderName"), Value: aws.String("elastic-cp")}, {Name: aws.String("ClusterName"), Value: aws.String("elastic")}},
		StartTime:  aws.Time(group.CreatedTime.Add(-60e9)), EndTime: aws.Time(group.CreatedTime.Add(3600e9)), Period: aws.Int32(3600),
		Statistics: []cwtypes.Statistic{cwtypes.StatisticMaximum, cwtypes.StatisticMinimum},
	}))(t)
	if len(reservation.Datapoints) != 1 || aws.ToFloat64(reservation.Datapoints[0].Maximum) <= 100 || aws.ToFloat64(reservation.Datapoints[0].Minimum) >= 100 {
		for _, d := range reservation.Datapoints {
			t.Errorf("CapacityProviderReservation went from %v to %v, want above 100 while tasks waited and below once instances idled", aws.ToFloat64(d.Minimum), aws.ToFloat64(d.Maximum))
		}
		if len(reservation.Datapoints) == 0 {
			t.Error("no CapacityProviderReservation")
		}
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
