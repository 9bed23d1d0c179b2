package ecs

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awsecs "github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/smithy-go"

	"github.com/berthdev/berth/internal/localcloud/protocol"
	"github.com/berthdev/berth/internal/localcloud/store"
)

// These tests drive the backend through the real SDK over HTTP, served by a
// minimal awsJson front end of this service alone, so they do not depend on
// the rest of the local cloud building (the e2e directory runs the same
// service inside the whole local cloud).

type fixture struct {
	backend *Backend
	client  *awsecs.Client
	ctx     context.Context
}

func newBackend(t *testing.T) *Backend {
	t.Helper()
	st, err := store.OpenEphemeral()
	if err != nil {
		t.Fatalf("opening store: %v", err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return New(st)
}

func start(t *testing.T) *fixture {
	t.Helper()
	b := newBackend(t)
	svc := b.Service()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		target := r.Header.Get("X-Amz-Target")
		prefix, name, _ := strings.Cut(target, ".")
		call := &protocol.Call{Service: "ecs", Operation: name, Region: protocol.DefaultRegion, AccountID: protocol.DefaultAccountID, RequestID: store.NewUUID()}
		op, ok := svc.Lookup(name)
		if prefix != svc.TargetPrefix || !ok {
			svc.Codec.EncodeError(w, call, svc.Codec.UnknownOperation(target))
			return
		}
		body, err := io.ReadAll(r.Body)
		if err != nil {
			svc.Codec.EncodeError(w, call, protocol.InternalError(err))
			return
		}
		in := op.NewInput()
		if err := svc.Codec.Decode(r, body, in); err != nil {
			var aerr *protocol.Error
			if !errors.As(err, &aerr) {
				aerr = protocol.InternalError(err)
			}
			svc.Codec.EncodeError(w, call, aerr)
			return
		}
		out, err := op.Invoke(protocol.WithCall(r.Context(), call), in)
		if err != nil {
			var aerr *protocol.Error
			if !errors.As(err, &aerr) {
				aerr = protocol.InternalError(err)
			}
			svc.Codec.EncodeError(w, call, aerr)
			return
		}
		svc.Codec.Encode(w, call, out)
	}))
	t.Cleanup(srv.Close)
	client := awsecs.NewFromConfig(aws.Config{
		Region:           "us-east-1",
		Credentials:      credentials.NewStaticCredentialsProvider("test", "test", ""),
		BaseEndpoint:     aws.String(srv.URL),
		RetryMaxAttempts: 1,
	})
	return &fixture{backend: b, client: client, ctx: context.Background()}
}

// wantCode fails unless err is an AWS error with the given code (or nil
// when code is "").
func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if code == "" {
		if err != nil {
			t.Fatalf("unexpected error: %v", err)
		}
		return
	}
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) {
		t.Fatalf("want %s, got %v", code, err)
	}
	if apiErr.ErrorCode() != code {
		t.Fatalf("want %s, got %s: %s", code, apiErr.ErrorCode(), apiErr.ErrorMessage())
	}
}
