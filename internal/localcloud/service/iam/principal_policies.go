package iam

import (
	"context"

	"github.com/berthdev/berth/internal/localcloud/store"
)

// Managed and inline policies of users and groups; roles' are in
// role_policies.go. All three keep them in a policySet.

// --- users ---

type userPolicyARNInput struct {
	UserName  string `query:"UserName"`
	PolicyArn string `query:"PolicyArn"`
}

func (b *Backend) attachUserPolicy(ctx context.Context, in *userPolicyARNInput) (*empty, error) {
	return nil, b.updateUserTx(ctx, in.UserName, func(tx *store.Tx, u *User) error {
		return u.attach(tx, in.PolicyArn, "PoliciesPerUser")
	})
}

func (b *Backend) detachUserPolicy(ctx context.Context, in *userPolicyARNInput) (*empty, error) {
	if err := validatePolicyARN(in.PolicyArn); err != nil {
		return nil, err
	}
	return nil, b.updateUserTx(ctx, in.UserName, func(_ *store.Tx, u *User) error { return u.detach(in.PolicyArn) })
}

type listAttachedPoliciesInput struct {
	UserName   string `query:"UserName"`
	GroupName  string `query:"GroupName"`
	PathPrefix string `query:"PathPrefix"`
	Marker     string `query:"Marker"`
	MaxItems   *int32 `query:"MaxItems"`
}

type listAttachedPoliciesOutput = listAttachedRolePoliciesOutput

// listAttached lists a page of the policies attached to the set load finds.
func (b *Backend) listAttached(ctx context.Context, in *listAttachedPoliciesInput, load func(tx *store.Tx) (*policySet, error)) (*listAttachedPoliciesOutput, error) {
	if err := validatePathPrefix(in.PathPrefix); err != nil {
		return nil, err
	}
	limit, err := maxItems(in.MaxItems)
	if err != nil {
		return nil, err
	}
	out := &listAttachedPoliciesOutput{}
	err = b.store.View(ctx, func(tx *store.Tx) error {
		set, err := load(tx)
		if err != nil {
			return err
		}
		attached, truncated, next, err := set.attached(tx, in.PathPrefix, in.Marker, limit)
		out.AttachedPolicies, out.IsTruncated, out.Marker = listOf(attached), truncated, next
		return err
	})
	return out, err
}

func (b *Backend) listAttachedUserPolicies(ctx context.Context, in *listAttachedPoliciesInput) (*listAttachedPoliciesOutput, error) {
	return b.listAttached(ctx, in, func(tx *store.Tx) (*policySet, error) {
		u, err := getUser(tx, in.UserName)
		if err != nil {
			return nil, err
		}
		return &u.policySet, nil
	})
}

type putPrincipalPolicyInput struct {
	UserName       string `query:"UserName"`
	GroupName      string `query:"GroupName"`
	PolicyName     string `query:"PolicyName"`
	PolicyDocument string `query:"PolicyDocument"`
}

func validateInlinePolicy(in *putPrincipalPolicyInput, maxChars int) error {
	if err := validateName("policyName", in.PolicyName, 128); err != nil {
		return err
	}
	return validatePolicyDocument("policyDocument", in.PolicyDocument, maxChars)
}

func (b *Backend) putUserPolicy(ctx context.Context, in *putPrincipalPolicyInput) (*empty, error) {
	if err := validateInlinePolicy(in, maxUserInlinePolicyChars); err != nil {
		return nil, err
	}
	return nil, b.updateUserTx(ctx, in.UserName, func(_ *store.Tx, u *User) error {
		return u.putInline(in.PolicyName, in.PolicyDocument, maxUserInlinePolicyChars, "user", u.Name)
	})
}

type principalPolicyNameInput struct {
	UserName   string `query:"UserName"`
	GroupName  string `query:"GroupName"`
	PolicyName string `query:"PolicyName"`
}

type getUserPolicyOutput struct {
	UserName       string `xml:"UserName"`
	PolicyName     string `xml:"PolicyName"`
	PolicyDocument string `xml:"PolicyDocument"`
}

func (b *Backend) getUserPolicy(ctx context.Context, in *principalPolicyNameInput) (*getUserPolicyOutput, error) {
	if in.PolicyName == "" {
		return nil, errMissing("policyName")
	}
	out := &getUserPolicyOutput{}
	err := b.store.View(ctx, func(tx *store.Tx) error {
		u, err := getUser(tx, in.UserName)
		if err != nil {
			return err
		}
		doc, ok := u.InlinePolicies[in.PolicyName]
		if !ok {
			return errNoSuchEntity("The user policy with name %s cannot be found.", in.PolicyName)
		}
		*out = getUserPolicyOutput{UserName: u.Name, PolicyName: in.PolicyName, PolicyDocument: encodeDocument(doc)}
		return nil
	})
	return out, err
}

func (b *Backend) deleteUserPolicy(ctx context.Context, in *principalPolicyNameInput) (*empty, error) {
	if in.PolicyName == "" {
		return nil, errMissing("policyName")
	}
	return nil, b.updateUserTx(ctx, in.UserName, func(_ *store.Tx, u *User) error {
		if _, ok := u.InlinePolicies[in.PolicyName]; !ok {
			return errNoSuchEntity("The user policy with name %s cannot be found.", in.PolicyName)
		}
		delete(u.InlinePolicies, in.PolicyName)
		return nil
	})
}

type listPrincipalPoliciesInput struct {
	UserName  string `query:"UserName"`
	GroupName string `query:"GroupName"`
	Marker    string `query:"Marker"`
	MaxItems  *int32 `query:"MaxItems"`
}

type listPrincipalPoliciesOutput = listRolePoliciesOutput

func (b *Backend) listInline(ctx context.Context, in *listPrincipalPoliciesInput, load func(tx *store.Tx) (*policySet, error)) (*listPrincipalPoliciesOutput, error) {
	limit, err := maxItems(in.MaxItems)
	if err != nil {
		return nil, err
	}
	out := &listPrincipalPoliciesOutput{}
	err = b.store.View(ctx, func(tx *store.Tx) error {
		set, err := load(tx)
		if err != nil {
			return err
		}
		names, truncated, next, err := set.inlineNames(in.Marker, limit)
		out.PolicyNames, out.IsTruncated, out.Marker = listOf(names), truncated, next
		return err
	})
	return out, err
}

func (b *Backend) listUserPolicies(ctx context.Context, in *listPrincipalPoliciesInput) (*listPrincipalPoliciesOutput, error) {
	return b.listInline(ctx, in, func(tx *store.Tx) (*policySet, error) {
		u, err := getUser(tx, in.UserName)
		if err != nil {
			return nil, err
		}
		return &u.policySet, nil
	})
}

// --- groups ---

type groupPolicyARNInput struct {
	GroupName string `query:"GroupName"`
	PolicyArn string `query:"PolicyArn"`
}

func (b *Backend) attachGroupPolicy(ctx context.Context, in *groupPolicyARNInput) (*empty, error) {
	return nil, b.updateGroupTx(ctx, in.GroupName, func(tx *store.Tx, g *Group) error {
		return g.attach(tx, in.PolicyArn, "PoliciesPerGroup")
	})
}

func (b *Backend) detachGroupPolicy(ctx context.Context, in *groupPolicyARNInput) (*empty, error) {
	if err := validatePolicyARN(in.PolicyArn); err != nil {
		return nil, err
	}
	return nil, b.updateGroupTx(ctx, in.GroupName, func(_ *store.Tx, g *Group) error { return g.detach(in.PolicyArn) })
}

func (b *Backend) listAttachedGroupPolicies(ctx context.Context, in *listAttachedPoliciesInput) (*listAttachedPoliciesOutput, error) {
	return b.listAttached(ctx, in, func(tx *store.Tx) (*policySet, error) {
		g, err := getGroup(tx, in.GroupName)
		if err != nil {
			return nil, err
		}
		return &g.policySet, nil
	})
}

func (b *Backend) putGroupPolicy(ctx context.Context, in *putPrincipalPolicyInput) (*empty, error) {
	if err := validateInlinePolicy(in, maxGroupInlinePolicyChars); err != nil {
		return nil, err
	}
	return nil, b.updateGroupTx(ctx, in.GroupName, func(_ *store.Tx, g *Group) error {
		return g.putInline(in.PolicyName, in.PolicyDocument, maxGroupInlinePolicyChars, "group", g.Name)
	})
}

type getGroupPolicyOutput struct {
	GroupName      string `xml:"GroupName"`
	PolicyName     string `xml:"PolicyName"`
	PolicyDocument string `xml:"PolicyDocument"`
}

func (b *Backend) getGroupPolicy(ctx context.Context, in *principalPolicyNameInput) (*getGroupPolicyOutput, error) {
	if in.PolicyName == "" {
		return nil, errMissing("policyName")
	}
	out := &getGroupPolicyOutput{}
	err := b.store.View(ctx, func(tx *store.Tx) error {
		g, err := getGroup(tx, in.GroupName)
		if err != nil {
			return err
		}
		doc, ok := g.InlinePolicies[in.PolicyName]
		if !ok {
			return errNoSuchEntity("The group policy with name %s cannot be found.", in.PolicyName)
		}
		*out = getGroupPolicyOutput{GroupName: g.Name, PolicyName: in.PolicyName, PolicyDocument: encodeDocument(doc)}
		return nil
	})
	return out, err
}

func (b *Backend) deleteGroupPolicy(ctx context.Context, in *principalPolicyNameInput) (*empty, error) {
	if in.PolicyName == "" {
		return nil, errMissing("policyName")
	}
	return nil, b.updateGroupTx(ctx, in.GroupName, func(_ *store.Tx, g *Group) error {
		if _, ok := g.InlinePolicies[in.PolicyName]; !ok {
			return errNoSuchEntity("The group policy with name %s cannot be found.", in.PolicyName)
		}
		delete(g.InlinePolicies, in.PolicyName)
		return nil
	})
}

func (b *Backend) listGroupPolicies(ctx context.Context, in *listPrincipalPoliciesInput) (*listPrincipalPoliciesOutput, error) {
	return b.listInline(ctx, in, func(tx *store.Tx) (*policySet, error) {
		g, err := getGroup(tx, in.GroupName)
		if err != nil {
			return nil, err
		}
		return &g.policySet, nil
	})
}
