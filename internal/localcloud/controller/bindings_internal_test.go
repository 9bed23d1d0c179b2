package controller

import (
	"testing"

	"github.com/berthdev/berth/internal/localcloud/service/ecs"
)

// host tasks publish their container ports as they are, bridge tasks their
// hostPort or a dynamic port (0), which skips the instance's taken ports;
// awsvpc tasks publish nothing on their instance.
func TestPortNeedsAndBindings(t *testing.T) {
	static := int32(8080)
	def := func(mode string) *ecs.TaskDefinition {
		return &ecs.TaskDefinition{NetworkMode: mode, ContainerDefinitions: []ecs.ContainerDefinition{{Name: "app",
			PortMappings: []ecs.PortMapping{{ContainerPort: 9000}, {ContainerPort: 9001, HostPort: &static}}}}}
	}
	if needs := portNeeds(def("awsvpc")); len(needs) != 0 {
		t.Errorf("awsvpc needs %v, want none", needs)
	}
	if needs := portNeeds(def("host")); len(needs) != 2 || needs[0].hostPort != 9000 || needs[1].hostPort != 9001 {
		t.Errorf("host needs %+v, want the container ports", needs)
	}
	needs := portNeeds(def("bridge"))
	if len(needs) != 2 || needs[0].hostPort != 0 || needs[1].hostPort != 8080 {
		t.Fatalf("bridge needs %+v, want a dynamic port and 8080", needs)
	}
	taken := map[int]bool{firstEphemeralPort: true}
	if !portsFit(needs, taken) {
		t.Error("8080 is free, yet the needs do not fit")
	}
	task := &ecs.Task{Containers: []ecs.Container{{Name: "app"}}}
	if err := bindPorts(task, needs, taken); err != nil {
		t.Fatal(err)
	}
	if port, ok := hostPort(task, "app", 9000); !ok || port != firstEphemeralPort+1 {
		t.Errorf("dynamic port %d, want %d (the first free one)", port, firstEphemeralPort+1)
	}
	if !taken[8080] || portsFit(needs, taken) {
		t.Error("a second task fits on the host ports the first took")
	}
}
