package awsres

import (
	"context"
	"fmt"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"

	"github.com/berthdev/berth/internal/engine"
)

// TargetHealthCheck is how the load balancer decides a task is serving.
type TargetHealthCheck struct {
	Path                                 string
	Interval, Timeout                    int
	HealthyThreshold, UnhealthyThreshold int
	Matcher                              string
}

// TargetGroup holds the tasks' IPs (awsvpc gives each task its own).
type TargetGroup struct {
	Meta
	Name                string
	VPC                 engine.Ref
	Port                int
	HealthCheck         TargetHealthCheck
	DeregistrationDelay int
	// HTTPS makes the load balancer speak TLS to the tasks (and health
	// check them over it); it does not verify their certificates.
	HTTPS bool
}

func (r *TargetGroup) protocol() elbtypes.ProtocolEnum {
	if r.HTTPS {
		return elbtypes.ProtocolEnumHttps
	}
	return elbtypes.ProtocolEnumHttp
}

const deregistrationDelayKey = "deregistration_delay.timeout_seconds"

type targetGroupState struct {
	arn, name, vpcID, port, protocol, targetType string
	path, interval, timeout, healthy, unhealthy  string
	matcher, deregistrationDelay                 string
}

func (r *TargetGroup) Observe(ctx context.Context, c *engine.Clients, _ *engine.Inputs) (*engine.Observed, error) {
	out, err := c.ELB.DescribeTargetGroups(ctx, &elb.DescribeTargetGroupsInput{Names: []string{r.Name}})
	if hasCode(err, "TargetGroupNotFound") {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("describe target group %s: %w", r.Name, err)
	}
	if len(out.TargetGroups) == 0 {
		return nil, nil
	}
	tg := out.TargetGroups[0]
	state := &targetGroupState{
		arn: aws.ToString(tg.TargetGroupArn), name: r.Name, vpcID: aws.ToString(tg.VpcId),
		port: fmt.Sprint(aws.ToInt32(tg.Port)), protocol: string(tg.Protocol), targetType: string(tg.TargetType),
		path:     aws.ToString(tg.HealthCheckPath),
		interval: fmt.Sprint(aws.ToInt32(tg.HealthCheckIntervalSeconds)), timeout: fmt.Sprint(aws.ToInt32(tg.HealthCheckTimeoutSeconds)),
		healthy: fmt.Sprint(aws.ToInt32(tg.HealthyThresholdCount)), unhealthy: fmt.Sprint(aws.ToInt32(tg.UnhealthyThresholdCount)),
	}
	if tg.Matcher != nil {
		state.matcher = aws.ToString(tg.Matcher.HttpCode)
	}
	attrs, err := c.ELB.DescribeTargetGroupAttributes(ctx, &elb.DescribeTargetGroupAttributesInput{TargetGroupArn: tg.TargetGroupArn})
	if err != nil {
		return nil, fmt.Errorf("describe attributes of target group %s: %w", r.Name, err)
	}
	for _, a := range attrs.Attributes {
		if aws.ToString(a.Key) == deregistrationDelayKey {
			state.deregistrationDelay = aws.ToString(a.Value)
		}
	}
	return &engine.Observed{Outputs: engine.Outputs{"arn": state.arn, "name": r.Name}, State: state}, nil
}

func (r *TargetGroup) Diff(in *engine.Inputs, actual *engine.Observed) ([]engine.FieldChange, engine.Action) {
	changes := engine.NewChanges(actual)
	state := &targetGroupState{}
	if actual != nil {
		state = actual.State.(*targetGroupState)
	}
	hc := r.HealthCheck
	changes.ForceNew("name", state.name, r.Name)
	changes.ForceNew("vpc_id", state.vpcID, in.Show(r.VPC))
	changes.ForceNew("port", state.port, itoa(r.Port))
	changes.ForceNew("protocol", state.protocol, string(r.protocol()))
	changes.ForceNew("target_type", state.targetType, string(elbtypes.TargetTypeEnumIp))
	changes.Field("health_check.path", state.path, hc.Path)
	changes.Field("health_check.interval", state.interval, itoa(hc.Interval))
	changes.Field("health_check.timeout", state.timeout, itoa(hc.Timeout))
	changes.Field("health_check.healthy_threshold", state.healthy, itoa(hc.HealthyThreshold))
	changes.Field("health_check.unhealthy_threshold", state.unhealthy, itoa(hc.UnhealthyThreshold))
	changes.Field("health_check.matcher", state.matcher, hc.Matcher)
	if r.DeregistrationDelay >= 0 {
		changes.Field("deregistration_delay", state.deregistrationDelay, strconv.Itoa(r.DeregistrationDelay))
	}
	return changes.Result()
}

func optionalInt32(n int) *int32 {
	if n == 0 {
		return nil
	}
	return aws.Int32(int32(n))
}

func optionalString(s string) *string {
	if s == "" {
		return nil
	}
	return aws.String(s)
}

func (r *TargetGroup) matcher() *elbtypes.Matcher {
	if r.HealthCheck.Matcher == "" {
		return nil
	}
	return &elbtypes.Matcher{HttpCode: aws.String(r.HealthCheck.Matcher)}
}

func (r *TargetGroup) Apply(ctx context.Context, c *engine.Clients, in *engine.Inputs, actual *engine.Observed) (engine.Outputs, error) {
	hc := r.HealthCheck
	var arn string
	if actual == nil {
		vpcID, err := in.Get(r.VPC)
		if err != nil {
			return nil, err
		}
		out, err := c.ELB.CreateTargetGroup(ctx, &elb.CreateTargetGroupInput{
			Name: aws.String(r.Name), VpcId: aws.String(vpcID), Port: aws.Int32(int32(r.Port)),
			Protocol: r.protocol(), TargetType: elbtypes.TargetTypeEnumIp,
			HealthCheckPath: optionalString(hc.Path), HealthCheckIntervalSeconds: optionalInt32(hc.Interval),
			HealthCheckTimeoutSeconds: optionalInt32(hc.Timeout), HealthyThresholdCount: optionalInt32(hc.HealthyThreshold),
			UnhealthyThresholdCount: optionalInt32(hc.UnhealthyThreshold), Matcher: r.matcher(),
			Tags: r.elbTags(),
		})
		if err != nil {
			return nil, fmt.Errorf("create target group %s: %w", r.Name, err)
		}
		arn = aws.ToString(out.TargetGroups[0].TargetGroupArn)
	} else {
		arn = actual.State.(*targetGroupState).arn
		_, err := c.ELB.ModifyTargetGroup(ctx, &elb.ModifyTargetGroupInput{
			TargetGroupArn:  aws.String(arn),
			HealthCheckPath: optionalString(hc.Path), HealthCheckIntervalSeconds: optionalInt32(hc.Interval),
			HealthCheckTimeoutSeconds: optionalInt32(hc.Timeout), HealthyThresholdCount: optionalInt32(hc.HealthyThreshold),
			UnhealthyThresholdCount: optionalInt32(hc.UnhealthyThreshold), Matcher: r.matcher(),
		})
		if err != nil {
			return nil, fmt.Errorf("modify target group %s: %w", r.Name, err)
		}
	}
	if r.DeregistrationDelay >= 0 {
		_, err := c.ELB.ModifyTargetGroupAttributes(ctx, &elb.ModifyTargetGroupAttributesInput{
			TargetGroupArn: aws.String(arn),
			Attributes:     []elbtypes.TargetGroupAttribute{{Key: aws.String(deregistrationDelayKey), Value: aws.String(strconv.Itoa(r.DeregistrationDelay))}},
		})
		if err != nil {
			return nil, fmt.Errorf("set deregistration delay of %s: %w", r.Name, err)
		}
	}
	return engine.Outputs{"arn": arn, "name": r.Name}, nil
}

// Delete retries while a listener or a draining service still uses the
// group.
func (r *TargetGroup) Delete(ctx context.Context, c *engine.Clients, actual *engine.Observed) error {
	return DeleteTargetGroup(ctx, c, actual.State.(*targetGroupState).arn)
}
