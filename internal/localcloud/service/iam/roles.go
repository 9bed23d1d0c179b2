package iam

import (
	"context"
	"strings"
	"time"

	"github.com/berthdev/berth/internal/localcloud/protocol"
	"github.com/berthdev/berth/internal/localcloud/protocol/query"
	"github.com/berthdev/berth/internal/localcloud/service/iam/wire"
	"github.com/berthdev/berth/internal/localcloud/store"
)

// Role is a stored IAM role with everything attached to it.
type Role struct {
	Name                     string    `json:"name"`
	Path                     string    `json:"path"`
	ID                       string    `json:"id"`
	CreateDate               time.Time `json:"createDate"`
	AssumeRolePolicyDocument string    `json:"assumeRolePolicyDocument"`
	Description              string    `json:"description,omitempty"`
	MaxSessionDuration       int32     `json:"maxSessionDuration"`
	PermissionsBoundary      string    `json:"permissionsBoundary,omitempty"`
	Tags                     []Tag     `json:"tags,omitempty"`
	policySet
	// ServiceName is the service of a service-linked role, else "".
	ServiceName string `json:"serviceName,omitempty"`
}

// ARN returns the role's ARN in account.
func (r *Role) ARN(account string) string { return iamARN(account, "role", r.Path, r.Name) }

const (
	defaultMaxSessionDuration = 3600
	maxMaxSessionDuration     = 43200
	maxAssumeRolePolicyChars  = 2048
	maxInlinePolicyChars      = 10240
)

// GetRole returns the role with the given name or ARN, or IAM's NoSuchEntity
// error. Controllers use it to check the roles that tasks and instances name.
func (b *Backend) GetRole(ctx context.Context, nameOrARN string) (*Role, error) {
	var role *Role
	err := b.store.View(ctx, func(tx *store.Tx) error {
		var err error
		role, err = getRole(tx, nameFromARN(nameOrARN, ":role/"))
		return err
	})
	return role, err
}

// nameFromARN returns the last path segment of an ARN of the given kind
// (":role/"), or s itself when it is not an ARN.
func nameFromARN(s, kind string) string {
	if !strings.HasPrefix(s, "arn:") || !strings.Contains(s, kind) {
		return s
	}
	return s[strings.LastIndex(s, "/")+1:]
}

func getRole(tx *store.Tx, name string) (*Role, error) {
	if name == "" {
		return nil, errMissing("roleName")
	}
	role, err := store.Get[Role](tx, tableRoles, strings.ToLower(name))
	if err != nil {
		return nil, err
	}
	if role == nil {
		return nil, errRoleNotFound(name)
	}
	return role, nil
}

func putRole(tx *store.Tx, role *Role) error {
	return tx.Put(tableRoles, strings.ToLower(role.Name), role)
}

// updateRoleTx loads a role, applies change and stores it, in one transaction.
func (b *Backend) updateRoleTx(ctx context.Context, name string, change func(tx *store.Tx, role *Role) error) error {
	return b.store.Update(ctx, func(tx *store.Tx) error {
		role, err := getRole(tx, name)
		if err != nil {
			return err
		}
		if err := change(tx, role); err != nil {
			return err
		}
		return putRole(tx, role)
	})
}

func validateMaxSessionDuration(d *int) (int32, error) {
	if d == nil {
		return defaultMaxSessionDuration, nil
	}
	if *d < defaultMaxSessionDuration || *d > maxMaxSessionDuration {
		return 0, errValidation(*d, "maxSessionDuration", "Member must have value between 3600 and 43200")
	}
	return int32(*d), nil
}

// --- wire shapes ---

func boundaryOut(arn string) *wire.AttachedPermissionsBoundary {
	if arn == "" {
		return nil
	}
	return &wire.AttachedPermissionsBoundary{PermissionsBoundaryType: "Policy", PermissionsBoundaryArn: arn}
}

// roleOut renders a role. ListRoles leaves out tags and last use, as IAM
// does; GetRole and CreateRole include them.
func roleOut(r *Role, account string, detailed bool) *wire.Role {
	shape := &wire.Role{
		Path:                     r.Path,
		RoleName:                 r.Name,
		RoleId:                   r.ID,
		Arn:                      r.ARN(account),
		CreateDate:               xmlTime(r.CreateDate),
		AssumeRolePolicyDocument: encodeDocument(r.AssumeRolePolicyDocument),
		Description:              r.Description,
		PermissionsBoundary:      boundaryOut(r.PermissionsBoundary),
	}
	if r.MaxSessionDuration != 0 {
		shape.MaxSessionDuration = ptr(int(r.MaxSessionDuration))
	}
	if detailed {
		shape.Tags = tagsOut(r.Tags)
		shape.RoleLastUsed = &wire.RoleLastUsed{}
	}
	return shape
}

// --- CreateRole ---

func (b *Backend) createRole(ctx context.Context, in *wire.CreateRoleRequest) (*wire.CreateRoleResponse, error) {
	if err := validateName("roleName", in.RoleName, 64); err != nil {
		return nil, err
	}
	path, err := normalizePath("path", in.Path)
	if err != nil {
		return nil, err
	}
	if err := validatePolicyDocument("assumeRolePolicyDocument", in.AssumeRolePolicyDocument, maxAssumeRolePolicyChars); err != nil {
		return nil, err
	}
	if err := validateDescription(in.Description); err != nil {
		return nil, err
	}
	duration, err := validateMaxSessionDuration(in.MaxSessionDuration)
	if err != nil {
		return nil, err
	}
	if err := validateTags(in.Tags); err != nil {
		return nil, err
	}
	role := &Role{
		Name:                     in.RoleName,
		Path:                     path,
		ID:                       newUniqueID("AROA"),
		CreateDate:               b.now().UTC().Truncate(time.Second),
		AssumeRolePolicyDocument: in.AssumeRolePolicyDocument,
		Description:              in.Description,
		MaxSessionDuration:       duration,
		Tags:                     in.Tags,
	}
	err = b.store.Update(ctx, func(tx *store.Tx) error {
		if in.PermissionsBoundary != "" {
			if _, err := getPolicy(tx, in.PermissionsBoundary); err != nil {
				return err
			}
			role.PermissionsBoundary = in.PermissionsBoundary
		}
		return insertRole(tx, role)
	})
	if err != nil {
		return nil, err
	}
	return &wire.CreateRoleResponse{Role: roleOut(role, accountOf(ctx), true)}, nil
}

func insertRole(tx *store.Tx, role *Role) error {
	existing, err := store.Get[Role](tx, tableRoles, strings.ToLower(role.Name))
	if err != nil {
		return err
	}
	if existing != nil {
		return errAlreadyExists("Role with name %s already exists.", role.Name)
	}
	return putRole(tx, role)
}

// --- GetRole ---

func (b *Backend) getRole(ctx context.Context, in *wire.GetRoleRequest) (*wire.GetRoleResponse, error) {
	var role *Role
	err := b.store.View(ctx, func(tx *store.Tx) error {
		var err error
		role, err = getRole(tx, in.RoleName)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &wire.GetRoleResponse{Role: roleOut(role, accountOf(ctx), true)}, nil
}

// --- ListRoles ---

func (b *Backend) listRoles(ctx context.Context, in *wire.ListRolesRequest) (*wire.ListRolesResponse, error) {
	if err := validatePathPrefix(in.PathPrefix); err != nil {
		return nil, err
	}
	limit, err := maxItems(in.MaxItems)
	if err != nil {
		return nil, err
	}
	var roles []*Role
	err = b.store.View(ctx, func(tx *store.Tx) error {
		all, err := store.List[Role](tx, tableRoles)
		for _, r := range all {
			if strings.HasPrefix(r.Path, in.PathPrefix) {
				roles = append(roles, r)
			}
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	roles, truncated, marker, err := page(roles, func(r *Role) string { return strings.ToLower(r.Name) }, in.Marker, limit)
	if err != nil {
		return nil, err
	}
	out := &wire.ListRolesResponse{Roles: query.List[wire.Role]{}, IsTruncated: &truncated, Marker: marker}
	for _, r := range roles {
		out.Roles = append(out.Roles, *roleOut(r, accountOf(ctx), false))
	}
	return out, nil
}

// --- UpdateRole, UpdateRoleDescription, UpdateAssumeRolePolicy ---

func (b *Backend) updateRole(ctx context.Context, in *wire.UpdateRoleRequest) (*wire.UpdateRoleResponse, error) {
	if in.Description != nil {
		if err := validateDescription(*in.Description); err != nil {
			return nil, err
		}
	}
	var duration int32
	if in.MaxSessionDuration != nil {
		var err error
		if duration, err = validateMaxSessionDuration(in.MaxSessionDuration); err != nil {
			return nil, err
		}
	}
	return nil, b.updateRoleTx(ctx, in.RoleName, func(_ *store.Tx, role *Role) error {
		if err := refuseServiceLinked(role); err != nil {
			return err
		}
		if in.Description != nil {
			role.Description = *in.Description
		}
		if duration != 0 {
			role.MaxSessionDuration = duration
		}
		return nil
	})
}

func (b *Backend) updateRoleDescription(ctx context.Context, in *wire.UpdateRoleDescriptionRequest) (*wire.UpdateRoleDescriptionResponse, error) {
	if err := validateDescription(in.Description); err != nil {
		return nil, err
	}
	var updated *Role
	err := b.updateRoleTx(ctx, in.RoleName, func(_ *store.Tx, role *Role) error {
		role.Description = in.Description
		updated = role
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &wire.UpdateRoleDescriptionResponse{Role: roleOut(updated, accountOf(ctx), true)}, nil
}

func (b *Backend) updateAssumeRolePolicy(ctx context.Context, in *wire.UpdateAssumeRolePolicyRequest) (*struct{}, error) {
	if err := validatePolicyDocument("policyDocument", in.PolicyDocument, maxAssumeRolePolicyChars); err != nil {
		return nil, err
	}
	return nil, b.updateRoleTx(ctx, in.RoleName, func(_ *store.Tx, role *Role) error {
		if err := refuseServiceLinked(role); err != nil {
			return err
		}
		role.AssumeRolePolicyDocument = in.PolicyDocument
		return nil
	})
}

// refuseServiceLinked protects service-linked roles from edits, as IAM does.
func refuseServiceLinked(role *Role) error {
	if role.ServiceName != "" {
		return protocol.Errorf("UnmodifiableEntity", "Cannot perform the operation on the protected role '%s' - this role is only modifiable by AWS", role.Name)
	}
	return nil
}

// --- DeleteRole ---

func (b *Backend) deleteRole(ctx context.Context, in *wire.DeleteRoleRequest) (*struct{}, error) {
	return nil, b.store.Update(ctx, func(tx *store.Tx) error {
		role, err := getRole(tx, in.RoleName)
		if err != nil {
			return err
		}
		if err := refuseServiceLinked(role); err != nil {
			return err
		}
		return deleteRoleTx(tx, role)
	})
}

func deleteRoleTx(tx *store.Tx, role *Role) error {
	if err := role.deleteConflict(); err != nil {
		return err
	}
	profiles, err := profilesOfRole(tx, role.Name)
	if err != nil {
		return err
	}
	if len(profiles) > 0 {
		return errDeleteConflict("Cannot delete entity, must remove roles from instance profile first.")
	}
	return tx.Delete(tableRoles, strings.ToLower(role.Name))
}

// --- permissions boundary ---

func (b *Backend) putRolePermissionsBoundary(ctx context.Context, in *wire.PutRolePermissionsBoundaryRequest) (*struct{}, error) {
	return nil, b.updateRoleTx(ctx, in.RoleName, func(tx *store.Tx, role *Role) error {
		if in.PermissionsBoundary == "" {
			return errMissing("permissionsBoundary")
		}
		if _, err := getPolicy(tx, in.PermissionsBoundary); err != nil {
			return err
		}
		role.PermissionsBoundary = in.PermissionsBoundary
		return nil
	})
}

func (b *Backend) deleteRolePermissionsBoundary(ctx context.Context, in *wire.DeleteRolePermissionsBoundaryRequest) (*struct{}, error) {
	return nil, b.updateRoleTx(ctx, in.RoleName, func(_ *store.Tx, role *Role) error {
		role.PermissionsBoundary = ""
		return nil
	})
}

// --- tags ---

func (b *Backend) tagRole(ctx context.Context, in *wire.TagRoleRequest) (*struct{}, error) {
	return nil, b.updateRoleTx(ctx, in.RoleName, func(_ *store.Tx, role *Role) error {
		tags, err := mergeTags(role.Tags, in.Tags)
		role.Tags = tags
		return err
	})
}

func (b *Backend) untagRole(ctx context.Context, in *wire.UntagRoleRequest) (*struct{}, error) {
	return nil, b.updateRoleTx(ctx, in.RoleName, func(_ *store.Tx, role *Role) error {
		role.Tags = removeTags(role.Tags, in.TagKeys)
		return nil
	})
}

// tagPage is one page of an entity's tags (List*Tags).
type tagPage struct {
	tags        query.List[Tag]
	isTruncated *bool
	marker      string
}

func pageTags(tags []Tag, marker string, max *int) (tagPage, error) {
	limit, err := maxItems(max)
	if err != nil {
		return tagPage{}, err
	}
	tags = append([]Tag{}, tags...)
	tags, truncated, next, err := page(tags, func(t Tag) string { return t.Key }, marker, limit)
	if err != nil {
		return tagPage{}, err
	}
	return tagPage{tags: members(append([]Tag{}, tags...)), isTruncated: &truncated, marker: next}, nil
}

func (b *Backend) listRoleTags(ctx context.Context, in *wire.ListRoleTagsRequest) (*wire.ListRoleTagsResponse, error) {
	role, err := b.GetRole(ctx, in.RoleName)
	if err != nil {
		return nil, err
	}
	p, err := pageTags(role.Tags, in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	return &wire.ListRoleTagsResponse{Tags: p.tags, IsTruncated: p.isTruncated, Marker: p.marker}, nil
}
