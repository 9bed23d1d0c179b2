package iam

import (
	"context"
	"strings"
	"time"

	"github.com/berthdev/berth/internal/localcloud/protocol/query"
	"github.com/berthdev/berth/internal/localcloud/service/iam/wire"
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

// --- operations ---

func (b *Backend) createAccessKey(ctx context.Context, in *wire.CreateAccessKeyRequest) (*wire.CreateAccessKeyResponse, error) {
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
	return &wire.CreateAccessKeyResponse{AccessKey: &wire.AccessKey{
		UserName: key.UserName, AccessKeyId: key.ID, Status: key.Status, SecretAccessKey: key.Secret, CreateDate: xmlTime(key.CreateDate),
	}}, nil
}

func (b *Backend) listAccessKeys(ctx context.Context, in *wire.ListAccessKeysRequest) (*wire.ListAccessKeysResponse, error) {
	limit, err := maxItems(in.MaxItems)
	if err != nil {
		return nil, err
	}
	out := &wire.ListAccessKeysResponse{AccessKeyMetadata: query.List[wire.AccessKeyMetadata]{}}
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
			out.AccessKeyMetadata = append(out.AccessKeyMetadata,
				wire.AccessKeyMetadata{UserName: k.UserName, AccessKeyId: k.ID, Status: k.Status, CreateDate: xmlTime(k.CreateDate)})
		}
		out.IsTruncated, out.Marker = &truncated, next
		return nil
	})
	return out, err
}

// ownedKey loads a key of the user the call names (or the caller); a key
// of someone else is as absent as one that does not exist.
func (b *Backend) ownedKey(ctx context.Context, tx *store.Tx, userName, id string) (*AccessKey, error) {
	if id == "" {
		return nil, errMissing("accessKeyId")
	}
	owner, err := b.keyOwner(ctx, tx, userName)
	if err != nil {
		return nil, err
	}
	k, err := store.Get[AccessKey](tx, tableAccessKeys, id)
	if err != nil {
		return nil, err
	}
	if k == nil || !strings.EqualFold(k.UserName, owner) {
		return nil, errAccessKeyNotFound(id)
	}
	return k, nil
}

func (b *Backend) updateAccessKey(ctx context.Context, in *wire.UpdateAccessKeyRequest) (*struct{}, error) {
	switch in.Status {
	case "Active", "Inactive":
	case "":
		return nil, errMissing("status")
	default:
		return nil, errValidation(in.Status, "status", "Member must satisfy enum value set: [Active, Inactive]")
	}
	return nil, b.store.Update(ctx, func(tx *store.Tx) error {
		k, err := b.ownedKey(ctx, tx, in.UserName, in.AccessKeyId)
		if err != nil {
			return err
		}
		k.Status = in.Status
		return tx.Put(tableAccessKeys, k.ID, k)
	})
}

func (b *Backend) deleteAccessKey(ctx context.Context, in *wire.DeleteAccessKeyRequest) (*struct{}, error) {
	return nil, b.store.Update(ctx, func(tx *store.Tx) error {
		k, err := b.ownedKey(ctx, tx, in.UserName, in.AccessKeyId)
		if err != nil {
			return err
		}
		return tx.Delete(tableAccessKeys, k.ID)
	})
}

// getAccessKeyLastUsed answers "N/A", AWS's words for a key never used:
// the local cloud does not write on every signed call to track use.
func (b *Backend) getAccessKeyLastUsed(ctx context.Context, in *wire.GetAccessKeyLastUsedRequest) (*wire.GetAccessKeyLastUsedResponse, error) {
	if in.AccessKeyId == "" {
		return nil, errMissing("accessKeyId")
	}
	var key *AccessKey
	err := b.store.View(ctx, func(tx *store.Tx) error {
		var err error
		key, err = store.Get[AccessKey](tx, tableAccessKeys, in.AccessKeyId)
		return err
	})
	if err != nil {
		return nil, err
	}
	if key == nil {
		return nil, errAccessKeyNotFound(in.AccessKeyId)
	}
	return &wire.GetAccessKeyLastUsedResponse{UserName: key.UserName, AccessKeyLastUsed: &wire.AccessKeyLastUsed{ServiceName: "N/A", Region: "N/A"}}, nil
}
