package runtime

import (
	"context"
	"errors"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// waitLimit bounds every wait so a broken runtime fails the test instead of
// hanging it; nothing asserts how long anything took.
const waitLimit = 15 * time.Second

type lineRecorder struct {
	mu    sync.Mutex
	lines []OutputLine
	seen  chan struct{}
}

func newLineRecorder() *lineRecorder {
	return &lineRecorder{seen: make(chan struct{}, 1024)}
}

func (r *lineRecorder) record(line OutputLine) {
	r.mu.Lock()
	r.lines = append(r.lines, line)
	r.mu.Unlock()
	select {
	case r.seen <- struct{}{}:
	default:
	}
}

func (r *lineRecorder) stream(name string) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var texts []string
	for _, line := range r.lines {
		if line.Stream == name {
			texts = append(texts, line.Text)
		}
	}
	return texts
}

// firstStdoutLine waits for the task's first stdout line.
func (r *lineRecorder) firstStdoutLine(t *testing.T) string {
	t.Helper()
	deadline := time.After(waitLimit)
	for {
		if lines := r.stream(StreamStdout); len(lines) > 0 {
			return lines[0]
		}
		select {
		case <-r.seen:
		case <-deadline:
			t.Fatal("no output line from the task")
		}
	}
}

func newTestRuntime(t *testing.T) *Process {
	t.Helper()
	rt := NewProcess(ProcessOptions{Logf: t.Logf, CloseGrace: 2 * time.Second})
	t.Cleanup(func() {
		if err := rt.Close(context.Background()); err != nil {
			t.Errorf("close runtime: %v", err)
		}
	})
	return rt
}

func shellSpec(id, script string, output func(OutputLine)) TaskSpec {
	return TaskSpec{
		ID:      id,
		Image:   "test/shell:latest",
		Command: []string{"/bin/sh", "-c", script},
		Env:     map[string]string{"PATH": os.Getenv("PATH")},
		Output:  output,
	}
}

func waitEvent(t *testing.T, rt *Process, id string) TaskEvent {
	t.Helper()
	deadline := time.After(waitLimit)
	for {
		select {
		case event := <-rt.Events():
			if event.ID == id {
				return event
			}
		case <-deadline:
			t.Fatalf("no exit event for task %s", id)
		}
	}
}

// groupAlive reports whether any process of the group still runs. Zombies
// do not count: killed children are reparented to init, which reaps them
// when it gets round to it.
func groupAlive(pgid int) bool {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return syscall.Kill(-pgid, 0) == nil
	}
	for _, entry := range entries {
		if _, err := strconv.Atoi(entry.Name()); err != nil {
			continue
		}
		stat, err := os.ReadFile("/proc/" + entry.Name() + "/stat")
		if err != nil {
			continue // exited meanwhile
		}
		// Fields after the parenthesised command: state ppid pgrp ...
		closing := strings.LastIndexByte(string(stat), ')')
		fields := strings.Fields(string(stat[closing+1:]))
		if len(fields) >= 3 && fields[0] != "Z" && fields[2] == strconv.Itoa(pgid) {
			return true
		}
	}
	return false
}

// eventuallyGone polls until the group has no running process: the kernel
// closes a dying process's files (which ends the task) a moment before it
// turns into a zombie.
func eventuallyGone(pgid int) bool {
	deadline := time.Now().Add(waitLimit)
	for groupAlive(pgid) {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(10 * time.Millisecond)
	}
	return true
}

func TestOutputLinesArriveInOrderPerStream(t *testing.T) {
	rt := newTestRuntime(t)
	recorder := newLineRecorder()
	long := strings.Repeat("x", 40000)
	script := "echo one; echo two >&2; echo three; printf 'crlf\\r\\n'; echo " + long + "; printf 'no newline'"
	if err := rt.Start(context.Background(), shellSpec("output", script, recorder.record)); err != nil {
		t.Fatalf("start: %v", err)
	}
	event := waitEvent(t, rt, "output")
	if event.ExitCode != 0 || event.Err != nil {
		t.Fatalf("exit event = %+v, want a clean exit", event)
	}
	stdout := recorder.stream(StreamStdout)
	if len(stdout) < 5 || stdout[0] != "one" || stdout[1] != "three" || stdout[2] != "crlf" {
		t.Fatalf("stdout lines start %q, want one, three, crlf", stdout[:min(3, len(stdout))])
	}
	if got := stdout[len(stdout)-1]; got != "no newline" {
		t.Errorf("last stdout line = %q, want the unterminated tail", got)
	}
	joined := strings.Join(stdout[3:len(stdout)-1], "")
	if joined != long || len(stdout[3:len(stdout)-1]) < 2 {
		t.Errorf("long line came back as %d pieces totalling %d bytes, want it split without loss into %d bytes",
			len(stdout[3:len(stdout)-1]), len(joined), len(long))
	}
	if stderr := recorder.stream(StreamStderr); len(stderr) != 1 || stderr[0] != "two" {
		t.Errorf("stderr lines = %q, want [two]", stderr)
	}
	recorder.mu.Lock()
	defer recorder.mu.Unlock()
	for _, line := range recorder.lines {
		if line.TaskID != "output" || line.Time.IsZero() {
			t.Fatalf("line %+v lacks its task id or time", line)
		}
	}
}

// Only whole $HOST/${HOST}/$PORT/${PORT} arguments are substituted, from
// the task's environment; the shell of an "sh -c" image gets its script as
// registered and expands ${VAR:-default}, $$ and quoting itself.
func TestCommandReachesProgramAsRegistered(t *testing.T) {
	t.Setenv("BERTH_HOST_ONLY", "leaked")
	rt := newTestRuntime(t)
	recorder := newLineRecorder()
	script := `printf '%s|%s|%s|%s|%s|%s\n' "$1" "$2" "$3" "$4" "${HOST:-0.0.0.0}" "${UNSET_NAME:-fallback}"; ` +
		`[ "$$" -gt 1 ] && echo "pid ok"; echo "quoted 'single' \"double\" \$HOST"; env | sort`
	spec := TaskSpec{
		ID: "env",
		Command: []string{"/bin/sh", "-c", script, "sh",
			"$HOST", "${PORT}", "--host=$HOST", "$GREETING"},
		Env:    map[string]string{"HOST": "127.1.2.3", "PORT": "9000", "GREETING": "hello"},
		Output: recorder.record,
	}
	if err := rt.Start(context.Background(), spec); err != nil {
		t.Fatalf("start: %v", err)
	}
	if event := waitEvent(t, rt, "env"); event.ExitCode != 0 {
		t.Fatalf("exit event = %+v", event)
	}
	stdout := recorder.stream(StreamStdout)
	want := []string{
		"127.1.2.3|9000|--host=$HOST|$GREETING|127.1.2.3|fallback",
		"pid ok",
		`quoted 'single' "double" $HOST`,
	}
	if len(stdout) < len(want) {
		t.Fatalf("stdout = %q, want it to start with %q", stdout, want)
	}
	for i, line := range want {
		if stdout[i] != line {
			t.Errorf("line %d = %q, want %q", i, stdout[i], line)
		}
	}
	for _, line := range stdout[len(want):] {
		if strings.HasPrefix(line, "BERTH_HOST_ONLY=") {
			t.Errorf("host variable visible to the task: %q", line)
		}
	}
	if !contains(stdout[len(want):], "GREETING=hello") {
		t.Errorf("task environment %q lacks GREETING=hello", stdout[len(want):])
	}
}

func TestSubstitute(t *testing.T) {
	env := map[string]string{"HOST": "127.1.0.9", "PORT": "8080", "OTHER": "x"}
	for arg, want := range map[string]string{
		"$HOST":            "127.1.0.9",
		"${HOST}":          "127.1.0.9",
		"$PORT":            "8080",
		"${PORT}":          "8080",
		"$OTHER":           "$OTHER",
		"${HOST:-0.0.0.0}": "${HOST:-0.0.0.0}",
		"${HOST":           "${HOST",
		"$HOST:9000":       "$HOST:9000",
		"$$":               "$$",
		"$?":               "$?",
		"echo $HOST":       "echo $HOST",
		"plain":            "plain",
		"$":                "$",
		"${}":              "${}",
	} {
		if got := substitute(arg, env); got != want {
			t.Errorf("substitute(%q) = %q, want %q", arg, got, want)
		}
	}
	if got := substitute("$PORT", map[string]string{}); got != "$PORT" {
		t.Errorf("substitute($PORT) without PORT = %q, want it untouched", got)
	}
}

func contains(values []string, want string) bool {
	for _, value := range values {
		if value == want {
			return true
		}
	}
	return false
}

func TestExitCodeIsReported(t *testing.T) {
	rt := newTestRuntime(t)
	if err := rt.Start(context.Background(), shellSpec("exit3", "exit 3", nil)); err != nil {
		t.Fatalf("start: %v", err)
	}
	event := waitEvent(t, rt, "exit3")
	if event.ExitCode != 3 || event.Signal != "" || event.Err != nil || event.Time.IsZero() {
		t.Fatalf("event = %+v, want exit code 3 without signal", event)
	}
}

func TestKilledTaskReportsSignalAndDockerExitCode(t *testing.T) {
	rt := newTestRuntime(t)
	recorder := newLineRecorder()
	if err := rt.Start(context.Background(), shellSpec("victim", "echo $$; exec sleep 60", recorder.record)); err != nil {
		t.Fatalf("start: %v", err)
	}
	pid, err := strconv.Atoi(recorder.firstStdoutLine(t))
	if err != nil {
		t.Fatalf("task did not print its pid: %v", err)
	}
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatalf("kill -9 %d: %v", pid, err)
	}
	event := waitEvent(t, rt, "victim")
	if event.Signal != "killed" || event.ExitCode != 137 {
		t.Fatalf("event = %+v, want signal killed and exit code 137", event)
	}
}

func TestStopTerminatesWholeProcessGroup(t *testing.T) {
	rt := newTestRuntime(t)
	recorder := newLineRecorder()
	// The child ignores nothing, but the leader waits on it: a stop that only
	// signalled the leader would leave the child behind.
	if err := rt.Start(context.Background(), shellSpec("group", "sleep 60 & echo $$; wait", recorder.record)); err != nil {
		t.Fatalf("start: %v", err)
	}
	pgid, err := strconv.Atoi(recorder.firstStdoutLine(t))
	if err != nil {
		t.Fatalf("task did not print its pid: %v", err)
	}
	if err := rt.Stop(context.Background(), "group", 5*time.Second); err != nil {
		t.Fatalf("stop: %v", err)
	}
	event := waitEvent(t, rt, "group")
	if event.Signal != "terminated" || event.ExitCode != 143 {
		t.Errorf("event = %+v, want signal terminated and exit code 143", event)
	}
	if !eventuallyGone(pgid) {
		t.Errorf("process group %d still has processes after Stop returned", pgid)
	}
	if err := rt.Stop(context.Background(), "group", time.Second); !errors.Is(err, ErrTaskNotFound) {
		t.Errorf("second stop = %v, want ErrTaskNotFound", err)
	}
}

func TestStopEscalatesToSIGKILL(t *testing.T) {
	rt := newTestRuntime(t)
	recorder := newLineRecorder()
	script := `trap "" TERM; echo ready; while :; do sleep 1; done`
	if err := rt.Start(context.Background(), shellSpec("stubborn", script, recorder.record)); err != nil {
		t.Fatalf("start: %v", err)
	}
	recorder.firstStdoutLine(t) // the trap is in place
	if err := rt.Stop(context.Background(), "stubborn", 50*time.Millisecond); err != nil {
		t.Fatalf("stop: %v", err)
	}
	event := waitEvent(t, rt, "stubborn")
	if event.Signal != "killed" || event.ExitCode != 137 {
		t.Fatalf("event = %+v, want signal killed and exit code 137", event)
	}
}

func TestMissingCommandIsCannotStartContainerError(t *testing.T) {
	rt := newTestRuntime(t)
	spec := TaskSpec{ID: "missing", Image: "example/api:1", Command: []string{"berth-no-such-binary"}, Env: map[string]string{"PATH": "/nonexistent"}}
	err := rt.Start(context.Background(), spec)
	var startErr *StartError
	if !errors.As(err, &startErr) {
		t.Fatalf("start error = %v, want a *StartError", err)
	}
	if !strings.HasPrefix(err.Error(), "CannotStartContainerError: ") || !strings.Contains(err.Error(), "berth-no-such-binary") {
		t.Errorf("message %q is not ECS-like", err)
	}
	event := waitEvent(t, rt, "missing")
	if !errors.As(event.Err, &startErr) || event.ExitCode != -1 {
		t.Errorf("event = %+v, want the start error and exit code -1", event)
	}
	if err := rt.Start(context.Background(), TaskSpec{ID: "nocommand"}); !errors.As(err, &startErr) {
		t.Errorf("start without command = %v, want a *StartError", err)
	}
	noDir := TaskSpec{ID: "nodir", Command: []string{"/bin/true"}, Dir: "/nonexistent/berth"}
	if err := rt.Start(context.Background(), noDir); !errors.As(err, &startErr) {
		t.Errorf("start in a missing directory = %v, want a *StartError", err)
	}
}

func TestDuplicateIDIsRefused(t *testing.T) {
	rt := newTestRuntime(t)
	if err := rt.Start(context.Background(), shellSpec("twin", "exec sleep 60", nil)); err != nil {
		t.Fatalf("start: %v", err)
	}
	err := rt.Start(context.Background(), shellSpec("twin", "exec sleep 60", nil))
	var startErr *StartError
	if err == nil || errors.As(err, &startErr) {
		t.Fatalf("second start = %v, want a plain refusal", err)
	}
}

func TestCloseLeavesNoProcess(t *testing.T) {
	rt := NewProcess(ProcessOptions{Logf: t.Logf, CloseGrace: 100 * time.Millisecond})
	var groups []int
	scripts := map[string]string{
		"polite":   "sleep 60 & echo $$; wait",
		"stubborn": `trap "" TERM; sleep 60 & echo $$; while :; do sleep 1; done`,
	}
	for id, script := range scripts {
		recorder := newLineRecorder()
		if err := rt.Start(context.Background(), shellSpec(id, script, recorder.record)); err != nil {
			t.Fatalf("start %s: %v", id, err)
		}
		pgid, err := strconv.Atoi(recorder.firstStdoutLine(t))
		if err != nil {
			t.Fatalf("task %s did not print its pid: %v", id, err)
		}
		groups = append(groups, pgid)
	}
	if err := rt.Close(context.Background()); err != nil {
		t.Fatalf("close: %v", err)
	}
	for _, pgid := range groups {
		if !eventuallyGone(pgid) {
			t.Errorf("process group %d outlived Close", pgid)
		}
	}
	ended := map[string]bool{}
	for event := range rt.Events() {
		ended[event.ID] = true
	}
	if !ended["polite"] || !ended["stubborn"] {
		t.Errorf("events before the channel closed cover %v, want both tasks", ended)
	}
	if err := rt.Start(context.Background(), shellSpec("late", "true", nil)); !errors.Is(err, ErrClosed) {
		t.Errorf("start after close = %v, want ErrClosed", err)
	}
}

func TestProcessImageTaskSpec(t *testing.T) {
	image := ProcessImage{Name: "api:dev", Dir: "/srv", Command: []string{"uvicorn", "app:app"}, Env: map[string]string{"A": "image", "B": "image"}}
	spec := image.TaskSpec("task/web", nil, map[string]string{"B": "task"}, nil)
	if spec.Image != "api:dev" || spec.Dir != "/srv" || strings.Join(spec.Command, " ") != "uvicorn app:app" {
		t.Errorf("spec = %+v, want the image's command and directory", spec)
	}
	if spec.Env["A"] != "image" || spec.Env["B"] != "task" {
		t.Errorf("env = %v, want the task's values over the image's", spec.Env)
	}
	if override := image.TaskSpec("t", []string{"python", "-m", "http.server"}, nil, nil); override.Command[0] != "python" {
		t.Errorf("command = %q, want the task's command to override the image's", override.Command)
	}
}
