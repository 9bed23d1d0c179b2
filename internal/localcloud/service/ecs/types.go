package ecs

import (
	"github.com/berthdev/berth/internal/localcloud/protocol/awsjson"
	"github.com/berthdev/berth/internal/localcloud/service/ecs/wire"
)

// ECS's records as the store keeps them and the scheduler edits them.
// Requests and responses are the shapes generated from AWS's model
// (package wire); wire.go converts between the two.
//
// Where a record's part is plain data that only travels (tags, log
// configurations, mount points, network configurations, …), the record
// holds the wire shape itself. The records' own JSON names are the
// model's member names: they are the store's format, and state written
// before the wire layer was generated reads back unchanged.
type (
	Tag                               = wire.Tag
	KeyValuePair                      = wire.KeyValuePair
	Failure                           = wire.Failure
	ClusterSetting                    = wire.ClusterSetting
	ClusterConfiguration              = wire.ClusterConfiguration
	ServiceConnectDefaults            = wire.ClusterServiceConnectDefaults
	Attachment                        = wire.Attachment
	Secret                            = wire.Secret
	LogConfiguration                  = wire.LogConfiguration
	MountPoint                        = wire.MountPoint
	VolumeFrom                        = wire.VolumeFrom
	ContainerDependency               = wire.ContainerDependency
	EnvironmentFile                   = wire.EnvironmentFile
	ResourceRequirement               = wire.ResourceRequirement
	HostEntry                         = wire.HostEntry
	SystemControl                     = wire.SystemControl
	RepositoryCredentials             = wire.RepositoryCredentials
	HostVolumeProperties              = wire.HostVolumeProperties
	RuntimePlatform                   = wire.RuntimePlatform
	TaskDefinitionPlacementConstraint = wire.TaskDefinitionPlacementConstraint
	NetworkConfiguration              = wire.NetworkConfiguration
	AwsVpcConfiguration               = wire.AwsVpcConfiguration
	PlacementConstraint               = wire.PlacementConstraint
	PlacementStrategy                 = wire.PlacementStrategy
	DeploymentController              = wire.DeploymentController
	NetworkInterface                  = wire.NetworkInterface
	VersionInfo                       = wire.VersionInfo
	Setting                           = wire.Setting
	Volume                            = wire.Volume
	ContainerImage                    = wire.ContainerImage
	ServiceDeploymentAlarms           = wire.ServiceDeploymentAlarms
)

// CapacityProviderStrategyItem weighs one capacity provider in a strategy.
type CapacityProviderStrategyItem struct {
	CapacityProvider string `json:"capacityProvider"`
	Weight           int32  `json:"weight"`
	Base             int32  `json:"base"`
}

// Cluster is an ECS cluster. Its counts are computed from the state when it
// is described, never stored.
type Cluster struct {
	ClusterArn                        string                         `json:"clusterArn"`
	ClusterName                       string                         `json:"clusterName"`
	Status                            string                         `json:"status"`
	Configuration                     *ClusterConfiguration          `json:"configuration,omitempty"`
	RegisteredContainerInstancesCount int32                          `json:"registeredContainerInstancesCount"`
	RunningTasksCount                 int32                          `json:"runningTasksCount"`
	PendingTasksCount                 int32                          `json:"pendingTasksCount"`
	ActiveServicesCount               int32                          `json:"activeServicesCount"`
	Statistics                        []KeyValuePair                 `json:"statistics"`
	Tags                              []Tag                          `json:"tags"`
	Settings                          []ClusterSetting               `json:"settings,omitempty"`
	CapacityProviders                 []string                       `json:"capacityProviders"`
	DefaultCapacityProviderStrategy   []CapacityProviderStrategyItem `json:"defaultCapacityProviderStrategy"`
	Attachments                       []Attachment                   `json:"attachments,omitempty"`
	AttachmentsStatus                 string                         `json:"attachmentsStatus,omitempty"`
	ServiceConnectDefaults            *ServiceConnectDefaults        `json:"serviceConnectDefaults,omitempty"`
}

// ManagedScaling is a capacity provider's cluster auto scaling settings.
type ManagedScaling struct {
	Status                 string `json:"status,omitempty"`
	TargetCapacity         *int32 `json:"targetCapacity,omitempty"`
	MinimumScalingStepSize *int32 `json:"minimumScalingStepSize,omitempty"`
	MaximumScalingStepSize *int32 `json:"maximumScalingStepSize,omitempty"`
	InstanceWarmupPeriod   *int32 `json:"instanceWarmupPeriod,omitempty"`
}

// AutoScalingGroupProvider ties a capacity provider to an Auto Scaling group.
type AutoScalingGroupProvider struct {
	AutoScalingGroupArn          string          `json:"autoScalingGroupArn"`
	ManagedScaling               *ManagedScaling `json:"managedScaling,omitempty"`
	ManagedTerminationProtection string          `json:"managedTerminationProtection,omitempty"`
	ManagedDraining              string          `json:"managedDraining,omitempty"`
}

// CapacityProvider is an ECS capacity provider (an ASG one, or FARGATE and
// FARGATE_SPOT, which are built in).
type CapacityProvider struct {
	CapacityProviderArn      string                    `json:"capacityProviderArn"`
	Name                     string                    `json:"name"`
	Status                   string                    `json:"status"`
	Type                     string                    `json:"type,omitempty"`
	AutoScalingGroupProvider *AutoScalingGroupProvider `json:"autoScalingGroupProvider,omitempty"`
	UpdateStatus             string                    `json:"updateStatus,omitempty"`
	UpdateStatusReason       string                    `json:"updateStatusReason,omitempty"`
	Tags                     []Tag                     `json:"tags"`
}

// PortMapping maps a container port to a host port.
type PortMapping struct {
	ContainerPort      int32  `json:"containerPort,omitempty"`
	HostPort           *int32 `json:"hostPort,omitempty"`
	Protocol           string `json:"protocol,omitempty"`
	Name               string `json:"name,omitempty"`
	AppProtocol        string `json:"appProtocol,omitempty"`
	ContainerPortRange string `json:"containerPortRange,omitempty"`
}

// HealthCheck is a container health check.
type HealthCheck struct {
	Command     []string `json:"command"`
	Interval    *int32   `json:"interval,omitempty"`
	Timeout     *int32   `json:"timeout,omitempty"`
	Retries     *int32   `json:"retries,omitempty"`
	StartPeriod *int32   `json:"startPeriod,omitempty"`
}

// Ulimit is a resource limit for a container.
type Ulimit struct {
	Name      string `json:"name"`
	SoftLimit int32  `json:"softLimit"`
	HardLimit int32  `json:"hardLimit"`
}

// ContainerDefinition is one container of a task definition. cpu is an
// integer here (the task-level cpu is a string).
type ContainerDefinition struct {
	Name                   string                 `json:"name,omitempty"`
	Image                  string                 `json:"image,omitempty"`
	RepositoryCredentials  *RepositoryCredentials `json:"repositoryCredentials,omitempty"`
	Cpu                    int32                  `json:"cpu"`
	Memory                 *int32                 `json:"memory,omitempty"`
	MemoryReservation      *int32                 `json:"memoryReservation,omitempty"`
	Links                  []string               `json:"links,omitempty"`
	PortMappings           []PortMapping          `json:"portMappings"`
	Essential              *bool                  `json:"essential,omitempty"`
	EntryPoint             []string               `json:"entryPoint,omitempty"`
	Command                []string               `json:"command,omitempty"`
	Environment            []KeyValuePair         `json:"environment"`
	EnvironmentFiles       []EnvironmentFile      `json:"environmentFiles,omitempty"`
	MountPoints            []MountPoint           `json:"mountPoints"`
	VolumesFrom            []VolumeFrom           `json:"volumesFrom"`
	Secrets                []Secret               `json:"secrets,omitempty"`
	DependsOn              []ContainerDependency  `json:"dependsOn,omitempty"`
	StartTimeout           *int32                 `json:"startTimeout,omitempty"`
	StopTimeout            *int32                 `json:"stopTimeout,omitempty"`
	Hostname               string                 `json:"hostname,omitempty"`
	User                   string                 `json:"user,omitempty"`
	WorkingDirectory       string                 `json:"workingDirectory,omitempty"`
	DisableNetworking      *bool                  `json:"disableNetworking,omitempty"`
	Privileged             *bool                  `json:"privileged,omitempty"`
	ReadonlyRootFilesystem *bool                  `json:"readonlyRootFilesystem,omitempty"`
	DnsServers             []string               `json:"dnsServers,omitempty"`
	DnsSearchDomains       []string               `json:"dnsSearchDomains,omitempty"`
	ExtraHosts             []HostEntry            `json:"extraHosts,omitempty"`
	DockerSecurityOptions  []string               `json:"dockerSecurityOptions,omitempty"`
	Interactive            *bool                  `json:"interactive,omitempty"`
	PseudoTerminal         *bool                  `json:"pseudoTerminal,omitempty"`
	DockerLabels           map[string]string      `json:"dockerLabels,omitempty"`
	Ulimits                []Ulimit               `json:"ulimits,omitempty"`
	LogConfiguration       *LogConfiguration      `json:"logConfiguration,omitempty"`
	HealthCheck            *HealthCheck           `json:"healthCheck,omitempty"`
	SystemControls         []SystemControl        `json:"systemControls"`
	ResourceRequirements   []ResourceRequirement  `json:"resourceRequirements,omitempty"`
	VersionConsistency     string                 `json:"versionConsistency,omitempty"`
}

// Attribute is a container instance attribute or a task definition's
// required attribute.
type Attribute struct {
	Name       string  `json:"name"`
	Value      *string `json:"value,omitempty"`
	TargetType string  `json:"targetType,omitempty"`
	TargetId   string  `json:"targetId,omitempty"`
}

// EphemeralStorage is a Fargate task's scratch space.
type EphemeralStorage struct {
	SizeInGiB int32 `json:"sizeInGiB"`
}

// TaskDefinition is one immutable revision of a family. cpu and memory are
// strings on the wire.
type TaskDefinition struct {
	TaskDefinitionArn       string                              `json:"taskDefinitionArn"`
	ContainerDefinitions    []ContainerDefinition               `json:"containerDefinitions"`
	Family                  string                              `json:"family"`
	TaskRoleArn             string                              `json:"taskRoleArn,omitempty"`
	ExecutionRoleArn        string                              `json:"executionRoleArn,omitempty"`
	NetworkMode             string                              `json:"networkMode,omitempty"`
	Revision                int32                               `json:"revision"`
	Volumes                 []Volume                            `json:"volumes"`
	Status                  string                              `json:"status"`
	RequiresAttributes      []Attribute                         `json:"requiresAttributes,omitempty"`
	PlacementConstraints    []TaskDefinitionPlacementConstraint `json:"placementConstraints"`
	Compatibilities         []string                            `json:"compatibilities"`
	RuntimePlatform         *RuntimePlatform                    `json:"runtimePlatform,omitempty"`
	RequiresCompatibilities []string                            `json:"requiresCompatibilities,omitempty"`
	Cpu                     string                              `json:"cpu,omitempty"`
	Memory                  string                              `json:"memory,omitempty"`
	PidMode                 string                              `json:"pidMode,omitempty"`
	IpcMode                 string                              `json:"ipcMode,omitempty"`
	EphemeralStorage        *EphemeralStorage                   `json:"ephemeralStorage,omitempty"`
	RegisteredAt            awsjson.Time                        `json:"registeredAt,omitzero"`
	DeregisteredAt          awsjson.Time                        `json:"deregisteredAt,omitzero"`
	DeleteRequestedAt       awsjson.Time                        `json:"deleteRequestedAt,omitzero"`
	RegisteredBy            string                              `json:"registeredBy,omitempty"`
	EnableFaultInjection    *bool                               `json:"enableFaultInjection,omitempty"`
}

// LoadBalancer binds a container port to a target group.
type LoadBalancer struct {
	TargetGroupArn   string `json:"targetGroupArn,omitempty"`
	LoadBalancerName string `json:"loadBalancerName,omitempty"`
	ContainerName    string `json:"containerName,omitempty"`
	ContainerPort    int32  `json:"containerPort,omitempty"`
}

// ServiceRegistry registers a service's tasks in Cloud Map.
type ServiceRegistry struct {
	RegistryArn   string `json:"registryArn,omitempty"`
	Port          *int32 `json:"port,omitempty"`
	ContainerName string `json:"containerName,omitempty"`
	ContainerPort *int32 `json:"containerPort,omitempty"`
}

// DeploymentCircuitBreaker fails (and optionally rolls back) a deployment
// whose tasks keep failing.
type DeploymentCircuitBreaker struct {
	Enable   bool `json:"enable"`
	Rollback bool `json:"rollback"`
}

// DeploymentAlarms fails a deployment when CloudWatch alarms fire.
type DeploymentAlarms struct {
	AlarmNames []string `json:"alarmNames"`
	Enable     bool     `json:"enable"`
	Rollback   bool     `json:"rollback"`
}

// DeploymentConfiguration bounds a rolling deployment.
type DeploymentConfiguration struct {
	DeploymentCircuitBreaker *DeploymentCircuitBreaker `json:"deploymentCircuitBreaker,omitempty"`
	MaximumPercent           *int32                    `json:"maximumPercent,omitempty"`
	MinimumHealthyPercent    *int32                    `json:"minimumHealthyPercent,omitempty"`
	Alarms                   *DeploymentAlarms         `json:"alarms,omitempty"`
	Strategy                 string                    `json:"strategy,omitempty"`
	BakeTimeInMinutes        *int32                    `json:"bakeTimeInMinutes,omitempty"`
}

// Deployment is one version of a service being rolled out or replaced. Its
// Id is the startedBy of its tasks.
type Deployment struct {
	Id                       string                         `json:"id"`
	Status                   string                         `json:"status"`
	TaskDefinition           string                         `json:"taskDefinition"`
	DesiredCount             int32                          `json:"desiredCount"`
	PendingCount             int32                          `json:"pendingCount"`
	RunningCount             int32                          `json:"runningCount"`
	FailedTasks              int32                          `json:"failedTasks"`
	CreatedAt                awsjson.Time                   `json:"createdAt,omitzero"`
	UpdatedAt                awsjson.Time                   `json:"updatedAt,omitzero"`
	CapacityProviderStrategy []CapacityProviderStrategyItem `json:"capacityProviderStrategy,omitempty"`
	LaunchType               string                         `json:"launchType,omitempty"`
	PlatformVersion          string                         `json:"platformVersion,omitempty"`
	PlatformFamily           string                         `json:"platformFamily,omitempty"`
	NetworkConfiguration     *NetworkConfiguration          `json:"networkConfiguration,omitempty"`
	RolloutState             string                         `json:"rolloutState,omitempty"`
	RolloutStateReason       string                         `json:"rolloutStateReason,omitempty"`
}

// ServiceEvent is one line of a service's event log.
type ServiceEvent struct {
	Id        string       `json:"id"`
	CreatedAt awsjson.Time `json:"createdAt"`
	Message   string       `json:"message"`
}

// Service is an ECS service. Deployments[0] is the PRIMARY one; Events are
// newest first.
type Service struct {
	ServiceArn                    string                         `json:"serviceArn"`
	ServiceName                   string                         `json:"serviceName"`
	ClusterArn                    string                         `json:"clusterArn"`
	LoadBalancers                 []LoadBalancer                 `json:"loadBalancers"`
	ServiceRegistries             []ServiceRegistry              `json:"serviceRegistries"`
	Status                        string                         `json:"status"`
	DesiredCount                  int32                          `json:"desiredCount"`
	RunningCount                  int32                          `json:"runningCount"`
	PendingCount                  int32                          `json:"pendingCount"`
	LaunchType                    string                         `json:"launchType,omitempty"`
	CapacityProviderStrategy      []CapacityProviderStrategyItem `json:"capacityProviderStrategy,omitempty"`
	PlatformVersion               string                         `json:"platformVersion,omitempty"`
	PlatformFamily                string                         `json:"platformFamily,omitempty"`
	TaskDefinition                string                         `json:"taskDefinition"`
	DeploymentConfiguration       *DeploymentConfiguration       `json:"deploymentConfiguration,omitempty"`
	Deployments                   []Deployment                   `json:"deployments"`
	RoleArn                       string                         `json:"roleArn,omitempty"`
	Events                        []ServiceEvent                 `json:"events"`
	CreatedAt                     awsjson.Time                   `json:"createdAt,omitzero"`
	PlacementConstraints          []PlacementConstraint          `json:"placementConstraints"`
	PlacementStrategy             []PlacementStrategy            `json:"placementStrategy"`
	NetworkConfiguration          *NetworkConfiguration          `json:"networkConfiguration,omitempty"`
	HealthCheckGracePeriodSeconds *int32                         `json:"healthCheckGracePeriodSeconds,omitempty"`
	SchedulingStrategy            string                         `json:"schedulingStrategy"`
	DeploymentController          *DeploymentController          `json:"deploymentController,omitempty"`
	Tags                          []Tag                          `json:"tags,omitempty"`
	CreatedBy                     string                         `json:"createdBy,omitempty"`
	EnableECSManagedTags          bool                           `json:"enableECSManagedTags"`
	PropagateTags                 string                         `json:"propagateTags,omitempty"`
	EnableExecuteCommand          bool                           `json:"enableExecuteCommand"`
	AvailabilityZoneRebalancing   string                         `json:"availabilityZoneRebalancing,omitempty"`
}

// NetworkBinding is a container port bound on the host (bridge and host
// network modes).
type NetworkBinding struct {
	BindIP        string `json:"bindIP,omitempty"`
	ContainerPort *int32 `json:"containerPort,omitempty"`
	HostPort      *int32 `json:"hostPort,omitempty"`
	Protocol      string `json:"protocol,omitempty"`
}

// Container is one running (or stopped) container of a task.
type Container struct {
	ContainerArn      string             `json:"containerArn"`
	TaskArn           string             `json:"taskArn"`
	Name              string             `json:"name"`
	Image             string             `json:"image,omitempty"`
	ImageDigest       string             `json:"imageDigest,omitempty"`
	RuntimeId         string             `json:"runtimeId,omitempty"`
	LastStatus        string             `json:"lastStatus"`
	ExitCode          *int32             `json:"exitCode,omitempty"`
	Reason            string             `json:"reason,omitempty"`
	NetworkBindings   []NetworkBinding   `json:"networkBindings"`
	NetworkInterfaces []NetworkInterface `json:"networkInterfaces"`
	HealthStatus      string             `json:"healthStatus,omitempty"`
	Cpu               string             `json:"cpu,omitempty"`
	Memory            string             `json:"memory,omitempty"`
	MemoryReservation string             `json:"memoryReservation,omitempty"`
}

// ContainerOverride changes one container of a task at launch.
type ContainerOverride struct {
	Name              string         `json:"name,omitempty"`
	Command           []string       `json:"command,omitempty"`
	Environment       []KeyValuePair `json:"environment,omitempty"`
	Cpu               *int32         `json:"cpu,omitempty"`
	Memory            *int32         `json:"memory,omitempty"`
	MemoryReservation *int32         `json:"memoryReservation,omitempty"`
}

// TaskOverride changes a task at launch.
type TaskOverride struct {
	ContainerOverrides            []ContainerOverride                 `json:"containerOverrides"`
	InferenceAcceleratorOverrides []wire.InferenceAcceleratorOverride `json:"inferenceAcceleratorOverrides"`
	Cpu                           string                              `json:"cpu,omitempty"`
	Memory                        string                              `json:"memory,omitempty"`
	ExecutionRoleArn              string                              `json:"executionRoleArn,omitempty"`
	TaskRoleArn                   string                              `json:"taskRoleArn,omitempty"`
}

// Task is one instantiation of a task definition.
type Task struct {
	TaskArn              string        `json:"taskArn"`
	ClusterArn           string        `json:"clusterArn"`
	TaskDefinitionArn    string        `json:"taskDefinitionArn"`
	ContainerInstanceArn string        `json:"containerInstanceArn,omitempty"`
	Overrides            *TaskOverride `json:"overrides,omitempty"`
	LastStatus           string        `json:"lastStatus"`
	DesiredStatus        string        `json:"desiredStatus"`
	Cpu                  string        `json:"cpu,omitempty"`
	Memory               string        `json:"memory,omitempty"`
	Containers           []Container   `json:"containers"`
	StartedBy            string        `json:"startedBy,omitempty"`
	Version              int64         `json:"version"`
	StopCode             string        `json:"stopCode,omitempty"`
	StoppedReason        string        `json:"stoppedReason,omitempty"`
	Connectivity         string        `json:"connectivity,omitempty"`
	ConnectivityAt       awsjson.Time  `json:"connectivityAt,omitzero"`
	PullStartedAt        awsjson.Time  `json:"pullStartedAt,omitzero"`
	PullStoppedAt        awsjson.Time  `json:"pullStoppedAt,omitzero"`
	ExecutionStoppedAt   awsjson.Time  `json:"executionStoppedAt,omitzero"`
	CreatedAt            awsjson.Time  `json:"createdAt,omitzero"`
	StartedAt            awsjson.Time  `json:"startedAt,omitzero"`
	StoppingAt           awsjson.Time  `json:"stoppingAt,omitzero"`
	StoppedAt            awsjson.Time  `json:"stoppedAt,omitzero"`
	Group                string        `json:"group,omitempty"`
	LaunchType           string        `json:"launchType,omitempty"`
	CapacityProviderName string        `json:"capacityProviderName,omitempty"`
	PlatformVersion      string        `json:"platformVersion,omitempty"`
	PlatformFamily       string        `json:"platformFamily,omitempty"`
	Attachments          []Attachment  `json:"attachments"`
	Attributes           []Attribute   `json:"attributes,omitempty"`
	HealthStatus         string        `json:"healthStatus,omitempty"`
	AvailabilityZone     string        `json:"availabilityZone,omitempty"`
	EnableExecuteCommand bool          `json:"enableExecuteCommand"`
	Tags                 []Tag         `json:"tags,omitempty"`
	// PlacementConstraints and PlacementStrategy are RunTask's own, stored
	// for the controller's placement of the task; ECS does not show them
	// on a task, so taskOut leaves them out.
	PlacementConstraints []PlacementConstraint `json:"placementConstraints,omitempty"`
	PlacementStrategy    []PlacementStrategy   `json:"placementStrategy,omitempty"`
	// NetworkConfiguration is RunTask's or StartTask's, stored for the
	// task's ENI (its subnet) and security groups; ECS shows the ENI as
	// an attachment, not this.
	NetworkConfiguration *NetworkConfiguration `json:"networkConfiguration,omitempty"`
}

// Resource is a container instance resource (CPU, MEMORY, PORTS, PORTS_UDP).
type Resource struct {
	Name           string   `json:"name"`
	Type           string   `json:"type"`
	DoubleValue    float64  `json:"doubleValue"`
	LongValue      int64    `json:"longValue"`
	IntegerValue   int32    `json:"integerValue"`
	StringSetValue []string `json:"stringSetValue,omitempty"`
}

// ContainerInstance is an EC2 instance registered with a cluster.
type ContainerInstance struct {
	ContainerInstanceArn string       `json:"containerInstanceArn"`
	Ec2InstanceId        string       `json:"ec2InstanceId"`
	CapacityProviderName string       `json:"capacityProviderName,omitempty"`
	Version              int64        `json:"version"`
	VersionInfo          *VersionInfo `json:"versionInfo,omitempty"`
	RemainingResources   []Resource   `json:"remainingResources"`
	RegisteredResources  []Resource   `json:"registeredResources"`
	Status               string       `json:"status"`
	StatusReason         string       `json:"statusReason,omitempty"`
	AgentConnected       bool         `json:"agentConnected"`
	RunningTasksCount    int32        `json:"runningTasksCount"`
	PendingTasksCount    int32        `json:"pendingTasksCount"`
	AgentUpdateStatus    string       `json:"agentUpdateStatus,omitempty"`
	Attributes           []Attribute  `json:"attributes"`
	RegisteredAt         awsjson.Time `json:"registeredAt,omitzero"`
	Attachments          []Attachment `json:"attachments"`
	Tags                 []Tag        `json:"tags,omitempty"`
}
