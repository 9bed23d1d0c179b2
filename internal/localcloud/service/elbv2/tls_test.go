package elbv2_test

import (
	"crypto/tls"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"

	"github.com/berthdev/berth/internal/localcloud/localcloudtest"
	"github.com/berthdev/berth/internal/localcloud/service/elbv2"
)

func TestSSLPoliciesAccountLimitsAndListenerCertificates(t *testing.T) {
	f := start(t)

	policies, err := f.client.DescribeSSLPolicies(ctx, &elb.DescribeSSLPoliciesInput{Names: []string{"ELBSecurityPolicy-TLS13-1-2-2021-06"}})
	localcloudtest.WantCode(t, err, "")
	p := policies.SslPolicies[0]
	if !slices.Equal(p.SslProtocols, []string{"TLSv1.2", "TLSv1.3"}) || *p.Ciphers[0].Name != "TLS_AES_128_GCM_SHA256" || *p.Ciphers[0].Priority != 1 {
		t.Errorf("policy %+v", p)
	}
	all, err := f.client.DescribeSSLPolicies(ctx, &elb.DescribeSSLPoliciesInput{})
	localcloudtest.WantCode(t, err, "")
	if len(all.SslPolicies) < 10 {
		t.Errorf("%d predefined policies listed", len(all.SslPolicies))
	}
	_, err = f.client.DescribeSSLPolicies(ctx, &elb.DescribeSSLPoliciesInput{Names: []string{"ELBSecurityPolicy-1999"}})
	localcloudtest.WantCode(t, err, "SSLPolicyNotFound")

	low, high := mustPolicy(t, "ELBSecurityPolicy-TLS13-1-2-2021-06").TLSVersions()
	if low != tls.VersionTLS12 || high != tls.VersionTLS13 {
		t.Errorf("TLS13-1-2 versions %x..%x", low, high)
	}
	if suites := mustPolicy(t, "ELBSecurityPolicy-FS-1-2-Res-2020-10").CipherSuites(); len(suites) != 4 || suites[0] != tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 {
		t.Errorf("FS-1-2-Res suites %x", suites)
	}

	limits, err := f.client.DescribeAccountLimits(ctx, &elb.DescribeAccountLimitsInput{PageSize: aws.Int32(2)})
	localcloudtest.WantCode(t, err, "")
	if len(limits.Limits) != 2 || *limits.Limits[0].Name != "application-load-balancers" || limits.NextMarker == nil {
		t.Errorf("first page of limits %+v", limits)
	}

	lb := createLB(t, f, "tls")
	tg := createTG(t, f, "tls")
	const defaultCert, sniCert = "arn:aws:acm:us-east-1:000000000000:certificate/default", "arn:aws:acm:us-east-1:000000000000:certificate/sni"
	_, err = f.client.CreateListener(ctx, &elb.CreateListenerInput{LoadBalancerArn: lb.LoadBalancerArn, Protocol: types.ProtocolEnumHttps,
		Port: aws.Int32(443), SslPolicy: aws.String("ELBSecurityPolicy-1999"), Certificates: []types.Certificate{{CertificateArn: aws.String(defaultCert)}},
		DefaultActions: forward(*tg.TargetGroupArn)})
	localcloudtest.WantCode(t, err, "SSLPolicyNotFound")
	created, err := f.client.CreateListener(ctx, &elb.CreateListenerInput{LoadBalancerArn: lb.LoadBalancerArn, Protocol: types.ProtocolEnumHttps,
		Port: aws.Int32(443), Certificates: []types.Certificate{{CertificateArn: aws.String(defaultCert)}}, DefaultActions: forward(*tg.TargetGroupArn)})
	localcloudtest.WantCode(t, err, "")
	listener := created.Listeners[0].ListenerArn

	added, err := f.client.AddListenerCertificates(ctx, &elb.AddListenerCertificatesInput{ListenerArn: listener,
		Certificates: []types.Certificate{{CertificateArn: aws.String(sniCert)}}})
	localcloudtest.WantCode(t, err, "")
	if len(added.Certificates) != 1 || *added.Certificates[0].CertificateArn != sniCert || *added.Certificates[0].IsDefault {
		t.Errorf("added %+v", added.Certificates)
	}
	listed, err := f.client.DescribeListenerCertificates(ctx, &elb.DescribeListenerCertificatesInput{ListenerArn: listener})
	localcloudtest.WantCode(t, err, "")
	if len(listed.Certificates) != 2 || !*listed.Certificates[0].IsDefault || *listed.Certificates[1].CertificateArn != sniCert {
		t.Errorf("listed %+v", listed.Certificates)
	}
	_, err = f.client.RemoveListenerCertificates(ctx, &elb.RemoveListenerCertificatesInput{ListenerArn: listener,
		Certificates: []types.Certificate{{CertificateArn: aws.String(defaultCert)}}})
	localcloudtest.WantCode(t, err, "OperationNotPermitted")
	_, err = f.client.RemoveListenerCertificates(ctx, &elb.RemoveListenerCertificatesInput{ListenerArn: listener,
		Certificates: []types.Certificate{{CertificateArn: aws.String(sniCert)}}})
	localcloudtest.WantCode(t, err, "")
	listed, err = f.client.DescribeListenerCertificates(ctx, &elb.DescribeListenerCertificatesInput{ListenerArn: listener})
	localcloudtest.WantCode(t, err, "")
	if len(listed.Certificates) != 1 {
		t.Errorf("after removal %+v", listed.Certificates)
	}
}

func mustPolicy(t *testing.T, name string) elbv2.SSLPolicy {
	t.Helper()
	p, ok := elbv2.LookupSSLPolicy(name)
	if !ok {
		t.Fatalf("no policy %s", name)
	}
	return p
}
