package applicationautoscaling

import (
	"context"
	"math"
	"regexp"
	"slices"
	"strings"

	"github.com/berthdev/berth/internal/localcloud/service/applicationautoscaling/wire"
	"github.com/berthdev/berth/internal/localcloud/service/paging"
	"github.com/berthdev/berth/internal/localcloud/store"
)

// Policy types.
const (
	PolicyTargetTracking = "TargetTrackingScaling"
	PolicyStep           = "StepScaling"
	PolicyPredictive     = "PredictiveScaling"
)

// ecsMetrics are the predefined metrics an ECS service can track.
var ecsMetrics = []string{"ECSServiceAverageCPUUtilization", "ECSServiceAverageMemoryUtilization", "ALBRequestCountPerTarget"}

// resourceLabel is ALBRequestCountPerTarget's label: the load balancer's and
// the target group's ARN suffixes, joined by a slash.
var resourceLabel = regexp.MustCompile(`^app/([^/]+)/([0-9a-f]+)/targetgroup/([^/]+)/([0-9a-f]+)$`)

// putScalingPolicy creates a policy or replaces the one of that name on the
// target, keeping its ARN; a policy cannot change its type.
func (b *Backend) putScalingPolicy(ctx context.Context, in *wire.PutScalingPolicyRequest) (*wire.PutScalingPolicyResponse, error) {
	ref := targetRef{Namespace: in.ServiceNamespace, ResourceID: in.ResourceId, Dimension: in.ScalableDimension}
	if err := validateRef(ref); err != nil {
		return nil, err
	}
	if err := validatePolicyName(in.PolicyName); err != nil {
		return nil, err
	}
	if err := b.checkPolicyBody(ctx, ref, in); err != nil {
		return nil, err
	}
	out := &wire.PutScalingPolicyResponse{}
	err := b.store.Update(ctx, func(tx *store.Tx) error {
		if _, err := loadTarget(tx, ref); err != nil {
			return err
		}
		key := ref.key() + "|" + in.PolicyName
		existing, err := store.Get[ScalingPolicy](tx, tablePolicies, key)
		if err != nil {
			return err
		}
		policyType := in.PolicyType
		switch {
		case existing == nil && policyType == "":
			return errValidation("PolicyType is required when creating a scaling policy")
		case existing != nil && policyType == "":
			policyType = existing.PolicyType
		case existing != nil && policyType != existing.PolicyType:
			if policyType == PolicyTargetTracking || existing.PolicyType == PolicyTargetTracking {
				return errValidation("You cannot change a TargetTrackingScaling policy to a non TargetTrackingScaling policy, or vice versa")
			}
			return errValidation("You cannot change the type of the policy %s from %s to %s", in.PolicyName, existing.PolicyType, policyType)
		}
		if err := checkPolicyType(policyType, in); err != nil {
			return err
		}
		p := existing
		if p == nil {
			if err := checkPolicyQuota(tx, ref); err != nil {
				return err
			}
			p = &ScalingPolicy{
				PolicyARN: tx.ARN("autoscaling", "scalingPolicy:"+store.NewUUID()+":resource/"+ref.Namespace+"/"+ref.ResourceID+
					":policyName/"+in.PolicyName),
				PolicyName:        in.PolicyName,
				ServiceNamespace:  ref.Namespace,
				ResourceId:        ref.ResourceID,
				ScalableDimension: ref.Dimension,
				CreationTime:      stamp(b.clock()),
			}
		}
		p.PolicyType = policyType
		p.StepScalingPolicyConfiguration = in.StepScalingPolicyConfiguration
		p.TargetTrackingScalingPolicyConfiguration = in.TargetTrackingScalingPolicyConfiguration
		p.PredictiveScalingPolicyConfiguration = in.PredictiveScalingPolicyConfiguration
		var previous []Alarm
		if existing != nil {
			previous = existing.Alarms
		}
		p.Alarms = alarmsFor(tx.Scope(), p, existing)
		out.PolicyARN, out.Alarms = p.PolicyARN, p.Alarms
		if err := b.putPolicyAlarms(tx, p, previous); err != nil {
			return err
		}
		return tx.Put(tablePolicies, key, p)
	})
	return out, err
}

func validatePolicyName(name string) error {
	if strings.ContainsAny(name, ":/") {
		return errValidation("Policy name %s is not valid: it cannot contain a colon or a slash", name)
	}
	return nil
}

// checkPolicyType checks that the body given is the one of the type.
func checkPolicyType(policyType string, in *wire.PutScalingPolicyRequest) error {
	given := map[string]bool{
		PolicyStep:           in.StepScalingPolicyConfiguration != nil,
		PolicyTargetTracking: in.TargetTrackingScalingPolicyConfiguration != nil,
		PolicyPredictive:     in.PredictiveScalingPolicyConfiguration != nil,
	}
	if !given[policyType] {
		return errValidation("%sPolicyConfiguration is required for a policy of type %s", policyType, policyType)
	}
	for other, set := range given {
		if set && other != policyType {
			return errValidation("%sPolicyConfiguration cannot be used with a policy of type %s", other, policyType)
		}
	}
	return nil
}

// checkPolicyBody validates the configuration a call gives; it reads ELBv2
// for a request count label, so it runs outside this service's transaction.
func (b *Backend) checkPolicyBody(ctx context.Context, ref targetRef, in *wire.PutScalingPolicyRequest) error {
	if c := in.StepScalingPolicyConfiguration; c != nil {
		if err := checkStep(c); err != nil {
			return err
		}
	}
	if c := in.PredictiveScalingPolicyConfiguration; c != nil && ref.Namespace != "ecs" {
		return errValidation("Predictive scaling is not supported for service namespace %s", ref.Namespace)
	}
	c := in.TargetTrackingScalingPolicyConfiguration
	if c == nil {
		return nil
	}
	if c.TargetValue == nil {
		return errValidation("1 validation error detected: Value null at 'targetTrackingScalingPolicyConfiguration.targetValue' failed to satisfy constraint: Member must not be null")
	}
	if math.IsNaN(*c.TargetValue) || *c.TargetValue <= 0 {
		return errValidation("The target value must be greater than 0")
	}
	for _, cd := range []*int{c.ScaleInCooldown, c.ScaleOutCooldown} {
		if cd != nil && *cd < 0 {
			return errValidation("Cooldown must be greater than or equal to 0")
		}
	}
	switch {
	case (c.PredefinedMetricSpecification == nil) == (c.CustomizedMetricSpecification == nil):
		return errValidation("Exactly one of PredefinedMetricSpecification or CustomizedMetricSpecification must be specified")
	case c.CustomizedMetricSpecification != nil:
		return checkCustomized(c.CustomizedMetricSpecification)
	}
	return b.checkPredefined(ctx, ref, c.PredefinedMetricSpecification)
}

func (b *Backend) checkPredefined(ctx context.Context, ref targetRef, m *PredefinedMetricSpecification) error {
	if ref.Namespace == "ecs" && !slices.Contains(ecsMetrics, m.PredefinedMetricType) {
		return errValidation("Unsupported predefined metric type %s for service namespace ecs", m.PredefinedMetricType)
	}
	if m.PredefinedMetricType != "ALBRequestCountPerTarget" {
		if m.ResourceLabel != "" {
			return errValidation("ResourceLabel can only be specified for predefined metric type ALBRequestCountPerTarget")
		}
		return nil
	}
	if m.ResourceLabel == "" {
		return errValidation("ResourceLabel must be specified for predefined metric type ALBRequestCountPerTarget")
	}
	parts := resourceLabel.FindStringSubmatch(m.ResourceLabel)
	if parts == nil {
		return errValidation("ResourceLabel %s is not valid: it must have the form app/<load-balancer-name>/<load-balancer-id>/targetgroup/<target-group-name>/<target-group-id>", m.ResourceLabel)
	}
	if b.TargetGroupOfLoadBalancer == nil {
		return nil
	}
	scope, _ := store.ScopeFrom(ctx)
	lb := scope.ARN("elasticloadbalancing", "loadbalancer/app/"+parts[1]+"/"+parts[2])
	tg := scope.ARN("elasticloadbalancing", "targetgroup/"+parts[3]+"/"+parts[4])
	ok, err := b.TargetGroupOfLoadBalancer(ctx, lb, tg)
	if err != nil {
		return errResourceAccess(err)
	}
	if !ok {
		return errValidation("Target group: %s is not associated with a load balancer: %s, or one of them does not exist", tg, lb)
	}
	return nil
}

func checkCustomized(m *CustomizedMetricSpecification) error {
	if len(m.Metrics) > 0 {
		if m.MetricName != "" || m.Namespace != "" || m.Statistic != "" || len(m.Dimensions) > 0 {
			return errValidation("CustomizedMetricSpecification cannot combine Metrics with MetricName, Namespace, Dimensions or Statistic")
		}
		returned := 0
		for _, q := range m.Metrics {
			if (q.Expression == "") == (q.MetricStat == nil) {
				return errValidation("Exactly one of Expression or MetricStat must be specified for metric query %s", q.Id)
			}
			if q.ReturnData == nil || *q.ReturnData {
				returned++
			}
		}
		if returned != 1 {
			return errValidation("Exactly one metric query must return data (ReturnData true)")
		}
		return nil
	}
	if m.MetricName == "" || m.Namespace == "" || m.Statistic == "" {
		return errValidation("CustomizedMetricSpecification needs MetricName, Namespace and Statistic, or Metrics")
	}
	return nil
}

// checkStep validates a step scaling configuration: its adjustments must
// not overlap, and at most one may be unbounded on each side.
func checkStep(c *StepScalingPolicyConfiguration) error {
	if c.AdjustmentType == "" {
		return errValidation("AdjustmentType is required for a step scaling policy")
	}
	if len(c.StepAdjustments) == 0 {
		return errValidation("StepAdjustments must contain at least one step adjustment")
	}
	if c.MinAdjustmentMagnitude != nil && c.AdjustmentType != "PercentChangeInCapacity" {
		return errValidation("MinAdjustmentMagnitude can only be specified with adjustment type PercentChangeInCapacity")
	}
	type interval struct{ lo, hi float64 }
	steps := make([]interval, 0, len(c.StepAdjustments))
	for _, s := range c.StepAdjustments {
		i := interval{math.Inf(-1), math.Inf(1)}
		if s.MetricIntervalLowerBound != nil {
			i.lo = *s.MetricIntervalLowerBound
		}
		if s.MetricIntervalUpperBound != nil {
			i.hi = *s.MetricIntervalUpperBound
		}
		if s.MetricIntervalLowerBound == nil && s.MetricIntervalUpperBound == nil {
			return errValidation("Each step adjustment needs a MetricIntervalLowerBound or a MetricIntervalUpperBound")
		}
		if i.lo >= i.hi {
			return errValidation("A step adjustment's MetricIntervalLowerBound must be less than its MetricIntervalUpperBound")
		}
		steps = append(steps, i)
	}
	slices.SortFunc(steps, func(a, b interval) int {
		switch {
		case a.lo < b.lo:
			return -1
		case a.lo > b.lo:
			return 1
		}
		return 0
	})
	for i := 1; i < len(steps); i++ {
		if steps[i].lo < steps[i-1].hi {
			return errValidation("Step adjustments cannot overlap")
		}
	}
	return nil
}

func checkPolicyQuota(tx *store.Tx, ref targetRef) error {
	keys, err := store.Keys(tx, tablePolicies)
	if err != nil {
		return err
	}
	n := 0
	for _, k := range keys {
		if strings.HasPrefix(k, ref.key()+"|") {
			n++
		}
	}
	if n >= maxPoliciesPerTarget {
		return errLimit("You have reached the maximum number of scaling policies (%d) for this scalable target", maxPoliciesPerTarget)
	}
	return nil
}

// alarmsFor returns the CloudWatch alarms a policy has. AWS creates and
// owns a target tracking policy's alarms: one that scales out
// (AlarmHigh) and, unless scale-in is disabled, one that scales in
// (AlarmLow); an updated policy keeps the names it had. Step scaling
// policies are driven by alarms their owner creates, which the local
// cloud's CloudWatch records on its side.
func alarmsFor(scope store.Scope, p, existing *ScalingPolicy) []Alarm {
	if p.PolicyType != PolicyTargetTracking {
		if existing != nil && existing.PolicyType == p.PolicyType {
			return existing.Alarms
		}
		return []Alarm{}
	}
	name := func(kind string) string {
		if existing != nil {
			for _, a := range existing.Alarms {
				if strings.Contains(a.AlarmName, "-"+kind+"-") {
					return a.AlarmName
				}
			}
		}
		return "TargetTracking-" + p.ResourceId + "-" + kind + "-" + store.NewUUID()
	}
	kinds := []string{"AlarmHigh", "AlarmLow"}
	if d := p.TargetTrackingScalingPolicyConfiguration.DisableScaleIn; d != nil && *d {
		kinds = kinds[:1]
	}
	alarms := []Alarm{}
	for _, kind := range kinds {
		n := name(kind)
		alarms = append(alarms, Alarm{AlarmName: n, AlarmARN: scope.ARN("cloudwatch", "alarm:"+n)})
	}
	return alarms
}

func (b *Backend) describeScalingPolicies(ctx context.Context, in *wire.DescribeScalingPoliciesRequest) (*wire.DescribeScalingPoliciesResponse, error) {
	limit, err := paging.Size(in.MaxResults, defaultPageSize, 1, maxPageSize)
	if err != nil {
		return nil, pageError(err)
	}
	var matched []*ScalingPolicy
	err = b.store.View(ctx, func(tx *store.Tx) error {
		all, err := store.List[ScalingPolicy](tx, tablePolicies)
		matched = slices.DeleteFunc(all, func(p *ScalingPolicy) bool {
			return p.ServiceNamespace != in.ServiceNamespace ||
				(in.ResourceId != "" && p.ResourceId != in.ResourceId) ||
				(in.ScalableDimension != "" && p.ScalableDimension != in.ScalableDimension) ||
				(len(in.PolicyNames) > 0 && !slices.Contains(in.PolicyNames, p.PolicyName))
		})
		return err
	})
	if err != nil {
		return nil, err
	}
	page, next, err := paging.Page(matched, policyKey, in.NextToken, limit)
	if err != nil {
		return nil, pageError(err)
	}
	// A step policy's alarms are the ones whose actions invoke it, as
	// AWS describes them; they are CloudWatch's, read after this service's
	// transaction.
	for _, p := range page {
		if p.PolicyType != PolicyStep || b.CloudWatch == nil {
			continue
		}
		alarms, err := b.CloudWatch.AlarmsInvoking(ctx, p.PolicyARN)
		if err != nil {
			return nil, errResourceAccess(err)
		}
		p.Alarms = []Alarm{}
		for _, a := range alarms {
			p.Alarms = append(p.Alarms, Alarm{AlarmName: a[0], AlarmARN: a[1]})
		}
	}
	out := &wire.DescribeScalingPoliciesResponse{ScalingPolicies: []wire.ScalingPolicy{}, NextToken: next}
	for _, p := range page {
		out.ScalingPolicies = append(out.ScalingPolicies, *p)
	}
	return out, nil
}

func policyKey(p *ScalingPolicy) string {
	return targetRef{Namespace: p.ServiceNamespace, ResourceID: p.ResourceId, Dimension: p.ScalableDimension}.key() + "|" + p.PolicyName
}

func (b *Backend) deleteScalingPolicy(ctx context.Context, in *wire.DeleteScalingPolicyRequest) (*wire.DeleteScalingPolicyResponse, error) {
	ref := targetRef{Namespace: in.ServiceNamespace, ResourceID: in.ResourceId, Dimension: in.ScalableDimension}
	if err := validateRef(ref); err != nil {
		return nil, err
	}
	return nil, b.store.Update(ctx, func(tx *store.Tx) error {
		key := ref.key() + "|" + in.PolicyName
		p, err := store.Get[ScalingPolicy](tx, tablePolicies, key)
		if err != nil {
			return err
		}
		if p == nil {
			return errNoPolicy(in.PolicyName, ref)
		}
		if err := b.deletePolicyAlarms(tx, p); err != nil {
			return err
		}
		return tx.Delete(tablePolicies, key)
	})
}

// getPredictiveScalingForecast answers as AWS does for a policy it has no
// forecast for: the local cloud keeps no metric history to forecast from.
func (b *Backend) getPredictiveScalingForecast(_ context.Context, in *wire.GetPredictiveScalingForecastRequest) (*wire.GetPredictiveScalingForecastResponse, error) {
	return nil, errValidation("Predictive scaling forecasts are not available in the local cloud (policy %s on %s)", in.PolicyName, in.ResourceId)
}
