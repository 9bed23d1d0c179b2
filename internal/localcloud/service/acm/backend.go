// Package acm is the local cloud's AWS Certificate Manager: certificates
// requested from it are really issued, by a local certificate authority
// whose root is written to the state directory, so that the local load
// balancers' HTTPS listeners can serve them and clients that trust the root
// accept them; imported certificates are parsed and checked as ACM does.
// Private keys stay in the store: the API hands them out only where AWS
// does (ExportCertificate of an exportable certificate), and the load
// balancer reads them through KeyPair.
package acm

import (
	"context"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/berthdev/berth/internal/localcloud/protocol"
	"github.com/berthdev/berth/internal/localcloud/protocol/awsjson"
	"github.com/berthdev/berth/internal/localcloud/service/acm/wire"
	"github.com/berthdev/berth/internal/localcloud/service/tagging"
	"github.com/berthdev/berth/internal/localcloud/store"
)

const (
	tableCertificates = "acm/certificates" // by ARN
	tableTokens       = "acm/idempotency"  // by token and parameters
	tableAccount      = "acm/account"      // one row: the account configuration
)

// defaultValidationDelay is how long a requested certificate stays
// PENDING_VALIDATION. AWS validates once the DNS record (or the approval
// email) exists; the local cloud has no DNS, so it validates on its own,
// shortly, and callers still see the pending state AWS shows first.
//
// The transition is evaluated lazily, from the clock, by whoever reads the
// certificate, rather than by a controller pass: it then happens the same
// with or without a data plane running (a control-plane-only cloud, a
// test), survives restarts without a write, and keeps reads read-only.
const defaultValidationDelay = time.Second

// Options configure the backend.
type Options struct {
	// CADir keeps the local root CA (root.pem, root-key.pem) across
	// restarts; "" keeps a root in memory for the life of the backend.
	CADir string
}

// Backend holds ACM's state in the store and its rules.
type Backend struct {
	store *store.Store
	ca    *authority
	now   func() time.Time
	delay atomic.Int64 // the validation delay, in nanoseconds
}

// New returns the service's backend over st, with the local CA opened (made
// on first use) in opts.CADir.
func New(st *store.Store, opts Options) (*Backend, error) {
	ca, err := openAuthority(opts.CADir)
	if err != nil {
		return nil, err
	}
	b := &Backend{store: st, ca: ca, now: time.Now}
	b.delay.Store(int64(defaultValidationDelay))
	return b, nil
}

// SetValidationDelay changes how long certificates requested from now on
// stay PENDING_VALIDATION (tests that look at the pending state make it
// long).
func (b *Backend) SetValidationDelay(d time.Duration) { b.delay.Store(int64(d)) }

// RootCAPEM is the local root CA's certificate, which clients trust to
// accept the certificates this backend issues.
func (b *Backend) RootCAPEM() []byte { return slices.Clone(b.ca.certPEM) }

// RootCAPath is the file RootCAPEM is written to, "" when the root lives in
// memory (an ephemeral cloud).
func (b *Backend) RootCAPath() string { return b.ca.path }

// Service returns ACM's operation table for the router.
func (b *Backend) Service() *protocol.Service {
	return &protocol.Service{
		SigningName:  "acm",
		TargetPrefix: "CertificateManager",
		Codec:        awsjson.Codec{},
		Operations: []protocol.Operation{
			protocol.Op("RequestCertificate", b.requestCertificate),
			protocol.Op("DescribeCertificate", b.describeCertificate),
			protocol.Op("ListCertificates", b.listCertificates),
			protocol.Op("GetCertificate", b.getCertificate),
			protocol.Op("ExportCertificate", b.exportCertificate),
			protocol.Op("ImportCertificate", b.importCertificate),
			protocol.Op("DeleteCertificate", b.deleteCertificate),
			protocol.Op("RenewCertificate", b.renewCertificate),
			protocol.Op("UpdateCertificateOptions", b.updateCertificateOptions),
			protocol.Op("ResendValidationEmail", b.resendValidationEmail),
			protocol.Op("AddTagsToCertificate", b.addTagsToCertificate),
			protocol.Op("RemoveTagsFromCertificate", b.removeTagsFromCertificate),
			protocol.Op("ListTagsForCertificate", b.listTagsForCertificate),
			protocol.Op("GetAccountConfiguration", b.getAccountConfiguration),
			protocol.Op("PutAccountConfiguration", b.putAccountConfiguration),
		},
	}
}

// Certificate types and statuses.
const (
	typeAmazonIssued = "AMAZON_ISSUED"
	typeImported     = "IMPORTED"

	statusPending = "PENDING_VALIDATION"
	statusIssued  = "ISSUED"
	statusExpired = "EXPIRED"
)

// Certificate is a stored certificate. A requested one is signed when it is
// requested, with its validity starting when its validation completes
// (ValidatedAt): its status follows from the clock, so no controller has to
// run for it to be issued and a restart loses nothing.
type Certificate struct {
	ARN        string   `json:"arn"`
	DomainName string   `json:"domainName"`
	Names      []string `json:"names"` // the subject alternative names, DomainName first
	Type       string   `json:"type"`
	// ValidationMethod is DNS or EMAIL for a requested certificate.
	ValidationMethod string `json:"validationMethod,omitempty"`
	// ValidationDomains maps each name to the domain its approval emails
	// go to (EMAIL validation).
	ValidationDomains map[string]string  `json:"validationDomains,omitempty"`
	KeyAlgorithm      string             `json:"keyAlgorithm"` // RSA_2048, EC_prime256v1, …
	Options           CertificateOptions `json:"options"`
	Tags              []tagging.Tag      `json:"tags,omitempty"`
	CreatedAt         time.Time          `json:"createdAt"`
	ValidatedAt       time.Time          `json:"validatedAt,omitzero"`
	ImportedAt        time.Time          `json:"importedAt,omitzero"`
	RenewedAt         time.Time          `json:"renewedAt,omitzero"`
	CertPEM           string             `json:"certPEM"`
	ChainPEM          string             `json:"chainPEM,omitempty"`
	KeyPEM            string             `json:"keyPEM"`
	InUseBy           []string           `json:"inUseBy,omitempty"`
	Exported          bool               `json:"exported,omitempty"`
}

// CertificateOptions are a certificate's options, kept as the wire shape.
type CertificateOptions = wire.CertificateOptions

// status is the certificate's status at now.
func (c *Certificate) status(now time.Time, cert *parsedCert) string {
	if c.Type == typeAmazonIssued && now.Before(c.ValidatedAt) {
		return statusPending
	}
	if cert != nil && now.After(cert.x509.NotAfter) {
		return statusExpired
	}
	return statusIssued
}

// issued reports whether the certificate can be handed out at now.
func (c *Certificate) issued(now time.Time) bool {
	return c.Type != typeAmazonIssued || !now.Before(c.ValidatedAt)
}

// exportable reports whether ExportCertificate may hand out the key: AWS
// exports private certificates and public ones requested with the Export
// option; the local cloud issues no private ones.
func (c *Certificate) exportable() bool {
	return c.Type == typeAmazonIssued && c.Options.Export == "ENABLED"
}

// loadCertificate returns the certificate an ARN names in tx's scope, or
// ACM's error for a malformed or unknown ARN.
func loadCertificate(tx *store.Tx, arn string) (*Certificate, error) {
	if err := checkARN(arn); err != nil {
		return nil, err
	}
	c, err := store.Get[Certificate](tx, tableCertificates, arn)
	if err != nil {
		return nil, err
	}
	if c == nil {
		return nil, errNotFound(arn, tx.Scope().Account)
	}
	return c, nil
}

// checkARN refuses what is not a certificate ARN; an ARN of another region
// or account is well formed and simply not found there.
func checkARN(arn string) error {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[2] != "acm" || !strings.HasPrefix(parts[5], "certificate/") || len(parts[5]) == len("certificate/") {
		return errInvalidARN(arn)
	}
	return nil
}

// KeyPair returns the PEM certificate, chain and private key of an issued
// certificate in ctx's scope, for the load balancer's HTTPS listeners. A
// certificate still pending validation is ACM's RequestInProgressException.
func (b *Backend) KeyPair(ctx context.Context, arn string) (certPEM, chainPEM, keyPEM []byte, err error) {
	err = b.store.View(ctx, func(tx *store.Tx) error {
		c, err := loadCertificate(tx, arn)
		if err != nil {
			return err
		}
		if !c.issued(b.now()) {
			return errInProgress(arn)
		}
		certPEM, chainPEM, keyPEM = []byte(c.CertPEM), []byte(c.ChainPEM), []byte(c.KeyPEM)
		return nil
	})
	return certPEM, chainPEM, keyPEM, err
}

// SetInUse records the resources (load balancer ARNs) that use a
// certificate, replacing what was recorded: DescribeCertificate lists them
// in InUseBy and DeleteCertificate refuses while there are any. The
// controller calls it as HTTPS listeners take up and drop certificates.
func (b *Backend) SetInUse(ctx context.Context, arn string, users []string) error {
	users = slices.Clone(users)
	slices.Sort(users)
	users = slices.Compact(users)
	return b.store.Update(ctx, func(tx *store.Tx) error {
		c, err := loadCertificate(tx, arn)
		if err != nil {
			return err
		}
		if slices.Equal(c.InUseBy, users) {
			return nil
		}
		c.InUseBy = users
		if len(users) == 0 {
			c.InUseBy = nil
		}
		return tx.Put(tableCertificates, c.ARN, c)
	})
}

// flag is a boolean ACM always answers, false included.
func flag(v bool) *bool { return &v }
