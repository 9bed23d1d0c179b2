package ecs_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	awsecs "github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/smithy-go"

	"github.com/berthdev/berth/internal/deploytest"
)

// observations are what a create-describe-delete sequence shows a client,
// reduced to what two implementations should agree on.
type observations map[string]string

func (o observations) err(step string, err error) {
	var apiErr smithy.APIError
	switch {
	case err == nil:
		o[step] = "ok"
	case errors.As(err, &apiErr):
		o[step] = apiErr.ErrorCode()
	default:
		o[step] = "transport error: " + err.Error()
	}
}

func suffix(arn string) string { return arn[strings.LastIndex(arn, ":")+1:] }

// runSequence drives the cluster / task definition / service lifecycle the
// deployer relies on.
func runSequence(ctx context.Context, client *awsecs.Client, subnet, securityGroup string) observations {
	o := observations{}
	cluster, err := client.CreateCluster(ctx, &awsecs.CreateClusterInput{ClusterName: aws.String("diff")})
	o.err("create cluster", err)
	if err == nil {
		o["cluster status"] = aws.ToString(cluster.Cluster.Status)
		o["cluster arn"] = suffix(aws.ToString(cluster.Cluster.ClusterArn))
	}
	described, err := client.DescribeClusters(ctx, &awsecs.DescribeClustersInput{Clusters: []string{"diff", "ghost"}})
	o.err("describe clusters", err)
	if err == nil {
		o["described clusters"] = fmt.Sprint(len(described.Clusters))
		if len(described.Failures) == 1 {
			o["cluster failure"] = aws.ToString(described.Failures[0].Reason)
		}
	}

	definition := &awsecs.RegisterTaskDefinitionInput{
		Family: aws.String("diff-app"), NetworkMode: types.NetworkModeAwsvpc, Cpu: aws.String("256"), Memory: aws.String("512"),
		RequiresCompatibilities: []types.Compatibility{types.CompatibilityEc2},
		ContainerDefinitions: []types.ContainerDefinition{{
			Name: aws.String("app"), Image: aws.String("app:1"), PortMappings: []types.PortMapping{{ContainerPort: aws.Int32(8000)}},
		}},
	}
	registered, err := client.RegisterTaskDefinition(ctx, definition)
	o.err("register", err)
	if err == nil {
		def := registered.TaskDefinition
		o["definition"] = fmt.Sprintf("%s rev %d %s cpu %s memory %s", aws.ToString(def.Family), def.Revision, def.Status, aws.ToString(def.Cpu), aws.ToString(def.Memory))
		o["definition arn"] = suffix(aws.ToString(def.TaskDefinitionArn))
		c := def.ContainerDefinitions[0]
		o["container"] = fmt.Sprintf("essential %v", aws.ToBool(c.Essential))
		if len(c.PortMappings) == 1 {
			o["port mapping"] = fmt.Sprintf("%d/%s", aws.ToInt32(c.PortMappings[0].ContainerPort), c.PortMappings[0].Protocol)
		}
	}
	again, err := client.RegisterTaskDefinition(ctx, definition)
	o.err("register again", err)
	if err == nil {
		o["second revision"] = fmt.Sprint(again.TaskDefinition.Revision)
	}
	_, err = client.DescribeTaskDefinition(ctx, &awsecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String("ghost")})
	o.err("describe missing definition", err)

	serviceInput := &awsecs.CreateServiceInput{
		Cluster: aws.String("diff"), ServiceName: aws.String("web"), TaskDefinition: aws.String("diff-app:1"), DesiredCount: aws.Int32(1),
		LaunchType:           types.LaunchTypeEc2,
		NetworkConfiguration: &types.NetworkConfiguration{AwsvpcConfiguration: &types.AwsVpcConfiguration{Subnets: []string{subnet}, SecurityGroups: []string{securityGroup}}},
	}
	service, err := client.CreateService(ctx, serviceInput)
	o.err("create service", err)
	if err == nil {
		s := service.Service
		o["service"] = fmt.Sprintf("%s desired %d %s %s", aws.ToString(s.Status), s.DesiredCount, s.SchedulingStrategy, s.LaunchType)
		o["service arn"] = suffix(aws.ToString(s.ServiceArn))
		o["service definition"] = suffix(aws.ToString(s.TaskDefinition))
		if len(s.Deployments) == 1 {
			o["deployment"] = fmt.Sprintf("%s desired %d", aws.ToString(s.Deployments[0].Status), s.Deployments[0].DesiredCount)
		}
	}
	_, err = client.CreateService(ctx, serviceInput)
	o.err("create service again", err)
	_, err = client.CreateService(ctx, &awsecs.CreateServiceInput{Cluster: aws.String("ghost"), ServiceName: aws.String("web"), TaskDefinition: aws.String("diff-app:1"), DesiredCount: aws.Int32(1)})
	o.err("create service in missing cluster", err)
	services, err := client.DescribeServices(ctx, &awsecs.DescribeServicesInput{Cluster: aws.String("diff"), Services: []string{"web", "ghost"}})
	o.err("describe services", err)
	if err == nil {
		o["described services"] = fmt.Sprint(len(services.Services))
		if len(services.Failures) == 1 {
			o["service failure"] = aws.ToString(services.Failures[0].Reason)
		}
	}
	_, err = client.DeleteService(ctx, &awsecs.DeleteServiceInput{Cluster: aws.String("diff"), Service: aws.String("web")})
	o.err("delete scaled service", err)
	scaled, err := client.UpdateService(ctx, &awsecs.UpdateServiceInput{Cluster: aws.String("diff"), Service: aws.String("web"), DesiredCount: aws.Int32(0)})
	o.err("scale to zero", err)
	if err == nil {
		o["scaled desired"] = fmt.Sprint(scaled.Service.DesiredCount)
	}
	deleted, err := client.DeleteService(ctx, &awsecs.DeleteServiceInput{Cluster: aws.String("diff"), Service: aws.String("web")})
	o.err("delete service", err)
	if err == nil {
		// AWS drains first (DRAINING); moto skips to INACTIVE. Both say the
		// service is no longer ACTIVE.
		o["deleted service active"] = fmt.Sprint(aws.ToString(deleted.Service.Status) == "ACTIVE")
	}

	deregistered, err := client.DeregisterTaskDefinition(ctx, &awsecs.DeregisterTaskDefinitionInput{TaskDefinition: aws.String("diff-app:2")})
	o.err("deregister", err)
	if err == nil {
		o["deregistered"] = string(deregistered.TaskDefinition.Status)
	}
	_, err = client.CreateCluster(ctx, &awsecs.CreateClusterInput{ClusterName: aws.String("empty")})
	o.err("create empty cluster", err)
	gone, err := client.DeleteCluster(ctx, &awsecs.DeleteClusterInput{Cluster: aws.String("empty")})
	o.err("delete empty cluster", err)
	if err == nil {
		o["deleted cluster"] = aws.ToString(gone.Cluster.Status)
	}
	_, err = client.DeleteCluster(ctx, &awsecs.DeleteClusterInput{Cluster: aws.String("ghost")})
	o.err("delete missing cluster", err)
	return o
}

// knownMotoGaps are observations where moto departs from AWS.
var knownMotoGaps = map[string]string{
	"port mapping":         "AWS fills protocol tcp; moto leaves it empty",
	"create service again": `AWS refuses a second ACTIVE service of the same name ("Creation of service was not idempotent."); moto replaces it`,
}

func TestSequenceAgreesWithMoto(t *testing.T) {
	motoURL := deploytest.Moto(t)
	ctx := context.Background()
	// moto, like AWS, checks that a service's subnets exist.
	ec2Client := ec2.NewFromConfig(deploytest.ConfigFor(motoURL))
	vpc, err := ec2Client.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String("10.0.0.0/16")})
	if err != nil {
		t.Fatalf("moto CreateVpc: %v", err)
	}
	subnet, err := ec2Client.CreateSubnet(ctx, &ec2.CreateSubnetInput{VpcId: vpc.Vpc.VpcId, CidrBlock: aws.String("10.0.1.0/24")})
	if err != nil {
		t.Fatalf("moto CreateSubnet: %v", err)
	}
	group, err := ec2Client.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{GroupName: aws.String("diff"), Description: aws.String("diff"), VpcId: vpc.Vpc.VpcId})
	if err != nil {
		t.Fatalf("moto CreateSecurityGroup: %v", err)
	}
	subnetID, groupID := aws.ToString(subnet.Subnet.SubnetId), aws.ToString(group.GroupId)
	moto := runSequence(ctx, awsecs.NewFromConfig(deploytest.ConfigFor(motoURL)), subnetID, groupID)
	f := start(t)
	ours := runSequence(f.ctx, f.client, subnetID, groupID)

	keys := slices.Sorted(maps.Keys(ours))
	for k := range moto {
		if _, ok := ours[k]; !ok {
			keys = append(keys, k)
		}
	}
	for _, k := range keys {
		if reason, known := knownMotoGaps[k]; known {
			t.Logf("%s: local cloud %q, moto %q (not compared: %s)", k, ours[k], moto[k], reason)
			continue
		}
		if ours[k] != moto[k] {
			t.Errorf("%s: local cloud %q, moto %q", k, ours[k], moto[k])
		}
	}
}
