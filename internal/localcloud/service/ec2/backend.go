// Package ec2 is the local cloud's EC2 control plane: VPCs (a default one
// in every account and region), subnets, internet and egress-only gateways,
// NAT gateways, Elastic IPs, network interfaces, route tables, network
// ACLs, security groups and their rules, DHCP options, prefix lists, VPC
// endpoints, launch templates, instances, instance types, images and tags,
// over the EC2 query protocol; the retired EC2-Classic operations answer as
// AWS does today. The data plane's controllers launch and terminate instances
// through LaunchInstances and TerminateInstances, which run the same code as
// RunInstances and the TerminateInstances operation.
package ec2

import (
	"context"
	"errors"
	"time"

	"github.com/berthdev/berth/internal/localcloud/protocol"
	"github.com/berthdev/berth/internal/localcloud/protocol/ec2query"
	"github.com/berthdev/berth/internal/localcloud/store"
)

// Store tables, keyed by resource id (launch template versions by
// "<template id>/<zero-padded number>", client tokens by operation and token).
const (
	tableVpcs                   = "ec2/vpcs"
	tableSubnets                = "ec2/subnets"
	tableInternetGateways       = "ec2/internetgateways"
	tableRouteTables            = "ec2/routetables"
	tableNetworkACLs            = "ec2/networkacls"
	tableSecurityGroups         = "ec2/securitygroups"
	tableLaunchTemplates        = "ec2/launchtemplates"
	tableLaunchTemplateVersions = "ec2/launchtemplateversions"
	tableInstances              = "ec2/instances"
	tableClientTokens           = "ec2/clienttokens"
	tableAddresses              = "ec2/addresses"
	tableNatGateways            = "ec2/natgateways"
	tableNetworkInterfaces      = "ec2/networkinterfaces"
	tableEgressOnlyGateways     = "ec2/egressonlyinternetgateways"
	tableVpcEndpoints           = "ec2/vpcendpoints"
	tableDhcpOptions            = "ec2/dhcpoptions"
)

// Backend holds the service's state in the store and its domain rules.
type Backend struct {
	store *store.Store
	now   func() time.Time
}

// New returns the service's backend over st.
func New(st *store.Store) *Backend {
	return &Backend{store: st, now: time.Now}
}

// Service returns the service's operation table for the router.
func (b *Backend) Service() *protocol.Service {
	service := &protocol.Service{
		SigningName: "ec2",
		Version:     "2016-11-15",
		Codec:       ec2query.Codec{},
		Operations: []protocol.Operation{
			protocol.Op("DescribeAvailabilityZones", b.handleDescribeAvailabilityZones),
			protocol.Op("DescribeAccountAttributes", b.handleDescribeAccountAttributes),
			protocol.Op("DescribeRegions", b.handleDescribeRegions),

			protocol.Op("CreateVpc", b.handleCreateVpc),
			protocol.Op("CreateDefaultVpc", b.handleCreateDefaultVpc),
			protocol.Op("CreateDefaultSubnet", b.handleCreateDefaultSubnet),
			protocol.Op("DescribeVpcs", b.handleDescribeVpcs),
			protocol.Op("ModifyVpcAttribute", b.handleModifyVpcAttribute),
			protocol.Op("DescribeVpcAttribute", b.handleDescribeVpcAttribute),
			protocol.Op("DeleteVpc", b.handleDeleteVpc),

			protocol.Op("CreateSubnet", b.handleCreateSubnet),
			protocol.Op("DescribeSubnets", b.handleDescribeSubnets),
			protocol.Op("ModifySubnetAttribute", b.handleModifySubnetAttribute),
			protocol.Op("DeleteSubnet", b.handleDeleteSubnet),

			protocol.Op("CreateInternetGateway", b.handleCreateInternetGateway),
			protocol.Op("AttachInternetGateway", b.handleAttachInternetGateway),
			protocol.Op("DetachInternetGateway", b.handleDetachInternetGateway),
			protocol.Op("DeleteInternetGateway", b.handleDeleteInternetGateway),
			protocol.Op("DescribeInternetGateways", b.handleDescribeInternetGateways),

			protocol.Op("CreateRouteTable", b.handleCreateRouteTable),
			protocol.Op("CreateRoute", b.handleCreateRoute),
			protocol.Op("ReplaceRoute", b.handleReplaceRoute),
			protocol.Op("DeleteRoute", b.handleDeleteRoute),
			protocol.Op("AssociateRouteTable", b.handleAssociateRouteTable),
			protocol.Op("DisassociateRouteTable", b.handleDisassociateRouteTable),
			protocol.Op("ReplaceRouteTableAssociation", b.handleReplaceRouteTableAssociation),
			protocol.Op("DescribeRouteTables", b.handleDescribeRouteTables),
			protocol.Op("DeleteRouteTable", b.handleDeleteRouteTable),

			protocol.Op("DescribeNetworkAcls", b.handleDescribeNetworkAcls),

			protocol.Op("CreateSecurityGroup", b.handleCreateSecurityGroup),
			protocol.Op("DescribeSecurityGroups", b.handleDescribeSecurityGroups),
			protocol.Op("DescribeSecurityGroupRules", b.handleDescribeSecurityGroupRules),
			protocol.Op("AuthorizeSecurityGroupIngress", b.handleAuthorizeSecurityGroupIngress),
			protocol.Op("AuthorizeSecurityGroupEgress", b.handleAuthorizeSecurityGroupEgress),
			protocol.Op("RevokeSecurityGroupIngress", b.handleRevokeSecurityGroupIngress),
			protocol.Op("RevokeSecurityGroupEgress", b.handleRevokeSecurityGroupEgress),
			protocol.Op("ModifySecurityGroupRules", b.handleModifySecurityGroupRules),
			protocol.Op("DeleteSecurityGroup", b.handleDeleteSecurityGroup),

			protocol.Op("CreateLaunchTemplate", b.handleCreateLaunchTemplate),
			protocol.Op("CreateLaunchTemplateVersion", b.handleCreateLaunchTemplateVersion),
			protocol.Op("ModifyLaunchTemplate", b.handleModifyLaunchTemplate),
			protocol.Op("DescribeLaunchTemplates", b.handleDescribeLaunchTemplates),
			protocol.Op("DescribeLaunchTemplateVersions", b.handleDescribeLaunchTemplateVersions),
			protocol.Op("DeleteLaunchTemplate", b.handleDeleteLaunchTemplate),
			protocol.Op("DeleteLaunchTemplateVersions", b.handleDeleteLaunchTemplateVersions),

			protocol.Op("RunInstances", b.handleRunInstances),
			protocol.Op("DescribeInstances", b.handleDescribeInstances),
			protocol.Op("TerminateInstances", b.handleTerminateInstances),
			protocol.Op("StopInstances", b.handleStopInstances),
			protocol.Op("StartInstances", b.handleStartInstances),
			protocol.Op("DescribeInstanceStatus", b.handleDescribeInstanceStatus),
			protocol.Op("CreateKeyPair", b.handleCreateKeyPair),
			protocol.Op("ImportKeyPair", b.handleImportKeyPair),
			protocol.Op("DescribeKeyPairs", b.handleDescribeKeyPairs),
			protocol.Op("DeleteKeyPair", b.handleDeleteKeyPair),
			protocol.Op("DescribeInstanceTypes", b.handleDescribeInstanceTypes),
			protocol.Op("DescribeImages", b.handleDescribeImages),

			protocol.Op("AssociateVpcCidrBlock", b.handleAssociateVpcCidrBlock),
			protocol.Op("DisassociateVpcCidrBlock", b.handleDisassociateVpcCidrBlock),

			protocol.Op("AllocateAddress", b.handleAllocateAddress),
			protocol.Op("AssociateAddress", b.handleAssociateAddress),
			protocol.Op("DisassociateAddress", b.handleDisassociateAddress),
			protocol.Op("ReleaseAddress", b.handleReleaseAddress),
			protocol.Op("DescribeAddresses", b.handleDescribeAddresses),

			protocol.Op("CreateNatGateway", b.handleCreateNatGateway),
			protocol.Op("DescribeNatGateways", b.handleDescribeNatGateways),
			protocol.Op("DeleteNatGateway", b.handleDeleteNatGateway),

			protocol.Op("CreateEgressOnlyInternetGateway", b.handleCreateEgressOnlyInternetGateway),
			protocol.Op("DescribeEgressOnlyInternetGateways", b.handleDescribeEgressOnlyInternetGateways),
			protocol.Op("DeleteEgressOnlyInternetGateway", b.handleDeleteEgressOnlyInternetGateway),

			protocol.Op("CreateDhcpOptions", b.handleCreateDhcpOptions),
			protocol.Op("AssociateDhcpOptions", b.handleAssociateDhcpOptions),
			protocol.Op("DescribeDhcpOptions", b.handleDescribeDhcpOptions),
			protocol.Op("DeleteDhcpOptions", b.handleDeleteDhcpOptions),

			protocol.Op("DescribePrefixLists", b.handleDescribePrefixLists),
			protocol.Op("DescribeManagedPrefixLists", b.handleDescribeManagedPrefixLists),

			protocol.Op("CreateVpcEndpoint", b.handleCreateVpcEndpoint),
			protocol.Op("DescribeVpcEndpoints", b.handleDescribeVpcEndpoints),
			protocol.Op("ModifyVpcEndpoint", b.handleModifyVpcEndpoint),
			protocol.Op("DeleteVpcEndpoints", b.handleDeleteVpcEndpoints),

			protocol.Op("CreateNetworkInterface", b.handleCreateNetworkInterface),
			protocol.Op("DescribeNetworkInterfaces", b.handleDescribeNetworkInterfaces),
			protocol.Op("DeleteNetworkInterface", b.handleDeleteNetworkInterface),
			protocol.Op("AttachNetworkInterface", b.handleAttachNetworkInterface),
			protocol.Op("DetachNetworkInterface", b.handleDetachNetworkInterface),
			protocol.Op("ModifyNetworkInterfaceAttribute", b.handleModifyNetworkInterfaceAttribute),

			protocol.Op("CreateTags", b.handleCreateTags),
			protocol.Op("DeleteTags", b.handleDeleteTags),
			protocol.Op("DescribeTags", b.handleDescribeTags),
		},
	}
	for _, name := range retiredOperations {
		service.Operations = append(service.Operations, retiredOperation(name))
	}
	for i, op := range service.Operations {
		service.Operations[i] = b.withDefaults(op)
	}
	return service
}

// errDryRunSucceeded rolls back a dry-run transaction that did all its
// checks and writes; update turns it into DryRunOperation.
var errDryRunSucceeded = errors.New("dry run succeeded")

// update runs fn in one transaction. With dryRun it runs every check and
// write fn would, then rolls all of them back and answers DryRunOperation, so
// a dry run says exactly whether the call would succeed.
func (b *Backend) update(ctx context.Context, dryRun bool, fn func(tx *store.Tx) error) error {
	err := b.store.Update(ctx, func(tx *store.Tx) error {
		if err := fn(tx); err != nil {
			return err
		}
		if dryRun {
			return errDryRunSucceeded
		}
		return nil
	})
	if errors.Is(err, errDryRunSucceeded) {
		return dryRunOperation()
	}
	return err
}

// view runs fn in a read-only transaction; with dryRun a successful read
// answers DryRunOperation instead.
func (b *Backend) view(ctx context.Context, dryRun bool, fn func(tx *store.Tx) error) error {
	if err := b.store.View(ctx, fn); err != nil {
		return err
	}
	if dryRun {
		return dryRunOperation()
	}
	return nil
}

// scopeOf is the account and region the call acts in. Every call reads or
// writes the store, which refuses a context without a scope, so a zero
// scope never reaches a stored resource.
func scopeOf(ctx context.Context) store.Scope {
	scope, _ := store.ScopeFrom(ctx)
	return scope
}

// owner returns the account that owns what the call creates.
func owner(ctx context.Context) string { return scopeOf(ctx).Account }

// region returns the call's region.
func region(ctx context.Context) string { return scopeOf(ctx).Region }

// getResource loads id of kind, or answers its NotFound (or Malformed) error.
func getResource[T any](tx *store.Tx, kind resourceKind, id string) (*T, error) {
	if !wellFormed(kind, id) {
		if id == "" || kind.malformedCode == "" {
			return nil, notFound(kind, id)
		}
		return nil, malformedID(kind, id)
	}
	v, err := store.Get[T](tx, kind.table, id)
	if err != nil {
		return nil, err
	}
	if v == nil {
		return nil, notFound(kind, id)
	}
	return v, nil
}

// selectByID keeps the items whose ids were asked for (all when ids is
// empty) and fails with NotFound naming the ids that do not exist.
func selectByID[T any](kind resourceKind, items []*T, idOf func(*T) string, ids []string) ([]*T, error) {
	if len(ids) == 0 {
		return items, nil
	}
	byID := make(map[string]*T, len(items))
	for _, item := range items {
		byID[idOf(item)] = item
	}
	var out []*T
	var missing []string
	seen := map[string]bool{}
	for _, id := range ids {
		if seen[id] {
			continue
		}
		seen[id] = true
		item, ok := byID[id]
		if !ok {
			missing = append(missing, id)
			continue
		}
		out = append(out, item)
	}
	if len(missing) > 0 {
		for _, id := range missing {
			if id != "" && kind.malformedCode != "" && !wellFormed(kind, id) {
				return nil, malformedID(kind, id)
			}
		}
		return nil, notFound(kind, missing...)
	}
	return out, nil
}
