// Package iam is the local cloud's Identity and Access Management: users,
// groups and access keys, roles, their inline and attached policies,
// customer managed policies, AWS managed policies that exist without
// creation, and instance profiles; and who holds an access key, for STS's
// temporary credentials too.
// IAM is global: its ARNs carry no region and its state is not per region.
// Nothing is enforced: the local cloud authorizes every call, so policies
// are stored, validated and returned, never evaluated.
package iam

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/berthdev/berth/internal/localcloud/protocol"
	"github.com/berthdev/berth/internal/localcloud/protocol/query"
	"github.com/berthdev/berth/internal/localcloud/service/paging"
	"github.com/berthdev/berth/internal/localcloud/store"
)

// Tables. Names are keyed in lower case: IAM names are unique regardless of
// case.
const (
	tableRoles            = "iam/roles"             // lower(role name)
	tablePolicies         = "iam/policies"          // policy ARN (customer managed)
	tableInstanceProfiles = "iam/instance-profiles" // lower(profile name)
)

// Backend holds IAM's state in the store and its rules.
type Backend struct {
	store *store.Store
	now   func() time.Time
}

// New returns the service's backend over st.
func New(st *store.Store) *Backend {
	// IAM is global: its users, roles and policies are the account's, the
	// same whichever region a call was signed for.
	return &Backend{store: st.Global(), now: time.Now}
}

// Service returns IAM's operation table for the router.
func (b *Backend) Service() *protocol.Service {
	return &protocol.Service{
		SigningName: "iam",
		Version:     "2010-05-08",
		Codec:       query.Codec{Namespace: "https://iam.amazonaws.com/doc/2010-05-08/"},
		Operations: []protocol.Operation{
			protocol.Op("CreateRole", b.createRole),
			protocol.Op("GetRole", b.getRole),
			protocol.Op("ListRoles", b.listRoles),
			protocol.Op("UpdateRole", b.updateRole),
			protocol.Op("UpdateRoleDescription", b.updateRoleDescription),
			protocol.Op("UpdateAssumeRolePolicy", b.updateAssumeRolePolicy),
			protocol.Op("DeleteRole", b.deleteRole),
			protocol.Op("PutRolePermissionsBoundary", b.putRolePermissionsBoundary),
			protocol.Op("DeleteRolePermissionsBoundary", b.deleteRolePermissionsBoundary),
			protocol.Op("TagRole", b.tagRole),
			protocol.Op("UntagRole", b.untagRole),
			protocol.Op("ListRoleTags", b.listRoleTags),
			protocol.Op("AttachRolePolicy", b.attachRolePolicy),
			protocol.Op("DetachRolePolicy", b.detachRolePolicy),
			protocol.Op("ListAttachedRolePolicies", b.listAttachedRolePolicies),
			protocol.Op("PutRolePolicy", b.putRolePolicy),
			protocol.Op("GetRolePolicy", b.getRolePolicy),
			protocol.Op("ListRolePolicies", b.listRolePolicies),
			protocol.Op("DeleteRolePolicy", b.deleteRolePolicy),
			protocol.Op("CreatePolicy", b.createPolicy),
			protocol.Op("GetPolicy", b.getPolicy),
			protocol.Op("DeletePolicy", b.deletePolicy),
			protocol.Op("ListPolicies", b.listPolicies),
			protocol.Op("CreatePolicyVersion", b.createPolicyVersion),
			protocol.Op("GetPolicyVersion", b.getPolicyVersion),
			protocol.Op("ListPolicyVersions", b.listPolicyVersions),
			protocol.Op("DeletePolicyVersion", b.deletePolicyVersion),
			protocol.Op("SetDefaultPolicyVersion", b.setDefaultPolicyVersion),
			protocol.Op("ListEntitiesForPolicy", b.listEntitiesForPolicy),
			protocol.Op("TagPolicy", b.tagPolicy),
			protocol.Op("UntagPolicy", b.untagPolicy),
			protocol.Op("ListPolicyTags", b.listPolicyTags),
			protocol.Op("CreateInstanceProfile", b.createInstanceProfile),
			protocol.Op("GetInstanceProfile", b.getInstanceProfile),
			protocol.Op("ListInstanceProfiles", b.listInstanceProfiles),
			protocol.Op("ListInstanceProfilesForRole", b.listInstanceProfilesForRole),
			protocol.Op("AddRoleToInstanceProfile", b.addRoleToInstanceProfile),
			protocol.Op("RemoveRoleFromInstanceProfile", b.removeRoleFromInstanceProfile),
			protocol.Op("DeleteInstanceProfile", b.deleteInstanceProfile),
			protocol.Op("TagInstanceProfile", b.tagInstanceProfile),
			protocol.Op("UntagInstanceProfile", b.untagInstanceProfile),
			protocol.Op("ListInstanceProfileTags", b.listInstanceProfileTags),
			protocol.Op("CreateServiceLinkedRole", b.createServiceLinkedRole),
			protocol.Op("DeleteServiceLinkedRole", b.deleteServiceLinkedRole),
			protocol.Op("GetServiceLinkedRoleDeletionStatus", b.getServiceLinkedRoleDeletionStatus),
			protocol.Op("CreateUser", b.createUser),
			protocol.Op("GetUser", b.getUser),
			protocol.Op("ListUsers", b.listUsers),
			protocol.Op("UpdateUser", b.updateUser),
			protocol.Op("DeleteUser", b.deleteUser),
			protocol.Op("PutUserPermissionsBoundary", b.putUserPermissionsBoundary),
			protocol.Op("DeleteUserPermissionsBoundary", b.deleteUserPermissionsBoundary),
			protocol.Op("TagUser", b.tagUser),
			protocol.Op("UntagUser", b.untagUser),
			protocol.Op("ListUserTags", b.listUserTags),
			protocol.Op("AttachUserPolicy", b.attachUserPolicy),
			protocol.Op("DetachUserPolicy", b.detachUserPolicy),
			protocol.Op("ListAttachedUserPolicies", b.listAttachedUserPolicies),
			protocol.Op("PutUserPolicy", b.putUserPolicy),
			protocol.Op("GetUserPolicy", b.getUserPolicy),
			protocol.Op("DeleteUserPolicy", b.deleteUserPolicy),
			protocol.Op("ListUserPolicies", b.listUserPolicies),
			protocol.Op("CreateLoginProfile", b.createLoginProfile),
			protocol.Op("GetLoginProfile", b.getLoginProfile),
			protocol.Op("DeleteLoginProfile", b.deleteLoginProfile),
			protocol.Op("CreateAccessKey", b.createAccessKey),
			protocol.Op("ListAccessKeys", b.listAccessKeys),
			protocol.Op("UpdateAccessKey", b.updateAccessKey),
			protocol.Op("DeleteAccessKey", b.deleteAccessKey),
			protocol.Op("GetAccessKeyLastUsed", b.getAccessKeyLastUsed),
			protocol.Op("CreateGroup", b.createGroup),
			protocol.Op("GetGroup", b.getGroup),
			protocol.Op("ListGroups", b.listGroups),
			protocol.Op("DeleteGroup", b.deleteGroup),
			protocol.Op("AddUserToGroup", b.addUserToGroup),
			protocol.Op("RemoveUserFromGroup", b.removeUserFromGroup),
			protocol.Op("ListGroupsForUser", b.listGroupsForUser),
			protocol.Op("AttachGroupPolicy", b.attachGroupPolicy),
			protocol.Op("DetachGroupPolicy", b.detachGroupPolicy),
			protocol.Op("ListAttachedGroupPolicies", b.listAttachedGroupPolicies),
			protocol.Op("PutGroupPolicy", b.putGroupPolicy),
			protocol.Op("GetGroupPolicy", b.getGroupPolicy),
			protocol.Op("DeleteGroupPolicy", b.deleteGroupPolicy),
			protocol.Op("ListGroupPolicies", b.listGroupPolicies),
		},
	}
}

// accountOf is the account of the call's scope (the transactions that
// precede it have failed already when there is none).
func accountOf(ctx context.Context) string {
	scope, _ := store.ScopeFrom(ctx)
	return scope.Account
}

func iamARN(account, kind, path, name string) string {
	return store.Scope{Account: account}.ARN("iam", kind+path+name)
}

// newUniqueID returns an IAM unique id: a four-letter prefix that names the
// kind (AROA role, AIPA instance profile, ANPA policy) and 17 characters.
func newUniqueID(prefix string) string {
	return prefix + strings.ToUpper(store.RandomHex(17))
}

func itoa(n int) string { return strconv.Itoa(n) }

// members is a list IAM writes even when empty, as it writes required
// lists: <Roles/> rather than nothing.
func members[T any](items []T) query.List[T] {
	if items == nil {
		return query.List[T]{}
	}
	return items
}

// ptr returns a pointer to v, for the optional members of wire shapes.
func ptr[T any](v T) *T { return &v }

// xmlTime is t as a wire timestamp.
func xmlTime(t time.Time) *protocol.XMLTime { return ptr(protocol.XMLTime(t)) }

// page cuts items, sorted by key, after the Marker, with the local cloud's
// one pagination; IAM answers a Marker it did not hand out with
// InvalidInput. IAM's pages say IsTruncated and carry the next Marker.
func page[T any](items []T, key func(T) string, marker string, limit int) (out []T, truncated bool, next string, err error) {
	out, next, err = paging.Page(items, key, marker, limit)
	if errors.Is(err, paging.ErrBadToken) {
		return nil, false, "", errInvalidInput("Invalid Marker.")
	}
	return out, next != "", next, err
}

// maxItems checks an IAM MaxItems (1..1000) and applies the default of 100.
func maxItems(n *int) (int, error) {
	limit, err := paging.Size(n, 100, 1, 1000)
	if err != nil {
		return 0, errValidation(*n, "maxItems", "Member must have value between 1 and 1000")
	}
	return limit, nil
}
