package elbv2

import (
	"context"
	"encoding/xml"
	"maps"
	"slices"
	"strconv"

	"github.com/berthdev/berth/internal/localcloud/protocol"
)

// members is a list as the query protocol writes it: <Name><member>…</member></Name>,
// and <Name/> when empty (the element itself is dropped only by omitempty).
type members[T any] []T

// MarshalXML writes the list's items as <member> elements.
func (m members[T]) MarshalXML(e *xml.Encoder, start xml.StartElement) error {
	if err := e.EncodeToken(start); err != nil {
		return err
	}
	for _, item := range m {
		if err := e.EncodeElement(item, xml.StartElement{Name: xml.Name{Local: "member"}}); err != nil {
			return err
		}
	}
	return e.EncodeToken(start.End())
}

// membersOf converts each item for the wire; no items make an empty list,
// never a missing one.
func membersOf[T, X any](items []T, conv func(T) X) members[X] {
	out := members[X]{}
	for _, item := range items {
		out = append(out, conv(item))
	}
	return out
}

// pageOf cuts the page marker and pageSize ask for out of items and
// converts it for the wire, returning the marker of the next page.
func pageOf[T, X any](items []T, marker string, pageSize *int, conv func(T) X) (members[X], string, error) {
	page, next, err := paginate(items, marker, pageSize)
	if err != nil {
		return nil, "", err
	}
	return membersOf(page, conv), next, nil
}

type attribute struct {
	Key   string `query:"Key" xml:"Key"`
	Value string `query:"Value" xml:"Value"`
}

func attributesFrom(in []attribute) (map[string]string, error) {
	out := make(map[string]string, len(in))
	for _, a := range in {
		if a.Key == "" {
			return nil, validationError("Attribute keys must not be empty")
		}
		out[a.Key] = a.Value
	}
	return out, nil
}

func attributesOut(attrs map[string]string) members[attribute] {
	out := members[attribute]{}
	for _, key := range slices.Sorted(maps.Keys(attrs)) {
		out = append(out, attribute{Key: key, Value: attrs[key]})
	}
	return out
}

// ---- load balancers ----

type subnetMapping struct {
	SubnetId           string
	AllocationId       string
	PrivateIPv4Address string
	IPv6Address        string
}

type createLoadBalancerInput struct {
	Name           string
	Subnets        []string
	SubnetMappings []subnetMapping
	SecurityGroups []string
	Scheme         string
	Tags           []Tag
	Type           string
	IpAddressType  string
}

type loadBalancerState struct {
	Code string `xml:"Code"`
}

type availabilityZoneXML struct {
	ZoneName string `xml:"ZoneName"`
	SubnetId string `xml:"SubnetId"`
}

type loadBalancerXML struct {
	LoadBalancerArn       string                       `xml:"LoadBalancerArn"`
	DNSName               string                       `xml:"DNSName"`
	CanonicalHostedZoneId string                       `xml:"CanonicalHostedZoneId"`
	CreatedTime           protocol.XMLTime             `xml:"CreatedTime"`
	LoadBalancerName      string                       `xml:"LoadBalancerName"`
	Scheme                string                       `xml:"Scheme"`
	VpcId                 string                       `xml:"VpcId,omitempty"`
	State                 loadBalancerState            `xml:"State"`
	Type                  string                       `xml:"Type"`
	AvailabilityZones     members[availabilityZoneXML] `xml:"AvailabilityZones"`
	SecurityGroups        members[string]              `xml:"SecurityGroups"`
	IpAddressType         string                       `xml:"IpAddressType"`
}

func zonesOut(zones []ZoneMapping) members[availabilityZoneXML] {
	out := members[availabilityZoneXML]{}
	for _, z := range zones {
		out = append(out, availabilityZoneXML{ZoneName: z.ZoneName, SubnetId: z.SubnetID})
	}
	return out
}

func loadBalancerOut(lb *LoadBalancer) loadBalancerXML {
	return loadBalancerXML{
		LoadBalancerArn: lb.ARN, DNSName: lb.DNSName, CanonicalHostedZoneId: lb.CanonicalHostedZoneID,
		CreatedTime: protocol.XMLTime(lb.CreatedTime), LoadBalancerName: lb.Name, Scheme: lb.Scheme, VpcId: lb.VpcID,
		State: loadBalancerState{Code: lb.State}, Type: lb.Type, AvailabilityZones: zonesOut(lb.AvailabilityZones),
		SecurityGroups: members[string](lb.SecurityGroups), IpAddressType: lb.IPAddressType,
	}
}

type loadBalancersOutput struct {
	LoadBalancers members[loadBalancerXML] `xml:"LoadBalancers"`
	NextMarker    string                   `xml:"NextMarker,omitempty"`
}

func (b *Backend) handleCreateLoadBalancer(ctx context.Context, in *createLoadBalancerInput) (*loadBalancersOutput, error) {
	subnets := in.Subnets
	if len(in.SubnetMappings) > 0 {
		if len(subnets) > 0 {
			return nil, validationError("Subnets and subnet mappings cannot be specified at the same time")
		}
		for _, m := range in.SubnetMappings {
			subnets = append(subnets, m.SubnetId)
		}
	}
	lb, err := b.CreateLoadBalancer(ctx, CreateLoadBalancerRequest{
		Name: in.Name, Scheme: in.Scheme, Type: in.Type, IPAddressType: in.IpAddressType,
		Subnets: subnets, SecurityGroups: in.SecurityGroups, Tags: in.Tags,
	})
	if err != nil {
		return nil, err
	}
	return &loadBalancersOutput{LoadBalancers: members[loadBalancerXML]{loadBalancerOut(lb)}}, nil
}

type describeLoadBalancersInput struct {
	LoadBalancerArns []string
	Names            []string
	Marker           string
	PageSize         *int
}

func (b *Backend) handleDescribeLoadBalancers(ctx context.Context, in *describeLoadBalancersInput) (*loadBalancersOutput, error) {
	lbs, err := b.LoadBalancers(ctx, in.LoadBalancerArns, in.Names)
	if err != nil {
		return nil, err
	}
	page, next, err := pageOf(lbs, in.Marker, in.PageSize, loadBalancerOut)
	if err != nil {
		return nil, err
	}
	return &loadBalancersOutput{LoadBalancers: page, NextMarker: next}, nil
}

type loadBalancerARNInput struct {
	LoadBalancerArn string
}

type emptyOutput struct{}

func (b *Backend) handleDeleteLoadBalancer(ctx context.Context, in *loadBalancerARNInput) (*emptyOutput, error) {
	if err := required("loadBalancerArn", in.LoadBalancerArn != ""); err != nil {
		return nil, err
	}
	return nil, b.DeleteLoadBalancer(ctx, in.LoadBalancerArn)
}

type attributesOutput struct {
	Attributes members[attribute] `xml:"Attributes"`
}

func (b *Backend) handleDescribeLoadBalancerAttributes(ctx context.Context, in *loadBalancerARNInput) (*attributesOutput, error) {
	if err := required("loadBalancerArn", in.LoadBalancerArn != ""); err != nil {
		return nil, err
	}
	lbs, err := b.LoadBalancers(ctx, []string{in.LoadBalancerArn}, nil)
	if err != nil {
		return nil, err
	}
	return &attributesOutput{Attributes: attributesOut(lbs[0].Attributes)}, nil
}

// modifyAttributes serves the Modify*Attributes calls: it checks the
// request for the resource the member arnMember names, sets in on it with
// modify and answers with all the resource's attributes.
func modifyAttributes(ctx context.Context, arnMember, arn string, in []attribute, modify func(ctx context.Context, arn string, attrs map[string]string) (map[string]string, error)) (*attributesOutput, error) {
	if err := required(arnMember, arn != ""); err != nil {
		return nil, err
	}
	if err := required("attributes", in != nil); err != nil {
		return nil, err
	}
	attrs, err := attributesFrom(in)
	if err != nil {
		return nil, err
	}
	all, err := modify(ctx, arn, attrs)
	if err != nil {
		return nil, err
	}
	return &attributesOutput{Attributes: attributesOut(all)}, nil
}

type modifyLoadBalancerAttributesInput struct {
	LoadBalancerArn string
	Attributes      []attribute
}

func (b *Backend) handleModifyLoadBalancerAttributes(ctx context.Context, in *modifyLoadBalancerAttributesInput) (*attributesOutput, error) {
	return modifyAttributes(ctx, "loadBalancerArn", in.LoadBalancerArn, in.Attributes, b.ModifyLoadBalancerAttributes)
}

type setSecurityGroupsInput struct {
	LoadBalancerArn string
	SecurityGroups  []string
}

type setSecurityGroupsOutput struct {
	SecurityGroupIds members[string] `xml:"SecurityGroupIds"`
}

func (b *Backend) handleSetSecurityGroups(ctx context.Context, in *setSecurityGroupsInput) (*setSecurityGroupsOutput, error) {
	if err := required("loadBalancerArn", in.LoadBalancerArn != ""); err != nil {
		return nil, err
	}
	if err := required("securityGroups", in.SecurityGroups != nil); err != nil {
		return nil, err
	}
	lb, err := b.SetSecurityGroups(ctx, in.LoadBalancerArn, in.SecurityGroups)
	if err != nil {
		return nil, err
	}
	return &setSecurityGroupsOutput{SecurityGroupIds: members[string](lb.SecurityGroups)}, nil
}

type setSubnetsInput struct {
	LoadBalancerArn string
	Subnets         []string
	SubnetMappings  []subnetMapping
	IpAddressType   string
}

type setSubnetsOutput struct {
	AvailabilityZones members[availabilityZoneXML] `xml:"AvailabilityZones"`
	IpAddressType     string                       `xml:"IpAddressType,omitempty"`
}

func (b *Backend) handleSetSubnets(ctx context.Context, in *setSubnetsInput) (*setSubnetsOutput, error) {
	if err := required("loadBalancerArn", in.LoadBalancerArn != ""); err != nil {
		return nil, err
	}
	subnets := in.Subnets
	for _, m := range in.SubnetMappings {
		subnets = append(subnets, m.SubnetId)
	}
	lb, err := b.SetSubnets(ctx, in.LoadBalancerArn, subnets)
	if err != nil {
		return nil, err
	}
	if in.IpAddressType != "" {
		if lb, err = b.SetIPAddressType(ctx, in.LoadBalancerArn, in.IpAddressType); err != nil {
			return nil, err
		}
	}
	return &setSubnetsOutput{AvailabilityZones: zonesOut(lb.AvailabilityZones), IpAddressType: lb.IPAddressType}, nil
}

type setIPAddressTypeInput struct {
	LoadBalancerArn string
	IpAddressType   string
}

type setIPAddressTypeOutput struct {
	IpAddressType string `xml:"IpAddressType"`
}

func (b *Backend) handleSetIPAddressType(ctx context.Context, in *setIPAddressTypeInput) (*setIPAddressTypeOutput, error) {
	if err := required("loadBalancerArn", in.LoadBalancerArn != ""); err != nil {
		return nil, err
	}
	lb, err := b.SetIPAddressType(ctx, in.LoadBalancerArn, in.IpAddressType)
	if err != nil {
		return nil, err
	}
	return &setIPAddressTypeOutput{IpAddressType: lb.IPAddressType}, nil
}

// ---- target groups ----

type matcher struct {
	HttpCode string `query:"HttpCode" xml:"HttpCode,omitempty"`
	GrpcCode string `query:"GrpcCode" xml:"GrpcCode,omitempty"`
}

type targetGroupInput struct {
	TargetGroupArn             string
	Name                       string
	Protocol                   string
	ProtocolVersion            string
	Port                       *int
	VpcId                      string
	HealthCheckProtocol        string
	HealthCheckPort            string
	HealthCheckEnabled         *bool
	HealthCheckPath            string
	HealthCheckIntervalSeconds *int
	HealthCheckTimeoutSeconds  *int
	HealthyThresholdCount      *int
	UnhealthyThresholdCount    *int
	Matcher                    *matcher
	TargetType                 string
	Tags                       []Tag
	IpAddressType              string
}

func (in *targetGroupInput) request() TargetGroupRequest {
	req := TargetGroupRequest{
		Name: in.Name, Protocol: in.Protocol, ProtocolVersion: in.ProtocolVersion, Port: in.Port, VpcID: in.VpcId,
		TargetType: in.TargetType, IPAddressType: in.IpAddressType, HealthCheckEnabled: in.HealthCheckEnabled,
		HealthCheckProtocol: in.HealthCheckProtocol, HealthCheckPort: in.HealthCheckPort, HealthCheckPath: in.HealthCheckPath,
		HealthCheckIntervalSeconds: in.HealthCheckIntervalSeconds, HealthCheckTimeoutSeconds: in.HealthCheckTimeoutSeconds,
		HealthyThresholdCount: in.HealthyThresholdCount, UnhealthyThresholdCount: in.UnhealthyThresholdCount, Tags: in.Tags,
	}
	if in.Matcher != nil {
		req.Matcher = in.Matcher.HttpCode
		if in.Matcher.GrpcCode != "" {
			req.Matcher = in.Matcher.GrpcCode
		}
	}
	return req
}

type targetGroupXML struct {
	TargetGroupArn             string          `xml:"TargetGroupArn"`
	TargetGroupName            string          `xml:"TargetGroupName"`
	Protocol                   string          `xml:"Protocol"`
	Port                       int             `xml:"Port"`
	VpcId                      string          `xml:"VpcId"`
	HealthCheckProtocol        string          `xml:"HealthCheckProtocol"`
	HealthCheckPort            string          `xml:"HealthCheckPort"`
	HealthCheckEnabled         bool            `xml:"HealthCheckEnabled"`
	HealthCheckIntervalSeconds int             `xml:"HealthCheckIntervalSeconds"`
	HealthCheckTimeoutSeconds  int             `xml:"HealthCheckTimeoutSeconds"`
	HealthyThresholdCount      int             `xml:"HealthyThresholdCount"`
	UnhealthyThresholdCount    int             `xml:"UnhealthyThresholdCount"`
	HealthCheckPath            string          `xml:"HealthCheckPath"`
	Matcher                    matcher         `xml:"Matcher"`
	LoadBalancerArns           members[string] `xml:"LoadBalancerArns"`
	TargetType                 string          `xml:"TargetType"`
	ProtocolVersion            string          `xml:"ProtocolVersion"`
	IpAddressType              string          `xml:"IpAddressType"`
}

func targetGroupOut(tg *TargetGroup, users []string) targetGroupXML {
	hc := tg.HealthCheck
	m := matcher{HttpCode: hc.Matcher}
	if tg.ProtocolVersion == "GRPC" {
		m = matcher{GrpcCode: hc.Matcher}
	}
	return targetGroupXML{
		TargetGroupArn: tg.ARN, TargetGroupName: tg.Name, Protocol: tg.Protocol, Port: tg.Port, VpcId: tg.VpcID,
		HealthCheckProtocol: hc.Protocol, HealthCheckPort: hc.Port, HealthCheckEnabled: hc.Enabled,
		HealthCheckIntervalSeconds: hc.IntervalSeconds, HealthCheckTimeoutSeconds: hc.TimeoutSeconds,
		HealthyThresholdCount: hc.HealthyThreshold, UnhealthyThresholdCount: hc.UnhealthyThreshold,
		HealthCheckPath: hc.Path, Matcher: m, LoadBalancerArns: append(members[string]{}, users...),
		TargetType: tg.TargetType, ProtocolVersion: tg.ProtocolVersion, IpAddressType: tg.IPAddressType,
	}
}

type targetGroupsOutput struct {
	TargetGroups members[targetGroupXML] `xml:"TargetGroups"`
	NextMarker   string                  `xml:"NextMarker,omitempty"`
}

// targetGroupOutput answers a create or modify with the one target group,
// and the load balancers that use it.
func (b *Backend) targetGroupOutput(ctx context.Context, tg *TargetGroup) (*targetGroupsOutput, error) {
	_, users, err := b.TargetGroups(ctx, "", []string{tg.ARN}, nil)
	if err != nil {
		return nil, err
	}
	return &targetGroupsOutput{TargetGroups: members[targetGroupXML]{targetGroupOut(tg, users[tg.ARN])}}, nil
}

func (b *Backend) handleCreateTargetGroup(ctx context.Context, in *targetGroupInput) (*targetGroupsOutput, error) {
	tg, err := b.CreateTargetGroup(ctx, in.request())
	if err != nil {
		return nil, err
	}
	return b.targetGroupOutput(ctx, tg)
}

type describeTargetGroupsInput struct {
	LoadBalancerArn string
	TargetGroupArns []string
	Names           []string
	Marker          string
	PageSize        *int
}

func (b *Backend) handleDescribeTargetGroups(ctx context.Context, in *describeTargetGroupsInput) (*targetGroupsOutput, error) {
	groups, users, err := b.TargetGroups(ctx, in.LoadBalancerArn, in.TargetGroupArns, in.Names)
	if err != nil {
		return nil, err
	}
	page, next, err := pageOf(groups, in.Marker, in.PageSize, func(tg *TargetGroup) targetGroupXML {
		return targetGroupOut(tg, users[tg.ARN])
	})
	if err != nil {
		return nil, err
	}
	return &targetGroupsOutput{TargetGroups: page, NextMarker: next}, nil
}

func (b *Backend) handleModifyTargetGroup(ctx context.Context, in *targetGroupInput) (*targetGroupsOutput, error) {
	if err := required("targetGroupArn", in.TargetGroupArn != ""); err != nil {
		return nil, err
	}
	tg, err := b.ModifyTargetGroup(ctx, in.TargetGroupArn, in.request())
	if err != nil {
		return nil, err
	}
	return b.targetGroupOutput(ctx, tg)
}

type targetGroupARNInput struct {
	TargetGroupArn string
}

func (b *Backend) handleDeleteTargetGroup(ctx context.Context, in *targetGroupARNInput) (*emptyOutput, error) {
	if err := required("targetGroupArn", in.TargetGroupArn != ""); err != nil {
		return nil, err
	}
	return nil, b.DeleteTargetGroup(ctx, in.TargetGroupArn)
}

func (b *Backend) handleDescribeTargetGroupAttributes(ctx context.Context, in *targetGroupARNInput) (*attributesOutput, error) {
	if err := required("targetGroupArn", in.TargetGroupArn != ""); err != nil {
		return nil, err
	}
	groups, _, err := b.TargetGroups(ctx, "", []string{in.TargetGroupArn}, nil)
	if err != nil {
		return nil, err
	}
	return &attributesOutput{Attributes: attributesOut(groups[0].Attributes)}, nil
}

type modifyTargetGroupAttributesInput struct {
	TargetGroupArn string
	Attributes     []attribute
}

func (b *Backend) handleModifyTargetGroupAttributes(ctx context.Context, in *modifyTargetGroupAttributesInput) (*attributesOutput, error) {
	return modifyAttributes(ctx, "targetGroupArn", in.TargetGroupArn, in.Attributes, b.ModifyTargetGroupAttributes)
}

// ---- targets ----

type targetDescription struct {
	Id               string `query:"Id" xml:"Id"`
	Port             *int   `query:"Port" xml:"Port,omitempty"`
	AvailabilityZone string `query:"AvailabilityZone" xml:"AvailabilityZone,omitempty"`
}

type targetsInput struct {
	TargetGroupArn string
	Targets        []targetDescription
}

func targetsFrom(in []targetDescription) []Target {
	out := make([]Target, len(in))
	for i, t := range in {
		out[i] = Target{ID: t.Id}
		if t.Port != nil {
			out[i].Port = *t.Port
		}
	}
	return out
}

func (b *Backend) handleRegisterTargets(ctx context.Context, in *targetsInput) (*emptyOutput, error) {
	if err := required("targetGroupArn", in.TargetGroupArn != ""); err != nil {
		return nil, err
	}
	return nil, b.RegisterTargets(ctx, in.TargetGroupArn, targetsFrom(in.Targets))
}

func (b *Backend) handleDeregisterTargets(ctx context.Context, in *targetsInput) (*emptyOutput, error) {
	if err := required("targetGroupArn", in.TargetGroupArn != ""); err != nil {
		return nil, err
	}
	return nil, b.DeregisterTargets(ctx, in.TargetGroupArn, targetsFrom(in.Targets))
}

type targetHealthXML struct {
	State       string `xml:"State"`
	Reason      string `xml:"Reason,omitempty"`
	Description string `xml:"Description,omitempty"`
}

type targetHealthDescriptionXML struct {
	Target          targetDescription `xml:"Target"`
	HealthCheckPort string            `xml:"HealthCheckPort"`
	TargetHealth    targetHealthXML   `xml:"TargetHealth"`
}

type describeTargetHealthOutput struct {
	TargetHealthDescriptions members[targetHealthDescriptionXML] `xml:"TargetHealthDescriptions"`
}

func (b *Backend) handleDescribeTargetHealth(ctx context.Context, in *targetsInput) (*describeTargetHealthOutput, error) {
	if err := required("targetGroupArn", in.TargetGroupArn != ""); err != nil {
		return nil, err
	}
	health, err := b.TargetHealth(ctx, in.TargetGroupArn, targetsFrom(in.Targets))
	if err != nil {
		return nil, err
	}
	out := &describeTargetHealthOutput{TargetHealthDescriptions: members[targetHealthDescriptionXML]{}}
	for _, h := range health {
		out.TargetHealthDescriptions = append(out.TargetHealthDescriptions, targetHealthDescriptionXML{
			Target:          targetDescription{Id: h.Target.ID, Port: ptr(h.Target.Port)},
			HealthCheckPort: h.HealthCheckPort,
			TargetHealth:    targetHealthXML{State: h.State, Reason: h.Reason, Description: h.Description},
		})
	}
	return out, nil
}

// ---- listeners ----

type listenerInput struct {
	ListenerArn     string
	LoadBalancerArn string
	Protocol        string
	Port            *int
	SslPolicy       string
	Certificates    []Certificate
	DefaultActions  []Action
	AlpnPolicy      []string
	Tags            []Tag
}

func (in *listenerInput) request() ListenerRequest {
	return ListenerRequest{
		LoadBalancerARN: in.LoadBalancerArn, Protocol: in.Protocol, Port: in.Port, SslPolicy: in.SslPolicy,
		Certificates: in.Certificates, AlpnPolicy: in.AlpnPolicy, DefaultActions: in.DefaultActions, Tags: in.Tags,
	}
}

type listenerXML struct {
	ListenerArn     string               `xml:"ListenerArn"`
	LoadBalancerArn string               `xml:"LoadBalancerArn"`
	Port            int                  `xml:"Port"`
	Protocol        string               `xml:"Protocol"`
	Certificates    members[Certificate] `xml:"Certificates,omitempty"`
	SslPolicy       string               `xml:"SslPolicy,omitempty"`
	DefaultActions  members[Action]      `xml:"DefaultActions"`
	AlpnPolicy      members[string]      `xml:"AlpnPolicy,omitempty"`
}

func listenerOut(l *Listener) listenerXML {
	return listenerXML{
		ListenerArn: l.ARN, LoadBalancerArn: l.LoadBalancerARN, Port: l.Port, Protocol: l.Protocol,
		Certificates: l.Certificates, SslPolicy: l.SslPolicy, DefaultActions: l.DefaultActions, AlpnPolicy: l.AlpnPolicy,
	}
}

type listenersOutput struct {
	Listeners  members[listenerXML] `xml:"Listeners"`
	NextMarker string               `xml:"NextMarker,omitempty"`
}

func (b *Backend) handleCreateListener(ctx context.Context, in *listenerInput) (*listenersOutput, error) {
	if err := required("defaultActions", in.DefaultActions != nil); err != nil {
		return nil, err
	}
	l, err := b.CreateListener(ctx, in.request())
	if err != nil {
		return nil, err
	}
	return &listenersOutput{Listeners: members[listenerXML]{listenerOut(l)}}, nil
}

type describeListenersInput struct {
	LoadBalancerArn string
	ListenerArns    []string
	Marker          string
	PageSize        *int
}

func (b *Backend) handleDescribeListeners(ctx context.Context, in *describeListenersInput) (*listenersOutput, error) {
	listeners, err := b.Listeners(ctx, in.LoadBalancerArn, in.ListenerArns)
	if err != nil {
		return nil, err
	}
	page, next, err := pageOf(listeners, in.Marker, in.PageSize, listenerOut)
	if err != nil {
		return nil, err
	}
	return &listenersOutput{Listeners: page, NextMarker: next}, nil
}

func (b *Backend) handleModifyListener(ctx context.Context, in *listenerInput) (*listenersOutput, error) {
	if err := required("listenerArn", in.ListenerArn != ""); err != nil {
		return nil, err
	}
	l, err := b.ModifyListener(ctx, in.ListenerArn, in.request())
	if err != nil {
		return nil, err
	}
	return &listenersOutput{Listeners: members[listenerXML]{listenerOut(l)}}, nil
}

type listenerARNInput struct {
	ListenerArn string
	Marker      string
	PageSize    *int
}

func (b *Backend) handleDeleteListener(ctx context.Context, in *listenerARNInput) (*emptyOutput, error) {
	if err := required("listenerArn", in.ListenerArn != ""); err != nil {
		return nil, err
	}
	return nil, b.DeleteListener(ctx, in.ListenerArn)
}

func (b *Backend) handleDescribeListenerAttributes(ctx context.Context, in *listenerARNInput) (*attributesOutput, error) {
	if err := required("listenerArn", in.ListenerArn != ""); err != nil {
		return nil, err
	}
	if _, err := b.Listeners(ctx, "", []string{in.ListenerArn}); err != nil {
		return nil, err
	}
	// ALB listeners have no attributes that change behaviour here; AWS
	// reports the mTLS header names, which clients only display.
	return &attributesOutput{Attributes: members[attribute]{}}, nil
}

type describeListenerCertificatesOutput struct {
	Certificates members[Certificate] `xml:"Certificates"`
	NextMarker   string               `xml:"NextMarker,omitempty"`
}

func (b *Backend) handleDescribeListenerCertificates(ctx context.Context, in *listenerARNInput) (*describeListenerCertificatesOutput, error) {
	if err := required("listenerArn", in.ListenerArn != ""); err != nil {
		return nil, err
	}
	listeners, err := b.Listeners(ctx, "", []string{in.ListenerArn})
	if err != nil {
		return nil, err
	}
	out := &describeListenerCertificatesOutput{Certificates: members[Certificate]{}}
	for i, c := range listeners[0].Certificates {
		out.Certificates = append(out.Certificates, Certificate{CertificateArn: c.CertificateArn, IsDefault: ptr(i == 0)})
	}
	return out, nil
}

type listenerCertificatesInput struct {
	ListenerArn  string
	Certificates []Certificate
}

type addListenerCertificatesOutput struct {
	Certificates members[Certificate] `xml:"Certificates"`
}

func (b *Backend) handleAddListenerCertificates(ctx context.Context, in *listenerCertificatesInput) (*addListenerCertificatesOutput, error) {
	certs, err := b.AddListenerCertificates(ctx, in.ListenerArn, in.Certificates)
	if err != nil {
		return nil, err
	}
	out := &addListenerCertificatesOutput{Certificates: members[Certificate]{}}
	for _, c := range certs[1:] { // AWS lists the added (non-default) certificates
		out.Certificates = append(out.Certificates, Certificate{CertificateArn: c.CertificateArn, IsDefault: ptr(false)})
	}
	return out, nil
}

func (b *Backend) handleRemoveListenerCertificates(ctx context.Context, in *listenerCertificatesInput) (*emptyOutput, error) {
	return nil, b.RemoveListenerCertificates(ctx, in.ListenerArn, in.Certificates)
}

// ---- rules ----

type ruleInput struct {
	RuleArn     string
	ListenerArn string
	Priority    *int
	Conditions  []Condition
	Actions     []Action
	Tags        []Tag
}

type ruleXML struct {
	RuleArn    string             `xml:"RuleArn"`
	Priority   string             `xml:"Priority"`
	Conditions members[Condition] `xml:"Conditions"`
	Actions    members[Action]    `xml:"Actions"`
	IsDefault  bool               `xml:"IsDefault"`
}

func ruleOut(r *Rule) ruleXML {
	priority := strconv.Itoa(r.Priority)
	if r.IsDefault {
		priority = "default"
	}
	return ruleXML{RuleArn: r.ARN, Priority: priority, Conditions: r.Conditions, Actions: r.Actions, IsDefault: r.IsDefault}
}

type rulesOutput struct {
	Rules      members[ruleXML] `xml:"Rules"`
	NextMarker string           `xml:"NextMarker,omitempty"`
}

func (b *Backend) handleCreateRule(ctx context.Context, in *ruleInput) (*rulesOutput, error) {
	if err := required("actions", in.Actions != nil); err != nil {
		return nil, err
	}
	r, err := b.CreateRule(ctx, RuleRequest{ListenerARN: in.ListenerArn, Priority: in.Priority, Conditions: in.Conditions, Actions: in.Actions, Tags: in.Tags})
	if err != nil {
		return nil, err
	}
	return &rulesOutput{Rules: membersOf([]*Rule{r}, ruleOut)}, nil
}

type describeRulesInput struct {
	ListenerArn string
	RuleArns    []string
	Marker      string
	PageSize    *int
}

func (b *Backend) handleDescribeRules(ctx context.Context, in *describeRulesInput) (*rulesOutput, error) {
	rules, err := b.Rules(ctx, in.ListenerArn, in.RuleArns)
	if err != nil {
		return nil, err
	}
	page, next, err := pageOf(rules, in.Marker, in.PageSize, ruleOut)
	if err != nil {
		return nil, err
	}
	return &rulesOutput{Rules: page, NextMarker: next}, nil
}

func (b *Backend) handleModifyRule(ctx context.Context, in *ruleInput) (*rulesOutput, error) {
	if err := required("ruleArn", in.RuleArn != ""); err != nil {
		return nil, err
	}
	r, err := b.ModifyRule(ctx, in.RuleArn, RuleRequest{Conditions: in.Conditions, Actions: in.Actions})
	if err != nil {
		return nil, err
	}
	return &rulesOutput{Rules: membersOf([]*Rule{r}, ruleOut)}, nil
}

func (b *Backend) handleDeleteRule(ctx context.Context, in *ruleInput) (*emptyOutput, error) {
	if err := required("ruleArn", in.RuleArn != ""); err != nil {
		return nil, err
	}
	return nil, b.DeleteRule(ctx, in.RuleArn)
}

type rulePriorityPair struct {
	RuleArn  string
	Priority int
}

type setRulePrioritiesInput struct {
	RulePriorities []rulePriorityPair
}

func (b *Backend) handleSetRulePriorities(ctx context.Context, in *setRulePrioritiesInput) (*rulesOutput, error) {
	priorities := map[string]int{}
	for _, p := range in.RulePriorities {
		if _, dup := priorities[p.RuleArn]; dup {
			return nil, validationError("Rule '%s' is specified more than once", p.RuleArn)
		}
		priorities[p.RuleArn] = p.Priority
	}
	rules, err := b.SetRulePriorities(ctx, priorities)
	if err != nil {
		return nil, err
	}
	return &rulesOutput{Rules: membersOf(rules, ruleOut)}, nil
}

// ---- tags ----

type tagsInput struct {
	ResourceArns []string
	Tags         []Tag
	TagKeys      []string
}

func (b *Backend) handleAddTags(ctx context.Context, in *tagsInput) (*emptyOutput, error) {
	return nil, b.AddTags(ctx, in.ResourceArns, in.Tags)
}

func (b *Backend) handleRemoveTags(ctx context.Context, in *tagsInput) (*emptyOutput, error) {
	return nil, b.RemoveTags(ctx, in.ResourceArns, in.TagKeys)
}

type tagDescriptionXML struct {
	ResourceArn string       `xml:"ResourceArn"`
	Tags        members[Tag] `xml:"Tags"`
}

type describeTagsOutput struct {
	TagDescriptions members[tagDescriptionXML] `xml:"TagDescriptions"`
}

func (b *Backend) handleDescribeTags(ctx context.Context, in *tagsInput) (*describeTagsOutput, error) {
	tags, err := b.Tags(ctx, in.ResourceArns)
	if err != nil {
		return nil, err
	}
	out := &describeTagsOutput{TagDescriptions: members[tagDescriptionXML]{}}
	for _, arn := range in.ResourceArns {
		out.TagDescriptions = append(out.TagDescriptions, tagDescriptionXML{ResourceArn: arn, Tags: append(members[Tag]{}, tags[arn]...)})
	}
	return out, nil
}
