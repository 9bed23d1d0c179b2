package controller

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"strconv"
	"sync"

	"github.com/berthdev/berth/internal/localcloud/service/ecs"
	"github.com/berthdev/berth/internal/localcloud/service/elbv2"
	"github.com/berthdev/berth/internal/localcloud/store"
)

// bridge and host network modes. A task of either mode takes ports on its
// instance: a bridge task's container port is published on a host port
// (a static one, or one of the ephemeral range when hostPort is 0 or
// missing), a host task's on the same port of the instance. The task
// still runs at its own address, as every task does here; the controller
// forwards each host port of the instance's address to it, so from
// outside the task is at <instance>:<host port>, where its service
// registers it as an instance target.

// The ephemeral range ECS's agent hands dynamic host ports from on Linux
// (the kernel's default ip_local_port_range).
const (
	firstEphemeralPort = 32768
	lastEphemeralPort  = 60999
)

// portNeed is one container port a task publishes on its instance;
// hostPort 0 is a dynamic port.
type portNeed struct {
	container               string
	containerPort, hostPort int
}

// takesHostPorts says whether a task of def publishes its ports on its
// instance. ECS's default mode on EC2 is bridge, but a definition that
// names no mode keeps running as before: at its own address only.
func takesHostPorts(def *ecs.TaskDefinition) bool {
	return def.NetworkMode == "bridge" || def.NetworkMode == "host"
}

// portNeeds are the ports a bridge or host task publishes.
func portNeeds(def *ecs.TaskDefinition) []portNeed {
	if !takesHostPorts(def) {
		return nil
	}
	var needs []portNeed
	for _, cd := range def.ContainerDefinitions {
		for _, pm := range cd.PortMappings {
			if pm.ContainerPort > 0 {
				needs = append(needs, portNeed{container: cd.Name, containerPort: int(pm.ContainerPort), hostPort: ecs.HostPort(def, pm)})
			}
		}
	}
	return needs
}

// portsFit says whether the static host ports of needs are free on an
// instance whose taken ports are taken.
func portsFit(needs []portNeed, taken map[int]bool) bool {
	for _, need := range needs {
		if need.hostPort != 0 && taken[need.hostPort] {
			return false
		}
	}
	return true
}

// hostPortsOf are the host ports a placed task holds.
func hostPortsOf(t *ecs.Task) []int { return t.HostPorts() }

// bindPorts gives a task placed on an instance its network bindings, as
// DescribeTasks shows them, taking dynamic ports from the ephemeral range
// in order; taken are the instance's ports, to which they are added.
func bindPorts(t *ecs.Task, needs []portNeed, taken map[int]bool) error {
	next := firstEphemeralPort
	for _, need := range needs {
		port := need.hostPort
		if port == 0 {
			for next <= lastEphemeralPort && taken[next] {
				next++
			}
			if next > lastEphemeralPort {
				return fmt.Errorf("no free host port in %d-%d", firstEphemeralPort, lastEphemeralPort)
			}
			port = next
		}
		taken[port] = true
		for i := range t.Containers {
			if t.Containers[i].Name == need.container {
				t.Containers[i].NetworkBindings = append(t.Containers[i].NetworkBindings, ecs.NetworkBinding{
					BindIP: "0.0.0.0", ContainerPort: int32Ptr(need.containerPort), HostPort: int32Ptr(port), Protocol: "tcp",
				})
			}
		}
	}
	return nil
}

func int32Ptr(n int) *int32 {
	v := int32(n)
	return &v
}

// hostPort is the host port a task's container port is published on.
func hostPort(t *ecs.Task, container string, containerPort int) (int, bool) {
	for _, c := range t.Containers {
		if container != "" && c.Name != container {
			continue
		}
		for _, b := range c.NetworkBindings {
			if b.ContainerPort != nil && int(*b.ContainerPort) == containerPort && b.HostPort != nil {
				return int(*b.HostPort), true
			}
		}
	}
	return 0, false
}

// serviceTarget is how a service task is registered in a target group: an
// instance target (the EC2 instance and the host port) when the task
// publishes the port on its instance, else an ip target at its address.
// It reads no state, so ECS transactions may call it: the instance comes
// from what placement last saw (ec2Instances).
func (c *Controller) serviceTarget(t *ecs.Task, binding ecs.LoadBalancer) (elbv2.Target, bool) {
	port := int(binding.ContainerPort)
	if published, ok := hostPort(t, binding.ContainerName, port); ok {
		instance := c.ec2Instances[t.ContainerInstanceArn]
		return elbv2.Target{ID: instance, Port: published}, instance != ""
	}
	ip := taskAddress(t)
	return elbv2.Target{ID: ip, Port: port}, ip != ""
}

// instanceHost is the address an EC2 instance's host ports are reached
// at: a loopback address derived from its id, so it is the same after a
// restart and needs no bookkeeping (Linux routes all of 127.0.0.0/8 to lo).
func instanceHost(instanceID string) netip.Addr {
	var h uint32 = 2166136261 // FNV-1a
	for i := 0; i < len(instanceID); i++ {
		h = (h ^ uint32(instanceID[i])) * 16777619
	}
	b := instanceHostPool.Addr().As4()
	b[2], b[3] = byte(h>>8), byte(h)
	if b[3] == 0 || b[3] == 255 {
		b[3] = 1
	}
	return netip.AddrFrom4(b)
}

// instanceHostPool is where instances' host addresses come from: next to
// the loopback task pool (runtime.LoopbackPool, 127.1.0.0/16).
var instanceHostPool = netip.MustParsePrefix("127.2.0.0/16")

// forward is one published port: it accepts on the instance's address and
// pipes each connection to the task.
type forward struct {
	listener net.Listener
	target   string
	done     sync.WaitGroup
}

// reconcileBindings opens a forward for every published port of every
// task not yet stopped, in every region, and closes the others.
func (c *Controller) reconcileBindings(ctx context.Context) error {
	scopes, err := c.regionalScopes()
	if err != nil {
		return err
	}
	wanted := map[string]string{} // instance address:host port → task address:container port
	for _, scope := range scopes {
		err := c.deps.ECS.View(store.WithScope(ctx, scope), func(s *ecs.State) error {
			tasks, err := s.AllTasks()
			if err != nil {
				return err
			}
			for _, t := range tasks {
				ip := taskAddress(t)
				if t.LastStatus == statusStopped || ip == "" {
					continue
				}
				ci, err := s.ContainerInstance(t.ClusterArn, t.ContainerInstanceArn)
				if err != nil || ci == nil {
					continue
				}
				host := instanceHost(ci.Ec2InstanceId).String()
				for _, container := range t.Containers {
					for _, b := range container.NetworkBindings {
						if b.HostPort != nil && b.ContainerPort != nil {
							wanted[net.JoinHostPort(host, strconv.Itoa(int(*b.HostPort)))] = net.JoinHostPort(ip, strconv.Itoa(int(*b.ContainerPort)))
						}
					}
				}
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("%s: %w", scope, err)
		}
	}
	for address, f := range c.forwards {
		if wanted[address] != f.target {
			f.close()
			delete(c.forwards, address)
		}
	}
	var failed []error
	for address, target := range wanted {
		if _, open := c.forwards[address]; open {
			continue
		}
		f, err := openForward(address, target)
		if err != nil {
			failed = append(failed, err)
			continue
		}
		c.forwards[address] = f
	}
	return errors.Join(failed...)
}

func openForward(address, target string) (*forward, error) {
	listener, err := net.Listen("tcp", address)
	if err != nil {
		return nil, fmt.Errorf("publishing host port %s: %w", address, err)
	}
	f := &forward{listener: listener, target: target}
	f.done.Add(1)
	go f.serve()
	return f, nil
}

func (f *forward) serve() {
	defer f.done.Done()
	for {
		client, err := f.listener.Accept()
		if err != nil {
			return // closed
		}
		go pipe(client, f.target)
	}
}

// pipe joins a client to the task until either side is done. A task that
// does not listen closes the client at once, as a published port of a
// container that does not listen does.
func pipe(client net.Conn, target string) {
	defer client.Close()
	task, err := net.Dial("tcp", target)
	if err != nil {
		return
	}
	defer task.Close()
	done := make(chan struct{})
	go func() {
		defer close(done)
		_, _ = io.Copy(task, client)
		if tcp, ok := task.(*net.TCPConn); ok {
			_ = tcp.CloseWrite()
		}
	}()
	_, _ = io.Copy(client, task)
	if tcp, ok := client.(*net.TCPConn); ok {
		_ = tcp.CloseWrite()
	}
	<-done
}

// close stops accepting; connections in flight finish on their own.
func (f *forward) close() {
	_ = f.listener.Close()
	f.done.Wait()
}

// closeForwards closes every published port (the cloud stops).
func (c *Controller) closeForwards() {
	for address, f := range c.forwards {
		f.close()
		delete(c.forwards, address)
	}
}
