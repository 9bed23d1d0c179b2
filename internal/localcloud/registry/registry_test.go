package registry_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/ecr/types"

	"github.com/berthdev/berth/internal/localcloud"
	"github.com/berthdev/berth/internal/localcloud/localcloudtest"
)

func digestOf(data []byte) string {
	sum := sha256.Sum256(data)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// client speaks the distribution API as a registry client does, with the
// Basic credentials GetAuthorizationToken gave.
type client struct {
	t        *testing.T
	base     string
	password string
}

func (c *client) do(method, path string, body []byte, header map[string]string) *http.Response {
	c.t.Helper()
	req, err := http.NewRequest(method, c.base+path, bytes.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	if c.password != "" {
		req.SetBasicAuth("AWS", c.password)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	return resp
}

// expect checks a response's status (and, for errors, the distribution
// API's error code) and returns its body.
func expect(t *testing.T, resp *http.Response, status int, code string) []byte {
	t.Helper()
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != status {
		t.Fatalf("%s %s: status %d, want %d: %s", resp.Request.Method, resp.Request.URL.Path, resp.StatusCode, status, body)
	}
	if code != "" {
		var errs struct {
			Errors []struct{ Code string } `json:"errors"`
		}
		if json.Unmarshal(body, &errs) != nil || len(errs.Errors) != 1 || errs.Errors[0].Code != code {
			t.Fatalf("%s %s: body %s, want error %s", resp.Request.Method, resp.Request.URL.Path, body, code)
		}
	}
	return body
}

func loginPassword(t *testing.T, registry *ecr.Client) string {
	t.Helper()
	auth, err := registry.GetAuthorizationToken(context.Background(), &ecr.GetAuthorizationTokenInput{})
	if err != nil {
		t.Fatalf("GetAuthorizationToken: %v", err)
	}
	decoded, err := base64.StdEncoding.DecodeString(aws.ToString(auth.AuthorizationData[0].AuthorizationToken))
	if err != nil {
		t.Fatal(err)
	}
	_, password, _ := strings.Cut(string(decoded), ":")
	return password
}

// The distribution API over the local ECR, as docker push and pull use
// it: the login challenge, chunked and monolithic blob uploads, a
// cross-repository mount, a manifest by tag and by digest, the tag list
// and the errors a client acts on; what was pushed is what ECR's API
// describes. It is served under --require-sigv4 too, where the ECR token
// stands in for a signature.
func TestPushAndPullThroughTheDistributionAPI(t *testing.T) {
	cloud := localcloudtest.StartWithOptions(t, localcloud.Options{SigV4Keys: map[string]string{"AKIDLOCAL": "local-secret"}})
	cfg := cloud.Config.Copy()
	cfg.Credentials = aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
		return aws.Credentials{AccessKeyID: "AKIDLOCAL", SecretAccessKey: "local-secret"}, nil
	})
	registry := ecr.NewFromConfig(cfg)
	ctx := context.Background()
	for _, name := range []string{"team/web", "other"} {
		if _, err := registry.CreateRepository(ctx, &ecr.CreateRepositoryInput{RepositoryName: aws.String(name)}); err != nil {
			t.Fatalf("CreateRepository: %v", err)
		}
	}

	anonymous := &client{t: t, base: cloud.Endpoint}
	resp := anonymous.do(http.MethodGet, "/v2/", nil, nil)
	if resp.StatusCode != http.StatusUnauthorized || !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Basic ") {
		t.Fatalf("GET /v2/ without credentials: %d %q, want 401 with a Basic challenge", resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
	}
	resp.Body.Close()
	forged := &client{t: t, base: cloud.Endpoint, password: "000000000000.us-east-1.0123456789abcdef"}
	expect(t, forged.do(http.MethodGet, "/v2/", nil, nil), http.StatusUnauthorized, "UNAUTHORIZED")

	c := &client{t: t, base: cloud.Endpoint, password: loginPassword(t, registry)}
	expect(t, c.do(http.MethodGet, "/v2/", nil, nil), http.StatusOK, "")
	expect(t, c.do(http.MethodPost, "/v2/nothing/blobs/uploads/", nil, nil), http.StatusNotFound, "NAME_UNKNOWN")

	// A layer in two chunks, as docker push sends one.
	layer := bytes.Repeat([]byte("layer bytes "), 5000)
	layerDigest := digestOf(layer)
	expect(t, c.do(http.MethodHead, "/v2/team/web/blobs/"+layerDigest, nil, nil), http.StatusNotFound, "")
	resp = c.do(http.MethodPost, "/v2/team/web/blobs/uploads/", nil, nil)
	location := resp.Header.Get("Location")
	expect(t, resp, http.StatusAccepted, "")
	resp = c.do(http.MethodPatch, location, layer[:20000], map[string]string{"Content-Range": "0-19999"})
	if resp.Header.Get("Range") != "0-19999" {
		t.Errorf("Range after the first chunk = %q", resp.Header.Get("Range"))
	}
	expect(t, resp, http.StatusAccepted, "")
	expect(t, c.do(http.MethodPatch, location, layer[:10], map[string]string{"Content-Range": "0-9"}), http.StatusRequestedRangeNotSatisfiable, "BLOB_UPLOAD_INVALID")
	expect(t, c.do(http.MethodPatch, location, layer[20000:], nil), http.StatusAccepted, "")
	expect(t, c.do(http.MethodPut, location+"?digest="+digestOf([]byte("other")), nil, nil), http.StatusBadRequest, "DIGEST_INVALID")

	// A client whose completion failed starts over, here monolithically.
	resp = c.do(http.MethodPost, "/v2/team/web/blobs/uploads/?digest="+layerDigest, layer, nil)
	if resp.Header.Get("Docker-Content-Digest") != layerDigest {
		t.Errorf("Docker-Content-Digest = %q", resp.Header.Get("Docker-Content-Digest"))
	}
	expect(t, resp, http.StatusCreated, "")
	config := []byte(`{"architecture":"amd64","os":"linux","config":{"Cmd":["/hello"]},"rootfs":{"type":"layers","diff_ids":[]}}`)
	configDigest := digestOf(config)
	resp = c.do(http.MethodPost, "/v2/team/web/blobs/uploads/", nil, nil)
	location = resp.Header.Get("Location")
	expect(t, resp, http.StatusAccepted, "")
	expect(t, c.do(http.MethodPut, location+"?digest="+configDigest, config, nil), http.StatusCreated, "")
	resp = c.do(http.MethodHead, "/v2/team/web/blobs/"+layerDigest, nil, nil)
	if resp.ContentLength != int64(len(layer)) {
		t.Errorf("HEAD of the layer: Content-Length %d, want %d", resp.ContentLength, len(layer))
	}
	expect(t, resp, http.StatusOK, "")
	if got := expect(t, c.do(http.MethodGet, "/v2/team/web/blobs/"+layerDigest, nil, nil), http.StatusOK, ""); !bytes.Equal(got, layer) {
		t.Errorf("GET of the layer returned %d other bytes", len(got))
	}

	manifest := []byte(fmt.Sprintf(`{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json",`+
		`"config":{"mediaType":"application/vnd.docker.container.image.v1+json","size":%d,"digest":"%s"},`+
		`"layers":[{"mediaType":"application/vnd.docker.image.rootfs.diff.tar.gzip","size":%d,"digest":"%s"}]}`,
		len(config), configDigest, len(layer), layerDigest))
	manifestDigest := digestOf(manifest)
	mediaType := map[string]string{"Content-Type": "application/vnd.docker.distribution.manifest.v2+json"}
	expect(t, c.do(http.MethodPut, "/v2/other/manifests/v1", manifest, mediaType), http.StatusBadRequest, "MANIFEST_BLOB_UNKNOWN")
	resp = c.do(http.MethodPut, "/v2/team/web/manifests/v1", manifest, mediaType)
	if resp.Header.Get("Docker-Content-Digest") != manifestDigest {
		t.Errorf("manifest digest %q, want %s", resp.Header.Get("Docker-Content-Digest"), manifestDigest)
	}
	expect(t, resp, http.StatusCreated, "")
	expect(t, c.do(http.MethodPut, "/v2/team/web/manifests/v1", manifest, mediaType), http.StatusCreated, "") // a re-push

	// Another repository mounts the layers instead of uploading them.
	for _, digest := range []string{layerDigest, configDigest} {
		expect(t, c.do(http.MethodPost, "/v2/other/blobs/uploads/?mount="+digest+"&from=team/web", nil, nil), http.StatusCreated, "")
	}
	expect(t, c.do(http.MethodPut, "/v2/other/manifests/"+manifestDigest, manifest, mediaType), http.StatusCreated, "")

	for _, ref := range []string{"v1", manifestDigest} {
		resp = c.do(http.MethodGet, "/v2/team/web/manifests/"+ref, nil, map[string]string{"Accept": "application/vnd.docker.distribution.manifest.v2+json"})
		if resp.Header.Get("Content-Type") != "application/vnd.docker.distribution.manifest.v2+json" || resp.Header.Get("Docker-Content-Digest") != manifestDigest {
			t.Errorf("GET manifest %s: %q %q", ref, resp.Header.Get("Content-Type"), resp.Header.Get("Docker-Content-Digest"))
		}
		if got := expect(t, resp, http.StatusOK, ""); !bytes.Equal(got, manifest) {
			t.Errorf("GET manifest %s: %s", ref, got)
		}
	}
	expect(t, c.do(http.MethodGet, "/v2/team/web/manifests/v2", nil, nil), http.StatusNotFound, "MANIFEST_UNKNOWN")
	var tags struct {
		Name string   `json:"name"`
		Tags []string `json:"tags"`
	}
	if err := json.Unmarshal(expect(t, c.do(http.MethodGet, "/v2/team/web/tags/list", nil, nil), http.StatusOK, ""), &tags); err != nil || tags.Name != "team/web" || !slices.Equal(tags.Tags, []string{"v1"}) {
		t.Errorf("tags/list: %+v %v", tags, err)
	}

	described, err := registry.DescribeImages(ctx, &ecr.DescribeImagesInput{RepositoryName: aws.String("team/web")})
	if err != nil || len(described.ImageDetails) != 1 || aws.ToString(described.ImageDetails[0].ImageDigest) != manifestDigest ||
		!slices.Equal(described.ImageDetails[0].ImageTags, []string{"v1"}) || aws.ToInt64(described.ImageDetails[0].ImageSizeInBytes) != int64(len(layer)) {
		t.Errorf("DescribeImages: %v %+v", err, described)
	}
	listed, err := registry.ListImages(ctx, &ecr.ListImagesInput{RepositoryName: aws.String("other")})
	if err != nil || len(listed.ImageIds) != 1 || aws.ToString(listed.ImageIds[0].ImageDigest) != manifestDigest || listed.ImageIds[0].ImageTag != nil {
		t.Errorf("ListImages of the untagged push: %v %+v", err, listed)
	}
	got, err := registry.BatchGetImage(ctx, &ecr.BatchGetImageInput{RepositoryName: aws.String("team/web"), ImageIds: []types.ImageIdentifier{{ImageTag: aws.String("v1")}}})
	if err != nil || len(got.Images) != 1 || aws.ToString(got.Images[0].ImageManifest) != string(manifest) {
		t.Errorf("BatchGetImage: %v %+v", err, got)
	}
}

// `docker login` with `aws ecr get-login-password`, exactly as ECR's
// documentation says, against the repository URI's host.
func TestDockerLoginWithGetLoginPassword(t *testing.T) {
	for _, tool := range []string{"docker", "aws"} {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("CI") != "" {
				t.Fatalf("CI needs the %s CLI: %v", tool, err)
			}
			t.Skipf("no %s CLI: %v", tool, err)
		}
	}
	cloud := localcloudtest.Start(t)
	created, err := ecr.NewFromConfig(cloud.Config).CreateRepository(context.Background(), &ecr.CreateRepositoryInput{RepositoryName: aws.String("web")})
	if err != nil {
		t.Fatalf("CreateRepository: %v", err)
	}
	host, _, _ := strings.Cut(aws.ToString(created.Repository.RepositoryUri), "/")
	dockerConfig := t.TempDir()
	env := append(os.Environ(), "DOCKER_CONFIG="+dockerConfig, "AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test", "AWS_DEFAULT_REGION=us-east-1",
		"AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null")
	password, err := localcloudtest.AWSCLI(t, cloud.Endpoint, "us-east-1", "ecr", "get-login-password")
	if err != nil {
		t.Fatal(err)
	}
	login := exec.Command("docker", "login", "--username", "AWS", "--password-stdin", host)
	login.Env = env
	login.Stdin = bytes.NewReader(password)
	out, err := login.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "Login Succeeded") {
		t.Fatalf("docker login %s: %v\n%s", host, err, out)
	}
	saved, err := os.ReadFile(filepath.Join(dockerConfig, "config.json"))
	if err != nil || !strings.Contains(string(saved), host) {
		t.Errorf("docker saved no credentials for %s: %v %s", host, err, saved)
	}

	wrong := exec.Command("docker", "login", "--username", "AWS", "--password-stdin", host)
	wrong.Env = env
	wrong.Stdin = strings.NewReader("000000000000.us-east-1.not-issued\n")
	if out, err := wrong.CombinedOutput(); err == nil {
		t.Errorf("docker login with a password ECR never issued succeeded:\n%s", out)
	}
}
