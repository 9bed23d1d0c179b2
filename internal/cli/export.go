package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/berthdev/berth/internal/awsres"
	"github.com/berthdev/berth/internal/engine"
	"github.com/berthdev/berth/internal/spec"
	"github.com/berthdev/berth/internal/stack"
)

type exportOptions struct {
	io   IOStreams
	File string
}

// NewExportCmd builds `berth export terraform`: the stack as Terraform.
func NewExportCmd(io IOStreams) *cobra.Command {
	cmd := &cobra.Command{Use: "export", Short: "Write the stack in another tool's format"}
	opts := &exportOptions{io: io}
	terraform := &cobra.Command{
		Use:   "terraform",
		Short: "Print the stack's resources as Terraform HCL (hashicorp/aws provider), references included",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runExportTerraform(cmd.Context(), opts)
		},
	}
	addFileFlag(terraform, &opts.File)
	cmd.AddCommand(terraform)
	return cmd
}

func runExportTerraform(_ context.Context, opts *exportOptions) error {
	s, err := spec.Load(opts.File)
	if err != nil {
		return err
	}
	resources, err := stack.Build(s)
	if err != nil {
		return err
	}
	return writeTerraform(opts.io.Out, s, resources)
}

// tfBlock is one resource block: its type, name and attributes in order.
type tfBlock struct {
	typ, name string
	attrs     []tfAttr
}

// tfAttr is an attribute; value is HCL already (an expression or a quoted
// string); nested blocks have blocks instead.
type tfAttr struct {
	key, value string
	block      []tfAttr
}

// writeTerraform renders the resources berth would create, in the same
// dependency order, references as Terraform references. Kinds it has no
// rendering for are listed in a comment rather than guessed.
func writeTerraform(w io.Writer, s *spec.Spec, resources []engine.Resource) error {
	var b strings.Builder
	fmt.Fprintf(&b, "# Stack %s, exported by berth from %s.\n", s.Name, s.File)
	b.WriteString("terraform {\n  required_providers {\n    aws = {\n      source = \"hashicorp/aws\"\n    }\n  }\n}\n\n")
	fmt.Fprintf(&b, "provider \"aws\" {\n")
	if s.Region != "" {
		fmt.Fprintf(&b, "  region = %s\n", strconv.Quote(s.Region))
	}
	b.WriteString("}\n\ndata \"aws_availability_zones\" \"available\" {\n  state = \"available\"\n}\n")
	var skipped []string
	for _, r := range resources {
		if engine.IsUnwanted(r) {
			continue
		}
		blocks := terraformBlocks(r)
		if blocks == nil {
			skipped = append(skipped, string(r.Addr()))
			continue
		}
		for _, blk := range blocks {
			fmt.Fprintf(&b, "\nresource %q %q {\n", blk.typ, blk.name)
			writeAttrs(&b, blk.attrs, "  ")
			b.WriteString("}\n")
		}
	}
	if len(skipped) > 0 {
		b.WriteString("\n# Not exported (no Terraform rendering in berth yet):\n")
		for _, a := range skipped {
			fmt.Fprintf(&b, "#   %s\n", a)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// writeAttrs aligns the equals signs of consecutive attributes, as
// terraform fmt does.
func writeAttrs(b *strings.Builder, attrs []tfAttr, indent string) {
	for i := 0; i < len(attrs); {
		if attrs[i].block != nil {
			fmt.Fprintf(b, "\n%s%s {\n", indent, attrs[i].key)
			writeAttrs(b, attrs[i].block, indent+"  ")
			fmt.Fprintf(b, "%s}\n", indent)
			i++
			continue
		}
		j, width := i, 0
		for ; j < len(attrs) && attrs[j].block == nil; j++ {
			width = max(width, len(attrs[j].key))
		}
		for ; i < j; i++ {
			fmt.Fprintf(b, "%s%-*s = %s\n", indent, width, attrs[i].key, attrs[i].value)
		}
	}
}

// tfName is a Terraform resource name for a berth address.
func tfName(a engine.Addr) string { return strings.ReplaceAll(a.Name(), "-", "_") }

// tfTypes are the Terraform types of the kinds berth renders.
var tfTypes = map[string]string{
	"ec2.vpc": "aws_vpc", "ec2.subnet": "aws_subnet", "ec2.internet-gateway": "aws_internet_gateway",
	"ec2.security-group": "aws_security_group", "ecs.cluster": "aws_ecs_cluster", "logs.log-group": "aws_cloudwatch_log_group",
	"elbv2.target-group": "aws_lb_target_group", "elbv2.load-balancer": "aws_lb", "elbv2.listener": "aws_lb_listener",
	"iam.role": "aws_iam_role", "ecs.task-definition": "aws_ecs_task_definition", "ecs.service": "aws_ecs_service",
}

// tfRef renders a reference: berth's output keys are Terraform's attribute
// names (id, arn, name, dns_name).
func tfRef(ref engine.Ref) string {
	typ, ok := tfTypes[ref.Addr.Kind()]
	if !ok {
		return fmt.Sprintf("%q # %s of %s, not exported", "", ref.Key, ref.Addr)
	}
	return typ + "." + tfName(ref.Addr) + "." + ref.Key
}

func tfRefs(refs []engine.Ref) string {
	var out []string
	for _, r := range refs {
		out = append(out, tfRef(r))
	}
	return "[" + strings.Join(out, ", ") + "]"
}

func q(s string) string { return strconv.Quote(s) }

func tfTags(m awsres.Meta) tfAttr {
	tags := map[string]string{awsres.TagStack: m.Stack, awsres.TagResource: string(m.Address)}
	maps.Copy(tags, m.Tags)
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(tags)) {
		parts = append(parts, q(k)+" = "+q(tags[k]))
	}
	return tfAttr{key: "tags", value: "{ " + strings.Join(parts, ", ") + " }"}
}

func terraformBlocks(r engine.Resource) []tfBlock {
	name := tfName(r.Addr())
	switch r := r.(type) {
	case *awsres.VPC:
		return []tfBlock{{"aws_vpc", name, []tfAttr{{key: "cidr_block", value: q(r.CIDR)}, {key: "enable_dns_hostnames", value: "true"}, tfTags(r.Meta)}}}
	case *awsres.Subnet:
		return []tfBlock{{"aws_subnet", name, []tfAttr{
			{key: "vpc_id", value: tfRef(r.VPC)}, {key: "cidr_block", value: q(r.CIDR)},
			{key: "availability_zone", value: fmt.Sprintf("data.aws_availability_zones.available.names[%d]", r.ZoneIndex)},
			{key: "map_public_ip_on_launch", value: strconv.FormatBool(r.Public)}, tfTags(r.Meta)}}}
	case *awsres.InternetGateway:
		return []tfBlock{{"aws_internet_gateway", name, []tfAttr{{key: "vpc_id", value: tfRef(r.VPC)}, tfTags(r.Meta)}}}
	case *awsres.SecurityGroup:
		return []tfBlock{{"aws_security_group", name, []tfAttr{{key: "name", value: q(r.Name)}, {key: "description", value: q(r.Description)}, {key: "vpc_id", value: tfRef(r.VPC)}, tfTags(r.Meta)}}}
	case *awsres.Cluster:
		return []tfBlock{{"aws_ecs_cluster", name, []tfAttr{{key: "name", value: q(r.Name)}, tfTags(r.Meta)}}}
	case *awsres.LogGroup:
		return []tfBlock{{"aws_cloudwatch_log_group", name, []tfAttr{{key: "name", value: q(r.Name)}, {key: "retention_in_days", value: strconv.Itoa(r.RetentionDays)}, tfTags(r.Meta)}}}
	case *awsres.TargetGroup:
		protocol := "HTTP"
		if r.HTTPS {
			protocol = "HTTPS"
		}
		hc := r.HealthCheck
		return []tfBlock{{"aws_lb_target_group", name, []tfAttr{
			{key: "name", value: q(r.Name)}, {key: "port", value: strconv.Itoa(r.Port)}, {key: "protocol", value: q(protocol)},
			{key: "vpc_id", value: tfRef(r.VPC)}, {key: "target_type", value: q("ip")}, {key: "deregistration_delay", value: strconv.Itoa(r.DeregistrationDelay)},
			{key: "health_check", block: []tfAttr{
				{key: "path", value: q(hc.Path)}, {key: "interval", value: strconv.Itoa(hc.Interval)}, {key: "timeout", value: strconv.Itoa(hc.Timeout)},
				{key: "healthy_threshold", value: strconv.Itoa(hc.HealthyThreshold)}, {key: "unhealthy_threshold", value: strconv.Itoa(hc.UnhealthyThreshold)},
				{key: "matcher", value: q(hc.Matcher)},
			}},
			tfTags(r.Meta)}}}
	case *awsres.LoadBalancer:
		return []tfBlock{{"aws_lb", name, []tfAttr{
			{key: "name", value: q(r.Name)}, {key: "internal", value: strconv.FormatBool(!r.Public)}, {key: "load_balancer_type", value: q("application")},
			{key: "subnets", value: tfRefs(r.Subnets)}, {key: "security_groups", value: tfRefs([]engine.Ref{r.SecurityGroup})}, tfTags(r.Meta)}}}
	case *awsres.Listener:
		if r.HTTPS || r.RedirectToPort != 0 {
			return nil // HTTPS and redirects are not rendered yet
		}
		return []tfBlock{{"aws_lb_listener", name, []tfAttr{
			{key: "load_balancer_arn", value: tfRef(r.LoadBalancer)}, {key: "port", value: strconv.Itoa(r.Port)}, {key: "protocol", value: q("HTTP")},
			{key: "default_action", block: []tfAttr{{key: "type", value: q("forward")}, {key: "target_group_arn", value: tfRef(r.TargetGroup)}}},
			tfTags(r.Meta)}}}
	case *awsres.IAMRole:
		trust, _ := json.Marshal(map[string]any{"Version": "2012-10-17", "Statement": []any{map[string]any{
			"Effect": "Allow", "Principal": map[string]string{"Service": r.TrustedService}, "Action": "sts:AssumeRole"}}})
		blocks := []tfBlock{{"aws_iam_role", name, []tfAttr{{key: "name", value: q(r.Name)}, {key: "assume_role_policy", value: q(string(trust))}, tfTags(r.Meta)}}}
		for i, policy := range r.ManagedPolicies {
			blocks = append(blocks, tfBlock{"aws_iam_role_policy_attachment", fmt.Sprintf("%s_%d", name, i), []tfAttr{
				{key: "role", value: "aws_iam_role." + name + ".name"}, {key: "policy_arn", value: q(policy)}}})
		}
		return blocks
	case *awsres.SecurityGroupRule:
		if r.CIDRFrom != nil || (r.Peer == nil && len(r.CIDRs) == 0) {
			return nil // a CIDR looked up at plan time is not rendered yet
		}
		typ := "aws_vpc_security_group_ingress_rule"
		if r.Direction == "egress" {
			typ = "aws_vpc_security_group_egress_rule"
		}
		attrs := []tfAttr{{key: "security_group_id", value: tfRef(r.Group)}, {key: "ip_protocol", value: q("tcp")},
			{key: "from_port", value: strconv.Itoa(r.Port)}, {key: "to_port", value: strconv.Itoa(r.Port)}}
		if r.Peer != nil {
			attrs = append(attrs, tfAttr{key: "referenced_security_group_id", value: tfRef(*r.Peer)}, tfTags(r.Meta))
			return []tfBlock{{typ, name, attrs}}
		}
		// Terraform's rule resource holds one CIDR: one block per CIDR.
		var blocks []tfBlock
		for i, cidr := range r.CIDRs {
			blockName := name
			if i > 0 {
				blockName = fmt.Sprintf("%s_%d", name, i+1)
			}
			blocks = append(blocks, tfBlock{typ, blockName, append(slices.Clone(attrs), tfAttr{key: "cidr_ipv4", value: q(cidr)}, tfTags(r.Meta))})
		}
		return blocks
	case *awsres.Service:
		return []tfBlock{{"aws_ecs_service", name, []tfAttr{
			{key: "name", value: q(r.Name)}, {key: "cluster", value: tfRef(r.Cluster)}, {key: "task_definition", value: tfRef(r.TaskDefinition)},
			{key: "desired_count", value: strconv.Itoa(r.Count)}, {key: "health_check_grace_period_seconds", value: strconv.Itoa(r.HealthCheckGracePeriod)},
			{key: "deployment_minimum_healthy_percent", value: strconv.Itoa(r.Deployment.MinimumHealthyPercent)},
			{key: "deployment_maximum_percent", value: strconv.Itoa(r.Deployment.MaximumPercent)},
			{key: "deployment_circuit_breaker", block: []tfAttr{{key: "enable", value: strconv.FormatBool(r.Deployment.CircuitBreaker)}, {key: "rollback", value: strconv.FormatBool(r.Deployment.Rollback)}}},
			{key: "load_balancer", block: []tfAttr{{key: "target_group_arn", value: tfRef(r.TargetGroup)}, {key: "container_name", value: q(awsres.ContainerName)}, {key: "container_port", value: strconv.Itoa(r.ContainerPort)}}},
			{key: "network_configuration", block: []tfAttr{{key: "subnets", value: tfRefs(r.Subnets)}, {key: "security_groups", value: tfRefs([]engine.Ref{r.SecurityGroup})}, {key: "assign_public_ip", value: strconv.FormatBool(r.PublicIP)}}},
			tfTags(r.Meta)}}}
	case *awsres.TaskDefinition:
		container := map[string]any{
			"name": awsres.ContainerName, "image": r.Image, "essential": true,
			"portMappings": []any{map[string]any{"containerPort": r.Port, "hostPort": r.Port, "protocol": "tcp"}},
		}
		if len(r.Command) > 0 {
			container["command"] = r.Command
		}
		definitions, _ := json.Marshal([]any{container})
		compatibility := "EC2"
		if r.Fargate {
			compatibility = "FARGATE"
		}
		return []tfBlock{{"aws_ecs_task_definition", name, []tfAttr{
			{key: "family", value: q(r.Family)}, {key: "network_mode", value: q("awsvpc")},
			{key: "requires_compatibilities", value: "[" + q(compatibility) + "]"},
			{key: "cpu", value: q(strconv.Itoa(r.CPU))}, {key: "memory", value: q(strconv.Itoa(r.Memory))},
			{key: "execution_role_arn", value: tfRef(r.ExecutionRole)}, {key: "container_definitions", value: q(string(definitions))},
			tfTags(r.Meta)}}}
	}
	return nil
}
