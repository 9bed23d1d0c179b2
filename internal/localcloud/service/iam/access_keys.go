package iam

import (
	"context"
	"strings"
	"time"

	"github.com/berthdev/berth/internal/localcloud/protocol"
	"github.com/berthdev/berth/internal/localcloud/store"
)

const tableAccessKeys = "iam/access-keys" // access key id

// AccessKey is a long-term access key of an IAM user, or of the root user
// when UserName is "".
type AccessKey struct {
	ID         string    `json:"id"`
	Secret     string    `json:"secret"`
	UserName   string    `json:"userName,omitempty"`
	Status     string    `json:"status"`
	CreateDate time.Time `json:"createDate"`
}

const maxAccessKeysPerUser = 2

// accessKeysOf returns the keys of a user ("" the root user).
func accessKeysOf(tx *store.Tx, user string) ([]*AccessKey, error) {
	all, err := store.List[AccessKey](tx, tableAccessKeys)
	if err != nil {
		return nil, err
	}
	var out []*AccessKey
	for _, k := range all {
		if strings.EqualFold(k.UserName, user) {
			out = append(out, k)
		}
	}
	return out, nil
}

// SecretOf returns the secret of an access key the local cloud issued, a
// user's long-term key or STS's temporary one, for signature checks.
func (b *Backend) SecretOf(ctx context.Context, id string) (secret string, ok bool, err error) {
	err = b.store.View(ctx, func(tx *store.Tx) error {
		if k, err := store.Get[AccessKey](tx, tableAccessKeys, id); err != nil || k != nil {
			if k != nil {
				secret, ok = k.Secret, true
			}
			return err
		}
		s, err := store.Get[Session](tx, tableSessions, id)
		if s != nil {
			secret, ok = s.SecretAccessKey, true
		}
		return err
	})
	return secret, ok, err
}

func errAccessKeyNotFound(id string) error {
	return errNoSuchEntity("The Access Key with id %s cannot be found.", id)
}

// keyOwner is the user a key operation acts on: the named one (which must
// exist), else the caller.
func (b *Backend) keyOwner(ctx context.Context, tx *store.Tx, name string) (string, error) {
	if name == "" {
		return b.callerUserNameTx(ctx, tx)
	}
	u, err := getUser(tx, name)
	if err != nil {
		return "", err
	}
	return u.Name, nil
}

// --- wire shapes ---

type accessKeyShape struct {
	UserName        string           `xml:"UserName"`
	AccessKeyID     string           `xml:"AccessKeyId"`
	Status          string           `xml:"Status"`
	SecretAccessKey string           `xml:"SecretAccessKey,omitempty"`
	CreateDate      protocol.XMLTime `xml:"CreateDate"`
}

// --- operations ---

type createAccessKeyInput struct {
	UserName string `query:"UserName"`
}

type createAccessKeyOutput struct {
	AccessKey accessKeyShape `xml:"AccessKey"`
}

func (b *Backend) createAccessKey(ctx context.Context, in *createAccessKeyInput) (*createAccessKeyOutput, error) {
	key := &AccessKey{
		ID:         "AKIA" + randomKeyChars(16),
		Secret:     randomSecret(),
		Status:     "Active",
		CreateDate: b.now().UTC().Truncate(time.Second),
	}
	err := b.store.Update(ctx, func(tx *store.Tx) error {
		owner, err := b.keyOwner(ctx, tx, in.UserName)
		if err != nil {
			return err
		}
		existing, err := accessKeysOf(tx, owner)
		if err != nil {
			return err
		}
		if len(existing) >= maxAccessKeysPerUser {
			return errLimitExceeded("Cannot exceed quota for AccessKeysPerUser: %d", maxAccessKeysPerUser)
		}
		key.UserName = owner
		return tx.Put(tableAccessKeys, key.ID, key)
	})
	if err != nil {
		return nil, err
	}
	return &createAccessKeyOutput{AccessKey: accessKeyShape{
		UserName: key.UserName, AccessKeyID: key.ID, Status: key.Status, SecretAccessKey: key.Secret, CreateDate: protocol.XMLTime(key.CreateDate),
	}}, nil
}

type listAccessKeysInput struct {
	UserName string `query:"UserName"`
	Marker   string `query:"Marker"`
	MaxItems *int32 `query:"MaxItems"`
}

type listAccessKeysOutput struct {
	AccessKeyMetadata list[accessKeyShape] `xml:"AccessKeyMetadata"`
	IsTruncated       bool                 `xml:"IsTruncated"`
	Marker            string               `xml:"Marker,omitempty"`
}

func (b *Backend) listAccessKeys(ctx context.Context, in *listAccessKeysInput) (*listAccessKeysOutput, error) {
	limit, err := maxItems(in.MaxItems)
	if err != nil {
		return nil, err
	}
	out := &listAccessKeysOutput{AccessKeyMetadata: listOf([]accessKeyShape{})}
	err = b.store.View(ctx, func(tx *store.Tx) error {
		owner, err := b.keyOwner(ctx, tx, in.UserName)
		if err != nil {
			return err
		}
		keys, err := accessKeysOf(tx, owner)
		if err != nil {
			return err
		}
		keys, truncated, next, err := page(keys, func(k *AccessKey) string { return k.ID }, in.Marker, limit)
		if err != nil {
			return err
		}
		for _, k := range keys {
			out.AccessKeyMetadata.Members = append(out.AccessKeyMetadata.Members,
				accessKeyShape{UserName: k.UserName, AccessKeyID: k.ID, Status: k.Status, CreateDate: protocol.XMLTime(k.CreateDate)})
		}
		out.IsTruncated, out.Marker = truncated, next
		return nil
	})
	return out, err
}

type accessKeyInput struct {
	UserName    string `query:"UserName"`
	AccessKeyID string `query:"AccessKeyId"`
	Status      string `query:"Status"`
}

// ownedKey loads a key of the user the call names (or the caller); a key
// of someone else is as absent as one that does not exist.
func (b *Backend) ownedKey(ctx context.Context, tx *store.Tx, in *accessKeyInput) (*AccessKey, error) {
	if in.AccessKeyID == "" {
		return nil, errMissing("accessKeyId")
	}
	owner, err := b.keyOwner(ctx, tx, in.UserName)
	if err != nil {
		return nil, err
	}
	k, err := store.Get[AccessKey](tx, tableAccessKeys, in.AccessKeyID)
	if err != nil {
		return nil, err
	}
	if k == nil || !strings.EqualFold(k.UserName, owner) {
		return nil, errAccessKeyNotFound(in.AccessKeyID)
	}
	return k, nil
}

func (b *Backend) updateAccessKey(ctx context.Context, in *accessKeyInput) (*empty, error) {
	switch in.Status {
	case "Active", "Inactive":
	case "":
		return nil, errMissing("status")
	default:
		return nil, errValidation(in.Status, "status", "Member must satisfy enum value set: [Active, Inactive]")
	}
	return nil, b.store.Update(ctx, func(tx *store.Tx) error {
		k, err := b.ownedKey(ctx, tx, in)
		if err != nil {
			return err
		}
		k.Status = in.Status
		return tx.Put(tableAccessKeys, k.ID, k)
	})
}

func (b *Backend) deleteAccessKey(ctx context.Context, in *accessKeyInput) (*empty, error) {
	return nil, b.store.Update(ctx, func(tx *store.Tx) error {
		k, err := b.ownedKey(ctx, tx, in)
		if err != nil {
			return err
		}
		return tx.Delete(tableAccessKeys, k.ID)
	})
}

type accessKeyLastUsedShape struct {
	LastUsedDate *protocol.XMLTime `xml:"LastUsedDate,omitempty"`
	ServiceName  string            `xml:"ServiceName"`
	Region       string            `xml:"Region"`
}

type getAccessKeyLastUsedOutput struct {
	UserName          string                 `xml:"UserName,omitempty"`
	AccessKeyLastUsed accessKeyLastUsedShape `xml:"AccessKeyLastUsed"`
}

// getAccessKeyLastUsed answers "N/A", AWS's words for a key never used:
// the local cloud does not write on every signed call to track use.
func (b *Backend) getAccessKeyLastUsed(ctx context.Context, in *accessKeyInput) (*getAccessKeyLastUsedOutput, error) {
	if in.AccessKeyID == "" {
		return nil, errMissing("accessKeyId")
	}
	var key *AccessKey
	err := b.store.View(ctx, func(tx *store.Tx) error {
		var err error
		key, err = store.Get[AccessKey](tx, tableAccessKeys, in.AccessKeyID)
		return err
	})
	if err != nil {
		return nil, err
	}
	if key == nil {
		return nil, errAccessKeyNotFound(in.AccessKeyID)
	}
	return &getAccessKeyLastUsedOutput{UserName: key.UserName, AccessKeyLastUsed: accessKeyLastUsedShape{ServiceName: "N/A", Region: "N/A"}}, nil
}
