package cli_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/berthdev/berth/internal/localcloud/localcloudtest"
)

// The Fargate variant runs on the local cloud as on AWS, without a single
// instance: berth up in eu-west-1 serves from two tasks that bind 0.0.0.0,
// both healthy behind the ALB, and berth destroy leaves nothing.
func TestFargateStackServesWithoutInstances(t *testing.T) {
	python, err := exec.LookPath("python3")
	if err != nil {
		t.Fatalf("this test serves HTTP with python3: %v", err)
	}
	cloud := localcloudtest.Start(t)
	yaml := fmt.Sprintf(`name: serverless
region: eu-west-1
service:
  image: serverless:1
  port: 9000
  cpu: 256
  memory: 512
  count: 2
  health_check: {path: /, interval: 5, timeout: 2, healthy_threshold: 2}
  deregistration_delay: 1
capacity: {provider: fargate}
load_balancer: {public: true, port: 80}
local:
  command: [%q, "-m", "http.server", "--bind", "0.0.0.0", "9000"]
  dir: %q
`, python, t.TempDir())
	specFile := filepath.Join(t.TempDir(), "berth.yaml")
	if err := os.WriteFile(specFile, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, errOut, err := berth(t, cloud.Endpoint, "up", "--no-logs", "--state-dir", filepath.Dir(cloud.AdminTokenPath()), "-f", specFile); err != nil {
		t.Fatalf("berth up of a Fargate stack: %v\n%s\n%s", err, out, errOut)
	}
	assertTargetsHealthy(t, cloud.ConfigIn("eu-west-1"), 2)
	if out, errOut, err := berth(t, cloud.Endpoint, "destroy", "--yes", "-f", specFile); err != nil {
		t.Fatalf("destroy: %v\n%s\n%s", err, out, errOut)
	}
	if left := taggedAs(t, cloud.ConfigIn("eu-west-1"), "serverless"); len(left) != 0 {
		t.Errorf("after destroy these are still tagged: %v", left)
	}
}
