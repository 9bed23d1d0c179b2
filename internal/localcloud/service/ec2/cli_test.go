package ec2_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsec2 "github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/berthdev/berth/internal/localcloud/localcloudtest"
	"github.com/berthdev/berth/internal/localcloud/service/ec2"
)

// awsCLI runs the real AWS CLI against endpoint (us-east-1 unless args
// say --region) and decodes its JSON.
func awsCLI(t *testing.T, endpoint string, out any, args ...string) {
	t.Helper()
	localcloudtest.MustAWSCLI(t, endpoint, "us-east-1", out, args...)
}

// runAWSCLI runs the real AWS CLI against endpoint: its output on success,
// its error output (and the error) on failure.
func runAWSCLI(t *testing.T, endpoint string, args ...string) ([]byte, error) {
	t.Helper()
	data, err := localcloudtest.AWSCLI(t, endpoint, "us-east-1", args...)
	var cliErr *localcloudtest.CLIError
	if errors.As(err, &cliErr) {
		return []byte(cliErr.Stderr), err
	}
	return data, err
}

func TestAWSCLI(t *testing.T) {
	f := start(t)
	c := f.client
	vpc := must[*awsec2.CreateVpcOutput](t)(c.CreateVpc(ctx, &awsec2.CreateVpcInput{CidrBlock: aws.String("10.0.0.0/16"),
		TagSpecifications: tagSpec(types.ResourceTypeVpc, "Name", "web")}))
	vpcID := aws.ToString(vpc.Vpc.VpcId)
	group := createGroup(t, c, vpcID, "alb")
	must[*awsec2.AuthorizeSecurityGroupIngressOutput](t)(c.AuthorizeSecurityGroupIngress(ctx, &awsec2.AuthorizeSecurityGroupIngressInput{
		GroupId: aws.String(group), IpPermissions: []types.IpPermission{tcp(80, "0.0.0.0/0")}}))

	var vpcs struct {
		Vpcs []struct {
			VpcID     string `json:"VpcId"`
			CidrBlock string
			State     string
			IsDefault bool
			Tags      []struct{ Key, Value string }
		}
	}
	awsCLI(t, f.endpoint, &vpcs, "ec2", "describe-vpcs", "--filters", "Name=tag:Name,Values=web")
	if len(vpcs.Vpcs) != 1 || vpcs.Vpcs[0].VpcID != vpcID || vpcs.Vpcs[0].CidrBlock != "10.0.0.0/16" || vpcs.Vpcs[0].State != "available" ||
		len(vpcs.Vpcs[0].Tags) != 1 || vpcs.Vpcs[0].Tags[0].Value != "web" {
		t.Fatalf("describe-vpcs: %+v", vpcs)
	}

	var groups struct {
		SecurityGroups []struct {
			GroupID       string `json:"GroupId"`
			GroupName     string
			VpcID         string `json:"VpcId"`
			IPPermissions []struct {
				IPProtocol string `json:"IpProtocol"`
				FromPort   int
				ToPort     int
				IPRanges   []struct {
					CidrIP string `json:"CidrIp"`
				} `json:"IpRanges"`
			} `json:"IpPermissions"`
			IPPermissionsEgress []struct {
				IPProtocol string `json:"IpProtocol"`
			} `json:"IpPermissionsEgress"`
		}
	}
	awsCLI(t, f.endpoint, &groups, "ec2", "describe-security-groups", "--filters", "Name=vpc-id,Values="+vpcID, "Name=group-name,Values=alb")
	if len(groups.SecurityGroups) != 1 {
		t.Fatalf("describe-security-groups: %+v", groups)
	}
	g := groups.SecurityGroups[0]
	if g.GroupID != group || g.VpcID != vpcID || len(g.IPPermissions) != 1 || g.IPPermissions[0].FromPort != 80 ||
		g.IPPermissions[0].IPRanges[0].CidrIP != "0.0.0.0/0" || len(g.IPPermissionsEgress) != 1 || g.IPPermissionsEgress[0].IPProtocol != "-1" {
		t.Fatalf("describe-security-groups: %+v", g)
	}

	var zones struct {
		AvailabilityZones []struct{ ZoneName, State string }
	}
	awsCLI(t, f.endpoint, &zones, "ec2", "describe-availability-zones")
	if len(zones.AvailabilityZones) != 3 || zones.AvailabilityZones[0].State != "available" {
		t.Fatalf("describe-availability-zones: %+v", zones)
	}

	// The richest shapes: instances and launch template data.
	subnet := must[*awsec2.CreateSubnetOutput](t)(c.CreateSubnet(ctx, &awsec2.CreateSubnetInput{VpcId: aws.String(vpcID), CidrBlock: aws.String("10.0.1.0/24")}))
	must[*awsec2.CreateLaunchTemplateOutput](t)(c.CreateLaunchTemplate(ctx, &awsec2.CreateLaunchTemplateInput{LaunchTemplateName: aws.String("nodes"),
		LaunchTemplateData: &types.RequestLaunchTemplateData{ImageId: aws.String(ec2.ECSOptimizedImage("us-east-1").ID), InstanceType: types.InstanceTypeT3Medium,
			MetadataOptions: &types.LaunchTemplateInstanceMetadataOptionsRequest{HttpTokens: types.LaunchTemplateHttpTokensStateRequired},
			NetworkInterfaces: []types.LaunchTemplateInstanceNetworkInterfaceSpecificationRequest{{DeviceIndex: aws.Int32(0), Groups: []string{group},
				SubnetId: subnet.Subnet.SubnetId, AssociatePublicIpAddress: aws.Bool(false)}},
			BlockDeviceMappings: []types.LaunchTemplateBlockDeviceMappingRequest{{DeviceName: aws.String("/dev/xvda"),
				Ebs: &types.LaunchTemplateEbsBlockDeviceRequest{VolumeSize: aws.Int32(30), VolumeType: types.VolumeTypeGp3}}}}}))
	var versions struct {
		LaunchTemplateVersions []struct {
			VersionNumber      int
			DefaultVersion     bool
			LaunchTemplateData struct {
				ImageID           string `json:"ImageId"`
				NetworkInterfaces []struct {
					Groups   []string
					SubnetID string `json:"SubnetId"`
				}
				MetadataOptions struct {
					HTTPTokens string `json:"HttpTokens"`
				}
			}
		}
	}
	awsCLI(t, f.endpoint, &versions, "ec2", "describe-launch-template-versions", "--launch-template-name", "nodes", "--versions", "$Latest")
	if len(versions.LaunchTemplateVersions) != 1 || !versions.LaunchTemplateVersions[0].DefaultVersion ||
		versions.LaunchTemplateVersions[0].LaunchTemplateData.NetworkInterfaces[0].Groups[0] != group ||
		versions.LaunchTemplateVersions[0].LaunchTemplateData.MetadataOptions.HTTPTokens != "required" {
		t.Fatalf("describe-launch-template-versions: %+v", versions)
	}

	var run struct {
		Instances []struct {
			InstanceID string `json:"InstanceId"`
			State      struct{ Name string }
		}
	}
	awsCLI(t, f.endpoint, &run, "ec2", "run-instances", "--launch-template", "LaunchTemplateName=nodes", "--count", "1")
	var instances struct {
		Reservations []struct {
			Instances []struct {
				InstanceID       string `json:"InstanceId"`
				PrivateIPAddress string `json:"PrivateIpAddress"`
				SubnetID         string `json:"SubnetId"`
				State            struct{ Name string }
				LaunchTime       string
			}
		}
	}
	awsCLI(t, f.endpoint, &instances, "ec2", "describe-instances", "--filters", "Name=instance-state-name,Values=running")
	if len(run.Instances) != 1 || run.Instances[0].State.Name != "pending" || len(instances.Reservations) != 1 ||
		instances.Reservations[0].Instances[0].InstanceID != run.Instances[0].InstanceID ||
		instances.Reservations[0].Instances[0].SubnetID != aws.ToString(subnet.Subnet.SubnetId) {
		t.Fatalf("run-instances %+v, describe-instances %+v", run, instances)
	}
}

// TestAWSCLIDefaultVpcWalkthrough is a session in eu-west-1 with the real
// CLI: the default VPC and its subnets are there, ClassicLink is retired,
// a group without --vpc-id lands in the default VPC, an Elastic IP comes and
// goes, and a NAT gateway becomes available.
func TestAWSCLIDefaultVpcWalkthrough(t *testing.T) {
	f := start(t)
	cli := func(out any, args ...string) {
		t.Helper()
		awsCLI(t, f.endpoint, out, append([]string{"--region", "eu-west-1"}, args...)...)
	}
	var vpcs struct {
		Vpcs []struct {
			VpcID     string `json:"VpcId"`
			CidrBlock string
			IsDefault bool
		}
	}
	cli(&vpcs, "ec2", "describe-vpcs", "--filters", "Name=is-default,Values=true")
	if len(vpcs.Vpcs) != 1 || vpcs.Vpcs[0].CidrBlock != "172.31.0.0/16" || !vpcs.Vpcs[0].IsDefault {
		t.Fatalf("describe-vpcs: %+v", vpcs)
	}
	vpcID := vpcs.Vpcs[0].VpcID

	var subnets struct {
		Subnets []struct {
			SubnetID            string `json:"SubnetId"`
			AvailabilityZone    string
			CidrBlock           string
			DefaultForAz        bool
			MapPublicIPOnLaunch bool `json:"MapPublicIpOnLaunch"`
		}
	}
	cli(&subnets, "ec2", "describe-subnets", "--filters", "Name=vpc-id,Values="+vpcID)
	zones := map[string]string{}
	for _, s := range subnets.Subnets {
		if !s.DefaultForAz || !s.MapPublicIPOnLaunch {
			t.Fatalf("not a default subnet: %+v", s)
		}
		zones[s.AvailabilityZone] = s.CidrBlock
	}
	if len(zones) != 3 || zones["eu-west-1a"] != "172.31.0.0/20" || zones["eu-west-1b"] != "172.31.16.0/20" || zones["eu-west-1c"] != "172.31.32.0/20" {
		t.Fatalf("default subnets by zone: %v", zones)
	}

	// ClassicLink answers as AWS does today; the CLI exits non-zero.
	output, err := runAWSCLI(t, f.endpoint, "--region", "eu-west-1", "ec2", "describe-vpc-classic-link", "--vpc-ids", vpcID)
	if err == nil || !strings.Contains(string(output), "(UnsupportedOperation)") ||
		!strings.Contains(string(output), "The functionality you requested is not available in this region.") {
		t.Fatalf("describe-vpc-classic-link: %v\n%s", err, output)
	}

	var group struct {
		GroupID string `json:"GroupId"`
	}
	cli(&group, "ec2", "create-security-group", "--group-name", "web", "--description", "web servers")
	var groups struct {
		SecurityGroups []struct {
			VpcID string `json:"VpcId"`
		}
	}
	cli(&groups, "ec2", "describe-security-groups", "--group-ids", group.GroupID)
	if len(groups.SecurityGroups) != 1 || groups.SecurityGroups[0].VpcID != vpcID {
		t.Fatalf("a group without --vpc-id: %+v, want it in %s", groups, vpcID)
	}

	var address struct {
		AllocationID string `json:"AllocationId"`
		PublicIP     string `json:"PublicIp"`
		Domain       string
	}
	cli(&address, "ec2", "allocate-address", "--domain", "vpc")
	var addresses struct {
		Addresses []struct {
			AllocationID string `json:"AllocationId"`
			PublicIP     string `json:"PublicIp"`
		}
	}
	cli(&addresses, "ec2", "describe-addresses", "--filters", "Name=public-ip,Values="+address.PublicIP)
	if address.Domain != "vpc" || len(addresses.Addresses) != 1 || addresses.Addresses[0].AllocationID != address.AllocationID {
		t.Fatalf("allocate-address %+v, describe-addresses %+v", address, addresses)
	}

	var nat struct {
		NatGateway struct {
			NatGatewayID string `json:"NatGatewayId"`
			State        string
		}
	}
	cli(&nat, "ec2", "create-nat-gateway", "--subnet-id", subnets.Subnets[0].SubnetID, "--allocation-id", address.AllocationID)
	var described struct {
		NatGateways []struct {
			State               string
			NatGatewayAddresses []struct {
				PublicIP string `json:"PublicIp"`
			}
		}
	}
	// pending when made, pending at the first look, available at the next.
	states := []string{nat.NatGateway.State}
	for range 2 {
		cli(&described, "ec2", "describe-nat-gateways", "--nat-gateway-ids", nat.NatGateway.NatGatewayID)
		states = append(states, described.NatGateways[0].State)
	}
	if strings.Join(states, " ") != "pending pending available" || described.NatGateways[0].NatGatewayAddresses[0].PublicIP != address.PublicIP {
		t.Fatalf("NAT gateway states %v, %+v", states, described)
	}
	var deleted struct {
		NatGatewayID string `json:"NatGatewayId"`
	}
	cli(&deleted, "ec2", "delete-nat-gateway", "--nat-gateway-id", nat.NatGateway.NatGatewayID)
	if output, err := runAWSCLI(t, f.endpoint, "--region", "eu-west-1", "ec2", "release-address", "--allocation-id", address.AllocationID); err != nil {
		t.Fatalf("release-address: %v\n%s", err, output)
	}
	cli(&addresses, "ec2", "describe-addresses")
	if len(addresses.Addresses) != 0 {
		t.Fatalf("addresses after release-address: %+v", addresses)
	}
}
