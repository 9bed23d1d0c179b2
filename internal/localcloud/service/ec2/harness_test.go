package ec2_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"regexp"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awsec2 "github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/smithy-go"

	"github.com/berthdev/berth/internal/localcloud/protocol"
	"github.com/berthdev/berth/internal/localcloud/service/ec2"
	"github.com/berthdev/berth/internal/localcloud/store"
)

// The service is served by a minimal EC2-protocol dispatcher rather than
// localcloudtest, so that these tests do not depend on every other package
// of the local cloud compiling; the codec and operations are the real ones
// and the region comes from the SigV4 scope as the router takes it.
type fixture struct {
	backend  *ec2.Backend
	client   *awsec2.Client
	endpoint string
}

var credentialScope = regexp.MustCompile(`Credential=[^/]+/\d{8}/([^/]+)/`)

func start(t *testing.T) *fixture {
	t.Helper()
	st, err := store.OpenEphemeral()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	backend := ec2.New(st)
	svc := backend.Service()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		region := protocol.DefaultRegion
		if m := credentialScope.FindStringSubmatch(r.Header.Get("Authorization")); m != nil {
			region = m[1]
		}
		call := &protocol.Call{Service: svc.SigningName, Operation: r.PostForm.Get("Action"), Region: region,
			AccountID: protocol.DefaultAccountID, RequestID: store.NewUUID()}
		op, ok := svc.Lookup(call.Operation)
		if !ok {
			svc.Codec.EncodeError(w, call, svc.Codec.UnknownOperation(call.Operation))
			return
		}
		input := op.NewInput()
		if err := svc.Codec.Decode(r, nil, input); err != nil {
			svc.Codec.EncodeError(w, call, asAWSError(err))
			return
		}
		output, err := op.Invoke(protocol.WithCall(r.Context(), call), input)
		if err != nil {
			svc.Codec.EncodeError(w, call, asAWSError(err))
			return
		}
		svc.Codec.Encode(w, call, output)
	}))
	t.Cleanup(srv.Close)
	return &fixture{backend: backend, client: newClient(srv.URL, "us-east-1"), endpoint: srv.URL}
}

func newClient(endpoint, region string) *awsec2.Client {
	return awsec2.New(awsec2.Options{
		Region:       region,
		BaseEndpoint: aws.String(endpoint),
		Credentials:  credentials.NewStaticCredentialsProvider("test", "test", ""),
	})
}

func asAWSError(err error) *protocol.Error {
	var aerr *protocol.Error
	if errors.As(err, &aerr) {
		return aerr
	}
	return protocol.InternalError(err)
}

// wantCode fails unless err is an AWS error with the given code ("" = no error).
func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if code == "" {
		if err != nil {
			t.Fatalf("unexpected error: %v", err)
		}
		return
	}
	var goErr *protocol.Error // from Go-level calls
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

var ctx = context.Background()

func must[T any](t *testing.T) func(T, error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatalf("unexpected error: %v", err)
		}
		return v
	}
}
