package ecr

import (
	"context"
	"github.com/berthdev/berth/internal/localcloud/service/ecr/wire"
	"path"
	"slices"
	"strings"

	"github.com/berthdev/berth/internal/localcloud/protocol/awsjson"
	"github.com/berthdev/berth/internal/localcloud/service/paging"
	"github.com/berthdev/berth/internal/localcloud/service/tagging"
	"github.com/berthdev/berth/internal/localcloud/store"
)

// Repository is a stored repository; Policy, Lifecycle and Tags are
// served by their own operations only.
type Repository struct {
	RepositoryArn                      string                              `json:"repositoryArn"`
	RegistryID                         string                              `json:"registryId"`
	RepositoryName                     string                              `json:"repositoryName"`
	RepositoryURI                      string                              `json:"repositoryUri"`
	CreatedAt                          awsjson.Time                        `json:"createdAt"`
	ImageTagMutability                 string                              `json:"imageTagMutability"`
	ImageTagMutabilityExclusionFilters []ImageTagMutabilityExclusionFilter `json:"imageTagMutabilityExclusionFilters,omitempty"`
	ImageScanningConfiguration         ImageScanningConfiguration          `json:"imageScanningConfiguration"`
	EncryptionConfiguration            EncryptionConfiguration             `json:"encryptionConfiguration"`

	Policy    string `json:"berthPolicy,omitempty"`
	Lifecycle string `json:"berthLifecycle,omitempty"`
	Tags      []Tag  `json:"berthTags,omitempty"`
}

// ImageScanningConfiguration says whether images are scanned on push.
type ImageScanningConfiguration struct {
	ScanOnPush bool `json:"scanOnPush"`
}

func toTagging(tags []Tag) []tagging.Tag {
	out := make([]tagging.Tag, len(tags))
	for i, t := range tags {
		out[i] = tagging.Tag{Key: t.Key, Value: t.Value}
	}
	return out
}

func fromTagging(tags []tagging.Tag) []Tag {
	out := make([]Tag, len(tags))
	for i, t := range tags {
		out[i] = Tag{Key: t.Key, Value: t.Value}
	}
	return out
}

// tagRules are ECR's tag limits: AWS's common ones.
var tagRules = tagging.Common

// immutable reports whether tag may not move to another image in r.
func (r *Repository) immutable(tag string) bool {
	excluded := slices.ContainsFunc(r.ImageTagMutabilityExclusionFilters, func(f ImageTagMutabilityExclusionFilter) bool {
		ok, _ := path.Match(f.Filter, tag)
		return ok
	})
	switch r.ImageTagMutability {
	case "IMMUTABLE":
		return true
	case "IMMUTABLE_WITH_EXCLUSION":
		return !excluded
	case "MUTABLE_WITH_EXCLUSION":
		return excluded
	}
	return false
}

// repoInput is what every repository operation names.
type repoInput struct {
	RegistryID     string `json:"registryId"`
	RepositoryName string `json:"repositoryName"`
}

// loadRepository returns the repository a call names, or
// RepositoryNotFoundException; another account's registry holds nothing
// here.
func loadRepository(tx *store.Tx, in repoInput) (*Repository, error) {
	account := tx.Scope().Account
	if in.RegistryID != "" && in.RegistryID != account {
		return nil, errRepositoryNotFound(in.RepositoryName, in.RegistryID)
	}
	r, err := store.Get[Repository](tx, tableRepositories, in.RepositoryName)
	if err != nil {
		return nil, err
	}
	if r == nil {
		return nil, errRepositoryNotFound(in.RepositoryName, account)
	}
	return r, nil
}

// updateRepository runs change on the repository a call names and stores
// it.
func (b *Backend) updateRepository(ctx context.Context, in repoInput, change func(tx *store.Tx, r *Repository) error) (*Repository, error) {
	var out *Repository
	err := b.store.Update(ctx, func(tx *store.Tx) error {
		r, err := loadRepository(tx, in)
		if err != nil {
			return err
		}
		if err := change(tx, r); err != nil {
			return err
		}
		out = r
		return tx.Put(tableRepositories, r.RepositoryName, r)
	})
	return out, err
}

func (b *Backend) createRepository(ctx context.Context, in *wire.CreateRepositoryRequest) (*wire.CreateRepositoryResponse, error) {
	if err := checkMutability(in.ImageTagMutability, in.ImageTagMutabilityExclusionFilters); err != nil {
		return nil, err
	}
	if err := tagRules.Check(nil, toTagging(in.Tags)); err != nil {
		return nil, tagError(err)
	}
	encryption := EncryptionConfiguration{EncryptionType: "AES256"}
	if e := in.EncryptionConfiguration; e != nil {
		if e.EncryptionType == "AES256" && e.KmsKey != "" {
			return nil, errInvalidParameter("Invalid parameter at 'encryptionConfiguration' failed to satisfy constraint: 'kmsKey can only be specified when encryptionType is KMS or KMS_DSSE'")
		}
		encryption = *e
	}
	out := &wire.CreateRepositoryResponse{}
	err := b.store.Update(ctx, func(tx *store.Tx) error {
		scope := tx.Scope()
		if in.RegistryId != "" && in.RegistryId != scope.Account {
			return errInvalidParameter("Invalid parameter at 'registryId' failed to satisfy constraint: 'A repository can only be created in the caller's own registry'")
		}
		existing, err := store.Get[Repository](tx, tableRepositories, in.RepositoryName)
		if err != nil {
			return err
		}
		if existing != nil {
			return errRepositoryExists(in.RepositoryName, scope.Account)
		}
		r := &Repository{
			RepositoryArn:                      tx.ARN("ecr", "repository/"+in.RepositoryName),
			RegistryID:                         scope.Account,
			RepositoryName:                     in.RepositoryName,
			RepositoryURI:                      b.host(scope) + "/" + in.RepositoryName,
			CreatedAt:                          awsjson.NewTime(b.clock()),
			ImageTagMutability:                 "MUTABLE",
			ImageTagMutabilityExclusionFilters: in.ImageTagMutabilityExclusionFilters,
			EncryptionConfiguration:            encryption,
			Tags:                               fromTagging(tagging.Merge(nil, toTagging(in.Tags))),
		}
		if in.ImageTagMutability != "" {
			r.ImageTagMutability = in.ImageTagMutability
		}
		if in.ImageScanningConfiguration != nil {
			r.ImageScanningConfiguration = scanningIn(in.ImageScanningConfiguration)
		}
		out.Repository = repositoryOut(r)
		return tx.Put(tableRepositories, r.RepositoryName, r)
	})
	return out, err
}

// checkMutability checks that exclusion filters come with, and only with,
// a *_WITH_EXCLUSION setting.
func checkMutability(mutability string, filters []ImageTagMutabilityExclusionFilter) error {
	withExclusion := strings.HasSuffix(mutability, "_WITH_EXCLUSION")
	switch {
	case withExclusion && len(filters) == 0:
		return errInvalidParameter("Invalid parameter at 'imageTagMutabilityExclusionFilters' failed to satisfy constraint: 'Exclusion filters are required when imageTagMutability is %s'", mutability)
	case !withExclusion && len(filters) > 0:
		return errInvalidParameter("Invalid parameter at 'imageTagMutabilityExclusionFilters' failed to satisfy constraint: 'Exclusion filters can only be specified with IMMUTABLE_WITH_EXCLUSION or MUTABLE_WITH_EXCLUSION'")
	}
	for _, f := range filters {
		if _, err := path.Match(f.Filter, ""); err != nil {
			return errInvalidParameter("Invalid parameter at 'imageTagMutabilityExclusionFilters' failed to satisfy constraint: 'Invalid filter %s'", f.Filter)
		}
	}
	return nil
}

func (b *Backend) describeRepositories(ctx context.Context, in *wire.DescribeRepositoriesRequest) (*wire.DescribeRepositoriesResponse, error) {
	if len(in.RepositoryNames) > 0 && (in.NextToken != "" || in.MaxResults != nil) {
		return nil, errInvalidParameter("Invalid parameter at 'repositoryNames' failed to satisfy constraint: 'repositoryNames cannot be combined with nextToken or maxResults'")
	}
	limit, err := paging.Size(in.MaxResults, 100, 1, 1000)
	if err != nil {
		return nil, pageError(err)
	}
	var repos []*Repository
	err = b.store.View(ctx, func(tx *store.Tx) error {
		if len(in.RepositoryNames) > 0 {
			for _, name := range in.RepositoryNames {
				r, err := loadRepository(tx, repoInput{RegistryID: in.RegistryId, RepositoryName: name})
				if err != nil {
					return err
				}
				repos = append(repos, r)
			}
			return nil
		}
		if in.RegistryId != "" && in.RegistryId != tx.Scope().Account {
			return nil
		}
		repos, err = store.List[Repository](tx, tableRepositories)
		return err
	})
	if err != nil {
		return nil, err
	}
	out := &wire.DescribeRepositoriesResponse{Repositories: []wire.Repository{}}
	if len(in.RepositoryNames) == 0 {
		if repos, out.NextToken, err = paging.Page(repos, func(r *Repository) string { return r.RepositoryName }, in.NextToken, limit); err != nil {
			return nil, pageError(err)
		}
	}
	for _, r := range repos {
		out.Repositories = append(out.Repositories, *repositoryOut(r))
	}
	return out, nil
}

// deleteRepository deletes an empty repository, or with force one with its
// images; its layers go with it.
func (b *Backend) deleteRepository(ctx context.Context, in *wire.DeleteRepositoryRequest) (*wire.DeleteRepositoryResponse, error) {
	out := &wire.DeleteRepositoryResponse{}
	err := b.store.Update(ctx, func(tx *store.Tx) error {
		r, err := loadRepository(tx, repoInput{in.RegistryId, in.RepositoryName})
		if err != nil {
			return err
		}
		images, err := repoKeys(tx, tableImages, r.RepositoryName)
		if err != nil {
			return err
		}
		if len(images) > 0 && (in.Force == nil || !*in.Force) {
			return errRepositoryNotEmpty(r.RepositoryName, r.RegistryID)
		}
		layers, err := repoKeys(tx, tableLayers, r.RepositoryName)
		if err != nil {
			return err
		}
		for _, table := range []struct {
			name string
			keys []string
		}{{tableImages, images}, {tableLayers, layers}} {
			for _, k := range table.keys {
				if err := tx.Delete(table.name, k); err != nil {
					return err
				}
			}
		}
		out.Repository = repositoryOut(r)
		return tx.Delete(tableRepositories, r.RepositoryName)
	})
	return out, err
}

// repoKeys returns the keys of a repository's records in a table keyed by
// "<repository>|…".
func repoKeys(tx *store.Tx, table, repo string) ([]string, error) {
	keys, err := store.Keys(tx, table)
	return slices.DeleteFunc(keys, func(k string) bool { return !strings.HasPrefix(k, repo+"|") }), err
}

func (b *Backend) putImageTagMutability(ctx context.Context, in *wire.PutImageTagMutabilityRequest) (*wire.PutImageTagMutabilityResponse, error) {
	if err := checkMutability(in.ImageTagMutability, in.ImageTagMutabilityExclusionFilters); err != nil {
		return nil, err
	}
	r, err := b.updateRepository(ctx, repoInput{in.RegistryId, in.RepositoryName}, func(_ *store.Tx, r *Repository) error {
		r.ImageTagMutability, r.ImageTagMutabilityExclusionFilters = in.ImageTagMutability, in.ImageTagMutabilityExclusionFilters
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &wire.PutImageTagMutabilityResponse{RegistryId: r.RegistryID, RepositoryName: r.RepositoryName, ImageTagMutability: r.ImageTagMutability, ImageTagMutabilityExclusionFilters: omitEmpty(r.ImageTagMutabilityExclusionFilters)}, nil
}

func (b *Backend) putImageScanningConfiguration(ctx context.Context, in *wire.PutImageScanningConfigurationRequest) (*wire.PutImageScanningConfigurationResponse, error) {
	r, err := b.updateRepository(ctx, repoInput{in.RegistryId, in.RepositoryName}, func(_ *store.Tx, r *Repository) error {
		r.ImageScanningConfiguration = scanningIn(in.ImageScanningConfiguration)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &wire.PutImageScanningConfigurationResponse{RegistryId: r.RegistryID, RepositoryName: r.RepositoryName, ImageScanningConfiguration: scanningOut(r.ImageScanningConfiguration)}, nil
}

// --- registry ---

// describeRegistry describes the caller's registry: the local cloud
// replicates nothing, so it has no replication rules.
func (b *Backend) describeRegistry(ctx context.Context, _ *wire.DescribeRegistryRequest) (*wire.DescribeRegistryResponse, error) {
	return &wire.DescribeRegistryResponse{RegistryId: scopeOf(ctx).Account, ReplicationConfiguration: &wire.ReplicationConfiguration{Rules: []wire.ReplicationRule{}}}, nil
}
