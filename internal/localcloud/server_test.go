package localcloud_test

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/berthdev/berth/internal/localcloud/localcloudtest"
)

func TestGetCallerIdentityThroughSDK(t *testing.T) {
	cloud := localcloudtest.Start(t)
	out, err := sts.NewFromConfig(cloud.Config).GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatalf("GetCallerIdentity: %v", err)
	}
	if got := *out.Account; got != "000000000000" {
		t.Errorf("Account = %q, want 000000000000", got)
	}
	if got := *out.Arn; got != "arn:aws:iam::000000000000:root" {
		t.Errorf("Arn = %q", got)
	}
}

// Malformed and unroutable requests get the AWS error their protocol's
// clients parse, never a crash or an empty reply.
func TestMalformedRequestsGetAWSErrors(t *testing.T) {
	cloud := localcloudtest.Start(t)
	tests := []struct {
		name        string
		headers     map[string]string
		body        string
		wantStatus  int
		wantCode    string
		wantJSONErr bool
	}{
		{"unknown json target prefix", map[string]string{"X-Amz-Target": "NoSuchService.DoIt", "Content-Type": "application/x-amz-json-1.1"}, "{}", 400, "UnknownOperationException", true},
		{"json target without operation", map[string]string{"X-Amz-Target": "garbage", "Content-Type": "application/x-amz-json-1.1"}, "{}", 400, "UnknownOperationException", true},
		{"form without action", map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, "Version=2011-06-15", 400, "MissingAction", false},
		{"unknown version", map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, "Action=GetCallerIdentity&Version=1999-01-01", 400, "InvalidAction", false},
		{"unknown action", map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, "Action=Nope&Version=2011-06-15", 400, "InvalidAction", false},
		{"broken form encoding", map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, "Action=%zz", 400, "MalformedQueryString", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(http.MethodPost, cloud.Endpoint+"/", strings.NewReader(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			for k, v := range tt.headers {
				req.Header.Set(k, v)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tt.wantStatus {
				t.Errorf("status = %d, want %d (body %s)", resp.StatusCode, tt.wantStatus, body)
			}
			if got := errorCode(t, body, tt.wantJSONErr); got != tt.wantCode {
				t.Errorf("code = %q, want %q (body %s)", got, tt.wantCode, body)
			}
		})
	}
}

func errorCode(t *testing.T, body []byte, isJSON bool) string {
	t.Helper()
	if isJSON {
		var e struct {
			Type string `json:"__type"`
		}
		if err := json.Unmarshal(body, &e); err != nil {
			t.Fatalf("error body is not JSON: %v: %s", err, body)
		}
		return e.Type
	}
	var e struct {
		Error struct{ Code string } `xml:"Error"`
	}
	if err := xml.Unmarshal(body, &e); err != nil {
		t.Fatalf("error body is not XML: %v: %s", err, body)
	}
	return e.Error.Code
}

// The SDK sees the local cloud's errors as typed API errors.
func TestSDKSeesAPIErrorCode(t *testing.T) {
	cloud := localcloudtest.Start(t)
	client := sts.NewFromConfig(cloud.Config)
	// An operation AWS has but the local cloud does not serve is known
	// from AWS's model: NotImplemented, naming it, never InvalidAction.
	_, err := client.GetFederationToken(context.Background(), &sts.GetFederationTokenInput{Name: new("someone")})
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) {
		t.Fatalf("want an API error, got %v", err)
	}
	if apiErr.ErrorCode() != "NotImplemented" || !strings.Contains(apiErr.ErrorMessage(), "GetFederationToken") {
		t.Errorf("code = %q (%s), want NotImplemented naming the operation", apiErr.ErrorCode(), apiErr.ErrorMessage())
	}
	// An action AWS does not have is InvalidAction, as AWS answers.
	resp, err := http.Post(cloud.Endpoint, "application/x-www-form-urlencoded", strings.NewReader("Action=MakeCoffee&Version=2011-06-15"))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), "<Code>InvalidAction</Code>") {
		t.Errorf("an unknown action: %d %s", resp.StatusCode, body)
	}
}
