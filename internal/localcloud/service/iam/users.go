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

const tableUsers = "iam/users" // lower(user name)

// User is a stored IAM user with everything attached to it; its group
// memberships are kept on the groups, its access keys in their own table.
type User struct {
	Name                string        `json:"name"`
	Path                string        `json:"path"`
	ID                  string        `json:"id"`
	CreateDate          time.Time     `json:"createDate"`
	PermissionsBoundary string        `json:"permissionsBoundary,omitempty"`
	Tags                []Tag         `json:"tags,omitempty"`
	LoginProfile        *LoginProfile `json:"loginProfile,omitempty"`
	policySet
}

// LoginProfile is a user's console password. The password itself is not
// kept: nothing signs in to the local cloud's console.
type LoginProfile struct {
	CreateDate            time.Time `json:"createDate"`
	PasswordResetRequired bool      `json:"passwordResetRequired,omitempty"`
}

// ARN returns the user's ARN in account.
func (u *User) ARN(account string) string { return iamARN(account, "user", u.Path, u.Name) }

// maxUserInlinePolicyChars is IAM's quota on a user's inline policies,
// all documents together.
const maxUserInlinePolicyChars = 2048

func errUserNotFound(name string) error {
	return errNoSuchEntity("The user with name %s cannot be found.", name)
}

func getUser(tx *store.Tx, name string) (*User, error) {
	if name == "" {
		return nil, errMissing("userName")
	}
	u, err := store.Get[User](tx, tableUsers, strings.ToLower(name))
	if err != nil {
		return nil, err
	}
	if u == nil {
		return nil, errUserNotFound(name)
	}
	return u, nil
}

func putUser(tx *store.Tx, u *User) error {
	return tx.Put(tableUsers, strings.ToLower(u.Name), u)
}

func (b *Backend) updateUserTx(ctx context.Context, name string, change func(tx *store.Tx, u *User) error) error {
	return b.store.Update(ctx, func(tx *store.Tx) error {
		u, err := getUser(tx, name)
		if err != nil {
			return err
		}
		if err := change(tx, u); err != nil {
			return err
		}
		return putUser(tx, u)
	})
}

// --- wire shapes ---

// userOut renders a user; the permissions boundary and tags only where
// IAM shows them (GetUser, CreateUser).
func userOut(u *User, account string, detailed bool) *wire.User {
	shape := &wire.User{Path: u.Path, UserName: u.Name, UserId: u.ID, Arn: u.ARN(account), CreateDate: xmlTime(u.CreateDate)}
	if detailed {
		shape.PermissionsBoundary = boundaryOut(u.PermissionsBoundary)
		shape.Tags = tagsOut(u.Tags)
	}
	return shape
}

// --- CreateUser, GetUser, ListUsers, UpdateUser, DeleteUser ---

func (b *Backend) createUser(ctx context.Context, in *wire.CreateUserRequest) (*wire.CreateUserResponse, error) {
	if err := validateName("userName", in.UserName, 64); err != nil {
		return nil, err
	}
	path, err := normalizePath("path", in.Path)
	if err != nil {
		return nil, err
	}
	if err := validateTags(in.Tags); err != nil {
		return nil, err
	}
	user := &User{
		Name:       in.UserName,
		Path:       path,
		ID:         newUniqueID("AIDA"),
		CreateDate: b.now().UTC().Truncate(time.Second),
		Tags:       in.Tags,
	}
	err = b.store.Update(ctx, func(tx *store.Tx) error {
		if in.PermissionsBoundary != "" {
			if _, err := getPolicy(tx, in.PermissionsBoundary); err != nil {
				return err
			}
			user.PermissionsBoundary = in.PermissionsBoundary
		}
		existing, err := store.Get[User](tx, tableUsers, strings.ToLower(user.Name))
		if err != nil {
			return err
		}
		if existing != nil {
			return errAlreadyExists("User with name %s already exists.", user.Name)
		}
		return putUser(tx, user)
	})
	if err != nil {
		return nil, err
	}
	return &wire.CreateUserResponse{User: userOut(user, accountOf(ctx), true)}, nil
}

func (b *Backend) getUser(ctx context.Context, in *wire.GetUserRequest) (*wire.GetUserResponse, error) {
	account := accountOf(ctx)
	name := in.UserName
	if name == "" {
		var err error
		if name, err = b.callerUserName(ctx); err != nil {
			return nil, err
		}
		if name == "" {
			return &wire.GetUserResponse{User: &wire.User{
				UserId:     account,
				Arn:        iamARN(account, "root", "", ""),
				CreateDate: xmlTime(awsPolicyCreateDate),
			}}, nil
		}
	}
	var user *User
	err := b.store.View(ctx, func(tx *store.Tx) error {
		var err error
		user, err = getUser(tx, name)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &wire.GetUserResponse{User: userOut(user, account, true)}, nil
}

func (b *Backend) listUsers(ctx context.Context, in *wire.ListUsersRequest) (*wire.ListUsersResponse, error) {
	if err := validatePathPrefix(in.PathPrefix); err != nil {
		return nil, err
	}
	limit, err := maxItems(in.MaxItems)
	if err != nil {
		return nil, err
	}
	var users []*User
	err = b.store.View(ctx, func(tx *store.Tx) error {
		all, err := store.List[User](tx, tableUsers)
		users = slices.DeleteFunc(all, func(u *User) bool { return !strings.HasPrefix(u.Path, in.PathPrefix) })
		return err
	})
	if err != nil {
		return nil, err
	}
	users, truncated, marker, err := page(users, func(u *User) string { return strings.ToLower(u.Name) }, in.Marker, limit)
	if err != nil {
		return nil, err
	}
	out := &wire.ListUsersResponse{Users: query.List[wire.User]{}, IsTruncated: &truncated, Marker: marker}
	for _, u := range users {
		out.Users = append(out.Users, *userOut(u, accountOf(ctx), false))
	}
	return out, nil
}

func (b *Backend) updateUser(ctx context.Context, in *wire.UpdateUserRequest) (*struct{}, error) {
	if in.NewUserName != "" {
		if err := validateName("newUserName", in.NewUserName, 64); err != nil {
			return nil, err
		}
	}
	var newPath string
	if in.NewPath != "" {
		var err error
		if newPath, err = normalizePath("newPath", in.NewPath); err != nil {
			return nil, err
		}
	}
	return nil, b.store.Update(ctx, func(tx *store.Tx) error {
		user, err := getUser(tx, in.UserName)
		if err != nil {
			return err
		}
		if newPath != "" {
			user.Path = newPath
		}
		if in.NewUserName == "" || in.NewUserName == user.Name {
			return putUser(tx, user)
		}
		if !strings.EqualFold(in.NewUserName, user.Name) {
			existing, err := store.Get[User](tx, tableUsers, strings.ToLower(in.NewUserName))
			if err != nil {
				return err
			}
			if existing != nil {
				return errAlreadyExists("User with name %s already exists.", in.NewUserName)
			}
		}
		if err := renameUserReferences(tx, user.Name, in.NewUserName); err != nil {
			return err
		}
		if err := tx.Delete(tableUsers, strings.ToLower(user.Name)); err != nil {
			return err
		}
		user.Name = in.NewUserName
		return putUser(tx, user)
	})
}

func renameUserReferences(tx *store.Tx, from, to string) error {
	groups, err := groupsOfUser(tx, from)
	if err != nil {
		return err
	}
	for _, g := range groups {
		for i := range g.Users {
			if strings.EqualFold(g.Users[i], from) {
				g.Users[i] = to
			}
		}
		if err := putGroup(tx, g); err != nil {
			return err
		}
	}
	keys, err := accessKeysOf(tx, from)
	if err != nil {
		return err
	}
	for _, k := range keys {
		k.UserName = to
		if err := tx.Put(tableAccessKeys, k.ID, k); err != nil {
			return err
		}
	}
	return nil
}

// deleteUser refuses, as IAM does, while the user still has a password,
// access keys, group memberships or policies.
func (b *Backend) deleteUser(ctx context.Context, in *wire.DeleteUserRequest) (*struct{}, error) {
	return nil, b.store.Update(ctx, func(tx *store.Tx) error {
		user, err := getUser(tx, in.UserName)
		if err != nil {
			return err
		}
		if user.LoginProfile != nil {
			return errDeleteConflict("Cannot delete entity, must delete login profile first.")
		}
		keys, err := accessKeysOf(tx, user.Name)
		if err != nil {
			return err
		}
		if len(keys) > 0 {
			return errDeleteConflict("Cannot delete entity, must delete access keys first.")
		}
		groups, err := groupsOfUser(tx, user.Name)
		if err != nil {
			return err
		}
		if len(groups) > 0 {
			return errDeleteConflict("Cannot delete entity, must remove users from group first.")
		}
		if err := user.deleteConflict(); err != nil {
			return err
		}
		return tx.Delete(tableUsers, strings.ToLower(user.Name))
	})
}

// --- permissions boundary ---

func (b *Backend) putUserPermissionsBoundary(ctx context.Context, in *wire.PutUserPermissionsBoundaryRequest) (*struct{}, error) {
	return nil, b.updateUserTx(ctx, in.UserName, func(tx *store.Tx, u *User) error {
		if _, err := getPolicy(tx, in.PermissionsBoundary); err != nil {
			return err
		}
		u.PermissionsBoundary = in.PermissionsBoundary
		return nil
	})
}

func (b *Backend) deleteUserPermissionsBoundary(ctx context.Context, in *wire.DeleteUserPermissionsBoundaryRequest) (*struct{}, error) {
	return nil, b.updateUserTx(ctx, in.UserName, func(_ *store.Tx, u *User) error {
		u.PermissionsBoundary = ""
		return nil
	})
}

// --- tags ---

func (b *Backend) tagUser(ctx context.Context, in *wire.TagUserRequest) (*struct{}, error) {
	return nil, b.updateUserTx(ctx, in.UserName, func(_ *store.Tx, u *User) error {
		tags, err := mergeTags(u.Tags, in.Tags)
		u.Tags = tags
		return err
	})
}

func (b *Backend) untagUser(ctx context.Context, in *wire.UntagUserRequest) (*struct{}, error) {
	return nil, b.updateUserTx(ctx, in.UserName, func(_ *store.Tx, u *User) error {
		u.Tags = removeTags(u.Tags, in.TagKeys)
		return nil
	})
}

func (b *Backend) listUserTags(ctx context.Context, in *wire.ListUserTagsRequest) (*wire.ListUserTagsResponse, error) {
	var tags []Tag
	err := b.store.View(ctx, func(tx *store.Tx) error {
		u, err := getUser(tx, in.UserName)
		if err == nil {
			tags = u.Tags
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
	return &wire.ListUserTagsResponse{Tags: p.tags, IsTruncated: p.isTruncated, Marker: p.marker}, nil
}

// --- login profiles ---

func loginProfileOut(u *User) *wire.LoginProfile {
	return &wire.LoginProfile{UserName: u.Name, CreateDate: xmlTime(u.LoginProfile.CreateDate), PasswordResetRequired: ptr(u.LoginProfile.PasswordResetRequired)}
}

func (b *Backend) createLoginProfile(ctx context.Context, in *wire.CreateLoginProfileRequest) (*wire.CreateLoginProfileResponse, error) {
	name, err := b.userNameOrCaller(ctx, in.UserName)
	if err != nil {
		return nil, err
	}
	if in.Password == "" {
		return nil, errMissing("password")
	}
	out := &wire.CreateLoginProfileResponse{}
	err = b.updateUserTx(ctx, name, func(_ *store.Tx, u *User) error {
		if u.LoginProfile != nil {
			return errAlreadyExists("Login Profile for user %s already exists.", u.Name)
		}
		u.LoginProfile = &LoginProfile{CreateDate: b.now().UTC().Truncate(time.Second), PasswordResetRequired: in.PasswordResetRequired != nil && *in.PasswordResetRequired}
		out.LoginProfile = loginProfileOut(u)
		return nil
	})
	return out, err
}

func errLoginProfileNotFound(user string) error {
	return errNoSuchEntity("Login Profile for User %s cannot be found.", user)
}

func (b *Backend) getLoginProfile(ctx context.Context, in *wire.GetLoginProfileRequest) (*wire.GetLoginProfileResponse, error) {
	name, err := b.userNameOrCaller(ctx, in.UserName)
	if err != nil {
		return nil, err
	}
	out := &wire.GetLoginProfileResponse{}
	err = b.store.View(ctx, func(tx *store.Tx) error {
		u, err := getUser(tx, name)
		if err != nil {
			return err
		}
		if u.LoginProfile == nil {
			return errLoginProfileNotFound(u.Name)
		}
		out.LoginProfile = loginProfileOut(u)
		return nil
	})
	return out, err
}

func (b *Backend) deleteLoginProfile(ctx context.Context, in *wire.DeleteLoginProfileRequest) (*struct{}, error) {
	name, err := b.userNameOrCaller(ctx, in.UserName)
	if err != nil {
		return nil, err
	}
	return nil, b.updateUserTx(ctx, name, func(_ *store.Tx, u *User) error {
		if u.LoginProfile == nil {
			return errLoginProfileNotFound(u.Name)
		}
		u.LoginProfile = nil
		return nil
	})
}

// userNameOrCaller is the named user, else the calling IAM user; the root
// user has no login profile the local cloud keeps.
func (b *Backend) userNameOrCaller(ctx context.Context, name string) (string, error) {
	if name != "" {
		return name, nil
	}
	name, err := b.callerUserName(ctx)
	if err == nil && name == "" {
		return "", errMissing("userName")
	}
	return name, err
}
