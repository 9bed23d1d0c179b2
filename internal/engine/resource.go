// Package engine turns a set of resources into a plan (observe → diff) and
// applies it over their dependency graph. It knows nothing about which AWS
// kinds exist; internal/awsres implements them and internal/stack wires them.
package engine

import (
	"context"
	"fmt"
	"strings"
)

// Addr identifies one resource of a stack, "<kind>/<name>", e.g.
// "ecs.service/app". It is also written into the berth:resource tag, which
// is how observe finds the resource again without a state file.
type Addr string

// Kind is the part before the slash, e.g. "ecs.service".
func (a Addr) Kind() string {
	kind, _, _ := strings.Cut(string(a), "/")
	return kind
}

// Name is the part after the slash, e.g. "app".
func (a Addr) Name() string {
	_, name, _ := strings.Cut(string(a), "/")
	return name
}

// Outputs are the values a resource exposes to its dependents once it
// exists: ids, ARNs, DNS names.
type Outputs map[string]string

// Observed is what Observe found. A nil *Observed means the resource does
// not exist.
type Observed struct {
	// Outputs are the same values Apply would return, so unchanged
	// resources can feed their dependents without being touched.
	Outputs Outputs
	// State is the resource's own view of the actual object, handed back to
	// its Diff, Apply and Delete.
	State any
}

// Resource is one AWS object the stack wants. Implementations hold the
// desired state; an empty desired field means "don't care".
type Resource interface {
	Addr() Addr
	DependsOn() []Addr
	// Observe finds the actual object by its tags or deterministic name and
	// returns nil, nil when it is absent. References to dependencies that do
	// not exist yet resolve to nothing; an object that needs them cannot
	// exist either.
	Observe(ctx context.Context, c *Clients, in *Inputs) (*Observed, error)
	// Diff compares desired with actual (nil when absent). It must not call
	// AWS: plans are printed from it.
	Diff(in *Inputs, actual *Observed) ([]FieldChange, Action)
	// Apply creates (actual == nil) or updates the object and returns its
	// outputs. At apply time every reference resolves.
	Apply(ctx context.Context, c *Clients, in *Inputs, actual *Observed) (Outputs, error)
	// Delete removes the object and returns once AWS lets its dependencies
	// be deleted. An object that is already gone is not an error.
	Delete(ctx context.Context, c *Clients, actual *Observed) error
}

// OutputsChangedByUpdate is implemented by resources whose update gives
// them new outputs (a task definition's revision ARN). Dependents then see
// those outputs as unknown while planning, so they are updated too.
type OutputsChangedByUpdate interface {
	OutputsChangedByUpdate() []string
}

// ReadOnly is implemented by resources the stack uses but does not own (a
// certificate given by ARN): they are observed to check they exist and to
// feed their dependents, never created, changed or deleted, and a destroy
// does not look at them.
type ReadOnly interface {
	ReadOnly() bool
}

func isReadOnly(r Resource) bool {
	ro, ok := r.(ReadOnly)
	return ok && ro.ReadOnly()
}

// Unwanted wraps a resource the stack no longer wants (berth.yaml dropped
// its section): a plan deletes it when it exists, after everything else has
// been applied, so that its dependents have moved off it first. Observe
// and Delete are the resource's own, so it must still be able to find
// itself.
func Unwanted(r Resource) Resource { return unwanted{r} }

type unwanted struct{ Resource }

// IsUnwanted tells a resource wrapped by Unwanted: readers of a stack (berth
// status) leave those out unless they exist.
func IsUnwanted(r Resource) bool {
	_, ok := r.(unwanted)
	return ok
}

func (u unwanted) Diff(_ *Inputs, actual *Observed) ([]FieldChange, Action) {
	if actual == nil {
		return nil, NoOp
	}
	return nil, Delete
}

func (u unwanted) Apply(context.Context, *Clients, *Inputs, *Observed) (Outputs, error) {
	return nil, fmt.Errorf("%s is not wanted by the stack and cannot be applied", u.Addr())
}
