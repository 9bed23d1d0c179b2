package autoscaling

import "context"

// The group's attached load balancers and target groups, as Terraform's
// aws_autoscaling_group reads them back. Attachments are only set at create
// and update time; the local cloud registers no instances with them (ECS
// registers tasks itself).

type trafficSourcesInput struct {
	AutoScalingGroupName string
	TrafficSourceType    string
	NextToken            string
	MaxRecords           *int
}

type trafficSourceStateXML struct {
	TrafficSource string `xml:"TrafficSource"`
	State         string `xml:"State"`
	Identifier    string `xml:"Identifier"`
	Type          string `xml:"Type"`
}

type describeTrafficSourcesOutput struct {
	TrafficSources members[trafficSourceStateXML] `xml:"TrafficSources"`
	NextToken      string                         `xml:"NextToken,omitempty"`
}

func (b *Backend) attachedGroup(ctx context.Context, name string) (*Group, error) {
	if err := b.existingGroup(ctx, name); err != nil {
		return nil, err
	}
	return b.Group(ctx, name)
}

func (b *Backend) handleDescribeTrafficSources(ctx context.Context, in *trafficSourcesInput) (*describeTrafficSourcesOutput, error) {
	g, err := b.attachedGroup(ctx, in.AutoScalingGroupName)
	if err != nil {
		return nil, err
	}
	var states []trafficSourceStateXML
	if in.TrafficSourceType == "" || in.TrafficSourceType == "elbv2" {
		for _, arn := range g.TargetGroupARNs {
			states = append(states, trafficSourceStateXML{TrafficSource: arn, State: "InService", Identifier: arn, Type: "elbv2"})
		}
	}
	if in.TrafficSourceType == "" || in.TrafficSourceType == "elb" {
		for _, name := range g.LoadBalancerNames {
			states = append(states, trafficSourceStateXML{TrafficSource: name, State: "InService", Identifier: name, Type: "elb"})
		}
	}
	page, next, err := paginate(states, in.NextToken, in.MaxRecords)
	if err != nil {
		return nil, err
	}
	return &describeTrafficSourcesOutput{TrafficSources: append(members[trafficSourceStateXML]{}, page...), NextToken: next}, nil
}

type targetGroupStateXML struct {
	LoadBalancerTargetGroupARN string `xml:"LoadBalancerTargetGroupARN"`
	State                      string `xml:"State"`
}

type describeLoadBalancerTargetGroupsOutput struct {
	LoadBalancerTargetGroups members[targetGroupStateXML] `xml:"LoadBalancerTargetGroups"`
	NextToken                string                       `xml:"NextToken,omitempty"`
}

func (b *Backend) handleDescribeLoadBalancerTargetGroups(ctx context.Context, in *trafficSourcesInput) (*describeLoadBalancerTargetGroupsOutput, error) {
	g, err := b.attachedGroup(ctx, in.AutoScalingGroupName)
	if err != nil {
		return nil, err
	}
	var states []targetGroupStateXML
	for _, arn := range g.TargetGroupARNs {
		states = append(states, targetGroupStateXML{LoadBalancerTargetGroupARN: arn, State: "InService"})
	}
	page, next, err := paginate(states, in.NextToken, in.MaxRecords)
	if err != nil {
		return nil, err
	}
	return &describeLoadBalancerTargetGroupsOutput{LoadBalancerTargetGroups: append(members[targetGroupStateXML]{}, page...), NextToken: next}, nil
}

type loadBalancerStateXML struct {
	LoadBalancerName string `xml:"LoadBalancerName"`
	State            string `xml:"State"`
}

type describeLoadBalancersOutput struct {
	LoadBalancers members[loadBalancerStateXML] `xml:"LoadBalancers"`
	NextToken     string                        `xml:"NextToken,omitempty"`
}

func (b *Backend) handleDescribeLoadBalancers(ctx context.Context, in *trafficSourcesInput) (*describeLoadBalancersOutput, error) {
	g, err := b.attachedGroup(ctx, in.AutoScalingGroupName)
	if err != nil {
		return nil, err
	}
	var states []loadBalancerStateXML
	for _, name := range g.LoadBalancerNames {
		states = append(states, loadBalancerStateXML{LoadBalancerName: name, State: "InService"})
	}
	page, next, err := paginate(states, in.NextToken, in.MaxRecords)
	if err != nil {
		return nil, err
	}
	return &describeLoadBalancersOutput{LoadBalancers: append(members[loadBalancerStateXML]{}, page...), NextToken: next}, nil
}
