package iam

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/berthdev/berth/internal/localcloud/protocol/query"
	"github.com/berthdev/berth/internal/localcloud/service/iam/wire"
	"github.com/berthdev/berth/internal/localcloud/store"
)

// InstanceProfile is a stored instance profile. It holds at most one role.
type InstanceProfile struct {
	Name       string    `json:"name"`
	Path       string    `json:"path"`
	ID         string    `json:"id"`
	CreateDate time.Time `json:"createDate"`
	Roles      []string  `json:"roles,omitempty"` // role names
	Tags       []Tag     `json:"tags,omitempty"`
}

// ARN returns the instance profile's ARN in account.
func (p *InstanceProfile) ARN(account string) string {
	return iamARN(account, "instance-profile", p.Path, p.Name)
}

// GetInstanceProfile returns the instance profile with the given name or
// ARN, or IAM's NoSuchEntity error; EC2 uses it for RunInstances'
// IamInstanceProfile.
func (b *Backend) GetInstanceProfile(ctx context.Context, nameOrARN string) (*InstanceProfile, error) {
	var profile *InstanceProfile
	err := b.store.View(ctx, func(tx *store.Tx) error {
		var err error
		profile, err = getInstanceProfile(tx, nameFromARN(nameOrARN, ":instance-profile/"))
		return err
	})
	return profile, err
}

func getInstanceProfile(tx *store.Tx, name string) (*InstanceProfile, error) {
	if name == "" {
		return nil, errMissing("instanceProfileName")
	}
	p, err := store.Get[InstanceProfile](tx, tableInstanceProfiles, strings.ToLower(name))
	if err != nil {
		return nil, err
	}
	if p == nil {
		return nil, errInstanceProfileNotFound(name)
	}
	return p, nil
}

func putInstanceProfile(tx *store.Tx, p *InstanceProfile) error {
	return tx.Put(tableInstanceProfiles, strings.ToLower(p.Name), p)
}

func (b *Backend) updateInstanceProfileTx(ctx context.Context, name string, change func(tx *store.Tx, p *InstanceProfile) error) error {
	return b.store.Update(ctx, func(tx *store.Tx) error {
		p, err := getInstanceProfile(tx, name)
		if err != nil {
			return err
		}
		if err := change(tx, p); err != nil {
			return err
		}
		return putInstanceProfile(tx, p)
	})
}

// profilesOfRole returns the instance profiles that hold the role.
func profilesOfRole(tx *store.Tx, roleName string) ([]*InstanceProfile, error) {
	all, err := store.List[InstanceProfile](tx, tableInstanceProfiles)
	if err != nil {
		return nil, err
	}
	var out []*InstanceProfile
	for _, p := range all {
		if slices.ContainsFunc(p.Roles, func(r string) bool { return strings.EqualFold(r, roleName) }) {
			out = append(out, p)
		}
	}
	return out, nil
}

// --- wire shapes ---

// instanceProfileOut renders a profile with its role; tags only where
// IAM shows them (Create and Get).
func instanceProfileOut(tx *store.Tx, p *InstanceProfile, account string, withTags bool) (*wire.InstanceProfile, error) {
	shape := &wire.InstanceProfile{
		Path:                p.Path,
		InstanceProfileName: p.Name,
		InstanceProfileId:   p.ID,
		Arn:                 p.ARN(account),
		CreateDate:          xmlTime(p.CreateDate),
		Roles:               query.List[wire.Role]{},
	}
	for _, name := range p.Roles {
		role, err := getRole(tx, name)
		if err != nil {
			return nil, err
		}
		shape.Roles = append(shape.Roles, *roleOut(role, account, false))
	}
	if withTags {
		shape.Tags = tagsOut(p.Tags)
	}
	return shape, nil
}

// --- operations ---

func (b *Backend) createInstanceProfile(ctx context.Context, in *wire.CreateInstanceProfileRequest) (*wire.CreateInstanceProfileResponse, error) {
	if err := validateName("instanceProfileName", in.InstanceProfileName, 128); err != nil {
		return nil, err
	}
	path, err := normalizePath("path", in.Path)
	if err != nil {
		return nil, err
	}
	if err := validateTags(in.Tags); err != nil {
		return nil, err
	}
	profile := &InstanceProfile{
		Name:       in.InstanceProfileName,
		Path:       path,
		ID:         newUniqueID("AIPA"),
		CreateDate: b.now().UTC().Truncate(time.Second),
		Tags:       in.Tags,
	}
	out := &wire.CreateInstanceProfileResponse{}
	err = b.store.Update(ctx, func(tx *store.Tx) error {
		existing, err := store.Get[InstanceProfile](tx, tableInstanceProfiles, strings.ToLower(profile.Name))
		if err != nil {
			return err
		}
		if existing != nil {
			return errAlreadyExists("Instance Profile %s already exists.", profile.Name)
		}
		if err := putInstanceProfile(tx, profile); err != nil {
			return err
		}
		out.InstanceProfile, err = instanceProfileOut(tx, profile, accountOf(ctx), true)
		return err
	})
	return out, err
}

func (b *Backend) getInstanceProfile(ctx context.Context, in *wire.GetInstanceProfileRequest) (*wire.GetInstanceProfileResponse, error) {
	out := &wire.GetInstanceProfileResponse{}
	err := b.store.View(ctx, func(tx *store.Tx) error {
		p, err := getInstanceProfile(tx, in.InstanceProfileName)
		if err != nil {
			return err
		}
		out.InstanceProfile, err = instanceProfileOut(tx, p, accountOf(ctx), true)
		return err
	})
	return out, err
}

func (b *Backend) listInstanceProfiles(ctx context.Context, in *wire.ListInstanceProfilesRequest) (*wire.ListInstanceProfilesResponse, error) {
	if err := validatePathPrefix(in.PathPrefix); err != nil {
		return nil, err
	}
	p, err := b.pageInstanceProfiles(ctx, in.Marker, in.MaxItems, func(tx *store.Tx) ([]*InstanceProfile, error) {
		all, err := store.List[InstanceProfile](tx, tableInstanceProfiles)
		return slices.DeleteFunc(all, func(p *InstanceProfile) bool { return !strings.HasPrefix(p.Path, in.PathPrefix) }), err
	})
	if err != nil {
		return nil, err
	}
	return &wire.ListInstanceProfilesResponse{InstanceProfiles: p.profiles, IsTruncated: p.isTruncated, Marker: p.marker}, nil
}

func (b *Backend) listInstanceProfilesForRole(ctx context.Context, in *wire.ListInstanceProfilesForRoleRequest) (*wire.ListInstanceProfilesForRoleResponse, error) {
	p, err := b.pageInstanceProfiles(ctx, in.Marker, in.MaxItems, func(tx *store.Tx) ([]*InstanceProfile, error) {
		role, err := getRole(tx, in.RoleName)
		if err != nil {
			return nil, err
		}
		return profilesOfRole(tx, role.Name)
	})
	if err != nil {
		return nil, err
	}
	return &wire.ListInstanceProfilesForRoleResponse{InstanceProfiles: p.profiles, IsTruncated: p.isTruncated, Marker: p.marker}, nil
}

// profilePage is one page of instance profiles.
type profilePage struct {
	profiles    query.List[wire.InstanceProfile]
	isTruncated *bool
	marker      string
}

func (b *Backend) pageInstanceProfiles(ctx context.Context, marker string, max *int, load func(*store.Tx) ([]*InstanceProfile, error)) (profilePage, error) {
	limit, err := maxItems(max)
	if err != nil {
		return profilePage{}, err
	}
	out := profilePage{profiles: query.List[wire.InstanceProfile]{}}
	err = b.store.View(ctx, func(tx *store.Tx) error {
		profiles, err := load(tx)
		if err != nil {
			return err
		}
		profiles, truncated, next, err := page(profiles, func(p *InstanceProfile) string { return strings.ToLower(p.Name) }, marker, limit)
		if err != nil {
			return err
		}
		for _, p := range profiles {
			shape, err := instanceProfileOut(tx, p, accountOf(ctx), false)
			if err != nil {
				return err
			}
			out.profiles = append(out.profiles, *shape)
		}
		out.isTruncated, out.marker = &truncated, next
		return nil
	})
	return out, err
}

func (b *Backend) addRoleToInstanceProfile(ctx context.Context, in *wire.AddRoleToInstanceProfileRequest) (*struct{}, error) {
	return nil, b.updateInstanceProfileTx(ctx, in.InstanceProfileName, func(tx *store.Tx, p *InstanceProfile) error {
		role, err := getRole(tx, in.RoleName)
		if err != nil {
			return err
		}
		if len(p.Roles) >= 1 {
			return errLimitExceeded("Cannot exceed quota for InstanceSessionsPerInstanceProfile: 1")
		}
		p.Roles = append(p.Roles, role.Name)
		return nil
	})
}

func (b *Backend) removeRoleFromInstanceProfile(ctx context.Context, in *wire.RemoveRoleFromInstanceProfileRequest) (*struct{}, error) {
	return nil, b.updateInstanceProfileTx(ctx, in.InstanceProfileName, func(tx *store.Tx, p *InstanceProfile) error {
		if _, err := getRole(tx, in.RoleName); err != nil {
			return err
		}
		before := len(p.Roles)
		p.Roles = slices.DeleteFunc(p.Roles, func(r string) bool { return strings.EqualFold(r, in.RoleName) })
		if len(p.Roles) == before {
			return errNoSuchEntity("The role with name %s cannot be found in instance profile %s.", in.RoleName, p.Name)
		}
		return nil
	})
}

func (b *Backend) deleteInstanceProfile(ctx context.Context, in *wire.DeleteInstanceProfileRequest) (*struct{}, error) {
	return nil, b.store.Update(ctx, func(tx *store.Tx) error {
		p, err := getInstanceProfile(tx, in.InstanceProfileName)
		if err != nil {
			return err
		}
		if len(p.Roles) > 0 {
			return errDeleteConflict("Cannot delete entity, must remove roles from instance profile first.")
		}
		return tx.Delete(tableInstanceProfiles, strings.ToLower(p.Name))
	})
}

func (b *Backend) tagInstanceProfile(ctx context.Context, in *wire.TagInstanceProfileRequest) (*struct{}, error) {
	return nil, b.updateInstanceProfileTx(ctx, in.InstanceProfileName, func(_ *store.Tx, p *InstanceProfile) error {
		tags, err := mergeTags(p.Tags, in.Tags)
		p.Tags = tags
		return err
	})
}

func (b *Backend) untagInstanceProfile(ctx context.Context, in *wire.UntagInstanceProfileRequest) (*struct{}, error) {
	return nil, b.updateInstanceProfileTx(ctx, in.InstanceProfileName, func(_ *store.Tx, p *InstanceProfile) error {
		p.Tags = removeTags(p.Tags, in.TagKeys)
		return nil
	})
}

func (b *Backend) listInstanceProfileTags(ctx context.Context, in *wire.ListInstanceProfileTagsRequest) (*wire.ListInstanceProfileTagsResponse, error) {
	profile, err := b.GetInstanceProfile(ctx, in.InstanceProfileName)
	if err != nil {
		return nil, err
	}
	p, err := pageTags(profile.Tags, in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	return &wire.ListInstanceProfileTagsResponse{Tags: p.tags, IsTruncated: p.isTruncated, Marker: p.marker}, nil
}
