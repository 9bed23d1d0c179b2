package teardown

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/berthdev/berth/internal/awsres"
	"github.com/berthdev/berth/internal/engine"
)

// ec2Kind finds the stack's EC2 objects of one DescribeTags resource type.
// One DescribeTags call (paged) finds every type at once.
func ec2Kind(resourceType string) func(context.Context, *finder) ([]Resource, error) {
	return func(ctx context.Context, f *finder) ([]Resource, error) {
		if f.ec2 == nil {
			f.ec2 = map[string][]Resource{}
			pages := ec2.NewDescribeTagsPaginator(f.c.EC2, &ec2.DescribeTagsInput{Filters: []ec2types.Filter{
				{Name: aws.String("key"), Values: []string{awsres.TagStack}},
				{Name: aws.String("value"), Values: []string{f.stack}},
			}})
			ids := map[string]*Resource{}
			for pages.HasMorePages() {
				page, err := pages.NextPage(ctx)
				if err != nil {
					return nil, fmt.Errorf("describe tags: %w", err)
				}
				for _, t := range page.Tags {
					id := aws.ToString(t.ResourceId)
					if ids[id] == nil {
						ids[id] = &Resource{ID: id}
						f.ec2[string(t.ResourceType)] = append(f.ec2[string(t.ResourceType)], Resource{ID: id})
					}
				}
			}
			if err := f.ec2Addresses(ctx); err != nil {
				return nil, err
			}
		}
		found := f.ec2[resourceType]
		switch resourceType {
		case "instance":
			return f.liveInstances(ctx, found)
		case "natgateway":
			return f.liveNATGateways(ctx, found)
		}
		return found, nil
	}
}

// ec2Addresses fills in the berth:resource tag of each EC2 object, for
// the listing.
func (f *finder) ec2Addresses(ctx context.Context) error {
	pages := ec2.NewDescribeTagsPaginator(f.c.EC2, &ec2.DescribeTagsInput{Filters: []ec2types.Filter{
		{Name: aws.String("key"), Values: []string{awsres.TagResource}},
	}})
	addr := map[string]string{}
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("describe tags: %w", err)
		}
		for _, t := range page.Tags {
			addr[aws.ToString(t.ResourceId)] = aws.ToString(t.Value)
		}
	}
	for _, list := range f.ec2 {
		for i := range list {
			list[i].Addr = addr[list[i].ID]
		}
	}
	return nil
}

// liveInstances drops terminated instances, which keep their tags for a
// while on AWS but are gone.
func (f *finder) liveInstances(ctx context.Context, found []Resource) ([]Resource, error) {
	if len(found) == 0 {
		return nil, nil
	}
	var live []Resource
	byID := map[string]Resource{}
	var ids []string
	for _, r := range found {
		byID[r.ID] = r
		ids = append(ids, r.ID)
	}
	out, err := f.c.EC2.DescribeInstances(ctx, &ec2.DescribeInstancesInput{InstanceIds: ids})
	if err != nil {
		if engine.HasCode(err, "InvalidInstanceID.NotFound") {
			return nil, nil
		}
		return nil, fmt.Errorf("describe instances: %w", err)
	}
	for _, res := range out.Reservations {
		for _, in := range res.Instances {
			if in.State != nil && in.State.Name != ec2types.InstanceStateNameTerminated {
				live = append(live, byID[aws.ToString(in.InstanceId)])
			}
		}
	}
	return live, nil
}

// liveNATGateways drops deleted NAT gateways, which AWS keeps listing
// (with their tags) for about an hour.
func (f *finder) liveNATGateways(ctx context.Context, found []Resource) ([]Resource, error) {
	var live []Resource
	for _, r := range found {
		out, err := f.c.EC2.DescribeNatGateways(ctx, &ec2.DescribeNatGatewaysInput{NatGatewayIds: []string{r.ID}})
		if engine.HasCode(err, "NatGatewayNotFound", "InvalidNatGatewayID.NotFound") {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("describe NAT gateway %s: %w", r.ID, err)
		}
		for _, g := range out.NatGateways {
			if g.State != ec2types.NatGatewayStateDeleted && g.State != ec2types.NatGatewayStateDeleting {
				live = append(live, r)
			}
		}
	}
	return live, nil
}

func terminateInstance(ctx context.Context, c *engine.Clients, r Resource) error {
	_, err := c.EC2.TerminateInstances(ctx, &ec2.TerminateInstancesInput{InstanceIds: []string{r.ID}})
	if !gone(err, "InvalidInstanceID.NotFound") {
		return err
	}
	return engine.WaitUntil(ctx, engine.DefaultBackoff, "instance "+r.ID+" to terminate", func() (bool, string, error) {
		out, err := c.EC2.DescribeInstances(ctx, &ec2.DescribeInstancesInput{InstanceIds: []string{r.ID}})
		if engine.HasCode(err, "InvalidInstanceID.NotFound") {
			return true, "", nil
		}
		if err != nil {
			return false, "", err
		}
		for _, res := range out.Reservations {
			for _, in := range res.Instances {
				if in.State != nil && in.State.Name != ec2types.InstanceStateNameTerminated {
					return false, string(in.State.Name), nil
				}
			}
		}
		return true, "", nil
	})
}

// findVPCInterfaces stands for the network interfaces left in the stack's
// VPCs: tasks' and load balancers' ENIs go some time after their owner, and
// security groups and subnets cannot be deleted until they have.
func findVPCInterfaces(ctx context.Context, f *finder) ([]Resource, error) {
	vpcs, err := ec2Kind("vpc")(ctx, f)
	if err != nil {
		return nil, err
	}
	var found []Resource
	for _, vpc := range vpcs {
		found = append(found, Resource{ID: vpc.ID, Parent: vpc.ID})
	}
	return found, nil
}

// deleteVPCInterfaces deletes the VPC's detached interfaces and waits for
// the attached ones to go with their owners.
func deleteVPCInterfaces(ctx context.Context, c *engine.Clients, r Resource) error {
	return engine.WaitUntil(ctx, engine.DefaultBackoff, "network interfaces in "+r.ID+" to go", func() (bool, string, error) {
		out, err := c.EC2.DescribeNetworkInterfaces(ctx, &ec2.DescribeNetworkInterfacesInput{Filters: []ec2types.Filter{
			{Name: aws.String("vpc-id"), Values: []string{r.ID}},
		}})
		if err != nil {
			return false, "", err
		}
		left := 0
		for _, eni := range out.NetworkInterfaces {
			if eni.Status != ec2types.NetworkInterfaceStatusAvailable {
				left++
				continue
			}
			_, err := c.EC2.DeleteNetworkInterface(ctx, &ec2.DeleteNetworkInterfaceInput{NetworkInterfaceId: eni.NetworkInterfaceId})
			if !gone(err, "InvalidNetworkInterfaceID.NotFound") {
				left++
			}
		}
		return left == 0, fmt.Sprintf("%d left", left), nil
	})
}

// revokeRule removes a tagged rule first, so that groups that refer to each
// other (the ALB's egress to the service, the service's ingress from the
// ALB) can be deleted in any order.
func revokeRule(ctx context.Context, c *engine.Clients, r Resource) error {
	out, err := c.EC2.DescribeSecurityGroupRules(ctx, &ec2.DescribeSecurityGroupRulesInput{SecurityGroupRuleIds: []string{r.ID}})
	if gone(err, "InvalidSecurityGroupRuleId.NotFound", "InvalidGroup.NotFound") && (out == nil || len(out.SecurityGroupRules) == 0) {
		return nil
	}
	if err != nil {
		return err
	}
	rule := out.SecurityGroupRules[0]
	if aws.ToBool(rule.IsEgress) {
		_, err = c.EC2.RevokeSecurityGroupEgress(ctx, &ec2.RevokeSecurityGroupEgressInput{GroupId: rule.GroupId, SecurityGroupRuleIds: []string{r.ID}})
	} else {
		_, err = c.EC2.RevokeSecurityGroupIngress(ctx, &ec2.RevokeSecurityGroupIngressInput{GroupId: rule.GroupId, SecurityGroupRuleIds: []string{r.ID}})
	}
	if gone(err, "InvalidSecurityGroupRuleId.NotFound", "InvalidGroup.NotFound", "InvalidPermission.NotFound") {
		return nil
	}
	return err
}
