package ec2_test

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsec2 "github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/berthdev/berth/internal/localcloud/localcloudtest"
)

func TestSecurityGroupRuleIDs(t *testing.T) {
	c := start(t).client
	vpcID, _ := network(t, c)
	alb := createGroup(t, c, vpcID, "alb")
	tasks := createGroup(t, c, vpcID, "tasks")

	http := must[*awsec2.AuthorizeSecurityGroupIngressOutput](t)(c.AuthorizeSecurityGroupIngress(ctx, &awsec2.AuthorizeSecurityGroupIngressInput{
		GroupId: aws.String(alb), IpPermissions: []types.IpPermission{tcp(80, "0.0.0.0/0")},
		TagSpecifications: tagSpec(types.ResourceTypeSecurityGroupRule, "Name", "http")}))
	httpRule := aws.ToString(http.SecurityGroupRules[0].SecurityGroupRuleId)
	fromALB := must[*awsec2.AuthorizeSecurityGroupIngressOutput](t)(c.AuthorizeSecurityGroupIngress(ctx, &awsec2.AuthorizeSecurityGroupIngressInput{
		GroupId: aws.String(tasks), IpPermissions: []types.IpPermission{fromGroup(8000, alb)}}))
	if r := fromALB.SecurityGroupRules[0]; aws.ToString(r.ReferencedGroupInfo.GroupId) != alb || aws.ToBool(r.IsEgress) || aws.ToInt32(r.FromPort) != 8000 {
		t.Fatalf("rule from the alb group: %+v", r)
	}

	for _, tc := range []struct {
		name    string
		ids     []string
		filters []types.Filter
		want    int
		code    string
	}{
		{name: "group-id", filters: []types.Filter{filter("group-id", alb)}, want: 2}, // http and the default egress
		{name: "security-group-rule-id", filters: []types.Filter{filter("security-group-rule-id", httpRule)}, want: 1},
		{name: "by id", ids: []string{httpRule}, want: 1},
		{name: "tag", filters: []types.Filter{filter("tag:Name", "http")}, want: 1},
		{name: "tag-key", filters: []types.Filter{filter("tag-key", "Name")}, want: 1},
		{name: "unknown filter", filters: []types.Filter{filter("vpc-id", vpcID)}, code: "InvalidParameterValue"},
		{name: "unknown id", ids: []string{"sgr-0123456789abcdef0"}, code: "InvalidSecurityGroupRuleId.NotFound"},
		{name: "malformed id", ids: []string{"sgr-x"}, code: "InvalidSecurityGroupRuleId.Malformed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := c.DescribeSecurityGroupRules(ctx, &awsec2.DescribeSecurityGroupRulesInput{SecurityGroupRuleIds: tc.ids, Filters: tc.filters})
			localcloudtest.WantCode(t, err, tc.code)
			if err == nil && len(out.SecurityGroupRules) != tc.want {
				t.Fatalf("got %d rules, want %d", len(out.SecurityGroupRules), tc.want)
			}
		})
	}

	// A rule is changed in place: same id, same tags, new ports.
	must[*awsec2.ModifySecurityGroupRulesOutput](t)(c.ModifySecurityGroupRules(ctx, &awsec2.ModifySecurityGroupRulesInput{GroupId: aws.String(alb),
		SecurityGroupRules: []types.SecurityGroupRuleUpdate{{SecurityGroupRuleId: aws.String(httpRule), SecurityGroupRule: &types.SecurityGroupRuleRequest{
			IpProtocol: aws.String("tcp"), FromPort: aws.Int32(8080), ToPort: aws.Int32(8080), CidrIpv4: aws.String("10.0.0.0/8"), Description: aws.String("alt")}}}}))
	changed := must[*awsec2.DescribeSecurityGroupRulesOutput](t)(c.DescribeSecurityGroupRules(ctx, &awsec2.DescribeSecurityGroupRulesInput{SecurityGroupRuleIds: []string{httpRule}}))
	if r := changed.SecurityGroupRules[0]; aws.ToInt32(r.FromPort) != 8080 || aws.ToString(r.CidrIpv4) != "10.0.0.0/8" || aws.ToString(r.Description) != "alt" || len(r.Tags) != 1 {
		t.Fatalf("modified rule: %+v", r)
	}
	for _, tc := range []struct {
		name  string
		group string
		rule  string
		req   *types.SecurityGroupRuleRequest
		code  string
	}{
		{"rule of another group", tasks, httpRule, &types.SecurityGroupRuleRequest{IpProtocol: aws.String("-1"), CidrIpv4: aws.String("10.0.0.0/8")}, "InvalidSecurityGroupRuleId.NotFound"},
		{"bad ports", alb, httpRule, &types.SecurityGroupRuleRequest{IpProtocol: aws.String("tcp"), FromPort: aws.Int32(90), ToPort: aws.Int32(80), CidrIpv4: aws.String("10.0.0.0/8")}, "InvalidParameterValue"},
		{"unknown referenced group", alb, httpRule, &types.SecurityGroupRuleRequest{IpProtocol: aws.String("tcp"), FromPort: aws.Int32(8080), ToPort: aws.Int32(8080),
			ReferencedGroupId: aws.String("sg-0123456789abcdef0")}, "InvalidGroup.NotFound"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := c.ModifySecurityGroupRules(ctx, &awsec2.ModifySecurityGroupRulesInput{GroupId: aws.String(tc.group),
				SecurityGroupRules: []types.SecurityGroupRuleUpdate{{SecurityGroupRuleId: aws.String(tc.rule), SecurityGroupRule: tc.req}}})
			localcloudtest.WantCode(t, err, tc.code)
		})
	}

	// Rule tags are tags like any other.
	must[*awsec2.CreateTagsOutput](t)(c.CreateTags(ctx, &awsec2.CreateTagsInput{Resources: []string{httpRule}, Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("web")}}}))
	tags := must[*awsec2.DescribeTagsOutput](t)(c.DescribeTags(ctx, &awsec2.DescribeTagsInput{Filters: []types.Filter{filter("resource-type", "security-group-rule")}}))
	if len(tags.Tags) != 2 {
		t.Fatalf("rule tags: %+v", tags.Tags)
	}

	// A group another group's rule names, or an interface holds, stays.
	_, err := c.DeleteSecurityGroup(ctx, &awsec2.DeleteSecurityGroupInput{GroupId: aws.String(alb)})
	localcloudtest.WantCode(t, err, "DependencyViolation")
	must[*awsec2.RevokeSecurityGroupIngressOutput](t)(c.RevokeSecurityGroupIngress(ctx, &awsec2.RevokeSecurityGroupIngressInput{GroupId: aws.String(tasks),
		SecurityGroupRuleIds: []string{aws.ToString(fromALB.SecurityGroupRules[0].SecurityGroupRuleId)}}))
	must[*awsec2.DeleteSecurityGroupOutput](t)(c.DeleteSecurityGroup(ctx, &awsec2.DeleteSecurityGroupInput{GroupId: aws.String(alb)}))
	_, err = c.DescribeSecurityGroupRules(ctx, &awsec2.DescribeSecurityGroupRulesInput{SecurityGroupRuleIds: []string{httpRule}})
	localcloudtest.WantCode(t, err, "InvalidSecurityGroupRuleId.NotFound")
}
