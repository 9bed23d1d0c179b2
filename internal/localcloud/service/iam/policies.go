package iam

import (
	"context"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/berthdev/berth/internal/localcloud/protocol"
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

type policyShape struct {
	PolicyName                    string           `xml:"PolicyName"`
	PolicyID                      string           `xml:"PolicyId"`
	Arn                           string           `xml:"Arn"`
	Path                          string           `xml:"Path"`
	DefaultVersionID              string           `xml:"DefaultVersionId"`
	AttachmentCount               int              `xml:"AttachmentCount"`
	PermissionsBoundaryUsageCount int              `xml:"PermissionsBoundaryUsageCount"`
	IsAttachable                  bool             `xml:"IsAttachable"`
	Description                   string           `xml:"Description,omitempty"`
	CreateDate                    protocol.XMLTime `xml:"CreateDate"`
	UpdateDate                    protocol.XMLTime `xml:"UpdateDate"`
	Tags                          []Tag            `xml:"Tags>member,omitempty"`
}

// shapeOfPolicy renders p; the census gives its attachment and
// permissions boundary counts.
func shapeOfPolicy(p *ManagedPolicy, c *census, withTags bool) policyShape {
	attached, boundaries := c.usage(p.ARN)
	shape := policyShape{
		PolicyName:                    p.Name,
		PolicyID:                      p.ID,
		Arn:                           p.ARN,
		Path:                          p.Path,
		DefaultVersionID:              p.DefaultVersionID,
		AttachmentCount:               attached,
		PermissionsBoundaryUsageCount: boundaries,
		IsAttachable:                  true,
		Description:                   p.Description,
		CreateDate:                    protocol.XMLTime(p.CreateDate),
		UpdateDate:                    protocol.XMLTime(p.UpdateDate),
	}
	if withTags {
		shape.Tags = p.Tags
	}
	return shape
}

type policyOutput struct {
	Policy policyShape `xml:"Policy"`
}

type policyVersionShape struct {
	Document         string           `xml:"Document,omitempty"`
	VersionID        string           `xml:"VersionId"`
	IsDefaultVersion bool             `xml:"IsDefaultVersion"`
	CreateDate       protocol.XMLTime `xml:"CreateDate"`
}

func shapeOfVersion(p *ManagedPolicy, v *PolicyVersion, withDocument bool) policyVersionShape {
	shape := policyVersionShape{VersionID: v.ID, IsDefaultVersion: v.ID == p.DefaultVersionID, CreateDate: protocol.XMLTime(v.CreateDate)}
	if withDocument {
		shape.Document = encodeDocument(v.Document)
	}
	return shape
}

// --- CreatePolicy, GetPolicy, DeletePolicy, ListPolicies ---

type createPolicyInput struct {
	PolicyName     string `query:"PolicyName"`
	Path           string `query:"Path"`
	PolicyDocument string `query:"PolicyDocument"`
	Description    string `query:"Description"`
	Tags           []Tag  `query:"Tags"`
}

func (b *Backend) createPolicy(ctx context.Context, in *createPolicyInput) (*policyOutput, error) {
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
	out := &policyOutput{}
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
		out.Policy = shapeOfPolicy(policy, c, true)
		return nil
	})
	return out, err
}

type policyARNInput struct {
	PolicyArn string `query:"PolicyArn"`
}

func (b *Backend) getPolicy(ctx context.Context, in *policyARNInput) (*policyOutput, error) {
	out := &policyOutput{}
	err := b.store.View(ctx, func(tx *store.Tx) error {
		p, err := getPolicy(tx, in.PolicyArn)
		if err != nil {
			return err
		}
		c, err := loadCensus(tx)
		if err != nil {
			return err
		}
		out.Policy = shapeOfPolicy(p, c, true)
		return nil
	})
	return out, err
}

func (b *Backend) deletePolicy(ctx context.Context, in *policyARNInput) (*empty, error) {
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

type listPoliciesInput struct {
	Scope             string `query:"Scope"`
	OnlyAttached      bool   `query:"OnlyAttached"`
	PathPrefix        string `query:"PathPrefix"`
	PolicyUsageFilter string `query:"PolicyUsageFilter"`
	Marker            string `query:"Marker"`
	MaxItems          *int32 `query:"MaxItems"`
}

type listPoliciesOutput struct {
	Policies    list[policyShape] `xml:"Policies"`
	IsTruncated bool              `xml:"IsTruncated"`
	Marker      string            `xml:"Marker,omitempty"`
}

func (b *Backend) listPolicies(ctx context.Context, in *listPoliciesInput) (*listPoliciesOutput, error) {
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
	out := &listPoliciesOutput{Policies: listOf([]policyShape{})}
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
		var shapes []policyShape
		for _, p := range candidates {
			if !strings.HasPrefix(p.Path, in.PathPrefix) {
				continue
			}
			shape := shapeOfPolicy(p, c, false)
			if in.OnlyAttached && shape.AttachmentCount == 0 && shape.PermissionsBoundaryUsageCount == 0 {
				continue
			}
			shapes = append(shapes, shape)
		}
		shapes, truncated, marker, err := page(shapes, func(s policyShape) string { return s.Arn }, in.Marker, limit)
		if err != nil {
			return err
		}
		out.Policies.Members = append(out.Policies.Members, shapes...)
		out.IsTruncated, out.Marker = truncated, marker
		return nil
	})
	return out, err
}

// --- policy versions ---

type createPolicyVersionInput struct {
	PolicyArn      string `query:"PolicyArn"`
	PolicyDocument string `query:"PolicyDocument"`
	SetAsDefault   bool   `query:"SetAsDefault"`
}

type policyVersionOutput struct {
	PolicyVersion policyVersionShape `xml:"PolicyVersion"`
}

func (b *Backend) createPolicyVersion(ctx context.Context, in *createPolicyVersionInput) (*policyVersionOutput, error) {
	if err := validatePolicyDocument("policyDocument", in.PolicyDocument, maxManagedPolicyChars); err != nil {
		return nil, err
	}
	out := &policyVersionOutput{}
	err := b.updatePolicyTx(ctx, in.PolicyArn, func(p *ManagedPolicy) error {
		if len(p.Versions) >= maxPolicyVersions {
			return errLimitExceeded("A managed policy can have up to %d versions. Before you create a new version, you must delete an existing version.", maxPolicyVersions)
		}
		now := b.now().UTC().Truncate(time.Second)
		p.LastVersion++
		v := PolicyVersion{ID: "v" + strconv.Itoa(p.LastVersion), Document: in.PolicyDocument, CreateDate: now}
		p.Versions = append(p.Versions, v)
		if in.SetAsDefault {
			p.DefaultVersionID = v.ID
			p.UpdateDate = now
		}
		out.PolicyVersion = shapeOfVersion(p, &v, false)
		return nil
	})
	return out, err
}

type policyVersionInput struct {
	PolicyArn string `query:"PolicyArn"`
	VersionID string `query:"VersionId"`
}

func errVersionNotFound(arn, version string) error {
	return errNoSuchEntity("Policy %s version %s does not exist or is not attachable.", arn, version)
}

func (b *Backend) getPolicyVersion(ctx context.Context, in *policyVersionInput) (*policyVersionOutput, error) {
	if in.VersionID == "" {
		return nil, errMissing("versionId")
	}
	out := &policyVersionOutput{}
	err := b.store.View(ctx, func(tx *store.Tx) error {
		p, err := getPolicy(tx, in.PolicyArn)
		if err != nil {
			return err
		}
		v, ok := p.version(in.VersionID)
		if !ok {
			return errVersionNotFound(in.PolicyArn, in.VersionID)
		}
		out.PolicyVersion = shapeOfVersion(p, v, true)
		return nil
	})
	return out, err
}

type listPolicyVersionsInput struct {
	PolicyArn string `query:"PolicyArn"`
	Marker    string `query:"Marker"`
	MaxItems  *int32 `query:"MaxItems"`
}

type listPolicyVersionsOutput struct {
	Versions    list[policyVersionShape] `xml:"Versions"`
	IsTruncated bool                     `xml:"IsTruncated"`
	Marker      string                   `xml:"Marker,omitempty"`
}

func (b *Backend) listPolicyVersions(ctx context.Context, in *listPolicyVersionsInput) (*listPolicyVersionsOutput, error) {
	limit, err := maxItems(in.MaxItems)
	if err != nil {
		return nil, err
	}
	out := &listPolicyVersionsOutput{Versions: listOf([]policyVersionShape{})}
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
			out.Versions.Members = append(out.Versions.Members, shapeOfVersion(p, &versions[i], false))
		}
		out.IsTruncated, out.Marker = truncated, marker
		return nil
	})
	return out, err
}

func (b *Backend) deletePolicyVersion(ctx context.Context, in *policyVersionInput) (*empty, error) {
	return nil, b.updatePolicyTx(ctx, in.PolicyArn, func(p *ManagedPolicy) error {
		if _, ok := p.version(in.VersionID); !ok {
			return errVersionNotFound(in.PolicyArn, in.VersionID)
		}
		if in.VersionID == p.DefaultVersionID {
			return errDeleteConflict("Cannot delete the default version of a policy.")
		}
		p.Versions = slices.DeleteFunc(p.Versions, func(v PolicyVersion) bool { return v.ID == in.VersionID })
		return nil
	})
}

func (b *Backend) setDefaultPolicyVersion(ctx context.Context, in *policyVersionInput) (*empty, error) {
	return nil, b.updatePolicyTx(ctx, in.PolicyArn, func(p *ManagedPolicy) error {
		if _, ok := p.version(in.VersionID); !ok {
			return errVersionNotFound(in.PolicyArn, in.VersionID)
		}
		p.DefaultVersionID = in.VersionID
		p.UpdateDate = b.now().UTC().Truncate(time.Second)
		return nil
	})
}

// --- ListEntitiesForPolicy ---

type listEntitiesForPolicyInput struct {
	PolicyArn         string `query:"PolicyArn"`
	EntityFilter      string `query:"EntityFilter"`
	PathPrefix        string `query:"PathPrefix"`
	PolicyUsageFilter string `query:"PolicyUsageFilter"`
	Marker            string `query:"Marker"`
	MaxItems          *int32 `query:"MaxItems"`
}

type policyRoleShape struct {
	RoleName string `xml:"RoleName"`
	RoleID   string `xml:"RoleId"`
}

type policyUserShape struct {
	UserName string `xml:"UserName"`
	UserID   string `xml:"UserId"`
}

type policyGroupShape struct {
	GroupName string `xml:"GroupName"`
	GroupID   string `xml:"GroupId"`
}

type listEntitiesForPolicyOutput struct {
	PolicyGroups list[policyGroupShape] `xml:"PolicyGroups"`
	PolicyUsers  list[policyUserShape]  `xml:"PolicyUsers"`
	PolicyRoles  list[policyRoleShape]  `xml:"PolicyRoles"`
	IsTruncated  bool                   `xml:"IsTruncated"`
	Marker       string                 `xml:"Marker,omitempty"`
}

// policyEntity is one entity a policy is attached to, whatever its kind,
// so that one page can hold groups, users and roles.
type policyEntity struct {
	kind, name, id, path string
}

func (b *Backend) listEntitiesForPolicy(ctx context.Context, in *listEntitiesForPolicyInput) (*listEntitiesForPolicyOutput, error) {
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
	out := &listEntitiesForPolicyOutput{PolicyGroups: listOf([]policyGroupShape{}), PolicyUsers: listOf([]policyUserShape{}), PolicyRoles: listOf([]policyRoleShape{})}
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
				out.PolicyGroups.Members = append(out.PolicyGroups.Members, policyGroupShape{GroupName: e.name, GroupID: e.id})
			case "User":
				out.PolicyUsers.Members = append(out.PolicyUsers.Members, policyUserShape{UserName: e.name, UserID: e.id})
			default:
				out.PolicyRoles.Members = append(out.PolicyRoles.Members, policyRoleShape{RoleName: e.name, RoleID: e.id})
			}
		}
		out.IsTruncated, out.Marker = truncated, marker
		return nil
	})
	return out, err
}

// --- policy tags ---

type tagPolicyInput struct {
	PolicyArn string `query:"PolicyArn"`
	Tags      []Tag  `query:"Tags"`
}

func (b *Backend) tagPolicy(ctx context.Context, in *tagPolicyInput) (*empty, error) {
	return nil, b.updatePolicyTx(ctx, in.PolicyArn, func(p *ManagedPolicy) error {
		tags, err := mergeTags(p.Tags, in.Tags)
		p.Tags = tags
		return err
	})
}

type untagPolicyInput struct {
	PolicyArn string   `query:"PolicyArn"`
	TagKeys   []string `query:"TagKeys"`
}

func (b *Backend) untagPolicy(ctx context.Context, in *untagPolicyInput) (*empty, error) {
	return nil, b.updatePolicyTx(ctx, in.PolicyArn, func(p *ManagedPolicy) error {
		p.Tags = removeTags(p.Tags, in.TagKeys)
		return nil
	})
}

func (b *Backend) listPolicyTags(ctx context.Context, in *listTagsInput) (*listTagsOutput, error) {
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
	return pageTags(tags, in)
}
