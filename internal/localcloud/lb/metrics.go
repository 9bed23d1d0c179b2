package lb

import (
	"sort"
	"sync/atomic"
	"time"
)

// The balancer counts what CloudWatch's AWS/ApplicationELB metrics report.
// Counting is a few atomic adds per request on counters that live as long
// as their load balancer or target group: nothing is allocated and no lock
// is taken on the request path. TakeMetrics reads and resets them.

// balancerCounters count one load balancer's requests and its own answers.
type balancerCounters struct {
	requests atomic.Uint64
	// elbCodes are the load balancer's own answers (errors, redirects,
	// fixed responses) by status class, index 2 to 5.
	elbCodes [6]atomic.Uint64
}

// groupCounters count the requests a target group's targets got.
type groupCounters struct {
	requests atomic.Uint64
	// targetCodes are the targets' answers by status class, index 2 to 5.
	targetCodes [6]atomic.Uint64
	// responseNanos adds up the time from sending a request to a target to
	// its response head; responses counts them.
	responseNanos, responses atomic.Uint64
}

func (c *balancerCounters) countELB(status int) {
	if c == nil {
		return
	}
	if class := status / 100; class >= 2 && class <= 5 {
		c.elbCodes[class].Add(1)
	}
}

func (c *groupCounters) countTarget(status int, elapsed time.Duration) {
	if class := status / 100; class >= 2 && class <= 5 {
		c.targetCodes[class].Add(1)
	}
	c.responseNanos.Add(uint64(elapsed))
	c.responses.Add(1)
}

// LoadBalancerMetrics is one load balancer's traffic since the last
// TakeMetrics.
type LoadBalancerMetrics struct {
	LoadBalancerARN string
	Requests        uint64
	// ELBCodes are the load balancer's own answers by status class: 2 for
	// 2XX, … 5 for 5XX.
	ELBCodes [6]uint64
}

// TargetGroupMetrics is one target group's traffic since the last
// TakeMetrics, and the health of its targets now.
type TargetGroupMetrics struct {
	TargetGroupARN string
	// LoadBalancerARNs are the load balancers whose rules forward to it.
	LoadBalancerARNs []string
	Requests         uint64
	// TargetCodes are the targets' answers by status class.
	TargetCodes [6]uint64
	// ResponseTime is the total time targets took to answer Responses
	// requests (their response heads).
	ResponseTime time.Duration
	Responses    uint64
	// Healthy and Unhealthy count the registered targets in those states;
	// Routable those that get traffic (healthy, or all when none is).
	Healthy, Unhealthy, Routable int
}

// Metrics is the traffic of every load balancer and target group.
type Metrics struct {
	LoadBalancers []LoadBalancerMetrics
	TargetGroups  []TargetGroupMetrics
}

// TakeMetrics returns the counts since the previous call and starts
// counting afresh, ordered by ARN.
func (b *Balancer) TakeMetrics() Metrics {
	var out Metrics
	users := b.routes.Load().groupUsers
	b.mu.RLock()
	defer b.mu.RUnlock()
	for arn, counters := range b.balancerCounters {
		taken := LoadBalancerMetrics{LoadBalancerARN: arn, Requests: counters.requests.Swap(0)}
		for class := range taken.ELBCodes {
			taken.ELBCodes[class] = counters.elbCodes[class].Swap(0)
		}
		out.LoadBalancers = append(out.LoadBalancers, taken)
	}
	for arn, group := range b.groups {
		counters := &group.counters
		taken := TargetGroupMetrics{
			TargetGroupARN:   arn,
			LoadBalancerARNs: users[arn],
			Requests:         counters.requests.Swap(0),
			ResponseTime:     time.Duration(counters.responseNanos.Swap(0)),
			Responses:        counters.responses.Swap(0),
		}
		for class := range taken.TargetCodes {
			taken.TargetCodes[class] = counters.targetCodes[class].Swap(0)
		}
		registered := 0
		for _, target := range group.targets {
			switch target.state {
			case StateHealthy:
				taken.Healthy++
			case StateUnhealthy:
				taken.Unhealthy++
			}
			if target.state != StateDraining {
				registered++
			}
		}
		taken.Routable = taken.Healthy
		if taken.Routable == 0 {
			taken.Routable = registered // fail open, as pick does
		}
		out.TargetGroups = append(out.TargetGroups, taken)
	}
	sort.Slice(out.LoadBalancers, func(i, j int) bool {
		return out.LoadBalancers[i].LoadBalancerARN < out.LoadBalancers[j].LoadBalancerARN
	})
	sort.Slice(out.TargetGroups, func(i, j int) bool { return out.TargetGroups[i].TargetGroupARN < out.TargetGroups[j].TargetGroupARN })
	return out
}
