// Package registry serves the OCI distribution API (the Docker registry
// HTTP API V2) over the local ECR, so `docker login`, `docker push` and
// `docker pull` (and the Engine pulling a task's image) work against the
// repositories CreateRepository made, with what they push visible to
// DescribeImages, ListImages and BatchGetImage.
//
// It is served on the local cloud's endpoint under /v2/. Repository URIs
// are 127.0.0.1:<port>/<name>: the Docker Engine treats every registry on
// 127.0.0.0/8 as insecure without configuration, so it talks plain HTTP to
// it. Clients authenticate with HTTP Basic, user AWS and the password of
// GetAuthorizationToken (`aws ecr get-login-password`); the password says
// which account and region the registry acts in (ecr.TokenScope).
package registry

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/berthdev/berth/internal/localcloud/protocol"
	"github.com/berthdev/berth/internal/localcloud/service/ecr"
	"github.com/berthdev/berth/internal/localcloud/store"
)

// Prefix is the path the API is served under.
const Prefix = "/v2/"

// maxManifestBytes bounds a manifest, as ECR's 4 MiB limit does.
const maxManifestBytes = 4 << 20

// chunkBytes is how much of an upload's body is read before it is stored.
const chunkBytes = 10 << 20

// Handler serves the distribution API over an ECR backend.
type Handler struct {
	ECR *ecr.Backend
}

// New returns the registry of backend.
func New(backend *ecr.Backend) *Handler { return &Handler{ECR: backend} }

// apiError is one entry of the distribution API's error body.
type apiError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Detail  any    `json:"detail,omitempty"`
}

func writeError(w http.ResponseWriter, status int, code, message string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string][]apiError{"errors": {{Code: code, Message: message}}})
}

// writeBackendError answers with the distribution API's error for an
// ECR error.
func writeBackendError(w http.ResponseWriter, err error) {
	var apiErr *protocol.Error
	if !errors.As(err, &apiErr) {
		writeError(w, http.StatusInternalServerError, "UNKNOWN", err.Error())
		return
	}
	status, code := http.StatusBadRequest, "UNKNOWN"
	switch apiErr.Code {
	case "RepositoryNotFoundException":
		status, code = http.StatusNotFound, "NAME_UNKNOWN"
	case "ImageNotFoundException":
		status, code = http.StatusNotFound, "MANIFEST_UNKNOWN"
	case "LayersNotFoundException", "ReferencedImagesNotFoundException":
		code = "MANIFEST_BLOB_UNKNOWN"
	case "UploadNotFoundException":
		status, code = http.StatusNotFound, "BLOB_UPLOAD_UNKNOWN"
	case "InvalidLayerException", "ImageDigestDoesNotMatchException":
		code = "DIGEST_INVALID"
	case "InvalidLayerPartException":
		status, code = http.StatusRequestedRangeNotSatisfiable, "BLOB_UPLOAD_INVALID"
	case "ImageTagAlreadyExistsException":
		code = "TAG_INVALID"
	case "InvalidParameterException", "UnsupportedImageTypeException":
		code = "MANIFEST_INVALID"
	case "LimitExceededException":
		code = "SIZE_INVALID"
	default:
		if apiErr.Fault {
			status = http.StatusInternalServerError
		}
	}
	writeError(w, status, code, apiErr.Message)
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Docker-Distribution-API-Version", "registry/2.0")
	ctx, ok := h.authorize(w, r)
	if !ok {
		return
	}
	path := strings.TrimPrefix(r.URL.Path, Prefix)
	if path == "" {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, "{}")
		return
	}
	switch name, rest, kind := split(path); kind {
	case "tags":
		h.tags(ctx, w, r, name)
	case "manifests":
		h.manifests(ctx, w, r, name, rest)
	case "uploads":
		h.uploads(ctx, w, r, name, rest)
	case "blobs":
		h.blobs(ctx, w, r, name, rest)
	default:
		writeError(w, http.StatusNotFound, "NAME_INVALID", "no such registry route: "+r.URL.Path)
	}
}

// split cuts a path after /v2/ into the repository name (which may hold
// slashes), the route and what follows it.
func split(path string) (name, rest, kind string) {
	if n, ok := strings.CutSuffix(path, "/tags/list"); ok {
		return n, "", "tags"
	}
	if i := strings.LastIndex(path, "/blobs/uploads"); i > 0 {
		return path[:i], strings.Trim(path[i+len("/blobs/uploads"):], "/"), "uploads"
	}
	if i := strings.LastIndex(path, "/manifests/"); i > 0 {
		return path[:i], path[i+len("/manifests/"):], "manifests"
	}
	if i := strings.LastIndex(path, "/blobs/"); i > 0 {
		return path[:i], path[i+len("/blobs/"):], "blobs"
	}
	return "", "", ""
}

// authorize checks the Basic credentials, AWS and a password
// GetAuthorizationToken issued, and returns a context in the password's
// scope; without them it answers 401 with the challenge `docker login`
// expects.
func (h *Handler) authorize(w http.ResponseWriter, r *http.Request) (context.Context, bool) {
	challenge := func(message string) {
		w.Header().Set("WWW-Authenticate", `Basic realm="berth local ECR"`)
		writeError(w, http.StatusUnauthorized, "UNAUTHORIZED", message)
	}
	user, password, ok := r.BasicAuth()
	if !ok {
		challenge("authentication required: docker login -u AWS -p \"$(aws ecr get-login-password)\" " + r.Host)
		return nil, false
	}
	scope, scoped := ecr.TokenScope(password)
	if user != "AWS" || !scoped {
		challenge("the user must be AWS and the password one that GetAuthorizationToken issued (aws ecr get-login-password)")
		return nil, false
	}
	ctx := store.WithScope(r.Context(), scope)
	valid, err := h.ECR.ValidToken(ctx, password)
	if err != nil {
		writeError(w, http.StatusInternalServerError, "UNKNOWN", err.Error())
		return nil, false
	}
	if !valid {
		challenge("the authorization token has expired or was not issued by this local cloud: log in again with aws ecr get-login-password")
		return nil, false
	}
	return ctx, true
}

func (h *Handler) tags(ctx context.Context, w http.ResponseWriter, r *http.Request, name string) {
	if r.Method != http.MethodGet {
		writeError(w, http.StatusMethodNotAllowed, "UNSUPPORTED", r.Method+" is not supported here")
		return
	}
	tags, err := h.ECR.Tags(ctx, name)
	if err != nil {
		writeBackendError(w, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"name": name, "tags": tags})
}

func (h *Handler) manifests(ctx context.Context, w http.ResponseWriter, r *http.Request, name, reference string) {
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		img, err := h.ECR.Manifest(ctx, name, reference)
		if err != nil {
			writeBackendError(w, err)
			return
		}
		w.Header().Set("Content-Type", img.MediaType)
		w.Header().Set("Docker-Content-Digest", img.Digest)
		w.Header().Set("Content-Length", strconv.Itoa(len(img.Manifest)))
		w.WriteHeader(http.StatusOK)
		if r.Method == http.MethodGet {
			_, _ = io.WriteString(w, img.Manifest)
		}
	case http.MethodPut:
		body, err := io.ReadAll(io.LimitReader(r.Body, maxManifestBytes+1))
		if err != nil {
			writeError(w, http.StatusBadRequest, "MANIFEST_INVALID", err.Error())
			return
		}
		if len(body) > maxManifestBytes {
			writeError(w, http.StatusRequestEntityTooLarge, "SIZE_INVALID", fmt.Sprintf("a manifest can be at most %d bytes", maxManifestBytes))
			return
		}
		mediaType, _, _ := strings.Cut(r.Header.Get("Content-Type"), ";")
		digest, err := h.ECR.PutManifest(ctx, name, reference, strings.TrimSpace(mediaType), body)
		if err != nil {
			writeBackendError(w, err)
			return
		}
		w.Header().Set("Location", Prefix+name+"/manifests/"+digest)
		w.Header().Set("Docker-Content-Digest", digest)
		w.WriteHeader(http.StatusCreated)
	default:
		writeError(w, http.StatusMethodNotAllowed, "UNSUPPORTED", r.Method+" of manifests is not supported: use BatchDeleteImage")
	}
}

func (h *Handler) blobs(ctx context.Context, w http.ResponseWriter, r *http.Request, name, digest string) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		writeError(w, http.StatusMethodNotAllowed, "UNSUPPORTED", r.Method+" of blobs is not supported")
		return
	}
	size, found, err := h.ECR.BlobSize(ctx, name, digest)
	if err != nil {
		writeBackendError(w, err)
		return
	}
	if !found {
		writeError(w, http.StatusNotFound, "BLOB_UNKNOWN", "blob unknown to registry: "+digest)
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Docker-Content-Digest", digest)
	w.Header().Set("Content-Length", strconv.FormatInt(size, 10))
	if r.Method == http.MethodHead {
		w.WriteHeader(http.StatusOK)
		return
	}
	data, err := h.ECR.Blob(ctx, name, digest)
	if err != nil {
		writeBackendError(w, err)
		return
	}
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(data)
}

func (h *Handler) uploads(ctx context.Context, w http.ResponseWriter, r *http.Request, name, id string) {
	switch {
	case r.Method == http.MethodPost && id == "":
		h.startUpload(ctx, w, r, name)
	case id == "":
		writeError(w, http.StatusMethodNotAllowed, "UNSUPPORTED", r.Method+" needs an upload id")
	case r.Method == http.MethodPatch:
		if _, err := h.appendBody(ctx, r, name, id); err != nil {
			writeBackendError(w, err)
			return
		}
		h.uploadStatus(ctx, w, name, id, http.StatusAccepted)
	case r.Method == http.MethodPut:
		digest := r.URL.Query().Get("digest")
		if digest == "" {
			writeError(w, http.StatusBadRequest, "DIGEST_INVALID", "completing an upload needs ?digest=")
			return
		}
		if _, err := h.appendBody(ctx, r, name, id); err != nil {
			writeBackendError(w, err)
			return
		}
		if err := h.ECR.FinishUpload(ctx, name, id, digest); err != nil {
			writeBackendError(w, err)
			return
		}
		blobCreated(w, name, digest)
	case r.Method == http.MethodGet:
		h.uploadStatus(ctx, w, name, id, http.StatusNoContent)
	case r.Method == http.MethodDelete:
		if err := h.ECR.CancelUpload(ctx, name, id); err != nil {
			writeBackendError(w, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	default:
		writeError(w, http.StatusMethodNotAllowed, "UNSUPPORTED", r.Method+" of uploads is not supported")
	}
}

// startUpload mounts a blob another repository has (?mount=&from=),
// takes a whole blob at once (?digest=) or opens an upload.
func (h *Handler) startUpload(ctx context.Context, w http.ResponseWriter, r *http.Request, name string) {
	query := r.URL.Query()
	if mount := query.Get("mount"); mount != "" {
		mounted, err := h.ECR.MountBlob(ctx, name, mount)
		if err != nil {
			writeBackendError(w, err)
			return
		}
		if mounted {
			blobCreated(w, name, mount)
			return
		}
	}
	id, err := h.ECR.StartUpload(ctx, name)
	if err != nil {
		writeBackendError(w, err)
		return
	}
	if digest := query.Get("digest"); digest != "" {
		if _, err := h.appendBody(ctx, r, name, id); err != nil {
			writeBackendError(w, err)
			return
		}
		if err := h.ECR.FinishUpload(ctx, name, id, digest); err != nil {
			writeBackendError(w, err)
			return
		}
		blobCreated(w, name, digest)
		return
	}
	h.uploadStatus(ctx, w, name, id, http.StatusAccepted)
}

// appendBody stores the request's body at the end of the upload, in
// chunks, checking a Content-Range against what is there.
func (h *Handler) appendBody(ctx context.Context, r *http.Request, name, id string) (int64, error) {
	received, err := h.ECR.UploadReceived(ctx, name, id)
	if err != nil {
		return 0, err
	}
	if cr := r.Header.Get("Content-Range"); cr != "" {
		var first, last int64
		if _, err := fmt.Sscanf(strings.TrimPrefix(cr, "bytes "), "%d-%d", &first, &last); err != nil || first != received {
			return 0, protocol.Errorf("InvalidLayerPartException", "Content-Range %q does not start at the %d bytes received so far", cr, received)
		}
	}
	buf := make([]byte, chunkBytes)
	for {
		n, readErr := io.ReadFull(r.Body, buf)
		if n > 0 {
			if received, err = h.ECR.AppendUpload(ctx, name, id, buf[:n]); err != nil {
				return received, err
			}
		}
		switch {
		case readErr == nil:
			continue
		case errors.Is(readErr, io.EOF), errors.Is(readErr, io.ErrUnexpectedEOF):
			return received, nil
		default:
			return received, readErr
		}
	}
}

func (h *Handler) uploadStatus(ctx context.Context, w http.ResponseWriter, name, id string, status int) {
	received, err := h.ECR.UploadReceived(ctx, name, id)
	if err != nil {
		writeBackendError(w, err)
		return
	}
	w.Header().Set("Location", Prefix+name+"/blobs/uploads/"+id)
	w.Header().Set("Docker-Upload-UUID", id)
	w.Header().Set("Range", fmt.Sprintf("0-%d", max(received-1, 0)))
	w.Header().Set("Content-Length", "0")
	w.WriteHeader(status)
}

func blobCreated(w http.ResponseWriter, name, digest string) {
	w.Header().Set("Location", Prefix+name+"/blobs/"+digest)
	w.Header().Set("Docker-Content-Digest", digest)
	w.Header().Set("Content-Length", "0")
	w.WriteHeader(http.StatusCreated)
}

// AuthConfig is the X-Registry-Auth value that makes the Docker Engine
// push to or pull from this registry at host with password.
func AuthConfig(host, password string) string {
	raw, _ := json.Marshal(map[string]string{"username": "AWS", "password": password, "serveraddress": host})
	return base64.URLEncoding.EncodeToString(raw)
}
