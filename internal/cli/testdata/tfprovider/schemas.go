package main

import (
	"github.com/hashicorp/terraform-plugin-go/tfprotov5"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

// The kinds of value the real provider's arguments have.
var (
	str     = tftypes.String
	num     = tftypes.Number
	boolean = tftypes.Bool
	strSet  = tftypes.Set{ElementType: tftypes.String}
	strList = tftypes.List{ElementType: tftypes.String}
	strMap  = tftypes.Map{ElementType: tftypes.String}
)

type (
	attr  = tfprotov5.SchemaAttribute
	block = tfprotov5.SchemaNestedBlock
)

func required(name string, t tftypes.Type) *attr { return &attr{Name: name, Type: t, Required: true} }
func optional(name string, t tftypes.Type) *attr { return &attr{Name: name, Type: t, Optional: true} }
func computed(name string, t tftypes.Type) *attr { return &attr{Name: name, Type: t, Computed: true} }
func optionalComputed(name string, t tftypes.Type) *attr {
	return &attr{Name: name, Type: t, Optional: true, Computed: true}
}

// nested is a block of the given nesting; maxItems 1 with list nesting is
// how the provider's SDK presents its single blocks.
func nested(name string, nesting tfprotov5.SchemaNestedBlockNestingMode, minItems, maxItems int64, attrs []*attr, blocks ...*block) *block {
	return &block{TypeName: name, Nesting: nesting, MinItems: minItems, MaxItems: maxItems, Block: &tfprotov5.SchemaBlock{Attributes: attrs, BlockTypes: blocks}}
}

func single(name string, attrs []*attr, blocks ...*block) *block {
	return nested(name, tfprotov5.SchemaNestedBlockNestingModeList, 0, 1, attrs, blocks...)
}

func list(name string, attrs []*attr, blocks ...*block) *block {
	return nested(name, tfprotov5.SchemaNestedBlockNestingModeList, 0, 0, attrs, blocks...)
}

func set(name string, attrs []*attr, blocks ...*block) *block {
	return nested(name, tfprotov5.SchemaNestedBlockNestingModeSet, 0, 0, attrs, blocks...)
}

// resource is a schema with the id every type has; tagged adds the tags
// argument and the computed tags_all that merges the provider's
// default_tags in.
func resource(attrs []*attr, blocks ...*block) *tfprotov5.Schema {
	return &tfprotov5.Schema{Block: &tfprotov5.SchemaBlock{Attributes: append(attrs, computed("id", str)), BlockTypes: blocks}}
}

func tagged(attrs ...*attr) []*attr {
	return append(attrs, optional("tags", strMap), computed("tags_all", strMap))
}

func providerSchema() *tfprotov5.Schema {
	return &tfprotov5.Schema{Block: &tfprotov5.SchemaBlock{
		Attributes: []*attr{optional("region", str), optional("profile", str)},
		BlockTypes: []*block{single("default_tags", []*attr{optional("tags", strMap)})},
	}}
}

// routeObject is aws_route_table's route: an attribute (a set of objects)
// that the provider lets configurations write in block syntax.
var routeObject = tftypes.Object{AttributeTypes: map[string]tftypes.Type{
	"cidr_block": str, "ipv6_cidr_block": str, "destination_prefix_list_id": str,
	"carrier_gateway_id": str, "core_network_arn": str, "egress_only_gateway_id": str,
	"gateway_id": str, "local_gateway_id": str, "nat_gateway_id": str,
	"network_interface_id": str, "transit_gateway_id": str, "vpc_endpoint_id": str,
	"vpc_peering_connection_id": str,
}}

func securityGroupRule() *tfprotov5.Schema {
	return resource(tagged(
		required("security_group_id", str),
		required("ip_protocol", str),
		optional("from_port", num),
		optional("to_port", num),
		optional("cidr_ipv4", str),
		optional("cidr_ipv6", str),
		optional("description", str),
		optional("prefix_list_id", str),
		optional("referenced_security_group_id", str),
		computed("arn", str),
		computed("security_group_rule_id", str),
	))
}

func capacityProviderStrategy(name string) *block {
	return set(name, []*attr{required("capacity_provider", str), optional("weight", num), optional("base", num)})
}

func resourceSchemas() map[string]*tfprotov5.Schema {
	return map[string]*tfprotov5.Schema{
		"aws_vpc": resource(tagged(
			optional("cidr_block", str),
			optional("enable_dns_hostnames", boolean),
			optional("enable_dns_support", boolean),
			computed("arn", str),
		)),
		"aws_subnet": resource(tagged(
			required("vpc_id", str),
			optional("cidr_block", str),
			optionalComputed("availability_zone", str),
			optional("map_public_ip_on_launch", boolean),
			computed("arn", str),
		)),
		"aws_internet_gateway": resource(tagged(
			optionalComputed("vpc_id", str),
			computed("arn", str),
		)),
		"aws_route_table": resource(tagged(
			required("vpc_id", str),
			&attr{Name: "route", Type: tftypes.Set{ElementType: routeObject}, Optional: true, Computed: true},
			computed("arn", str),
		)),
		"aws_route_table_association": resource([]*attr{
			required("route_table_id", str),
			optional("subnet_id", str),
			optional("gateway_id", str),
		}),
		"aws_eip": resource(tagged(
			optionalComputed("domain", str),
			computed("allocation_id", str),
			computed("public_ip", str),
		)),
		"aws_nat_gateway": resource(tagged(
			optional("allocation_id", str),
			required("subnet_id", str),
			optional("connectivity_type", str),
			computed("public_ip", str),
		)),
		"aws_security_group": resource(tagged(
			optionalComputed("name", str),
			optional("description", str),
			optionalComputed("vpc_id", str),
			computed("arn", str),
		)),
		"aws_vpc_security_group_ingress_rule": securityGroupRule(),
		"aws_vpc_security_group_egress_rule":  securityGroupRule(),
		"aws_iam_role": resource(tagged(
			required("assume_role_policy", str),
			optionalComputed("name", str),
			optional("description", str),
			computed("arn", str),
			computed("unique_id", str),
		)),
		"aws_iam_role_policy": resource([]*attr{
			required("role", str),
			required("policy", str),
			optionalComputed("name", str),
		}),
		"aws_iam_role_policy_attachment": resource([]*attr{
			required("role", str),
			required("policy_arn", str),
		}),
		"aws_iam_instance_profile": resource(tagged(
			optionalComputed("name", str),
			optional("role", str),
			computed("arn", str),
		)),
		"aws_launch_template": resource(tagged(
			optionalComputed("name", str),
			optional("image_id", str),
			optional("instance_type", str),
			optional("user_data", str),
			optional("vpc_security_group_ids", strSet),
			computed("arn", str),
			computed("latest_version", num),
		),
			single("iam_instance_profile", []*attr{optional("arn", str), optional("name", str)}),
			single("metadata_options", []*attr{
				optionalComputed("http_endpoint", str),
				optionalComputed("http_tokens", str),
				optionalComputed("http_put_response_hop_limit", num),
			}),
			list("tag_specifications", []*attr{optional("resource_type", str), optional("tags", strMap)}),
		),
		"aws_autoscaling_group": resource([]*attr{
			optionalComputed("name", str),
			required("min_size", num),
			required("max_size", num),
			optionalComputed("desired_capacity", num),
			optionalComputed("vpc_zone_identifier", strSet),
			optional("protect_from_scale_in", boolean),
			computed("arn", str),
		},
			single("launch_template", []*attr{
				optionalComputed("id", str),
				optionalComputed("name", str),
				optional("version", str),
			}),
			single("mixed_instances_policy", nil,
				single("instances_distribution", []*attr{
					optionalComputed("on_demand_allocation_strategy", str),
					optionalComputed("on_demand_base_capacity", num),
					optionalComputed("on_demand_percentage_above_base_capacity", num),
					optionalComputed("spot_allocation_strategy", str),
				}),
				nested("launch_template", tfprotov5.SchemaNestedBlockNestingModeList, 1, 1, nil,
					nested("launch_template_specification", tfprotov5.SchemaNestedBlockNestingModeList, 1, 1, []*attr{
						optionalComputed("launch_template_id", str),
						optionalComputed("launch_template_name", str),
						optionalComputed("version", str),
					}),
					list("override", []*attr{optional("instance_type", str), optional("weighted_capacity", str)}),
				),
			),
			set("tag", []*attr{
				required("key", str),
				required("value", str),
				required("propagate_at_launch", boolean),
			}),
		),
		"aws_ecs_capacity_provider": resource(tagged(
			required("name", str),
			computed("arn", str),
		),
			single("auto_scaling_group_provider", []*attr{
				required("auto_scaling_group_arn", str),
				optionalComputed("managed_draining", str),
				optionalComputed("managed_termination_protection", str),
			},
				single("managed_scaling", []*attr{
					optionalComputed("instance_warmup_period", num),
					optionalComputed("maximum_scaling_step_size", num),
					optionalComputed("minimum_scaling_step_size", num),
					optionalComputed("status", str),
					optionalComputed("target_capacity", num),
				}),
			),
		),
		"aws_ecs_cluster": resource(tagged(
			required("name", str),
			computed("arn", str),
		)),
		"aws_ecs_cluster_capacity_providers": resource([]*attr{
			required("cluster_name", str),
			optional("capacity_providers", strSet),
		}, capacityProviderStrategy("default_capacity_provider_strategy")),
		"aws_ecs_task_definition": resource(tagged(
			required("family", str),
			required("container_definitions", str),
			optional("cpu", str),
			optional("memory", str),
			optionalComputed("network_mode", str),
			optional("requires_compatibilities", strSet),
			optional("execution_role_arn", str),
			optional("task_role_arn", str),
			computed("arn", str),
			computed("revision", num),
		)),
		"aws_ecs_service": resource(tagged(
			required("name", str),
			optionalComputed("cluster", str),
			optional("task_definition", str),
			optional("desired_count", num),
			optional("health_check_grace_period_seconds", num),
			optional("deployment_minimum_healthy_percent", num),
			optional("deployment_maximum_percent", num),
			optional("scheduling_strategy", str),
			optional("propagate_tags", str),
			optional("enable_ecs_managed_tags", boolean),
			optional("wait_for_steady_state", boolean),
			optionalComputed("launch_type", str),
			computed("arn", str),
		),
			capacityProviderStrategy("capacity_provider_strategy"),
			single("deployment_circuit_breaker", []*attr{required("enable", boolean), required("rollback", boolean)}),
			set("load_balancer", []*attr{
				optional("elb_name", str),
				optional("target_group_arn", str),
				required("container_name", str),
				required("container_port", num),
			}),
			single("network_configuration", []*attr{
				required("subnets", strSet),
				optional("security_groups", strSet),
				optional("assign_public_ip", boolean),
			}),
			set("placement_constraints", []*attr{required("type", str), optional("expression", str)}),
			list("ordered_placement_strategy", []*attr{required("type", str), optional("field", str)}),
		),
		"aws_cloudwatch_log_group": resource(tagged(
			optionalComputed("name", str),
			optional("retention_in_days", num),
			computed("arn", str),
		)),
		"aws_lb": resource(tagged(
			optionalComputed("name", str),
			optionalComputed("internal", boolean),
			optional("load_balancer_type", str),
			optionalComputed("subnets", strSet),
			optionalComputed("security_groups", strSet),
			computed("arn", str),
			computed("arn_suffix", str),
			computed("dns_name", str),
			computed("zone_id", str),
		)),
		"aws_lb_target_group": resource(tagged(
			optionalComputed("name", str),
			optional("port", num),
			optional("protocol", str),
			optional("vpc_id", str),
			optional("target_type", str),
			// The provider keeps the delay as a string that holds an
			// integer (so that it can be unset); numbers convert to it.
			optional("deregistration_delay", str),
			computed("arn", str),
			computed("arn_suffix", str),
		),
			single("health_check", []*attr{
				optional("enabled", boolean),
				optionalComputed("healthy_threshold", num),
				optionalComputed("interval", num),
				optionalComputed("matcher", str),
				optionalComputed("path", str),
				optional("port", str),
				optional("protocol", str),
				optionalComputed("timeout", num),
				optionalComputed("unhealthy_threshold", num),
			}),
		),
		"aws_lb_listener": resource(tagged(
			required("load_balancer_arn", str),
			optional("port", num),
			optionalComputed("protocol", str),
			optionalComputed("ssl_policy", str),
			optional("certificate_arn", str),
			computed("arn", str),
		),
			nested("default_action", tfprotov5.SchemaNestedBlockNestingModeList, 1, 0, []*attr{
				required("type", str),
				optional("target_group_arn", str),
				optionalComputed("order", num),
			},
				single("redirect", []*attr{
					optional("host", str),
					optional("path", str),
					optional("port", str),
					optional("protocol", str),
					optional("query", str),
					required("status_code", str),
				}),
			),
		),
		"aws_acm_certificate": resource(tagged(
			optionalComputed("domain_name", str),
			optionalComputed("validation_method", str),
			optionalComputed("key_algorithm", str),
			computed("arn", str),
			computed("domain_validation_options", tftypes.Set{ElementType: tftypes.Object{AttributeTypes: map[string]tftypes.Type{
				"domain_name": str, "resource_record_name": str, "resource_record_type": str, "resource_record_value": str,
			}}}),
		)),
		"aws_acm_certificate_validation": resource([]*attr{
			required("certificate_arn", str),
			optional("validation_record_fqdns", strSet),
		}),
		"aws_ecr_repository": resource(tagged(
			required("name", str),
			optional("image_tag_mutability", str),
			optional("force_delete", boolean),
			computed("arn", str),
			computed("repository_url", str),
		)),
		"aws_appautoscaling_target": resource(tagged(
			required("max_capacity", num),
			required("min_capacity", num),
			required("resource_id", str),
			required("scalable_dimension", str),
			required("service_namespace", str),
			computed("arn", str),
		)),
		"aws_appautoscaling_policy": resource([]*attr{
			required("name", str),
			optional("policy_type", str),
			required("resource_id", str),
			required("scalable_dimension", str),
			required("service_namespace", str),
			computed("arn", str),
		},
			single("target_tracking_scaling_policy_configuration", []*attr{
				required("target_value", num),
				optional("disable_scale_in", boolean),
				optional("scale_in_cooldown", num),
				optional("scale_out_cooldown", num),
			},
				single("predefined_metric_specification", []*attr{
					required("predefined_metric_type", str),
					optional("resource_label", str),
				}),
			),
		),
	}
}

func filter() *block {
	return set("filter", []*attr{required("name", str), required("values", strSet)})
}

func dataSourceSchemas() map[string]*tfprotov5.Schema {
	return map[string]*tfprotov5.Schema{
		"aws_availability_zones": resource([]*attr{
			optional("state", str),
			computed("names", strList),
			computed("zone_ids", strList),
		}),
		"aws_ssm_parameter": resource([]*attr{
			required("name", str),
			&attr{Name: "value", Type: str, Computed: true, Sensitive: true},
			computed("arn", str),
		}),
		// The provider's v6 names the region "region" (v5's "name" is
		// deprecated); a framework data source, so its id is optional.
		"aws_region": {Block: &tfprotov5.SchemaBlock{Attributes: []*attr{
			optionalComputed("region", str),
			optionalComputed("name", str),
			optionalComputed("endpoint", str),
			optionalComputed("id", str),
			computed("description", str),
		}}},
		"aws_vpc": {Block: &tfprotov5.SchemaBlock{Attributes: []*attr{
			optionalComputed("id", str),
			optionalComputed("default", boolean),
			optionalComputed("cidr_block", str),
			optionalComputed("tags", strMap),
			computed("arn", str),
		}, BlockTypes: []*block{filter()}}},
		"aws_subnets": resource([]*attr{
			optionalComputed("tags", strMap),
			computed("ids", strList),
		}, filter()),
	}
}
