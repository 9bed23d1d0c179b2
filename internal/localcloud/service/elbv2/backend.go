// Package elbv2 is the local cloud's Elastic Load Balancing v2 control plane
// for Application Load Balancers: load balancers, target groups, listeners,
// rules, target registrations and their health, attributes and tags. The
// data plane (package lb, driven by the controller) reads it through
// Snapshot and writes target health back through SetTargetHealth.
package elbv2

import (
	"context"
	"strings"
	"time"

	"github.com/berthdev/berth/internal/localcloud/protocol"
	"github.com/berthdev/berth/internal/localcloud/protocol/query"
	"github.com/berthdev/berth/internal/localcloud/service/paging"
	"github.com/berthdev/berth/internal/localcloud/store"
)

// Store tables, keyed by ARN.
const (
	tableLoadBalancers = "elbv2/loadbalancers"
	tableTargetGroups  = "elbv2/targetgroups"
	tableListeners     = "elbv2/listeners"
	tableRules         = "elbv2/rules"
)

// SubnetInfo is what a load balancer needs to know about a subnet.
type SubnetInfo struct {
	VpcID            string
	AvailabilityZone string
}

// Backend holds the service's state in the store and its domain rules.
type Backend struct {
	store *store.Store

	// ResolveSubnet, when set, looks subnets up (in EC2) so load balancers
	// report their real VPC and zones and unknown subnets are refused. It
	// is called outside any ELBv2 transaction. Unset, subnets are taken on
	// trust and given zones in the order listed.
	ResolveSubnet func(ctx context.Context, subnetID string) (*SubnetInfo, error)
	// DefaultSecurityGroup, when set, returns a VPC's default security
	// group (in EC2), which a load balancer created without groups gets.
	DefaultSecurityGroup func(ctx context.Context, vpcID string) (string, error)
	// VPCExists, when set, checks the VPC a target group names (in EC2).
	VPCExists func(ctx context.Context, vpcID string) (bool, error)

	now func() time.Time
}

// New returns the service's backend over st.
func New(st *store.Store) *Backend {
	return &Backend{store: st, now: time.Now}
}

// Service returns the service's operation table for the router.
func (b *Backend) Service() *protocol.Service {
	return &protocol.Service{
		SigningName: "elasticloadbalancing",
		Version:     "2015-12-01",
		Codec:       query.Codec{Namespace: "http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/"},
		Operations: []protocol.Operation{
			protocol.Op("CreateLoadBalancer", b.handleCreateLoadBalancer),
			protocol.Op("DescribeLoadBalancers", b.handleDescribeLoadBalancers),
			protocol.Op("DeleteLoadBalancer", b.handleDeleteLoadBalancer),
			protocol.Op("DescribeLoadBalancerAttributes", b.handleDescribeLoadBalancerAttributes),
			protocol.Op("ModifyLoadBalancerAttributes", b.handleModifyLoadBalancerAttributes),
			protocol.Op("SetSecurityGroups", b.handleSetSecurityGroups),
			protocol.Op("SetSubnets", b.handleSetSubnets),
			protocol.Op("SetIpAddressType", b.handleSetIPAddressType),

			protocol.Op("CreateTargetGroup", b.handleCreateTargetGroup),
			protocol.Op("DescribeTargetGroups", b.handleDescribeTargetGroups),
			protocol.Op("ModifyTargetGroup", b.handleModifyTargetGroup),
			protocol.Op("DeleteTargetGroup", b.handleDeleteTargetGroup),
			protocol.Op("DescribeTargetGroupAttributes", b.handleDescribeTargetGroupAttributes),
			protocol.Op("ModifyTargetGroupAttributes", b.handleModifyTargetGroupAttributes),

			protocol.Op("RegisterTargets", b.handleRegisterTargets),
			protocol.Op("DeregisterTargets", b.handleDeregisterTargets),
			protocol.Op("DescribeTargetHealth", b.handleDescribeTargetHealth),

			protocol.Op("CreateListener", b.handleCreateListener),
			protocol.Op("DescribeListeners", b.handleDescribeListeners),
			protocol.Op("ModifyListener", b.handleModifyListener),
			protocol.Op("DeleteListener", b.handleDeleteListener),
			protocol.Op("DescribeListenerAttributes", b.handleDescribeListenerAttributes),
			protocol.Op("DescribeListenerCertificates", b.handleDescribeListenerCertificates),
			protocol.Op("AddListenerCertificates", b.handleAddListenerCertificates),
			protocol.Op("RemoveListenerCertificates", b.handleRemoveListenerCertificates),
			protocol.Op("DescribeSSLPolicies", b.handleDescribeSSLPolicies),
			protocol.Op("DescribeAccountLimits", b.handleDescribeAccountLimits),

			protocol.Op("CreateRule", b.handleCreateRule),
			protocol.Op("DescribeRules", b.handleDescribeRules),
			protocol.Op("ModifyRule", b.handleModifyRule),
			protocol.Op("DeleteRule", b.handleDeleteRule),
			protocol.Op("SetRulePriorities", b.handleSetRulePriorities),

			protocol.Op("AddTags", b.handleAddTags),
			protocol.Op("RemoveTags", b.handleRemoveTags),
			protocol.Op("DescribeTags", b.handleDescribeTags),
		},
	}
}

// internalError keeps AWS errors as they are and turns anything else (a
// store failure) into a retryable InternalFailure.
func internalError(err error) error {
	if err == nil {
		return nil
	}
	if _, ok := err.(*protocol.Error); ok {
		return err
	}
	return protocol.InternalError(err)
}

// arnKind tells which resource an ELBv2 ARN names, from its resource part.
func arnKind(arn string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) < 6 || parts[0] != "arn" || parts[2] != "elasticloadbalancing" {
		return ""
	}
	kind, _, _ := strings.Cut(parts[5], "/")
	return kind // loadbalancer | targetgroup | listener | listener-rule
}

// paginate returns one page of items after marker, in the order given
// (rules by priority, load balancers as asked). ELBv2 pages hold 1 to 400
// items.
func paginate[T any](items []T, marker string, pageSize *int) ([]T, string, error) {
	size, err := paging.Size(pageSize, 400, 1, 400)
	if err != nil {
		return nil, "", validationError("1 validation error detected: Value '%d' at 'pageSize' failed to satisfy constraint: Member must have value between 1 and 400", *pageSize)
	}
	page, next, err := paging.PageInOrder(items, marker, size)
	if err != nil {
		return nil, "", validationError("Invalid value for Marker: %s", marker)
	}
	return page, next, nil
}

// validateTags checks a request's tags the way AddTags and the Create calls do.
func validateTags(tags []Tag) error {
	seen := map[string]bool{}
	for _, tag := range tags {
		if tag.Key == "" || len(tag.Key) > 128 {
			return validationError("Tag keys must be between 1 and 128 characters")
		}
		if len(tag.Value) > 256 {
			return validationError("Tag values must be at most 256 characters")
		}
		if strings.HasPrefix(strings.ToLower(tag.Key), "aws:") {
			return validationError("Tag keys starting with 'aws:' are reserved for internal use")
		}
		if seen[tag.Key] {
			return protocol.Errorf(codeDuplicateTagKeys, "Tag key '%s' is duplicated", tag.Key)
		}
		seen[tag.Key] = true
	}
	return nil
}

const maxTags = 50

// mergeTags adds or overwrites tags, keeping the first-seen order.
func mergeTags(current, added []Tag) ([]Tag, error) {
	out := append([]Tag(nil), current...)
	for _, tag := range added {
		replaced := false
		for i := range out {
			if out[i].Key == tag.Key {
				out[i].Value = tag.Value
				replaced = true
			}
		}
		if !replaced {
			out = append(out, tag)
		}
	}
	if len(out) > maxTags {
		return nil, protocol.Errorf(codeTooManyTags, "The quota for the number of tags that can be assigned to a resource has been reached (%d)", maxTags)
	}
	return out, nil
}

func removeTags(current []Tag, keys []string) []Tag {
	out := []Tag{}
	for _, tag := range current {
		drop := false
		for _, key := range keys {
			if tag.Key == key {
				drop = true
			}
		}
		if !drop {
			out = append(out, tag)
		}
	}
	return out
}

// getFound reads one record; a missing one is the error notFound makes.
func getFound[T any](tx *store.Tx, table, key string, notFound func() error) (*T, error) {
	v, err := store.Get[T](tx, table, key)
	if err != nil {
		return nil, err
	}
	if v == nil {
		return nil, notFound()
	}
	return v, nil
}

func ptr[T any](v T) *T { return &v }

// name rules shared by load balancers and target groups.
func validateName(kind, name string) error {
	switch {
	case name == "":
		return validationError("1 validation error detected: Value null at 'name' failed to satisfy constraint: Member must not be null")
	case len(name) > 32:
		return validationError("%s name '%s' cannot be longer than '32' characters", kind, name)
	case strings.HasPrefix(name, "-") || strings.HasSuffix(name, "-"):
		return validationError("%s name '%s' cannot begin or end with '-' character", kind, name)
	}
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-') {
			return validationError("%s name '%s' can only contain characters that are alphanumeric characters or hyphens(-)", kind, name)
		}
	}
	return nil
}

func checkPort(port int) error {
	if port < 1 || port > 65535 {
		return validationError("1 validation error detected: Value '%d' at 'port' failed to satisfy constraint: Member must have value between 1 and 65535", port)
	}
	return nil
}

func required(name string, present bool) error {
	if !present {
		return validationError("1 validation error detected: Value null at '%s' failed to satisfy constraint: Member must not be null", name)
	}
	return nil
}
