// Package ecs is the local cloud's Elastic Container Service control plane:
// clusters, capacity providers, task definitions, services, tasks and
// container instances, kept in the store and served over awsJson 1.1.
//
// The data plane (internal/localcloud/controller) places and runs the tasks
// this package records; it works through the same State the handlers use, so
// there is one set of rules for both.
package ecs

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/berthdev/berth/internal/localcloud/store"
)

// Tables, named "<service>/<kind>".
const (
	tableClusters           = "ecs/clusters"                 // by cluster name
	tableCapacityProviders  = "ecs/capacity-providers"       // by provider name
	tableTaskDefinitions    = "ecs/task-definitions"         // by revisionKey(family, revision)
	tableFamilies           = "ecs/task-definition-families" // by family: the last revision handed out
	tableServices           = "ecs/services"                 // by "<cluster name>/<service name>"
	tableTasks              = "ecs/tasks"                    // by "<cluster name>/<task id>"
	tableContainerInstances = "ecs/container-instances"      // by "<cluster name>/<instance id>"
	tableTags               = "ecs/tags"                     // by resource ARN
	tableAccountSettings    = "ecs/account-settings"         // by setting name
)

// stoppedTaskRetention is how long a STOPPED task stays visible.
const stoppedTaskRetention = time.Hour

// Backend holds the service's state in the store and its domain rules.
type Backend struct {
	store *store.Store
	// now is the clock; tests may replace it to age stopped tasks.
	now func() time.Time
}

// New returns the service's backend over st.
func New(st *store.Store) *Backend {
	return &Backend{store: st, now: time.Now}
}

// State is one transaction over ECS's records. The handlers and the data
// plane's controllers both go through it, so the rules live in one place.
type State struct {
	tx       *store.Tx
	now      time.Time
	writable bool
	// deferred is a write failure of a method that cannot return one;
	// the next PutService returns it.
	deferred error
}

func (b *Backend) newState(ctx context.Context, tx *store.Tx, writable bool) *State {
	return &State{tx: tx, now: b.now().UTC().Truncate(time.Millisecond), writable: writable}
}

// View runs fn in one read transaction.
func (b *Backend) View(ctx context.Context, fn func(s *State) error) error {
	return b.store.View(ctx, func(tx *store.Tx) error { return fn(b.newState(ctx, tx, false)) })
}

// Update runs fn in one write transaction; fn's error aborts every write.
func (b *Backend) Update(ctx context.Context, fn func(s *State) error) error {
	return b.store.Update(ctx, func(tx *store.Tx) error { return fn(b.newState(ctx, tx, true)) })
}

// arn builds an ECS ARN in the transaction's region and account.
func (s *State) arn(resource string) string { return s.tx.ARN("ecs", resource) }

// Scope is the account and region this state belongs to.
func (s *State) Scope() store.Scope { return s.tx.Scope() }

// foreign reports whether any of refs is an ARN of another account or
// region: it names nothing in this state, even when a resource here has
// the same name.
func (s *State) foreign(refs ...string) bool {
	for _, ref := range refs {
		if scope, ok := store.ScopeOfARN(ref); ok && scope != s.tx.Scope() {
			return true
		}
	}
	return false
}

// nameFromRef returns the name a reference means: the part after
// "<kind>/" in an ARN, or the reference itself.
func nameFromRef(ref, kind string) string {
	if !strings.HasPrefix(ref, "arn:") {
		return ref
	}
	_, rest, ok := strings.Cut(ref, ":"+kind+"/")
	if !ok {
		return ref
	}
	return rest
}

// idFromRef returns the last path element of a long or short format task or
// container instance ARN, or the reference itself when it is an id.
func idFromRef(ref string) string {
	if !strings.HasPrefix(ref, "arn:") {
		return ref
	}
	return ref[strings.LastIndex(ref, "/")+1:]
}

// clusterNameOfARN returns the cluster part of a long-format ARN of a
// service, task or container instance, "" when the ARN has none.
func clusterNameOfARN(ref, kind string) string {
	if !strings.HasPrefix(ref, "arn:") {
		return ""
	}
	_, rest, ok := strings.Cut(ref, ":"+kind+"/")
	if !ok {
		return ""
	}
	cluster, _, ok := strings.Cut(rest, "/")
	if !ok {
		return ""
	}
	return cluster
}

func revisionKey(family string, revision int32) string {
	return fmt.Sprintf("%s:%010d", family, revision)
}

func childKey(clusterName, id string) string { return clusterName + "/" + id }

// tags returns the tags of a resource, [] when it has none.
func (s *State) tags(arn string) ([]Tag, error) {
	tags, err := store.Get[[]Tag](s.tx, tableTags, arn)
	if err != nil || tags == nil {
		return []Tag{}, err
	}
	return *tags, nil
}

func (s *State) putTags(arn string, tags []Tag) error {
	if len(tags) == 0 {
		return s.tx.Delete(tableTags, arn)
	}
	return s.tx.Put(tableTags, arn, tags)
}

func ptr[T any](v T) *T { return &v }
