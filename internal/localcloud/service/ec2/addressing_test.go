package ec2_test

import (
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsec2 "github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/berthdev/berth/internal/localcloud/localcloudtest"
	"github.com/berthdev/berth/internal/localcloud/service/ec2"
)

// runOne launches one instance into subnet and returns its id.
func runOne(t *testing.T, c *awsec2.Client, subnetID string) string {
	t.Helper()
	out := must[*awsec2.RunInstancesOutput](t)(c.RunInstances(ctx, &awsec2.RunInstancesInput{MinCount: aws.Int32(1), MaxCount: aws.Int32(1),
		ImageId: aws.String(ec2.ECSOptimizedImage("us-east-1").ID), SubnetId: aws.String(subnetID)}))
	return aws.ToString(out.Instances[0].InstanceId)
}

func TestElasticIPs(t *testing.T) {
	f := start(t)
	c := f.client
	_, subnetID := network(t, c)
	instance := runOne(t, c, subnetID)

	first := must[*awsec2.AllocateAddressOutput](t)(c.AllocateAddress(ctx, &awsec2.AllocateAddressInput{Domain: types.DomainTypeVpc,
		TagSpecifications: tagSpec(types.ResourceTypeElasticIp, "Name", "web")}))
	second := must[*awsec2.AllocateAddressOutput](t)(c.AllocateAddress(ctx, &awsec2.AllocateAddressInput{}))
	if first.Domain != types.DomainTypeVpc || aws.ToString(first.PublicIp) == aws.ToString(second.PublicIp) ||
		aws.ToString(first.NetworkBorderGroup) != "us-east-1" {
		t.Fatalf("allocated %+v and %+v", first, second)
	}
	_, err := c.AllocateAddress(ctx, &awsec2.AllocateAddressInput{Domain: types.DomainTypeStandard})
	localcloudtest.WantCode(t, err, "InvalidParameterValue")

	assoc := must[*awsec2.AssociateAddressOutput](t)(c.AssociateAddress(ctx, &awsec2.AssociateAddressInput{
		AllocationId: first.AllocationId, InstanceId: aws.String(instance)}))
	described := must[*awsec2.DescribeInstancesOutput](t)(c.DescribeInstances(ctx, &awsec2.DescribeInstancesInput{InstanceIds: []string{instance}}))
	if got := aws.ToString(described.Reservations[0].Instances[0].PublicIpAddress); got != aws.ToString(first.PublicIp) {
		t.Fatalf("instance's public address %q, want the Elastic IP %s", got, aws.ToString(first.PublicIp))
	}
	eni := aws.ToString(described.Reservations[0].Instances[0].NetworkInterfaces[0].NetworkInterfaceId)
	privateIP := aws.ToString(described.Reservations[0].Instances[0].PrivateIpAddress)

	_, err = c.AssociateAddress(ctx, &awsec2.AssociateAddressInput{AllocationId: first.AllocationId, InstanceId: aws.String(instance)})
	localcloudtest.WantCode(t, err, "Resource.AlreadyAssociated")

	for _, tc := range []struct {
		name    string
		ids     []string
		ips     []string
		filters []types.Filter
		want    int
		code    string
	}{
		{name: "all", want: 2},
		{name: "by allocation id", ids: []string{aws.ToString(first.AllocationId)}, want: 1},
		{name: "by public ip", ips: []string{aws.ToString(second.PublicIp)}, want: 1},
		{name: "instance-id", filters: []types.Filter{filter("instance-id", instance)}, want: 1},
		{name: "association-id", filters: []types.Filter{filter("association-id", aws.ToString(assoc.AssociationId))}, want: 1},
		{name: "network-interface-id", filters: []types.Filter{filter("network-interface-id", eni)}, want: 1},
		{name: "private-ip-address", filters: []types.Filter{filter("private-ip-address", privateIP)}, want: 1},
		{name: "public-ip", filters: []types.Filter{filter("public-ip", aws.ToString(second.PublicIp))}, want: 1},
		{name: "network-border-group", filters: []types.Filter{filter("network-border-group", "us-east-1")}, want: 2},
		{name: "domain", filters: []types.Filter{filter("domain", "vpc")}, want: 2},
		{name: "tag", filters: []types.Filter{filter("tag:Name", "web")}, want: 1},
		{name: "tag-key", filters: []types.Filter{filter("tag-key", "Name")}, want: 1},
		{name: "unknown filter", filters: []types.Filter{filter("colour", "red")}, code: "InvalidParameterValue"},
		{name: "unknown allocation", ids: []string{"eipalloc-0123456789abcdef0"}, code: "InvalidAllocationID.NotFound"},
		{name: "unknown address", ips: []string{"192.0.2.1"}, code: "InvalidAddress.NotFound"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := c.DescribeAddresses(ctx, &awsec2.DescribeAddressesInput{AllocationIds: tc.ids, PublicIps: tc.ips, Filters: tc.filters})
			localcloudtest.WantCode(t, err, tc.code)
			if err == nil && len(out.Addresses) != tc.want {
				t.Fatalf("got %d addresses, want %d: %+v", len(out.Addresses), tc.want, out.Addresses)
			}
		})
	}

	// The interface's address moves to the second Elastic IP when asked.
	must[*awsec2.AssociateAddressOutput](t)(c.AssociateAddress(ctx, &awsec2.AssociateAddressInput{AllocationId: second.AllocationId, NetworkInterfaceId: aws.String(eni)}))
	moved := must[*awsec2.DescribeAddressesOutput](t)(c.DescribeAddresses(ctx, &awsec2.DescribeAddressesInput{AllocationIds: []string{aws.ToString(first.AllocationId)}}))
	if moved.Addresses[0].AssociationId != nil {
		t.Fatalf("the first address kept its association: %+v", moved.Addresses[0])
	}

	for _, tc := range []struct {
		name string
		in   *awsec2.ReleaseAddressInput
		code string
	}{
		{"in use outside the default VPC", &awsec2.ReleaseAddressInput{AllocationId: second.AllocationId}, "InvalidIPAddress.InUse"},
		{"unknown allocation", &awsec2.ReleaseAddressInput{AllocationId: aws.String("eipalloc-0123456789abcdef0")}, "InvalidAllocationID.NotFound"},
		{"someone else's address", &awsec2.ReleaseAddressInput{PublicIp: aws.String("192.0.2.1")}, "AuthFailure"},
		{"free", &awsec2.ReleaseAddressInput{AllocationId: first.AllocationId}, ""},
		{"released already", &awsec2.ReleaseAddressInput{AllocationId: first.AllocationId}, "InvalidAllocationID.NotFound"},
	} {
		t.Run("release "+tc.name, func(t *testing.T) {
			_, err := c.ReleaseAddress(ctx, tc.in)
			localcloudtest.WantCode(t, err, tc.code)
		})
	}
	_, err = c.DisassociateAddress(ctx, &awsec2.DisassociateAddressInput{AssociationId: aws.String("eipassoc-0123456789abcdef0")})
	localcloudtest.WantCode(t, err, "InvalidAssociationID.NotFound")

	// Terminating the instance lets its address go.
	must[*awsec2.TerminateInstancesOutput](t)(c.TerminateInstances(ctx, &awsec2.TerminateInstancesInput{InstanceIds: []string{instance}}))
	freed := must[*awsec2.DescribeAddressesOutput](t)(c.DescribeAddresses(ctx, &awsec2.DescribeAddressesInput{AllocationIds: []string{aws.ToString(second.AllocationId)}}))
	if freed.Addresses[0].AssociationId != nil || freed.Addresses[0].InstanceId != nil {
		t.Fatalf("a terminated instance kept its address: %+v", freed.Addresses[0])
	}
	must[*awsec2.ReleaseAddressOutput](t)(c.ReleaseAddress(ctx, &awsec2.ReleaseAddressInput{AllocationId: second.AllocationId}))

	// In the default VPC, releasing disassociates.
	defaultSubnets := must[*awsec2.DescribeSubnetsOutput](t)(c.DescribeSubnets(ctx, &awsec2.DescribeSubnetsInput{Filters: []types.Filter{filter("default-for-az", "true")}}))
	inDefault := runOne(t, c, aws.ToString(defaultSubnets.Subnets[0].SubnetId))
	third := must[*awsec2.AllocateAddressOutput](t)(c.AllocateAddress(ctx, &awsec2.AllocateAddressInput{}))
	must[*awsec2.AssociateAddressOutput](t)(c.AssociateAddress(ctx, &awsec2.AssociateAddressInput{AllocationId: third.AllocationId, InstanceId: aws.String(inDefault)}))
	must[*awsec2.ReleaseAddressOutput](t)(c.ReleaseAddress(ctx, &awsec2.ReleaseAddressInput{AllocationId: third.AllocationId}))
	left := must[*awsec2.DescribeAddressesOutput](t)(c.DescribeAddresses(ctx, &awsec2.DescribeAddressesInput{}))
	if len(left.Addresses) != 0 {
		t.Fatalf("addresses left: %+v", left.Addresses)
	}
}

func TestNatGateways(t *testing.T) {
	f := start(t)
	c := f.client
	vpcID, subnetID := network(t, c)
	eip := must[*awsec2.AllocateAddressOutput](t)(c.AllocateAddress(ctx, &awsec2.AllocateAddressInput{}))

	create := func(token string) (*awsec2.CreateNatGatewayOutput, error) {
		return c.CreateNatGateway(ctx, &awsec2.CreateNatGatewayInput{SubnetId: aws.String(subnetID), AllocationId: eip.AllocationId,
			ClientToken: aws.String(token), TagSpecifications: tagSpec(types.ResourceTypeNatgateway, "Name", "egress")})
	}
	created := must[*awsec2.CreateNatGatewayOutput](t)(create("nat-1"))
	nat := aws.ToString(created.NatGateway.NatGatewayId)
	if created.NatGateway.State != types.NatGatewayStatePending || aws.ToString(created.NatGateway.VpcId) != vpcID ||
		len(created.NatGateway.NatGatewayAddresses) != 1 || aws.ToString(created.NatGateway.NatGatewayAddresses[0].PublicIp) != aws.ToString(eip.PublicIp) {
		t.Fatalf("created: %+v", created.NatGateway)
	}
	again := must[*awsec2.CreateNatGatewayOutput](t)(create("nat-1"))
	if aws.ToString(again.NatGateway.NatGatewayId) != nat {
		t.Fatalf("the same client token made a second gateway %s", aws.ToString(again.NatGateway.NatGatewayId))
	}
	for _, tc := range []struct {
		name string
		in   *awsec2.CreateNatGatewayInput
		code string
	}{
		{"address in use", &awsec2.CreateNatGatewayInput{SubnetId: aws.String(subnetID), AllocationId: eip.AllocationId}, "Resource.AlreadyAssociated"},
		{"token with other parameters", &awsec2.CreateNatGatewayInput{SubnetId: aws.String(subnetID), AllocationId: eip.AllocationId,
			ClientToken: aws.String("nat-1")}, "IdempotentParameterMismatch"},
		{"unknown subnet", &awsec2.CreateNatGatewayInput{SubnetId: aws.String("subnet-0123456789abcdef0"), ConnectivityType: types.ConnectivityTypePrivate}, "InvalidSubnetID.NotFound"},
		{"unknown allocation", &awsec2.CreateNatGatewayInput{SubnetId: aws.String(subnetID), AllocationId: aws.String("eipalloc-0123456789abcdef0")}, "InvalidAllocationID.NotFound"},
		{"public without an address", &awsec2.CreateNatGatewayInput{SubnetId: aws.String(subnetID)}, "MissingParameter"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := c.CreateNatGateway(ctx, tc.in)
			localcloudtest.WantCode(t, err, tc.code)
		})
	}

	// The SDK's waiter sees pending, then available.
	waiter := awsec2.NewNatGatewayAvailableWaiter(c, func(o *awsec2.NatGatewayAvailableWaiterOptions) {
		o.MinDelay, o.MaxDelay = time.Millisecond, time.Millisecond
	})
	waited := must[*awsec2.DescribeNatGatewaysOutput](t)(waiter.WaitForOutput(ctx, &awsec2.DescribeNatGatewaysInput{NatGatewayIds: []string{nat}}, time.Minute))
	if waited.NatGateways[0].State != types.NatGatewayStateAvailable {
		t.Fatalf("after the waiter: %+v", waited.NatGateways[0])
	}
	addresses := must[*awsec2.DescribeAddressesOutput](t)(c.DescribeAddresses(ctx, &awsec2.DescribeAddressesInput{AllocationIds: []string{aws.ToString(eip.AllocationId)}}))
	if aws.ToString(addresses.Addresses[0].NetworkInterfaceId) != aws.ToString(waited.NatGateways[0].NatGatewayAddresses[0].NetworkInterfaceId) {
		t.Fatalf("the address is not the gateway's: %+v", addresses.Addresses[0])
	}
	interfaces := must[*awsec2.DescribeNetworkInterfacesOutput](t)(c.DescribeNetworkInterfaces(ctx, &awsec2.DescribeNetworkInterfacesInput{
		Filters: []types.Filter{filter("interface-type", "nat_gateway")}}))
	if len(interfaces.NetworkInterfaces) != 1 || !aws.ToBool(interfaces.NetworkInterfaces[0].RequesterManaged) {
		t.Fatalf("the gateway's interface: %+v", interfaces.NetworkInterfaces)
	}

	// A private one needs no address; filters pick them apart.
	private := must[*awsec2.CreateNatGatewayOutput](t)(c.CreateNatGateway(ctx, &awsec2.CreateNatGatewayInput{SubnetId: aws.String(subnetID),
		ConnectivityType: types.ConnectivityTypePrivate}))
	for _, tc := range []struct {
		name    string
		ids     []string
		filters []types.Filter
		want    int
		code    string
	}{
		// The private one is pending until a Describe has shown it so.
		{name: "pending", filters: []types.Filter{filter("state", "pending")}, want: 1},
		{name: "all", want: 2},
		{name: "by id", ids: []string{nat}, want: 1},
		{name: "vpc-id", filters: []types.Filter{filter("vpc-id", vpcID)}, want: 2},
		{name: "subnet-id", filters: []types.Filter{filter("subnet-id", subnetID)}, want: 2},
		{name: "available", filters: []types.Filter{filter("state", "available")}, want: 2},
		{name: "nat-gateway-id", filters: []types.Filter{filter("nat-gateway-id", aws.ToString(private.NatGateway.NatGatewayId))}, want: 1},
		{name: "tag", filters: []types.Filter{filter("tag:Name", "egress")}, want: 1},
		{name: "unknown filter", filters: []types.Filter{filter("colour", "red")}, code: "InvalidParameterValue"},
		{name: "unknown id", ids: []string{"nat-0123456789abcdef0"}, code: "NatGatewayNotFound"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := c.DescribeNatGateways(ctx, &awsec2.DescribeNatGatewaysInput{NatGatewayIds: tc.ids, Filter: tc.filters})
			localcloudtest.WantCode(t, err, tc.code)
			if err == nil && len(out.NatGateways) != tc.want {
				t.Fatalf("got %d gateways, want %d", len(out.NatGateways), tc.want)
			}
		})
	}

	// A route may send traffic to it; its subnet cannot go while it lives.
	rtb := must[*awsec2.CreateRouteTableOutput](t)(c.CreateRouteTable(ctx, &awsec2.CreateRouteTableInput{VpcId: aws.String(vpcID)}))
	must[*awsec2.CreateRouteOutput](t)(c.CreateRoute(ctx, &awsec2.CreateRouteInput{RouteTableId: rtb.RouteTable.RouteTableId,
		DestinationCidrBlock: aws.String("0.0.0.0/0"), NatGatewayId: aws.String(nat)}))
	_, err := c.CreateRoute(ctx, &awsec2.CreateRouteInput{RouteTableId: rtb.RouteTable.RouteTableId,
		DestinationCidrBlock: aws.String("192.0.2.0/24"), NatGatewayId: aws.String("nat-0123456789abcdef0")})
	localcloudtest.WantCode(t, err, "NatGatewayNotFound")
	_, err = c.DeleteSubnet(ctx, &awsec2.DeleteSubnetInput{SubnetId: aws.String(subnetID)})
	localcloudtest.WantCode(t, err, "DependencyViolation")
	_, err = c.ReleaseAddress(ctx, &awsec2.ReleaseAddressInput{AllocationId: eip.AllocationId})
	localcloudtest.WantCode(t, err, "InvalidIPAddress.InUse")

	// Deleting: deleting, then deleted; the address and subnet are free.
	deleted := must[*awsec2.DeleteNatGatewayOutput](t)(c.DeleteNatGateway(ctx, &awsec2.DeleteNatGatewayInput{NatGatewayId: aws.String(nat)}))
	if aws.ToString(deleted.NatGatewayId) != nat {
		t.Fatalf("DeleteNatGateway answered %+v", deleted)
	}
	deleteWaiter := awsec2.NewNatGatewayDeletedWaiter(c, func(o *awsec2.NatGatewayDeletedWaiterOptions) {
		o.MinDelay, o.MaxDelay = time.Millisecond, time.Millisecond
	})
	if err := deleteWaiter.Wait(ctx, &awsec2.DescribeNatGatewaysInput{NatGatewayIds: []string{nat}}, time.Minute); err != nil {
		t.Fatalf("waiting for deleted: %v", err)
	}
	gone := must[*awsec2.DescribeNatGatewaysOutput](t)(c.DescribeNatGateways(ctx, &awsec2.DescribeNatGatewaysInput{NatGatewayIds: []string{nat}}))
	if gone.NatGateways[0].State != types.NatGatewayStateDeleted || gone.NatGateways[0].DeleteTime == nil {
		t.Fatalf("deleted gateway: %+v", gone.NatGateways[0])
	}
	must[*awsec2.DeleteNatGatewayOutput](t)(c.DeleteNatGateway(ctx, &awsec2.DeleteNatGatewayInput{NatGatewayId: private.NatGateway.NatGatewayId}))
	must[*awsec2.ReleaseAddressOutput](t)(c.ReleaseAddress(ctx, &awsec2.ReleaseAddressInput{AllocationId: eip.AllocationId}))
	must[*awsec2.DeleteSubnetOutput](t)(c.DeleteSubnet(ctx, &awsec2.DeleteSubnetInput{SubnetId: aws.String(subnetID)}))

	// Deleted gateways fade after an hour.
	f.backend.SetClock(func() time.Time { return time.Now().Add(2 * time.Hour) })
	_, err = c.DescribeNatGateways(ctx, &awsec2.DescribeNatGatewaysInput{NatGatewayIds: []string{nat}})
	localcloudtest.WantCode(t, err, "NatGatewayNotFound")
}

func TestNetworkInterfaces(t *testing.T) {
	f := start(t)
	c := f.client
	vpcID, subnetID := network(t, c)
	group := createGroup(t, c, vpcID, "eni")
	created := must[*awsec2.CreateNetworkInterfaceOutput](t)(c.CreateNetworkInterface(ctx, &awsec2.CreateNetworkInterfaceInput{
		SubnetId: aws.String(subnetID), Description: aws.String("extra"), Groups: []string{group},
		TagSpecifications: tagSpec(types.ResourceTypeNetworkInterface, "Name", "extra")}))
	eni := aws.ToString(created.NetworkInterface.NetworkInterfaceId)
	if aws.ToString(created.NetworkInterface.PrivateIpAddress) != "10.0.1.4" || aws.ToString(created.NetworkInterface.VpcId) != vpcID {
		t.Fatalf("created: %+v", created.NetworkInterface)
	}
	instance := runOne(t, c, subnetID)
	described := must[*awsec2.DescribeInstancesOutput](t)(c.DescribeInstances(ctx, &awsec2.DescribeInstancesInput{InstanceIds: []string{instance}}))
	if ip := aws.ToString(described.Reservations[0].Instances[0].PrivateIpAddress); ip != "10.0.1.5" {
		t.Fatalf("the instance took %s, which the interface holds", ip)
	}

	_, err := c.DeleteSecurityGroup(ctx, &awsec2.DeleteSecurityGroupInput{GroupId: aws.String(group)})
	localcloudtest.WantCode(t, err, "DependencyViolation")
	attached := must[*awsec2.AttachNetworkInterfaceOutput](t)(c.AttachNetworkInterface(ctx, &awsec2.AttachNetworkInterfaceInput{
		NetworkInterfaceId: aws.String(eni), InstanceId: aws.String(instance), DeviceIndex: aws.Int32(1)}))
	_, err = c.DeleteNetworkInterface(ctx, &awsec2.DeleteNetworkInterfaceInput{NetworkInterfaceId: aws.String(eni)})
	localcloudtest.WantCode(t, err, "InvalidNetworkInterface.InUse")
	must[*awsec2.ModifyNetworkInterfaceAttributeOutput](t)(c.ModifyNetworkInterfaceAttribute(ctx, &awsec2.ModifyNetworkInterfaceAttributeInput{
		NetworkInterfaceId: aws.String(eni), SourceDestCheck: &types.AttributeBooleanValue{Value: aws.Bool(false)}}))

	for _, tc := range []struct {
		name    string
		ids     []string
		filters []types.Filter
		want    int
		code    string
	}{
		{name: "all", want: 2}, // the instance's primary one too
		{name: "by id", ids: []string{eni}, want: 1},
		{name: "attachment.instance-id", filters: []types.Filter{filter("attachment.instance-id", instance)}, want: 2},
		{name: "attachment.device-index", filters: []types.Filter{filter("attachment.device-index", "1")}, want: 1},
		{name: "group-id", filters: []types.Filter{filter("group-id", group)}, want: 1},
		{name: "status", filters: []types.Filter{filter("status", "in-use")}, want: 2},
		{name: "description", filters: []types.Filter{filter("description", "ext*")}, want: 1},
		{name: "source-dest-check", filters: []types.Filter{filter("source-dest-check", "false")}, want: 1},
		{name: "private-ip-address", filters: []types.Filter{filter("private-ip-address", "10.0.1.4")}, want: 1},
		{name: "availability-zone-id", filters: []types.Filter{filter("availability-zone-id", "use1-az1")}, want: 2},
		{name: "tag", filters: []types.Filter{filter("tag:Name", "extra")}, want: 1},
		{name: "unknown filter", filters: []types.Filter{filter("colour", "red")}, code: "InvalidParameterValue"},
		{name: "unknown id", ids: []string{"eni-0123456789abcdef0"}, code: "InvalidNetworkInterfaceID.NotFound"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := c.DescribeNetworkInterfaces(ctx, &awsec2.DescribeNetworkInterfacesInput{NetworkInterfaceIds: tc.ids, Filters: tc.filters})
			localcloudtest.WantCode(t, err, tc.code)
			if err == nil && len(out.NetworkInterfaces) != tc.want {
				t.Fatalf("got %d interfaces, want %d", len(out.NetworkInterfaces), tc.want)
			}
		})
	}

	must[*awsec2.DetachNetworkInterfaceOutput](t)(c.DetachNetworkInterface(ctx, &awsec2.DetachNetworkInterfaceInput{AttachmentId: attached.AttachmentId}))
	_, err = c.DetachNetworkInterface(ctx, &awsec2.DetachNetworkInterfaceInput{AttachmentId: attached.AttachmentId})
	localcloudtest.WantCode(t, err, "InvalidAttachmentID.NotFound")
	must[*awsec2.DeleteNetworkInterfaceOutput](t)(c.DeleteNetworkInterface(ctx, &awsec2.DeleteNetworkInterfaceInput{NetworkInterfaceId: aws.String(eni)}))
	_, err = c.DeleteNetworkInterface(ctx, &awsec2.DeleteNetworkInterfaceInput{NetworkInterfaceId: aws.String(eni)})
	localcloudtest.WantCode(t, err, "InvalidNetworkInterfaceID.NotFound")
	must[*awsec2.TerminateInstancesOutput](t)(c.TerminateInstances(ctx, &awsec2.TerminateInstancesInput{InstanceIds: []string{instance}}))
	must[*awsec2.DeleteSecurityGroupOutput](t)(c.DeleteSecurityGroup(ctx, &awsec2.DeleteSecurityGroupInput{GroupId: aws.String(group)}))
}
