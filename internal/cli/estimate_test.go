package cli_test

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/berthdev/berth/internal/localcloud/localcloudtest"
)

var update = flag.Bool("update", false, "rewrite golden files")

// The estimate of the example's first deploy, against an empty cloud: the
// infrastructure's critical path (load balancer, NAT, instances) and the
// service's first rollout, phase by phase (golden file; -update rewrites
// it). A stack that exists and matches has nothing to estimate.
func TestPlanEstimateGolden(t *testing.T) {
	cloud := localcloudtest.Start(t)
	out, errOut, err := berth(t, cloud.Endpoint, "plan", "--estimate", "-f", exampleSpec)
	if err != nil {
		t.Fatalf("plan --estimate: %v\n%s", err, errOut)
	}
	estimate := out[strings.Index(out, "\nEstimated deploy time"):]
	golden := filepath.Join("testdata", "estimate-example.golden")
	if *update {
		if err := os.WriteFile(golden, []byte(estimate), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if estimate != string(want) {
		t.Errorf("estimate differs from %s:\n%s\nwant:\n%s", golden, estimate, want)
	}
}
