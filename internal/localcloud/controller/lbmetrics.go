package controller

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/berthdev/berth/internal/localcloud/lb"
	"github.com/berthdev/berth/internal/localcloud/service/cloudwatch"
)

// loadBalancerMetricsPeriod is how often an ALB reports its metrics to
// CloudWatch: once a minute (on the controller's time scale).
const loadBalancerMetricsPeriod = time.Minute

const albNamespace = "AWS/ApplicationELB"

// publishLoadBalancerMetrics writes what the balancer counted since the
// last period into CloudWatch once a period has passed, with the
// AWS/ApplicationELB names and dimensions, stamped with the period's
// start. Counts are written only when not zero, as an ALB reports them;
// target health every period. TargetResponseTime is written as one value,
// the period's mean, so its SampleCount is 1 rather than the number of
// requests.
func (c *Controller) publishLoadBalancerMetrics(ctx context.Context, now time.Time) error {
	if c.deps.CloudWatch == nil {
		return nil
	}
	// Periods are aligned to the clock, as CloudWatch's are. A pass that
	// comes late closes more than one period: each gets an even share of
	// what was counted meanwhile, so that no period of steady traffic is
	// missing a datapoint (target tracking's low alarm needs all 15).
	period := c.period(loadBalancerMetricsPeriod)
	open := now.Truncate(period)
	if c.metricsFrom.IsZero() {
		c.metricsFrom = open
		c.deps.Balancer.TakeMetrics() // nothing before the first period counts
		return nil
	}
	if !open.After(c.metricsFrom) {
		return nil
	}
	closed := int(open.Sub(c.metricsFrom) / period)
	first := c.metricsFrom
	c.metricsFrom = open
	taken := c.deps.Balancer.TakeMetrics()
	share := float64(closed)

	var errs []error
	put := func(ownerARN, name string, dims []cloudwatch.Dimension, value float64, unit string) {
		scoped, err := inScopeOf(ctx, ownerARN)
		for k := 0; err == nil && k < closed; k++ {
			err = c.deps.CloudWatch.Put(scoped, albNamespace, name, dims, value, unit, first.Add(time.Duration(k)*period))
		}
		if err != nil {
			errs = append(errs, err)
		}
	}
	putCount := func(ownerARN, name string, dims []cloudwatch.Dimension, count uint64) {
		if count > 0 {
			put(ownerARN, name, dims, float64(count)/share, "Count")
		}
	}
	for _, balancer := range taken.LoadBalancers {
		dims := []cloudwatch.Dimension{{Name: "LoadBalancer", Value: loadBalancerDimension(balancer.LoadBalancerARN)}}
		putCount(balancer.LoadBalancerARN, "RequestCount", dims, balancer.Requests)
		for class := 3; class <= 5; class++ {
			putCount(balancer.LoadBalancerARN, "HTTPCode_ELB_"+string(rune('0'+class))+"XX_Count", dims, balancer.ELBCodes[class])
		}
	}
	for i := range taken.TargetGroups {
		group := &taken.TargetGroups[i]
		groupDim := cloudwatch.Dimension{Name: "TargetGroup", Value: targetGroupDimension(group.TargetGroupARN)}
		if group.Requests > 0 && group.Routable > 0 {
			put(group.TargetGroupARN, "RequestCountPerTarget", []cloudwatch.Dimension{groupDim}, float64(group.Requests)/float64(group.Routable)/share, "Count")
		}
		for _, balancerARN := range group.LoadBalancerARNs {
			balancerDim := cloudwatch.Dimension{Name: "LoadBalancer", Value: loadBalancerDimension(balancerARN)}
			pair := []cloudwatch.Dimension{groupDim, balancerDim}
			putCount(group.TargetGroupARN, "RequestCount", pair, group.Requests)
			if group.Requests > 0 && group.Routable > 0 {
				put(group.TargetGroupARN, "RequestCountPerTarget", pair, float64(group.Requests)/float64(group.Routable)/share, "Count")
			}
			for class := 2; class <= 5; class++ {
				putCount(group.TargetGroupARN, "HTTPCode_Target_"+string(rune('0'+class))+"XX_Count", pair, group.TargetCodes[class])
			}
			if group.Responses > 0 {
				put(group.TargetGroupARN, "TargetResponseTime", pair, (group.ResponseTime / time.Duration(group.Responses)).Seconds(), "Seconds")
			}
			put(group.TargetGroupARN, "HealthyHostCount", pair, float64(group.Healthy), "Count")
			put(group.TargetGroupARN, "UnHealthyHostCount", pair, float64(group.Unhealthy), "Count")
		}
	}
	// The load balancer's own totals of its targets' answers.
	totals := map[string]*lb.TargetGroupMetrics{}
	for i := range taken.TargetGroups {
		group := &taken.TargetGroups[i]
		for _, balancerARN := range group.LoadBalancerARNs {
			total := totals[balancerARN]
			if total == nil {
				total = &lb.TargetGroupMetrics{}
				totals[balancerARN] = total
			}
			for class := range total.TargetCodes {
				total.TargetCodes[class] += group.TargetCodes[class]
			}
			total.ResponseTime += group.ResponseTime
			total.Responses += group.Responses
		}
	}
	for balancerARN, total := range totals {
		dims := []cloudwatch.Dimension{{Name: "LoadBalancer", Value: loadBalancerDimension(balancerARN)}}
		for class := 2; class <= 5; class++ {
			putCount(balancerARN, "HTTPCode_Target_"+string(rune('0'+class))+"XX_Count", dims, total.TargetCodes[class])
		}
		if total.Responses > 0 {
			put(balancerARN, "TargetResponseTime", dims, (total.ResponseTime / time.Duration(total.Responses)).Seconds(), "Seconds")
		}
	}
	return errors.Join(errs...)
}

// loadBalancerDimension is the LoadBalancer dimension's value of an ALB:
// "app/<name>/<id>", the end of its ARN.
func loadBalancerDimension(arn string) string {
	_, value, _ := strings.Cut(arn, ":loadbalancer/")
	return value
}

// targetGroupDimension is the TargetGroup dimension's value:
// "targetgroup/<name>/<id>".
func targetGroupDimension(arn string) string {
	return arn[strings.LastIndex(arn, ":")+1:]
}
