// Package stack turns a berth.yaml spec into the resource graph of the
// whole stack (network, security, IAM, logs, capacity, ECS, load balancer)
// and offers the high-level calls the CLI uses: plan, apply, wait, destroy.
package stack

import (
	"fmt"
	"maps"
	"slices"

	"github.com/berthdev/berth/internal/awsres"
	"github.com/berthdev/berth/internal/engine"
	"github.com/berthdev/berth/internal/spec"
)

// Addresses of the stack's resources; they are written into the
// berth:resource tags, so renaming one orphans what exists under the old
// address.
const (
	AddrVPC              engine.Addr = "ec2.vpc/main"
	AddrSubnetA          engine.Addr = "ec2.subnet/public-a"
	AddrSubnetB          engine.Addr = "ec2.subnet/public-b"
	AddrInternetGateway  engine.Addr = "ec2.internet-gateway/main"
	AddrRouteTable       engine.Addr = "ec2.route-table/public"
	AddrALBGroup         engine.Addr = "ec2.security-group/alb"
	AddrServiceGroup     engine.Addr = "ec2.security-group/service"
	AddrInstancesGroup   engine.Addr = "ec2.security-group/instances"
	AddrALBIngress       engine.Addr = "ec2.security-group-rule/alb-ingress-listener"
	AddrALBEgress        engine.Addr = "ec2.security-group-rule/alb-egress-service"
	AddrServiceIngress   engine.Addr = "ec2.security-group-rule/service-ingress-alb"
	AddrInstanceRole     engine.Addr = "iam.role/instance"
	AddrInstanceProfile  engine.Addr = "iam.instance-profile/instance"
	AddrExecutionRole    engine.Addr = "iam.role/execution"
	AddrLogGroup         engine.Addr = "logs.log-group/app"
	AddrCluster          engine.Addr = "ecs.cluster/main"
	AddrLaunchTemplate   engine.Addr = "ec2.launch-template/instances"
	AddrAutoScalingGroup engine.Addr = "autoscaling.group/instances"
	AddrCapacityProvider engine.Addr = "ecs.capacity-provider/main"
	AddrClusterProviders engine.Addr = "ecs.cluster-capacity-providers/main"
	AddrTaskDefinition   engine.Addr = "ecs.task-definition/app"
	AddrTargetGroup      engine.Addr = "elbv2.target-group/app"
	AddrLoadBalancer     engine.Addr = "elbv2.load-balancer/main"
	AddrListener         engine.Addr = "elbv2.listener/http"
	AddrService          engine.Addr = "ecs.service/app"
	AddrCertificate      engine.Addr = "acm.certificate/https"
	AddrGivenCertificate engine.Addr = "acm.certificate/given"
	AddrHTTPSListener    engine.Addr = "elbv2.listener/https"
	AddrALBIngressHTTPS  engine.Addr = "ec2.security-group-rule/alb-ingress-https"
	AddrScalableTarget   engine.Addr = "application-autoscaling.scalable-target/app"
	AddrCPUPolicy        engine.Addr = "application-autoscaling.policy/cpu"
	AddrMemoryPolicy     engine.Addr = "application-autoscaling.policy/memory"
	AddrRequestsPolicy   engine.Addr = "application-autoscaling.policy/requests"
	instanceRolePolicy               = "arn:aws:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role"
	executionRolePolicy              = "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"
	vpcCIDR                          = "10.0.0.0/16"
	// AWS caps load balancer and target group names at 32 characters.
	elbNameLimit = 32
	// IAM caps role and instance profile names at 64 characters.
	iamNameLimit = 64
	// secretsPolicyName is the execution role's inline policy that reads
	// berth.yaml's secrets.
	secretsPolicyName = "berth-secrets"
)

// Names are the deterministic AWS names of a stack's named resources.
type Names struct {
	Cluster, Service, LoadBalancer, TargetGroup, LogGroup          string
	AutoScalingGroup, LaunchTemplate, CapacityProvider, TaskFamily string
	InstanceRole, InstanceProfile, ExecutionRole                   string
	ALBSecurityGroup, ServiceSecurityGroup, InstancesSecurityGroup string
	CPUPolicy, MemoryPolicy, RequestsPolicy                        string
}

// NamesFor derives every name from the stack name.
func NamesFor(stackName string) Names {
	return Names{
		Cluster:                stackName,
		Service:                stackName,
		TaskFamily:             stackName,
		LoadBalancer:           awsres.ShortName(stackName+"-alb", elbNameLimit),
		TargetGroup:            awsres.ShortName(stackName+"-tg", elbNameLimit),
		LogGroup:               "/berth/" + stackName,
		AutoScalingGroup:       stackName + "-instances",
		LaunchTemplate:         stackName + "-instances",
		CapacityProvider:       stackName + "-capacity",
		InstanceRole:           awsres.ShortName(stackName+"-instance-role", iamNameLimit),
		InstanceProfile:        awsres.ShortName(stackName+"-instance-profile", iamNameLimit),
		ExecutionRole:          awsres.ShortName(stackName+"-execution-role", iamNameLimit),
		ALBSecurityGroup:       stackName + "-alb",
		ServiceSecurityGroup:   stackName + "-service",
		InstancesSecurityGroup: stackName + "-instances",
		CPUPolicy:              stackName + "-cpu",
		MemoryPolicy:           stackName + "-memory",
		RequestsPolicy:         stackName + "-requests",
	}
}

func ref(addr engine.Addr, key string) engine.Ref { return engine.Ref{Addr: addr, Key: key} }

// Build returns every resource of the stack described by s, composed of
// its parts: the network, the capacity (EC2 or Fargate), the load
// balancer (HTTP or HTTPS), the service and its scaling. Resources of a
// part berth.yaml does not choose (now or any more) are listed unwanted,
// so that a plan deletes what is left of them.
func Build(s *spec.Spec) ([]engine.Resource, error) {
	if s == nil || s.Name == "" {
		return nil, fmt.Errorf("stack: spec has no name")
	}
	names := NamesFor(s.Name)
	meta := func(addr engine.Addr, deps ...engine.Addr) awsres.Meta {
		return awsres.Meta{Stack: s.Name, Address: addr, Deps: deps, Tags: s.Tags}
	}
	net, resources := network(s, meta)
	albGroup, serviceGroup := ref(AddrALBGroup, "id"), ref(AddrServiceGroup, "id")
	hc := s.Service.HealthCheck
	fargate := isFargate(s)

	execution := &awsres.IAMRole{
		Meta: meta(AddrExecutionRole), Name: names.ExecutionRole,
		TrustedService: "ecs-tasks.amazonaws.com", ManagedPolicies: []string{executionRolePolicy},
		InlinePolicyName: secretsPolicyName,
	}
	if len(s.Service.Secrets) > 0 {
		execution.InlinePolicy = awsres.SecretsPolicy(slices.Collect(maps.Values(s.Service.Secrets)))
	}
	capacity, strategy, capacityDeps := capacityPart(s, names, meta, net)
	resources = append(resources, capacity...)
	resources = append(resources,
		&awsres.SecurityGroup{
			Meta: meta(AddrALBGroup, net.vpcDeps...), Name: names.ALBSecurityGroup, VPC: net.vpc,
			Description: "berth " + s.Name + ": load balancer", RevokeDefaultEgress: true,
		},
		&awsres.SecurityGroup{
			Meta: meta(AddrServiceGroup, net.vpcDeps...), Name: names.ServiceSecurityGroup, VPC: net.vpc,
			Description: "berth " + s.Name + ": service tasks",
		},
		&awsres.SecurityGroupRule{
			Meta: meta(AddrServiceIngress, AddrServiceGroup, AddrALBGroup), Group: serviceGroup,
			Direction: awsres.Ingress, Port: s.Service.Port, Peer: &albGroup,
		},
		&awsres.SecurityGroupRule{
			Meta: meta(AddrALBEgress, AddrALBGroup, AddrServiceGroup), Group: albGroup,
			Direction: awsres.Egress, Port: s.Service.Port, Peer: &serviceGroup,
		},
		execution,
		&awsres.LogGroup{Meta: meta(AddrLogGroup), Name: names.LogGroup, RetentionDays: s.Logs.RetentionDays},
		&awsres.Cluster{Meta: meta(AddrCluster), Name: names.Cluster},
		&awsres.ClusterCapacityProviders{
			Meta:    meta(AddrClusterProviders, append([]engine.Addr{AddrCluster}, capacityDeps...)...),
			Cluster: ref(AddrCluster, "name"), Strategy: strategy,
		},
		&awsres.TaskDefinition{
			Meta: meta(AddrTaskDefinition, AddrExecutionRole, AddrLogGroup), Family: names.TaskFamily,
			Image: s.Service.Image, Port: s.Service.Port, CPU: s.Service.CPU, Memory: s.Service.Memory,
			Environment: s.Service.Environment, Secrets: s.Service.Secrets, Command: s.Service.Command,
			StopTimeout: s.Service.Deployment.StopTimeout, Fargate: fargate,
			ExecutionRole: ref(AddrExecutionRole, "arn"), LogGroup: ref(AddrLogGroup, "name"),
		},
		&awsres.TargetGroup{
			Meta: meta(AddrTargetGroup, net.vpcDeps...), Name: names.TargetGroup, VPC: net.vpc, Port: s.Service.Port,
			HealthCheck: awsres.TargetHealthCheck{
				Path: hc.Path, Interval: hc.Interval, Timeout: hc.Timeout,
				HealthyThreshold: hc.HealthyThreshold, UnhealthyThreshold: hc.UnhealthyThreshold, Matcher: hc.Matcher,
			},
			DeregistrationDelay: s.Service.DeregistrationDelay, HTTPS: s.Service.Protocol == spec.ProtocolHTTPS,
		},
		&awsres.LoadBalancer{
			Meta: meta(AddrLoadBalancer, append([]engine.Addr{AddrALBGroup}, net.publicDeps...)...),
			Name: names.LoadBalancer, Public: s.LoadBalancer.Public, Subnets: net.public, SecurityGroup: albGroup,
		},
		&awsres.Service{
			Meta: meta(AddrService, append([]engine.Addr{AddrCluster, AddrClusterProviders, AddrTaskDefinition, AddrListener, AddrHTTPSListener,
				AddrTargetGroup, AddrServiceGroup, AddrServiceIngress}, net.taskDeps...)...),
			Name: names.Service, Cluster: ref(AddrCluster, "name"), TaskDefinition: ref(AddrTaskDefinition, "arn"),
			Strategy: strategy, TargetGroup: ref(AddrTargetGroup, "arn"),
			Subnets: net.tasks, SecurityGroup: serviceGroup, PublicIP: fargate && net.publicTasks,
			PublicIPFrom: fargateOnly(fargate, net.publicTasksRef),
			Count:        s.Service.Count, ContainerPort: s.Service.Port,
			Placement: s.Service.Placement, HealthCheckGracePeriod: hc.GracePeriod,
			Deployment: awsres.Deployment{
				MinimumHealthyPercent: s.Service.Deployment.MinimumHealthyPercent, MaximumPercent: s.Service.Deployment.MaximumPercent,
				CircuitBreaker: s.Service.Deployment.CircuitBreaker, Rollback: s.Service.Deployment.Rollback,
			},
			CountByAutoscaling: s.Service.Autoscaling != nil,
		},
	)
	resources = append(resources, repository(s, meta))
	resources = append(resources, loadBalancing(s, meta, albGroup, net)...)
	resources = append(resources, serviceScaling(s, names, meta)...)
	return resources, nil
}

// fargateOnly is ref on Fargate: EC2 tasks cannot have public addresses.
func fargateOnly(fargate bool, ref *engine.Ref) *engine.Ref {
	if fargate {
		return ref
	}
	return nil
}

func isFargate(s *spec.Spec) bool {
	return s.Capacity.Provider == spec.ProviderFargate || s.Capacity.Provider == spec.ProviderFargateSpot
}

// capacityPart is the EC2 capacity (instance role and profile, instances'
// security group, launch template, Auto Scaling group, capacity provider),
// unwanted on Fargate, and the capacity provider strategy of the cluster
// and the service.
func capacityPart(s *spec.Spec, names Names, meta metaFunc, net networkRefs) ([]engine.Resource, []awsres.StrategyItem, []engine.Addr) {
	fargate := isFargate(s)
	c := s.Capacity
	types := c.InstanceTypes
	if len(types) == 0 && c.InstanceType != "" {
		types = []string{c.InstanceType}
	}
	ec2 := []engine.Resource{
		&awsres.SecurityGroup{
			Meta: meta(AddrInstancesGroup, net.vpcDeps...), Name: names.InstancesSecurityGroup, VPC: net.vpc,
			Description: "berth " + s.Name + ": container instances, no ingress",
		},
		&awsres.IAMRole{
			Meta: meta(AddrInstanceRole), Name: names.InstanceRole,
			TrustedService: "ec2.amazonaws.com", ManagedPolicies: []string{instanceRolePolicy},
		},
		&awsres.InstanceProfile{Meta: meta(AddrInstanceProfile, AddrInstanceRole), Name: names.InstanceProfile, Role: ref(AddrInstanceRole, "name")},
		// The template depends on the cluster so that destroy removes the
		// instances (with the group) before the cluster they joined.
		&awsres.LaunchTemplate{
			Meta: meta(AddrLaunchTemplate, AddrInstanceProfile, AddrInstancesGroup, AddrCluster),
			Name: names.LaunchTemplate, InstanceType: c.InstanceType, ClusterName: names.Cluster,
			InstanceProfile: ref(AddrInstanceProfile, "arn"), SecurityGroup: ref(AddrInstancesGroup, "id"),
		},
		// The group waits for the routes so new instances reach ECS.
		&awsres.AutoScalingGroup{
			Meta: meta(AddrAutoScalingGroup, append([]engine.Addr{AddrLaunchTemplate}, net.taskDeps...)...),
			Name: names.AutoScalingGroup, LaunchTemplate: ref(AddrLaunchTemplate, "id"), Subnets: net.tasks,
			Min: c.Min, Max: c.Max, ProtectNewInstances: c.ManagedTerminationProtection,
			InstanceTypes: types, SpotShare: c.SpotShare, OnDemandBase: c.OnDemandBase,
		},
		&awsres.CapacityProvider{
			Meta: meta(AddrCapacityProvider, AddrAutoScalingGroup), Name: names.CapacityProvider,
			AutoScalingGroup: ref(AddrAutoScalingGroup, "arn"), TargetCapacity: c.TargetCapacity,
			TerminationProtection: c.ManagedTerminationProtection,
		},
	}
	if !fargate {
		return ec2, []awsres.StrategyItem{{Provider: ref(AddrCapacityProvider, "name"), Weight: 1}}, []engine.Addr{AddrCapacityProvider}
	}
	resources := make([]engine.Resource, len(ec2))
	for i, r := range ec2 {
		resources[i] = engine.Unwanted(r)
	}
	var strategy []awsres.StrategyItem
	if c.FargateWeight > 0 || c.OnDemandBase > 0 {
		strategy = append(strategy, awsres.StrategyItem{Name: "FARGATE", Weight: c.FargateWeight, Base: c.OnDemandBase})
	}
	if c.FargateSpotWeight > 0 {
		strategy = append(strategy, awsres.StrategyItem{Name: "FARGATE_SPOT", Weight: c.FargateSpotWeight})
	}
	return resources, strategy, nil
}

type metaFunc func(addr engine.Addr, deps ...engine.Addr) awsres.Meta

// wantedIf returns r, or r marked unwanted so that a plan deletes what is
// left of it from an earlier berth.yaml.
func wantedIf(wanted bool, r engine.Resource) engine.Resource {
	if wanted {
		return r
	}
	return engine.Unwanted(r)
}

// loadBalancing is the load balancer's front: the HTTP listener (serving,
// or redirecting to HTTPS), the HTTPS listener with its certificate, and
// the security group rules that open exactly the ports they listen on.
func loadBalancing(s *spec.Spec, meta metaFunc, albGroup engine.Ref, net networkRefs) []engine.Resource {
	https := s.LoadBalancer.HTTPS
	if https == nil {
		// Unwanted resources only need enough to find what is left.
		https = &spec.HTTPS{Port: 443, RedirectHTTP: true}
	}
	serveHTTPS := s.LoadBalancer.HTTPS != nil
	serveHTTP := !serveHTTPS || https.RedirectHTTP
	redirectTo := 0
	if serveHTTPS {
		redirectTo = https.Port
	}
	// An internal load balancer takes traffic from inside the VPC only,
	// unless berth.yaml says whom to allow.
	cidrs, cidrFrom := []string{"0.0.0.0/0"}, (*engine.Ref)(nil)
	switch {
	case len(s.LoadBalancer.AllowedCIDRs) > 0:
		cidrs = s.LoadBalancer.AllowedCIDRs
	case !s.LoadBalancer.Public && net.cidrFrom != nil:
		cidrs, cidrFrom = nil, net.cidrFrom
	case !s.LoadBalancer.Public:
		cidrs = []string{net.cidr}
	}
	certificate := ref(AddrCertificate, "arn")
	httpsDeps := []engine.Addr{AddrLoadBalancer, AddrTargetGroup, AddrCertificate}
	resources := []engine.Resource{
		wantedIf(serveHTTPS && https.Domain != "", &awsres.Certificate{Meta: meta(AddrCertificate), Domain: https.Domain, KeyAlgorithm: https.KeyAlgorithm}),
	}
	if serveHTTPS && https.CertificateARN != "" {
		resources = append(resources, &awsres.Certificate{Meta: meta(AddrGivenCertificate), ARN: https.CertificateARN})
		certificate = ref(AddrGivenCertificate, "arn")
		httpsDeps = append(httpsDeps, AddrGivenCertificate)
	}
	resources = append(resources,
		wantedIf(serveHTTP, &awsres.SecurityGroupRule{
			Meta: meta(AddrALBIngress, AddrALBGroup), Group: albGroup,
			Direction: awsres.Ingress, Port: s.LoadBalancer.Port, CIDRs: cidrs, CIDRFrom: cidrFrom,
		}),
		wantedIf(serveHTTPS, &awsres.SecurityGroupRule{
			Meta: meta(AddrALBIngressHTTPS, AddrALBGroup), Group: albGroup,
			Direction: awsres.Ingress, Port: https.Port, CIDRs: cidrs, CIDRFrom: cidrFrom,
		}))
	return append(resources,
		wantedIf(serveHTTP, &awsres.Listener{
			Meta:         meta(AddrListener, AddrLoadBalancer, AddrTargetGroup),
			LoadBalancer: ref(AddrLoadBalancer, "arn"), TargetGroup: ref(AddrTargetGroup, "arn"), Port: s.LoadBalancer.Port,
			RedirectToPort: redirectTo,
		}),
		wantedIf(serveHTTPS, &awsres.Listener{
			Meta:         meta(AddrHTTPSListener, httpsDeps...),
			LoadBalancer: ref(AddrLoadBalancer, "arn"), TargetGroup: ref(AddrTargetGroup, "arn"), Port: https.Port,
			HTTPS: true, Certificate: certificate, SSLPolicy: https.SSLPolicy, Replaced: ref(AddrCertificate, "replaced"),
		}),
	)
}

// serviceScaling is the service's scalable target and one target-tracking
// policy per metric berth.yaml names.
func serviceScaling(s *spec.Spec, names Names, meta metaFunc) []engine.Resource {
	a := s.Service.Autoscaling
	if a == nil {
		a = &spec.Autoscaling{}
	}
	wanted := s.Service.Autoscaling != nil
	resources := []engine.Resource{
		wantedIf(wanted, &awsres.ScalableTarget{
			Meta:    meta(AddrScalableTarget, AddrService, AddrCluster),
			Cluster: ref(AddrCluster, "name"), Service: ref(AddrService, "name"), Min: a.Min, Max: a.Max,
		}),
	}
	for _, p := range []struct {
		addr   engine.Addr
		name   string
		metric string
		target int
	}{
		{AddrCPUPolicy, names.CPUPolicy, awsres.MetricCPU, a.CPU},
		{AddrMemoryPolicy, names.MemoryPolicy, awsres.MetricMemory, a.Memory},
		{AddrRequestsPolicy, names.RequestsPolicy, awsres.MetricRequests, a.RequestsPerTarget},
	} {
		// The request count is the target group's behind the listeners.
		resources = append(resources, wantedIf(wanted && p.target > 0, &awsres.ScalingPolicy{
			Meta: meta(p.addr, AddrScalableTarget, AddrLoadBalancer, AddrTargetGroup, AddrListener, AddrHTTPSListener),
			Name: p.name, Target: ref(AddrScalableTarget, "resource_id"), Metric: p.metric, TargetValue: p.target,
			ScaleInCooldown: a.ScaleInCooldown, ScaleOutCooldown: a.ScaleOutCooldown,
			LoadBalancer: ref(AddrLoadBalancer, "arn"), TargetGroup: ref(AddrTargetGroup, "arn"),
		}))
	}
	return resources
}
