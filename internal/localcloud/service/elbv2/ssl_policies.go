package elbv2

import (
	"context"
	"crypto/tls"
	"slices"

	"github.com/berthdev/berth/internal/localcloud/protocol"
	"github.com/berthdev/berth/internal/localcloud/protocol/query"
	"github.com/berthdev/berth/internal/localcloud/service/elbv2/wire"
)

// SSLPolicy is one of the ALB's predefined security policies: the TLS
// versions and ciphers (OpenSSL names, most preferred first) an HTTPS
// listener offers. The list follows the "Security policies for your
// Application Load Balancer" page of the ALB user guide.
type SSLPolicy struct {
	Name      string
	Protocols []string
	Ciphers   []string
}

var (
	tls13Ciphers = []string{"TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256"}
	// forwardSecret12 are the ECDHE ciphers TLS 1.2 policies share.
	forwardSecret12 = []string{"ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-RSA-AES128-GCM-SHA256", "ECDHE-ECDSA-AES128-SHA256",
		"ECDHE-RSA-AES128-SHA256", "ECDHE-ECDSA-AES256-GCM-SHA384", "ECDHE-RSA-AES256-GCM-SHA384",
		"ECDHE-ECDSA-AES256-SHA384", "ECDHE-RSA-AES256-SHA384"}
	legacyCBC = []string{"ECDHE-ECDSA-AES128-SHA", "ECDHE-RSA-AES128-SHA", "ECDHE-ECDSA-AES256-SHA", "ECDHE-RSA-AES256-SHA"}
	rsaKeyEx  = []string{"AES128-GCM-SHA256", "AES128-SHA256", "AES128-SHA", "AES256-GCM-SHA384", "AES256-SHA256", "AES256-SHA"}
)

func concat(lists ...[]string) []string { return slices.Concat(lists...) }

// sslPolicies are the predefined policies, newest and recommended first.
var sslPolicies = []SSLPolicy{
	{Name: "ELBSecurityPolicy-TLS13-1-2-2021-06", Protocols: []string{"TLSv1.2", "TLSv1.3"},
		Ciphers: concat(tls13Ciphers, forwardSecret12, legacyCBC, rsaKeyEx)},
	{Name: "ELBSecurityPolicy-TLS13-1-2-Res-2021-06", Protocols: []string{"TLSv1.2", "TLSv1.3"},
		Ciphers: concat(tls13Ciphers, []string{"ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-RSA-AES128-GCM-SHA256",
			"ECDHE-ECDSA-AES256-GCM-SHA384", "ECDHE-RSA-AES256-GCM-SHA384"})},
	{Name: "ELBSecurityPolicy-TLS13-1-3-2021-06", Protocols: []string{"TLSv1.3"}, Ciphers: tls13Ciphers},
	{Name: "ELBSecurityPolicy-TLS13-1-2-Ext1-2021-06", Protocols: []string{"TLSv1.2", "TLSv1.3"},
		Ciphers: concat(tls13Ciphers, forwardSecret12, legacyCBC)},
	{Name: "ELBSecurityPolicy-TLS13-1-1-2021-06", Protocols: []string{"TLSv1.1", "TLSv1.2", "TLSv1.3"},
		Ciphers: concat(tls13Ciphers, forwardSecret12, legacyCBC, rsaKeyEx)},
	{Name: "ELBSecurityPolicy-TLS13-1-0-2021-06", Protocols: []string{"TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"},
		Ciphers: concat(tls13Ciphers, forwardSecret12, legacyCBC, rsaKeyEx)},
	{Name: "ELBSecurityPolicy-2016-08", Protocols: []string{"TLSv1", "TLSv1.1", "TLSv1.2"},
		Ciphers: concat(forwardSecret12, legacyCBC, rsaKeyEx)},
	{Name: "ELBSecurityPolicy-TLS-1-2-2017-01", Protocols: []string{"TLSv1.2"},
		Ciphers: concat(forwardSecret12, []string{"AES128-GCM-SHA256", "AES128-SHA256", "AES256-GCM-SHA384", "AES256-SHA256"})},
	{Name: "ELBSecurityPolicy-TLS-1-2-Ext-2018-06", Protocols: []string{"TLSv1.2"},
		Ciphers: concat(forwardSecret12, legacyCBC, rsaKeyEx)},
	{Name: "ELBSecurityPolicy-FS-1-2-Res-2020-10", Protocols: []string{"TLSv1.2"},
		Ciphers: []string{"ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-RSA-AES128-GCM-SHA256", "ECDHE-ECDSA-AES256-GCM-SHA384", "ECDHE-RSA-AES256-GCM-SHA384"}},
	{Name: "ELBSecurityPolicy-FS-1-2-2019-08", Protocols: []string{"TLSv1.2"}, Ciphers: concat(forwardSecret12, legacyCBC)},
	{Name: "ELBSecurityPolicy-TLS-1-1-2017-01", Protocols: []string{"TLSv1.1", "TLSv1.2"}, Ciphers: concat(forwardSecret12, legacyCBC, rsaKeyEx)},
}

// LookupSSLPolicy returns the predefined policy of that name; the load
// balancer's TLS termination takes its versions and ciphers from it.
func LookupSSLPolicy(name string) (SSLPolicy, bool) {
	for _, p := range sslPolicies {
		if p.Name == name {
			return p, true
		}
	}
	return SSLPolicy{}, false
}

// TLSVersions is the policy's lowest and highest TLS version.
func (p SSLPolicy) TLSVersions() (lowest, highest uint16) {
	byName := map[string]uint16{"TLSv1": tls.VersionTLS10, "TLSv1.1": tls.VersionTLS11, "TLSv1.2": tls.VersionTLS12, "TLSv1.3": tls.VersionTLS13}
	for _, name := range p.Protocols {
		v := byName[name]
		if lowest == 0 || v < lowest {
			lowest = v
		}
		if v > highest {
			highest = v
		}
	}
	return lowest, highest
}

// CipherSuites are the policy's TLS 1.0–1.2 ciphers that Go implements, as
// crypto/tls ids in the policy's order (TLS 1.3 suites are not
// configurable in Go, and all three are in every TLS 1.3 policy).
func (p SSLPolicy) CipherSuites() []uint16 {
	var out []uint16
	for _, name := range p.Ciphers {
		if id, ok := goCipher[name]; ok {
			out = append(out, id)
		}
	}
	return out
}

var goCipher = map[string]uint16{
	"ECDHE-ECDSA-AES128-GCM-SHA256": tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
	"ECDHE-RSA-AES128-GCM-SHA256":   tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
	"ECDHE-ECDSA-AES128-SHA256":     tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256,
	"ECDHE-RSA-AES128-SHA256":       tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256,
	"ECDHE-ECDSA-AES256-GCM-SHA384": tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
	"ECDHE-RSA-AES256-GCM-SHA384":   tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
	"ECDHE-ECDSA-AES128-SHA":        tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA,
	"ECDHE-RSA-AES128-SHA":          tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA,
	"ECDHE-ECDSA-AES256-SHA":        tls.TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA,
	"ECDHE-RSA-AES256-SHA":          tls.TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA,
	"AES128-GCM-SHA256":             tls.TLS_RSA_WITH_AES_128_GCM_SHA256,
	"AES128-SHA256":                 tls.TLS_RSA_WITH_AES_128_CBC_SHA256,
	"AES128-SHA":                    tls.TLS_RSA_WITH_AES_128_CBC_SHA,
	"AES256-GCM-SHA384":             tls.TLS_RSA_WITH_AES_256_GCM_SHA384,
	"AES256-SHA":                    tls.TLS_RSA_WITH_AES_256_CBC_SHA,
}

func checkSSLPolicy(name string) error {
	if _, ok := LookupSSLPolicy(name); !ok {
		return protocol.Errorf(codeSSLPolicyNotFound, "SSL policy '%s' not found", name)
	}
	return nil
}

// ---- DescribeSSLPolicies ----

func (b *Backend) handleDescribeSSLPolicies(_ context.Context, in *wire.DescribeSSLPoliciesInput) (*wire.DescribeSSLPoliciesOutput, error) {
	var chosen []SSLPolicy
	for _, name := range in.Names {
		p, ok := LookupSSLPolicy(name)
		if !ok {
			return nil, protocol.Errorf(codeSSLPolicyNotFound, "One or more SSL policies not found")
		}
		chosen = append(chosen, p)
	}
	if len(in.Names) == 0 {
		chosen = slices.Clone(sslPolicies)
	}
	if in.LoadBalancerType == "network" || in.LoadBalancerType == "gateway" {
		chosen = nil // only Application Load Balancers are served here
	}
	page, next, err := paginate(chosen, in.Marker, in.PageSize)
	if err != nil {
		return nil, err
	}
	out := &wire.DescribeSSLPoliciesOutput{SslPolicies: query.List[wire.SslPolicy]{}, NextMarker: next}
	for _, p := range page {
		x := wire.SslPolicy{Name: p.Name, SslProtocols: query.List[string](slices.Clone(p.Protocols)), SupportedLoadBalancerTypes: query.List[string]{"application", "network"}}
		if x.SslProtocols == nil {
			x.SslProtocols = query.List[string]{}
		}
		x.Ciphers = query.List[wire.Cipher]{}
		for i, c := range p.Ciphers {
			x.Ciphers = append(x.Ciphers, wire.Cipher{Name: c, Priority: ptr(i + 1)})
		}
		out.SslPolicies = append(out.SslPolicies, x)
	}
	return out, nil
}

// ---- DescribeAccountLimits ----

// accountLimits are AWS's default Elastic Load Balancing quotas for
// Application Load Balancers (the quotas page of the ALB user guide).
var accountLimits = []struct{ name, max string }{
	{"application-load-balancers", "50"},
	{"target-groups", "3000"},
	{"targets-per-application-load-balancer", "1000"},
	{"listeners-per-application-load-balancer", "50"},
	{"rules-per-application-load-balancer", "100"},
	{"condition-values-per-alb-rule", "5"},
	{"condition-wildcards-per-alb-rule", "5"},
	{"target-groups-per-application-load-balancer", "100"},
	{"target-groups-per-action-on-application-load-balancer", "5"},
	{"certificates-per-application-load-balancer", "25"},
	{"network-load-balancers", "50"},
	{"targets-per-availability-zone-per-network-load-balancer", "500"},
	{"listeners-per-network-load-balancer", "50"},
	{"gateway-load-balancers", "100"},
}

func (b *Backend) handleDescribeAccountLimits(_ context.Context, in *wire.DescribeAccountLimitsInput) (*wire.DescribeAccountLimitsOutput, error) {
	all := make([]wire.Limit, len(accountLimits))
	for i, l := range accountLimits {
		all[i] = wire.Limit{Name: l.name, Max: l.max}
	}
	page, next, err := paginate(all, in.Marker, in.PageSize)
	if err != nil {
		return nil, err
	}
	return &wire.DescribeAccountLimitsOutput{Limits: append(query.List[wire.Limit]{}, page...), NextMarker: next}, nil
}
