// Package stack turns a berth.yaml spec into the resource graph of the
// whole stack (network, security, IAM, logs, capacity, ECS, load balancer)
// and offers the high-level calls the CLI uses: plan, apply, wait, destroy.
package stack

import (
	"fmt"

	"github.com/berthdev/berth/internal/awsres"
	"github.com/berthdev/berth/internal/engine"
	"github.com/berthdev/berth/internal/spec"
)

// Addresses of the stack's resources; they are written into the
// berth:resource tags, so renaming one orphans what exists under the old
// address.
const (
	AddrVPC                       engine.Addr = "ec2.vpc/main"
	AddrSubnetA                   engine.Addr = "ec2.subnet/public-a"
	AddrSubnetB                   engine.Addr = "ec2.subnet/public-b"
	AddrInternetGateway           engine.Addr = "ec2.internet-gateway/main"
	AddrRouteTable                engine.Addr = "ec2.route-table/public"
	AddrALBGroup                  engine.Addr = "ec2.security-group/alb"
	AddrServiceGroup              engine.Addr = "ec2.security-group/service"
	AddrInstancesGroup            engine.Addr = "ec2.security-group/instances"
	AddrALBIngress                engine.Addr = "ec2.security-group-rule/alb-ingress-listener"
	AddrALBEgress                 engine.Addr = "ec2.security-group-rule/alb-egress-service"
	AddrServiceIngress            engine.Addr = "ec2.security-group-rule/service-ingress-alb"
	AddrInstanceRole              engine.Addr = "iam.role/instance"
	AddrInstanceProfile           engine.Addr = "iam.instance-profile/instance"
	AddrExecutionRole             engine.Addr = "iam.role/execution"
	AddrLogGroup                  engine.Addr = "logs.log-group/app"
	AddrCluster                   engine.Addr = "ecs.cluster/main"
	AddrLaunchTemplate            engine.Addr = "ec2.launch-template/instances"
	AddrAutoScalingGroup          engine.Addr = "autoscaling.group/instances"
	AddrCapacityProvider          engine.Addr = "ecs.capacity-provider/main"
	AddrClusterProviders          engine.Addr = "ecs.cluster-capacity-providers/main"
	AddrTaskDefinition            engine.Addr = "ecs.task-definition/app"
	AddrTargetGroup               engine.Addr = "elbv2.target-group/app"
	AddrLoadBalancer              engine.Addr = "elbv2.load-balancer/main"
	AddrListener                  engine.Addr = "elbv2.listener/http"
	AddrService                   engine.Addr = "ecs.service/app"
	AddrCertificate               engine.Addr = "acm.certificate/https"
	AddrGivenCertificate          engine.Addr = "acm.certificate/given"
	AddrHTTPSListener             engine.Addr = "elbv2.listener/https"
	AddrALBIngressHTTPS           engine.Addr = "ec2.security-group-rule/alb-ingress-https"
	AddrScalableTarget            engine.Addr = "application-autoscaling.scalable-target/app"
	AddrCPUPolicy                 engine.Addr = "application-autoscaling.policy/cpu"
	AddrMemoryPolicy              engine.Addr = "application-autoscaling.policy/memory"
	AddrRequestsPolicy            engine.Addr = "application-autoscaling.policy/requests"
	instanceRolePolicy                        = "arn:aws:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role"
	executionRolePolicy                       = "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"
	healthCheckGracePeriodSeconds             = 60
	vpcCIDR                                   = "10.0.0.0/16"
	// AWS caps load balancer and target group names at 32 characters.
	elbNameLimit = 32
	// IAM caps role and instance profile names at 64 characters.
	iamNameLimit = 64
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

// Build returns every resource of the stack described by s.
func Build(s *spec.Spec) ([]engine.Resource, error) {
	if s == nil || s.Name == "" {
		return nil, fmt.Errorf("stack: spec has no name")
	}
	names := NamesFor(s.Name)
	meta := func(addr engine.Addr, deps ...engine.Addr) awsres.Meta {
		return awsres.Meta{Stack: s.Name, Address: addr, Deps: deps}
	}
	vpcID := ref(AddrVPC, "id")
	subnets := []engine.Ref{ref(AddrSubnetA, "id"), ref(AddrSubnetB, "id")}
	albGroup, serviceGroup := ref(AddrALBGroup, "id"), ref(AddrServiceGroup, "id")
	hc := s.Service.HealthCheck

	resources := []engine.Resource{
		&awsres.VPC{Meta: meta(AddrVPC), CIDR: vpcCIDR},
		&awsres.Subnet{Meta: meta(AddrSubnetA, AddrVPC), VPC: vpcID, CIDR: "10.0.0.0/24", ZoneIndex: 0},
		&awsres.Subnet{Meta: meta(AddrSubnetB, AddrVPC), VPC: vpcID, CIDR: "10.0.1.0/24", ZoneIndex: 1},
		&awsres.InternetGateway{Meta: meta(AddrInternetGateway, AddrVPC), VPC: vpcID},
		&awsres.RouteTable{
			Meta: meta(AddrRouteTable, AddrVPC, AddrInternetGateway, AddrSubnetA, AddrSubnetB),
			VPC:  vpcID, InternetGateway: ref(AddrInternetGateway, "id"), Subnets: subnets,
		},

		&awsres.SecurityGroup{
			Meta: meta(AddrALBGroup, AddrVPC), Name: names.ALBSecurityGroup, VPC: vpcID,
			Description: "berth " + s.Name + ": load balancer", RevokeDefaultEgress: true,
		},
		&awsres.SecurityGroup{
			Meta: meta(AddrServiceGroup, AddrVPC), Name: names.ServiceSecurityGroup, VPC: vpcID,
			Description: "berth " + s.Name + ": service tasks",
		},
		&awsres.SecurityGroup{
			Meta: meta(AddrInstancesGroup, AddrVPC), Name: names.InstancesSecurityGroup, VPC: vpcID,
			Description: "berth " + s.Name + ": container instances, no ingress",
		},
		&awsres.SecurityGroupRule{
			Meta: meta(AddrServiceIngress, AddrServiceGroup, AddrALBGroup), Group: serviceGroup,
			Direction: awsres.Ingress, Port: s.Service.Port, Peer: &albGroup,
		},
		&awsres.SecurityGroupRule{
			Meta: meta(AddrALBEgress, AddrALBGroup, AddrServiceGroup), Group: albGroup,
			Direction: awsres.Egress, Port: s.Service.Port, Peer: &serviceGroup,
		},

		&awsres.IAMRole{
			Meta: meta(AddrInstanceRole), Name: names.InstanceRole,
			TrustedService: "ec2.amazonaws.com", ManagedPolicies: []string{instanceRolePolicy},
		},
		&awsres.InstanceProfile{Meta: meta(AddrInstanceProfile, AddrInstanceRole), Name: names.InstanceProfile, Role: ref(AddrInstanceRole, "name")},
		&awsres.IAMRole{
			Meta: meta(AddrExecutionRole), Name: names.ExecutionRole,
			TrustedService: "ecs-tasks.amazonaws.com", ManagedPolicies: []string{executionRolePolicy},
		},
		&awsres.LogGroup{Meta: meta(AddrLogGroup), Name: names.LogGroup, RetentionDays: s.Logs.RetentionDays},

		&awsres.Cluster{Meta: meta(AddrCluster), Name: names.Cluster},
		// The template depends on the cluster so that destroy removes the
		// instances (with the group) before the cluster they joined.
		&awsres.LaunchTemplate{
			Meta: meta(AddrLaunchTemplate, AddrInstanceProfile, AddrInstancesGroup, AddrCluster),
			Name: names.LaunchTemplate, InstanceType: s.Capacity.InstanceType, ClusterName: names.Cluster,
			InstanceProfile: ref(AddrInstanceProfile, "arn"), SecurityGroup: ref(AddrInstancesGroup, "id"),
		},
		// The group waits for the route table so new instances reach ECS.
		&awsres.AutoScalingGroup{
			Meta: meta(AddrAutoScalingGroup, AddrLaunchTemplate, AddrSubnetA, AddrSubnetB, AddrRouteTable),
			Name: names.AutoScalingGroup, LaunchTemplate: ref(AddrLaunchTemplate, "id"), Subnets: subnets,
			Min: s.Capacity.Min, Max: s.Capacity.Max, ProtectNewInstances: s.Capacity.ManagedTerminationProtection,
		},
		&awsres.CapacityProvider{
			Meta: meta(AddrCapacityProvider, AddrAutoScalingGroup), Name: names.CapacityProvider,
			AutoScalingGroup: ref(AddrAutoScalingGroup, "arn"), TargetCapacity: s.Capacity.TargetCapacity,
			TerminationProtection: s.Capacity.ManagedTerminationProtection,
		},
		&awsres.ClusterCapacityProviders{
			Meta:    meta(AddrClusterProviders, AddrCluster, AddrCapacityProvider),
			Cluster: ref(AddrCluster, "name"), CapacityProvider: ref(AddrCapacityProvider, "name"),
		},
		&awsres.TaskDefinition{
			Meta: meta(AddrTaskDefinition, AddrExecutionRole, AddrLogGroup), Family: names.TaskFamily,
			Image: s.Service.Image, Port: s.Service.Port, CPU: s.Service.CPU, Memory: s.Service.Memory,
			Environment: s.Service.Environment, ExecutionRole: ref(AddrExecutionRole, "arn"), LogGroup: ref(AddrLogGroup, "name"),
		},

		&awsres.TargetGroup{
			Meta: meta(AddrTargetGroup, AddrVPC), Name: names.TargetGroup, VPC: vpcID, Port: s.Service.Port,
			HealthCheck: awsres.TargetHealthCheck{
				Path: hc.Path, Interval: hc.Interval, Timeout: hc.Timeout,
				HealthyThreshold: hc.HealthyThreshold, UnhealthyThreshold: hc.UnhealthyThreshold, Matcher: hc.Matcher,
			},
			DeregistrationDelay: s.Service.DeregistrationDelay, HTTPS: s.Service.Protocol == spec.ProtocolHTTPS,
		},
		&awsres.LoadBalancer{
			Meta: meta(AddrLoadBalancer, AddrSubnetA, AddrSubnetB, AddrALBGroup, AddrRouteTable),
			Name: names.LoadBalancer, Public: s.LoadBalancer.Public, Subnets: subnets, SecurityGroup: albGroup,
		},
		&awsres.Service{
			Meta: meta(AddrService, AddrCluster, AddrClusterProviders, AddrTaskDefinition, AddrListener, AddrHTTPSListener,
				AddrTargetGroup, AddrServiceGroup, AddrServiceIngress, AddrSubnetA, AddrSubnetB),
			Name: names.Service, Cluster: ref(AddrCluster, "name"), TaskDefinition: ref(AddrTaskDefinition, "arn"),
			CapacityProvider: ref(AddrCapacityProvider, "name"), TargetGroup: ref(AddrTargetGroup, "arn"),
			Subnets: subnets, SecurityGroup: serviceGroup, Count: s.Service.Count, ContainerPort: s.Service.Port,
			Placement: s.Service.Placement, HealthCheckGracePeriod: healthCheckGracePeriodSeconds,
			CountByAutoscaling: s.Service.Autoscaling != nil,
		},
	}
	resources = append(resources, loadBalancing(s, meta, albGroup)...)
	resources = append(resources, serviceScaling(s, names, meta)...)
	return resources, nil
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
func loadBalancing(s *spec.Spec, meta metaFunc, albGroup engine.Ref) []engine.Resource {
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
	listenerPeer := "0.0.0.0/0"
	if !s.LoadBalancer.Public {
		// An internal load balancer takes traffic from inside the VPC only.
		listenerPeer = vpcCIDR
	}
	certificate := ref(AddrCertificate, "arn")
	httpsDeps := []engine.Addr{AddrLoadBalancer, AddrTargetGroup, AddrCertificate}
	resources := []engine.Resource{
		wantedIf(serveHTTPS && https.Domain != "", &awsres.Certificate{Meta: meta(AddrCertificate), Domain: https.Domain}),
	}
	if serveHTTPS && https.CertificateARN != "" {
		resources = append(resources, &awsres.Certificate{Meta: meta(AddrGivenCertificate), ARN: https.CertificateARN})
		certificate = ref(AddrGivenCertificate, "arn")
		httpsDeps = append(httpsDeps, AddrGivenCertificate)
	}
	return append(resources,
		wantedIf(serveHTTP, &awsres.Listener{
			Meta:         meta(AddrListener, AddrLoadBalancer, AddrTargetGroup),
			LoadBalancer: ref(AddrLoadBalancer, "arn"), TargetGroup: ref(AddrTargetGroup, "arn"), Port: s.LoadBalancer.Port,
			RedirectToPort: redirectTo,
		}),
		wantedIf(serveHTTPS, &awsres.Listener{
			Meta:         meta(AddrHTTPSListener, httpsDeps...),
			LoadBalancer: ref(AddrLoadBalancer, "arn"), TargetGroup: ref(AddrTargetGroup, "arn"), Port: https.Port,
			HTTPS: true, Certificate: certificate, SSLPolicy: https.SSLPolicy,
		}),
		wantedIf(serveHTTP, &awsres.SecurityGroupRule{
			Meta: meta(AddrALBIngress, AddrALBGroup), Group: albGroup,
			Direction: awsres.Ingress, Port: s.LoadBalancer.Port, CIDR: listenerPeer,
		}),
		wantedIf(serveHTTPS, &awsres.SecurityGroupRule{
			Meta: meta(AddrALBIngressHTTPS, AddrALBGroup), Group: albGroup,
			Direction: awsres.Ingress, Port: https.Port, CIDR: listenerPeer,
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
