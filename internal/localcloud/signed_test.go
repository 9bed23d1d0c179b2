package localcloud_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	awsec2 "github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/berthdev/berth/internal/localcloud"
	"github.com/berthdev/berth/internal/localcloud/localcloudtest"
)

const (
	signKeyID  = "AKIDBERTHTEST0000001"
	signSecret = "s3cr3t/berth+local/EXAMPLEKEY0000000000"
)

func startSigned(t *testing.T) *guarded {
	t.Helper()
	return startGuarded(t, localcloud.Options{SigV4Keys: map[string]string{signKeyID: signSecret}})
}

// apiCalls are one call of each wire protocol: query (STS), awsJson (ECS)
// and EC2's own.
var apiCalls = []struct {
	protocol string
	call     func(cfg aws.Config) error
	// the codes for a wrong secret, an unknown key, no signature
	wrongSecret, unknownKey, unsigned string
}{
	{"query", func(cfg aws.Config) error {
		_, err := sts.NewFromConfig(cfg).GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{})
		return err
	}, "SignatureDoesNotMatch", "InvalidClientTokenId", "MissingAuthenticationToken"},
	{"awsJson", func(cfg aws.Config) error {
		_, err := ecs.NewFromConfig(cfg).ListClusters(context.Background(), &ecs.ListClustersInput{})
		return err
	}, "InvalidSignatureException", "UnrecognizedClientException", "MissingAuthenticationTokenException"},
	{"ec2", func(cfg aws.Config) error {
		_, err := awsec2.NewFromConfig(cfg).DescribeVpcs(context.Background(), &awsec2.DescribeVpcsInput{})
		return err
	}, "AuthFailure", "AuthFailure", "MissingAuthenticationToken"},
}

func errorCodeOf(err error) string {
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		return apiErr.ErrorCode()
	}
	if err == nil {
		return ""
	}
	return "not an API error: " + err.Error()
}

// With --require-sigv4 the real SDK succeeds with the right key pair and
// gets each protocol's own AWS error for a wrong secret, an unknown key or
// no signature.
func TestSDKSignaturesAreVerified(t *testing.T) {
	cloud := startSigned(t)
	for _, c := range apiCalls {
		t.Run(c.protocol, func(t *testing.T) {
			if err := c.call(sdkConfig(t, cloud.endpoint, signKeyID, signSecret)); err != nil {
				t.Fatalf("signed with the right key: %v", err)
			}
			if got := errorCodeOf(c.call(sdkConfig(t, cloud.endpoint, signKeyID, "wrong-secret"))); got != c.wrongSecret {
				t.Errorf("wrong secret: code %q, want %q", got, c.wrongSecret)
			}
			if got := errorCodeOf(c.call(sdkConfig(t, cloud.endpoint, "AKIDUNKNOWN", signSecret))); got != c.unknownKey {
				t.Errorf("unknown key: code %q, want %q", got, c.unknownKey)
			}
			anonymous := sdkConfig(t, cloud.endpoint, "x", "x")
			anonymous.Credentials = aws.AnonymousCredentials{}
			if got := errorCodeOf(c.call(anonymous)); got != c.unsigned {
				t.Errorf("unsigned: code %q, want %q", got, c.unsigned)
			}
		})
	}
}

// signedRequest builds a request to the endpoint signed by the SDK's own
// signer over signedBody, then sends sentBody.
func signedRequest(t *testing.T, endpoint, signedBody, sentBody, payloadHash string, at time.Time, headers map[string]string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, endpoint+"/", strings.NewReader(signedBody))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	if payloadHash == "" {
		sum := sha256.Sum256([]byte(signedBody))
		payloadHash = hex.EncodeToString(sum[:])
	}
	creds := aws.Credentials{AccessKeyID: signKeyID, SecretAccessKey: signSecret}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, payloadHash, "sts", "us-east-1", at); err != nil {
		t.Fatal(err)
	}
	req.Body = io.NopCloser(strings.NewReader(sentBody))
	req.ContentLength = int64(len(sentBody))
	return req
}

func do(t *testing.T, req *http.Request) rawReply {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return rawReply{status: resp.StatusCode, header: resp.Header, body: body}
}

// A body changed after signing, a stale or future date, and unsigned or
// declared payload hashes are judged as AWS judges them.
func TestSignatureCoversBodyAndTime(t *testing.T) {
	cloud := startSigned(t)
	const call = "Action=GetCallerIdentity&Version=2011-06-15"
	form := map[string]string{"Content-Type": formType}
	now := time.Now()
	otherHash := sha256.Sum256([]byte("something else"))
	tests := []struct {
		name                 string
		signed, sent, hash   string
		at                   time.Time
		headers              map[string]string
		wantStatus           int
		wantCode, wantInBody string
	}{
		{"as signed", call, call, "", now, form, 200, "", ""},
		{"tampered body", call, call + "&Extra=1", "", now, form, 403, "SignatureDoesNotMatch", "does not match"},
		{"20 minutes old", call, call, "", now.Add(-20 * time.Minute), form, 403, "SignatureDoesNotMatch", "Signature expired"},
		{"20 minutes ahead", call, call, "", now.Add(20 * time.Minute), form, 403, "SignatureDoesNotMatch", "not yet current"},
		{"unsigned payload", call, call, "UNSIGNED-PAYLOAD", now, mergeHeaders(form, "X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD"), 200, "", ""},
		{"declared hash of another body", call, call, hex.EncodeToString(otherHash[:]), now,
			mergeHeaders(form, "X-Amz-Content-Sha256", hex.EncodeToString(otherHash[:])), 403, "SignatureDoesNotMatch", "x-amz-content-sha256"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reply := do(t, signedRequest(t, cloud.endpoint, tt.signed, tt.sent, tt.hash, tt.at, tt.headers))
			if reply.status != tt.wantStatus {
				t.Fatalf("status = %d, want %d: %s", reply.status, tt.wantStatus, reply.body)
			}
			if tt.wantCode != "" {
				if got := replyCode(t, reply.body); got != tt.wantCode {
					t.Errorf("code = %q, want %q", got, tt.wantCode)
				}
				if !strings.Contains(string(reply.body), tt.wantInBody) {
					t.Errorf("message does not say %q: %s", tt.wantInBody, reply.body)
				}
			}
		})
	}

	// Each protocol names a stale signature its own way.
	stale := now.Add(-time.Hour)
	ecsReq := signedRequest(t, cloud.endpoint, "{}", "{}", "", stale, map[string]string{"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": ecsTarget + ".ListClusters"})
	if got := replyCode(t, do(t, ecsReq).body); got != "InvalidSignatureException" {
		t.Errorf("stale awsJson call: %q, want InvalidSignatureException", got)
	}
	ec2Req := signedRequest(t, cloud.endpoint, "Action=DescribeVpcs&Version=2016-11-15", "Action=DescribeVpcs&Version=2016-11-15", "", stale, form)
	if got := replyCode(t, do(t, ec2Req).body); got != "RequestExpired" {
		t.Errorf("stale EC2 call: %q, want RequestExpired", got)
	}
}

// A presigned URL (the query form of SigV4) works until it expires.
func TestPresignedURLs(t *testing.T) {
	cloud := startSigned(t)
	presign := func(secret string, at time.Time, expires string) string {
		req, err := http.NewRequest(http.MethodGet, cloud.endpoint+"/?Action=GetCallerIdentity&Version=2011-06-15&X-Amz-Expires="+expires, nil)
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(nil)
		url, _, err := v4.NewSigner().PresignHTTP(context.Background(), aws.Credentials{AccessKeyID: signKeyID, SecretAccessKey: secret},
			req, hex.EncodeToString(sum[:]), "sts", "us-east-1", at)
		if err != nil {
			t.Fatal(err)
		}
		return url
	}
	get := func(url string) rawReply {
		req, err := http.NewRequest(http.MethodGet, url, nil)
		if err != nil {
			t.Fatal(err)
		}
		return do(t, req)
	}
	if reply := get(presign(signSecret, time.Now(), "300")); reply.status != 200 || !strings.Contains(string(reply.body), "GetCallerIdentityResult") {
		t.Errorf("presigned URL: %d %s", reply.status, reply.body)
	}
	if reply := get(presign("wrong", time.Now(), "300")); reply.status != 403 || replyCode(t, reply.body) != "SignatureDoesNotMatch" {
		t.Errorf("presigned with a wrong secret: %d %s", reply.status, reply.body)
	}
	if reply := get(presign(signSecret, time.Now().Add(-10*time.Minute), "60")); reply.status != 403 || !strings.Contains(string(reply.body), "expired") {
		t.Errorf("expired presigned URL: %d %s", reply.status, reply.body)
	}
	url := presign(signSecret, time.Now(), "300")
	if reply := get(strings.Replace(url, "GetCallerIdentity", "GetSessionToken", 1)); reply.status != 403 {
		t.Errorf("presigned URL with a changed action: %d %s", reply.status, reply.body)
	}
}

// With --require-sigv4 the admin routes take a signature or the admin
// token; only the health check (and task metadata from loopback) stay open.
func TestAdminRoutesNeedSignatureOrToken(t *testing.T) {
	cloud := startSigned(t)
	if reply := send(t, cloud.endpoint, rawRequest{method: http.MethodGet, path: "/_berth/health"}); reply.status != 200 {
		t.Errorf("health: %d", reply.status)
	}
	if reply := send(t, cloud.endpoint, rawRequest{method: http.MethodGet, path: "/_berth/metadata/v4/no-such-task"}); reply.status != 404 {
		t.Errorf("task metadata from loopback: %d %s, want the handler's 404, not a refusal", reply.status, reply.body)
	}
	if reply := send(t, cloud.endpoint, rawRequest{method: http.MethodGet, path: "/_berth/images"}); reply.status != 403 {
		t.Errorf("unsigned image list: %d %s", reply.status, reply.body)
	}
	if reply := send(t, cloud.endpoint, rawRequest{path: "/moto-api/reset"}); reply.status != 403 {
		t.Errorf("unsigned reset: %d %s", reply.status, reply.body)
	}
	token := map[string]string{"Authorization": "Bearer " + cloud.AdminToken()}
	if reply := send(t, cloud.endpoint, rawRequest{method: http.MethodGet, path: "/_berth/images", headers: token}); reply.status != 200 {
		t.Errorf("image list with the token: %d %s", reply.status, reply.body)
	}
	req, err := http.NewRequest(http.MethodGet, cloud.endpoint+"/_berth/listeners", nil)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(nil)
	if err := v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: signKeyID, SecretAccessKey: signSecret},
		req, hex.EncodeToString(sum[:]), "berth", "us-east-1", time.Now()); err != nil {
		t.Fatal(err)
	}
	if reply := do(t, req); reply.status != 200 {
		t.Errorf("signed listener list: %d %s", reply.status, reply.body)
	}
	image := `{"Name":"app:1","Dir":"/tmp","Command":["/bin/true"]}`
	if reply := send(t, cloud.endpoint, rawRequest{path: "/_berth/images", body: image, headers: token}); reply.status != 200 {
		t.Errorf("image write with the token: %d %s", reply.status, reply.body)
	}
}

// The real aws CLI (botocore's signer) passes with the right key pair and
// gets the AWS error code with a wrong secret.
func TestAWSCLISignatures(t *testing.T) {
	path, err := exec.LookPath("aws")
	if err != nil {
		t.Fatalf("the aws CLI is needed (pip install awscli): %v", err)
	}
	cloud := startSigned(t)
	run := func(secret string, args ...string) (string, error) {
		cmd := exec.Command(path, append([]string{"--endpoint-url", cloud.endpoint, "--output", "json"}, args...)...)
		cmd.Env = append(os.Environ(), "AWS_ACCESS_KEY_ID="+signKeyID, "AWS_SECRET_ACCESS_KEY="+secret, "AWS_DEFAULT_REGION=eu-west-1",
			"AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null", "AWS_PAGER=", "AWS_MAX_ATTEMPTS=1", "AWS_SESSION_TOKEN=")
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	for _, c := range []struct {
		args      []string
		wrongCode string
	}{
		{[]string{"sts", "get-caller-identity"}, "SignatureDoesNotMatch"},
		{[]string{"ecs", "list-clusters"}, "InvalidSignatureException"},
		{[]string{"ec2", "describe-vpcs"}, "AuthFailure"},
	} {
		if out, err := run(signSecret, c.args...); err != nil {
			t.Errorf("aws %v with the right key: %v\n%s", c.args, err, out)
		}
		out, err := run("wrong-secret", c.args...)
		if err == nil || !strings.Contains(out, c.wrongCode) {
			t.Errorf("aws %v with a wrong secret: err %v, want %s in:\n%s", c.args, err, c.wrongCode, out)
		}
	}
}

// State is kept per region, so a call signed for something that is not a
// region name (here with capitals, which the SDK sends as it is) gets the
// error AWS sends for a credential scoped to an unknown region, in each
// protocol's own code: a client error, not an internal failure the SDK
// retries.
func TestCallsScopedToAMalformedRegionAreRefused(t *testing.T) {
	cloud := localcloudtest.Start(t)
	cfg := cloud.ConfigIn("EU-West-1")
	cfg.RetryMaxAttempts = 1
	for _, c := range apiCalls {
		t.Run(c.protocol, func(t *testing.T) {
			err := c.call(cfg)
			if got := errorCodeOf(err); got != c.wrongSecret {
				t.Fatalf("error code = %q, want %q (%v)", got, c.wrongSecret, err)
			}
			if !strings.Contains(err.Error(), "Credential should be scoped to a valid region, not 'EU-West-1'") {
				t.Errorf("error %q does not name the region", err)
			}
		})
	}
}

// With --require-sigv4, keys the local cloud itself issues (an IAM user's
// access key, an STS session) sign requests too, and STS's web-identity
// call needs no signature, as on AWS.
func TestIssuedKeysSignRequests(t *testing.T) {
	cloud := startSigned(t)
	admin := sdkConfig(t, cloud.endpoint, signKeyID, signSecret)
	ctx := context.Background()
	if _, err := iam.NewFromConfig(admin).CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("deployer")}); err != nil {
		t.Fatal(err)
	}
	key, err := iam.NewFromConfig(admin).CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("deployer")})
	if err != nil {
		t.Fatal(err)
	}
	user := sdkConfig(t, cloud.endpoint, *key.AccessKey.AccessKeyId, *key.AccessKey.SecretAccessKey)
	who, err := sts.NewFromConfig(user).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatalf("signed with the user's key: %v", err)
	}
	if !strings.HasSuffix(*who.Arn, ":user/deployer") {
		t.Errorf("caller %s, want the user", *who.Arn)
	}
	forged := sdkConfig(t, cloud.endpoint, *key.AccessKey.AccessKeyId, "not-its-secret")
	if got := errorCodeOf(func() error {
		_, err := sts.NewFromConfig(forged).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
		return err
	}()); got != "SignatureDoesNotMatch" {
		t.Errorf("the user's key with another secret: %q", got)
	}

	anonymous := sdkConfig(t, cloud.endpoint, "x", "x")
	anonymous.Credentials = aws.AnonymousCredentials{}
	_, err = sts.NewFromConfig(anonymous).AssumeRoleWithWebIdentity(ctx, &sts.AssumeRoleWithWebIdentityInput{
		RoleArn: aws.String("arn:aws:iam::000000000000:role/none"), RoleSessionName: aws.String("s"), WebIdentityToken: aws.String("not-a-jwt")})
	if got := errorCodeOf(err); got == "MissingAuthenticationToken" || got == "" {
		t.Errorf("unsigned AssumeRoleWithWebIdentity: %q, want STS's own answer, not a signature error", got)
	}
}
