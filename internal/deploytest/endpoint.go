// Package deploytest gives deployer tests a real AWS-compatible endpoint and
// SDK configuration for it. The endpoint is pluggable so the same tests run
// against moto_server today and the in-process local cloud later.
package deploytest

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
)

// Region is the region every test configuration uses.
const Region = "us-east-1"

// StartFunc starts an AWS-compatible endpoint for the duration of t and
// returns its base URL, e.g. "http://127.0.0.1:4566".
type StartFunc func(t testing.TB) string

// Config returns an SDK configuration that talks to the endpoint start
// launches, with static test credentials.
func Config(t testing.TB, start StartFunc) aws.Config {
	t.Helper()
	return ConfigFor(start(t))
}

// ConfigFor is the SDK configuration for an endpoint that is already
// running.
func ConfigFor(baseURL string) aws.Config {
	return aws.Config{
		Region:       Region,
		Credentials:  credentials.NewStaticCredentialsProvider("test", "test", ""),
		BaseEndpoint: aws.String(baseURL),
		// Tests should fail on the first error rather than hide flakiness
		// behind retries; throttling does not happen locally.
		RetryMaxAttempts: 1,
	}
}

// Moto starts `moto_server` on a free loopback port and stops it when the
// test ends. Without moto_server the test is skipped, and fails in CI
// (CI set), where a skip would hide the deployer's tests against it.
func Moto(t testing.TB) string {
	t.Helper()
	path, err := exec.LookPath("moto_server")
	if err != nil {
		if os.Getenv("CI") != "" {
			// In CI a missing tool is a failure: a skip would hide every
			// deployer test that runs against moto.
			t.Fatal("moto_server not on PATH; install moto[server] 5 to run deployer tests against it")
		}
		t.Skip("moto_server not on PATH; install moto[server] 5 to run deployer tests against it")
	}
	port, err := freePort()
	if err != nil {
		t.Fatalf("find a free port: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, path, "-H", "127.0.0.1", "-p", fmt.Sprint(port))
	// AWS managed policies (AmazonECSTaskExecutionRolePolicy, ...) exist in
	// every account; moto only has them when asked.
	cmd.Env = append(os.Environ(), "MOTO_IAM_LOAD_MANAGED_POLICIES=true")
	// moto logs every request to stderr; keep only the start for the
	// failure message.
	startup := &headBuffer{limit: 8192}
	cmd.Stderr = startup
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatalf("start moto_server: %v", err)
	}
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(exited)
	}()
	t.Cleanup(func() {
		cancel()
		<-exited
	})
	baseURL := fmt.Sprintf("http://127.0.0.1:%d", port)
	if err := waitReady(baseURL, exited); err != nil {
		cancel()
		<-exited
		t.Fatalf("moto_server did not come up: %v\n%s", err, startup.String())
	}
	return baseURL
}

// waitReady polls until the server answers HTTP. Polling is the only way to
// know a child process listens; the bound keeps a broken install from
// hanging the suite.
func waitReady(baseURL string, exited <-chan struct{}) error {
	deadline := time.NewTimer(30 * time.Second)
	defer deadline.Stop()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	client := &http.Client{Timeout: 2 * time.Second}
	for {
		resp, err := client.Get(baseURL + "/moto-api/")
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			return resp.Body.Close()
		}
		select {
		case <-exited:
			return fmt.Errorf("moto_server exited")
		case <-deadline.C:
			return fmt.Errorf("no answer on %s within 30s: %w", baseURL, err)
		case <-tick.C:
		}
	}
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// headBuffer keeps the first limit bytes written to it.
type headBuffer struct {
	mu    sync.Mutex
	limit int
	buf   []byte
}

func (h *headBuffer) Write(p []byte) (int, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if room := h.limit - len(h.buf); room > 0 {
		h.buf = append(h.buf, p[:min(room, len(p))]...)
	}
	return len(p), nil
}

func (h *headBuffer) String() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return string(h.buf)
}

// EnvEndpoint names an environment variable holding the base URL of an
// endpoint that is already running (a local cloud started by hand, or
// LocalStack); when set, FromEnv uses it instead of starting one.
const EnvEndpoint = "BERTH_TEST_ENDPOINT"

// FromEnv returns a StartFunc that uses $BERTH_TEST_ENDPOINT when set and
// start otherwise. A shared endpoint keeps state between tests, so tests
// using it must pick stack names that do not collide.
func FromEnv(start StartFunc) StartFunc {
	return func(t testing.TB) string {
		if url := os.Getenv(EnvEndpoint); url != "" {
			return url
		}
		return start(t)
	}
}
