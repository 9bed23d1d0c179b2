package acm

import (
	"context"
	"crypto"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/berthdev/berth/internal/localcloud/protocol/awsjson"
	"github.com/berthdev/berth/internal/localcloud/service/acm/wire"
	"github.com/berthdev/berth/internal/localcloud/service/tagging"
	"github.com/berthdev/berth/internal/localcloud/store"
)

const (
	// publicValidity is how long ACM's public certificates are valid: 198
	// days since February 2026, under the CA/Browser Forum's 200-day limit.
	publicValidity = 198 * 24 * time.Hour
	// tokenLifetime is how long an IdempotencyToken names one request.
	tokenLifetime = time.Hour
	// defaultKeyAlgorithm is RequestCertificate's when none is named.
	defaultKeyAlgorithm = "RSA_2048"
)

// publicKeyAlgorithms are the ones ACM issues public certificates with;
// the others can only be imported.
var publicKeyAlgorithms = []string{"RSA_2048", "EC_prime256v1", "EC_secp384r1"}

// --- RequestCertificate ---

// idempotentRequest remembers what a token requested.
type idempotentRequest struct {
	ARN string    `json:"arn"`
	At  time.Time `json:"at"`
}

func (b *Backend) requestCertificate(ctx context.Context, in *wire.RequestCertificateRequest) (*wire.RequestCertificateResponse, error) {
	method := in.ValidationMethod
	if method == "" {
		method = "EMAIL" // the API's default, older than DNS validation
	}
	switch {
	case in.CertificateAuthorityArn != "":
		return nil, errInvalidParameter("The local cloud has no AWS Private CA: private certificates (CertificateAuthorityArn %s) cannot be requested.", in.CertificateAuthorityArn)
	case method == "HTTP" && in.ManagedBy != "CLOUDFRONT":
		return nil, errInvalidParameter("HTTP validation is available only for certificates managed by CloudFront.")
	}
	algorithm := in.KeyAlgorithm
	if algorithm == "" {
		algorithm = defaultKeyAlgorithm
	}
	if !slices.Contains(publicKeyAlgorithms, algorithm) {
		return nil, errInvalidParameter("Key algorithm %s is not supported for public certificates; use one of %s.", algorithm, strings.Join(publicKeyAlgorithms, ", "))
	}
	names := certificateNames(in.DomainName, in.SubjectAlternativeNames)
	validationDomains, err := emailValidationDomains(names, method, in.DomainValidationOptions)
	if err != nil {
		return nil, err
	}
	tags, err := checkTags(nil, in.Tags)
	if err != nil {
		return nil, err
	}
	options := CertificateOptions{CertificateTransparencyLoggingPreference: "ENABLED", Export: "DISABLED"}
	if in.Options != nil {
		if in.Options.CertificateTransparencyLoggingPreference != "" {
			options.CertificateTransparencyLoggingPreference = in.Options.CertificateTransparencyLoggingPreference
		}
		if in.Options.Export != "" {
			options.Export = in.Options.Export
		}
	}
	tokenKey := ""
	if in.IdempotencyToken != "" {
		tokenKey = requestKey(in, names, method, algorithm, options)
	}

	now := b.now().UTC()
	validatedAt := now.Add(time.Duration(b.delay.Load()))
	// Signing (an RSA key above all) is slow: do it outside the write
	// transaction, and throw it away if the token names an earlier request.
	certPEM, keyPEM, err := b.sign(names, algorithm, validatedAt)
	if err != nil {
		return nil, err
	}
	out := &wire.RequestCertificateResponse{}
	err = b.store.Update(ctx, func(tx *store.Tx) error {
		if tokenKey != "" {
			prior, err := store.Get[idempotentRequest](tx, tableTokens, tokenKey)
			if err != nil {
				return err
			}
			if prior != nil && now.Sub(prior.At) < tokenLifetime {
				if c, err := store.Get[Certificate](tx, tableCertificates, prior.ARN); err != nil || c != nil {
					out.CertificateArn = prior.ARN
					return err
				}
			}
		}
		c := &Certificate{
			ARN:               tx.ARN("acm", "certificate/"+store.NewUUID()),
			DomainName:        in.DomainName,
			Names:             names,
			Type:              typeAmazonIssued,
			ValidationMethod:  method,
			ValidationDomains: validationDomains,
			KeyAlgorithm:      algorithm,
			Options:           options,
			Tags:              tags,
			CreatedAt:         now,
			ValidatedAt:       validatedAt,
			CertPEM:           string(certPEM),
			ChainPEM:          string(b.ca.certPEM),
			KeyPEM:            string(keyPEM),
		}
		if tokenKey != "" {
			if err := tx.Put(tableTokens, tokenKey, idempotentRequest{ARN: c.ARN, At: now}); err != nil {
				return err
			}
		}
		out.CertificateArn = c.ARN
		return tx.Put(tableCertificates, c.ARN, c)
	})
	return out, err
}

// requestKey is the token's row: the same token with other parameters is
// another request, as ACM treats it.
func requestKey(in *wire.RequestCertificateRequest, names []string, method, algorithm string, options CertificateOptions) string {
	params, _ := json.Marshal(struct {
		Names     []string
		Method    string
		Algorithm string
		Options   CertificateOptions
		Validate  []wire.DomainValidationOption
		Tags      []wire.Tag
	}{names, method, algorithm, options, in.DomainValidationOptions, in.Tags})
	sum := sha256.Sum256(params)
	return in.IdempotencyToken + "/" + hex.EncodeToString(sum[:])
}

// sign makes a key of algorithm and a certificate for names valid from
// validatedAt, signed by the local CA. Validity starts at the day's start,
// as public CAs date theirs.
func (b *Backend) sign(names []string, algorithm string, validatedAt time.Time) (certPEM, keyPEM []byte, err error) {
	key, err := newKey(algorithm)
	if err != nil {
		return nil, nil, err
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, nil, fmt.Errorf("encoding a certificate key: %w", err)
	}
	notBefore := validatedAt.Truncate(24 * time.Hour)
	if notBefore.After(validatedAt) {
		notBefore = validatedAt
	}
	certPEM, err = b.ca.issue(names, key.Public(), notBefore, notBefore.Add(publicValidity+24*time.Hour-time.Second))
	if err != nil {
		return nil, nil, err
	}
	return certPEM, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), nil
}

// certificateNames is the domain followed by the other names, each once,
// as ACM lists SubjectAlternativeNames.
func certificateNames(domain string, sans []string) []string {
	names := []string{domain}
	for _, n := range sans {
		if !slices.ContainsFunc(names, func(have string) bool { return strings.EqualFold(have, n) }) {
			names = append(names, n)
		}
	}
	return names
}

// emailValidationDomains checks DomainValidationOptions: each names one of
// the certificate's domains and a validation domain that is it or one of
// its superdomains. EMAIL validation sends each name's emails there (the
// name itself, less a wildcard, by default).
func emailValidationDomains(names []string, method string, options []wire.DomainValidationOption) (map[string]string, error) {
	given := map[string]string{}
	for _, o := range options {
		if !slices.Contains(names, o.DomainName) {
			return nil, errDomainValidation("DomainValidationOptions contain the domain %s, which is not one of the certificate's domain names.", o.DomainName)
		}
		base := strings.TrimPrefix(o.DomainName, "*.")
		if o.ValidationDomain != base && !strings.HasSuffix(base, "."+o.ValidationDomain) {
			return nil, errDomainValidation("The validation domain %s is not %s or one of its superdomains.", o.ValidationDomain, base)
		}
		given[o.DomainName] = o.ValidationDomain
	}
	if method != "EMAIL" {
		return nil, nil
	}
	out := make(map[string]string, len(names))
	for _, n := range names {
		if d, ok := given[n]; ok {
			out[n] = d
		} else {
			out[n] = strings.TrimPrefix(n, "*.")
		}
	}
	return out, nil
}

// --- DescribeCertificate ---

func (b *Backend) describeCertificate(ctx context.Context, in *wire.DescribeCertificateRequest) (*wire.DescribeCertificateResponse, error) {
	out := &wire.DescribeCertificateResponse{}
	err := b.store.View(ctx, func(tx *store.Tx) error {
		c, err := loadCertificate(tx, in.CertificateArn)
		if err != nil {
			return err
		}
		out.Certificate, err = b.detail(c, tx.Scope().Account)
		return err
	})
	return out, err
}

// parsedCert is a stored certificate's X.509 side.
type parsedCert struct {
	x509 *x509.Certificate
}

func parseStored(c *Certificate) (*parsedCert, error) {
	block, _ := pem.Decode([]byte(c.CertPEM))
	if block == nil {
		return nil, fmt.Errorf("stored certificate %s is not PEM", c.ARN)
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("stored certificate %s: %w", c.ARN, err)
	}
	return &parsedCert{x509: cert}, nil
}

func (b *Backend) detail(c *Certificate, account string) (*wire.CertificateDetail, error) {
	parsed, err := parseStored(c)
	if err != nil {
		return nil, err
	}
	now := b.now()
	status := c.status(now, parsed)
	options := c.Options
	d := &wire.CertificateDetail{
		CertificateArn:          c.ARN,
		DomainName:              c.DomainName,
		SubjectAlternativeNames: c.Names,
		CreatedAt:               timePtr(c.CreatedAt),
		Status:                  status,
		KeyAlgorithm:            wireKeyAlgorithm(c.KeyAlgorithm),
		InUseBy:                 append([]string{}, c.InUseBy...),
		Type:                    c.Type,
		KeyUsages:               []wire.KeyUsage{},
		ExtendedKeyUsages:       []wire.ExtendedKeyUsage{},
		RenewalEligibility:      "INELIGIBLE",
		Options:                 &options,
	}
	if c.Type == typeAmazonIssued {
		d.DomainValidationOptions = c.validations(account, status != statusPending)
	}
	if status == statusPending {
		return d, nil // what issuance decides is not known yet
	}
	cert := parsed.x509
	d.Serial = colonHex(cert.SerialNumber.Bytes())
	d.Subject = cert.Subject.String()
	d.Issuer = issuerName(cert)
	d.NotBefore, d.NotAfter = timePtr(cert.NotBefore), timePtr(cert.NotAfter)
	d.SignatureAlgorithm = signatureAlgorithm(cert.SignatureAlgorithm)
	d.KeyUsages, d.ExtendedKeyUsages = keyUsages(cert), extendedKeyUsages(cert)
	switch c.Type {
	case typeImported:
		d.ImportedAt = timePtr(c.ImportedAt)
	default:
		d.IssuedAt = timePtr(c.ValidatedAt)
		if !c.RenewedAt.IsZero() {
			d.IssuedAt = timePtr(c.RenewedAt)
			d.RenewalSummary = &wire.RenewalSummary{RenewalStatus: "SUCCESS", DomainValidationOptions: d.DomainValidationOptions, UpdatedAt: timePtr(c.RenewedAt)}
		}
		// ACM renews what is in use (or exportable) by itself.
		if len(c.InUseBy) > 0 || c.exportable() {
			d.RenewalEligibility = "ELIGIBLE"
		}
	}
	return d, nil
}

// validations are the certificate's DomainValidationOptions. DNS
// validation asks for one CNAME per base domain (a wildcard shares its
// base's record); its name and value are stable per account and domain, as
// ACM's are, so a record made once validates every later request.
func (c *Certificate) validations(account string, validated bool) []wire.DomainValidation {
	status := statusPending
	if validated {
		status = "SUCCESS"
	}
	out := make([]wire.DomainValidation, 0, len(c.Names))
	for _, name := range c.Names {
		v := wire.DomainValidation{DomainName: name, ValidationStatus: status, ValidationMethod: c.ValidationMethod}
		switch c.ValidationMethod {
		case "DNS":
			v.ValidationDomain = name
			v.ResourceRecord = validationRecord(account, strings.TrimPrefix(name, "*."))
		case "EMAIL":
			domain := c.ValidationDomains[name]
			v.ValidationDomain = domain
			for _, box := range []string{"admin", "administrator", "hostmaster", "postmaster", "webmaster"} {
				v.ValidationEmails = append(v.ValidationEmails, box+"@"+domain)
			}
		}
		out = append(out, v)
	}
	return out
}

func validationRecord(account, domain string) *wire.ResourceRecord {
	name := sha256.Sum256([]byte("name\x00" + account + "\x00" + strings.ToLower(domain)))
	value := sha256.Sum256([]byte("value\x00" + account + "\x00" + strings.ToLower(domain)))
	label := make([]byte, 10)
	for i := range label {
		label[i] = 'a' + value[16+i]%26
	}
	return &wire.ResourceRecord{
		Name:  "_" + hex.EncodeToString(name[:16]) + "." + domain + ".",
		Type:  "CNAME",
		Value: "_" + hex.EncodeToString(value[:16]) + "." + string(label) + ".acm-validations.aws.",
	}
}

// wireKeyAlgorithm is how ACM's responses spell a key algorithm: with a
// dash (RSA-2048, EC-prime256v1) where requests use an underscore.
func wireKeyAlgorithm(algorithm string) string { return strings.Replace(algorithm, "_", "-", 1) }

func timePtr(t time.Time) *awsjson.Time {
	if t.IsZero() {
		return nil
	}
	v := awsjson.NewTime(t)
	return &v
}

// colonHex formats a serial number as ACM does: 0a:1b:….
func colonHex(b []byte) string {
	parts := make([]string, len(b))
	for i, x := range b {
		parts[i] = fmt.Sprintf("%02x", x)
	}
	return strings.Join(parts, ":")
}

func issuerName(cert *x509.Certificate) string {
	if len(cert.Issuer.Organization) > 0 {
		return cert.Issuer.Organization[0]
	}
	return cert.Issuer.CommonName
}

func signatureAlgorithm(a x509.SignatureAlgorithm) string {
	switch a {
	case x509.SHA256WithRSA:
		return "SHA256WITHRSA"
	case x509.SHA384WithRSA:
		return "SHA384WITHRSA"
	case x509.SHA512WithRSA:
		return "SHA512WITHRSA"
	case x509.SHA1WithRSA:
		return "SHA1WITHRSA"
	case x509.ECDSAWithSHA256:
		return "SHA256WITHECDSA"
	case x509.ECDSAWithSHA384:
		return "SHA384WITHECDSA"
	case x509.ECDSAWithSHA512:
		return "SHA512WITHECDSA"
	case x509.SHA256WithRSAPSS:
		return "SHA256WITHRSAPSS"
	}
	return strings.ToUpper(strings.ReplaceAll(a.String(), "-", ""))
}

func keyUsages(cert *x509.Certificate) []wire.KeyUsage {
	names := []struct {
		bit  x509.KeyUsage
		name string
	}{
		{x509.KeyUsageDigitalSignature, "DIGITAL_SIGNATURE"},
		{x509.KeyUsageContentCommitment, "NON_REPUDIATION"},
		{x509.KeyUsageKeyEncipherment, "KEY_ENCIPHERMENT"},
		{x509.KeyUsageDataEncipherment, "DATA_ENCIPHERMENT"},
		{x509.KeyUsageKeyAgreement, "KEY_AGREEMENT"},
		{x509.KeyUsageCertSign, "CERTIFICATE_SIGNING"},
		{x509.KeyUsageCRLSign, "CRL_SIGNING"},
		{x509.KeyUsageEncipherOnly, "ENCIPHER_ONLY"},
		{x509.KeyUsageDecipherOnly, "DECIPHER_ONLY"},
	}
	out := []wire.KeyUsage{}
	for _, n := range names {
		if cert.KeyUsage&n.bit != 0 {
			out = append(out, wire.KeyUsage{Name: n.name})
		}
	}
	return out
}

func extendedKeyUsages(cert *x509.Certificate) []wire.ExtendedKeyUsage {
	known := map[x509.ExtKeyUsage]wire.ExtendedKeyUsage{
		x509.ExtKeyUsageServerAuth:      {Name: "TLS_WEB_SERVER_AUTHENTICATION", OID: "1.3.6.1.5.5.7.3.1"},
		x509.ExtKeyUsageClientAuth:      {Name: "TLS_WEB_CLIENT_AUTHENTICATION", OID: "1.3.6.1.5.5.7.3.2"},
		x509.ExtKeyUsageCodeSigning:     {Name: "CODE_SIGNING", OID: "1.3.6.1.5.5.7.3.3"},
		x509.ExtKeyUsageEmailProtection: {Name: "EMAIL_PROTECTION", OID: "1.3.6.1.5.5.7.3.4"},
		x509.ExtKeyUsageIPSECEndSystem:  {Name: "IPSEC_END_SYSTEM", OID: "1.3.6.1.5.5.7.3.5"},
		x509.ExtKeyUsageIPSECTunnel:     {Name: "IPSEC_TUNNEL", OID: "1.3.6.1.5.5.7.3.6"},
		x509.ExtKeyUsageIPSECUser:       {Name: "IPSEC_USER", OID: "1.3.6.1.5.5.7.3.7"},
		x509.ExtKeyUsageTimeStamping:    {Name: "TIME_STAMPING", OID: "1.3.6.1.5.5.7.3.8"},
		x509.ExtKeyUsageOCSPSigning:     {Name: "OCSP_SIGNING", OID: "1.3.6.1.5.5.7.3.9"},
		x509.ExtKeyUsageAny:             {Name: "ANY", OID: "2.5.29.37.0"},
	}
	out := []wire.ExtendedKeyUsage{}
	for _, u := range cert.ExtKeyUsage {
		if k, ok := known[u]; ok {
			out = append(out, k)
		}
	}
	for _, oid := range cert.UnknownExtKeyUsage {
		out = append(out, wire.ExtendedKeyUsage{Name: "CUSTOM", OID: oid.String()})
	}
	return out
}

// --- GetCertificate ---

func (b *Backend) getCertificate(ctx context.Context, in *wire.GetCertificateRequest) (*wire.GetCertificateResponse, error) {
	out := &wire.GetCertificateResponse{}
	err := b.store.View(ctx, func(tx *store.Tx) error {
		c, err := loadCertificate(tx, in.CertificateArn)
		if err != nil {
			return err
		}
		if !c.issued(b.now()) {
			return errInProgress(c.ARN)
		}
		out.Certificate, out.CertificateChain = c.CertPEM, c.ChainPEM
		return nil
	})
	return out, err
}

// --- DeleteCertificate ---

func (b *Backend) deleteCertificate(ctx context.Context, in *wire.DeleteCertificateRequest) (*struct{}, error) {
	return nil, b.store.Update(ctx, func(tx *store.Tx) error {
		c, err := loadCertificate(tx, in.CertificateArn)
		if err != nil {
			return err
		}
		if len(c.InUseBy) > 0 {
			return errInUse(c.ARN, tx.Scope().Account)
		}
		return tx.Delete(tableCertificates, c.ARN)
	})
}

// --- RenewCertificate ---

// renewCertificate reissues an issued certificate of the local CA (new
// serial, new validity) over the same key, as a managed renewal does; an
// imported certificate is renewed by importing again.
func (b *Backend) renewCertificate(ctx context.Context, in *wire.RenewCertificateRequest) (*struct{}, error) {
	var c *Certificate
	err := b.store.View(ctx, func(tx *store.Tx) error {
		var err error
		c, err = loadCertificate(tx, in.CertificateArn)
		return err
	})
	if err != nil {
		return nil, err
	}
	now := b.now().UTC()
	switch {
	case c.Type != typeAmazonIssued:
		return nil, errValidation("Certificate %s is an imported certificate: import it again to renew it.", c.ARN)
	case !c.issued(now):
		return nil, errInProgress(c.ARN)
	}
	block, _ := pem.Decode([]byte(c.KeyPEM))
	if block == nil {
		return nil, fmt.Errorf("stored key of %s is not PEM", c.ARN)
	}
	key, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("stored key of %s: %w", c.ARN, err)
	}
	signer, ok := key.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("stored key of %s cannot sign", c.ARN)
	}
	notBefore := now.Truncate(24 * time.Hour)
	certPEM, err := b.ca.issue(c.Names, signer.Public(), notBefore, notBefore.Add(publicValidity+24*time.Hour-time.Second))
	if err != nil {
		return nil, err
	}
	return nil, b.store.Update(ctx, func(tx *store.Tx) error {
		current, err := loadCertificate(tx, c.ARN)
		if err != nil {
			return err
		}
		current.CertPEM, current.ChainPEM, current.RenewedAt = string(certPEM), string(b.ca.certPEM), now
		return tx.Put(tableCertificates, current.ARN, current)
	})
}

// --- UpdateCertificateOptions ---

func (b *Backend) updateCertificateOptions(ctx context.Context, in *wire.UpdateCertificateOptionsRequest) (*struct{}, error) {
	requested := CertificateOptions{}
	if in.Options != nil {
		requested = *in.Options
	}
	return nil, b.store.Update(ctx, func(tx *store.Tx) error {
		c, err := loadCertificate(tx, in.CertificateArn)
		if err != nil {
			return err
		}
		switch {
		case c.Type == typeImported:
			return errInvalidState("Certificate %s is an imported certificate: its options cannot be updated.", c.ARN)
		case requested.Export != "" && requested.Export != c.Options.Export:
			return errInvalidParameter("The Export option of certificate %s is set when it is requested and cannot be changed.", c.ARN)
		}
		if p := requested.CertificateTransparencyLoggingPreference; p != "" {
			c.Options.CertificateTransparencyLoggingPreference = p
		}
		return tx.Put(tableCertificates, c.ARN, c)
	})
}

// --- ResendValidationEmail ---

// resendValidationEmail sends nothing (there is no mail locally) but
// checks what ACM checks.
func (b *Backend) resendValidationEmail(ctx context.Context, in *wire.ResendValidationEmailRequest) (*struct{}, error) {
	return nil, b.store.View(ctx, func(tx *store.Tx) error {
		c, err := loadCertificate(tx, in.CertificateArn)
		if err != nil {
			return err
		}
		if c.Type != typeAmazonIssued || c.ValidationMethod != "EMAIL" || c.issued(b.now()) {
			return errInvalidState("Certificate %s is not pending email validation.", c.ARN)
		}
		domain, ok := c.ValidationDomains[in.Domain]
		if !ok {
			return errDomainValidation("The domain %s is not one of the domain names of certificate %s.", in.Domain, c.ARN)
		}
		if in.ValidationDomain != domain {
			return errDomainValidation("The validation domain %s is not the one the certificate validates %s with (%s).", in.ValidationDomain, in.Domain, domain)
		}
		return nil
	})
}

// checkTags validates tags about to be set over existing ones and returns
// the result.
func checkTags(existing []tagging.Tag, added []wire.Tag) ([]tagging.Tag, error) {
	tags := fromWire(added)
	if err := acmTagRules.Check(existing, tags); err != nil {
		if v, ok := err.(*tagging.Violation); ok && v.TooMany {
			return nil, errTooManyTags(v.Message)
		}
		return nil, errInvalidTag(err.Error())
	}
	return tagging.Merge(existing, tags), nil
}
