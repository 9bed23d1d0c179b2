package ecr

import (
	"context"
	"errors"
	"github.com/berthdev/berth/internal/localcloud/service/ecr/wire"
	"strings"

	"github.com/berthdev/berth/internal/localcloud/protocol"
	"github.com/berthdev/berth/internal/localcloud/store"
)

// What the local registry (the OCI distribution API that `docker push` and
// `docker pull` speak, internal/localcloud/registry) needs of ECR: the same
// repositories, layers, uploads and images the API calls see, in the scope
// the caller's authorization token was issued in.

// TokenScope returns the account and region a GetAuthorizationToken
// password was issued in: the password names them, so a registry on a
// host that does not (127.0.0.1:<port>) still acts in the right scope.
// It says nothing about whether the password is valid (ValidToken does).
func TokenScope(password string) (store.Scope, bool) {
	parts := strings.Split(password, ".")
	if len(parts) != 3 || !store.ValidAccount(parts[0]) || !store.ValidRegion(parts[1]) {
		return store.Scope{}, false
	}
	return store.Scope{Account: parts[0], Region: parts[1]}, true
}

// IssueToken returns a new registry password for the scope ctx carries,
// as GetAuthorizationToken does: the runtime pulls a task's image with it.
func (b *Backend) IssueToken(ctx context.Context) (string, error) {
	out, err := b.getAuthorizationToken(ctx, &wire.GetAuthorizationTokenRequest{})
	if err != nil {
		return "", err
	}
	if len(out.AuthorizationData) != 1 {
		return "", errors.New("no authorization data issued")
	}
	return passwordOf(out.AuthorizationData[0].AuthorizationToken)
}

// CheckRepository returns RepositoryNotFoundException unless the
// repository exists.
func (b *Backend) CheckRepository(ctx context.Context, repository string) error {
	return b.store.View(ctx, func(tx *store.Tx) error {
		_, err := loadRepository(tx, repoInput{RepositoryName: repository})
		return err
	})
}

// BlobSize returns the size of a blob of the repository, false when it has
// none with that digest.
func (b *Backend) BlobSize(ctx context.Context, repository, digest string) (int64, bool, error) {
	var size int64
	found := false
	err := b.store.View(ctx, func(tx *store.Tx) error {
		if _, err := loadRepository(tx, repoInput{RepositoryName: repository}); err != nil {
			return err
		}
		layer, err := store.Get[Layer](tx, tableLayers, repository+"|"+digest)
		if layer != nil {
			size, found = layer.Size, true
		}
		return err
	})
	return size, found, err
}

// MountBlob makes a blob that another repository of the scope holds one
// of this repository too (a cross-repository mount, which `docker push`
// asks for to skip uploading a layer twice); false when no repository has
// it.
func (b *Backend) MountBlob(ctx context.Context, repository, digest string) (bool, error) {
	mounted := false
	err := b.store.Update(ctx, func(tx *store.Tx) error {
		repo, err := loadRepository(tx, repoInput{RepositoryName: repository})
		if err != nil {
			return err
		}
		stored, err := store.Get[blob](tx, tableBlobs, digest)
		if err != nil || stored == nil {
			return err
		}
		mounted = true
		key := repo.RepositoryName + "|" + digest
		if existing, err := store.Get[Layer](tx, tableLayers, key); err != nil || existing != nil {
			return err
		}
		return tx.Put(tableLayers, key, &Layer{Repository: repo.RepositoryName, Digest: digest, Size: int64(len(stored.Data))})
	})
	return mounted, err
}

// StartUpload begins a blob upload to the repository (InitiateLayerUpload).
func (b *Backend) StartUpload(ctx context.Context, repository string) (string, error) {
	out, err := b.initiateLayerUpload(ctx, &wire.InitiateLayerUploadRequest{RepositoryName: repository})
	if err != nil {
		return "", err
	}
	return out.UploadId, nil
}

// UploadReceived is how many bytes an upload holds so far.
func (b *Backend) UploadReceived(ctx context.Context, repository, id string) (int64, error) {
	var received int64
	err := b.store.View(ctx, func(tx *store.Tx) error {
		repo, err := loadRepository(tx, repoInput{RepositoryName: repository})
		if err != nil {
			return err
		}
		u, err := loadUpload(tx, repo, id)
		if u != nil {
			received = u.Received
		}
		return err
	})
	return received, err
}

// AppendUpload adds data at the end of an upload, in parts of at most
// ECR's part size (UploadLayerPart), and returns the bytes received.
func (b *Backend) AppendUpload(ctx context.Context, repository, id string, data []byte) (int64, error) {
	received, err := b.UploadReceived(ctx, repository, id)
	if err != nil {
		return 0, err
	}
	for len(data) > 0 {
		part := data[:min(len(data), partSize)]
		data = data[len(part):]
		first, last := int(received), int(received)+len(part)-1
		out, err := b.uploadLayerPart(ctx, &wire.UploadLayerPartRequest{
			RepositoryName: repository, UploadId: id,
			PartFirstByte: &first, PartLastByte: &last, LayerPartBlob: part,
		})
		if err != nil {
			return received, err
		}
		received = int64(*out.LastByteReceived) + 1
	}
	return received, nil
}

// FinishUpload completes an upload as the blob digest
// (CompleteLayerUpload). A blob the repository already has is no error
// here, nor is an empty one: a registry client may push either.
func (b *Backend) FinishUpload(ctx context.Context, repository, id, digest string) error {
	received, err := b.UploadReceived(ctx, repository, id)
	if err != nil {
		return err
	}
	if received == 0 {
		if digest != Digest(nil) {
			return protocol.Errorf("InvalidLayerException", "The layer digest %s does not match the digest of the uploaded layer, %s", digest, Digest(nil))
		}
		return b.finishEmpty(ctx, repository, id, digest)
	}
	_, err = b.completeLayerUpload(ctx, &wire.CompleteLayerUploadRequest{RepositoryName: repository, UploadId: id, LayerDigests: []string{digest}})
	var apiErr *protocol.Error
	if errors.As(err, &apiErr) && apiErr.Code == "LayerAlreadyExistsException" {
		return b.CancelUpload(ctx, repository, id)
	}
	return err
}

func (b *Backend) finishEmpty(ctx context.Context, repository, id, digest string) error {
	return b.store.Update(ctx, func(tx *store.Tx) error {
		repo, err := loadRepository(tx, repoInput{RepositoryName: repository})
		if err != nil {
			return err
		}
		if _, err := loadUpload(tx, repo, id); err != nil {
			return err
		}
		if err := tx.Delete(tableUploads, id); err != nil {
			return err
		}
		if err := tx.Put(tableBlobs, digest, blob{Data: []byte{}}); err != nil {
			return err
		}
		return tx.Put(tableLayers, repo.RepositoryName+"|"+digest, &Layer{Repository: repo.RepositoryName, Digest: digest})
	})
}

// CancelUpload drops an upload and its parts.
func (b *Backend) CancelUpload(ctx context.Context, repository, id string) error {
	return b.store.Update(ctx, func(tx *store.Tx) error {
		repo, err := loadRepository(tx, repoInput{RepositoryName: repository})
		if err != nil {
			return err
		}
		if _, err := loadUpload(tx, repo, id); err != nil {
			return err
		}
		keys, err := store.Keys(tx, tableUploadParts)
		if err != nil {
			return err
		}
		for _, k := range keys {
			if strings.HasPrefix(k, id+"|") {
				if err := tx.Delete(tableUploadParts, k); err != nil {
					return err
				}
			}
		}
		return tx.Delete(tableUploads, id)
	})
}

// PutManifest stores a manifest under reference, a tag or the manifest's
// own digest (PutImage), and returns its digest. Pushing what is already
// there is no error, as a registry client re-pushing an image expects.
func (b *Backend) PutManifest(ctx context.Context, repository, reference, mediaType string, body []byte) (string, error) {
	in := &wire.PutImageRequest{RepositoryName: repository, ImageManifest: string(body), ImageManifestMediaType: mediaType}
	if validDigest(reference) && strings.Contains(reference, ":") {
		in.ImageDigest = reference
	} else {
		in.ImageTag = reference
	}
	_, err := b.putImage(ctx, in)
	var apiErr *protocol.Error
	if errors.As(err, &apiErr) && apiErr.Code == "ImageAlreadyExistsException" {
		err = nil
	}
	if err != nil {
		return "", err
	}
	return Digest(body), nil
}

// Manifest returns the image a tag or digest names, or
// ImageNotFoundException.
func (b *Backend) Manifest(ctx context.Context, repository, reference string) (*Image, error) {
	var found *Image
	err := b.store.View(ctx, func(tx *store.Tx) error {
		repo, err := loadRepository(tx, repoInput{RepositoryName: repository})
		if err != nil {
			return err
		}
		images, err := repoImages(tx, repo.RepositoryName)
		if err != nil {
			return err
		}
		id := ImageIdentifier{ImageTag: reference}
		if strings.HasPrefix(reference, "sha256:") {
			id = ImageIdentifier{ImageDigest: reference}
		}
		if found = findImage(images, id); found == nil {
			return errImageNotFound(id, repo.RepositoryName, repo.RegistryID)
		}
		return nil
	})
	return found, err
}

// Tags lists a repository's tags, in the order of their images' pushes.
func (b *Backend) Tags(ctx context.Context, repository string) ([]string, error) {
	tags := []string{}
	err := b.store.View(ctx, func(tx *store.Tx) error {
		repo, err := loadRepository(tx, repoInput{RepositoryName: repository})
		if err != nil {
			return err
		}
		images, err := repoImages(tx, repo.RepositoryName)
		for _, img := range images {
			tags = append(tags, img.Tags...)
		}
		return err
	})
	return tags, err
}
