package sts_test

import (
	"context"
	"encoding/base64"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"
	"github.com/aws/smithy-go"

	"github.com/berthdev/berth/internal/localcloud"
	"github.com/berthdev/berth/internal/localcloud/localcloudtest"
	iambackend "github.com/berthdev/berth/internal/localcloud/service/iam"
	"github.com/berthdev/berth/internal/localcloud/store"
)

const (
	account = "123456789012"
	trust   = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"sts:AssumeRole"}]}`
	policy  = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}`
)

func must[T any](v T, err error) func(*testing.T) T {
	return func(t *testing.T) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

// wantError fails unless err is the AWS error code whose message contains
// message.
func wantError(t *testing.T, err error, code, message string) {
	t.Helper()
	localcloudtest.WantCode(t, err, code)
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) && !strings.Contains(apiErr.ErrorMessage(), message) {
		t.Errorf("%s message = %q, want it to contain %q", code, apiErr.ErrorMessage(), message)
	}
}

// withCredentials is an STS client of cloud that signs with the given
// credentials, as a tool handed them would.
func withCredentials(cloud *localcloudtest.Cloud, c *ststypes.Credentials) *sts.Client {
	cfg := cloud.Config.Copy()
	cfg.Credentials = credentials.NewStaticCredentialsProvider(aws.ToString(c.AccessKeyId), aws.ToString(c.SecretAccessKey), aws.ToString(c.SessionToken))
	return sts.NewFromConfig(cfg)
}

func startInAccount(t *testing.T) (*localcloudtest.Cloud, *sts.Client, *iam.Client) {
	cloud := localcloudtest.StartWithOptions(t, localcloud.Options{Account: account})
	return cloud, sts.NewFromConfig(cloud.Config), iam.NewFromConfig(cloud.Config)
}

func TestAssumeRole(t *testing.T) {
	ctx := context.Background()
	cloud, c, identities := startInAccount(t)

	root := must(c.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}))(t)
	if aws.ToString(root.Arn) != "arn:aws:iam::"+account+":root" || aws.ToString(root.Account) != account || aws.ToString(root.UserId) != account {
		t.Errorf("caller with the test keys = %s %s %s, want the root user of %s", aws.ToString(root.Arn), aws.ToString(root.Account), aws.ToString(root.UserId), account)
	}

	role := must(identities.CreateRole(ctx, &iam.CreateRoleInput{
		RoleName: aws.String("deploy"), Path: aws.String("/berth/"), AssumeRolePolicyDocument: aws.String(trust), MaxSessionDuration: aws.Int32(7200),
	}))(t).Role
	roleARN := aws.ToString(role.Arn)

	out := must(c.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: role.Arn, RoleSessionName: aws.String("ci-run")}))(t)
	creds := out.Credentials
	if id := aws.ToString(creds.AccessKeyId); len(id) != 20 || !strings.HasPrefix(id, "ASIA") {
		t.Errorf("AccessKeyId = %q, want ASIA and 16 more characters", id)
	}
	if len(aws.ToString(creds.SecretAccessKey)) != 40 || aws.ToString(creds.SessionToken) == "" {
		t.Errorf("secret %q, session token %q", aws.ToString(creds.SecretAccessKey), aws.ToString(creds.SessionToken))
	}
	// An hour by default; the bounds only guard against a wrong unit.
	if exp := aws.ToTime(creds.Expiration); exp.Before(time.Now().Add(50*time.Minute)) || exp.After(time.Now().Add(70*time.Minute)) {
		t.Errorf("Expiration = %v, want about an hour from now", exp)
	}
	wantARN := "arn:aws:sts::" + account + ":assumed-role/deploy/ci-run"
	wantID := aws.ToString(role.RoleId) + ":ci-run"
	if aws.ToString(out.AssumedRoleUser.Arn) != wantARN || aws.ToString(out.AssumedRoleUser.AssumedRoleId) != wantID {
		t.Errorf("AssumedRoleUser = %s %s, want %s %s", aws.ToString(out.AssumedRoleUser.Arn), aws.ToString(out.AssumedRoleUser.AssumedRoleId), wantARN, wantID)
	}
	//lint:ignore SA1019 AWS still sends PackedPolicySize, and older SDKs read only it
	if out.PackedPolicySize != nil {
		t.Errorf("PackedPolicySize = %d without session policies or tags", aws.ToInt32(out.PackedPolicySize)) //lint:ignore SA1019 as above
	}
	if int(aws.ToInt32(out.SessionTokenSize)) != len(aws.ToString(creds.SessionToken)) {
		t.Errorf("SessionTokenSize = %d, the token has %d characters", aws.ToInt32(out.SessionTokenSize), len(aws.ToString(creds.SessionToken)))
	}

	session := withCredentials(cloud, creds)
	who := must(session.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}))(t)
	if aws.ToString(who.Arn) != wantARN || aws.ToString(who.UserId) != wantID || aws.ToString(who.Account) != account {
		t.Errorf("caller with the session's credentials = %s %s %s, want %s %s %s", aws.ToString(who.Arn), aws.ToString(who.UserId), aws.ToString(who.Account), wantARN, wantID, account)
	}

	full := must(c.AssumeRole(ctx, &sts.AssumeRoleInput{
		RoleArn: role.Arn, RoleSessionName: aws.String("with-everything"), DurationSeconds: aws.Int32(7200),
		Policy: aws.String(policy), PolicyArns: []ststypes.PolicyDescriptorType{{Arn: aws.String("arn:aws:iam::aws:policy/ReadOnlyAccess")}},
		Tags: []ststypes.Tag{{Key: aws.String("team"), Value: aws.String("web")}}, TransitiveTagKeys: []string{"team"},
		ExternalId: aws.String("ext-123"), SourceIdentity: aws.String("alice"),
	}))(t)
	//lint:ignore SA1019 AWS still sends PackedPolicySize, and older SDKs read only it
	if size := aws.ToInt32(full.PackedPolicySize); size < 1 || size > 100 || aws.ToInt32(full.SessionTokenUtilization) != size {
		t.Errorf("PackedPolicySize = %d, SessionTokenUtilization = %d, want one percentage", size, aws.ToInt32(full.SessionTokenUtilization))
	}
	if aws.ToString(full.SourceIdentity) != "alice" {
		t.Errorf("SourceIdentity = %q", aws.ToString(full.SourceIdentity))
	}

	tests := []struct {
		name          string
		in            sts.AssumeRoleInput
		code, message string
	}{
		{"no such role", sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::" + account + ":role/missing"), RoleSessionName: aws.String("s1")},
			"AccessDenied", "User: arn:aws:iam::" + account + ":root is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::" + account + ":role/missing"},
		{"role of another account", sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::210987654321:role/berth/deploy"), RoleSessionName: aws.String("s1")},
			"AccessDenied", "not authorized to perform: sts:AssumeRole"},
		{"ARN without the role's path", sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::" + account + ":role/deploy"), RoleSessionName: aws.String("s1")},
			"AccessDenied", "not authorized"},
		{"longer than the role allows", sts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("s1"), DurationSeconds: aws.Int32(7201)},
			"ValidationError", "The requested DurationSeconds exceeds the MaxSessionDuration set for this role."},
		{"shorter than 15 minutes", sts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("s1"), DurationSeconds: aws.Int32(899)},
			"ValidationError", "greater than or equal to 900"},
		{"session name with a space", sts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("a b")},
			"ValidationError", "regular expression pattern"},
		{"session name of one character", sts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("a")},
			"ValidationError", "greater than or equal to 2"},
		{"malformed session policy", sts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("s1"), Policy: aws.String("{")},
			"MalformedPolicyDocument", ""},
		{"session policy too large once packed", sts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("s1"),
			Policy: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["` + strings.Repeat("s3:GetObject", 200) + `"],"Resource":"*"}]}`)},
			"PackedPolicyTooLarge", ""},
		{"not a role ARN", sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::" + account + ":user/someone"), RoleSessionName: aws.String("s1")},
			"ValidationError", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.AssumeRole(ctx, &tt.in)
			wantError(t, err, tt.code, tt.message)
		})
	}

	t.Run("role chaining is held to an hour", func(t *testing.T) {
		_, err := session.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: role.Arn, RoleSessionName: aws.String("chained"), DurationSeconds: aws.Int32(7200)})
		wantError(t, err, "ValidationError", "role chaining")
		chained := must(session.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: role.Arn, RoleSessionName: aws.String("chained")}))(t)
		if aws.ToString(chained.AssumedRoleUser.Arn) != "arn:aws:sts::"+account+":assumed-role/deploy/chained" {
			t.Errorf("chained session = %s", aws.ToString(chained.AssumedRoleUser.Arn))
		}
	})
	t.Run("a role session gets no session token", func(t *testing.T) {
		_, err := session.GetSessionToken(ctx, &sts.GetSessionTokenInput{})
		wantError(t, err, "AccessDenied", "Cannot call GetSessionToken with session credentials")
	})
	t.Run("a role session is no IAM user", func(t *testing.T) {
		cfg := cloud.Config.Copy()
		cfg.Credentials = credentials.NewStaticCredentialsProvider(aws.ToString(creds.AccessKeyId), aws.ToString(creds.SecretAccessKey), aws.ToString(creds.SessionToken))
		_, err := iam.NewFromConfig(cfg).GetUser(ctx, &iam.GetUserInput{})
		wantError(t, err, "ValidationError", "Must specify userName when calling with non-User credentials")
	})
}

// Temporary credentials past their expiry are refused, as AWS refuses them.
func TestExpiredSession(t *testing.T) {
	ctx := context.Background()
	cloud, _, identities := startInAccount(t)
	role := must(identities.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("r"), AssumeRolePolicyDocument: aws.String(trust)}))(t).Role
	expired := &iambackend.Session{RoleName: "r", RoleID: aws.ToString(role.RoleId), SessionName: "old", Expiration: time.Now().Add(-time.Minute)}
	iambackend.NewSessionCredentials(expired)
	if err := cloud.IAM.IssueSession(store.WithScope(ctx, store.Scope{Account: account, Region: "us-east-1"}), expired); err != nil {
		t.Fatal(err)
	}
	c := withCredentials(cloud, &ststypes.Credentials{AccessKeyId: &expired.AccessKeyID, SecretAccessKey: &expired.SecretAccessKey, SessionToken: &expired.SessionToken})
	_, err := c.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	wantError(t, err, "ExpiredToken", "The security token included in the request is expired")
}

// jwt builds an unsigned-looking JWT with the given claims; the local
// cloud does not verify signatures, so any third part will do.
func jwt(claims string) string {
	enc := base64.RawURLEncoding.EncodeToString
	return enc([]byte(`{"alg":"RS256","typ":"JWT"}`)) + "." + enc([]byte(claims)) + "." + enc([]byte("signature"))
}

func TestAssumeRoleWithWebIdentity(t *testing.T) {
	ctx := context.Background()
	cloud, _, identities := startInAccount(t)
	role := must(identities.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("github-actions"), AssumeRolePolicyDocument: aws.String(trust)}))(t).Role

	// No credentials at all: the call is unsigned, as tools make it.
	cfg := cloud.Config.Copy()
	cfg.Credentials = aws.AnonymousCredentials{}
	anonymous := sts.NewFromConfig(cfg)

	exp := time.Now().Add(time.Hour).Unix()
	token := jwt(`{"iss":"https://token.actions.githubusercontent.com","sub":"repo:berthdev/berth:ref:refs/heads/main","aud":["sts.amazonaws.com"],"exp":` + strconv.FormatInt(exp, 10) + `}`)
	out := must(anonymous.AssumeRoleWithWebIdentity(ctx, &sts.AssumeRoleWithWebIdentityInput{
		RoleArn: role.Arn, RoleSessionName: aws.String("gha"), WebIdentityToken: aws.String(token),
	}))(t)
	if aws.ToString(out.SubjectFromWebIdentityToken) != "repo:berthdev/berth:ref:refs/heads/main" || aws.ToString(out.Audience) != "sts.amazonaws.com" ||
		aws.ToString(out.Provider) != "token.actions.githubusercontent.com" {
		t.Errorf("subject %q, audience %q, provider %q", aws.ToString(out.SubjectFromWebIdentityToken), aws.ToString(out.Audience), aws.ToString(out.Provider))
	}
	wantARN := "arn:aws:sts::" + account + ":assumed-role/github-actions/gha"
	if aws.ToString(out.AssumedRoleUser.Arn) != wantARN {
		t.Errorf("AssumedRoleUser.Arn = %s, want %s", aws.ToString(out.AssumedRoleUser.Arn), wantARN)
	}
	who := must(withCredentials(cloud, out.Credentials).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}))(t)
	if aws.ToString(who.Arn) != wantARN {
		t.Errorf("caller = %s, want %s", aws.ToString(who.Arn), wantARN)
	}

	tests := []struct {
		name, token, roleARN, code string
	}{
		{"not a JWT", "not-a-token", aws.ToString(role.Arn), "InvalidIdentityToken"},
		{"payload not JSON", "aGVhZA." + base64.RawURLEncoding.EncodeToString([]byte("[")) + ".c2ln", aws.ToString(role.Arn), "InvalidIdentityToken"},
		{"no subject", jwt(`{"iss":"https://issuer.example","aud":"a"}`), aws.ToString(role.Arn), "InvalidIdentityToken"},
		{"expired", jwt(`{"iss":"https://issuer.example","sub":"x","aud":"a","exp":1000}`), aws.ToString(role.Arn), "ExpiredTokenException"},
		{"no such role", token, "arn:aws:iam::" + account + ":role/missing", "AccessDenied"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := anonymous.AssumeRoleWithWebIdentity(ctx, &sts.AssumeRoleWithWebIdentityInput{
				RoleArn: aws.String(tt.roleARN), RoleSessionName: aws.String("gha"), WebIdentityToken: aws.String(tt.token),
			})
			localcloudtest.WantCode(t, err, tt.code)
		})
	}
}

// GetSessionToken's credentials speak for the user that asked for them.
func TestGetSessionToken(t *testing.T) {
	ctx := context.Background()
	cloud, c, identities := startInAccount(t)
	must(identities.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("ci"), Path: aws.String("/bots/")}))(t)
	key := must(identities.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("ci")}))(t).AccessKey
	user := withCredentials(cloud, &ststypes.Credentials{AccessKeyId: key.AccessKeyId, SecretAccessKey: key.SecretAccessKey})
	wantARN := "arn:aws:iam::" + account + ":user/bots/ci"

	who := must(user.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}))(t)
	if aws.ToString(who.Arn) != wantARN || !strings.HasPrefix(aws.ToString(who.UserId), "AIDA") {
		t.Errorf("caller with the user's key = %s %s, want %s", aws.ToString(who.Arn), aws.ToString(who.UserId), wantARN)
	}
	token := must(user.GetSessionToken(ctx, &sts.GetSessionTokenInput{DurationSeconds: aws.Int32(900)}))(t)
	if !strings.HasPrefix(aws.ToString(token.Credentials.AccessKeyId), "ASIA") {
		t.Errorf("AccessKeyId = %s", aws.ToString(token.Credentials.AccessKeyId))
	}
	if exp := aws.ToTime(token.Credentials.Expiration); exp.After(time.Now().Add(20 * time.Minute)) {
		t.Errorf("Expiration = %v, want 15 minutes from now", exp)
	}
	who = must(withCredentials(cloud, token.Credentials).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}))(t)
	if aws.ToString(who.Arn) != wantARN {
		t.Errorf("caller with the session token = %s, want %s", aws.ToString(who.Arn), wantARN)
	}

	_, err := c.GetSessionToken(ctx, &sts.GetSessionTokenInput{DurationSeconds: aws.Int32(600)})
	localcloudtest.WantCode(t, err, "ValidationError")
	rootToken := must(c.GetSessionToken(ctx, &sts.GetSessionTokenInput{}))(t)
	if exp := aws.ToTime(rootToken.Credentials.Expiration); exp.After(time.Now().Add(70 * time.Minute)) {
		t.Errorf("root's session expires %v, want at most an hour from now", exp)
	}
}

func TestAccessKeyInfoAndAuthorizationMessages(t *testing.T) {
	ctx := context.Background()
	_, c, _ := startInAccount(t)
	info := must(c.GetAccessKeyInfo(ctx, &sts.GetAccessKeyInfoInput{AccessKeyId: aws.String("AKIAIOSFODNN7EXAMPLE")}))(t)
	if aws.ToString(info.Account) != account {
		t.Errorf("Account = %s, want %s", aws.ToString(info.Account), account)
	}
	_, err := c.DecodeAuthorizationMessage(ctx, &sts.DecodeAuthorizationMessageInput{EncodedMessage: aws.String("abc")})
	localcloudtest.WantCode(t, err, "InvalidAuthorizationMessageException")
}
