package cli_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	astypes "github.com/aws/aws-sdk-go-v2/service/autoscaling/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/berthdev/berth/internal/localcloud/localcloudtest"
)

// A deployed stack whose berth.yaml is gone is destroyed by its tags:
// --dry-run lists it and deletes nothing, the destroy leaves nothing tagged
// as the stack's (checked service by service through the SDK), and a second
// destroy finds nothing. The stack is in eu-west-1 beside what berth did
// not make there — a VPC and security group built with the aws CLI, another
// stack's VPC — and a VPC tagged as the same stack in us-east-1: all stay.
func TestDestroyByTagWithoutBerthYAML(t *testing.T) {
	python, err := exec.LookPath("python3")
	if err != nil {
		t.Fatalf("this test serves HTTP with python3: %v", err)
	}
	cloud := localcloudtest.Start(t)
	const region = "eu-west-1"
	specFile := writeSpec(t, "lost", "lost:1", []string{python, "-m", "http.server", "--bind", "$HOST", "9000"}, t.TempDir())
	inRegion(t, specFile, region)
	handBuilt := handBuiltVPC(t, cloud, region, "Name", "hand-built")
	bystanders := map[string]string{ // VPC id → what it is
		handBuilt: "a hand-built VPC in " + region,
		handBuiltVPC(t, cloud, region, "berth:stack", "other"):     "another stack's VPC in " + region,
		handBuiltVPC(t, cloud, "us-east-1", "berth:stack", "lost"): "the same stack name's VPC in us-east-1",
	}
	var group struct{ GroupId string }
	localcloudtest.MustAWSCLI(t, cloud.Endpoint, region, &group, "ec2", "create-security-group", "--group-name", "hand-built-web",
		"--description", "made with the aws CLI", "--vpc-id", handBuilt)
	if out, errOut, err := berth(t, cloud.Endpoint, "up", "--no-logs", "--state-dir", filepath.Dir(cloud.AdminTokenPath()), "-f", specFile); err != nil {
		t.Fatalf("berth up: %v\n%s\n%s", err, out, errOut)
	}
	before := taggedAs(t, cloud.ConfigIn(region), "lost")
	if len(before) < 20 {
		t.Fatalf("a deployed stack has only %d tagged resources: %v", len(before), before)
	}
	if err := os.Remove(specFile); err != nil {
		t.Fatal(err)
	}

	out, _, err := berth(t, cloud.Endpoint, "destroy", "--stack", "lost", "--region", region, "--dry-run")
	if err != nil {
		t.Fatalf("destroy --dry-run: %v\n%s", err, out)
	}
	for _, want := range []string{"ecs.service lost", "autoscaling.group lost-instances", "ec2.vpc vpc-", "ec2.network-interfaces", "iam.role lost-execution-role"} {
		if !strings.Contains(out, want) {
			t.Errorf("the dry run does not list %q:\n%s", want, out)
		}
	}
	if strings.Index(out, "ecs.service") > strings.Index(out, "ec2.vpc") {
		t.Errorf("the dry run lists the VPC before the service:\n%s", out)
	}
	if after := taggedAs(t, cloud.ConfigIn(region), "lost"); len(after) != len(before) {
		t.Fatalf("the dry run deleted something: %d tagged resources, then %d", len(before), len(after))
	}

	out, errOut, err := berth(t, cloud.Endpoint, "destroy", "--stack", "lost", "--region", region, "--yes")
	if err != nil {
		t.Fatalf("destroy: %v\n%s\n%s", err, out, errOut)
	}
	if left := taggedAs(t, cloud.ConfigIn(region), "lost"); len(left) != 0 {
		t.Errorf("after destroy these are still tagged berth:stack=lost: %v", left)
	}
	for vpc, what := range bystanders {
		r := region
		if strings.HasSuffix(what, "us-east-1") {
			r = "us-east-1"
		}
		if _, err := localcloudtest.AWSCLI(t, cloud.Endpoint, r, "ec2", "describe-vpcs", "--vpc-ids", vpc); err != nil {
			t.Errorf("destroy removed %s (%s): %v", what, vpc, err)
		}
	}
	if _, err := localcloudtest.AWSCLI(t, cloud.Endpoint, region, "ec2", "describe-security-groups", "--group-ids", group.GroupId); err != nil {
		t.Errorf("destroy removed the hand-built security group %s: %v", group.GroupId, err)
	}
	out, _, err = berth(t, cloud.Endpoint, "destroy", "--stack", "lost", "--region", region, "--yes")
	if err != nil || !strings.Contains(out, "Nothing to destroy") {
		t.Errorf("a second destroy (%v):\n%s", err, out)
	}
	if _, _, err := berth(t, cloud.Endpoint, "destroy", "--stack", "Not_A_Name", "--dry-run"); err == nil || !strings.Contains(err.Error(), "--stack") {
		t.Errorf("destroy --stack with a bad name: %v", err)
	}
}

// inRegion sets the region of the berth.yaml at path.
func inRegion(t *testing.T, path, region string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, append([]byte("region: "+region+"\n"), data...), 0o600); err != nil {
		t.Fatal(err)
	}
}

// handBuiltVPC creates a VPC with the aws CLI, as someone sharing the
// account would, with one tag, and returns its id.
func handBuiltVPC(t *testing.T, cloud *localcloudtest.Cloud, region, key, value string) string {
	t.Helper()
	var out struct{ Vpc struct{ VpcId string } }
	localcloudtest.MustAWSCLI(t, cloud.Endpoint, region, &out, "ec2", "create-vpc", "--cidr-block", "10.9.0.0/16",
		"--tag-specifications", "ResourceType=vpc,Tags=[{Key="+key+",Value="+value+"}]")
	return out.Vpc.VpcId
}

// taggedAs lists what carries berth:stack=stack, read service by service
// with the SDK (not with berth's teardown, which is what is tested).
func taggedAs(t *testing.T, cfg aws.Config, stack string) []string {
	t.Helper()
	ctx := context.Background()
	var found []string
	check := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	ec2Tags, err := ec2.NewFromConfig(cfg).DescribeTags(ctx, &ec2.DescribeTagsInput{Filters: []ec2types.Filter{
		{Name: aws.String("key"), Values: []string{"berth:stack"}}, {Name: aws.String("value"), Values: []string{stack}},
	}})
	check(err)
	instances := ec2.NewFromConfig(cfg)
	for _, tag := range ec2Tags.Tags {
		if tag.ResourceType == ec2types.ResourceTypeInstance {
			out, err := instances.DescribeInstances(ctx, &ec2.DescribeInstancesInput{InstanceIds: []string{aws.ToString(tag.ResourceId)}})
			check(err)
			if out.Reservations[0].Instances[0].State.Name == ec2types.InstanceStateNameTerminated {
				continue // terminated instances stay visible for a while, as on AWS
			}
		}
		if tag.ResourceType == ec2types.ResourceTypeNatgateway {
			out, err := instances.DescribeNatGateways(ctx, &ec2.DescribeNatGatewaysInput{NatGatewayIds: []string{aws.ToString(tag.ResourceId)}})
			check(err)
			if out.NatGateways[0].State == ec2types.NatGatewayStateDeleted {
				continue // deleted NAT gateways stay visible for about an hour, as on AWS
			}
		}
		found = append(found, string(tag.ResourceType)+" "+aws.ToString(tag.ResourceId))
	}
	asTags, err := autoscaling.NewFromConfig(cfg).DescribeTags(ctx, &autoscaling.DescribeTagsInput{Filters: []astypes.Filter{
		{Name: aws.String("key"), Values: []string{"berth:stack"}}, {Name: aws.String("value"), Values: []string{stack}},
	}})
	check(err)
	for _, tag := range asTags.Tags {
		found = append(found, "autoscaling group "+aws.ToString(tag.ResourceId))
	}

	ecsClient := ecs.NewFromConfig(cfg)
	clusters, err := ecsClient.DescribeClusters(ctx, &ecs.DescribeClustersInput{Clusters: []string{stack}})
	check(err)
	for _, c := range clusters.Clusters {
		if aws.ToString(c.Status) != "INACTIVE" {
			found = append(found, "ecs cluster "+aws.ToString(c.ClusterName))
		}
	}
	providers, err := ecsClient.DescribeCapacityProviders(ctx, &ecs.DescribeCapacityProvidersInput{Include: []ecstypes.CapacityProviderField{ecstypes.CapacityProviderFieldTags}})
	check(err)
	for _, p := range providers.CapacityProviders {
		for _, tag := range p.Tags {
			if aws.ToString(tag.Key) == "berth:stack" && aws.ToString(tag.Value) == stack && p.Status == ecstypes.CapacityProviderStatusActive {
				found = append(found, "capacity provider "+aws.ToString(p.Name))
			}
		}
	}
	for _, status := range []ecstypes.TaskDefinitionStatus{ecstypes.TaskDefinitionStatusActive, ecstypes.TaskDefinitionStatusInactive} {
		defs, err := ecsClient.ListTaskDefinitions(ctx, &ecs.ListTaskDefinitionsInput{FamilyPrefix: aws.String(stack), Status: status})
		check(err)
		for _, arn := range defs.TaskDefinitionArns {
			found = append(found, "task definition "+arn)
		}
	}

	elbClient := elbv2.NewFromConfig(cfg)
	lbs, err := elbClient.DescribeLoadBalancers(ctx, &elbv2.DescribeLoadBalancersInput{})
	check(err)
	for _, lb := range lbs.LoadBalancers {
		found = append(found, "load balancer "+aws.ToString(lb.LoadBalancerName))
	}
	tgs, err := elbClient.DescribeTargetGroups(ctx, &elbv2.DescribeTargetGroupsInput{})
	check(err)
	for _, tg := range tgs.TargetGroups {
		found = append(found, "target group "+aws.ToString(tg.TargetGroupName))
	}

	iamClient := iam.NewFromConfig(cfg)
	roles, err := iamClient.ListRoles(ctx, &iam.ListRolesInput{})
	check(err)
	for _, r := range roles.Roles {
		if strings.HasPrefix(aws.ToString(r.RoleName), stack+"-") {
			found = append(found, "role "+aws.ToString(r.RoleName))
		}
	}
	profiles, err := iamClient.ListInstanceProfiles(ctx, &iam.ListInstanceProfilesInput{})
	check(err)
	for _, p := range profiles.InstanceProfiles {
		found = append(found, "instance profile "+aws.ToString(p.InstanceProfileName))
	}
	groups, err := cloudwatchlogs.NewFromConfig(cfg).DescribeLogGroups(ctx, &cloudwatchlogs.DescribeLogGroupsInput{})
	check(err)
	for _, g := range groups.LogGroups {
		found = append(found, "log group "+aws.ToString(g.LogGroupName))
	}
	return found
}
