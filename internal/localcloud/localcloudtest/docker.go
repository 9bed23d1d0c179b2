package localcloudtest

import (
	"context"
	"os"
	"testing"

	"github.com/docker/docker/client"

	"github.com/berthdev/berth/internal/localcloud/runtime"
)

// DockerEngine returns a client of the machine's Docker Engine, closed when
// the test ends. Without an Engine the test is skipped, but it fails when
// CI is set: CI must have one, and a skip there would hide a regression.
func DockerEngine(t testing.TB) *client.Client {
	t.Helper()
	cli, err := runtime.ConnectEngine(context.Background())
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("CI needs a Docker Engine: %v", err)
		}
		t.Skipf("no Docker Engine: %v", err)
	}
	t.Cleanup(func() { cli.Close() })
	return cli
}
