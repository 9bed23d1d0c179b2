// Package localcloudtest starts an in-process local cloud for tests and hands
// out real AWS SDK configuration pointed at it.
package localcloudtest

import (
	"context"
	"errors"
	"log/slog"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/smithy-go"

	"github.com/berthdev/berth/internal/localcloud"
	"github.com/berthdev/berth/internal/localcloud/protocol"
	"github.com/berthdev/berth/internal/localcloud/store"
)

// Cloud is a local cloud serving on a loopback port for one test.
type Cloud struct {
	*localcloud.Cloud
	Endpoint string
	Config   aws.Config

	stop sync.Once
	halt func()
}

// Stop stops the cloud before the test ends (it stops by itself at the end
// otherwise), as a crash or an operator would; its state stays on disk when
// it has a state directory.
func (c *Cloud) Stop() { c.stop.Do(c.halt) }

// Start runs an ephemeral local cloud, data plane included, until the test
// ends.
func Start(t testing.TB) *Cloud {
	t.Helper()
	return start(t, localcloud.Options{}, true)
}

// StartInDir runs a local cloud, data plane included, whose state lives in
// dir, so that a second cloud started on the same dir finds it.
func StartInDir(t testing.TB, dir string) *Cloud {
	t.Helper()
	return start(t, localcloud.Options{StateDir: dir}, true)
}

// StartWithOptions runs a local cloud, data plane included, with opts (its
// Logger is the test's).
func StartWithOptions(t testing.TB, opts localcloud.Options) *Cloud {
	t.Helper()
	return start(t, opts, true)
}

// StartControlPlane runs an ephemeral local cloud that only serves the API:
// no data plane runs, so a test sees what the API calls do and nothing
// else (no controller launches instances for an Auto Scaling group or
// places tasks).
func StartControlPlane(t testing.TB) *Cloud {
	t.Helper()
	return start(t, localcloud.Options{}, false)
}

func start(t testing.TB, opts localcloud.Options, dataPlane bool) *Cloud {
	t.Helper()
	opts.Logger = slog.New(slog.NewTextHandler(testWriter{t}, nil))
	c, err := localcloud.New(opts)
	if err != nil {
		t.Fatalf("starting local cloud: %v", err)
	}
	srv := httptest.NewServer(c)
	c.SetEndpoint(srv.URL)
	stop := func() {}
	if dataPlane {
		ctx, cancel := context.WithCancel(context.Background())
		ran := make(chan error, 1)
		go func() { ran <- c.Run(ctx) }()
		stop = func() {
			cancel()
			<-ran
		}
	}
	cloud := &Cloud{Cloud: c, Endpoint: srv.URL, Config: SDKConfig(t, srv.URL)}
	cloud.halt = func() {
		stop()
		srv.Close()
		if err := c.Close(); err != nil {
			t.Errorf("closing local cloud: %v", err)
		}
	}
	t.Cleanup(cloud.Stop)
	return cloud
}

// ConfigIn returns an SDK configuration for the cloud in another region:
// clients made from it sign for that region, so what they create lives
// there.
func (c *Cloud) ConfigIn(region string) aws.Config {
	cfg := c.Config.Copy()
	cfg.Region = region
	return cfg
}

// InRegion returns ctx scoped to region of the default account, as an API
// call signed for that region is: for tests that call a backend's Go
// methods directly, which act in the scope their context carries.
func InRegion(ctx context.Context, region string) context.Context {
	return store.WithScope(ctx, store.Scope{Account: protocol.DefaultAccountID, Region: region})
}

// SDKConfig returns an SDK configuration for endpoint with test credentials,
// in us-east-1 (see Cloud.ConfigIn for another region).
func SDKConfig(t testing.TB, endpoint string) aws.Config {
	t.Helper()
	cfg, err := config.LoadDefaultConfig(context.Background(),
		config.WithRegion(protocol.DefaultRegion),
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("test", "test", "")),
		config.WithBaseEndpoint(endpoint),
		config.WithSharedConfigFiles(nil), config.WithSharedCredentialsFiles(nil),
	)
	if err != nil {
		t.Fatalf("SDK config: %v", err)
	}
	return cfg
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(string(p))
	return len(p), nil
}

// Eventually polls done until it reports true, failing the test after five
// minutes. The deadline guards against a hang; it is not a timing assertion,
// and it is generous because a machine busy with other tests (the aws CLI
// takes seconds per call there) may need minutes for what takes seconds.
func Eventually(t testing.TB, what string, done func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Minute)
	for !done() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// WantCode fails the test unless err is an AWS error with the given code, or
// nil when code is "". It takes both the *protocol.Error a backend's Go
// methods return and the smithy.APIError an SDK call returns.
func WantCode(t testing.TB, err error, code string) {
	t.Helper()
	if code == "" {
		if err != nil {
			t.Fatalf("unexpected error: %v", err)
		}
		return
	}
	var goErr *protocol.Error
	if errors.As(err, &goErr) {
		if goErr.Code != code {
			t.Fatalf("want error %s, got %v", code, goErr)
		}
		return
	}
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) {
		t.Fatalf("want error %s, got %v", code, err)
	}
	if apiErr.ErrorCode() != code {
		t.Fatalf("want error %s, got %s: %s", code, apiErr.ErrorCode(), apiErr.ErrorMessage())
	}
}

// ListenerGroup creates a security group in vpcID that lets every client
// in on ports, for a test's load balancer: as on AWS, one created without
// groups gets its VPC's default group, which lets no client in.
func (c *Cloud) ListenerGroup(t testing.TB, vpcID string, ports ...int32) string {
	t.Helper()
	ctx := context.Background()
	client := ec2.NewFromConfig(c.Config)
	group, err := client.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{
		GroupName: aws.String("listeners-" + store.RandomHex(4)), Description: aws.String("a test's listeners"), VpcId: aws.String(vpcID)})
	if err != nil {
		t.Fatalf("CreateSecurityGroup: %v", err)
	}
	for _, port := range ports {
		if _, err := client.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{GroupId: group.GroupId,
			IpProtocol: aws.String("tcp"), FromPort: aws.Int32(port), ToPort: aws.Int32(port), CidrIp: aws.String("0.0.0.0/0")}); err != nil {
			t.Fatalf("AuthorizeSecurityGroupIngress: %v", err)
		}
	}
	return aws.ToString(group.GroupId)
}
