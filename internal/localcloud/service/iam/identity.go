package iam

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"net/http"
	"strings"
	"time"

	"github.com/berthdev/berth/internal/localcloud/protocol"
	"github.com/berthdev/berth/internal/localcloud/store"
)

// STS's temporary credentials live with IAM's state: who holds an access
// key (the root user, an IAM user, or a role session) is one question, and
// IAM's GetUser asks it as much as STS's GetCallerIdentity does.
const tableSessions = "iam/sessions" // access key id

// Session is a set of temporary credentials STS issued.
type Session struct {
	AccessKeyID     string    `json:"accessKeyId"`
	SecretAccessKey string    `json:"secretAccessKey"`
	SessionToken    string    `json:"sessionToken"`
	Expiration      time.Time `json:"expiration"`
	// RoleName, RoleID and SessionName are set for a role session
	// (AssumeRole, AssumeRoleWithWebIdentity).
	RoleName    string `json:"roleName,omitempty"`
	RoleID      string `json:"roleId,omitempty"`
	SessionName string `json:"sessionName,omitempty"`
	// UserName is the IAM user whose GetSessionToken issued the
	// credentials; "" with no RoleName is the root user's.
	UserName       string   `json:"userName,omitempty"`
	SourceIdentity string   `json:"sourceIdentity,omitempty"`
	Tags           []Tag    `json:"tags,omitempty"`
	TransitiveKeys []string `json:"transitiveKeys,omitempty"`
}

// AssumedRoleARN is the session's principal as AWS names it: the role's
// name (never its path) and the session name.
func (s *Session) AssumedRoleARN(account string) string {
	return store.Scope{Account: account}.ARN("sts", "assumed-role/"+s.RoleName+"/"+s.SessionName)
}

// AssumedRoleID is the session's unique id: the role's id and the session
// name.
func (s *Session) AssumedRoleID() string { return s.RoleID + ":" + s.SessionName }

// NewSessionCredentials fills s with a fresh temporary access key (ASIA…),
// a 40-character secret and a session token.
func NewSessionCredentials(s *Session) {
	s.AccessKeyID = "ASIA" + randomKeyChars(16)
	s.SecretAccessKey = randomSecret()
	token := make([]byte, 192)
	_, _ = rand.Read(token) // crypto/rand.Read never fails on Linux
	s.SessionToken = "IQoJb3JpZ2luX2Vj" + base64.StdEncoding.EncodeToString(token)
}

// IssueSession stores s (made with NewSessionCredentials) so that calls
// signed with its key are known to come from it; expired sessions are
// dropped on the way.
func (b *Backend) IssueSession(ctx context.Context, s *Session) error {
	now := b.now()
	return b.store.Update(ctx, func(tx *store.Tx) error {
		all, err := store.List[Session](tx, tableSessions)
		if err != nil {
			return err
		}
		for _, old := range all {
			if now.After(old.Expiration) {
				if err := tx.Delete(tableSessions, old.AccessKeyID); err != nil {
					return err
				}
			}
		}
		return tx.Put(tableSessions, s.AccessKeyID, s)
	})
}

// Caller is who signed a call.
type Caller struct {
	Account string
	ARN     string
	UserID  string
	// UserName is set when the caller is an IAM user (or a session of
	// one); Root when it is the account's root user (or a session of it).
	UserName string
	Root     bool
	// Session is set when the call was signed with temporary credentials.
	Session *Session
}

// Caller tells who signed the call ctx serves: the holder of the access
// key it was signed with. A key the local cloud never issued (the "test"
// keys tools are configured with) is the account's root user, as the
// local cloud has always answered. Temporary credentials past their
// expiry are refused with ExpiredToken, as AWS refuses them.
func (b *Backend) Caller(ctx context.Context) (*Caller, error) {
	var caller *Caller
	err := b.store.View(ctx, func(tx *store.Tx) error {
		var err error
		caller, err = b.callerTx(ctx, tx)
		return err
	})
	return caller, err
}

// callerTx is Caller inside a transaction (the store's do not nest).
func (b *Backend) callerTx(ctx context.Context, tx *store.Tx) (*Caller, error) {
	account := accountOf(ctx)
	key := ""
	if call := protocol.CallFrom(ctx); call != nil {
		key = call.AccessKeyID
	}
	root := rootCaller(account)
	if key == "" {
		return root, nil
	}
	session, err := store.Get[Session](tx, tableSessions, key)
	if err != nil {
		return nil, err
	}
	if session != nil {
		if b.now().After(session.Expiration) {
			return nil, protocol.Errorf("ExpiredToken", "The security token included in the request is expired").WithStatus(http.StatusForbidden)
		}
		if session.RoleName != "" {
			return &Caller{Account: account, ARN: session.AssumedRoleARN(account), UserID: session.AssumedRoleID(), Session: session}, nil
		}
		caller, err := b.keyHolder(tx, account, session.UserName)
		if err != nil {
			return nil, err
		}
		caller.Session = session
		return caller, nil
	}
	k, err := store.Get[AccessKey](tx, tableAccessKeys, key)
	if err != nil || k == nil {
		return root, err
	}
	if k.Status == "Inactive" {
		// What AWS answers for a deactivated key, before any operation runs.
		return nil, protocol.Errorf("InvalidClientTokenId", "The security token included in the request is invalid.").WithStatus(http.StatusForbidden)
	}
	return b.keyHolder(tx, account, k.UserName)
}

// callerUserName is the user an operation whose UserName was left out acts
// on: the calling IAM user, "" for the root user, and an error for role
// sessions, which are no user (AWS's answer).
func (b *Backend) callerUserName(ctx context.Context) (name string, err error) {
	err = b.store.View(ctx, func(tx *store.Tx) error {
		name, err = b.callerUserNameTx(ctx, tx)
		return err
	})
	return name, err
}

func (b *Backend) callerUserNameTx(ctx context.Context, tx *store.Tx) (string, error) {
	caller, err := b.callerTx(ctx, tx)
	if err != nil {
		return "", err
	}
	if caller.UserName == "" && !caller.Root {
		return "", protocol.Errorf("ValidationError", "Must specify userName when calling with non-User credentials")
	}
	return caller.UserName, nil
}

// rootCaller is the account's root user: its ARN is the account's, its
// user id the account id.
func rootCaller(account string) *Caller {
	return &Caller{Account: account, ARN: iamARN(account, "root", "", ""), UserID: account, Root: true}
}

// keyHolder is the principal of a long-term key: the IAM user it belongs
// to, or the root user for "" (or for a user deleted since).
func (b *Backend) keyHolder(tx *store.Tx, account, userName string) (*Caller, error) {
	if userName == "" {
		return rootCaller(account), nil
	}
	user, err := store.Get[User](tx, tableUsers, strings.ToLower(userName))
	if err != nil {
		return nil, err
	}
	if user == nil {
		return rootCaller(account), nil
	}
	return &Caller{Account: account, ARN: user.ARN(account), UserID: user.ID, UserName: user.Name}, nil
}

// keyChars are the characters of AWS access key ids.
const keyChars = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"

func randomKeyChars(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = keyChars[int(b[i])%len(keyChars)]
	}
	return string(b)
}

// randomSecret is a 40-character secret access key in AWS's alphabet.
func randomSecret() string {
	b := make([]byte, 30)
	_, _ = rand.Read(b)
	return base64.StdEncoding.EncodeToString(b) // 30 bytes → 40 characters
}
