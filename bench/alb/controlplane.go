package main

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
)

// readCall is one call of the control-plane read mix.
type readCall struct {
	name string
	call func(ctx context.Context, c *clients, s *stack) error
}

// readMix is what a deployer's observe step and `aws ... describe-*` calls
// send most: one read per service, each naming a resource of the stack.
var readMix = []readCall{
	{"ECS DescribeClusters", func(ctx context.Context, c *clients, s *stack) error {
		out, err := c.ecs.DescribeClusters(ctx, &ecs.DescribeClustersInput{Clusters: []string{s.cluster}})
		if err == nil && len(out.Clusters) != 1 {
			err = fmt.Errorf("%d clusters", len(out.Clusters))
		}
		return err
	}},
	{"EC2 DescribeSecurityGroups", func(ctx context.Context, c *clients, s *stack) error {
		out, err := c.ec2.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{GroupIds: []string{s.securityGroupID}})
		if err == nil && len(out.SecurityGroups) != 1 {
			err = fmt.Errorf("%d security groups", len(out.SecurityGroups))
		}
		return err
	}},
	{"ELBv2 DescribeTargetGroups", func(ctx context.Context, c *clients, s *stack) error {
		out, err := c.elbv2.DescribeTargetGroups(ctx, &elb.DescribeTargetGroupsInput{TargetGroupArns: []string{s.targetGroupARN}})
		if err == nil && len(out.TargetGroups) != 1 {
			err = fmt.Errorf("%d target groups", len(out.TargetGroups))
		}
		return err
	}},
}

// mixRun is what one read-mix run measured, per call and in all.
type mixRun struct {
	perCall map[string]latencies
	all     latencies
	elapsed time.Duration
	errors  int
	first   error
	// serverCPU is the CPU time the server spent per call.
	serverCPU time.Duration
}

type latencies []time.Duration

func (l latencies) percentile(p float64) time.Duration {
	if len(l) == 0 {
		return 0
	}
	sorted := slices.Clone(l)
	slices.Sort(sorted)
	return sorted[min(len(sorted)-1, int(p*float64(len(sorted))))]
}

// runReadMix has workers send the mix round robin until the duration is
// over, each waiting for its answer before the next call (closed loop).
func runReadMix(ctx context.Context, c *clients, s *stack, workers int, duration time.Duration) mixRun {
	run := mixRun{perCall: map[string]latencies{}}
	var mu sync.Mutex
	var wg sync.WaitGroup
	start := time.Now()
	deadline := start.Add(duration)
	for worker := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			mine := map[string]latencies{}
			var failed int
			var first error
			for i := worker; time.Now().Before(deadline); i++ {
				call := readMix[i%len(readMix)]
				began := time.Now()
				err := call.call(ctx, c, s)
				took := time.Since(began)
				if err != nil {
					failed++
					if first == nil {
						first = fmt.Errorf("%s: %w", call.name, err)
					}
					continue
				}
				mine[call.name] = append(mine[call.name], took)
			}
			mu.Lock()
			defer mu.Unlock()
			for name, took := range mine {
				run.perCall[name] = append(run.perCall[name], took...)
				run.all = append(run.all, took...)
			}
			run.errors += failed
			if run.first == nil {
				run.first = first
			}
		}()
	}
	wg.Wait()
	run.elapsed = time.Since(start)
	return run
}

func (r mixRun) rate(l latencies) float64 { return float64(len(l)) / r.elapsed.Seconds() }

// warmUp sends each call of the mix once, so connection setup and first-use
// costs stay out of the measurement, and a broken stack fails early.
func warmUp(ctx context.Context, c *clients, s *stack) error {
	for _, call := range readMix {
		if err := call.call(ctx, c, s); err != nil {
			return fmt.Errorf("%s: %w", call.name, err)
		}
	}
	return nil
}
