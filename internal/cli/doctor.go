package cli

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/spf13/cobra"

	"github.com/berthdev/berth/internal/engine"
	"github.com/berthdev/berth/internal/localcloud/runtime"
	"github.com/berthdev/berth/internal/spec"
)

// doctorTimeout bounds each check: a check that hangs (an unreachable
// endpoint) is a finding, not a stuck command.
const doctorTimeout = 20 * time.Second

type doctorOptions struct {
	global *globalOptions
	io     IOStreams
	File   string
}

// NewDoctorCmd builds `berth doctor`: whether a deploy of berth.yaml can
// work from here, each finding with what to change.
func NewDoctorCmd(io IOStreams, global *globalOptions) *cobra.Command {
	opts := &doctorOptions{global: global, io: io}
	cmd := &cobra.Command{
		Use:   "doctor",
		Short: "Check credentials, region, quotas, the default VPC, Docker and local ports, each with a fix",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runDoctor(cmd.Context(), opts)
		},
	}
	addFileFlag(cmd, &opts.File)
	return cmd
}

// Finding is one check's result.
type Finding struct {
	Check string
	// OK is false when a deploy would fail for this reason.
	OK bool
	// Warn marks a finding that does not stop a deploy but may surprise.
	Warn   bool
	Detail string
	Fix    string
}

// errDoctorFindings is returned when a check failed, for the exit status.
var errDoctorFindings = errors.New("berth doctor found problems: fix them as shown above")

func runDoctor(ctx context.Context, opts *doctorOptions) error {
	s, err := spec.Load(opts.File)
	if err != nil {
		return err
	}
	cfg, err := loadAWSConfig(ctx, opts.global, s)
	var findings []Finding
	if err != nil {
		findings = append(findings, Finding{Check: "region", Detail: err.Error(), Fix: "set region: in berth.yaml, pass --region, or export AWS_REGION"})
	} else {
		findings = doctorChecks(ctx, cfg, s, endpointURL(opts.global))
	}
	failed := false
	for _, f := range findings {
		mark := "ok  "
		switch {
		case !f.OK:
			mark, failed = "FAIL", true
		case f.Warn:
			mark = "warn"
		}
		fmt.Fprintf(opts.io.Out, "%s  %s: %s\n", mark, f.Check, f.Detail)
		if f.Fix != "" && (!f.OK || f.Warn) {
			fmt.Fprintf(opts.io.Out, "      fix: %s\n", f.Fix)
		}
	}
	if failed {
		return errDoctorFindings
	}
	return nil
}

func doctorChecks(ctx context.Context, cfg aws.Config, s *spec.Spec, endpoint string) []Finding {
	// A diagnosis should answer quickly: one retry, not a deploy's ten.
	cfg.RetryMaxAttempts = 2
	c := engine.NewClients(cfg)
	credentials := checkCredentials(ctx, c)
	findings := []Finding{credentials}
	remote := []func(context.Context) Finding{
		func(ctx context.Context) Finding { return checkRegion(ctx, c) },
		func(ctx context.Context) Finding { return checkLoadBalancerQuota(ctx, c) },
		func(ctx context.Context) Finding { return checkAddressQuota(ctx, c, s) },
		func(ctx context.Context) Finding { return checkDefaultVPC(ctx, c, s) },
	}
	local := []func(context.Context) Finding{
		func(ctx context.Context) Finding { return checkDocker(ctx, s) },
		func(ctx context.Context) Finding { return checkLocalPort(ctx, endpoint) },
	}
	checks := local
	if credentials.OK {
		checks = append(remote, local...)
	} else {
		findings = append(findings, Finding{Check: "region, quotas, default VPC", OK: true, Warn: true,
			Detail: "not checked: they need the credentials above", Fix: "fix the credentials, then run berth doctor again"})
	}
	for _, check := range checks {
		ctx, cancel := context.WithTimeout(ctx, doctorTimeout)
		findings = append(findings, check(ctx))
		cancel()
	}
	return findings
}

func checkCredentials(ctx context.Context, c *engine.Clients) Finding {
	ctx, cancel := context.WithTimeout(ctx, doctorTimeout)
	defer cancel()
	f := Finding{Check: "credentials", Fix: "configure credentials: aws configure, aws sso login --profile P with --profile P, or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY"}
	out, err := c.STS.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		f.Detail = fmt.Sprintf("STS GetCallerIdentity failed: %v", err)
		return f
	}
	f.OK, f.Detail = true, fmt.Sprintf("account %s as %s", aws.ToString(out.Account), aws.ToString(out.Arn))
	return f
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
	max := -1
	for _, l := range limits.Limits {
		if aws.ToString(l.Name) == "application-load-balancers" {
			fmt.Sscan(aws.ToString(l.Max), &max)
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
	f.Detail = fmt.Sprintf("%d in use of %d", used, max)
	f.OK = max < 0 || used < max
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
	max := -1
	for _, a := range attrs.AccountAttributes {
		for _, v := range a.AttributeValues {
			fmt.Sscan(aws.ToString(v.AttributeValue), &max)
		}
	}
	needed := 0
	if s.Network.Mode == spec.NetworkNew {
		needed = 1
		if s.Network.NAT == spec.NATPerZone {
			needed = 2
		}
	}
	used := len(addresses.Addresses)
	f.Detail = fmt.Sprintf("%d in use of %d, the stack needs %d", used, max, needed)
	f.OK = max < 0 || used+needed <= max
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
	required := s.Network.Mode == spec.NetworkDefault
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

// checkDocker: image.build needs a Docker Engine to build and push.
func checkDocker(ctx context.Context, s *spec.Spec) Finding {
	f := Finding{Check: "docker", Fix: "start Docker (or set DOCKER_HOST), or give image as a URI that is in a registry"}
	cli, err := runtime.ConnectEngine(ctx)
	if err != nil {
		f.Detail = err.Error()
		if s.Service.Build == nil {
			f.OK, f.Warn = true, true
			f.Detail += " (berth.yaml builds no image, so deploy does not need it; berth up runs process images without it)"
		}
		return f
	}
	defer cli.Close()
	f.OK, f.Detail = true, "engine at "+cli.DaemonHost()+", API "+cli.ClientVersion()
	return f
}

// checkLocalPort: berth up serves the local cloud on 127.0.0.1:4566; taken
// by something else, it cannot.
func checkLocalPort(ctx context.Context, endpoint string) Finding {
	f := Finding{Check: "port " + DefaultLocalAddr, OK: true}
	if endpoint != "" {
		f.Detail = "not needed: the endpoint is " + endpoint
		return f
	}
	l, err := net.Listen("tcp", DefaultLocalAddr)
	if err == nil {
		l.Close()
		f.Detail = "free for berth local / berth up"
		return f
	}
	if isLocalCloud(ctx, "http://"+DefaultLocalAddr) {
		f.Detail = "a berth local cloud listens there"
		return f
	}
	f.Warn, f.Detail = true, "in use by something that is not a berth local cloud"
	f.Fix = "stop it, or run berth local --addr 127.0.0.1:PORT and pass --endpoint-url http://127.0.0.1:PORT"
	return f
}
