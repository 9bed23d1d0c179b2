package doctor

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/berthdev/berth/internal/engine"
	"github.com/berthdev/berth/internal/spec"
)

// Credentials asks STS who the caller is: every other AWS check needs an
// answer.
func Credentials(ctx context.Context, c *engine.Clients) Finding {
	f := Finding{Check: "credentials", Fix: "configure credentials: aws configure, aws sso login --profile P with --profile P, or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY"}
	out, err := c.STS.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		f.Detail = fmt.Sprintf("STS GetCallerIdentity failed: %v", err)
		return f
	}
	f.OK, f.Detail = true, fmt.Sprintf("account %s as %s", aws.ToString(out.Account), aws.ToString(out.Arn))
	return f
}

// AccountChecks are the account's checks for a deploy of s: the region,
// the quotas it reads cheaply and the default VPC.
func AccountChecks(c *engine.Clients, s *spec.Spec) []func(context.Context) Finding {
	return []func(context.Context) Finding{
		func(ctx context.Context) Finding { return checkRegion(ctx, c) },
		func(ctx context.Context) Finding { return checkLoadBalancerQuota(ctx, c) },
		func(ctx context.Context) Finding { return checkAddressQuota(ctx, c, s) },
		func(context.Context) Finding { return otherQuotas() },
		func(ctx context.Context) Finding { return checkDefaultVPC(ctx, c, s) },
	}
}

// otherQuotas says what is not checked: the Service Quotas API would
// need a client and a permission of its own for limits a first stack
// rarely reaches.
func otherQuotas() Finding {
	return warn("quota: others", "not checked: network interfaces per region (5,000), ECS services per cluster and tasks per service (5,000), vCPUs of on-demand instances",
		"aws service-quotas list-service-quotas --service-code ec2 (and ecs) shows them")
}

// checkRegion wants two available zones: the load balancer needs subnets
// in two.
func checkRegion(ctx context.Context, c *engine.Clients) Finding {
	f := Finding{Check: "region", Fix: "pick a region with at least two zones (region: in berth.yaml or --region), or opt in to it in the account's settings"}
	out, err := c.EC2.DescribeAvailabilityZones(ctx, &ec2.DescribeAvailabilityZonesInput{})
	if err != nil {
		f.Detail = fmt.Sprintf("%s: DescribeAvailabilityZones failed: %v", c.Region, err)
		return f
	}
	var zones []string
	for _, z := range out.AvailabilityZones {
		if z.State == ec2types.AvailabilityZoneStateAvailable {
			zones = append(zones, aws.ToString(z.ZoneName))
		}
	}
	f.Detail = fmt.Sprintf("%s, zones %s", c.Region, strings.Join(zones, ", "))
	f.OK = len(zones) >= 2
	return f
}

// checkLoadBalancerQuota compares the account's load balancers with its
// limit: the stack adds one.
func checkLoadBalancerQuota(ctx context.Context, c *engine.Clients) Finding {
	f := Finding{Check: "quota: application load balancers", Fix: "delete unused load balancers, or request more in Service Quotas (Elastic Load Balancing: Application Load Balancers per Region)"}
	limits, err := c.ELB.DescribeAccountLimits(ctx, &elb.DescribeAccountLimitsInput{})
	if err != nil {
		f.OK, f.Warn, f.Detail = true, true, fmt.Sprintf("cannot read the limit: %v", err)
		return f
	}
	limit := -1
	for _, l := range limits.Limits {
		if aws.ToString(l.Name) == "application-load-balancers" {
			fmt.Sscan(aws.ToString(l.Max), &limit)
		}
	}
	used := 0
	pages := elb.NewDescribeLoadBalancersPaginator(c.ELB, &elb.DescribeLoadBalancersInput{})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			f.OK, f.Warn, f.Detail = true, true, fmt.Sprintf("cannot count load balancers: %v", err)
			return f
		}
		used += len(page.LoadBalancers)
	}
	f.Detail = fmt.Sprintf("%d in use of %d", used, limit)
	f.OK = limit < 0 || used < limit
	return f
}

// checkAddressQuota: a new network's NAT gateways each take an Elastic IP
// (5 per region by default).
func checkAddressQuota(ctx context.Context, c *engine.Clients, s *spec.Spec) Finding {
	f := Finding{Check: "quota: elastic IP addresses", Fix: "release unused Elastic IPs, use nat: single, or request more in Service Quotas (EC2: EC2-VPC Elastic IPs)"}
	attrs, err := c.EC2.DescribeAccountAttributes(ctx, &ec2.DescribeAccountAttributesInput{AttributeNames: []ec2types.AccountAttributeName{"vpc-max-elastic-ips"}})
	addresses, err2 := c.EC2.DescribeAddresses(ctx, &ec2.DescribeAddressesInput{})
	if err := errors.Join(err, err2); err != nil {
		f.OK, f.Warn, f.Detail = true, true, fmt.Sprintf("cannot read the limit: %v", err)
		return f
	}
	limit := -1
	for _, a := range attrs.AccountAttributes {
		for _, v := range a.AttributeValues {
			fmt.Sscan(aws.ToString(v.AttributeValue), &limit)
		}
	}
	needed := 0
	if s != nil && s.Network.Mode == spec.NetworkNew {
		needed = 1
		if s.Network.NAT == spec.NATPerZone {
			needed = 2
		}
	}
	used := len(addresses.Addresses)
	f.Detail = fmt.Sprintf("%d in use of %d, the stack needs %d", used, limit, needed)
	f.OK = limit < 0 || used+needed <= limit
	return f
}

// checkDefaultVPC matters for network.mode default; for the others it is
// information.
func checkDefaultVPC(ctx context.Context, c *engine.Clients, s *spec.Spec) Finding {
	f := Finding{Check: "default VPC", Fix: "create one with aws ec2 create-default-vpc, or set network.mode: new"}
	vpcs, err := c.EC2.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{Filters: []ec2types.Filter{{Name: aws.String("is-default"), Values: []string{"true"}}}})
	if err != nil {
		f.Detail = fmt.Sprintf("DescribeVpcs failed: %v", err)
		return f
	}
	required := s != nil && s.Network.Mode == spec.NetworkDefault
	if len(vpcs.Vpcs) == 0 {
		f.Detail, f.OK, f.Warn = "none in "+c.Region, !required, !required
		return f
	}
	id := aws.ToString(vpcs.Vpcs[0].VpcId)
	subnets, err := c.EC2.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{Filters: []ec2types.Filter{{Name: aws.String("vpc-id"), Values: []string{id}}}})
	if err != nil {
		f.Detail = fmt.Sprintf("DescribeSubnets failed: %v", err)
		return f
	}
	zones := map[string]bool{}
	for _, sn := range subnets.Subnets {
		zones[aws.ToString(sn.AvailabilityZone)] = true
	}
	f.Detail = fmt.Sprintf("%s with %d subnets in %d zones", id, len(subnets.Subnets), len(zones))
	f.OK = !required || len(zones) >= 2
	if !f.OK {
		f.Fix = "add default subnets in a second zone: aws ec2 create-default-subnet --availability-zone Z"
	}
	return f
}
