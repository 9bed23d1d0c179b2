package lb_test

import (
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"net"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/acm"
	acmtypes "github.com/aws/aws-sdk-go-v2/service/acm/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"

	"github.com/berthdev/berth/internal/localcloud/localcloudtest"
)

// A listener with an RSA and an ECDSA certificate for the same name, made
// through the SDK in eu-west-1, serves each client the best one it
// supports, as the ALB's certificate list does: ECDSA to a client that
// takes both, RSA to one that offers RSA only (TLS 1.2 with RSA cipher
// suites from Go, whose client cannot narrow its signature schemes; TLS
// 1.3 with RSA signature algorithms only from OpenSSL).
func TestListenerPrefersECDSAToClientsThatSupportIt(t *testing.T) {
	backend := httptest.NewServer(backendServer("selected"))
	defer backend.Close()
	cloud := localcloudtest.Start(t)
	cfg := cloud.ConfigIn("eu-west-1")
	f := &httpsFixture{cloud: cloud, acm: acm.NewFromConfig(cfg), elb: elb.NewFromConfig(cfg), roots: x509.NewCertPool()}
	if !f.roots.AppendCertsFromPEM(cloud.ACM.RootCAPEM()) {
		t.Fatal("the local CA's root does not parse")
	}
	const domain = "orders.example.org"
	rsaCertificate := f.requestCertificateWithKey(t, domain, acmtypes.KeyAlgorithmRsa2048)
	ecdsaCertificate := f.requestCertificateWithKey(t, domain, acmtypes.KeyAlgorithmEcPrime256v1)
	for arn, want := range map[string]string{rsaCertificate: "RSA-2048", ecdsaCertificate: "EC-prime256v1"} {
		described := must(f.acm.DescribeCertificate(ctx, &acm.DescribeCertificateInput{CertificateArn: aws.String(arn)}))(t)
		if got := string(described.Certificate.KeyAlgorithm); got != want || !strings.Contains(arn, ":eu-west-1:") {
			t.Fatalf("%s: key %s, want %s", arn, got, want)
		}
	}

	ec2Client := ec2.NewFromConfig(cfg)
	vpc := must(ec2Client.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String("10.40.0.0/16")}))(t).Vpc
	f.vpc = aws.ToString(vpc.VpcId)
	var subnets []string
	for i, zone := range []string{"eu-west-1a", "eu-west-1b"} {
		subnet := must(ec2Client.CreateSubnet(ctx, &ec2.CreateSubnetInput{VpcId: vpc.VpcId,
			CidrBlock: aws.String([]string{"10.40.1.0/24", "10.40.2.0/24"}[i]), AvailabilityZone: aws.String(zone)}))(t).Subnet
		subnets = append(subnets, aws.ToString(subnet.SubnetId))
	}
	group := must(ec2Client.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{
		GroupName: aws.String("orders-https"), Description: aws.String("HTTPS from anywhere"), VpcId: vpc.VpcId}))(t).GroupId
	must(ec2Client.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{GroupId: group,
		IpProtocol: aws.String("tcp"), FromPort: aws.Int32(8443), ToPort: aws.Int32(8443), CidrIp: aws.String("0.0.0.0/0")}))(t)
	balancer := must(f.elb.CreateLoadBalancer(ctx, &elb.CreateLoadBalancerInput{Name: aws.String("orders"), Subnets: subnets,
		SecurityGroups: []string{aws.ToString(group)}}))(t).LoadBalancers[0]
	targets := f.targetGroup(t, "orders", elbtypes.ProtocolEnumHttp, backend.Listener.Addr().String())
	// The RSA certificate is the default, so a choice of ECDSA is the
	// selection's, not the list's order.
	listener := aws.ToString(must(f.elb.CreateListener(ctx, &elb.CreateListenerInput{
		LoadBalancerArn: balancer.LoadBalancerArn, Protocol: elbtypes.ProtocolEnumHttps, Port: aws.Int32(8443),
		SslPolicy:      aws.String("ELBSecurityPolicy-TLS13-1-2-2021-06"),
		Certificates:   []elbtypes.Certificate{{CertificateArn: aws.String(rsaCertificate)}},
		DefaultActions: []elbtypes.Action{{Type: elbtypes.ActionTypeEnumForward, TargetGroupArn: aws.String(targets)}},
	}))(t).Listeners[0].ListenerArn)
	must(f.elb.AddListenerCertificates(ctx, &elb.AddListenerCertificatesInput{ListenerArn: aws.String(listener),
		Certificates: []elbtypes.Certificate{{CertificateArn: aws.String(ecdsaCertificate)}}}))(t)
	localcloudtest.Eventually(t, "the listener to listen", func() bool {
		f.httpsAddress = f.listenerAddress(t, listener)
		return f.httpsAddress != ""
	})

	servedKey := func(config *tls.Config) (any, error) {
		config.ServerName, config.RootCAs = domain, f.roots
		conn, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", f.httpsAddress, config)
		if err != nil {
			return nil, err
		}
		defer conn.Close()
		return conn.ConnectionState().PeerCertificates[0].PublicKey, nil
	}
	// Both certificates are the listener's once the added one reached the
	// data plane: a client that takes ECDSA then gets it.
	localcloudtest.Eventually(t, "the ECDSA certificate to be served", func() bool {
		key, err := servedKey(&tls.Config{})
		_, isECDSA := key.(*ecdsa.PublicKey)
		return err == nil && isECDSA
	})
	for _, tt := range []struct {
		name   string
		config *tls.Config
		rsa    bool
	}{
		{"TLS 1.3, every signature scheme", &tls.Config{MinVersion: tls.VersionTLS13}, false},
		{"TLS 1.2, ECDSA and RSA suites", &tls.Config{MaxVersion: tls.VersionTLS12,
			CipherSuites: []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256}}, false},
		{"TLS 1.2, RSA suites only", &tls.Config{MaxVersion: tls.VersionTLS12,
			CipherSuites: []uint16{tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384}}, true},
		{"TLS 1.2, ECDSA suites only", &tls.Config{MaxVersion: tls.VersionTLS12,
			CipherSuites: []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256}}, false},
	} {
		key, err := servedKey(tt.config)
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		if _, isRSA := key.(*rsa.PublicKey); isRSA != tt.rsa {
			t.Errorf("%s: served a %T key, want RSA %v", tt.name, key, tt.rsa)
		}
	}

	// OpenSSL can offer TLS 1.3 signature algorithms of RSA only, which
	// Go's client cannot.
	openssl, err := exec.LookPath("openssl")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("openssl is needed: %v", err)
		}
		t.Logf("openssl is not installed; its TLS 1.3 check is left out: %v", err)
		return
	}
	rootFile := filepath.Join(t.TempDir(), "root.pem")
	if err := os.WriteFile(rootFile, cloud.ACM.RootCAPEM(), 0o600); err != nil {
		t.Fatal(err)
	}
	for sigalgs, want := range map[string]string{
		"rsa_pss_rsae_sha256:rsa_pkcs1_sha256":                        "rsa",
		"ecdsa_secp256r1_sha256:rsa_pss_rsae_sha256:rsa_pkcs1_sha256": "ecdsa",
	} {
		out, err := exec.CommandContext(ctx, openssl, "s_client", "-connect", f.httpsAddress, "-servername", domain,
			"-tls1_3", "-sigalgs", sigalgs, "-CAfile", rootFile, "-verify_return_error", "-brief").CombinedOutput()
		if err != nil {
			t.Fatalf("openssl s_client -sigalgs %s: %v\n%s", sigalgs, err, out)
		}
		signature := ""
		for line := range strings.Lines(string(out)) {
			if key, value, ok := strings.Cut(strings.TrimSpace(line), ":"); ok && strings.HasSuffix(strings.ToLower(key), "signature type") {
				signature = strings.ToLower(strings.TrimSpace(value))
			}
		}
		if !strings.HasPrefix(signature, want) {
			t.Errorf("openssl -sigalgs %s: signature type %q, want %s:\n%s", sigalgs, signature, want, out)
		}
	}
}

// requestCertificateWithKey asks ACM for a certificate with the given key
// and waits, with the SDK's waiter, until it is issued.
func (f *httpsFixture) requestCertificateWithKey(t *testing.T, domain string, key acmtypes.KeyAlgorithm) string {
	t.Helper()
	arn := aws.ToString(must(f.acm.RequestCertificate(ctx, &acm.RequestCertificateInput{DomainName: aws.String(domain),
		ValidationMethod: acmtypes.ValidationMethodDns, KeyAlgorithm: key}))(t).CertificateArn)
	waiter := acm.NewCertificateValidatedWaiter(f.acm, func(o *acm.CertificateValidatedWaiterOptions) { o.MinDelay, o.MaxDelay = time.Second, time.Second })
	if err := waiter.Wait(ctx, &acm.DescribeCertificateInput{CertificateArn: aws.String(arn)}, 2*time.Minute); err != nil {
		t.Fatalf("waiting for %s to be issued: %v", domain, err)
	}
	return arn
}
