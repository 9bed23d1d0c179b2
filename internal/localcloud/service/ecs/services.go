package ecs

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/json"
	"github.com/berthdev/berth/internal/localcloud/service/ecs/wire"
	"math/big"
	"slices"

	"github.com/berthdev/berth/internal/localcloud/store"
)

// Deployment statuses and rollout states.
const (
	deploymentPrimary    = "PRIMARY"
	deploymentActive     = "ACTIVE"
	rolloutInProgress    = "IN_PROGRESS"
	maxServiceEvents     = 100
	tableServiceTokens   = "ecs/service-client-tokens" // by clientToken: the service ARN it created
	defaultListServices  = 10
	maxDescribedServices = 10
)

// Services returns a cluster's ACTIVE and DRAINING services.
func (s *State) Services(clusterARN string) ([]*Service, error) {
	all, err := s.allServices(nameFromRef(clusterARN, "cluster"))
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(all, func(svc *Service) bool { return svc.Status == statusInactive }), nil
}

// allServices returns a cluster's services, INACTIVE ones included.
func (s *State) allServices(clusterName string) ([]*Service, error) {
	all, err := store.List[Service](s.tx, tableServices)
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(all, func(svc *Service) bool { return nameFromRef(svc.ClusterArn, "cluster") != clusterName }), nil
}

// Service returns a service of a cluster (by name or ARN) by its name or
// ARN, nil when absent.
func (s *State) Service(cluster, nameOrARN string) (*Service, error) {
	if s.foreign(cluster, nameOrARN) {
		return nil, nil
	}
	name := idFromRef(nameOrARN)
	return store.Get[Service](s.tx, tableServices, childKey(nameFromRef(cluster, "cluster"), name))
}

// activeService returns an ACTIVE service with its active cluster, which
// UpdateService and DeleteService need.
func (s *State) activeService(clusterRef, serviceRef string) (*Cluster, *Service, error) {
	cluster, err := s.activeCluster(clusterRef)
	if err != nil {
		return nil, nil, err
	}
	svc, err := s.Service(cluster.ClusterName, serviceRef)
	if err != nil {
		return nil, nil, err
	}
	if svc == nil {
		return nil, nil, errServiceNotFound()
	}
	if svc.Status != statusActive {
		return nil, nil, errServiceNotActive()
	}
	return cluster, svc, nil
}

// PutService stores a service (its tags live apart).
func (s *State) PutService(svc *Service) error {
	if err := s.deferred; err != nil {
		return err
	}
	stored := *svc
	stored.Tags = nil
	if err := s.tx.Put(tableServices, childKey(nameFromRef(svc.ClusterArn, "cluster"), svc.ServiceName), &stored); err != nil {
		return err
	}
	return s.syncHistory(svc)
}

// AddServiceEvent records an event on svc (newest first, at most 100); the
// caller stores svc.
func (s *State) AddServiceEvent(svc *Service, message string) {
	event := ServiceEvent{Id: store.NewUUID(), CreatedAt: awsjsonTime(s.now), Message: message}
	svc.Events = append([]ServiceEvent{event}, svc.Events...)
	if len(svc.Events) > maxServiceEvents {
		svc.Events = svc.Events[:maxServiceEvents]
	}
}

// newDeploymentID returns "ecs-svc/" and 19 random digits.
func newDeploymentID() string {
	digits := make([]byte, 19)
	for i := range digits {
		n, _ := rand.Int(rand.Reader, big.NewInt(10)) // crypto/rand does not fail on Linux
		digits[i] = byte('0' + n.Int64())
	}
	if digits[0] == '0' {
		digits[0] = '1'
	}
	return "ecs-svc/" + string(digits)
}

// newDeployment starts a PRIMARY deployment of the service as it now is.
func (s *State) newDeployment(svc *Service) Deployment {
	id := newDeploymentID()
	return Deployment{
		Id:                       id,
		Status:                   deploymentPrimary,
		TaskDefinition:           svc.TaskDefinition,
		DesiredCount:             svc.DesiredCount,
		CreatedAt:                awsjsonTime(s.now),
		UpdatedAt:                awsjsonTime(s.now),
		CapacityProviderStrategy: svc.CapacityProviderStrategy,
		LaunchType:               svc.LaunchType,
		PlatformVersion:          svc.PlatformVersion,
		NetworkConfiguration:     svc.NetworkConfiguration,
		RolloutState:             rolloutInProgress,
		RolloutStateReason:       "ECS deployment " + id + " in progress.",
	}
}

// usableTaskDefinition resolves the task definition a service or task is to
// run, which must exist and be ACTIVE.
func (s *State) usableTaskDefinition(ref string) (*TaskDefinition, error) {
	if ref == "" {
		return nil, errMissing("taskDefinition")
	}
	def, err := s.TaskDefinition(ref)
	if err != nil {
		return nil, err
	}
	if def == nil || def.Status == definitionDeleteInProgress {
		return nil, errClient("TaskDefinition not found.")
	}
	if def.Status != definitionActive {
		return nil, errInvalidParameter("TaskDefinition is inactive")
	}
	return def, nil
}

var launchTypes = []string{"EC2", "FARGATE", "EXTERNAL", "MANAGED_INSTANCES"}

// resolveCapacity decides how a service's or task's capacity is chosen: an
// explicit launch type, an explicit strategy, the cluster's default
// strategy, or else EC2.
func (s *State) resolveCapacity(cluster *Cluster, def *TaskDefinition, launchType string, strategy []CapacityProviderStrategyItem) (string, []CapacityProviderStrategyItem, error) {
	if launchType != "" && len(strategy) > 0 {
		return "", nil, errInvalidParameter("Specifying both a launch type and capacity provider strategy is not supported. Remove one and try again.")
	}
	if launchType != "" {
		if !slices.Contains(launchTypes, launchType) {
			return "", nil, errInvalidParameter("Invalid launchType: %s.", launchType)
		}
		if launchType == "FARGATE" && !slices.Contains(def.Compatibilities, "FARGATE") {
			return "", nil, errInvalidParameter("Task definition does not support launch_type FARGATE.")
		}
		return launchType, nil, nil
	}
	if len(strategy) == 0 {
		strategy = cluster.DefaultCapacityProviderStrategy
	}
	if len(strategy) == 0 {
		return "EC2", nil, nil
	}
	normalized := make([]CapacityProviderStrategyItem, len(strategy))
	for i, item := range strategy {
		item.CapacityProvider = nameFromRef(item.CapacityProvider, "capacity-provider")
		normalized[i] = item
	}
	if err := s.validateStrategy(normalized, cluster.CapacityProviders); err != nil {
		return "", nil, err
	}
	return "", normalized, nil
}

func validateNetwork(def *TaskDefinition, nc *NetworkConfiguration, launchType string) error {
	if def.NetworkMode == "awsvpc" {
		if nc == nil || nc.AwsvpcConfiguration == nil {
			return errInvalidParameter("Network Configuration must be provided when networkMode 'awsvpc' is specified.")
		}
	} else if nc != nil && nc.AwsvpcConfiguration != nil {
		return errInvalidParameter("Network Configuration is not valid for the given networkMode of this task definition.")
	}
	if nc == nil || nc.AwsvpcConfiguration == nil {
		return nil
	}
	vpc := nc.AwsvpcConfiguration
	switch {
	case len(vpc.Subnets) == 0:
		return errInvalidParameter("subnets can not be empty.")
	case len(vpc.Subnets) > 16:
		return errInvalidParameter("subnets can have at most 16 items.")
	case len(vpc.SecurityGroups) > 5:
		return errInvalidParameter("securityGroups can have at most 5 items.")
	case vpc.AssignPublicIp != "" && vpc.AssignPublicIp != "ENABLED" && vpc.AssignPublicIp != "DISABLED":
		return errInvalidParameter("assignPublicIp must be ENABLED or DISABLED.")
	case vpc.AssignPublicIp == "ENABLED" && launchType != "FARGATE":
		return errInvalidParameter("Assign public IP is not supported for this launch type.")
	}
	return nil
}

func normalizeNetwork(nc *NetworkConfiguration) *NetworkConfiguration {
	if nc == nil || nc.AwsvpcConfiguration == nil {
		return nil
	}
	vpc := *nc.AwsvpcConfiguration
	vpc.AssignPublicIp = cmp.Or(vpc.AssignPublicIp, "DISABLED")
	vpc.SecurityGroups = orEmpty(vpc.SecurityGroups)
	return &NetworkConfiguration{AwsvpcConfiguration: &vpc}
}

func validateLoadBalancers(def *TaskDefinition, lbs []LoadBalancer) error {
	if len(lbs) > 5 {
		return errInvalidParameter("loadBalancers can have at most 5 items.")
	}
	for _, lb := range lbs {
		switch {
		case lb.TargetGroupArn == "" && lb.LoadBalancerName == "":
			return errInvalidParameter("Either targetGroupArn or loadBalancerName must be specified for a load balancer.")
		case lb.ContainerName == "":
			return errInvalidParameter("Container Name can not be blank.")
		case lb.ContainerPort == 0:
			return errInvalidParameter("Container Port can not be blank.")
		}
		i := slices.IndexFunc(def.ContainerDefinitions, func(c ContainerDefinition) bool { return c.Name == lb.ContainerName })
		if i < 0 {
			return errInvalidParameter("The container %s does not exist in the task definition.", lb.ContainerName)
		}
		if !slices.ContainsFunc(def.ContainerDefinitions[i].PortMappings, func(pm PortMapping) bool { return pm.ContainerPort == lb.ContainerPort }) {
			return errInvalidParameter("The container %s did not have a container port %d defined.", lb.ContainerName, lb.ContainerPort)
		}
	}
	return nil
}

func validatePlacement(constraints []PlacementConstraint, strategies []PlacementStrategy) error {
	if len(constraints) > 10 {
		return errInvalidParameter("placementConstraints can have at most 10 items.")
	}
	for _, c := range constraints {
		switch c.Type {
		case "distinctInstance":
			if c.Expression != "" {
				return errInvalidParameter("Expression is not supported for distinctInstance placement constraint.")
			}
		case "memberOf":
			if c.Expression == "" {
				return errInvalidParameter("Expression must be specified for memberOf placement constraint.")
			}
			if _, err := ParseInstanceQuery(c.Expression); err != nil {
				return err
			}
		default:
			return errInvalidParameter("Invalid placement constraint type: %s.", c.Type)
		}
	}
	if len(strategies) > 5 {
		return errInvalidParameter("placementStrategy can have at most 5 items.")
	}
	for _, st := range strategies {
		if err := validateStrategy(st); err != nil {
			return err
		}
	}
	return nil
}

// deploymentDefaults fills a deployment configuration the way ECS does.
func deploymentDefaults(requested *DeploymentConfiguration, current *DeploymentConfiguration, daemon bool) (*DeploymentConfiguration, error) {
	out := &DeploymentConfiguration{}
	if current != nil {
		*out = *current
	}
	if requested != nil {
		if requested.DeploymentCircuitBreaker != nil {
			out.DeploymentCircuitBreaker = requested.DeploymentCircuitBreaker
		}
		if requested.MaximumPercent != nil {
			out.MaximumPercent = requested.MaximumPercent
		}
		if requested.MinimumHealthyPercent != nil {
			out.MinimumHealthyPercent = requested.MinimumHealthyPercent
		}
		if requested.Alarms != nil {
			out.Alarms = requested.Alarms
		}
		if requested.Strategy != "" {
			out.Strategy = requested.Strategy
		}
		if requested.BakeTimeInMinutes != nil {
			out.BakeTimeInMinutes = requested.BakeTimeInMinutes
		}
	}
	maxPercent, minPercent := int32(200), int32(100)
	if daemon {
		maxPercent, minPercent = 100, 0
	}
	if out.MaximumPercent == nil {
		out.MaximumPercent = ptr(maxPercent)
	}
	if out.MinimumHealthyPercent == nil {
		out.MinimumHealthyPercent = ptr(minPercent)
	}
	if out.DeploymentCircuitBreaker == nil {
		out.DeploymentCircuitBreaker = &DeploymentCircuitBreaker{}
	}
	if out.Strategy == "" {
		out.Strategy = "ROLLING"
	}
	switch {
	case *out.MinimumHealthyPercent < 0 || *out.MinimumHealthyPercent > 100:
		return nil, errInvalidParameter("minimumHealthyPercent must be between 0 and 100.")
	case *out.MaximumPercent < 100 && !daemon:
		return nil, errInvalidParameter("maximumPercent must be at least 100.")
	case out.Strategy != "ROLLING" && out.Strategy != "BLUE_GREEN" && out.Strategy != "LINEAR" && out.Strategy != "CANARY":
		return nil, errInvalidParameter("Invalid deployment strategy: %s.", out.Strategy)
	}
	return out, nil
}

// unsupportedFeatures refuses, with a clear InvalidParameterException,
// what a service could ask for that the local cloud cannot do, instead of
// accepting it and behaving otherwise: service discovery (no Cloud Map),
// Service Connect and VPC Lattice, EBS volumes, deployments run by
// CodeDeploy or an external controller, the blue/green, linear and canary
// strategies, CloudWatch alarms watching a deployment, and the daemon
// scheduler.
func unsupportedFeatures(registries []wire.ServiceRegistry, connect *wire.ServiceConnectConfiguration, volumes []wire.ServiceVolumeConfiguration, lattice []wire.VpcLatticeConfiguration, controller *DeploymentController, deployment *wire.DeploymentConfiguration, scheduling string) error {
	const suffix = " is not supported by the local cloud."
	switch {
	case len(registries) > 0:
		return errInvalidParameter("serviceRegistries (AWS Cloud Map service discovery)" + suffix)
	case connect != nil && ptrValue(connect.Enabled):
		return errInvalidParameter("serviceConnectConfiguration (Service Connect)" + suffix)
	case len(volumes) > 0:
		return errInvalidParameter("volumeConfigurations (Amazon EBS volumes)" + suffix)
	case len(lattice) > 0:
		return errInvalidParameter("vpcLatticeConfigurations (VPC Lattice)" + suffix)
	case controller != nil && controller.Type != "" && controller.Type != "ECS":
		return errInvalidParameter("deploymentController type %s%s Use ECS.", controller.Type, suffix)
	case deployment != nil && deployment.Strategy != "" && deployment.Strategy != "ROLLING":
		return errInvalidParameter("deploymentConfiguration.strategy %s%s Use ROLLING.", deployment.Strategy, suffix)
	case deployment != nil && deployment.Alarms != nil && ptrValue(deployment.Alarms.Enable):
		return errInvalidParameter("deploymentConfiguration.alarms (CloudWatch alarms)" + suffix)
	case scheduling == "DAEMON":
		return errInvalidParameter("schedulingStrategy DAEMON" + suffix + " Use REPLICA.")
	}
	return nil
}

func validateCreateService(in *wire.CreateServiceRequest) error {
	switch {
	case in.ServiceName == "":
		return errMissing("serviceName")
	case !namePattern.MatchString(in.ServiceName):
		return errInvalidParameter("Service name must be 1-255 characters: letters (upper and lowercase), numbers, hyphens and underscores.")
	case in.SchedulingStrategy != "" && in.SchedulingStrategy != "REPLICA" && in.SchedulingStrategy != "DAEMON":
		return errInvalidParameter("Invalid schedulingStrategy: %s.", in.SchedulingStrategy)
	case in.SchedulingStrategy != "DAEMON" && in.DesiredCount == nil:
		return errInvalidParameter("Desired count can not be blank for the REPLICA scheduling strategy.")
	case in.DesiredCount != nil && *in.DesiredCount < 0:
		return errInvalidParameter("Desired count must be zero or more.")
	case in.HealthCheckGracePeriodSeconds != nil && *in.HealthCheckGracePeriodSeconds < 0:
		return errInvalidParameter("Health check grace period must be zero or more.")
	case in.PropagateTags != "" && in.PropagateTags != "TASK_DEFINITION" && in.PropagateTags != "SERVICE" && in.PropagateTags != "NONE":
		return errInvalidParameter("Invalid propagateTags: %s.", in.PropagateTags)
	case in.DeploymentController != nil && in.DeploymentController.Type != "ECS" && in.DeploymentController.Type != "CODE_DEPLOY" && in.DeploymentController.Type != "EXTERNAL":
		return errInvalidParameter("Invalid deploymentController type: %s.", in.DeploymentController.Type)
	}
	if err := validatePlacement(in.PlacementConstraints, in.PlacementStrategy); err != nil {
		return err
	}
	if err := unsupportedFeatures(in.ServiceRegistries, in.ServiceConnectConfiguration, in.VolumeConfigurations, in.VpcLatticeConfigurations, in.DeploymentController, in.DeploymentConfiguration, in.SchedulingStrategy); err != nil {
		return err
	}
	return validateTags(in.Tags)
}

func (b *Backend) createService(ctx context.Context, in *wire.CreateServiceRequest) (*wire.CreateServiceResponse, error) {
	if err := validateCreateService(in); err != nil {
		return nil, err
	}
	var out *Service
	err := b.Update(ctx, func(s *State) error {
		cluster, err := s.activeCluster(in.Cluster)
		if err != nil {
			return err
		}
		existing, err := s.Service(cluster.ClusterName, in.ServiceName)
		if err != nil {
			return err
		}
		if existing != nil && existing.Status == statusActive {
			if in.ClientToken != "" {
				tokenARN, err := store.Get[string](s.tx, tableServiceTokens, in.ClientToken)
				if err != nil {
					return err
				}
				if tokenARN != nil && *tokenARN == existing.ServiceArn {
					out, err = s.describedService(existing, true)
					return err
				}
			}
			return errInvalidParameter("Creation of service was not idempotent.")
		}
		if existing != nil && existing.Status == statusDraining {
			return errInvalidParameter("Unable to Start a service that is still Draining.")
		}
		def, err := s.usableTaskDefinition(in.TaskDefinition)
		if err != nil {
			return err
		}
		launchType, strategy, err := s.resolveCapacity(cluster, def, in.LaunchType, strategyListIn(in.CapacityProviderStrategy))
		if err != nil {
			return err
		}
		effectiveLaunch := launchType
		if effectiveLaunch == "" && len(strategy) > 0 && isFargateProvider(strategy[0].CapacityProvider) {
			effectiveLaunch = "FARGATE"
		}
		if err := validateNetwork(def, in.NetworkConfiguration, effectiveLaunch); err != nil {
			return err
		}
		loadBalancers := listOf(in.LoadBalancers, loadBalancerIn)
		if err := validateLoadBalancers(def, loadBalancers); err != nil {
			return err
		}
		daemon := in.SchedulingStrategy == "DAEMON"
		deployment, err := deploymentDefaults(deploymentConfigurationIn(in.DeploymentConfiguration), nil, daemon)
		if err != nil {
			return err
		}
		svc := &Service{
			ServiceArn:                    s.arn("service/" + cluster.ClusterName + "/" + in.ServiceName),
			ServiceName:                   in.ServiceName,
			ClusterArn:                    cluster.ClusterArn,
			LoadBalancers:                 orEmpty(loadBalancers),
			ServiceRegistries:             orEmpty(listOf(in.ServiceRegistries, serviceRegistryIn)),
			Status:                        statusActive,
			DesiredCount:                  int32Of(in.DesiredCount),
			LaunchType:                    launchType,
			CapacityProviderStrategy:      strategy,
			PlatformVersion:               in.PlatformVersion,
			TaskDefinition:                def.TaskDefinitionArn,
			DeploymentConfiguration:       deployment,
			RoleArn:                       in.Role,
			Events:                        []ServiceEvent{},
			CreatedAt:                     awsjsonTime(s.now),
			PlacementConstraints:          orEmpty(in.PlacementConstraints),
			PlacementStrategy:             orEmpty(in.PlacementStrategy),
			NetworkConfiguration:          normalizeNetwork(in.NetworkConfiguration),
			HealthCheckGracePeriodSeconds: int32Ptr(in.HealthCheckGracePeriodSeconds),
			SchedulingStrategy:            cmp.Or(in.SchedulingStrategy, "REPLICA"),
			DeploymentController:          in.DeploymentController,
			CreatedBy:                     s.rootARN(),
			EnableECSManagedTags:          ptrValue(in.EnableECSManagedTags),
			PropagateTags:                 cmp.Or(in.PropagateTags, "NONE"),
			EnableExecuteCommand:          ptrValue(in.EnableExecuteCommand),
			AvailabilityZoneRebalancing:   cmp.Or(in.AvailabilityZoneRebalancing, "DISABLED"),
		}
		if svc.DeploymentController == nil {
			svc.DeploymentController = &DeploymentController{Type: "ECS"}
		}
		if len(svc.LoadBalancers) > 0 && svc.HealthCheckGracePeriodSeconds == nil {
			svc.HealthCheckGracePeriodSeconds = ptr[int32](0)
		}
		svc.Deployments = []Deployment{s.newDeployment(svc)}
		if err := s.PutService(svc); err != nil {
			return err
		}
		if err := s.putTags(svc.ServiceArn, in.Tags); err != nil {
			return err
		}
		if in.ClientToken != "" {
			if err := s.tx.Put(tableServiceTokens, in.ClientToken, svc.ServiceArn); err != nil {
				return err
			}
		}
		out, err = s.describedService(svc, true)
		return err
	})
	return &wire.CreateServiceResponse{Service: serviceOut(out)}, err
}

// describedService is a service as Describe shows it, with its tags when
// asked for.
func (s *State) describedService(svc *Service, withTags bool) (*Service, error) {
	out := *svc
	out.Tags = nil
	if withTags {
		tags, err := s.tags(svc.ServiceArn)
		if err != nil {
			return nil, err
		}
		out.Tags = tags
	}
	return &out, nil
}

func ptrValue[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

func (b *Backend) describeServices(ctx context.Context, in *wire.DescribeServicesRequest) (*wire.DescribeServicesResponse, error) {
	if err := validateDescribe("services", in.Services, maxDescribedServices, in.Include, "TAGS"); err != nil {
		return nil, err
	}
	withTags := slices.Contains(in.Include, "TAGS")
	out := &wire.DescribeServicesResponse{Failures: []Failure{}}
	var services []*Service
	err := b.View(ctx, func(s *State) error {
		return describeInCluster(s, in.Cluster, in.Services, "service", &services, &out.Failures,
			func(c *Cluster, ref string) (*Service, error) { return s.Service(c.ClusterName, ref) },
			func(svc *Service) (*Service, error) { return s.describedService(svc, withTags) })
	})
	out.Services = orEmpty(listOf(services, func(svc *Service) wire.Service { return *serviceOut(svc) }))
	return out, err
}

func (b *Backend) listServices(ctx context.Context, in *wire.ListServicesRequest) (*wire.ListServicesResponse, error) {
	pageOf, next, err := b.listARNs(ctx, in.NextToken, in.MaxResults, defaultListServices, func(s *State, add func(arn string)) error {
		cluster, err := s.activeCluster(in.Cluster)
		if err != nil {
			return err
		}
		services, err := s.Services(cluster.ClusterArn)
		if err != nil {
			return err
		}
		for _, svc := range services {
			if in.LaunchType != "" && svc.LaunchType != in.LaunchType {
				continue
			}
			if in.SchedulingStrategy != "" && svc.SchedulingStrategy != in.SchedulingStrategy {
				continue
			}
			add(svc.ServiceArn)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &wire.ListServicesResponse{ServiceArns: pageOf, NextToken: next}, nil
}

// rollout is what a deployment fixes; a change to it starts a new one.
type rollout struct {
	TaskDefinition       string
	LaunchType           string
	Strategy             []CapacityProviderStrategyItem
	PlatformVersion      string
	Network              *NetworkConfiguration
	LoadBalancers        []LoadBalancer
	ServiceRegistries    []ServiceRegistry
	EnableExecuteCommand bool
}

func rolloutOf(svc *Service) string {
	data, _ := json.Marshal(rollout{
		TaskDefinition: svc.TaskDefinition, LaunchType: svc.LaunchType, Strategy: svc.CapacityProviderStrategy,
		PlatformVersion: svc.PlatformVersion, Network: svc.NetworkConfiguration, LoadBalancers: svc.LoadBalancers,
		ServiceRegistries: svc.ServiceRegistries, EnableExecuteCommand: svc.EnableExecuteCommand,
	})
	return string(data)
}

func (b *Backend) updateService(ctx context.Context, in *wire.UpdateServiceRequest) (*wire.UpdateServiceResponse, error) {
	switch {
	case in.Service == "":
		return nil, errMissing("service")
	case in.DesiredCount != nil && *in.DesiredCount < 0:
		return nil, errInvalidParameter("Desired count must be zero or more.")
	case in.HealthCheckGracePeriodSeconds != nil && *in.HealthCheckGracePeriodSeconds < 0:
		return nil, errInvalidParameter("Health check grace period must be zero or more.")
	}
	if err := validatePlacement(in.PlacementConstraints, in.PlacementStrategy); err != nil {
		return nil, err
	}
	if err := unsupportedFeatures(in.ServiceRegistries, in.ServiceConnectConfiguration, in.VolumeConfigurations, in.VpcLatticeConfigurations, nil, in.DeploymentConfiguration, ""); err != nil {
		return nil, err
	}
	var out *Service
	err := b.Update(ctx, func(s *State) error {
		cluster, svc, err := s.activeService(in.Cluster, in.Service)
		if err != nil {
			return err
		}
		before := rolloutOf(svc)
		def, err := s.usableTaskDefinitionOrCurrent(in.TaskDefinition, svc.TaskDefinition)
		if err != nil {
			return err
		}
		svc.TaskDefinition = def.TaskDefinitionArn
		if in.DesiredCount != nil {
			svc.DesiredCount = int32(*in.DesiredCount)
		}
		if in.CapacityProviderStrategy != nil {
			launchType, strategy, err := s.resolveCapacity(cluster, def, "", strategyListIn(in.CapacityProviderStrategy))
			if err != nil {
				return err
			}
			svc.LaunchType, svc.CapacityProviderStrategy = launchType, strategy
		}
		if in.NetworkConfiguration != nil {
			svc.NetworkConfiguration = normalizeNetwork(in.NetworkConfiguration)
		}
		effectiveLaunch := svc.LaunchType
		if effectiveLaunch == "" && len(svc.CapacityProviderStrategy) > 0 && isFargateProvider(svc.CapacityProviderStrategy[0].CapacityProvider) {
			effectiveLaunch = "FARGATE"
		}
		if err := validateNetwork(def, svc.NetworkConfiguration, effectiveLaunch); err != nil {
			return err
		}
		if in.LoadBalancers != nil {
			svc.LoadBalancers = listOf(in.LoadBalancers, loadBalancerIn)
		}
		if err := validateLoadBalancers(def, svc.LoadBalancers); err != nil {
			return err
		}
		if in.ServiceRegistries != nil {
			svc.ServiceRegistries = listOf(in.ServiceRegistries, serviceRegistryIn)
		}
		if in.PlacementConstraints != nil {
			svc.PlacementConstraints = in.PlacementConstraints
		}
		if in.PlacementStrategy != nil {
			svc.PlacementStrategy = in.PlacementStrategy
		}
		if in.PlatformVersion != "" {
			svc.PlatformVersion = in.PlatformVersion
		}
		if in.HealthCheckGracePeriodSeconds != nil {
			svc.HealthCheckGracePeriodSeconds = int32Ptr(in.HealthCheckGracePeriodSeconds)
		}
		if in.EnableExecuteCommand != nil {
			svc.EnableExecuteCommand = *in.EnableExecuteCommand
		}
		if in.EnableECSManagedTags != nil {
			svc.EnableECSManagedTags = *in.EnableECSManagedTags
		}
		if in.PropagateTags != "" {
			svc.PropagateTags = in.PropagateTags
		}
		if in.AvailabilityZoneRebalancing != "" {
			svc.AvailabilityZoneRebalancing = in.AvailabilityZoneRebalancing
		}
		svc.DeploymentConfiguration, err = deploymentDefaults(deploymentConfigurationIn(in.DeploymentConfiguration), svc.DeploymentConfiguration, svc.SchedulingStrategy == "DAEMON")
		if err != nil {
			return err
		}
		if ptrValue(in.ForceNewDeployment) || rolloutOf(svc) != before || len(svc.Deployments) == 0 {
			for i := range svc.Deployments {
				if svc.Deployments[i].Status == deploymentPrimary {
					svc.Deployments[i].Status = deploymentActive
					svc.Deployments[i].UpdatedAt = awsjsonTime(s.now)
				}
			}
			svc.Deployments = append([]Deployment{s.newDeployment(svc)}, svc.Deployments...)
		} else {
			for i := range svc.Deployments {
				if svc.Deployments[i].Status == deploymentPrimary {
					svc.Deployments[i].DesiredCount = svc.DesiredCount
					svc.Deployments[i].UpdatedAt = awsjsonTime(s.now)
				}
			}
		}
		if err := s.PutService(svc); err != nil {
			return err
		}
		out, err = s.describedService(svc, false)
		return err
	})
	return &wire.UpdateServiceResponse{Service: serviceOut(out)}, err
}

// usableTaskDefinitionOrCurrent resolves an update's task definition; an
// empty reference keeps the current one, whatever its status.
func (s *State) usableTaskDefinitionOrCurrent(ref, current string) (*TaskDefinition, error) {
	if ref == "" {
		def, err := s.TaskDefinition(current)
		if err != nil {
			return nil, err
		}
		if def == nil {
			return nil, errClient("TaskDefinition not found.")
		}
		return def, nil
	}
	return s.usableTaskDefinition(ref)
}

func (b *Backend) deleteService(ctx context.Context, in *wire.DeleteServiceRequest) (*wire.DeleteServiceResponse, error) {
	if in.Service == "" {
		return nil, errMissing("service")
	}
	var out *Service
	err := b.Update(ctx, func(s *State) error {
		_, svc, err := s.activeService(in.Cluster, in.Service)
		if err != nil {
			return err
		}
		if svc.DesiredCount > 0 && !ptrValue(in.Force) && svc.SchedulingStrategy != "DAEMON" {
			return errInvalidParameter("The service cannot be stopped while it is scaled above 0.")
		}
		svc.Status = statusDraining
		svc.DesiredCount = 0
		if err := s.PutService(svc); err != nil {
			return err
		}
		out, err = s.describedService(svc, false)
		return err
	})
	return &wire.DeleteServiceResponse{Service: serviceOut(out)}, err
}
