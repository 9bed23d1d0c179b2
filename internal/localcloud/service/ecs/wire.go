package ecs

import (
	"github.com/berthdev/berth/internal/localcloud/protocol/awsjson"
	"github.com/berthdev/berth/internal/localcloud/service/ecs/wire"
)

// Conversions between ECS's records and the wire shapes generated from
// AWS's model. A record member that AWS always sends (counts, flags,
// lists) becomes a set pointer or a non-nil list; an optional one stays
// absent when unset, as before the shapes were generated.

func num(v int32) *int { n := int(v); return &n }

func numOpt(v int32) *int {
	if v == 0 {
		return nil
	}
	return num(v)
}

func numPtr(p *int32) *int {
	if p == nil {
		return nil
	}
	return num(*p)
}

func num64(v int64) *int { n := int(v); return &n }

func stamp(t awsjson.Time) *awsjson.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// int32Ptr and int32Of read a request's integer member.
func int32Ptr(p *int) *int32 {
	if p == nil {
		return nil
	}
	v := int32(*p)
	return &v
}

func int32Of(p *int) int32 { return ptrValue(int32Ptr(p)) }

// omitEmpty drops an empty list, for members AWS leaves out then.
func omitEmpty[T any](s []T) []T {
	if len(s) == 0 {
		return nil
	}
	return s
}

func omitEmptyMap[K comparable, V any](m map[K]V) map[K]V {
	if len(m) == 0 {
		return nil
	}
	return m
}

// listOf converts each item; nil stays nil.
func listOf[D, W any](items []D, f func(D) W) []W {
	if items == nil {
		return nil
	}
	out := make([]W, len(items))
	for i, item := range items {
		out[i] = f(item)
	}
	return out
}

func strategyOut(item CapacityProviderStrategyItem) wire.CapacityProviderStrategyItem {
	return wire.CapacityProviderStrategyItem{CapacityProvider: item.CapacityProvider, Weight: num(item.Weight), Base: num(item.Base)}
}

func strategyIn(item wire.CapacityProviderStrategyItem) CapacityProviderStrategyItem {
	return CapacityProviderStrategyItem{CapacityProvider: item.CapacityProvider, Weight: int32Of(item.Weight), Base: int32Of(item.Base)}
}

func strategyListIn(items []wire.CapacityProviderStrategyItem) []CapacityProviderStrategyItem {
	return listOf(items, strategyIn)
}

func clusterOut(c *Cluster) *wire.Cluster {
	if c == nil {
		return nil
	}
	return &wire.Cluster{
		ClusterArn:                        c.ClusterArn,
		ClusterName:                       c.ClusterName,
		Status:                            c.Status,
		Configuration:                     c.Configuration,
		RegisteredContainerInstancesCount: num(c.RegisteredContainerInstancesCount),
		RunningTasksCount:                 num(c.RunningTasksCount),
		PendingTasksCount:                 num(c.PendingTasksCount),
		ActiveServicesCount:               num(c.ActiveServicesCount),
		Statistics:                        orEmpty(c.Statistics),
		Tags:                              orEmpty(c.Tags),
		Settings:                          omitEmpty(c.Settings),
		CapacityProviders:                 orEmpty(c.CapacityProviders),
		DefaultCapacityProviderStrategy:   orEmpty(listOf(c.DefaultCapacityProviderStrategy, strategyOut)),
		Attachments:                       omitEmpty(c.Attachments),
		AttachmentsStatus:                 c.AttachmentsStatus,
		ServiceConnectDefaults:            c.ServiceConnectDefaults,
	}
}

func managedScalingOut(m *ManagedScaling) *wire.ManagedScaling {
	if m == nil {
		return nil
	}
	return &wire.ManagedScaling{
		Status:                 m.Status,
		TargetCapacity:         numPtr(m.TargetCapacity),
		MinimumScalingStepSize: numPtr(m.MinimumScalingStepSize),
		MaximumScalingStepSize: numPtr(m.MaximumScalingStepSize),
		InstanceWarmupPeriod:   numPtr(m.InstanceWarmupPeriod),
	}
}

func managedScalingIn(m *wire.ManagedScaling) *ManagedScaling {
	if m == nil {
		return nil
	}
	return &ManagedScaling{
		Status:                 m.Status,
		TargetCapacity:         int32Ptr(m.TargetCapacity),
		MinimumScalingStepSize: int32Ptr(m.MinimumScalingStepSize),
		MaximumScalingStepSize: int32Ptr(m.MaximumScalingStepSize),
		InstanceWarmupPeriod:   int32Ptr(m.InstanceWarmupPeriod),
	}
}

func capacityProviderOut(cp *CapacityProvider) *wire.CapacityProvider {
	if cp == nil {
		return nil
	}
	out := &wire.CapacityProvider{
		CapacityProviderArn: cp.CapacityProviderArn,
		Name:                cp.Name,
		Status:              cp.Status,
		Type:                cp.Type,
		UpdateStatus:        cp.UpdateStatus,
		UpdateStatusReason:  cp.UpdateStatusReason,
		Tags:                orEmpty(cp.Tags),
	}
	if g := cp.AutoScalingGroupProvider; g != nil {
		out.AutoScalingGroupProvider = &wire.AutoScalingGroupProvider{
			AutoScalingGroupArn:          g.AutoScalingGroupArn,
			ManagedScaling:               managedScalingOut(g.ManagedScaling),
			ManagedTerminationProtection: g.ManagedTerminationProtection,
			ManagedDraining:              g.ManagedDraining,
		}
	}
	return out
}

func portMappingOut(pm PortMapping) wire.PortMapping {
	return wire.PortMapping{
		ContainerPort: numOpt(pm.ContainerPort), HostPort: numPtr(pm.HostPort), Protocol: pm.Protocol,
		Name: pm.Name, AppProtocol: pm.AppProtocol, ContainerPortRange: pm.ContainerPortRange,
	}
}

func portMappingIn(pm wire.PortMapping) PortMapping {
	return PortMapping{
		ContainerPort: int32Of(pm.ContainerPort), HostPort: int32Ptr(pm.HostPort), Protocol: pm.Protocol,
		Name: pm.Name, AppProtocol: pm.AppProtocol, ContainerPortRange: pm.ContainerPortRange,
	}
}

func healthCheckOut(h *HealthCheck) *wire.HealthCheck {
	if h == nil {
		return nil
	}
	return &wire.HealthCheck{Command: orEmpty(h.Command), Interval: numPtr(h.Interval), Timeout: numPtr(h.Timeout),
		Retries: numPtr(h.Retries), StartPeriod: numPtr(h.StartPeriod)}
}

func healthCheckIn(h *wire.HealthCheck) *HealthCheck {
	if h == nil {
		return nil
	}
	return &HealthCheck{Command: h.Command, Interval: int32Ptr(h.Interval), Timeout: int32Ptr(h.Timeout),
		Retries: int32Ptr(h.Retries), StartPeriod: int32Ptr(h.StartPeriod)}
}

func ulimitOut(u Ulimit) wire.Ulimit {
	return wire.Ulimit{Name: u.Name, SoftLimit: num(u.SoftLimit), HardLimit: num(u.HardLimit)}
}

func ulimitIn(u wire.Ulimit) Ulimit {
	return Ulimit{Name: u.Name, SoftLimit: int32Of(u.SoftLimit), HardLimit: int32Of(u.HardLimit)}
}

func containerDefinitionOut(cd ContainerDefinition) wire.ContainerDefinition {
	return wire.ContainerDefinition{
		Name:                   cd.Name,
		Image:                  cd.Image,
		RepositoryCredentials:  cd.RepositoryCredentials,
		Cpu:                    num(cd.Cpu),
		Memory:                 numPtr(cd.Memory),
		MemoryReservation:      numPtr(cd.MemoryReservation),
		Links:                  omitEmpty(cd.Links),
		PortMappings:           orEmpty(listOf(cd.PortMappings, portMappingOut)),
		Essential:              cd.Essential,
		EntryPoint:             omitEmpty(cd.EntryPoint),
		Command:                omitEmpty(cd.Command),
		Environment:            orEmpty(cd.Environment),
		EnvironmentFiles:       omitEmpty(cd.EnvironmentFiles),
		MountPoints:            orEmpty(cd.MountPoints),
		VolumesFrom:            orEmpty(cd.VolumesFrom),
		Secrets:                omitEmpty(cd.Secrets),
		DependsOn:              omitEmpty(cd.DependsOn),
		StartTimeout:           numPtr(cd.StartTimeout),
		StopTimeout:            numPtr(cd.StopTimeout),
		Hostname:               cd.Hostname,
		User:                   cd.User,
		WorkingDirectory:       cd.WorkingDirectory,
		DisableNetworking:      cd.DisableNetworking,
		Privileged:             cd.Privileged,
		ReadonlyRootFilesystem: cd.ReadonlyRootFilesystem,
		DnsServers:             omitEmpty(cd.DnsServers),
		DnsSearchDomains:       omitEmpty(cd.DnsSearchDomains),
		ExtraHosts:             omitEmpty(cd.ExtraHosts),
		DockerSecurityOptions:  omitEmpty(cd.DockerSecurityOptions),
		Interactive:            cd.Interactive,
		PseudoTerminal:         cd.PseudoTerminal,
		DockerLabels:           omitEmptyMap(cd.DockerLabels),
		Ulimits:                omitEmpty(listOf(cd.Ulimits, ulimitOut)),
		LogConfiguration:       cd.LogConfiguration,
		HealthCheck:            healthCheckOut(cd.HealthCheck),
		SystemControls:         orEmpty(cd.SystemControls),
		ResourceRequirements:   omitEmpty(cd.ResourceRequirements),
		VersionConsistency:     cd.VersionConsistency,
	}
}

func containerDefinitionIn(cd wire.ContainerDefinition) ContainerDefinition {
	return ContainerDefinition{
		Name:                   cd.Name,
		Image:                  cd.Image,
		RepositoryCredentials:  cd.RepositoryCredentials,
		Cpu:                    int32Of(cd.Cpu),
		Memory:                 int32Ptr(cd.Memory),
		MemoryReservation:      int32Ptr(cd.MemoryReservation),
		Links:                  omitEmpty(cd.Links),
		PortMappings:           listOf(cd.PortMappings, portMappingIn),
		Essential:              cd.Essential,
		EntryPoint:             omitEmpty(cd.EntryPoint),
		Command:                cd.Command,
		Environment:            cd.Environment,
		EnvironmentFiles:       cd.EnvironmentFiles,
		MountPoints:            cd.MountPoints,
		VolumesFrom:            cd.VolumesFrom,
		Secrets:                cd.Secrets,
		DependsOn:              cd.DependsOn,
		StartTimeout:           int32Ptr(cd.StartTimeout),
		StopTimeout:            int32Ptr(cd.StopTimeout),
		Hostname:               cd.Hostname,
		User:                   cd.User,
		WorkingDirectory:       cd.WorkingDirectory,
		DisableNetworking:      cd.DisableNetworking,
		Privileged:             cd.Privileged,
		ReadonlyRootFilesystem: cd.ReadonlyRootFilesystem,
		DnsServers:             cd.DnsServers,
		DnsSearchDomains:       cd.DnsSearchDomains,
		ExtraHosts:             cd.ExtraHosts,
		DockerSecurityOptions:  cd.DockerSecurityOptions,
		Interactive:            cd.Interactive,
		PseudoTerminal:         cd.PseudoTerminal,
		DockerLabels:           cd.DockerLabels,
		Ulimits:                listOf(cd.Ulimits, ulimitIn),
		LogConfiguration:       cd.LogConfiguration,
		HealthCheck:            healthCheckIn(cd.HealthCheck),
		SystemControls:         cd.SystemControls,
		ResourceRequirements:   cd.ResourceRequirements,
		VersionConsistency:     cd.VersionConsistency,
	}
}

func attributeOut(a Attribute) wire.Attribute {
	return wire.Attribute{Name: a.Name, Value: ptrValue(a.Value), TargetType: a.TargetType, TargetId: a.TargetId}
}

func attributeIn(a wire.Attribute) Attribute {
	out := Attribute{Name: a.Name, TargetType: a.TargetType, TargetId: a.TargetId}
	if a.Value != "" {
		out.Value = &a.Value
	}
	return out
}

func ephemeralStorageOut(e *EphemeralStorage) *wire.EphemeralStorage {
	if e == nil {
		return nil
	}
	return &wire.EphemeralStorage{SizeInGiB: num(e.SizeInGiB)}
}

func taskDefinitionOut(def *TaskDefinition) *wire.TaskDefinition {
	if def == nil {
		return nil
	}
	return &wire.TaskDefinition{
		TaskDefinitionArn:       def.TaskDefinitionArn,
		ContainerDefinitions:    orEmpty(listOf(def.ContainerDefinitions, containerDefinitionOut)),
		Family:                  def.Family,
		TaskRoleArn:             def.TaskRoleArn,
		ExecutionRoleArn:        def.ExecutionRoleArn,
		NetworkMode:             def.NetworkMode,
		Revision:                num(def.Revision),
		Volumes:                 orEmpty(def.Volumes),
		Status:                  def.Status,
		RequiresAttributes:      omitEmpty(listOf(def.RequiresAttributes, attributeOut)),
		PlacementConstraints:    orEmpty(def.PlacementConstraints),
		Compatibilities:         orEmpty(def.Compatibilities),
		RuntimePlatform:         def.RuntimePlatform,
		RequiresCompatibilities: omitEmpty(def.RequiresCompatibilities),
		Cpu:                     def.Cpu,
		Memory:                  def.Memory,
		PidMode:                 def.PidMode,
		IpcMode:                 def.IpcMode,
		EphemeralStorage:        ephemeralStorageOut(def.EphemeralStorage),
		RegisteredAt:            stamp(def.RegisteredAt),
		DeregisteredAt:          stamp(def.DeregisteredAt),
		DeleteRequestedAt:       stamp(def.DeleteRequestedAt),
		RegisteredBy:            def.RegisteredBy,
		EnableFaultInjection:    def.EnableFaultInjection,
	}
}

func loadBalancerOut(lb LoadBalancer) wire.LoadBalancer {
	return wire.LoadBalancer{TargetGroupArn: lb.TargetGroupArn, LoadBalancerName: lb.LoadBalancerName,
		ContainerName: lb.ContainerName, ContainerPort: numOpt(lb.ContainerPort)}
}

func loadBalancerIn(lb wire.LoadBalancer) LoadBalancer {
	return LoadBalancer{TargetGroupArn: lb.TargetGroupArn, LoadBalancerName: lb.LoadBalancerName,
		ContainerName: lb.ContainerName, ContainerPort: int32Of(lb.ContainerPort)}
}

func serviceRegistryOut(r ServiceRegistry) wire.ServiceRegistry {
	return wire.ServiceRegistry{RegistryArn: r.RegistryArn, Port: numPtr(r.Port), ContainerName: r.ContainerName, ContainerPort: numPtr(r.ContainerPort)}
}

func serviceRegistryIn(r wire.ServiceRegistry) ServiceRegistry {
	return ServiceRegistry{RegistryArn: r.RegistryArn, Port: int32Ptr(r.Port), ContainerName: r.ContainerName, ContainerPort: int32Ptr(r.ContainerPort)}
}

func deploymentConfigurationOut(c *DeploymentConfiguration) *wire.DeploymentConfiguration {
	if c == nil {
		return nil
	}
	out := &wire.DeploymentConfiguration{
		MaximumPercent:        numPtr(c.MaximumPercent),
		MinimumHealthyPercent: numPtr(c.MinimumHealthyPercent),
		Strategy:              c.Strategy,
		BakeTimeInMinutes:     numPtr(c.BakeTimeInMinutes),
	}
	if b := c.DeploymentCircuitBreaker; b != nil {
		out.DeploymentCircuitBreaker = &wire.DeploymentCircuitBreaker{Enable: ptr(b.Enable), Rollback: ptr(b.Rollback)}
	}
	if a := c.Alarms; a != nil {
		out.Alarms = &wire.DeploymentAlarms{AlarmNames: orEmpty(a.AlarmNames), Enable: ptr(a.Enable), Rollback: ptr(a.Rollback)}
	}
	return out
}

func deploymentConfigurationIn(c *wire.DeploymentConfiguration) *DeploymentConfiguration {
	if c == nil {
		return nil
	}
	out := &DeploymentConfiguration{
		MaximumPercent:        int32Ptr(c.MaximumPercent),
		MinimumHealthyPercent: int32Ptr(c.MinimumHealthyPercent),
		Strategy:              c.Strategy,
		BakeTimeInMinutes:     int32Ptr(c.BakeTimeInMinutes),
	}
	if b := c.DeploymentCircuitBreaker; b != nil {
		out.DeploymentCircuitBreaker = &DeploymentCircuitBreaker{Enable: ptrValue(b.Enable), Rollback: ptrValue(b.Rollback)}
	}
	if a := c.Alarms; a != nil {
		out.Alarms = &DeploymentAlarms{AlarmNames: a.AlarmNames, Enable: ptrValue(a.Enable), Rollback: ptrValue(a.Rollback)}
	}
	return out
}

func deploymentOut(d Deployment) wire.Deployment {
	return wire.Deployment{
		Id:                       d.Id,
		Status:                   d.Status,
		TaskDefinition:           d.TaskDefinition,
		DesiredCount:             num(d.DesiredCount),
		PendingCount:             num(d.PendingCount),
		RunningCount:             num(d.RunningCount),
		FailedTasks:              num(d.FailedTasks),
		CreatedAt:                stamp(d.CreatedAt),
		UpdatedAt:                stamp(d.UpdatedAt),
		CapacityProviderStrategy: omitEmpty(listOf(d.CapacityProviderStrategy, strategyOut)),
		LaunchType:               d.LaunchType,
		PlatformVersion:          d.PlatformVersion,
		PlatformFamily:           d.PlatformFamily,
		NetworkConfiguration:     d.NetworkConfiguration,
		RolloutState:             d.RolloutState,
		RolloutStateReason:       d.RolloutStateReason,
	}
}

func serviceEventOut(e ServiceEvent) wire.ServiceEvent {
	t := e.CreatedAt
	return wire.ServiceEvent{Id: e.Id, CreatedAt: &t, Message: e.Message}
}

func serviceOut(svc *Service) *wire.Service {
	if svc == nil {
		return nil
	}
	return &wire.Service{
		ServiceArn:                    svc.ServiceArn,
		ServiceName:                   svc.ServiceName,
		ClusterArn:                    svc.ClusterArn,
		LoadBalancers:                 orEmpty(listOf(svc.LoadBalancers, loadBalancerOut)),
		ServiceRegistries:             orEmpty(listOf(svc.ServiceRegistries, serviceRegistryOut)),
		Status:                        svc.Status,
		DesiredCount:                  num(svc.DesiredCount),
		RunningCount:                  num(svc.RunningCount),
		PendingCount:                  num(svc.PendingCount),
		LaunchType:                    svc.LaunchType,
		CapacityProviderStrategy:      omitEmpty(listOf(svc.CapacityProviderStrategy, strategyOut)),
		PlatformVersion:               svc.PlatformVersion,
		PlatformFamily:                svc.PlatformFamily,
		TaskDefinition:                svc.TaskDefinition,
		DeploymentConfiguration:       deploymentConfigurationOut(svc.DeploymentConfiguration),
		Deployments:                   orEmpty(listOf(svc.Deployments, deploymentOut)),
		RoleArn:                       svc.RoleArn,
		Events:                        orEmpty(listOf(svc.Events, serviceEventOut)),
		CreatedAt:                     stamp(svc.CreatedAt),
		PlacementConstraints:          orEmpty(svc.PlacementConstraints),
		PlacementStrategy:             orEmpty(svc.PlacementStrategy),
		NetworkConfiguration:          svc.NetworkConfiguration,
		HealthCheckGracePeriodSeconds: numPtr(svc.HealthCheckGracePeriodSeconds),
		SchedulingStrategy:            svc.SchedulingStrategy,
		DeploymentController:          svc.DeploymentController,
		Tags:                          omitEmpty(svc.Tags),
		CreatedBy:                     svc.CreatedBy,
		EnableECSManagedTags:          ptr(svc.EnableECSManagedTags),
		PropagateTags:                 svc.PropagateTags,
		EnableExecuteCommand:          ptr(svc.EnableExecuteCommand),
		AvailabilityZoneRebalancing:   svc.AvailabilityZoneRebalancing,
	}
}

func networkBindingOut(b NetworkBinding) wire.NetworkBinding {
	return wire.NetworkBinding{BindIP: b.BindIP, ContainerPort: numPtr(b.ContainerPort), HostPort: numPtr(b.HostPort), Protocol: b.Protocol}
}

func containerOut(c Container) wire.Container {
	return wire.Container{
		ContainerArn:      c.ContainerArn,
		TaskArn:           c.TaskArn,
		Name:              c.Name,
		Image:             c.Image,
		ImageDigest:       c.ImageDigest,
		RuntimeId:         c.RuntimeId,
		LastStatus:        c.LastStatus,
		ExitCode:          numPtr(c.ExitCode),
		Reason:            c.Reason,
		NetworkBindings:   orEmpty(listOf(c.NetworkBindings, networkBindingOut)),
		NetworkInterfaces: orEmpty(c.NetworkInterfaces),
		HealthStatus:      c.HealthStatus,
		Cpu:               c.Cpu,
		Memory:            c.Memory,
		MemoryReservation: c.MemoryReservation,
	}
}

func containerOverrideOut(o ContainerOverride) wire.ContainerOverride {
	return wire.ContainerOverride{Name: o.Name, Command: omitEmpty(o.Command), Environment: omitEmpty(o.Environment),
		Cpu: numPtr(o.Cpu), Memory: numPtr(o.Memory), MemoryReservation: numPtr(o.MemoryReservation)}
}

func containerOverrideIn(o wire.ContainerOverride) ContainerOverride {
	return ContainerOverride{Name: o.Name, Command: o.Command, Environment: o.Environment,
		Cpu: int32Ptr(o.Cpu), Memory: int32Ptr(o.Memory), MemoryReservation: int32Ptr(o.MemoryReservation)}
}

func taskOverrideOut(o *TaskOverride) *wire.TaskOverride {
	if o == nil {
		return nil
	}
	return &wire.TaskOverride{
		ContainerOverrides:            orEmpty(listOf(o.ContainerOverrides, containerOverrideOut)),
		InferenceAcceleratorOverrides: orEmpty(o.InferenceAcceleratorOverrides),
		Cpu:                           o.Cpu,
		Memory:                        o.Memory,
		ExecutionRoleArn:              o.ExecutionRoleArn,
		TaskRoleArn:                   o.TaskRoleArn,
	}
}

func taskOverrideIn(o *wire.TaskOverride) *TaskOverride {
	if o == nil {
		return nil
	}
	return &TaskOverride{
		ContainerOverrides:            listOf(o.ContainerOverrides, containerOverrideIn),
		InferenceAcceleratorOverrides: o.InferenceAcceleratorOverrides,
		Cpu:                           o.Cpu,
		Memory:                        o.Memory,
		ExecutionRoleArn:              o.ExecutionRoleArn,
		TaskRoleArn:                   o.TaskRoleArn,
	}
}

func taskOut(t *Task) wire.Task {
	return wire.Task{
		TaskArn:              t.TaskArn,
		ClusterArn:           t.ClusterArn,
		TaskDefinitionArn:    t.TaskDefinitionArn,
		ContainerInstanceArn: t.ContainerInstanceArn,
		Overrides:            taskOverrideOut(t.Overrides),
		LastStatus:           t.LastStatus,
		DesiredStatus:        t.DesiredStatus,
		Cpu:                  t.Cpu,
		Memory:               t.Memory,
		Containers:           orEmpty(listOf(t.Containers, containerOut)),
		StartedBy:            t.StartedBy,
		Version:              num64(t.Version),
		StopCode:             t.StopCode,
		StoppedReason:        t.StoppedReason,
		Connectivity:         t.Connectivity,
		ConnectivityAt:       stamp(t.ConnectivityAt),
		PullStartedAt:        stamp(t.PullStartedAt),
		PullStoppedAt:        stamp(t.PullStoppedAt),
		ExecutionStoppedAt:   stamp(t.ExecutionStoppedAt),
		CreatedAt:            stamp(t.CreatedAt),
		StartedAt:            stamp(t.StartedAt),
		StoppingAt:           stamp(t.StoppingAt),
		StoppedAt:            stamp(t.StoppedAt),
		Group:                t.Group,
		LaunchType:           t.LaunchType,
		CapacityProviderName: t.CapacityProviderName,
		PlatformVersion:      t.PlatformVersion,
		PlatformFamily:       t.PlatformFamily,
		Attachments:          orEmpty(t.Attachments),
		Attributes:           omitEmpty(listOf(t.Attributes, attributeOut)),
		HealthStatus:         t.HealthStatus,
		AvailabilityZone:     t.AvailabilityZone,
		EnableExecuteCommand: ptr(t.EnableExecuteCommand),
		Tags:                 omitEmpty(t.Tags),
	}
}

func resourceOut(r Resource) wire.Resource {
	d := r.DoubleValue
	return wire.Resource{Name: r.Name, Type: r.Type, DoubleValue: &d, LongValue: num64(r.LongValue),
		IntegerValue: num(r.IntegerValue), StringSetValue: omitEmpty(r.StringSetValue)}
}

func resourceIn(r wire.Resource) Resource {
	return Resource{Name: r.Name, Type: r.Type, DoubleValue: ptrValue(r.DoubleValue), LongValue: int64(ptrValue(r.LongValue)),
		IntegerValue: int32Of(r.IntegerValue), StringSetValue: r.StringSetValue}
}

func containerInstanceOut(ci *ContainerInstance) *wire.ContainerInstance {
	if ci == nil {
		return nil
	}
	return &wire.ContainerInstance{
		ContainerInstanceArn: ci.ContainerInstanceArn,
		Ec2InstanceId:        ci.Ec2InstanceId,
		CapacityProviderName: ci.CapacityProviderName,
		Version:              num64(ci.Version),
		VersionInfo:          ci.VersionInfo,
		RemainingResources:   orEmpty(listOf(ci.RemainingResources, resourceOut)),
		RegisteredResources:  orEmpty(listOf(ci.RegisteredResources, resourceOut)),
		Status:               ci.Status,
		StatusReason:         ci.StatusReason,
		AgentConnected:       ptr(ci.AgentConnected),
		RunningTasksCount:    num(ci.RunningTasksCount),
		PendingTasksCount:    num(ci.PendingTasksCount),
		AgentUpdateStatus:    ci.AgentUpdateStatus,
		Attributes:           orEmpty(listOf(ci.Attributes, attributeOut)),
		RegisteredAt:         stamp(ci.RegisteredAt),
		Attachments:          orEmpty(ci.Attachments),
		Tags:                 omitEmpty(ci.Tags),
	}
}

func revisionSummaryOut(r ServiceRevisionSummary) wire.ServiceRevisionSummary {
	return wire.ServiceRevisionSummary{Arn: r.Arn, RequestedTaskCount: num(r.RequestedTaskCount),
		RunningTaskCount: num(r.RunningTaskCount), PendingTaskCount: num(r.PendingTaskCount)}
}

func serviceDeploymentOut(sd ServiceDeployment) wire.ServiceDeployment {
	out := wire.ServiceDeployment{
		ServiceDeploymentArn:    sd.ServiceDeploymentArn,
		ServiceArn:              sd.ServiceArn,
		ClusterArn:              sd.ClusterArn,
		CreatedAt:               stamp(sd.CreatedAt),
		StartedAt:               stamp(sd.StartedAt),
		FinishedAt:              stamp(sd.FinishedAt),
		StoppedAt:               stamp(sd.StoppedAt),
		UpdatedAt:               stamp(sd.UpdatedAt),
		SourceServiceRevisions:  orEmpty(listOf(sd.SourceServiceRevisions, revisionSummaryOut)),
		Status:                  sd.Status,
		StatusReason:            sd.StatusReason,
		LifecycleStage:          sd.LifecycleStage,
		DeploymentConfiguration: deploymentConfigurationOut(sd.DeploymentConfiguration),
		Alarms:                  sd.Alarms,
	}
	if r := sd.TargetServiceRevision; r != nil {
		target := revisionSummaryOut(*r)
		out.TargetServiceRevision = &target
	}
	if r := sd.Rollback; r != nil {
		out.Rollback = &wire.Rollback{Reason: r.Reason, StartedAt: stamp(r.StartedAt), ServiceRevisionArn: r.ServiceRevisionArn}
	}
	if b := sd.DeploymentCircuitBreaker; b != nil {
		out.DeploymentCircuitBreaker = &wire.ServiceDeploymentCircuitBreaker{Status: b.Status, FailureCount: num(b.FailureCount), Threshold: num(b.Threshold)}
	}
	return out
}

func serviceRevisionOut(r ServiceRevision) wire.ServiceRevision {
	return wire.ServiceRevision{
		ServiceRevisionArn:       r.ServiceRevisionArn,
		ServiceArn:               r.ServiceArn,
		ClusterArn:               r.ClusterArn,
		TaskDefinition:           r.TaskDefinition,
		CapacityProviderStrategy: omitEmpty(listOf(r.CapacityProviderStrategy, strategyOut)),
		LaunchType:               r.LaunchType,
		PlatformVersion:          r.PlatformVersion,
		LoadBalancers:            orEmpty(listOf(r.LoadBalancers, loadBalancerOut)),
		ServiceRegistries:        orEmpty(listOf(r.ServiceRegistries, serviceRegistryOut)),
		NetworkConfiguration:     r.NetworkConfiguration,
		ContainerImages:          orEmpty(r.ContainerImages),
		GuardDutyEnabled:         ptr(r.GuardDutyEnabled),
		CreatedAt:                stamp(r.CreatedAt),
	}
}

func serviceConnectDefaultsIn(d *wire.ClusterServiceConnectDefaultsRequest) *ServiceConnectDefaults {
	if d == nil {
		return nil
	}
	return &ServiceConnectDefaults{Namespace: d.Namespace}
}

func ephemeralStorageIn(e *wire.EphemeralStorage) *EphemeralStorage {
	if e == nil {
		return nil
	}
	return &EphemeralStorage{SizeInGiB: int32Of(e.SizeInGiB)}
}

func serviceDeploymentBriefOut(sd ServiceDeployment) wire.ServiceDeploymentBrief {
	brief := wire.ServiceDeploymentBrief{
		ServiceDeploymentArn: sd.ServiceDeploymentArn, ServiceArn: sd.ServiceArn, ClusterArn: sd.ClusterArn,
		StartedAt: stamp(sd.StartedAt), CreatedAt: stamp(sd.CreatedAt), FinishedAt: stamp(sd.FinishedAt),
		Status: sd.Status, StatusReason: sd.StatusReason,
	}
	if sd.TargetServiceRevision != nil {
		brief.TargetServiceRevisionArn = sd.TargetServiceRevision.Arn
	}
	return brief
}
