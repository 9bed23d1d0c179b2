package iam

import (
	"context"
	"encoding/json"
	"strings"

	"github.com/berthdev/berth/internal/localcloud/store"
)

// RolePolicyDocuments returns the documents that decide what a role may
// do: its inline policies and the default versions of the managed
// policies attached to it. Controllers use it to check a task's execution
// role before acting for it.
func (b *Backend) RolePolicyDocuments(ctx context.Context, nameOrARN string) ([]string, error) {
	var docs []string
	err := b.store.View(ctx, func(tx *store.Tx) error {
		role, err := getRole(tx, nameFromARN(nameOrARN, ":role/"))
		if err != nil {
			return err
		}
		for _, doc := range role.InlinePolicies {
			docs = append(docs, doc)
		}
		for _, arn := range role.AttachedPolicies {
			p, err := getPolicy(tx, arn)
			if err != nil {
				continue // detached by deletion: it grants nothing
			}
			if v, ok := p.version(p.DefaultVersionID); ok {
				docs = append(docs, v.Document)
			}
		}
		return nil
	})
	return docs, err
}

// Allows evaluates identity policies as IAM does for one action on one
// resource: an explicit Deny wins, else an Allow is needed. Actions match
// case-insensitively, resources case-sensitively, both with * and ?
// wildcards; NotAction and NotResource are read as their complements.
// Conditions are not evaluated: a statement with one applies as if it
// held, so the check never refuses what AWS might allow.
func Allows(documents []string, action, resource string) bool {
	allowed := false
	for _, doc := range documents {
		var policy struct {
			Statement statements
		}
		if err := json.Unmarshal([]byte(doc), &policy); err != nil {
			continue
		}
		for _, st := range policy.Statement {
			if !st.covers(action, resource) {
				continue
			}
			switch st.Effect {
			case "Deny":
				return false
			case "Allow":
				allowed = true
			}
		}
	}
	return allowed
}

type statement struct {
	Effect      string
	Action      stringList
	NotAction   stringList
	Resource    stringList
	NotResource stringList
}

func (st statement) covers(action, resource string) bool {
	actionMatch := func(pattern string) bool { return wildcard(strings.ToLower(pattern), strings.ToLower(action)) }
	resourceMatch := func(pattern string) bool { return wildcard(pattern, resource) }
	switch {
	case st.Action != nil && !st.Action.any(actionMatch):
		return false
	case st.NotAction != nil && st.NotAction.any(actionMatch):
		return false
	case st.Action == nil && st.NotAction == nil:
		return false
	case st.Resource != nil && !st.Resource.any(resourceMatch):
		return false
	case st.NotResource != nil && st.NotResource.any(resourceMatch):
		return false
	}
	return st.Resource != nil || st.NotResource != nil
}

// wildcard matches IAM's * (any run) and ? (any one character); path.Match
// would stop * at a slash, which ARNs are full of. It backtracks only to
// the latest *, so a pattern with many stars stays linear in practice
// rather than exponential (policies are user input).
func wildcard(pattern, s string) bool {
	p, i := 0, 0
	star, resume := -1, 0
	for i < len(s) {
		switch {
		case p < len(pattern) && (pattern[p] == '?' || pattern[p] == s[i]):
			p++
			i++
		case p < len(pattern) && pattern[p] == '*':
			star, resume = p, i
			p++
		case star >= 0:
			resume++
			p, i = star+1, resume
		default:
			return false
		}
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}

// statements reads a Statement that is one object or a list of them.
type statements []statement

func (s *statements) UnmarshalJSON(data []byte) error {
	if len(data) > 0 && data[0] == '{' {
		var one statement
		if err := json.Unmarshal(data, &one); err != nil {
			return err
		}
		*s = statements{one}
		return nil
	}
	return json.Unmarshal(data, (*[]statement)(s))
}

// stringList reads a value that is one string or a list of them.
type stringList []string

func (l *stringList) UnmarshalJSON(data []byte) error {
	if len(data) > 0 && data[0] == '"' {
		var one string
		if err := json.Unmarshal(data, &one); err != nil {
			return err
		}
		*l = stringList{one}
		return nil
	}
	return json.Unmarshal(data, (*[]string)(l))
}

func (l stringList) any(match func(string) bool) bool {
	for _, v := range l {
		if match(v) {
			return true
		}
	}
	return false
}
