package lb_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/acm"
	acmtypes "github.com/aws/aws-sdk-go-v2/service/acm/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"

	"github.com/berthdev/berth/internal/localcloud"
	"github.com/berthdev/berth/internal/localcloud/localcloudtest"
)

// httpsFixture is a local cloud with an ALB whose HTTPS listener serves an
// ACM certificate and whose HTTP listener redirects to it, made through
// the SDK as a deployer would.
type httpsFixture struct {
	cloud *localcloudtest.Cloud
	acm   *acm.Client
	elb   *elb.Client
	roots *x509.CertPool

	loadBalancer, httpsListener, httpListener string
	defaultCertificate                        string
	vpc                                       string
	// httpsAddress and httpAddress are where the listeners really listen.
	httpsAddress, httpAddress string
}

var ctx = context.Background()

func must[T any](value T, err error) func(t *testing.T) T {
	return func(t *testing.T) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return value
	}
}

// requestCertificate asks ACM for a certificate and waits, with the SDK's
// waiter, until it is issued.
func (f *httpsFixture) requestCertificate(t *testing.T, domain string, alternatives ...string) string {
	t.Helper()
	in := &acm.RequestCertificateInput{DomainName: aws.String(domain), ValidationMethod: acmtypes.ValidationMethodDns}
	if len(alternatives) > 0 {
		in.SubjectAlternativeNames = append([]string{domain}, alternatives...)
	}
	arn := aws.ToString(must(f.acm.RequestCertificate(ctx, in))(t).CertificateArn)
	waiter := acm.NewCertificateValidatedWaiter(f.acm, func(o *acm.CertificateValidatedWaiterOptions) { o.MinDelay, o.MaxDelay = time.Second, time.Second })
	if err := waiter.Wait(ctx, &acm.DescribeCertificateInput{CertificateArn: aws.String(arn)}, 2*time.Minute); err != nil {
		t.Fatalf("waiting for %s to be issued: %v", domain, err)
	}
	return arn
}

func startHTTPS(t *testing.T, backend string) *httpsFixture {
	t.Helper()
	// Metrics every second rather than every minute, so a test sees them.
	cloud := localcloudtest.StartWithOptions(t, localcloud.Options{TimeScale: 60})
	f := &httpsFixture{cloud: cloud, acm: acm.NewFromConfig(cloud.Config), elb: elb.NewFromConfig(cloud.Config), roots: x509.NewCertPool()}
	if !f.roots.AppendCertsFromPEM(cloud.ACM.RootCAPEM()) {
		t.Fatal("the local CA's root does not parse")
	}
	ec2Client := ec2.NewFromConfig(cloud.Config)
	vpc := must(ec2Client.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String("10.0.0.0/16")}))(t).Vpc
	f.vpc = aws.ToString(vpc.VpcId)
	var subnets []string
	for i, zone := range []string{"us-east-1a", "us-east-1b"} {
		subnet := must(ec2Client.CreateSubnet(ctx, &ec2.CreateSubnetInput{VpcId: vpc.VpcId,
			CidrBlock: aws.String([]string{"10.0.1.0/24", "10.0.2.0/24"}[i]), AvailabilityZone: aws.String(zone)}))(t).Subnet
		subnets = append(subnets, aws.ToString(subnet.SubnetId))
	}
	certificate := f.requestCertificate(t, "app.example.test")
	f.defaultCertificate = certificate

	balancer := must(f.elb.CreateLoadBalancer(ctx, &elb.CreateLoadBalancerInput{Name: aws.String("web"), Subnets: subnets,
		SecurityGroups: []string{cloud.ListenerGroup(t, f.vpc, 80, 443)}}))(t).LoadBalancers[0]
	f.loadBalancer = aws.ToString(balancer.LoadBalancerArn)
	group := f.targetGroup(t, "web", elbtypes.ProtocolEnumHttp, backend)
	f.httpsListener = aws.ToString(must(f.elb.CreateListener(ctx, &elb.CreateListenerInput{
		LoadBalancerArn: balancer.LoadBalancerArn, Protocol: elbtypes.ProtocolEnumHttps, Port: aws.Int32(443),
		SslPolicy:      aws.String("ELBSecurityPolicy-TLS13-1-2-2021-06"),
		Certificates:   []elbtypes.Certificate{{CertificateArn: aws.String(certificate)}},
		DefaultActions: []elbtypes.Action{{Type: elbtypes.ActionTypeEnumForward, TargetGroupArn: aws.String(group)}},
	}))(t).Listeners[0].ListenerArn)
	f.httpListener = aws.ToString(must(f.elb.CreateListener(ctx, &elb.CreateListenerInput{
		LoadBalancerArn: balancer.LoadBalancerArn, Protocol: elbtypes.ProtocolEnumHttp, Port: aws.Int32(80),
		DefaultActions: []elbtypes.Action{{Type: elbtypes.ActionTypeEnumRedirect, RedirectConfig: &elbtypes.RedirectActionConfig{
			Protocol: aws.String("HTTPS"), Port: aws.String("443"), StatusCode: elbtypes.RedirectActionStatusCodeEnumHttp301}}},
	}))(t).Listeners[0].ListenerArn)

	f.waitHealthy(t, group)
	localcloudtest.Eventually(t, "both listeners to listen", func() bool {
		f.httpsAddress, f.httpAddress = f.listenerAddress(t, f.httpsListener), f.listenerAddress(t, f.httpListener)
		return f.httpsAddress != "" && f.httpAddress != ""
	})
	return f
}

// targetGroup creates a target group of IP targets with quick health
// checks and registers the server at address in it.
func (f *httpsFixture) targetGroup(t *testing.T, name string, protocol elbtypes.ProtocolEnum, address string) string {
	t.Helper()
	host, port, err := net.SplitHostPort(address)
	if err != nil {
		t.Fatal(err)
	}
	portNumber := must(net.LookupPort("tcp", port))(t)
	group := must(f.elb.CreateTargetGroup(ctx, &elb.CreateTargetGroupInput{
		Name: aws.String(name), Protocol: protocol, Port: aws.Int32(int32(portNumber)), VpcId: aws.String(f.vpc),
		TargetType: elbtypes.TargetTypeEnumIp, HealthCheckProtocol: protocol, HealthCheckPath: aws.String("/health"),
		HealthCheckIntervalSeconds: aws.Int32(5), HealthCheckTimeoutSeconds: aws.Int32(2), HealthyThresholdCount: aws.Int32(2),
	}))(t).TargetGroups[0].TargetGroupArn
	must(f.elb.RegisterTargets(ctx, &elb.RegisterTargetsInput{TargetGroupArn: group,
		Targets: []elbtypes.TargetDescription{{Id: aws.String(host), Port: aws.Int32(int32(portNumber))}}}))(t)
	return aws.ToString(group)
}

// waitHealthy waits for a group's target to pass its health checks, which
// start once a listener forwards to the group.
func (f *httpsFixture) waitHealthy(t *testing.T, group string) {
	t.Helper()
	localcloudtest.Eventually(t, group+"'s target to be healthy", func() bool {
		health := must(f.elb.DescribeTargetHealth(ctx, &elb.DescribeTargetHealthInput{TargetGroupArn: aws.String(group)}))(t)
		return len(health.TargetHealthDescriptions) == 1 && health.TargetHealthDescriptions[0].TargetHealth.State == elbtypes.TargetHealthStateEnumHealthy
	})
}

// listenerAddress asks the cloud where a listener really listens ("" while
// it does not yet).
func (f *httpsFixture) listenerAddress(t *testing.T, listenerARN string) string {
	t.Helper()
	response := must(http.Get(f.cloud.Endpoint + "/_berth/listeners"))(t)
	defer response.Body.Close()
	var reply struct {
		Listeners []struct {
			ListenerARN string `json:"listenerArn"`
			Address     string `json:"address"`
		} `json:"listeners"`
	}
	if err := json.NewDecoder(response.Body).Decode(&reply); err != nil {
		t.Fatal(err)
	}
	for _, l := range reply.Listeners {
		if l.ListenerARN == listenerARN {
			return l.Address
		}
	}
	return ""
}

// client is an HTTPS client that trusts the local CA and reaches the
// listener whatever host the URL names.
func (f *httpsFixture) client(configure func(*tls.Config, *http.Transport)) *http.Client {
	tlsConfig := &tls.Config{RootCAs: f.roots}
	transport := &http.Transport{
		TLSClientConfig: tlsConfig,
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, network, f.httpsAddress)
		},
	}
	if configure != nil {
		configure(tlsConfig, transport)
	}
	return &http.Client{
		Transport:     transport,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

func fetch(t *testing.T, client *http.Client, url string) (*http.Response, string) {
	t.Helper()
	response, err := client.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer response.Body.Close()
	body := must(io.ReadAll(response.Body))(t)
	return response, string(body)
}

// backendServer answers with its name and what it saw of the request.
func backendServer(name string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/health" {
			return
		}
		w.Header().Set("X-Backend", name)
		_, _ = io.WriteString(w, name+" "+r.Header.Get("X-Forwarded-Proto")+" "+r.Proto)
		if r.TLS != nil {
			_, _ = io.WriteString(w, " tls")
		}
	}
}

func TestHTTPSListenerTerminatesTLSWithACMCertificates(t *testing.T) {
	backend := httptest.NewServer(backendServer("plain"))
	defer backend.Close()
	f := startHTTPS(t, backend.Listener.Addr().String())

	// Port 80 answers as the ALB does: 301 to https, the port named.
	plain := &http.Client{
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Transport: &http.Transport{DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, network, f.httpAddress)
		}},
	}
	response, body := fetch(t, plain, "http://app.example.test/docs?x=1")
	if response.StatusCode != http.StatusMovedPermanently || response.Header.Get("Location") != "https://app.example.test:443/docs?x=1" ||
		response.Header.Get("Server") != "awselb/2.0" || !strings.Contains(body, "<h1>301 Moved Permanently</h1>") || len(body) != 134 {
		t.Errorf("port 80: %s Location %q Server %q body %q", response.Status, response.Header.Get("Location"), response.Header.Get("Server"), body)
	}

	// HTTPS serves the backend over HTTP/1.1 with the ACM certificate, whose
	// chain verifies against the local CA's root (the client checks it).
	http1 := f.client(nil)
	response, body = fetch(t, http1, "https://app.example.test/")
	if response.StatusCode != http.StatusOK || body != "plain https HTTP/1.1" || response.Proto != "HTTP/1.1" {
		t.Errorf("HTTPS over HTTP/1.1: %s %q (%s)", response.Status, body, response.Proto)
	}
	if names := response.TLS.PeerCertificates[0].DNSNames; !slices.Equal(names, []string{"app.example.test"}) {
		t.Errorf("served certificate names %v", names)
	}

	// HTTP/2 is negotiated with a client that offers it; the target still
	// gets HTTP/1.1.
	http2 := f.client(func(_ *tls.Config, transport *http.Transport) { transport.ForceAttemptHTTP2 = true })
	response, body = fetch(t, http2, "https://app.example.test/")
	if response.Proto != "HTTP/2.0" || response.TLS.NegotiatedProtocol != "h2" || body != "plain https HTTP/1.1" {
		t.Errorf("HTTPS over HTTP/2: %s %s %q", response.Proto, response.TLS.NegotiatedProtocol, body)
	}

	// curl, trusting the root the local cloud hands out, gets the same over
	// HTTP/2 and is refused below TLS 1.2.
	if curl := curlAt(t); curl != "" {
		checkWithCurl(t, f, curl)
	}

	// The policy allows TLS 1.2 and 1.3 only.
	old := f.client(func(config *tls.Config, _ *http.Transport) { config.MaxVersion = tls.VersionTLS11 })
	if _, err := old.Get("https://app.example.test/"); err == nil {
		t.Error("a TLS 1.1 client was served")
	}

	// A certificate added to the listener is served to clients naming it,
	// wildcards included; other names get the default.
	other := f.requestCertificate(t, "*.other.test")
	must(f.elb.AddListenerCertificates(ctx, &elb.AddListenerCertificatesInput{ListenerArn: aws.String(f.httpsListener),
		Certificates: []elbtypes.Certificate{{CertificateArn: aws.String(other)}}}))(t)
	servedFor := func(name string) []string {
		// Not verified here: the name may not match until the listener has
		// the certificate.
		conn, err := tls.Dial("tcp", f.httpsAddress, &tls.Config{ServerName: name, InsecureSkipVerify: true})
		if err != nil {
			t.Fatalf("handshake for %s: %v", name, err)
		}
		defer conn.Close()
		return conn.ConnectionState().PeerCertificates[0].DNSNames
	}
	localcloudtest.Eventually(t, "the added certificate to be served", func() bool {
		return slices.Equal(servedFor("www.other.test"), []string{"*.other.test"})
	})
	verified, err := tls.Dial("tcp", f.httpsAddress, &tls.Config{ServerName: "www.other.test", RootCAs: f.roots})
	if err != nil {
		t.Fatalf("the added certificate does not verify: %v", err)
	}
	_ = verified.Close()
	if names := servedFor("unknown.test"); !slices.Equal(names, []string{"app.example.test"}) {
		t.Errorf("a name no certificate matches got %v, want the default", names)
	}

	// A renewed certificate is served from then on.
	servedSerial := func() string {
		conn, err := tls.Dial("tcp", f.httpsAddress, &tls.Config{ServerName: "app.example.test", RootCAs: f.roots})
		if err != nil {
			t.Fatalf("handshake: %v", err)
		}
		defer conn.Close()
		return conn.ConnectionState().PeerCertificates[0].SerialNumber.String()
	}
	before := servedSerial()
	must(f.acm.RenewCertificate(ctx, &acm.RenewCertificateInput{CertificateArn: aws.String(f.defaultCertificate)}))(t)
	localcloudtest.Eventually(t, "the renewed certificate to be served", func() bool { return servedSerial() != before })

	// While the listener uses them, ACM refuses to delete them.
	for _, arn := range []string{f.defaultCertificate, other} {
		localcloudtest.Eventually(t, "the certificate to be in use", func() bool {
			described := must(f.acm.DescribeCertificate(ctx, &acm.DescribeCertificateInput{CertificateArn: aws.String(arn)}))(t)
			return slices.Equal(described.Certificate.InUseBy, []string{f.loadBalancer})
		})
		_, err := f.acm.DeleteCertificate(ctx, &acm.DeleteCertificateInput{CertificateArn: aws.String(arn)})
		localcloudtest.WantCode(t, err, "ResourceInUseException")
	}
	must(f.elb.RemoveListenerCertificates(ctx, &elb.RemoveListenerCertificatesInput{ListenerArn: aws.String(f.httpsListener),
		Certificates: []elbtypes.Certificate{{CertificateArn: aws.String(other)}}}))(t)
	localcloudtest.Eventually(t, "the removed certificate to be deletable", func() bool {
		_, err := f.acm.DeleteCertificate(ctx, &acm.DeleteCertificateInput{CertificateArn: aws.String(other)})
		return err == nil
	})
	if names := servedFor("www.other.test"); !slices.Equal(names, []string{"app.example.test"}) {
		t.Errorf("after removal, www.other.test got %v", names)
	}
}

// An ALB resumes TLS sessions (a PSK from a ticket in TLS 1.3, a ticket in
// TLS 1.2): a client back with the ticket it was given resumes, and is
// served.
func TestHTTPSListenerResumesSessions(t *testing.T) {
	backend := httptest.NewServer(backendServer("plain"))
	defer backend.Close()
	f := startHTTPS(t, backend.Listener.Addr().String())
	for _, version := range []uint16{tls.VersionTLS13, tls.VersionTLS12} {
		client := f.client(func(config *tls.Config, transport *http.Transport) {
			config.MaxVersion = version
			config.ClientSessionCache = tls.NewLRUClientSessionCache(4)
			transport.DisableKeepAlives = true // a new connection, and handshake, per request
		})
		first, _ := fetch(t, client, "https://app.example.test/")
		second, body := fetch(t, client, "https://app.example.test/")
		if first.TLS.DidResume || !second.TLS.DidResume || second.TLS.Version != version || body != "plain https HTTP/1.1" {
			t.Errorf("%s: first resumed %t, second resumed %t (%s), body %q", tls.VersionName(version),
				first.TLS.DidResume, second.TLS.DidResume, tls.VersionName(second.TLS.Version), body)
		}
	}
}

func TestHTTPSTargetGroupSpeaksTLSToItsTargets(t *testing.T) {
	backend := httptest.NewServer(backendServer("plain"))
	defer backend.Close()
	secure := httptest.NewTLSServer(backendServer("secure"))
	defer secure.Close()
	f := startHTTPS(t, backend.Listener.Addr().String())

	group := f.targetGroup(t, "secure", elbtypes.ProtocolEnumHttps, secure.Listener.Addr().String())
	must(f.elb.CreateRule(ctx, &elb.CreateRuleInput{ListenerArn: aws.String(f.httpsListener), Priority: aws.Int32(1),
		Conditions: []elbtypes.RuleCondition{{Field: aws.String("path-pattern"), Values: []string{"/secure/*"}}},
		Actions:    []elbtypes.Action{{Type: elbtypes.ActionTypeEnumForward, TargetGroupArn: aws.String(group)}},
	}))(t)
	f.waitHealthy(t, group)
	for _, client := range []*http.Client{f.client(nil), f.client(func(_ *tls.Config, transport *http.Transport) { transport.ForceAttemptHTTP2 = true })} {
		var body string
		localcloudtest.Eventually(t, "the rule to route to the HTTPS group", func() bool {
			_, body = fetch(t, client, "https://app.example.test/secure/x")
			return strings.HasPrefix(body, "secure")
		})
		if body != "secure https HTTP/1.1 tls" {
			t.Errorf("through the HTTPS target group: %q", body)
		}
	}
}

// The load balancer's traffic reaches CloudWatch as AWS/ApplicationELB
// metrics with AWS's dimensions.
func TestLoadBalancerMetricsReachCloudWatch(t *testing.T) {
	backend := httptest.NewServer(backendServer("plain"))
	defer backend.Close()
	f := startHTTPS(t, backend.Listener.Addr().String())
	empty := aws.ToString(must(f.elb.CreateTargetGroup(ctx, &elb.CreateTargetGroupInput{Name: aws.String("empty"),
		Protocol: elbtypes.ProtocolEnumHttp, Port: aws.Int32(80), VpcId: aws.String(f.vpc), TargetType: elbtypes.TargetTypeEnumIp}))(t).TargetGroups[0].TargetGroupArn)
	must(f.elb.CreateRule(ctx, &elb.CreateRuleInput{ListenerArn: aws.String(f.httpsListener), Priority: aws.Int32(1),
		Conditions: []elbtypes.RuleCondition{{Field: aws.String("path-pattern"), Values: []string{"/none/*"}}},
		Actions:    []elbtypes.Action{{Type: elbtypes.ActionTypeEnumForward, TargetGroupArn: aws.String(empty)}},
	}))(t)

	client := f.client(nil)
	const requests = 5
	for range requests {
		if response, _ := fetch(t, client, "https://app.example.test/"); response.StatusCode != http.StatusOK {
			t.Fatalf("through the listener: %s", response.Status)
		}
	}
	localcloudtest.Eventually(t, "the rule to the empty group", func() bool {
		response, _ := fetch(t, client, "https://app.example.test/none/x")
		return response.StatusCode == http.StatusServiceUnavailable
	})

	groups := must(f.elb.DescribeTargetGroups(ctx, &elb.DescribeTargetGroupsInput{Names: []string{"web"}}))(t).TargetGroups
	balancer := f.loadBalancer[strings.Index(f.loadBalancer, ":loadbalancer/")+len(":loadbalancer/"):]
	group := aws.ToString(groups[0].TargetGroupArn)
	group = group[strings.LastIndex(group, ":")+1:]
	if !strings.HasPrefix(balancer, "app/web/") || !strings.HasPrefix(group, "targetgroup/web/") {
		t.Fatalf("dimension values %q %q", balancer, group)
	}
	dims := func(pairs ...string) []cwtypes.Dimension {
		var out []cwtypes.Dimension
		for i := 0; i < len(pairs); i += 2 {
			out = append(out, cwtypes.Dimension{Name: aws.String(pairs[i]), Value: aws.String(pairs[i+1])})
		}
		return out
	}
	metrics := cloudwatch.NewFromConfig(f.cloud.Config)
	sum := func(name string, dimensions []cwtypes.Dimension, statistic string) (float64, bool) {
		now := time.Now()
		out := must(metrics.GetMetricData(ctx, &cloudwatch.GetMetricDataInput{
			StartTime: aws.Time(now.Add(-10 * time.Minute)), EndTime: aws.Time(now.Add(time.Minute)),
			MetricDataQueries: []cwtypes.MetricDataQuery{{Id: aws.String("m"), MetricStat: &cwtypes.MetricStat{
				Metric: &cwtypes.Metric{Namespace: aws.String("AWS/ApplicationELB"), MetricName: aws.String(name), Dimensions: dimensions},
				Period: aws.Int32(600), Stat: aws.String(statistic)}}},
		}))(t)
		total, found := 0.0, false
		for _, result := range out.MetricDataResults {
			for _, value := range result.Values {
				total, found = total+value, true
			}
		}
		return total, found
	}
	for _, want := range []struct {
		name       string
		dimensions []cwtypes.Dimension
		statistic  string
		atLeast    float64
	}{
		{"RequestCount", dims("LoadBalancer", balancer), "Sum", requests + 1},
		{"RequestCount", dims("TargetGroup", group, "LoadBalancer", balancer), "Sum", requests},
		{"RequestCountPerTarget", dims("TargetGroup", group), "Sum", requests},
		{"RequestCountPerTarget", dims("TargetGroup", group, "LoadBalancer", balancer), "Sum", requests},
		{"HTTPCode_Target_2XX_Count", dims("TargetGroup", group, "LoadBalancer", balancer), "Sum", requests},
		{"HTTPCode_Target_2XX_Count", dims("LoadBalancer", balancer), "Sum", requests},
		{"HTTPCode_ELB_5XX_Count", dims("LoadBalancer", balancer), "Sum", 1},
		{"TargetResponseTime", dims("TargetGroup", group, "LoadBalancer", balancer), "Average", 0},
		{"HealthyHostCount", dims("TargetGroup", group, "LoadBalancer", balancer), "Maximum", 1},
		{"UnHealthyHostCount", dims("TargetGroup", group, "LoadBalancer", balancer), "Maximum", 0},
	} {
		localcloudtest.Eventually(t, want.name+" in CloudWatch", func() bool {
			value, found := sum(want.name, want.dimensions, want.statistic)
			return found && value >= want.atLeast
		})
	}
	listed := must(metrics.ListMetrics(ctx, &cloudwatch.ListMetricsInput{Namespace: aws.String("AWS/ApplicationELB"), MetricName: aws.String("HealthyHostCount")}))(t)
	if len(listed.Metrics) == 0 {
		t.Fatal("ListMetrics shows no HealthyHostCount")
	}
	for _, metric := range listed.Metrics {
		names := []string{}
		for _, d := range metric.Dimensions {
			names = append(names, aws.ToString(d.Name))
		}
		slices.Sort(names)
		if !slices.Equal(names, []string{"LoadBalancer", "TargetGroup"}) {
			t.Errorf("HealthyHostCount dimensions %v", names)
		}
	}
}

// curlAt finds curl: "" when it is missing, which fails the test under CI.
func curlAt(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("curl")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("curl is needed: %v", err)
		}
		t.Logf("curl is not installed; its checks are left out: %v", err)
		return ""
	}
	return path
}

func checkWithCurl(t *testing.T, f *httpsFixture, curl string) {
	t.Helper()
	rootFile := filepath.Join(t.TempDir(), "root.pem")
	if err := os.WriteFile(rootFile, f.cloud.ACM.RootCAPEM(), 0o600); err != nil {
		t.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(f.httpsAddress)
	resolve := "app.example.test:" + port + ":127.0.0.1"
	out, err := exec.Command(curl, "--silent", "--show-error", "--http2", "--cacert", rootFile, "--resolve", resolve,
		"--write-out", " %{http_version}", "https://app.example.test:"+port+"/").CombinedOutput()
	if err != nil || string(out) != "plain https HTTP/1.1 2" {
		t.Errorf("curl --http2: %v %q", err, out)
	}
	if out, err := exec.Command(curl, "--silent", "--show-error", "--tlsv1.1", "--tls-max", "1.1", "--cacert", rootFile, "--resolve", resolve,
		"https://app.example.test:"+port+"/").CombinedOutput(); err == nil {
		t.Errorf("curl with TLS 1.1 was served: %q", out)
	}
}
