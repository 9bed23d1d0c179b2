package elbv2

import (
	"context"
	"maps"
	"slices"
	"strconv"

	"github.com/berthdev/berth/internal/localcloud/protocol"
	"github.com/berthdev/berth/internal/localcloud/protocol/query"
	"github.com/berthdev/berth/internal/localcloud/service/elbv2/wire"
)

// The handlers translate between the generated wire shapes (package wire,
// from AWS's model) and the backend's domain calls. A list the response
// always carries is made non-nil, so that it is written even when empty
// (<Name/>), as AWS writes it.

// listOf converts each item for the wire; no items make an empty list,
// never a missing one.
func listOf[T, X any](items []T, conv func(T) X) query.List[X] {
	out := query.List[X]{}
	for _, item := range items {
		out = append(out, conv(item))
	}
	return out
}

// listOrNil is items as a list that is left out of the response when
// empty.
func listOrNil[T any](items []T) query.List[T] {
	if len(items) == 0 {
		return nil
	}
	return query.List[T](items)
}

// pageOf cuts the page marker and pageSize ask for out of items and
// converts it for the wire, returning the marker of the next page.
func pageOf[T, X any](items []T, marker string, pageSize *int, conv func(T) X) (query.List[X], string, error) {
	page, next, err := paginate(items, marker, pageSize)
	if err != nil {
		return nil, "", err
	}
	return listOf(page, conv), next, nil
}

// attributesFrom reads the Key/Value attributes of a Modify*Attributes
// call (each resource kind has its own attribute shape).
func attributesFrom[A any](in []A, keyValue func(A) (string, string)) (map[string]string, error) {
	out := make(map[string]string, len(in))
	for _, a := range in {
		key, value := keyValue(a)
		if key == "" {
			return nil, validationError("Attribute keys must not be empty")
		}
		out[key] = value
	}
	return out, nil
}

// attributesOut lists attrs in key order.
func attributesOut[A any](attrs map[string]string, attribute func(key, value string) A) query.List[A] {
	out := query.List[A]{}
	for _, key := range slices.Sorted(maps.Keys(attrs)) {
		out = append(out, attribute(key, attrs[key]))
	}
	return out
}

// modifyAttributes serves the Modify*Attributes calls: it checks the
// request for the resource the member arnMember names, sets in on it with
// modify and answers with all the resource's attributes.
func modifyAttributes[A any](ctx context.Context, arnMember, arn string, in query.List[A], keyValue func(A) (string, string),
	attribute func(key, value string) A, modify func(ctx context.Context, arn string, attrs map[string]string) (map[string]string, error)) (query.List[A], error) {
	if err := required(arnMember, arn != ""); err != nil {
		return nil, err
	}
	if err := required("attributes", in != nil); err != nil {
		return nil, err
	}
	attrs, err := attributesFrom(in, keyValue)
	if err != nil {
		return nil, err
	}
	all, err := modify(ctx, arn, attrs)
	if err != nil {
		return nil, err
	}
	return attributesOut(all, attribute), nil
}

// ---- load balancers ----

func zonesOut(zones []ZoneMapping) query.List[wire.AvailabilityZone] {
	return listOf(zones, func(z ZoneMapping) wire.AvailabilityZone {
		return wire.AvailabilityZone{ZoneName: z.ZoneName, SubnetId: z.SubnetID}
	})
}

func loadBalancerOut(lb *LoadBalancer) wire.LoadBalancer {
	created := protocol.XMLTime(lb.CreatedTime)
	return wire.LoadBalancer{
		LoadBalancerArn: lb.ARN, DNSName: lb.DNSName, CanonicalHostedZoneId: lb.CanonicalHostedZoneID,
		CreatedTime: &created, LoadBalancerName: lb.Name, Scheme: lb.Scheme, VpcId: lb.VpcID,
		State: &wire.LoadBalancerState{Code: lb.State}, Type: lb.Type, AvailabilityZones: zonesOut(lb.AvailabilityZones),
		SecurityGroups: append(query.List[string]{}, lb.SecurityGroups...), IpAddressType: lb.IPAddressType,
	}
}

func subnetsOf(subnets []string, mappings []wire.SubnetMapping) []string {
	for _, m := range mappings {
		subnets = append(subnets, m.SubnetId)
	}
	return subnets
}

func (b *Backend) handleCreateLoadBalancer(ctx context.Context, in *wire.CreateLoadBalancerInput) (*wire.CreateLoadBalancerOutput, error) {
	if len(in.SubnetMappings) > 0 && len(in.Subnets) > 0 {
		return nil, validationError("Subnets and subnet mappings cannot be specified at the same time")
	}
	lb, err := b.CreateLoadBalancer(ctx, CreateLoadBalancerRequest{
		Name: in.Name, Scheme: in.Scheme, Type: in.Type, IPAddressType: in.IpAddressType,
		Subnets: subnetsOf(in.Subnets, in.SubnetMappings), SecurityGroups: in.SecurityGroups, Tags: in.Tags,
	})
	if err != nil {
		return nil, err
	}
	return &wire.CreateLoadBalancerOutput{LoadBalancers: query.List[wire.LoadBalancer]{loadBalancerOut(lb)}}, nil
}

func (b *Backend) handleDescribeLoadBalancers(ctx context.Context, in *wire.DescribeLoadBalancersInput) (*wire.DescribeLoadBalancersOutput, error) {
	lbs, err := b.LoadBalancers(ctx, in.LoadBalancerArns, in.Names)
	if err != nil {
		return nil, err
	}
	page, next, err := pageOf(lbs, in.Marker, in.PageSize, loadBalancerOut)
	if err != nil {
		return nil, err
	}
	return &wire.DescribeLoadBalancersOutput{LoadBalancers: page, NextMarker: next}, nil
}

func (b *Backend) handleDeleteLoadBalancer(ctx context.Context, in *wire.DeleteLoadBalancerInput) (*wire.DeleteLoadBalancerOutput, error) {
	if err := required("loadBalancerArn", in.LoadBalancerArn != ""); err != nil {
		return nil, err
	}
	return nil, b.DeleteLoadBalancer(ctx, in.LoadBalancerArn)
}

func loadBalancerAttribute(key, value string) wire.LoadBalancerAttribute {
	return wire.LoadBalancerAttribute{Key: key, Value: value}
}

func loadBalancerAttributeKeyValue(a wire.LoadBalancerAttribute) (string, string) {
	return a.Key, a.Value
}

func (b *Backend) handleDescribeLoadBalancerAttributes(ctx context.Context, in *wire.DescribeLoadBalancerAttributesInput) (*wire.DescribeLoadBalancerAttributesOutput, error) {
	if err := required("loadBalancerArn", in.LoadBalancerArn != ""); err != nil {
		return nil, err
	}
	lbs, err := b.LoadBalancers(ctx, []string{in.LoadBalancerArn}, nil)
	if err != nil {
		return nil, err
	}
	return &wire.DescribeLoadBalancerAttributesOutput{Attributes: attributesOut(lbs[0].Attributes, loadBalancerAttribute)}, nil
}

func (b *Backend) handleModifyLoadBalancerAttributes(ctx context.Context, in *wire.ModifyLoadBalancerAttributesInput) (*wire.ModifyLoadBalancerAttributesOutput, error) {
	attrs, err := modifyAttributes(ctx, "loadBalancerArn", in.LoadBalancerArn, in.Attributes, loadBalancerAttributeKeyValue,
		loadBalancerAttribute, b.ModifyLoadBalancerAttributes)
	if err != nil {
		return nil, err
	}
	return &wire.ModifyLoadBalancerAttributesOutput{Attributes: attrs}, nil
}

func (b *Backend) handleSetSecurityGroups(ctx context.Context, in *wire.SetSecurityGroupsInput) (*wire.SetSecurityGroupsOutput, error) {
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
	return &wire.SetSecurityGroupsOutput{SecurityGroupIds: append(query.List[string]{}, lb.SecurityGroups...)}, nil
}

func (b *Backend) handleSetSubnets(ctx context.Context, in *wire.SetSubnetsInput) (*wire.SetSubnetsOutput, error) {
	if err := required("loadBalancerArn", in.LoadBalancerArn != ""); err != nil {
		return nil, err
	}
	lb, err := b.SetSubnets(ctx, in.LoadBalancerArn, subnetsOf(in.Subnets, in.SubnetMappings))
	if err != nil {
		return nil, err
	}
	if in.IpAddressType != "" {
		if lb, err = b.SetIPAddressType(ctx, in.LoadBalancerArn, in.IpAddressType); err != nil {
			return nil, err
		}
	}
	return &wire.SetSubnetsOutput{AvailabilityZones: zonesOut(lb.AvailabilityZones), IpAddressType: lb.IPAddressType}, nil
}

func (b *Backend) handleSetIPAddressType(ctx context.Context, in *wire.SetIpAddressTypeInput) (*wire.SetIpAddressTypeOutput, error) {
	if err := required("loadBalancerArn", in.LoadBalancerArn != ""); err != nil {
		return nil, err
	}
	lb, err := b.SetIPAddressType(ctx, in.LoadBalancerArn, in.IpAddressType)
	if err != nil {
		return nil, err
	}
	return &wire.SetIpAddressTypeOutput{IpAddressType: lb.IPAddressType}, nil
}

// ---- target groups ----

// matcherCode is the one code a matcher sets (gRPC's when it has one).
func matcherCode(m *wire.Matcher) string {
	switch {
	case m == nil:
		return ""
	case m.GrpcCode != "":
		return m.GrpcCode
	default:
		return m.HttpCode
	}
}

func targetGroupOut(tg *TargetGroup, users []string) wire.TargetGroup {
	hc := tg.HealthCheck
	m := &wire.Matcher{HttpCode: hc.Matcher}
	if tg.ProtocolVersion == "GRPC" {
		m = &wire.Matcher{GrpcCode: hc.Matcher}
	}
	return wire.TargetGroup{
		TargetGroupArn: tg.ARN, TargetGroupName: tg.Name, Protocol: tg.Protocol, Port: ptr(tg.Port), VpcId: tg.VpcID,
		HealthCheckProtocol: hc.Protocol, HealthCheckPort: hc.Port, HealthCheckEnabled: ptr(hc.Enabled),
		HealthCheckIntervalSeconds: ptr(hc.IntervalSeconds), HealthCheckTimeoutSeconds: ptr(hc.TimeoutSeconds),
		HealthyThresholdCount: ptr(hc.HealthyThreshold), UnhealthyThresholdCount: ptr(hc.UnhealthyThreshold),
		HealthCheckPath: hc.Path, Matcher: m, LoadBalancerArns: append(query.List[string]{}, users...),
		TargetType: tg.TargetType, ProtocolVersion: tg.ProtocolVersion, IpAddressType: tg.IPAddressType,
	}
}

// targetGroupList answers a create or modify with the one target group,
// and the load balancers that use it.
func (b *Backend) targetGroupList(ctx context.Context, tg *TargetGroup) (query.List[wire.TargetGroup], error) {
	_, users, err := b.TargetGroups(ctx, "", []string{tg.ARN}, nil)
	if err != nil {
		return nil, err
	}
	return query.List[wire.TargetGroup]{targetGroupOut(tg, users[tg.ARN])}, nil
}

func (b *Backend) handleCreateTargetGroup(ctx context.Context, in *wire.CreateTargetGroupInput) (*wire.CreateTargetGroupOutput, error) {
	tg, err := b.CreateTargetGroup(ctx, TargetGroupRequest{
		Name: in.Name, Protocol: in.Protocol, ProtocolVersion: in.ProtocolVersion, Port: in.Port, VpcID: in.VpcId,
		TargetType: in.TargetType, IPAddressType: in.IpAddressType, HealthCheckEnabled: in.HealthCheckEnabled,
		HealthCheckProtocol: in.HealthCheckProtocol, HealthCheckPort: in.HealthCheckPort, HealthCheckPath: in.HealthCheckPath,
		HealthCheckIntervalSeconds: in.HealthCheckIntervalSeconds, HealthCheckTimeoutSeconds: in.HealthCheckTimeoutSeconds,
		HealthyThresholdCount: in.HealthyThresholdCount, UnhealthyThresholdCount: in.UnhealthyThresholdCount,
		Matcher: matcherCode(in.Matcher), Tags: in.Tags,
	})
	if err != nil {
		return nil, err
	}
	groups, err := b.targetGroupList(ctx, tg)
	if err != nil {
		return nil, err
	}
	return &wire.CreateTargetGroupOutput{TargetGroups: groups}, nil
}

func (b *Backend) handleDescribeTargetGroups(ctx context.Context, in *wire.DescribeTargetGroupsInput) (*wire.DescribeTargetGroupsOutput, error) {
	groups, users, err := b.TargetGroups(ctx, in.LoadBalancerArn, in.TargetGroupArns, in.Names)
	if err != nil {
		return nil, err
	}
	page, next, err := pageOf(groups, in.Marker, in.PageSize, func(tg *TargetGroup) wire.TargetGroup {
		return targetGroupOut(tg, users[tg.ARN])
	})
	if err != nil {
		return nil, err
	}
	return &wire.DescribeTargetGroupsOutput{TargetGroups: page, NextMarker: next}, nil
}

func (b *Backend) handleModifyTargetGroup(ctx context.Context, in *wire.ModifyTargetGroupInput) (*wire.ModifyTargetGroupOutput, error) {
	if err := required("targetGroupArn", in.TargetGroupArn != ""); err != nil {
		return nil, err
	}
	tg, err := b.ModifyTargetGroup(ctx, in.TargetGroupArn, TargetGroupRequest{
		HealthCheckEnabled: in.HealthCheckEnabled, HealthCheckProtocol: in.HealthCheckProtocol, HealthCheckPort: in.HealthCheckPort,
		HealthCheckPath: in.HealthCheckPath, HealthCheckIntervalSeconds: in.HealthCheckIntervalSeconds,
		HealthCheckTimeoutSeconds: in.HealthCheckTimeoutSeconds, HealthyThresholdCount: in.HealthyThresholdCount,
		UnhealthyThresholdCount: in.UnhealthyThresholdCount, Matcher: matcherCode(in.Matcher),
	})
	if err != nil {
		return nil, err
	}
	groups, err := b.targetGroupList(ctx, tg)
	if err != nil {
		return nil, err
	}
	return &wire.ModifyTargetGroupOutput{TargetGroups: groups}, nil
}

func (b *Backend) handleDeleteTargetGroup(ctx context.Context, in *wire.DeleteTargetGroupInput) (*wire.DeleteTargetGroupOutput, error) {
	if err := required("targetGroupArn", in.TargetGroupArn != ""); err != nil {
		return nil, err
	}
	return nil, b.DeleteTargetGroup(ctx, in.TargetGroupArn)
}

func targetGroupAttribute(key, value string) wire.TargetGroupAttribute {
	return wire.TargetGroupAttribute{Key: key, Value: value}
}

func targetGroupAttributeKeyValue(a wire.TargetGroupAttribute) (string, string) {
	return a.Key, a.Value
}

func (b *Backend) handleDescribeTargetGroupAttributes(ctx context.Context, in *wire.DescribeTargetGroupAttributesInput) (*wire.DescribeTargetGroupAttributesOutput, error) {
	if err := required("targetGroupArn", in.TargetGroupArn != ""); err != nil {
		return nil, err
	}
	groups, _, err := b.TargetGroups(ctx, "", []string{in.TargetGroupArn}, nil)
	if err != nil {
		return nil, err
	}
	return &wire.DescribeTargetGroupAttributesOutput{Attributes: attributesOut(groups[0].Attributes, targetGroupAttribute)}, nil
}

func (b *Backend) handleModifyTargetGroupAttributes(ctx context.Context, in *wire.ModifyTargetGroupAttributesInput) (*wire.ModifyTargetGroupAttributesOutput, error) {
	attrs, err := modifyAttributes(ctx, "targetGroupArn", in.TargetGroupArn, in.Attributes, targetGroupAttributeKeyValue,
		targetGroupAttribute, b.ModifyTargetGroupAttributes)
	if err != nil {
		return nil, err
	}
	return &wire.ModifyTargetGroupAttributesOutput{Attributes: attrs}, nil
}

// ---- targets ----

func targetsFrom(in []wire.TargetDescription) []Target {
	out := make([]Target, len(in))
	for i, t := range in {
		out[i] = Target{ID: t.Id}
		if t.Port != nil {
			out[i].Port = *t.Port
		}
	}
	return out
}

func (b *Backend) handleRegisterTargets(ctx context.Context, in *wire.RegisterTargetsInput) (*wire.RegisterTargetsOutput, error) {
	if err := required("targetGroupArn", in.TargetGroupArn != ""); err != nil {
		return nil, err
	}
	return nil, b.RegisterTargets(ctx, in.TargetGroupArn, targetsFrom(in.Targets))
}

func (b *Backend) handleDeregisterTargets(ctx context.Context, in *wire.DeregisterTargetsInput) (*wire.DeregisterTargetsOutput, error) {
	if err := required("targetGroupArn", in.TargetGroupArn != ""); err != nil {
		return nil, err
	}
	return nil, b.DeregisterTargets(ctx, in.TargetGroupArn, targetsFrom(in.Targets))
}

func (b *Backend) handleDescribeTargetHealth(ctx context.Context, in *wire.DescribeTargetHealthInput) (*wire.DescribeTargetHealthOutput, error) {
	if err := required("targetGroupArn", in.TargetGroupArn != ""); err != nil {
		return nil, err
	}
	health, err := b.TargetHealth(ctx, in.TargetGroupArn, targetsFrom(in.Targets))
	if err != nil {
		return nil, err
	}
	return &wire.DescribeTargetHealthOutput{TargetHealthDescriptions: listOf(health, func(h TargetHealth) wire.TargetHealthDescription {
		return wire.TargetHealthDescription{
			Target:          &wire.TargetDescription{Id: h.Target.ID, Port: ptr(h.Target.Port)},
			HealthCheckPort: h.HealthCheckPort,
			TargetHealth:    &wire.TargetHealth{State: h.State, Reason: h.Reason, Description: h.Description},
		}
	})}, nil
}

// ---- listeners ----

// actionsOut are actions as responses show them: an OIDC action's client
// secret is never sent back.
func actionsOut(actions []Action) query.List[Action] {
	out := query.List[Action]{}
	for _, a := range actions {
		if a.AuthenticateOidcConfig != nil {
			oidc := *a.AuthenticateOidcConfig
			oidc.ClientSecret = ""
			a.AuthenticateOidcConfig = &oidc
		}
		out = append(out, a)
	}
	return out
}

func listenerOut(l *Listener) wire.Listener {
	return wire.Listener{
		ListenerArn: l.ARN, LoadBalancerArn: l.LoadBalancerARN, Port: ptr(l.Port), Protocol: l.Protocol,
		Certificates: listOrNil(l.Certificates), SslPolicy: l.SslPolicy, DefaultActions: actionsOut(l.DefaultActions),
		AlpnPolicy: listOrNil(l.AlpnPolicy),
	}
}

func (b *Backend) handleCreateListener(ctx context.Context, in *wire.CreateListenerInput) (*wire.CreateListenerOutput, error) {
	if err := required("defaultActions", in.DefaultActions != nil); err != nil {
		return nil, err
	}
	l, err := b.CreateListener(ctx, ListenerRequest{
		LoadBalancerARN: in.LoadBalancerArn, Protocol: in.Protocol, Port: in.Port, SslPolicy: in.SslPolicy,
		Certificates: in.Certificates, AlpnPolicy: in.AlpnPolicy, DefaultActions: in.DefaultActions, Tags: in.Tags,
	})
	if err != nil {
		return nil, err
	}
	return &wire.CreateListenerOutput{Listeners: query.List[wire.Listener]{listenerOut(l)}}, nil
}

func (b *Backend) handleDescribeListeners(ctx context.Context, in *wire.DescribeListenersInput) (*wire.DescribeListenersOutput, error) {
	listeners, err := b.Listeners(ctx, in.LoadBalancerArn, in.ListenerArns)
	if err != nil {
		return nil, err
	}
	page, next, err := pageOf(listeners, in.Marker, in.PageSize, listenerOut)
	if err != nil {
		return nil, err
	}
	return &wire.DescribeListenersOutput{Listeners: page, NextMarker: next}, nil
}

func (b *Backend) handleModifyListener(ctx context.Context, in *wire.ModifyListenerInput) (*wire.ModifyListenerOutput, error) {
	if err := required("listenerArn", in.ListenerArn != ""); err != nil {
		return nil, err
	}
	l, err := b.ModifyListener(ctx, in.ListenerArn, ListenerRequest{
		Protocol: in.Protocol, Port: in.Port, SslPolicy: in.SslPolicy,
		Certificates: in.Certificates, AlpnPolicy: in.AlpnPolicy, DefaultActions: in.DefaultActions,
	})
	if err != nil {
		return nil, err
	}
	return &wire.ModifyListenerOutput{Listeners: query.List[wire.Listener]{listenerOut(l)}}, nil
}

func (b *Backend) handleDeleteListener(ctx context.Context, in *wire.DeleteListenerInput) (*wire.DeleteListenerOutput, error) {
	if err := required("listenerArn", in.ListenerArn != ""); err != nil {
		return nil, err
	}
	return nil, b.DeleteListener(ctx, in.ListenerArn)
}

func (b *Backend) handleDescribeListenerAttributes(ctx context.Context, in *wire.DescribeListenerAttributesInput) (*wire.DescribeListenerAttributesOutput, error) {
	if err := required("listenerArn", in.ListenerArn != ""); err != nil {
		return nil, err
	}
	if _, err := b.Listeners(ctx, "", []string{in.ListenerArn}); err != nil {
		return nil, err
	}
	// ALB listeners have no attributes that change behaviour here; AWS
	// reports the mTLS header names, which clients only display.
	return &wire.DescribeListenerAttributesOutput{Attributes: query.List[wire.ListenerAttribute]{}}, nil
}

func (b *Backend) handleDescribeListenerCertificates(ctx context.Context, in *wire.DescribeListenerCertificatesInput) (*wire.DescribeListenerCertificatesOutput, error) {
	if err := required("listenerArn", in.ListenerArn != ""); err != nil {
		return nil, err
	}
	listeners, err := b.Listeners(ctx, "", []string{in.ListenerArn})
	if err != nil {
		return nil, err
	}
	out := &wire.DescribeListenerCertificatesOutput{Certificates: query.List[Certificate]{}}
	for i, c := range listeners[0].Certificates {
		out.Certificates = append(out.Certificates, Certificate{CertificateArn: c.CertificateArn, IsDefault: ptr(i == 0)})
	}
	return out, nil
}

func (b *Backend) handleAddListenerCertificates(ctx context.Context, in *wire.AddListenerCertificatesInput) (*wire.AddListenerCertificatesOutput, error) {
	certs, err := b.AddListenerCertificates(ctx, in.ListenerArn, in.Certificates)
	if err != nil {
		return nil, err
	}
	out := &wire.AddListenerCertificatesOutput{Certificates: query.List[Certificate]{}}
	for _, c := range certs[1:] { // AWS lists the added (non-default) certificates
		out.Certificates = append(out.Certificates, Certificate{CertificateArn: c.CertificateArn, IsDefault: ptr(false)})
	}
	return out, nil
}

func (b *Backend) handleRemoveListenerCertificates(ctx context.Context, in *wire.RemoveListenerCertificatesInput) (*wire.RemoveListenerCertificatesOutput, error) {
	return nil, b.RemoveListenerCertificates(ctx, in.ListenerArn, in.Certificates)
}

// ---- rules ----

func ruleOut(r *Rule) wire.Rule {
	priority := strconv.Itoa(r.Priority)
	if r.IsDefault {
		priority = "default"
	}
	return wire.Rule{RuleArn: r.ARN, Priority: priority, Conditions: append(query.List[Condition]{}, r.Conditions...),
		Actions: actionsOut(r.Actions), IsDefault: ptr(r.IsDefault)}
}

func (b *Backend) handleCreateRule(ctx context.Context, in *wire.CreateRuleInput) (*wire.CreateRuleOutput, error) {
	if err := required("actions", in.Actions != nil); err != nil {
		return nil, err
	}
	r, err := b.CreateRule(ctx, RuleRequest{ListenerARN: in.ListenerArn, Priority: in.Priority, Conditions: in.Conditions, Actions: in.Actions, Tags: in.Tags})
	if err != nil {
		return nil, err
	}
	return &wire.CreateRuleOutput{Rules: listOf([]*Rule{r}, ruleOut)}, nil
}

func (b *Backend) handleDescribeRules(ctx context.Context, in *wire.DescribeRulesInput) (*wire.DescribeRulesOutput, error) {
	rules, err := b.Rules(ctx, in.ListenerArn, in.RuleArns)
	if err != nil {
		return nil, err
	}
	page, next, err := pageOf(rules, in.Marker, in.PageSize, ruleOut)
	if err != nil {
		return nil, err
	}
	return &wire.DescribeRulesOutput{Rules: page, NextMarker: next}, nil
}

func (b *Backend) handleModifyRule(ctx context.Context, in *wire.ModifyRuleInput) (*wire.ModifyRuleOutput, error) {
	if err := required("ruleArn", in.RuleArn != ""); err != nil {
		return nil, err
	}
	r, err := b.ModifyRule(ctx, in.RuleArn, RuleRequest{Conditions: in.Conditions, Actions: in.Actions})
	if err != nil {
		return nil, err
	}
	return &wire.ModifyRuleOutput{Rules: listOf([]*Rule{r}, ruleOut)}, nil
}

func (b *Backend) handleDeleteRule(ctx context.Context, in *wire.DeleteRuleInput) (*wire.DeleteRuleOutput, error) {
	if err := required("ruleArn", in.RuleArn != ""); err != nil {
		return nil, err
	}
	return nil, b.DeleteRule(ctx, in.RuleArn)
}

func (b *Backend) handleSetRulePriorities(ctx context.Context, in *wire.SetRulePrioritiesInput) (*wire.SetRulePrioritiesOutput, error) {
	priorities := map[string]int{}
	for _, p := range in.RulePriorities {
		if _, dup := priorities[p.RuleArn]; dup {
			return nil, validationError("Rule '%s' is specified more than once", p.RuleArn)
		}
		priorities[p.RuleArn] = 0
		if p.Priority != nil {
			priorities[p.RuleArn] = *p.Priority
		}
	}
	rules, err := b.SetRulePriorities(ctx, priorities)
	if err != nil {
		return nil, err
	}
	return &wire.SetRulePrioritiesOutput{Rules: listOf(rules, ruleOut)}, nil
}

// ---- tags ----

func (b *Backend) handleAddTags(ctx context.Context, in *wire.AddTagsInput) (*wire.AddTagsOutput, error) {
	return nil, b.AddTags(ctx, in.ResourceArns, in.Tags)
}

func (b *Backend) handleRemoveTags(ctx context.Context, in *wire.RemoveTagsInput) (*wire.RemoveTagsOutput, error) {
	return nil, b.RemoveTags(ctx, in.ResourceArns, in.TagKeys)
}

func (b *Backend) handleDescribeTags(ctx context.Context, in *wire.DescribeTagsInput) (*wire.DescribeTagsOutput, error) {
	tags, err := b.Tags(ctx, in.ResourceArns)
	if err != nil {
		return nil, err
	}
	out := &wire.DescribeTagsOutput{TagDescriptions: query.List[wire.TagDescription]{}}
	for _, arn := range in.ResourceArns {
		out.TagDescriptions = append(out.TagDescriptions, wire.TagDescription{ResourceArn: arn, Tags: append(query.List[Tag]{}, tags[arn]...)})
	}
	return out, nil
}
