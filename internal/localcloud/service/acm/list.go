package acm

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/berthdev/berth/internal/localcloud/service/acm/wire"
	"github.com/berthdev/berth/internal/localcloud/service/paging"
	"github.com/berthdev/berth/internal/localcloud/store"
)

// defaultKeyTypes are the key algorithms ListCertificates returns unless
// Includes names others: ACM's default, which hides ECDSA certificates from
// callers that do not ask for them.
var defaultKeyTypes = []string{"RSA_1024", "RSA_2048"}

// maxSummaryNames is how many names a summary lists before it says there
// are more.
const maxSummaryNames = 100

func (b *Backend) listCertificates(ctx context.Context, in *wire.ListCertificatesRequest) (*wire.ListCertificatesResponse, error) {
	limit, err := paging.Size(in.MaxItems, 0, 1, 1000)
	if err != nil {
		return nil, errValidation("1 validation error detected: Value '%d' at 'maxItems' failed to satisfy constraint: Member must have value between 1 and 1000", *in.MaxItems)
	}
	keyTypes := defaultKeyTypes
	if in.Includes != nil && len(in.Includes.KeyTypes) > 0 {
		keyTypes = in.Includes.KeyTypes
	}
	var summaries []wire.CertificateSummary
	err = b.store.View(ctx, func(tx *store.Tx) error {
		all, err := store.List[Certificate](tx, tableCertificates)
		if err != nil {
			return err
		}
		for _, c := range all {
			s, err := b.summary(c, tx.Scope().Account)
			if err != nil {
				return err
			}
			if matches(s, c, in, keyTypes) {
				summaries = append(summaries, *s)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	key := func(s wire.CertificateSummary) string { return s.CertificateArn }
	if in.SortBy == "CREATED_AT" {
		descending := in.SortOrder == "DESCENDING"
		key = func(s wire.CertificateSummary) string {
			at := s.CreatedAt.Time().UnixNano()
			if descending {
				at = math.MaxInt64 - at
			}
			return fmt.Sprintf("%020d/%s", at, s.CertificateArn)
		}
	}
	page, next, err := paging.Page(summaries, key, in.NextToken, limit)
	if errors.Is(err, paging.ErrBadToken) {
		return nil, errInvalidArgs("The NextToken %s is not valid.", in.NextToken)
	}
	return &wire.ListCertificatesResponse{NextToken: next, CertificateSummaryList: page}, err
}

func matches(s *wire.CertificateSummary, c *Certificate, in *wire.ListCertificatesRequest, keyTypes []string) bool {
	if len(in.CertificateStatuses) > 0 && !slices.Contains(in.CertificateStatuses, s.Status) {
		return false
	}
	if !slices.Contains(keyTypes, c.KeyAlgorithm) {
		return false
	}
	f := in.Includes
	if f == nil {
		return true
	}
	if f.ExportOption != "" && f.ExportOption != c.Options.Export {
		return false
	}
	if f.ManagedBy != "" {
		return false // the local cloud has no CloudFront-managed certificates
	}
	for _, u := range f.KeyUsage {
		if u != "ANY" && !slices.Contains(s.KeyUsages, u) {
			return false
		}
	}
	for _, u := range f.ExtendedKeyUsage {
		if u != "ANY" && !slices.Contains(s.ExtendedKeyUsages, u) && !(u == "NONE" && len(s.ExtendedKeyUsages) == 0) {
			return false
		}
	}
	return true
}

func (b *Backend) summary(c *Certificate, account string) (*wire.CertificateSummary, error) {
	d, err := b.detail(c, account)
	if err != nil {
		return nil, err
	}
	names := d.SubjectAlternativeNames
	s := &wire.CertificateSummary{
		CertificateArn:                       d.CertificateArn,
		DomainName:                           d.DomainName,
		SubjectAlternativeNameSummaries:      names[:min(len(names), maxSummaryNames)],
		HasAdditionalSubjectAlternativeNames: flag(len(names) > maxSummaryNames),
		Status:                               d.Status,
		Type:                                 d.Type,
		KeyAlgorithm:                         d.KeyAlgorithm,
		KeyUsages:                            []string{},
		ExtendedKeyUsages:                    []string{},
		ExportOption:                         c.Options.Export,
		InUse:                                flag(len(c.InUseBy) > 0),
		Exported:                             flag(c.Exported),
		RenewalEligibility:                   d.RenewalEligibility,
		NotBefore:                            d.NotBefore,
		NotAfter:                             d.NotAfter,
		CreatedAt:                            d.CreatedAt,
		IssuedAt:                             d.IssuedAt,
		ImportedAt:                           d.ImportedAt,
	}
	for _, u := range d.KeyUsages {
		s.KeyUsages = append(s.KeyUsages, u.Name)
	}
	for _, u := range d.ExtendedKeyUsages {
		s.ExtendedKeyUsages = append(s.ExtendedKeyUsages, u.Name)
	}
	return s, nil
}
