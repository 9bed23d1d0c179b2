package ecr_test

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/ecr/types"

	"github.com/berthdev/berth/internal/localcloud/localcloudtest"
	ecrsvc "github.com/berthdev/berth/internal/localcloud/service/ecr"
)

type fixture struct {
	cloud *localcloudtest.Cloud
	ecr   *ecr.Client
	ctx   context.Context
}

func start(t *testing.T) *fixture {
	t.Helper()
	cloud := localcloudtest.Start(t)
	return &fixture{cloud: cloud, ecr: ecr.NewFromConfig(cloud.Config, func(o *ecr.Options) { o.RetryMaxAttempts = 1 }), ctx: context.Background()}
}

// must returns v, failing the test on err: must(c.Op(ctx, in))(t).
func must[T any](v T, err error) func(*testing.T) T {
	return func(t *testing.T) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

func digest(b []byte) string {
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// pushBlob uploads a blob in parts of at most partSize bytes, as docker's
// ECR credential helper and the SDK-based pushers do.
func (f *fixture) pushBlob(t *testing.T, repo string, data []byte, partSize int) string {
	t.Helper()
	up := must(f.ecr.InitiateLayerUpload(f.ctx, &ecr.InitiateLayerUploadInput{RepositoryName: aws.String(repo)}))(t)
	if aws.ToInt64(up.PartSize) <= 0 {
		t.Errorf("part size %d", aws.ToInt64(up.PartSize))
	}
	for first := 0; first < len(data); first += partSize {
		last := min(first+partSize, len(data)) - 1
		part := must(f.ecr.UploadLayerPart(f.ctx, &ecr.UploadLayerPartInput{
			RepositoryName: aws.String(repo), UploadId: up.UploadId,
			PartFirstByte: aws.Int64(int64(first)), PartLastByte: aws.Int64(int64(last)), LayerPartBlob: data[first : last+1],
		}))(t)
		if aws.ToInt64(part.LastByteReceived) != int64(last) {
			t.Errorf("last byte received %d, want %d", aws.ToInt64(part.LastByteReceived), last)
		}
	}
	done := must(f.ecr.CompleteLayerUpload(f.ctx, &ecr.CompleteLayerUploadInput{RepositoryName: aws.String(repo), UploadId: up.UploadId, LayerDigests: []string{digest(data)}}))(t)
	return aws.ToString(done.LayerDigest)
}

// image pushes a config and a layer and returns a manifest that references
// them.
func (f *fixture) image(t *testing.T, repo, content string) string {
	t.Helper()
	config := []byte(`{"architecture":"amd64","os":"linux","config":{"Cmd":["` + content + `"]}}`)
	layer := []byte(strings.Repeat(content, 100))
	configDigest := f.pushBlob(t, repo, config, 16)
	layerDigest := f.pushBlob(t, repo, layer, 1000)
	return fmt.Sprintf(`{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json",`+
		`"config":{"mediaType":"application/vnd.docker.container.image.v1+json","size":%d,"digest":"%s"},`+
		`"layers":[{"mediaType":"application/vnd.docker.image.rootfs.diff.tar.gzip","size":%d,"digest":"%s"}]}`,
		len(config), configDigest, len(layer), layerDigest)
}

func TestRepositories(t *testing.T) {
	f := start(t)
	created := must(f.ecr.CreateRepository(f.ctx, &ecr.CreateRepositoryInput{
		RepositoryName: aws.String("team/web"), ImageTagMutability: types.ImageTagMutabilityImmutable,
		ImageScanningConfiguration: &types.ImageScanningConfiguration{ScanOnPush: true},
		Tags:                       []types.Tag{{Key: aws.String("app"), Value: aws.String("web")}},
	}))(t).Repository
	// The local registry's host is the endpoint's (see internal/localcloud/registry).
	if aws.ToString(created.RepositoryUri) != strings.TrimPrefix(f.cloud.Endpoint, "http://")+"/team/web" ||
		aws.ToString(created.RepositoryArn) != "arn:aws:ecr:us-east-1:000000000000:repository/team/web" ||
		aws.ToString(created.RegistryId) != "000000000000" || created.ImageTagMutability != types.ImageTagMutabilityImmutable ||
		!created.ImageScanningConfiguration.ScanOnPush || created.EncryptionConfiguration.EncryptionType != types.EncryptionTypeAes256 || created.CreatedAt == nil {
		t.Errorf("created %+v", created)
	}
	for _, name := range []string{"api", "worker", "batch"} {
		must(f.ecr.CreateRepository(f.ctx, &ecr.CreateRepositoryInput{RepositoryName: aws.String(name)}))(t)
	}

	errs := []struct {
		name string
		in   *ecr.CreateRepositoryInput
		code string
	}{
		{"exists", &ecr.CreateRepositoryInput{RepositoryName: aws.String("api")}, "RepositoryAlreadyExistsException"},
		{"reserved tag", &ecr.CreateRepositoryInput{RepositoryName: aws.String("x1"), Tags: []types.Tag{{Key: aws.String("aws:x"), Value: aws.String("y")}}}, "InvalidTagParameterException"},
		{"kms key with AES256", &ecr.CreateRepositoryInput{RepositoryName: aws.String("x2"), EncryptionConfiguration: &types.EncryptionConfiguration{EncryptionType: types.EncryptionTypeAes256, KmsKey: aws.String("k")}}, "InvalidParameterException"},
		{"exclusions without the setting", &ecr.CreateRepositoryInput{RepositoryName: aws.String("x3"), ImageTagMutabilityExclusionFilters: []types.ImageTagMutabilityExclusionFilter{{FilterType: types.ImageTagMutabilityExclusionFilterTypeWildcard, Filter: aws.String("dev-*")}}}, "InvalidParameterException"},
		{"another registry", &ecr.CreateRepositoryInput{RepositoryName: aws.String("x4"), RegistryId: aws.String("111111111111")}, "InvalidParameterException"},
		{"kms", &ecr.CreateRepositoryInput{RepositoryName: aws.String("kms"), EncryptionConfiguration: &types.EncryptionConfiguration{EncryptionType: types.EncryptionTypeKms}}, ""},
	}
	for _, tt := range errs {
		t.Run(tt.name, func(t *testing.T) {
			_, err := f.ecr.CreateRepository(f.ctx, tt.in)
			localcloudtest.WantCode(t, err, tt.code)
		})
	}

	var names []string
	for p := ecr.NewDescribeRepositoriesPaginator(f.ecr, &ecr.DescribeRepositoriesInput{MaxResults: aws.Int32(2)}); p.HasMorePages(); {
		for _, r := range must(p.NextPage(f.ctx))(t).Repositories {
			names = append(names, aws.ToString(r.RepositoryName))
		}
	}
	if strings.Join(names, " ") != "api batch kms team/web worker" {
		t.Errorf("paged repositories = %v", names)
	}
	_, err := f.ecr.DescribeRepositories(f.ctx, &ecr.DescribeRepositoriesInput{RepositoryNames: []string{"api", "ghost"}})
	localcloudtest.WantCode(t, err, "RepositoryNotFoundException")
	_, err = f.ecr.DescribeRepositories(f.ctx, &ecr.DescribeRepositoriesInput{NextToken: aws.String("forged")})
	localcloudtest.WantCode(t, err, "InvalidParameterException")

	mutability := must(f.ecr.PutImageTagMutability(f.ctx, &ecr.PutImageTagMutabilityInput{RepositoryName: aws.String("api"), ImageTagMutability: types.ImageTagMutabilityImmutable}))(t)
	if mutability.ImageTagMutability != types.ImageTagMutabilityImmutable {
		t.Errorf("mutability %+v", mutability)
	}
	scanning := must(f.ecr.PutImageScanningConfiguration(f.ctx, &ecr.PutImageScanningConfigurationInput{RepositoryName: aws.String("api"), ImageScanningConfiguration: &types.ImageScanningConfiguration{ScanOnPush: true}}))(t)
	if !scanning.ImageScanningConfiguration.ScanOnPush {
		t.Errorf("scanning %+v", scanning)
	}
	api := must(f.ecr.DescribeRepositories(f.ctx, &ecr.DescribeRepositoriesInput{RepositoryNames: []string{"api"}}))(t).Repositories[0]
	if api.ImageTagMutability != types.ImageTagMutabilityImmutable || !api.ImageScanningConfiguration.ScanOnPush {
		t.Errorf("api after the puts: %+v", api)
	}

	deleted := must(f.ecr.DeleteRepository(f.ctx, &ecr.DeleteRepositoryInput{RepositoryName: aws.String("batch")}))(t)
	if aws.ToString(deleted.Repository.RepositoryName) != "batch" {
		t.Errorf("deleted %+v", deleted.Repository)
	}
	_, err = f.ecr.DeleteRepository(f.ctx, &ecr.DeleteRepositoryInput{RepositoryName: aws.String("batch")})
	localcloudtest.WantCode(t, err, "RepositoryNotFoundException")

	registry := must(f.ecr.DescribeRegistry(f.ctx, &ecr.DescribeRegistryInput{}))(t)
	if aws.ToString(registry.RegistryId) != "000000000000" || registry.ReplicationConfiguration == nil {
		t.Errorf("registry %+v", registry)
	}
}

// TestPushAndPull pushes an image the way an SDK-based pusher does (layer
// uploads, then PutImage) and reads it back by tag and by digest.
func TestPushAndPull(t *testing.T) {
	f := start(t)
	repo := aws.String("web")
	must(f.ecr.CreateRepository(f.ctx, &ecr.CreateRepositoryInput{RepositoryName: repo}))(t)
	manifest := f.image(t, "web", "v1")
	wantDigest := digest([]byte(manifest))

	put := must(f.ecr.PutImage(f.ctx, &ecr.PutImageInput{RepositoryName: repo, ImageManifest: aws.String(manifest), ImageTag: aws.String("v1")}))(t).Image
	if aws.ToString(put.ImageId.ImageDigest) != wantDigest || aws.ToString(put.ImageId.ImageTag) != "v1" ||
		aws.ToString(put.ImageManifestMediaType) != "application/vnd.docker.distribution.manifest.v2+json" || aws.ToString(put.RegistryId) != "000000000000" {
		t.Errorf("put %+v", put)
	}
	must(f.ecr.PutImage(f.ctx, &ecr.PutImageInput{RepositoryName: repo, ImageManifest: aws.String(manifest), ImageTag: aws.String("latest")}))(t)

	got := must(f.ecr.BatchGetImage(f.ctx, &ecr.BatchGetImageInput{RepositoryName: repo, ImageIds: []types.ImageIdentifier{
		{ImageTag: aws.String("latest")},
		{ImageDigest: aws.String(wantDigest)},
		{ImageTag: aws.String("v9")},
		{ImageDigest: aws.String("sha256:" + strings.Repeat("0", 64)), ImageTag: aws.String("v1")},
		{},
	}}))(t)
	if len(got.Images) != 2 || aws.ToString(got.Images[0].ImageManifest) != manifest || aws.ToString(got.Images[1].ImageManifest) != manifest ||
		aws.ToString(got.Images[0].ImageId.ImageDigest) != wantDigest || aws.ToString(got.Images[1].ImageId.ImageTag) != "" {
		t.Errorf("images %+v", got.Images)
	}
	codes := []types.ImageFailureCode{}
	for _, failure := range got.Failures {
		codes = append(codes, failure.FailureCode)
	}
	if fmt.Sprint(codes) != fmt.Sprint([]types.ImageFailureCode{types.ImageFailureCodeImageNotFound, types.ImageFailureCodeImageTagDoesNotMatchDigest, types.ImageFailureCodeMissingDigestAndTag}) {
		t.Errorf("failures %+v", got.Failures)
	}

	details := must(f.ecr.DescribeImages(f.ctx, &ecr.DescribeImagesInput{RepositoryName: repo, ImageIds: []types.ImageIdentifier{{ImageTag: aws.String("v1")}}}))(t).ImageDetails
	if len(details) != 1 || aws.ToString(details[0].ImageDigest) != wantDigest || fmt.Sprint(details[0].ImageTags) != "[v1 latest]" ||
		aws.ToInt64(details[0].ImageSizeInBytes) != 200 || details[0].ImagePushedAt == nil || aws.ToString(details[0].ArtifactMediaType) != "application/vnd.docker.container.image.v1+json" {
		t.Errorf("details %+v", details)
	}
	_, err := f.ecr.DescribeImages(f.ctx, &ecr.DescribeImagesInput{RepositoryName: repo, ImageIds: []types.ImageIdentifier{{ImageTag: aws.String("v9")}}})
	localcloudtest.WantCode(t, err, "ImageNotFoundException")

	// A new image takes the tag "latest" from the first, which keeps "v1".
	second := f.image(t, "web", "v2")
	must(f.ecr.PutImage(f.ctx, &ecr.PutImageInput{RepositoryName: repo, ImageManifest: aws.String(second), ImageTag: aws.String("latest"), ImageDigest: aws.String(digest([]byte(second)))}))(t)
	ids := must(f.ecr.ListImages(f.ctx, &ecr.ListImagesInput{RepositoryName: repo}))(t).ImageIds
	if len(ids) != 2 {
		t.Errorf("list images %+v", ids)
	}
	tagged := must(f.ecr.ListImages(f.ctx, &ecr.ListImagesInput{RepositoryName: repo, Filter: &types.ListImagesFilter{TagStatus: types.TagStatusUntagged}}))(t).ImageIds
	if len(tagged) != 0 {
		t.Errorf("untagged images %+v", tagged)
	}
	latest := must(f.ecr.BatchGetImage(f.ctx, &ecr.BatchGetImageInput{RepositoryName: repo, ImageIds: []types.ImageIdentifier{{ImageTag: aws.String("latest")}}}))(t).Images
	if len(latest) != 1 || aws.ToString(latest[0].ImageManifest) != second {
		t.Errorf("latest did not move: %+v", latest)
	}

	putErrors := []struct {
		name string
		in   *ecr.PutImageInput
		code string
	}{
		{"same image and tag", &ecr.PutImageInput{RepositoryName: repo, ImageManifest: aws.String(manifest), ImageTag: aws.String("v1")}, "ImageAlreadyExistsException"},
		{"same image, no tag", &ecr.PutImageInput{RepositoryName: repo, ImageManifest: aws.String(manifest)}, "ImageAlreadyExistsException"},
		{"wrong digest", &ecr.PutImageInput{RepositoryName: repo, ImageManifest: aws.String(manifest), ImageTag: aws.String("x"), ImageDigest: aws.String("sha256:" + strings.Repeat("a", 64))}, "ImageDigestDoesNotMatchException"},
		{"layers never uploaded", &ecr.PutImageInput{RepositoryName: repo, ImageTag: aws.String("x"), ImageManifest: aws.String(strings.ReplaceAll(manifest, "sha256:", "sha256:0"))}, "LayersNotFoundException"},
		{"not JSON", &ecr.PutImageInput{RepositoryName: repo, ImageManifest: aws.String("nope")}, "InvalidParameterException"},
		{"index of unknown manifests", &ecr.PutImageInput{RepositoryName: repo, ImageManifest: aws.String(`{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:` + strings.Repeat("b", 64) + `","size":1}]}`)}, "ReferencedImagesNotFoundException"},
		{"no repository", &ecr.PutImageInput{RepositoryName: aws.String("ghost"), ImageManifest: aws.String(manifest)}, "RepositoryNotFoundException"},
	}
	for _, tt := range putErrors {
		t.Run(tt.name, func(t *testing.T) {
			_, err := f.ecr.PutImage(f.ctx, tt.in)
			localcloudtest.WantCode(t, err, tt.code)
		})
	}

	// An index of pushed manifests is an image too.
	index := `{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"mediaType":"application/vnd.docker.distribution.manifest.v2+json","digest":"` + wantDigest + `","size":1}]}`
	must(f.ecr.PutImage(f.ctx, &ecr.PutImageInput{RepositoryName: repo, ImageManifest: aws.String(index), ImageTag: aws.String("multi")}))(t)

	// Layers can be checked and downloaded.
	var m struct {
		Layers []struct{ Digest string } `json:"layers"`
	}
	if err := json.Unmarshal([]byte(manifest), &m); err != nil {
		t.Fatal(err)
	}
	check := must(f.ecr.BatchCheckLayerAvailability(f.ctx, &ecr.BatchCheckLayerAvailabilityInput{RepositoryName: repo, LayerDigests: []string{m.Layers[0].Digest, "sha256:" + strings.Repeat("c", 64)}}))(t)
	if len(check.Layers) != 1 || check.Layers[0].LayerAvailability != types.LayerAvailabilityAvailable || aws.ToInt64(check.Layers[0].LayerSize) != 200 ||
		len(check.Failures) != 1 || check.Failures[0].FailureCode != types.LayerFailureCodeMissingLayerDigest {
		t.Errorf("layer availability %+v", check)
	}
	download := must(f.ecr.GetDownloadUrlForLayer(f.ctx, &ecr.GetDownloadUrlForLayerInput{RepositoryName: repo, LayerDigest: aws.String(m.Layers[0].Digest)}))(t)
	resp, err := http.Get(aws.ToString(download.DownloadUrl))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || string(body) != strings.Repeat("v1", 100) {
		t.Errorf("download: %d %q", resp.StatusCode, body)
	}
	_, err = f.ecr.GetDownloadUrlForLayer(f.ctx, &ecr.GetDownloadUrlForLayerInput{RepositoryName: repo, LayerDigest: aws.String("sha256:" + strings.Repeat("c", 64))})
	localcloudtest.WantCode(t, err, "LayersNotFoundException")

	// Deleting by tag untags; by digest removes the image.
	deleted := must(f.ecr.BatchDeleteImage(f.ctx, &ecr.BatchDeleteImageInput{RepositoryName: repo, ImageIds: []types.ImageIdentifier{{ImageTag: aws.String("multi")}, {ImageDigest: aws.String(wantDigest)}, {ImageTag: aws.String("v9")}}}))(t)
	if len(deleted.ImageIds) != 2 || len(deleted.Failures) != 1 || deleted.Failures[0].FailureCode != types.ImageFailureCodeImageNotFound {
		t.Errorf("batch delete %+v", deleted)
	}
	_, err = f.ecr.DeleteRepository(f.ctx, &ecr.DeleteRepositoryInput{RepositoryName: repo})
	localcloudtest.WantCode(t, err, "RepositoryNotEmptyException")
	must(f.ecr.DeleteRepository(f.ctx, &ecr.DeleteRepositoryInput{RepositoryName: repo, Force: true}))(t)
}

func TestLayerUploadErrors(t *testing.T) {
	f := start(t)
	repo := aws.String("web")
	must(f.ecr.CreateRepository(f.ctx, &ecr.CreateRepositoryInput{RepositoryName: repo}))(t)
	up := must(f.ecr.InitiateLayerUpload(f.ctx, &ecr.InitiateLayerUploadInput{RepositoryName: repo}))(t).UploadId
	part := func(first, last int64, data string) error {
		_, err := f.ecr.UploadLayerPart(f.ctx, &ecr.UploadLayerPartInput{RepositoryName: repo, UploadId: up, PartFirstByte: aws.Int64(first), PartLastByte: aws.Int64(last), LayerPartBlob: []byte(data)})
		return err
	}
	complete := func(d string) error {
		_, err := f.ecr.CompleteLayerUpload(f.ctx, &ecr.CompleteLayerUploadInput{RepositoryName: repo, UploadId: up, LayerDigests: []string{d}})
		return err
	}
	localcloudtest.WantCode(t, complete(digest(nil)), "EmptyUploadException")
	localcloudtest.WantCode(t, part(1, 3, "abc"), "InvalidLayerPartException")
	localcloudtest.WantCode(t, part(0, 5, "abc"), "InvalidLayerPartException")
	localcloudtest.WantCode(t, part(0, 2, "abc"), "")
	localcloudtest.WantCode(t, part(3, 5, "def"), "")
	localcloudtest.WantCode(t, complete(digest([]byte("abc"))), "InvalidLayerException")
	_, err := f.ecr.UploadLayerPart(f.ctx, &ecr.UploadLayerPartInput{RepositoryName: repo, UploadId: aws.String("00000000-0000-0000-0000-000000000000"), PartFirstByte: aws.Int64(0), PartLastByte: aws.Int64(0), LayerPartBlob: []byte("x")})
	localcloudtest.WantCode(t, err, "UploadNotFoundException")
	// An upload id that is not a UUID breaks the model's pattern: the front
	// end refuses it before ECR looks for the upload.
	_, err = f.ecr.UploadLayerPart(f.ctx, &ecr.UploadLayerPartInput{RepositoryName: repo, UploadId: aws.String("nope"), PartFirstByte: aws.Int64(0), PartLastByte: aws.Int64(0), LayerPartBlob: []byte("x")})
	localcloudtest.WantCode(t, err, "ValidationException")

	again := must(f.ecr.InitiateLayerUpload(f.ctx, &ecr.InitiateLayerUploadInput{RepositoryName: repo}))(t).UploadId
	f.pushBlob(t, "web", []byte("abcdef"), 4)
	must(f.ecr.UploadLayerPart(f.ctx, &ecr.UploadLayerPartInput{RepositoryName: repo, UploadId: again, PartFirstByte: aws.Int64(0), PartLastByte: aws.Int64(5), LayerPartBlob: []byte("abcdef")}))(t)
	_, err = f.ecr.CompleteLayerUpload(f.ctx, &ecr.CompleteLayerUploadInput{RepositoryName: repo, UploadId: again, LayerDigests: []string{digest([]byte("abcdef"))}})
	localcloudtest.WantCode(t, err, "LayerAlreadyExistsException")
}

func TestImmutableTags(t *testing.T) {
	f := start(t)
	tests := []struct {
		name       string
		mutability types.ImageTagMutability
		filter     string
		tag        string
		code       string
	}{
		{"mutable", types.ImageTagMutabilityMutable, "", "v1", ""},
		{"immutable", types.ImageTagMutabilityImmutable, "", "v1", "ImageTagAlreadyExistsException"},
		{"immutable, tag excluded", types.ImageTagMutabilityImmutableWithExclusion, "latest*", "latest", ""},
		{"immutable, tag not excluded", types.ImageTagMutabilityImmutableWithExclusion, "latest*", "v1", "ImageTagAlreadyExistsException"},
		{"mutable, tag excluded", types.ImageTagMutabilityMutableWithExclusion, "release-*", "release-1", "ImageTagAlreadyExistsException"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			name := fmt.Sprintf("repo%d", i)
			in := &ecr.CreateRepositoryInput{RepositoryName: aws.String(name), ImageTagMutability: tt.mutability}
			if tt.filter != "" {
				in.ImageTagMutabilityExclusionFilters = []types.ImageTagMutabilityExclusionFilter{{FilterType: types.ImageTagMutabilityExclusionFilterTypeWildcard, Filter: aws.String(tt.filter)}}
			}
			must(f.ecr.CreateRepository(f.ctx, in))(t)
			first, second := f.image(t, name, "a"), f.image(t, name, "b")
			must(f.ecr.PutImage(f.ctx, &ecr.PutImageInput{RepositoryName: aws.String(name), ImageManifest: aws.String(first), ImageTag: aws.String(tt.tag)}))(t)
			_, err := f.ecr.PutImage(f.ctx, &ecr.PutImageInput{RepositoryName: aws.String(name), ImageManifest: aws.String(second), ImageTag: aws.String(tt.tag)})
			localcloudtest.WantCode(t, err, tt.code)
		})
	}
}

func TestPolicies(t *testing.T) {
	f := start(t)
	repo := aws.String("web")
	must(f.ecr.CreateRepository(f.ctx, &ecr.CreateRepositoryInput{RepositoryName: repo}))(t)

	_, err := f.ecr.GetRepositoryPolicy(f.ctx, &ecr.GetRepositoryPolicyInput{RepositoryName: repo})
	localcloudtest.WantCode(t, err, "RepositoryPolicyNotFoundException")
	policy := `{"Version":"2012-10-17","Statement":[{"Sid":"pull","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:root"},"Action":["ecr:BatchGetImage","ecr:GetDownloadUrlForLayer"]}]}`
	policies := []struct {
		name, text, code string
	}{
		{"valid", policy, ""},
		{"not JSON", "{", "InvalidParameterException"},
		{"no statement", `{"Version":"2012-10-17"}`, "InvalidParameterException"},
		{"bad effect", `{"Statement":{"Effect":"Maybe","Principal":"*","Action":"ecr:*"}}`, "InvalidParameterException"},
		{"no principal", `{"Statement":[{"Effect":"Allow","Action":"ecr:*"}]}`, "InvalidParameterException"},
	}
	for _, tt := range policies {
		t.Run("repository policy "+tt.name, func(t *testing.T) {
			_, err := f.ecr.SetRepositoryPolicy(f.ctx, &ecr.SetRepositoryPolicyInput{RepositoryName: repo, PolicyText: aws.String(tt.text)})
			localcloudtest.WantCode(t, err, tt.code)
		})
	}
	if got := must(f.ecr.GetRepositoryPolicy(f.ctx, &ecr.GetRepositoryPolicyInput{RepositoryName: repo}))(t); aws.ToString(got.PolicyText) != policy {
		t.Errorf("policy %s", aws.ToString(got.PolicyText))
	}
	must(f.ecr.DeleteRepositoryPolicy(f.ctx, &ecr.DeleteRepositoryPolicyInput{RepositoryName: repo}))(t)
	_, err = f.ecr.DeleteRepositoryPolicy(f.ctx, &ecr.DeleteRepositoryPolicyInput{RepositoryName: repo})
	localcloudtest.WantCode(t, err, "RepositoryPolicyNotFoundException")

	rule := func(priority int, selection string) string {
		return fmt.Sprintf(`{"rulePriority":%d,"description":"rule %d","selection":%s,"action":{"type":"expire"}}`, priority, priority, selection)
	}
	lifecycle := func(rules ...string) string { return `{"rules":[` + strings.Join(rules, ",") + `]}` }
	untagged := `{"tagStatus":"untagged","countType":"sinceImagePushed","countUnit":"days","countNumber":14}`
	tagged := `{"tagStatus":"tagged","tagPrefixList":["v"],"countType":"imageCountMoreThan","countNumber":10}`
	anyStatus := `{"tagStatus":"any","countType":"imageCountMoreThan","countNumber":100}`
	lifecycles := []struct {
		name, text, code string
	}{
		{"valid", lifecycle(rule(1, untagged), rule(2, tagged), rule(3, anyStatus)), ""},
		{"duplicate priority", lifecycle(rule(1, untagged), rule(1, tagged)), "InvalidParameterException"},
		{"tagged without prefixes", lifecycle(rule(1, `{"tagStatus":"tagged","countType":"imageCountMoreThan","countNumber":10}`)), "InvalidParameterException"},
		{"age without unit", lifecycle(rule(1, `{"tagStatus":"untagged","countType":"sinceImagePushed","countNumber":14}`)), "InvalidParameterException"},
		{"count of zero", lifecycle(rule(1, `{"tagStatus":"untagged","countType":"imageCountMoreThan","countNumber":0}`)), "InvalidParameterException"},
		{"any before others", lifecycle(rule(1, anyStatus), rule(2, untagged)), "InvalidParameterException"},
		{"unknown member", `{"rules":[],"extra":true,"padding":"` + strings.Repeat("x", 100) + `"}`, "InvalidParameterException"},
		{"no rules", `{"rules":[],"padding":"` + strings.Repeat("x", 100) + `"}`, "InvalidParameterException"},
		{"shorter than the model allows", `{"rules":[]}`, "ValidationException"},
	}
	for _, tt := range lifecycles {
		t.Run("lifecycle "+tt.name, func(t *testing.T) {
			_, err := f.ecr.PutLifecyclePolicy(f.ctx, &ecr.PutLifecyclePolicyInput{RepositoryName: repo, LifecyclePolicyText: aws.String(tt.text)})
			localcloudtest.WantCode(t, err, tt.code)
		})
	}
	got := must(f.ecr.GetLifecyclePolicy(f.ctx, &ecr.GetLifecyclePolicyInput{RepositoryName: repo}))(t)
	if !strings.Contains(aws.ToString(got.LifecyclePolicyText), `"countNumber":14`) {
		t.Errorf("lifecycle %s", aws.ToString(got.LifecyclePolicyText))
	}
	must(f.ecr.DeleteLifecyclePolicy(f.ctx, &ecr.DeleteLifecyclePolicyInput{RepositoryName: repo}))(t)
	_, err = f.ecr.GetLifecyclePolicy(f.ctx, &ecr.GetLifecyclePolicyInput{RepositoryName: repo})
	localcloudtest.WantCode(t, err, "LifecyclePolicyNotFoundException")
}

func TestTagsAndAuthorization(t *testing.T) {
	f := start(t)
	arn := must(f.ecr.CreateRepository(f.ctx, &ecr.CreateRepositoryInput{RepositoryName: aws.String("web")}))(t).Repository.RepositoryArn
	tests := []struct {
		name string
		arn  string
		tags []types.Tag
		code string
	}{
		{"add", aws.ToString(arn), []types.Tag{{Key: aws.String("team"), Value: aws.String("web")}, {Key: aws.String("env"), Value: aws.String("dev")}}, ""},
		{"reserved", aws.ToString(arn), []types.Tag{{Key: aws.String("aws:x"), Value: aws.String("y")}}, "InvalidTagParameterException"},
		{"unknown repository", "arn:aws:ecr:us-east-1:000000000000:repository/ghost", []types.Tag{{Key: aws.String("a"), Value: aws.String("b")}}, "RepositoryNotFoundException"},
		{"not an ECR ARN", "arn:aws:s3:::bucket", []types.Tag{{Key: aws.String("a"), Value: aws.String("b")}}, "InvalidParameterException"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := f.ecr.TagResource(f.ctx, &ecr.TagResourceInput{ResourceArn: aws.String(tt.arn), Tags: tt.tags})
			localcloudtest.WantCode(t, err, tt.code)
		})
	}
	must(f.ecr.UntagResource(f.ctx, &ecr.UntagResourceInput{ResourceArn: arn, TagKeys: []string{"env"}}))(t)
	tags := must(f.ecr.ListTagsForResource(f.ctx, &ecr.ListTagsForResourceInput{ResourceArn: arn}))(t).Tags
	if len(tags) != 1 || aws.ToString(tags[0].Key) != "team" {
		t.Errorf("tags %+v", tags)
	}

	before := time.Now()
	auth := must(f.ecr.GetAuthorizationToken(f.ctx, &ecr.GetAuthorizationTokenInput{}))(t).AuthorizationData
	if len(auth) != 1 || aws.ToString(auth[0].ProxyEndpoint) != f.cloud.Endpoint {
		t.Fatalf("authorization %+v", auth)
	}
	if expires := auth[0].ExpiresAt.Sub(before); expires < 11*time.Hour || expires > 13*time.Hour {
		t.Errorf("token expires in %s", expires)
	}
	decoded, err := base64.StdEncoding.DecodeString(aws.ToString(auth[0].AuthorizationToken))
	user, password, ok := strings.Cut(string(decoded), ":")
	if err != nil || !ok || user != "AWS" || password == "" {
		t.Fatalf("token %q: %v", decoded, err)
	}
	ctx := localcloudtest.InRegion(f.ctx, "us-east-1")
	if valid := must(f.cloud.ECR.ValidToken(ctx, password))(t); !valid {
		t.Errorf("the token's password is not valid")
	}
	if valid := must(f.cloud.ECR.ValidToken(localcloudtest.InRegion(f.ctx, "eu-west-1"), password))(t); valid {
		t.Errorf("the token is valid in another region")
	}
	if scope, ok := ecrsvc.TokenScope(password); !ok || scope.Account != "000000000000" || scope.Region != "us-east-1" {
		t.Errorf("the password %q names scope %v, %v", password, scope, ok)
	}
}

// awsCLI runs the real AWS CLI against the cloud in us-east-1 and decodes
// its JSON output; botocore is stricter than the Go SDK about member names
// and types, so this catches shapes the SDK tests would let through.
func awsCLI(t *testing.T, endpoint string, out any, args ...string) {
	t.Helper()
	localcloudtest.MustAWSCLI(t, endpoint, "us-east-1", out, args...)
}

// TestAWSCLI reads every kind of response through the AWS CLI, whose
// botocore parser is stricter than the Go SDK (writes it need not parse go
// through the SDK: the CLI starts slowly).
func TestAWSCLI(t *testing.T) {
	f := start(t)
	endpoint := f.cloud.Endpoint
	var created struct {
		Repository struct {
			RepositoryURI string `json:"repositoryUri"`
			CreatedAt     float64
		} `json:"repository"`
	}
	awsCLI(t, endpoint, &created, "ecr", "create-repository", "--repository-name", "web", "--image-tag-mutability", "IMMUTABLE", "--tags", "Key=app,Value=web")
	if created.Repository.RepositoryURI != strings.TrimPrefix(endpoint, "http://")+"/web" {
		t.Errorf("create-repository = %+v", created)
	}
	manifest := f.image(t, "web", "v1")
	must(f.ecr.PutImage(f.ctx, &ecr.PutImageInput{RepositoryName: aws.String("web"), ImageManifest: aws.String(manifest), ImageTag: aws.String("v1")}))(t)

	var described struct {
		ImageDetails []struct {
			ImageDigest   string   `json:"imageDigest"`
			ImageTags     []string `json:"imageTags"`
			ImagePushedAt float64  `json:"imagePushedAt"`
		} `json:"imageDetails"`
	}
	awsCLI(t, endpoint, &described, "ecr", "describe-images", "--repository-name", "web")
	if len(described.ImageDetails) != 1 || described.ImageDetails[0].ImageDigest != digest([]byte(manifest)) || described.ImageDetails[0].ImagePushedAt == 0 {
		t.Errorf("describe-images = %+v", described)
	}
	var images struct {
		Images []struct {
			ImageManifest string `json:"imageManifest"`
		} `json:"images"`
	}
	awsCLI(t, endpoint, &images, "ecr", "batch-get-image", "--repository-name", "web", "--image-ids", "imageTag=v1")
	if len(images.Images) != 1 || images.Images[0].ImageManifest != manifest {
		t.Errorf("batch-get-image = %+v", images)
	}
	var repos struct {
		Repositories []struct {
			RepositoryName     string `json:"repositoryName"`
			ImageTagMutability string `json:"imageTagMutability"`
		} `json:"repositories"`
	}
	awsCLI(t, endpoint, &repos, "ecr", "describe-repositories")
	if len(repos.Repositories) != 1 || repos.Repositories[0].ImageTagMutability != "IMMUTABLE" {
		t.Errorf("describe-repositories = %+v", repos)
	}
	var auth struct {
		AuthorizationData []struct {
			AuthorizationToken string `json:"authorizationToken"`
			ProxyEndpoint      string `json:"proxyEndpoint"`
		} `json:"authorizationData"`
	}
	awsCLI(t, endpoint, &auth, "ecr", "get-authorization-token")
	if len(auth.AuthorizationData) != 1 || auth.AuthorizationData[0].AuthorizationToken == "" {
		t.Errorf("get-authorization-token = %+v", auth)
	}
	var tags struct {
		Tags []struct{ Key, Value string } `json:"tags"`
	}
	awsCLI(t, endpoint, &tags, "ecr", "list-tags-for-resource", "--resource-arn", "arn:aws:ecr:us-east-1:000000000000:repository/web")
	if len(tags.Tags) != 1 || tags.Tags[0].Value != "web" {
		t.Errorf("list-tags-for-resource = %+v", tags)
	}
}

// A lifecycle policy expires what it selects as soon as it is put and at
// every push: its rules in priority order, each image judged by the first
// rule whose tag selection matches it, a count keeping the newest pushes.
func TestLifecyclePolicyExpiresImages(t *testing.T) {
	f := start(t)
	repo := aws.String("kept")
	must(f.ecr.CreateRepository(f.ctx, &ecr.CreateRepositoryInput{RepositoryName: repo}))(t)
	push := func(tag string) {
		t.Helper()
		in := &ecr.PutImageInput{RepositoryName: repo, ImageManifest: aws.String(f.image(t, "kept", "content of "+tag))}
		if !strings.HasPrefix(tag, "untagged") {
			in.ImageTag = aws.String(tag)
		}
		must(f.ecr.PutImage(f.ctx, in))(t)
	}
	listed := func() (tags []string, untagged int) {
		t.Helper()
		for _, id := range must(f.ecr.ListImages(f.ctx, &ecr.ListImagesInput{RepositoryName: repo}))(t).ImageIds {
			if id.ImageTag == nil {
				untagged++
			} else {
				tags = append(tags, aws.ToString(id.ImageTag))
			}
		}
		slices.Sort(tags)
		return tags, untagged
	}
	for _, tag := range []string{"release-1", "release-2", "release-3", "dev-1"} {
		push(tag)
	}
	must(f.ecr.PutLifecyclePolicy(f.ctx, &ecr.PutLifecyclePolicyInput{RepositoryName: repo, LifecyclePolicyText: aws.String(`{"rules":[
		{"rulePriority":1,"selection":{"tagStatus":"tagged","tagPrefixList":["release-"],"countType":"imageCountMoreThan","countNumber":2},"action":{"type":"expire"}},
		{"rulePriority":2,"selection":{"tagStatus":"untagged","countType":"imageCountMoreThan","countNumber":1},"action":{"type":"expire"}},
		{"rulePriority":3,"selection":{"tagStatus":"any","countType":"sinceImagePushed","countUnit":"days","countNumber":30},"action":{"type":"expire"}}]}`)}))(t)
	if tags, untagged := listed(); !slices.Equal(tags, []string{"dev-1", "release-2", "release-3"}) || untagged != 0 {
		t.Fatalf("after the policy was put: tags %v, %d untagged", tags, untagged)
	}
	push("release-4")
	push("untagged-1")
	push("untagged-2")
	if tags, untagged := listed(); !slices.Equal(tags, []string{"dev-1", "release-3", "release-4"}) || untagged != 1 {
		t.Fatalf("after more pushes: tags %v, %d untagged", tags, untagged)
	}
}
