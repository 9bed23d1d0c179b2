package main

import (
	"bytes"
	"fmt"
	"go/format"
	"slices"
	"sort"
	"strings"
	"unicode"

	"github.com/berthdev/berth/internal/localcloud/model"
)

// Typed Go shapes: for the services listed in wirePackages, the generator
// writes the request and response types of the operations the local cloud
// implements, with the names they travel under on the wire, into a
// package of their own (service/<svc>/wire: the service's domain types
// keep their plain names). Only the implemented operations get types, so
// the generated code stays proportionate to what is served; the rest of
// each model is routing and validation data in models/*.json.

// wirePackage is one service whose wire shapes are generated.
type wirePackage struct {
	model string // botocore model name
	dir   string // output directory, from the module root
	// operations are the operations the service implements; a test in
	// the service fails when its operation table and this list differ.
	operations []string
}

var wirePackages = []wirePackage{
	{model: "elbv2", dir: "internal/localcloud/service/elbv2/wire", operations: []string{
		"AddListenerCertificates", "AddTags", "CreateListener", "CreateLoadBalancer", "CreateRule",
		"CreateTargetGroup", "DeleteListener", "DeleteLoadBalancer", "DeleteRule", "DeleteTargetGroup",
		"DeregisterTargets", "DescribeAccountLimits", "DescribeListenerAttributes", "DescribeListenerCertificates",
		"DescribeListeners", "DescribeLoadBalancerAttributes", "DescribeLoadBalancers", "DescribeRules",
		"DescribeSSLPolicies", "DescribeTags", "DescribeTargetGroupAttributes", "DescribeTargetGroups",
		"DescribeTargetHealth", "ModifyListener", "ModifyLoadBalancerAttributes", "ModifyRule",
		"ModifyTargetGroup", "ModifyTargetGroupAttributes", "RegisterTargets", "RemoveListenerCertificates",
		"RemoveTags", "SetIpAddressType", "SetRulePriorities", "SetSecurityGroups", "SetSubnets",
	}},
	{model: "autoscaling", dir: "internal/localcloud/service/autoscaling/wire", operations: []string{
		"AttachInstances", "AttachLoadBalancerTargetGroups", "BatchPutScheduledUpdateGroupAction",
		"CompleteLifecycleAction", "CreateAutoScalingGroup", "CreateLaunchConfiguration", "CreateOrUpdateTags",
		"DeleteAutoScalingGroup", "DeleteLaunchConfiguration", "DeleteLifecycleHook", "DeletePolicy",
		"DeleteScheduledAction", "DeleteTags", "DeleteWarmPool", "DescribeAutoScalingGroups",
		"DescribeAutoScalingInstances", "DescribeLaunchConfigurations", "DescribeLifecycleHooks",
		"DescribeLoadBalancerTargetGroups", "DescribeLoadBalancers", "DescribePolicies",
		"DescribeScalingActivities", "DescribeScalingProcessTypes", "DescribeScheduledActions", "DescribeTags",
		"DescribeTrafficSources", "DescribeWarmPool", "DetachInstances", "DetachLoadBalancerTargetGroups",
		"ExecutePolicy", "PutLifecycleHook", "PutScalingPolicy", "PutScheduledUpdateGroupAction", "PutWarmPool",
		"RecordLifecycleActionHeartbeat", "ResumeProcesses", "SetDesiredCapacity", "SetInstanceProtection",
		"SuspendProcesses", "TerminateInstanceInAutoScalingGroup", "UpdateAutoScalingGroup",
	}},
	{model: "cloudwatch", dir: "internal/localcloud/service/cloudwatch/wire", operations: []string{
		"DeleteAlarms", "DescribeAlarmHistory", "DescribeAlarms", "DescribeAlarmsForMetric", "DisableAlarmActions",
		"EnableAlarmActions", "GetMetricData", "GetMetricStatistics", "ListMetrics", "ListTagsForResource",
		"PutMetricAlarm", "PutMetricData", "SetAlarmState", "TagResource", "UntagResource",
	}},
	// Every EC2 operation berth serves, except the retired ones (they answer
	// a fixed error and read nothing).
	{model: "ec2", dir: "internal/localcloud/service/ec2/wire", operations: []string{
		"AllocateAddress", "AssociateAddress", "AssociateDhcpOptions", "AssociateRouteTable", "AssociateVpcCidrBlock",
		"AttachInternetGateway", "AttachNetworkInterface", "AuthorizeSecurityGroupEgress", "AuthorizeSecurityGroupIngress",
		"CreateDefaultSubnet", "CreateDefaultVpc", "CreateDhcpOptions", "CreateEgressOnlyInternetGateway",
		"CreateInternetGateway", "CreateKeyPair", "CreateLaunchTemplate", "CreateLaunchTemplateVersion",
		"CreateNatGateway", "CreateNetworkInterface", "CreateRoute", "CreateRouteTable", "CreateSecurityGroup",
		"CreateSubnet", "CreateTags", "CreateVpc", "CreateVpcEndpoint", "DeleteDhcpOptions",
		"DeleteEgressOnlyInternetGateway", "DeleteInternetGateway", "DeleteKeyPair", "DeleteLaunchTemplate",
		"DeleteLaunchTemplateVersions", "DeleteNatGateway", "DeleteNetworkInterface", "DeleteRoute", "DeleteRouteTable",
		"DeleteSecurityGroup", "DeleteSubnet", "DeleteTags", "DeleteVpc", "DeleteVpcEndpoints",
		"DescribeAccountAttributes", "DescribeAddresses", "DescribeAvailabilityZones", "DescribeDhcpOptions",
		"DescribeEgressOnlyInternetGateways", "DescribeImages", "DescribeInstanceStatus", "DescribeInstanceTypes",
		"DescribeInstances", "DescribeInternetGateways", "DescribeKeyPairs", "DescribeLaunchTemplateVersions",
		"DescribeLaunchTemplates", "DescribeManagedPrefixLists", "DescribeNatGateways", "DescribeNetworkAcls",
		"DescribeNetworkInterfaces", "DescribePrefixLists", "DescribeRegions", "DescribeRouteTables",
		"DescribeSecurityGroupRules", "DescribeSecurityGroups", "DescribeSubnets", "DescribeTags", "DescribeVpcAttribute",
		"DescribeVpcEndpoints", "DescribeVpcs", "DetachInternetGateway", "DetachNetworkInterface", "DisassociateAddress",
		"DisassociateRouteTable", "DisassociateVpcCidrBlock", "ImportKeyPair", "ModifyLaunchTemplate",
		"ModifyNetworkInterfaceAttribute", "ModifySecurityGroupRules", "ModifySubnetAttribute", "ModifyVpcAttribute",
		"ModifyVpcEndpoint", "ReleaseAddress", "ReplaceRoute", "ReplaceRouteTableAssociation", "RevokeSecurityGroupEgress",
		"RevokeSecurityGroupIngress", "RunInstances", "StartInstances", "StopInstances", "TerminateInstances",
	}},
	{model: "ecs", dir: "internal/localcloud/service/ecs/wire", operations: []string{
		"CreateCapacityProvider", "CreateCluster", "CreateService", "DeleteAccountSetting", "DeleteAttributes",
		"DeleteCapacityProvider", "DeleteCluster", "DeleteService", "DeleteTaskDefinitions",
		"DeregisterContainerInstance", "DeregisterTaskDefinition", "DescribeCapacityProviders", "DescribeClusters",
		"DescribeContainerInstances", "DescribeServiceDeployments", "DescribeServiceRevisions", "DescribeServices",
		"DescribeTaskDefinition", "DescribeTasks", "ListAccountSettings", "ListAttributes", "ListClusters",
		"ListContainerInstances", "ListServiceDeployments", "ListServices", "ListTagsForResource",
		"ListTaskDefinitionFamilies", "ListTaskDefinitions", "ListTasks", "PutAccountSetting",
		"PutAccountSettingDefault", "PutAttributes", "PutClusterCapacityProviders", "RegisterContainerInstance",
		"RegisterTaskDefinition", "RunTask", "StartTask", "StopTask", "TagResource", "UntagResource",
		"UpdateCapacityProvider", "UpdateCluster", "UpdateClusterSettings", "UpdateContainerInstancesState",
		"UpdateService",
	}},
	{model: "ecr", dir: "internal/localcloud/service/ecr/wire", operations: []string{
		"BatchCheckLayerAvailability", "BatchDeleteImage", "BatchGetImage", "CompleteLayerUpload",
		"CreateRepository", "DeleteLifecyclePolicy", "DeleteRepository", "DeleteRepositoryPolicy",
		"DescribeImages", "DescribeRegistry", "DescribeRepositories", "GetAuthorizationToken",
		"GetDownloadUrlForLayer", "GetLifecyclePolicy", "GetRepositoryPolicy", "InitiateLayerUpload", "ListImages",
		"ListTagsForResource", "PutImage", "PutImageScanningConfiguration", "PutImageTagMutability",
		"PutLifecyclePolicy", "SetRepositoryPolicy", "TagResource", "UntagResource", "UploadLayerPart",
	}},
	{model: "logs", dir: "internal/localcloud/service/logs/wire", operations: []string{
		"CreateLogGroup", "CreateLogStream", "DeleteLogGroup", "DeleteLogStream", "DeleteRetentionPolicy",
		"DescribeLogGroups", "DescribeLogStreams", "FilterLogEvents", "GetLogEvents", "ListTagsForResource",
		"ListTagsLogGroup", "PutLogEvents", "PutRetentionPolicy", "TagLogGroup", "TagResource", "UntagLogGroup",
		"UntagResource",
	}},
	{model: "ssm", dir: "internal/localcloud/service/ssm/wire", operations: []string{
		"AddTagsToResource", "DeleteParameter", "DeleteParameters", "DescribeParameters", "GetParameter",
		"GetParameterHistory", "GetParameters", "GetParametersByPath", "LabelParameterVersion",
		"ListTagsForResource", "PutParameter", "RemoveTagsFromResource", "UnlabelParameterVersion",
	}},
	{model: "sts", dir: "internal/localcloud/service/sts/wire", operations: []string{
		"AssumeRole", "AssumeRoleWithWebIdentity", "DecodeAuthorizationMessage", "GetAccessKeyInfo",
		"GetCallerIdentity", "GetSessionToken",
	}},
	{model: "iam", dir: "internal/localcloud/service/iam/wire", operations: []string{
		"AddRoleToInstanceProfile", "AddUserToGroup", "AttachGroupPolicy", "AttachRolePolicy", "AttachUserPolicy",
		"CreateAccessKey", "CreateGroup", "CreateInstanceProfile", "CreateLoginProfile", "CreatePolicy",
		"CreatePolicyVersion", "CreateRole", "CreateServiceLinkedRole", "CreateUser", "DeleteAccessKey",
		"DeleteGroup", "DeleteGroupPolicy", "DeleteInstanceProfile", "DeleteLoginProfile", "DeletePolicy",
		"DeletePolicyVersion", "DeleteRole", "DeleteRolePermissionsBoundary", "DeleteRolePolicy",
		"DeleteServiceLinkedRole", "DeleteUser", "DeleteUserPermissionsBoundary", "DeleteUserPolicy",
		"DetachGroupPolicy", "DetachRolePolicy", "DetachUserPolicy", "GetAccessKeyLastUsed", "GetGroup",
		"GetGroupPolicy", "GetInstanceProfile", "GetLoginProfile", "GetPolicy", "GetPolicyVersion", "GetRole",
		"GetRolePolicy", "GetServiceLinkedRoleDeletionStatus", "GetUser", "GetUserPolicy", "ListAccessKeys",
		"ListAttachedGroupPolicies", "ListAttachedRolePolicies", "ListAttachedUserPolicies",
		"ListEntitiesForPolicy", "ListGroupPolicies", "ListGroups", "ListGroupsForUser", "ListInstanceProfileTags",
		"ListInstanceProfiles", "ListInstanceProfilesForRole", "ListPolicies", "ListPolicyTags",
		"ListPolicyVersions", "ListRolePolicies", "ListRoleTags", "ListRoles", "ListUserPolicies", "ListUserTags",
		"ListUsers", "PutGroupPolicy", "PutRolePermissionsBoundary", "PutRolePolicy", "PutUserPermissionsBoundary",
		"PutUserPolicy", "RemoveRoleFromInstanceProfile", "RemoveUserFromGroup", "SetDefaultPolicyVersion",
		"TagInstanceProfile", "TagPolicy", "TagRole", "TagUser", "UntagInstanceProfile", "UntagPolicy",
		"UntagRole", "UntagUser", "UpdateAccessKey", "UpdateAssumeRolePolicy", "UpdateRole",
		"UpdateRoleDescription", "UpdateUser",
	}},
	{model: "secretsmanager", dir: "internal/localcloud/service/secretsmanager/wire", operations: []string{
		"BatchGetSecretValue", "CreateSecret", "DeleteResourcePolicy", "DeleteSecret", "DescribeSecret",
		"GetRandomPassword", "GetResourcePolicy", "GetSecretValue", "ListSecretVersionIds", "ListSecrets",
		"PutResourcePolicy", "PutSecretValue", "RestoreSecret", "TagResource", "UntagResource", "UpdateSecret",
		"UpdateSecretVersionStage", "ValidateResourcePolicy",
	}},
	{model: "acm", dir: "internal/localcloud/service/acm/wire", operations: []string{
		"AddTagsToCertificate", "DeleteCertificate", "DescribeCertificate", "ExportCertificate",
		"GetAccountConfiguration", "GetCertificate", "ImportCertificate", "ListCertificates",
		"ListTagsForCertificate", "PutAccountConfiguration", "RemoveTagsFromCertificate", "RenewCertificate",
		"RequestCertificate", "ResendValidationEmail", "UpdateCertificateOptions",
	}},
	{model: "application-autoscaling", dir: "internal/localcloud/service/applicationautoscaling/wire", operations: []string{
		"DeleteScalingPolicy", "DeleteScheduledAction", "DeregisterScalableTarget", "DescribeScalableTargets",
		"DescribeScalingActivities", "DescribeScalingPolicies", "DescribeScheduledActions",
		"GetPredictiveScalingForecast", "ListTagsForResource", "PutScalingPolicy", "PutScheduledAction",
		"RegisterScalableTarget", "TagResource", "UntagResource",
	}},
}

// wireOperations are the implemented operations of a model, by model name.
func wireOperations(modelName string) []string {
	for _, p := range wirePackages {
		if p.model == modelName {
			return p.operations
		}
	}
	return nil
}

// goShapes renders the Go source of the package's shapes from svc, the
// trimmed model (which keeps the output shapes of implemented operations).
func goShapes(svc *model.Service, p wirePackage, botocoreRelease string) ([]byte, error) {
	g := &shapeWriter{svc: svc, proto: svc.Metadata.Protocol, structs: map[string]bool{}}
	if g.proto == "smithy-rpc-v2-cbor" && slices.Contains(svc.Metadata.Protocols, "json") && slices.Contains(svc.Metadata.Protocols, "query") {
		g.proto = multiProtocol
	}
	if !slices.Contains([]string{"query", "ec2", "json", multiProtocol}, g.proto) {
		return nil, fmt.Errorf("%s: no Go shapes for protocol %q", p.model, g.proto)
	}
	type opTypes struct{ name, in, out string }
	var ops []opTypes
	for _, name := range p.operations {
		op := svc.Operation(name)
		if op == nil {
			return nil, fmt.Errorf("%s: the model has no operation %s", p.model, name)
		}
		t := opTypes{name: name, in: op.Input, out: op.Output}
		for _, shape := range []*string{&t.in, &t.out} {
			if *shape == "" {
				continue
			}
			if svc.Shapes[*shape] == nil {
				return nil, fmt.Errorf("%s: shape %s of %s is not in the trimmed model (regenerate from botocore)", p.model, *shape, name)
			}
			g.reach(*shape)
		}
		ops = append(ops, t)
	}
	names := make([]string, 0, len(g.structs))
	for n := range g.structs {
		names = append(names, n)
	}
	sort.Strings(names)
	var body bytes.Buffer
	for _, n := range names {
		if err := g.writeStruct(&body, n); err != nil {
			return nil, fmt.Errorf("%s: %w", p.model, err)
		}
	}
	var out bytes.Buffer
	pkg := p.dir[strings.LastIndex(p.dir, "/")+1:]
	fmt.Fprintf(&out, "// Code generated by internal/localcloud/model/gen from AWS's published botocore models (botocore %s, %s %s). DO NOT EDIT.\n\n",
		botocoreRelease, p.model, svc.Metadata.APIVersion)
	protocols := g.proto + " protocol"
	if g.proto == multiProtocol {
		protocols = strings.Join(svc.Metadata.Protocols, ", ") + " protocols; Time, Double and Map are the package's own"
	}
	fmt.Fprintf(&out, "// Package %s holds the request and response shapes of the %s operations the\n// local cloud implements, as AWS's model names them on the wire (%s).\npackage %s\n\n",
		pkg, svc.Metadata.ServiceID, protocols, pkg)
	out.WriteString("import (\n\"reflect\"\n\n\"github.com/berthdev/berth/internal/localcloud/protocol\"\n")
	for _, imp := range g.importList() {
		fmt.Fprintf(&out, "%q\n", imp)
	}
	out.WriteString(")\n\n")
	out.WriteString("// Operations are the implemented operations with their input and output types.\nvar Operations = map[string]protocol.Shapes{\n")
	for _, op := range ops {
		in, outType := "struct{}", "struct{}"
		if op.in != "" {
			in = goName(op.in)
		}
		if op.out != "" {
			outType = goName(op.out)
		}
		if op.out == "" && g.proto == "ec2" {
			outType = ec2Return
		}
		fmt.Fprintf(&out, "%q: {Input: reflect.TypeFor[%s](), Output: reflect.TypeFor[%s]()},\n", op.name, in, outType)
	}
	out.WriteString("}\n\n")
	if g.proto == "ec2" {
		fmt.Fprintf(&out, "// %s is the answer of the operations whose model has no output: EC2\n// writes <return>true</return> for them.\ntype %s struct {\nReturn bool `xml:\"return\"`\n}\n\n", ec2Return, ec2Return)
	}
	out.Write(body.Bytes())
	src, err := format.Source(out.Bytes())
	if err != nil {
		return nil, fmt.Errorf("%s: formatting generated shapes: %w\n%s", p.model, err, out.Bytes())
	}
	return src, nil
}

// multiProtocol is a service that speaks Smithy RPC v2 CBOR, awsJson and
// query alike (CloudWatch): one set of shapes carries `json` tags (which
// the CBOR codec reads too) beside the query form's and XML's. Lists are
// plain slices written as <Name><member>…</member></Name> when not empty;
// timestamps, doubles and maps are the wire package's own Time, Double
// and Map types, which read and write each protocol's form (hand-written
// beside the generated file).
const multiProtocol = "json+query"

// blobType is a query or EC2 blob member's Go type: base64 in the form
// and in the XML, as the SDKs send and read it.
const blobType = "query.Blob"

// ec2Return is the generated output type of the EC2 operations the model
// gives no output.
const ec2Return = "Return"

type shapeWriter struct {
	svc     *model.Service
	proto   string
	structs map[string]bool
	imports map[string]bool
}

func (g *shapeWriter) reach(name string) {
	shape := g.svc.Shapes[name]
	if shape == nil {
		return
	}
	switch shape.Type {
	case "structure":
		if g.structs[name] {
			return
		}
		g.structs[name] = true
		for _, m := range shape.Members {
			g.reach(m.Shape)
		}
	case "list":
		g.reach(shape.Member.Shape)
	case "map":
		g.reach(shape.Key.Shape)
		g.reach(shape.Value.Shape)
	}
}

func (g *shapeWriter) use(path string) {
	if g.imports == nil {
		g.imports = map[string]bool{}
	}
	g.imports[path] = true
}

func (g *shapeWriter) importList() []string {
	var out []string
	for p := range g.imports {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}

func (g *shapeWriter) writeStruct(w *bytes.Buffer, name string) error {
	shape := g.svc.Shapes[name]
	members := make([]string, 0, len(shape.Members))
	for m := range shape.Members {
		members = append(members, m)
	}
	sort.Strings(members)
	fmt.Fprintf(w, "type %s struct {\n", goName(name))
	for _, m := range members {
		ref := shape.Members[m]
		if ref.Location != "" {
			continue // headers and URI labels: none in these protocols' bodies
		}
		typ, err := g.fieldType(ref, name+"."+m)
		if err != nil {
			return err
		}
		if typ == "string" && presence[g.svc.Name][name+"."+m] {
			typ = "*string"
		}
		fmt.Fprintf(w, "%s %s `%s`\n", goName(m), typ, g.tags(m, ref, typ, slices.Contains(shape.Required, m) || written[g.svc.Name][name+"."+m]))
	}
	w.WriteString("}\n\n")
	return nil
}

// tags are the field's wire names: the form key a query or EC2 request
// carries it under and the XML element a response writes it as, or its
// JSON member name.
//
// A query or EC2 string is left out when empty, unless the model requires
// it (AWS writes a required member even when it is empty: a tag's Value);
// a nil pointer, list or map writes nothing by itself, while an empty
// non-nil list still writes its element (<Name/>), which is how AWS
// answers "none".
func (g *shapeWriter) tags(name string, ref *model.Member, goType string, required bool) string {
	if g.proto == "json" {
		return fmt.Sprintf(`json:"%s,omitzero"`, name)
	}
	if g.proto == multiProtocol {
		return g.multiTags(name, ref, goType, required)
	}
	key := model.MemberKey(name, ref, g.proto == "ec2")
	element := name
	if ref.LocationName != "" {
		element = ref.LocationName
	}
	shape := g.svc.Shapes[ref.Shape]
	if shape.Type == "list" && (shape.Flattened || ref.Flattened) {
		if shape.Member.LocationName != "" {
			element = shape.Member.LocationName
		}
	} else if shape.Type == "list" && g.itemName(shape) != g.defaultItem() {
		element += ">" + g.itemName(shape)
	}
	if (goType == "string" || goType == blobType) && !required {
		element += ",omitempty"
	}
	return fmt.Sprintf(`query:"%s" xml:"%s"`, key, element)
}

// multiTags are a multi-protocol field's names: its JSON (and CBOR)
// member, where an optional string is left out when empty (the CBOR codec
// knows omitempty, not omitzero) and anything else when nil; its query
// form key; and its XML element, a list's items as <member>.
func (g *shapeWriter) multiTags(name string, ref *model.Member, goType string, required bool) string {
	omit := "omitzero"
	if goType == "string" {
		omit = "omitempty"
		if required {
			omit = ""
		}
	}
	jsonTag := name
	if omit != "" {
		jsonTag += "," + omit
	}
	element := name
	if ref.LocationName != "" {
		element = ref.LocationName
	}
	if shape := g.svc.Shapes[ref.Shape]; shape.Type == "list" {
		element += ">" + g.itemName(shape)
	}
	if goType == "string" && !required {
		element += ",omitempty"
	}
	return fmt.Sprintf(`json:"%s" query:"%s" xml:"%s"`, jsonTag, model.MemberKey(name, ref, false), element)
}

func (g *shapeWriter) defaultItem() string {
	if g.proto == "ec2" {
		return "item"
	}
	return "member"
}

func (g *shapeWriter) itemName(list *model.Shape) string {
	if list.Member.LocationName != "" {
		return list.Member.LocationName
	}
	return "member"
}

// fieldType is a member's Go type: optional scalars other than strings are
// pointers (absent differs from zero), structures pointers, lists slices.
func (g *shapeWriter) fieldType(ref *model.Member, where string) (string, error) {
	shape := g.svc.Shapes[ref.Shape]
	if shape == nil {
		return "", fmt.Errorf("%s: shape %s is not in the model", where, ref.Shape)
	}
	switch shape.Type {
	case "structure":
		if shape.Document {
			return g.document(where)
		}
		return "*" + goName(ref.Shape), nil
	case "list":
		elem, err := g.elemType(shape.Member, where)
		if err != nil {
			return "", err
		}
		if g.proto == "json" || g.proto == multiProtocol || shape.Flattened || ref.Flattened || g.itemName(shape) != g.defaultItem() {
			return "[]" + elem, nil
		}
		if g.proto == "ec2" {
			g.use("github.com/berthdev/berth/internal/localcloud/protocol/ec2query")
			return "ec2query.List[" + elem + "]", nil
		}
		g.use("github.com/berthdev/berth/internal/localcloud/protocol/query")
		return "query.List[" + elem + "]", nil
	case "map":
		value, err := g.elemType(shape.Value, where)
		if err != nil {
			return "", err
		}
		if g.proto == "json" {
			return "map[string]" + value, nil
		}
		if g.proto == multiProtocol {
			return "Map[" + value + "]", nil
		}
		if value != "string" || shape.Flattened {
			return "", fmt.Errorf("%s: a %s map of %s is not supported by the query codec", where, g.proto, value)
		}
		g.use("github.com/berthdev/berth/internal/localcloud/protocol/query")
		return "query.Map", nil
	}
	scalar, err := g.scalar(shape, where)
	if err != nil || scalar == "string" || scalar == "[]byte" || scalar == blobType || strings.HasPrefix(scalar, "json.") {
		return scalar, err
	}
	return "*" + scalar, nil
}

func (g *shapeWriter) elemType(ref *model.Member, where string) (string, error) {
	shape := g.svc.Shapes[ref.Shape]
	if shape == nil {
		return "", fmt.Errorf("%s: shape %s is not in the model", where, ref.Shape)
	}
	switch shape.Type {
	case "structure":
		if shape.Document {
			return g.document(where)
		}
		return goName(ref.Shape), nil
	case "list", "map":
		if g.proto != "json" && g.proto != multiProtocol {
			return "", fmt.Errorf("%s: nested %s in a %s shape is not supported", where, shape.Type, g.proto)
		}
		return g.fieldType(ref, where)
	}
	return g.scalar(shape, where)
}

func (g *shapeWriter) document(where string) (string, error) {
	if g.proto != "json" {
		return "", fmt.Errorf("%s: documents exist in JSON protocols only", where)
	}
	g.use("encoding/json")
	return "json.RawMessage", nil
}

func (g *shapeWriter) scalar(shape *model.Shape, where string) (string, error) {
	switch shape.Type {
	case "string":
		return "string", nil
	case "boolean":
		return "bool", nil
	case "integer", "long", "short", "byte":
		return "int", nil
	case "float", "double":
		if g.proto == multiProtocol {
			return "Double", nil
		}
		return "float64", nil
	case "timestamp":
		if g.proto == multiProtocol {
			return "Time", nil
		}
		if g.proto == "json" {
			g.use("github.com/berthdev/berth/internal/localcloud/protocol/awsjson")
			return "awsjson.Time", nil
		}
		return "protocol.XMLTime", nil
	case "blob":
		switch g.proto {
		case "json":
			return "[]byte", nil
		case "query", "ec2":
			// base64 both ways, through the type's text methods
			g.use("github.com/berthdev/berth/internal/localcloud/protocol/query")
			return blobType, nil
		}
		return "", fmt.Errorf("%s: blobs in %s shapes are not supported yet", where, g.proto)
	}
	return "", fmt.Errorf("%s: unknown shape type %q", where, shape.Type)
}

// goName is a shape or member name as an exported Go identifier.
func goName(s string) string {
	var b strings.Builder
	for i, r := range s {
		switch {
		case i == 0:
			b.WriteRune(unicode.ToUpper(r))
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			b.WriteRune(r)
		default:
			b.WriteRune('_')
		}
	}
	if s == "Operations" {
		return "Operations_"
	}
	return b.String()
}
