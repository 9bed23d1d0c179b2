package ec2

import (
	"context"

	"github.com/berthdev/berth/internal/localcloud/store"
)

// VPCExists reports whether the VPC exists in the scope ctx carries: other
// services (ELBv2's target groups) check the VPCs they are given, as AWS's
// do.
func (b *Backend) VPCExists(ctx context.Context, id string) (bool, error) {
	var found bool
	err := b.store.View(ctx, func(tx *store.Tx) error {
		vpc, err := store.Get[Vpc](tx, tableVpcs, id)
		found = vpc != nil
		return err
	})
	return found, err
}
