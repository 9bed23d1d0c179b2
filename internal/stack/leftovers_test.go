package stack

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	aas "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling"
	aastypes "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling/types"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/berthdev/berth/internal/awsres"
)

// assertNothingLeft looks for anything of the stack through the services'
// own Describe and List calls, independently of the deployer's observers.
func assertNothingLeft(t *testing.T, cfg aws.Config, stackName string) {
	t.Helper()
	ctx := context.Background()
	names := NamesFor(stackName)
	tagged := []ec2types.Filter{{Name: aws.String("tag:" + awsres.TagStack), Values: []string{stackName}}}
	ec2Client := ec2.NewFromConfig(cfg)

	vpcs, err := ec2Client.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{Filters: tagged})
	check(t, err, "vpcs", len(vpcs.Vpcs))
	subnets, err := ec2Client.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{Filters: tagged})
	check(t, err, "subnets", len(subnets.Subnets))
	gateways, err := ec2Client.DescribeInternetGateways(ctx, &ec2.DescribeInternetGatewaysInput{Filters: tagged})
	check(t, err, "internet gateways", len(gateways.InternetGateways))
	tables, err := ec2Client.DescribeRouteTables(ctx, &ec2.DescribeRouteTablesInput{Filters: tagged})
	check(t, err, "route tables", len(tables.RouteTables))
	nats, err := ec2Client.DescribeNatGateways(ctx, &ec2.DescribeNatGatewaysInput{Filter: append(tagged,
		ec2types.Filter{Name: aws.String("state"), Values: []string{"pending", "available", "deleting"}})})
	// moto ignores tag filters of NAT gateways and addresses.
	count := 0
	if err == nil {
		for _, g := range nats.NatGateways {
			count += ofStack(g.Tags, stackName)
		}
	}
	check(t, err, "nat gateways", count)
	addresses, err := ec2Client.DescribeAddresses(ctx, &ec2.DescribeAddressesInput{Filters: tagged})
	count = 0
	if err == nil {
		for _, a := range addresses.Addresses {
			count += ofStack(a.Tags, stackName)
		}
	}
	check(t, err, "elastic ips", count)
	groups, err := ec2Client.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{Filters: tagged})
	check(t, err, "security groups", len(groups.SecurityGroups))
	templates, err := ec2Client.DescribeLaunchTemplates(ctx, &ec2.DescribeLaunchTemplatesInput{Filters: tagged})
	check(t, err, "launch templates", len(templates.LaunchTemplates))
	instances, err := ec2Client.DescribeInstances(ctx, &ec2.DescribeInstancesInput{Filters: append(tagged,
		ec2types.Filter{Name: aws.String("instance-state-name"), Values: []string{"pending", "running", "stopping", "stopped"}})})
	check(t, err, "instance reservations", len(instances.Reservations))

	asgs, err := autoscaling.NewFromConfig(cfg).DescribeAutoScalingGroups(ctx, &autoscaling.DescribeAutoScalingGroupsInput{
		AutoScalingGroupNames: []string{names.AutoScalingGroup},
	})
	check(t, err, "auto scaling groups", len(asgs.AutoScalingGroups))

	ecsClient := ecs.NewFromConfig(cfg)
	clusters, err := ecsClient.DescribeClusters(ctx, &ecs.DescribeClustersInput{Clusters: []string{names.Cluster}})
	active := 0
	if err == nil {
		for _, c := range clusters.Clusters {
			if aws.ToString(c.Status) != "INACTIVE" {
				active++
			}
		}
	}
	check(t, err, "active clusters", active)
	families, err := ecsClient.ListTaskDefinitions(ctx, &ecs.ListTaskDefinitionsInput{FamilyPrefix: aws.String(names.TaskFamily), Status: "ACTIVE"})
	check(t, err, "active task definitions", len(families.TaskDefinitionArns))
	providers, err := ecsClient.DescribeCapacityProviders(ctx, &ecs.DescribeCapacityProvidersInput{CapacityProviders: []string{names.CapacityProvider}})
	activeProviders := 0
	if err == nil {
		for _, p := range providers.CapacityProviders {
			if p.Status == "ACTIVE" {
				activeProviders++
			}
		}
	}
	check(t, err, "capacity providers", activeProviders)

	elbClient := elb.NewFromConfig(cfg)
	lbs, err := elbClient.DescribeLoadBalancers(ctx, &elb.DescribeLoadBalancersInput{})
	count = 0
	if err == nil {
		for _, lb := range lbs.LoadBalancers {
			if aws.ToString(lb.LoadBalancerName) == names.LoadBalancer {
				count++
			}
		}
	}
	check(t, err, "load balancers", count)
	tgs, err := elbClient.DescribeTargetGroups(ctx, &elb.DescribeTargetGroupsInput{})
	count = 0
	if err == nil {
		for _, tg := range tgs.TargetGroups {
			if aws.ToString(tg.TargetGroupName) == names.TargetGroup {
				count++
			}
		}
	}
	check(t, err, "target groups", count)

	iamClient := iam.NewFromConfig(cfg)
	roles, err := iamClient.ListRoles(ctx, &iam.ListRolesInput{})
	count = 0
	if err == nil {
		for _, r := range roles.Roles {
			if n := aws.ToString(r.RoleName); n == names.InstanceRole || n == names.ExecutionRole {
				count++
			}
		}
	}
	check(t, err, "iam roles", count)
	profiles, err := iamClient.ListInstanceProfiles(ctx, &iam.ListInstanceProfilesInput{})
	count = 0
	if err == nil {
		for _, p := range profiles.InstanceProfiles {
			if aws.ToString(p.InstanceProfileName) == names.InstanceProfile {
				count++
			}
		}
	}
	check(t, err, "instance profiles", count)

	logGroups, err := cloudwatchlogs.NewFromConfig(cfg).DescribeLogGroups(ctx, &cloudwatchlogs.DescribeLogGroupsInput{
		LogGroupNamePrefix: aws.String(names.LogGroup),
	})
	count = 0
	if err == nil {
		for _, g := range logGroups.LogGroups {
			if aws.ToString(g.LogGroupName) == names.LogGroup {
				count++
			}
		}
	}
	check(t, err, "log groups", count)

	check(t, nil, "certificates", certificatesOf(t, cfg, stackName))
	targets, err := aas.NewFromConfig(cfg).DescribeScalableTargets(ctx, &aas.DescribeScalableTargetsInput{
		ServiceNamespace: aastypes.ServiceNamespaceEcs, ResourceIds: []string{"service/" + names.Cluster + "/" + names.Service},
	})
	registered := 0
	if err == nil {
		registered = len(targets.ScalableTargets)
	}
	check(t, err, "scalable targets", registered)
	check(t, nil, "scaling policies", len(scalingPolicies(t, cfg, names)))
}

func check(t *testing.T, err error, what string, left int) {
	t.Helper()
	if err != nil {
		t.Errorf("list %s: %v", what, err)
		return
	}
	if left != 0 {
		t.Errorf("%d %s of the stack left after destroy", left, what)
	}
}

// ofStack is 1 when tags name the stack, else 0.
func ofStack(tags []ec2types.Tag, stackName string) int {
	for _, tag := range tags {
		if aws.ToString(tag.Key) == awsres.TagStack && aws.ToString(tag.Value) == stackName {
			return 1
		}
	}
	return 0
}
