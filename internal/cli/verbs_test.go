package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"

	"github.com/berthdev/berth/internal/cli"
	"github.com/berthdev/berth/internal/localcloud/localcloudtest"
)

// status, logs and rollback against a deployed stack: status shows what
// exists and how the service is doing, logs prints the tasks' output (all,
// per task, followed), rollback returns the service to the previous
// revision and waits until it is healthy.
func TestStatusLogsRollback(t *testing.T) {
	python, err := exec.LookPath("python3")
	if err != nil {
		t.Fatalf("this test serves HTTP with python3: %v", err)
	}
	cloud := localcloudtest.Start(t)
	stateDir := filepath.Dir(cloud.AdminTokenPath())
	server := []string{python, "-m", "http.server", "--bind", "$HOST", "9000"}
	first := writeSpec(t, "verbs", "first:1", server, t.TempDir())
	if out, errOut, err := berth(t, cloud.Endpoint, "up", "--no-logs", "--state-dir", stateDir, "-f", first); err != nil {
		t.Fatalf("berth up: %v\n%s\n%s", err, out, errOut)
	}

	st := status(t, cloud.Endpoint, first)
	for _, r := range st.Resources {
		if r.State != "ok" {
			t.Errorf("after a deploy, %s is %s", r.Address, r.State)
		}
	}
	if st.Service == nil || st.Service.Running != 2 || st.Service.TaskDefinition != "verbs:1" {
		t.Fatalf("service = %+v, want 2 running verbs:1", st.Service)
	}
	if len(st.Deployments) != 1 || st.Deployments[0].Status != "PRIMARY" || st.Deployments[0].RolloutState != "COMPLETED" {
		t.Errorf("deployments = %+v, want one PRIMARY COMPLETED", st.Deployments)
	}
	if len(st.Tasks) != 2 || st.Tasks[0].LastStatus != "RUNNING" || st.Tasks[0].Address == "" {
		t.Errorf("tasks = %+v, want 2 RUNNING with addresses", st.Tasks)
	}
	if len(st.Targets) != 2 || st.Targets[0].State != "healthy" || st.Targets[1].State != "healthy" {
		t.Errorf("targets = %+v, want 2 healthy", st.Targets)
	}
	if len(st.Events) == 0 {
		t.Errorf("status shows no service events")
	}
	if out, _, err := berth(t, cloud.Endpoint, "status", "-f", first); err != nil || !strings.Contains(out, "Targets:") || !strings.Contains(out, "healthy") {
		t.Errorf("status as text (%v):\n%s", err, out)
	}

	// http.server logs every health check to stderr, which awslogs ships.
	task := st.Tasks[0].ID
	waitFor(t, "a health check in the logs", func() bool {
		out, _, err := berth(t, cloud.Endpoint, "logs", "--since", "10m", "-f", first)
		return err == nil && strings.Contains(out, `"GET / HTTP/1.1" 200`)
	})
	out, _, err := berth(t, cloud.Endpoint, "logs", "--task", task, "-f", first)
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if !strings.HasPrefix(line, "[app "+task[:8]+"]") {
			t.Errorf("logs --task %s printed another task's line: %q", task, line)
		}
	}
	assertFollowPrintsNewLines(t, cloud.Endpoint, first)

	// A second revision, then back to the first.
	second := writeSpec(t, "verbs", "second:1", server, t.TempDir())
	if out, errOut, err := berth(t, cloud.Endpoint, "up", "--no-logs", "--state-dir", stateDir, "-f", second); err != nil {
		t.Fatalf("berth up of a second revision: %v\n%s\n%s", err, out, errOut)
	}
	if st := status(t, cloud.Endpoint, second); st.Service.TaskDefinition != "verbs:2" {
		t.Fatalf("after the second deploy the service runs %s", st.Service.TaskDefinition)
	}
	out, errOut, err := berth(t, cloud.Endpoint, "rollback", "-f", second)
	if err != nil {
		t.Fatalf("rollback: %v\n%s\n%s", err, out, errOut)
	}
	svc, err := ecs.NewFromConfig(cloud.Config).DescribeServices(context.Background(), &ecs.DescribeServicesInput{Cluster: aws.String("verbs"), Services: []string{"verbs"}})
	if err != nil {
		t.Fatal(err)
	}
	d := svc.Services[0].Deployments
	if len(d) != 1 || !strings.HasSuffix(aws.ToString(d[0].TaskDefinition), "/verbs:1") || d[0].RolloutState != "COMPLETED" || d[0].RunningCount != 2 {
		t.Errorf("after rollback the deployments are %+v, want one COMPLETED of verbs:1 with 2 running", d)
	}
	assertTargetsHealthy(t, cloud.Config, 2)
	// berth.yaml still asks for the second revision: a deploy would update
	// the service back to it.
	for _, r := range status(t, cloud.Endpoint, second).Resources {
		if want := map[bool]string{true: "would update", false: "ok"}[r.Address == "ecs.service/app"]; r.State != want {
			t.Errorf("after rollback %s is %s, want %s", r.Address, r.State, want)
		}
	}

	// Revision 1 has nothing before it.
	if _, _, err := berth(t, cloud.Endpoint, "rollback", "-f", second); err == nil || !strings.Contains(err.Error(), "nothing to roll back to") {
		t.Errorf("a rollback from the first revision: %v, want nothing to roll back to", err)
	}
}

func status(t *testing.T, endpoint, specFile string) cli.Status {
	t.Helper()
	out, errOut, err := berth(t, endpoint, "status", "--json", "-f", specFile)
	if err != nil {
		t.Fatalf("status: %v\n%s", err, errOut)
	}
	var st cli.Status
	if err := json.Unmarshal([]byte(out), &st); err != nil {
		t.Fatalf("status --json is not JSON: %v\n%s", err, out)
	}
	return st
}

// assertFollowPrintsNewLines follows the logs from now on and sees a line
// that was logged after it started: the next health check's.
func assertFollowPrintsNewLines(t *testing.T, endpoint, specFile string) {
	t.Helper()
	var out syncBuffer
	root := cli.NewRootCmd(cli.IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &bytes.Buffer{}})
	root.SetArgs([]string{"logs", "--follow", "--since", "1s", "-f", specFile, "--endpoint-url", endpoint})
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	var err error
	wg.Add(1)
	go func() {
		defer wg.Done()
		err = root.ExecuteContext(ctx)
	}()
	waitFor(t, "a followed health check", func() bool { return strings.Contains(out.String(), `"GET / HTTP/1.1" 200`) })
	cancel()
	wg.Wait()
	if err != nil {
		t.Errorf("an interrupted logs --follow returned %v", err)
	}
}

// waitFor polls cond for up to a minute: health checks run every 5 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("no %s within a minute", what)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
