package ecr

import (
	"errors"

	"github.com/berthdev/berth/internal/localcloud/protocol"
	"github.com/berthdev/berth/internal/localcloud/service/paging"
	"github.com/berthdev/berth/internal/localcloud/service/tagging"
)

// ECR's error codes (all 400s but ServerException) with its messages.

func errRepositoryNotFound(name, registry string) *protocol.Error {
	return protocol.Errorf("RepositoryNotFoundException", "The repository with name '%s' does not exist in the registry with id '%s'", name, registry)
}

func errRepositoryExists(name, registry string) *protocol.Error {
	return protocol.Errorf("RepositoryAlreadyExistsException", "The repository with name '%s' already exists in the registry with id '%s'", name, registry)
}

func errRepositoryNotEmpty(name, registry string) *protocol.Error {
	return protocol.Errorf("RepositoryNotEmptyException", "The repository with name '%s' in registry with id '%s' cannot be deleted because it still contains images", name, registry)
}

func errInvalidParameter(format string, args ...any) *protocol.Error {
	return protocol.Errorf("InvalidParameterException", format, args...)
}

func errImageNotFound(id ImageIdentifier, repo, registry string) *protocol.Error {
	return protocol.Errorf("ImageNotFoundException", "The image with imageId {imageDigest:'%s', imageTag:'%s'} does not exist within the repository with name '%s' in the registry with id '%s'",
		orNull(id.ImageDigest), orNull(id.ImageTag), repo, registry)
}

func orNull(s string) string {
	if s == "" {
		return "null"
	}
	return s
}

func errPolicyNotFound(repo, registry string) *protocol.Error {
	return protocol.Errorf("RepositoryPolicyNotFoundException", "Repository policy does not exist for the repository with name '%s' in the registry with id '%s'", repo, registry)
}

func errLifecycleNotFound(repo, registry string) *protocol.Error {
	return protocol.Errorf("LifecyclePolicyNotFoundException", "Lifecycle policy does not exist for the repository with name '%s' in the registry with id '%s'", repo, registry)
}

func errUploadNotFound(id, repo, registry string) *protocol.Error {
	return protocol.Errorf("UploadNotFoundException", "Upload with id '%s' is not found in the repository with name '%s' in the registry with id '%s'", id, repo, registry)
}

func pageError(err error) error {
	var size *paging.RangeError
	switch {
	case errors.Is(err, paging.ErrBadToken):
		return errInvalidParameter("Invalid parameter at 'nextToken' failed to satisfy constraint: 'Invalid NextToken'")
	case errors.As(err, &size):
		return errInvalidParameter("Invalid parameter at 'maxResults' failed to satisfy constraint: 'Member must have value between %d and %d, inclusive'", size.Min, size.Max)
	}
	return err
}

func tagError(err error) error {
	var v *tagging.Violation
	if errors.As(err, &v) {
		if v.TooMany {
			return protocol.Errorf("TooManyTagsException", "%s", v.Message)
		}
		return protocol.Errorf("InvalidTagParameterException", "%s", v.Message)
	}
	return err
}
