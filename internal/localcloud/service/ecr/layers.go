package ecr

import (
	"context"
	"fmt"
	"github.com/berthdev/berth/internal/localcloud/service/ecr/wire"
	"net/http"
	"net/url"
	"strings"

	"github.com/berthdev/berth/internal/localcloud/protocol"
	"github.com/berthdev/berth/internal/localcloud/protocol/awsjson"
	"github.com/berthdev/berth/internal/localcloud/store"
)

// partSize is the part size InitiateLayerUpload suggests; a part may be at
// most maxPartSize (the model's LayerPartBlob limit).
const (
	partSize    = 10 << 20
	maxPartSize = 20 << 20
)

// Layer is a blob (a layer or an image config) uploaded to a repository.
// Its bytes live once per scope in the blobs table, by digest.
type Layer struct {
	Repository string `json:"repository"`
	Digest     string `json:"digest"`
	Size       int64  `json:"size"`
}

type blob struct {
	Data []byte `json:"data"`
}

type upload struct {
	ID         string       `json:"id"`
	Repository string       `json:"repository"`
	Received   int64        `json:"received"` // bytes so far: the next part starts here
	StartedAt  awsjson.Time `json:"startedAt"`
}

func (b *Backend) initiateLayerUpload(ctx context.Context, in *wire.InitiateLayerUploadRequest) (*wire.InitiateLayerUploadResponse, error) {
	out := &wire.InitiateLayerUploadResponse{PartSize: num(partSize)}
	err := b.store.Update(ctx, func(tx *store.Tx) error {
		repo, err := loadRepository(tx, repoInput{in.RegistryId, in.RepositoryName})
		if err != nil {
			return err
		}
		u := &upload{ID: store.NewUUID(), Repository: repo.RepositoryName, StartedAt: awsjson.NewTime(b.clock())}
		out.UploadId = u.ID
		return tx.Put(tableUploads, u.ID, u)
	})
	return out, err
}

// loadUpload returns an upload of the repository, or UploadNotFoundException.
func loadUpload(tx *store.Tx, repo *Repository, id string) (*upload, error) {
	u, err := store.Get[upload](tx, tableUploads, id)
	if err != nil {
		return nil, err
	}
	if u == nil || u.Repository != repo.RepositoryName {
		return nil, errUploadNotFound(id, repo.RepositoryName, repo.RegistryID)
	}
	return u, nil
}

// uploadLayerPart appends a part: parts come in order, each starting where
// the last ended, and their byte range must match their length.
func (b *Backend) uploadLayerPart(ctx context.Context, in *wire.UploadLayerPartRequest) (*wire.UploadLayerPartResponse, error) {
	if len(in.LayerPartBlob) > maxPartSize {
		return nil, protocol.Errorf("LimitExceededException", "A layer part can be at most %d bytes", maxPartSize)
	}
	out := &wire.UploadLayerPartResponse{UploadId: in.UploadId}
	err := b.store.Update(ctx, func(tx *store.Tx) error {
		repo, err := loadRepository(tx, repoInput{in.RegistryId, in.RepositoryName})
		if err != nil {
			return err
		}
		u, err := loadUpload(tx, repo, in.UploadId)
		if err != nil {
			return err
		}
		first, last := int64(0), int64(-1)
		if in.PartFirstByte != nil {
			first = int64(*in.PartFirstByte)
		}
		if in.PartLastByte != nil {
			last = int64(*in.PartLastByte)
		}
		if first != u.Received || last-first+1 != int64(len(in.LayerPartBlob)) {
			return protocol.Errorf("InvalidLayerPartException", "The layer part's byte range %d-%d does not follow the %d bytes received so far or does not match its length %d", first, last, u.Received, len(in.LayerPartBlob))
		}
		if err := tx.Put(tableUploadParts, fmt.Sprintf("%s|%020d", u.ID, first), blob{Data: in.LayerPartBlob}); err != nil {
			return err
		}
		u.Received += int64(len(in.LayerPartBlob))
		out.RegistryId, out.RepositoryName, out.LastByteReceived = repo.RegistryID, repo.RepositoryName, num(u.Received-1)
		return tx.Put(tableUploads, u.ID, u)
	})
	return out, err
}

// completeLayerUpload joins an upload's parts into a layer whose digest
// must be the one the call names.
func (b *Backend) completeLayerUpload(ctx context.Context, in *wire.CompleteLayerUploadRequest) (*wire.CompleteLayerUploadResponse, error) {
	out := &wire.CompleteLayerUploadResponse{UploadId: in.UploadId}
	err := b.store.Update(ctx, func(tx *store.Tx) error {
		repo, err := loadRepository(tx, repoInput{in.RegistryId, in.RepositoryName})
		if err != nil {
			return err
		}
		u, err := loadUpload(tx, repo, in.UploadId)
		if err != nil {
			return err
		}
		if u.Received == 0 {
			return protocol.Errorf("EmptyUploadException", "The upload with id '%s' has no layer parts", u.ID)
		}
		keys, err := store.Keys(tx, tableUploadParts)
		if err != nil {
			return err
		}
		var data []byte
		for _, k := range keys {
			if !strings.HasPrefix(k, u.ID+"|") {
				continue
			}
			part, err := store.Get[blob](tx, tableUploadParts, k)
			if err != nil {
				return err
			}
			data = append(data, part.Data...)
			if err := tx.Delete(tableUploadParts, k); err != nil {
				return err
			}
		}
		digest := Digest(data)
		if len(in.LayerDigests) != 1 || in.LayerDigests[0] != digest {
			return protocol.Errorf("InvalidLayerException", "The layer digest %v does not match the digest of the uploaded layer, %s", in.LayerDigests, digest)
		}
		key := repo.RepositoryName + "|" + digest
		if existing, err := store.Get[Layer](tx, tableLayers, key); err != nil || existing != nil {
			if err == nil {
				err = protocol.Errorf("LayerAlreadyExistsException", "The layer with digest '%s' already exists in the repository with name '%s' in the registry with id '%s'", digest, repo.RepositoryName, repo.RegistryID)
			}
			return err
		}
		if err := tx.Put(tableBlobs, digest, blob{Data: data}); err != nil {
			return err
		}
		if err := tx.Delete(tableUploads, u.ID); err != nil {
			return err
		}
		out.RegistryId, out.RepositoryName, out.LayerDigest = repo.RegistryID, repo.RepositoryName, digest
		return tx.Put(tableLayers, key, &Layer{Repository: repo.RepositoryName, Digest: digest, Size: int64(len(data))})
	})
	return out, err
}

func (b *Backend) batchCheckLayerAvailability(ctx context.Context, in *wire.BatchCheckLayerAvailabilityRequest) (*wire.BatchCheckLayerAvailabilityResponse, error) {
	out := &wire.BatchCheckLayerAvailabilityResponse{Layers: []wire.Layer{}, Failures: []wire.LayerFailure{}}
	err := b.store.View(ctx, func(tx *store.Tx) error {
		repo, err := loadRepository(tx, repoInput{in.RegistryId, in.RepositoryName})
		if err != nil {
			return err
		}
		for _, d := range in.LayerDigests {
			if !validDigest(d) {
				out.Failures = append(out.Failures, wire.LayerFailure{LayerDigest: d, FailureCode: "InvalidLayerDigest", FailureReason: "Invalid layer digest"})
				continue
			}
			layer, err := store.Get[Layer](tx, tableLayers, repo.RepositoryName+"|"+d)
			if err != nil {
				return err
			}
			if layer == nil {
				out.Failures = append(out.Failures, wire.LayerFailure{LayerDigest: d, FailureCode: "MissingLayerDigest", FailureReason: "Layer digest not found"})
				continue
			}
			out.Layers = append(out.Layers, wire.Layer{LayerDigest: d, LayerAvailability: "AVAILABLE", LayerSize: num(layer.Size)})
		}
		return nil
	})
	return out, err
}

// getDownloadURLForLayer hands out a URL of the local cloud that serves
// the layer's bytes (LayerHandler), as AWS hands out an S3 URL.
func (b *Backend) getDownloadURLForLayer(ctx context.Context, in *wire.GetDownloadUrlForLayerRequest) (*wire.GetDownloadUrlForLayerResponse, error) {
	out := &wire.GetDownloadUrlForLayerResponse{LayerDigest: in.LayerDigest}
	err := b.store.View(ctx, func(tx *store.Tx) error {
		repo, err := loadRepository(tx, repoInput{in.RegistryId, in.RepositoryName})
		if err != nil {
			return err
		}
		layer, err := store.Get[Layer](tx, tableLayers, repo.RepositoryName+"|"+in.LayerDigest)
		if err != nil {
			return err
		}
		if layer == nil {
			return protocol.Errorf("LayersNotFoundException", "The layer with digest '%s' does not exist in the repository with name '%s' in the registry with id '%s'", in.LayerDigest, repo.RepositoryName, repo.RegistryID)
		}
		endpoint := ""
		if b.Endpoint != nil {
			endpoint = b.Endpoint()
		}
		scope := tx.Scope()
		out.DownloadUrl = endpoint + LayerPath + scope.Account + "/" + scope.Region + "/" + url.PathEscape(in.LayerDigest) + "?repository=" + url.QueryEscape(repo.RepositoryName)
		return nil
	})
	return out, err
}

// Blob returns the bytes of a layer (or config) uploaded to a repository
// of the scope ctx carries, nil when the repository has no such blob: for
// the local registry's blob downloads and the runtime's image pulls.
func (b *Backend) Blob(ctx context.Context, repository, digest string) ([]byte, error) {
	var data []byte
	err := b.store.View(ctx, func(tx *store.Tx) error {
		layer, err := store.Get[Layer](tx, tableLayers, repository+"|"+digest)
		if err != nil || layer == nil {
			return err
		}
		stored, err := store.Get[blob](tx, tableBlobs, digest)
		if stored != nil {
			data = stored.Data
		}
		return err
	})
	return data, err
}

// LayerPath is where LayerHandler serves layers:
// LayerPath<account>/<region>/<digest>?repository=<name>.
const LayerPath = "/_berth/ecr/layers/"

// LayerHandler serves the layers GetDownloadUrlForLayer's URLs name.
func (b *Backend) LayerHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		parts := strings.Split(strings.TrimPrefix(r.URL.Path, LayerPath), "/")
		if len(parts) != 3 || !store.ValidAccount(parts[0]) || !store.ValidRegion(parts[1]) {
			http.NotFound(w, r)
			return
		}
		ctx := store.WithScope(r.Context(), store.Scope{Account: parts[0], Region: parts[1]})
		digest := parts[2]
		data, err := b.Blob(ctx, r.URL.Query().Get("repository"), digest)
		switch {
		case err != nil:
			http.Error(w, err.Error(), http.StatusInternalServerError)
		case data == nil:
			http.NotFound(w, r)
		default:
			w.Header().Set("Content-Type", "application/octet-stream")
			w.Header().Set("Docker-Content-Digest", digest)
			_, _ = w.Write(data)
		}
	})
}
