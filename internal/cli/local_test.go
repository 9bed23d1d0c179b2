package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/berthdev/berth/internal/cli"
	"github.com/berthdev/berth/internal/localcloud"
	"github.com/berthdev/berth/internal/localcloud/localcloudtest"
)

// berth local refuses to expose itself: a non-loopback --addr needs
// --allow-remote, which needs --require-sigv4; malformed values are usage
// errors (exit 2) that say what to write.
func TestLocalRefusesUnsafeFlags(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--addr", "0.0.0.0:0"}, "--allow-remote"},
		{[]string{"--addr", ":0"}, "not a loopback address"},
		{[]string{"--addr", "192.0.2.1:0"}, "--require-sigv4"},
		{[]string{"--addr", "0.0.0.0:0", "--allow-remote"}, "--allow-remote needs --require-sigv4"},
		{[]string{"--require-sigv4", "AKIDONLY"}, "KEYID:SECRET"},
		{[]string{"--require-sigv4", ":secret"}, "KEYID:SECRET"},
		{[]string{"--cors-origin", "localhost:3000"}, "http://localhost:3000"},
		{[]string{"--cors-origin", "http://localhost:3000/app"}, "without path"},
		{[]string{"--hostname", "http://devbox"}, "without scheme or port"},
		{[]string{"--addr", "nonsense"}, "HOST:PORT"},
		{[]string{"--time-scale", "0.5"}, "from 1 (AWS's timing) to 60"},
		{[]string{"--time-scale", "600"}, "from 1 (AWS's timing) to 60"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			var out, errOut bytes.Buffer
			root := cli.NewRootCmd(cli.IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut})
			root.SetArgs(append([]string{"local", "--state-dir", t.TempDir()}, tt.args...))
			err := root.ExecuteContext(context.Background())
			if err == nil {
				t.Fatal("berth local started")
			}
			if code := cli.ExitCode(err); code != 2 {
				t.Errorf("exit code = %d, want 2 (%v)", code, err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not say %q", err, tt.want)
			}
		})
	}
}

var servingOn = regexp.MustCompile(`berth local cloud on (http://\S+)`)

// runLocal runs `berth local` with args until the test ends and returns its
// endpoint and its stderr.
func runLocal(t *testing.T, args ...string) (string, *syncBuffer) {
	t.Helper()
	errOut := &syncBuffer{}
	root := cli.NewRootCmd(cli.IOStreams{In: strings.NewReader(""), Out: &syncBuffer{}, ErrOut: errOut})
	root.SetArgs(append([]string{"local", "--addr", "127.0.0.1:0"}, args...))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- root.ExecuteContext(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("berth local: %v", err)
		}
	})
	var endpoint string
	localcloudtest.Eventually(t, "berth local to listen", func() bool {
		select {
		case err := <-done:
			t.Fatalf("berth local stopped: %v\n%s", err, errOut.String())
		default:
		}
		if m := servingOn.FindStringSubmatch(errOut.String()); m != nil {
			endpoint = m[1]
		}
		return endpoint != ""
	})
	return endpoint, errOut
}

func signedConfig(t *testing.T, endpoint, keyID, secret string) aws.Config {
	t.Helper()
	cfg, err := config.LoadDefaultConfig(context.Background(),
		config.WithRegion("eu-west-1"),
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider(keyID, secret, "")),
		config.WithBaseEndpoint(endpoint),
		config.WithSharedConfigFiles(nil), config.WithSharedCredentialsFiles(nil),
		config.WithRetryMaxAttempts(1),
	)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// `berth local -v --require-sigv4` logs one line per call with time,
// account, region, service, operation, status, error code and duration,
// and never the secret, a signature or the admin token; `berth local image
// add` finds the token through --state-dir.
func TestLocalVerboseLogsEveryCallAndNoSecret(t *testing.T) {
	const keyID, secret = "AKIDLOCALTEST", "verysecret/KEY+material0123456789"
	dir := t.TempDir()
	endpoint, errOut := runLocal(t, "-v", "--state-dir", dir, "--require-sigv4", keyID+":"+secret)
	ctx := context.Background()

	cfg := signedConfig(t, endpoint, keyID, secret)
	if _, err := ecs.NewFromConfig(cfg).CreateCluster(ctx, &ecs.CreateClusterInput{ClusterName: aws.String("web")}); err != nil {
		t.Fatalf("CreateCluster: %v", err)
	}
	if _, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); err != nil {
		t.Fatalf("GetCallerIdentity: %v", err)
	}
	_, err := ecs.NewFromConfig(cfg).DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String("nope"), Services: []string{"x"}})
	if err == nil {
		t.Fatal("DescribeServices of a missing cluster succeeded")
	}
	if _, err := ecs.NewFromConfig(signedConfig(t, endpoint, keyID, "wrong")).ListClusters(ctx, &ecs.ListClustersInput{}); err == nil {
		t.Fatal("a wrong secret was accepted")
	}

	// image add reads the token from the state dir; from another dir it has none.
	imageAdd := func(stateDir string) (string, error) {
		var out, errOut bytes.Buffer
		root := cli.NewRootCmd(cli.IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut})
		root.SetArgs([]string{"local", "image", "add", "app:1", "--endpoint-url", endpoint, "--state-dir", stateDir, "--dir", dir, "--", "/bin/true"})
		err := root.ExecuteContext(ctx)
		return out.String(), err
	}
	_, err = imageAdd(t.TempDir())
	tokenPath := filepath.Join(dir, localcloud.AdminTokenFile)
	if err == nil || !strings.Contains(err.Error(), tokenPath) {
		t.Errorf("image add without the token: %v, want an error naming %s", err, tokenPath)
	}
	out, err := imageAdd(dir)
	if err != nil || !strings.Contains(out, "Registered process image app:1") {
		t.Fatalf("image add with --state-dir: %v\n%s", err, out)
	}

	log := errOut.String()
	t.Logf("berth local -v:\n%s", log)
	for _, want := range []*regexp.Regexp{
		regexp.MustCompile(`time=\S+ .*msg=call account=000000000000 region=eu-west-1 service=ecs operation=CreateCluster status=200 code="" duration=\S+`),
		regexp.MustCompile(`service=sts operation=GetCallerIdentity status=200 code=""`),
		regexp.MustCompile(`service=ecs operation=DescribeServices status=400 code=ClusterNotFoundException`),
		regexp.MustCompile(`service=ecs operation=ListClusters status=400 code=InvalidSignatureException`),
		regexp.MustCompile(`operation="POST /_berth/images" status=403 code=AccessDenied`), // with --require-sigv4: neither signed nor the token
		regexp.MustCompile(`operation="POST /_berth/images" status=200 code=""`),
	} {
		if !want.MatchString(log) {
			t.Errorf("the -v log has no line matching %s:\n%s", want, log)
		}
	}
	token, err := os.ReadFile(filepath.Join(dir, localcloud.AdminTokenFile))
	if err != nil {
		t.Fatal(err)
	}
	for name, secretValue := range map[string]string{"secret access key": secret, "admin token": strings.TrimSpace(string(token)),
		"signature": "Signature=", "authorization": "AWS4-HMAC-SHA256", "bearer": "Bearer"} {
		if strings.Contains(log, secretValue) {
			t.Errorf("the -v log shows the %s", name)
		}
	}
}

// berth up registers the process image with the admin token of the local
// cloud it uses, found through --state-dir, and says where the token is
// when it has the wrong one.
func TestUpUsesTheAdminToken(t *testing.T) {
	requirePython(t)
	dir := t.TempDir()
	cloud := localcloudtest.StartInDir(t, dir)

	_, _, err := berth(t, cloud.Endpoint, "up", "--no-logs", "-f", exampleSpec, "--state-dir", t.TempDir())
	if err == nil || !strings.Contains(err.Error(), filepath.Join(dir, localcloud.AdminTokenFile)) {
		t.Fatalf("berth up with another state dir: %v, want the refusal naming the token file", err)
	}
	out, errOut, err := berth(t, cloud.Endpoint, "up", "--no-logs", "-f", exampleSpec, "--state-dir", dir)
	if err != nil {
		t.Fatalf("berth up: %v\nstdout:\n%s\nstderr:\n%s", err, out, errOut)
	}
	if !strings.Contains(out, "The service answers through its load balancer at") {
		t.Errorf("berth up printed no URL:\n%s", out)
	}
	img, err := cloud.Image("fastapi-dev:latest")
	if err != nil || img == nil {
		t.Errorf("berth up registered no process image: %v", err)
	}

	// The application behind the load balancer is not the control plane:
	// on the endpoint port, under its *.elb.localhost name, a browser's
	// cross-origin request reaches it.
	var reply struct {
		Listeners []struct {
			DNSName string `json:"dnsName"`
		} `json:"listeners"`
	}
	if err := json.Unmarshal([]byte(get(t, cloud.Endpoint+"/_berth/listeners")), &reply); err != nil || len(reply.Listeners) != 1 {
		t.Fatalf("listeners: %v %+v", err, reply)
	}
	req, err := http.NewRequest(http.MethodGet, cloud.Endpoint+"/", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Host = reply.Listeners[0].DNSName
	req.Header.Set("Origin", "http://some-page.example")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "task_id") {
		t.Errorf("the app through %s with an Origin: %s %s", req.Host, resp.Status, body)
	}
}

// berth local --ephemeral says where its admin token is, and image add
// finds it there.
func TestEphemeralLocalPrintsTheTokenDir(t *testing.T) {
	endpoint, errOut := runLocal(t, "--ephemeral")
	m := regexp.MustCompile(`image add --state-dir (\S+)`).FindStringSubmatch(errOut.String())
	if m == nil {
		t.Fatalf("berth local --ephemeral does not say where its token is:\n%s", errOut.String())
	}
	var out bytes.Buffer
	root := cli.NewRootCmd(cli.IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &out})
	root.SetArgs([]string{"local", "image", "add", "app:1", "--endpoint-url", endpoint, "--state-dir", m[1], "--dir", t.TempDir(), "--", "/bin/true"})
	if err := root.ExecuteContext(context.Background()); err != nil {
		t.Fatalf("image add with the printed --state-dir: %v\n%s", err, out.String())
	}
}
