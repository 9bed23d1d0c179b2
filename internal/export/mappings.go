package export

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/hashicorp/hcl/v2/hclwrite"

	"github.com/berthdev/berth/internal/awsres"
	"github.com/berthdev/berth/internal/engine"
)

// mappings holds one Terraform mapping per resource kind of berth's stack
// graph, by the kind of its address; TestEveryKindIsMapped fails on a kind
// the graph can hold and this table lacks. It is filled by init because
// the mappings render references through it.
var mappings map[string]mapping

func init() {
	mappings = map[string]mapping{
		"ec2.vpc": kind("aws_vpc", func(f *file, r *awsres.VPC) {
			b := f.resource("aws_vpc", name(r.Address))
			b.SetAttributeRaw("cidr_block", str(r.CIDR))
			b.SetAttributeRaw("enable_dns_hostnames", boolean(true))
			b.SetAttributeRaw("tags", tags(r.Meta, r.Stack))
		}),
		"ec2.subnet": kind("aws_subnet", func(f *file, r *awsres.Subnet) {
			zones := f.dataSource("aws_availability_zones", "available", "names", func(b *hclwrite.Body) {
				b.SetAttributeRaw("state", str("available"))
			})
			b := f.resource("aws_subnet", name(r.Address))
			b.SetAttributeRaw("vpc_id", f.ref(r.VPC))
			b.SetAttributeRaw("cidr_block", str(r.CIDR))
			b.SetAttributeRaw("availability_zone", index(zones, r.ZoneIndex))
			b.SetAttributeRaw("map_public_ip_on_launch", boolean(r.Public))
			b.SetAttributeRaw("tags", tags(r.Meta, ec2Name(r.Meta)))
		}),
		"ec2.internet-gateway": kind("aws_internet_gateway", func(f *file, r *awsres.InternetGateway) {
			b := f.resource("aws_internet_gateway", name(r.Address))
			b.SetAttributeRaw("vpc_id", f.ref(r.VPC))
			b.SetAttributeRaw("tags", tags(r.Meta, ec2Name(r.Meta)))
		}),
		"ec2.route-table": kind("aws_route_table", func(f *file, r *awsres.RouteTable) {
			table := name(r.Address)
			b := f.resource("aws_route_table", table)
			b.SetAttributeRaw("vpc_id", f.ref(r.VPC))
			route := b.AppendNewBlock("route", nil).Body()
			route.SetAttributeRaw("cidr_block", str("0.0.0.0/0"))
			if r.NAT {
				route.SetAttributeRaw("nat_gateway_id", f.ref(r.Gateway))
			} else {
				route.SetAttributeRaw("gateway_id", f.ref(r.Gateway))
			}
			b.SetAttributeRaw("tags", tags(r.Meta, ec2Name(r.Meta)))
			for _, subnet := range r.Subnets {
				a := f.resource("aws_route_table_association", table+"_"+name(subnet.Addr))
				a.SetAttributeRaw("route_table_id", traversal("aws_route_table", table, "id"))
				a.SetAttributeRaw("subnet_id", f.ref(subnet))
			}
		}),
		"ec2.elastic-ip": kind("aws_eip", func(f *file, r *awsres.ElasticIP) {
			b := f.resource("aws_eip", name(r.Address))
			b.SetAttributeRaw("domain", str("vpc"))
			b.SetAttributeRaw("tags", tags(r.Meta, ec2Name(r.Meta)))
		}),
		"ec2.nat-gateway": kind("aws_nat_gateway", func(f *file, r *awsres.NATGateway) {
			b := f.resource("aws_nat_gateway", name(r.Address))
			b.SetAttributeRaw("allocation_id", f.ref(r.Allocation))
			b.SetAttributeRaw("subnet_id", f.ref(r.Subnet))
			b.SetAttributeRaw("tags", tags(r.Meta, ec2Name(r.Meta)))
		}),
		"ec2.network": {render: networkLookup, ref: networkRef},
		"ec2.security-group": kind("aws_security_group", func(f *file, r *awsres.SecurityGroup) {
			group := name(r.Address)
			b := f.resource("aws_security_group", group)
			b.SetAttributeRaw("name", str(r.Name))
			b.SetAttributeRaw("description", str(r.Description))
			b.SetAttributeRaw("vpc_id", f.ref(r.VPC))
			b.SetAttributeRaw("tags", tags(r.Meta, r.Name))
			if r.RevokeDefaultEgress {
				return
			}
			// Terraform removes the allow-all egress rule AWS gives a new
			// group; berth keeps it on groups whose egress it does not
			// restrict (tasks and instances reach ECR, Logs and Secrets).
			e := f.resource("aws_vpc_security_group_egress_rule", group+"_egress_all")
			e.SetAttributeRaw("security_group_id", traversal("aws_security_group", group, "id"))
			e.SetAttributeRaw("ip_protocol", str("-1"))
			e.SetAttributeRaw("cidr_ipv4", str("0.0.0.0/0"))
		}),
		"ec2.security-group-rule": kind("", securityGroupRule),
		"iam.role":                kind("aws_iam_role", iamRole),
		"iam.instance-profile": kind("aws_iam_instance_profile", func(f *file, r *awsres.InstanceProfile) {
			b := f.resource("aws_iam_instance_profile", name(r.Address))
			b.SetAttributeRaw("name", str(r.Name))
			b.SetAttributeRaw("role", f.ref(r.Role))
			b.SetAttributeRaw("tags", tags(r.Meta, ""))
		}),
		"logs.log-group": kind("aws_cloudwatch_log_group", func(f *file, r *awsres.LogGroup) {
			b := f.resource("aws_cloudwatch_log_group", name(r.Address))
			b.SetAttributeRaw("name", str(r.Name))
			if r.RetentionDays > 0 {
				b.SetAttributeRaw("retention_in_days", num(r.RetentionDays))
			}
			b.SetAttributeRaw("tags", tags(r.Meta, ""))
		}),
		"ecs.cluster": kind("aws_ecs_cluster", func(f *file, r *awsres.Cluster) {
			b := f.resource("aws_ecs_cluster", name(r.Address))
			b.SetAttributeRaw("name", str(r.Name))
			b.SetAttributeRaw("tags", tags(r.Meta, ""))
		}),
		"ec2.launch-template": kind("aws_launch_template", launchTemplate),
		"autoscaling.group":   kind("aws_autoscaling_group", autoScalingGroup),
		"ecs.capacity-provider": kind("aws_ecs_capacity_provider", func(f *file, r *awsres.CapacityProvider) {
			b := f.resource("aws_ecs_capacity_provider", name(r.Address))
			b.SetAttributeRaw("name", str(r.Name))
			provider := b.AppendNewBlock("auto_scaling_group_provider", nil).Body()
			provider.SetAttributeRaw("auto_scaling_group_arn", f.ref(r.AutoScalingGroup))
			protection := "DISABLED"
			if r.TerminationProtection {
				protection = "ENABLED"
			}
			provider.SetAttributeRaw("managed_termination_protection", str(protection))
			scaling := provider.AppendNewBlock("managed_scaling", nil).Body()
			scaling.SetAttributeRaw("status", str("ENABLED"))
			scaling.SetAttributeRaw("target_capacity", num(r.TargetCapacity))
			b.AppendNewline()
			b.SetAttributeRaw("tags", tags(r.Meta, ""))
		}),
		"ecs.cluster-capacity-providers": kind("aws_ecs_cluster_capacity_providers", func(f *file, r *awsres.ClusterCapacityProviders) {
			b := f.resource("aws_ecs_cluster_capacity_providers", name(r.Address))
			b.SetAttributeRaw("cluster_name", f.ref(r.Cluster))
			providers := make([]expr, len(r.Strategy))
			for i, item := range r.Strategy {
				providers[i] = f.strategyProvider(item)
			}
			b.SetAttributeRaw("capacity_providers", tuple(providers...))
			f.strategy(b, "default_capacity_provider_strategy", r.Strategy)
		}),
		"ecs.task-definition": kind("aws_ecs_task_definition", taskDefinition),
		"elbv2.target-group":  kind("aws_lb_target_group", targetGroup),
		"elbv2.load-balancer": kind("aws_lb", func(f *file, r *awsres.LoadBalancer) {
			lb := name(r.Address)
			b := f.resource("aws_lb", lb)
			b.SetAttributeRaw("name", str(r.Name))
			b.SetAttributeRaw("internal", boolean(!r.Public))
			b.SetAttributeRaw("load_balancer_type", str("application"))
			b.SetAttributeRaw("subnets", f.refs(r.Subnets))
			b.SetAttributeRaw("security_groups", tuple(f.ref(r.SecurityGroup)))
			b.SetAttributeRaw("tags", tags(r.Meta, ""))
			f.output("load_balancer_dns_name", "Where the service answers: point the service's domain here (a CNAME or an alias record).", traversal("aws_lb", lb, "dns_name"))
		}),
		"elbv2.listener":  kind("aws_lb_listener", listener),
		"ecs.service":     kind("aws_ecs_service", service),
		"acm.certificate": {render: certificate, ref: certificateRef},
		"ecr.repository":  kind("aws_ecr_repository", repository),
		"application-autoscaling.scalable-target": kind("aws_appautoscaling_target", func(f *file, r *awsres.ScalableTarget) {
			b := f.resource("aws_appautoscaling_target", name(r.Address))
			b.SetAttributeRaw("service_namespace", str("ecs"))
			b.SetAttributeRaw("scalable_dimension", str("ecs:service:DesiredCount"))
			b.SetAttributeRaw("resource_id", f.raw(fmt.Sprintf(`"service/${%s}/${%s}"`, text(f.ref(r.Cluster)), text(f.ref(r.Service)))))
			b.SetAttributeRaw("min_capacity", num(r.Min))
			b.SetAttributeRaw("max_capacity", num(r.Max))
			b.SetAttributeRaw("tags", tags(r.Meta, ""))
		}),
		"application-autoscaling.policy": kind("aws_appautoscaling_policy", scalingPolicy),
	}
}

func securityGroupRule(f *file, r *awsres.SecurityGroupRule) {
	typ := "aws_vpc_security_group_ingress_rule"
	if r.Direction == awsres.Egress {
		typ = "aws_vpc_security_group_egress_rule"
	}
	var peers []func(*hclwrite.Body)
	switch {
	case r.Peer != nil:
		peer := f.ref(*r.Peer)
		peers = append(peers, func(b *hclwrite.Body) { b.SetAttributeRaw("referenced_security_group_id", peer) })
	case r.CIDRFrom != nil:
		cidr := f.ref(*r.CIDRFrom)
		peers = append(peers, func(b *hclwrite.Body) { b.SetAttributeRaw("cidr_ipv4", cidr) })
	default:
		for _, cidr := range r.CIDRs {
			peers = append(peers, func(b *hclwrite.Body) { b.SetAttributeRaw("cidr_ipv4", str(cidr)) })
		}
	}
	group := f.ref(r.Group)
	// Terraform's rule resource holds one peer: one block per CIDR.
	for i, peer := range peers {
		blockName := name(r.Address)
		if i > 0 {
			blockName = fmt.Sprintf("%s_%d", blockName, i+1)
		}
		b := f.resource(typ, blockName)
		b.SetAttributeRaw("security_group_id", group)
		b.SetAttributeRaw("ip_protocol", str("tcp"))
		b.SetAttributeRaw("from_port", num(r.Port))
		b.SetAttributeRaw("to_port", num(r.Port))
		peer(b)
		b.SetAttributeRaw("tags", tags(r.Meta, ec2Name(r.Meta)))
	}
}

func iamRole(f *file, r *awsres.IAMRole) {
	role := name(r.Address)
	b := f.resource("aws_iam_role", role)
	b.SetAttributeRaw("name", str(r.Name))
	b.SetAttributeRaw("description", str("berth stack "+r.Stack))
	b.SetAttributeRaw("assume_role_policy", call("jsonencode", object(
		field{"Version", str("2012-10-17")},
		field{"Statement", tuple(object(
			field{"Effect", str("Allow")},
			field{"Principal", object(field{"Service", str(r.TrustedService)})},
			field{"Action", str("sts:AssumeRole")},
		))},
	)))
	b.SetAttributeRaw("tags", tags(r.Meta, ""))
	for i, policy := range r.ManagedPolicies {
		a := f.resource("aws_iam_role_policy_attachment", fmt.Sprintf("%s_%d", role, i))
		a.SetAttributeRaw("role", traversal("aws_iam_role", role, "name"))
		a.SetAttributeRaw("policy_arn", str(policy))
	}
	if r.InlinePolicy == "" {
		return
	}
	var document any
	if err := json.Unmarshal([]byte(r.InlinePolicy), &document); err != nil {
		f.fail(fmt.Errorf("inline policy %s: %w", r.InlinePolicyName, err))
		return
	}
	p := f.resource("aws_iam_role_policy", role+"_"+strings.ReplaceAll(r.InlinePolicyName, "-", "_"))
	p.SetAttributeRaw("name", str(r.InlinePolicyName))
	p.SetAttributeRaw("role", traversal("aws_iam_role", role, "id"))
	p.SetAttributeRaw("policy", call("jsonencode", f.jsonValue(document)))
}

// clusterPlaceholder stands for the cluster's name in the user data until
// it becomes a reference.
const clusterPlaceholder = "BERTH_CLUSTER_NAME"

func launchTemplate(f *file, r *awsres.LaunchTemplate) {
	ami := f.dataSource("aws_ssm_parameter", "ecs_ami", "value", func(b *hclwrite.Body) {
		b.SetAttributeRaw("name", str(awsres.ECSOptimizedAMIParameter))
	})
	// The user data names the cluster the instances join: a reference to
	// it where the stack has it, as berth's template depends on it.
	userData := str(awsres.UserData(r.ClusterName))
	for addr, res := range f.byAddr {
		if c, ok := res.(*awsres.Cluster); ok && c.Name == r.ClusterName {
			cluster := text(f.ref(engine.Ref{Addr: addr, Key: "name"}))
			userData = f.raw(strings.Replace(text(str(awsres.UserData(clusterPlaceholder))), clusterPlaceholder, "${"+cluster+"}", 1))
		}
	}
	b := f.resource("aws_launch_template", name(r.Address))
	b.SetAttributeRaw("name", str(r.Name))
	b.SetAttributeRaw("image_id", ami)
	if r.InstanceType != "" {
		b.SetAttributeRaw("instance_type", str(r.InstanceType))
	}
	b.SetAttributeRaw("vpc_security_group_ids", tuple(f.ref(r.SecurityGroup)))
	b.SetAttributeRaw("user_data", call("base64encode", userData))
	b.AppendNewline()
	b.AppendNewBlock("iam_instance_profile", nil).Body().SetAttributeRaw("arn", f.ref(r.InstanceProfile))
	b.AppendNewline()
	// IMDSv2 only: a stolen instance role needs a session token first.
	metadata := b.AppendNewBlock("metadata_options", nil).Body()
	metadata.SetAttributeRaw("http_endpoint", str("enabled"))
	metadata.SetAttributeRaw("http_tokens", str("required"))
	b.AppendNewline()
	spec := b.AppendNewBlock("tag_specifications", nil).Body()
	spec.SetAttributeRaw("resource_type", str("instance"))
	spec.SetAttributeRaw("tags", stringMap(allTags(r.Meta, r.Name)))
	b.AppendNewline()
	b.SetAttributeRaw("tags", tags(r.Meta, r.Name))
}

func autoScalingGroup(f *file, r *awsres.AutoScalingGroup) {
	b := f.resource("aws_autoscaling_group", name(r.Address))
	b.SetAttributeRaw("name", str(r.Name))
	b.SetAttributeRaw("min_size", num(r.Min))
	b.SetAttributeRaw("max_size", num(r.Max))
	b.SetAttributeRaw("desired_capacity", num(r.Min))
	b.SetAttributeRaw("vpc_zone_identifier", f.refs(r.Subnets))
	b.SetAttributeRaw("protect_from_scale_in", boolean(r.ProtectNewInstances))
	b.AppendNewline()
	template := f.ref(r.LaunchTemplate)
	if len(r.InstanceTypes) > 1 || r.SpotShare > 0 || r.OnDemandBase > 0 {
		mixed := b.AppendNewBlock("mixed_instances_policy", nil).Body()
		distribution := mixed.AppendNewBlock("instances_distribution", nil).Body()
		distribution.SetAttributeRaw("on_demand_base_capacity", num(r.OnDemandBase))
		distribution.SetAttributeRaw("on_demand_percentage_above_base_capacity", num(100-r.SpotShare))
		distribution.SetAttributeRaw("spot_allocation_strategy", str("price-capacity-optimized"))
		mixed.AppendNewline()
		lt := mixed.AppendNewBlock("launch_template", nil).Body()
		specification := lt.AppendNewBlock("launch_template_specification", nil).Body()
		specification.SetAttributeRaw("launch_template_id", template)
		specification.SetAttributeRaw("version", str("$Latest"))
		for _, t := range r.InstanceTypes {
			lt.AppendNewline()
			lt.AppendNewBlock("override", nil).Body().SetAttributeRaw("instance_type", str(t))
		}
	} else {
		lt := b.AppendNewBlock("launch_template", nil).Body()
		lt.SetAttributeRaw("id", template)
		lt.SetAttributeRaw("version", str("$Latest"))
	}
	// ECS requires AmazonECSManaged on groups behind a managed-scaling
	// capacity provider; default_tags do not reach Auto Scaling groups.
	t := allTags(r.Meta, "")
	t["AmazonECSManaged"] = "true"
	for _, k := range sortedKeys(t) {
		b.AppendNewline()
		tag := b.AppendNewBlock("tag", nil).Body()
		tag.SetAttributeRaw("key", str(k))
		tag.SetAttributeRaw("value", str(t[k]))
		tag.SetAttributeRaw("propagate_at_launch", boolean(true))
	}
	// The capacity provider's managed scaling owns the desired capacity.
	b.AppendNewline()
	b.AppendNewBlock("lifecycle", nil).Body().SetAttributeRaw("ignore_changes", tuple(f.raw("desired_capacity")))
}

// strategyProvider is a strategy item's provider: the stack's own by
// reference, or FARGATE / FARGATE_SPOT.
func (f *file) strategyProvider(item awsres.StrategyItem) expr {
	if item.Name != "" {
		return str(item.Name)
	}
	return f.ref(item.Provider)
}

func (f *file) strategy(b *hclwrite.Body, blockName string, items []awsres.StrategyItem) {
	for _, item := range items {
		b.AppendNewline()
		s := b.AppendNewBlock(blockName, nil).Body()
		s.SetAttributeRaw("capacity_provider", f.strategyProvider(item))
		s.SetAttributeRaw("weight", num(item.Weight))
		s.SetAttributeRaw("base", num(item.Base))
	}
}

func taskDefinition(f *file, r *awsres.TaskDefinition) {
	region := f.dataSource("aws_region", "current", "region", nil)
	container := []field{
		{"name", str(awsres.ContainerName)},
		{"image", str(r.Image)},
		{"essential", boolean(true)},
		{"portMappings", tuple(object(field{"containerPort", num(r.Port)}, field{"hostPort", num(r.Port)}, field{"protocol", str("tcp")}))},
	}
	var environment []expr
	for _, k := range sortedKeys(r.Environment) {
		environment = append(environment, object(field{"name", str(k)}, field{"value", str(r.Environment[k])}))
	}
	container = append(container, field{"environment", tuple(environment...)})
	if len(r.Secrets) > 0 {
		// References to SSM parameters or Secrets Manager secrets: ECS
		// resolves them when a task starts, the execution role may read
		// exactly these.
		var secrets []expr
		for _, k := range sortedKeys(r.Secrets) {
			secrets = append(secrets, object(field{"name", str(k)}, field{"valueFrom", str(r.Secrets[k])}))
		}
		container = append(container, field{"secrets", tuple(secrets...)})
	}
	if len(r.Command) > 0 {
		container = append(container, field{"command", strs(r.Command)})
	}
	if r.StopTimeout > 0 {
		container = append(container, field{"stopTimeout", num(r.StopTimeout)})
	}
	container = append(container, field{"logConfiguration", object(
		field{"logDriver", str("awslogs")},
		field{"options", object(
			field{"awslogs-group", f.ref(r.LogGroup)},
			field{"awslogs-region", region},
			field{"awslogs-stream-prefix", str("ecs")},
		)},
	)})
	compatibility := "EC2"
	if r.Fargate {
		compatibility = "FARGATE"
	}
	b := f.resource("aws_ecs_task_definition", name(r.Address))
	b.SetAttributeRaw("family", str(r.Family))
	b.SetAttributeRaw("network_mode", str("awsvpc"))
	b.SetAttributeRaw("requires_compatibilities", strs([]string{compatibility}))
	b.SetAttributeRaw("cpu", str(strconv.Itoa(r.CPU)))
	b.SetAttributeRaw("memory", str(strconv.Itoa(r.Memory)))
	b.SetAttributeRaw("execution_role_arn", f.ref(r.ExecutionRole))
	b.SetAttributeRaw("container_definitions", call("jsonencode", tuple(object(container...))))
	b.SetAttributeRaw("tags", tags(r.Meta, ""))
}

func targetGroup(f *file, r *awsres.TargetGroup) {
	protocol := "HTTP"
	if r.HTTPS {
		protocol = "HTTPS"
	}
	b := f.resource("aws_lb_target_group", name(r.Address))
	b.SetAttributeRaw("name", str(r.Name))
	b.SetAttributeRaw("port", num(r.Port))
	b.SetAttributeRaw("protocol", str(protocol))
	b.SetAttributeRaw("vpc_id", f.ref(r.VPC))
	b.SetAttributeRaw("target_type", str("ip"))
	b.SetAttributeRaw("deregistration_delay", num(r.DeregistrationDelay))
	b.AppendNewline()
	hc := r.HealthCheck
	check := b.AppendNewBlock("health_check", nil).Body()
	// AWS checks over the group's protocol unless told; Terraform over
	// HTTP unless told.
	check.SetAttributeRaw("protocol", str(protocol))
	if hc.Path != "" {
		check.SetAttributeRaw("path", str(hc.Path))
	}
	for _, n := range []struct {
		key   string
		value int
	}{{"interval", hc.Interval}, {"timeout", hc.Timeout}, {"healthy_threshold", hc.HealthyThreshold}, {"unhealthy_threshold", hc.UnhealthyThreshold}} {
		if n.value > 0 {
			check.SetAttributeRaw(n.key, num(n.value))
		}
	}
	if hc.Matcher != "" {
		check.SetAttributeRaw("matcher", str(hc.Matcher))
	}
	b.AppendNewline()
	b.SetAttributeRaw("tags", tags(r.Meta, ""))
}

func listener(f *file, r *awsres.Listener) {
	b := f.resource("aws_lb_listener", name(r.Address))
	b.SetAttributeRaw("load_balancer_arn", f.ref(r.LoadBalancer))
	b.SetAttributeRaw("port", num(r.Port))
	if r.HTTPS {
		b.SetAttributeRaw("protocol", str("HTTPS"))
		if r.SSLPolicy != "" {
			b.SetAttributeRaw("ssl_policy", str(r.SSLPolicy))
		}
		b.SetAttributeRaw("certificate_arn", f.ref(r.Certificate))
	} else {
		b.SetAttributeRaw("protocol", str("HTTP"))
	}
	b.AppendNewline()
	action := b.AppendNewBlock("default_action", nil).Body()
	if r.RedirectToPort != 0 {
		action.SetAttributeRaw("type", str("redirect"))
		action.AppendNewline()
		redirect := action.AppendNewBlock("redirect", nil).Body()
		redirect.SetAttributeRaw("port", str(strconv.Itoa(r.RedirectToPort)))
		redirect.SetAttributeRaw("protocol", str("HTTPS"))
		redirect.SetAttributeRaw("status_code", str("HTTP_301"))
	} else {
		action.SetAttributeRaw("type", str("forward"))
		action.SetAttributeRaw("target_group_arn", f.ref(r.TargetGroup))
	}
	b.AppendNewline()
	b.SetAttributeRaw("tags", tags(r.Meta, ""))
}

func service(f *file, r *awsres.Service) {
	b := f.resource("aws_ecs_service", name(r.Address))
	b.SetAttributeRaw("name", str(r.Name))
	// The cluster's ARN: the provider stores it so, a name would show as
	// a change on every plan.
	b.SetAttributeRaw("cluster", f.attr(r.Cluster, "arn"))
	b.SetAttributeRaw("task_definition", f.ref(r.TaskDefinition))
	b.SetAttributeRaw("desired_count", num(r.Count))
	b.SetAttributeRaw("health_check_grace_period_seconds", num(r.HealthCheckGracePeriod))
	b.SetAttributeRaw("deployment_minimum_healthy_percent", num(r.Deployment.MinimumHealthyPercent))
	b.SetAttributeRaw("deployment_maximum_percent", num(r.Deployment.MaximumPercent))
	b.SetAttributeRaw("scheduling_strategy", str("REPLICA"))
	b.SetAttributeRaw("propagate_tags", str("SERVICE"))
	b.SetAttributeRaw("enable_ecs_managed_tags", boolean(true))
	// berth waits for the service to be healthy before it reports a deploy.
	b.SetAttributeRaw("wait_for_steady_state", boolean(true))
	f.strategy(b, "capacity_provider_strategy", r.Strategy)
	b.AppendNewline()
	breaker := b.AppendNewBlock("deployment_circuit_breaker", nil).Body()
	breaker.SetAttributeRaw("enable", boolean(r.Deployment.CircuitBreaker))
	breaker.SetAttributeRaw("rollback", boolean(r.Deployment.Rollback))
	b.AppendNewline()
	lb := b.AppendNewBlock("load_balancer", nil).Body()
	lb.SetAttributeRaw("target_group_arn", f.ref(r.TargetGroup))
	lb.SetAttributeRaw("container_name", str(awsres.ContainerName))
	lb.SetAttributeRaw("container_port", num(r.ContainerPort))
	b.AppendNewline()
	network := b.AppendNewBlock("network_configuration", nil).Body()
	network.SetAttributeRaw("subnets", f.refs(r.Subnets))
	network.SetAttributeRaw("security_groups", tuple(f.ref(r.SecurityGroup)))
	publicIP := boolean(r.PublicIP)
	if r.PublicIPFrom != nil {
		publicIP = f.ref(*r.PublicIPFrom)
	}
	network.SetAttributeRaw("assign_public_ip", publicIP)
	switch r.Placement {
	case awsres.PlacementDistinctInstance:
		b.AppendNewline()
		b.AppendNewBlock("placement_constraints", nil).Body().SetAttributeRaw("type", str("distinctInstance"))
	case awsres.PlacementSpread:
		b.AppendNewline()
		spread := b.AppendNewBlock("ordered_placement_strategy", nil).Body()
		spread.SetAttributeRaw("type", str("spread"))
		spread.SetAttributeRaw("field", str("instanceId"))
	}
	if r.CountByAutoscaling {
		// Application Auto Scaling owns the count once the service runs.
		b.AppendNewline()
		b.AppendNewBlock("lifecycle", nil).Body().SetAttributeRaw("ignore_changes", tuple(f.raw("desired_count")))
	}
	b.AppendNewline()
	b.SetAttributeRaw("tags", tags(r.Meta, ""))
}

// certificate is the certificate berth requests, with the validation that
// waits until ACM has issued it, as berth does; a certificate berth.yaml
// gives by ARN is only referred to.
func certificate(f *file, res engine.Resource) {
	r, ok := res.(*awsres.Certificate)
	if !ok {
		f.fail(fmt.Errorf("is a %T, not a certificate", res))
		return
	}
	if r.Domain == "" {
		return
	}
	cert := name(r.Address)
	b := f.resource("aws_acm_certificate", cert)
	b.SetAttributeRaw("domain_name", str(r.Domain))
	b.SetAttributeRaw("validation_method", str("DNS"))
	if r.KeyAlgorithm != "" {
		// berth's default (EC_prime256v1) is not ACM's (RSA_2048), so the
		// exported stack asks for the key berth would.
		b.SetAttributeRaw("key_algorithm", str(r.KeyAlgorithm))
	}
	b.SetAttributeRaw("tags", tags(r.Meta, ""))
	b.AppendNewline()
	b.AppendNewBlock("lifecycle", nil).Body().SetAttributeRaw("create_before_destroy", boolean(true))
	v := f.resource("aws_acm_certificate_validation", cert)
	v.SetAttributeRaw("certificate_arn", traversal("aws_acm_certificate", cert, "arn"))
	f.output("certificate_validation_records", "The DNS (CNAME) records that validate "+r.Domain+"'s certificate: create them where the domain's zone is.",
		traversal("aws_acm_certificate", cert, "domain_validation_options"))
}

// certificateRef is the issued certificate's ARN: the listener waits for
// the validation, as berth's listener waits for ISSUED.
func certificateRef(_ *file, res engine.Resource, key string) (expr, bool) {
	r := res.(*awsres.Certificate)
	if r.Domain == "" {
		return str(r.ARN), false
	}
	if key == "arn" {
		return traversal("aws_acm_certificate_validation", name(r.Address), "certificate_arn"), false
	}
	return traversal("aws_acm_certificate", name(r.Address), key), false
}

func repository(f *file, r *awsres.Repository) {
	b := f.resource("aws_ecr_repository", name(r.Address))
	b.SetAttributeRaw("name", str(r.Name))
	b.SetAttributeRaw("image_tag_mutability", str("IMMUTABLE"))
	// berth's destroy deletes the repository with its images.
	b.SetAttributeRaw("force_delete", boolean(true))
	b.SetAttributeRaw("tags", tags(r.Meta, ""))
}

func scalingPolicy(f *file, r *awsres.ScalingPolicy) {
	b := f.resource("aws_appautoscaling_policy", name(r.Address))
	b.SetAttributeRaw("name", str(r.Name))
	b.SetAttributeRaw("policy_type", str("TargetTrackingScaling"))
	b.SetAttributeRaw("service_namespace", f.attr(r.Target, "service_namespace"))
	b.SetAttributeRaw("scalable_dimension", f.attr(r.Target, "scalable_dimension"))
	b.SetAttributeRaw("resource_id", f.ref(r.Target))
	b.AppendNewline()
	tracking := b.AppendNewBlock("target_tracking_scaling_policy_configuration", nil).Body()
	tracking.SetAttributeRaw("target_value", num(r.TargetValue))
	tracking.SetAttributeRaw("scale_in_cooldown", num(r.ScaleInCooldown))
	tracking.SetAttributeRaw("scale_out_cooldown", num(r.ScaleOutCooldown))
	tracking.AppendNewline()
	metric := tracking.AppendNewBlock("predefined_metric_specification", nil).Body()
	metric.SetAttributeRaw("predefined_metric_type", str(r.Metric))
	if r.Metric == awsres.MetricRequests {
		// app/<lb>/<id>/targetgroup/<tg>/<id>, as berth builds it.
		label := fmt.Sprintf(`"${%s}/${%s}"`, text(f.attr(r.LoadBalancer, "arn_suffix")), text(f.attr(r.TargetGroup, "arn_suffix")))
		metric.SetAttributeRaw("resource_label", f.raw(label))
	}
}
