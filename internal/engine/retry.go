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
			return gaveUp{fmt.Errorf("%s: still failing after %s: %w", what, b.Timeout, err)}
		}
		Progress(ctx, "%s: waiting (%s)", what, ErrorCode(err))
		if err := sleep(ctx, wait); err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		pause = min(2*pause, b.Max)
	}
}

// WaitUntil is berth's one poll: it calls check until it reports done,
// fails, ctx ends or timeout passes. status is the latest state, reported
// as progress and in the timeout error. The pause starts at b.First (the
// local cloud settles in well under a second) and doubles to b.Max (AWS
// takes minutes to delete an instance or a load balancer).
func WaitUntil(ctx context.Context, b Backoff, what string, check func() (done bool, status string, err error)) error {
	deadline := time.Now().Add(b.Timeout)
	pause := b.First
	for {
		done, status, err := check()
		if throttled(err) {
			// The SDK's own retries gave up on a busy API; the
			// state is as unknown as before, so poll again.
			done, status, err = false, "throttled", nil
		}
		if err != nil {
			return gaveUp{fmt.Errorf("%s: %w", what, err)}
		}
		if done {
			return nil
		}
		if time.Now().Add(pause).After(deadline) {
			return gaveUp{fmt.Errorf("%s: gave up after %s (last state: %s)", what, b.Timeout, status)}
		}
		Progress(ctx, "%s: %s", what, status)
		if err := sleep(ctx, pause); err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		pause = min(2*pause, b.Max)
	}
}

// gaveUp marks the end of a wait that did not see its state (it timed
// out, or the object failed) and of a retry that ran out of time: the
// object may exist but is not what was asked, and applying again would
// only wait as long once more, so applyConverging returns such errors as
// they are instead of observing.
type gaveUp struct{ error }

func (g gaveUp) Unwrap() error { return g.error }

// throttled tells AWS's "slow down" answers, which every service spells
// its own way.
func throttled(err error) bool {
	return HasCode(err, "Throttling", "ThrottlingException", "ThrottledException", "RequestLimitExceeded", "TooManyRequestsException", "RequestThrottled")
}

// sleep pauses for d, or until ctx ends, whose error it returns.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
