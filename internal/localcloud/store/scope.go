package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// Scope is the account and region a resource lives in. Every transaction of
// the store runs in exactly one scope and sees only that scope's tables, so
// two regions (or two accounts) of one local cloud hold separate resources
// and may reuse names, as on AWS. A global service (IAM) runs in its
// account's scope with Region "".
type Scope struct {
	Account string
	Region  string
}

// ErrNoScope is the error of a transaction whose context names no scope:
// state is never read or written in a silently chosen account or region.
var ErrNoScope = errors.New("store: transaction without an account and region scope")

type scopeKey struct{}

// WithScope returns ctx carrying scope: the account and region every store
// transaction made with it reads and writes.
func WithScope(ctx context.Context, scope Scope) context.Context {
	return context.WithValue(ctx, scopeKey{}, scope)
}

// ScopeFrom returns the scope ctx carries.
func ScopeFrom(ctx context.Context) (Scope, bool) {
	s, ok := ctx.Value(scopeKey{}).(Scope)
	return s, ok
}

// ValidAccount reports whether id is an AWS account id: twelve digits.
func ValidAccount(id string) bool {
	if len(id) != 12 {
		return false
	}
	for _, r := range id {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// ValidRegion accepts the shape of region names (letters, digits, dashes):
// a region is part of a table path, so "/" must never reach it.
func ValidRegion(region string) bool {
	if region == "" {
		return false
	}
	for _, r := range region {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') {
			return false
		}
	}
	return true
}

func (s Scope) validate(global bool) error {
	if !ValidAccount(s.Account) {
		return fmt.Errorf("store: scope account %q is not a 12-digit account id", s.Account)
	}
	if global {
		return nil
	}
	if !ValidRegion(s.Region) {
		return fmt.Errorf("store: scope region %q is not a region name", s.Region)
	}
	return nil
}

// ARN builds the ARN of resource in this scope:
// arn:aws:<service>:<region>:<account>:<resource> (the region is empty for
// a global service's resources, as IAM's ARNs have it).
func (s Scope) ARN(service, resource string) string {
	return "arn:aws:" + service + ":" + s.Region + ":" + s.Account + ":" + resource
}

// String is "account/region" ("account/global" for a global scope).
func (s Scope) String() string {
	if s.Region == "" {
		return s.Account + "/global"
	}
	return s.Account + "/" + s.Region
}

// ScopeOfARN returns the scope an ARN names (its account and region).
func ScopeOfARN(arn string) (Scope, bool) {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || !ValidAccount(parts[4]) {
		return Scope{}, false
	}
	return Scope{Account: parts[4], Region: parts[3]}, true
}

// Partition names in the database: one top-level bucket per scope holding
// that scope's tables, and one for what belongs to the machine, not to an
// account or region.
const (
	scopePrefix       = "scope/"
	unscopedPartition = "unscoped"
)

func (s Scope) partition() []byte { return []byte(scopePrefix + s.Account + "/" + s.Region) }

func scopeOfPartition(name string) (Scope, bool) {
	rest, ok := strings.CutPrefix(name, scopePrefix)
	if !ok {
		return Scope{}, false
	}
	account, region, ok := strings.Cut(rest, "/")
	if !ok || !ValidAccount(account) {
		return Scope{}, false
	}
	return Scope{Account: account, Region: region}, true
}

// Global is the scope of the account's global resources (IAM's), which
// have no region.
func (s Scope) Global() Scope { return Scope{Account: s.Account} }
