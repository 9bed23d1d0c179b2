package cli_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"io"
	"net"
	"net/http"
	"os"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	appscaling "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling"
	appscalingtypes "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/ecs"

	"github.com/berthdev/berth/internal/localcloud"
	"github.com/berthdev/berth/internal/localcloud/localcloudtest"
)

// The write-up's wishes end to end, from berth.yaml on the local cloud:
// port 80 answers 301 to HTTPS; HTTPS serves the FastAPI docs over HTTP/2
// with the ACM certificate, whose chain verifies against the local CA;
// TLS 1.1 is refused; and a bounded request load through the load
// balancer raises the service's desired count by target tracking on
// requests per target (managed scaling adding the instances that
// distinct-instance placement needs), which falls back once the load
// stops. The local cloud runs on a time scale of 60, so a CloudWatch
// minute is a second.
func TestHTTPSAndRequestScalingFromBerthYAML(t *testing.T) {
	requirePython(t)
	spec := httpsExample(t)
	text, err := os.ReadFile(spec)
	if err != nil {
		t.Fatal(err)
	}
	// Scale on requests only, at a rate a test reaches at once: 50 per
	// task per (scaled) minute.
	edited := regexp.MustCompile(`(?m)^    (cpu|memory): \d+ .*\n`).ReplaceAllString(string(text), "")
	edited = regexp.MustCompile(`requests_per_target: \d+`).ReplaceAllString(edited, "requests_per_target: 50")
	if !strings.Contains(edited, "requests_per_target: 50") || strings.Contains(edited, "    cpu: 60") {
		t.Fatalf("the example changed shape: autoscaling could not be edited:\n%s", edited)
	}
	if err := os.WriteFile(spec, []byte(edited), 0o644); err != nil {
		t.Fatal(err)
	}

	dir := t.TempDir()
	cloud := localcloudtest.StartWithOptions(t, localcloud.Options{StateDir: dir, TimeScale: 60})
	out, errOut, err := berth(t, cloud.Endpoint, "up", "--no-logs", "-f", spec, "--state-dir", dir)
	if err != nil {
		t.Fatalf("berth up: %v\nstdout:\n%s\nstderr:\n%s", err, out, errOut)
	}
	m := regexp.MustCompile(`(?m)^  https://(127\.0\.0\.1(?::[0-9]+)?)/$`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("berth up printed no HTTPS URL:\n%s", out)
	}
	httpsAddr := m[1]
	if !strings.Contains(httpsAddr, ":") {
		httpsAddr += ":443"
	}
	httpURL := regexp.MustCompile(`(?m)^  (http://127\.0\.0\.1(?::[0-9]+)?)/`).FindStringSubmatch(out)
	if httpURL == nil {
		t.Fatalf("berth up printed no HTTP URL:\n%s", out)
	}

	// Port 80 redirects, as the ALB does: to the same host and path on 443.
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }, Timeout: 30 * time.Second}
	request, _ := http.NewRequest(http.MethodGet, httpURL[1]+"/docs?x=1", nil)
	request.Host = "api.example.com"
	redirect, err := noFollow.Do(request)
	if err != nil {
		t.Fatal(err)
	}
	redirect.Body.Close()
	if redirect.StatusCode != http.StatusMovedPermanently || redirect.Header.Get("Location") != "https://api.example.com:443/docs?x=1" {
		t.Errorf("port 80 answered %d, Location %q; want 301 to https://api.example.com:443/docs?x=1", redirect.StatusCode, redirect.Header.Get("Location"))
	}

	// HTTPS, verified against the local CA's root, over HTTP/2.
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(cloud.ACM.RootCAPEM()) {
		t.Fatal("the local CA's root does not parse")
	}
	dialTo := func(tlsConfig *tls.Config) *http.Client {
		transport := &http.Transport{TLSClientConfig: tlsConfig, ForceAttemptHTTP2: true, MaxIdleConnsPerHost: 8,
			DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
				return (&net.Dialer{}).DialContext(ctx, network, httpsAddr)
			}}
		t.Cleanup(transport.CloseIdleConnections)
		return &http.Client{Transport: transport, Timeout: 30 * time.Second}
	}
	client := dialTo(&tls.Config{RootCAs: roots, ServerName: "api.example.com"})
	docs, err := client.Get("https://api.example.com/docs")
	if err != nil {
		t.Fatalf("HTTPS with the local CA's root: %v", err)
	}
	body, _ := io.ReadAll(docs.Body)
	docs.Body.Close()
	if docs.StatusCode != http.StatusOK || !strings.Contains(strings.ToLower(string(body)), "swagger") || docs.ProtoMajor != 2 {
		t.Errorf("GET /docs over HTTPS: %d over %s, body %.200q", docs.StatusCode, docs.Proto, body)
	}
	if chain := docs.TLS.PeerCertificates; len(chain) == 0 || chain[0].Subject.CommonName != "api.example.com" && !slices.Contains(chain[0].DNSNames, "api.example.com") {
		t.Errorf("the listener's certificate is not the ACM certificate for api.example.com: %+v", chain)
	}
	old := dialTo(&tls.Config{RootCAs: roots, ServerName: "api.example.com", MaxVersion: tls.VersionTLS11})
	if resp, err := old.Get("https://api.example.com/health"); err == nil {
		resp.Body.Close()
		t.Errorf("a TLS 1.1 client was served (%s)", resp.Proto)
	}

	// A bounded load through HTTPS until target tracking scales out.
	ctx := context.Background()
	ecsClient := ecs.NewFromConfig(cloud.Config)
	desired := func() int32 {
		t.Helper()
		described, err := ecsClient.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String("fastapi"), Services: []string{"fastapi"}})
		if err != nil || len(described.Services) != 1 {
			t.Fatalf("DescribeServices: %v %+v", err, described)
		}
		return described.Services[0].DesiredCount
	}
	if got := desired(); got != 2 {
		t.Fatalf("the service starts at desired count %d, want autoscaling.min 2", got)
	}
	var sent, failed atomic.Int64
	stop, stopTrickle := make(chan struct{}), make(chan struct{})
	var trickleDone chan struct{}
	t.Cleanup(func() {
		close(stopTrickle)
		if trickleDone != nil {
			<-trickleDone
		}
	})
	var load sync.WaitGroup
	for range 4 {
		load.Add(1)
		go func() {
			defer load.Done()
			for sent.Load() < 200_000 {
				select {
				case <-stop:
					return
				default:
				}
				resp, err := client.Get("https://api.example.com/health")
				sent.Add(1)
				if err != nil {
					failed.Add(1)
					continue
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		}()
	}
	localcloudtest.Eventually(t, "target tracking to raise the desired count above 2", func() bool { return desired() > 2 })
	close(stop)
	load.Wait()
	t.Logf("%d requests sent (%d failed) before the scale-out", sent.Load(), failed.Load())

	// The local cloud records the activity just after it changes the
	// desired count (in a transaction of its own), so a reader can see the
	// count before the activity.
	scaling := appscaling.NewFromConfig(cloud.Config)
	highAlarm := regexp.MustCompile(`monitor alarm TargetTracking-service/fastapi/fastapi-AlarmHigh-\S+ in state ALARM triggered policy`)
	localcloudtest.Eventually(t, "a scaling activity that names the high alarm", func() bool {
		activities, err := scaling.DescribeScalingActivities(ctx, &appscaling.DescribeScalingActivitiesInput{ServiceNamespace: appscalingtypes.ServiceNamespaceEcs})
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range activities.ScalingActivities {
			if highAlarm.MatchString(aws.ToString(a.Cause)) {
				return true
			}
		}
		return false
	})
	alarms, err := cloudwatch.NewFromConfig(cloud.Config).DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{AlarmNamePrefix: aws.String("TargetTracking-service/fastapi/fastapi-")})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, a := range alarms.MetricAlarms {
		names = append(names, aws.ToString(a.AlarmName)+" "+aws.ToString(a.MetricName))
	}
	if len(alarms.MetricAlarms) != 2 || !strings.Contains(strings.Join(names, ","), "RequestCountPerTarget") {
		t.Errorf("target tracking's alarms: %v", names)
	}

	// With the load down to a trickle the service scales back in to its
	// minimum. A trickle, not silence: an ALB publishes no request count
	// for a period without requests, and target tracking does not scale in
	// on missing data, on AWS as here.
	trickleDone = make(chan struct{})
	go func() {
		defer close(trickleDone)
		ticker := time.NewTicker(200 * time.Millisecond)
		defer ticker.Stop()
		for range 3000 { // at most ten minutes
			select {
			case <-stopTrickle:
				return
			case <-ticker.C:
			}
			if resp, err := client.Get("https://api.example.com/health"); err == nil {
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		}
	}()
	t.Cleanup(func() {
		if !t.Failed() {
			return
		}
		// What target tracking saw, for the failure's reader.
		alarms, _ := cloudwatch.NewFromConfig(cloud.Config).DescribeAlarms(context.Background(), &cloudwatch.DescribeAlarmsInput{AlarmNamePrefix: aws.String("TargetTracking-")})
		for _, a := range alarms.MetricAlarms {
			t.Logf("alarm %s: %s (%s)", aws.ToString(a.AlarmName), a.StateValue, aws.ToString(a.StateReason))
		}
		activities, _ := scaling.DescribeScalingActivities(context.Background(), &appscaling.DescribeScalingActivitiesInput{ServiceNamespace: appscalingtypes.ServiceNamespaceEcs})
		for _, a := range activities.ScalingActivities {
			t.Logf("activity %s: %s", aws.ToString(a.Description), aws.ToString(a.Cause))
		}
	})
	localcloudtest.Eventually(t, "the desired count to fall back to 2", func() bool { return desired() == 2 })
}
