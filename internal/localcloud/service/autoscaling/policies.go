package autoscaling

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/berthdev/berth/internal/localcloud/service/autoscaling/wire"
	"github.com/berthdev/berth/internal/localcloud/store"
)

func policyKey(group, name string) string { return group + "/" + name }

var policyTypes = []string{"SimpleScaling", "StepScaling", "TargetTrackingScaling", "PredictiveScaling"}

// PutPolicy creates or replaces a scaling policy. Target tracking policies
// get the two CloudWatch alarms AWS creates for them (by name only: the
// local cloud evaluates no alarms).
func (b *Backend) PutPolicy(ctx context.Context, group, name string, spec PolicySpec) (*Policy, error) {
	if err := required("autoScalingGroupName", group != ""); err != nil {
		return nil, err
	}
	if err := required("policyName", name != ""); err != nil {
		return nil, err
	}
	if spec.PolicyType == "" {
		spec.PolicyType = "SimpleScaling"
	}
	if !slices.Contains(policyTypes, spec.PolicyType) {
		return nil, validationError("Policy type '%s' must be one of %v", spec.PolicyType, policyTypes)
	}
	if spec.Enabled == nil {
		spec.Enabled = ptr(true)
	}
	switch spec.PolicyType {
	case "SimpleScaling":
		if spec.ScalingAdjustment == nil {
			return nil, validationError("ScalingAdjustment is required for a SimpleScaling policy")
		}
		if spec.AdjustmentType == "" {
			return nil, validationError("AdjustmentType is required for a SimpleScaling policy")
		}
	case "StepScaling":
		if len(spec.StepAdjustments) == 0 {
			return nil, validationError("StepAdjustments are required for a StepScaling policy")
		}
		if spec.AdjustmentType == "" {
			return nil, validationError("AdjustmentType is required for a StepScaling policy")
		}
	case "TargetTrackingScaling":
		tt := spec.TargetTrackingConfiguration
		if tt == nil || tt.TargetValue == nil {
			return nil, validationError("TargetTrackingConfiguration with a TargetValue is required for a TargetTrackingScaling policy")
		}
		if (tt.PredefinedMetricSpecification == nil) == (tt.CustomizedMetricSpecification == nil) {
			return nil, validationError("Exactly one of PredefinedMetricSpecification and CustomizedMetricSpecification must be specified")
		}
		// The request count per target is counted for one target group,
		// which the resource label names; the other metrics take none.
		if pm := tt.PredefinedMetricSpecification; pm != nil {
			switch {
			case pm.PredefinedMetricType == "ALBRequestCountPerTarget" && pm.ResourceLabel == "":
				return nil, validationError("ResourceLabel is required for the predefined metric type ALBRequestCountPerTarget")
			case pm.PredefinedMetricType != "ALBRequestCountPerTarget" && pm.ResourceLabel != "":
				return nil, validationError("ResourceLabel can only be specified for the predefined metric type ALBRequestCountPerTarget")
			}
		}
	}
	if spec.AdjustmentType != "" && !slices.Contains([]string{"ChangeInCapacity", "ExactCapacity", "PercentChangeInCapacity"}, spec.AdjustmentType) {
		return nil, validationError("Adjustment type '%s' must be ChangeInCapacity, ExactCapacity or PercentChangeInCapacity", spec.AdjustmentType)
	}
	var out *Policy
	err := b.store.Update(ctx, func(tx *store.Tx) error {
		g, err := store.Get[Group](tx, tableGroups, group)
		if err != nil {
			return err
		}
		if g == nil || g.Deleting {
			return groupNotFound(group)
		}
		p, err := store.Get[Policy](tx, tablePolicies, policyKey(group, name))
		if err != nil {
			return err
		}
		if p == nil {
			p = &Policy{GroupName: group, Name: name,
				ARN: tx.ARN("autoscaling", "scalingPolicy:"+store.NewUUID()+":autoScalingGroupName/"+group+":policyName/"+name)}
		}
		p.Spec = spec
		p.Alarms = nil
		if spec.PolicyType == "TargetTrackingScaling" {
			for _, kind := range []string{"AlarmHigh", "AlarmLow"} {
				alarm := fmt.Sprintf("TargetTracking-%s-%s-%s", group, kind, store.NewUUID())
				p.Alarms = append(p.Alarms, wire.Alarm{AlarmName: alarm, AlarmARN: tx.ARN("cloudwatch", "alarm:"+alarm)})
			}
		}
		out = p
		return tx.Put(tablePolicies, policyKey(group, name), p)
	})
	if err != nil {
		return nil, internalError(err)
	}
	return out, nil
}

// Policies returns policies, optionally of one group, by name or ARN, and of
// some types.
func (b *Backend) Policies(ctx context.Context, group string, names, types []string) ([]*Policy, error) {
	var out []*Policy
	err := b.store.View(ctx, func(tx *store.Tx) error {
		all, err := store.List[Policy](tx, tablePolicies)
		if err != nil {
			return err
		}
		for _, p := range all {
			if group != "" && p.GroupName != group {
				continue
			}
			if len(names) > 0 && !slices.Contains(names, p.Name) && !slices.Contains(names, p.ARN) {
				continue
			}
			if len(types) > 0 && !slices.Contains(types, p.Spec.PolicyType) {
				continue
			}
			out = append(out, p)
		}
		return nil
	})
	return out, internalError(err)
}

// DeletePolicy deletes a policy named by name (with its group) or ARN.
func (b *Backend) DeletePolicy(ctx context.Context, group, nameOrARN string) error {
	if err := required("policyName", nameOrARN != ""); err != nil {
		return err
	}
	return internalError(b.store.Update(ctx, func(tx *store.Tx) error {
		all, err := store.List[Policy](tx, tablePolicies)
		if err != nil {
			return err
		}
		for _, p := range all {
			byARN := strings.HasPrefix(nameOrARN, "arn:") && p.ARN == nameOrARN
			if byARN || (p.Name == nameOrARN && p.GroupName == group) {
				return tx.Delete(tablePolicies, policyKey(p.GroupName, p.Name))
			}
		}
		return validationError("Policy '%s' not found", nameOrARN)
	}))
}
