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
	// URL is where the service answers: HTTPS when berth.yaml sets https.
	URL string `json:"url"`
	// Domain is the certificate's domain when berth requested it: point it
	// at LoadBalancerDNS (a CNAME or an alias record) to serve it.
	Domain          string `json:"domain,omitempty"`
	CertificateARN  string `json:"certificate_arn,omitempty"`
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
		Domain:          values[AddrCertificate]["domain"],
		CertificateARN:  values[AddrCertificate]["arn"],
	}
	if arn := values[AddrGivenCertificate]["arn"]; arn != "" {
		out.CertificateARN = arn
	}
	if out.LoadBalancerDNS != "" {
		if port, _ := strconv.Atoi(values[AddrHTTPSListener]["port"]); port != 0 {
			out.URL = serviceURL("https", out.LoadBalancerDNS, port)
		} else {
			port, _ := strconv.Atoi(values[AddrListener]["port"])
			out.URL = serviceURL("http", out.LoadBalancerDNS, port)
		}
	}
	return out
}

// serviceURL is the address users open; port 0 means the scheme's default.
func serviceURL(scheme, host string, port int) string {
	if port == 0 || (scheme == "http" && port == 80) || (scheme == "https" && port == 443) {
		return scheme + "://" + host
	}
	return fmt.Sprintf("%s://%s:%d", scheme, host, port)
}

// specURL is the service's URL as berth.yaml describes it.
func specURL(s *spec.Spec, dns string) string {
	if h := s.LoadBalancer.HTTPS; h != nil {
		return serviceURL("https", dns, h.Port)
	}
	return serviceURL("http", dns, s.LoadBalancer.Port)
}
