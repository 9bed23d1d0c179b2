package iam

import (
	"context"

	"github.com/berthdev/berth/internal/localcloud/store"
)

// --- managed policies attached to roles ---

type rolePolicyARNInput struct {
	RoleName  string `query:"RoleName"`
	PolicyArn string `query:"PolicyArn"`
}

func (b *Backend) attachRolePolicy(ctx context.Context, in *rolePolicyARNInput) (*empty, error) {
	return nil, b.updateRoleTx(ctx, in.RoleName, func(tx *store.Tx, role *Role) error {
		if err := refuseServiceLinked(role); err != nil {
			return err
		}
		return role.attach(tx, in.PolicyArn, "PoliciesPerRole")
	})
}

func (b *Backend) detachRolePolicy(ctx context.Context, in *rolePolicyARNInput) (*empty, error) {
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

type listAttachedRolePoliciesInput struct {
	RoleName   string `query:"RoleName"`
	PathPrefix string `query:"PathPrefix"`
	Marker     string `query:"Marker"`
	MaxItems   *int32 `query:"MaxItems"`
}

type attachedPolicyShape struct {
	PolicyName string `xml:"PolicyName"`
	PolicyArn  string `xml:"PolicyArn"`
}

type listAttachedRolePoliciesOutput struct {
	AttachedPolicies list[attachedPolicyShape] `xml:"AttachedPolicies"`
	IsTruncated      bool                      `xml:"IsTruncated"`
	Marker           string                    `xml:"Marker,omitempty"`
}

func (b *Backend) listAttachedRolePolicies(ctx context.Context, in *listAttachedRolePoliciesInput) (*listAttachedRolePoliciesOutput, error) {
	if err := validatePathPrefix(in.PathPrefix); err != nil {
		return nil, err
	}
	limit, err := maxItems(in.MaxItems)
	if err != nil {
		return nil, err
	}
	out := &listAttachedRolePoliciesOutput{AttachedPolicies: listOf([]attachedPolicyShape{})}
	err = b.store.View(ctx, func(tx *store.Tx) error {
		role, err := getRole(tx, in.RoleName)
		if err != nil {
			return err
		}
		attached, truncated, marker, err := role.attached(tx, in.PathPrefix, in.Marker, limit)
		if err != nil {
			return err
		}
		out.AttachedPolicies.Members = append(out.AttachedPolicies.Members, attached...)
		out.IsTruncated, out.Marker = truncated, marker
		return nil
	})
	return out, err
}

// --- inline role policies ---

type putRolePolicyInput struct {
	RoleName       string `query:"RoleName"`
	PolicyName     string `query:"PolicyName"`
	PolicyDocument string `query:"PolicyDocument"`
}

func (b *Backend) putRolePolicy(ctx context.Context, in *putRolePolicyInput) (*empty, error) {
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

type rolePolicyNameInput struct {
	RoleName   string `query:"RoleName"`
	PolicyName string `query:"PolicyName"`
}

type getRolePolicyOutput struct {
	RoleName       string `xml:"RoleName"`
	PolicyName     string `xml:"PolicyName"`
	PolicyDocument string `xml:"PolicyDocument"`
}

func errRolePolicyNotFound(policy string) error {
	return errNoSuchEntity("The role policy with name %s cannot be found.", policy)
}

func (b *Backend) getRolePolicy(ctx context.Context, in *rolePolicyNameInput) (*getRolePolicyOutput, error) {
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
	return &getRolePolicyOutput{RoleName: role.Name, PolicyName: in.PolicyName, PolicyDocument: encodeDocument(doc)}, nil
}

type listRolePoliciesInput struct {
	RoleName string `query:"RoleName"`
	Marker   string `query:"Marker"`
	MaxItems *int32 `query:"MaxItems"`
}

type listRolePoliciesOutput struct {
	PolicyNames list[string] `xml:"PolicyNames"`
	IsTruncated bool         `xml:"IsTruncated"`
	Marker      string       `xml:"Marker,omitempty"`
}

func (b *Backend) listRolePolicies(ctx context.Context, in *listRolePoliciesInput) (*listRolePoliciesOutput, error) {
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
	return &listRolePoliciesOutput{PolicyNames: listOf(names), IsTruncated: truncated, Marker: marker}, nil
}

func (b *Backend) deleteRolePolicy(ctx context.Context, in *rolePolicyNameInput) (*empty, error) {
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
