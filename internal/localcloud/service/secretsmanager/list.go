package secretsmanager

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/berthdev/berth/internal/localcloud/protocol"
	"github.com/berthdev/berth/internal/localcloud/service/paging"
	"github.com/berthdev/berth/internal/localcloud/service/secretsmanager/wire"
	"github.com/berthdev/berth/internal/localcloud/store"
)

// matchesFilters applies ListSecrets' filters: every filter must match,
// one of a filter's values is enough, a value matches as a prefix (case-
// insensitive for description and all), and a leading ! negates it.
func matchesFilters(s *Secret, region string, filters []wire.Filter) bool {
	for _, f := range filters {
		var fields []string
		fold := false
		switch f.Key {
		case "name":
			fields = []string{s.Name}
		case "description":
			fields, fold = []string{s.Description}, true
		case "tag-key":
			for _, t := range s.Tags {
				fields = append(fields, t.Key)
			}
		case "tag-value":
			for _, t := range s.Tags {
				fields = append(fields, t.Value)
			}
		case "primary-region":
			fields = []string{region}
		case "owning-service":
			fields = nil
		case "all":
			fields, fold = []string{s.Name, s.Description, region}, true
			for _, t := range s.Tags {
				fields = append(fields, t.Key, t.Value)
			}
		}
		matched := false
		for _, value := range f.Values {
			negate := strings.HasPrefix(value, "!")
			value = strings.TrimPrefix(value, "!")
			hit := false
			for _, field := range fields {
				if f.Key == "all" {
					for _, word := range strings.Fields(strings.ToLower(value)) {
						hit = hit || strings.Contains(strings.ToLower(field), word)
					}
				} else if fold {
					hit = hit || strings.HasPrefix(strings.ToLower(field), strings.ToLower(value))
				} else {
					hit = hit || strings.HasPrefix(field, value)
				}
			}
			if hit != negate {
				matched = true
			}
		}
		if !matched {
			return false
		}
	}
	return true
}

func checkFilters(filters []wire.Filter) error {
	for _, f := range filters {
		if len(f.Values) == 0 {
			return errInvalidParameter("Invalid filter: the filter %s has no values.", f.Key)
		}
	}
	return nil
}

func pageSize(n *int, def, hi int) (int, error) {
	size, err := paging.Size(n, def, 1, hi)
	if err != nil {
		return 0, protocol.Errorf("ValidationException", "1 validation error detected: Value '%d' at 'maxResults' failed to satisfy constraint: Member must have value between 1 and %d", *n, hi)
	}
	return size, nil
}

func (b *Backend) listSecrets(ctx context.Context, in *wire.ListSecretsRequest) (*wire.ListSecretsResponse, error) {
	limit, err := pageSize(in.MaxResults, 100, 100)
	if err != nil {
		return nil, err
	}
	if err := checkFilters(in.Filters); err != nil {
		return nil, err
	}
	var secrets []*Secret
	err = b.store.View(ctx, func(tx *store.Tx) error {
		all, err := store.List[Secret](tx, tableSecrets)
		if err != nil {
			return err
		}
		now := b.now()
		for _, s := range all {
			if s.deleted() && (!isSet(in.IncludePlannedDeletion) || !now.Before(s.DeletionDate)) {
				continue
			}
			if matchesFilters(s, tx.Scope().Region, in.Filters) {
				secrets = append(secrets, s)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	page, next, err := paging.Page(secrets, sortKey(in.SortBy, in.SortOrder), in.NextToken, limit)
	if errors.Is(err, paging.ErrBadToken) {
		return nil, errInvalidNextToken()
	}
	out := &wire.ListSecretsResponse{SecretList: []wire.SecretListEntry{}, NextToken: next}
	for _, s := range page {
		out.SecretList = append(out.SecretList, wire.SecretListEntry{
			ARN: s.ARN, Name: s.Name, Type: s.Type, Description: s.Description, KmsKeyId: s.KmsKeyID,
			LastChangedDate: timePtr(s.ChangedAt), LastAccessedDate: timePtr(s.AccessedAt), DeletedDate: timePtr(s.DeletedAt),
			Tags: toWire(s.Tags), SecretVersionsToStages: s.versionsToStages(), CreatedDate: timePtr(s.CreatedAt),
		})
	}
	return out, err
}

// sortKey orders ListSecrets (by creation date unless told otherwise).
func sortKey(by, order string) func(*Secret) string {
	descending := order == "desc"
	stamp := func(nanos int64) string {
		if descending {
			nanos = math.MaxInt64 - nanos
		}
		return fmt.Sprintf("%020d", nanos)
	}
	return func(s *Secret) string {
		switch by {
		case "name":
			if descending {
				return invert(s.Name)
			}
			return s.Name
		case "last-changed-date":
			return stamp(s.ChangedAt.UnixNano()) + "/" + s.Name
		case "last-accessed-date":
			return stamp(s.AccessedAt.UnixNano()) + "/" + s.Name
		}
		return stamp(s.CreatedAt.UnixNano()) + "/" + s.Name
	}
}

// invert maps a name to a key that sorts in the reverse order.
func invert(s string) string {
	b := []byte(s)
	for i := range b {
		b[i] = 0xff - b[i]
	}
	return string(b) + "\xff"
}

// --- ListSecretVersionIds ---

func (b *Backend) listSecretVersionIds(ctx context.Context, in *wire.ListSecretVersionIdsRequest) (*wire.ListSecretVersionIdsResponse, error) {
	limit, err := pageSize(in.MaxResults, 100, 100)
	if err != nil {
		return nil, err
	}
	out := &wire.ListSecretVersionIdsResponse{Versions: []wire.SecretVersionsListEntry{}}
	var versions []wire.SecretVersionsListEntry
	err = b.store.View(ctx, func(tx *store.Tx) error {
		s, err := b.loadSecret(tx, in.SecretId)
		if err != nil {
			return err
		}
		out.ARN, out.Name = s.ARN, s.Name
		for i, v := range s.Versions {
			if len(v.Stages) == 0 && !isSet(in.IncludeDeprecated) {
				continue
			}
			key := v.KmsKeyID
			if key == "" {
				key = defaultKMSKeyID
			}
			// The index keeps creation order through paging.
			versions = append(versions, wire.SecretVersionsListEntry{VersionId: fmt.Sprintf("%06d/%s", i, v.ID), VersionStages: v.Stages,
				LastAccessedDate: timePtr(v.AccessedAt), CreatedDate: timePtr(v.CreatedAt), KmsKeyIds: []string{key}})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	page, next, err := paging.Page(versions, func(v wire.SecretVersionsListEntry) string { return v.VersionId }, in.NextToken, limit)
	if errors.Is(err, paging.ErrBadToken) {
		return nil, errInvalidNextToken()
	}
	for _, v := range page {
		_, v.VersionId, _ = strings.Cut(v.VersionId, "/")
		out.Versions = append(out.Versions, v)
	}
	out.NextToken = next
	return out, err
}

// --- BatchGetSecretValue ---

// batchGetSecretValue returns the AWSCURRENT values of the secrets a list
// names (a secret that fails is an entry in Errors, not a failed call) or
// of the secrets that match filters, a page at a time.
func (b *Backend) batchGetSecretValue(ctx context.Context, in *wire.BatchGetSecretValueRequest) (*wire.BatchGetSecretValueResponse, error) {
	switch {
	case len(in.SecretIdList) > 0 && len(in.Filters) > 0:
		return nil, errInvalidParameter("Either 'SecretIdList' or 'Filters' must be provided, but not both.")
	case len(in.SecretIdList) == 0 && len(in.Filters) == 0:
		return nil, errInvalidParameter("Either 'SecretIdList' or 'Filters' must be provided.")
	case in.MaxResults != nil && len(in.Filters) == 0:
		return nil, errInvalidParameter("'Filters' not specified. 'Filters' must also be specified when 'MaxResults' is provided.")
	}
	if err := checkFilters(in.Filters); err != nil {
		return nil, err
	}
	out := &wire.BatchGetSecretValueResponse{SecretValues: []wire.SecretValueEntry{}, Errors: []wire.APIErrorType{}}
	if len(in.SecretIdList) > 0 {
		err := b.store.View(ctx, func(tx *store.Tx) error {
			for _, id := range in.SecretIdList {
				value, err := b.currentValue(tx, id)
				var apiErr *protocol.Error
				switch {
				case errors.As(err, &apiErr):
					out.Errors = append(out.Errors, wire.APIErrorType{SecretId: id, ErrorCode: apiErr.Code, Message: apiErr.Message})
				case err != nil:
					return err
				default:
					out.SecretValues = append(out.SecretValues, *value)
				}
			}
			return nil
		})
		return out, err
	}
	limit, err := pageSize(in.MaxResults, 20, 20)
	if err != nil {
		return nil, err
	}
	var values []wire.SecretValueEntry
	err = b.store.View(ctx, func(tx *store.Tx) error {
		all, err := store.List[Secret](tx, tableSecrets)
		if err != nil {
			return err
		}
		for _, s := range all {
			if s.deleted() || !matchesFilters(s, tx.Scope().Region, in.Filters) {
				continue
			}
			if v := s.staged(stageCurrent); v != nil {
				values = append(values, valueOf(s, v))
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	page, next, err := paging.Page(values, func(v wire.SecretValueEntry) string { return v.Name }, in.NextToken, limit)
	if errors.Is(err, paging.ErrBadToken) {
		return nil, errInvalidNextToken()
	}
	out.SecretValues, out.NextToken = page, next
	return out, err
}

func (b *Backend) currentValue(tx *store.Tx, id string) (*wire.SecretValueEntry, error) {
	s, err := b.loadLive(tx, id)
	if err != nil {
		return nil, err
	}
	v, err := selectVersion(s, "", stageCurrent)
	if err != nil {
		return nil, err
	}
	value := valueOf(s, v)
	return &value, nil
}
