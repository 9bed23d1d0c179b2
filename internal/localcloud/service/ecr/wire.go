package ecr

import (
	"github.com/berthdev/berth/internal/localcloud/protocol/awsjson"
	"github.com/berthdev/berth/internal/localcloud/service/ecr/wire"
)

// ECR's records keep their own types; their plain-data parts are the wire
// shapes generated from AWS's model (package wire). Below, what a record
// looks like on the wire.
type (
	Tag                               = wire.Tag
	ImageIdentifier                   = wire.ImageIdentifier
	EncryptionConfiguration           = wire.EncryptionConfiguration
	ImageTagMutabilityExclusionFilter = wire.ImageTagMutabilityExclusionFilter
)

func num(v int64) *int { n := int(v); return &n }

func stamp(t awsjson.Time) *awsjson.Time { return &t }

// repositoryOut is the repository as the API shows it: its policy,
// lifecycle policy and tags are served by their own operations only.
func repositoryOut(r *Repository) *wire.Repository {
	encryption := r.EncryptionConfiguration
	return &wire.Repository{
		RepositoryArn:                      r.RepositoryArn,
		RegistryId:                         r.RegistryID,
		RepositoryName:                     r.RepositoryName,
		RepositoryUri:                      r.RepositoryURI,
		CreatedAt:                          stamp(r.CreatedAt),
		ImageTagMutability:                 r.ImageTagMutability,
		ImageTagMutabilityExclusionFilters: omitEmpty(r.ImageTagMutabilityExclusionFilters),
		ImageScanningConfiguration:         scanningOut(r.ImageScanningConfiguration),
		EncryptionConfiguration:            &encryption,
	}
}

func scanningOut(c ImageScanningConfiguration) *wire.ImageScanningConfiguration {
	return &wire.ImageScanningConfiguration{ScanOnPush: &c.ScanOnPush}
}

func scanningIn(c *wire.ImageScanningConfiguration) ImageScanningConfiguration {
	if c == nil || c.ScanOnPush == nil {
		return ImageScanningConfiguration{}
	}
	return ImageScanningConfiguration{ScanOnPush: *c.ScanOnPush}
}

// omitEmpty drops an empty list, for members AWS leaves out then.
func omitEmpty[T any](s []T) []T {
	if len(s) == 0 {
		return nil
	}
	return s
}

// orEmpty turns a nil list into an empty one, for members AWS always sends.
func orEmpty[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
