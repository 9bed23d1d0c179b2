package lb

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// ListenerTLS is how an HTTPS listener terminates TLS.
type ListenerTLS struct {
	// Certificates are the listener's certificates, its default first and
	// then those added for SNI. A client's server name picks the best one
	// that matches it and the client supports; a name no certificate
	// matches gets the default.
	Certificates []Certificate
	// MinVersion and MaxVersion bound the TLS versions (crypto/tls ids);
	// zero is Go's default.
	MinVersion, MaxVersion uint16
	// CipherSuites are the TLS 1.0–1.2 suites the policy allows (crypto/tls
	// ids). Go neither lets TLS 1.3's suites be chosen (all three are in
	// every AWS policy anyway) nor follows the order given here: it ranks
	// suites itself, preferring AES-GCM where the CPU has AES instructions.
	CipherSuites []uint16
}

// Certificate is one certificate of a listener, as ACM hands it out.
type Certificate struct {
	ARN                       string
	CertPEM, ChainPEM, KeyPEM []byte
}

// alpnProtocols are what an ALB's HTTPS listener offers: HTTP/2 first.
var alpnProtocols = []string{"h2", "http/1.1"}

// curvePreferences are the key exchanges of AWS's non-post-quantum
// policies; Go's default would add the hybrid X25519MLKEM768.
var curvePreferences = []tls.CurveID{tls.X25519, tls.CurveP256, tls.CurveP384}

// listenerCertificates are a listener's parsed certificates.
type listenerCertificates struct {
	all []*servedCertificate // the default first
}

type servedCertificate struct {
	arn   string
	pair  tls.Certificate
	names []string // lower case; "*.example.com" for a wildcard
	// These order certificates that match the same name, in the ALB's
	// order of criteria: ECDSA before RSA, a SHA signature before an MD5
	// one, the longer key, the later expiry.
	keyRank  int
	hashRank int
	keyBits  int
	notAfter int64
}

// tlsSetup is a listener's TLS configuration and the fingerprint of what
// it was built from, so an Apply that changes nothing keeps the running
// configuration (and the session tickets it issued).
type tlsSetup struct {
	fingerprint [sha256.Size]byte
	config      *tls.Config
}

// fingerprint hashes everything a listener's TLS configuration is built
// from.
func (t *ListenerTLS) fingerprint() [sha256.Size]byte {
	h := sha256.New()
	fmt.Fprintf(h, "%d %d %v\n", t.MinVersion, t.MaxVersion, t.CipherSuites)
	for _, c := range t.Certificates {
		fmt.Fprintf(h, "%s\n%d %d %d\n", c.ARN, len(c.CertPEM), len(c.ChainPEM), len(c.KeyPEM))
		h.Write(c.CertPEM)
		h.Write(c.ChainPEM)
		h.Write(c.KeyPEM)
	}
	var sum [sha256.Size]byte
	h.Sum(sum[:0])
	return sum
}

// buildTLS parses a listener's certificates and makes its server
// configuration. A certificate that does not parse is left out and
// reported; with none left, handshakes fail until one is given.
func buildTLS(spec *ListenerTLS) (*tlsSetup, error) {
	certificates := &listenerCertificates{}
	var problems []error
	for _, c := range spec.Certificates {
		served, err := parseCertificate(c)
		if err != nil {
			problems = append(problems, fmt.Errorf("certificate %s: %w", c.ARN, err))
			continue
		}
		certificates.all = append(certificates.all, served)
	}
	config := &tls.Config{
		MinVersion:       spec.MinVersion,
		MaxVersion:       spec.MaxVersion,
		CipherSuites:     spec.CipherSuites,
		NextProtos:       alpnProtocols,
		CurvePreferences: curvePreferences,
		GetCertificate:   certificates.choose,
	}
	return &tlsSetup{fingerprint: spec.fingerprint(), config: config}, errors.Join(problems...)
}

func parseCertificate(c Certificate) (*servedCertificate, error) {
	chain := c.CertPEM
	if len(c.ChainPEM) > 0 {
		chain = bytes.Join([][]byte{bytes.TrimSpace(c.CertPEM), c.ChainPEM}, []byte("\n"))
	}
	pair, err := tls.X509KeyPair(chain, c.KeyPEM)
	if err != nil {
		return nil, err
	}
	leaf := pair.Leaf
	if leaf == nil {
		if leaf, err = x509.ParseCertificate(pair.Certificate[0]); err != nil {
			return nil, err
		}
		pair.Leaf = leaf
	}
	served := &servedCertificate{arn: c.ARN, pair: pair, notAfter: leaf.NotAfter.Unix(), hashRank: 1}
	if leaf.SignatureAlgorithm == x509.MD5WithRSA || leaf.SignatureAlgorithm == x509.MD2WithRSA {
		served.hashRank = 0
	}
	for _, name := range leaf.DNSNames {
		served.names = append(served.names, strings.ToLower(strings.TrimSuffix(name, ".")))
	}
	if len(served.names) == 0 && leaf.Subject.CommonName != "" {
		served.names = []string{strings.ToLower(leaf.Subject.CommonName)}
	}
	switch key := leaf.PublicKey.(type) {
	case *ecdsa.PublicKey:
		served.keyRank, served.keyBits = 2, key.Curve.Params().BitSize
	case ed25519.PublicKey:
		served.keyRank, served.keyBits = 2, 256
	case *rsa.PublicKey:
		served.keyRank, served.keyBits = 1, key.N.BitLen()
	}
	return served, nil
}

// nameMatch says whether a certificate name covers a server name, exactly
// or by a wildcard ("*.example.com" covers one label).
func nameMatch(certName, serverName string) bool {
	if certName == serverName {
		return true
	}
	if rest, ok := strings.CutPrefix(certName, "*."); ok {
		if dot := strings.IndexByte(serverName, '.'); dot > 0 && serverName[dot+1:] == rest {
			return true
		}
	}
	return false
}

// choose picks the certificate for a client as the ALB documents it
// ("SSL certificates for your Application Load Balancer", Certificate
// list): the one certificate whose names cover the client's server name;
// among several, the best that the client supports, by public key
// algorithm (ECDSA before RSA), hashing algorithm (SHA before MD5), key
// length (the longest) and validity (the latest expiry), an exact name
// counting no more than a wildcard; the default when none matches or the
// client sends no server name. Certificates equal on every criterion go
// in the listener's order, the default first.
func (l *listenerCertificates) choose(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
	switch len(l.all) {
	case 0:
		return nil, errors.New("the listener has no usable certificate")
	case 1:
		// The only certificate is the default, whatever the client asks
		// for: nothing to compare on each handshake.
		return &l.all[0].pair, nil
	}
	serverName := strings.ToLower(strings.TrimSuffix(hello.ServerName, "."))
	// best is the best match the client supports, fallback the best
	// match whatever the client supports: the ALB serves a matching
	// certificate even to a client that cannot take it, and the handshake
	// fails as it would there.
	var best, fallback *servedCertificate
	if serverName != "" {
		for _, candidate := range l.all {
			if !slices.ContainsFunc(candidate.names, func(name string) bool { return nameMatch(name, serverName) }) {
				continue
			}
			if fallback == nil || better(candidate, fallback) {
				fallback = candidate
			}
			if hello.SupportsCertificate(&candidate.pair) != nil {
				continue
			}
			if best == nil || better(candidate, best) {
				best = candidate
			}
		}
	}
	switch {
	case best != nil:
		return &best.pair, nil
	case fallback != nil:
		return &fallback.pair, nil
	default:
		return &l.all[0].pair, nil
	}
}

// better says whether candidate beats best on the ALB's criteria.
func better(candidate, best *servedCertificate) bool {
	switch {
	case candidate.keyRank != best.keyRank:
		return candidate.keyRank > best.keyRank
	case candidate.hashRank != best.hashRank:
		return candidate.hashRank > best.hashRank
	case candidate.keyBits != best.keyBits:
		return candidate.keyBits > best.keyBits
	default:
		return candidate.notAfter > best.notAfter
	}
}
