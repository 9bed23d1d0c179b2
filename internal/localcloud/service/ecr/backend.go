// Package ecr is the local cloud's Elastic Container Registry control plane.
package ecr

import (
	"time"

	"github.com/berthdev/berth/internal/localcloud/protocol"
	"github.com/berthdev/berth/internal/localcloud/protocol/awsjson"
	"github.com/berthdev/berth/internal/localcloud/store"
)

// Backend holds the registry's state in the store and its rules.
type Backend struct {
	store *store.Store
	now   func() time.Time
}

// New returns the service's backend over st.
func New(st *store.Store) *Backend { return &Backend{store: st, now: time.Now} }

// Service returns ECR's operation table for the router.
func (b *Backend) Service() *protocol.Service {
	return &protocol.Service{SigningName: "ecr", TargetPrefix: "AmazonEC2ContainerRegistry_V20150921", Codec: awsjson.Codec{}}
}
