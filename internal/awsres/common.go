// Package awsres implements one engine.Resource per AWS resource kind that a
// berth stack uses. Every resource finds its actual object by the berth tags
// or by a deterministic name, so no state file is needed, and deletes only
// objects that carry this stack's tags or names.
package awsres

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/berthdev/berth/internal/engine"
)

// Tag keys berth writes on everything it creates.
const (
	TagStack    = "berth:stack"
	TagResource = "berth:resource"
)

// Meta is embedded by every resource: the stack it belongs to and its
// address in that stack.
type Meta struct {
	Stack   string
	Address engine.Addr
	Deps    []engine.Addr
	// Tags are the user's (berth.yaml's tags), set beside berth's own on
	// whatever the resource creates.
	Tags map[string]string
}

// Addr implements engine.Resource.
func (m Meta) Addr() engine.Addr { return m.Address }

// DependsOn implements engine.Resource.
func (m Meta) DependsOn() []engine.Addr { return m.Deps }

// tags returns the berth tags, then the user's, in a deterministic order.
func (m Meta) tags() []keyValue {
	tags := m.berthTags()
	for _, k := range slices.Sorted(maps.Keys(m.Tags)) {
		if k != TagResource && k != TagStack {
			tags = append(tags, keyValue{k, m.Tags[k]})
		}
	}
	return tags
}

// berthTags are the tags that say an object is this resource of this stack.
func (m Meta) berthTags() []keyValue {
	return []keyValue{{TagResource, string(m.Address)}, {TagStack, m.Stack}}
}

// expandIDs flattens resolved references of which some stand for a list
// (a looked-up network's "public_subnets" is comma-separated).
func expandIDs(values []string) []string {
	var out []string
	for _, v := range values {
		for _, id := range strings.Split(v, ",") {
			if id != "" {
				out = append(out, id)
			}
		}
	}
	return out
}

type keyValue struct{ Key, Value string }

// hasCode reports whether err carries one of the AWS error codes.
func hasCode(err error, codes ...string) bool { return engine.HasCode(err, codes...) }

// dependencyTimeout bounds waiting on AWS's ordering: deleting instances
// and load balancers takes minutes there; the bound keeps a stuck teardown
// from hanging forever.
const dependencyTimeout = 15 * time.Minute

// retryWhile is engine.Retry with the resource kinds' bounds: AWS reports
// ordering problems (DependencyViolation, ResourceInUse) that resolve on
// their own once a dependent finishes going away.
func retryWhile(ctx context.Context, timeout time.Duration, what string, retryable func(error) bool, op func() error) error {
	return engine.Retry(ctx, backoff(timeout), what, retryable, op)
}

// waitUntil is engine.WaitUntil with the resource kinds' bounds. Its
// pauses stop growing at 10 s, not at the retries' 30 s: a wait is on the
// deploy's critical path, and a state check is cheap.
func waitUntil(ctx context.Context, timeout time.Duration, what string, check func() (done bool, status string, err error)) error {
	b := backoff(timeout)
	b.Max = 10 * time.Second
	return engine.WaitUntil(ctx, b, what, check)
}

func backoff(timeout time.Duration) engine.Backoff {
	b := engine.DefaultBackoff
	b.Timeout = timeout
	return b
}

// sortedJoin renders a set of values for a diff independent of the order
// AWS returns them in.
func sortedJoin(values []string) string {
	sorted := slices.Clone(values)
	slices.Sort(sorted)
	return strings.Join(sorted, ",")
}

// showAll resolves references for Diff, Unknown for those not created yet.
func showAll(in *engine.Inputs, refs []engine.Ref) []string {
	values := make([]string, len(refs))
	for i, ref := range refs {
		values[i] = in.Show(ref)
	}
	return values
}

// ShortName fits name into AWS's length limit for ALB and target group
// names (32) or others, keeping it unique by a hash suffix when truncated.
func ShortName(name string, limit int) string {
	if len(name) <= limit {
		return name
	}
	var sum uint32 = 2166136261
	for i := 0; i < len(name); i++ {
		sum = (sum ^ uint32(name[i])) * 16777619
	}
	suffix := fmt.Sprintf("-%06x", sum&0xffffff)
	return strings.TrimRight(name[:limit-len(suffix)], "-") + suffix
}

func itoa(n int) string {
	if n == 0 {
		return ""
	}
	return fmt.Sprint(n)
}

func boolString(b bool) string {
	if b {
		return "true"
	}
	return "false"
}
