package lb

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"time"
)

// checkOutcome is the result of one health check.
type checkOutcome struct {
	passed      bool
	reason      string
	description string
}

// checkHealth checks one target at once and then every interval until ctx
// ends. It reads the group's configuration each round, so an Apply that
// changes the path or interval takes effect without restarting it.
func (b *Balancer) checkHealth(ctx context.Context, groupARN string, target *target, generation uint64) {
	defer b.workers.Done()
	for {
		b.mu.RLock()
		group := b.groups[groupARN]
		var groupConfig *targetGroupConfig
		if group != nil {
			groupConfig = group.config
		}
		host := target.host
		b.mu.RUnlock()
		if groupConfig == nil {
			return
		}
		outcome := b.probe(ctx, host, target.target, groupConfig)
		if ctx.Err() != nil {
			return
		}
		b.record(groupARN, target, generation, outcome)

		wait := time.NewTimer(groupConfig.healthCheck.Interval)
		select {
		case <-ctx.Done():
			wait.Stop()
			return
		case <-wait.C:
		}
	}
}

// probe checks a target once at host, the address its id stands for.
func (b *Balancer) probe(ctx context.Context, host string, registration Target, groupConfig *targetGroupConfig) checkOutcome {
	check := groupConfig.healthCheck
	port := registration.Port
	if check.Port != "traffic-port" {
		port, _ = strconv.Atoi(check.Port) // validated by Apply
	}
	scheme := "http://"
	if check.Protocol == "HTTPS" {
		scheme = "https://"
	}
	url := scheme + net.JoinHostPort(host, strconv.Itoa(port)) + check.Path
	ctx, cancel := context.WithTimeout(ctx, check.Timeout)
	defer cancel()
	request, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return checkOutcome{reason: ReasonFailedHealthChecks, description: "Health checks failed"}
	}
	request.Header.Set("User-Agent", "ELB-HealthChecker/2.0")
	response, err := b.healthClient.Do(request)
	if err != nil {
		var netErr net.Error
		if errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &netErr) && netErr.Timeout()) {
			return checkOutcome{reason: ReasonTimeout, description: "Request timed out"}
		}
		return checkOutcome{reason: ReasonFailedHealthChecks, description: "Health checks failed"}
	}
	// Read a little so the target sees a complete exchange; the body itself
	// does not matter to the check.
	_, _ = io.CopyN(io.Discard, response.Body, 64<<10)
	_ = response.Body.Close()
	for _, span := range groupConfig.matcher {
		if response.StatusCode >= span.low && response.StatusCode <= span.high {
			return checkOutcome{passed: true}
		}
	}
	return checkOutcome{
		reason:      ReasonResponseCodeMismatch,
		description: fmt.Sprintf("Health checks failed with these codes: [%d]", response.StatusCode),
	}
}

// record applies one check's outcome to the target's state: one pass makes
// a new target healthy; afterwards the thresholds of consecutive outcomes
// move it between healthy and unhealthy.
func (b *Balancer) record(groupARN string, target *target, generation uint64, outcome checkOutcome) {
	b.mu.Lock()
	defer b.mu.Unlock()
	group := b.groups[groupARN]
	if group == nil || group.targets[target.target] != target || target.generation != generation {
		return // deregistered meanwhile
	}
	check := group.config.healthCheck
	if outcome.passed {
		target.passes++
		target.failures = 0
	} else {
		target.failures++
		target.passes = 0
	}
	switch target.state {
	case StateInitial:
		switch {
		case outcome.passed:
			b.setState(groupARN, target, StateHealthy, "", "")
		case target.failures >= check.UnhealthyThreshold:
			b.setState(groupARN, target, StateUnhealthy, outcome.reason, outcome.description)
		default:
			b.setState(groupARN, target, StateInitial, ReasonInitialHealthChecking, "Initial health checks in progress")
		}
	case StateHealthy:
		if !outcome.passed && target.failures >= check.UnhealthyThreshold {
			b.setState(groupARN, target, StateUnhealthy, outcome.reason, outcome.description)
		}
	case StateUnhealthy:
		switch {
		case outcome.passed && target.passes >= check.HealthyThreshold:
			b.setState(groupARN, target, StateHealthy, "", "")
		case !outcome.passed:
			// Keep the latest failure's reason, as DescribeTargetHealth does.
			b.setState(groupARN, target, StateUnhealthy, outcome.reason, outcome.description)
		}
	}
}
