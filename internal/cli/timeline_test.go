package cli_test

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/berthdev/berth/internal/localcloud/localcloudtest"
	"github.com/berthdev/berth/internal/localcloud/runtime"
	"github.com/berthdev/berth/internal/stack"
)

// writeLeanSpec writes a one-task stack with a fast health check, the
// cheapest stack that still goes through every phase of a deploy, in
// eu-west-1 (the write-up's region, not berth's example's).
func writeLeanSpec(t *testing.T, name, image string) string {
	t.Helper()
	yaml := fmt.Sprintf(`name: %s
region: eu-west-1
service:
  image: %s
  port: 9000
  count: 1
  placement: spread
  health_check: {path: /, interval: 5, timeout: 2, healthy_threshold: 2}
  deregistration_delay: 1
capacity: {provider: ec2, instance_type: t2.medium, min: 1, max: 1}
load_balancer: {public: true, port: 80}
`, name, image)
	path := filepath.Join(t.TempDir(), "berth.yaml")
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// putServer registers a process image that serves HTTP on the task's port,
// bound to 0.0.0.0 as most container images bind.
func putServer(t *testing.T, cloud *localcloudtest.Cloud, image string) {
	t.Helper()
	python, err := exec.LookPath("python3")
	if err != nil {
		t.Fatalf("this test serves HTTP with python3: %v", err)
	}
	if err := cloud.PutImage(runtime.ProcessImage{
		Name: image, Dir: t.TempDir(), Command: []string{python, "-m", "http.server", "--bind", "0.0.0.0", "9000"},
	}); err != nil {
		t.Fatal(err)
	}
}

type event struct {
	Phase string `json:"phase"`
	State string `json:"state"`
	Done  *int   `json:"done"`
	Total *int   `json:"total"`
	Cause *struct {
		Reason string `json:"reason"`
		Tasks  []struct {
			StoppedReason string   `json:"stoppedReason"`
			LastLines     []string `json:"lastLines"`
		} `json:"tasks"`
		Events []string `json:"events"`
	} `json:"cause"`
}

// events parses every line of a JSON timeline.
func events(t *testing.T, out string) []event {
	t.Helper()
	var all []event
	for i, line := range strings.Split(strings.TrimRight(out, "\n"), "\n") {
		var e event
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			t.Fatalf("line %d of --output json is not JSON (%v): %q", i+1, err, line)
		}
		all = append(all, e)
	}
	return all
}

// assertInOrder checks that each phase is done once, in the timeline's
// order, with no phase left out.
func assertInOrder(t *testing.T, done []string) {
	t.Helper()
	var want []string
	for _, p := range stack.Phases {
		want = append(want, string(p))
	}
	if strings.Join(done, "|") != strings.Join(want, "|") {
		t.Errorf("phases done in the order\n  %v\nwant\n  %v", done, want)
	}
}

// berth deploy shows every phase of a deploy in order: as timestamped
// lines off a terminal and as one JSON object per line with --output json,
// for a first deploy and for an update that drains and stops the old task.
// A failing deploy's last JSON event carries the cause.
func TestDeployTimelineShowsThePhasesInOrder(t *testing.T) {
	cloud := localcloudtest.Start(t)
	putServer(t, cloud, "timeline:1")
	putServer(t, cloud, "timeline:2")

	out, errOut, err := berth(t, cloud.Endpoint, "deploy", "--yes", "-f", writeLeanSpec(t, "timeline", "timeline:1"))
	if err != nil {
		t.Fatalf("deploy: %v\n%s\n%s", err, out, errOut)
	}
	var done []string
	for _, line := range strings.Split(errOut, "\n") {
		// "15:04:05 ✓ tasks placed   1/1  2.1s"
		if _, rest, ok := strings.Cut(line, " ✓ "); ok {
			for _, p := range stack.Phases {
				if strings.HasPrefix(rest, string(p)+" ") {
					done = append(done, string(p))
				}
			}
		}
	}
	assertInOrder(t, done)
	if !strings.Contains(errOut, "✓ old tasks stopped") || !strings.Contains(errOut, " none") {
		t.Errorf("a first deploy does not say it had no old tasks:\n%s", errOut)
	}

	out, errOut, err = berth(t, cloud.Endpoint, "deploy", "--yes", "--output", "json", "-f", writeLeanSpec(t, "timeline", "timeline:2"))
	if err != nil {
		t.Fatalf("deploy --output json: %v\n%s\n%s", err, out, errOut)
	}
	all := events(t, out)
	done = nil
	for _, e := range all {
		if e.State == "done" && e.Phase != "plan" && e.Phase != "deploy" {
			done = append(done, e.Phase)
		}
		if e.Phase == string(stack.PhaseStopped) && e.State == "done" && (e.Total == nil || *e.Total != 1) {
			t.Errorf("the update stopped %v old tasks, want 1", e.Total)
		}
	}
	assertInOrder(t, done)
	if first, last := all[0], all[len(all)-1]; first.Phase != "plan" || last.Phase != "deploy" || last.State != "done" {
		t.Errorf("the timeline runs from %s %s to %s %s, want from the plan to the deploy done", first.Phase, first.State, last.Phase, last.State)
	}

	if err := cloud.PutImage(runtime.ProcessImage{Name: "crashing:1", Dir: t.TempDir(), Command: []string{"/bin/sh", "-c", crashingApp}}); err != nil {
		t.Fatal(err)
	}
	out, errOut, err = berth(t, cloud.Endpoint, "deploy", "--yes", "--output", "json", "-f", writeLeanSpec(t, "crashing", "crashing:1"))
	if err == nil {
		t.Fatalf("the deploy of a crashing image succeeded:\n%s\n%s", out, errOut)
	}
	all = events(t, out)
	last := all[len(all)-1]
	if last.State != "failed" || last.Cause == nil || len(last.Cause.Tasks) == 0 {
		t.Fatalf("the last event of a failed deploy is %+v, want failed with its cause:\n%s", last, out)
	}
	if last.Phase == string(stack.PhaseInfrastructure) {
		t.Errorf("the deploy failed in phase %s, want a rollout phase", last.Phase)
	}
	task := last.Cause.Tasks[0]
	if !strings.Contains(task.StoppedReason, "Essential container in task exited") ||
		len(task.LastLines) == 0 || task.LastLines[len(task.LastLines)-1] != "ModuleNotFoundError: No module named 'fastapi'" {
		t.Errorf("the cause does not show why the task stopped and what it printed last: %+v", task)
	}
	if len(last.Cause.Events) == 0 || !strings.Contains(strings.Join(last.Cause.Events, "\n"), "crashing") {
		t.Errorf("the cause does not carry the service's events: %q", last.Cause.Events)
	}
}
