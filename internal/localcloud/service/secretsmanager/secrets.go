package secretsmanager

import (
	"context"
	"crypto/rand"
	"slices"
	"time"

	"github.com/berthdev/berth/internal/localcloud/service/secretsmanager/wire"
	"github.com/berthdev/berth/internal/localcloud/store"
)

// --- CreateSecret ---

// stringValue is a request's SecretString as a version keeps it: nil when
// the request has none (the model's minimum length of 1 keeps "" out).
func stringValue(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func checkValue(s *string, bin []byte) error {
	if s != nil && bin != nil {
		return errInvalidParameter("You can't specify both a binary secret value and a string secret value in the same secret.")
	}
	return nil
}

func (b *Backend) createSecret(ctx context.Context, in *wire.CreateSecretRequest) (*wire.CreateSecretResponse, error) {
	if len(in.AddReplicaRegions) > 0 {
		return nil, errInvalidRequest("The local cloud does not replicate secrets: create the secret in each region instead of using AddReplicaRegions.")
	}
	secretString := stringValue(in.SecretString)
	if err := checkValue(secretString, in.SecretBinary); err != nil {
		return nil, err
	}
	tags, err := checkTags(nil, in.Tags)
	if err != nil {
		return nil, err
	}
	out := &wire.CreateSecretResponse{}
	err = b.store.Update(ctx, func(tx *store.Tx) error {
		now := b.now().UTC()
		existing, err := store.Get[Secret](tx, tableSecrets, in.Name)
		if err != nil {
			return err
		}
		if existing != nil && existing.deleted() && !now.Before(existing.DeletionDate) {
			existing = nil // its recovery window is over: the name is free
		}
		if existing != nil {
			if existing.deleted() {
				return errInvalidRequest("You can't create this secret because a secret with this name is already scheduled for deletion.")
			}
			if in.ClientRequestToken != "" {
				if v := existing.version(in.ClientRequestToken); v != nil {
					if !v.sameValue(secretString, in.SecretBinary) {
						return errTokenInUse(in.ClientRequestToken, existing.ARN)
					}
					*out = wire.CreateSecretResponse{ARN: existing.ARN, Name: existing.Name, VersionId: v.ID}
					return nil // a retry of the request that made it
				}
			}
			return errExists("The operation failed because the secret %s already exists.", in.Name)
		}
		s := &Secret{
			Name: in.Name, ARN: tx.ARN("secretsmanager", "secret:"+in.Name+"-"+randomSuffix()),
			Description: in.Description, KmsKeyID: in.KmsKeyId, Type: in.Type, Tags: tags, CreatedAt: now, ChangedAt: now,
		}
		*out = wire.CreateSecretResponse{ARN: s.ARN, Name: s.Name}
		if secretString != nil || in.SecretBinary != nil {
			out.VersionId = s.addVersion(in.ClientRequestToken, secretString, in.SecretBinary, []string{stageCurrent}, now)
		}
		return tx.Put(tableSecrets, s.Name, s)
	})
	return out, err
}

func errTokenInUse(token, arn string) error {
	return errExists("You can't use ClientRequestToken %s because that value is already in use for a version of secret %s.", token, arn)
}

// addVersion adds a value under labels and returns its version id: the
// client's request token when there is one (so a retry finds it), else a
// new UUID.
func (s *Secret) addVersion(token string, value *string, bin []byte, labels []string, now time.Time) string {
	id := token
	if id == "" {
		id = store.NewUUID()
	}
	s.Versions = append(s.Versions, Version{ID: id, String: value, Binary: bin, KmsKeyID: s.KmsKeyID, CreatedAt: now})
	s.stage(id, labels)
	s.ChangedAt = now
	return id
}

const suffixAlphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

// randomSuffix is the six random characters Secrets Manager appends to a
// secret's name in its ARN.
func randomSuffix() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	for i := range b {
		b[i] = suffixAlphabet[int(b[i])%len(suffixAlphabet)]
	}
	return string(b)
}

// --- GetSecretValue ---

// selectVersion finds the version a VersionId and VersionStage name
// (AWSCURRENT when neither is given).
func selectVersion(s *Secret, id, stage string) (*Version, error) {
	if id != "" {
		v := s.version(id)
		if v == nil {
			return nil, errNoValue("VersionId", id)
		}
		if stage != "" && !slices.Contains(v.Stages, stage) {
			return nil, errInvalidRequest("You provided a VersionStage that is not associated to the provided VersionId.")
		}
		return v, nil
	}
	if stage == "" {
		stage = stageCurrent
	}
	v := s.staged(stage)
	if v == nil {
		return nil, errNoValue("staging label", stage)
	}
	return v, nil
}

func (b *Backend) getSecretValue(ctx context.Context, in *wire.GetSecretValueRequest) (*wire.GetSecretValueResponse, error) {
	var out *wire.GetSecretValueResponse
	var touched bool
	err := b.store.View(ctx, func(tx *store.Tx) error {
		s, err := b.loadLive(tx, in.SecretId)
		if err != nil {
			return err
		}
		v, err := selectVersion(s, in.VersionId, in.VersionStage)
		if err != nil {
			return err
		}
		value := wire.GetSecretValueResponse(valueOf(s, v))
		out = &value
		touched = !sameDay(s.AccessedAt, b.now())
		return nil
	})
	if err != nil || !touched {
		return out, err
	}
	// LastAccessedDate is a day, as AWS keeps it: a secret read all day
	// long is written once.
	return out, b.touch(ctx, out.Name, out.VersionId)
}

// valueOf is a version's value as GetSecretValue and BatchGetSecretValue
// answer it (VersionStages always, if empty).
func valueOf(s *Secret, v *Version) wire.SecretValueEntry {
	value := wire.SecretValueEntry{ARN: s.ARN, Name: s.Name, VersionId: v.ID, SecretBinary: v.Binary,
		VersionStages: append([]string{}, v.Stages...), CreatedDate: timePtr(v.CreatedAt)}
	if v.String != nil {
		value.SecretString = *v.String
	}
	return value
}

func sameDay(a, b time.Time) bool {
	return !a.IsZero() && a.UTC().Truncate(24*time.Hour).Equal(b.UTC().Truncate(24*time.Hour))
}

func (b *Backend) touch(ctx context.Context, name, versionID string) error {
	return b.store.Update(ctx, func(tx *store.Tx) error {
		s, err := store.Get[Secret](tx, tableSecrets, name)
		if err != nil || s == nil {
			return err
		}
		day := b.now().UTC().Truncate(24 * time.Hour)
		s.AccessedAt = day
		if v := s.version(versionID); v != nil {
			v.AccessedAt = day
		}
		return tx.Put(tableSecrets, s.Name, s)
	})
}

// --- PutSecretValue ---

func (b *Backend) putSecretValue(ctx context.Context, in *wire.PutSecretValueRequest) (*wire.PutSecretValueResponse, error) {
	secretString := stringValue(in.SecretString)
	if err := checkValue(secretString, in.SecretBinary); err != nil {
		return nil, err
	}
	if secretString == nil && in.SecretBinary == nil {
		return nil, errInvalidRequest("You must provide either SecretString or SecretBinary.")
	}
	labels := in.VersionStages
	if len(labels) == 0 {
		labels = []string{stageCurrent}
	}
	out := &wire.PutSecretValueResponse{}
	err := b.store.Update(ctx, func(tx *store.Tx) error {
		s, err := b.loadLive(tx, in.SecretId)
		if err != nil {
			return err
		}
		if in.ClientRequestToken != "" {
			if v := s.version(in.ClientRequestToken); v != nil {
				if !v.sameValue(secretString, in.SecretBinary) {
					return errTokenInUse(in.ClientRequestToken, s.ARN)
				}
				*out = wire.PutSecretValueResponse{ARN: s.ARN, Name: s.Name, VersionId: v.ID, VersionStages: append([]string{}, v.Stages...)}
				return nil
			}
		}
		id := s.addVersion(in.ClientRequestToken, secretString, in.SecretBinary, labels, b.now().UTC())
		*out = wire.PutSecretValueResponse{ARN: s.ARN, Name: s.Name, VersionId: id, VersionStages: append([]string{}, s.version(id).Stages...)}
		return tx.Put(tableSecrets, s.Name, s)
	})
	return out, err
}

// --- UpdateSecret ---

func (b *Backend) updateSecret(ctx context.Context, in *wire.UpdateSecretRequest) (*wire.UpdateSecretResponse, error) {
	secretString := stringValue(in.SecretString)
	if err := checkValue(secretString, in.SecretBinary); err != nil {
		return nil, err
	}
	out := &wire.UpdateSecretResponse{}
	err := b.store.Update(ctx, func(tx *store.Tx) error {
		s, err := b.loadSecret(tx, in.SecretId)
		if err != nil {
			return err
		}
		if s.deleted() {
			return errMarkedForDeletion()
		}
		now := b.now().UTC()
		*out = wire.UpdateSecretResponse{ARN: s.ARN, Name: s.Name}
		if in.Description != nil {
			s.Description, s.ChangedAt = *in.Description, now
		}
		if in.KmsKeyId != nil {
			s.KmsKeyID, s.ChangedAt = *in.KmsKeyId, now
		}
		if in.Type != nil {
			s.Type, s.ChangedAt = *in.Type, now
		}
		if secretString != nil || in.SecretBinary != nil {
			if v := s.version(in.ClientRequestToken); in.ClientRequestToken != "" && v != nil {
				if !v.sameValue(secretString, in.SecretBinary) {
					return errTokenInUse(in.ClientRequestToken, s.ARN)
				}
				out.VersionId = v.ID
			} else {
				out.VersionId = s.addVersion(in.ClientRequestToken, secretString, in.SecretBinary, []string{stageCurrent}, now)
			}
		}
		return tx.Put(tableSecrets, s.Name, s)
	})
	return out, err
}

// --- DescribeSecret ---

// describeSecret answers for a secret scheduled for deletion too: that is
// how a caller sees its DeletedDate.
func (b *Backend) describeSecret(ctx context.Context, in *wire.DescribeSecretRequest) (*wire.DescribeSecretResponse, error) {
	var out *wire.DescribeSecretResponse
	err := b.store.View(ctx, func(tx *store.Tx) error {
		s, err := b.loadSecret(tx, in.SecretId)
		if err != nil {
			return err
		}
		out = &wire.DescribeSecretResponse{
			ARN: s.ARN, Name: s.Name, Type: s.Type, Description: s.Description, KmsKeyId: s.KmsKeyID,
			LastChangedDate: timePtr(s.ChangedAt), LastAccessedDate: timePtr(s.AccessedAt), DeletedDate: timePtr(s.DeletedAt),
			Tags: toWire(s.Tags), VersionIdsToStages: s.versionsToStages(), CreatedDate: timePtr(s.CreatedAt),
		}
		return nil
	})
	return out, err
}

// --- UpdateSecretVersionStage ---

func (b *Backend) updateSecretVersionStage(ctx context.Context, in *wire.UpdateSecretVersionStageRequest) (*wire.UpdateSecretVersionStageResponse, error) {
	out := &wire.UpdateSecretVersionStageResponse{}
	err := b.store.Update(ctx, func(tx *store.Tx) error {
		s, err := b.loadLive(tx, in.SecretId)
		if err != nil {
			return err
		}
		*out = wire.UpdateSecretVersionStageResponse{ARN: s.ARN, Name: s.Name}
		holder := s.staged(in.VersionStage)
		if in.RemoveFromVersionId != "" {
			if s.version(in.RemoveFromVersionId) == nil {
				return errInvalidParameter("Not a valid version: %s", in.RemoveFromVersionId)
			}
			if holder == nil || holder.ID != in.RemoveFromVersionId {
				return errInvalidParameter("The staging label %s is not attached to version %s.", in.VersionStage, in.RemoveFromVersionId)
			}
		}
		if in.MoveToVersionId == "" {
			if in.RemoveFromVersionId == "" {
				return errInvalidParameter("You must specify MoveToVersionId, RemoveFromVersionId or both.")
			}
			if in.VersionStage == stageCurrent {
				return errInvalidParameter("You can't remove the staging label AWSCURRENT from version %s without moving it to another version (MoveToVersionId).", in.RemoveFromVersionId)
			}
			s.unstage(in.RemoveFromVersionId, in.VersionStage)
			return tx.Put(tableSecrets, s.Name, s)
		}
		if s.version(in.MoveToVersionId) == nil {
			return errInvalidParameter("Not a valid version: %s", in.MoveToVersionId)
		}
		if holder != nil && holder.ID != in.MoveToVersionId && in.RemoveFromVersionId == "" {
			return errInvalidParameter("The parameter RemoveFromVersionId can't be empty. Staging label %s is currently attached to version %s, so you must explicitly reference that version in RemoveFromVersionId.", in.VersionStage, holder.ID)
		}
		s.stage(in.MoveToVersionId, []string{in.VersionStage})
		s.ChangedAt = b.now().UTC()
		return tx.Put(tableSecrets, s.Name, s)
	})
	return out, err
}

// --- DeleteSecret / RestoreSecret ---

// deleteSecret schedules the secret's deletion at the end of the recovery
// window; from then on it answers only DescribeSecret and RestoreSecret,
// and once the window is over it is gone (looked up lazily, so nothing has
// to run for it to go).
func (b *Backend) deleteSecret(ctx context.Context, in *wire.DeleteSecretRequest) (*wire.DeleteSecretResponse, error) {
	force := isSet(in.ForceDeleteWithoutRecovery)
	days := defaultRecoveryDays
	if in.RecoveryWindowInDays != nil {
		if force {
			return nil, errInvalidParameter("You can't use ForceDeleteWithoutRecovery in conjunction with RecoveryWindowInDays.")
		}
		days = *in.RecoveryWindowInDays
		if days < minRecoveryDays || days > maxRecoveryDays {
			return nil, errInvalidParameter("The RecoveryWindowInDays value must be between 7 and 30 days (inclusive).")
		}
	}
	out := &wire.DeleteSecretResponse{}
	err := b.store.Update(ctx, func(tx *store.Tx) error {
		s, err := b.loadSecret(tx, in.SecretId)
		if err != nil {
			return err
		}
		now := b.now().UTC()
		if force {
			*out = wire.DeleteSecretResponse{ARN: s.ARN, Name: s.Name, DeletionDate: timePtr(now)}
			return tx.Delete(tableSecrets, s.Name)
		}
		if s.deleted() {
			return errInvalidRequest("You tried to perform the operation on a secret that's currently marked deleted.")
		}
		s.DeletedAt, s.DeletionDate = now, now.Add(time.Duration(days)*24*time.Hour)
		*out = wire.DeleteSecretResponse{ARN: s.ARN, Name: s.Name, DeletionDate: timePtr(s.DeletionDate)}
		return tx.Put(tableSecrets, s.Name, s)
	})
	return out, err
}

func (b *Backend) restoreSecret(ctx context.Context, in *wire.RestoreSecretRequest) (*wire.RestoreSecretResponse, error) {
	out := &wire.RestoreSecretResponse{}
	err := b.store.Update(ctx, func(tx *store.Tx) error {
		s, err := b.loadSecret(tx, in.SecretId)
		if err != nil {
			return err
		}
		*out = wire.RestoreSecretResponse{ARN: s.ARN, Name: s.Name}
		if !s.deleted() {
			return nil
		}
		s.DeletedAt, s.DeletionDate = time.Time{}, time.Time{}
		return tx.Put(tableSecrets, s.Name, s)
	})
	return out, err
}
