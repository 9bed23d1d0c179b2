package awsres

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/berthdev/berth/internal/engine"
)

// Placement values, as in berth.yaml.
const (
	PlacementDistinctInstance = "distinct-instance"
	PlacementSpread           = "spread"
)

// Service is the ECS service running Count tasks behind the target group.
type Service struct {
	Meta
	Name           string
	Cluster        engine.Ref // the cluster's "name"
	TaskDefinition engine.Ref // the definition's "arn"
	Strategy       []StrategyItem
	TargetGroup    engine.Ref // the target group's "arn"
	Subnets        []engine.Ref
	SecurityGroup  engine.Ref
	// PublicIP gives each task a public address (Fargate in public
	// subnets, which have no NAT to reach ECR and CloudWatch Logs through).
	PublicIP bool
	// PublicIPFrom, when set, decides PublicIP at plan time: a looked-up
	// network's "public_tasks".
	PublicIPFrom *engine.Ref
	Count        int
	// CountByAutoscaling leaves the desired count to Application Auto
	// Scaling once the service exists: Count is then only its start, and
	// a deploy neither compares nor resets it.
	CountByAutoscaling bool
	ContainerPort      int
	// Placement is "" on Fargate, which places by zone itself.
	Placement              string
	HealthCheckGracePeriod int // seconds
	Deployment             Deployment
}

// Deployment is the rolling deployment's configuration.
type Deployment struct {
	MinimumHealthyPercent, MaximumPercent int
	CircuitBreaker, Rollback              bool
}

func (d Deployment) String() string {
	breaker := "off"
	switch {
	case d.CircuitBreaker && d.Rollback:
		breaker = "on with rollback"
	case d.CircuitBreaker:
		breaker = "on"
	}
	return fmt.Sprintf("min %d%% max %d%% circuit breaker %s", d.MinimumHealthyPercent, d.MaximumPercent, breaker)
}

type serviceState struct {
	name, arn, cluster, taskDefinition, strategy, targetGroup string
	subnets, securityGroups, placement, assignPublicIP        string
	count, gracePeriod                                        int
	deployment                                                Deployment
	// failedDeployment is the PRIMARY deployment when the circuit breaker
	// failed it: the service launches nothing more until a new deployment,
	// so a deploy starts one even when nothing else changed (the image may
	// have been fixed under the same tag).
	failedDeployment string
	// detailed is false when the endpoint omits the deployment
	// configuration, which AWS always returns; such endpoints (moto) do not
	// keep placement, strategy or grace period either, so those fields
	// cannot be compared and are left alone.
	detailed bool
}

func (r *Service) describe(ctx context.Context, c *engine.Clients, cluster string) (*ecstypes.Service, error) {
	out, err := c.ECS.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String(cluster), Services: []string{r.Name}})
	if err != nil {
		if isECSNotFound(err) {
			return nil, nil
		}
		return nil, fmt.Errorf("describe service %s: %w", r.Name, err)
	}
	for i, s := range out.Services {
		if aws.ToString(s.Status) == "ACTIVE" {
			return &out.Services[i], nil
		}
	}
	return nil, nil
}

func (r *Service) Observe(ctx context.Context, c *engine.Clients, in *engine.Inputs) (*engine.Observed, error) {
	cluster, ok := in.Lookup(r.Cluster)
	if !ok {
		return nil, nil
	}
	s, err := r.describe(ctx, c, cluster)
	if err != nil || s == nil {
		return nil, err
	}
	state := &serviceState{
		name: r.Name, arn: aws.ToString(s.ServiceArn), cluster: cluster,
		taskDefinition: aws.ToString(s.TaskDefinition), count: int(s.DesiredCount),
		gracePeriod: int(aws.ToInt32(s.HealthCheckGracePeriodSeconds)),
	}
	state.strategy = renderStrategy(s.CapacityProviderStrategy)
	for _, lb := range s.LoadBalancers {
		// Rendered like Diff's desired value so container and port count.
		state.targetGroup = fmt.Sprintf("%s (%s:%d)", aws.ToString(lb.TargetGroupArn), aws.ToString(lb.ContainerName), aws.ToInt32(lb.ContainerPort))
	}
	if nc := s.NetworkConfiguration; nc != nil && nc.AwsvpcConfiguration != nil {
		state.subnets = sortedJoin(nc.AwsvpcConfiguration.Subnets)
		state.securityGroups = sortedJoin(nc.AwsvpcConfiguration.SecurityGroups)
		state.assignPublicIP = string(nc.AwsvpcConfiguration.AssignPublicIp)
	}
	if len(s.PlacementConstraints) > 0 && s.PlacementConstraints[0].Type == ecstypes.PlacementConstraintTypeDistinctInstance {
		state.placement = PlacementDistinctInstance
	} else if len(s.PlacementStrategy) > 0 && s.PlacementStrategy[0].Type == ecstypes.PlacementStrategyTypeSpread {
		state.placement = PlacementSpread
	}
	for _, d := range s.Deployments {
		if aws.ToString(d.Status) == "PRIMARY" && d.RolloutState == ecstypes.DeploymentRolloutStateFailed {
			state.failedDeployment = aws.ToString(d.Id)
		}
	}
	if dc := s.DeploymentConfiguration; dc != nil {
		state.detailed = true
		state.deployment = Deployment{MinimumHealthyPercent: int(aws.ToInt32(dc.MinimumHealthyPercent)), MaximumPercent: int(aws.ToInt32(dc.MaximumPercent))}
		if cb := dc.DeploymentCircuitBreaker; cb != nil {
			state.deployment.CircuitBreaker, state.deployment.Rollback = cb.Enable, cb.Rollback
		}
	}
	return &engine.Observed{Outputs: engine.Outputs{"name": r.Name, "arn": state.arn, "cluster": cluster}, State: state}, nil
}

func (r *Service) Diff(in *engine.Inputs, actual *engine.Observed) ([]engine.FieldChange, engine.Action) {
	changes := engine.NewChanges(actual)
	state := &serviceState{}
	if actual != nil {
		state = actual.State.(*serviceState)
	}
	changes.ForceNew("name", state.name, r.Name)
	changes.ForceNew("cluster", state.cluster, in.Show(r.Cluster))
	changes.Field("task_definition", state.taskDefinition, in.Show(r.TaskDefinition))
	if actual == nil || !r.CountByAutoscaling {
		changes.Field("desired_count", fmt.Sprint(state.count), fmt.Sprint(r.Count))
	}
	changes.Field("load_balancer", state.targetGroup, fmt.Sprintf("%s (%s:%d)", in.Show(r.TargetGroup), ContainerName, r.ContainerPort))
	changes.Field("subnets", state.subnets, sortedJoin(expandIDs(showAll(in, r.Subnets))))
	changes.Field("security_groups", state.securityGroups, in.Show(r.SecurityGroup))
	if state.failedDeployment != "" {
		changes.Field("rollout", "deployment "+state.failedDeployment+" FAILED", "a new deployment")
	}
	if actual != nil && !state.detailed {
		return changes.Result()
	}
	changes.Field("capacity_provider_strategy", state.strategy, renderStrategy(showStrategy(in, r.Strategy)))
	changes.Field("assign_public_ip", state.assignPublicIP, string(r.assignPublicIP(in)))
	changes.Field("placement", state.placement, r.Placement)
	changes.Field("health_check_grace_period", fmt.Sprint(state.gracePeriod), fmt.Sprint(r.HealthCheckGracePeriod))
	changes.Field("deployment", state.deployment.String(), r.Deployment.String())
	return changes.Result()
}

func (r *Service) assignPublicIP(in *engine.Inputs) ecstypes.AssignPublicIp {
	if r.PublicIP || (r.PublicIPFrom != nil && in.Show(*r.PublicIPFrom) == "true") {
		return ecstypes.AssignPublicIpEnabled
	}
	return ecstypes.AssignPublicIpDisabled
}

func (r *Service) placement() ([]ecstypes.PlacementConstraint, []ecstypes.PlacementStrategy) {
	switch r.Placement {
	case PlacementDistinctInstance:
		return []ecstypes.PlacementConstraint{{Type: ecstypes.PlacementConstraintTypeDistinctInstance}}, []ecstypes.PlacementStrategy{}
	case PlacementSpread:
		return []ecstypes.PlacementConstraint{}, []ecstypes.PlacementStrategy{{Type: ecstypes.PlacementStrategyTypeSpread, Field: aws.String("instanceId")}}
	}
	return []ecstypes.PlacementConstraint{}, []ecstypes.PlacementStrategy{}
}

func (r *Service) deployment() *ecstypes.DeploymentConfiguration {
	return &ecstypes.DeploymentConfiguration{
		MinimumHealthyPercent:    aws.Int32(int32(r.Deployment.MinimumHealthyPercent)),
		MaximumPercent:           aws.Int32(int32(r.Deployment.MaximumPercent)),
		DeploymentCircuitBreaker: &ecstypes.DeploymentCircuitBreaker{Enable: r.Deployment.CircuitBreaker, Rollback: r.Deployment.Rollback},
	}
}

func (r *Service) Apply(ctx context.Context, c *engine.Clients, in *engine.Inputs, actual *engine.Observed) (engine.Outputs, error) {
	refs, err := in.Resolve(append([]engine.Ref{r.Cluster, r.TaskDefinition, r.TargetGroup, r.SecurityGroup}, r.Subnets...)...)
	if err != nil {
		return nil, err
	}
	cluster, taskDefinition, targetGroup, securityGroup, subnets := refs[0], refs[1], refs[2], refs[3], expandIDs(refs[4:])
	strategy, err := resolveStrategy(in, r.Strategy)
	if err != nil {
		return nil, err
	}
	network := &ecstypes.NetworkConfiguration{AwsvpcConfiguration: &ecstypes.AwsVpcConfiguration{
		Subnets: subnets, SecurityGroups: []string{securityGroup}, AssignPublicIp: r.assignPublicIP(in),
	}}
	loadBalancers := []ecstypes.LoadBalancer{{
		TargetGroupArn: aws.String(targetGroup), ContainerName: aws.String(ContainerName), ContainerPort: aws.Int32(int32(r.ContainerPort)),
	}}
	constraints, strategies := r.placement()
	if actual != nil {
		state := actual.State.(*serviceState)
		desired := aws.Int32(int32(r.Count))
		if r.CountByAutoscaling {
			desired = nil
		}
		out, err := c.ECS.UpdateService(ctx, &ecs.UpdateServiceInput{
			Cluster: aws.String(cluster), Service: aws.String(r.Name), TaskDefinition: aws.String(taskDefinition),
			DesiredCount: desired, NetworkConfiguration: network, CapacityProviderStrategy: strategy,
			LoadBalancers: loadBalancers, PlacementConstraints: constraints, PlacementStrategy: strategies,
			HealthCheckGracePeriodSeconds: aws.Int32(int32(r.HealthCheckGracePeriod)), DeploymentConfiguration: r.deployment(),
			// Changing the capacity provider strategy needs a new deployment,
			// and so does retrying a failed one.
			ForceNewDeployment: state.strategy != renderStrategy(strategy) || state.failedDeployment != "",
		})
		if err != nil {
			return nil, fmt.Errorf("update service %s: %w", r.Name, err)
		}
		return engine.Outputs{"name": r.Name, "arn": aws.ToString(out.Service.ServiceArn), "cluster": cluster}, nil
	}
	out, err := c.ECS.CreateService(ctx, &ecs.CreateServiceInput{
		Cluster: aws.String(cluster), ServiceName: aws.String(r.Name), TaskDefinition: aws.String(taskDefinition),
		DesiredCount: aws.Int32(int32(r.Count)), NetworkConfiguration: network, CapacityProviderStrategy: strategy,
		LoadBalancers: loadBalancers, PlacementConstraints: constraints, PlacementStrategy: strategies,
		HealthCheckGracePeriodSeconds: aws.Int32(int32(r.HealthCheckGracePeriod)), DeploymentConfiguration: r.deployment(),
		SchedulingStrategy: ecstypes.SchedulingStrategyReplica, PropagateTags: ecstypes.PropagateTagsService,
		EnableECSManagedTags: true, Tags: r.ecsTags(),
	})
	if err != nil {
		return nil, fmt.Errorf("create service %s: %w", r.Name, err)
	}
	return engine.Outputs{"name": r.Name, "arn": aws.ToString(out.Service.ServiceArn), "cluster": cluster}, nil
}

// serviceDrainTimeout bounds waiting for the tasks to stop: deregistration
// delay plus stop timeout, with room to spare.
const serviceDrainTimeout = 20 * time.Minute

// Delete scales the service to zero, deletes it and waits until it is
// INACTIVE, because the cluster, capacity provider and target group cannot
// go while its tasks run.
func (r *Service) Delete(ctx context.Context, c *engine.Clients, actual *engine.Observed) error {
	return DeleteService(ctx, c, actual.State.(*serviceState).cluster, r.Name)
}
