package iam

import (
	"context"
	"strings"
	"time"

	"github.com/berthdev/berth/internal/localcloud/service/iam/wire"
	"github.com/berthdev/berth/internal/localcloud/store"
)

// serviceLinkedRoles maps the services the local cloud has service-linked
// roles for to their role name and permissions policy.
var serviceLinkedRoles = map[string]struct{ roleName, policy, description string }{
	"ecs.amazonaws.com": {"AWSServiceRoleForECS", "AmazonECSServiceRolePolicy",
		"Role to enable Amazon ECS to manage your cluster."},
	"autoscaling.amazonaws.com": {"AWSServiceRoleForAutoScaling", "AutoScalingServiceRolePolicy",
		"Default Service-Linked Role enables access to AWS Services and Resources used or managed by Auto Scaling"},
	"elasticloadbalancing.amazonaws.com": {"AWSServiceRoleForElasticLoadBalancing", "AWSElasticLoadBalancingServiceRolePolicy",
		"Allows ELB to call AWS services on your behalf."},
	"ecs.application-autoscaling.amazonaws.com": {"AWSServiceRoleForApplicationAutoScaling_ECSService", "AWSApplicationAutoscalingECSServicePolicy",
		""},
}

func (b *Backend) createServiceLinkedRole(ctx context.Context, in *wire.CreateServiceLinkedRoleRequest) (*wire.CreateServiceLinkedRoleResponse, error) {
	if in.AWSServiceName == "" {
		return nil, errMissing("aWSServiceName")
	}
	known, ok := serviceLinkedRoles[in.AWSServiceName]
	if !ok {
		return nil, errInvalidInput("Service role name for %s is not known to the local cloud.", in.AWSServiceName)
	}
	if in.CustomSuffix != "" {
		return nil, errInvalidInput("Custom suffix is not allowed for %s", in.AWSServiceName)
	}
	if err := validateDescription(in.Description); err != nil {
		return nil, err
	}
	description := in.Description
	if description == "" {
		description = known.description
	}
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"` + in.AWSServiceName + `"},"Action":"sts:AssumeRole"}]}`
	role := &Role{
		Name:                     known.roleName,
		Path:                     "/aws-service-role/" + in.AWSServiceName + "/",
		ID:                       newUniqueID("AROA"),
		CreateDate:               b.now().UTC().Truncate(time.Second),
		AssumeRolePolicyDocument: trust,
		Description:              description,
		MaxSessionDuration:       defaultMaxSessionDuration,
		ServiceName:              in.AWSServiceName,
	}
	if known.policy != "" {
		role.AttachedPolicies = []string{awsPolicyARNPrefix + "aws-service-role/" + known.policy}
	}
	err := b.store.Update(ctx, func(tx *store.Tx) error {
		existing, err := store.Get[Role](tx, tableRoles, strings.ToLower(role.Name))
		if err != nil {
			return err
		}
		if existing != nil {
			return errInvalidInput("Service role name %s has been taken in this account, please try a different suffix.", role.Name)
		}
		return putRole(tx, role)
	})
	if err != nil {
		return nil, err
	}
	return &wire.CreateServiceLinkedRoleResponse{Role: roleOut(role, accountOf(ctx), true)}, nil
}

func (b *Backend) deleteServiceLinkedRole(ctx context.Context, in *wire.DeleteServiceLinkedRoleRequest) (*wire.DeleteServiceLinkedRoleResponse, error) {
	err := b.store.Update(ctx, func(tx *store.Tx) error {
		role, err := getRole(tx, in.RoleName)
		if err != nil {
			return err
		}
		if role.ServiceName == "" {
			return errInvalidInput("Role %s is not a service-linked role.", role.Name)
		}
		return tx.Delete(tableRoles, strings.ToLower(role.Name))
	})
	if err != nil {
		return nil, err
	}
	return &wire.DeleteServiceLinkedRoleResponse{DeletionTaskId: "task/aws-service-role/" + in.RoleName + "/" + store.NewUUID()}, nil
}

func (b *Backend) getServiceLinkedRoleDeletionStatus(_ context.Context, in *wire.GetServiceLinkedRoleDeletionStatusRequest) (*wire.GetServiceLinkedRoleDeletionStatusResponse, error) {
	if !strings.HasPrefix(in.DeletionTaskId, "task/aws-service-role/") {
		return nil, errNoSuchEntity("Deletion task %s cannot be found.", in.DeletionTaskId)
	}
	return &wire.GetServiceLinkedRoleDeletionStatusResponse{Status: "SUCCEEDED"}, nil
}
