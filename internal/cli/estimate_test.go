package cli_test

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/berthdev/berth/internal/localcloud/localcloudtest"
)

var update = flag.Bool("update", false, "rewrite golden files")

// The estimate of the example's first deploy, against an empty cloud: the
// infrastructure's critical path (load balancer, NAT, instances) and the
// service's first rollout, phase by phase (golden file; -update rewrites
// it). A stack that exists and matches has nothing to estimate.
func TestPlanEstimateGolden(t *testing.T) {
	cloud := localcloudtest.Start(t)
	out, errOut, err := berth(t, cloud.Endpoint, "plan", "--estimate", "--state-dir", t.TempDir(), "-f", exampleSpec)
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

// berth up records its deploy's phase times in the state directory, and
// plan --estimate shows them beside AWS's: measured, not modelled. A phase
// the recorded deploy did not go through (a first deploy drains nothing)
// has no local time; a record that does not parse is an error naming it.
func TestPlanEstimateShowsTheLocalDeploysTimes(t *testing.T) {
	python, err := exec.LookPath("python3")
	if err != nil {
		t.Fatalf("this test serves HTTP with python3: %v", err)
	}
	cloud := localcloudtest.Start(t)
	stateDir := filepath.Dir(cloud.AdminTokenPath())
	write := func(image string) string {
		path := filepath.Join(t.TempDir(), "berth.yaml")
		yaml := fmt.Sprintf(`name: tally-estimate
region: ap-southeast-2
service:
  image: %s
  port: 9000
  count: 1
  health_check: {path: /, interval: 5, timeout: 2, healthy_threshold: 2}
  deregistration_delay: 1
capacity: {provider: ec2, instance_type: t2.medium, min: 1, max: 1}
load_balancer: {public: true, port: 80}
local:
  command: [%q, -m, http.server, --bind, $HOST, "9000"]
  dir: %q
`, image, python, t.TempDir())
		if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	first := write("tally:1")
	if out, errOut, err := berth(t, cloud.Endpoint, "up", "--no-logs", "--state-dir", stateDir, "-f", first); err != nil {
		t.Fatalf("berth up: %v\n%s\n%s", err, out, errOut)
	}
	record := filepath.Join(stateDir, "timings", "ap-southeast-2-tally-estimate.json")
	b, err := os.ReadFile(record)
	if err != nil {
		t.Fatalf("berth up recorded no times: %v", err)
	}
	var recorded struct {
		Seconds map[string]float64 `json:"seconds"`
	}
	if err := json.Unmarshal(b, &recorded); err != nil {
		t.Fatal(err)
	}
	// Two checks 5 s apart: the local cloud keeps the health check's clock.
	if h := recorded.Seconds["healthy in the target group"]; h <= 0 || h > 60 {
		t.Errorf("recorded healthy phase = %v s, want the time two checks took:\n%s", h, b)
	}

	second := write("tally:2")
	out, errOut, err := berth(t, cloud.Endpoint, "plan", "--estimate", "--state-dir", stateDir, "-f", second)
	if err != nil {
		t.Fatalf("plan --estimate: %v\n%s", err, errOut)
	}
	if !strings.Contains(out, "measured on the local cloud's last deploy of tally-estimate in ap-southeast-2") {
		t.Errorf("the estimate does not say it measured:\n%s", out)
	}
	rows := map[string][]string{}
	for _, line := range strings.Split(out, "\n") {
		if fields := strings.Fields(line); len(fields) > 3 && strings.HasPrefix(line, "  ") {
			for i, f := range fields {
				if _, err := time.ParseDuration(f); err == nil && i+1 < len(fields) {
					rows[strings.Join(fields[:i], " ")] = fields[i : i+2]
					break
				}
			}
		}
	}
	if got := rows["old tasks draining"]; len(got) != 2 || got[1] != "–" {
		t.Errorf("draining row = %v, want no local time (the recorded deploy drained nothing):\n%s", got, out)
	}
	healthy := rows["healthy in the target group"]
	if len(healthy) != 2 {
		t.Fatalf("no healthy row:\n%s", out)
	}
	if d, err := time.ParseDuration(healthy[1]); err != nil || d != time.Duration(recorded.Seconds["healthy in the target group"]*float64(time.Second)).Round(100*time.Millisecond) {
		t.Errorf("healthy's local time %q is not the recorded %v s", healthy[1], recorded.Seconds["healthy in the target group"])
	}

	if err := os.WriteFile(record, []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, _, err = berth(t, cloud.Endpoint, "plan", "--estimate", "--state-dir", stateDir, "-f", second)
	if err == nil || !strings.Contains(err.Error(), record) {
		t.Errorf("a broken record: err = %v, want one naming %s", err, record)
	}
}
