package lb

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// selfSigned makes a certificate for names with a key of the given kind,
// its ARN as its common name, valid for an hour.
func selfSigned(t testing.TB, arn string, ecdsaKey bool, names ...string) Certificate {
	t.Helper()
	key := "rsa2048"
	if ecdsaKey {
		key = "p256"
	}
	return issued(t, arn, key, time.Hour, names...)
}

// issuedAt is when the test certificates are issued: the same for all, so
// equal validities are equal expiries however long key generation takes.
var issuedAt = time.Now()

// issued makes a self-signed certificate for names with a key of kind
// (rsa2048, p256, p384), its ARN as its common name, that expires after
// validFor.
func issued(t testing.TB, arn, kind string, validFor time.Duration, names ...string) Certificate {
	t.Helper()
	var key crypto.Signer
	var err error
	switch kind {
	case "p256":
		key, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case "p384":
		key, err = ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	default:
		key, err = rsa.GenerateKey(rand.Reader, 2048)
	}
	if err != nil {
		t.Fatal(err)
	}
	template := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: arn}, DNSNames: names,
		NotBefore: issuedAt.Add(-time.Hour), NotAfter: issuedAt.Add(validFor)}
	der, err := x509.CreateCertificate(rand.Reader, template, template, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return Certificate{ARN: arn,
		CertPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		KeyPEM:  pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})}
}

// The certificate list's selection, criterion by criterion, as the ALB
// documents it.
func TestCertificateChosenBySNI(t *testing.T) {
	setup, err := buildTLS(&ListenerTLS{Certificates: []Certificate{
		issued(t, "default", "rsa2048", time.Hour, "app.example.com"),
		issued(t, "wildcard", "rsa2048", 3*time.Hour, "*.example.com"),
		issued(t, "exact", "rsa2048", 2*time.Hour, "api.example.com"),
		issued(t, "wildcard-p256", "p256", time.Hour, "*.example.com"),
		issued(t, "www-p384", "p384", time.Hour, "www.example.com"),
		issued(t, "other", "rsa2048", time.Hour, "other.test"),
		issued(t, "only-ecdsa", "p256", time.Hour, "ec.test"),
		issued(t, "twin-first", "rsa2048", time.Hour, "twins.test"),
		issued(t, "twin-second", "rsa2048", time.Hour, "twins.test"),
	}})
	if err != nil {
		t.Fatal(err)
	}
	certificates := setup.config.GetCertificate
	// The test certificates carry their ARN as their common name.
	arnOf := func(served *tls.Certificate) string { return served.Leaf.Subject.CommonName }
	allSchemes := []tls.SignatureScheme{tls.ECDSAWithP256AndSHA256, tls.ECDSAWithP384AndSHA384, tls.PSSWithSHA256, tls.PKCS1WithSHA256}
	rsaSchemes := []tls.SignatureScheme{tls.PSSWithSHA256, tls.PKCS1WithSHA256}
	for _, tt := range []struct {
		serverName string
		schemes    []tls.SignatureScheme
		want       string
	}{
		{"api.example.com", allSchemes, "wildcard-p256"}, // ECDSA before RSA; an exact name counts no more than a wildcard
		{"api.example.com", rsaSchemes, "wildcard"},      // unless the client cannot take it; then the later expiry
		{"www.example.com", allSchemes, "www-p384"},      // the longer key
		{"www.example.com", rsaSchemes, "wildcard"},      // the only RSA one
		{"WWW.Example.COM.", allSchemes, "www-p384"},     // case and a final dot do not matter
		{"a.b.example.com", allSchemes, "default"},       // a wildcard covers one label
		{"other.test", allSchemes, "other"},              // any added certificate
		{"ec.test", rsaSchemes, "only-ecdsa"},            // the one match, even to a client that cannot take it
		{"twins.test", allSchemes, "twin-first"},         // equal on every criterion: the listener's order
		{"", allSchemes, "default"},                      // no SNI
		{"unknown.test", allSchemes, "default"},          // no match
	} {
		hello := &tls.ClientHelloInfo{ServerName: tt.serverName, SignatureSchemes: tt.schemes,
			SupportedVersions: []uint16{tls.VersionTLS13, tls.VersionTLS12}, SupportedCurves: []tls.CurveID{tls.CurveP256, tls.CurveP384, tls.X25519},
			SupportedPoints: []uint8{0}, CipherSuites: []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256}}
		served, err := certificates(hello)
		if err != nil {
			t.Fatal(err)
		}
		if got := arnOf(served); got != tt.want {
			t.Errorf("%q with schemes %v: got %s, want %s", tt.serverName, tt.schemes, got, tt.want)
		}
	}
}

// Go signs no certificate with MD5 any more, so the hashing criterion is
// checked on parsed certificates' ranks: SHA before MD5 comes after the
// key algorithm and before the key length and validity.
func TestCertificateHashingCriterion(t *testing.T) {
	sha := &servedCertificate{keyRank: 1, hashRank: 1, keyBits: 2048, notAfter: 100}
	md5Longer := &servedCertificate{keyRank: 1, hashRank: 0, keyBits: 4096, notAfter: 200}
	md5ECDSA := &servedCertificate{keyRank: 2, hashRank: 0, keyBits: 256, notAfter: 100}
	if !better(sha, md5Longer) || better(md5Longer, sha) {
		t.Error("a SHA-signed certificate does not beat an MD5-signed one with a longer key and later expiry")
	}
	if !better(md5ECDSA, sha) {
		t.Error("the key algorithm does not come before the hashing algorithm")
	}
}

// BenchmarkProxyHTTPS is BenchmarkProxyTwoTargets through an HTTPS
// listener over HTTP/1.1 on kept-alive connections.
func BenchmarkProxyHTTPS(b *testing.B) {
	first, second := startTarget(b, "127.0.0.20", "first"), startTarget(b, "127.0.0.21", "second")
	balancer := newBalancer(b, Options{Logf: func(string, ...any) {}})
	cfg := simpleConfig(fastChecks, 0, first, second)
	listener := &cfg.LoadBalancers[0].Listeners[0]
	listener.Protocol = "HTTPS"
	listener.TLS = &ListenerTLS{Certificates: []Certificate{selfSigned(b, "bench", false, "bench.example.test")}, MinVersion: tls.VersionTLS12}
	url := strings.Replace(apply(b, balancer, cfg), "http://", "https://", 1)
	waitForState(b, balancer, groupARN, first.target, StateHealthy)
	waitForState(b, balancer, groupARN, second.target, StateHealthy)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64, TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}, Timeout: waitLimit}
	defer client.CloseIdleConnections()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			response, err := client.Get(url + "/")
			if err != nil {
				b.Error(err)
				return
			}
			_, _ = io.Copy(io.Discard, response.Body)
			_ = response.Body.Close()
			if response.StatusCode != http.StatusOK {
				b.Errorf("status %d", response.StatusCode)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
}

// BenchmarkTLSHandshake makes full TLS 1.3 handshakes (X25519, no
// resumption) with an HTTPS listener serving an RSA 2048 certificate, one
// connection each, closed after the handshake.
func BenchmarkTLSHandshake(b *testing.B) {
	first := startTarget(b, "127.0.0.20", "first")
	balancer := newBalancer(b, Options{Logf: func(string, ...any) {}})
	cfg := simpleConfig(fastChecks, 0, first)
	listener := &cfg.LoadBalancers[0].Listeners[0]
	listener.Protocol = "HTTPS"
	listener.TLS = &ListenerTLS{Certificates: []Certificate{selfSigned(b, "bench", false, "bench.example.test")}, MinVersion: tls.VersionTLS12}
	address := strings.TrimPrefix(apply(b, balancer, cfg), "http://")
	client := &tls.Config{ServerName: "bench.example.test", InsecureSkipVerify: true,
		CurvePreferences: []tls.CurveID{tls.X25519}, NextProtos: []string{"http/1.1"}}
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			conn, err := net.DialTimeout("tcp", address, 5*time.Second)
			if err != nil {
				b.Error(err)
				return
			}
			tlsConn := tls.Client(conn, client)
			if err := tlsConn.Handshake(); err != nil {
				b.Error(err)
			}
			_ = conn.Close()
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "handshakes/s")
}
