package awsres

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	aas "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling"
	aastypes "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling/types"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/berthdev/berth/internal/engine"
)

// The one way to delete each kind of AWS object berth creates, by its id,
// ARN or name. Both callers go through here: the engine's Delete methods (a
// resource gone from berth.yaml, or replaced) and teardown (berth destroy,
// which finds the stack's objects by tag). Each function counts "already
// gone" as done, waits out AWS's "still in use" answers, reads what it must
// detach first rather than trusting an earlier observation, and, where a
// later deletion depends on the object being gone (a load balancer's target
// groups, a NAT gateway's address), returns only once it is.

// DeleteAutoScalingGroup lifts scale-in protection (managed termination
// protection sets it on every instance, and it blocks the deletion),
// force-deletes the group and waits until it and its instances are gone:
// the launch template, security groups and subnets cannot go before.
func DeleteAutoScalingGroup(ctx context.Context, c *engine.Clients, name string) error {
	if err := unprotectInstances(ctx, c, name); err != nil {
		return err
	}
	err := retryWhile(ctx, dependencyTimeout, "delete auto scaling group "+name, func(err error) bool {
		return hasCode(err, "ScalingActivityInProgress", "ResourceInUse")
	}, func() error {
		_, err := c.AutoScaling.DeleteAutoScalingGroup(ctx, &autoscaling.DeleteAutoScalingGroupInput{
			AutoScalingGroupName: aws.String(name), ForceDelete: aws.Bool(true),
		})
		return err
	})
	if err != nil && !isGroupNotFound(err) {
		return err
	}
	return waitUntil(ctx, instanceTimeout, "auto scaling group "+name+" to go away", func() (bool, string, error) {
		out, err := c.AutoScaling.DescribeAutoScalingGroups(ctx, &autoscaling.DescribeAutoScalingGroupsInput{AutoScalingGroupNames: []string{name}})
		if err != nil {
			return false, "", err
		}
		if len(out.AutoScalingGroups) == 0 {
			return true, "", nil
		}
		group := out.AutoScalingGroups[0]
		return false, fmt.Sprintf("%s, %d instances left", aws.ToString(group.Status), len(group.Instances)), nil
	})
}

// isGroupNotFound: Auto Scaling answers a missing group with a
// ValidationError whose message says so.
func isGroupNotFound(err error) bool {
	return hasCode(err, "ValidationError") && strings.Contains(err.Error(), "not found")
}

// DeleteService scales the service to zero, deletes it and waits until it
// is INACTIVE: its tasks have stopped and their ENIs are going.
func DeleteService(ctx context.Context, c *engine.Clients, cluster, name string) error {
	gone := func(err error) bool { return isECSNotFound(err) || hasCode(err, "ServiceNotActiveException") }
	_, err := c.ECS.UpdateService(ctx, &ecs.UpdateServiceInput{Cluster: aws.String(cluster), Service: aws.String(name), DesiredCount: aws.Int32(0)})
	if err != nil && !gone(err) {
		return fmt.Errorf("scale service %s to zero: %w", name, err)
	}
	_, err = c.ECS.DeleteService(ctx, &ecs.DeleteServiceInput{Cluster: aws.String(cluster), Service: aws.String(name), Force: aws.Bool(true)})
	if err != nil && !gone(err) {
		return fmt.Errorf("delete service %s: %w", name, err)
	}
	return waitUntil(ctx, serviceDrainTimeout, "service "+name+" to stop", func() (bool, string, error) {
		out, err := c.ECS.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String(cluster), Services: []string{name}})
		if isECSNotFound(err) {
			return true, "", nil
		}
		if err != nil {
			return false, "", err
		}
		for _, s := range out.Services {
			if status := aws.ToString(s.Status); status != "INACTIVE" {
				return false, fmt.Sprintf("%s, %d tasks running", status, s.RunningCount), nil
			}
		}
		return true, "", nil
	})
}

// DetachCapacityProviders empties the cluster's capacity providers; ECS
// refuses while a service still uses one, which the service's own deletion
// resolves.
func DetachCapacityProviders(ctx context.Context, c *engine.Clients, cluster string) error {
	err := retryWhile(ctx, dependencyTimeout, "detach capacity providers from "+cluster, isECSUpdateInProgress, func() error {
		_, err := c.ECS.PutClusterCapacityProviders(ctx, &ecs.PutClusterCapacityProvidersInput{
			Cluster: aws.String(cluster), CapacityProviders: []string{},
			DefaultCapacityProviderStrategy: []ecstypes.CapacityProviderStrategyItem{},
		})
		return err
	})
	if err != nil && !isECSNotFound(err) {
		return err
	}
	return nil
}

// DeleteCapacityProvider deletes it once no cluster uses it and waits until
// it is gone: its Auto Scaling group is in use until then.
func DeleteCapacityProvider(ctx context.Context, c *engine.Clients, name string) error {
	err := retryWhile(ctx, dependencyTimeout, "delete capacity provider "+name, func(err error) bool {
		return hasCode(err, "ResourceInUseException", "UpdateInProgressException")
	}, func() error {
		_, err := c.ECS.DeleteCapacityProvider(ctx, &ecs.DeleteCapacityProviderInput{CapacityProvider: aws.String(name)})
		return err
	})
	if err != nil && !isECSNotFound(err) {
		return err
	}
	return waitUntil(ctx, dependencyTimeout, "capacity provider "+name+" to go away", func() (bool, string, error) {
		observed, err := (&CapacityProvider{Name: name}).Observe(ctx, c, nil)
		return observed == nil, "deleting", err
	})
}

// DeleteCluster deregisters what is left of its container instances (their
// EC2 instances went with the Auto Scaling group, but ECS keeps them a
// while) and deletes it once its services and tasks are gone.
func DeleteCluster(ctx context.Context, c *engine.Clients, name string) error {
	pages := ecs.NewListContainerInstancesPaginator(c.ECS, &ecs.ListContainerInstancesInput{Cluster: aws.String(name)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if isECSNotFound(err) {
			return nil
		}
		if err != nil {
			return err
		}
		for _, arn := range page.ContainerInstanceArns {
			_, err := c.ECS.DeregisterContainerInstance(ctx, &ecs.DeregisterContainerInstanceInput{Cluster: aws.String(name), ContainerInstance: aws.String(arn), Force: aws.Bool(true)})
			if err != nil && !hasCode(err, "InvalidParameterException") {
				return fmt.Errorf("deregister container instance %s: %w", arn, err)
			}
		}
	}
	err := retryWhile(ctx, dependencyTimeout, "delete cluster "+name, func(err error) bool {
		return hasCode(err, "ClusterContainsServicesException", "ClusterContainsTasksException",
			"ClusterContainsContainerInstancesException", "ClusterContainsCapacityProviderException",
			"UpdateInProgressException", "ResourceInUseException")
	}, func() error {
		_, err := c.ECS.DeleteCluster(ctx, &ecs.DeleteClusterInput{Cluster: aws.String(name)})
		return err
	})
	if err != nil && !hasCode(err, "ClusterNotFoundException") {
		return err
	}
	return nil
}

// DeleteLoadBalancer deletes it with its listeners and waits until it is
// gone: its target groups are in use until then.
func DeleteLoadBalancer(ctx context.Context, c *engine.Clients, arn string) error {
	_, err := c.ELB.DeleteLoadBalancer(ctx, &elb.DeleteLoadBalancerInput{LoadBalancerArn: aws.String(arn)})
	if err != nil && !hasCode(err, "LoadBalancerNotFound") {
		return fmt.Errorf("delete load balancer %s: %w", arn, err)
	}
	return waitUntil(ctx, dependencyTimeout, "load balancer "+arn+" to go away", func() (bool, string, error) {
		_, err := c.ELB.DescribeLoadBalancers(ctx, &elb.DescribeLoadBalancersInput{LoadBalancerArns: []string{arn}})
		if hasCode(err, "LoadBalancerNotFound") {
			return true, "", nil
		}
		return false, "deleting", err
	})
}

// DeleteTargetGroup waits while a listener or rule still forwards to it.
func DeleteTargetGroup(ctx context.Context, c *engine.Clients, arn string) error {
	err := retryWhile(ctx, dependencyTimeout, "delete target group "+arn, func(err error) bool {
		return hasCode(err, "ResourceInUse")
	}, func() error {
		_, err := c.ELB.DeleteTargetGroup(ctx, &elb.DeleteTargetGroupInput{TargetGroupArn: aws.String(arn)})
		return err
	})
	if err != nil && !hasCode(err, "TargetGroupNotFound") {
		return err
	}
	return nil
}

// DeleteRole removes what keeps a role — its attached and inline policies,
// and its place in instance profiles (one left over from an interrupted
// destroy must not block this one) — then the role.
func DeleteRole(ctx context.Context, c *engine.Clients, name string) error {
	attached := iam.NewListAttachedRolePoliciesPaginator(c.IAM, &iam.ListAttachedRolePoliciesInput{RoleName: aws.String(name)})
	for attached.HasMorePages() {
		page, err := attached.NextPage(ctx)
		if hasCode(err, "NoSuchEntity") {
			return nil
		}
		if err != nil {
			return fmt.Errorf("list policies of role %s: %w", name, err)
		}
		for _, p := range page.AttachedPolicies {
			_, err := c.IAM.DetachRolePolicy(ctx, &iam.DetachRolePolicyInput{RoleName: aws.String(name), PolicyArn: p.PolicyArn})
			if err != nil && !hasCode(err, "NoSuchEntity") {
				return fmt.Errorf("detach %s from role %s: %w", aws.ToString(p.PolicyArn), name, err)
			}
		}
	}
	inline := iam.NewListRolePoliciesPaginator(c.IAM, &iam.ListRolePoliciesInput{RoleName: aws.String(name)})
	for inline.HasMorePages() {
		page, err := inline.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("list inline policies of role %s: %w", name, err)
		}
		for _, policy := range page.PolicyNames {
			_, err := c.IAM.DeleteRolePolicy(ctx, &iam.DeleteRolePolicyInput{RoleName: aws.String(name), PolicyName: aws.String(policy)})
			if err != nil && !hasCode(err, "NoSuchEntity") {
				return fmt.Errorf("delete policy %s of role %s: %w", policy, name, err)
			}
		}
	}
	profiles := iam.NewListInstanceProfilesForRolePaginator(c.IAM, &iam.ListInstanceProfilesForRoleInput{RoleName: aws.String(name)})
	for profiles.HasMorePages() {
		page, err := profiles.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("list instance profiles of role %s: %w", name, err)
		}
		for _, p := range page.InstanceProfiles {
			_, err := c.IAM.RemoveRoleFromInstanceProfile(ctx, &iam.RemoveRoleFromInstanceProfileInput{RoleName: aws.String(name), InstanceProfileName: p.InstanceProfileName})
			if err != nil && !hasCode(err, "NoSuchEntity") {
				return fmt.Errorf("remove role %s from %s: %w", name, aws.ToString(p.InstanceProfileName), err)
			}
		}
	}
	err := retryWhile(ctx, dependencyTimeout, "delete role "+name, func(err error) bool { return hasCode(err, "DeleteConflict") }, func() error {
		_, err := c.IAM.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String(name)})
		return err
	})
	if err != nil && !hasCode(err, "NoSuchEntity") {
		return err
	}
	return nil
}

// DeleteInstanceProfile takes its roles out of it, then deletes it.
func DeleteInstanceProfile(ctx context.Context, c *engine.Clients, name string) error {
	out, err := c.IAM.GetInstanceProfile(ctx, &iam.GetInstanceProfileInput{InstanceProfileName: aws.String(name)})
	if hasCode(err, "NoSuchEntity") {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read instance profile %s: %w", name, err)
	}
	for _, role := range out.InstanceProfile.Roles {
		_, err := c.IAM.RemoveRoleFromInstanceProfile(ctx, &iam.RemoveRoleFromInstanceProfileInput{InstanceProfileName: aws.String(name), RoleName: role.RoleName})
		if err != nil && !hasCode(err, "NoSuchEntity") {
			return fmt.Errorf("remove role %s from %s: %w", aws.ToString(role.RoleName), name, err)
		}
	}
	_, err = c.IAM.DeleteInstanceProfile(ctx, &iam.DeleteInstanceProfileInput{InstanceProfileName: aws.String(name)})
	if err != nil && !hasCode(err, "NoSuchEntity") {
		return fmt.Errorf("delete instance profile %s: %w", name, err)
	}
	return nil
}

func DeleteLogGroup(ctx context.Context, c *engine.Clients, name string) error {
	_, err := c.Logs.DeleteLogGroup(ctx, &cloudwatchlogs.DeleteLogGroupInput{LogGroupName: aws.String(name)})
	if err != nil && !hasCode(err, "ResourceNotFoundException") {
		return fmt.Errorf("delete log group %s: %w", name, err)
	}
	return nil
}

// DeleteRepository deletes it with its images: they were berth's builds.
func DeleteRepository(ctx context.Context, c *engine.Clients, name string) error {
	_, err := c.ECR.DeleteRepository(ctx, &ecr.DeleteRepositoryInput{RepositoryName: aws.String(name), Force: true})
	if err != nil && !hasCode(err, "RepositoryNotFoundException") {
		return fmt.Errorf("delete repository %s: %w", name, err)
	}
	return nil
}

// DeleteLaunchTemplate deletes it with all its versions.
func DeleteLaunchTemplate(ctx context.Context, c *engine.Clients, id string) error {
	_, err := c.EC2.DeleteLaunchTemplate(ctx, &ec2.DeleteLaunchTemplateInput{LaunchTemplateId: aws.String(id)})
	if err != nil && !hasCode(err, "InvalidLaunchTemplateId.NotFound", "InvalidLaunchTemplateId.Malformed", "InvalidLaunchTemplateName.NotFoundException") {
		return fmt.Errorf("delete launch template %s: %w", id, err)
	}
	return nil
}

// DeleteNATGateway waits until it is deleted: its address and network
// interface are released only then.
func DeleteNATGateway(ctx context.Context, c *engine.Clients, id string) error {
	notFound := func(err error) bool { return hasCode(err, "NatGatewayNotFound", "InvalidNatGatewayID.NotFound") }
	_, err := c.EC2.DeleteNatGateway(ctx, &ec2.DeleteNatGatewayInput{NatGatewayId: aws.String(id)})
	if notFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("delete nat gateway %s: %w", id, err)
	}
	return waitUntil(ctx, natTimeout, "nat gateway "+id+" to be deleted", func() (bool, string, error) {
		out, err := c.EC2.DescribeNatGateways(ctx, &ec2.DescribeNatGatewaysInput{NatGatewayIds: []string{id}})
		if notFound(err) {
			return true, "", nil
		}
		if err != nil {
			return false, "", err
		}
		for _, g := range out.NatGateways {
			if g.State != ec2types.NatGatewayStateDeleted {
				return false, string(g.State), nil
			}
		}
		return true, "", nil
	})
}

// ReleaseAddress waits while the address is still mapped: a NAT gateway's
// address is released some time after the gateway.
func ReleaseAddress(ctx context.Context, c *engine.Clients, allocationID string) error {
	err := retryWhile(ctx, dependencyTimeout, "release address "+allocationID, func(err error) bool {
		return hasCode(err, "InvalidIPAddress.InUse", "AuthFailure", "DependencyViolation")
	}, func() error {
		_, err := c.EC2.ReleaseAddress(ctx, &ec2.ReleaseAddressInput{AllocationId: aws.String(allocationID)})
		return err
	})
	if err != nil && !hasCode(err, "InvalidAllocationID.NotFound") {
		return err
	}
	return nil
}

// DeleteSecurityGroup waits while network interfaces of deleted load
// balancers and tasks keep the group busy after their owners are gone.
func DeleteSecurityGroup(ctx context.Context, c *engine.Clients, id string) error {
	err := retryWhile(ctx, dependencyTimeout, "delete security group "+id, isDependencyViolation, func() error {
		_, err := c.EC2.DeleteSecurityGroup(ctx, &ec2.DeleteSecurityGroupInput{GroupId: aws.String(id)})
		return err
	})
	if err != nil && !hasCode(err, "InvalidGroup.NotFound") {
		return err
	}
	return nil
}

// DeleteInternetGateway detaches it from its VPCs (which fails while the
// VPC still has public addresses mapped), then deletes it.
func DeleteInternetGateway(ctx context.Context, c *engine.Clients, id string) error {
	out, err := c.EC2.DescribeInternetGateways(ctx, &ec2.DescribeInternetGatewaysInput{InternetGatewayIds: []string{id}})
	if hasCode(err, "InvalidInternetGatewayID.NotFound") {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read internet gateway %s: %w", id, err)
	}
	for _, g := range out.InternetGateways {
		for _, a := range g.Attachments {
			if err := detachInternetGateway(ctx, c, id, aws.ToString(a.VpcId)); err != nil {
				return err
			}
		}
	}
	_, err = c.EC2.DeleteInternetGateway(ctx, &ec2.DeleteInternetGatewayInput{InternetGatewayId: aws.String(id)})
	if err != nil && !hasCode(err, "InvalidInternetGatewayID.NotFound") {
		return fmt.Errorf("delete internet gateway %s: %w", id, err)
	}
	return nil
}

func detachInternetGateway(ctx context.Context, c *engine.Clients, id, vpc string) error {
	err := retryWhile(ctx, dependencyTimeout, "detach internet gateway "+id, isDependencyViolation, func() error {
		_, err := c.EC2.DetachInternetGateway(ctx, &ec2.DetachInternetGatewayInput{InternetGatewayId: aws.String(id), VpcId: aws.String(vpc)})
		return err
	})
	if err != nil && !hasCode(err, "Gateway.NotAttached", "InvalidInternetGatewayID.NotFound") {
		return err
	}
	return nil
}

func DeleteSubnet(ctx context.Context, c *engine.Clients, id string) error {
	err := retryWhile(ctx, dependencyTimeout, "delete subnet "+id, isDependencyViolation, func() error {
		_, err := c.EC2.DeleteSubnet(ctx, &ec2.DeleteSubnetInput{SubnetId: aws.String(id)})
		return err
	})
	if err != nil && !hasCode(err, "InvalidSubnetID.NotFound") {
		return err
	}
	return nil
}

// DeleteRouteTable disassociates its subnets (the VPC's main association
// cannot be, and goes with the VPC), then deletes it.
func DeleteRouteTable(ctx context.Context, c *engine.Clients, id string) error {
	out, err := c.EC2.DescribeRouteTables(ctx, &ec2.DescribeRouteTablesInput{RouteTableIds: []string{id}})
	if hasCode(err, "InvalidRouteTableID.NotFound") {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read route table %s: %w", id, err)
	}
	for _, t := range out.RouteTables {
		for _, a := range t.Associations {
			if aws.ToBool(a.Main) {
				continue
			}
			_, err := c.EC2.DisassociateRouteTable(ctx, &ec2.DisassociateRouteTableInput{AssociationId: a.RouteTableAssociationId})
			if err != nil && !hasCode(err, "InvalidAssociationID.NotFound") {
				return fmt.Errorf("disassociate subnet %s from %s: %w", aws.ToString(a.SubnetId), id, err)
			}
		}
	}
	err = retryWhile(ctx, dependencyTimeout, "delete route table "+id, isDependencyViolation, func() error {
		_, err := c.EC2.DeleteRouteTable(ctx, &ec2.DeleteRouteTableInput{RouteTableId: aws.String(id)})
		return err
	})
	if err != nil && !hasCode(err, "InvalidRouteTableID.NotFound") {
		return err
	}
	return nil
}

func DeleteVPC(ctx context.Context, c *engine.Clients, id string) error {
	err := retryWhile(ctx, dependencyTimeout, "delete vpc "+id, isDependencyViolation, func() error {
		_, err := c.EC2.DeleteVpc(ctx, &ec2.DeleteVpcInput{VpcId: aws.String(id)})
		return err
	})
	if err != nil && !hasCode(err, "InvalidVpcID.NotFound") {
		return err
	}
	return nil
}

// DeregisterScalableTarget removes the target and, with it, its scaling
// policies and their alarms.
func DeregisterScalableTarget(ctx context.Context, c *engine.Clients, resourceID string, dimension aastypes.ScalableDimension) error {
	_, err := c.AppAutoScaling.DeregisterScalableTarget(ctx, &aas.DeregisterScalableTargetInput{
		ServiceNamespace: aastypes.ServiceNamespaceEcs, ResourceId: aws.String(resourceID), ScalableDimension: dimension,
	})
	if err != nil && !hasCode(err, "ObjectNotFoundException") {
		return fmt.Errorf("deregister scalable target %s: %w", resourceID, err)
	}
	return nil
}
