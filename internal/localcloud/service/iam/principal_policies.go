package iam

import (
	"context"

	"github.com/berthdev/berth/internal/localcloud/protocol/query"
	"github.com/berthdev/berth/internal/localcloud/service/iam/wire"
	"github.com/berthdev/berth/internal/localcloud/store"
)

// Managed and inline policies of users and groups; roles' are in
// role_policies.go. All three keep them in a policySet.

// --- users ---

func (b *Backend) attachUserPolicy(ctx context.Context, in *wire.AttachUserPolicyRequest) (*struct{}, error) {
	return nil, b.updateUserTx(ctx, in.UserName, func(tx *store.Tx, u *User) error {
		return u.attach(tx, in.PolicyArn, "PoliciesPerUser")
	})
}

func (b *Backend) detachUserPolicy(ctx context.Context, in *wire.DetachUserPolicyRequest) (*struct{}, error) {
	if err := validatePolicyARN(in.PolicyArn); err != nil {
		return nil, err
	}
	return nil, b.updateUserTx(ctx, in.UserName, func(_ *store.Tx, u *User) error { return u.detach(in.PolicyArn) })
}

// attachedPage is one page of the policies attached to a user or group.
type attachedPage struct {
	policies    query.List[wire.AttachedPolicy]
	isTruncated *bool
	marker      string
}

func (b *Backend) listAttached(ctx context.Context, pathPrefix, marker string, max *int, load func(tx *store.Tx) (*policySet, error)) (attachedPage, error) {
	if err := validatePathPrefix(pathPrefix); err != nil {
		return attachedPage{}, err
	}
	limit, err := maxItems(max)
	if err != nil {
		return attachedPage{}, err
	}
	var out attachedPage
	err = b.store.View(ctx, func(tx *store.Tx) error {
		set, err := load(tx)
		if err != nil {
			return err
		}
		attached, truncated, next, err := set.attached(tx, pathPrefix, marker, limit)
		out = attachedPage{policies: members(attached), isTruncated: &truncated, marker: next}
		return err
	})
	return out, err
}

func (b *Backend) listAttachedUserPolicies(ctx context.Context, in *wire.ListAttachedUserPoliciesRequest) (*wire.ListAttachedUserPoliciesResponse, error) {
	p, err := b.listAttached(ctx, in.PathPrefix, in.Marker, in.MaxItems, func(tx *store.Tx) (*policySet, error) {
		u, err := getUser(tx, in.UserName)
		if err != nil {
			return nil, err
		}
		return &u.policySet, nil
	})
	if err != nil {
		return nil, err
	}
	return &wire.ListAttachedUserPoliciesResponse{AttachedPolicies: p.policies, IsTruncated: p.isTruncated, Marker: p.marker}, nil
}

func validateInlinePolicy(name, document string, maxChars int) error {
	if err := validateName("policyName", name, 128); err != nil {
		return err
	}
	return validatePolicyDocument("policyDocument", document, maxChars)
}

func (b *Backend) putUserPolicy(ctx context.Context, in *wire.PutUserPolicyRequest) (*struct{}, error) {
	if err := validateInlinePolicy(in.PolicyName, in.PolicyDocument, maxUserInlinePolicyChars); err != nil {
		return nil, err
	}
	return nil, b.updateUserTx(ctx, in.UserName, func(_ *store.Tx, u *User) error {
		return u.putInline(in.PolicyName, in.PolicyDocument, maxUserInlinePolicyChars, "user", u.Name)
	})
}

func (b *Backend) getUserPolicy(ctx context.Context, in *wire.GetUserPolicyRequest) (*wire.GetUserPolicyResponse, error) {
	if in.PolicyName == "" {
		return nil, errMissing("policyName")
	}
	out := &wire.GetUserPolicyResponse{}
	err := b.store.View(ctx, func(tx *store.Tx) error {
		u, err := getUser(tx, in.UserName)
		if err != nil {
			return err
		}
		doc, ok := u.InlinePolicies[in.PolicyName]
		if !ok {
			return errNoSuchEntity("The user policy with name %s cannot be found.", in.PolicyName)
		}
		*out = wire.GetUserPolicyResponse{UserName: u.Name, PolicyName: in.PolicyName, PolicyDocument: encodeDocument(doc)}
		return nil
	})
	return out, err
}

func (b *Backend) deleteUserPolicy(ctx context.Context, in *wire.DeleteUserPolicyRequest) (*struct{}, error) {
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

// inlinePage is one page of the names of a user's or group's inline
// policies.
type inlinePage struct {
	names       query.List[string]
	isTruncated *bool
	marker      string
}

func (b *Backend) listInline(ctx context.Context, marker string, max *int, load func(tx *store.Tx) (*policySet, error)) (inlinePage, error) {
	limit, err := maxItems(max)
	if err != nil {
		return inlinePage{}, err
	}
	var out inlinePage
	err = b.store.View(ctx, func(tx *store.Tx) error {
		set, err := load(tx)
		if err != nil {
			return err
		}
		names, truncated, next, err := set.inlineNames(marker, limit)
		out = inlinePage{names: members(names), isTruncated: &truncated, marker: next}
		return err
	})
	return out, err
}

func (b *Backend) listUserPolicies(ctx context.Context, in *wire.ListUserPoliciesRequest) (*wire.ListUserPoliciesResponse, error) {
	p, err := b.listInline(ctx, in.Marker, in.MaxItems, func(tx *store.Tx) (*policySet, error) {
		u, err := getUser(tx, in.UserName)
		if err != nil {
			return nil, err
		}
		return &u.policySet, nil
	})
	if err != nil {
		return nil, err
	}
	return &wire.ListUserPoliciesResponse{PolicyNames: p.names, IsTruncated: p.isTruncated, Marker: p.marker}, nil
}

// --- groups ---

func (b *Backend) attachGroupPolicy(ctx context.Context, in *wire.AttachGroupPolicyRequest) (*struct{}, error) {
	return nil, b.updateGroupTx(ctx, in.GroupName, func(tx *store.Tx, g *Group) error {
		return g.attach(tx, in.PolicyArn, "PoliciesPerGroup")
	})
}

func (b *Backend) detachGroupPolicy(ctx context.Context, in *wire.DetachGroupPolicyRequest) (*struct{}, error) {
	if err := validatePolicyARN(in.PolicyArn); err != nil {
		return nil, err
	}
	return nil, b.updateGroupTx(ctx, in.GroupName, func(_ *store.Tx, g *Group) error { return g.detach(in.PolicyArn) })
}

func (b *Backend) listAttachedGroupPolicies(ctx context.Context, in *wire.ListAttachedGroupPoliciesRequest) (*wire.ListAttachedGroupPoliciesResponse, error) {
	p, err := b.listAttached(ctx, in.PathPrefix, in.Marker, in.MaxItems, func(tx *store.Tx) (*policySet, error) {
		g, err := getGroup(tx, in.GroupName)
		if err != nil {
			return nil, err
		}
		return &g.policySet, nil
	})
	if err != nil {
		return nil, err
	}
	return &wire.ListAttachedGroupPoliciesResponse{AttachedPolicies: p.policies, IsTruncated: p.isTruncated, Marker: p.marker}, nil
}

func (b *Backend) putGroupPolicy(ctx context.Context, in *wire.PutGroupPolicyRequest) (*struct{}, error) {
	if err := validateInlinePolicy(in.PolicyName, in.PolicyDocument, maxGroupInlinePolicyChars); err != nil {
		return nil, err
	}
	return nil, b.updateGroupTx(ctx, in.GroupName, func(_ *store.Tx, g *Group) error {
		return g.putInline(in.PolicyName, in.PolicyDocument, maxGroupInlinePolicyChars, "group", g.Name)
	})
}

func (b *Backend) getGroupPolicy(ctx context.Context, in *wire.GetGroupPolicyRequest) (*wire.GetGroupPolicyResponse, error) {
	if in.PolicyName == "" {
		return nil, errMissing("policyName")
	}
	out := &wire.GetGroupPolicyResponse{}
	err := b.store.View(ctx, func(tx *store.Tx) error {
		g, err := getGroup(tx, in.GroupName)
		if err != nil {
			return err
		}
		doc, ok := g.InlinePolicies[in.PolicyName]
		if !ok {
			return errNoSuchEntity("The group policy with name %s cannot be found.", in.PolicyName)
		}
		*out = wire.GetGroupPolicyResponse{GroupName: g.Name, PolicyName: in.PolicyName, PolicyDocument: encodeDocument(doc)}
		return nil
	})
	return out, err
}

func (b *Backend) deleteGroupPolicy(ctx context.Context, in *wire.DeleteGroupPolicyRequest) (*struct{}, error) {
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

func (b *Backend) listGroupPolicies(ctx context.Context, in *wire.ListGroupPoliciesRequest) (*wire.ListGroupPoliciesResponse, error) {
	p, err := b.listInline(ctx, in.Marker, in.MaxItems, func(tx *store.Tx) (*policySet, error) {
		g, err := getGroup(tx, in.GroupName)
		if err != nil {
			return nil, err
		}
		return &g.policySet, nil
	})
	if err != nil {
		return nil, err
	}
	return &wire.ListGroupPoliciesResponse{PolicyNames: p.names, IsTruncated: p.isTruncated, Marker: p.marker}, nil
}
