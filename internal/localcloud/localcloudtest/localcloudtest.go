// Package localcloudtest starts an in-process local cloud for tests and hands
// out real AWS SDK configuration pointed at it.
package localcloudtest

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/berthdev/berth/internal/localcloud"
)

// Cloud is a local cloud serving on a loopback port for one test.
type Cloud struct {
	*localcloud.Cloud
	Endpoint string
	Config   aws.Config
}

// Start runs an ephemeral local cloud, data plane included, until the test
// ends.
func Start(t testing.TB) *Cloud {
	t.Helper()
	c, err := localcloud.New(localcloud.Options{Logger: slog.New(slog.NewTextHandler(testWriter{t}, nil))})
	if err != nil {
		t.Fatalf("starting local cloud: %v", err)
	}
	srv := httptest.NewServer(c)
	c.SetEndpoint(srv.URL)
	ctx, cancel := context.WithCancel(context.Background())
	ran := make(chan error, 1)
	go func() { ran <- c.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		<-ran
		srv.Close()
		if err := c.Close(); err != nil {
			t.Errorf("closing local cloud: %v", err)
		}
	})
	return &Cloud{Cloud: c, Endpoint: srv.URL, Config: SDKConfig(t, srv.URL)}
}

// SDKConfig returns an SDK configuration for endpoint with test credentials.
func SDKConfig(t testing.TB, endpoint string) aws.Config {
	t.Helper()
	cfg, err := config.LoadDefaultConfig(context.Background(),
		config.WithRegion("us-east-1"),
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

// Eventually polls done until it reports true, failing the test after two
// minutes. The deadline guards against a hang; it is not a timing assertion.
func Eventually(t testing.TB, what string, done func() bool) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for !done() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
