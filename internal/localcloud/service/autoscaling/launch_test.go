package autoscaling_test

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	asg "github.com/aws/aws-sdk-go-v2/service/autoscaling"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling/types"
	awsec2 "github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/berthdev/berth/internal/localcloud/localcloudtest"
	"github.com/berthdev/berth/internal/localcloud/service/ec2"
)

// Groups launched from a launch configuration and from a mixed instances
// policy's override, by the data plane.
func TestLaunchConfigurationsAndOverrides(t *testing.T) {
	cloud := localcloudtest.Start(t)
	ctx := context.Background()
	client := asg.NewFromConfig(cloud.Config)
	ec2Client := awsec2.NewFromConfig(cloud.Config)
	vpc, err := ec2Client.CreateVpc(ctx, &awsec2.CreateVpcInput{CidrBlock: aws.String("10.1.0.0/16")})
	localcloudtest.WantCode(t, err, "")
	subnet, err := ec2Client.CreateSubnet(ctx, &awsec2.CreateSubnetInput{VpcId: vpc.Vpc.VpcId, CidrBlock: aws.String("10.1.1.0/24"), AvailabilityZone: aws.String("us-east-1a")})
	localcloudtest.WantCode(t, err, "")
	image := ec2.ECSOptimizedImage("us-east-1").ID

	_, err = client.CreateLaunchConfiguration(ctx, &asg.CreateLaunchConfigurationInput{
		LaunchConfigurationName: aws.String("lc"), ImageId: aws.String(image), InstanceType: aws.String("t3.small"),
	})
	localcloudtest.WantCode(t, err, "")
	_, err = client.CreateLaunchConfiguration(ctx, &asg.CreateLaunchConfigurationInput{
		LaunchConfigurationName: aws.String("lc"), ImageId: aws.String(image), InstanceType: aws.String("t3.small"),
	})
	localcloudtest.WantCode(t, err, "AlreadyExists")
	described, err := client.DescribeLaunchConfigurations(ctx, &asg.DescribeLaunchConfigurationsInput{LaunchConfigurationNames: []string{"lc"}})
	localcloudtest.WantCode(t, err, "")
	if len(described.LaunchConfigurations) != 1 || aws.ToString(described.LaunchConfigurations[0].InstanceType) != "t3.small" || aws.ToString(described.LaunchConfigurations[0].LaunchConfigurationARN) == "" {
		t.Fatalf("DescribeLaunchConfigurations: %+v", described.LaunchConfigurations)
	}

	_, err = ec2Client.CreateLaunchTemplate(ctx, &awsec2.CreateLaunchTemplateInput{LaunchTemplateName: aws.String("mixed-lt"), LaunchTemplateData: &ec2types.RequestLaunchTemplateData{
		ImageId: aws.String(image), InstanceType: ec2types.InstanceTypeT3Micro,
	}})
	localcloudtest.WantCode(t, err, "")

	groups := []*asg.CreateAutoScalingGroupInput{{
		AutoScalingGroupName: aws.String("from-lc"), LaunchConfigurationName: aws.String("lc"),
		MinSize: aws.Int32(1), MaxSize: aws.Int32(2), VPCZoneIdentifier: subnet.Subnet.SubnetId,
		Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("a"), PropagateAtLaunch: aws.Bool(true)}, {Key: aws.String("private"), Value: aws.String("b"), PropagateAtLaunch: aws.Bool(false)}},
	}, {
		AutoScalingGroupName: aws.String("mixed"), MinSize: aws.Int32(1), MaxSize: aws.Int32(2), VPCZoneIdentifier: subnet.Subnet.SubnetId,
		MixedInstancesPolicy: &types.MixedInstancesPolicy{LaunchTemplate: &types.LaunchTemplate{
			LaunchTemplateSpecification: &types.LaunchTemplateSpecification{LaunchTemplateName: aws.String("mixed-lt")},
			Overrides:                   []types.LaunchTemplateOverrides{{InstanceType: aws.String("t3.large")}, {InstanceType: aws.String("t3.medium")}},
		}},
	}}
	for _, in := range groups {
		_, err := client.CreateAutoScalingGroup(ctx, in)
		localcloudtest.WantCode(t, err, "")
	}
	inService := asg.NewGroupInServiceWaiter(client, func(o *asg.GroupInServiceWaiterOptions) {
		o.MinDelay, o.MaxDelay = 50*time.Millisecond, 200*time.Millisecond
	})
	if err := inService.Wait(ctx, &asg.DescribeAutoScalingGroupsInput{AutoScalingGroupNames: []string{"from-lc", "mixed"}}, 2*time.Minute); err != nil {
		t.Fatalf("the groups never got their instances: %v", err)
	}
	out, err := client.DescribeAutoScalingGroups(ctx, &asg.DescribeAutoScalingGroupsInput{AutoScalingGroupNames: []string{"from-lc", "mixed"}})
	localcloudtest.WantCode(t, err, "")
	want := map[string]string{"from-lc": "t3.small", "mixed": "t3.large"}
	for _, g := range out.AutoScalingGroups {
		name := aws.ToString(g.AutoScalingGroupName)
		if len(g.Instances) != 1 || aws.ToString(g.Instances[0].InstanceType) != want[name] {
			t.Errorf("group %s: instances %+v, want one %s", name, g.Instances, want[name])
			continue
		}
		if name == "from-lc" && (aws.ToString(g.LaunchConfigurationName) != "lc" || g.LaunchTemplate != nil) {
			t.Errorf("from-lc names launch configuration %q and template %+v", aws.ToString(g.LaunchConfigurationName), g.LaunchTemplate)
		}
		instances, err := ec2Client.DescribeInstances(ctx, &awsec2.DescribeInstancesInput{InstanceIds: []string{aws.ToString(g.Instances[0].InstanceId)}})
		localcloudtest.WantCode(t, err, "")
		inst := instances.Reservations[0].Instances[0]
		tags := map[string]string{}
		for _, tag := range inst.Tags {
			tags[aws.ToString(tag.Key)] = aws.ToString(tag.Value)
		}
		if string(inst.InstanceType) != want[name] || tags["aws:autoscaling:groupName"] != name {
			t.Errorf("EC2 instance of %s: type %s tags %v", name, inst.InstanceType, tags)
		}
		if name == "from-lc" && (tags["team"] != "a" || tags["private"] != "") {
			t.Errorf("tags propagated at launch: %v", tags)
		}
		if name == "from-lc" && aws.ToString(inst.ImageId) != image {
			t.Errorf("image %s, want the launch configuration's %s", aws.ToString(inst.ImageId), image)
		}
	}

	_, err = client.DeleteLaunchConfiguration(ctx, &asg.DeleteLaunchConfigurationInput{LaunchConfigurationName: aws.String("lc")})
	localcloudtest.WantCode(t, err, "ResourceInUse")
	_, err = client.DeleteAutoScalingGroup(ctx, &asg.DeleteAutoScalingGroupInput{AutoScalingGroupName: aws.String("from-lc"), ForceDelete: aws.Bool(true)})
	localcloudtest.WantCode(t, err, "")
	gone := asg.NewGroupNotExistsWaiter(client, func(o *asg.GroupNotExistsWaiterOptions) {
		o.MinDelay, o.MaxDelay = 50*time.Millisecond, 200*time.Millisecond
	})
	if err := gone.Wait(ctx, &asg.DescribeAutoScalingGroupsInput{AutoScalingGroupNames: []string{"from-lc"}}, 2*time.Minute); err != nil {
		t.Fatalf("the group was never deleted: %v", err)
	}
	_, err = client.DeleteLaunchConfiguration(ctx, &asg.DeleteLaunchConfigurationInput{LaunchConfigurationName: aws.String("lc")})
	localcloudtest.WantCode(t, err, "")
	_, err = client.DeleteLaunchConfiguration(ctx, &asg.DeleteLaunchConfigurationInput{LaunchConfigurationName: aws.String("lc")})
	localcloudtest.WantCode(t, err, "ValidationError")
	_, err = client.CreateAutoScalingGroup(ctx, &asg.CreateAutoScalingGroupInput{AutoScalingGroupName: aws.String("x"), LaunchConfigurationName: aws.String("lc"),
		MinSize: aws.Int32(0), MaxSize: aws.Int32(1), VPCZoneIdentifier: subnet.Subnet.SubnetId})
	localcloudtest.WantCode(t, err, "ValidationError")
}
