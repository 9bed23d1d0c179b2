package ec2_test

import (
	"encoding/base64"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsec2 "github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/berthdev/berth/internal/localcloud/localcloudtest"
	"github.com/berthdev/berth/internal/localcloud/service/ec2"
)

// network makes a VPC with one subnet and returns their ids.
func network(t *testing.T, c *awsec2.Client) (vpcID, subnetID string) {
	t.Helper()
	vpc := must[*awsec2.CreateVpcOutput](t)(c.CreateVpc(ctx, &awsec2.CreateVpcInput{CidrBlock: aws.String("10.0.0.0/16")}))
	subnet := must[*awsec2.CreateSubnetOutput](t)(c.CreateSubnet(ctx, &awsec2.CreateSubnetInput{VpcId: vpc.Vpc.VpcId,
		CidrBlock: aws.String("10.0.1.0/28"), AvailabilityZone: aws.String("us-east-1a")}))
	return aws.ToString(vpc.Vpc.VpcId), aws.ToString(subnet.Subnet.SubnetId)
}

func createGroup(t *testing.T, c *awsec2.Client, vpcID, name string) string {
	t.Helper()
	out := must[*awsec2.CreateSecurityGroupOutput](t)(c.CreateSecurityGroup(ctx, &awsec2.CreateSecurityGroupInput{
		GroupName: aws.String(name), Description: aws.String(name + " group"), VpcId: aws.String(vpcID)}))
	return aws.ToString(out.GroupId)
}

func tcp(port int32, cidr string) types.IpPermission {
	return types.IpPermission{IpProtocol: aws.String("tcp"), FromPort: aws.Int32(port), ToPort: aws.Int32(port),
		IpRanges: []types.IpRange{{CidrIp: aws.String(cidr)}}}
}

func fromGroup(port int32, groupID string) types.IpPermission {
	return types.IpPermission{IpProtocol: aws.String("tcp"), FromPort: aws.Int32(port), ToPort: aws.Int32(port),
		UserIdGroupPairs: []types.UserIdGroupPair{{GroupId: aws.String(groupID)}}}
}

func TestSecurityGroupRules(t *testing.T) {
	f := start(t)
	c := f.client
	vpcID, _ := network(t, c)
	alb := createGroup(t, c, vpcID, "alb")
	tasks := createGroup(t, c, vpcID, "tasks")

	_, err := c.CreateSecurityGroup(ctx, &awsec2.CreateSecurityGroupInput{GroupName: aws.String("alb"), Description: aws.String("again"), VpcId: aws.String(vpcID)})
	localcloudtest.WantCode(t, err, "InvalidGroup.Duplicate")
	_, err = c.CreateSecurityGroup(ctx, &awsec2.CreateSecurityGroupInput{GroupName: aws.String("x"), Description: aws.String("x"), VpcId: aws.String("vpc-0123456789abcdef0")})
	localcloudtest.WantCode(t, err, "InvalidVpcID.NotFound")

	for _, tc := range []struct {
		name   string
		group  string
		egress bool
		perms  []types.IpPermission
		code   string
	}{
		{name: "http from anywhere", group: alb, perms: []types.IpPermission{tcp(80, "0.0.0.0/0"), tcp(443, "0.0.0.0/0")}},
		{name: "ipv6 and prefix list", group: alb, perms: []types.IpPermission{{IpProtocol: aws.String("tcp"), FromPort: aws.Int32(8443), ToPort: aws.Int32(8443),
			Ipv6Ranges: []types.Ipv6Range{{CidrIpv6: aws.String("::/0")}}, PrefixListIds: []types.PrefixListId{{PrefixListId: aws.String("pl-12345678")}}}}},
		{name: "duplicate", group: alb, perms: []types.IpPermission{tcp(80, "0.0.0.0/0")}, code: "InvalidPermission.Duplicate"},
		{name: "source group", group: tasks, perms: []types.IpPermission{fromGroup(8000, alb)}},
		{name: "duplicate source group", group: tasks, perms: []types.IpPermission{fromGroup(8000, alb)}, code: "InvalidPermission.Duplicate"},
		{name: "unknown source group", group: tasks, perms: []types.IpPermission{fromGroup(8000, "sg-0123456789abcdef0")}, code: "InvalidGroup.NotFound"},
		{name: "bad port range", group: tasks, perms: []types.IpPermission{{IpProtocol: aws.String("tcp"), FromPort: aws.Int32(90), ToPort: aws.Int32(80),
			IpRanges: []types.IpRange{{CidrIp: aws.String("10.0.0.0/8")}}}}, code: "InvalidParameterValue"},
		{name: "bad protocol", group: tasks, perms: []types.IpPermission{{IpProtocol: aws.String("tcpp"), IpRanges: []types.IpRange{{CidrIp: aws.String("10.0.0.0/8")}}}}, code: "InvalidParameterValue"},
		{name: "default egress again", group: tasks, egress: true, perms: []types.IpPermission{{IpProtocol: aws.String("-1"),
			IpRanges: []types.IpRange{{CidrIp: aws.String("0.0.0.0/0")}}}}, code: "InvalidPermission.Duplicate"},
		{name: "egress to alb", group: tasks, egress: true, perms: []types.IpPermission{fromGroup(443, alb)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var err error
			if tc.egress {
				_, err = c.AuthorizeSecurityGroupEgress(ctx, &awsec2.AuthorizeSecurityGroupEgressInput{GroupId: aws.String(tc.group), IpPermissions: tc.perms})
			} else {
				var out *awsec2.AuthorizeSecurityGroupIngressOutput
				out, err = c.AuthorizeSecurityGroupIngress(ctx, &awsec2.AuthorizeSecurityGroupIngressInput{GroupId: aws.String(tc.group), IpPermissions: tc.perms})
				if err == nil && (len(out.SecurityGroupRules) == 0 || aws.ToString(out.SecurityGroupRules[0].SecurityGroupRuleId) == "") {
					t.Fatalf("no rules in reply: %+v", out)
				}
			}
			localcloudtest.WantCode(t, err, tc.code)
		})
	}

	described := must[*awsec2.DescribeSecurityGroupsOutput](t)(c.DescribeSecurityGroups(ctx, &awsec2.DescribeSecurityGroupsInput{GroupIds: []string{alb}}))
	group := described.SecurityGroups[0]
	if len(group.IpPermissions) != 3 || len(group.IpPermissionsEgress) != 1 || aws.ToString(group.IpPermissionsEgress[0].IpProtocol) != "-1" ||
		group.IpPermissionsEgress[0].FromPort != nil {
		t.Fatalf("alb group: %+v", group)
	}
	rules := must[*awsec2.DescribeSecurityGroupRulesOutput](t)(c.DescribeSecurityGroupRules(ctx, &awsec2.DescribeSecurityGroupRulesInput{
		Filters: []types.Filter{filter("group-id", tasks)}}))
	var chained bool
	for _, r := range rules.SecurityGroupRules {
		if r.ReferencedGroupInfo != nil && aws.ToString(r.ReferencedGroupInfo.GroupId) == alb && !aws.ToBool(r.IsEgress) {
			chained = true
		}
	}
	if len(rules.SecurityGroupRules) != 3 || !chained {
		t.Fatalf("tasks rules: %+v", rules.SecurityGroupRules)
	}
	byName := must[*awsec2.DescribeSecurityGroupsOutput](t)(c.DescribeSecurityGroups(ctx, &awsec2.DescribeSecurityGroupsInput{
		Filters: []types.Filter{filter("group-name", "tasks"), filter("ip-permission.group-id", alb)}}))
	if len(byName.SecurityGroups) != 1 {
		t.Fatalf("filter by source group: %+v", byName.SecurityGroups)
	}

	// The alb group is referenced by tasks' rules: it cannot go until they do.
	_, err = c.DeleteSecurityGroup(ctx, &awsec2.DeleteSecurityGroupInput{GroupId: aws.String(alb)})
	localcloudtest.WantCode(t, err, "DependencyViolation")
	_, err = c.RevokeSecurityGroupIngress(ctx, &awsec2.RevokeSecurityGroupIngressInput{GroupId: aws.String(tasks), IpPermissions: []types.IpPermission{fromGroup(9000, alb)}})
	localcloudtest.WantCode(t, err, "InvalidPermission.NotFound")
	must[*awsec2.RevokeSecurityGroupIngressOutput](t)(c.RevokeSecurityGroupIngress(ctx, &awsec2.RevokeSecurityGroupIngressInput{GroupId: aws.String(tasks), IpPermissions: []types.IpPermission{fromGroup(8000, alb)}}))
	must[*awsec2.RevokeSecurityGroupEgressOutput](t)(c.RevokeSecurityGroupEgress(ctx, &awsec2.RevokeSecurityGroupEgressInput{GroupId: aws.String(tasks), IpPermissions: []types.IpPermission{fromGroup(443, alb)}}))
	must[*awsec2.DeleteSecurityGroupOutput](t)(c.DeleteSecurityGroup(ctx, &awsec2.DeleteSecurityGroupInput{GroupId: aws.String(alb)}))

	defaults := must[*awsec2.DescribeSecurityGroupsOutput](t)(c.DescribeSecurityGroups(ctx, &awsec2.DescribeSecurityGroupsInput{
		Filters: []types.Filter{filter("group-name", "default")}}))
	_, err = c.DeleteSecurityGroup(ctx, &awsec2.DeleteSecurityGroupInput{GroupId: defaults.SecurityGroups[0].GroupId})
	localcloudtest.WantCode(t, err, "CannotDelete")
}

func TestLaunchTemplateVersions(t *testing.T) {
	f := start(t)
	c := f.client
	image := ec2.ECSOptimizedImage("us-east-1").ID
	created := must[*awsec2.CreateLaunchTemplateOutput](t)(c.CreateLaunchTemplate(ctx, &awsec2.CreateLaunchTemplateInput{
		LaunchTemplateName: aws.String("web-nodes"),
		LaunchTemplateData: &types.RequestLaunchTemplateData{ImageId: aws.String(image), InstanceType: types.InstanceTypeT3Medium,
			IamInstanceProfile: &types.LaunchTemplateIamInstanceProfileSpecificationRequest{Name: aws.String("ecs-node")},
			UserData:           aws.String(base64.StdEncoding.EncodeToString([]byte("#!/bin/bash\necho ECS_CLUSTER=web >> /etc/ecs/ecs.config\n"))),
			MetadataOptions:    &types.LaunchTemplateInstanceMetadataOptionsRequest{HttpTokens: types.LaunchTemplateHttpTokensStateRequired},
			Monitoring:         &types.LaunchTemplatesMonitoringRequest{Enabled: aws.Bool(true)},
			TagSpecifications: []types.LaunchTemplateTagSpecificationRequest{{ResourceType: types.ResourceTypeInstance,
				Tags: []types.Tag{{Key: aws.String("Name"), Value: aws.String("web-node")}}}},
		},
		TagSpecifications: tagSpec(types.ResourceTypeLaunchTemplate, "stack", "web"),
	}))
	id := aws.ToString(created.LaunchTemplate.LaunchTemplateId)
	if aws.ToInt64(created.LaunchTemplate.LatestVersionNumber) != 1 || len(created.LaunchTemplate.Tags) != 1 {
		t.Fatalf("created: %+v", created.LaunchTemplate)
	}
	_, err := c.CreateLaunchTemplate(ctx, &awsec2.CreateLaunchTemplateInput{LaunchTemplateName: aws.String("web-nodes"),
		LaunchTemplateData: &types.RequestLaunchTemplateData{ImageId: aws.String(image)}})
	localcloudtest.WantCode(t, err, "InvalidLaunchTemplateName.AlreadyExistsException")
	_, err = c.CreateLaunchTemplate(ctx, &awsec2.CreateLaunchTemplateInput{LaunchTemplateName: aws.String("x"),
		LaunchTemplateData: &types.RequestLaunchTemplateData{ImageId: aws.String(image)}})
	localcloudtest.WantCode(t, err, "InvalidLaunchTemplateName.MalformedException")

	v2 := must[*awsec2.CreateLaunchTemplateVersionOutput](t)(c.CreateLaunchTemplateVersion(ctx, &awsec2.CreateLaunchTemplateVersionInput{
		LaunchTemplateId: aws.String(id), SourceVersion: aws.String("1"), VersionDescription: aws.String("bigger"),
		LaunchTemplateData: &types.RequestLaunchTemplateData{InstanceType: types.InstanceTypeM5Large}}))
	if aws.ToInt64(v2.LaunchTemplateVersion.VersionNumber) != 2 || aws.ToString(v2.LaunchTemplateVersion.LaunchTemplateData.ImageId) != image ||
		v2.LaunchTemplateVersion.LaunchTemplateData.InstanceType != types.InstanceTypeM5Large {
		t.Fatalf("version 2: %+v", v2.LaunchTemplateVersion)
	}

	for _, tc := range []struct {
		version, wantType string
		code              string
	}{
		{"$Default", "t3.medium", ""},
		{"$Latest", "m5.large", ""},
		{"2", "m5.large", ""},
		{"7", "", "InvalidLaunchTemplateId.VersionNotFound"},
	} {
		t.Run(tc.version, func(t *testing.T) {
			out, err := c.DescribeLaunchTemplateVersions(ctx, &awsec2.DescribeLaunchTemplateVersionsInput{LaunchTemplateName: aws.String("web-nodes"), Versions: []string{tc.version}})
			localcloudtest.WantCode(t, err, tc.code)
			if err == nil && string(out.LaunchTemplateVersions[0].LaunchTemplateData.InstanceType) != tc.wantType {
				t.Fatalf("version %s: %+v", tc.version, out.LaunchTemplateVersions[0].LaunchTemplateData)
			}
		})
	}
	all := must[*awsec2.DescribeLaunchTemplateVersionsOutput](t)(c.DescribeLaunchTemplateVersions(ctx, &awsec2.DescribeLaunchTemplateVersionsInput{LaunchTemplateId: aws.String(id)}))
	first := all.LaunchTemplateVersions[0].LaunchTemplateData
	if len(all.LaunchTemplateVersions) != 2 || aws.ToString(first.IamInstanceProfile.Name) != "ecs-node" || first.MetadataOptions.HttpTokens != types.LaunchTemplateHttpTokensStateRequired ||
		!aws.ToBool(first.Monitoring.Enabled) || len(first.TagSpecifications) != 1 {
		t.Fatalf("versions: %+v", all.LaunchTemplateVersions)
	}

	modified := must[*awsec2.ModifyLaunchTemplateOutput](t)(c.ModifyLaunchTemplate(ctx, &awsec2.ModifyLaunchTemplateInput{LaunchTemplateId: aws.String(id), DefaultVersion: aws.String("2")}))
	if aws.ToInt64(modified.LaunchTemplate.DefaultVersionNumber) != 2 {
		t.Fatalf("modified: %+v", modified.LaunchTemplate)
	}
	listed := must[*awsec2.DescribeLaunchTemplatesOutput](t)(c.DescribeLaunchTemplates(ctx, &awsec2.DescribeLaunchTemplatesInput{LaunchTemplateNames: []string{"web-nodes"}}))
	if len(listed.LaunchTemplates) != 1 || aws.ToInt64(listed.LaunchTemplates[0].DefaultVersionNumber) != 2 {
		t.Fatalf("listed: %+v", listed.LaunchTemplates)
	}
	must[*awsec2.DeleteLaunchTemplateOutput](t)(c.DeleteLaunchTemplate(ctx, &awsec2.DeleteLaunchTemplateInput{LaunchTemplateId: aws.String(id)}))
	_, err = c.DescribeLaunchTemplates(ctx, &awsec2.DescribeLaunchTemplatesInput{LaunchTemplateIds: []string{id}})
	localcloudtest.WantCode(t, err, "InvalidLaunchTemplateId.NotFound")
}

func TestRunInstancesFromTemplate(t *testing.T) {
	f := start(t)
	c := f.client
	vpcID, subnetID := network(t, c)
	group := createGroup(t, c, vpcID, "nodes")
	userData := "#!/bin/bash\necho ECS_CLUSTER=web >> /etc/ecs/ecs.config\n"
	lt := must[*awsec2.CreateLaunchTemplateOutput](t)(c.CreateLaunchTemplate(ctx, &awsec2.CreateLaunchTemplateInput{
		LaunchTemplateName: aws.String("nodes"),
		LaunchTemplateData: &types.RequestLaunchTemplateData{ImageId: aws.String(ec2.ECSOptimizedImage("us-east-1").ID), InstanceType: types.InstanceTypeT3Small,
			SecurityGroupIds:   []string{group},
			IamInstanceProfile: &types.LaunchTemplateIamInstanceProfileSpecificationRequest{Arn: aws.String("arn:aws:iam::000000000000:instance-profile/ecs-node")},
			UserData:           aws.String(base64.StdEncoding.EncodeToString([]byte(userData)))},
	}))

	run := must[*awsec2.RunInstancesOutput](t)(c.RunInstances(ctx, &awsec2.RunInstancesInput{MinCount: aws.Int32(2), MaxCount: aws.Int32(2),
		LaunchTemplate: &types.LaunchTemplateSpecification{LaunchTemplateId: lt.LaunchTemplate.LaunchTemplateId, Version: aws.String("$Latest")},
		SubnetId:       aws.String(subnetID), ClientToken: aws.String("token-1"),
		TagSpecifications: tagSpec(types.ResourceTypeInstance, "Name", "node")}))
	if len(run.Instances) != 2 || run.Instances[0].State.Name != types.InstanceStateNamePending ||
		aws.ToString(run.Instances[0].PrivateIpAddress) != "10.0.1.4" || aws.ToString(run.Instances[1].PrivateIpAddress) != "10.0.1.5" {
		t.Fatalf("run: %+v", run.Instances)
	}
	again := must[*awsec2.RunInstancesOutput](t)(c.RunInstances(ctx, &awsec2.RunInstancesInput{MinCount: aws.Int32(2), MaxCount: aws.Int32(2),
		LaunchTemplate: &types.LaunchTemplateSpecification{LaunchTemplateId: lt.LaunchTemplate.LaunchTemplateId, Version: aws.String("$Latest")},
		SubnetId:       aws.String(subnetID), ClientToken: aws.String("token-1"),
		TagSpecifications: tagSpec(types.ResourceTypeInstance, "Name", "node")}))
	if aws.ToString(again.ReservationId) != aws.ToString(run.ReservationId) {
		t.Fatalf("the same client token launched again: %s vs %s", aws.ToString(again.ReservationId), aws.ToString(run.ReservationId))
	}
	_, err := c.RunInstances(ctx, &awsec2.RunInstancesInput{MinCount: aws.Int32(1), MaxCount: aws.Int32(1), ImageId: aws.String(ec2.ECSOptimizedImage("us-east-1").ID),
		SubnetId: aws.String(subnetID), ClientToken: aws.String("token-1")})
	localcloudtest.WantCode(t, err, "IdempotentParameterMismatch")

	first := aws.ToString(run.Instances[0].InstanceId)
	inst, err := f.backend.Instance(ctx, first)
	if err != nil || inst == nil {
		t.Fatalf("Instance(%s) = %v, %v", first, inst, err)
	}
	if inst.State != "running" || inst.UserData != userData || inst.VpcID != vpcID || inst.AvailabilityZone != "us-east-1a" ||
		inst.InstanceType != "t3.small" || inst.IamInstanceProfileARN != "arn:aws:iam::000000000000:instance-profile/ecs-node" ||
		len(inst.SecurityGroupIDs) != 1 || inst.SecurityGroupIDs[0] != group || inst.Tags["Name"] != "node" {
		t.Fatalf("instance: %+v", inst)
	}

	for _, tc := range []struct {
		name    string
		filters []types.Filter
		want    int
	}{
		{"running", []types.Filter{filter("instance-state-name", "running")}, 2},
		{"tag", []types.Filter{filter("tag:Name", "node")}, 2},
		{"subnet", []types.Filter{filter("subnet-id", subnetID)}, 2},
		{"vpc", []types.Filter{filter("vpc-id", "vpc-0123456789abcdef0")}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := must[*awsec2.DescribeInstancesOutput](t)(c.DescribeInstances(ctx, &awsec2.DescribeInstancesInput{Filters: tc.filters}))
			n := 0
			for _, r := range out.Reservations {
				n += len(r.Instances)
			}
			if n != tc.want {
				t.Fatalf("got %d instances, want %d", n, tc.want)
			}
		})
	}

	// A live instance holds its subnet and its group.
	_, err = c.DeleteSubnet(ctx, &awsec2.DeleteSubnetInput{SubnetId: aws.String(subnetID)})
	localcloudtest.WantCode(t, err, "DependencyViolation")
	_, err = c.DeleteSecurityGroup(ctx, &awsec2.DeleteSecurityGroupInput{GroupId: aws.String(group)})
	localcloudtest.WantCode(t, err, "DependencyViolation")

	terminated := must[*awsec2.TerminateInstancesOutput](t)(c.TerminateInstances(ctx, &awsec2.TerminateInstancesInput{InstanceIds: []string{first}}))
	if terminated.TerminatingInstances[0].PreviousState.Name != types.InstanceStateNameRunning ||
		terminated.TerminatingInstances[0].CurrentState.Name != types.InstanceStateNameTerminated {
		t.Fatalf("terminate: %+v", terminated.TerminatingInstances)
	}
	// Controllers launch through the same path, and the freed address is reused.
	launched, err := f.backend.LaunchInstances(ctx, ec2.LaunchRequest{LaunchTemplateName: "nodes", SubnetID: subnetID, Count: 1,
		Tags: map[string]string{"aws:autoscaling:groupName": "nodes"}})
	if err != nil || len(launched) != 1 || launched[0].PrivateIP != "10.0.1.4" || launched[0].Tags["aws:autoscaling:groupName"] != "nodes" {
		t.Fatalf("LaunchInstances = %+v, %v", launched, err)
	}
	// A /28 has 11 usable addresses; 2 are taken.
	_, err = c.RunInstances(ctx, &awsec2.RunInstancesInput{MinCount: aws.Int32(10), MaxCount: aws.Int32(10),
		LaunchTemplate: &types.LaunchTemplateSpecification{LaunchTemplateName: aws.String("nodes")}, SubnetId: aws.String(subnetID)})
	localcloudtest.WantCode(t, err, "InsufficientFreeAddressesInSubnet")

	// Terminated instances show for an hour, then are gone.
	f.backend.SetClock(func() time.Time { return time.Now().Add(2 * time.Hour) })
	gone, err := f.backend.Instance(ctx, first)
	if err != nil || gone != nil {
		t.Fatalf("an instance terminated two hours ago: %+v, %v", gone, err)
	}
	_, err = c.DescribeInstances(ctx, &awsec2.DescribeInstancesInput{InstanceIds: []string{first}})
	localcloudtest.WantCode(t, err, "InvalidInstanceID.NotFound")
	if err := f.backend.TerminateInstances(ctx, []string{aws.ToString(run.Instances[1].InstanceId), launched[0].ID}); err != nil {
		t.Fatal(err)
	}
	must[*awsec2.DeleteSubnetOutput](t)(c.DeleteSubnet(ctx, &awsec2.DeleteSubnetInput{SubnetId: aws.String(subnetID)}))
}

func TestInstanceTypesImagesAndTags(t *testing.T) {
	f := start(t)
	c := f.client
	types_ := must[*awsec2.DescribeInstanceTypesOutput](t)(c.DescribeInstanceTypes(ctx, &awsec2.DescribeInstanceTypesInput{
		InstanceTypes: []types.InstanceType{types.InstanceTypeT2Medium, types.InstanceTypeC5Large}}))
	if len(types_.InstanceTypes) != 2 {
		t.Fatalf("types: %+v", types_.InstanceTypes)
	}
	for _, it := range types_.InstanceTypes {
		want, _ := ec2.LookupInstanceType(string(it.InstanceType))
		if aws.ToInt32(it.NetworkInfo.MaximumNetworkInterfaces) != int32(want.MaxENIs) || aws.ToInt32(it.VCpuInfo.DefaultVCpus) != int32(want.VCPUs) ||
			aws.ToInt64(it.MemoryInfo.SizeInMiB) != int64(want.MemoryMiB) || aws.ToInt32(it.NetworkInfo.Ipv4AddressesPerInterface) != int32(want.IPv4PerENI) {
			t.Fatalf("%s: %+v", it.InstanceType, it)
		}
	}
	if t2, _ := ec2.LookupInstanceType("t2.medium"); t2.MaxENIs != 3 {
		t.Fatalf("t2.medium has %d ENIs", t2.MaxENIs)
	}
	_, err := c.DescribeInstanceTypes(ctx, &awsec2.DescribeInstanceTypesInput{InstanceTypes: []types.InstanceType{"t9.huge"}})
	localcloudtest.WantCode(t, err, "InvalidInstanceType")

	images := must[*awsec2.DescribeImagesOutput](t)(newClient(f.endpoint, "eu-west-1").DescribeImages(ctx, &awsec2.DescribeImagesInput{
		Owners: []string{"amazon"}, Filters: []types.Filter{filter("name", "al2023-ami-ecs-hvm-*")}}))
	if len(images.Images) != 1 || aws.ToString(images.Images[0].ImageId) != ec2.ECSOptimizedImage("eu-west-1").ID {
		t.Fatalf("images: %+v", images.Images)
	}

	vpcID, subnetID := network(t, c)
	must[*awsec2.CreateTagsOutput](t)(c.CreateTags(ctx, &awsec2.CreateTagsInput{Resources: []string{vpcID, subnetID},
		Tags: []types.Tag{{Key: aws.String("env"), Value: aws.String("dev")}, {Key: aws.String("team"), Value: aws.String("web")}}}))
	_, err = c.CreateTags(ctx, &awsec2.CreateTagsInput{Resources: []string{"vpc-0123456789abcdef0"}, Tags: []types.Tag{{Key: aws.String("a"), Value: aws.String("b")}}})
	localcloudtest.WantCode(t, err, "InvalidVpcID.NotFound")
	_, err = c.CreateTags(ctx, &awsec2.CreateTagsInput{Resources: []string{vpcID}, Tags: []types.Tag{{Key: aws.String("aws:x"), Value: aws.String("b")}}})
	localcloudtest.WantCode(t, err, "InvalidParameterValue")
	must[*awsec2.DeleteTagsOutput](t)(c.DeleteTags(ctx, &awsec2.DeleteTagsInput{Resources: []string{subnetID}, Tags: []types.Tag{{Key: aws.String("team")}}}))
	tags := must[*awsec2.DescribeTagsOutput](t)(c.DescribeTags(ctx, &awsec2.DescribeTagsInput{Filters: []types.Filter{filter("key", "env", "team")}}))
	if len(tags.Tags) != 3 {
		t.Fatalf("tags: %+v", tags.Tags)
	}
	subnetTags := must[*awsec2.DescribeTagsOutput](t)(c.DescribeTags(ctx, &awsec2.DescribeTagsInput{Filters: []types.Filter{filter("resource-type", "subnet")}}))
	if len(subnetTags.Tags) != 1 || aws.ToString(subnetTags.Tags[0].Key) != "env" || aws.ToString(subnetTags.Tags[0].ResourceId) != subnetID {
		t.Fatalf("subnet tags: %+v", subnetTags.Tags)
	}
}
