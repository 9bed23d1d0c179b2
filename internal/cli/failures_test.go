package cli_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/berthdev/berth/internal/cli"
	"github.com/berthdev/berth/internal/localcloud/localcloudtest"
)

// crashingApp prints 25 lines of start-up chatter and the traceback of a
// missing module to stderr, then exits 1, as a FastAPI image without
// FastAPI does.
const crashingApp = `exec 1>&2
printf 'starting %02d\n' 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25
echo 'Traceback (most recent call last):'
echo '  File "/app/main.py", line 1, in <module>'
echo '    from fastapi import FastAPI'
echo "ModuleNotFoundError: No module named 'fastapi'"
exit 1
`

// writeSpec writes a two-task stack whose local: section runs command.
func writeSpec(t *testing.T, name, image string, command []string, dir string) string {
	t.Helper()
	var quoted []string
	for _, arg := range command {
		quoted = append(quoted, fmt.Sprintf("%q", arg))
	}
	yaml := fmt.Sprintf(`name: %s
service:
  image: %s
  port: 9000
  count: 2
  placement: spread
  health_check: {path: /, interval: 5, timeout: 2, healthy_threshold: 2}
  deregistration_delay: 1
capacity: {provider: ec2, instance_type: t2.medium, min: 1, max: 2}
load_balancer: {public: true, port: 80}
local:
  command: [%s]
  dir: %q
`, name, image, strings.Join(quoted, ", "), dir)
	path := filepath.Join(t.TempDir(), "berth.yaml")
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// A deploy whose tasks crash fails as soon as ECS's circuit breaker fails
// the deployment, and says why: the stopped reason, the exit code and the
// last 20 lines the task printed, read from its log stream.
func TestCrashLoopingDeployShowsTheCause(t *testing.T) {
	cloud := localcloudtest.Start(t)
	specFile := writeSpec(t, "crashy", "crashy:1", []string{"/bin/sh", "-c", crashingApp}, t.TempDir())

	// berth up registers the process image from local: and deploys.
	out, errOut, err := berth(t, cloud.Endpoint, "up", "--no-logs", "--state-dir", filepath.Dir(cloud.AdminTokenPath()), "-f", specFile)
	if err == nil {
		t.Fatalf("berth up of a crashing image succeeded:\n%s\n%s", out, errOut)
	}
	if code := cli.ExitCode(err); code != 1 {
		t.Errorf("exit code = %d, want 1", code)
	}
	if errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("berth up timed out instead of failing with the cause: %v", err)
	}
	t.Logf("berth up said:\n%s\n%s", errOut, err)
	assertShowsCause(t, err.Error())

	// It returned once the breaker failed the deployment, which then
	// launched no more tasks.
	ecsClient := ecs.NewFromConfig(cloud.Config)
	d := onlyDeployment(t, ecsClient, "crashy")
	if d.RolloutState != ecstypes.DeploymentRolloutStateFailed {
		t.Fatalf("berth up returned while the deployment is %s", d.RolloutState)
	}
	if d.FailedTasks < 3 {
		t.Errorf("failedTasks = %d, want at least the breaker's threshold of 3", d.FailedTasks)
	}
	attempts := tasksOf(t, ecsClient, "crashy", aws.ToString(d.Id))

	// A deploy of the same stack retries: a failed deployment launches
	// nothing more, and the image may have been fixed under the same name.
	// It fails the same way, and once more as soon as the breaker trips.
	out, errOut, err = berth(t, cloud.Endpoint, "deploy", "--yes", "-f", specFile)
	if err == nil {
		t.Fatalf("berth deploy of a crashing image succeeded:\n%s\n%s", out, errOut)
	}
	if code := cli.ExitCode(err); code != 1 {
		t.Errorf("exit code = %d, want 1", code)
	}
	if !strings.Contains(out, "deployment "+aws.ToString(d.Id)+" FAILED → a new deployment") {
		t.Errorf("the second deploy does not plan a new deployment:\n%s", out)
	}
	assertShowsCause(t, err.Error())
	if again := tasksOf(t, ecsClient, "crashy", aws.ToString(d.Id)); again != attempts {
		t.Errorf("the failed deployment launched %d tasks, then %d", attempts, again)
	}
	retry := onlyDeployment(t, ecsClient, "crashy")
	if aws.ToString(retry.Id) == aws.ToString(d.Id) || retry.RolloutState != ecstypes.DeploymentRolloutStateFailed {
		t.Errorf("after the retry the deployment is %s (%s), want a new one that FAILED", aws.ToString(retry.Id), retry.RolloutState)
	}
}

// A deploy of a crashing image over a healthy service fails as soon as the
// circuit breaker fails it, and says that the service was rolled back.
func TestRolledBackDeploySaysSo(t *testing.T) {
	python, err := exec.LookPath("python3")
	if err != nil {
		t.Fatalf("this test serves HTTP with python3: %v", err)
	}
	cloud := localcloudtest.Start(t)
	good := writeSpec(t, "rollback", "good:1", []string{python, "-m", "http.server", "--bind", "$HOST", "9000"}, t.TempDir())
	if out, errOut, err := berth(t, cloud.Endpoint, "up", "--no-logs", "--state-dir", filepath.Dir(cloud.AdminTokenPath()), "-f", good); err != nil {
		t.Fatalf("berth up of a working image: %v\n%s\n%s", err, out, errOut)
	}
	bad := writeSpec(t, "rollback", "crashy:1", []string{"/bin/sh", "-c", crashingApp}, t.TempDir())
	out, errOut, err := berth(t, cloud.Endpoint, "up", "--no-logs", "--state-dir", filepath.Dir(cloud.AdminTokenPath()), "-f", bad)
	if err == nil {
		t.Fatalf("berth up of a crashing image succeeded:\n%s\n%s", out, errOut)
	}
	t.Logf("berth up said:\n%s", err)
	for _, want := range []string{
		"service is not healthy: deployment ecs-svc/",
		"The circuit breaker rolled the service back to rollback:1 (deployment ecs-svc/",
		"| ModuleNotFoundError: No module named 'fastapi'",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the error does not show %q:\n%s", want, err)
		}
	}
}

func assertShowsCause(t *testing.T, msg string) {
	t.Helper()
	for _, want := range []string{
		"service is not healthy: deployment ecs-svc/",
		"ECS deployment circuit breaker",
		"There is no completed deployment to roll back to",
		"stopped: Essential container in task exited; container app exited with code 1",
		"its last 20 lines (log stream ecs/app/",
		"| starting 10\n",
		"|   File \"/app/main.py\", line 1, in <module>\n",
		"| ModuleNotFoundError: No module named 'fastapi'",
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("the error does not show %q:\n%s", want, msg)
		}
	}
	if strings.Contains(msg, "starting 09") {
		t.Errorf("the error shows more than the last 20 lines:\n%s", msg)
	}
}

func onlyDeployment(t *testing.T, client *ecs.Client, name string) ecstypes.Deployment {
	t.Helper()
	out, err := client.DescribeServices(context.Background(), &ecs.DescribeServicesInput{Cluster: aws.String(name), Services: []string{name}})
	if err != nil || len(out.Services) != 1 {
		t.Fatalf("DescribeServices: %v", err)
	}
	if n := len(out.Services[0].Deployments); n != 1 {
		t.Fatalf("the service has %d deployments, want 1", n)
	}
	return out.Services[0].Deployments[0]
}

// tasksOf counts the tasks a deployment started, stopped or not.
func tasksOf(t *testing.T, client *ecs.Client, cluster, deployment string) int {
	t.Helper()
	n := 0
	for _, status := range []ecstypes.DesiredStatus{ecstypes.DesiredStatusRunning, ecstypes.DesiredStatusStopped} {
		list, err := client.ListTasks(context.Background(), &ecs.ListTasksInput{Cluster: aws.String(cluster), DesiredStatus: status})
		if err != nil {
			t.Fatalf("ListTasks: %v", err)
		}
		if len(list.TaskArns) == 0 {
			continue
		}
		out, err := client.DescribeTasks(context.Background(), &ecs.DescribeTasksInput{Cluster: aws.String(cluster), Tasks: list.TaskArns})
		if err != nil {
			t.Fatalf("DescribeTasks: %v", err)
		}
		for _, task := range out.Tasks {
			if aws.ToString(task.StartedBy) == deployment {
				n++
			}
		}
	}
	return n
}

// A local cloud killed with SIGKILL in the middle of `berth up` and started
// again on the same state dir replaces the tasks it lost; those are no
// failures, so the next `berth deploy` waits for the replacements and
// succeeds.
func TestDeployAfterLocalCloudKilledMidDeploy(t *testing.T) {
	python, err := exec.LookPath("python3")
	if err != nil {
		t.Fatalf("this test serves HTTP with python3: %v", err)
	}
	bin := buildBerth(t)
	// The state dir is also the default one (XDG_STATE_HOME), so that
	// whatever the CLI reads from it (a token for image writes) is found
	// with or without --state-dir.
	stateHome := t.TempDir()
	stateDir := filepath.Join(stateHome, "berth", "local")
	env := append(os.Environ(), "XDG_STATE_HOME="+stateHome, "AWS_ENDPOINT_URL=")
	addr := freeAddr(t)
	endpoint := "http://" + addr
	specFile := writeSpec(t, "restart", "restart-web:1", []string{python, "-m", "http.server", "--bind", "$HOST", "9000"}, t.TempDir())
	berthCmd := func(ctx context.Context, args ...string) *exec.Cmd {
		cmd := exec.CommandContext(ctx, bin, append(args, "--endpoint-url", endpoint)...)
		cmd.Env = env
		return cmd
	}

	first := startLocal(t, bin, env, stateDir, addr)
	client := ecs.NewFromConfig(localcloudtest.SDKConfig(t, endpoint))

	// berth up registers the image and deploys; the cloud dies once a
	// task of the new service runs, before the rollout completes.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	up := berthCmd(ctx, "up", "--no-logs", "-f", specFile)
	var upOut syncBuffer
	up.Stdout, up.Stderr = &upOut, &upOut
	if err := up.Start(); err != nil {
		t.Fatal(err)
	}
	upDone := make(chan error, 1)
	go func() { upDone <- up.Wait() }()
	var lost []string
	localcloudtest.Eventually(t, "a task of the service to run", func() bool {
		lost = nil
		for _, task := range runningTasks(t, client, "restart", "") {
			lost = append(lost, aws.ToString(task.TaskArn))
		}
		return len(lost) > 0
	})
	first.kill(t)
	if err := <-upDone; err == nil {
		t.Logf("berth up finished before the local cloud was killed:\n%s", upOut.String())
	}

	second := startLocal(t, bin, env, stateDir, addr)
	defer second.kill(t)
	deploy := berthCmd(ctx, "deploy", "--yes", "-f", specFile)
	out, err := deploy.CombinedOutput()
	if err != nil {
		t.Fatalf("berth deploy after the restart: %v\n%s\nlocal cloud:\n%s", err, out, second.output.String())
	}
	if strings.Contains(string(out), "not healthy") {
		t.Errorf("berth deploy blamed something:\n%s", out)
	}

	cfg := localcloudtest.SDKConfig(t, endpoint)
	if running := runningTasks(t, client, "restart", ""); len(running) != 2 {
		t.Errorf("running tasks = %d, want 2", len(running))
	}
	assertTargetsHealthy(t, cfg, 2)
	d := onlyDeployment(t, client, "restart")
	if d.RolloutState != ecstypes.DeploymentRolloutStateCompleted || d.FailedTasks != 0 {
		t.Errorf("deployment %s with %d failed tasks, want COMPLETED with none", d.RolloutState, d.FailedTasks)
	}
	tasks, err := client.DescribeTasks(context.Background(), &ecs.DescribeTasksInput{Cluster: aws.String("restart"), Tasks: lost})
	if err != nil {
		t.Fatal(err)
	}
	for _, task := range tasks.Tasks {
		if aws.ToString(task.LastStatus) != "STOPPED" || task.StopCode != ecstypes.TaskStopCodeInfrastructureHealth {
			t.Errorf("lost task %s: %s, stop code %q (%s), want STOPPED with InfrastructureHealth",
				aws.ToString(task.TaskArn), aws.ToString(task.LastStatus), task.StopCode, aws.ToString(task.StoppedReason))
		}
	}

	if out, err := berthCmd(ctx, "destroy", "--yes", "-f", specFile).CombinedOutput(); err != nil {
		t.Errorf("destroy: %v\n%s", err, out)
	}
}

// buildBerth compiles the berth command into the test's temp dir.
func buildBerth(t *testing.T) string {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("building berth needs the go tool: %v", err)
	}
	bin := filepath.Join(t.TempDir(), "berth")
	if out, err := exec.Command(goTool, "build", "-o", bin, "github.com/berthdev/berth/cmd/berth").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// freeAddr is a loopback address no one listens on now; the local cloud
// takes it, twice.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// localProcess is `berth local` running as a child process.
type localProcess struct {
	cmd    *exec.Cmd
	output *syncBuffer
	done   chan struct{}
}

func startLocal(t *testing.T, bin string, env []string, stateDir, addr string) *localProcess {
	t.Helper()
	p := &localProcess{cmd: exec.Command(bin, "local", "--state-dir", stateDir, "--addr", addr), output: &syncBuffer{}, done: make(chan struct{})}
	p.cmd.Env = env
	p.cmd.Stdout, p.cmd.Stderr = p.output, p.output
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		_ = p.cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() { p.kill(t) })
	localcloudtest.Eventually(t, "berth local to answer", func() bool {
		select {
		case <-p.done:
			t.Fatalf("berth local exited:\n%s", p.output.String())
		default:
		}
		resp, err := http.Get("http://" + addr + "/_berth/health")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
	return p
}

// kill sends SIGKILL, as a crash would, and waits for the process to go.
func (p *localProcess) kill(t *testing.T) {
	select {
	case <-p.done:
		return
	default:
	}
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil && !errors.Is(err, os.ErrProcessDone) {
		t.Errorf("killing berth local: %v", err)
	}
	<-p.done
}

// syncBuffer is a bytes.Buffer that a child's output and the test may use
// at once.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
