package runtime

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"sync"
	"time"
)

// Mode chooses which runtime runs a task's containers.
type Mode string

// The modes of `berth local --runtime`.
const (
	// ModeAuto runs an image the Docker Engine has (or that the local ECR
	// holds) as a container, else its process image, else fails the task
	// with CannotPullContainerError.
	ModeAuto Mode = "auto"
	// ModeProcess runs process images only.
	ModeProcess Mode = "process"
	// ModeDocker runs containers only.
	ModeDocker Mode = "docker"
)

// ParseMode reads a --runtime value.
func ParseMode(s string) (Mode, error) {
	switch Mode(s) {
	case ModeAuto, ModeProcess, ModeDocker:
		return Mode(s), nil
	}
	return "", fmt.Errorf("unknown runtime %q: want auto, process or docker", s)
}

// Selector is the Runtime the local cloud hands its tasks to: it runs
// each container with the process runtime or the Docker runtime, as its
// Mode and the image decide, and reports both runtimes' events as one.
type Selector struct {
	mode    Mode
	process *Process
	docker  *Docker // nil: no Engine reachable
	events  *eventQueue
	relays  sync.WaitGroup

	mu     sync.Mutex
	chosen map[string]Runtime // by task id, from Resolve or Start until its end
	closed bool
}

var _ Runtime = (*Selector)(nil)

// NewSelector combines the runtimes; docker is nil when no Engine is
// reachable, which ModeDocker refuses.
func NewSelector(mode Mode, process *Process, docker *Docker, logf func(string, ...any)) (*Selector, error) {
	if mode == ModeDocker && docker == nil {
		return nil, errors.New("--runtime docker needs a Docker Engine (DOCKER_HOST, or the default socket /var/run/docker.sock)")
	}
	if logf == nil {
		logf = func(string, ...any) {}
	}
	s := &Selector{mode: mode, process: process, docker: docker, events: newEventQueue(256, logf), chosen: map[string]Runtime{}}
	s.relay(process.Events())
	if docker != nil {
		s.relay(docker.Events())
	}
	go s.events.run()
	return s, nil
}

func (s *Selector) relay(events <-chan TaskEvent) {
	s.relays.Add(1)
	go func() {
		defer s.relays.Done()
		for ev := range events {
			s.mu.Lock()
			delete(s.chosen, ev.ID)
			s.mu.Unlock()
			s.events.push(ev)
		}
	}()
}

// Mode is the selector's mode.
func (s *Selector) Mode() Mode { return s.mode }

// Docker is the Docker runtime, nil when no Engine was reachable.
func (s *Selector) Docker() *Docker { return s.docker }

// Process is the process runtime.
func (s *Selector) Process() *Process { return s.process }

// Resolver is implemented by runtimes that find (or pull) an image
// themselves; Resolve says which ones a runtime cannot run.
type Resolver interface {
	// Resolve makes the task's image ready to start, or returns a
	// *PullError saying how to make it runnable.
	Resolve(ctx context.Context, spec TaskSpec) error
}

// Resolve asks rt whether it can run spec: a runtime that is no Resolver
// runs process images only.
func Resolve(ctx context.Context, rt Runtime, spec TaskSpec) error {
	if r, ok := rt.(Resolver); ok {
		return r.Resolve(ctx, spec)
	}
	if spec.ProcessImage {
		return nil
	}
	return &PullError{Image: spec.Image, Fix: ProcessImageFix(spec.Image)}
}

// Resolve picks the runtime of a task and readies its image (a pull from
// the local ECR); Start then uses that runtime.
func (s *Selector) Resolve(ctx context.Context, spec TaskSpec) error {
	rt, err := s.choose(ctx, spec)
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.chosen[spec.ID] = rt
	s.mu.Unlock()
	return nil
}

func (s *Selector) choose(ctx context.Context, spec TaskSpec) (Runtime, error) {
	if s.mode != ModeProcess && s.docker != nil && spec.Container != nil {
		err := s.docker.Resolve(ctx, spec.Container)
		if err == nil {
			return s.docker, nil
		}
		var pull *PullError
		if !errors.As(err, &pull) || s.mode == ModeDocker || !spec.ProcessImage {
			if errors.As(err, &pull) {
				pull.Fix = s.fix(spec.Image, pull.Fix)
			}
			return nil, err
		}
	}
	if s.mode != ModeDocker && spec.ProcessImage {
		return s.process, nil
	}
	return nil, &PullError{Image: spec.Image, Fix: s.fix(spec.Image, "")}
}

// fix is what a CannotPullContainerError tells the user to do in this mode.
func (s *Selector) fix(image, why string) string {
	docker := fmt.Sprintf("Build or load it into the Docker Engine (`docker build -t %s .`) or push it to a repository of the local ECR", image)
	if why != "" {
		docker = why + " " + docker
	}
	switch {
	case s.mode == ModeProcess:
		return ProcessImageFix(image) + " (or run the local cloud with `--runtime auto` to run Docker images)"
	case s.mode == ModeDocker:
		return docker + "."
	case s.docker == nil:
		return ProcessImageFix(image) + ", or start a Docker Engine that has the image (none is reachable)"
	default:
		return docker + ", or register a process image: `berth local image add " + image + " --dir DIR -- COMMAND...`."
	}
}

// Start starts the task in the runtime Resolve chose, or chooses now.
func (s *Selector) Start(ctx context.Context, spec TaskSpec) error {
	s.mu.Lock()
	rt := s.chosen[spec.ID]
	s.mu.Unlock()
	if rt == nil {
		var err error
		if rt, err = s.choose(ctx, spec); err != nil {
			startErr := &StartError{TaskID: spec.ID, Image: spec.Image, Err: err}
			s.events.push(TaskEvent{ID: spec.ID, ExitCode: -1, Err: startErr, Time: time.Now()})
			return startErr
		}
		s.mu.Lock()
		s.chosen[spec.ID] = rt
		s.mu.Unlock()
	}
	return rt.Start(ctx, spec)
}

// Stop stops the task in the runtime that runs it.
func (s *Selector) Stop(ctx context.Context, id string, grace time.Duration) error {
	s.mu.Lock()
	rt := s.chosen[id]
	s.mu.Unlock()
	if rt == nil {
		return fmt.Errorf("stop task %s: %w", id, ErrTaskNotFound)
	}
	return rt.Stop(ctx, id, grace)
}

// Events reports the end of every task of either runtime.
func (s *Selector) Events() <-chan TaskEvent { return s.events.out }

// TaskAddresses is the process runtime's, which the Docker runtime shares.
func (s *Selector) TaskAddresses() netip.Prefix { return s.process.TaskAddresses() }

// CheckAddress is the process runtime's.
func (s *Selector) CheckAddress(addr netip.Addr, ports []int) error {
	return s.process.CheckAddress(addr, ports)
}

// Stats is what the task uses, from the runtime that runs it: a process
// task's /proc; a container's is not measured yet (ErrTaskNotFound).
func (s *Selector) Stats(id string) (TaskStats, error) {
	s.mu.Lock()
	rt := s.chosen[id]
	s.mu.Unlock()
	if reader, ok := rt.(StatsReader); ok {
		return reader.Stats(id)
	}
	return TaskStats{}, fmt.Errorf("stats of task %s: %w", id, ErrTaskNotFound)
}

var _ StatsReader = (*Selector)(nil)

// SetEgress filters the task at address in whichever runtime runs it.
func (s *Selector) SetEgress(address string, egress *Egress) error {
	err := s.process.SetEgress(address, egress)
	if errors.Is(err, ErrTaskNotFound) && s.docker != nil {
		return s.docker.SetEgress(address, egress)
	}
	return err
}

var _ EgressEnforcer = (*Selector)(nil)

// PID is a process task's pid.
func (s *Selector) PID(id string) (int, bool) { return s.process.PID(id) }

// Close stops every task of both runtimes and closes Events; later calls
// do nothing.
func (s *Selector) Close(ctx context.Context) error {
	s.mu.Lock()
	closed := s.closed
	s.closed = true
	s.mu.Unlock()
	if closed {
		return nil
	}
	var errs []error
	if s.docker != nil {
		errs = append(errs, s.docker.Close(ctx))
	}
	errs = append(errs, s.process.Close(ctx))
	s.relays.Wait()
	s.events.close()
	return errors.Join(errs...)
}
