package ec2cloudtest_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsec2 "github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/berthdev/berth/internal/localcloud/localcloudtest"
	"github.com/berthdev/berth/internal/localcloud/service/ec2"
)

func TestThroughTheLocalCloud(t *testing.T) {
	ctx := localcloudtest.InRegion(context.Background(), "us-east-1")
	cloud := localcloudtest.Start(t)
	client := awsec2.NewFromConfig(cloud.Config)

	vpc, err := client.CreateVpc(ctx, &awsec2.CreateVpcInput{CidrBlock: aws.String("10.0.0.0/16")})
	if err != nil {
		t.Fatal(err)
	}
	subnet, err := client.CreateSubnet(ctx, &awsec2.CreateSubnetInput{VpcId: vpc.Vpc.VpcId, CidrBlock: aws.String("10.0.1.0/24")})
	if err != nil {
		t.Fatal(err)
	}
	// Controllers see what the API made.
	got, err := cloud.Cloud.EC2.Subnet(ctx, aws.ToString(subnet.Subnet.SubnetId))
	if err != nil || got == nil || got.VpcID != aws.ToString(vpc.Vpc.VpcId) || got.AvailabilityZone != aws.ToString(subnet.Subnet.AvailabilityZone) {
		t.Fatalf("Subnet = %+v, %v", got, err)
	}
	if missing, err := cloud.Cloud.EC2.Subnet(ctx, "subnet-0123456789abcdef0"); missing != nil || err != nil {
		t.Fatalf("unknown subnet = %+v, %v", missing, err)
	}

	// The region is the one the request was signed for.
	west := cloud.Config.Copy()
	west.Region = "eu-west-1"
	zones, err := awsec2.NewFromConfig(west).DescribeAvailabilityZones(ctx, &awsec2.DescribeAvailabilityZonesInput{})
	if err != nil || len(zones.AvailabilityZones) != 3 || aws.ToString(zones.AvailabilityZones[0].ZoneName) != "eu-west-1a" {
		t.Fatalf("eu-west-1 zones = %+v, %v", zones, err)
	}
	images, err := client.DescribeImages(ctx, &awsec2.DescribeImagesInput{Owners: []string{"amazon"},
		Filters: []types.Filter{{Name: aws.String("name"), Values: []string{"al2023-ami-ecs-hvm-*"}}}})
	if err != nil || len(images.Images) != 1 || aws.ToString(images.Images[0].ImageId) != ec2.ECSOptimizedImage("us-east-1").ID {
		t.Fatalf("images = %+v, %v", images, err)
	}
}
