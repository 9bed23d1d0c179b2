package localcloud_test

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awsec2 "github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ecs"

	"github.com/berthdev/berth/internal/localcloud"
	"github.com/berthdev/berth/internal/localcloud/runtime"
)

// guarded is a local cloud (control plane only) started with the given
// security options, its call log captured.
type guarded struct {
	*localcloud.Cloud
	endpoint string
	log      *lockedBuffer
}

func startGuarded(t *testing.T, opts localcloud.Options) *guarded {
	t.Helper()
	log := &lockedBuffer{}
	opts.Logger = slog.New(slog.NewTextHandler(log, nil))
	opts.LogCalls = true
	c, err := localcloud.New(opts)
	if err != nil {
		t.Fatalf("starting local cloud: %v", err)
	}
	srv := httptest.NewServer(c)
	c.SetEndpoint(srv.URL)
	t.Cleanup(func() {
		srv.Close()
		if err := c.Close(); err != nil {
			t.Errorf("closing local cloud: %v", err)
		}
		if t.Failed() {
			t.Logf("call log:\n%s", log.String())
		}
	})
	return &guarded{Cloud: c, endpoint: srv.URL, log: log}
}

// sdkConfig is an SDK configuration for endpoint with the given key pair
// and no retries, so a refused call fails at once with its own error.
func sdkConfig(t *testing.T, endpoint, keyID, secret string) aws.Config {
	t.Helper()
	cfg, err := config.LoadDefaultConfig(context.Background(),
		config.WithRegion("us-east-1"),
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider(keyID, secret, "")),
		config.WithBaseEndpoint(endpoint),
		config.WithSharedConfigFiles(nil), config.WithSharedCredentialsFiles(nil),
		config.WithRetryMaxAttempts(1),
	)
	if err != nil {
		t.Fatalf("SDK config: %v", err)
	}
	return cfg
}

type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

type rawRequest struct {
	method, path, body string
	headers            map[string]string
	host               string
}

type rawReply struct {
	status int
	header http.Header
	body   []byte
}

func send(t *testing.T, endpoint string, rr rawRequest) rawReply {
	t.Helper()
	if rr.method == "" {
		rr.method = http.MethodPost
	}
	req, err := http.NewRequest(rr.method, endpoint+rr.path, strings.NewReader(rr.body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range rr.headers {
		req.Header.Set(k, v)
	}
	if rr.host != "" {
		req.Host = rr.host
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return rawReply{status: resp.StatusCode, header: resp.Header, body: body}
}

// replyCode reads the AWS error code from any of the three wire formats,
// or the admin routes' JSON.
func replyCode(t *testing.T, body []byte) string {
	t.Helper()
	var js struct {
		Type string `json:"__type"`
		Code string `json:"code"`
	}
	if json.Unmarshal(body, &js) == nil {
		return js.Type + js.Code
	}
	var query struct {
		Error struct{ Code string } `xml:"Error"`
	}
	var ec2 struct {
		Errors struct {
			Error struct{ Code string } `xml:"Error"`
		} `xml:"Errors"`
	}
	if xml.Unmarshal(body, &query) == nil && query.Error.Code != "" {
		return query.Error.Code
	}
	if xml.Unmarshal(body, &ec2) == nil && ec2.Errors.Error.Code != "" {
		return ec2.Errors.Error.Code
	}
	t.Fatalf("reply is no AWS error: %s", body)
	return ""
}

const (
	formType  = "application/x-www-form-urlencoded"
	ecsTarget = "AmazonEC2ContainerServiceV20141113"
)

func evilImage() string {
	data, _ := json.Marshal(runtime.ProcessImage{Name: "evil:latest", Dir: "/", Command: []string{"/bin/sh", "-c", "echo pwned"}})
	return string(data)
}

func createVPC(t *testing.T, cfg aws.Config) string {
	t.Helper()
	out, err := awsec2.NewFromConfig(cfg).CreateVpc(context.Background(), &awsec2.CreateVpcInput{CidrBlock: aws.String("10.0.0.0/16")})
	if err != nil {
		t.Fatalf("CreateVpc: %v", err)
	}
	return aws.ToString(out.Vpc.VpcId)
}

func securityGroupNames(t *testing.T, cfg aws.Config) []string {
	t.Helper()
	out, err := awsec2.NewFromConfig(cfg).DescribeSecurityGroups(context.Background(), &awsec2.DescribeSecurityGroupsInput{})
	if err != nil {
		t.Fatalf("DescribeSecurityGroups: %v", err)
	}
	var names []string
	for _, g := range out.SecurityGroups {
		if aws.ToString(g.GroupName) != "default" {
			names = append(names, aws.ToString(g.GroupName))
		}
	}
	return names
}

func imageNames(t *testing.T, c *localcloud.Cloud) []string {
	t.Helper()
	imgs, err := c.Images()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, img := range imgs {
		names = append(names, img.Name)
	}
	return names
}

func clusterCount(t *testing.T, cfg aws.Config) int {
	t.Helper()
	out, err := ecs.NewFromConfig(cfg).ListClusters(context.Background(), &ecs.ListClustersInput{})
	if err != nil {
		t.Fatalf("ListClusters: %v", err)
	}
	return len(out.ClusterArns)
}

// A request from a web page (it carries an Origin, or Fetch Metadata says a
// page sent it) and a request under a foreign Host are refused on every
// route with 403 and the AWS error of its protocol, and change nothing.
func TestPagesAndForeignHostsAreRefused(t *testing.T) {
	cloud := startGuarded(t, localcloud.Options{})
	cfg := sdkConfig(t, cloud.endpoint, "test", "test")
	vpc := createVPC(t, cfg)
	if _, err := ecs.NewFromConfig(cfg).CreateCluster(context.Background(), &ecs.CreateClusterInput{ClusterName: aws.String("keep")}); err != nil {
		t.Fatal(err)
	}
	createGroup := "Action=CreateSecurityGroup&Version=2016-11-15&GroupName=evil&GroupDescription=evil&VpcId=" + vpc
	token := "Bearer " + cloud.AdminToken() // even the token does not let a page in
	page := map[string]string{"Origin": "http://evil.example"}
	rebound := "evil.example:4566"

	tests := []struct {
		name     string
		req      rawRequest
		wantCode string
	}{
		{"page writes an image", rawRequest{path: "/_berth/images", body: evilImage(),
			headers: map[string]string{"Origin": "http://evil.example", "Content-Type": "text/plain", "Authorization": token}}, "AccessDenied"},
		{"page calls EC2", rawRequest{path: "/", body: createGroup, headers: map[string]string{"Origin": "http://127.0.0.1:8000", "Content-Type": formType}}, "AccessDenied"},
		{"page calls ECS", rawRequest{path: "/", body: `{"clusterName":"evil"}`,
			headers: map[string]string{"Origin": "null", "Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": ecsTarget + ".CreateCluster"}}, "AccessDeniedException"},
		{"page calls STS", rawRequest{path: "/", body: "Action=GetCallerIdentity&Version=2011-06-15", headers: mergeHeaders(page, "Content-Type", formType)}, "AccessDenied"},
		{"page resets moto-style", rawRequest{path: "/moto-api/reset", headers: page}, "AccessDenied"},
		{"page resets", rawRequest{path: "/_berth/reset", headers: page}, "AccessDenied"},
		{"img tag GETs an EC2 call", rawRequest{method: http.MethodGet, path: "/?" + createGroup, headers: map[string]string{"Sec-Fetch-Site": "same-site", "Sec-Fetch-Mode": "no-cors"}}, "AccessDenied"},
		{"cross-site GET reads images", rawRequest{method: http.MethodGet, path: "/_berth/images", headers: map[string]string{"Sec-Fetch-Site": "cross-site"}}, "AccessDenied"},
		{"rebound Host writes an image", rawRequest{path: "/_berth/images", body: evilImage(), host: rebound, headers: map[string]string{"Authorization": token}}, "AccessDenied"},
		{"rebound Host calls EC2", rawRequest{path: "/", body: createGroup, host: rebound, headers: map[string]string{"Content-Type": formType}}, "AccessDenied"},
		{"rebound Host calls ECS", rawRequest{path: "/", body: `{"clusterName":"evil"}`, host: "attacker.example",
			headers: map[string]string{"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": ecsTarget + ".CreateCluster"}}, "AccessDeniedException"},
		{"rebound Host reads listeners", rawRequest{method: http.MethodGet, path: "/_berth/listeners", host: rebound}, "AccessDenied"},
		{"rebound Host resets", rawRequest{path: "/moto-api/reset", host: "1.2.3.4.nip.io"}, "AccessDenied"},
		{"non-loopback IP Host", rawRequest{path: "/", body: createGroup, host: "192.168.1.10:4566", headers: map[string]string{"Content-Type": formType}}, "AccessDenied"},
		{"unknown load balancer name", rawRequest{path: "/", body: createGroup, host: "nope-1.elb.localhost.evil.example", headers: map[string]string{"Content-Type": formType}}, "AccessDenied"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reply := send(t, cloud.endpoint, tt.req)
			if reply.status != http.StatusForbidden {
				t.Errorf("status = %d, want 403 (body %s)", reply.status, reply.body)
			}
			if got := replyCode(t, reply.body); got != tt.wantCode {
				t.Errorf("code = %q, want %q (body %s)", got, tt.wantCode, reply.body)
			}
			if reply.header.Get("Access-Control-Allow-Origin") != "" {
				t.Errorf("a refused request got CORS headers: %v", reply.header)
			}
		})
	}
	if names := imageNames(t, cloud.Cloud); len(names) != 0 {
		t.Errorf("refused requests registered images %v", names)
	}
	if names := securityGroupNames(t, cfg); len(names) != 0 {
		t.Errorf("refused requests created security groups %v", names)
	}
	if n := clusterCount(t, cfg); n != 1 {
		t.Errorf("clusters = %d, want the one created before (refused resets must not reset, refused calls must not create)", n)
	}
}

func mergeHeaders(base map[string]string, kv ...string) map[string]string {
	out := map[string]string{}
	for k, v := range base {
		out[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		out[kv[i]] = kv[i+1]
	}
	return out
}

// Local names and addresses are this machine: every loopback address,
// localhost, *.localhost, and names given with --hostname.
func TestLocalHostsAreAccepted(t *testing.T) {
	cloud := startGuarded(t, localcloud.Options{Hostnames: []string{"devbox.internal"}})
	_, port, _ := strings.Cut(strings.TrimPrefix(cloud.endpoint, "http://"), ":")
	for _, host := range []string{"127.0.0.1:" + port, "127.9.8.7:" + port, "localhost", "LOCALHOST:" + port, "api.localhost:" + port,
		"localhost.", "[::1]:" + port, "::1", "devbox.internal:" + port, "DevBox.Internal"} {
		reply := send(t, cloud.endpoint, rawRequest{method: http.MethodGet, path: "/_berth/health", host: host})
		if reply.status != http.StatusOK {
			t.Errorf("Host %q: status %d (%s), want 200", host, reply.status, reply.body)
		}
	}
	for _, host := range []string{"devbox.internal.evil.example", "localhost.evil.example", "10.0.0.1", "0.0.0.0:" + port} {
		reply := send(t, cloud.endpoint, rawRequest{method: http.MethodGet, path: "/_berth/health", host: host})
		if reply.status != http.StatusForbidden {
			t.Errorf("Host %q: status %d, want 403", host, reply.status)
		}
	}
}

// An origin allowed with --cors-origin gets CORS headers and its calls
// through; its preflight is answered. Other origins' preflights are not.
func TestAllowedOriginGetsCORS(t *testing.T) {
	const allowed = "http://app.localhost:3000"
	cloud := startGuarded(t, localcloud.Options{CORSOrigins: []string{allowed}})

	preflight := func(origin string) rawReply {
		return send(t, cloud.endpoint, rawRequest{method: http.MethodOptions, path: "/", headers: map[string]string{
			"Origin": origin, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization,content-type,x-amz-date,x-amz-target"}})
	}
	reply := preflight(allowed)
	if reply.status != http.StatusOK || reply.header.Get("Access-Control-Allow-Origin") != allowed ||
		!strings.Contains(reply.header.Get("Access-Control-Allow-Headers"), "x-amz-target") || !strings.Contains(reply.header.Get("Access-Control-Allow-Methods"), "POST") {
		t.Errorf("preflight of an allowed origin: %d %v", reply.status, reply.header)
	}
	reply = preflight("http://evil.example")
	if reply.status != http.StatusForbidden || reply.header.Get("Access-Control-Allow-Origin") != "" || reply.header.Get("Access-Control-Allow-Methods") != "" {
		t.Errorf("preflight of another origin: %d %v", reply.status, reply.header)
	}

	reply = send(t, cloud.endpoint, rawRequest{path: "/", body: `{"clusterName":"from-app"}`, headers: map[string]string{
		"Origin": allowed, "Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": ecsTarget + ".CreateCluster"}})
	if reply.status != http.StatusOK || reply.header.Get("Access-Control-Allow-Origin") != allowed {
		t.Errorf("call from the allowed origin: %d %v %s", reply.status, reply.header, reply.body)
	}
	if n := clusterCount(t, sdkConfig(t, cloud.endpoint, "test", "test")); n != 1 {
		t.Errorf("clusters = %d, want 1", n)
	}
}

// Writing a process image needs the admin token the cloud wrote, mode
// 0600, into its state directory; reads stay open to local tools.
func TestImageWritesNeedTheAdminToken(t *testing.T) {
	dir := t.TempDir()
	cloud := startGuarded(t, localcloud.Options{StateDir: dir})
	path := filepath.Join(dir, localcloud.AdminTokenFile)
	if cloud.AdminTokenPath() != path {
		t.Errorf("token file = %s, want %s", cloud.AdminTokenPath(), path)
	}
	info, err := os.Stat(path)
	if err != nil {
		t.Fatalf("token file: %v", err)
	}
	if mode := info.Mode().Perm(); mode != 0o600 {
		t.Errorf("token file mode = %o, want 600", mode)
	}
	data, err := os.ReadFile(path)
	if err != nil || strings.TrimSpace(string(data)) != cloud.AdminToken() || len(cloud.AdminToken()) < 32 {
		t.Fatalf("token file holds %q (%v), want the cloud's token", data, err)
	}

	image := `{"Name":"app:1","Dir":"/tmp","Command":["/bin/true"]}`
	reply := send(t, cloud.endpoint, rawRequest{path: "/_berth/images", body: image})
	if reply.status != http.StatusUnauthorized || replyCode(t, reply.body) != "MissingAdminToken" || !strings.Contains(string(reply.body), path) {
		t.Errorf("write without token: %d %s, want 401 naming %s", reply.status, reply.body, path)
	}
	reply = send(t, cloud.endpoint, rawRequest{path: "/_berth/images", body: image, headers: map[string]string{"Authorization": "Bearer 0123"}})
	if reply.status != http.StatusForbidden || replyCode(t, reply.body) != "InvalidAdminToken" {
		t.Errorf("write with a wrong token: %d %s, want 403", reply.status, reply.body)
	}
	if names := imageNames(t, cloud.Cloud); len(names) != 0 {
		t.Fatalf("refused writes registered %v", names)
	}
	reply = send(t, cloud.endpoint, rawRequest{path: "/_berth/images", body: image, headers: map[string]string{"Authorization": "Bearer " + cloud.AdminToken()}})
	if reply.status != http.StatusOK {
		t.Fatalf("write with the token: %d %s", reply.status, reply.body)
	}
	reply = send(t, cloud.endpoint, rawRequest{method: http.MethodGet, path: "/_berth/images"})
	if reply.status != http.StatusOK || !strings.Contains(string(reply.body), "app:1") {
		t.Errorf("reading images: %d %s", reply.status, reply.body)
	}

	// A restart writes a new token: the old one no longer works.
	old := cloud.AdminToken()
	again := restartOn(t, cloud, dir)
	if again.AdminToken() == old {
		t.Errorf("the token did not change across a restart")
	}
	reply = send(t, again.endpoint, rawRequest{path: "/_berth/images", body: image, headers: map[string]string{"Authorization": "Bearer " + old}})
	if reply.status != http.StatusForbidden {
		t.Errorf("write with the previous start's token: %d %s", reply.status, reply.body)
	}
}

// restartOn closes cloud and starts another on the same state directory.
func restartOn(t *testing.T, cloud *guarded, dir string) *guarded {
	t.Helper()
	if err := cloud.Close(); err != nil {
		t.Fatal(err)
	}
	return startGuarded(t, localcloud.Options{StateDir: dir})
}

// An ephemeral cloud keeps its token in a directory of its own, removed
// when it closes.
func TestEphemeralTokenDirGoesAway(t *testing.T) {
	c, err := localcloud.New(localcloud.Options{})
	if err != nil {
		t.Fatal(err)
	}
	path := c.AdminTokenPath()
	if info, err := os.Stat(path); err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("ephemeral token file %s: %v %v", path, info, err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Dir(path)); !os.IsNotExist(err) {
		t.Errorf("the ephemeral token directory outlived the cloud: %v", err)
	}
}

// Nothing a page did shows in the SDK's view: helper for the browser test.
func assertNothingCreated(t *testing.T, cloud *guarded, cfg aws.Config) {
	t.Helper()
	if names := imageNames(t, cloud.Cloud); len(names) != 0 {
		t.Errorf("the page registered process images %v", names)
	}
	if names := securityGroupNames(t, cfg); len(names) != 0 {
		t.Errorf("the page created security groups %v", names)
	}
}

// Serving remote clients needs keys; then the machine's addresses are valid
// Hosts (rebinding always comes under a name), names still are not, and
// every call must be signed.
func TestAllowRemote(t *testing.T) {
	if _, err := localcloud.New(localcloud.Options{AllowRemote: true}); err == nil {
		t.Fatal("AllowRemote without SigV4 keys was accepted")
	}
	cloud := startGuarded(t, localcloud.Options{AllowRemote: true, SigV4Keys: map[string]string{"AKIDREMOTE": "remote-secret"}})
	for host, want := range map[string]int{"192.168.1.10:4566": 200, "[fd00::1]:4566": 200, "evil.example:4566": 403} {
		if reply := send(t, cloud.endpoint, rawRequest{method: http.MethodGet, path: "/_berth/health", host: host}); reply.status != want {
			t.Errorf("Host %s: status %d, want %d", host, reply.status, want)
		}
	}
	reply := send(t, cloud.endpoint, rawRequest{path: "/", body: "Action=GetCallerIdentity&Version=2011-06-15", host: "192.168.1.10:4566",
		headers: map[string]string{"Content-Type": formType}})
	if reply.status != http.StatusForbidden || replyCode(t, reply.body) != "MissingAuthenticationToken" {
		t.Errorf("unsigned remote call: %d %s", reply.status, reply.body)
	}
}
