// Package applicationautoscaling is the local cloud's Application Auto
// Scaling control plane: scalable targets, scaling policies (target
// tracking, step, predictive), scheduled actions, scaling activities and
// tags, kept in the store and served over awsJson 1.1.
//
// ECS services (namespace ecs) are what the local cloud scales; the other
// namespaces AWS lists are accepted and kept as data. This package only
// records what should scale and how: the data plane's controller reads it
// through Scalables, changes capacity itself, and writes down what it did
// with RecordActivity.
package applicationautoscaling

import (
	"context"
	"time"

	"github.com/berthdev/berth/internal/localcloud/protocol"
	"github.com/berthdev/berth/internal/localcloud/protocol/awsjson"
	"github.com/berthdev/berth/internal/localcloud/service/cloudwatch"
	"github.com/berthdev/berth/internal/localcloud/store"
)

// Tables, named "<service>/<kind>". Targets, policies and scheduled actions
// are keyed under their target's key (targetKey), so that a target's
// children are found, and deleted, together.
const (
	tableTargets    = "application-autoscaling/scalable-targets"  // by targetKey
	tablePolicies   = "application-autoscaling/scaling-policies"  // by targetKey + "|" + policy name
	tableScheduled  = "application-autoscaling/scheduled-actions" // by targetKey + "|" + action name
	tableActivities = "application-autoscaling/activities"        // by activityKey: newest first
)

// AWS's quotas per account and region (Application Auto Scaling quotas
// page): scalable targets per namespace, policies and scheduled actions per
// target. Activities are kept for six weeks, as AWS keeps them.
const (
	maxTargetsPerNamespace = 3000
	maxPoliciesPerTarget   = 50
	maxScheduledPerTarget  = 200
	activityRetention      = 6 * 7 * 24 * time.Hour
)

// ECSService identifies an ECS service for the existence check AWS makes
// when a service's DesiredCount is registered.
type ECSService struct{ Cluster, Service string }

// Backend holds the service's state in the store and its rules.
type Backend struct {
	store *store.Store
	now   func() time.Time

	// ECSServiceExists reports whether an ACTIVE ECS service exists in the
	// scope ctx carries. The local cloud wires it to ECS's state; nil
	// accepts every service (a test of this package alone).
	ECSServiceExists func(ctx context.Context, svc ECSService) (bool, error)
	// TargetGroupOfLoadBalancer reports whether the load balancer and the
	// target group that an ALBRequestCountPerTarget resource label names
	// (by ARN) exist and the load balancer routes to the target group. The
	// local cloud wires it to ELBv2's state; nil accepts every label.
	TargetGroupOfLoadBalancer func(ctx context.Context, loadBalancerARN, targetGroupARN string) (bool, error)
	// CloudWatch keeps the alarms of target tracking policies, written in
	// the policies' own transactions as AWS creates and deletes them with
	// the policy; nil names the alarms without creating them.
	CloudWatch *cloudwatch.Backend
}

// New returns the service's backend over st.
func New(st *store.Store) *Backend {
	return &Backend{store: st, now: time.Now}
}

// Service returns Application Auto Scaling's operation table for the router.
func (b *Backend) Service() *protocol.Service {
	return &protocol.Service{
		SigningName:  "application-autoscaling",
		TargetPrefix: "AnyScaleFrontendService",
		Codec:        awsjson.Codec{},
		Operations: []protocol.Operation{
			protocol.Op("RegisterScalableTarget", b.registerScalableTarget),
			protocol.Op("DescribeScalableTargets", b.describeScalableTargets),
			protocol.Op("DeregisterScalableTarget", b.deregisterScalableTarget),
			protocol.Op("PutScalingPolicy", b.putScalingPolicy),
			protocol.Op("DescribeScalingPolicies", b.describeScalingPolicies),
			protocol.Op("DeleteScalingPolicy", b.deleteScalingPolicy),
			protocol.Op("PutScheduledAction", b.putScheduledAction),
			protocol.Op("DescribeScheduledActions", b.describeScheduledActions),
			protocol.Op("DeleteScheduledAction", b.deleteScheduledAction),
			protocol.Op("DescribeScalingActivities", b.describeScalingActivities),
			protocol.Op("GetPredictiveScalingForecast", b.getPredictiveScalingForecast),
			protocol.Op("TagResource", b.tagResource),
			protocol.Op("UntagResource", b.untagResource),
			protocol.Op("ListTagsForResource", b.listTagsForResource),
		},
	}
}

// clock returns the time a change is stamped with: the API's millisecond
// precision, in UTC.
func (b *Backend) clock() time.Time { return b.now().UTC().Truncate(time.Millisecond) }

// stamp is a time as the wire shapes carry it.
func stamp(t time.Time) *awsjson.Time { v := awsjson.NewTime(t); return &v }

// isSet reads an optional boolean of a request: absent is false.
func isSet(p *bool) bool { return p != nil && *p }
