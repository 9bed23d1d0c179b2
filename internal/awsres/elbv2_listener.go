package awsres

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"

	"github.com/berthdev/berth/internal/engine"
)

// Listener accepts HTTP on Port and forwards everything to the target group.
type Listener struct {
	Meta
	LoadBalancer engine.Ref // the load balancer's "arn"
	TargetGroup  engine.Ref // the target group's "arn"
	Port         int
}

type listenerState struct {
	arn, port, protocol, targetGroup string
}

// Observe picks the listener of the stack's load balancer tagged as this
// resource, falling back to the one on the wanted port: listeners cannot be
// searched by tag directly.
func (r *Listener) Observe(ctx context.Context, c *engine.Clients, in *engine.Inputs) (*engine.Observed, error) {
	lbARN, ok := in.Lookup(r.LoadBalancer)
	if !ok {
		return nil, nil
	}
	out, err := c.ELB.DescribeListeners(ctx, &elb.DescribeListenersInput{LoadBalancerArn: aws.String(lbARN)})
	if hasCode(err, "LoadBalancerNotFound") {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("describe listeners: %w", err)
	}
	if len(out.Listeners) == 0 {
		return nil, nil
	}
	var arns []string
	for _, l := range out.Listeners {
		arns = append(arns, aws.ToString(l.ListenerArn))
	}
	tagged := map[string]bool{}
	tags, err := c.ELB.DescribeTags(ctx, &elb.DescribeTagsInput{ResourceArns: arns})
	if err != nil {
		return nil, fmt.Errorf("describe listener tags: %w", err)
	}
	for _, d := range tags.TagDescriptions {
		for _, t := range d.Tags {
			if aws.ToString(t.Key) == TagResource && aws.ToString(t.Value) == string(r.Address) {
				tagged[aws.ToString(d.ResourceArn)] = true
			}
		}
	}
	var found *elbtypes.Listener
	for i, l := range out.Listeners {
		if tagged[aws.ToString(l.ListenerArn)] {
			found = &out.Listeners[i]
			break
		}
		if found == nil && int(aws.ToInt32(l.Port)) == r.Port {
			found = &out.Listeners[i]
		}
	}
	if found == nil {
		return nil, nil
	}
	state := &listenerState{arn: aws.ToString(found.ListenerArn), port: fmt.Sprint(aws.ToInt32(found.Port)), protocol: string(found.Protocol)}
	for _, action := range found.DefaultActions {
		if action.Type == elbtypes.ActionTypeEnumForward {
			state.targetGroup = aws.ToString(action.TargetGroupArn)
		}
	}
	return &engine.Observed{Outputs: engine.Outputs{"arn": state.arn, "port": state.port}, State: state}, nil
}

func (r *Listener) Diff(in *engine.Inputs, actual *engine.Observed) ([]engine.FieldChange, engine.Action) {
	changes := engine.NewChanges(actual)
	state := &listenerState{}
	if actual != nil {
		state = actual.State.(*listenerState)
	}
	changes.Field("port", state.port, itoa(r.Port))
	changes.Field("protocol", state.protocol, string(elbtypes.ProtocolEnumHttp))
	changes.Field("forward_to", state.targetGroup, in.Show(r.TargetGroup))
	return changes.Result()
}

func (r *Listener) Apply(ctx context.Context, c *engine.Clients, in *engine.Inputs, actual *engine.Observed) (engine.Outputs, error) {
	refs, err := in.Resolve(r.LoadBalancer, r.TargetGroup)
	if err != nil {
		return nil, err
	}
	forward := []elbtypes.Action{{Type: elbtypes.ActionTypeEnumForward, TargetGroupArn: aws.String(refs[1])}}
	if actual != nil {
		arn := actual.State.(*listenerState).arn
		_, err := c.ELB.ModifyListener(ctx, &elb.ModifyListenerInput{
			ListenerArn: aws.String(arn), Port: aws.Int32(int32(r.Port)), Protocol: elbtypes.ProtocolEnumHttp, DefaultActions: forward,
		})
		if err != nil {
			return nil, fmt.Errorf("modify listener: %w", err)
		}
		return engine.Outputs{"arn": arn, "port": fmt.Sprint(r.Port)}, nil
	}
	out, err := c.ELB.CreateListener(ctx, &elb.CreateListenerInput{
		LoadBalancerArn: aws.String(refs[0]), Port: aws.Int32(int32(r.Port)), Protocol: elbtypes.ProtocolEnumHttp,
		DefaultActions: forward, Tags: r.elbTags(),
	})
	if err != nil {
		return nil, fmt.Errorf("create listener: %w", err)
	}
	return engine.Outputs{"arn": aws.ToString(out.Listeners[0].ListenerArn), "port": fmt.Sprint(r.Port)}, nil
}

func (r *Listener) Delete(ctx context.Context, c *engine.Clients, actual *engine.Observed) error {
	_, err := c.ELB.DeleteListener(ctx, &elb.DeleteListenerInput{ListenerArn: aws.String(actual.State.(*listenerState).arn)})
	if err != nil && !hasCode(err, "ListenerNotFound") {
		return fmt.Errorf("delete listener: %w", err)
	}
	return nil
}
