package ec2

import (
	"github.com/berthdev/berth/internal/localcloud/protocol"
	"github.com/berthdev/berth/internal/localcloud/store"
)

// Backend holds the service's state in the store and its domain rules.
type Backend struct {
	store *store.Store
}

// New returns the service's backend over st.
func New(st *store.Store) *Backend {
	return &Backend{store: st}
}

// Service returns the service's operation table for the router.
func (b *Backend) Service() *protocol.Service {
	return &protocol.Service{}
}
