package acm

import (
	"context"

	"github.com/berthdev/berth/internal/localcloud/service/acm/wire"
	"github.com/berthdev/berth/internal/localcloud/store"
)

// defaultDaysBeforeExpiry is when ACM starts its expiry events unless the
// account configuration says otherwise.
const defaultDaysBeforeExpiry = 45

const maxDaysBeforeExpiry = 90

// accountConfiguration is the account's configuration as it is stored and
// answered.
type accountConfiguration = wire.GetAccountConfigurationResponse

func (b *Backend) getAccountConfiguration(ctx context.Context, _ *struct{}) (*accountConfiguration, error) {
	days := defaultDaysBeforeExpiry
	out := &accountConfiguration{ExpiryEvents: &wire.ExpiryEventsConfiguration{DaysBeforeExpiry: &days}}
	err := b.store.View(ctx, func(tx *store.Tx) error {
		stored, err := store.Get[accountConfiguration](tx, tableAccount, "configuration")
		if err == nil && stored != nil {
			out = stored
		}
		return err
	})
	return out, err
}

func (b *Backend) putAccountConfiguration(ctx context.Context, in *wire.PutAccountConfigurationRequest) (*struct{}, error) {
	if in.ExpiryEvents == nil || in.ExpiryEvents.DaysBeforeExpiry == nil {
		return nil, nil // nothing to change
	}
	if days := *in.ExpiryEvents.DaysBeforeExpiry; days < 1 || days > maxDaysBeforeExpiry {
		return nil, errValidation("DaysBeforeExpiry must be between 1 and %d; %d is not.", maxDaysBeforeExpiry, days)
	}
	return nil, b.store.Update(ctx, func(tx *store.Tx) error {
		return tx.Put(tableAccount, "configuration", accountConfiguration{ExpiryEvents: in.ExpiryEvents})
	})
}
