// Package autoscaling is the local cloud's Auto Scaling control plane: groups
// and their records of instances, scaling activities, tags and scaling
// policies. It launches nothing itself: the controller reads the groups,
// launches and terminates EC2 instances to match their desired capacity,
// and records the instances back through UpdateGroup.
package autoscaling

import (
	"context"
	"errors"
	"time"

	"github.com/berthdev/berth/internal/localcloud/protocol"
	"github.com/berthdev/berth/internal/localcloud/protocol/query"
	"github.com/berthdev/berth/internal/localcloud/service/paging"
	"github.com/berthdev/berth/internal/localcloud/store"
)

// Store tables.
const (
	tableGroups     = "autoscaling/groups"     // by group name
	tableActivities = "autoscaling/activities" // by group name, start time, id
	tablePolicies   = "autoscaling/policies"   // by group name and policy name
)

// Backend holds the service's state in the store and its domain rules.
type Backend struct {
	store *store.Store

	// ResolveSubnetZone, when set, returns a subnet's Availability Zone (from
	// EC2) so groups report their real zones. It is called outside any Auto
	// Scaling transaction. Unset, zones are derived from the subnets' order.
	ResolveSubnetZone func(ctx context.Context, subnetID string) (string, error)
	// ResolveLaunchTemplate, when set, finds a launch template (in EC2) by
	// id or name and returns both; found is false when there is none.
	// Unset, templates are taken on trust.
	ResolveLaunchTemplate func(ctx context.Context, id, name string) (gotID, gotName string, found bool, err error)
	// LookupInstance, when set, describes an EC2 instance for
	// AttachInstances: nil when there is none.
	LookupInstance func(ctx context.Context, instanceID string) (*InstanceFacts, error)

	now func() time.Time
}

// New returns the service's backend over st.
func New(st *store.Store) *Backend {
	return &Backend{store: st, now: time.Now}
}

// Service returns the service's operation table for the router.
func (b *Backend) Service() *protocol.Service {
	return &protocol.Service{
		SigningName: "autoscaling",
		Version:     "2011-01-01",
		Codec:       query.Codec{Namespace: "http://autoscaling.amazonaws.com/doc/2011-01-01/"},
		Operations: []protocol.Operation{
			protocol.Op("CreateAutoScalingGroup", b.handleCreateAutoScalingGroup),
			protocol.Op("DescribeAutoScalingGroups", b.handleDescribeAutoScalingGroups),
			protocol.Op("UpdateAutoScalingGroup", b.handleUpdateAutoScalingGroup),
			protocol.Op("DeleteAutoScalingGroup", b.handleDeleteAutoScalingGroup),
			protocol.Op("SetDesiredCapacity", b.handleSetDesiredCapacity),
			protocol.Op("DescribeAutoScalingInstances", b.handleDescribeAutoScalingInstances),
			protocol.Op("TerminateInstanceInAutoScalingGroup", b.handleTerminateInstance),
			protocol.Op("SetInstanceProtection", b.handleSetInstanceProtection),
			protocol.Op("DescribeScalingActivities", b.handleDescribeScalingActivities),
			protocol.Op("CreateOrUpdateTags", b.handleCreateOrUpdateTags),
			protocol.Op("DeleteTags", b.handleDeleteTags),
			protocol.Op("DescribeTags", b.handleDescribeTags),
			protocol.Op("DescribeLifecycleHooks", b.handleDescribeLifecycleHooks),
			protocol.Op("DescribeWarmPool", b.handleDescribeWarmPool),
			protocol.Op("PutScalingPolicy", b.handlePutScalingPolicy),
			protocol.Op("DescribePolicies", b.handleDescribePolicies),
			protocol.Op("DeletePolicy", b.handleDeletePolicy),
			protocol.Op("ExecutePolicy", b.handleExecutePolicy),
			protocol.Op("PutScheduledUpdateGroupAction", b.handlePutScheduledUpdateGroupAction),
			protocol.Op("BatchPutScheduledUpdateGroupAction", b.handleBatchPutScheduledUpdateGroupAction),
			protocol.Op("DescribeScheduledActions", b.handleDescribeScheduledActions),
			protocol.Op("DeleteScheduledAction", b.handleDeleteScheduledAction),
			protocol.Op("PutWarmPool", b.handlePutWarmPool),
			protocol.Op("DeleteWarmPool", b.handleDeleteWarmPool),
			protocol.Op("AttachInstances", b.handleAttachInstances),
			protocol.Op("DetachInstances", b.handleDetachInstances),
			protocol.Op("AttachLoadBalancerTargetGroups", b.handleAttachLoadBalancerTargetGroups),
			protocol.Op("DetachLoadBalancerTargetGroups", b.handleDetachLoadBalancerTargetGroups),
			protocol.Op("PutLifecycleHook", b.handlePutLifecycleHook),
			protocol.Op("DeleteLifecycleHook", b.handleDeleteLifecycleHook),
			protocol.Op("CompleteLifecycleAction", b.handleCompleteLifecycleAction),
			protocol.Op("RecordLifecycleActionHeartbeat", b.handleRecordLifecycleActionHeartbeat),
			protocol.Op("CreateLaunchConfiguration", b.handleCreateLaunchConfiguration),
			protocol.Op("DescribeLaunchConfigurations", b.handleDescribeLaunchConfigurations),
			protocol.Op("DeleteLaunchConfiguration", b.handleDeleteLaunchConfiguration),
			protocol.Op("SuspendProcesses", b.handleSuspendProcesses),
			protocol.Op("ResumeProcesses", b.handleResumeProcesses),
			protocol.Op("DescribeScalingProcessTypes", b.handleDescribeScalingProcessTypes),
			protocol.Op("DescribeTrafficSources", b.handleDescribeTrafficSources),
			protocol.Op("DescribeLoadBalancerTargetGroups", b.handleDescribeLoadBalancerTargetGroups),
			protocol.Op("DescribeLoadBalancers", b.handleDescribeLoadBalancers),
		},
	}
}

// internalError keeps AWS errors and turns store failures into a retryable
// InternalFailure.
func internalError(err error) error {
	if err == nil {
		return nil
	}
	if _, ok := err.(*protocol.Error); ok {
		return err
	}
	return protocol.InternalError(err)
}

// paginate returns one page of items (in their final order) after token
// with the local cloud's one paginator; Auto Scaling pages default to 50
// records and allow 1–100.
func paginate[T any](items []T, token string, maxRecords *int) ([]T, string, error) {
	size, err := paging.Size(maxRecords, 50, 1, 100)
	if err != nil {
		return nil, "", validationError("1 validation error detected: Value '%d' at 'maxRecords' failed to satisfy constraint: Member must have value between 1 and 100", *maxRecords)
	}
	page, next, err := paging.PageInOrder(items, token, size)
	if errors.Is(err, paging.ErrBadToken) {
		return nil, "", invalidNextToken()
	}
	return page, next, err
}

func ptr[T any](v T) *T { return &v }

func groupARN(scope store.Scope, name string) string {
	return scope.ARN("autoscaling", "autoScalingGroup:"+store.NewUUID()+":autoScalingGroupName/"+name)
}

// scopeOf is the account and region the call acts in (a call without one
// fails at its first transaction).
func scopeOf(ctx context.Context) store.Scope {
	scope, _ := store.ScopeFrom(ctx)
	return scope
}
