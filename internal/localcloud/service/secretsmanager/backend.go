// Package secretsmanager is the local cloud's AWS Secrets Manager: secrets
// with versions and staging labels (AWSCURRENT, AWSPREVIOUS, AWSPENDING),
// ClientRequestToken idempotency, deletion with a recovery window,
// resource policies and tags, kept in the store per account and region.
//
// Secret values never reach a log: errors name secrets, never values, and
// a version renders as [redacted] if anything tries to log it.
package secretsmanager

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/berthdev/berth/internal/localcloud/protocol"
	"github.com/berthdev/berth/internal/localcloud/protocol/awsjson"
	"github.com/berthdev/berth/internal/localcloud/service/secretsmanager/wire"
	"github.com/berthdev/berth/internal/localcloud/service/tagging"
	"github.com/berthdev/berth/internal/localcloud/store"
)

const tableSecrets = "secretsmanager/secrets" // by name

// Staging labels Secrets Manager itself moves.
const (
	stageCurrent  = "AWSCURRENT"
	stagePrevious = "AWSPREVIOUS"
	stagePending  = "AWSPENDING"
)

const (
	defaultRecoveryDays = 30
	minRecoveryDays     = 7
	maxRecoveryDays     = 30
	// maxVersions is how many versions a secret keeps; beyond it the
	// oldest deprecated (unlabelled) versions go, as AWS drops them.
	maxVersions = 100
	// defaultKMSKeyIDs is what ListSecretVersionIds reports for versions
	// encrypted with the AWS managed key.
	defaultKMSKeyID = "DefaultEncryptionKey"
)

// Backend holds Secrets Manager's state in the store and its rules.
type Backend struct {
	store *store.Store
	now   func() time.Time
}

// New returns the service's backend over st.
func New(st *store.Store) *Backend {
	return &Backend{store: st, now: time.Now}
}

// Service returns Secrets Manager's operation table for the router.
func (b *Backend) Service() *protocol.Service {
	return &protocol.Service{
		SigningName:  "secretsmanager",
		TargetPrefix: "secretsmanager",
		Codec:        awsjson.Codec{},
		Operations: []protocol.Operation{
			protocol.Op("CreateSecret", b.createSecret),
			protocol.Op("GetSecretValue", b.getSecretValue),
			protocol.Op("BatchGetSecretValue", b.batchGetSecretValue),
			protocol.Op("PutSecretValue", b.putSecretValue),
			protocol.Op("UpdateSecret", b.updateSecret),
			protocol.Op("DescribeSecret", b.describeSecret),
			protocol.Op("ListSecrets", b.listSecrets),
			protocol.Op("ListSecretVersionIds", b.listSecretVersionIds),
			protocol.Op("UpdateSecretVersionStage", b.updateSecretVersionStage),
			protocol.Op("DeleteSecret", b.deleteSecret),
			protocol.Op("RestoreSecret", b.restoreSecret),
			protocol.Op("TagResource", b.tagResource),
			protocol.Op("UntagResource", b.untagResource),
			protocol.Op("GetRandomPassword", b.getRandomPassword),
			protocol.Op("GetResourcePolicy", b.getResourcePolicy),
			protocol.Op("PutResourcePolicy", b.putResourcePolicy),
			protocol.Op("DeleteResourcePolicy", b.deleteResourcePolicy),
			protocol.Op("ValidateResourcePolicy", b.validateResourcePolicy),
		},
	}
}

// Secret is a stored secret.
type Secret struct {
	Name        string        `json:"name"`
	ARN         string        `json:"arn"`
	Description string        `json:"description,omitempty"`
	KmsKeyID    string        `json:"kmsKeyId,omitempty"`
	Type        string        `json:"type,omitempty"`
	Tags        []tagging.Tag `json:"tags,omitempty"`
	// Versions are in creation order.
	Versions     []Version `json:"versions,omitempty"`
	Policy       string    `json:"policy,omitempty"`
	CreatedAt    time.Time `json:"createdAt"`
	ChangedAt    time.Time `json:"changedAt"`
	AccessedAt   time.Time `json:"accessedAt,omitzero"`
	DeletedAt    time.Time `json:"deletedAt,omitzero"`
	DeletionDate time.Time `json:"deletionDate,omitzero"`
}

// Version is one value of a secret.
type Version struct {
	ID         string    `json:"id"`
	String     *string   `json:"string,omitempty"`
	Binary     []byte    `json:"binary,omitempty"`
	Stages     []string  `json:"stages,omitempty"`
	KmsKeyID   string    `json:"kmsKeyId,omitempty"`
	CreatedAt  time.Time `json:"createdAt"`
	AccessedAt time.Time `json:"accessedAt,omitzero"`
}

// LogValue keeps a version's value out of any log it is passed to.
func (v Version) LogValue() slog.Value {
	return slog.GroupValue(slog.String("id", v.ID), slog.Any("stages", v.Stages), slog.String("value", "[redacted]"))
}

// sameValue reports whether the version holds the given value.
func (v *Version) sameValue(s *string, bin []byte) bool {
	if (v.String == nil) != (s == nil) {
		return false
	}
	return (s == nil || *v.String == *s) && bytes.Equal(v.Binary, bin)
}

func (s *Secret) deleted() bool { return !s.DeletedAt.IsZero() }

func (s *Secret) version(id string) *Version {
	for i := range s.Versions {
		if s.Versions[i].ID == id {
			return &s.Versions[i]
		}
	}
	return nil
}

func (s *Secret) staged(stage string) *Version {
	for i := range s.Versions {
		if slices.Contains(s.Versions[i].Stages, stage) {
			return &s.Versions[i]
		}
	}
	return nil
}

// stage attaches labels to a version, taking each from the version that
// had it; moving AWSCURRENT moves AWSPREVIOUS to the version it left, as
// Secrets Manager does.
func (s *Secret) stage(id string, labels []string) {
	for _, label := range labels {
		holder := s.staged(label)
		if holder != nil && holder.ID == id {
			continue
		}
		if holder != nil {
			holder.Stages = slices.DeleteFunc(holder.Stages, func(l string) bool { return l == label })
			if label == stageCurrent {
				if prev := s.staged(stagePrevious); prev != nil {
					prev.Stages = slices.DeleteFunc(prev.Stages, func(l string) bool { return l == stagePrevious })
				}
				holder.Stages = append(holder.Stages, stagePrevious)
			}
		}
		v := s.version(id)
		v.Stages = append(v.Stages, label)
	}
	s.prune()
}

// unstage removes a label from a version.
func (s *Secret) unstage(id, label string) {
	v := s.version(id)
	v.Stages = slices.DeleteFunc(v.Stages, func(l string) bool { return l == label })
	s.prune()
}

func (s *Secret) prune() {
	for len(s.Versions) > maxVersions {
		i := slices.IndexFunc(s.Versions, func(v Version) bool { return len(v.Stages) == 0 })
		if i < 0 {
			return
		}
		s.Versions = slices.Delete(s.Versions, i, i+1)
	}
}

// versionsToStages maps the labelled versions to their labels (nil, and
// so left out of an answer, when no version has one).
func (s *Secret) versionsToStages() map[string][]string {
	var out map[string][]string
	for _, v := range s.Versions {
		if len(v.Stages) > 0 {
			if out == nil {
				out = map[string][]string{}
			}
			out[v.ID] = slices.Clone(v.Stages)
		}
	}
	return out
}

// findSecret resolves a SecretId the way Secrets Manager does: a name, a
// full ARN, or a partial ARN (one without the six random characters). A
// secret whose recovery window is over is gone.
func (b *Backend) findSecret(tx *store.Tx, id string) (*Secret, error) {
	var candidates []string
	if rest, ok := strings.CutPrefix(id, tx.ARN("secretsmanager", "secret:")); ok {
		// A full ARN ends in -XXXXXX after the name; a partial one is the
		// name itself.
		if i := len(rest) - 7; i > 0 && rest[i] == '-' {
			candidates = append(candidates, rest[:i])
		}
		candidates = append(candidates, rest)
	} else if strings.HasPrefix(id, "arn:") {
		return nil, nil // another region's, account's or service's ARN
	} else {
		candidates = []string{id}
	}
	for _, name := range candidates {
		s, err := store.Get[Secret](tx, tableSecrets, name)
		if err != nil {
			return nil, err
		}
		if s == nil || (s.deleted() && !b.now().Before(s.DeletionDate)) {
			continue
		}
		if strings.HasPrefix(id, "arn:") && id != s.ARN && id != tx.ARN("secretsmanager", "secret:"+s.Name) {
			continue
		}
		return s, nil
	}
	return nil, nil
}

// loadSecret is findSecret with Secrets Manager's error for a missing one.
func (b *Backend) loadSecret(tx *store.Tx, id string) (*Secret, error) {
	s, err := b.findSecret(tx, id)
	if err != nil {
		return nil, err
	}
	if s == nil {
		return nil, errNotFound()
	}
	return s, nil
}

// loadLive is loadSecret for operations a secret scheduled for deletion
// refuses.
func (b *Backend) loadLive(tx *store.Tx, id string) (*Secret, error) {
	s, err := b.loadSecret(tx, id)
	if err != nil {
		return nil, err
	}
	if s.deleted() {
		return nil, errMarkedForDeletion()
	}
	return s, nil
}

// SecretValue returns a secret's value in ctx's scope for controllers that
// resolve ECS task secrets: valueFrom is a name, an ARN, or ECS's extended
// ARN arn:…:secret:NAME-XXXXXX:json-key:version-stage:version-id (each of
// the last three may be empty), which picks one key of a JSON secret and
// a version other than AWSCURRENT. A binary value is returned as its bytes.
func (b *Backend) SecretValue(ctx context.Context, valueFrom string) (string, error) {
	id, jsonKey, stage, versionID := splitValueFrom(valueFrom)
	var value string
	err := b.store.View(ctx, func(tx *store.Tx) error {
		s, err := b.loadLive(tx, id)
		if err != nil {
			return err
		}
		v, err := selectVersion(s, versionID, stage)
		if err != nil {
			return err
		}
		if v.String != nil {
			value = *v.String
		} else {
			value = string(v.Binary)
		}
		if jsonKey == "" {
			return nil
		}
		var fields map[string]json.RawMessage
		if err := json.Unmarshal([]byte(value), &fields); err != nil {
			return errInvalidRequest("The value of secret %s is not a JSON object, so its key %s cannot be read.", s.Name, jsonKey)
		}
		field, ok := fields[jsonKey]
		if !ok {
			return errInvalidRequest("The JSON value of secret %s has no key %s.", s.Name, jsonKey)
		}
		var str string
		if json.Unmarshal(field, &str) == nil {
			value = str
		} else {
			value = string(field) // a number, boolean or object, as JSON
		}
		return nil
	})
	if err != nil {
		return "", err
	}
	return value, nil
}

// splitValueFrom separates ECS's json-key:version-stage:version-id suffix
// from a secret ARN (arn:aws:secretsmanager:region:account:secret:name has
// seven fields).
func splitValueFrom(valueFrom string) (id, jsonKey, stage, versionID string) {
	parts := strings.Split(valueFrom, ":")
	if len(parts) <= 7 || parts[0] != "arn" {
		return valueFrom, "", "", ""
	}
	rest := append(parts[7:], "", "", "")
	return strings.Join(parts[:7], ":"), rest[0], rest[1], rest[2]
}

// --- errors (all 400s, as Secrets Manager sends them) ---

func errNotFound() *protocol.Error {
	return protocol.Errorf("ResourceNotFoundException", "Secrets Manager can't find the specified secret.")
}

func errNoValue(kind, id string) *protocol.Error {
	return protocol.Errorf("ResourceNotFoundException", "Secrets Manager can't find the specified secret value for %s: %s", kind, id)
}

func errMarkedForDeletion() *protocol.Error {
	return protocol.Errorf("InvalidRequestException", "You can't perform this operation on the secret because it was marked for deletion.")
}

func errInvalidRequest(format string, args ...any) *protocol.Error {
	return protocol.Errorf("InvalidRequestException", format, args...)
}

func errInvalidParameter(format string, args ...any) *protocol.Error {
	return protocol.Errorf("InvalidParameterException", format, args...)
}

func errExists(format string, args ...any) *protocol.Error {
	return protocol.Errorf("ResourceExistsException", format, args...)
}

func errInvalidNextToken() *protocol.Error {
	return protocol.Errorf("InvalidNextTokenException", "The NextToken value is invalid.")
}

func errMalformedPolicy(format string, args ...any) *protocol.Error {
	return protocol.Errorf("MalformedPolicyDocumentException", format, args...)
}

// --- tags ---

var tagRules = tagging.Common

func fromWire(tags []wire.Tag) []tagging.Tag {
	out := make([]tagging.Tag, 0, len(tags))
	for _, t := range tags {
		out = append(out, tagging.Tag{Key: t.Key, Value: t.Value})
	}
	return out
}

func toWire(tags []tagging.Tag) []wire.Tag {
	if len(tags) == 0 {
		return nil
	}
	out := make([]wire.Tag, 0, len(tags))
	for _, t := range tags {
		out = append(out, wire.Tag{Key: t.Key, Value: t.Value})
	}
	return out
}

func checkTags(existing []tagging.Tag, added []wire.Tag) ([]tagging.Tag, error) {
	tags := fromWire(added)
	if err := tagRules.Check(existing, tags); err != nil {
		return nil, errInvalidParameter("%s", err.Error())
	}
	return tagging.Merge(existing, tags), nil
}

func (b *Backend) tagResource(ctx context.Context, in *wire.TagResourceRequest) (*struct{}, error) {
	return nil, b.store.Update(ctx, func(tx *store.Tx) error {
		s, err := b.loadLive(tx, in.SecretId)
		if err != nil {
			return err
		}
		if s.Tags, err = checkTags(s.Tags, in.Tags); err != nil {
			return err
		}
		return tx.Put(tableSecrets, s.Name, s)
	})
}

func (b *Backend) untagResource(ctx context.Context, in *wire.UntagResourceRequest) (*struct{}, error) {
	return nil, b.store.Update(ctx, func(tx *store.Tx) error {
		s, err := b.loadLive(tx, in.SecretId)
		if err != nil {
			return err
		}
		s.Tags = tagging.Remove(s.Tags, in.TagKeys)
		return tx.Put(tableSecrets, s.Name, s)
	})
}

func timePtr(t time.Time) *awsjson.Time {
	if t.IsZero() {
		return nil
	}
	v := awsjson.NewTime(t)
	return &v
}

// isSet reads an optional boolean of a request: absent is false.
func isSet(p *bool) bool { return p != nil && *p }
