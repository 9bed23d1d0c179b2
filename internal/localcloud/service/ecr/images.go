package ecr

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"github.com/berthdev/berth/internal/localcloud/service/ecr/wire"
	"io"
	"slices"
	"strings"

	"github.com/berthdev/berth/internal/localcloud/protocol"
	"github.com/berthdev/berth/internal/localcloud/protocol/awsjson"
	"github.com/berthdev/berth/internal/localcloud/service/paging"
	"github.com/berthdev/berth/internal/localcloud/store"
)

// Manifest media types ECR accepts.
const (
	mediaDockerV1    = "application/vnd.docker.distribution.manifest.v1+json"
	mediaDockerV2    = "application/vnd.docker.distribution.manifest.v2+json"
	mediaDockerList  = "application/vnd.docker.distribution.manifest.list.v2+json"
	mediaOCIManifest = "application/vnd.oci.image.manifest.v1+json"
	mediaOCIIndex    = "application/vnd.oci.image.index.v1+json"
)

// Image is a stored manifest with the tags that point at it.
type Image struct {
	Repository        string       `json:"repository"`
	Digest            string       `json:"digest"`
	Manifest          string       `json:"manifest"`
	MediaType         string       `json:"mediaType"`
	ArtifactMediaType string       `json:"artifactMediaType,omitempty"`
	Tags              []string     `json:"tags,omitempty"`
	SizeInBytes       int64        `json:"sizeInBytes"`
	PushedAt          awsjson.Time `json:"pushedAt"`
}

// Digest returns the sha256 digest ECR gives content: the manifest's
// bytes exactly as pushed.
func Digest(content []byte) string {
	sum := sha256.Sum256(content)
	return "sha256:" + hex.EncodeToString(sum[:])
}

func bytesReader(s string) io.Reader { return bytes.NewReader([]byte(s)) }

type descriptor struct {
	MediaType string `json:"mediaType"`
	Digest    string `json:"digest"`
	Size      int64  `json:"size"`
}

// manifest is what ECR reads in a pushed manifest: its media type and the
// blobs or manifests it references.
type manifest struct {
	SchemaVersion int          `json:"schemaVersion"`
	MediaType     string       `json:"mediaType"`
	ArtifactType  string       `json:"artifactType"`
	Config        *descriptor  `json:"config"`
	Layers        []descriptor `json:"layers"`
	Manifests     []descriptor `json:"manifests"`
	FSLayers      []struct {
		BlobSum string `json:"blobSum"`
	} `json:"fsLayers"`
}

// parseManifest reads a manifest and settles its media type: the one the
// call gives, else the one the manifest declares, else schema 1's.
func parseManifest(text, given string) (*manifest, string, error) {
	var m manifest
	if err := json.Unmarshal([]byte(text), &m); err != nil {
		return nil, "", errInvalidParameter("Invalid parameter at 'ImageManifest' failed to satisfy constraint: 'Invalid JSON syntax'")
	}
	mediaType := given
	if mediaType == "" {
		mediaType = m.MediaType
	}
	if mediaType == "" {
		switch {
		case m.SchemaVersion == 1:
			mediaType = mediaDockerV1
		case len(m.Manifests) > 0:
			mediaType = mediaOCIIndex
		default:
			mediaType = mediaOCIManifest
		}
	}
	if m.MediaType != "" && given != "" && m.MediaType != given {
		return nil, "", errInvalidParameter("Invalid parameter at 'imageManifestMediaType' failed to satisfy constraint: 'Manifest media type %s does not match the media type %s given'", m.MediaType, given)
	}
	switch mediaType {
	case mediaDockerV1, mediaDockerV2, mediaDockerList, mediaOCIManifest, mediaOCIIndex:
	default:
		return nil, "", errInvalidParameter("Invalid parameter at 'imageManifestMediaType' failed to satisfy constraint: 'Invalid manifest media type %s'", mediaType)
	}
	if (mediaType == mediaDockerV2 || mediaType == mediaOCIManifest) && m.Config == nil {
		return nil, "", errInvalidParameter("Invalid parameter at 'ImageManifest' failed to satisfy constraint: 'The manifest has no config'")
	}
	return &m, mediaType, nil
}

// putImage stores a manifest under its digest and points a tag at it. The
// blobs a manifest references must have been uploaded to the repository
// and the manifests an index references pushed to it, as ECR requires.
func (b *Backend) putImage(ctx context.Context, in *wire.PutImageRequest) (*wire.PutImageResponse, error) {
	m, mediaType, err := parseManifest(in.ImageManifest, in.ImageManifestMediaType)
	if err != nil {
		return nil, err
	}
	digest := Digest([]byte(in.ImageManifest))
	if in.ImageDigest != "" && in.ImageDigest != digest {
		return nil, protocol.Errorf("ImageDigestDoesNotMatchException", "Invalid parameter at 'imageDigest' failed to satisfy constraint: 'The digest %s does not match the manifest's digest %s'", in.ImageDigest, digest)
	}
	out := &wire.PutImageResponse{}
	err = b.store.Update(ctx, func(tx *store.Tx) error {
		repo, err := loadRepository(tx, repoInput{in.RegistryId, in.RepositoryName})
		if err != nil {
			return err
		}
		size, err := checkReferences(tx, repo, m)
		if err != nil {
			return err
		}
		images, err := repoImages(tx, repo.RepositoryName)
		if err != nil {
			return err
		}
		img := findImage(images, ImageIdentifier{ImageDigest: digest})
		if img != nil && (in.ImageTag == "" || slices.Contains(img.Tags, in.ImageTag)) {
			return protocol.Errorf("ImageAlreadyExistsException", "Image with digest '%s' and tag '%s' already exists in the repository with name '%s' in registry with id '%s'",
				digest, orNull(in.ImageTag), repo.RepositoryName, repo.RegistryID)
		}
		if img == nil {
			img = &Image{Repository: repo.RepositoryName, Digest: digest, Manifest: in.ImageManifest, MediaType: mediaType, SizeInBytes: size, PushedAt: awsjson.NewTime(b.clock())}
			if m.Config != nil {
				img.ArtifactMediaType = m.Config.MediaType
			}
			if m.ArtifactType != "" {
				img.ArtifactMediaType = m.ArtifactType
			}
		}
		if in.ImageTag != "" {
			if holder := findImage(images, ImageIdentifier{ImageTag: in.ImageTag}); holder != nil {
				if repo.immutable(in.ImageTag) {
					return protocol.Errorf("ImageTagAlreadyExistsException", "The image tag '%s' already exists in the '%s' repository and cannot be overwritten because the tag is immutable.", in.ImageTag, repo.RepositoryName)
				}
				// The tag moves: the image it leaves stays, untagged.
				holder.Tags = slices.DeleteFunc(holder.Tags, func(t string) bool { return t == in.ImageTag })
				if err := tx.Put(tableImages, imageKey(holder), holder); err != nil {
					return err
				}
			}
			img.Tags = append(img.Tags, in.ImageTag)
		}
		out.Image = &wire.Image{
			RegistryId: repo.RegistryID, RepositoryName: repo.RepositoryName,
			ImageId:       &ImageIdentifier{ImageDigest: digest, ImageTag: in.ImageTag},
			ImageManifest: img.Manifest, ImageManifestMediaType: img.MediaType,
		}
		if err := tx.Put(tableImages, imageKey(img), img); err != nil {
			return err
		}
		_, err = applyLifecycle(tx, repo, b.clock())
		return err
	})
	return out, err
}

// checkReferences checks that what a manifest references is in the
// repository and returns the image's size: the sum of its layers.
func checkReferences(tx *store.Tx, repo *Repository, m *manifest) (int64, error) {
	var size int64
	var missingLayers, missingImages []string
	blobs := slices.Clone(m.Layers)
	if m.Config != nil {
		blobs = append(blobs, *m.Config)
	}
	for _, l := range m.FSLayers {
		blobs = append(blobs, descriptor{Digest: l.BlobSum})
	}
	for _, d := range blobs {
		layer, err := store.Get[Layer](tx, tableLayers, repo.RepositoryName+"|"+d.Digest)
		if err != nil {
			return 0, err
		}
		if layer == nil {
			missingLayers = append(missingLayers, d.Digest)
			continue
		}
		if m.Config == nil || d.Digest != m.Config.Digest {
			size += layer.Size
		}
	}
	for _, d := range m.Manifests {
		img, err := store.Get[Image](tx, tableImages, repo.RepositoryName+"|"+d.Digest)
		if err != nil {
			return 0, err
		}
		if img == nil {
			missingImages = append(missingImages, d.Digest)
			continue
		}
		size += img.SizeInBytes
	}
	if len(missingLayers) > 0 {
		return 0, protocol.Errorf("LayersNotFoundException", "Layers with digests '[%s]' required for pushing image into repository with name '%s' in the registry with id '%s' do not exist",
			strings.Join(missingLayers, ", "), repo.RepositoryName, repo.RegistryID)
	}
	if len(missingImages) > 0 {
		return 0, protocol.Errorf("ReferencedImagesNotFoundException", "Manifests with digests '[%s]' referenced by the image are not in the repository with name '%s' in the registry with id '%s'",
			strings.Join(missingImages, ", "), repo.RepositoryName, repo.RegistryID)
	}
	return size, nil
}

func imageKey(img *Image) string { return img.Repository + "|" + img.Digest }

// repoImages returns a repository's images, oldest push first.
func repoImages(tx *store.Tx, repo string) ([]*Image, error) {
	all, err := store.List[Image](tx, tableImages)
	all = slices.DeleteFunc(all, func(img *Image) bool { return img.Repository != repo })
	slices.SortStableFunc(all, func(x, y *Image) int { return x.PushedAt.Time().Compare(y.PushedAt.Time()) })
	return all, err
}

// findImage returns the image an identifier names (by digest when it has
// one), nil when none does.
func findImage(images []*Image, id ImageIdentifier) *Image {
	for _, img := range images {
		if (id.ImageDigest == "" || img.Digest == id.ImageDigest) && (id.ImageTag == "" || slices.Contains(img.Tags, id.ImageTag)) {
			return img
		}
	}
	return nil
}

// resolve finds the image an identifier of a batch call names, or says why
// it cannot.
func resolve(images []*Image, id ImageIdentifier) (*Image, *wire.ImageFailure) {
	fail := func(code, reason string) *wire.ImageFailure {
		return &wire.ImageFailure{ImageId: &id, FailureCode: code, FailureReason: reason}
	}
	switch {
	case id.ImageDigest == "" && id.ImageTag == "":
		return nil, fail("MissingDigestAndTag", "Invalid request parameters: both tag and digest cannot be null")
	case id.ImageDigest != "" && !validDigest(id.ImageDigest):
		return nil, fail("InvalidImageDigest", "Invalid request parameters: image digest should satisfy the regex '[a-zA-Z0-9-_+.]+:[a-fA-F0-9]+'")
	}
	if img := findImage(images, id); img != nil {
		return img, nil
	}
	if id.ImageDigest != "" && id.ImageTag != "" && findImage(images, ImageIdentifier{ImageTag: id.ImageTag}) != nil {
		return nil, fail("ImageTagDoesNotMatchDigest", "Invalid request parameters: given tag does not map to the given digest")
	}
	return nil, fail("ImageNotFound", "Requested image not found")
}

func validDigest(d string) bool {
	algorithm, hexPart, ok := strings.Cut(d, ":")
	if !ok || algorithm == "" || hexPart == "" {
		return false
	}
	return strings.Trim(hexPart, "0123456789abcdefABCDEF") == ""
}

func (b *Backend) batchGetImage(ctx context.Context, in *wire.BatchGetImageRequest) (*wire.BatchGetImageResponse, error) {
	out := &wire.BatchGetImageResponse{Images: []wire.Image{}, Failures: []wire.ImageFailure{}}
	err := b.store.View(ctx, func(tx *store.Tx) error {
		repo, err := loadRepository(tx, repoInput{in.RegistryId, in.RepositoryName})
		if err != nil {
			return err
		}
		images, err := repoImages(tx, repo.RepositoryName)
		if err != nil {
			return err
		}
		for _, id := range in.ImageIds {
			img, failure := resolve(images, id)
			if failure != nil {
				out.Failures = append(out.Failures, *failure)
				continue
			}
			if len(in.AcceptedMediaTypes) > 0 && !slices.Contains(in.AcceptedMediaTypes, img.MediaType) {
				out.Failures = append(out.Failures, wire.ImageFailure{ImageId: &id, FailureCode: "ImageNotFound", FailureReason: "Requested image not found in an accepted media type"})
				continue
			}
			got := id
			got.ImageDigest = img.Digest
			out.Images = append(out.Images, wire.Image{
				RegistryId: repo.RegistryID, RepositoryName: repo.RepositoryName, ImageId: &got,
				ImageManifest: img.Manifest, ImageManifestMediaType: img.MediaType,
			})
		}
		return nil
	})
	return out, err
}

// batchDeleteImage removes tags, and images: an image named by digest goes
// with all its tags; one named by tag loses that tag and goes when it has
// no tag left.
func (b *Backend) batchDeleteImage(ctx context.Context, in *wire.BatchDeleteImageRequest) (*wire.BatchDeleteImageResponse, error) {
	out := &wire.BatchDeleteImageResponse{ImageIds: []ImageIdentifier{}, Failures: []wire.ImageFailure{}}
	err := b.store.Update(ctx, func(tx *store.Tx) error {
		repo, err := loadRepository(tx, repoInput{in.RegistryId, in.RepositoryName})
		if err != nil {
			return err
		}
		images, err := repoImages(tx, repo.RepositoryName)
		if err != nil {
			return err
		}
		for _, id := range in.ImageIds {
			img, failure := resolve(images, id)
			if failure != nil {
				out.Failures = append(out.Failures, *failure)
				continue
			}
			if id.ImageTag != "" && id.ImageDigest == "" && len(img.Tags) > 1 {
				img.Tags = slices.DeleteFunc(img.Tags, func(t string) bool { return t == id.ImageTag })
				out.ImageIds = append(out.ImageIds, ImageIdentifier{ImageDigest: img.Digest, ImageTag: id.ImageTag})
				if err := tx.Put(tableImages, imageKey(img), img); err != nil {
					return err
				}
				continue
			}
			if len(img.Tags) == 0 {
				out.ImageIds = append(out.ImageIds, ImageIdentifier{ImageDigest: img.Digest})
			}
			for _, tag := range img.Tags {
				out.ImageIds = append(out.ImageIds, ImageIdentifier{ImageDigest: img.Digest, ImageTag: tag})
			}
			images = slices.DeleteFunc(images, func(other *Image) bool { return other == img })
			if err := tx.Delete(tableImages, imageKey(img)); err != nil {
				return err
			}
		}
		return nil
	})
	return out, err
}

// wantTagged says whether a tag status filter keeps tagged and untagged
// images.
func wantTagged(status string, tagged bool) bool {
	switch status {
	case "TAGGED":
		return tagged
	case "UNTAGGED":
		return !tagged
	}
	return true
}

// listImages lists one identifier per tag, and one per untagged image.
func (b *Backend) listImages(ctx context.Context, in *wire.ListImagesRequest) (*wire.ListImagesResponse, error) {
	limit, err := paging.Size(in.MaxResults, 100, 1, 1000)
	if err != nil {
		return nil, pageError(err)
	}
	status := ""
	if in.Filter != nil {
		status = in.Filter.TagStatus
	}
	var ids []ImageIdentifier
	err = b.store.View(ctx, func(tx *store.Tx) error {
		repo, err := loadRepository(tx, repoInput{in.RegistryId, in.RepositoryName})
		if err != nil {
			return err
		}
		images, err := repoImages(tx, repo.RepositoryName)
		for _, img := range images {
			if !wantTagged(status, len(img.Tags) > 0) {
				continue
			}
			if len(img.Tags) == 0 {
				ids = append(ids, ImageIdentifier{ImageDigest: img.Digest})
			}
			for _, tag := range img.Tags {
				ids = append(ids, ImageIdentifier{ImageDigest: img.Digest, ImageTag: tag})
			}
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	page, next, err := paging.Page(ids, func(id ImageIdentifier) string { return id.ImageDigest + "|" + id.ImageTag }, in.NextToken, limit)
	if err != nil {
		return nil, pageError(err)
	}
	return &wire.ListImagesResponse{ImageIds: orEmpty(page), NextToken: next}, nil
}

func (b *Backend) describeImages(ctx context.Context, in *wire.DescribeImagesRequest) (*wire.DescribeImagesResponse, error) {
	if len(in.ImageIds) > 0 && (in.NextToken != "" || in.MaxResults != nil || in.Filter != nil) {
		return nil, errInvalidParameter("Invalid parameter at 'imageIds' failed to satisfy constraint: 'imageIds cannot be combined with nextToken, maxResults or filter'")
	}
	limit, err := paging.Size(in.MaxResults, 100, 1, 1000)
	if err != nil {
		return nil, pageError(err)
	}
	status := ""
	if in.Filter != nil {
		status = in.Filter.TagStatus
	}
	var matched []*Image
	var repo *Repository
	err = b.store.View(ctx, func(tx *store.Tx) error {
		if repo, err = loadRepository(tx, repoInput{in.RegistryId, in.RepositoryName}); err != nil {
			return err
		}
		images, err := repoImages(tx, repo.RepositoryName)
		if err != nil {
			return err
		}
		if len(in.ImageIds) == 0 {
			matched = slices.DeleteFunc(images, func(img *Image) bool { return !wantTagged(status, len(img.Tags) > 0) })
			return nil
		}
		for _, id := range in.ImageIds {
			img, failure := resolve(images, id)
			if failure != nil {
				return errImageNotFound(id, repo.RepositoryName, repo.RegistryID)
			}
			if !slices.Contains(matched, img) {
				matched = append(matched, img)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	out := &wire.DescribeImagesResponse{ImageDetails: []wire.ImageDetail{}}
	if len(in.ImageIds) == 0 {
		if matched, out.NextToken, err = paging.Page(matched, func(img *Image) string { return img.Digest }, in.NextToken, limit); err != nil {
			return nil, pageError(err)
		}
	}
	for _, img := range matched {
		out.ImageDetails = append(out.ImageDetails, wire.ImageDetail{
			RegistryId: repo.RegistryID, RepositoryName: repo.RepositoryName, ImageDigest: img.Digest, ImageTags: omitEmpty(img.Tags),
			ImageSizeInBytes: num(img.SizeInBytes), ImagePushedAt: stamp(img.PushedAt), ImageManifestMediaType: img.MediaType, ArtifactMediaType: img.ArtifactMediaType,
		})
	}
	return out, nil
}

// ImageByReference returns the image a tag or digest names in a
// repository of the scope ctx carries, nil when there is none: for the
// runtime that resolves a task's ECR image and for the local registry.
func (b *Backend) ImageByReference(ctx context.Context, repository, reference string) (*Image, error) {
	var out *Image
	err := b.store.View(ctx, func(tx *store.Tx) error {
		images, err := repoImages(tx, repository)
		if err != nil {
			return err
		}
		id := ImageIdentifier{ImageTag: reference}
		if strings.HasPrefix(reference, "sha256:") {
			id = ImageIdentifier{ImageDigest: reference}
		}
		out = findImage(images, id)
		return nil
	})
	return out, err
}
