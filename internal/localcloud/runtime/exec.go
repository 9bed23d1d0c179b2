package runtime

import (
	"context"
	"errors"
	"fmt"
	"io"
	"syscall"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/pkg/stdcopy"
)

// Execer runs a command beside a running task's container, as a container
// health check does: in the container's own view of the world (its
// filesystem or directory, its environment, its network).
type Execer interface {
	// Exec runs argv and returns its exit code once it ends. When ctx ends
	// first (a health check's timeout) the command is killed where the
	// runtime can, and ctx's error is returned. A task that is not running
	// is ErrTaskNotFound.
	Exec(ctx context.Context, id string, argv []string) (exitCode int, err error)
}

var (
	_ Execer = (*Process)(nil)
	_ Execer = (*Docker)(nil)
	_ Execer = (*Selector)(nil)
)

// Exec runs argv as a process of the task: its environment, its directory,
// its network namespace, its own process group (killed whole at ctx's end).
func (p *Process) Exec(ctx context.Context, id string, argv []string) (int, error) {
	p.mu.Lock()
	task, ok := p.tasks[id]
	running := ok && !task.leaderExited
	p.mu.Unlock()
	if !running {
		return -1, fmt.Errorf("exec in task %s: %w", id, ErrTaskNotFound)
	}
	cmd, err := buildCommand(TaskSpec{Command: argv, Env: task.spec.Env, Dir: task.spec.Dir})
	if err != nil {
		return -1, fmt.Errorf("exec in task %s: %w", id, err)
	}
	if task.network != nil {
		err = inNetns(task.network.ns, cmd.Start)
	} else {
		err = cmd.Start()
	}
	if err != nil {
		if cmd.Process != nil {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
		return -1, fmt.Errorf("exec in task %s: %w", id, err)
	}
	waited := make(chan error, 1)
	go func() { waited <- cmd.Wait() }()
	select {
	case err = <-waited:
	case <-ctx.Done():
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-waited
		return -1, fmt.Errorf("exec in task %s: %w", id, ctx.Err())
	}
	// A command the group leader left behind must not outlive its check.
	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	if cmd.ProcessState == nil {
		return -1, fmt.Errorf("exec in task %s: %w", id, err)
	}
	return cmd.ProcessState.ExitCode(), nil
}

// Exec runs argv in the task's container through the Engine, as `docker
// exec` does, and waits for its exit code.
func (d *Docker) Exec(ctx context.Context, id string, argv []string) (int, error) {
	containerID, ok := d.ContainerID(id)
	if !ok {
		return -1, fmt.Errorf("exec in task %s: %w", id, ErrTaskNotFound)
	}
	created, err := d.client.ContainerExecCreate(ctx, containerID, container.ExecOptions{Cmd: argv, AttachStdout: true, AttachStderr: true})
	if err != nil {
		return -1, fmt.Errorf("exec in task %s: %w", id, err)
	}
	attached, err := d.client.ContainerExecAttach(ctx, created.ID, container.ExecAttachOptions{})
	if err != nil {
		return -1, fmt.Errorf("exec in task %s: %w", id, err)
	}
	copied := make(chan error, 1)
	go func() {
		// The output ends when the command does; a health check's output
		// is not the container's log.
		_, err := stdcopy.StdCopy(io.Discard, io.Discard, attached.Reader)
		copied <- err
	}()
	select {
	case <-copied:
		attached.Close()
	case <-ctx.Done():
		attached.Close()
		<-copied
		return -1, fmt.Errorf("exec in task %s: %w", id, ctx.Err())
	}
	inspected, err := d.client.ContainerExecInspect(ctx, created.ID)
	if err != nil {
		return -1, fmt.Errorf("exec in task %s: %w", id, err)
	}
	if inspected.Running {
		return -1, fmt.Errorf("exec in task %s: its output ended before it did", id)
	}
	return inspected.ExitCode, nil
}

// Exec runs argv in the runtime that runs the task.
func (s *Selector) Exec(ctx context.Context, id string, argv []string) (int, error) {
	s.mu.Lock()
	rt := s.chosen[id]
	s.mu.Unlock()
	execer, ok := rt.(Execer)
	if !ok {
		return -1, fmt.Errorf("exec in task %s: %w", id, ErrTaskNotFound)
	}
	return execer.Exec(ctx, id, argv)
}

// ExecIn runs argv in rt's task when rt can run commands in tasks.
func ExecIn(ctx context.Context, rt Runtime, id string, argv []string) (int, error) {
	execer, ok := rt.(Execer)
	if !ok {
		return -1, errors.New("this runtime cannot run commands in its tasks")
	}
	return execer.Exec(ctx, id, argv)
}
