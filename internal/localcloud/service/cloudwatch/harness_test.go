package cloudwatch_test

import (
	"context"
	"net/http"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"

	"github.com/berthdev/berth/internal/localcloud/localcloudtest"
)

// exchange is what a recording transport saw of one call.
type exchange struct {
	path            string
	contentEncoding string
	smithyProtocol  string
	status          int
	replyProtocol   string
	replyType       string
	queryError      string
}

// recorder is an http.RoundTripper that notes each request's and reply's
// protocol headers, so tests can assert what went over the wire.
type recorder struct {
	mu    sync.Mutex
	seen  []exchange
	inner http.RoundTripper
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := r.inner.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	r.seen = append(r.seen, exchange{
		path: req.URL.Path, contentEncoding: req.Header.Get("Content-Encoding"), smithyProtocol: req.Header.Get("Smithy-Protocol"),
		status: resp.StatusCode, replyProtocol: resp.Header.Get("Smithy-Protocol"), replyType: resp.Header.Get("Content-Type"),
		queryError: resp.Header.Get("X-Amzn-Query-Error"),
	})
	r.mu.Unlock()
	return resp, nil
}

func (r *recorder) last(t *testing.T) exchange {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.seen) == 0 {
		t.Fatal("no request was recorded")
	}
	return r.seen[len(r.seen)-1]
}

type fixture struct {
	cloud  *localcloudtest.Cloud
	client *cloudwatch.Client
	wire   *recorder
	ctx    context.Context
}

// start runs a control-plane-only cloud: alarm passes run when a test
// drives them, never behind its back.
func start(t *testing.T) *fixture {
	t.Helper()
	cloud := localcloudtest.StartControlPlane(t)
	wire := &recorder{inner: http.DefaultTransport}
	client := cloudwatch.NewFromConfig(cloud.Config, func(o *cloudwatch.Options) {
		o.HTTPClient = &http.Client{Transport: wire}
		o.RetryMaxAttempts = 1
	})
	return &fixture{cloud: cloud, client: client, wire: wire, ctx: context.Background()}
}

// inScope is the default account's us-east-1, where the SDK's calls act.
func (f *fixture) inScope() context.Context {
	return localcloudtest.InRegion(f.ctx, "us-east-1")
}
