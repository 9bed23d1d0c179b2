package runtime

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/image"
	dockermount "github.com/docker/docker/api/types/mount"
	"github.com/docker/docker/client"
	"github.com/docker/docker/pkg/stdcopy"
	"github.com/docker/go-connections/nat"
	"golang.org/x/sys/unix"
)

// Docker runs tasks as containers of a Docker Engine, through the Engine's
// API (never the docker CLI).
//
// Network. An awsvpc task's container gets the task's own address in the
// same way a process task does: where the local cloud may create network
// namespaces (root), the container starts with Docker's "none" network and
// the runtime puts a veth pair into the container's namespace, with the
// task's address from NamespacePool on its eth0 and the local cloud's
// endpoint on its 127.0.0.1, exactly as for a process task (network.go).
// One address plan serves both runtimes, so a service may move between
// them, the load balancer reaches either at the task's address, and no
// Docker network's subnet can collide with another local cloud's. The
// other containers of the task join the first one's namespace, as the
// containers of an awsvpc task share its interface. Elsewhere (the local
// cloud is not root) the container is on Docker's default bridge and its
// ports are published on the task's loopback address.
//
// Lifetime. Containers carry the labels DockerOwnerLabel (the local
// cloud's pid and start time) and DockerTaskLabel; a container ends
// removed, and a runtime starting up removes the containers whose local
// cloud is gone. A task's veth pair goes with its namespace.
type Docker struct {
	opts   DockerOptions
	client *client.Client
	events *eventQueue
	owner  string

	mu       sync.Mutex
	tasks    map[string]*dockerTask
	networks map[netip.Addr]*dockerNetwork
	closed   bool
}

var _ Runtime = (*Docker)(nil)

// Labels of the containers the Docker runtime starts.
const (
	DockerOwnerLabel = "dev.berth.owner"
	DockerTaskLabel  = "dev.berth.task"
)

// DockerOptions tunes a Docker runtime.
type DockerOptions struct {
	// Network gives awsvpc containers their own namespace and address (see
	// Docker). Required: its TaskAddresses are the Docker runtime's too.
	Network *Process
	// RegistryAuth says whether image is in the local cloud's own ECR and,
	// if so, returns the X-Registry-Auth header value to pull it with, for
	// the account and region of the task.
	RegistryAuth func(ctx context.Context, spec *ContainerSpec) (auth string, local bool, err error)
	// EventBuffer, MaxLineBytes, CloseGrace and OutputDrainTimeout are as
	// in ProcessOptions.
	EventBuffer        int
	MaxLineBytes       int
	CloseGrace         time.Duration
	OutputDrainTimeout time.Duration
	Logf               func(format string, args ...any)
}

type dockerTask struct {
	spec        TaskSpec
	containerID string
	network     *dockerNetwork
	done        chan struct{}
}

// dockerNetwork is the namespace of one task's address: the first
// container's, which the task's other containers join.
type dockerNetwork struct {
	addr        netip.Addr
	containerID string
	network     *taskNetwork // nil when the runtime does not isolate tasks
	users       int
}

// NewDocker connects to the Docker Engine named by DOCKER_HOST (or the
// default socket), negotiating the API version down to the Engine's, and
// removes the containers of local clouds that are gone. It fails when no
// Engine answers within a few seconds.
func NewDocker(ctx context.Context, opts DockerOptions) (*Docker, error) {
	if opts.Network == nil {
		return nil, errors.New("docker runtime: no network")
	}
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
	cli, err := ConnectEngine(ctx)
	if err != nil {
		return nil, fmt.Errorf("docker runtime: %w", err)
	}
	start, err := processStart(os.Getpid())
	if err != nil {
		cli.Close()
		return nil, fmt.Errorf("docker runtime: %w", err)
	}
	d := &Docker{
		opts:     opts,
		client:   cli,
		events:   newEventQueue(opts.EventBuffer, opts.Logf),
		owner:    fmt.Sprintf(ownerAliasForm, os.Getpid(), start),
		tasks:    map[string]*dockerTask{},
		networks: map[netip.Addr]*dockerNetwork{},
	}
	d.removeLeftovers(ctx)
	go d.events.run()
	return d, nil
}

// Client is the Engine's API client, for tests and tools that build or
// inspect images beside the runtime.
func (d *Docker) Client() *client.Client { return d.client }

// removeLeftovers removes the containers of local clouds that are gone.
func (d *Docker) removeLeftovers(ctx context.Context) {
	containers, err := d.client.ContainerList(ctx, container.ListOptions{All: true, Filters: filters.NewArgs(filters.Arg("label", DockerOwnerLabel))})
	if err != nil {
		d.opts.Logf("runtime: looking for leftover containers: %v", err)
		return
	}
	for _, c := range containers {
		var pid int
		var start uint64
		if _, err := fmt.Sscanf(c.Labels[DockerOwnerLabel], ownerAliasForm, &pid, &start); err != nil {
			continue
		}
		if got, err := processStart(pid); err == nil && got == start {
			continue // its local cloud still runs
		}
		if err := d.client.ContainerRemove(ctx, c.ID, container.RemoveOptions{Force: true, RemoveVolumes: true}); err != nil && !cerrdefs.IsNotFound(err) {
			d.opts.Logf("runtime: removing leftover container %s: %v", c.ID, err)
			continue
		}
		d.opts.Logf("runtime: removed container %s left by a local cloud that is gone (pid %d)", shortID(c.ID), pid)
	}
}

// HasImage reports whether the Engine has the image locally.
func (d *Docker) HasImage(ctx context.Context, ref string) (bool, error) {
	_, err := d.client.ImageInspect(ctx, ref)
	switch {
	case err == nil:
		return true, nil
	case cerrdefs.IsNotFound(err):
		return false, nil
	default:
		return false, fmt.Errorf("inspecting image %s: %w", ref, err)
	}
}

// Resolve makes sure the Engine has the container's image: it has it, or
// it is in the local ECR and is pulled from there. A *PullError says that
// it is neither.
func (d *Docker) Resolve(ctx context.Context, spec *ContainerSpec) error {
	has, err := d.HasImage(ctx, spec.Image)
	if err != nil || has {
		return err
	}
	if d.opts.RegistryAuth == nil {
		return &PullError{Image: spec.Image}
	}
	auth, local, err := d.opts.RegistryAuth(ctx, spec)
	if err != nil {
		return fmt.Errorf("authorizing a pull of %s: %w", spec.Image, err)
	}
	if !local {
		return &PullError{Image: spec.Image}
	}
	progress, err := d.client.ImagePull(ctx, spec.Image, image.PullOptions{RegistryAuth: auth})
	if err != nil {
		return pullFailed(spec.Image, err)
	}
	defer progress.Close()
	if err := readProgress(progress); err != nil {
		return pullFailed(spec.Image, err)
	}
	return nil
}

// pullFailed turns the Engine's refusal into ECS's words; a missing
// manifest is a *PullError like any image nobody has.
func pullFailed(ref string, err error) error {
	if cerrdefs.IsNotFound(err) || strings.Contains(err.Error(), "manifest unknown") || strings.Contains(err.Error(), "not found") {
		return &PullError{Image: ref, Fix: "The local ECR has no such image: push it first."}
	}
	return fmt.Errorf("CannotPullContainerError: pulling %s from the local ECR: %w", ref, err)
}

// readProgress reads a pull's or push's JSON progress stream to its end and
// returns the error it reports, if any: the Engine answers 200 at once and
// tells of failures only in the stream.
func readProgress(r io.Reader) error {
	dec := json.NewDecoder(r)
	for {
		var msg struct {
			Error       string `json:"error"`
			ErrorDetail *struct {
				Message string `json:"message"`
			} `json:"errorDetail"`
		}
		if err := dec.Decode(&msg); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
		if msg.ErrorDetail != nil && msg.ErrorDetail.Message != "" {
			return errors.New(msg.ErrorDetail.Message)
		}
		if msg.Error != "" {
			return errors.New(msg.Error)
		}
	}
}

// ReadProgress is readProgress for callers of ImagePush and ImageBuild.
func ReadProgress(r io.Reader) error { return readProgress(r) }

// TaskAddresses is the process runtime's: both give tasks the same kind
// of address.
func (d *Docker) TaskAddresses() netip.Prefix { return d.opts.Network.TaskAddresses() }

// CheckAddress is the process runtime's.
func (d *Docker) CheckAddress(addr netip.Addr, ports []int) error {
	return d.opts.Network.CheckAddress(addr, ports)
}

// Events reports every task end; the channel is closed by Close.
func (d *Docker) Events() <-chan TaskEvent { return d.events.out }

var containerNameUnsafe = regexp.MustCompile(`[^a-zA-Z0-9_.-]+`)

// Start creates the task's container, attaches to its output, starts it
// and gives it the task's address; it returns once the container runs.
func (d *Docker) Start(ctx context.Context, spec TaskSpec) error {
	if spec.ID == "" {
		return errors.New("start task: empty task id")
	}
	if spec.Container == nil {
		return d.failStart(spec, errors.New("the task has no container definition"))
	}
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		return fmt.Errorf("start task %s: %w", spec.ID, ErrClosed)
	}
	if _, running := d.tasks[spec.ID]; running {
		d.mu.Unlock()
		return fmt.Errorf("start task %s: a task with this id is already running", spec.ID)
	}
	task := &dockerTask{spec: spec, done: make(chan struct{})}
	d.tasks[spec.ID] = task // claims the id while the Engine works
	d.mu.Unlock()

	if err := d.start(ctx, task); err != nil {
		d.mu.Lock()
		delete(d.tasks, spec.ID)
		d.mu.Unlock()
		return d.failStart(spec, err)
	}
	return nil
}

func (d *Docker) failStart(spec TaskSpec, cause error) error {
	err := &StartError{TaskID: spec.ID, Image: spec.Image, Err: cause}
	d.events.push(TaskEvent{ID: spec.ID, ExitCode: -1, Err: err, Time: time.Now()})
	return err
}

func (d *Docker) start(ctx context.Context, task *dockerTask) (err error) {
	spec := task.spec
	c := spec.Container
	config, hostConfig := d.containerConfig(spec)

	var addr netip.Addr
	if spec.Address != "" {
		if addr, err = netip.ParseAddr(spec.Address); err != nil || !addr.Is4() {
			return fmt.Errorf("task address %q is not an IPv4 address", spec.Address)
		}
	}
	isolated := d.opts.Network.Isolated() && addr.IsValid()
	var joined *dockerNetwork
	switch {
	case isolated:
		d.mu.Lock()
		if n := d.networks[addr]; n != nil {
			n.users++
			joined = n
		}
		d.mu.Unlock()
		if joined != nil {
			hostConfig.NetworkMode = container.NetworkMode("container:" + joined.containerID)
			task.network = joined
		} else {
			hostConfig.NetworkMode = "none"
		}
	case addr.IsValid():
		// The default bridge, each port published on the task's own
		// loopback address, which the load balancer targets.
		config.ExposedPorts = nat.PortSet{}
		hostConfig.PortBindings = nat.PortMap{}
		for _, port := range c.Ports {
			p := nat.Port(strconv.Itoa(port) + "/tcp")
			config.ExposedPorts[p] = struct{}{}
			hostConfig.PortBindings[p] = []nat.PortBinding{{HostIP: addr.String(), HostPort: strconv.Itoa(port)}}
		}
	}
	releaseJoined := func() {
		if joined != nil {
			d.mu.Lock()
			joined.users--
			d.mu.Unlock()
		}
	}

	name := "berth-" + strings.Trim(containerNameUnsafe.ReplaceAllString(spec.ID, "-"), "-")
	created, err := d.client.ContainerCreate(ctx, config, hostConfig, nil, nil, name)
	if err != nil {
		releaseJoined()
		return fmt.Errorf("creating the container: %w", err)
	}
	d.mu.Lock()
	task.containerID = created.ID // Stop may read it from now on
	d.mu.Unlock()
	remove := func() {
		rmCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		if err := d.client.ContainerRemove(rmCtx, created.ID, container.RemoveOptions{Force: true, RemoveVolumes: true}); err != nil && !cerrdefs.IsNotFound(err) {
			d.opts.Logf("runtime: removing container %s of task %s: %v", shortID(created.ID), spec.ID, err)
		}
	}
	attached, err := d.client.ContainerAttach(ctx, created.ID, container.AttachOptions{Stream: true, Stdout: true, Stderr: true})
	if err != nil {
		releaseJoined()
		remove()
		return fmt.Errorf("attaching to the container: %w", err)
	}
	if err := d.client.ContainerStart(ctx, created.ID, container.StartOptions{}); err != nil {
		attached.Close()
		releaseJoined()
		remove()
		return fmt.Errorf("starting the container: %w", err)
	}
	if isolated && joined == nil {
		network, err := d.wireNetwork(ctx, created.ID, addr, spec.Egress)
		if err != nil {
			attached.Close()
			remove()
			return err
		}
		task.network = network
	}
	go d.supervise(task, attached.Reader, attached.Close)
	return nil
}

// wireNetwork puts the task's address into the namespace of its first,
// just started container.
func (d *Docker) wireNetwork(ctx context.Context, containerID string, addr netip.Addr, egress *Egress) (*dockerNetwork, error) {
	inspected, err := d.client.ContainerInspect(ctx, containerID)
	if err != nil {
		return nil, fmt.Errorf("inspecting the container: %w", err)
	}
	if inspected.State == nil || inspected.State.Pid == 0 {
		return nil, errors.New("the container exited before its network was set up")
	}
	ns, err := unix.Open("/proc/"+strconv.Itoa(inspected.State.Pid)+"/ns/net", unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("opening the container's network namespace: %w", err)
	}
	defer unix.Close(ns)
	n, err := d.opts.Network.createNetworkIn(addr, ns, egress)
	if err != nil {
		return nil, fmt.Errorf("network of %s: %w", addr, err)
	}
	network := &dockerNetwork{addr: addr, containerID: containerID, network: n, users: 1}
	d.mu.Lock()
	d.networks[addr] = network
	d.mu.Unlock()
	return network, nil
}

// SetEgress filters the outbound connections of the awsvpc task at
// address: its containers share the namespace the process runtime made,
// so the filter is the process runtime's (egress.go).
func (d *Docker) SetEgress(address string, egress *Egress) error {
	return setEgress(d.opts.Network.Isolated(), &d.mu, address, egress, func(addr netip.Addr) *taskNetwork {
		if n := d.networks[addr]; n != nil {
			return n.network
		}
		return nil
	})
}

var _ EgressEnforcer = (*Docker)(nil)

// containerConfig is the container of a task definition's container
// definition, as ECS's agent would create it.
func (d *Docker) containerConfig(spec TaskSpec) (*container.Config, *container.HostConfig) {
	c := spec.Container
	env := make([]string, 0, len(c.Env))
	for name, value := range c.Env {
		env = append(env, name+"="+value)
	}
	sort.Strings(env)
	labels := map[string]string{}
	for k, v := range c.Labels {
		labels[k] = v
	}
	labels[DockerOwnerLabel] = d.owner
	labels[DockerTaskLabel] = spec.ID
	config := &container.Config{
		Image:      c.Image,
		Env:        env,
		User:       c.User,
		WorkingDir: c.WorkingDir,
		Labels:     labels,
	}
	if len(c.EntryPoint) > 0 {
		config.Entrypoint = c.EntryPoint
	}
	if len(c.Command) > 0 {
		config.Cmd = c.Command
	}
	hostConfig := &container.HostConfig{
		Resources: container.Resources{
			CPUShares:         c.CPUShares,
			NanoCPUs:          c.NanoCPUs,
			Memory:            c.MemoryBytes,
			MemoryReservation: c.MemoryReservationBytes,
		},
	}
	for _, m := range c.Mounts {
		mount := dockermount.Mount{Type: dockermount.TypeVolume, Target: m.Target, ReadOnly: m.ReadOnly}
		if m.Source != "" {
			mount.Type, mount.Source = dockermount.TypeBind, m.Source
		}
		hostConfig.Mounts = append(hostConfig.Mounts, mount)
	}
	for _, u := range c.Ulimits {
		hostConfig.Ulimits = append(hostConfig.Ulimits, &container.Ulimit{Name: u.Name, Soft: u.Soft, Hard: u.Hard})
	}
	return config, hostConfig
}

// supervise delivers the container's output, waits for it to exit,
// removes it and publishes its end.
func (d *Docker) supervise(task *dockerTask, output io.Reader, closeOutput func()) {
	spec := task.spec
	var outputMu sync.Mutex
	var readers sync.WaitGroup
	stdoutRead, stdoutWrite := io.Pipe()
	stderrRead, stderrWrite := io.Pipe()
	readers.Add(2)
	go readLines(spec, StreamStdout, stdoutRead, d.opts.MaxLineBytes, d.opts.Logf, &outputMu, &readers)
	go readLines(spec, StreamStderr, stderrRead, d.opts.MaxLineBytes, d.opts.Logf, &outputMu, &readers)
	demuxed := make(chan struct{})
	go func() {
		defer close(demuxed)
		_, err := stdcopy.StdCopy(stdoutWrite, stderrWrite, output)
		stdoutWrite.CloseWithError(err)
		stderrWrite.CloseWithError(err)
	}()

	ctx := context.Background()
	event := TaskEvent{ID: spec.ID, ExitCode: -1}
	waited, waitErr := d.client.ContainerWait(ctx, task.containerID, container.WaitConditionNotRunning)
	select {
	case result := <-waited:
		event.ExitCode = int(result.StatusCode)
		if result.Error != nil && result.Error.Message != "" {
			event.Err = fmt.Errorf("container of task %s: %s", spec.ID, result.Error.Message)
		}
	case err := <-waitErr:
		event.Err = fmt.Errorf("waiting for the container of task %s: %w", spec.ID, err)
	}
	if event.ExitCode > 128 && event.ExitCode < 128+32 {
		// Docker reports a signalled process as 128+signal, like a shell.
		event.Signal = syscall.Signal(event.ExitCode - 128).String()
	}

	// The attach stream ends with the container; bound the wait for one
	// whose stream an escaped process keeps open.
	drainTimer := time.NewTimer(d.opts.OutputDrainTimeout)
	select {
	case <-demuxed:
	case <-drainTimer.C:
		d.opts.Logf("runtime: task %s: output still open after its container exited; closing it", spec.ID)
	}
	drainTimer.Stop()
	closeOutput()
	<-demuxed
	readers.Wait()

	if n := task.network; n != nil {
		d.mu.Lock()
		n.users--
		last := n.users == 0
		if last && d.networks[n.addr] == n {
			delete(d.networks, n.addr)
		}
		d.mu.Unlock()
		if last && n.network != nil {
			d.opts.Network.destroyNetwork(n.network)
		}
	}
	rmCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
	// RemoveVolumes: a mount point without a host path had a volume of
	// its own, which ends with the container.
	if err := d.client.ContainerRemove(rmCtx, task.containerID, container.RemoveOptions{Force: true, RemoveVolumes: true}); err != nil && !cerrdefs.IsNotFound(err) {
		d.opts.Logf("runtime: removing container %s of task %s: %v", shortID(task.containerID), spec.ID, err)
	}
	cancel()

	event.Time = time.Now()
	d.mu.Lock()
	if d.tasks[spec.ID] == task {
		delete(d.tasks, spec.ID)
	}
	d.mu.Unlock()
	d.events.push(event)
	close(task.done)
}

// ContainerID returns the Engine's id of a running task's container.
func (d *Docker) ContainerID(id string) (string, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	task, ok := d.tasks[id]
	if !ok || task.containerID == "" {
		return "", false
	}
	return task.containerID, true
}

// Stop stops a task's container as `docker stop` does: its stop signal
// (SIGTERM unless the image says otherwise), SIGKILL after grace, and
// returns once the container is gone.
func (d *Docker) Stop(ctx context.Context, id string, grace time.Duration) error {
	d.mu.Lock()
	task, ok := d.tasks[id]
	containerID := ""
	if ok {
		containerID = task.containerID
	}
	d.mu.Unlock()
	if containerID == "" {
		return fmt.Errorf("stop task %s: %w", id, ErrTaskNotFound)
	}
	seconds := int((grace + time.Second - 1) / time.Second)
	stopErr := d.client.ContainerStop(ctx, containerID, container.StopOptions{Timeout: &seconds})
	if stopErr != nil && !cerrdefs.IsNotFound(stopErr) {
		killCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		if err := d.client.ContainerKill(killCtx, containerID, "KILL"); err != nil && !cerrdefs.IsNotFound(err) {
			d.opts.Logf("runtime: killing container of task %s: %v", id, err)
		}
		cancel()
	}
	select {
	case <-task.done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("stop task %s: %w", id, ctx.Err())
	}
}

// Close refuses new tasks, stops and removes every container this runtime
// started and closes Events.
func (d *Docker) Close(ctx context.Context) error {
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		return nil
	}
	d.closed = true
	tasks := make([]*dockerTask, 0, len(d.tasks))
	for _, task := range d.tasks {
		tasks = append(tasks, task)
	}
	d.mu.Unlock()
	var stopping sync.WaitGroup
	for _, task := range tasks {
		stopping.Add(1)
		go func() {
			defer stopping.Done()
			if err := d.Stop(ctx, task.spec.ID, d.opts.CloseGrace); err != nil && !errors.Is(err, ErrTaskNotFound) {
				d.opts.Logf("runtime: %v", err)
			}
		}()
	}
	stopping.Wait()
	d.events.close()
	return d.client.Close()
}

func shortID(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}
