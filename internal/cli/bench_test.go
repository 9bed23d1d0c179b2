package cli_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/berthdev/berth/internal/localcloud/localcloudtest"
	"github.com/berthdev/berth/internal/localcloud/runtime"
)

// BenchmarkDeployExampleToHealthy measures `berth deploy` of the FastAPI
// example on a fresh local cloud, from an empty account until both tasks
// are healthy behind the load balancer (the destroy after each round is not
// timed). Run: go test -run '^$' -bench DeployExample -benchtime 3x ./internal/cli
func BenchmarkDeployExampleToHealthy(b *testing.B) {
	dir, err := filepath.Abs(filepath.Dir(exampleSpec))
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		b.StopTimer()
		cloud := localcloudtest.Start(b)
		if err := cloud.PutImage(runtime.ProcessImage{
			Name: "fastapi-dev:latest", Dir: dir,
			Command: []string{"/usr/bin/python3", "-m", "uvicorn", "main:app", "--host", "$HOST", "--port", "9000"},
		}); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if out, errOut, err := berth(b, cloud.Endpoint, "deploy", "--yes", "-f", exampleSpec); err != nil || !strings.Contains(out, "Service URL") {
			b.Fatalf("deploy: %v\n%s\n%s", err, out, errOut)
		}
		b.StopTimer()
		if _, _, err := berth(b, cloud.Endpoint, "destroy", "--yes", "-f", exampleSpec); err != nil {
			b.Fatalf("destroy: %v", err)
		}
		b.StartTimer()
	}
}
