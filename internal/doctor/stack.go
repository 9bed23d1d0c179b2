package doctor

import "slices"

// Stack is what the checks read: one ECS service and what it runs on and
// behind. A field that is not known (a stack not deployed yet has no
// security group ids) is nil or zero, and the checks that need it say so
// rather than guess.
type Stack struct {
	// Source names where the model comes from, for the findings.
	Source           string
	Cluster, Service string
	// Desired is the service's desired count; MaxDesired is the most it
	// can scale to (autoscaling's max, else Desired).
	Desired, MaxDesired int
	// MaximumPercent is the deployment's: a rolling deploy starts up to
	// Desired × MaximumPercent / 100 tasks at once.
	MaximumPercent   int
	Fargate          bool
	NetworkMode      string
	DistinctInstance bool
	Task             Task
	// Network of the tasks (awsvpc).
	TaskSubnets  []string
	TaskGroups   []string
	TaskPublicIP bool
	Targets      []Target
	// Instances is nil on Fargate.
	Instances *Instances
	// InstanceTypes holds what EC2 says of each type of Instances.Types.
	InstanceTypes map[string]InstanceType
	// Groups, Subnets and Endpoints are nil when the stack does not exist
	// yet.
	Groups    map[string]*Group
	Subnets   map[string]*Subnet
	Endpoints []Endpoint
	// AllowedCIDRs is whom berth.yaml lets reach the load balancer; nil
	// for a stack berth did not make, whose intent is not known.
	AllowedCIDRs []string
}

// Task is the task definition.
type Task struct {
	Family string
	// CPU and Memory are the task-level sizes; 0 when only the containers
	// have them.
	CPU, Memory int
	Containers  []Container
}

// Container is one container definition.
type Container struct {
	Name, Image               string
	CPU, Memory, MemoryReserv int
	Ports                     []PortMapping
	// Secrets are the ARNs (or SSM names) of the container's secrets.
	Secrets []string
	// LogsToCloudWatch is set when the container logs with awslogs.
	LogsToCloudWatch bool
}

// PortMapping is a container port and the host port it maps to (equal
// under awsvpc).
type PortMapping struct{ Container, Host int }

// Target is one of the service's load balancer entries.
type Target struct {
	ContainerName string
	ContainerPort int
	Group         TargetGroup
	LoadBalancers []LoadBalancer
}

// TargetGroup is the part of a target group the checks read.
type TargetGroup struct {
	Name       string
	Port       int
	Protocol   string
	TargetType string
	HealthPath string
	// HealthPort is "traffic-port" or a port number.
	HealthPort          string
	Interval, Healthy   int
	DeregistrationDelay int
	Matcher             string
}

// LoadBalancer is an ALB in front of a target group.
type LoadBalancer struct {
	Name      string
	Groups    []string
	Listeners []int
}

// Instances is the EC2 capacity of the service.
type Instances struct {
	// Source names where they were read: an Auto Scaling group, or the
	// cluster's registered instances.
	Source string
	Types  []string
	// Max is how many instances there can be.
	Max      int
	Groups   []string
	Subnets  []string
	PublicIP bool
	// RegisteredMemory and RegisteredCPU are what the instances told ECS
	// they have for tasks, by type; empty when none registered.
	RegisteredMemory, RegisteredCPU map[string]int
	// Registered counts the instances in the cluster.
	Registered int
}

// InstanceType is what a type has for tasks.
type InstanceType struct {
	VCPUs, MemoryMiB, MaxENIs int
}

// Group is a security group.
type Group struct {
	ID, Name        string
	Ingress, Egress []Permission
}

// Permission is one rule: a protocol ("-1" is any), a port range and its
// peers.
type Permission struct {
	Protocol string
	From, To int
	CIDRs    []string
	Groups   []string
}

// covers reports whether the rule lets TCP traffic to port through.
func (p Permission) covers(port int) bool {
	return p.Protocol == "-1" || (p.Protocol == "tcp" || p.Protocol == "6") && p.From <= port && port <= p.To
}

// world reports whether the rule is open to every address.
func (p Permission) world() bool {
	return slices.Contains(p.CIDRs, "0.0.0.0/0") || slices.Contains(p.CIDRs, "::/0")
}

// Subnet is a subnet and where its route table sends 0.0.0.0/0.
type Subnet struct {
	ID, Zone, VPC string
	// DefaultRoute is the target of the 0.0.0.0/0 route: an igw-, nat- or
	// other id; "" when there is none.
	DefaultRoute string
	RouteTable   string
}

// Endpoint is a VPC endpoint.
type Endpoint struct {
	Service     string
	Type        string
	Subnets     []string
	RouteTables []string
}
