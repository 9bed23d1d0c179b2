package secretsmanager

import (
	"context"
	"crypto/rand"
	"slices"
	"time"

	"github.com/berthdev/berth/internal/localcloud/protocol/awsjson"
	"github.com/berthdev/berth/internal/localcloud/store"
)

// --- CreateSecret ---

type createSecretInput struct {
	Name                        string        `json:"Name"`
	ClientRequestToken          string        `json:"ClientRequestToken"`
	Description                 *string       `json:"Description"`
	KmsKeyID                    string        `json:"KmsKeyId"`
	SecretBinary                []byte        `json:"SecretBinary"`
	SecretString                *string       `json:"SecretString"`
	Tags                        []Tag         `json:"Tags"`
	AddReplicaRegions           []replicaSpec `json:"AddReplicaRegions"`
	ForceOverwriteReplicaSecret bool          `json:"ForceOverwriteReplicaSecret"`
	Type                        string        `json:"Type"`
}

type replicaSpec struct {
	Region   string `json:"Region"`
	KmsKeyID string `json:"KmsKeyId"`
}

type secretRef struct {
	ARN       string `json:"ARN,omitempty"`
	Name      string `json:"Name,omitempty"`
	VersionID string `json:"VersionId,omitempty"`
}

func checkValue(s *string, bin []byte) error {
	if s != nil && bin != nil {
		return errInvalidParameter("You can't specify both a binary secret value and a string secret value in the same secret.")
	}
	return nil
}

func (b *Backend) createSecret(ctx context.Context, in *createSecretInput) (*secretRef, error) {
	if len(in.AddReplicaRegions) > 0 {
		return nil, errInvalidRequest("The local cloud does not replicate secrets: create the secret in each region instead of using AddReplicaRegions.")
	}
	if err := checkValue(in.SecretString, in.SecretBinary); err != nil {
		return nil, err
	}
	tags, err := checkTags(nil, in.Tags)
	if err != nil {
		return nil, err
	}
	out := &secretRef{}
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
					if !v.sameValue(in.SecretString, in.SecretBinary) {
						return errTokenInUse(in.ClientRequestToken, existing.ARN)
					}
					*out = secretRef{ARN: existing.ARN, Name: existing.Name, VersionID: v.ID}
					return nil // a retry of the request that made it
				}
			}
			return errExists("The operation failed because the secret %s already exists.", in.Name)
		}
		s := &Secret{
			Name: in.Name, ARN: tx.ARN("secretsmanager", "secret:"+in.Name+"-"+randomSuffix()),
			KmsKeyID: in.KmsKeyID, Type: in.Type, Tags: tags, CreatedAt: now, ChangedAt: now,
		}
		if in.Description != nil {
			s.Description = *in.Description
		}
		*out = secretRef{ARN: s.ARN, Name: s.Name}
		if in.SecretString != nil || in.SecretBinary != nil {
			out.VersionID = s.addVersion(in.ClientRequestToken, in.SecretString, in.SecretBinary, []string{stageCurrent}, now)
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

type getSecretValueInput struct {
	SecretID     string `json:"SecretId"`
	VersionID    string `json:"VersionId"`
	VersionStage string `json:"VersionStage"`
}

type secretValue struct {
	ARN           string        `json:"ARN"`
	Name          string        `json:"Name"`
	VersionID     string        `json:"VersionId"`
	SecretBinary  []byte        `json:"SecretBinary,omitempty"`
	SecretString  *string       `json:"SecretString,omitempty"`
	VersionStages []string      `json:"VersionStages"`
	CreatedDate   *awsjson.Time `json:"CreatedDate,omitempty"`
}

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

func (b *Backend) getSecretValue(ctx context.Context, in *getSecretValueInput) (*secretValue, error) {
	var out *secretValue
	var touched bool
	err := b.store.View(ctx, func(tx *store.Tx) error {
		s, err := b.loadLive(tx, in.SecretID)
		if err != nil {
			return err
		}
		v, err := selectVersion(s, in.VersionID, in.VersionStage)
		if err != nil {
			return err
		}
		out = valueOf(s, v)
		touched = !sameDay(s.AccessedAt, b.now())
		return nil
	})
	if err != nil || !touched {
		return out, err
	}
	// LastAccessedDate is a day, as AWS keeps it: a secret read all day
	// long is written once.
	return out, b.touch(ctx, out.Name, out.VersionID)
}

func valueOf(s *Secret, v *Version) *secretValue {
	return &secretValue{ARN: s.ARN, Name: s.Name, VersionID: v.ID, SecretString: v.String, SecretBinary: v.Binary,
		VersionStages: append([]string{}, v.Stages...), CreatedDate: timePtr(v.CreatedAt)}
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

type putSecretValueInput struct {
	SecretID           string   `json:"SecretId"`
	ClientRequestToken string   `json:"ClientRequestToken"`
	SecretBinary       []byte   `json:"SecretBinary"`
	SecretString       *string  `json:"SecretString"`
	VersionStages      []string `json:"VersionStages"`
	RotationToken      string   `json:"RotationToken"`
}

type putSecretValueOutput struct {
	ARN           string   `json:"ARN"`
	Name          string   `json:"Name"`
	VersionID     string   `json:"VersionId"`
	VersionStages []string `json:"VersionStages"`
}

func (b *Backend) putSecretValue(ctx context.Context, in *putSecretValueInput) (*putSecretValueOutput, error) {
	if err := checkValue(in.SecretString, in.SecretBinary); err != nil {
		return nil, err
	}
	if in.SecretString == nil && in.SecretBinary == nil {
		return nil, errInvalidRequest("You must provide either SecretString or SecretBinary.")
	}
	labels := in.VersionStages
	if len(labels) == 0 {
		labels = []string{stageCurrent}
	}
	out := &putSecretValueOutput{}
	err := b.store.Update(ctx, func(tx *store.Tx) error {
		s, err := b.loadLive(tx, in.SecretID)
		if err != nil {
			return err
		}
		if in.ClientRequestToken != "" {
			if v := s.version(in.ClientRequestToken); v != nil {
				if !v.sameValue(in.SecretString, in.SecretBinary) {
					return errTokenInUse(in.ClientRequestToken, s.ARN)
				}
				*out = putSecretValueOutput{ARN: s.ARN, Name: s.Name, VersionID: v.ID, VersionStages: append([]string{}, v.Stages...)}
				return nil
			}
		}
		id := s.addVersion(in.ClientRequestToken, in.SecretString, in.SecretBinary, labels, b.now().UTC())
		*out = putSecretValueOutput{ARN: s.ARN, Name: s.Name, VersionID: id, VersionStages: append([]string{}, s.version(id).Stages...)}
		return tx.Put(tableSecrets, s.Name, s)
	})
	return out, err
}

// --- UpdateSecret ---

type updateSecretInput struct {
	SecretID           string  `json:"SecretId"`
	ClientRequestToken string  `json:"ClientRequestToken"`
	Description        *string `json:"Description"`
	KmsKeyID           *string `json:"KmsKeyId"`
	SecretBinary       []byte  `json:"SecretBinary"`
	SecretString       *string `json:"SecretString"`
	Type               *string `json:"Type"`
}

func (b *Backend) updateSecret(ctx context.Context, in *updateSecretInput) (*secretRef, error) {
	if err := checkValue(in.SecretString, in.SecretBinary); err != nil {
		return nil, err
	}
	out := &secretRef{}
	err := b.store.Update(ctx, func(tx *store.Tx) error {
		s, err := b.loadSecret(tx, in.SecretID)
		if err != nil {
			return err
		}
		if s.deleted() {
			return errMarkedForDeletion()
		}
		now := b.now().UTC()
		*out = secretRef{ARN: s.ARN, Name: s.Name}
		if in.Description != nil {
			s.Description, s.ChangedAt = *in.Description, now
		}
		if in.KmsKeyID != nil {
			s.KmsKeyID, s.ChangedAt = *in.KmsKeyID, now
		}
		if in.Type != nil {
			s.Type, s.ChangedAt = *in.Type, now
		}
		if in.SecretString != nil || in.SecretBinary != nil {
			if v := s.version(in.ClientRequestToken); in.ClientRequestToken != "" && v != nil {
				if !v.sameValue(in.SecretString, in.SecretBinary) {
					return errTokenInUse(in.ClientRequestToken, s.ARN)
				}
				out.VersionID = v.ID
			} else {
				out.VersionID = s.addVersion(in.ClientRequestToken, in.SecretString, in.SecretBinary, []string{stageCurrent}, now)
			}
		}
		return tx.Put(tableSecrets, s.Name, s)
	})
	return out, err
}

// --- DescribeSecret ---

type secretIDInput struct {
	SecretID string `json:"SecretId"`
}

type describeSecretOutput struct {
	ARN                string              `json:"ARN"`
	Name               string              `json:"Name"`
	Type               string              `json:"Type,omitempty"`
	Description        string              `json:"Description,omitempty"`
	KmsKeyID           string              `json:"KmsKeyId,omitempty"`
	LastChangedDate    *awsjson.Time       `json:"LastChangedDate,omitempty"`
	LastAccessedDate   *awsjson.Time       `json:"LastAccessedDate,omitempty"`
	DeletedDate        *awsjson.Time       `json:"DeletedDate,omitempty"`
	Tags               []Tag               `json:"Tags,omitempty"`
	VersionIdsToStages map[string][]string `json:"VersionIdsToStages,omitempty"`
	CreatedDate        *awsjson.Time       `json:"CreatedDate,omitempty"`
}

// describeSecret answers for a secret scheduled for deletion too: that is
// how a caller sees its DeletedDate.
func (b *Backend) describeSecret(ctx context.Context, in *secretIDInput) (*describeSecretOutput, error) {
	var out *describeSecretOutput
	err := b.store.View(ctx, func(tx *store.Tx) error {
		s, err := b.loadSecret(tx, in.SecretID)
		if err != nil {
			return err
		}
		out = &describeSecretOutput{
			ARN: s.ARN, Name: s.Name, Type: s.Type, Description: s.Description, KmsKeyID: s.KmsKeyID,
			LastChangedDate: timePtr(s.ChangedAt), LastAccessedDate: timePtr(s.AccessedAt), DeletedDate: timePtr(s.DeletedAt),
			Tags: toWire(s.Tags), VersionIdsToStages: s.versionsToStages(), CreatedDate: timePtr(s.CreatedAt),
		}
		return nil
	})
	return out, err
}

// --- UpdateSecretVersionStage ---

type updateStageInput struct {
	SecretID            string `json:"SecretId"`
	VersionStage        string `json:"VersionStage"`
	RemoveFromVersionID string `json:"RemoveFromVersionId"`
	MoveToVersionID     string `json:"MoveToVersionId"`
}

func (b *Backend) updateSecretVersionStage(ctx context.Context, in *updateStageInput) (*secretRef, error) {
	out := &secretRef{}
	err := b.store.Update(ctx, func(tx *store.Tx) error {
		s, err := b.loadLive(tx, in.SecretID)
		if err != nil {
			return err
		}
		*out = secretRef{ARN: s.ARN, Name: s.Name}
		holder := s.staged(in.VersionStage)
		if in.RemoveFromVersionID != "" {
			if s.version(in.RemoveFromVersionID) == nil {
				return errInvalidParameter("Not a valid version: %s", in.RemoveFromVersionID)
			}
			if holder == nil || holder.ID != in.RemoveFromVersionID {
				return errInvalidParameter("The staging label %s is not attached to version %s.", in.VersionStage, in.RemoveFromVersionID)
			}
		}
		if in.MoveToVersionID == "" {
			if in.RemoveFromVersionID == "" {
				return errInvalidParameter("You must specify MoveToVersionId, RemoveFromVersionId or both.")
			}
			if in.VersionStage == stageCurrent {
				return errInvalidParameter("You can't remove the staging label AWSCURRENT from version %s without moving it to another version (MoveToVersionId).", in.RemoveFromVersionID)
			}
			s.unstage(in.RemoveFromVersionID, in.VersionStage)
			return tx.Put(tableSecrets, s.Name, s)
		}
		if s.version(in.MoveToVersionID) == nil {
			return errInvalidParameter("Not a valid version: %s", in.MoveToVersionID)
		}
		if holder != nil && holder.ID != in.MoveToVersionID && in.RemoveFromVersionID == "" {
			return errInvalidParameter("The parameter RemoveFromVersionId can't be empty. Staging label %s is currently attached to version %s, so you must explicitly reference that version in RemoveFromVersionId.", in.VersionStage, holder.ID)
		}
		s.stage(in.MoveToVersionID, []string{in.VersionStage})
		s.ChangedAt = b.now().UTC()
		return tx.Put(tableSecrets, s.Name, s)
	})
	return out, err
}

// --- DeleteSecret / RestoreSecret ---

type deleteSecretInput struct {
	SecretID                   string `json:"SecretId"`
	RecoveryWindowInDays       *int64 `json:"RecoveryWindowInDays"`
	ForceDeleteWithoutRecovery bool   `json:"ForceDeleteWithoutRecovery"`
}

type deleteSecretOutput struct {
	ARN          string       `json:"ARN"`
	Name         string       `json:"Name"`
	DeletionDate awsjson.Time `json:"DeletionDate"`
}

// deleteSecret schedules the secret's deletion at the end of the recovery
// window; from then on it answers only DescribeSecret and RestoreSecret,
// and once the window is over it is gone (looked up lazily, so nothing has
// to run for it to go).
func (b *Backend) deleteSecret(ctx context.Context, in *deleteSecretInput) (*deleteSecretOutput, error) {
	days := int64(defaultRecoveryDays)
	if in.RecoveryWindowInDays != nil {
		if in.ForceDeleteWithoutRecovery {
			return nil, errInvalidParameter("You can't use ForceDeleteWithoutRecovery in conjunction with RecoveryWindowInDays.")
		}
		days = *in.RecoveryWindowInDays
		if days < minRecoveryDays || days > maxRecoveryDays {
			return nil, errInvalidParameter("The RecoveryWindowInDays value must be between 7 and 30 days (inclusive).")
		}
	}
	out := &deleteSecretOutput{}
	err := b.store.Update(ctx, func(tx *store.Tx) error {
		s, err := b.loadSecret(tx, in.SecretID)
		if err != nil {
			return err
		}
		now := b.now().UTC()
		if in.ForceDeleteWithoutRecovery {
			*out = deleteSecretOutput{ARN: s.ARN, Name: s.Name, DeletionDate: awsjson.NewTime(now)}
			return tx.Delete(tableSecrets, s.Name)
		}
		if s.deleted() {
			return errInvalidRequest("You tried to perform the operation on a secret that's currently marked deleted.")
		}
		s.DeletedAt, s.DeletionDate = now, now.Add(time.Duration(days)*24*time.Hour)
		*out = deleteSecretOutput{ARN: s.ARN, Name: s.Name, DeletionDate: awsjson.NewTime(s.DeletionDate)}
		return tx.Put(tableSecrets, s.Name, s)
	})
	return out, err
}

func (b *Backend) restoreSecret(ctx context.Context, in *secretIDInput) (*secretRef, error) {
	out := &secretRef{}
	err := b.store.Update(ctx, func(tx *store.Tx) error {
		s, err := b.loadSecret(tx, in.SecretID)
		if err != nil {
			return err
		}
		*out = secretRef{ARN: s.ARN, Name: s.Name}
		if !s.deleted() {
			return nil
		}
		s.DeletedAt, s.DeletionDate = time.Time{}, time.Time{}
		return tx.Put(tableSecrets, s.Name, s)
	})
	return out, err
}
