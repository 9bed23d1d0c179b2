package runtime

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// ProcessOptions tunes a Process runtime; the zero value is usable.
type ProcessOptions struct {
	// EventBuffer is the capacity of the Events channel (default 256). Events
	// beyond it queue in memory rather than block the runtime.
	EventBuffer int
	// MaxLineBytes is the longest line handed to Output in one piece
	// (default 16 KiB); longer lines are split.
	MaxLineBytes int
	// CloseGrace is how long Close waits after SIGTERM before SIGKILL
	// (default 10 s), bounded by Close's context.
	CloseGrace time.Duration
	// OutputDrainTimeout bounds how long a task's end waits for its output
	// pipes to close after the process group is killed (default 2 s). Only a
	// process that escaped the group (setsid) keeps them open that long.
	OutputDrainTimeout time.Duration
	// Logf receives diagnostics; nil discards them.
	Logf func(format string, args ...any)
	// SharedNetwork runs every task in the host's network namespace even
	// where per-task namespaces are possible (see network.go). Tasks then
	// get addresses from LoopbackPool, and a task that listens on a
	// wildcard address is stopped with a WildcardListenError.
	SharedNetwork bool
	// LoopbackServices lists what a task in its own namespace finds on its
	// own 127.0.0.1 (the local cloud's endpoint); it is asked at each new
	// namespace.
	LoopbackServices func() []LoopbackService
}

// Process runs each task as a local process in its own process group, so
// that stopping a task takes its children (uvicorn workers, shells) with it.
type Process struct {
	opts   ProcessOptions
	events *eventQueue

	// host is the netlink socket of the host's namespace; nil when tasks
	// share the host's network.
	host       *netlinkConn
	ownerAlias string
	stopWatch  chan struct{}
	watching   sync.WaitGroup

	mu       sync.Mutex
	tasks    map[string]*processTask
	networks map[netip.Addr]*taskNetwork
	closed   bool
}

var _ Runtime = (*Process)(nil)

type processTask struct {
	spec TaskSpec
	pid  int
	// leaderExited is set under Process.mu before the leader is reaped, so a
	// signal is never sent to a process group id that could be reused.
	leaderExited bool
	// done is closed once the task is gone and its event is queued.
	done chan struct{}
	// network is the task's own namespace, nil in the host's.
	network *taskNetwork
	// stopErr is why the runtime itself stopped the task, if it did.
	stopErr error
}

// NewProcess returns a runtime that runs tasks as local processes.
func NewProcess(opts ProcessOptions) *Process {
	if opts.EventBuffer <= 0 {
		opts.EventBuffer = 256
	}
	if opts.MaxLineBytes <= 0 {
		opts.MaxLineBytes = 16 << 10
	}
	if opts.CloseGrace <= 0 {
		opts.CloseGrace = 10 * time.Second
	}
	if opts.OutputDrainTimeout <= 0 {
		opts.OutputDrainTimeout = 2 * time.Second
	}
	if opts.Logf == nil {
		opts.Logf = func(string, ...any) {}
	}
	p := &Process{
		opts:      opts,
		events:    newEventQueue(opts.EventBuffer, opts.Logf),
		tasks:     make(map[string]*processTask),
		networks:  make(map[netip.Addr]*taskNetwork),
		stopWatch: make(chan struct{}),
	}
	if !opts.SharedNetwork {
		if err := p.enableNamespaces(); err != nil {
			opts.Logf("runtime: tasks share the host's network (per-task network namespaces need root): %v", err)
		}
	}
	if p.host == nil {
		p.watching.Add(1)
		go func() {
			defer p.watching.Done()
			p.watchWildcards(p.stopWatch)
		}()
	}
	go p.events.run()
	return p
}

// enableNamespaces turns on per-task network namespaces when this process
// may create them, and clears what killed local clouds left behind.
func (p *Process) enableNamespaces() error {
	host, err := openNetlink()
	if err != nil {
		return err
	}
	if err := probeNamespaces(host); err != nil {
		host.Close()
		return err
	}
	start, err := processStart(os.Getpid())
	if err != nil {
		host.Close()
		return err
	}
	p.host = host
	p.ownerAlias = fmt.Sprintf(ownerAliasForm, os.Getpid(), start)
	p.removeLeftoverLinks()
	return nil
}

// Isolated reports whether each task with an address runs in its own
// network namespace.
func (p *Process) Isolated() bool { return p.host != nil }

// TaskAddresses is the range task addresses come from.
func (p *Process) TaskAddresses() netip.Prefix {
	if p.Isolated() {
		return NamespacePool
	}
	return LoopbackPool
}

// CheckAddress says whether a new task can take addr and listen on ports
// there. In its own namespace every port is free, so only an address some
// other local cloud on this machine routes is refused; on the host's
// network each port must be free on addr, and a *WildcardListenError says
// that one of them is taken on every address.
func (p *Process) CheckAddress(addr netip.Addr, ports []int) error {
	if !p.TaskAddresses().Contains(addr) {
		return fmt.Errorf("%s is not in the task address range %s", addr, p.TaskAddresses())
	}
	if p.Isolated() {
		if addr == NamespaceGateway {
			return fmt.Errorf("%s is the host's end of every task link", addr)
		}
		routed, err := routedAddresses()
		if err != nil {
			return fmt.Errorf("reading the routing table: %w", err)
		}
		if routed[addr] {
			return fmt.Errorf("%s is in use by another local cloud on this machine", addr)
		}
		return nil
	}
	for _, port := range ports {
		ln, err := net.Listen("tcp", net.JoinHostPort(addr.String(), strconv.Itoa(port)))
		if err != nil {
			if holder := p.wildcardHolder(port); holder != nil {
				return holder
			}
			return fmt.Errorf("port %d on %s: %w", port, addr, err)
		}
		ln.Close()
	}
	return nil
}

// SetEgress filters the outbound connections of the task at address in
// its namespace (egress.go).
func (p *Process) SetEgress(address string, egress *Egress) error {
	return setEgress(p.Isolated(), &p.mu, address, egress, func(addr netip.Addr) *taskNetwork { return p.networks[addr] })
}

var _ EgressEnforcer = (*Process)(nil)

// PID returns the process id of a running task, like a container's PID on
// its host: for operators and for tests that kill tasks from outside.
func (p *Process) PID(id string) (int, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	task, ok := p.tasks[id]
	if !ok || task.leaderExited {
		return 0, false
	}
	return task.pid, true
}

// Events reports every task end; the channel is closed by Close.
func (p *Process) Events() <-chan TaskEvent { return p.events.out }

// Start starts the task's process and returns once it runs.
func (p *Process) Start(ctx context.Context, spec TaskSpec) error {
	if spec.ID == "" {
		return errors.New("start task: empty task id")
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("start task %s: %w", spec.ID, err)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return fmt.Errorf("start task %s: %w", spec.ID, ErrClosed)
	}
	if _, running := p.tasks[spec.ID]; running {
		return fmt.Errorf("start task %s: a task with this id is already running", spec.ID)
	}

	cmd, err := buildCommand(spec)
	if err != nil {
		return p.failStart(spec, err)
	}
	stdoutRead, stdoutWrite, err := os.Pipe()
	if err != nil {
		return p.failStart(spec, fmt.Errorf("stdout pipe: %w", err))
	}
	stderrRead, stderrWrite, err := os.Pipe()
	if err != nil {
		closeAll(stdoutRead, stdoutWrite)
		return p.failStart(spec, fmt.Errorf("stderr pipe: %w", err))
	}
	// Our own pipes rather than cmd.StdoutPipe: children of the task may keep
	// writing after the leader exits, and Wait must not cut them off.
	cmd.Stdout = stdoutWrite
	cmd.Stderr = stderrWrite
	var network *taskNetwork
	if p.Isolated() && spec.Address != "" {
		network, err = p.acquireNetwork(spec.Address, spec.Egress)
		if err != nil {
			closeAll(stdoutRead, stdoutWrite, stderrRead, stderrWrite)
			return p.failStart(spec, err)
		}
	}
	var startErr error
	if network != nil {
		// The child is forked from a thread in the task's namespace, so it
		// starts there: exec cannot enter an existing namespace by itself.
		startErr = inNetns(network.ns, cmd.Start)
	} else {
		startErr = cmd.Start()
	}
	closeAll(stdoutWrite, stderrWrite)
	if startErr != nil {
		closeAll(stdoutRead, stderrRead)
		if cmd.Process != nil {
			// Started, but its thread could not leave the namespace and is
			// gone, so Pdeathsig is on its way: reap it.
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
		if network != nil && p.unrefNetwork(network) {
			p.destroyNetwork(network)
		}
		return p.failStart(spec, startErr)
	}

	task := &processTask{spec: spec, pid: cmd.Process.Pid, done: make(chan struct{}), network: network}
	p.tasks[spec.ID] = task
	go p.supervise(task, cmd, stdoutRead, stderrRead)
	return nil
}

func (p *Process) failStart(spec TaskSpec, cause error) error {
	err := &StartError{TaskID: spec.ID, Image: spec.Image, Err: cause}
	p.events.push(TaskEvent{ID: spec.ID, ExitCode: -1, Err: err, Time: time.Now()})
	return err
}

func closeAll(files ...*os.File) {
	for _, f := range files {
		_ = f.Close()
	}
}

// buildCommand expands the argv from the task's own environment and resolves
// the executable the way a container's PATH would.
func buildCommand(spec TaskSpec) (*exec.Cmd, error) {
	if len(spec.Command) == 0 {
		return nil, errors.New("no command specified")
	}
	argv := make([]string, len(spec.Command))
	for i, arg := range spec.Command {
		argv[i] = substitute(arg, spec.Env)
	}
	path, err := resolveExecutable(argv[0], spec.Dir, spec.Env)
	if err != nil {
		return nil, err
	}
	env := make([]string, 0, len(spec.Env))
	for name, value := range spec.Env {
		env = append(env, name+"="+value)
	}
	sort.Strings(env)
	cmd := &exec.Cmd{
		Path: path,
		Args: argv,
		// A non-nil empty slice: nil would inherit the host environment.
		Env: env,
		Dir: spec.Dir,
		// Pdeathsig: a task must not outlive a local cloud that was killed
		// with SIGKILL, or it would keep its address and port busy.
		SysProcAttr: &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL},
	}
	return cmd, nil
}

// SubstitutedNames are the only variables berth replaces in a command, and
// only in an argument that is exactly "$NAME" or "${NAME}": HOST is the
// task's own address, PORT its first container port. A container runtime
// substitutes nothing, so everything else reaches the program as written
// (a shell in the command expands "${HOST:-0.0.0.0}", "$$" or "$?" itself,
// from the same environment).
var SubstitutedNames = []string{"HOST", "PORT"}

// substitute returns the value of a whole-argument $HOST, ${HOST}, $PORT or
// ${PORT} from env; any other argument, and a name env does not set, passes
// through untouched.
func substitute(arg string, env map[string]string) string {
	name, ok := strings.CutPrefix(arg, "$")
	if !ok {
		return arg
	}
	if inner, braced := strings.CutPrefix(name, "{"); braced {
		if name, ok = strings.CutSuffix(inner, "}"); !ok {
			return arg
		}
	}
	if !slices.Contains(SubstitutedNames, name) {
		return arg
	}
	if value, set := env[name]; set {
		return value
	}
	return arg
}

func resolveExecutable(name, dir string, env map[string]string) (string, error) {
	if name == "" {
		return "", errors.New(`exec: "": executable file not found in $PATH`)
	}
	if strings.Contains(name, "/") {
		path := name
		if !filepath.IsAbs(path) && dir != "" {
			path = filepath.Join(dir, path)
		}
		if err := checkExecutable(path); err != nil {
			return "", fmt.Errorf("exec: %q: %w", name, err)
		}
		return filepath.Abs(path)
	}
	searchPath, ok := env["PATH"]
	if !ok {
		searchPath = os.Getenv("PATH")
	}
	for _, entry := range filepath.SplitList(searchPath) {
		if entry == "" {
			entry = "."
		}
		if !filepath.IsAbs(entry) && dir != "" {
			entry = filepath.Join(dir, entry)
		}
		candidate := filepath.Join(entry, name)
		if checkExecutable(candidate) == nil {
			return filepath.Abs(candidate)
		}
	}
	return "", fmt.Errorf("exec: %q: executable file not found in $PATH", name)
}

func checkExecutable(path string) error {
	info, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("stat: %w", err)
	}
	if info.IsDir() || info.Mode().Perm()&0o111 == 0 {
		return fmt.Errorf("%s: permission denied", path)
	}
	return nil
}

// supervise waits for the task's leader, kills what is left of its group as
// a container's end would, drains its output and publishes its end.
func (p *Process) supervise(task *processTask, cmd *exec.Cmd, stdout, stderr *os.File) {
	var outputMu sync.Mutex
	var readers sync.WaitGroup
	readers.Add(2)
	go readLines(task.spec, StreamStdout, stdout, p.opts.MaxLineBytes, p.opts.Logf, &outputMu, &readers)
	go readLines(task.spec, StreamStderr, stderr, p.opts.MaxLineBytes, p.opts.Logf, &outputMu, &readers)

	// Wait without reaping: the zombie leader keeps its pid, hence the process
	// group id, reserved until the group has been killed.
	var info unix.Siginfo
	for {
		err := unix.Waitid(unix.P_PID, task.pid, &info, unix.WEXITED|unix.WNOWAIT, nil)
		if err == nil || !errors.Is(err, unix.EINTR) {
			if err != nil {
				p.opts.Logf("runtime: wait for task %s: %v", task.spec.ID, err)
			}
			break
		}
	}
	p.mu.Lock()
	task.leaderExited = true
	p.mu.Unlock()
	if err := syscall.Kill(-task.pid, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
		p.opts.Logf("runtime: kill rest of task %s: %v", task.spec.ID, err)
	}
	waitErr := cmd.Wait()

	drained := make(chan struct{})
	go func() {
		readers.Wait()
		close(drained)
	}()
	drainTimer := time.NewTimer(p.opts.OutputDrainTimeout)
	select {
	case <-drained:
	case <-drainTimer.C:
		p.opts.Logf("runtime: task %s: output still open after its process group was killed; closing it", task.spec.ID)
		closeAll(stdout, stderr)
		<-drained
	}
	drainTimer.Stop()
	closeAll(stdout, stderr)

	if task.network != nil {
		p.mu.Lock()
		last := p.unrefNetwork(task.network)
		p.mu.Unlock()
		if last {
			p.destroyNetwork(task.network)
		}
	}

	event := TaskEvent{ID: task.spec.ID, ExitCode: -1, Time: time.Now()}
	var exitErr *exec.ExitError
	switch {
	case waitErr == nil || errors.As(waitErr, &exitErr):
		status, _ := cmd.ProcessState.Sys().(syscall.WaitStatus)
		if status.Signaled() {
			event.Signal = status.Signal().String()
			event.ExitCode = 128 + int(status.Signal())
		} else {
			event.ExitCode = status.ExitStatus()
		}
	default:
		event.Err = fmt.Errorf("wait for task %s: %w", task.spec.ID, waitErr)
	}

	p.mu.Lock()
	if task.stopErr != nil {
		event.Err = task.stopErr
	}
	if p.tasks[task.spec.ID] == task {
		delete(p.tasks, task.spec.ID)
	}
	p.mu.Unlock()
	p.events.push(event)
	close(task.done)
}

// readLines hands each line of one stream of a task to its Output, in
// pieces of at most maxLine bytes, until the stream ends.
func readLines(spec TaskSpec, stream string, pipe io.Reader, maxLine int, logf func(string, ...any), outputMu *sync.Mutex, readers *sync.WaitGroup) {
	defer readers.Done()
	reader := bufio.NewReaderSize(pipe, maxLine)
	for {
		chunk, err := reader.ReadSlice('\n')
		if len(chunk) > 0 && spec.Output != nil {
			text := strings.TrimSuffix(string(chunk), "\n")
			if !errors.Is(err, bufio.ErrBufferFull) {
				text = strings.TrimSuffix(text, "\r")
			}
			outputMu.Lock()
			spec.Output(OutputLine{TaskID: spec.ID, Stream: stream, Time: time.Now(), Text: text})
			outputMu.Unlock()
		}
		switch {
		case err == nil, errors.Is(err, bufio.ErrBufferFull):
			continue
		case errors.Is(err, io.EOF), errors.Is(err, os.ErrClosed):
			return
		default:
			logf("runtime: read %s of task %s: %v", stream, spec.ID, err)
			return
		}
	}
}

// Stop stops a task: SIGTERM to its process group, SIGKILL after grace or
// when ctx ends first, and returns once the task is gone.
func (p *Process) Stop(ctx context.Context, id string, grace time.Duration) error {
	p.mu.Lock()
	task, ok := p.tasks[id]
	p.mu.Unlock()
	if !ok {
		return fmt.Errorf("stop task %s: %w", id, ErrTaskNotFound)
	}
	p.signal(task, syscall.SIGTERM)
	graceTimer := time.NewTimer(grace)
	defer graceTimer.Stop()
	select {
	case <-task.done:
		return nil
	case <-graceTimer.C:
		p.signal(task, syscall.SIGKILL)
	case <-ctx.Done():
		p.signal(task, syscall.SIGKILL)
		return fmt.Errorf("stop task %s: %w", id, ctx.Err())
	}
	select {
	case <-task.done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("stop task %s: %w", id, ctx.Err())
	}
}

func (p *Process) signal(task *processTask, sig syscall.Signal) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if task.leaderExited {
		return // the supervisor kills what remains of the group
	}
	if err := syscall.Kill(-task.pid, sig); err != nil && !errors.Is(err, syscall.ESRCH) {
		p.opts.Logf("runtime: signal %v to task %s: %v", sig, task.spec.ID, err)
	}
}

// Close refuses new tasks, stops every task this runtime started and closes
// Events, so that no process outlives the local cloud. When ctx ends before
// the grace period, the tasks are killed at once.
func (p *Process) Close(ctx context.Context) error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	p.closed = true
	tasks := make([]*processTask, 0, len(p.tasks))
	for _, task := range p.tasks {
		tasks = append(tasks, task)
	}
	p.mu.Unlock()

	for _, task := range tasks {
		p.signal(task, syscall.SIGTERM)
	}
	graceTimer := time.NewTimer(p.opts.CloseGrace)
	defer graceTimer.Stop()
	escalated := false
	for _, task := range tasks {
		select {
		case <-task.done:
			continue
		case <-graceTimer.C:
		case <-ctx.Done():
		}
		if !escalated {
			escalated = true
			for _, remaining := range tasks {
				p.signal(remaining, syscall.SIGKILL)
			}
		}
		// SIGKILL cannot be ignored, so waiting here is bounded.
		<-task.done
	}
	close(p.stopWatch)
	p.watching.Wait()
	if p.host != nil {
		_ = p.host.Close()
	}
	p.events.close()
	return nil
}

// eventQueue hands events to the Events channel without ever blocking the
// runtime: what the channel cannot hold waits in memory.
type eventQueue struct {
	out  chan TaskEvent
	wake chan struct{}
	stop chan struct{}
	gone chan struct{}
	logf func(format string, args ...any)

	mu      sync.Mutex
	pending []TaskEvent
}

func newEventQueue(capacity int, logf func(string, ...any)) *eventQueue {
	return &eventQueue{
		out:  make(chan TaskEvent, capacity),
		wake: make(chan struct{}, 1),
		stop: make(chan struct{}),
		gone: make(chan struct{}),
		logf: logf,
	}
}

func (q *eventQueue) push(event TaskEvent) {
	q.mu.Lock()
	q.pending = append(q.pending, event)
	q.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

func (q *eventQueue) run() {
	defer close(q.gone)
	for {
		q.mu.Lock()
		if len(q.pending) == 0 {
			q.mu.Unlock()
			select {
			case <-q.wake:
				continue
			case <-q.stop:
				q.flush()
				return
			}
		}
		next := q.pending[0]
		q.mu.Unlock()
		select {
		case q.out <- next:
			q.mu.Lock()
			q.pending = q.pending[1:]
			q.mu.Unlock()
		case <-q.stop:
			q.flush()
			return
		}
	}
}

// flush moves what still fits into the channel and closes it; a reader that
// stopped reading long ago loses the rest rather than leaking a goroutine.
func (q *eventQueue) flush() {
	q.mu.Lock()
	defer q.mu.Unlock()
	for i, event := range q.pending {
		select {
		case q.out <- event:
		default:
			q.logf("runtime: dropping %d task events nobody read", len(q.pending)-i)
			q.pending = nil
			close(q.out)
			return
		}
	}
	q.pending = nil
	close(q.out)
}

func (q *eventQueue) close() {
	close(q.stop)
	<-q.gone
}
