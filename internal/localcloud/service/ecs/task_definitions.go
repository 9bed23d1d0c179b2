package ecs

import (
	"cmp"
	"context"
	"github.com/berthdev/berth/internal/localcloud/service/ecs/wire"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/berthdev/berth/internal/localcloud/store"
)

// Task definition statuses.
const (
	definitionActive           = "ACTIVE"
	definitionInactive         = "INACTIVE"
	definitionDeleteInProgress = "DELETE_IN_PROGRESS"
)

type familyRecord struct {
	LastRevision int32 `json:"lastRevision"`
}

// TaskDefinition returns the revision a reference means: an ARN or
// "family:revision" names one revision (whatever its status); a bare family
// means its latest ACTIVE revision. nil when there is none.
func (s *State) TaskDefinition(ref string) (*TaskDefinition, error) {
	if s.foreign(ref) {
		return nil, nil
	}
	ref = nameFromRef(ref, "task-definition")
	family, revText, hasRevision := strings.Cut(ref, ":")
	if hasRevision {
		revision, err := strconv.Atoi(revText)
		if err != nil || revision < 1 {
			return nil, nil
		}
		return store.Get[TaskDefinition](s.tx, tableTaskDefinitions, revisionKey(family, int32(revision)))
	}
	defs, err := s.taskDefinitions()
	if err != nil {
		return nil, err
	}
	var latest *TaskDefinition
	for _, def := range defs {
		if def.Family == family && def.Status == definitionActive && (latest == nil || def.Revision > latest.Revision) {
			latest = def
		}
	}
	return latest, nil
}

func (s *State) taskDefinitions() ([]*TaskDefinition, error) {
	return store.List[TaskDefinition](s.tx, tableTaskDefinitions)
}

func (s *State) putTaskDefinition(def *TaskDefinition) error {
	return s.tx.Put(tableTaskDefinitions, revisionKey(def.Family, def.Revision), def)
}

var familyPattern = regexp.MustCompile(`^[a-zA-Z0-9_-]{1,255}$`)

// fargateMemory lists, per task CPU, the memory sizes Fargate offers.
var fargateMemory = map[int][]int{
	256:   {512, 1024, 2048},
	512:   steps(1024, 4096, 1024),
	1024:  steps(2048, 8192, 1024),
	2048:  steps(4096, 16384, 1024),
	4096:  steps(8192, 30720, 1024),
	8192:  steps(16384, 61440, 4096),
	16384: steps(32768, 122880, 8192),
}

func steps(from, to, step int) []int {
	var out []int
	for v := from; v <= to; v += step {
		out = append(out, v)
	}
	return out
}

// parseCPU reads a task cpu value: CPU units ("1024") or vCPUs ("1 vCPU").
func parseCPU(v string) (int, bool) {
	v = strings.TrimSpace(v)
	lower := strings.ToLower(v)
	if strings.HasSuffix(lower, "vcpu") {
		f, err := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(lower, "vcpu")), 64)
		if err != nil || f <= 0 {
			return 0, false
		}
		return int(f * 1024), true
	}
	n, err := strconv.Atoi(v)
	return n, err == nil && n > 0
}

// parseMemory reads a task memory value: MiB ("512") or GB ("2 GB").
func parseMemory(v string) (int, bool) {
	v = strings.TrimSpace(v)
	lower := strings.ToLower(v)
	if strings.HasSuffix(lower, "gb") {
		f, err := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(lower, "gb")), 64)
		if err != nil || f <= 0 {
			return 0, false
		}
		return int(f * 1024), true
	}
	n, err := strconv.Atoi(v)
	return n, err == nil && n > 0
}

var logDrivers = []string{"json-file", "syslog", "journald", "gelf", "fluentd", "awslogs", "splunk", "awsfirelens"}

// buildTaskDefinition validates a registration and returns the revision it
// describes (without family, revision and ARN), as ECS normalizes it.
func buildTaskDefinition(in *wire.RegisterTaskDefinitionRequest) (*TaskDefinition, error) {
	if in.Family == "" {
		return nil, errClient("Family cannot be blank.")
	}
	if !familyPattern.MatchString(in.Family) {
		return nil, errClient("Family must be 1-255 characters: letters (upper and lowercase), numbers, hyphens and underscores.")
	}
	if len(in.ContainerDefinitions) == 0 {
		return nil, errClient("Container list cannot be empty.")
	}
	if len(in.ContainerDefinitions) > 10 {
		return nil, errClient("Too many containers: a task definition can have at most 10.")
	}
	switch in.NetworkMode {
	case "", "bridge", "host", "awsvpc", "none":
	default:
		return nil, errClient("Invalid networkMode: %s. Valid values are bridge, host, awsvpc and none.", in.NetworkMode)
	}
	fargate := false
	for _, c := range in.RequiresCompatibilities {
		switch c {
		case "EC2", "EXTERNAL", "MANAGED_INSTANCES":
		case "FARGATE":
			fargate = true
		default:
			return nil, errClient("Invalid requiresCompatibilities value: %s.", c)
		}
	}
	def := &TaskDefinition{
		TaskRoleArn:             in.TaskRoleArn,
		ExecutionRoleArn:        in.ExecutionRoleArn,
		NetworkMode:             in.NetworkMode,
		Volumes:                 orEmpty(in.Volumes),
		Status:                  definitionActive,
		PlacementConstraints:    orEmpty(in.PlacementConstraints),
		RequiresCompatibilities: in.RequiresCompatibilities,
		PidMode:                 in.PidMode,
		IpcMode:                 in.IpcMode,
		RuntimePlatform:         in.RuntimePlatform,
		EphemeralStorage:        ephemeralStorageIn(in.EphemeralStorage),
		EnableFaultInjection:    in.EnableFaultInjection,
	}

	taskCPU, taskMemory := 0, 0
	if in.Cpu != "" {
		n, ok := parseCPU(in.Cpu)
		if !ok || n < 128 || n > 196608 {
			return nil, errClient("Invalid 'cpu' setting for task.")
		}
		taskCPU = n
		def.Cpu = strconv.Itoa(n)
	}
	if in.Memory != "" {
		n, ok := parseMemory(in.Memory)
		if !ok || n < 6 {
			return nil, errClient("Invalid 'memory' setting for task.")
		}
		taskMemory = n
		def.Memory = strconv.Itoa(n)
	}
	if fargate {
		switch {
		case in.NetworkMode != "awsvpc":
			return nil, errClient("Fargate only supports network mode 'awsvpc'.")
		case taskCPU == 0:
			return nil, errClient("Fargate requires that 'cpu' be defined at the task level.")
		case taskMemory == 0:
			return nil, errClient("Fargate requires that 'memory' be defined at the task level.")
		case !slices.Contains(fargateMemory[taskCPU], taskMemory):
			return nil, errClient("No Fargate configuration exists for given values: %d CPU, %d memory. See the Amazon ECS documentation for the valid values.", taskCPU, taskMemory)
		}
	}

	names := map[string]bool{}
	essential := false
	sumMemory, sumCPU := 0, 0
	for i := range in.ContainerDefinitions {
		c := containerDefinitionIn(in.ContainerDefinitions[i])
		if c.Name == "" {
			return nil, errClient("Container.name should not be null or empty.")
		}
		if !familyPattern.MatchString(c.Name) {
			return nil, errClient("Container name '%s' is invalid: up to 255 letters (upper and lowercase), numbers, hyphens and underscores are allowed.", c.Name)
		}
		if names[c.Name] {
			return nil, errClient("Duplicate container names are not allowed: %s.", c.Name)
		}
		names[c.Name] = true
		if c.Image == "" {
			return nil, errClient("Container.image should not be null or empty.")
		}
		if c.Cpu < 0 {
			return nil, errClient("Invalid setting for container '%s'. 'cpu' must be zero or more.", c.Name)
		}
		sumCPU += int(c.Cpu)
		if c.Memory != nil && *c.Memory < 6 {
			return nil, errClient("Invalid setting for container '%s'. The 'memory' setting must be at least 6 MiB.", c.Name)
		}
		if c.MemoryReservation != nil && *c.MemoryReservation < 6 {
			return nil, errClient("Invalid setting for container '%s'. The 'memoryReservation' setting must be at least 6 MiB.", c.Name)
		}
		if c.Memory != nil && c.MemoryReservation != nil && *c.MemoryReservation > *c.Memory {
			return nil, errClient("Invalid setting for container '%s'. 'memory' must be greater than or equal to 'memoryReservation'.", c.Name)
		}
		if taskMemory == 0 && c.Memory == nil && c.MemoryReservation == nil {
			return nil, errClient("Invalid setting for container '%s'. At least one of 'memory' or 'memoryReservation' must be specified.", c.Name)
		}
		switch {
		case c.Memory != nil:
			sumMemory += int(*c.Memory)
		case c.MemoryReservation != nil:
			sumMemory += int(*c.MemoryReservation)
		}
		if c.Essential == nil {
			c.Essential = ptr(true)
		}
		if *c.Essential {
			essential = true
		}
		mappings := make([]PortMapping, len(c.PortMappings))
		for j, pm := range c.PortMappings {
			if pm.ContainerPort < 0 || pm.ContainerPort > 65535 || (pm.ContainerPort == 0 && pm.ContainerPortRange == "") {
				return nil, errClient("Invalid 'containerPort' setting for container '%s'.", c.Name)
			}
			pm.Protocol = cmp.Or(pm.Protocol, "tcp")
			if pm.Protocol != "tcp" && pm.Protocol != "udp" {
				return nil, errClient("Invalid 'protocol' setting for container '%s': %s.", c.Name, pm.Protocol)
			}
			switch in.NetworkMode {
			case "awsvpc", "host":
				if pm.HostPort == nil || *pm.HostPort == 0 {
					pm.HostPort = ptr(pm.ContainerPort)
				} else if *pm.HostPort != pm.ContainerPort {
					return nil, errClient("When networkMode=%s, the host ports and container ports in port mappings must match.", in.NetworkMode)
				}
			default:
				if pm.HostPort == nil {
					pm.HostPort = ptr[int32](0) // a dynamic host port
				}
			}
			if *pm.HostPort < 0 || *pm.HostPort > 65535 {
				return nil, errClient("Invalid 'hostPort' setting for container '%s'.", c.Name)
			}
			mappings[j] = pm
		}
		c.PortMappings = mappings
		if lc := c.LogConfiguration; lc != nil {
			if !slices.Contains(logDrivers, lc.LogDriver) {
				return nil, errClient("Log driver %s is not supported. Supported log drivers are %s.", lc.LogDriver, strings.Join(logDrivers, ", "))
			}
			if lc.LogDriver == "awslogs" {
				for _, option := range []string{"awslogs-group", "awslogs-region"} {
					if lc.Options[option] == "" {
						return nil, errClient("Log driver awslogs option '%s' should not be null or empty.", option)
					}
				}
				if fargate && in.ExecutionRoleArn == "" {
					return nil, errClient("Fargate requires task definition to have execution role ARN to support log driver awslogs.")
				}
			}
		}
		c.Environment = orEmpty(c.Environment)
		c.MountPoints = orEmpty(c.MountPoints)
		c.VolumesFrom = orEmpty(c.VolumesFrom)
		c.SystemControls = orEmpty(c.SystemControls)
		def.ContainerDefinitions = append(def.ContainerDefinitions, c)
	}
	if !essential {
		return nil, errClient("Task definition must contain at least one essential container.")
	}
	if taskMemory > 0 && sumMemory > taskMemory {
		return nil, errClient("The sum of all container memory settings (%d MiB) exceeds the task memory (%d MiB).", sumMemory, taskMemory)
	}
	if taskCPU > 0 && sumCPU > taskCPU {
		return nil, errClient("The sum of all container cpu settings (%d) exceeds the task cpu (%d).", sumCPU, taskCPU)
	}

	def.Compatibilities = []string{"EC2"}
	if in.NetworkMode == "awsvpc" && slices.Contains(fargateMemory[taskCPU], taskMemory) {
		def.Compatibilities = append(def.Compatibilities, "FARGATE")
	}
	def.RequiresAttributes = requiredAttributes(def)
	return def, nil
}

// requiredAttributes are the agent capabilities a definition needs, as ECS
// derives them (placement only runs tasks where the instance has them).
func requiredAttributes(def *TaskDefinition) []Attribute {
	var names []string
	add := func(name string) {
		if !slices.Contains(names, name) {
			names = append(names, name)
		}
	}
	add("com.amazonaws.ecs.capability.docker-remote-api.1.18")
	if def.NetworkMode == "awsvpc" {
		add("ecs.capability.task-eni")
	}
	if def.TaskRoleArn != "" {
		add("com.amazonaws.ecs.capability.task-iam-role")
	}
	for _, c := range def.ContainerDefinitions {
		if lc := c.LogConfiguration; lc != nil {
			add("com.amazonaws.ecs.capability.logging-driver." + lc.LogDriver)
			if lc.LogDriver == "awslogs" && def.ExecutionRoleArn != "" {
				add("ecs.capability.execution-role-awslogs")
			}
		}
		if c.HealthCheck != nil {
			add("ecs.capability.container-health-check")
		}
	}
	attrs := make([]Attribute, len(names))
	for i, n := range names {
		attrs[i] = Attribute{Name: n}
	}
	return attrs
}

func (b *Backend) registerTaskDefinition(ctx context.Context, in *wire.RegisterTaskDefinitionRequest) (*wire.RegisterTaskDefinitionResponse, error) {
	def, err := buildTaskDefinition(in)
	if err != nil {
		return nil, err
	}
	if err := validateTags(in.Tags); err != nil {
		return nil, err
	}
	for _, c := range in.PlacementConstraints {
		if c.Type != "memberOf" {
			continue
		}
		if _, err := ParseInstanceQuery(c.Expression); err != nil {
			return nil, err
		}
	}
	err = b.Update(ctx, func(s *State) error {
		family, err := store.Get[familyRecord](s.tx, tableFamilies, in.Family)
		if err != nil {
			return err
		}
		if family == nil {
			family = &familyRecord{}
		}
		family.LastRevision++
		def.Family = in.Family
		def.Revision = family.LastRevision
		def.TaskDefinitionArn = s.arn("task-definition/" + in.Family + ":" + strconv.Itoa(int(def.Revision)))
		def.RegisteredAt = awsjsonTime(s.now)
		def.RegisteredBy = s.rootARN()
		if err := s.tx.Put(tableFamilies, in.Family, family); err != nil {
			return err
		}
		if err := s.putTaskDefinition(def); err != nil {
			return err
		}
		return s.putTags(def.TaskDefinitionArn, in.Tags)
	})
	if err != nil {
		return nil, err
	}
	return &wire.RegisterTaskDefinitionResponse{TaskDefinition: taskDefinitionOut(def), Tags: omitEmpty(in.Tags)}, nil
}

func (b *Backend) describeTaskDefinition(ctx context.Context, in *wire.DescribeTaskDefinitionRequest) (*wire.DescribeTaskDefinitionResponse, error) {
	if in.TaskDefinition == "" {
		return nil, errMissing("taskDefinition")
	}
	if err := validateInclude(in.Include, "TAGS"); err != nil {
		return nil, err
	}
	out := &wire.DescribeTaskDefinitionResponse{}
	err := b.View(ctx, func(s *State) error {
		def, err := s.TaskDefinition(in.TaskDefinition)
		if err != nil {
			return err
		}
		if def == nil {
			return errClient("Unable to describe task definition.")
		}
		out.TaskDefinition = taskDefinitionOut(def)
		if slices.Contains(in.Include, "TAGS") {
			tags, err := s.tags(def.TaskDefinitionArn)
			out.Tags = omitEmpty(tags)
			return err
		}
		return nil
	})
	return out, err
}

func (b *Backend) listTaskDefinitions(ctx context.Context, in *wire.ListTaskDefinitionsRequest) (*wire.ListTaskDefinitionsResponse, error) {
	status := cmp.Or(in.Status, definitionActive)
	if !slices.Contains([]string{definitionActive, definitionInactive, definitionDeleteInProgress}, status) {
		return nil, errInvalidParameter("Invalid status: %s.", in.Status)
	}
	order := cmp.Or(in.Sort, "ASC")
	if order != "ASC" && order != "DESC" {
		return nil, errInvalidParameter("Invalid sort: %s.", in.Sort)
	}
	var matching []*TaskDefinition
	err := b.View(ctx, func(s *State) error {
		defs, err := s.taskDefinitions()
		if err != nil {
			return err
		}
		for _, def := range defs {
			// familyPrefix is, despite its name, the whole family.
			if def.Status == status && (in.FamilyPrefix == "" || def.Family == in.FamilyPrefix) {
				matching = append(matching, def)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(matching, func(a, b *TaskDefinition) int {
		c := cmp.Or(strings.Compare(a.Family, b.Family), cmp.Compare(a.Revision, b.Revision))
		if order == "DESC" {
			return -c
		}
		return c
	})
	arns := make([]string, len(matching))
	for i, def := range matching {
		arns[i] = def.TaskDefinitionArn
	}
	pageOf, next, err := page(arns, nil, in.NextToken, in.MaxResults, 100)
	if err != nil {
		return nil, err
	}
	return &wire.ListTaskDefinitionsResponse{TaskDefinitionArns: pageOf, NextToken: next}, nil
}

func (b *Backend) listTaskDefinitionFamilies(ctx context.Context, in *wire.ListTaskDefinitionFamiliesRequest) (*wire.ListTaskDefinitionFamiliesResponse, error) {
	status := cmp.Or(in.Status, definitionActive)
	if !slices.Contains([]string{definitionActive, definitionInactive, "ALL"}, status) {
		return nil, errInvalidParameter("Invalid status: %s.", in.Status)
	}
	active := map[string]bool{}
	var families []string
	err := b.View(ctx, func(s *State) error {
		defs, err := s.taskDefinitions()
		if err != nil {
			return err
		}
		for _, def := range defs {
			if !strings.HasPrefix(def.Family, in.FamilyPrefix) {
				continue
			}
			if !slices.Contains(families, def.Family) {
				families = append(families, def.Family)
			}
			if def.Status == definitionActive {
				active[def.Family] = true
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	families = slices.DeleteFunc(families, func(f string) bool {
		switch status {
		case definitionActive:
			return !active[f]
		case definitionInactive:
			return active[f]
		}
		return false
	})
	slices.Sort(families)
	pageOf, next, err := page(families, identity, in.NextToken, in.MaxResults, 100)
	if err != nil {
		return nil, err
	}
	return &wire.ListTaskDefinitionFamiliesResponse{Families: pageOf, NextToken: next}, nil
}

func (b *Backend) deregisterTaskDefinition(ctx context.Context, in *wire.DeregisterTaskDefinitionRequest) (*wire.DeregisterTaskDefinitionResponse, error) {
	if in.TaskDefinition == "" {
		return nil, errMissing("taskDefinition")
	}
	if !strings.Contains(nameFromRef(in.TaskDefinition, "task-definition"), ":") {
		return nil, errClient("Invalid revision number. Number: %s", in.TaskDefinition)
	}
	out := &wire.DeregisterTaskDefinitionResponse{}
	err := b.Update(ctx, func(s *State) error {
		def, err := s.TaskDefinition(in.TaskDefinition)
		if err != nil {
			return err
		}
		if def == nil || def.Status == definitionDeleteInProgress {
			return errClient("The specified task definition does not exist.")
		}
		if def.Status == definitionActive {
			def.Status = definitionInactive
			def.DeregisteredAt = awsjsonTime(s.now)
			if err := s.putTaskDefinition(def); err != nil {
				return err
			}
		}
		out.TaskDefinition = taskDefinitionOut(def)
		return nil
	})
	return out, err
}

func (b *Backend) deleteTaskDefinitions(ctx context.Context, in *wire.DeleteTaskDefinitionsRequest) (*wire.DeleteTaskDefinitionsResponse, error) {
	if len(in.TaskDefinitions) == 0 {
		return nil, errMissing("taskDefinitions")
	}
	if len(in.TaskDefinitions) > 10 {
		return nil, errInvalidParameter("taskDefinitions can have at most 10 items.")
	}
	out := &wire.DeleteTaskDefinitionsResponse{TaskDefinitions: []wire.TaskDefinition{}, Failures: []Failure{}}
	err := b.Update(ctx, func(s *State) error {
		for _, ref := range in.TaskDefinitions {
			arn := ref
			if !isARN(ref) {
				arn = s.arn("task-definition/" + ref)
			}
			if !strings.Contains(nameFromRef(ref, "task-definition"), ":") {
				out.Failures = append(out.Failures, Failure{Arn: arn, Reason: "The specified task definition identifier is invalid. Specify a valid name or ARN and try again."})
				continue
			}
			def, err := s.TaskDefinition(ref)
			if err != nil {
				return err
			}
			switch {
			case def == nil:
				out.Failures = append(out.Failures, Failure{Arn: arn, Reason: "The specified task definition does not exist. Specify a valid account, family, revision and try again."})
				continue
			case def.Status == definitionActive:
				out.Failures = append(out.Failures, Failure{Arn: def.TaskDefinitionArn, Reason: "The specified task definition is still in ACTIVE status. Please deregister the target and try again."})
				continue
			}
			if def.Status != definitionDeleteInProgress {
				def.Status = definitionDeleteInProgress
				def.DeleteRequestedAt = awsjsonTime(s.now)
				if err := s.putTaskDefinition(def); err != nil {
					return err
				}
			}
			out.TaskDefinitions = append(out.TaskDefinitions, *taskDefinitionOut(def))
		}
		return nil
	})
	return out, err
}

// Reservation is the CPU units and MiB a task of def reserves on its
// instance: the task-level sizes, else the sum of its containers'.
func (def *TaskDefinition) Reservation() (cpu, mem int) {
	cpu, _ = strconv.Atoi(def.Cpu)
	mem, _ = strconv.Atoi(def.Memory)
	if cpu == 0 || mem == 0 {
		var containerCPU, containerMem int
		for _, cd := range def.ContainerDefinitions {
			containerCPU += int(cd.Cpu)
			switch {
			case cd.Memory != nil:
				containerMem += int(*cd.Memory)
			case cd.MemoryReservation != nil:
				containerMem += int(*cd.MemoryReservation)
			}
		}
		if cpu == 0 {
			cpu = containerCPU
		}
		if mem == 0 {
			mem = containerMem
		}
	}
	return cpu, mem
}
