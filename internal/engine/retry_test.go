package engine

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/smithy-go"
)

// quick keeps the pauses short: these tests check what Retry and WaitUntil
// decide, not how long they wait.
var quick = Backoff{First: time.Millisecond, Max: 2 * time.Millisecond, Timeout: 200 * time.Millisecond}

func apiError(code string) error {
	return &smithy.GenericAPIError{Code: code, Message: code + " for the test"}
}

func isInUse(err error) bool { return HasCode(err, "ResourceInUse") }

func TestRetryCallsAgainUntilTheOperationSucceeds(t *testing.T) {
	calls := 0
	err := Retry(context.Background(), quick, "delete group", isInUse, func() error {
		if calls++; calls < 3 {
			return apiError("ResourceInUse")
		}
		return nil
	})
	if err != nil || calls != 3 {
		t.Fatalf("Retry = %v after %d calls, want nil after 3", err, calls)
	}
}

func TestRetryReturnsAnUnacceptedErrorAtOnce(t *testing.T) {
	calls := 0
	denied := apiError("AccessDenied")
	err := Retry(context.Background(), quick, "delete group", isInUse, func() error {
		calls++
		return denied
	})
	if !errors.Is(err, denied) || calls != 1 {
		t.Fatalf("Retry = %v after %d calls, want the AccessDenied error itself after 1", err, calls)
	}
}

func TestRetryGivesUpAfterItsTimeoutNamingWhatItTried(t *testing.T) {
	err := Retry(context.Background(), quick, "delete sg-0123", isInUse, func() error { return apiError("ResourceInUse") })
	if err == nil || !strings.Contains(err.Error(), "delete sg-0123") || ErrorCode(err) != "ResourceInUse" {
		t.Fatalf("Retry = %v, want an error naming the operation and wrapping ResourceInUse", err)
	}
}

func TestRetryStopsWhenTheContextEnds(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	calls := 0
	err := Retry(ctx, Backoff{First: time.Hour, Max: time.Hour, Timeout: 3 * time.Hour}, "delete group", isInUse, func() error {
		calls++
		cancel()
		return apiError("ResourceInUse")
	})
	if !errors.Is(err, context.Canceled) || calls != 1 {
		t.Fatalf("Retry = %v after %d calls, want context.Canceled after 1", err, calls)
	}
}

func TestWaitUntilPollsOnThroughThrottling(t *testing.T) {
	polls := 0
	err := WaitUntil(context.Background(), quick, "wait for service", func() (bool, string, error) {
		polls++
		switch polls {
		case 1:
			return false, "1 of 2 running", nil
		case 2:
			return false, "", apiError("ThrottlingException")
		}
		return true, "2 of 2 running", nil
	})
	if err != nil || polls != 3 {
		t.Fatalf("WaitUntil = %v after %d polls, want nil after 3 (throttling is not a failure)", err, polls)
	}
}

func TestWaitUntilReturnsTheChecksErrorNamingTheWait(t *testing.T) {
	missing := apiError("ServiceNotFoundException")
	err := WaitUntil(context.Background(), quick, "wait for service web", func() (bool, string, error) { return false, "", missing })
	if !errors.Is(err, missing) || !strings.Contains(err.Error(), "wait for service web") {
		t.Fatalf("WaitUntil = %v, want the check's error, named after the wait", err)
	}
}

func TestWaitUntilGivesUpWithTheLastState(t *testing.T) {
	err := WaitUntil(context.Background(), quick, "wait for targets", func() (bool, string, error) {
		return false, "1 of 2 healthy", nil
	})
	if err == nil || !strings.Contains(err.Error(), "wait for targets") || !strings.Contains(err.Error(), "1 of 2 healthy") {
		t.Fatalf("WaitUntil = %v, want a time-out naming the wait and its last state", err)
	}
}
