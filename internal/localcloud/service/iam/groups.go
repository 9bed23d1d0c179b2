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

const tableGroups = "iam/groups" // lower(group name)

// Group is a stored IAM group: its policies and its members.
type Group struct {
	Name       string    `json:"name"`
	Path       string    `json:"path"`
	ID         string    `json:"id"`
	CreateDate time.Time `json:"createDate"`
	Users      []string  `json:"users,omitempty"` // user names, in the order they joined
	policySet
}

// ARN returns the group's ARN in account.
func (g *Group) ARN(account string) string { return iamARN(account, "group", g.Path, g.Name) }

const (
	maxGroupInlinePolicyChars = 5120
	maxGroupsPerUser          = 10
)

func getGroup(tx *store.Tx, name string) (*Group, error) {
	if name == "" {
		return nil, errMissing("groupName")
	}
	g, err := store.Get[Group](tx, tableGroups, strings.ToLower(name))
	if err != nil {
		return nil, err
	}
	if g == nil {
		return nil, errNoSuchEntity("The group with name %s cannot be found.", name)
	}
	return g, nil
}

func putGroup(tx *store.Tx, g *Group) error {
	return tx.Put(tableGroups, strings.ToLower(g.Name), g)
}

func (b *Backend) updateGroupTx(ctx context.Context, name string, change func(tx *store.Tx, g *Group) error) error {
	return b.store.Update(ctx, func(tx *store.Tx) error {
		g, err := getGroup(tx, name)
		if err != nil {
			return err
		}
		if err := change(tx, g); err != nil {
			return err
		}
		return putGroup(tx, g)
	})
}

func (g *Group) hasMember(user string) bool {
	return slices.ContainsFunc(g.Users, func(u string) bool { return strings.EqualFold(u, user) })
}

// groupsOfUser returns the groups the user belongs to.
func groupsOfUser(tx *store.Tx, user string) ([]*Group, error) {
	all, err := store.List[Group](tx, tableGroups)
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(all, func(g *Group) bool { return !g.hasMember(user) }), nil
}

// --- wire shapes ---

func groupOut(g *Group, account string) *wire.Group {
	return &wire.Group{Path: g.Path, GroupName: g.Name, GroupId: g.ID, Arn: g.ARN(account), CreateDate: xmlTime(g.CreateDate)}
}

// groupPage is one page of groups (ListGroups, ListGroupsForUser).
type groupPage struct {
	groups      query.List[wire.Group]
	isTruncated *bool
	marker      string
}

func pageGroups(groups []*Group, account, marker string, limit int) (groupPage, error) {
	groups, truncated, next, err := page(groups, func(g *Group) string { return strings.ToLower(g.Name) }, marker, limit)
	if err != nil {
		return groupPage{}, err
	}
	out := groupPage{groups: query.List[wire.Group]{}, isTruncated: &truncated, marker: next}
	for _, g := range groups {
		out.groups = append(out.groups, *groupOut(g, account))
	}
	return out, nil
}

// --- CreateGroup, GetGroup, ListGroups, DeleteGroup ---

func (b *Backend) createGroup(ctx context.Context, in *wire.CreateGroupRequest) (*wire.CreateGroupResponse, error) {
	if err := validateName("groupName", in.GroupName, 128); err != nil {
		return nil, err
	}
	path, err := normalizePath("path", in.Path)
	if err != nil {
		return nil, err
	}
	group := &Group{Name: in.GroupName, Path: path, ID: newUniqueID("AGPA"), CreateDate: b.now().UTC().Truncate(time.Second)}
	err = b.store.Update(ctx, func(tx *store.Tx) error {
		existing, err := store.Get[Group](tx, tableGroups, strings.ToLower(group.Name))
		if err != nil {
			return err
		}
		if existing != nil {
			return errAlreadyExists("Group with name %s already exists.", group.Name)
		}
		return putGroup(tx, group)
	})
	if err != nil {
		return nil, err
	}
	return &wire.CreateGroupResponse{Group: groupOut(group, accountOf(ctx))}, nil
}

func (b *Backend) getGroup(ctx context.Context, in *wire.GetGroupRequest) (*wire.GetGroupResponse, error) {
	limit, err := maxItems(in.MaxItems)
	if err != nil {
		return nil, err
	}
	account := accountOf(ctx)
	out := &wire.GetGroupResponse{Users: query.List[wire.User]{}}
	err = b.store.View(ctx, func(tx *store.Tx) error {
		g, err := getGroup(tx, in.GroupName)
		if err != nil {
			return err
		}
		out.Group = groupOut(g, account)
		var members []*User
		for _, name := range g.Users {
			u, err := store.Get[User](tx, tableUsers, strings.ToLower(name))
			if err != nil {
				return err
			}
			if u != nil {
				members = append(members, u)
			}
		}
		members, truncated, next, err := page(members, func(u *User) string { return strings.ToLower(u.Name) }, in.Marker, limit)
		if err != nil {
			return err
		}
		for _, u := range members {
			out.Users = append(out.Users, *userOut(u, account, false))
		}
		out.IsTruncated, out.Marker = &truncated, next
		return nil
	})
	return out, err
}

func (b *Backend) listGroups(ctx context.Context, in *wire.ListGroupsRequest) (*wire.ListGroupsResponse, error) {
	if err := validatePathPrefix(in.PathPrefix); err != nil {
		return nil, err
	}
	limit, err := maxItems(in.MaxItems)
	if err != nil {
		return nil, err
	}
	var groups []*Group
	err = b.store.View(ctx, func(tx *store.Tx) error {
		all, err := store.List[Group](tx, tableGroups)
		groups = slices.DeleteFunc(all, func(g *Group) bool { return !strings.HasPrefix(g.Path, in.PathPrefix) })
		return err
	})
	if err != nil {
		return nil, err
	}
	p, err := pageGroups(groups, accountOf(ctx), in.Marker, limit)
	if err != nil {
		return nil, err
	}
	return &wire.ListGroupsResponse{Groups: p.groups, IsTruncated: p.isTruncated, Marker: p.marker}, nil
}

func (b *Backend) deleteGroup(ctx context.Context, in *wire.DeleteGroupRequest) (*struct{}, error) {
	return nil, b.store.Update(ctx, func(tx *store.Tx) error {
		g, err := getGroup(tx, in.GroupName)
		if err != nil {
			return err
		}
		if len(g.Users) > 0 {
			return errDeleteConflict("Cannot delete entity, must remove users from group first.")
		}
		if err := g.deleteConflict(); err != nil {
			return err
		}
		return tx.Delete(tableGroups, strings.ToLower(g.Name))
	})
}

// --- membership ---

func (b *Backend) addUserToGroup(ctx context.Context, in *wire.AddUserToGroupRequest) (*struct{}, error) {
	return nil, b.updateGroupTx(ctx, in.GroupName, func(tx *store.Tx, g *Group) error {
		u, err := getUser(tx, in.UserName)
		if err != nil {
			return err
		}
		if g.hasMember(u.Name) {
			return nil // adding a member again is not an error in IAM
		}
		groups, err := groupsOfUser(tx, u.Name)
		if err != nil {
			return err
		}
		if len(groups) >= maxGroupsPerUser {
			return errLimitExceeded("Cannot exceed quota for GroupsPerUser: %d", maxGroupsPerUser)
		}
		g.Users = append(g.Users, u.Name)
		return nil
	})
}

func (b *Backend) removeUserFromGroup(ctx context.Context, in *wire.RemoveUserFromGroupRequest) (*struct{}, error) {
	return nil, b.updateGroupTx(ctx, in.GroupName, func(tx *store.Tx, g *Group) error {
		u, err := getUser(tx, in.UserName)
		if err != nil {
			return err
		}
		if !g.hasMember(u.Name) {
			return errNoSuchEntity("The user with name %s cannot be found in group %s.", u.Name, g.Name)
		}
		g.Users = slices.DeleteFunc(g.Users, func(name string) bool { return strings.EqualFold(name, u.Name) })
		return nil
	})
}

func (b *Backend) listGroupsForUser(ctx context.Context, in *wire.ListGroupsForUserRequest) (*wire.ListGroupsForUserResponse, error) {
	limit, err := maxItems(in.MaxItems)
	if err != nil {
		return nil, err
	}
	var groups []*Group
	err = b.store.View(ctx, func(tx *store.Tx) error {
		u, err := getUser(tx, in.UserName)
		if err != nil {
			return err
		}
		groups, err = groupsOfUser(tx, u.Name)
		return err
	})
	if err != nil {
		return nil, err
	}
	p, err := pageGroups(groups, accountOf(ctx), in.Marker, limit)
	if err != nil {
		return nil, err
	}
	return &wire.ListGroupsForUserResponse{Groups: p.groups, IsTruncated: p.isTruncated, Marker: p.marker}, nil
}
