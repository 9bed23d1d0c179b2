package doctor

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	astypes "github.com/aws/aws-sdk-go-v2/service/autoscaling/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"

	"github.com/berthdev/berth/internal/engine"
)

// ErrNoService is returned by Read when the cluster has no such active
// service.
var ErrNoService = errors.New("no such service")

// Read reads service in cluster and everything it runs on and behind from
// the account, whoever made it.
func Read(ctx context.Context, c *engine.Clients, cluster, service string) (*Stack, error) {
	out, err := c.ECS.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String(cluster), Services: []string{service}})
	if err != nil {
		if engine.HasCode(err, "ClusterNotFoundException", "ServiceNotFoundException") {
			return nil, fmt.Errorf("service %s in cluster %s: %w", service, cluster, ErrNoService)
		}
		return nil, fmt.Errorf("describe service %s: %w", service, err)
	}
	i := slices.IndexFunc(out.Services, func(s ecstypes.Service) bool { return aws.ToString(s.Status) != "INACTIVE" })
	if i < 0 {
		return nil, fmt.Errorf("service %s in cluster %s: %w", service, cluster, ErrNoService)
	}
	svc := out.Services[i]
	st := &Stack{
		Source: fmt.Sprintf("service %s in cluster %s", service, cluster), Cluster: cluster, Service: service,
		Desired: int(svc.DesiredCount), MaxDesired: int(svc.DesiredCount), MaximumPercent: 200,
	}
	if d := svc.DeploymentConfiguration; d != nil && d.MaximumPercent != nil {
		st.MaximumPercent = int(*d.MaximumPercent)
	}
	for _, pc := range svc.PlacementConstraints {
		st.DistinctInstance = st.DistinctInstance || pc.Type == ecstypes.PlacementConstraintTypeDistinctInstance
	}
	if n := svc.NetworkConfiguration; n != nil && n.AwsvpcConfiguration != nil {
		st.TaskSubnets, st.TaskGroups = n.AwsvpcConfiguration.Subnets, n.AwsvpcConfiguration.SecurityGroups
		st.TaskPublicIP = n.AwsvpcConfiguration.AssignPublicIp == ecstypes.AssignPublicIpEnabled
	}
	if err := st.readTask(ctx, c, aws.ToString(svc.TaskDefinition)); err != nil {
		return nil, err
	}
	for _, lb := range svc.LoadBalancers {
		target, err := readTarget(ctx, c, lb)
		if err != nil {
			return nil, err
		}
		st.Targets = append(st.Targets, target)
	}
	if err := st.readCapacity(ctx, c, svc); err != nil {
		return nil, err
	}
	if err := st.readNetwork(ctx, c); err != nil {
		return nil, err
	}
	return st, nil
}

func (st *Stack) readTask(ctx context.Context, c *engine.Clients, arn string) error {
	out, err := c.ECS.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(arn)})
	if err != nil {
		return fmt.Errorf("describe task definition %s: %w", arn, err)
	}
	td := out.TaskDefinition
	st.NetworkMode = string(td.NetworkMode)
	st.Task = Task{Family: aws.ToString(td.Family), CPU: atoi(aws.ToString(td.Cpu)), Memory: atoi(aws.ToString(td.Memory))}
	for _, cd := range td.ContainerDefinitions {
		container := Container{
			Name: aws.ToString(cd.Name), Image: aws.ToString(cd.Image), CPU: int(cd.Cpu),
			Memory: int(aws.ToInt32(cd.Memory)), MemoryReserv: int(aws.ToInt32(cd.MemoryReservation)),
			LogsToCloudWatch: cd.LogConfiguration != nil && cd.LogConfiguration.LogDriver == ecstypes.LogDriverAwslogs,
		}
		for _, pm := range cd.PortMappings {
			container.Ports = append(container.Ports, PortMapping{Container: int(aws.ToInt32(pm.ContainerPort)), Host: int(aws.ToInt32(pm.HostPort))})
		}
		for _, s := range cd.Secrets {
			container.Secrets = append(container.Secrets, aws.ToString(s.ValueFrom))
		}
		st.Task.Containers = append(st.Task.Containers, container)
	}
	return nil
}

func readTarget(ctx context.Context, c *engine.Clients, lb ecstypes.LoadBalancer) (Target, error) {
	target := Target{ContainerName: aws.ToString(lb.ContainerName), ContainerPort: int(aws.ToInt32(lb.ContainerPort))}
	arn := aws.ToString(lb.TargetGroupArn)
	groups, err := c.ELB.DescribeTargetGroups(ctx, &elb.DescribeTargetGroupsInput{TargetGroupArns: []string{arn}})
	if err != nil {
		return target, fmt.Errorf("describe target group %s: %w", arn, err)
	}
	if len(groups.TargetGroups) == 0 {
		return target, fmt.Errorf("target group %s: not found", arn)
	}
	tg := groups.TargetGroups[0]
	target.Group = TargetGroup{
		Name: aws.ToString(tg.TargetGroupName), Port: int(aws.ToInt32(tg.Port)), Protocol: string(tg.Protocol),
		TargetType: string(tg.TargetType), HealthPath: aws.ToString(tg.HealthCheckPath), HealthPort: aws.ToString(tg.HealthCheckPort),
		Interval: int(aws.ToInt32(tg.HealthCheckIntervalSeconds)), Healthy: int(aws.ToInt32(tg.HealthyThresholdCount)),
	}
	if tg.Matcher != nil {
		target.Group.Matcher = aws.ToString(tg.Matcher.HttpCode)
	}
	attrs, err := c.ELB.DescribeTargetGroupAttributes(ctx, &elb.DescribeTargetGroupAttributesInput{TargetGroupArn: aws.String(arn)})
	if err != nil {
		return target, fmt.Errorf("describe target group attributes of %s: %w", target.Group.Name, err)
	}
	target.Group.DeregistrationDelay = 300
	for _, a := range attrs.Attributes {
		if aws.ToString(a.Key) == "deregistration_delay.timeout_seconds" {
			target.Group.DeregistrationDelay = atoi(aws.ToString(a.Value))
		}
	}
	if len(tg.LoadBalancerArns) == 0 {
		return target, nil
	}
	lbs, err := c.ELB.DescribeLoadBalancers(ctx, &elb.DescribeLoadBalancersInput{LoadBalancerArns: tg.LoadBalancerArns})
	if err != nil {
		return target, fmt.Errorf("describe the load balancers of %s: %w", target.Group.Name, err)
	}
	for _, l := range lbs.LoadBalancers {
		balancer := LoadBalancer{Name: aws.ToString(l.LoadBalancerName), Groups: l.SecurityGroups}
		pages := elb.NewDescribeListenersPaginator(c.ELB, &elb.DescribeListenersInput{LoadBalancerArn: l.LoadBalancerArn})
		for pages.HasMorePages() {
			page, err := pages.NextPage(ctx)
			if err != nil {
				return target, fmt.Errorf("describe the listeners of %s: %w", balancer.Name, err)
			}
			for _, listener := range page.Listeners {
				balancer.Listeners = append(balancer.Listeners, int(aws.ToInt32(listener.Port)))
			}
		}
		target.LoadBalancers = append(target.LoadBalancers, balancer)
	}
	return target, nil
}

// readCapacity finds the instances the service runs on: the Auto Scaling
// groups behind its capacity providers (the service's strategy, else the
// cluster's default), else the instances registered in the cluster.
func (st *Stack) readCapacity(ctx context.Context, c *engine.Clients, svc ecstypes.Service) error {
	strategy := svc.CapacityProviderStrategy
	if len(strategy) == 0 && svc.LaunchType == "" {
		clusters, err := c.ECS.DescribeClusters(ctx, &ecs.DescribeClustersInput{Clusters: []string{st.Cluster}})
		if err != nil {
			return fmt.Errorf("describe cluster %s: %w", st.Cluster, err)
		}
		if len(clusters.Clusters) > 0 {
			strategy = clusters.Clusters[0].DefaultCapacityProviderStrategy
		}
	}
	var providers []string
	for _, item := range strategy {
		name := aws.ToString(item.CapacityProvider)
		if name == "FARGATE" || name == "FARGATE_SPOT" {
			st.Fargate = true
			continue
		}
		providers = append(providers, name)
	}
	if svc.LaunchType == ecstypes.LaunchTypeFargate {
		st.Fargate = true
	}
	if st.Fargate {
		return nil
	}
	var groups []string
	if len(providers) > 0 {
		out, err := c.ECS.DescribeCapacityProviders(ctx, &ecs.DescribeCapacityProvidersInput{CapacityProviders: providers})
		if err != nil {
			return fmt.Errorf("describe capacity providers %s: %w", strings.Join(providers, ", "), err)
		}
		for _, p := range out.CapacityProviders {
			if p.AutoScalingGroupProvider != nil {
				arn := aws.ToString(p.AutoScalingGroupProvider.AutoScalingGroupArn)
				groups = append(groups, arn[strings.LastIndex(arn, "/")+1:])
			}
		}
	}
	if len(groups) > 0 {
		return st.readGroups(ctx, c, groups)
	}
	return st.readContainerInstances(ctx, c)
}

func (st *Stack) readGroups(ctx context.Context, c *engine.Clients, names []string) error {
	out, err := c.AutoScaling.DescribeAutoScalingGroups(ctx, &autoscaling.DescribeAutoScalingGroupsInput{AutoScalingGroupNames: names})
	if err != nil {
		return fmt.Errorf("describe Auto Scaling groups %s: %w", strings.Join(names, ", "), err)
	}
	st.Instances = &Instances{Source: "Auto Scaling group " + strings.Join(names, ", ")}
	for _, g := range out.AutoScalingGroups {
		st.Instances.Max += int(aws.ToInt32(g.MaxSize))
		for _, subnet := range strings.Split(aws.ToString(g.VPCZoneIdentifier), ",") {
			if subnet = strings.TrimSpace(subnet); subnet != "" {
				st.Instances.Subnets = append(st.Instances.Subnets, subnet)
			}
		}
		template := g.LaunchTemplate
		if m := g.MixedInstancesPolicy; m != nil && m.LaunchTemplate != nil {
			template = m.LaunchTemplate.LaunchTemplateSpecification
			for _, o := range m.LaunchTemplate.Overrides {
				if t := aws.ToString(o.InstanceType); t != "" {
					st.Instances.Types = appendNew(st.Instances.Types, t)
				}
			}
		}
		if template != nil {
			if err := st.readLaunchTemplate(ctx, c, template); err != nil {
				return err
			}
		}
	}
	if len(st.Instances.Subnets) > 0 {
		// A running instance's primary interface is the truth about its
		// public address; the template may leave it to the subnet.
		return st.readRegistered(ctx, c)
	}
	return nil
}

func (st *Stack) readLaunchTemplate(ctx context.Context, c *engine.Clients, spec *astypes.LaunchTemplateSpecification) error {
	version := aws.ToString(spec.Version)
	if version == "" {
		version = "$Default"
	}
	in := &ec2.DescribeLaunchTemplateVersionsInput{Versions: []string{version}}
	if id := aws.ToString(spec.LaunchTemplateId); id != "" {
		in.LaunchTemplateId = aws.String(id)
	} else {
		in.LaunchTemplateName = spec.LaunchTemplateName
	}
	out, err := c.EC2.DescribeLaunchTemplateVersions(ctx, in)
	if err != nil {
		return fmt.Errorf("describe launch template %s%s: %w", aws.ToString(spec.LaunchTemplateId), aws.ToString(spec.LaunchTemplateName), err)
	}
	for _, v := range out.LaunchTemplateVersions {
		data := v.LaunchTemplateData
		if data == nil {
			continue
		}
		if len(st.Instances.Types) == 0 && data.InstanceType != "" {
			st.Instances.Types = append(st.Instances.Types, string(data.InstanceType))
		}
		for _, g := range data.SecurityGroupIds {
			st.Instances.Groups = appendNew(st.Instances.Groups, g)
		}
		for _, ni := range data.NetworkInterfaces {
			for _, g := range ni.Groups {
				st.Instances.Groups = appendNew(st.Instances.Groups, g)
			}
			st.Instances.PublicIP = st.Instances.PublicIP || aws.ToBool(ni.AssociatePublicIpAddress)
		}
	}
	return nil
}

// readContainerInstances reads the cluster's registered instances: a
// cluster without capacity providers runs on whatever joined it.
func (st *Stack) readContainerInstances(ctx context.Context, c *engine.Clients) error {
	st.Instances = &Instances{Source: "the instances registered in cluster " + st.Cluster}
	if err := st.readRegistered(ctx, c); err != nil {
		return err
	}
	st.Instances.Max = st.Instances.Registered
	return nil
}

// readRegistered reads the cluster's container instances: what they
// registered for tasks, and their EC2 types, groups and addresses.
func (st *Stack) readRegistered(ctx context.Context, c *engine.Clients) error {
	var arns []string
	pages := ecs.NewListContainerInstancesPaginator(c.ECS, &ecs.ListContainerInstancesInput{Cluster: aws.String(st.Cluster)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("list the container instances of %s: %w", st.Cluster, err)
		}
		arns = append(arns, page.ContainerInstanceArns...)
	}
	if len(arns) == 0 {
		return nil
	}
	byInstance := map[string]ecstypes.ContainerInstance{}
	for len(arns) > 0 {
		batch := arns[:min(100, len(arns))]
		arns = arns[len(batch):]
		out, err := c.ECS.DescribeContainerInstances(ctx, &ecs.DescribeContainerInstancesInput{Cluster: aws.String(st.Cluster), ContainerInstances: batch})
		if err != nil {
			return fmt.Errorf("describe the container instances of %s: %w", st.Cluster, err)
		}
		for _, ci := range out.ContainerInstances {
			byInstance[aws.ToString(ci.Ec2InstanceId)] = ci
		}
	}
	ids := make([]string, 0, len(byInstance))
	for id := range byInstance {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	out, err := c.EC2.DescribeInstances(ctx, &ec2.DescribeInstancesInput{InstanceIds: ids})
	if err != nil {
		return fmt.Errorf("describe the instances of %s: %w", st.Cluster, err)
	}
	st.Instances.RegisteredCPU, st.Instances.RegisteredMemory = map[string]int{}, map[string]int{}
	for _, r := range out.Reservations {
		for _, inst := range r.Instances {
			instanceType := string(inst.InstanceType)
			st.Instances.Registered++
			st.Instances.Types = appendNew(st.Instances.Types, instanceType)
			st.Instances.Subnets = appendNew(st.Instances.Subnets, aws.ToString(inst.SubnetId))
			st.Instances.PublicIP = st.Instances.PublicIP || aws.ToString(inst.PublicIpAddress) != ""
			for _, g := range inst.SecurityGroups {
				st.Instances.Groups = appendNew(st.Instances.Groups, aws.ToString(g.GroupId))
			}
			for _, res := range byInstance[aws.ToString(inst.InstanceId)].RegisteredResources {
				switch aws.ToString(res.Name) {
				case "CPU":
					st.Instances.RegisteredCPU[instanceType] = int(res.IntegerValue)
				case "MEMORY":
					st.Instances.RegisteredMemory[instanceType] = int(res.IntegerValue)
				}
			}
		}
	}
	return nil
}

// readNetwork reads the security groups, subnets, route tables and VPC
// endpoints the traffic and the task's start-up go through, and the
// instance types.
func (st *Stack) readNetwork(ctx context.Context, c *engine.Clients) error {
	var groupIDs, subnetIDs []string
	groupIDs = append(groupIDs, st.TaskGroups...)
	for _, t := range st.Targets {
		for _, lb := range t.LoadBalancers {
			groupIDs = append(groupIDs, lb.Groups...)
		}
	}
	subnetIDs = append(subnetIDs, st.TaskSubnets...)
	if st.Instances != nil {
		groupIDs = append(groupIDs, st.Instances.Groups...)
		subnetIDs = append(subnetIDs, st.Instances.Subnets...)
		if err := st.readInstanceTypes(ctx, c); err != nil {
			return err
		}
	}
	groups, err := readGroups(ctx, c, dedupe(groupIDs))
	if err != nil {
		return err
	}
	st.Groups = groups
	st.Subnets, st.Endpoints, err = readSubnets(ctx, c, dedupe(subnetIDs))
	return err
}

func (st *Stack) readInstanceTypes(ctx context.Context, c *engine.Clients) error {
	st.InstanceTypes = map[string]InstanceType{}
	if len(st.Instances.Types) == 0 {
		return nil
	}
	pages := ec2.NewDescribeInstanceTypesPaginator(c.EC2, &ec2.DescribeInstanceTypesInput{InstanceTypes: toInstanceTypes(st.Instances.Types)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("describe instance types %s: %w", strings.Join(st.Instances.Types, ", "), err)
		}
		for _, t := range page.InstanceTypes {
			info := InstanceType{}
			if t.VCpuInfo != nil {
				info.VCPUs = int(aws.ToInt32(t.VCpuInfo.DefaultVCpus))
			}
			if t.MemoryInfo != nil {
				info.MemoryMiB = int(aws.ToInt64(t.MemoryInfo.SizeInMiB))
			}
			if t.NetworkInfo != nil {
				info.MaxENIs = int(aws.ToInt32(t.NetworkInfo.MaximumNetworkInterfaces))
			}
			st.InstanceTypes[string(t.InstanceType)] = info
		}
	}
	return nil
}

func toInstanceTypes(names []string) []ec2types.InstanceType {
	types := make([]ec2types.InstanceType, len(names))
	for i, n := range names {
		types[i] = ec2types.InstanceType(n)
	}
	return types
}

func readGroups(ctx context.Context, c *engine.Clients, ids []string) (map[string]*Group, error) {
	groups := map[string]*Group{}
	if len(ids) == 0 {
		return groups, nil
	}
	out, err := c.EC2.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{GroupIds: ids})
	if err != nil {
		return nil, fmt.Errorf("describe security groups %s: %w", strings.Join(ids, ", "), err)
	}
	for _, g := range out.SecurityGroups {
		groups[aws.ToString(g.GroupId)] = &Group{
			ID: aws.ToString(g.GroupId), Name: aws.ToString(g.GroupName),
			Ingress: permissions(g.IpPermissions), Egress: permissions(g.IpPermissionsEgress),
		}
	}
	return groups, nil
}

func permissions(in []ec2types.IpPermission) []Permission {
	var out []Permission
	for _, p := range in {
		perm := Permission{Protocol: aws.ToString(p.IpProtocol), From: int(aws.ToInt32(p.FromPort)), To: int(aws.ToInt32(p.ToPort))}
		for _, r := range p.IpRanges {
			perm.CIDRs = append(perm.CIDRs, aws.ToString(r.CidrIp))
		}
		for _, r := range p.Ipv6Ranges {
			perm.CIDRs = append(perm.CIDRs, aws.ToString(r.CidrIpv6))
		}
		for _, pair := range p.UserIdGroupPairs {
			perm.Groups = append(perm.Groups, aws.ToString(pair.GroupId))
		}
		out = append(out, perm)
	}
	return out
}

// readSubnets reads the subnets, where their route tables send 0.0.0.0/0
// (a subnet without a table of its own uses its VPC's main one), and the
// VPCs' endpoints.
func readSubnets(ctx context.Context, c *engine.Clients, ids []string) (map[string]*Subnet, []Endpoint, error) {
	subnets := map[string]*Subnet{}
	if len(ids) == 0 {
		return subnets, nil, nil
	}
	out, err := c.EC2.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{SubnetIds: ids})
	if err != nil {
		return nil, nil, fmt.Errorf("describe subnets %s: %w", strings.Join(ids, ", "), err)
	}
	var vpcs []string
	for _, s := range out.Subnets {
		subnet := &Subnet{ID: aws.ToString(s.SubnetId), Zone: aws.ToString(s.AvailabilityZone), VPC: aws.ToString(s.VpcId)}
		subnets[subnet.ID] = subnet
		vpcs = appendNew(vpcs, subnet.VPC)
	}
	vpcFilter := []ec2types.Filter{{Name: aws.String("vpc-id"), Values: vpcs}}
	main := map[string]ec2types.RouteTable{}
	explicit := map[string]ec2types.RouteTable{}
	tables := ec2.NewDescribeRouteTablesPaginator(c.EC2, &ec2.DescribeRouteTablesInput{Filters: vpcFilter})
	for tables.HasMorePages() {
		page, err := tables.NextPage(ctx)
		if err != nil {
			return nil, nil, fmt.Errorf("describe route tables: %w", err)
		}
		for _, rt := range page.RouteTables {
			for _, a := range rt.Associations {
				if aws.ToBool(a.Main) {
					main[aws.ToString(rt.VpcId)] = rt
				} else if id := aws.ToString(a.SubnetId); id != "" {
					explicit[id] = rt
				}
			}
		}
	}
	for _, subnet := range subnets {
		rt, ok := explicit[subnet.ID]
		if !ok {
			rt = main[subnet.VPC]
		}
		subnet.RouteTable = aws.ToString(rt.RouteTableId)
		subnet.DefaultRoute = defaultRoute(rt)
	}
	var endpoints []Endpoint
	pages := ec2.NewDescribeVpcEndpointsPaginator(c.EC2, &ec2.DescribeVpcEndpointsInput{Filters: vpcFilter})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, nil, fmt.Errorf("describe VPC endpoints: %w", err)
		}
		for _, e := range page.VpcEndpoints {
			endpoints = append(endpoints, Endpoint{
				Service: aws.ToString(e.ServiceName), Type: string(e.VpcEndpointType),
				Subnets: e.SubnetIds, RouteTables: e.RouteTableIds,
			})
		}
	}
	return subnets, endpoints, nil
}

func defaultRoute(rt ec2types.RouteTable) string {
	for _, r := range rt.Routes {
		if aws.ToString(r.DestinationCidrBlock) != "0.0.0.0/0" || r.State == ec2types.RouteStateBlackhole {
			continue
		}
		for _, target := range []*string{r.NatGatewayId, r.GatewayId, r.TransitGatewayId, r.NetworkInterfaceId, r.InstanceId, r.VpcPeeringConnectionId} {
			if aws.ToString(target) != "" {
				return aws.ToString(target)
			}
		}
	}
	return ""
}

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}

func appendNew(list []string, s string) []string {
	if s == "" || slices.Contains(list, s) {
		return list
	}
	return append(list, s)
}

func dedupe(list []string) []string {
	var out []string
	for _, s := range list {
		out = appendNew(out, s)
	}
	return out
}
