package stack

import (
	"context"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	astypes "github.com/aws/aws-sdk-go-v2/service/autoscaling/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/berthdev/berth/internal/awsres"
	"github.com/berthdev/berth/internal/spec"
)

// awsIDs are the ids endpoints make up; plans of stacks in an existing or
// default VPC show them, the golden files do not depend on them.
var awsIDs = regexp.MustCompile(`\b(vpc|subnet)-[0-9a-f]{8,17}\b`)

// subnetLists are lists of made-up subnet ids: how many the default VPC
// has is the endpoint's (one per zone: moto has AWS's six in us-east-1).
var subnetLists = regexp.MustCompile(`subnet-<id>(,subnet-<id>)+`)

// variant is one composition of the stack's parts, with the change the
// lifecycle test makes to it and what must hold after deploy and change.
type variant struct {
	name string
	// region is where the variant runs, when not deploytest.Region: the
	// hand-built VPC lives in the write-up's eu-west-1, off berth's
	// example path.
	region string
	// prepare makes what the variant needs before berth runs (an existing
	// VPC) and edits the spec accordingly.
	prepare func(t *testing.T, cfg aws.Config, s *spec.Spec)
	spec    func(s *spec.Spec)
	change  func(s *spec.Spec)
	// deployed and changed check the stack through the services' own
	// Describe calls, independently of the deployer's observers.
	deployed, changed func(t *testing.T, cfg aws.Config, s *spec.Spec)
}

var variants = []variant{
	{
		name: "ec2-new-vpc",
		spec: func(s *spec.Spec) {
			s.Network.NAT = spec.NATPerZone
			s.Capacity.InstanceTypes = []string{"t3.medium", "t3a.medium"}
			s.Capacity.SpotShare, s.Capacity.OnDemandBase = 50, 1
			s.Tags = map[string]string{"team": "web", "cost-center": "42"}
			s.Service.Secrets = map[string]string{"DB_URL": "arn:aws:ssm:us-east-1:123456789012:parameter/demo/db-url"}
			s.Service.Command = []string{"uvicorn", "main:app", "--port", "8000"}
		},
		change: func(s *spec.Spec) { s.Network.NAT = spec.NATSingle },
		deployed: func(t *testing.T, cfg aws.Config, s *spec.Spec) {
			vpc := stackVPC(t, cfg, s)
			wantUserTags(t, vpc.Tags, s.Tags)
			private := privateSubnets(t, cfg, s, aws.ToString(vpc.VpcId))
			wantNATGateways(t, cfg, s, 2)
			wantGroupInSubnets(t, cfg, s, private)
			wantServiceNetwork(t, cfg, s, private, ecstypes.AssignPublicIpDisabled)
			wantIMDSv2(t, cfg, s)
			group := describeGroup(t, cfg, s)
			if m := group.MixedInstancesPolicy; m == nil || len(m.LaunchTemplate.Overrides) != 2 ||
				aws.ToInt32(m.InstancesDistribution.OnDemandPercentageAboveBaseCapacity) != 50 || aws.ToInt32(m.InstancesDistribution.OnDemandBaseCapacity) != 1 {
				t.Errorf("mixed instances policy = %+v", group.MixedInstancesPolicy)
			}
			policy, err := iam.NewFromConfig(cfg).GetRolePolicy(context.Background(), &iam.GetRolePolicyInput{
				RoleName: aws.String(NamesFor(s.Name).ExecutionRole), PolicyName: aws.String(secretsPolicyName),
			})
			if err != nil || !strings.Contains(aws.ToString(policy.PolicyDocument), "parameter") {
				t.Errorf("execution role's secrets policy: %v %v", err, policy)
			}
		},
		changed: func(t *testing.T, cfg aws.Config, s *spec.Spec) { wantNATGateways(t, cfg, s, 1) },
	},
	{
		name:    "ec2-existing-vpc",
		region:  "eu-west-1",
		prepare: existingVPC,
		change:  func(s *spec.Spec) { s.Capacity.Max = 4 },
		deployed: func(t *testing.T, cfg aws.Config, s *spec.Spec) {
			private := subnetsTagged(t, cfg, "tier", "private")
			wantGroupInSubnets(t, cfg, s, private)
			wantServiceNetwork(t, cfg, s, private, ecstypes.AssignPublicIpDisabled)
			wantNATGateways(t, cfg, s, 0)
			wantIMDSv2(t, cfg, s)
		},
		changed: func(t *testing.T, cfg aws.Config, s *spec.Spec) {
			if got := aws.ToInt32(describeGroup(t, cfg, s).MaxSize); got != 4 {
				t.Errorf("max size = %d after the change, want 4", got)
			}
		},
	},
	{
		name: "fargate",
		spec: func(s *spec.Spec) {
			s.Capacity = spec.Capacity{Provider: spec.ProviderFargate, FargateWeight: 1}
			s.Service.Placement = ""
		},
		change: func(s *spec.Spec) { s.Capacity.FargateSpotWeight = 3 },
		deployed: func(t *testing.T, cfg aws.Config, s *spec.Spec) {
			vpc := stackVPC(t, cfg, s)
			wantFargate(t, cfg, s, []string{"FARGATE"})
			wantServiceNetwork(t, cfg, s, privateSubnets(t, cfg, s, aws.ToString(vpc.VpcId)), ecstypes.AssignPublicIpDisabled)
			wantNATGateways(t, cfg, s, 1)
		},
		changed: func(t *testing.T, cfg aws.Config, s *spec.Spec) {
			wantFargate(t, cfg, s, []string{"FARGATE", "FARGATE_SPOT"})
		},
	},
	{
		name: "fargate-default-vpc",
		spec: func(s *spec.Spec) {
			s.Network = spec.Network{Mode: spec.NetworkDefault}
			s.Capacity = spec.Capacity{Provider: spec.ProviderFargateSpot, FargateSpotWeight: 1}
			s.Service.Placement = ""
		},
		change: func(s *spec.Spec) { s.Service.HealthCheck.Interval = 5; s.Service.HealthCheck.Timeout = 3 },
		deployed: func(t *testing.T, cfg aws.Config, s *spec.Spec) {
			wantFargate(t, cfg, s, []string{"FARGATE_SPOT"})
			wantServiceNetwork(t, cfg, s, defaultSubnets(t, cfg), ecstypes.AssignPublicIpEnabled)
			wantNATGateways(t, cfg, s, 0)
		},
		changed: func(t *testing.T, cfg aws.Config, s *spec.Spec) {
			tg := targetGroupOf(t, cfg, s)
			if aws.ToInt32(tg.HealthCheckIntervalSeconds) != 5 {
				t.Errorf("health check interval = %d after the change, want 5", aws.ToInt32(tg.HealthCheckIntervalSeconds))
			}
		},
	},
}

// TestComposedStackLifecycle runs plan → deploy → no-op → change → destroy
// for every composition of the stack's parts, on every endpoint.
func TestComposedStackLifecycle(t *testing.T) {
	for _, v := range variants {
		t.Run(v.name, func(t *testing.T) {
			eachEndpoint(t, func(t *testing.T, cfg aws.Config) {
				ctx := context.Background()
				s := exampleSpec()
				s.Name = v.name
				if v.region != "" {
					cfg.Region, s.Region = v.region, v.region
					publishAMIParameter(t, cfg)
				}
				if v.spec != nil {
					v.spec(s)
				}
				if v.prepare != nil {
					v.prepare(t, cfg, s)
				}

				first, err := Plan(ctx, cfg, s)
				if err != nil {
					t.Fatal(err)
				}
				ami, err := ssm.NewFromConfig(cfg).GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(awsres.ECSOptimizedAMIParameter)})
				if err != nil {
					t.Fatal(err)
				}
				plan := strings.ReplaceAll(renderPlan(t, first), aws.ToString(ami.Parameter.Value), "<ecs-optimized-ami>")
				golden(t, "plan-"+v.name+".golden", subnetLists.ReplaceAllString(awsIDs.ReplaceAllString(plan, "${1}-<id>"), "<subnets>"))

				apply(t, cfg, first)
				v.deployed(t, cfg, s)
				if again, err := Plan(ctx, cfg, s); err != nil || !again.Empty() {
					t.Fatalf("plan after deploy: %v\n%s", err, renderPlan(t, again))
				}

				v.change(s)
				change, err := Plan(ctx, cfg, s)
				if err != nil {
					t.Fatal(err)
				}
				if change.Empty() {
					t.Fatal("the change plans nothing")
				}
				apply(t, cfg, change)
				v.changed(t, cfg, s)
				if again, err := Plan(ctx, cfg, s); err != nil || !again.Empty() {
					t.Fatalf("plan after the change: %v\n%s", err, renderPlan(t, again))
				}

				destroy, err := PlanDestroy(ctx, cfg, s)
				if err != nil {
					t.Fatal(err)
				}
				apply(t, cfg, destroy)
				assertNothingLeft(t, cfg, s.Name)
				if v.prepare != nil {
					// The VPC was not berth's: it and its subnets stay.
					if got := len(subnetsTagged(t, cfg, "tier", "private")) + len(subnetsTagged(t, cfg, "tier", "public")); got != 4 {
						t.Errorf("%d of the existing VPC's 4 subnets left after destroy", got)
					}
				}
				if again, err := PlanDestroy(ctx, cfg, s); err != nil || !again.Empty() {
					t.Fatalf("destroy left resources: %v\n%s", err, renderPlan(t, again))
				}
			})
		})
	}
}

// existingVPC makes a VPC as a team would have it: two public subnets
// routed to an internet gateway, two private ones routed through a NAT
// gateway, tagged by tier; the spec finds it by tag and its subnets by
// route table.
func existingVPC(t *testing.T, cfg aws.Config, s *spec.Spec) {
	t.Helper()
	ctx := context.Background()
	client := ec2.NewFromConfig(cfg)
	tags := func(kind ec2types.ResourceType, kv ...string) []ec2types.TagSpecification {
		var list []ec2types.Tag
		for i := 0; i+1 < len(kv); i += 2 {
			list = append(list, ec2types.Tag{Key: aws.String(kv[i]), Value: aws.String(kv[i+1])})
		}
		return []ec2types.TagSpecification{{ResourceType: kind, Tags: list}}
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	vpc, err := client.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String("10.80.0.0/16"), TagSpecifications: tags(ec2types.ResourceTypeVpc, "Name", "shared")})
	must(err)
	vpcID := vpc.Vpc.VpcId
	zones, err := client.DescribeAvailabilityZones(ctx, &ec2.DescribeAvailabilityZonesInput{})
	must(err)
	var zoneNames []string
	for _, z := range zones.AvailabilityZones {
		zoneNames = append(zoneNames, aws.ToString(z.ZoneName))
	}
	slices.Sort(zoneNames)
	subnet := func(cidr, zone, tier string) string {
		out, err := client.CreateSubnet(ctx, &ec2.CreateSubnetInput{
			VpcId: vpcID, CidrBlock: aws.String(cidr), AvailabilityZone: aws.String(zone),
			TagSpecifications: tags(ec2types.ResourceTypeSubnet, "tier", tier),
		})
		must(err)
		return aws.ToString(out.Subnet.SubnetId)
	}
	publicA, publicB := subnet("10.80.0.0/24", zoneNames[0], "public"), subnet("10.80.1.0/24", zoneNames[1], "public")
	privateA, privateB := subnet("10.80.16.0/20", zoneNames[0], "private"), subnet("10.80.32.0/20", zoneNames[1], "private")
	igw, err := client.CreateInternetGateway(ctx, &ec2.CreateInternetGatewayInput{})
	must(err)
	_, err = client.AttachInternetGateway(ctx, &ec2.AttachInternetGatewayInput{InternetGatewayId: igw.InternetGateway.InternetGatewayId, VpcId: vpcID})
	must(err)
	public, err := client.CreateRouteTable(ctx, &ec2.CreateRouteTableInput{VpcId: vpcID})
	must(err)
	_, err = client.CreateRoute(ctx, &ec2.CreateRouteInput{
		RouteTableId: public.RouteTable.RouteTableId, DestinationCidrBlock: aws.String("0.0.0.0/0"), GatewayId: igw.InternetGateway.InternetGatewayId,
	})
	must(err)
	for _, id := range []string{publicA, publicB} {
		_, err := client.AssociateRouteTable(ctx, &ec2.AssociateRouteTableInput{RouteTableId: public.RouteTable.RouteTableId, SubnetId: aws.String(id)})
		must(err)
	}
	eip, err := client.AllocateAddress(ctx, &ec2.AllocateAddressInput{Domain: ec2types.DomainTypeVpc})
	must(err)
	nat, err := client.CreateNatGateway(ctx, &ec2.CreateNatGatewayInput{SubnetId: aws.String(publicA), AllocationId: eip.AllocationId})
	must(err)
	private, err := client.CreateRouteTable(ctx, &ec2.CreateRouteTableInput{VpcId: vpcID})
	must(err)
	_, err = client.CreateRoute(ctx, &ec2.CreateRouteInput{
		RouteTableId: private.RouteTable.RouteTableId, DestinationCidrBlock: aws.String("0.0.0.0/0"), NatGatewayId: nat.NatGateway.NatGatewayId,
	})
	must(err)
	for _, id := range []string{privateA, privateB} {
		_, err := client.AssociateRouteTable(ctx, &ec2.AssociateRouteTableInput{RouteTableId: private.RouteTable.RouteTableId, SubnetId: aws.String(id)})
		must(err)
	}
	s.Network = spec.Network{Mode: spec.NetworkExisting, VPCTags: map[string]string{"Name": "shared"}}
}

func stackVPC(t *testing.T, cfg aws.Config, s *spec.Spec) ec2types.Vpc {
	t.Helper()
	out, err := ec2.NewFromConfig(cfg).DescribeVpcs(context.Background(), &ec2.DescribeVpcsInput{
		Filters: []ec2types.Filter{{Name: aws.String("tag:" + awsres.TagStack), Values: []string{s.Name}}},
	})
	if err != nil || len(out.Vpcs) != 1 {
		t.Fatalf("the stack's VPC: %v, %d found", err, len(out.Vpcs))
	}
	return out.Vpcs[0]
}

func wantUserTags(t *testing.T, tags []ec2types.Tag, want map[string]string) {
	t.Helper()
	have := map[string]string{}
	for _, tag := range tags {
		have[aws.ToString(tag.Key)] = aws.ToString(tag.Value)
	}
	for k, v := range want {
		if have[k] != v {
			t.Errorf("tag %s = %q, want %q (tags %v)", k, have[k], v, have)
		}
	}
}

// privateSubnets are the stack's subnets that give no public address.
func privateSubnets(t *testing.T, cfg aws.Config, s *spec.Spec, vpcID string) []string {
	t.Helper()
	out, err := ec2.NewFromConfig(cfg).DescribeSubnets(context.Background(), &ec2.DescribeSubnetsInput{
		Filters: []ec2types.Filter{{Name: aws.String("vpc-id"), Values: []string{vpcID}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, sn := range out.Subnets {
		if !aws.ToBool(sn.MapPublicIpOnLaunch) {
			ids = append(ids, aws.ToString(sn.SubnetId))
		}
	}
	if len(ids) != 2 {
		t.Fatalf("%d private subnets in the stack's VPC, want 2", len(ids))
	}
	return ids
}

func subnetsTagged(t *testing.T, cfg aws.Config, key, value string) []string {
	t.Helper()
	out, err := ec2.NewFromConfig(cfg).DescribeSubnets(context.Background(), &ec2.DescribeSubnetsInput{
		Filters: []ec2types.Filter{{Name: aws.String("tag:" + key), Values: []string{value}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, sn := range out.Subnets {
		ids = append(ids, aws.ToString(sn.SubnetId))
	}
	return ids
}

func defaultSubnets(t *testing.T, cfg aws.Config) []string {
	t.Helper()
	out, err := ec2.NewFromConfig(cfg).DescribeSubnets(context.Background(), &ec2.DescribeSubnetsInput{
		Filters: []ec2types.Filter{{Name: aws.String("default-for-az"), Values: []string{"true"}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, sn := range out.Subnets {
		ids = append(ids, aws.ToString(sn.SubnetId))
	}
	return ids
}

func wantNATGateways(t *testing.T, cfg aws.Config, s *spec.Spec, want int) {
	t.Helper()
	out, err := ec2.NewFromConfig(cfg).DescribeNatGateways(context.Background(), &ec2.DescribeNatGatewaysInput{})
	if err != nil {
		t.Fatal(err)
	}
	got := 0
	for _, g := range out.NatGateways {
		if g.State == ec2types.NatGatewayStateDeleted || g.State == ec2types.NatGatewayStateDeleting {
			continue
		}
		for _, tag := range g.Tags {
			if aws.ToString(tag.Key) == awsres.TagStack && aws.ToString(tag.Value) == s.Name {
				got++
			}
		}
	}
	if got != want {
		t.Errorf("%d NAT gateways of the stack, want %d", got, want)
	}
}

func describeGroup(t *testing.T, cfg aws.Config, s *spec.Spec) *astypes.AutoScalingGroup {
	t.Helper()
	out, err := autoscaling.NewFromConfig(cfg).DescribeAutoScalingGroups(context.Background(), &autoscaling.DescribeAutoScalingGroupsInput{
		AutoScalingGroupNames: []string{NamesFor(s.Name).AutoScalingGroup},
	})
	if err != nil || len(out.AutoScalingGroups) != 1 {
		t.Fatalf("auto scaling group: %v, %d found", err, len(out.AutoScalingGroups))
	}
	return &out.AutoScalingGroups[0]
}

func wantGroupInSubnets(t *testing.T, cfg aws.Config, s *spec.Spec, subnets []string) {
	t.Helper()
	got := strings.Split(aws.ToString(describeGroup(t, cfg, s).VPCZoneIdentifier), ",")
	if !sameSet(got, subnets) {
		t.Errorf("instances' subnets = %v, want %v", got, subnets)
	}
}

func sameSet(a, b []string) bool {
	return slices.Equal(slices.Sorted(slices.Values(a)), slices.Sorted(slices.Values(b)))
}

func describeService(t *testing.T, cfg aws.Config, s *spec.Spec) ecstypes.Service {
	t.Helper()
	names := NamesFor(s.Name)
	out, err := ecs.NewFromConfig(cfg).DescribeServices(context.Background(), &ecs.DescribeServicesInput{
		Cluster: aws.String(names.Cluster), Services: []string{names.Service},
	})
	if err != nil || len(out.Services) != 1 {
		t.Fatalf("service: %v, %d found", err, len(out.Services))
	}
	return out.Services[0]
}

func wantServiceNetwork(t *testing.T, cfg aws.Config, s *spec.Spec, subnets []string, publicIP ecstypes.AssignPublicIp) {
	t.Helper()
	nc := describeService(t, cfg, s).NetworkConfiguration
	if nc == nil || nc.AwsvpcConfiguration == nil {
		t.Fatal("service has no awsvpc configuration")
	}
	if !sameSet(nc.AwsvpcConfiguration.Subnets, subnets) {
		t.Errorf("tasks' subnets = %v, want %v", nc.AwsvpcConfiguration.Subnets, subnets)
	}
	if nc.AwsvpcConfiguration.AssignPublicIp != publicIP {
		t.Errorf("assignPublicIp = %s, want %s", nc.AwsvpcConfiguration.AssignPublicIp, publicIP)
	}
}

func wantIMDSv2(t *testing.T, cfg aws.Config, s *spec.Spec) {
	t.Helper()
	out, err := ec2.NewFromConfig(cfg).DescribeLaunchTemplateVersions(context.Background(), &ec2.DescribeLaunchTemplateVersionsInput{
		LaunchTemplateName: aws.String(NamesFor(s.Name).LaunchTemplate), Versions: []string{"$Latest"},
	})
	if err != nil || len(out.LaunchTemplateVersions) != 1 {
		t.Fatalf("launch template: %v", err)
	}
	data := out.LaunchTemplateVersions[0].LaunchTemplateData
	if data.MetadataOptions == nil || data.MetadataOptions.HttpTokens != ec2types.LaunchTemplateHttpTokensStateRequired {
		t.Errorf("launch template metadata options = %+v, want IMDSv2 required", data.MetadataOptions)
	}
}

// wantFargate checks a Fargate stack: the strategy's providers, a Fargate
// task definition, and no instances, group or capacity provider of ours.
func wantFargate(t *testing.T, cfg aws.Config, s *spec.Spec, providers []string) {
	t.Helper()
	svc := describeService(t, cfg, s)
	if svc.DeploymentConfiguration == nil {
		// The endpoint keeps little of a service (moto drops its
		// strategy); the no-op plans show that berth converged.
		t.Log("endpoint does not keep the service's capacity provider strategy")
	} else {
		wantStrategy(t, svc, providers)
	}
	wantFargateOnly(t, cfg, s, svc)
}

func wantStrategy(t *testing.T, svc ecstypes.Service, providers []string) {
	t.Helper()
	var got []string
	for _, item := range svc.CapacityProviderStrategy {
		got = append(got, aws.ToString(item.CapacityProvider))
	}
	if !sameSet(got, providers) {
		t.Errorf("service's capacity provider strategy = %v, want %v", got, providers)
	}
}

func wantFargateOnly(t *testing.T, cfg aws.Config, s *spec.Spec, svc ecstypes.Service) {
	t.Helper()
	ctx := context.Background()
	td, err := ecs.NewFromConfig(cfg).DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: svc.TaskDefinition})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(td.TaskDefinition.RequiresCompatibilities, ecstypes.CompatibilityFargate) {
		t.Errorf("task definition requires %v, want FARGATE", td.TaskDefinition.RequiresCompatibilities)
	}
	names := NamesFor(s.Name)
	groups, err := autoscaling.NewFromConfig(cfg).DescribeAutoScalingGroups(ctx, &autoscaling.DescribeAutoScalingGroupsInput{AutoScalingGroupNames: []string{names.AutoScalingGroup}})
	if err != nil || len(groups.AutoScalingGroups) != 0 {
		t.Errorf("a Fargate stack has an auto scaling group: %v %d", err, len(groups.AutoScalingGroups))
	}
	templates, err := ec2.NewFromConfig(cfg).DescribeLaunchTemplates(ctx, &ec2.DescribeLaunchTemplatesInput{
		Filters: []ec2types.Filter{{Name: aws.String("tag:" + awsres.TagStack), Values: []string{s.Name}}},
	})
	if err != nil || len(templates.LaunchTemplates) != 0 {
		t.Errorf("a Fargate stack has a launch template: %v", err)
	}
}

func targetGroupOf(t *testing.T, cfg aws.Config, s *spec.Spec) elbtypes.TargetGroup {
	t.Helper()
	out, err := elb.NewFromConfig(cfg).DescribeTargetGroups(context.Background(), &elb.DescribeTargetGroupsInput{
		Names: []string{NamesFor(s.Name).TargetGroup},
	})
	if err != nil || len(out.TargetGroups) != 1 {
		t.Fatalf("target group: %v", err)
	}
	return out.TargetGroups[0]
}
