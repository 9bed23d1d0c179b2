package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbv2types "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"

	"github.com/berthdev/berth/internal/cli"
	"github.com/berthdev/berth/internal/localcloud/localcloudtest"
	"github.com/berthdev/berth/internal/localcloud/runtime"
)

// exampleSpec is the FastAPI example that `make up` runs.
var exampleSpec = filepath.Join("..", "..", "examples", "fastapi", "berth.yaml")

// berth runs the berth command line in-process against endpoint.
func berth(t testing.TB, endpoint string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errOut bytes.Buffer
	root := cli.NewRootCmd(cli.IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut})
	root.SetArgs(append(args, "--endpoint-url", endpoint))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	err = root.ExecuteContext(ctx)
	return out.String(), errOut.String(), err
}

func requirePython(t *testing.T) {
	t.Helper()
	if err := exec.Command("/usr/bin/python3", "-c", "import fastapi, uvicorn").Run(); err != nil {
		t.Fatalf("the FastAPI example needs python3-fastapi and python3-uvicorn (make test installs them): %v", err)
	}
}

// The walking skeleton end to end: the example stack is planned, deployed,
// serves through its load balancer from two tasks on two instances, heals a
// killed task, redeploys as a no-op and is destroyed without leftovers.
func TestExampleStackEndToEnd(t *testing.T) {
	requirePython(t)
	cloud := localcloudtest.Start(t)
	ctx := context.Background()
	dir, err := filepath.Abs(filepath.Dir(exampleSpec))
	if err != nil {
		t.Fatal(err)
	}
	if err := cloud.PutImage(runtime.ProcessImage{
		Name:    "fastapi-dev:latest",
		Dir:     dir,
		Command: []string{"/usr/bin/python3", "-m", "uvicorn", "main:app", "--host", "$HOST", "--port", "9000"},
		Env:     map[string]string{"PYTHONUNBUFFERED": "1"},
	}); err != nil {
		t.Fatal(err)
	}

	out, _, err := berth(t, cloud.Endpoint, "plan", "-f", exampleSpec)
	if err != nil {
		t.Fatalf("plan: %v\n%s", err, out)
	}
	if !strings.Contains(out, "+ ecs.service") {
		t.Errorf("plan of an empty cloud does not create the service:\n%s", out)
	}

	out, errOut, err := berth(t, cloud.Endpoint, "deploy", "--yes", "-f", exampleSpec)
	if err != nil {
		t.Fatalf("deploy: %v\nstdout:\n%s\nstderr:\n%s", err, out, errOut)
	}
	if !strings.Contains(out, "Service URL: http://") {
		t.Errorf("deploy printed no service URL:\n%s", out)
	}

	ecsClient := ecs.NewFromConfig(cloud.Config)
	tasks := runningTasks(t, ecsClient, "fastapi", "fastapi")
	if len(tasks) != 2 {
		t.Fatalf("running tasks = %d, want 2", len(tasks))
	}
	if tasks[0].ContainerInstanceArn == nil || *tasks[0].ContainerInstanceArn == aws.ToString(tasks[1].ContainerInstanceArn) {
		t.Errorf("tasks share a container instance (distinctInstance): %v, %v", aws.ToString(tasks[0].ContainerInstanceArn), aws.ToString(tasks[1].ContainerInstanceArn))
	}
	assertTargetsHealthy(t, cloud.Config, 2)

	url := listenerURL(t, cloud.Endpoint)
	answered := map[string]bool{}
	for i := 0; i < 20 && len(answered) < 2; i++ {
		answered[taskThatAnswered(t, url)] = true
	}
	if len(answered) != 2 {
		t.Errorf("20 requests through the load balancer were answered by %d tasks, want 2: %v", len(answered), answered)
	}
	if body := get(t, url+"docs"); !strings.Contains(body, "swagger") {
		t.Errorf("/docs through the load balancer is not the Swagger UI:\n%.300s", body)
	}
	// A real browser renders the docs page: Swagger UI's script fetched the
	// OpenAPI document through the load balancer and drew every route.
	if dom := renderInBrowser(t, url+"docs"); !strings.Contains(dom, "/items/{item_id}") {
		t.Errorf("the docs page rendered in Chromium does not list the API's routes:\n%.500s", dom)
	}

	// Kill one task's process: the scheduler replaces it.
	victim := tasks[0]
	pid, ok := cloud.TaskPID(aws.ToString(victim.TaskArn))
	if !ok {
		t.Fatalf("no process for task %s", aws.ToString(victim.TaskArn))
	}
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	var stopped ecstypes.Task
	localcloudtest.Eventually(t, "the killed task to stop", func() bool {
		out, err := ecsClient.DescribeTasks(ctx, &ecs.DescribeTasksInput{Cluster: aws.String("fastapi"), Tasks: []string{aws.ToString(victim.TaskArn)}})
		if err != nil || len(out.Tasks) != 1 {
			return false
		}
		stopped = out.Tasks[0]
		return aws.ToString(stopped.LastStatus) == "STOPPED"
	})
	if stopped.StopCode != ecstypes.TaskStopCodeEssentialContainerExited {
		t.Errorf("stop code = %q, want EssentialContainerExited (reason %q)", stopped.StopCode, aws.ToString(stopped.StoppedReason))
	}
	localcloudtest.Eventually(t, "a replacement task", func() bool {
		tasks := runningTasks(t, ecsClient, "fastapi", "fastapi")
		replaced := len(tasks) == 2
		for _, task := range tasks {
			replaced = replaced && aws.ToString(task.TaskArn) != aws.ToString(victim.TaskArn)
		}
		return replaced
	})

	out, errOut, err = berth(t, cloud.Endpoint, "deploy", "--yes", "-f", exampleSpec)
	if err != nil {
		t.Fatalf("second deploy: %v\n%s\n%s", err, out, errOut)
	}
	if !strings.Contains(out, "No changes") {
		t.Errorf("second deploy is not a no-op:\n%s", out)
	}

	out, errOut, err = berth(t, cloud.Endpoint, "destroy", "--yes", "-f", exampleSpec)
	if err != nil {
		t.Fatalf("destroy: %v\n%s\n%s", err, out, errOut)
	}
	out, _, err = berth(t, cloud.Endpoint, "destroy", "--yes", "-f", exampleSpec)
	if err != nil {
		t.Fatalf("second destroy: %v", err)
	}
	if !strings.Contains(out, "Nothing to destroy") {
		t.Errorf("destroy left resources behind:\n%s", out)
	}
	if tasks := runningTasks(t, ecsClient, "fastapi", ""); len(tasks) != 0 {
		t.Errorf("%d tasks still running after destroy", len(tasks))
	}
}

// A malformed berth.yaml is refused with file, line and field, and exit 2.
func TestMalformedSpecNamesFileLineAndField(t *testing.T) {
	path := filepath.Join(t.TempDir(), "berth.yaml")
	if err := os.WriteFile(path, []byte("name: web\nservice:\n  image: app:1\n  port: 70000\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, _, err := berth(t, "http://127.0.0.1:1", "plan", "-f", path)
	if err == nil {
		t.Fatal("plan accepted a port of 70000")
	}
	want := path + ":4:9: service.port"
	if !strings.Contains(err.Error(), want) {
		t.Errorf("error %q does not name %q", err, want)
	}
	if code := cli.ExitCode(err); code != 2 {
		t.Errorf("exit code = %d, want 2", code)
	}
}

// renderInBrowser loads url in headless Chromium and returns the DOM after
// its scripts ran.
func renderInBrowser(t *testing.T, url string) string {
	t.Helper()
	browser, err := exec.LookPath("chromium")
	if err != nil {
		t.Fatalf("chromium is needed for the browser check (make test installs it): %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, browser, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
		"--user-data-dir="+t.TempDir(), "--virtual-time-budget=10000", "--dump-dom", url).Output()
	if err != nil {
		t.Fatalf("chromium --dump-dom %s: %v", url, err)
	}
	return string(out)
}

func runningTasks(t *testing.T, client *ecs.Client, cluster, service string) []ecstypes.Task {
	t.Helper()
	ctx := context.Background()
	in := &ecs.ListTasksInput{Cluster: aws.String(cluster), DesiredStatus: ecstypes.DesiredStatusRunning}
	if service != "" {
		in.ServiceName = aws.String(service)
	}
	list, err := client.ListTasks(ctx, in)
	var notFound *ecstypes.ClusterNotFoundException
	if errors.As(err, &notFound) {
		return nil
	}
	if err != nil {
		t.Fatalf("ListTasks: %v", err)
	}
	if len(list.TaskArns) == 0 {
		return nil
	}
	out, err := client.DescribeTasks(ctx, &ecs.DescribeTasksInput{Cluster: aws.String(cluster), Tasks: list.TaskArns})
	if err != nil {
		t.Fatalf("DescribeTasks: %v", err)
	}
	var running []ecstypes.Task
	for _, task := range out.Tasks {
		if aws.ToString(task.LastStatus) == "RUNNING" {
			running = append(running, task)
		}
	}
	return running
}

func assertTargetsHealthy(t *testing.T, cfg aws.Config, want int) {
	t.Helper()
	client := elbv2.NewFromConfig(cfg)
	groups, err := client.DescribeTargetGroups(context.Background(), &elbv2.DescribeTargetGroupsInput{})
	if err != nil || len(groups.TargetGroups) != 1 {
		t.Fatalf("DescribeTargetGroups: %v (%d groups)", err, len(groups.TargetGroups))
	}
	health, err := client.DescribeTargetHealth(context.Background(), &elbv2.DescribeTargetHealthInput{TargetGroupArn: groups.TargetGroups[0].TargetGroupArn})
	if err != nil {
		t.Fatalf("DescribeTargetHealth: %v", err)
	}
	healthy := 0
	for _, d := range health.TargetHealthDescriptions {
		if d.TargetHealth.State == elbv2types.TargetHealthStateEnumHealthy {
			healthy++
		}
	}
	if healthy != want {
		t.Errorf("healthy targets = %d, want %d", healthy, want)
	}
}

func listenerURL(t *testing.T, endpoint string) string {
	t.Helper()
	var reply struct {
		Listeners []struct {
			Address string `json:"address"`
		} `json:"listeners"`
	}
	if err := json.Unmarshal([]byte(get(t, endpoint+"/_berth/listeners")), &reply); err != nil || len(reply.Listeners) != 1 {
		t.Fatalf("listeners: %v %+v", err, reply)
	}
	return "http://" + reply.Listeners[0].Address + "/"
}

func get(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s\n%s", url, resp.Status, body)
	}
	return string(body)
}

func taskThatAnswered(t *testing.T, url string) string {
	t.Helper()
	var reply struct {
		TaskID string `json:"task_id"`
	}
	if err := json.Unmarshal([]byte(get(t, url)), &reply); err != nil || reply.TaskID == "" {
		t.Fatalf("GET %s: no task_id in the answer: %v", url, err)
	}
	return reply.TaskID
}
