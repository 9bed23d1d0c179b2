package engine

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/aws/smithy-go"
)

// ErrorCode returns the AWS error code of err, or "".
func ErrorCode(err error) string {
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		return apiErr.ErrorCode()
	}
	return ""
}

// HasCode reports whether err carries one of the AWS error codes.
func HasCode(err error, codes ...string) bool {
	return err != nil && slices.Contains(codes, ErrorCode(err))
}

// Backoff bounds how often and how long Retry tries again.
type Backoff struct {
	// First is the first pause; each pause doubles up to Max.
	First, Max time.Duration
	// Timeout is how long after the first call Retry gives up.
	Timeout time.Duration
}

// DefaultBackoff suits AWS's ordering problems: the local cloud settles in
// well under a second, AWS in seconds to minutes (ENIs draining, a load
// balancer going), so pauses start short and double to half a minute, and a
// stuck teardown gives up after 15 minutes rather than hang.
var DefaultBackoff = Backoff{First: 500 * time.Millisecond, Max: 30 * time.Second, Timeout: 15 * time.Minute}

// Retry is berth's one retry mechanism: it calls op until it succeeds,
// fails with an error retryable does not accept, ctx ends or the backoff's
// timeout passes. AWS reports ordering problems (DependencyViolation,
// ResourceInUse, a just-created role not usable yet) that resolve on their
// own once another change lands; the pause doubles and is jittered (between
// half and all of it) so that parallel retries do not call in step.
func Retry(ctx context.Context, b Backoff, what string, retryable func(error) bool, op func() error) error {
	deadline := time.Now().Add(b.Timeout)
	pause := b.First
	for {
		err := op()
		if err == nil || !retryable(err) {
			return err
		}
		wait := pause/2 + rand.N(pause/2+1)
		if time.Now().Add(wait).After(deadline) {
			return fmt.Errorf("%s: still failing after %s: %w", what, b.Timeout, err)
		}
		Progress(ctx, "%s: waiting (%s)", what, ErrorCode(err))
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("%s: %w", what, ctx.Err())
		case <-t.C:
		}
		pause = min(2*pause, b.Max)
	}
}
