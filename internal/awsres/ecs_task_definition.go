package awsres

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/berthdev/berth/internal/engine"
)

// ContainerName is the one container of every berth task; the service's
// load balancer block refers to it.
const ContainerName = "app"

// TaskDefinition is the family's latest ACTIVE revision. A change registers
// a new revision instead of editing one (revisions are immutable), so the
// plan shows it as an update.
type TaskDefinition struct {
	Meta
	Family      string
	Image       string
	Port        int
	CPU, Memory int
	Environment map[string]string
	// Secrets maps a variable to the ARN ECS reads its value from.
	Secrets map[string]string
	// Command overrides the image's CMD when set.
	Command []string
	// StopTimeout is the seconds between SIGTERM and SIGKILL; 0 is ECS's 30.
	StopTimeout   int
	Fargate       bool
	ExecutionRole engine.Ref // the role's "arn"
	LogGroup      engine.Ref // the group's "name"
}

// taskDefinitionState is the comparable content of a revision.
type taskDefinitionState struct {
	arn, revision                                    string
	image, port, cpu, memory, environment            string
	secrets, command, stopTimeout                    string
	executionRole, logGroup, networkMode, compatible string
}

func (r *TaskDefinition) Observe(ctx context.Context, c *engine.Clients, _ *engine.Inputs) (*engine.Observed, error) {
	out, err := c.ECS.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(r.Family)})
	if err != nil {
		if hasCode(err, "ClientException", "InvalidParameterException") {
			return nil, nil
		}
		return nil, fmt.Errorf("describe task definition %s: %w", r.Family, err)
	}
	td := out.TaskDefinition
	if td == nil || td.Status != ecstypes.TaskDefinitionStatusActive {
		return nil, nil
	}
	state := &taskDefinitionState{
		arn: aws.ToString(td.TaskDefinitionArn), revision: fmt.Sprint(td.Revision),
		cpu: aws.ToString(td.Cpu), memory: aws.ToString(td.Memory),
		executionRole: aws.ToString(td.ExecutionRoleArn), networkMode: string(td.NetworkMode),
	}
	var compatibilities []string
	for _, comp := range td.RequiresCompatibilities {
		compatibilities = append(compatibilities, string(comp))
	}
	state.compatible = sortedJoin(compatibilities)
	for _, container := range td.ContainerDefinitions {
		if aws.ToString(container.Name) != ContainerName {
			continue
		}
		state.image = aws.ToString(container.Image)
		for _, pm := range container.PortMappings {
			state.port = fmt.Sprint(aws.ToInt32(pm.ContainerPort))
		}
		env := map[string]string{}
		for _, kv := range container.Environment {
			env[aws.ToString(kv.Name)] = aws.ToString(kv.Value)
		}
		state.environment = renderEnvironment(env)
		secrets := map[string]string{}
		for _, s := range container.Secrets {
			secrets[aws.ToString(s.Name)] = aws.ToString(s.ValueFrom)
		}
		state.secrets = renderEnvironment(secrets)
		state.command = renderCommand(container.Command)
		state.stopTimeout = itoa(int(aws.ToInt32(container.StopTimeout)))
		if container.LogConfiguration != nil {
			state.logGroup = container.LogConfiguration.Options["awslogs-group"]
		}
	}
	return &engine.Observed{Outputs: state.outputs(r.Family), State: state}, nil
}

func (s *taskDefinitionState) outputs(family string) engine.Outputs {
	return engine.Outputs{"arn": s.arn, "family": family, "revision": s.revision}
}

func renderEnvironment(env map[string]string) string {
	if len(env) == 0 {
		return "{}"
	}
	keys := make([]string, 0, len(env))
	for k := range env {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + env[k]
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

// renderCommand shows a command as the JSON list it is registered as.
func renderCommand(command []string) string {
	if len(command) == 0 {
		return ""
	}
	data, _ := json.Marshal(command) // a list of strings always marshals
	return string(data)
}

func (r *TaskDefinition) compatibility() ecstypes.Compatibility {
	if r.Fargate {
		return ecstypes.CompatibilityFargate
	}
	return ecstypes.CompatibilityEc2
}

func (r *TaskDefinition) Diff(in *engine.Inputs, actual *engine.Observed) ([]engine.FieldChange, engine.Action) {
	changes := engine.NewChanges(actual)
	state := &taskDefinitionState{}
	if actual != nil {
		state = actual.State.(*taskDefinitionState)
	}
	changes.Field("image", state.image, r.Image)
	changes.Field("container_port", state.port, itoa(r.Port))
	changes.Field("cpu", state.cpu, itoa(r.CPU))
	changes.Field("memory", state.memory, itoa(r.Memory))
	changes.Field("environment", state.environment, renderEnvironment(r.Environment))
	if len(r.Secrets) > 0 || (state.secrets != "" && state.secrets != "{}") {
		changes.Field("secrets", state.secrets, renderEnvironment(r.Secrets))
	}
	if len(r.Command) > 0 || state.command != "" {
		changes.Field("command", cmp.Or(state.command, "(the image's)"), cmp.Or(renderCommand(r.Command), "(the image's)"))
	}
	changes.Field("stop_timeout", state.stopTimeout, itoa(r.StopTimeout))
	changes.Field("execution_role", state.executionRole, in.Show(r.ExecutionRole))
	changes.Field("log_group", state.logGroup, in.Show(r.LogGroup))
	changes.Field("network_mode", state.networkMode, string(ecstypes.NetworkModeAwsvpc))
	changes.Field("requires_compatibilities", state.compatible, string(r.compatibility()))
	return changes.Result()
}

func (r *TaskDefinition) Apply(ctx context.Context, c *engine.Clients, in *engine.Inputs, _ *engine.Observed) (engine.Outputs, error) {
	refs, err := in.Resolve(r.ExecutionRole, r.LogGroup)
	if err != nil {
		return nil, err
	}
	keys := make([]string, 0, len(r.Environment))
	for k := range r.Environment {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	environment := make([]ecstypes.KeyValuePair, 0, len(keys))
	for _, k := range keys {
		environment = append(environment, ecstypes.KeyValuePair{Name: aws.String(k), Value: aws.String(r.Environment[k])})
	}
	var secrets []ecstypes.Secret
	for _, k := range slices.Sorted(maps.Keys(r.Secrets)) {
		secrets = append(secrets, ecstypes.Secret{Name: aws.String(k), ValueFrom: aws.String(r.Secrets[k])})
	}
	var stopTimeout *int32
	if r.StopTimeout > 0 {
		stopTimeout = aws.Int32(int32(r.StopTimeout))
	}
	out, err := c.ECS.RegisterTaskDefinition(ctx, &ecs.RegisterTaskDefinitionInput{
		Family:                  aws.String(r.Family),
		NetworkMode:             ecstypes.NetworkModeAwsvpc,
		RequiresCompatibilities: []ecstypes.Compatibility{r.compatibility()},
		Cpu:                     aws.String(fmt.Sprint(r.CPU)),
		Memory:                  aws.String(fmt.Sprint(r.Memory)),
		ExecutionRoleArn:        aws.String(refs[0]),
		ContainerDefinitions: []ecstypes.ContainerDefinition{{
			Name:      aws.String(ContainerName),
			Image:     aws.String(r.Image),
			Essential: aws.Bool(true),
			PortMappings: []ecstypes.PortMapping{{
				ContainerPort: aws.Int32(int32(r.Port)), HostPort: aws.Int32(int32(r.Port)), Protocol: ecstypes.TransportProtocolTcp,
			}},
			Environment: environment,
			Secrets:     secrets,
			Command:     r.Command,
			StopTimeout: stopTimeout,
			LogConfiguration: &ecstypes.LogConfiguration{
				LogDriver: ecstypes.LogDriverAwslogs,
				Options: map[string]string{
					"awslogs-group": refs[1], "awslogs-region": c.Region, "awslogs-stream-prefix": "ecs",
				},
			},
		}},
		Tags: r.ecsTags(),
	})
	if err != nil {
		return nil, fmt.Errorf("register task definition %s: %w", r.Family, err)
	}
	td := out.TaskDefinition
	state := &taskDefinitionState{arn: aws.ToString(td.TaskDefinitionArn), revision: fmt.Sprint(td.Revision)}
	return state.outputs(r.Family), nil
}

// Delete deregisters every ACTIVE revision of the family, not only the
// latest, so nothing of the stack stays runnable.
func (r *TaskDefinition) Delete(ctx context.Context, c *engine.Clients, _ *engine.Observed) error {
	paginator := ecs.NewListTaskDefinitionsPaginator(c.ECS, &ecs.ListTaskDefinitionsInput{
		FamilyPrefix: aws.String(r.Family), Status: ecstypes.TaskDefinitionStatusActive,
	})
	for paginator.HasMorePages() {
		page, err := paginator.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("list task definitions %s: %w", r.Family, err)
		}
		for _, arn := range page.TaskDefinitionArns {
			// FamilyPrefix also matches longer family names of other stacks.
			if !strings.Contains(arn, ":task-definition/"+r.Family+":") {
				continue
			}
			_, err := c.ECS.DeregisterTaskDefinition(ctx, &ecs.DeregisterTaskDefinitionInput{TaskDefinition: aws.String(arn)})
			if err != nil && !isECSNotFound(err) {
				return fmt.Errorf("deregister %s: %w", arn, err)
			}
		}
	}
	return nil
}

// OutputsChangedByUpdate tells the engine that an update is a new revision
// with a new ARN, which the service must then be pointed at.
func (r *TaskDefinition) OutputsChangedByUpdate() []string {
	return []string{"arn", "revision"}
}
