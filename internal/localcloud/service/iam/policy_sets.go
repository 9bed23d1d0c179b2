package iam

import (
	"slices"
	"sort"
	"strings"

	"github.com/berthdev/berth/internal/localcloud/service/iam/wire"
	"github.com/berthdev/berth/internal/localcloud/store"
)

// policySet is what a role, a user or a group holds: managed policies
// attached to it and inline policies embedded in it. The three kinds keep
// it in the same fields, so attaching, listing and the delete conflicts are
// written once.
type policySet struct {
	AttachedPolicies []string          `json:"attachedPolicies,omitempty"` // policy ARNs, in attach order
	InlinePolicies   map[string]string `json:"inlinePolicies,omitempty"`   // name → document
}

// attach attaches a managed policy that exists; attaching twice is not an
// error in IAM. quota names the entity's quota in the LimitExceeded
// message (PoliciesPerRole, PoliciesPerUser, PoliciesPerGroup).
func (s *policySet) attach(tx *store.Tx, arn, quota string) error {
	if _, err := getPolicy(tx, arn); err != nil {
		return err
	}
	if slices.Contains(s.AttachedPolicies, arn) {
		return nil
	}
	if len(s.AttachedPolicies) >= maxAttachedPolicies {
		return errLimitExceeded("Cannot exceed quota for %s: %d", quota, maxAttachedPolicies)
	}
	s.AttachedPolicies = append(s.AttachedPolicies, arn)
	return nil
}

func (s *policySet) detach(arn string) error {
	if err := validatePolicyARN(arn); err != nil {
		return err
	}
	if !slices.Contains(s.AttachedPolicies, arn) {
		return errNoSuchEntity("Policy %s was not found.", arn)
	}
	s.AttachedPolicies = slices.DeleteFunc(s.AttachedPolicies, func(a string) bool { return a == arn })
	return nil
}

// attached lists the attached policies under pathPrefix, one page of them.
func (s *policySet) attached(tx *store.Tx, pathPrefix, marker string, limit int) ([]wire.AttachedPolicy, bool, string, error) {
	var out []wire.AttachedPolicy
	for _, arn := range s.AttachedPolicies {
		p, err := getPolicy(tx, arn)
		if err != nil {
			continue // a policy deleted under the entity no longer shows
		}
		if strings.HasPrefix(p.Path, pathPrefix) {
			out = append(out, wire.AttachedPolicy{PolicyName: p.Name, PolicyArn: p.ARN})
		}
	}
	page, truncated, next, err := page(out, func(a wire.AttachedPolicy) string { return a.PolicyArn }, marker, limit)
	return append([]wire.AttachedPolicy{}, page...), truncated, next, err
}

// putInline embeds a policy, keeping the entity's total inline size under
// maxChars (IAM counts the documents' non-whitespace characters).
func (s *policySet) putInline(name, document string, maxChars int, entityKind, entityName string) error {
	total := nonWhitespace(document)
	for other, doc := range s.InlinePolicies {
		if other != name {
			total += nonWhitespace(doc)
		}
	}
	if total > maxChars {
		return errLimitExceeded("Maximum policy size of %d bytes exceeded for %s %s", maxChars, entityKind, entityName)
	}
	if s.InlinePolicies == nil {
		s.InlinePolicies = map[string]string{}
	}
	s.InlinePolicies[name] = document
	return nil
}

// inlineNames lists the inline policies' names, one page of them.
func (s *policySet) inlineNames(marker string, limit int) ([]string, bool, string, error) {
	names := make([]string, 0, len(s.InlinePolicies))
	for name := range s.InlinePolicies {
		names = append(names, name)
	}
	sort.Strings(names)
	page, truncated, next, err := page(names, func(s string) string { return s }, marker, limit)
	return append([]string{}, page...), truncated, next, err
}

// deleteConflict is IAM's refusal to delete an entity that still holds
// policies.
func (s *policySet) deleteConflict() error {
	if len(s.AttachedPolicies) > 0 {
		return errDeleteConflict("Cannot delete entity, must detach all policies first.")
	}
	if len(s.InlinePolicies) > 0 {
		return errDeleteConflict("Cannot delete entity, must delete policies first.")
	}
	return nil
}

// census is every entity a managed policy can be attached to, for the
// counts and checks that look across them.
type census struct {
	roles  []*Role
	users  []*User
	groups []*Group
}

func loadCensus(tx *store.Tx) (*census, error) {
	roles, err := store.List[Role](tx, tableRoles)
	if err != nil {
		return nil, err
	}
	users, err := store.List[User](tx, tableUsers)
	if err != nil {
		return nil, err
	}
	groups, err := store.List[Group](tx, tableGroups)
	if err != nil {
		return nil, err
	}
	return &census{roles: roles, users: users, groups: groups}, nil
}

// usage counts the entities a policy is attached to and those it bounds.
func (c *census) usage(arn string) (attached, boundaries int) {
	for _, r := range c.roles {
		if slices.Contains(r.AttachedPolicies, arn) {
			attached++
		}
		if r.PermissionsBoundary == arn {
			boundaries++
		}
	}
	for _, u := range c.users {
		if slices.Contains(u.AttachedPolicies, arn) {
			attached++
		}
		if u.PermissionsBoundary == arn {
			boundaries++
		}
	}
	for _, g := range c.groups {
		if slices.Contains(g.AttachedPolicies, arn) {
			attached++
		}
	}
	return attached, boundaries
}
