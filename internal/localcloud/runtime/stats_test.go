package runtime

import (
	"context"
	"errors"
	"testing"
	"time"
)

// A task's stats cover its whole process group: a child that burns CPU
// and holds memory shows in its task's CPU time and resident memory.
func TestStatsCoverTheProcessGroup(t *testing.T) {
	rt := newTestRuntime(t)
	// The child spins for at most 5 s of wall time, then the task sleeps.
	spec := shellSpec("busy/app", `sh -c 'end=$(($(date +%s)+5)); while [ $(date +%s) -lt $end ]; do :; done' & exec sleep 60`, nil)
	if err := rt.Start(context.Background(), spec); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(waitLimit)
	var stats TaskStats
	for {
		var err error
		stats, err = rt.Stats("busy/app")
		if err != nil {
			t.Fatalf("Stats: %v", err)
		}
		if stats.CPU >= 200*time.Millisecond {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the task's CPU time stayed at %v", stats.CPU)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if stats.MemoryBytes == 0 {
		t.Error("a running task uses no memory")
	}
	if err := rt.Stop(context.Background(), "busy/app", time.Second); err != nil {
		t.Fatal(err)
	}
	if _, err := rt.Stats("busy/app"); !errors.Is(err, ErrTaskNotFound) {
		t.Errorf("Stats of a stopped task: %v, want ErrTaskNotFound", err)
	}
}
