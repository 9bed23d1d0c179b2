package ecs_test

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsecs "github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/berthdev/berth/internal/localcloud/localcloudtest"
)

const asgARN = "arn:aws:autoscaling:us-east-1:000000000000:autoScalingGroup:0b8e7a52-1111-2222-3333-444455556666:autoScalingGroupName/web-asg"

func (f *fixture) createProvider(t *testing.T, name, asg string) {
	t.Helper()
	_, err := f.client.CreateCapacityProvider(f.ctx, &awsecs.CreateCapacityProviderInput{
		Name: aws.String(name),
		AutoScalingGroupProvider: &types.AutoScalingGroupProvider{
			AutoScalingGroupArn: aws.String(asg),
			ManagedScaling:      &types.ManagedScaling{Status: types.ManagedScalingStatusEnabled, TargetCapacity: aws.Int32(90)},
		},
	})
	localcloudtest.WantCode(t, err, "")
}

func TestClusterLifecycle(t *testing.T) {
	f := start(t)
	created, err := f.client.CreateCluster(f.ctx, &awsecs.CreateClusterInput{
		ClusterName: aws.String("web"),
		Tags:        []types.Tag{{Key: aws.String("team"), Value: aws.String("a")}},
	})
	localcloudtest.WantCode(t, err, "")
	c := created.Cluster
	if aws.ToString(c.ClusterArn) != "arn:aws:ecs:us-east-1:000000000000:cluster/web" || aws.ToString(c.Status) != "ACTIVE" {
		t.Fatalf("created %s %s", aws.ToString(c.ClusterArn), aws.ToString(c.Status))
	}
	if len(c.Settings) != 1 || c.Settings[0].Name != types.ClusterSettingNameContainerInsights || aws.ToString(c.Settings[0].Value) != "disabled" {
		t.Errorf("settings = %+v, want containerInsights disabled", c.Settings)
	}

	again, err := f.client.CreateCluster(f.ctx, &awsecs.CreateClusterInput{ClusterName: aws.String("web")})
	localcloudtest.WantCode(t, err, "")
	if aws.ToString(again.Cluster.ClusterArn) != aws.ToString(c.ClusterArn) {
		t.Errorf("CreateCluster of an existing name is not idempotent")
	}

	described, err := f.client.DescribeClusters(f.ctx, &awsecs.DescribeClustersInput{
		Clusters: []string{"web", "arn:aws:ecs:us-east-1:000000000000:cluster/nope"},
		Include:  []types.ClusterField{types.ClusterFieldTags, types.ClusterFieldStatistics},
	})
	localcloudtest.WantCode(t, err, "")
	if len(described.Clusters) != 1 || len(described.Failures) != 1 || aws.ToString(described.Failures[0].Reason) != "MISSING" {
		t.Fatalf("describe = %+v / %+v", described.Clusters, described.Failures)
	}
	if tags := described.Clusters[0].Tags; len(tags) != 1 || aws.ToString(tags[0].Key) != "team" {
		t.Errorf("tags = %+v", tags)
	}
	if len(described.Clusters[0].Statistics) == 0 {
		t.Errorf("STATISTICS asked for, none sent")
	}

	updated, err := f.client.UpdateCluster(f.ctx, &awsecs.UpdateClusterInput{
		Cluster:  aws.String("web"),
		Settings: []types.ClusterSetting{{Name: types.ClusterSettingNameContainerInsights, Value: aws.String("enabled")}},
	})
	localcloudtest.WantCode(t, err, "")
	if aws.ToString(updated.Cluster.Settings[0].Value) != "enabled" {
		t.Errorf("settings after update = %+v", updated.Cluster.Settings)
	}

	deleted, err := f.client.DeleteCluster(f.ctx, &awsecs.DeleteClusterInput{Cluster: aws.String("web")})
	localcloudtest.WantCode(t, err, "")
	if aws.ToString(deleted.Cluster.Status) != "INACTIVE" {
		t.Errorf("deleted cluster status = %s", aws.ToString(deleted.Cluster.Status))
	}
	_, err = f.client.DeleteCluster(f.ctx, &awsecs.DeleteClusterInput{Cluster: aws.String("web")})
	localcloudtest.WantCode(t, err, "ClusterNotFoundException")

	list, err := f.client.ListClusters(f.ctx, &awsecs.ListClustersInput{})
	localcloudtest.WantCode(t, err, "")
	if len(list.ClusterArns) != 0 {
		t.Errorf("INACTIVE cluster listed: %v", list.ClusterArns)
	}
}

func TestClusterValidation(t *testing.T) {
	f := start(t)
	f.createProvider(t, "web-cp", asgARN)
	tests := []struct {
		name string
		in   *awsecs.CreateClusterInput
		code string
	}{
		{"bad name", &awsecs.CreateClusterInput{ClusterName: aws.String("no spaces")}, "InvalidParameterException"},
		{"unknown provider", &awsecs.CreateClusterInput{ClusterName: aws.String("a"), CapacityProviders: []string{"nope"}}, "InvalidParameterException"},
		{"strategy outside providers", &awsecs.CreateClusterInput{ClusterName: aws.String("b"),
			DefaultCapacityProviderStrategy: []types.CapacityProviderStrategyItem{{CapacityProvider: aws.String("web-cp"), Weight: 1}}}, "InvalidParameterException"},
		{"all weights zero", &awsecs.CreateClusterInput{ClusterName: aws.String("c"), CapacityProviders: []string{"web-cp"},
			DefaultCapacityProviderStrategy: []types.CapacityProviderStrategyItem{{CapacityProvider: aws.String("web-cp")}}}, "InvalidParameterException"},
		{"fargate mixed with asg", &awsecs.CreateClusterInput{ClusterName: aws.String("d"), CapacityProviders: []string{"web-cp", "FARGATE"},
			DefaultCapacityProviderStrategy: []types.CapacityProviderStrategyItem{{CapacityProvider: aws.String("web-cp"), Weight: 1}, {CapacityProvider: aws.String("FARGATE"), Weight: 1}}}, "InvalidParameterException"},
		{"reserved tag", &awsecs.CreateClusterInput{ClusterName: aws.String("e"), Tags: []types.Tag{{Key: aws.String("aws:x"), Value: aws.String("y")}}}, "InvalidParameterException"},
		{"with provider", &awsecs.CreateClusterInput{ClusterName: aws.String("f"), CapacityProviders: []string{"web-cp"},
			DefaultCapacityProviderStrategy: []types.CapacityProviderStrategyItem{{CapacityProvider: aws.String("web-cp"), Weight: 1, Base: 1}}}, ""},
		{"provider already on another cluster", &awsecs.CreateClusterInput{ClusterName: aws.String("g"), CapacityProviders: []string{"web-cp"}}, "InvalidParameterException"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := f.client.CreateCluster(f.ctx, tt.in)
			localcloudtest.WantCode(t, err, tt.code)
			if tt.code != "" {
				out, err := f.client.DescribeClusters(f.ctx, &awsecs.DescribeClustersInput{Clusters: []string{aws.ToString(tt.in.ClusterName)}})
				localcloudtest.WantCode(t, err, "")
				if len(out.Clusters) != 0 {
					t.Errorf("a failed CreateCluster left a cluster behind")
				}
			}
		})
	}

	described, err := f.client.DescribeClusters(f.ctx, &awsecs.DescribeClustersInput{Clusters: []string{"f"}, Include: []types.ClusterField{types.ClusterFieldAttachments}})
	localcloudtest.WantCode(t, err, "")
	c := described.Clusters[0]
	if len(c.CapacityProviders) != 1 || len(c.DefaultCapacityProviderStrategy) != 1 || c.DefaultCapacityProviderStrategy[0].Base != 1 {
		t.Errorf("providers %v, strategy %+v", c.CapacityProviders, c.DefaultCapacityProviderStrategy)
	}
	if len(c.Attachments) != 1 || aws.ToString(c.Attachments[0].Type) != "as_policy" {
		t.Errorf("attachments = %+v, want the managed scaling policy", c.Attachments)
	}
}

func TestListClustersPagination(t *testing.T) {
	f := start(t)
	for _, name := range []string{"a", "b", "c", "d", "e"} {
		_, err := f.client.CreateCluster(f.ctx, &awsecs.CreateClusterInput{ClusterName: aws.String(name)})
		localcloudtest.WantCode(t, err, "")
	}
	var all []string
	pages := 0
	paginator := awsecs.NewListClustersPaginator(f.client, &awsecs.ListClustersInput{MaxResults: aws.Int32(2)})
	for paginator.HasMorePages() {
		out, err := paginator.NextPage(f.ctx)
		localcloudtest.WantCode(t, err, "")
		all = append(all, out.ClusterArns...)
		pages++
	}
	if len(all) != 5 || pages != 3 {
		t.Errorf("got %d clusters in %d pages, want 5 in 3", len(all), pages)
	}
	_, err := f.client.ListClusters(f.ctx, &awsecs.ListClustersInput{NextToken: aws.String("garbage")})
	localcloudtest.WantCode(t, err, "InvalidParameterException")
	_, err = f.client.ListClusters(f.ctx, &awsecs.ListClustersInput{MaxResults: aws.Int32(101)})
	localcloudtest.WantCode(t, err, "InvalidParameterException")
}

func TestCapacityProviderLifecycle(t *testing.T) {
	f := start(t)
	f.createProvider(t, "web-cp", asgARN)

	out, err := f.client.DescribeCapacityProviders(f.ctx, &awsecs.DescribeCapacityProvidersInput{})
	localcloudtest.WantCode(t, err, "")
	names := map[string]types.CapacityProvider{}
	for _, cp := range out.CapacityProviders {
		names[aws.ToString(cp.Name)] = cp
	}
	if _, ok := names["FARGATE"]; !ok {
		t.Errorf("FARGATE missing from %v", names)
	}
	if _, ok := names["FARGATE_SPOT"]; !ok {
		t.Errorf("FARGATE_SPOT missing from %v", names)
	}
	cp := names["web-cp"]
	ms := cp.AutoScalingGroupProvider.ManagedScaling
	if ms.Status != types.ManagedScalingStatusEnabled || aws.ToInt32(ms.TargetCapacity) != 90 ||
		aws.ToInt32(ms.MinimumScalingStepSize) != 1 || aws.ToInt32(ms.MaximumScalingStepSize) != 10000 || aws.ToInt32(ms.InstanceWarmupPeriod) != 300 {
		t.Errorf("managed scaling = %+v", ms)
	}
	if cp.AutoScalingGroupProvider.ManagedTerminationProtection != types.ManagedTerminationProtectionDisabled {
		t.Errorf("managedTerminationProtection = %s", cp.AutoScalingGroupProvider.ManagedTerminationProtection)
	}

	tests := []struct {
		name string
		in   *awsecs.CreateCapacityProviderInput
		code string
	}{
		{"duplicate", &awsecs.CreateCapacityProviderInput{Name: aws.String("web-cp"), AutoScalingGroupProvider: &types.AutoScalingGroupProvider{AutoScalingGroupArn: aws.String(asgARN + "x")}}, "ClientException"},
		{"reserved prefix", &awsecs.CreateCapacityProviderInput{Name: aws.String("ecs-thing"), AutoScalingGroupProvider: &types.AutoScalingGroupProvider{AutoScalingGroupArn: aws.String(asgARN + "y")}}, "ClientException"},
		{"fargate prefix", &awsecs.CreateCapacityProviderInput{Name: aws.String("FargateMine"), AutoScalingGroupProvider: &types.AutoScalingGroupProvider{AutoScalingGroupArn: aws.String(asgARN + "y")}}, "ClientException"},
		{"not an ASG ARN", &awsecs.CreateCapacityProviderInput{Name: aws.String("other"), AutoScalingGroupProvider: &types.AutoScalingGroupProvider{AutoScalingGroupArn: aws.String("web-asg")}}, "InvalidParameterException"},
		{"ASG already used", &awsecs.CreateCapacityProviderInput{Name: aws.String("other"), AutoScalingGroupProvider: &types.AutoScalingGroupProvider{AutoScalingGroupArn: aws.String(asgARN)}}, "ClientException"},
		{"target capacity out of range", &awsecs.CreateCapacityProviderInput{Name: aws.String("other"), AutoScalingGroupProvider: &types.AutoScalingGroupProvider{
			AutoScalingGroupArn: aws.String(asgARN + "z"), ManagedScaling: &types.ManagedScaling{TargetCapacity: aws.Int32(101)}}}, "InvalidParameterException"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := f.client.CreateCapacityProvider(f.ctx, tt.in)
			localcloudtest.WantCode(t, err, tt.code)
		})
	}

	updated, err := f.client.UpdateCapacityProvider(f.ctx, &awsecs.UpdateCapacityProviderInput{
		Name:                     aws.String("web-cp"),
		AutoScalingGroupProvider: &types.AutoScalingGroupProviderUpdate{ManagedScaling: &types.ManagedScaling{TargetCapacity: aws.Int32(75)}},
	})
	localcloudtest.WantCode(t, err, "")
	if got := updated.CapacityProvider.AutoScalingGroupProvider.ManagedScaling; aws.ToInt32(got.TargetCapacity) != 75 || got.Status != types.ManagedScalingStatusEnabled {
		t.Errorf("after update: %+v", got)
	}
	if updated.CapacityProvider.UpdateStatus != types.CapacityProviderUpdateStatusUpdateComplete {
		t.Errorf("updateStatus = %s", updated.CapacityProvider.UpdateStatus)
	}

	_, err = f.client.CreateCluster(f.ctx, &awsecs.CreateClusterInput{ClusterName: aws.String("web"), CapacityProviders: []string{"web-cp"}})
	localcloudtest.WantCode(t, err, "")
	_, err = f.client.DeleteCapacityProvider(f.ctx, &awsecs.DeleteCapacityProviderInput{CapacityProvider: aws.String("web-cp")})
	localcloudtest.WantCode(t, err, "ResourceInUseException")

	_, err = f.client.PutClusterCapacityProviders(f.ctx, &awsecs.PutClusterCapacityProvidersInput{
		Cluster: aws.String("web"), CapacityProviders: []string{}, DefaultCapacityProviderStrategy: []types.CapacityProviderStrategyItem{},
	})
	localcloudtest.WantCode(t, err, "")
	deleted, err := f.client.DeleteCapacityProvider(f.ctx, &awsecs.DeleteCapacityProviderInput{CapacityProvider: aws.String("web-cp")})
	localcloudtest.WantCode(t, err, "")
	if deleted.CapacityProvider.Status != types.CapacityProviderStatusInactive {
		t.Errorf("deleted provider status = %s", deleted.CapacityProvider.Status)
	}
	_, err = f.client.DeleteCapacityProvider(f.ctx, &awsecs.DeleteCapacityProviderInput{CapacityProvider: aws.String("web-cp")})
	localcloudtest.WantCode(t, err, "ClientException")

	// The ASG is free again once its provider is gone.
	f.createProvider(t, "web-cp2", asgARN)
}
