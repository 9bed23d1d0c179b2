package iam

import (
	"context"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/berthdev/berth/internal/localcloud/protocol"
	"github.com/berthdev/berth/internal/localcloud/protocol/query"
	"github.com/berthdev/berth/internal/localcloud/service/iam/wire"
	"github.com/berthdev/berth/internal/localcloud/store"
)

// ManagedPolicy is a customer managed policy (stored) or an AWS managed one
// (built in).
type ManagedPolicy struct {
	Name             string          `json:"name"`
	Path             string          `json:"path"`
	ID               string          `json:"id"`
	ARN              string          `json:"arn"`
	Description      string          `json:"description,omitempty"`
	CreateDate       time.Time       `json:"createDate"`
	UpdateDate       time.Time       `json:"updateDate"`
	DefaultVersionID string          `json:"defaultVersionId"`
	Versions         []PolicyVersion `json:"versions"`
	LastVersion      int             `json:"lastVersion"`
	Tags             []Tag           `json:"tags,omitempty"`
	AWSManaged       bool            `json:"-"`
}

// PolicyVersion is one version of a managed policy's document.
type PolicyVersion struct {
	ID         string    `json:"id"`
	Document   string    `json:"document"`
	CreateDate time.Time `json:"createDate"`
}

const (
	maxManagedPolicyChars = 6144
	maxPolicyVersions     = 5
	maxAttachedPolicies   = 10
)

func (p *ManagedPolicy) version(id string) (*PolicyVersion, bool) {
	for i := range p.Versions {
		if p.Versions[i].ID == id {
			return &p.Versions[i], true
		}
	}
	return nil, false
}

func validatePolicyARN(arn string) error {
	if arn == "" {
		return errMissing("policyArn")
	}
	if !strings.HasPrefix(arn, "arn:") || len(arn) < 20 || len(arn) > 2048 {
		return errInvalidInput("ARN %s is not valid.", arn)
	}
	return nil
}

// getPolicy resolves a policy ARN, AWS managed or customer managed.
func getPolicy(tx *store.Tx, arn string) (*ManagedPolicy, error) {
	if err := validatePolicyARN(arn); err != nil {
		return nil, err
	}
	if p, ok := awsManagedPolicy(arn); ok {
		return p, nil
	}
	p, err := store.Get[ManagedPolicy](tx, tablePolicies, arn)
	if err != nil {
		return nil, err
	}
	if p == nil {
		return nil, errPolicyNotFound(arn)
	}
	return p, nil
}

func getCustomerPolicy(tx *store.Tx, arn string) (*ManagedPolicy, error) {
	p, err := getPolicy(tx, arn)
	if err != nil {
		return nil, err
	}
	if p.AWSManaged {
		return nil, protocol.Errorf("AccessDenied", "AWS managed policy %s cannot be modified.", arn).WithStatus(http.StatusForbidden)
	}
	return p, nil
}

func (b *Backend) updatePolicyTx(ctx context.Context, arn string, change func(p *ManagedPolicy) error) error {
	return b.store.Update(ctx, func(tx *store.Tx) error {
		p, err := getCustomerPolicy(tx, arn)
		if err != nil {
			return err
		}
		if err := change(p); err != nil {
			return err
		}
		return tx.Put(tablePolicies, p.ARN, p)
	})
}

// --- wire shapes ---

// policyOut renders a managed policy with its use counts; tags only where
// IAM shows them (Create and Get).
func policyOut(p *ManagedPolicy, c *census, withTags bool) *wire.Policy {
	attached, boundaries := c.usage(p.ARN)
	shape := &wire.Policy{
		PolicyName:                    p.Name,
		PolicyId:                      p.ID,
		Arn:                           p.ARN,
		Path:                          p.Path,
		DefaultVersionId:              p.DefaultVersionID,
		AttachmentCount:               ptr(attached),
		PermissionsBoundaryUsageCount: ptr(boundaries),
		IsAttachable:                  ptr(true),
		Description:                   p.Description,
		CreateDate:                    xmlTime(p.CreateDate),
		UpdateDate:                    xmlTime(p.UpdateDate),
	}
	if withTags {
		shape.Tags = tagsOut(p.Tags)
	}
	return shape
}

func versionOut(p *ManagedPolicy, v *PolicyVersion, withDocument bool) *wire.PolicyVersion {
	shape := &wire.PolicyVersion{VersionId: v.ID, IsDefaultVersion: ptr(v.ID == p.DefaultVersionID), CreateDate: xmlTime(v.CreateDate)}
	if withDocument {
		shape.Document = encodeDocument(v.Document)
	}
	return shape
}

// --- CreatePolicy, GetPolicy, DeletePolicy, ListPolicies ---

func (b *Backend) createPolicy(ctx context.Context, in *wire.CreatePolicyRequest) (*wire.CreatePolicyResponse, error) {
	if err := validateName("policyName", in.PolicyName, 128); err != nil {
		return nil, err
	}
	path, err := normalizePath("path", in.Path)
	if err != nil {
		return nil, err
	}
	if err := validatePolicyDocument("policyDocument", in.PolicyDocument, maxManagedPolicyChars); err != nil {
		return nil, err
	}
	if err := validateDescription(in.Description); err != nil {
		return nil, err
	}
	if err := validateTags(in.Tags); err != nil {
		return nil, err
	}
	now := b.now().UTC().Truncate(time.Second)
	policy := &ManagedPolicy{
		Name:             in.PolicyName,
		Path:             path,
		ID:               newUniqueID("ANPA"),
		ARN:              iamARN(accountOf(ctx), "policy", path, in.PolicyName),
		Description:      in.Description,
		CreateDate:       now,
		UpdateDate:       now,
		DefaultVersionID: "v1",
		Versions:         []PolicyVersion{{ID: "v1", Document: in.PolicyDocument, CreateDate: now}},
		LastVersion:      1,
		Tags:             in.Tags,
	}
	out := &wire.CreatePolicyResponse{}
	err = b.store.Update(ctx, func(tx *store.Tx) error {
		existing, err := store.List[ManagedPolicy](tx, tablePolicies)
		if err != nil {
			return err
		}
		for _, p := range existing {
			if strings.EqualFold(p.Name, in.PolicyName) {
				return errAlreadyExists("A policy called %s already exists. Duplicate names are not allowed.", in.PolicyName)
			}
		}
		if err := tx.Put(tablePolicies, policy.ARN, policy); err != nil {
			return err
		}
		c, err := loadCensus(tx)
		if err != nil {
			return err
		}
		out.Policy = policyOut(policy, c, true)
		return nil
	})
	return out, err
}

func (b *Backend) getPolicy(ctx context.Context, in *wire.GetPolicyRequest) (*wire.GetPolicyResponse, error) {
	out := &wire.GetPolicyResponse{}
	err := b.store.View(ctx, func(tx *store.Tx) error {
		p, err := getPolicy(tx, in.PolicyArn)
		if err != nil {
			return err
		}
		c, err := loadCensus(tx)
		if err != nil {
			return err
		}
		out.Policy = policyOut(p, c, true)
		return nil
	})
	return out, err
}

func (b *Backend) deletePolicy(ctx context.Context, in *wire.DeletePolicyRequest) (*struct{}, error) {
	return nil, b.store.Update(ctx, func(tx *store.Tx) error {
		p, err := getCustomerPolicy(tx, in.PolicyArn)
		if err != nil {
			return err
		}
		c, err := loadCensus(tx)
		if err != nil {
			return err
		}
		if attached, _ := c.usage(p.ARN); attached > 0 {
			return errDeleteConflict("Cannot delete a policy attached to entities.")
		}
		if len(p.Versions) > 1 {
			return errDeleteConflict("This policy has more than one version. Before you delete a policy, you must delete the policy's versions. The default version is deleted with the policy.")
		}
		return tx.Delete(tablePolicies, p.ARN)
	})
}

func (b *Backend) listPolicies(ctx context.Context, in *wire.ListPoliciesRequest) (*wire.ListPoliciesResponse, error) {
	switch in.Scope {
	case "", "All", "AWS", "Local":
	default:
		return nil, errValidation(in.Scope, "scope", "Member must satisfy enum value set: [All, AWS, Local]")
	}
	switch in.PolicyUsageFilter {
	case "", "PermissionsPolicy", "PermissionsBoundary":
	default:
		return nil, errValidation(in.PolicyUsageFilter, "policyUsageFilter", "Member must satisfy enum value set: [PermissionsPolicy, PermissionsBoundary]")
	}
	if err := validatePathPrefix(in.PathPrefix); err != nil {
		return nil, err
	}
	limit, err := maxItems(in.MaxItems)
	if err != nil {
		return nil, err
	}
	out := &wire.ListPoliciesResponse{Policies: query.List[wire.Policy]{}}
	err = b.store.View(ctx, func(tx *store.Tx) error {
		var candidates []*ManagedPolicy
		if in.Scope != "Local" {
			candidates = append(candidates, allAWSManagedPolicies()...)
		}
		if in.Scope != "AWS" {
			local, err := store.List[ManagedPolicy](tx, tablePolicies)
			if err != nil {
				return err
			}
			candidates = append(candidates, local...)
		}
		c, err := loadCensus(tx)
		if err != nil {
			return err
		}
		onlyAttached := in.OnlyAttached != nil && *in.OnlyAttached
		var shapes []wire.Policy
		for _, p := range candidates {
			if !strings.HasPrefix(p.Path, in.PathPrefix) {
				continue
			}
			shape := policyOut(p, c, false)
			if onlyAttached && *shape.AttachmentCount == 0 && *shape.PermissionsBoundaryUsageCount == 0 {
				continue
			}
			shapes = append(shapes, *shape)
		}
		shapes, truncated, marker, err := page(shapes, func(s wire.Policy) string { return s.Arn }, in.Marker, limit)
		if err != nil {
			return err
		}
		out.Policies = append(out.Policies, shapes...)
		out.IsTruncated, out.Marker = &truncated, marker
		return nil
	})
	return out, err
}

// --- policy versions ---

func (b *Backend) createPolicyVersion(ctx context.Context, in *wire.CreatePolicyVersionRequest) (*wire.CreatePolicyVersionResponse, error) {
	if err := validatePolicyDocument("policyDocument", in.PolicyDocument, maxManagedPolicyChars); err != nil {
		return nil, err
	}
	out := &wire.CreatePolicyVersionResponse{}
	err := b.updatePolicyTx(ctx, in.PolicyArn, func(p *ManagedPolicy) error {
		if len(p.Versions) >= maxPolicyVersions {
			return errLimitExceeded("A managed policy can have up to %d versions. Before you create a new version, you must delete an existing version.", maxPolicyVersions)
		}
		now := b.now().UTC().Truncate(time.Second)
		p.LastVersion++
		v := PolicyVersion{ID: "v" + strconv.Itoa(p.LastVersion), Document: in.PolicyDocument, CreateDate: now}
		p.Versions = append(p.Versions, v)
		if in.SetAsDefault != nil && *in.SetAsDefault {
			p.DefaultVersionID = v.ID
			p.UpdateDate = now
		}
		out.PolicyVersion = versionOut(p, &v, false)
		return nil
	})
	return out, err
}

func errVersionNotFound(arn, version string) error {
	return errNoSuchEntity("Policy %s version %s does not exist or is not attachable.", arn, version)
}

func (b *Backend) getPolicyVersion(ctx context.Context, in *wire.GetPolicyVersionRequest) (*wire.GetPolicyVersionResponse, error) {
	if in.VersionId == "" {
		return nil, errMissing("versionId")
	}
	out := &wire.GetPolicyVersionResponse{}
	err := b.store.View(ctx, func(tx *store.Tx) error {
		p, err := getPolicy(tx, in.PolicyArn)
		if err != nil {
			return err
		}
		v, ok := p.version(in.VersionId)
		if !ok {
			return errVersionNotFound(in.PolicyArn, in.VersionId)
		}
		out.PolicyVersion = versionOut(p, v, true)
		return nil
	})
	return out, err
}

func (b *Backend) listPolicyVersions(ctx context.Context, in *wire.ListPolicyVersionsRequest) (*wire.ListPolicyVersionsResponse, error) {
	limit, err := maxItems(in.MaxItems)
	if err != nil {
		return nil, err
	}
	out := &wire.ListPolicyVersionsResponse{Versions: query.List[wire.PolicyVersion]{}}
	err = b.store.View(ctx, func(tx *store.Tx) error {
		p, err := getPolicy(tx, in.PolicyArn)
		if err != nil {
			return err
		}
		// Newest first, as IAM lists them; the key pads the version number.
		versions := append([]PolicyVersion(nil), p.Versions...)
		key := func(v PolicyVersion) string {
			n, _ := strconv.Atoi(strings.TrimPrefix(v.ID, "v"))
			return strconv.Itoa(1_000_000 - n)
		}
		versions, truncated, marker, err := page(versions, key, in.Marker, limit)
		if err != nil {
			return err
		}
		for i := range versions {
			out.Versions = append(out.Versions, *versionOut(p, &versions[i], false))
		}
		out.IsTruncated, out.Marker = &truncated, marker
		return nil
	})
	return out, err
}

func (b *Backend) deletePolicyVersion(ctx context.Context, in *wire.DeletePolicyVersionRequest) (*struct{}, error) {
	return nil, b.updatePolicyTx(ctx, in.PolicyArn, func(p *ManagedPolicy) error {
		if _, ok := p.version(in.VersionId); !ok {
			return errVersionNotFound(in.PolicyArn, in.VersionId)
		}
		if in.VersionId == p.DefaultVersionID {
			return errDeleteConflict("Cannot delete the default version of a policy.")
		}
		p.Versions = slices.DeleteFunc(p.Versions, func(v PolicyVersion) bool { return v.ID == in.VersionId })
		return nil
	})
}

func (b *Backend) setDefaultPolicyVersion(ctx context.Context, in *wire.SetDefaultPolicyVersionRequest) (*struct{}, error) {
	return nil, b.updatePolicyTx(ctx, in.PolicyArn, func(p *ManagedPolicy) error {
		if _, ok := p.version(in.VersionId); !ok {
			return errVersionNotFound(in.PolicyArn, in.VersionId)
		}
		p.DefaultVersionID = in.VersionId
		p.UpdateDate = b.now().UTC().Truncate(time.Second)
		return nil
	})
}

// --- ListEntitiesForPolicy ---

type policyEntity struct {
	kind, name, id, path string
}

func (b *Backend) listEntitiesForPolicy(ctx context.Context, in *wire.ListEntitiesForPolicyRequest) (*wire.ListEntitiesForPolicyResponse, error) {
	limit, err := maxItems(in.MaxItems)
	if err != nil {
		return nil, err
	}
	wanted := func(kind string) bool {
		switch in.EntityFilter {
		case "", "LocalManagedPolicy", "AWSManagedPolicy":
			return true
		}
		return in.EntityFilter == kind
	}
	boundary := in.PolicyUsageFilter == "PermissionsBoundary"
	out := &wire.ListEntitiesForPolicyResponse{PolicyGroups: query.List[wire.PolicyGroup]{}, PolicyUsers: query.List[wire.PolicyUser]{}, PolicyRoles: query.List[wire.PolicyRole]{}}
	err = b.store.View(ctx, func(tx *store.Tx) error {
		if _, err := getPolicy(tx, in.PolicyArn); err != nil {
			return err
		}
		c, err := loadCensus(tx)
		if err != nil {
			return err
		}
		holds := func(set *policySet, bound string) bool {
			if boundary {
				return bound == in.PolicyArn
			}
			return slices.Contains(set.AttachedPolicies, in.PolicyArn)
		}
		var entities []policyEntity
		for _, g := range c.groups {
			if wanted("Group") && holds(&g.policySet, "") {
				entities = append(entities, policyEntity{"Group", g.Name, g.ID, g.Path})
			}
		}
		for _, u := range c.users {
			if wanted("User") && holds(&u.policySet, u.PermissionsBoundary) {
				entities = append(entities, policyEntity{"User", u.Name, u.ID, u.Path})
			}
		}
		for _, r := range c.roles {
			if wanted("Role") && holds(&r.policySet, r.PermissionsBoundary) {
				entities = append(entities, policyEntity{"Role", r.Name, r.ID, r.Path})
			}
		}
		entities = slices.DeleteFunc(entities, func(e policyEntity) bool { return !strings.HasPrefix(e.path, in.PathPrefix) })
		entities, truncated, marker, err := page(entities, func(e policyEntity) string { return e.kind + "/" + strings.ToLower(e.name) }, in.Marker, limit)
		if err != nil {
			return err
		}
		for _, e := range entities {
			switch e.kind {
			case "Group":
				out.PolicyGroups = append(out.PolicyGroups, wire.PolicyGroup{GroupName: e.name, GroupId: e.id})
			case "User":
				out.PolicyUsers = append(out.PolicyUsers, wire.PolicyUser{UserName: e.name, UserId: e.id})
			default:
				out.PolicyRoles = append(out.PolicyRoles, wire.PolicyRole{RoleName: e.name, RoleId: e.id})
			}
		}
		out.IsTruncated, out.Marker = &truncated, marker
		return nil
	})
	return out, err
}

// --- policy tags ---

func (b *Backend) tagPolicy(ctx context.Context, in *wire.TagPolicyRequest) (*struct{}, error) {
	return nil, b.updatePolicyTx(ctx, in.PolicyArn, func(p *ManagedPolicy) error {
		tags, err := mergeTags(p.Tags, in.Tags)
		p.Tags = tags
		return err
	})
}

func (b *Backend) untagPolicy(ctx context.Context, in *wire.UntagPolicyRequest) (*struct{}, error) {
	return nil, b.updatePolicyTx(ctx, in.PolicyArn, func(p *ManagedPolicy) error {
		p.Tags = removeTags(p.Tags, in.TagKeys)
		return nil
	})
}

func (b *Backend) listPolicyTags(ctx context.Context, in *wire.ListPolicyTagsRequest) (*wire.ListPolicyTagsResponse, error) {
	var tags []Tag
	err := b.store.View(ctx, func(tx *store.Tx) error {
		p, err := getPolicy(tx, in.PolicyArn)
		if err == nil {
			tags = p.Tags
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	p, err := pageTags(tags, in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	return &wire.ListPolicyTagsResponse{Tags: p.tags, IsTruncated: p.isTruncated, Marker: p.marker}, nil
}
