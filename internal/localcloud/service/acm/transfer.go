package acm

import (
	"bytes"
	"context"
	"crypto"
	"crypto/aes"
	"crypto/cipher"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"fmt"

	"github.com/berthdev/berth/internal/localcloud/service/acm/wire"
	"github.com/berthdev/berth/internal/localcloud/store"
)

// --- ImportCertificate ---

// importCertificate checks what ACM checks of an imported certificate (one
// PEM certificate, valid now, with a supported key that matches the private
// key; a parseable chain) and stores it, new or over the imported
// certificate an ARN names.
func (b *Backend) importCertificate(ctx context.Context, in *wire.ImportCertificateRequest) (*wire.ImportCertificateResponse, error) {
	cert, err := parseCertificateBody(in.Certificate)
	if err != nil {
		return nil, err
	}
	now := b.now().UTC()
	switch {
	case now.Before(cert.NotBefore):
		return nil, errValidation("The certificate is not yet valid: it is valid from %s.", cert.NotBefore.UTC().Format("2006-01-02T15:04:05Z"))
	case now.After(cert.NotAfter):
		return nil, errValidation("The certificate has expired: it was valid until %s.", cert.NotAfter.UTC().Format("2006-01-02T15:04:05Z"))
	}
	algorithm := keyAlgorithm(cert.PublicKey)
	if algorithm == "" {
		return nil, errValidation("The certificate's public key algorithm is not supported: ACM imports RSA keys of 1024, 2048, 3072 or 4096 bits and ECDSA keys on P-256, P-384 or P-521.")
	}
	key, keyPEM, err := parsePrivateKey(in.PrivateKey)
	if err != nil {
		return nil, err
	}
	if !publicKeysEqual(key.Public(), cert.PublicKey) {
		return nil, errValidation("The private key does not match the public key in the certificate.")
	}
	chainPEM, err := parseChain(in.CertificateChain)
	if err != nil {
		return nil, err
	}
	domain, names := certificateDomain(cert)
	if domain == "" {
		return nil, errValidation("The certificate names no domain: it has no subject common name and no DNS subject alternative name.")
	}
	if in.CertificateArn != "" && len(in.Tags) > 0 {
		return nil, errInvalidParameter("Tags cannot be applied when reimporting a certificate.")
	}
	tags, err := checkTags(nil, in.Tags)
	if err != nil {
		return nil, err
	}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw})
	out := &wire.ImportCertificateResponse{}
	err = b.store.Update(ctx, func(tx *store.Tx) error {
		c := &Certificate{ARN: tx.ARN("acm", "certificate/"+store.NewUUID()), Type: typeImported, CreatedAt: now, Tags: tags}
		if in.CertificateArn != "" {
			if err := checkARN(in.CertificateArn); err != nil {
				return err
			}
			existing, err := store.Get[Certificate](tx, tableCertificates, in.CertificateArn)
			if err != nil {
				return err
			}
			if existing == nil {
				return errNotFound(in.CertificateArn, tx.Scope().Account)
			}
			if existing.Type != typeImported {
				return errValidation("Certificate %s was not imported: only an imported certificate can be reimported.", existing.ARN)
			}
			c = existing
		}
		c.DomainName, c.Names, c.KeyAlgorithm = domain, names, algorithm
		c.CertPEM, c.ChainPEM, c.KeyPEM, c.ImportedAt = string(certPEM), string(chainPEM), string(keyPEM), now
		out.CertificateArn = c.ARN
		return tx.Put(tableCertificates, c.ARN, c)
	})
	return out, err
}

func parseCertificateBody(body []byte) (*x509.Certificate, error) {
	blocks := pemBlocks(body)
	switch {
	case len(blocks) == 0 || blocks[0].Type != "CERTIFICATE":
		return nil, errValidation("Unable to parse certificate. Please ensure the certificate is in PEM format.")
	case len(blocks) > 1:
		return nil, errValidation("The certificate field contains more than one certificate. You can specify only one certificate in this field.")
	}
	cert, err := x509.ParseCertificate(blocks[0].Bytes)
	if err != nil {
		return nil, errValidation("Unable to parse certificate. Please ensure the certificate is in PEM format.")
	}
	return cert, nil
}

// parsePrivateKey reads a PEM key in PKCS#1, SEC 1 or PKCS#8 form and
// returns it with its PKCS#8 PEM, the one form the store keeps.
func parsePrivateKey(body []byte) (crypto.Signer, []byte, error) {
	blocks := pemBlocks(body)
	if len(blocks) == 0 {
		return nil, nil, errValidation("Unable to parse the private key. Please ensure the private key is in PEM format.")
	}
	block := blocks[len(blocks)-1] // openssl may put EC PARAMETERS first
	if block.Type == "ENCRYPTED PRIVATE KEY" || block.Headers["Proc-Type"] != "" {
		return nil, nil, errValidation("The private key is encrypted: ACM imports unencrypted private keys only.")
	}
	var key any
	var err error
	switch block.Type {
	case "RSA PRIVATE KEY":
		key, err = x509.ParsePKCS1PrivateKey(block.Bytes)
	case "EC PRIVATE KEY":
		key, err = x509.ParseECPrivateKey(block.Bytes)
	case "PRIVATE KEY":
		key, err = x509.ParsePKCS8PrivateKey(block.Bytes)
	default:
		err = fmt.Errorf("PEM block %s", block.Type)
	}
	if err != nil {
		return nil, nil, errValidation("Unable to parse the private key. Please ensure the private key is in PEM format.")
	}
	signer, ok := key.(crypto.Signer)
	if !ok || keyAlgorithm(signer.Public()) == "" {
		return nil, nil, errValidation("The private key is not supported: ACM imports RSA keys of 1024, 2048, 3072 or 4096 bits and ECDSA keys on P-256, P-384 or P-521.")
	}
	der, err := x509.MarshalPKCS8PrivateKey(signer)
	if err != nil {
		return nil, nil, fmt.Errorf("encoding an imported key: %w", err)
	}
	return signer, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

// parseChain checks every certificate of a chain and returns it re-encoded
// (no stray text between blocks).
func parseChain(body []byte) ([]byte, error) {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, nil
	}
	blocks := pemBlocks(body)
	if len(blocks) == 0 {
		return nil, errValidation("Unable to parse the certificate chain. Please ensure the chain is in PEM format.")
	}
	var out []byte
	for _, block := range blocks {
		if block.Type != "CERTIFICATE" {
			return nil, errValidation("The certificate chain contains a %s block: it can contain certificates only.", block.Type)
		}
		if _, err := x509.ParseCertificate(block.Bytes); err != nil {
			return nil, errValidation("Unable to parse the certificate chain. Please ensure the chain is in PEM format.")
		}
		out = append(out, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: block.Bytes})...)
	}
	return out, nil
}

func pemBlocks(body []byte) []*pem.Block {
	var blocks []*pem.Block
	for {
		var block *pem.Block
		block, body = pem.Decode(body)
		if block == nil {
			return blocks
		}
		blocks = append(blocks, block)
	}
}

// certificateDomain is the domain ACM lists for a certificate (its common
// name, else its first DNS name) and every name it covers.
func certificateDomain(cert *x509.Certificate) (string, []string) {
	domain := cert.Subject.CommonName
	if domain == "" && len(cert.DNSNames) > 0 {
		domain = cert.DNSNames[0]
	}
	if domain == "" {
		return "", nil
	}
	return domain, certificateNames(domain, cert.DNSNames)
}

// --- ExportCertificate ---

// exportCertificate hands out a certificate with its key encrypted under
// the passphrase (PKCS#8, PBES2 with PBKDF2-SHA256 and AES-256-CBC, which
// openssl reads), for the certificates AWS exports: private ones and public
// ones requested with the Export option. Others are ACM's
// ValidationException.
func (b *Backend) exportCertificate(ctx context.Context, in *wire.ExportCertificateRequest) (*wire.ExportCertificateResponse, error) {
	var c *Certificate
	err := b.store.View(ctx, func(tx *store.Tx) error {
		var err error
		c, err = loadCertificate(tx, in.CertificateArn)
		return err
	})
	if err != nil {
		return nil, err
	}
	switch {
	case !c.exportable():
		return nil, errValidation("Certificate ARN: %s is not a private certificate", c.ARN)
	case !c.issued(b.now()):
		return nil, errInProgress(c.ARN)
	case len(in.Passphrase) < 4:
		return nil, errValidation("1 validation error detected: Value at 'passphrase' failed to satisfy constraint: Member must have length greater than or equal to 4")
	}
	block, _ := pem.Decode([]byte(c.KeyPEM))
	if block == nil {
		return nil, fmt.Errorf("stored key of %s is not PEM", c.ARN)
	}
	encrypted, err := encryptPKCS8(block.Bytes, in.Passphrase)
	if err != nil {
		return nil, err
	}
	err = b.store.Update(ctx, func(tx *store.Tx) error {
		current, err := loadCertificate(tx, c.ARN)
		if err != nil || current.Exported {
			return err
		}
		current.Exported = true
		return tx.Put(tableCertificates, current.ARN, current)
	})
	if err != nil {
		return nil, err
	}
	return &wire.ExportCertificateResponse{Certificate: c.CertPEM, CertificateChain: c.ChainPEM, PrivateKey: string(encrypted)}, nil
}

// The ASN.1 of an encrypted PKCS#8 key (RFC 5958, RFC 8018).
var (
	oidPBES2      = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 5, 13}
	oidPBKDF2     = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 5, 12}
	oidHMACSHA256 = asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 9}
	oidAES256CBC  = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 1, 42}
)

type encryptedPrivateKeyInfo struct {
	Algorithm pkix.AlgorithmIdentifier
	Data      []byte
}

type pbes2Params struct {
	KeyDerivation pkix.AlgorithmIdentifier
	Encryption    pkix.AlgorithmIdentifier
}

type pbkdf2Params struct {
	Salt       []byte
	Iterations int
	KeyLength  int `asn1:"optional"`
	PRF        pkix.AlgorithmIdentifier
}

const pbkdf2Iterations = 2048

func encryptPKCS8(der, passphrase []byte) ([]byte, error) {
	salt, iv := make([]byte, 16), make([]byte, aes.BlockSize)
	if _, err := rand.Read(salt); err != nil {
		return nil, err
	}
	if _, err := rand.Read(iv); err != nil {
		return nil, err
	}
	key, err := pbkdf2.Key(sha256.New, string(passphrase), salt, pbkdf2Iterations, 32)
	if err != nil {
		return nil, fmt.Errorf("deriving the export key: %w", err)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	pad := aes.BlockSize - len(der)%aes.BlockSize
	plain := append(append([]byte{}, der...), bytes.Repeat([]byte{byte(pad)}, pad)...)
	sealed := make([]byte, len(plain))
	cipher.NewCBCEncrypter(block, iv).CryptBlocks(sealed, plain)

	kdf, err := asn1.Marshal(pbkdf2Params{Salt: salt, Iterations: pbkdf2Iterations, KeyLength: 32,
		PRF: pkix.AlgorithmIdentifier{Algorithm: oidHMACSHA256, Parameters: asn1.NullRawValue}})
	if err != nil {
		return nil, err
	}
	ivParam, err := asn1.Marshal(iv)
	if err != nil {
		return nil, err
	}
	params, err := asn1.Marshal(pbes2Params{
		KeyDerivation: pkix.AlgorithmIdentifier{Algorithm: oidPBKDF2, Parameters: asn1.RawValue{FullBytes: kdf}},
		Encryption:    pkix.AlgorithmIdentifier{Algorithm: oidAES256CBC, Parameters: asn1.RawValue{FullBytes: ivParam}},
	})
	if err != nil {
		return nil, err
	}
	info, err := asn1.Marshal(encryptedPrivateKeyInfo{
		Algorithm: pkix.AlgorithmIdentifier{Algorithm: oidPBES2, Parameters: asn1.RawValue{FullBytes: params}},
		Data:      sealed,
	})
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "ENCRYPTED PRIVATE KEY", Bytes: info}), nil
}
