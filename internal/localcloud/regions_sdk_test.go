package localcloud_test

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/berthdev/berth/internal/localcloud/localcloudtest"
)

// Parameters and log groups, which used to carry their region in their
// keys, are separated by the one scoping mechanism now: the same name in
// two regions is two resources, each with its region in its ARN, and
// deleting one leaves the other.
func TestParametersAndLogGroupsBelongToTheirRegion(t *testing.T) {
	cloud := localcloudtest.StartControlPlane(t)
	ctx := context.Background()
	regions := []string{"eu-west-1", "us-east-1"}
	for _, region := range regions {
		cfg := cloud.ConfigIn(region)
		_, err := ssm.NewFromConfig(cfg).PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/app/db"), Value: aws.String("db." + region), Type: ssmtypes.ParameterTypeString})
		localcloudtest.WantCode(t, err, "")
		_, err = cloudwatchlogs.NewFromConfig(cfg).CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String("/ecs/FASTAPI-DEV")})
		localcloudtest.WantCode(t, err, "")
	}
	for _, region := range regions {
		cfg := cloud.ConfigIn(region)
		got, err := ssm.NewFromConfig(cfg).GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/app/db")})
		localcloudtest.WantCode(t, err, "")
		if aws.ToString(got.Parameter.Value) != "db."+region || !strings.Contains(aws.ToString(got.Parameter.ARN), ":"+region+":000000000000:parameter/app/db") {
			t.Errorf("%s: parameter %s = %s", region, aws.ToString(got.Parameter.ARN), aws.ToString(got.Parameter.Value))
		}
		groups, err := cloudwatchlogs.NewFromConfig(cfg).DescribeLogGroups(ctx, &cloudwatchlogs.DescribeLogGroupsInput{})
		localcloudtest.WantCode(t, err, "")
		if len(groups.LogGroups) != 1 || !strings.Contains(aws.ToString(groups.LogGroups[0].LogGroupArn), ":"+region+":") {
			t.Errorf("%s: log groups %+v", region, groups.LogGroups)
		}
	}

	eu := cloud.ConfigIn("eu-west-1")
	_, err := ssm.NewFromConfig(eu).DeleteParameter(ctx, &ssm.DeleteParameterInput{Name: aws.String("/app/db")})
	localcloudtest.WantCode(t, err, "")
	_, err = cloudwatchlogs.NewFromConfig(eu).DeleteLogGroup(ctx, &cloudwatchlogs.DeleteLogGroupInput{LogGroupName: aws.String("/ecs/FASTAPI-DEV")})
	localcloudtest.WantCode(t, err, "")
	_, err = ssm.NewFromConfig(eu).GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/app/db")})
	localcloudtest.WantCode(t, err, "ParameterNotFound")

	us := cloud.ConfigIn("us-east-1")
	got, err := ssm.NewFromConfig(us).GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/app/db")})
	localcloudtest.WantCode(t, err, "")
	if aws.ToString(got.Parameter.Value) != "db.us-east-1" {
		t.Errorf("us-east-1's parameter after eu-west-1's was deleted: %s", aws.ToString(got.Parameter.Value))
	}
	groups, err := cloudwatchlogs.NewFromConfig(us).DescribeLogGroups(ctx, &cloudwatchlogs.DescribeLogGroupsInput{})
	localcloudtest.WantCode(t, err, "")
	if len(groups.LogGroups) != 1 {
		t.Errorf("us-east-1's log groups after eu-west-1's was deleted: %+v", groups.LogGroups)
	}
}

// An ARN names its region's resource only: asked in us-east-1 for the ARN
// of eu-west-1's cluster, ECS answers MISSING even though us-east-1 has a
// cluster of the same name.
func TestAnARNOfAnotherRegionNamesNothingHere(t *testing.T) {
	cloud := localcloudtest.StartControlPlane(t)
	ctx := context.Background()
	arns := map[string]string{}
	for _, region := range []string{"eu-west-1", "us-east-1"} {
		out, err := ecs.NewFromConfig(cloud.ConfigIn(region)).CreateCluster(ctx, &ecs.CreateClusterInput{ClusterName: aws.String("FASTAPI-DEV")})
		localcloudtest.WantCode(t, err, "")
		arns[region] = aws.ToString(out.Cluster.ClusterArn)
	}
	if arns["eu-west-1"] == arns["us-east-1"] || !strings.Contains(arns["eu-west-1"], ":eu-west-1:") {
		t.Fatalf("cluster ARNs %v", arns)
	}
	us := ecs.NewFromConfig(cloud.ConfigIn("us-east-1"))
	out, err := us.DescribeClusters(ctx, &ecs.DescribeClustersInput{Clusters: []string{arns["eu-west-1"], arns["us-east-1"]}})
	localcloudtest.WantCode(t, err, "")
	if len(out.Clusters) != 1 || aws.ToString(out.Clusters[0].ClusterArn) != arns["us-east-1"] {
		t.Errorf("clusters described in us-east-1: %+v", out.Clusters)
	}
	if len(out.Failures) != 1 || aws.ToString(out.Failures[0].Arn) != arns["eu-west-1"] || aws.ToString(out.Failures[0].Reason) != "MISSING" {
		t.Errorf("failures in us-east-1: %+v", out.Failures)
	}
}
