package runtime

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Exec runs a command as a health check does: with the task's environment,
// reporting its exit code; at its context's end its whole group is killed.
func TestExecRunsBesideTheTask(t *testing.T) {
	rt := newTestRuntime(t)
	spec := shellSpec("checked", "exec sleep 60", nil)
	spec.Env["MARK"] = "from-the-task"
	if err := rt.Start(context.Background(), spec); err != nil {
		t.Fatalf("start: %v", err)
	}
	code, err := rt.Exec(context.Background(), "checked", []string{"/bin/sh", "-c", `test "$MARK" = from-the-task && exit 7`})
	if err != nil || code != 7 {
		t.Errorf("Exec = %d, %v; want exit code 7 (it saw the task's environment)", code, err)
	}

	pidFile := filepath.Join(t.TempDir(), "pid")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if _, err := rt.Exec(ctx, "checked", []string{"/bin/sh", "-c", "echo $$ > " + pidFile + "; sleep 60 & wait"}); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Exec of a hung command = %v, want its deadline", err)
	}
	data, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatalf("the command did not run: %v", err)
	}
	pgid, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil {
		t.Fatal(err)
	}
	if !eventuallyGone(pgid) {
		t.Errorf("the timed-out command's group %d is still running", pgid)
	}

	if _, err := rt.Exec(context.Background(), "no-such-task", []string{"/bin/true"}); !errors.Is(err, ErrTaskNotFound) {
		t.Errorf("Exec in no task = %v, want ErrTaskNotFound", err)
	}
}
