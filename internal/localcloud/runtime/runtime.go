// Package runtime runs the containers of local-cloud ECS tasks. The ECS
// backend and its controllers drive it through the Runtime interface; it
// knows nothing of the AWS wire protocol or of the store.
package runtime

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"time"
)

// Runtime starts and stops the containers of tasks and reports how they end.
type Runtime interface {
	// Start returns once the process has started, or failed to start. A
	// failure to start is returned as a *StartError and is also published on
	// Events, so a controller that only watches Events sees every task end.
	Start(ctx context.Context, spec TaskSpec) error
	// Stop sends SIGTERM to the task's whole process group, SIGKILL after
	// grace, and returns once the task is gone. A task that has already
	// exited is reported as ErrTaskNotFound.
	Stop(ctx context.Context, id string, grace time.Duration) error
	// Events reports every task end. It is buffered and the runtime never
	// blocks on a slow reader.
	Events() <-chan TaskEvent
	// TaskAddresses is the range the caller gives tasks their Address from.
	TaskAddresses() netip.Prefix
	// CheckAddress says whether a new task can take addr and listen on
	// ports there: nil when it can. A *WildcardListenError means a port is
	// taken on every address, so no other address will do either.
	CheckAddress(addr netip.Addr, ports []int) error
}

// TaskSpec describes one container of one task.
type TaskSpec struct {
	// ID is unique among running tasks (ECS task id + container name).
	ID string
	// Image is only used in messages; ProcessImage maps images to commands.
	Image string
	// Command is the argv, run as given but for one convenience: an
	// argument that is exactly $HOST, ${HOST}, $PORT or ${PORT} (see
	// SubstitutedNames) becomes that variable's value in Env. Nothing else
	// is expanded, so "sh -c" scripts see their own ${VAR:-default}, $$ and
	// quoting, and expand variables from Env themselves.
	Command []string
	Dir     string
	// Address is the task's own IPv4 address, from TaskAddresses: the
	// address it is reachable at. The containers of one task share it.
	// Where the runtime isolates tasks' networks, the task runs in its own
	// network namespace with this address on its eth0; otherwise it shares
	// the host's network and is expected to listen on this address only.
	// Empty: the host's network.
	Address string
	// Egress filters what the task may open, from its start, where the
	// runtime isolates its network (nil: everything; see egress.go). The
	// first container of a task sets it for all; SetEgress changes it.
	Egress *Egress
	// Env is the whole environment of the process: nothing is inherited from
	// the host, so the caller adds PATH, HOME and the like when it wants them.
	// A bare command name is looked up in Env's PATH, or in the host's PATH
	// when Env has none.
	Env map[string]string
	// Output receives every stdout and stderr line in order per stream. Calls
	// for one task never overlap, so Output need not be safe for concurrent
	// use by one task; lines longer than the runtime's limit arrive split.
	Output func(line OutputLine)

	// ProcessImage says that Command, Dir and Env come from a registered
	// process image, so the process runtime can run the task.
	ProcessImage bool
	// Container is the container definition as a container runtime runs
	// it; nil when the caller knows only the process (the process runtime
	// needs nothing more).
	Container *ContainerSpec
}

// ContainerSpec is one container of a task definition, as a container
// runtime (Docker) runs it.
type ContainerSpec struct {
	// Image is the reference as the task definition has it.
	Image string
	// EntryPoint and Command override the image's ENTRYPOINT and CMD when
	// set, as in the task definition.
	EntryPoint []string
	Command    []string
	// Env is what ECS gives a container (its region, metadata endpoint,
	// the definition's environment), without the host's PATH or HOME: the
	// image's own environment provides those.
	Env        map[string]string
	User       string
	WorkingDir string
	// CPUShares is the container's cpu units (relative weight); NanoCPUs
	// the task's cpu as a hard limit (1024 units = one CPU); 0: none.
	CPUShares int64
	NanoCPUs  int64
	// MemoryBytes is the hard limit, MemoryReservationBytes the soft one.
	MemoryBytes            int64
	MemoryReservationBytes int64
	Ulimits                []Ulimit
	// Ports are the container ports its port mappings name.
	Ports []int
	// Labels are the definition's dockerLabels.
	Labels map[string]string
	// Mounts are its mount points.
	Mounts []Mount
	// Account and Region are the task's, so an image of that region's
	// local ECR can be pulled for it.
	Account, Region string
}

// Mount is a mount point of a container: a host directory (a task
// volume's host sourcePath), or, without Source, a volume of the
// container's own that goes with it.
type Mount struct {
	Source   string
	Target   string
	ReadOnly bool
}

// Ulimit is a resource limit of a container (nofile, nproc, ...).
type Ulimit struct {
	Name       string
	Soft, Hard int64
}

// Stream names used in OutputLine.Stream.
const (
	StreamStdout = "stdout"
	StreamStderr = "stderr"
)

// OutputLine is one line a task wrote, without its line ending.
type OutputLine struct {
	TaskID string
	Stream string
	Time   time.Time
	Text   string
}

// TaskEvent reports the end of a task.
//
// ExitCode follows the Docker convention ECS reports: a process killed by a
// signal exits with 128+signal (137 for SIGKILL, 143 for SIGTERM) and Signal
// holds the signal's name as Go prints it ("killed", "terminated"). When the
// task could not start, Err is a *StartError and ExitCode is -1. When the
// runtime stopped the task itself, Err says why (a *WildcardListenError).
type TaskEvent struct {
	ID       string
	ExitCode int
	Signal   string
	Err      error
	Time     time.Time
}

// ErrTaskNotFound is returned by Stop for a task that is not running, which
// includes one that has already exited: callers may treat it as "stopped".
var ErrTaskNotFound = errors.New("task not found")

// ErrClosed is returned by Start once the runtime is closed.
var ErrClosed = errors.New("runtime closed")

// StartError says why a container could not start. Its message reads like
// the stoppedReason ECS gives for the same failure.
type StartError struct {
	TaskID string
	Image  string
	Err    error
}

func (e *StartError) Error() string {
	var pull *PullError
	if errors.As(e.Err, &pull) {
		return pull.Error()
	}
	return fmt.Sprintf("CannotStartContainerError: image %q: %v", e.Image, e.Err)
}

func (e *StartError) Unwrap() error { return e.Err }

// PullError says that no runtime has the image; its message reads like
// ECS's CannotPullContainerError and says how to make the image runnable.
type PullError struct {
	Image string
	// Fix is what the user can do, in a sentence or two.
	Fix string
}

func (e *PullError) Error() string {
	return fmt.Sprintf("CannotPullContainerError: pull image manifest has been retried 1 time(s): failed to resolve ref %s: not found. %s", NormalizeImage(e.Image), e.Fix)
}

// ProcessImageFix is how to make an image runnable as a process.
func ProcessImageFix(image string) string {
	return fmt.Sprintf("The local cloud runs images as processes: register this one with `berth local image add %s --dir DIR -- COMMAND...`", image)
}

// ProcessImage says how to run an image as a local process instead of a
// container; the registry mapping image names to ProcessImages lives with
// the local cloud's configuration.
type ProcessImage struct {
	Name    string
	Dir     string
	Command []string
	Env     map[string]string
}

// TaskSpec builds the spec of a container running this image. As with a
// container image, a non-empty command overrides the image's command, and
// the task's environment overrides the image's.
func (img ProcessImage) TaskSpec(id string, command []string, env map[string]string, output func(OutputLine)) TaskSpec {
	merged := make(map[string]string, len(img.Env)+len(env))
	for name, value := range img.Env {
		merged[name] = value
	}
	for name, value := range env {
		merged[name] = value
	}
	argv := img.Command
	if len(command) > 0 {
		argv = command
	}
	return TaskSpec{
		ID:      id,
		Image:   img.Name,
		Command: append([]string(nil), argv...),
		Dir:     img.Dir,
		Env:     merged,
		Output:  output,

		ProcessImage: true,
	}
}

// NormalizeImage gives an image reference its implicit ":latest" tag so that
// "fastapi-dev" and "fastapi-dev:latest" name the same process image, as
// they name the same container image.
func NormalizeImage(ref string) string {
	ref = strings.TrimSpace(ref)
	if strings.Contains(ref, "@") {
		return ref
	}
	last := ref[strings.LastIndex(ref, "/")+1:]
	if !strings.Contains(last, ":") {
		return ref + ":latest"
	}
	return ref
}
