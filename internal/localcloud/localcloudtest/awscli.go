package localcloudtest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// AWSCLI runs the real AWS CLI against endpoint, signed for region, with
// throwaway credentials and none of the user's configuration, and returns
// what it printed. The CLI's botocore parser is stricter than the Go SDK
// about member names and types, and it is what users type, so the tests
// walk it beside the SDK. One attempt per call: a test that wants to see
// an error code sees the first answer, not a retry's.
//
// A missing CLI fails the test, never skips it: CI installs it, and a
// skipped CLI test would hide every regression it guards against.
func AWSCLI(t testing.TB, endpoint, region string, args ...string) ([]byte, error) {
	t.Helper()
	path, err := exec.LookPath("aws")
	if err != nil {
		t.Fatalf("the aws CLI is needed for this test (apt-get install awscli): %v", err)
	}
	cmd := exec.CommandContext(context.Background(), path, append([]string{"--endpoint-url", endpoint, "--region", region, "--output", "json"}, args...)...)
	cmd.Env = append(os.Environ(),
		"AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test", "AWS_DEFAULT_REGION="+region,
		"AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null", "AWS_MAX_ATTEMPTS=1", "AWS_PAGER=",
	)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.Bytes(), &CLIError{Args: args, Err: err, Stderr: strings.TrimSpace(stderr.String())}
	}
	return stdout.Bytes(), nil
}

// MustAWSCLI runs AWSCLI and decodes its JSON output into out (nil to
// ignore it), failing the test when the command fails or prints no JSON.
func MustAWSCLI(t testing.TB, endpoint, region string, out any, args ...string) {
	t.Helper()
	data, err := AWSCLI(t, endpoint, region, args...)
	if err != nil {
		t.Fatal(err)
	}
	if out == nil || len(bytes.TrimSpace(data)) == 0 {
		return
	}
	if err := json.Unmarshal(data, out); err != nil {
		t.Fatalf("aws %s printed no JSON: %v\n%s", strings.Join(args, " "), err, data)
	}
}

// CLIError is a failed AWS CLI command with what it wrote to stderr, where
// the CLI prints the error code and message it got.
type CLIError struct {
	Args   []string
	Err    error
	Stderr string
}

func (e *CLIError) Error() string {
	return fmt.Sprintf("aws %s: %v: %s", strings.Join(e.Args, " "), e.Err, e.Stderr)
}

func (e *CLIError) Unwrap() error { return e.Err }
