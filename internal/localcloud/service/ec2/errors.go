package ec2

import (
	"net/http"
	"strings"

	"github.com/berthdev/berth/internal/localcloud/protocol"
)

// The EC2 error codes this service sends. All are 400 except DryRunOperation
// (412), as EC2's common client errors list them.
const (
	codeDryRun                  = "DryRunOperation"
	codeInvalidParameterValue   = "InvalidParameterValue"
	codeInvalidParameter        = "InvalidParameter"
	codeInvalidParameterCombo   = "InvalidParameterCombination"
	codeMissingParameter        = "MissingParameter"
	codeDependencyViolation     = "DependencyViolation"
	codeIdempotentMismatch      = "IdempotentParameterMismatch"
	codeInvalidPaginationToken  = "InvalidPaginationToken"
	codeTagLimitExceeded        = "TagLimitExceeded"
	codeInvalidID               = "InvalidID"
	codeResourceAlreadyAssoc    = "Resource.AlreadyAssociated"
	codeGatewayNotAttached      = "Gateway.NotAttached"
	codeRouteAlreadyExists      = "RouteAlreadyExists"
	codeInvalidRouteNotFound    = "InvalidRoute.NotFound"
	codeInvalidAssociationID    = "InvalidAssociationID.NotFound"
	codeInvalidGroupDuplicate   = "InvalidGroup.Duplicate"
	codePermissionDuplicate     = "InvalidPermission.Duplicate"
	codePermissionNotFound      = "InvalidPermission.NotFound"
	codeCannotDelete            = "CannotDelete"
	codeInvalidGroupReserved    = "InvalidGroup.Reserved"
	codeVPCIDNotSpecified       = "VPCIdNotSpecified"
	codeInvalidSubnetConflict   = "InvalidSubnet.Conflict"
	codeInvalidSubnetRange      = "InvalidSubnet.Range"
	codeInvalidVpcRange         = "InvalidVpc.Range"
	codeInsufficientAddresses   = "InsufficientFreeAddressesInSubnet"
	codeInvalidIPAddressInUse   = "InvalidIPAddress.InUse"
	codeInvalidInstanceType     = "InvalidInstanceType"
	codeInvalidUserData         = "InvalidUserData.Malformed"
	codeInvalidAMIMalformed     = "InvalidAMIID.Malformed"
	codeLaunchTemplateExists    = "InvalidLaunchTemplateName.AlreadyExistsException"
	codeLaunchTemplateMalformed = "InvalidLaunchTemplateName.MalformedException"
	codeLaunchTemplateVersion   = "InvalidLaunchTemplateId.VersionNotFound"
	codeLaunchTemplateIDBad     = "InvalidLaunchTemplateId.Malformed"
	codeInvalidZone             = "InvalidAvailabilityZone"
	codeDefaultVpcExists        = "DefaultVpcAlreadyExists"
	codeMissingInput            = "MissingInput"
	codeUnsupportedOperation    = "UnsupportedOperation"
)

func invalidParameterValue(format string, args ...any) error {
	return protocol.Errorf(codeInvalidParameterValue, format, args...)
}

func invalidParameterCombination(format string, args ...any) error {
	return protocol.Errorf(codeInvalidParameterCombo, format, args...)
}

func missingParameter(name string) error {
	return protocol.Errorf(codeMissingParameter, "The request must contain the parameter %s", name)
}

func dependencyViolation(format string, args ...any) error {
	return protocol.Errorf(codeDependencyViolation, format, args...)
}

// dryRunOperation is the answer to DryRun=true when the call would succeed.
func dryRunOperation() error {
	return protocol.Errorf(codeDryRun, "Request would have succeeded, but DryRun flag is set.").WithStatus(http.StatusPreconditionFailed)
}

// notFound returns the *.NotFound error of a resource kind, naming every
// missing id the way EC2 does: "The vpc ID 'vpc-1' does not exist".
func notFound(kind resourceKind, ids ...string) error {
	quoted := make([]string, len(ids))
	for i, id := range ids {
		quoted[i] = "'" + id + "'"
	}
	return protocol.Errorf(kind.notFoundCode, "The %s ID%s %s %s not exist", kind.noun, plural(len(ids)), strings.Join(quoted, ", "), doVerb(len(ids)))
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

func doVerb(n int) string {
	if n == 1 {
		return "does"
	}
	return "do"
}

// malformedID is the answer to an id that cannot be one of its kind.
func malformedID(kind resourceKind, id string) error {
	code := kind.malformedCode
	if code == "" {
		code = codeInvalidID
	}
	return protocol.Errorf(code, "Invalid id: %q (expecting %q)", id, kind.prefix+"...")
}

// resourceKind describes one EC2 resource family: its id prefix, the noun its
// errors use, its NotFound code and the resource type tags report.
type resourceKind struct {
	prefix        string
	noun          string
	notFoundCode  string
	malformedCode string
	resourceType  string // DescribeTags' resource-type
	table         string
}

var (
	kindVpc = resourceKind{prefix: "vpc-", noun: "vpc", notFoundCode: "InvalidVpcID.NotFound",
		malformedCode: "InvalidVpcID.Malformed", resourceType: "vpc", table: tableVpcs}
	kindSubnet = resourceKind{prefix: "subnet-", noun: "subnet", notFoundCode: "InvalidSubnetID.NotFound",
		malformedCode: "InvalidSubnetID.Malformed", resourceType: "subnet", table: tableSubnets}
	kindInternetGateway = resourceKind{prefix: "igw-", noun: "internetGateway", notFoundCode: "InvalidInternetGatewayID.NotFound",
		malformedCode: "InvalidInternetGatewayID.Malformed", resourceType: "internet-gateway", table: tableInternetGateways}
	kindRouteTable = resourceKind{prefix: "rtb-", noun: "routeTable", notFoundCode: "InvalidRouteTableID.NotFound",
		malformedCode: "InvalidRouteTableID.Malformed", resourceType: "route-table", table: tableRouteTables}
	kindSecurityGroup = resourceKind{prefix: "sg-", noun: "security group", notFoundCode: "InvalidGroup.NotFound",
		malformedCode: "InvalidGroupId.Malformed", resourceType: "security-group", table: tableSecurityGroups}
	kindNetworkACL = resourceKind{prefix: "acl-", noun: "network ACL", notFoundCode: "InvalidNetworkAclID.NotFound",
		resourceType: "network-acl", table: tableNetworkACLs}
	kindLaunchTemplate = resourceKind{prefix: "lt-", noun: "launch template", notFoundCode: "InvalidLaunchTemplateId.NotFound",
		malformedCode: codeLaunchTemplateIDBad, resourceType: "launch-template", table: tableLaunchTemplates}
	kindInstance = resourceKind{prefix: "i-", noun: "instance", notFoundCode: "InvalidInstanceID.NotFound",
		malformedCode: "InvalidInstanceID.Malformed", resourceType: "instance", table: tableInstances}
	kindImage = resourceKind{prefix: "ami-", noun: "image", notFoundCode: "InvalidAMIID.NotFound",
		malformedCode: codeInvalidAMIMalformed, resourceType: "image"}
	kindSecurityGroupRule = resourceKind{prefix: "sgr-", noun: "security group rule", notFoundCode: "InvalidSecurityGroupRuleId.NotFound",
		malformedCode: "InvalidSecurityGroupRuleId.Malformed", resourceType: "security-group-rule"}
	kindAddress = resourceKind{prefix: "eipalloc-", noun: "allocation", notFoundCode: "InvalidAllocationID.NotFound",
		malformedCode: "InvalidAllocationID.Malformed", resourceType: "elastic-ip", table: tableAddresses}
	kindNatGateway = resourceKind{prefix: "nat-", noun: "natGateway", notFoundCode: "NatGatewayNotFound",
		malformedCode: "InvalidNatGatewayID.Malformed", resourceType: "natgateway", table: tableNatGateways}
	kindNetworkInterface = resourceKind{prefix: "eni-", noun: "networkInterface", notFoundCode: "InvalidNetworkInterfaceID.NotFound",
		malformedCode: "InvalidNetworkInterfaceID.Malformed", resourceType: "network-interface", table: tableNetworkInterfaces}
	kindEgressOnlyGateway = resourceKind{prefix: "eigw-", noun: "egressOnlyInternetGateway", notFoundCode: "InvalidGatewayID.NotFound",
		malformedCode: "InvalidEgressOnlyInternetGatewayId.Malformed", resourceType: "egress-only-internet-gateway", table: tableEgressOnlyGateways}
	kindVpcEndpoint = resourceKind{prefix: "vpce-", noun: "Vpc Endpoint", notFoundCode: "InvalidVpcEndpointId.NotFound",
		malformedCode: "InvalidVpcEndpointId.Malformed", resourceType: "vpc-endpoint", table: tableVpcEndpoints}
	kindDhcpOptions = resourceKind{prefix: "dopt-", noun: "dhcpOption", notFoundCode: "InvalidDhcpOptionID.NotFound",
		malformedCode: "InvalidDhcpOptionsId.Malformed", resourceType: "dhcp-options", table: tableDhcpOptions}
	kindPrefixList = resourceKind{prefix: "pl-", noun: "prefix list", notFoundCode: "InvalidPrefixListID.NotFound",
		malformedCode: "InvalidPrefixListID.Malformed", resourceType: "prefix-list"}
)

// taggableKinds are the kinds CreateTags/DeleteTags/DescribeTags reach.
var taggableKinds = []resourceKind{kindVpc, kindSubnet, kindInternetGateway, kindRouteTable, kindSecurityGroup,
	kindNetworkACL, kindLaunchTemplate, kindInstance, kindAddress, kindNatGateway, kindNetworkInterface, kindEgressOnlyGateway,
	kindVpcEndpoint, kindDhcpOptions, kindKeyPair}

// kindOf returns the kind whose prefix id carries.
func kindOf(id string) (resourceKind, bool) {
	for _, k := range taggableKinds {
		if strings.HasPrefix(id, k.prefix) {
			return k, true
		}
	}
	return resourceKind{}, false
}

// wellFormed reports whether id looks like an id of kind: its prefix then 8
// or 17 hex digits.
func wellFormed(kind resourceKind, id string) bool {
	rest, ok := strings.CutPrefix(id, kind.prefix)
	if !ok || (len(rest) != 8 && len(rest) != 17) {
		return false
	}
	for _, r := range rest {
		if !strings.ContainsRune("0123456789abcdef", r) {
			return false
		}
	}
	return true
}

func errorf(code, format string, args ...any) error {
	return protocol.Errorf(code, format, args...)
}
