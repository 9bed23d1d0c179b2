package awsres

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"

	"github.com/berthdev/berth/internal/engine"
)

// LogGroup receives the tasks' awslogs output.
type LogGroup struct {
	Meta
	Name          string
	RetentionDays int
}

type logGroupState struct {
	name, arn     string
	retentionDays int
}

func (r *LogGroup) Observe(ctx context.Context, c *engine.Clients, _ *engine.Inputs) (*engine.Observed, error) {
	out, err := c.Logs.DescribeLogGroups(ctx, &cloudwatchlogs.DescribeLogGroupsInput{LogGroupNamePrefix: aws.String(r.Name)})
	if err != nil {
		return nil, fmt.Errorf("describe log groups: %w", err)
	}
	for _, g := range out.LogGroups {
		if aws.ToString(g.LogGroupName) != r.Name {
			continue
		}
		state := &logGroupState{name: r.Name, arn: aws.ToString(g.Arn), retentionDays: int(aws.ToInt32(g.RetentionInDays))}
		return &engine.Observed{Outputs: engine.Outputs{"name": r.Name, "arn": state.arn}, State: state}, nil
	}
	return nil, nil
}

func (r *LogGroup) Diff(_ *engine.Inputs, actual *engine.Observed) ([]engine.FieldChange, engine.Action) {
	changes := engine.NewChanges(actual)
	state := &logGroupState{}
	if actual != nil {
		state = actual.State.(*logGroupState)
	}
	changes.ForceNew("name", state.name, r.Name)
	changes.Field("retention_days", itoa(state.retentionDays), itoa(r.RetentionDays))
	return changes.Result()
}

func (r *LogGroup) Apply(ctx context.Context, c *engine.Clients, _ *engine.Inputs, actual *engine.Observed) (engine.Outputs, error) {
	state := &logGroupState{name: r.Name}
	if actual == nil {
		tags := map[string]string{}
		for _, kv := range r.tags() {
			tags[kv.Key] = kv.Value
		}
		_, err := c.Logs.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String(r.Name), Tags: tags})
		if err != nil {
			return nil, fmt.Errorf("create log group %s: %w", r.Name, err)
		}
	} else {
		state = actual.State.(*logGroupState)
	}
	if r.RetentionDays != 0 && state.retentionDays != r.RetentionDays {
		_, err := c.Logs.PutRetentionPolicy(ctx, &cloudwatchlogs.PutRetentionPolicyInput{
			LogGroupName: aws.String(r.Name), RetentionInDays: aws.Int32(int32(r.RetentionDays)),
		})
		if err != nil {
			return nil, fmt.Errorf("set retention of %s: %w", r.Name, err)
		}
	}
	if state.arn == "" {
		observed, err := r.Observe(ctx, c, nil)
		if err != nil {
			return nil, err
		}
		if observed != nil {
			state.arn = observed.Outputs["arn"]
		}
	}
	return engine.Outputs{"name": r.Name, "arn": state.arn}, nil
}

func (r *LogGroup) Delete(ctx context.Context, c *engine.Clients, _ *engine.Observed) error {
	return DeleteLogGroup(ctx, c, r.Name)
}
