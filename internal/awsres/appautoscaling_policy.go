package awsres

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	aas "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling"
	aastypes "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling/types"

	"github.com/berthdev/berth/internal/engine"
)

// Metrics a target-tracking policy of an ECS service follows.
const (
	MetricCPU      = string(aastypes.MetricTypeECSServiceAverageCPUUtilization)
	MetricMemory   = string(aastypes.MetricTypeECSServiceAverageMemoryUtilization)
	MetricRequests = string(aastypes.MetricTypeALBRequestCountPerTarget)
)

// ScalingPolicy is one target-tracking policy on the service's scalable
// target. ALBRequestCountPerTarget also names the load balancer and target
// group (its resource label); the others need nothing more.
type ScalingPolicy struct {
	Meta
	Name             string
	Target           engine.Ref // the scalable target's "resource_id"
	Metric           string
	TargetValue      int
	ScaleInCooldown  int // seconds
	ScaleOutCooldown int // seconds
	// LoadBalancer and TargetGroup (their "arn"s) make up the resource
	// label of MetricRequests.
	LoadBalancer, TargetGroup engine.Ref
}

type scalingPolicyState struct {
	resourceID, policyType, metric, resourceLabel string
	targetValue, scaleIn, scaleOut                string
}

func (r *ScalingPolicy) Observe(ctx context.Context, c *engine.Clients, in *engine.Inputs) (*engine.Observed, error) {
	id, ok := in.Lookup(r.Target)
	if !ok {
		return nil, nil
	}
	out, err := c.AppAutoScaling.DescribeScalingPolicies(ctx, &aas.DescribeScalingPoliciesInput{
		ServiceNamespace: aastypes.ServiceNamespaceEcs, ResourceId: aws.String(id),
		ScalableDimension: aastypes.ScalableDimensionECSServiceDesiredCount, PolicyNames: []string{r.Name},
	})
	if err != nil {
		return nil, fmt.Errorf("describe scaling policy %s: %w", r.Name, err)
	}
	for _, p := range out.ScalingPolicies {
		if aws.ToString(p.PolicyName) != r.Name {
			continue
		}
		state := &scalingPolicyState{resourceID: id, policyType: string(p.PolicyType)}
		if tt := p.TargetTrackingScalingPolicyConfiguration; tt != nil {
			state.targetValue = formatTarget(aws.ToFloat64(tt.TargetValue))
			state.scaleIn = strconv.Itoa(int(aws.ToInt32(tt.ScaleInCooldown)))
			state.scaleOut = strconv.Itoa(int(aws.ToInt32(tt.ScaleOutCooldown)))
			if m := tt.PredefinedMetricSpecification; m != nil {
				state.metric = string(m.PredefinedMetricType)
				state.resourceLabel = aws.ToString(m.ResourceLabel)
			}
		}
		return &engine.Observed{Outputs: engine.Outputs{"arn": aws.ToString(p.PolicyARN), "name": r.Name}, State: state}, nil
	}
	return nil, nil
}

func formatTarget(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

// resourceLabel is app/<lb name>/<lb id>/targetgroup/<tg name>/<tg id>,
// the tails of the two ARNs; "" when the metric needs none.
func (r *ScalingPolicy) resourceLabel(lbARN, tgARN string) string {
	if r.Metric != MetricRequests {
		return ""
	}
	if lbARN == engine.Unknown || tgARN == engine.Unknown {
		return engine.Unknown
	}
	lb := strings.TrimPrefix(lbARN[strings.LastIndex(lbARN, ":")+1:], "loadbalancer/")
	tg := tgARN[strings.LastIndex(tgARN, ":")+1:]
	return lb + "/" + tg
}

func (r *ScalingPolicy) Diff(in *engine.Inputs, actual *engine.Observed) ([]engine.FieldChange, engine.Action) {
	changes := engine.NewChanges(actual)
	state := &scalingPolicyState{}
	if actual != nil {
		state = actual.State.(*scalingPolicyState)
	}
	changes.ForceNew("scalable_target", state.resourceID, in.Show(r.Target))
	changes.Field("policy_type", state.policyType, string(aastypes.PolicyTypeTargetTrackingScaling))
	changes.Field("metric", state.metric, r.Metric)
	if r.Metric == MetricRequests {
		changes.Field("resource_label", state.resourceLabel, r.resourceLabel(in.Show(r.LoadBalancer), in.Show(r.TargetGroup)))
	}
	changes.Field("target_value", state.targetValue, strconv.Itoa(r.TargetValue))
	changes.Field("scale_in_cooldown", state.scaleIn, strconv.Itoa(r.ScaleInCooldown))
	changes.Field("scale_out_cooldown", state.scaleOut, strconv.Itoa(r.ScaleOutCooldown))
	return changes.Result()
}

// Apply puts the policy; putting it again replaces its configuration.
func (r *ScalingPolicy) Apply(ctx context.Context, c *engine.Clients, in *engine.Inputs, _ *engine.Observed) (engine.Outputs, error) {
	id, err := in.Get(r.Target)
	if err != nil {
		return nil, err
	}
	metric := &aastypes.PredefinedMetricSpecification{PredefinedMetricType: aastypes.MetricType(r.Metric)}
	if r.Metric == MetricRequests {
		refs, err := in.Resolve(r.LoadBalancer, r.TargetGroup)
		if err != nil {
			return nil, err
		}
		metric.ResourceLabel = aws.String(r.resourceLabel(refs[0], refs[1]))
	}
	out, err := c.AppAutoScaling.PutScalingPolicy(ctx, &aas.PutScalingPolicyInput{
		PolicyName: aws.String(r.Name), ServiceNamespace: aastypes.ServiceNamespaceEcs, ResourceId: aws.String(id),
		ScalableDimension: aastypes.ScalableDimensionECSServiceDesiredCount, PolicyType: aastypes.PolicyTypeTargetTrackingScaling,
		TargetTrackingScalingPolicyConfiguration: &aastypes.TargetTrackingScalingPolicyConfiguration{
			TargetValue: aws.Float64(float64(r.TargetValue)), PredefinedMetricSpecification: metric,
			ScaleInCooldown: aws.Int32(int32(r.ScaleInCooldown)), ScaleOutCooldown: aws.Int32(int32(r.ScaleOutCooldown)),
		},
	})
	if err != nil {
		return nil, fmt.Errorf("put scaling policy %s: %w", r.Name, err)
	}
	return engine.Outputs{"arn": aws.ToString(out.PolicyARN), "name": r.Name}, nil
}

// Delete removes the policy (and the CloudWatch alarms AWS made for it). A
// policy whose target was deregistered first is gone already.
func (r *ScalingPolicy) Delete(ctx context.Context, c *engine.Clients, actual *engine.Observed) error {
	id := actual.State.(*scalingPolicyState).resourceID
	_, err := c.AppAutoScaling.DeleteScalingPolicy(ctx, &aas.DeleteScalingPolicyInput{
		PolicyName: aws.String(r.Name), ServiceNamespace: aastypes.ServiceNamespaceEcs, ResourceId: aws.String(id),
		ScalableDimension: aastypes.ScalableDimensionECSServiceDesiredCount,
	})
	if err != nil && !hasCode(err, "ObjectNotFoundException") {
		return fmt.Errorf("delete scaling policy %s: %w", r.Name, err)
	}
	return nil
}
