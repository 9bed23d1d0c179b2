package elbv2

import (
	"context"
	"crypto/rand"
	"fmt"
	"maps"
	"math/big"
	"slices"
	"strconv"

	"github.com/berthdev/berth/internal/localcloud/protocol"
	"github.com/berthdev/berth/internal/localcloud/store"
)

// canonicalHostedZoneID is the Route 53 zone of ALBs in us-east-1; the local
// cloud answers with it in every region so alias records have a value.
const canonicalHostedZoneID = "Z35SXDOTRQ7X7K"

// dnsSuffix makes load balancer names resolve to loopback: every
// *.localhost name does (RFC 6761), in browsers and in most resolvers.
const dnsSuffix = ".elb.localhost"

// defaultLoadBalancerAttributes are an ALB's attributes before any change.
func defaultLoadBalancerAttributes() map[string]string {
	return map[string]string{
		"access_logs.s3.enabled":                                   "false",
		"access_logs.s3.bucket":                                    "",
		"access_logs.s3.prefix":                                    "",
		"connection_logs.s3.enabled":                               "false",
		"connection_logs.s3.bucket":                                "",
		"connection_logs.s3.prefix":                                "",
		"client_keep_alive.seconds":                                "3600",
		"deletion_protection.enabled":                              "false",
		"idle_timeout.timeout_seconds":                             "60",
		"routing.http.desync_mitigation_mode":                      "defensive",
		"routing.http.drop_invalid_header_fields.enabled":          "false",
		"routing.http.preserve_host_header.enabled":                "false",
		"routing.http.x_amzn_tls_version_and_cipher_suite.enabled": "false",
		"routing.http.xff_client_port.enabled":                     "false",
		"routing.http.xff_header_processing.mode":                  "append",
		"routing.http2.enabled":                                    "true",
		"waf.fail_open.enabled":                                    "false",
		"zonal_shift.config.enabled":                               "false",
		"load_balancing.cross_zone.enabled":                        "true",
		"health_check_logs.s3.enabled":                             "false",
		"health_check_logs.s3.bucket":                              "",
		"health_check_logs.s3.prefix":                              "",
	}
}

// checkLoadBalancerAttribute validates one attribute value against AWS's
// allowed values.
func checkLoadBalancerAttribute(key, value string) error {
	boolean := func() error {
		if value != "true" && value != "false" {
			return validationError("Load balancer attribute key '%s' must be 'true' or 'false'", key)
		}
		return nil
	}
	intRange := func(low, high int) error {
		n, err := strconv.Atoi(value)
		if err != nil || n < low || n > high {
			return validationError("Load balancer attribute '%s' must be an integer between %d and %d", key, low, high)
		}
		return nil
	}
	oneOf := func(allowed ...string) error {
		if !slices.Contains(allowed, value) {
			return validationError("Load balancer attribute '%s' must be one of %v", key, allowed)
		}
		return nil
	}
	switch key {
	case "access_logs.s3.enabled", "connection_logs.s3.enabled", "deletion_protection.enabled",
		"routing.http.drop_invalid_header_fields.enabled", "routing.http.preserve_host_header.enabled",
		"routing.http.x_amzn_tls_version_and_cipher_suite.enabled", "routing.http.xff_client_port.enabled",
		"routing.http2.enabled", "waf.fail_open.enabled", "zonal_shift.config.enabled",
		"load_balancing.cross_zone.enabled", "health_check_logs.s3.enabled":
		return boolean()
	case "idle_timeout.timeout_seconds":
		return intRange(1, 4000)
	case "client_keep_alive.seconds":
		return intRange(60, 604800)
	case "routing.http.desync_mitigation_mode":
		return oneOf("monitor", "defensive", "strictest")
	case "routing.http.xff_header_processing.mode":
		return oneOf("append", "preserve", "remove")
	case "access_logs.s3.bucket", "access_logs.s3.prefix", "connection_logs.s3.bucket", "connection_logs.s3.prefix",
		"health_check_logs.s3.bucket", "health_check_logs.s3.prefix":
		return nil
	}
	return validationError("Load balancer attribute key '%s' is not recognized", key)
}

// CreateLoadBalancerRequest is a CreateLoadBalancer call in domain terms.
type CreateLoadBalancerRequest struct {
	Name           string
	Scheme         string
	Type           string
	IPAddressType  string
	Subnets        []string
	SecurityGroups []string
	Tags           []Tag
}

// resolveZones maps subnets to zones: through EC2 when a resolver is wired,
// else in listed order. An ALB needs two subnets in distinct zones.
func (b *Backend) resolveZones(ctx context.Context, subnets []string) ([]ZoneMapping, string, error) {
	scope, _ := store.ScopeFrom(ctx)
	region := scope.Region
	if len(subnets) == 0 {
		return nil, "", validationError("At least two subnets in two different Availability Zones must be specified")
	}
	var zones []ZoneMapping
	vpcID := ""
	seenZone := map[string]bool{}
	for i, subnet := range subnets {
		if slices.Contains(subnets[:i], subnet) {
			return nil, "", validationError("Subnet '%s' is specified more than once", subnet)
		}
		zone := ZoneMapping{SubnetID: subnet, ZoneName: fmt.Sprintf("%s%c", region, 'a'+rune(i%6))}
		if b.ResolveSubnet != nil {
			info, err := b.ResolveSubnet(ctx, subnet)
			if err != nil {
				return nil, "", err
			}
			if info == nil {
				return nil, "", protocol.Errorf("SubnetNotFound", "The subnet ID '%s' is not valid", subnet)
			}
			if vpcID != "" && info.VpcID != vpcID {
				return nil, "", protocol.Errorf(codeInvalidSubnet, "The subnets must all belong to the same VPC")
			}
			vpcID = info.VpcID
			zone.ZoneName = info.AvailabilityZone
		}
		if seenZone[zone.ZoneName] {
			return nil, "", protocol.Errorf(codeInvalidConfigurationRequest, "A load balancer cannot be attached to multiple subnets in the same Availability Zone")
		}
		seenZone[zone.ZoneName] = true
		zones = append(zones, zone)
	}
	if len(zones) < 2 {
		return nil, "", validationError("At least two subnets in two different Availability Zones must be specified")
	}
	return zones, vpcID, nil
}

// CreateLoadBalancer creates an ALB, or returns the existing one when a load
// balancer of that name already has the same settings (the call is
// idempotent in AWS).
func (b *Backend) CreateLoadBalancer(ctx context.Context, req CreateLoadBalancerRequest) (*LoadBalancer, error) {
	if err := validateName("Load balancer", req.Name); err != nil {
		return nil, err
	}
	if len(req.Name) >= len("internal-") && req.Name[:len("internal-")] == "internal-" {
		return nil, validationError("Load balancer name '%s' cannot begin with 'internal-'", req.Name)
	}
	if req.Scheme == "" {
		req.Scheme = "internet-facing"
	}
	if req.Scheme != "internet-facing" && req.Scheme != "internal" {
		return nil, validationError("1 validation error detected: Value '%s' at 'scheme' failed to satisfy constraint: Member must satisfy enum value set: [internet-facing, internal]", req.Scheme)
	}
	if req.Type == "" {
		req.Type = "application"
	}
	if req.Type != "application" {
		return nil, validationError("Load balancer type '%s' is not supported by the local cloud; only 'application' is", req.Type)
	}
	if req.IPAddressType == "" {
		req.IPAddressType = "ipv4"
	}
	if !slices.Contains([]string{"ipv4", "dualstack", "dualstack-without-public-ipv4"}, req.IPAddressType) {
		return nil, validationError("1 validation error detected: Value '%s' at 'ipAddressType' failed to satisfy constraint: Member must satisfy enum value set: [ipv4, dualstack, dualstack-without-public-ipv4]", req.IPAddressType)
	}
	if err := validateTags(req.Tags); err != nil {
		return nil, err
	}
	if len(req.Tags) > maxTags {
		return nil, protocol.Errorf(codeTooManyTags, "A resource can have at most %d tags", maxTags)
	}
	zones, vpcID, err := b.resolveZones(ctx, req.Subnets)
	if err != nil {
		return nil, err
	}
	if len(req.SecurityGroups) == 0 && vpcID != "" && b.DefaultSecurityGroup != nil {
		// As on AWS: an ALB always has a group, its VPC's default one
		// when none is given, so its listeners are guarded.
		group, err := b.DefaultSecurityGroup(ctx, vpcID)
		if err != nil {
			return nil, internalError(err)
		}
		if group != "" {
			req.SecurityGroups = []string{group}
		}
	}
	id := store.RandomHex(16)
	lb := &LoadBalancer{
		Name:                  req.Name,
		CanonicalHostedZoneID: canonicalHostedZoneID,
		Scheme:                req.Scheme,
		Type:                  req.Type,
		IPAddressType:         req.IPAddressType,
		VpcID:                 vpcID,
		State:                 "active",
		AvailabilityZones:     zones,
		SecurityGroups:        append([]string{}, req.SecurityGroups...),
		CreatedTime:           b.now().UTC(),
		Attributes:            defaultLoadBalancerAttributes(),
		Tags:                  append([]Tag{}, req.Tags...),
	}
	err = b.store.Update(ctx, func(tx *store.Tx) error {
		all, err := store.List[LoadBalancer](tx, tableLoadBalancers)
		if err != nil {
			return err
		}
		for _, existing := range all {
			if existing.Name != req.Name {
				continue
			}
			if existing.Scheme == lb.Scheme && existing.IPAddressType == lb.IPAddressType &&
				slices.Equal(existing.SecurityGroups, lb.SecurityGroups) && slices.Equal(subnetIDs(existing.AvailabilityZones), req.Subnets) {
				lb = existing
				return nil
			}
			return protocol.Errorf(codeDuplicateLoadBalancerName, "A load balancer with the same name '%s' exists, but with different settings", req.Name)
		}
		lb.ARN = tx.ARN("elasticloadbalancing", "loadbalancer/app/"+req.Name+"/"+id)
		lb.DNSName = dnsName(req.Name, req.Scheme, tx.Scope().Region)
		return tx.Put(tableLoadBalancers, lb.ARN, lb)
	})
	if err != nil {
		return nil, internalError(err)
	}
	return lb, nil
}

func subnetIDs(zones []ZoneMapping) []string {
	ids := make([]string, len(zones))
	for i, z := range zones {
		ids[i] = z.SubnetID
	}
	return ids
}

// dnsName is "<name>-<10 digits>.<region>.elb.localhost", prefixed
// "internal-" for internal load balancers, the shape of AWS's names under a
// loopback domain.
func dnsName(name, scheme, region string) string {
	n, _ := rand.Int(rand.Reader, big.NewInt(9_000_000_000))
	host := fmt.Sprintf("%s-%d.%s%s", name, n.Int64()+1_000_000_000, region, dnsSuffix)
	if scheme == "internal" {
		host = "internal-" + host
	}
	return host
}

// LoadBalancers returns load balancers by ARN or name, or all of them; any
// unknown one fails the call with LoadBalancerNotFound.
func (b *Backend) LoadBalancers(ctx context.Context, arns, names []string) ([]*LoadBalancer, error) {
	var out []*LoadBalancer
	err := b.store.View(ctx, func(tx *store.Tx) error {
		all, err := store.List[LoadBalancer](tx, tableLoadBalancers)
		if err != nil {
			return err
		}
		slices.SortFunc(all, func(x, y *LoadBalancer) int { return x.CreatedTime.Compare(y.CreatedTime) })
		switch {
		case len(arns) > 0 && len(names) > 0:
			return validationError("Load balancer names and load balancer ARNs cannot be specified at the same time")
		case len(arns) > 0:
			for _, arn := range arns {
				i := slices.IndexFunc(all, func(lb *LoadBalancer) bool { return lb.ARN == arn })
				if i < 0 {
					return loadBalancerNotFound()
				}
				out = append(out, all[i])
			}
		case len(names) > 0:
			for _, name := range names {
				i := slices.IndexFunc(all, func(lb *LoadBalancer) bool { return lb.Name == name })
				if i < 0 {
					return loadBalancerNotFound()
				}
				out = append(out, all[i])
			}
		default:
			out = all
		}
		return nil
	})
	return out, internalError(err)
}

// DeleteLoadBalancer deletes a load balancer with its listeners and rules.
// Deleting one that is already gone succeeds, as in AWS.
func (b *Backend) DeleteLoadBalancer(ctx context.Context, arn string) error {
	return internalError(b.store.Update(ctx, func(tx *store.Tx) error {
		lb, err := store.Get[LoadBalancer](tx, tableLoadBalancers, arn)
		if err != nil || lb == nil {
			return err
		}
		if lb.Attributes["deletion_protection.enabled"] == "true" {
			return operationNotPermitted("Load balancer '%s' cannot be deleted because deletion protection is enabled", arn)
		}
		listeners, err := store.List[Listener](tx, tableListeners)
		if err != nil {
			return err
		}
		for _, l := range listeners {
			if l.LoadBalancerARN == arn {
				if err := deleteListener(tx, l.ARN); err != nil {
					return err
				}
			}
		}
		return tx.Delete(tableLoadBalancers, arn)
	}))
}

// updateLoadBalancer is an atomic read-modify-write of one load balancer.
func (b *Backend) updateLoadBalancer(ctx context.Context, arn string, fn func(lb *LoadBalancer) error) (*LoadBalancer, error) {
	var out *LoadBalancer
	err := b.store.Update(ctx, func(tx *store.Tx) error {
		lb, err := getFound[LoadBalancer](tx, tableLoadBalancers, arn, loadBalancerNotFound)
		if err != nil {
			return err
		}
		if err := fn(lb); err != nil {
			return err
		}
		out = lb
		return tx.Put(tableLoadBalancers, arn, lb)
	})
	return out, internalError(err)
}

// ModifyLoadBalancerAttributes validates and sets attributes, returning all.
func (b *Backend) ModifyLoadBalancerAttributes(ctx context.Context, arn string, attrs map[string]string) (map[string]string, error) {
	for key, value := range attrs {
		if err := checkLoadBalancerAttribute(key, value); err != nil {
			return nil, err
		}
	}
	lb, err := b.updateLoadBalancer(ctx, arn, func(lb *LoadBalancer) error {
		maps.Copy(lb.Attributes, attrs)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return lb.Attributes, nil
}

// SetSecurityGroups replaces a load balancer's security groups.
func (b *Backend) SetSecurityGroups(ctx context.Context, arn string, groups []string) (*LoadBalancer, error) {
	for i, g := range groups {
		if slices.Contains(groups[:i], g) {
			return nil, protocol.Errorf("InvalidSecurityGroup", "Security group '%s' is specified more than once", g)
		}
	}
	return b.updateLoadBalancer(ctx, arn, func(lb *LoadBalancer) error {
		lb.SecurityGroups = append([]string{}, groups...)
		return nil
	})
}

// SetSubnets replaces a load balancer's subnets (the same rules as create).
func (b *Backend) SetSubnets(ctx context.Context, arn string, subnets []string) (*LoadBalancer, error) {
	zones, vpcID, err := b.resolveZones(ctx, subnets)
	if err != nil {
		return nil, err
	}
	return b.updateLoadBalancer(ctx, arn, func(lb *LoadBalancer) error {
		if vpcID != "" && lb.VpcID != "" && vpcID != lb.VpcID {
			return protocol.Errorf(codeInvalidSubnet, "The subnets must belong to the load balancer's VPC '%s'", lb.VpcID)
		}
		lb.AvailabilityZones = zones
		return nil
	})
}

// SetIPAddressType changes the address family a load balancer serves.
func (b *Backend) SetIPAddressType(ctx context.Context, arn, ipAddressType string) (*LoadBalancer, error) {
	if !slices.Contains([]string{"ipv4", "dualstack", "dualstack-without-public-ipv4"}, ipAddressType) {
		return nil, validationError("1 validation error detected: Value '%s' at 'ipAddressType' failed to satisfy constraint: Member must satisfy enum value set: [ipv4, dualstack, dualstack-without-public-ipv4]", ipAddressType)
	}
	return b.updateLoadBalancer(ctx, arn, func(lb *LoadBalancer) error {
		lb.IPAddressType = ipAddressType
		return nil
	})
}
