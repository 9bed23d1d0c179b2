package controller

import (
	"strconv"

	"github.com/berthdev/berth/internal/localcloud/runtime"
	"github.com/berthdev/berth/internal/localcloud/service/ecs"
	"github.com/berthdev/berth/internal/localcloud/store"
)

const mebibyte = 1 << 20

// containerSpec is a container definition as a container runtime runs it,
// with the limits ECS's agent gives it on EC2: the container's cpu units as
// its CPU shares, the task's cpu as a hard limit, the container's memory
// (else the task's) as its hard limit and memoryReservation as its soft one.
func containerSpec(t *ecs.Task, def *ecs.TaskDefinition, cd ecs.ContainerDefinition, env map[string]string) *runtime.ContainerSpec {
	scope, _ := store.ScopeOfARN(t.TaskArn)
	spec := &runtime.ContainerSpec{
		Image:      cd.Image,
		EntryPoint: cd.EntryPoint,
		Command:    cd.Command,
		Env:        env,
		User:       cd.User,
		WorkingDir: cd.WorkingDirectory,
		CPUShares:  int64(cd.Cpu),
		Labels:     cd.DockerLabels,
		Account:    scope.Account,
		Region:     scope.Region,
	}
	if taskCPU, err := strconv.Atoi(def.Cpu); err == nil && taskCPU > 0 {
		spec.NanoCPUs = int64(taskCPU) * 1e9 / 1024
	}
	switch taskMem, err := strconv.Atoi(def.Memory); {
	case cd.Memory != nil:
		spec.MemoryBytes = int64(*cd.Memory) * mebibyte
	case err == nil && taskMem > 0:
		spec.MemoryBytes = int64(taskMem) * mebibyte
	}
	if cd.MemoryReservation != nil {
		spec.MemoryReservationBytes = int64(*cd.MemoryReservation) * mebibyte
	}
	for _, u := range cd.Ulimits {
		spec.Ulimits = append(spec.Ulimits, runtime.Ulimit{Name: u.Name, Soft: int64(u.SoftLimit), Hard: int64(u.HardLimit)})
	}
	for _, mp := range cd.MountPoints {
		mount := runtime.Mount{Target: mp.ContainerPath, ReadOnly: mp.ReadOnly != nil && *mp.ReadOnly}
		for _, v := range def.Volumes {
			if v.Name == mp.SourceVolume && v.Host != nil {
				mount.Source = v.Host.SourcePath
			}
		}
		spec.Mounts = append(spec.Mounts, mount)
	}
	for _, pm := range cd.PortMappings {
		if pm.ContainerPort > 0 {
			spec.Ports = append(spec.Ports, int(pm.ContainerPort))
		}
	}
	return spec
}
