package controller

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/berthdev/berth/internal/localcloud/service/ecs"
	"github.com/berthdev/berth/internal/localcloud/store"
)

// instanceUsage is what the active tasks on one container instance take.
type instanceUsage struct {
	instance   *ecs.ContainerInstance
	cpu, mem   int
	enis       int // awsvpc tasks: each takes an ENI
	tasks      int
	groups     map[string]int
	zone       string
	maxTaskENI int
	// hostPorts are the ports bridge and host tasks hold on the instance.
	hostPorts map[int]bool
}

// taskNeeds is the CPU units and MiB a task reserves on its instance.
func taskNeeds(def *ecs.TaskDefinition) (cpu, mem int) { return def.Reservation() }

func resourceInt(resources []ecs.Resource, name string) int {
	for _, r := range resources {
		if r.Name == name {
			return int(r.IntegerValue)
		}
	}
	return 0
}

func attribute(ci *ecs.ContainerInstance, name string) string {
	for _, a := range ci.Attributes {
		if a.Name == name && a.Value != nil {
			return *a.Value
		}
	}
	return ""
}

// unplaced records, per cluster, the tasks placement could not fit: the
// managed scaling loop turns them into instances.
type unplaced struct {
	tasks    int
	distinct int // of which need an instance of their own (distinctInstance)
}

// place puts PROVISIONING tasks on container instances that have room:
// CPU, memory, an ENI for awsvpc tasks, free host ports, and the service's
// and task definition's constraints. Among instances that fit, the
// service's placement strategies choose (rankPlacement). Only ACTIVE
// instances with a connected agent take tasks: a DRAINING one takes none.
func (c *Controller) place(s *ecs.State, clusterARN string, services []*ecs.Service, tasks []*ecs.Task) error {
	instances, err := s.ContainerInstances(clusterARN)
	if err != nil {
		return err
	}
	usage := map[string]*instanceUsage{}
	var order []*instanceUsage
	for _, ci := range instances {
		c.ec2Instances[ci.ContainerInstanceArn] = ci.Ec2InstanceId
		if ci.Status != "ACTIVE" || !ci.AgentConnected {
			continue
		}
		u := &instanceUsage{instance: ci, groups: map[string]int{}, zone: attribute(ci, "ecs.availability-zone"), maxTaskENI: ecs.TaskENILimit(ci), hostPorts: map[int]bool{}}
		for _, port := range ecs.ReservedPorts(ci) {
			u.hostPorts[port] = true
		}
		usage[ci.ContainerInstanceArn] = u
		order = append(order, u)
	}
	inUse := map[string]bool{}
	for _, t := range tasks {
		if !active(t) && t.LastStatus == statusStopped {
			continue
		}
		if ip := taskAddress(t); ip != "" {
			inUse[ip] = true
		}
		u := usage[t.ContainerInstanceArn]
		if u == nil {
			continue
		}
		def, err := s.TaskDefinition(t.TaskDefinitionArn)
		if err != nil || def == nil {
			continue
		}
		cpu, mem := taskNeeds(def)
		u.cpu += cpu
		u.mem += mem
		u.tasks++
		u.groups[t.Group]++
		if def.NetworkMode == "awsvpc" {
			u.enis++
		}
		for _, port := range hostPortsOf(t) {
			u.hostPorts[port] = true
		}
	}

	servicesByGroup := map[string]*ecs.Service{}
	for _, svc := range services {
		servicesByGroup[serviceGroup(svc.ServiceName)] = svc
	}
	waiting := slices.Clone(tasks)
	slices.SortStableFunc(waiting, func(a, b *ecs.Task) int { return a.CreatedAt.Time().Compare(b.CreatedAt.Time()) })
	stuck := unplaced{}
	for _, t := range waiting {
		if t.LastStatus != statusProvisioning || t.DesiredStatus == statusStopped {
			continue
		}
		if t.ContainerInstanceArn != "" {
			// StartTask named the instance; its resources were counted
			// above with the instance's other tasks.
			if err := c.placeOnNamedInstance(s, t, usage[t.ContainerInstanceArn], inUse); err != nil {
				return err
			}
			continue
		}
		def, err := s.TaskDefinition(t.TaskDefinitionArn)
		if err != nil {
			return err
		}
		if def == nil {
			requestStop(t, "TaskFailedToStart", "ResourceInitializationError: the task definition "+t.TaskDefinitionArn+" is gone")
			if err := s.PutTask(t); err != nil {
				return err
			}
			continue
		}
		svc := servicesByGroup[t.Group]
		if t.LaunchType == "FARGATE" {
			if err := c.placeOnFargate(s, t, def, svc, inUse, waiting); err != nil {
				return err
			}
			continue
		}
		distinct := hasConstraint(svc, t, "distinctInstance")
		cpu, mem := taskNeeds(def)
		awsvpc := def.NetworkMode == "awsvpc"
		memberOf := memberOfQueries(svc, def, t)
		ports := portNeeds(def)
		var fits []*instanceUsage
		var closest string
		for _, u := range order {
			if slices.ContainsFunc(memberOf, func(q *ecs.InstanceQuery) bool { return !q.Matches(u.instance) }) {
				closest = fmt.Sprintf("The closest matching (container-instance %s) doesn't match the memberOf placement constraint.", taskID(u.instance.ContainerInstanceArn))
				continue
			}
			registeredCPU := resourceInt(u.instance.RegisteredResources, "CPU")
			registeredMem := resourceInt(u.instance.RegisteredResources, "MEMORY")
			switch {
			case u.cpu+cpu > registeredCPU:
				closest = fmt.Sprintf("The closest matching (container-instance %s) has insufficient CPU units available.", taskID(u.instance.ContainerInstanceArn))
			case u.mem+mem > registeredMem:
				closest = fmt.Sprintf("The closest matching (container-instance %s) has insufficient memory available.", taskID(u.instance.ContainerInstanceArn))
			case awsvpc && u.enis >= u.maxTaskENI:
				closest = fmt.Sprintf("The closest matching (container-instance %s) encountered error \"RESOURCE:ENI\".", taskID(u.instance.ContainerInstanceArn))
			case !portsFit(ports, u.hostPorts):
				closest = fmt.Sprintf("The closest matching (container-instance %s) is already using a port required by your task.", taskID(u.instance.ContainerInstanceArn))
			case distinct && u.groups[t.Group] > 0:
				closest = fmt.Sprintf("The closest matching (container-instance %s) is already running a task of this service (distinctInstance).", taskID(u.instance.ContainerInstanceArn))
			default:
				fits = append(fits, u)
			}
		}
		if len(fits) == 0 {
			stuck.tasks++
			if distinct {
				stuck.distinct++
			}
			if svc != nil {
				msg := fmt.Sprintf("(service %s) was unable to place a task because no container instance met all of its requirements.", svc.ServiceName)
				if closest != "" {
					msg += " " + closest
				}
				msg += " For more information, see the Troubleshooting section of the Amazon ECS Developer Guide."
				if len(svc.Events) == 0 || svc.Events[0].Message != msg {
					s.AddServiceEvent(svc, msg)
					if err := s.PutService(svc); err != nil {
						return err
					}
				}
			}
			continue
		}
		best := rankPlacement(fits, placementStrategies(svc, t), t.Group, placementNeed{cpu: cpu, mem: mem}, order)
		ip, err := c.addresses.allocate(inUse, containerPorts(def))
		if err != nil {
			return err
		}
		inUse[ip] = true
		assign(t, best, ip, svc)
		if err := bindPorts(t, ports, best.hostPorts); err != nil {
			return err
		}
		best.cpu += cpu
		best.mem += mem
		best.tasks++
		best.groups[t.Group]++
		if awsvpc {
			best.enis++
		}
		if err := s.PutTask(t); err != nil {
			return err
		}
	}
	c.unplaced[clusterARN] = stuck
	return c.writeRemaining(s, order)
}

// placeOnNamedInstance binds a StartTask task to the instance it names,
// without a placement decision, or stops it when that instance is gone.
func (c *Controller) placeOnNamedInstance(s *ecs.State, t *ecs.Task, u *instanceUsage, inUse map[string]bool) error {
	if u == nil {
		requestStop(t, "TaskFailedToStart", "ResourceInitializationError: container instance "+taskID(t.ContainerInstanceArn)+" is no longer available")
		return s.PutTask(t)
	}
	def, err := s.TaskDefinition(t.TaskDefinitionArn)
	if err != nil {
		return err
	}
	var ports []int
	if def != nil {
		ports = containerPorts(def)
	}
	ip, err := c.addresses.allocate(inUse, ports)
	if err != nil {
		return err
	}
	inUse[ip] = true
	assign(t, u, ip, nil)
	return s.PutTask(t)
}

// memberOfQueries are the memberOf expressions a task must satisfy: its
// service's or, for a RunTask task, its own, and its task definition's.
// They were checked when stored, so one that no longer parses is skipped
// rather than blocking the task.
func memberOfQueries(svc *ecs.Service, def *ecs.TaskDefinition, t *ecs.Task) []*ecs.InstanceQuery {
	var exprs []string
	for _, pc := range placementConstraints(svc, t) {
		if pc.Type == "memberOf" {
			exprs = append(exprs, pc.Expression)
		}
	}
	for _, pc := range def.PlacementConstraints {
		if pc.Type == "memberOf" {
			exprs = append(exprs, pc.Expression)
		}
	}
	var queries []*ecs.InstanceQuery
	for _, expr := range exprs {
		if q, err := ecs.ParseInstanceQuery(expr); err == nil {
			queries = append(queries, q)
		}
	}
	return queries
}

// placementConstraints are the constraints a task was launched with: its
// service's, or the ones RunTask stored on it.
func placementConstraints(svc *ecs.Service, t *ecs.Task) []ecs.PlacementConstraint {
	if svc != nil {
		return svc.PlacementConstraints
	}
	return t.PlacementConstraints
}

func hasConstraint(svc *ecs.Service, t *ecs.Task, kind string) bool {
	for _, pc := range placementConstraints(svc, t) {
		if pc.Type == kind {
			return true
		}
	}
	return false
}

// assign binds a task to an instance and gives it its network interface.
func assign(t *ecs.Task, u *instanceUsage, ip string, svc *ecs.Service) {
	t.ContainerInstanceArn = u.instance.ContainerInstanceArn
	t.LastStatus = statusPending
	t.AvailabilityZone = u.zone
	subnet := ""
	if subnets := taskSubnets(t, svc); len(subnets) > 0 {
		subnet = subnets[0]
	}
	attachENI(t, ip, subnet)
}

// taskSubnets are the subnets of the task's network configuration: a
// service's tasks take their service's, RunTask's and StartTask's their own.
func taskSubnets(t *ecs.Task, svc *ecs.Service) []string {
	network := t.NetworkConfiguration
	if svc != nil {
		network = svc.NetworkConfiguration
	}
	if network == nil || network.AwsvpcConfiguration == nil {
		return nil
	}
	return network.AwsvpcConfiguration.Subnets
}

// placeOnFargate gives a Fargate task its network interface without a
// container instance, as Fargate does: in the subnet of its network
// configuration that holds the fewest of its group's tasks (Fargate spreads
// a service's tasks over the zones of the subnets given), with an address
// of its own. Fargate's capacity is not modelled: every task fits.
func (c *Controller) placeOnFargate(s *ecs.State, t *ecs.Task, def *ecs.TaskDefinition, svc *ecs.Service, inUse map[string]bool, tasks []*ecs.Task) error {
	inSubnet := map[string]int{}
	for _, other := range tasks {
		if other.Group == t.Group && active(other) && other.TaskArn != t.TaskArn {
			inSubnet[attachmentDetail(other, "subnetId")]++
		}
	}
	subnet := ""
	for _, id := range taskSubnets(t, svc) {
		if subnet == "" || inSubnet[id] < inSubnet[subnet] {
			subnet = id
		}
	}
	zone, known := c.subnetZones[subnet]
	if !known {
		// EC2 cannot be read in this transaction: placed once
		// reconcileServices has read the zone.
		c.zonesWanted[subnet] = true
		return nil
	}
	ip, err := c.addresses.allocate(inUse, containerPorts(def))
	if err != nil {
		return err
	}
	inUse[ip] = true
	t.LastStatus = statusPending
	t.AvailabilityZone = zone
	attachENI(t, ip, subnet)
	return s.PutTask(t)
}

// attachENI gives the task its elastic network interface with address ip in
// subnet, as ECS reports it in the task's attachments.
func attachENI(t *ecs.Task, ip, subnet string) {
	attachmentID := store.NewUUID()
	eni := store.NewID("eni-", 17)
	t.Attachments = []ecs.Attachment{{
		Id:     attachmentID,
		Type:   "ElasticNetworkInterface",
		Status: "ATTACHED",
		Details: []ecs.KeyValuePair{
			{Name: "subnetId", Value: subnet},
			{Name: "networkInterfaceId", Value: eni},
			{Name: "macAddress", Value: macFor(ip)},
			{Name: "privateDnsName", Value: "ip-" + strings.ReplaceAll(ip, ".", "-") + ".ec2.internal"},
			{Name: "privateIPv4Address", Value: ip},
		},
	}}
	for i := range t.Containers {
		t.Containers[i].NetworkInterfaces = []ecs.NetworkInterface{{AttachmentId: attachmentID, PrivateIpv4Address: ip}}
	}
}

// macFor derives a stable, locally administered MAC address from an IP.
func macFor(ip string) string {
	parts := strings.Split(ip, ".")
	octets := []string{"0a", "be"}
	for _, p := range parts {
		n, _ := strconv.Atoi(p)
		octets = append(octets, fmt.Sprintf("%02x", n))
	}
	return strings.Join(octets, ":")
}

// containerPorts are the ports a task's containers listen on.
func containerPorts(def *ecs.TaskDefinition) []int {
	var ports []int
	for _, cd := range def.ContainerDefinitions {
		for _, pm := range cd.PortMappings {
			if pm.ContainerPort > 0 {
				ports = append(ports, int(pm.ContainerPort))
			}
		}
	}
	return ports
}

// taskAddress is the task's private IPv4 address, "" before placement.
func taskAddress(t *ecs.Task) string {
	for _, a := range t.Attachments {
		for _, d := range a.Details {
			if d.Name == "privateIPv4Address" {
				return d.Value
			}
		}
	}
	return ""
}

// writeRemaining keeps DescribeContainerInstances' remaining resources and
// task counts true to what is placed.
func (c *Controller) writeRemaining(s *ecs.State, instances []*instanceUsage) error {
	for _, u := range instances {
		ci := u.instance
		remaining := []ecs.Resource{
			{Name: "CPU", Type: "INTEGER", IntegerValue: int32(resourceInt(ci.RegisteredResources, "CPU") - u.cpu)},
			{Name: "MEMORY", Type: "INTEGER", IntegerValue: int32(resourceInt(ci.RegisteredResources, "MEMORY") - u.mem)},
		}
		for _, r := range ci.RemainingResources {
			if r.Name != "CPU" && r.Name != "MEMORY" {
				remaining = append(remaining, r)
			}
		}
		if resourceInt(ci.RemainingResources, "CPU") == int(remaining[0].IntegerValue) &&
			resourceInt(ci.RemainingResources, "MEMORY") == int(remaining[1].IntegerValue) &&
			int(ci.RunningTasksCount) == u.tasks {
			continue
		}
		ci.RemainingResources = remaining
		ci.RunningTasksCount = int32(u.tasks)
		if err := s.PutContainerInstance(ci); err != nil {
			return err
		}
	}
	return nil
}
