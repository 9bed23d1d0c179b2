package stack

import (
	"context"
	"fmt"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/berthdev/berth/internal/engine"
	"github.com/berthdev/berth/internal/spec"
)

// Outputs are what a user needs after a deploy.
type Outputs struct {
	URL             string `json:"url"`
	LoadBalancerDNS string `json:"load_balancer_dns"`
	ClusterName     string `json:"cluster_name"`
	ServiceName     string `json:"service_name"`
	TargetGroupARN  string `json:"target_group_arn"`
	LogGroup        string `json:"log_group"`
}

// Plan observes the stack named in s and returns what Apply would change.
func Plan(ctx context.Context, cfg aws.Config, s *spec.Spec) (*engine.Plan, error) {
	resources, err := Build(s)
	if err != nil {
		return nil, err
	}
	p, err := engine.NewPlan(ctx, engine.NewClients(cfg), resources)
	if err != nil {
		return nil, fmt.Errorf("plan %s: %w", s.Name, err)
	}
	return p, nil
}

// PlanDestroy observes the stack and plans the deletion of everything of it
// that exists, dependents first.
func PlanDestroy(ctx context.Context, cfg aws.Config, s *spec.Spec) (*engine.Plan, error) {
	resources, err := Build(s)
	if err != nil {
		return nil, err
	}
	p, err := engine.NewDestroyPlan(ctx, engine.NewClients(cfg), resources)
	if err != nil {
		return nil, fmt.Errorf("plan destroy of %s: %w", s.Name, err)
	}
	return p, nil
}

// Apply carries out a plan from Plan or PlanDestroy. For a deploy it
// returns the stack's outputs; for a destroy the outputs are empty. It does
// not wait for the service to be healthy: that is WaitHealthy's job.
func Apply(ctx context.Context, cfg aws.Config, p *engine.Plan, opts engine.ApplyOptions) (*Outputs, error) {
	values, err := engine.Apply(ctx, engine.NewClients(cfg), p, opts)
	return outputsFrom(values), err
}

func outputsFrom(values map[engine.Addr]engine.Outputs) *Outputs {
	out := &Outputs{
		LoadBalancerDNS: values[AddrLoadBalancer]["dns_name"],
		ClusterName:     values[AddrCluster]["name"],
		ServiceName:     values[AddrService]["name"],
		TargetGroupARN:  values[AddrTargetGroup]["arn"],
		LogGroup:        values[AddrLogGroup]["name"],
	}
	if out.LoadBalancerDNS != "" {
		port, _ := strconv.Atoi(values[AddrListener]["port"])
		out.URL = serviceURL(out.LoadBalancerDNS, port)
	}
	return out
}

// serviceURL is the address users open; port 0 means the default, 80.
func serviceURL(dns string, port int) string {
	if port == 0 || port == 80 {
		return "http://" + dns
	}
	return fmt.Sprintf("http://%s:%d", dns, port)
}
