package iam

import (
	"context"

	"github.com/berthdev/berth/internal/localcloud/protocol/query"
	"github.com/berthdev/berth/internal/localcloud/service/iam/wire"
	"github.com/berthdev/berth/internal/localcloud/store"
)

// --- managed policies attached to roles ---

func (b *Backend) attachRolePolicy(ctx context.Context, in *wire.AttachRolePolicyRequest) (*struct{}, error) {
	return nil, b.updateRoleTx(ctx, in.RoleName, func(tx *store.Tx, role *Role) error {
		if err := refuseServiceLinked(role); err != nil {
			return err
		}
		return role.attach(tx, in.PolicyArn, "PoliciesPerRole")
	})
}

func (b *Backend) detachRolePolicy(ctx context.Context, in *wire.DetachRolePolicyRequest) (*struct{}, error) {
	if err := validatePolicyARN(in.PolicyArn); err != nil {
		return nil, err
	}
	return nil, b.updateRoleTx(ctx, in.RoleName, func(_ *store.Tx, role *Role) error {
		if err := refuseServiceLinked(role); err != nil {
			return err
		}
		return role.detach(in.PolicyArn)
	})
}

func (b *Backend) listAttachedRolePolicies(ctx context.Context, in *wire.ListAttachedRolePoliciesRequest) (*wire.ListAttachedRolePoliciesResponse, error) {
	if err := validatePathPrefix(in.PathPrefix); err != nil {
		return nil, err
	}
	limit, err := maxItems(in.MaxItems)
	if err != nil {
		return nil, err
	}
	out := &wire.ListAttachedRolePoliciesResponse{AttachedPolicies: query.List[wire.AttachedPolicy]{}}
	err = b.store.View(ctx, func(tx *store.Tx) error {
		role, err := getRole(tx, in.RoleName)
		if err != nil {
			return err
		}
		attached, truncated, marker, err := role.attached(tx, in.PathPrefix, in.Marker, limit)
		if err != nil {
			return err
		}
		out.AttachedPolicies = append(out.AttachedPolicies, attached...)
		out.IsTruncated, out.Marker = &truncated, marker
		return nil
	})
	return out, err
}

// --- inline role policies ---

func (b *Backend) putRolePolicy(ctx context.Context, in *wire.PutRolePolicyRequest) (*struct{}, error) {
	if err := validateName("policyName", in.PolicyName, 128); err != nil {
		return nil, err
	}
	if err := validatePolicyDocument("policyDocument", in.PolicyDocument, maxInlinePolicyChars); err != nil {
		return nil, err
	}
	return nil, b.updateRoleTx(ctx, in.RoleName, func(_ *store.Tx, role *Role) error {
		if err := refuseServiceLinked(role); err != nil {
			return err
		}
		return role.putInline(in.PolicyName, in.PolicyDocument, maxInlinePolicyChars, "role", role.Name)
	})
}

func errRolePolicyNotFound(policy string) error {
	return errNoSuchEntity("The role policy with name %s cannot be found.", policy)
}

func (b *Backend) getRolePolicy(ctx context.Context, in *wire.GetRolePolicyRequest) (*wire.GetRolePolicyResponse, error) {
	if in.PolicyName == "" {
		return nil, errMissing("policyName")
	}
	role, err := b.GetRole(ctx, in.RoleName)
	if err != nil {
		return nil, err
	}
	doc, ok := role.InlinePolicies[in.PolicyName]
	if !ok {
		return nil, errRolePolicyNotFound(in.PolicyName)
	}
	return &wire.GetRolePolicyResponse{RoleName: role.Name, PolicyName: in.PolicyName, PolicyDocument: encodeDocument(doc)}, nil
}

func (b *Backend) listRolePolicies(ctx context.Context, in *wire.ListRolePoliciesRequest) (*wire.ListRolePoliciesResponse, error) {
	limit, err := maxItems(in.MaxItems)
	if err != nil {
		return nil, err
	}
	role, err := b.GetRole(ctx, in.RoleName)
	if err != nil {
		return nil, err
	}
	names, truncated, marker, err := role.inlineNames(in.Marker, limit)
	if err != nil {
		return nil, err
	}
	return &wire.ListRolePoliciesResponse{PolicyNames: members(names), IsTruncated: &truncated, Marker: marker}, nil
}

func (b *Backend) deleteRolePolicy(ctx context.Context, in *wire.DeleteRolePolicyRequest) (*struct{}, error) {
	if in.PolicyName == "" {
		return nil, errMissing("policyName")
	}
	return nil, b.updateRoleTx(ctx, in.RoleName, func(_ *store.Tx, role *Role) error {
		if err := refuseServiceLinked(role); err != nil {
			return err
		}
		if _, ok := role.InlinePolicies[in.PolicyName]; !ok {
			return errRolePolicyNotFound(in.PolicyName)
		}
		delete(role.InlinePolicies, in.PolicyName)
		return nil
	})
}
