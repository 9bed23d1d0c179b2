// Package sts is the local cloud's Security Token Service: who the caller
// is, and temporary credentials for roles (AssumeRole,
// AssumeRoleWithWebIdentity) and for the caller itself (GetSessionToken).
// Issued credentials are kept with IAM's state, keyed by access key id, so
// a call signed with them is known to come from the role session or user
// they were issued to. Nothing is enforced: trust policies, session
// policies and external ids are accepted and not evaluated.
package sts

import (
	"context"
	"errors"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/berthdev/berth/internal/localcloud/protocol"
	"github.com/berthdev/berth/internal/localcloud/protocol/query"
	"github.com/berthdev/berth/internal/localcloud/service/iam"
	"github.com/berthdev/berth/internal/localcloud/service/sts/wire"
	"github.com/berthdev/berth/internal/localcloud/store"
)

// Backend answers STS's calls over IAM's state.
type Backend struct {
	iam *iam.Backend
	now func() time.Time
}

// New returns STS over the account's IAM.
func New(identities *iam.Backend) *Backend {
	return &Backend{iam: identities, now: time.Now}
}

// Service returns STS's operation table.
func (b *Backend) Service() *protocol.Service {
	return &protocol.Service{
		SigningName: "sts",
		Version:     "2011-06-15",
		Codec:       query.Codec{Namespace: "https://sts.amazonaws.com/doc/2011-06-15/"},
		Operations: []protocol.Operation{
			protocol.Op("GetCallerIdentity", b.getCallerIdentity),
			protocol.Op("AssumeRole", b.assumeRole),
			protocol.Op("AssumeRoleWithWebIdentity", b.assumeRoleWithWebIdentity),
			protocol.Op("GetSessionToken", b.getSessionToken),
			protocol.Op("GetAccessKeyInfo", b.getAccessKeyInfo),
			protocol.Op("DecodeAuthorizationMessage", b.decodeAuthorizationMessage),
		},
	}
}

// --- errors ---

func errValidation(format string, args ...any) *protocol.Error {
	return protocol.Errorf("ValidationError", format, args...)
}

func errConstraint(value any, member, constraint string) *protocol.Error {
	return errValidation("1 validation error detected: Value '%v' at '%s' failed to satisfy constraint: %s", value, member, constraint)
}

func errAccessDenied(format string, args ...any) *protocol.Error {
	return protocol.Errorf("AccessDenied", format, args...).WithStatus(http.StatusForbidden)
}

// --- GetCallerIdentity ---

// getCallerIdentity names the holder of the key the call was signed with:
// a role session (arn:aws:sts::<account>:assumed-role/<role>/<session>),
// an IAM user, or the account's root user for keys the local cloud never
// issued.
func (b *Backend) getCallerIdentity(ctx context.Context, _ *wire.GetCallerIdentityRequest) (*wire.GetCallerIdentityResponse, error) {
	caller, err := b.iam.Caller(ctx)
	if err != nil {
		return nil, err
	}
	return &wire.GetCallerIdentityResponse{UserId: caller.UserID, Account: caller.Account, Arn: caller.ARN}, nil
}

// --- shared shapes ---

func credentialsOut(s *iam.Session) *wire.Credentials {
	expiration := protocol.XMLTime(s.Expiration)
	return &wire.Credentials{AccessKeyId: s.AccessKeyID, SecretAccessKey: s.SecretAccessKey, SessionToken: s.SessionToken, Expiration: &expiration}
}

func sessionTagsIn(tags []wire.Tag) []iam.Tag {
	if tags == nil {
		return nil
	}
	out := make([]iam.Tag, len(tags))
	for i, t := range tags {
		out[i] = iam.Tag{Key: t.Key, Value: t.Value}
	}
	return out
}

// namePattern is the pattern of role session names and source identities.
var namePattern = regexp.MustCompile(`^[\w+=,.@-]*$`)

// validateSessionName checks what becomes part of the session's ARN.
func validateSessionName(member, name string) error {
	switch {
	case name == "":
		return errValidation("1 validation error detected: Value null at '%s' failed to satisfy constraint: Member must not be null", member)
	case len(name) < 2 || len(name) > 64:
		return errConstraint(name, member, "Member must have length less than or equal to 64 and greater than or equal to 2")
	case !namePattern.MatchString(name):
		return errConstraint(name, member, `Member must satisfy regular expression pattern: [\w+=,.@-]*`)
	}
	return nil
}

// sessionDuration applies AssumeRole*'s default of an hour and checks the
// duration against the role's maximum.
func sessionDuration(requested *int, role *iam.Role) (time.Duration, error) {
	if requested == nil {
		return time.Hour, nil
	}
	if *requested < 900 {
		return 0, errConstraint(*requested, "durationSeconds", "Member must have value greater than or equal to 900")
	}
	if *requested > int(role.MaxSessionDuration) {
		return 0, errValidation("The requested DurationSeconds exceeds the MaxSessionDuration set for this role.")
	}
	return time.Duration(*requested) * time.Second, nil
}

// packedLimit is the budget session policies and tags share once packed;
// PackedPolicySize is the percentage of it a request uses.
const packedLimit = 2048

// packedPolicySize estimates AWS's packed size of the session's policy,
// policy ARNs and tags as a percentage of the limit. AWS compresses them
// in a way it does not document; the estimate is their size, so a request
// AWS would refuse as too large is refused here too, give or take.
func packedPolicySize(policy string, arns []wire.PolicyDescriptorType, tags []iam.Tag) (int, error) {
	size := len(compact(policy))
	for _, a := range arns {
		size += len(a.Arn)
	}
	for _, t := range tags {
		size += len(t.Key) + len(t.Value)
	}
	percent := (size*100 + packedLimit - 1) / packedLimit
	if percent > 100 {
		return 0, protocol.Errorf("PackedPolicyTooLarge", "Packed size of consumed sessions policies and session tags exceeds the allowed limit (%d%%).", percent)
	}
	return percent, nil
}

func compact(s string) string {
	return strings.Join(strings.Fields(s), "")
}

// checkSessionPolicy checks the inline session policy, which IAM's rules
// for policy documents govern.
func checkSessionPolicy(policy string, arns []wire.PolicyDescriptorType) error {
	if policy != "" {
		if err := iam.ValidatePolicyDocument(policy); err != nil {
			return err
		}
	}
	for _, a := range arns {
		if !strings.HasPrefix(a.Arn, "arn:") {
			return errValidation("Invalid ARN %s", a.Arn)
		}
	}
	return nil
}

// roleOf resolves a RoleArn to a role of the call's account. A role that
// does not exist, or that lives in another account the local cloud does
// not know, gets what AWS answers: access denied, never "not found", so
// that role names cannot be probed.
func (b *Backend) roleOf(ctx context.Context, roleARN string, denied func() error) (*iam.Role, error) {
	parts := strings.SplitN(roleARN, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[2] != "iam" || !strings.HasPrefix(parts[5], "role/") {
		return nil, errValidation("%s is not a valid role ARN", roleARN)
	}
	if call := protocol.CallFrom(ctx); call != nil && parts[4] != call.AccountID {
		return nil, denied()
	}
	role, err := b.iam.GetRole(ctx, roleARN)
	if err != nil {
		var perr *protocol.Error
		if errors.As(err, &perr) && perr.Code == "NoSuchEntity" {
			return nil, denied()
		}
		return nil, err
	}
	// The ARN names the role by its path too; a path that is not the
	// role's names another role, which does not exist.
	if !strings.EqualFold(role.ARN(parts[4]), roleARN) {
		return nil, denied()
	}
	return role, nil
}

// --- AssumeRole ---

// tokenSize is what newer SDKs read in place of PackedPolicySize (see
// model/gen's supplements): the session token's length and the share of
// the token's room it uses, which on AWS grows with the session policies
// and tags packed into it; the local cloud's tokens are of one size, so
// the share is the packed size.
func tokenSize(s *iam.Session) *int {
	size := len(s.SessionToken)
	return &size
}

const maxSessionTags = 50

func (b *Backend) assumeRole(ctx context.Context, in *wire.AssumeRoleRequest) (*wire.AssumeRoleResponse, error) {
	if in.RoleArn == "" {
		return nil, errValidation("1 validation error detected: Value null at 'roleArn' failed to satisfy constraint: Member must not be null")
	}
	if err := validateSessionName("roleSessionName", in.RoleSessionName); err != nil {
		return nil, err
	}
	if in.SourceIdentity != "" {
		if err := validateSessionName("sourceIdentity", in.SourceIdentity); err != nil {
			return nil, err
		}
	}
	if len(in.Tags) > maxSessionTags {
		return nil, errConstraint("[...]", "tags", "Member must have length less than or equal to 50")
	}
	if err := checkSessionPolicy(in.Policy, in.PolicyArns); err != nil {
		return nil, err
	}
	caller, err := b.iam.Caller(ctx)
	if err != nil {
		return nil, err
	}
	role, err := b.roleOf(ctx, in.RoleArn, func() error {
		return errAccessDenied("User: %s is not authorized to perform: sts:AssumeRole on resource: %s", caller.ARN, in.RoleArn)
	})
	if err != nil {
		return nil, err
	}
	duration, err := sessionDuration(in.DurationSeconds, role)
	if err != nil {
		return nil, err
	}
	// A role session that assumes a role (role chaining) is held to an
	// hour, as AWS holds it.
	if caller.Session != nil && caller.Session.RoleName != "" && duration > time.Hour {
		return nil, errValidation("The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.")
	}
	tags := sessionTagsIn(in.Tags)
	packed, err := packedPolicySize(in.Policy, in.PolicyArns, tags)
	if err != nil {
		return nil, err
	}
	session := &iam.Session{
		RoleName:       role.Name,
		RoleID:         role.ID,
		SessionName:    in.RoleSessionName,
		Expiration:     b.now().UTC().Add(duration).Truncate(time.Second),
		SourceIdentity: in.SourceIdentity,
		Tags:           tags,
		TransitiveKeys: in.TransitiveTagKeys,
	}
	iam.NewSessionCredentials(session)
	if err := b.iam.IssueSession(ctx, session); err != nil {
		return nil, err
	}
	out := &wire.AssumeRoleResponse{
		Credentials:      credentialsOut(session),
		AssumedRoleUser:  &wire.AssumedRoleUser{AssumedRoleId: session.AssumedRoleID(), Arn: session.AssumedRoleARN(caller.Account)},
		SourceIdentity:   in.SourceIdentity,
		SessionTokenSize: tokenSize(session),
	}
	if in.Policy != "" || len(in.PolicyArns) > 0 || len(in.Tags) > 0 {
		out.PackedPolicySize = &packed
		out.SessionTokenUtilization = &packed
	}
	return out, nil
}

// --- AssumeRoleWithWebIdentity ---

// assumeRoleWithWebIdentity needs no signature, as on AWS: the token is the
// credential. Its claims are read without checking its signature (see
// webIdentityClaims).
func (b *Backend) assumeRoleWithWebIdentity(ctx context.Context, in *wire.AssumeRoleWithWebIdentityRequest) (*wire.AssumeRoleWithWebIdentityResponse, error) {
	if in.RoleArn == "" {
		return nil, errValidation("1 validation error detected: Value null at 'roleArn' failed to satisfy constraint: Member must not be null")
	}
	if err := validateSessionName("roleSessionName", in.RoleSessionName); err != nil {
		return nil, err
	}
	if err := checkSessionPolicy(in.Policy, in.PolicyArns); err != nil {
		return nil, err
	}
	claims, err := webIdentityClaims(in.WebIdentityToken, b.now())
	if err != nil {
		return nil, err
	}
	role, err := b.roleOf(ctx, in.RoleArn, func() error {
		return errAccessDenied("Not authorized to perform sts:AssumeRoleWithWebIdentity")
	})
	if err != nil {
		return nil, err
	}
	duration, err := sessionDuration(in.DurationSeconds, role)
	if err != nil {
		return nil, err
	}
	packed, err := packedPolicySize(in.Policy, in.PolicyArns, nil)
	if err != nil {
		return nil, err
	}
	session := &iam.Session{
		RoleName:    role.Name,
		RoleID:      role.ID,
		SessionName: in.RoleSessionName,
		Expiration:  b.now().UTC().Add(duration).Truncate(time.Second),
	}
	iam.NewSessionCredentials(session)
	if err := b.iam.IssueSession(ctx, session); err != nil {
		return nil, err
	}
	// Provider is the token's issuer for OpenID Connect tokens, else the
	// ProviderId the caller named (OAuth 2.0 access tokens).
	provider := strings.TrimPrefix(strings.TrimPrefix(claims.issuer, "https://"), "http://")
	if in.ProviderId != "" {
		provider = in.ProviderId
	}
	out := &wire.AssumeRoleWithWebIdentityResponse{
		Credentials:                 credentialsOut(session),
		SubjectFromWebIdentityToken: claims.subject,
		AssumedRoleUser:             &wire.AssumedRoleUser{AssumedRoleId: session.AssumedRoleID(), Arn: session.AssumedRoleARN(accountOf(ctx))},
		Provider:                    provider,
		Audience:                    claims.audience,
		SessionTokenSize:            tokenSize(session),
	}
	if in.Policy != "" || len(in.PolicyArns) > 0 {
		out.PackedPolicySize = &packed
		out.SessionTokenUtilization = &packed
	}
	return out, nil
}

// accountOf is the account the call acts in (the router always sets one).
func accountOf(ctx context.Context) string {
	if call := protocol.CallFrom(ctx); call != nil {
		return call.AccountID
	}
	scope, _ := store.ScopeFrom(ctx)
	return scope.Account
}

// --- GetSessionToken ---

// getSessionToken issues temporary credentials for the caller itself: 12
// hours by default, 15 minutes to 36 hours for users, at most an hour for
// the root user.
func (b *Backend) getSessionToken(ctx context.Context, in *wire.GetSessionTokenRequest) (*wire.GetSessionTokenResponse, error) {
	caller, err := b.iam.Caller(ctx)
	if err != nil {
		return nil, err
	}
	if caller.Session != nil {
		return nil, errAccessDenied("Cannot call GetSessionToken with session credentials")
	}
	duration := 12 * time.Hour
	if caller.Root {
		duration = time.Hour
	}
	if in.DurationSeconds != nil {
		switch d := *in.DurationSeconds; {
		case d < 900 || d > 129600:
			return nil, errConstraint(d, "durationSeconds", "Member must have value less than or equal to 129600 and greater than or equal to 900")
		case caller.Root && d > 3600:
			duration = time.Hour // AWS caps the root user's sessions instead of refusing
		default:
			duration = time.Duration(d) * time.Second
		}
	}
	session := &iam.Session{UserName: caller.UserName, Expiration: b.now().UTC().Add(duration).Truncate(time.Second)}
	iam.NewSessionCredentials(session)
	if err := b.iam.IssueSession(ctx, session); err != nil {
		return nil, err
	}
	return &wire.GetSessionTokenResponse{Credentials: credentialsOut(session)}, nil
}

// --- GetAccessKeyInfo, DecodeAuthorizationMessage ---

// getAccessKeyInfo answers the account every key of this local cloud
// belongs to: it serves one account.
func (b *Backend) getAccessKeyInfo(ctx context.Context, in *wire.GetAccessKeyInfoRequest) (*wire.GetAccessKeyInfoResponse, error) {
	if in.AccessKeyId == "" {
		return nil, errValidation("1 validation error detected: Value null at 'accessKeyId' failed to satisfy constraint: Member must not be null")
	}
	return &wire.GetAccessKeyInfoResponse{Account: accountOf(ctx)}, nil
}

// decodeAuthorizationMessage has nothing to decode: the local cloud
// authorizes every call, so it never hands out an encoded denial.
func (b *Backend) decodeAuthorizationMessage(_ context.Context, _ *wire.DecodeAuthorizationMessageRequest) (*wire.DecodeAuthorizationMessageResponse, error) {
	return nil, protocol.Errorf("InvalidAuthorizationMessageException", "The local cloud authorizes every call and issues no encoded authorization messages, so there is none to decode.")
}
