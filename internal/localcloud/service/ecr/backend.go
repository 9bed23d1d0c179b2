// Package ecr is the local cloud's Elastic Container Registry control plane:
// repositories with their settings, policies and tags, images (manifests by
// digest, with their tags), layer uploads and authorization tokens, kept in
// the store and served over awsJson 1.1.
//
// Registry addresses. A repository's URI is AWS's,
// <account>.dkr.ecr.<region>.amazonaws.com/<name>, unless RegistryHost says
// otherwise. The local cloud sets it to its endpoint's 127.0.0.1:<port>,
// where internal/localcloud/registry serves the OCI distribution API that
// `docker push` and `docker pull` speak over this package's layers,
// uploads and images (registry.go): Docker treats a registry on
// 127.0.0.0/8 as insecure and talks plain HTTP to it without
// configuration. That host carries no account or region, so
// GetAuthorizationToken's passwords name the scope they were issued in
// (TokenScope) and are checked with ValidToken.
package ecr

import (
	"context"
	"time"

	"github.com/berthdev/berth/internal/localcloud/protocol"
	"github.com/berthdev/berth/internal/localcloud/protocol/awsjson"
	"github.com/berthdev/berth/internal/localcloud/store"
)

// Tables, named "<service>/<kind>".
const (
	tableRepositories = "ecr/repositories" // by repository name
	tableImages       = "ecr/images"       // by repository name + "|" + manifest digest
	tableLayers       = "ecr/layers"       // by repository name + "|" + layer digest
	tableBlobs        = "ecr/blobs"        // by layer digest: the bytes, shared by repositories
	tableUploads      = "ecr/uploads"      // by upload id
	tableUploadParts  = "ecr/upload-parts" // by upload id + "|" + first byte (zero-padded)
	tableTokens       = "ecr/tokens"       // by authorization token password
)

// Backend holds the registry's state in the store and its rules.
type Backend struct {
	store *store.Store
	now   func() time.Time

	// RegistryHost returns the registry host name of an account's registry
	// in a region; nil means AWS's <account>.dkr.ecr.<region>.amazonaws.com
	// (see the package comment).
	RegistryHost func(account, region string) string
	// Endpoint returns the local cloud's URL; GetDownloadUrlForLayer's
	// URLs are served under it (see LayerHandler).
	Endpoint func() string
}

// New returns the service's backend over st.
func New(st *store.Store) *Backend { return &Backend{store: st, now: time.Now} }

// Service returns ECR's operation table for the router.
func (b *Backend) Service() *protocol.Service {
	return &protocol.Service{
		SigningName:  "ecr",
		TargetPrefix: "AmazonEC2ContainerRegistry_V20150921",
		Codec:        awsjson.Codec{},
		Operations: []protocol.Operation{
			protocol.Op("CreateRepository", b.createRepository),
			protocol.Op("DescribeRepositories", b.describeRepositories),
			protocol.Op("DeleteRepository", b.deleteRepository),
			protocol.Op("PutImageTagMutability", b.putImageTagMutability),
			protocol.Op("PutImageScanningConfiguration", b.putImageScanningConfiguration),
			protocol.Op("SetRepositoryPolicy", b.setRepositoryPolicy),
			protocol.Op("GetRepositoryPolicy", b.getRepositoryPolicy),
			protocol.Op("DeleteRepositoryPolicy", b.deleteRepositoryPolicy),
			protocol.Op("PutLifecyclePolicy", b.putLifecyclePolicy),
			protocol.Op("GetLifecyclePolicy", b.getLifecyclePolicy),
			protocol.Op("DeleteLifecyclePolicy", b.deleteLifecyclePolicy),
			protocol.Op("PutImage", b.putImage),
			protocol.Op("BatchGetImage", b.batchGetImage),
			protocol.Op("BatchDeleteImage", b.batchDeleteImage),
			protocol.Op("ListImages", b.listImages),
			protocol.Op("DescribeImages", b.describeImages),
			protocol.Op("InitiateLayerUpload", b.initiateLayerUpload),
			protocol.Op("UploadLayerPart", b.uploadLayerPart),
			protocol.Op("CompleteLayerUpload", b.completeLayerUpload),
			protocol.Op("BatchCheckLayerAvailability", b.batchCheckLayerAvailability),
			protocol.Op("GetDownloadUrlForLayer", b.getDownloadURLForLayer),
			protocol.Op("GetAuthorizationToken", b.getAuthorizationToken),
			protocol.Op("DescribeRegistry", b.describeRegistry),
			protocol.Op("TagResource", b.tagResource),
			protocol.Op("UntagResource", b.untagResource),
			protocol.Op("ListTagsForResource", b.listTagsForResource),
		},
	}
}

func (b *Backend) clock() time.Time { return b.now().UTC().Truncate(time.Millisecond) }

// host is the registry host of scope's account and region.
func (b *Backend) host(scope store.Scope) string {
	if b.RegistryHost != nil {
		if host := b.RegistryHost(scope.Account, scope.Region); host != "" {
			return host
		}
	}
	return scope.Account + ".dkr.ecr." + scope.Region + ".amazonaws.com"
}

// scopeOf is the scope a call acts in (the router always sets one).
func scopeOf(ctx context.Context) store.Scope {
	scope, _ := store.ScopeFrom(ctx)
	return scope
}
