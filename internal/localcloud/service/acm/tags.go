package acm

import (
	"context"
	"slices"

	"github.com/berthdev/berth/internal/localcloud/service/acm/wire"
	"github.com/berthdev/berth/internal/localcloud/service/tagging"
	"github.com/berthdev/berth/internal/localcloud/store"
)

// acmTagRules are AWS's common limits: 50 tags, aws: reserved.
var acmTagRules = tagging.Common

// fromWire converts wire tags; an absent value is an empty one, which is
// how ACM lists it back (without a Value).
func fromWire(tags []wire.Tag) []tagging.Tag {
	out := make([]tagging.Tag, 0, len(tags))
	for _, t := range tags {
		v := ""
		if t.Value != nil {
			v = *t.Value
		}
		out = append(out, tagging.Tag{Key: t.Key, Value: v})
	}
	return out
}

func toWire(tags []tagging.Tag) []wire.Tag {
	out := make([]wire.Tag, 0, len(tags))
	for _, t := range tags {
		w := wire.Tag{Key: t.Key}
		if t.Value != "" {
			v := t.Value
			w.Value = &v
		}
		out = append(out, w)
	}
	return out
}

func (b *Backend) addTagsToCertificate(ctx context.Context, in *wire.AddTagsToCertificateRequest) (*struct{}, error) {
	return nil, b.store.Update(ctx, func(tx *store.Tx) error {
		c, err := loadCertificate(tx, in.CertificateArn)
		if err != nil {
			return err
		}
		if c.Tags, err = checkTags(c.Tags, in.Tags); err != nil {
			return err
		}
		return tx.Put(tableCertificates, c.ARN, c)
	})
}

// removeTagsFromCertificate drops each named tag; one given with a value
// goes only if its value is that, as ACM does.
func (b *Backend) removeTagsFromCertificate(ctx context.Context, in *wire.RemoveTagsFromCertificateRequest) (*struct{}, error) {
	return nil, b.store.Update(ctx, func(tx *store.Tx) error {
		c, err := loadCertificate(tx, in.CertificateArn)
		if err != nil {
			return err
		}
		if err := acmTagRules.Check(nil, fromWire(in.Tags)); err != nil {
			return errInvalidTag(err.Error())
		}
		var keys []string
		for _, t := range in.Tags {
			i := slices.IndexFunc(c.Tags, func(have tagging.Tag) bool { return have.Key == t.Key })
			if i >= 0 && (t.Value == nil || *t.Value == c.Tags[i].Value) {
				keys = append(keys, t.Key)
			}
		}
		if len(keys) == 0 {
			return nil
		}
		c.Tags = tagging.Remove(c.Tags, keys)
		return tx.Put(tableCertificates, c.ARN, c)
	})
}

func (b *Backend) listTagsForCertificate(ctx context.Context, in *wire.ListTagsForCertificateRequest) (*wire.ListTagsForCertificateResponse, error) {
	out := &wire.ListTagsForCertificateResponse{}
	err := b.store.View(ctx, func(tx *store.Tx) error {
		c, err := loadCertificate(tx, in.CertificateArn)
		if err != nil {
			return err
		}
		out.Tags = toWire(c.Tags)
		return nil
	})
	return out, err
}
