package acm_test

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/acm"
	"github.com/aws/aws-sdk-go-v2/service/acm/types"

	"github.com/berthdev/berth/internal/localcloud/localcloudtest"
)

func newClient(t *testing.T) (*acm.Client, *localcloudtest.Cloud) {
	t.Helper()
	cloud := localcloudtest.Start(t)
	return acm.NewFromConfig(cloud.Config), cloud
}

// must returns v, failing the test on err: must(c.Op(ctx, in))(t).
func must[T any](v T, err error) func(*testing.T) T {
	return func(t *testing.T) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

// pending makes certificates requested from now on stay pending for the
// test, so that it can look at the pending state without racing the clock.
func pending(cloud *localcloudtest.Cloud) { cloud.ACM.SetValidationDelay(time.Hour) }

func describe(t *testing.T, c *acm.Client, arn string) *types.CertificateDetail {
	t.Helper()
	return must(c.DescribeCertificate(context.Background(), &acm.DescribeCertificateInput{CertificateArn: aws.String(arn)}))(t).Certificate
}

func waitIssued(t *testing.T, c *acm.Client, arn string) *types.CertificateDetail {
	t.Helper()
	waiter := acm.NewCertificateValidatedWaiter(c, func(o *acm.CertificateValidatedWaiterOptions) {
		o.MinDelay, o.MaxDelay = 100*time.Millisecond, time.Second
	})
	if err := waiter.Wait(context.Background(), &acm.DescribeCertificateInput{CertificateArn: aws.String(arn)}, 2*time.Minute); err != nil {
		t.Fatalf("certificate-validated waiter: %v", err)
	}
	return describe(t, c, arn)
}

func TestRequestCertificateErrors(t *testing.T) {
	c, _ := newClient(t)
	ctx := context.Background()
	cases := []struct {
		name string
		in   acm.RequestCertificateInput
		code string
	}{
		{"unsupported public key algorithm", acm.RequestCertificateInput{DomainName: aws.String("a.example.com"), KeyAlgorithm: types.KeyAlgorithmRsa4096}, "InvalidParameterException"},
		{"private CA", acm.RequestCertificateInput{DomainName: aws.String("a.example.com"), CertificateAuthorityArn: aws.String("arn:aws:acm-pca:us-east-1:000000000000:certificate-authority/x")}, "InvalidParameterException"},
		{"validation option for another domain", acm.RequestCertificateInput{DomainName: aws.String("a.example.com"),
			DomainValidationOptions: []types.DomainValidationOption{{DomainName: aws.String("b.example.com"), ValidationDomain: aws.String("example.com")}}}, "InvalidDomainValidationOptionsException"},
		{"validation domain not a superdomain", acm.RequestCertificateInput{DomainName: aws.String("a.example.com"),
			DomainValidationOptions: []types.DomainValidationOption{{DomainName: aws.String("a.example.com"), ValidationDomain: aws.String("other.com")}}}, "InvalidDomainValidationOptionsException"},
		{"reserved tag", acm.RequestCertificateInput{DomainName: aws.String("a.example.com"), Tags: []types.Tag{{Key: aws.String("aws:owner"), Value: aws.String("x")}}}, "InvalidTagException"},
		{"http validation outside CloudFront", acm.RequestCertificateInput{DomainName: aws.String("a.example.com"), ValidationMethod: types.ValidationMethodHttp}, "InvalidParameterException"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := c.RequestCertificate(ctx, &tc.in)
			localcloudtest.WantCode(t, err, tc.code)
		})
	}
}

func TestPendingCertificate(t *testing.T) {
	c, cloud := newClient(t)
	pending(cloud)
	ctx := context.Background()
	arn := aws.ToString(must(c.RequestCertificate(ctx, &acm.RequestCertificateInput{
		DomainName:              aws.String("example.com"),
		SubjectAlternativeNames: []string{"*.example.com", "example.com", "api.example.com"},
		ValidationMethod:        types.ValidationMethodDns,
		KeyAlgorithm:            types.KeyAlgorithmEcPrime256v1,
	}))(t).CertificateArn)
	if !strings.HasPrefix(arn, "arn:aws:acm:us-east-1:000000000000:certificate/") {
		t.Fatalf("ARN = %s", arn)
	}
	d := describe(t, c, arn)
	if d.Status != types.CertificateStatusPendingValidation || d.Type != types.CertificateTypeAmazonIssued || d.KeyAlgorithm != "EC-prime256v1" {
		t.Errorf("status %s, type %s, key %s", d.Status, d.Type, d.KeyAlgorithm)
	}
	if want := []string{"example.com", "*.example.com", "api.example.com"}; !slices.Equal(d.SubjectAlternativeNames, want) {
		t.Errorf("SANs = %v, want %v", d.SubjectAlternativeNames, want)
	}
	if d.Serial != nil || d.NotBefore != nil || d.IssuedAt != nil || d.CreatedAt == nil || d.InUseBy == nil || len(d.InUseBy) != 0 {
		t.Errorf("a pending certificate shows serial %v, not before %v, issued %v, created %v, in use by %v", d.Serial, d.NotBefore, d.IssuedAt, d.CreatedAt, d.InUseBy)
	}
	if len(d.DomainValidationOptions) != 3 {
		t.Fatalf("validation options: %+v", d.DomainValidationOptions)
	}
	records := map[string]string{}
	for _, v := range d.DomainValidationOptions {
		if v.ValidationStatus != types.DomainStatusPendingValidation || v.ValidationMethod != types.ValidationMethodDns || v.ResourceRecord == nil {
			t.Fatalf("validation %+v", v)
		}
		r := *v.ResourceRecord
		base := strings.TrimPrefix(aws.ToString(v.DomainName), "*.")
		if r.Type != types.RecordTypeCname || !strings.HasPrefix(aws.ToString(r.Name), "_") || !strings.HasSuffix(aws.ToString(r.Name), "."+base+".") ||
			!strings.HasSuffix(aws.ToString(r.Value), ".acm-validations.aws.") || len(strings.Split(aws.ToString(r.Name), ".")[0]) != 33 {
			t.Errorf("record for %s: %s %s %s", aws.ToString(v.DomainName), aws.ToString(r.Name), r.Type, aws.ToString(r.Value))
		}
		records[aws.ToString(v.DomainName)] = aws.ToString(r.Name) + " " + aws.ToString(r.Value)
	}
	if records["*.example.com"] != records["example.com"] || records["api.example.com"] == records["example.com"] {
		t.Errorf("a wildcard shares its base's record, other names have their own: %+v", records)
	}

	_, err := c.GetCertificate(ctx, &acm.GetCertificateInput{CertificateArn: aws.String(arn)})
	localcloudtest.WantCode(t, err, "RequestInProgressException")
	_, _, _, err = cloud.ACM.KeyPair(localcloudtest.InRegion(ctx, "us-east-1"), arn)
	localcloudtest.WantCode(t, err, "RequestInProgressException")
	_, err = c.RenewCertificate(ctx, &acm.RenewCertificateInput{CertificateArn: aws.String(arn)})
	localcloudtest.WantCode(t, err, "RequestInProgressException")

	// The same record validates a later request of the same domain.
	again := aws.ToString(must(c.RequestCertificate(ctx, &acm.RequestCertificateInput{DomainName: aws.String("example.com"), ValidationMethod: types.ValidationMethodDns}))(t).CertificateArn)
	if r := describe(t, c, again).DomainValidationOptions[0].ResourceRecord; aws.ToString(r.Name)+" "+aws.ToString(r.Value) != records["example.com"] {
		t.Errorf("second request's record %s %s differs from %s", aws.ToString(r.Name), aws.ToString(r.Value), records["example.com"])
	}
}

func TestIdempotencyToken(t *testing.T) {
	c, cloud := newClient(t)
	pending(cloud)
	ctx := context.Background()
	request := func(domain, token string) string {
		return aws.ToString(must(c.RequestCertificate(ctx, &acm.RequestCertificateInput{
			DomainName: aws.String(domain), ValidationMethod: types.ValidationMethodDns,
			KeyAlgorithm: types.KeyAlgorithmEcPrime256v1, IdempotencyToken: aws.String(token),
		}))(t).CertificateArn)
	}
	first := request("web.example.com", "deploy1")
	if again := request("web.example.com", "deploy1"); again != first {
		t.Errorf("same token, same request: %s then %s", first, again)
	}
	if other := request("api.example.com", "deploy1"); other == first {
		t.Errorf("same token, other domain returned the first certificate")
	}
	if other := request("web.example.com", "deploy2"); other == first {
		t.Errorf("another token returned the first certificate")
	}
}

// TestIssuedCertificateServesTLS requests a certificate, waits with the
// SDK's certificate-validated waiter for the local cloud to issue it, then
// serves its key pair on a real TLS listener that a client trusting only
// the local root CA accepts.
func TestIssuedCertificateServesTLS(t *testing.T) {
	c, cloud := newClient(t)
	ctx := context.Background()
	arn := aws.ToString(must(c.RequestCertificate(ctx, &acm.RequestCertificateInput{
		DomainName:              aws.String("web.berth.localhost"),
		SubjectAlternativeNames: []string{"*.web.berth.localhost"},
		ValidationMethod:        types.ValidationMethodDns,
	}))(t).CertificateArn)
	d := waitIssued(t, c, arn)
	if d.Status != types.CertificateStatusIssued || d.KeyAlgorithm != "RSA-2048" || d.IssuedAt == nil || d.NotBefore == nil || d.NotAfter == nil ||
		aws.ToString(d.Serial) == "" || aws.ToString(d.Subject) != "CN=web.berth.localhost" || d.RenewalEligibility != types.RenewalEligibilityIneligible {
		t.Errorf("issued certificate: %+v", d)
	}
	for _, v := range d.DomainValidationOptions {
		if v.ValidationStatus != types.DomainStatusSuccess {
			t.Errorf("validation of %s is %s", aws.ToString(v.DomainName), v.ValidationStatus)
		}
	}
	if days := d.NotAfter.Sub(*d.NotBefore).Hours() / 24; days < 198 || days >= 200 {
		t.Errorf("validity of %.1f days, want ACM's 198", days)
	}
	if !slices.ContainsFunc(d.ExtendedKeyUsages, func(u types.ExtendedKeyUsage) bool {
		return u.Name == types.ExtendedKeyUsageNameTlsWebServerAuthentication
	}) {
		t.Errorf("extended key usages %+v", d.ExtendedKeyUsages)
	}

	got := must(c.GetCertificate(ctx, &acm.GetCertificateInput{CertificateArn: aws.String(arn)}))(t)
	root := cloud.ACM.RootCAPEM()
	if aws.ToString(got.CertificateChain) != string(root) || !strings.HasPrefix(aws.ToString(got.Certificate), "-----BEGIN CERTIFICATE-----") {
		t.Errorf("GetCertificate chain is not the local root:\n%s", aws.ToString(got.CertificateChain))
	}
	certPEM, chainPEM, keyPEM, err := cloud.ACM.KeyPair(localcloudtest.InRegion(ctx, "us-east-1"), arn)
	if err != nil {
		t.Fatal(err)
	}
	if string(certPEM) != aws.ToString(got.Certificate) {
		t.Errorf("KeyPair's certificate is not GetCertificate's")
	}
	pair, err := tls.X509KeyPair(append(certPEM, chainPEM...), keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{pair}})
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer conn.Close()
				_, _ = io.WriteString(conn, "hello over TLS")
			}()
		}
	}()
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(root) {
		t.Fatal("the root CA is not PEM")
	}
	for _, tc := range []struct {
		serverName string
		trusted    bool
	}{
		{"web.berth.localhost", true},
		{"api.web.berth.localhost", true},
		{"other.berth.localhost", false},
	} {
		conn, err := tls.Dial("tcp", ln.Addr().String(), &tls.Config{RootCAs: pool, ServerName: tc.serverName})
		if !tc.trusted {
			var hostErr x509.HostnameError
			if !errors.As(err, &hostErr) {
				t.Errorf("%s: want a hostname error, got %v", tc.serverName, err)
			}
			if conn != nil {
				conn.Close()
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: TLS handshake: %v", tc.serverName, err)
		}
		greeting, _ := io.ReadAll(conn)
		conn.Close()
		if string(greeting) != "hello over TLS" {
			t.Errorf("%s: read %q", tc.serverName, greeting)
		}
	}
	// A client that does not trust the local root refuses the certificate.
	if conn, err := tls.Dial("tcp", ln.Addr().String(), &tls.Config{RootCAs: x509.NewCertPool(), ServerName: "web.berth.localhost"}); err == nil {
		conn.Close()
		t.Error("a client without the local root accepted the certificate")
	}

	// Renewal reissues the certificate over the same key.
	must(c.RenewCertificate(ctx, &acm.RenewCertificateInput{CertificateArn: aws.String(arn)}))(t)
	renewed := describe(t, c, arn)
	if aws.ToString(renewed.Serial) == aws.ToString(d.Serial) || renewed.RenewalSummary == nil || renewed.RenewalSummary.RenewalStatus != types.RenewalStatusSuccess {
		t.Errorf("after renewal: serial %s (was %s), summary %+v", aws.ToString(renewed.Serial), aws.ToString(d.Serial), renewed.RenewalSummary)
	}
	renewedPEM, _, renewedKey, err := cloud.ACM.KeyPair(localcloudtest.InRegion(ctx, "us-east-1"), arn)
	if err != nil || bytes.Equal(renewedPEM, certPEM) || !bytes.Equal(renewedKey, keyPEM) {
		t.Errorf("renewal gave a new certificate over the same key: err %v, cert changed %v, key kept %v", err, !bytes.Equal(renewedPEM, certPEM), bytes.Equal(renewedKey, keyPEM))
	}
}

func TestRootCAInStateDir(t *testing.T) {
	dir := t.TempDir()
	cloud := localcloudtest.StartInDir(t, dir)
	root, err := os.ReadFile(filepath.Join(dir, "ca", "root.pem"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(root, cloud.ACM.RootCAPEM()) || cloud.ACM.RootCAPath() != filepath.Join(dir, "ca", "root.pem") {
		t.Errorf("root.pem is not the CA the backend signs with (path %s)", cloud.ACM.RootCAPath())
	}
	info, err := os.Stat(filepath.Join(dir, "ca", "root-key.pem"))
	if err != nil {
		t.Fatal(err)
	}
	if mode := info.Mode().Perm(); mode != 0o600 {
		t.Errorf("root key mode %o, want 600", mode)
	}
	block, _ := pem.Decode(root)
	ca, err := x509.ParseCertificate(block.Bytes)
	if err != nil || !ca.IsCA {
		t.Fatalf("root: %v, CA %v", err, ca != nil && ca.IsCA)
	}
	// A certificate requested before a restart is issued after it, by the
	// same root.
	arn := must(acm.NewFromConfig(cloud.Config).RequestCertificate(context.Background(), &acm.RequestCertificateInput{
		DomainName: aws.String("kept.berth.localhost"), ValidationMethod: types.ValidationMethodDns, KeyAlgorithm: types.KeyAlgorithmEcPrime256v1,
	}))(t).CertificateArn
	cloud.Stop()
	again := localcloudtest.StartInDir(t, dir)
	if !bytes.Equal(again.ACM.RootCAPEM(), root) {
		t.Error("a restart made a new root CA")
	}
	c := acm.NewFromConfig(again.Config)
	waitIssued(t, c, aws.ToString(arn))
	got := must(c.GetCertificate(context.Background(), &acm.GetCertificateInput{CertificateArn: arn}))(t)
	leafBlock, _ := pem.Decode([]byte(aws.ToString(got.Certificate)))
	leaf, err := x509.ParseCertificate(leafBlock.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(ca)
	if _, err := leaf.Verify(x509.VerifyOptions{Roots: roots, DNSName: "kept.berth.localhost"}); err != nil {
		t.Errorf("after a restart: %v", err)
	}
}

// selfSigned makes a certificate for names with a fresh P-256 key.
func selfSigned(t *testing.T, names ...string) (certPEM, keyPEM []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serial, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	template := &x509.Certificate{
		SerialNumber: serial, Subject: pkix.Name{CommonName: names[0], Organization: []string{"Example Corp"}}, DNSNames: names,
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(90 * 24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, template, template, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER})
}

func TestImportCertificate(t *testing.T) {
	c, cloud := newClient(t)
	ctx := context.Background()
	certPEM, keyPEM := selfSigned(t, "imported.example.com", "www.imported.example.com")
	otherCert, otherKey := selfSigned(t, "other.example.com")

	cases := []struct {
		name string
		in   acm.ImportCertificateInput
		code string
	}{
		{"not PEM", acm.ImportCertificateInput{Certificate: []byte("hello"), PrivateKey: keyPEM}, "ValidationException"},
		{"two certificates", acm.ImportCertificateInput{Certificate: append(slices.Clone(certPEM), otherCert...), PrivateKey: keyPEM}, "ValidationException"},
		{"key of another certificate", acm.ImportCertificateInput{Certificate: certPEM, PrivateKey: otherKey}, "ValidationException"},
		{"unparseable key", acm.ImportCertificateInput{Certificate: certPEM, PrivateKey: []byte("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")}, "ValidationException"},
		{"bad chain", acm.ImportCertificateInput{Certificate: certPEM, PrivateKey: keyPEM, CertificateChain: keyPEM}, "ValidationException"},
		{"reimport into an unknown ARN", acm.ImportCertificateInput{Certificate: certPEM, PrivateKey: keyPEM, CertificateArn: aws.String("arn:aws:acm:us-east-1:000000000000:certificate/00000000-0000-0000-0000-000000000000")}, "ResourceNotFoundException"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := c.ImportCertificate(ctx, &tc.in)
			localcloudtest.WantCode(t, err, tc.code)
		})
	}

	arn := aws.ToString(must(c.ImportCertificate(ctx, &acm.ImportCertificateInput{
		Certificate: certPEM, PrivateKey: keyPEM, CertificateChain: otherCert,
		Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("web")}},
	}))(t).CertificateArn)
	d := describe(t, c, arn)
	if d.Type != types.CertificateTypeImported || d.Status != types.CertificateStatusIssued || d.KeyAlgorithm != "EC-prime256v1" ||
		aws.ToString(d.DomainName) != "imported.example.com" || d.ImportedAt == nil || aws.ToString(d.Issuer) != "Example Corp" || d.DomainValidationOptions != nil {
		t.Errorf("imported: %+v", d)
	}
	got := must(c.GetCertificate(ctx, &acm.GetCertificateInput{CertificateArn: aws.String(arn)}))(t)
	if aws.ToString(got.Certificate) != string(certPEM) || aws.ToString(got.CertificateChain) != string(otherCert) {
		t.Errorf("GetCertificate does not return the imported PEM")
	}
	_, err := c.ExportCertificate(ctx, &acm.ExportCertificateInput{CertificateArn: aws.String(arn), Passphrase: []byte("secret")})
	localcloudtest.WantCode(t, err, "ValidationException")

	// Reimporting keeps the ARN and takes the new certificate; tags stay.
	newCert, newKey := selfSigned(t, "imported.example.com")
	if again := aws.ToString(must(c.ImportCertificate(ctx, &acm.ImportCertificateInput{CertificateArn: aws.String(arn), Certificate: newCert, PrivateKey: newKey}))(t).CertificateArn); again != arn {
		t.Errorf("reimport answered %s, want %s", again, arn)
	}
	if reimported := describe(t, c, arn); aws.ToString(reimported.Serial) == aws.ToString(d.Serial) || len(reimported.SubjectAlternativeNames) != 1 {
		t.Errorf("reimport kept the old certificate: %+v", reimported)
	}
	if tags := must(c.ListTagsForCertificate(ctx, &acm.ListTagsForCertificateInput{CertificateArn: aws.String(arn)}))(t).Tags; len(tags) != 1 {
		t.Errorf("tags after reimport: %+v", tags)
	}
	_, err = c.ImportCertificate(ctx, &acm.ImportCertificateInput{CertificateArn: aws.String(arn), Certificate: newCert, PrivateKey: newKey, Tags: []types.Tag{{Key: aws.String("a")}}})
	localcloudtest.WantCode(t, err, "InvalidParameterException")

	pending(cloud)
	requested := aws.ToString(must(c.RequestCertificate(ctx, &acm.RequestCertificateInput{DomainName: aws.String("imported.example.com"), KeyAlgorithm: types.KeyAlgorithmEcPrime256v1}))(t).CertificateArn)
	_, err = c.ImportCertificate(ctx, &acm.ImportCertificateInput{CertificateArn: aws.String(requested), Certificate: newCert, PrivateKey: newKey})
	localcloudtest.WantCode(t, err, "ValidationException")
}

func TestExportCertificate(t *testing.T) {
	c, _ := newClient(t)
	ctx := context.Background()
	plain := aws.ToString(must(c.RequestCertificate(ctx, &acm.RequestCertificateInput{DomainName: aws.String("plain.example.com"), KeyAlgorithm: types.KeyAlgorithmEcPrime256v1, ValidationMethod: types.ValidationMethodDns}))(t).CertificateArn)
	exportable := aws.ToString(must(c.RequestCertificate(ctx, &acm.RequestCertificateInput{
		DomainName: aws.String("export.example.com"), KeyAlgorithm: types.KeyAlgorithmEcPrime256v1, ValidationMethod: types.ValidationMethodDns,
		Options: &types.CertificateOptions{Export: types.CertificateExportEnabled},
	}))(t).CertificateArn)
	waitIssued(t, c, plain)
	d := waitIssued(t, c, exportable)
	if d.Options == nil || d.Options.Export != types.CertificateExportEnabled {
		t.Errorf("options %+v", d.Options)
	}

	_, err := c.ExportCertificate(ctx, &acm.ExportCertificateInput{CertificateArn: aws.String(plain), Passphrase: []byte("passphrase")})
	localcloudtest.WantCode(t, err, "ValidationException")

	out := must(c.ExportCertificate(ctx, &acm.ExportCertificateInput{CertificateArn: aws.String(exportable), Passphrase: []byte("passphrase")}))(t)
	block, _ := pem.Decode([]byte(aws.ToString(out.PrivateKey)))
	if block == nil || block.Type != "ENCRYPTED PRIVATE KEY" {
		t.Fatalf("exported key:\n%s", aws.ToString(out.PrivateKey))
	}
	key, err := decryptPKCS8(block.Bytes, "passphrase")
	if err != nil {
		t.Fatal(err)
	}
	certBlock, _ := pem.Decode([]byte(aws.ToString(out.Certificate)))
	cert, err := x509.ParseCertificate(certBlock.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	if !key.(*ecdsa.PrivateKey).PublicKey.Equal(cert.PublicKey) {
		t.Error("the exported key is not the certificate's")
	}
	if _, err := decryptPKCS8(block.Bytes, "wrong"); err == nil {
		t.Error("the wrong passphrase decrypted the key")
	}
	list := must(c.ListCertificates(ctx, &acm.ListCertificatesInput{Includes: &types.Filters{KeyTypes: []types.KeyAlgorithm{types.KeyAlgorithmEcPrime256v1}, ExportOption: types.CertificateExportEnabled}}))(t)
	if len(list.CertificateSummaryList) != 1 || aws.ToString(list.CertificateSummaryList[0].CertificateArn) != exportable || !aws.ToBool(list.CertificateSummaryList[0].Exported) {
		t.Errorf("exportable certificates: %+v", list.CertificateSummaryList)
	}
	_, err = c.UpdateCertificateOptions(ctx, &acm.UpdateCertificateOptionsInput{CertificateArn: aws.String(exportable), Options: &types.CertificateOptions{Export: types.CertificateExportDisabled}})
	localcloudtest.WantCode(t, err, "InvalidParameterException")
	// Restating the Export option the certificate has is no change.
	must(c.UpdateCertificateOptions(ctx, &acm.UpdateCertificateOptionsInput{CertificateArn: aws.String(plain), Options: &types.CertificateOptions{Export: types.CertificateExportDisabled}}))(t)
	if o := describe(t, c, plain).Options; o.Export != types.CertificateExportDisabled {
		t.Errorf("export option after update: %s", o.Export)
	}
	certPEM, keyPEM := selfSigned(t, "imported.example.com")
	imported := must(c.ImportCertificate(ctx, &acm.ImportCertificateInput{Certificate: certPEM, PrivateKey: keyPEM}))(t).CertificateArn
	_, err = c.UpdateCertificateOptions(ctx, &acm.UpdateCertificateOptionsInput{CertificateArn: imported, Options: &types.CertificateOptions{Export: types.CertificateExportDisabled}})
	localcloudtest.WantCode(t, err, "InvalidStateException")
}

// decryptPKCS8 opens a PBES2 (PBKDF2-HMAC-SHA256, AES-256-CBC) encrypted
// PKCS#8 key, as openssl pkcs8 does.
func decryptPKCS8(der []byte, passphrase string) (any, error) {
	var info struct {
		Algorithm struct {
			OID    asn1.ObjectIdentifier
			Params struct {
				KDF struct {
					OID    asn1.ObjectIdentifier
					Params struct {
						Salt       []byte
						Iterations int
						KeyLength  int `asn1:"optional"`
						PRF        pkix.AlgorithmIdentifier
					}
				}
				Cipher struct {
					OID asn1.ObjectIdentifier
					IV  []byte
				}
			}
		}
		Data []byte
	}
	if _, err := asn1.Unmarshal(der, &info); err != nil {
		return nil, err
	}
	kdf := info.Algorithm.Params.KDF.Params
	key, err := pbkdf2.Key(sha256.New, passphrase, kdf.Salt, kdf.Iterations, 32)
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	plain := make([]byte, len(info.Data))
	cipher.NewCBCDecrypter(block, info.Algorithm.Params.Cipher.IV).CryptBlocks(plain, info.Data)
	pad := int(plain[len(plain)-1])
	if pad < 1 || pad > aes.BlockSize {
		return nil, fmt.Errorf("bad padding")
	}
	return x509.ParsePKCS8PrivateKey(plain[:len(plain)-pad])
}

func TestDeleteCertificateInUse(t *testing.T) {
	c, cloud := newClient(t)
	ctx := context.Background()
	scoped := localcloudtest.InRegion(ctx, "us-east-1")
	arn := aws.ToString(must(c.RequestCertificate(ctx, &acm.RequestCertificateInput{DomainName: aws.String("lb.example.com"), KeyAlgorithm: types.KeyAlgorithmEcPrime256v1, ValidationMethod: types.ValidationMethodDns}))(t).CertificateArn)
	waitIssued(t, c, arn)
	lb := "arn:aws:elasticloadbalancing:us-east-1:000000000000:loadbalancer/app/web/0123456789abcdef"
	if err := cloud.ACM.SetInUse(scoped, arn, []string{lb, lb}); err != nil {
		t.Fatal(err)
	}
	d := describe(t, c, arn)
	if !slices.Equal(d.InUseBy, []string{lb}) || d.RenewalEligibility != types.RenewalEligibilityEligible {
		t.Errorf("in use by %v, renewal %s", d.InUseBy, d.RenewalEligibility)
	}
	_, err := c.DeleteCertificate(ctx, &acm.DeleteCertificateInput{CertificateArn: aws.String(arn)})
	localcloudtest.WantCode(t, err, "ResourceInUseException")
	if err := cloud.ACM.SetInUse(scoped, arn, nil); err != nil {
		t.Fatal(err)
	}
	must(c.DeleteCertificate(ctx, &acm.DeleteCertificateInput{CertificateArn: aws.String(arn)}))(t)

	for _, tc := range []struct {
		arn, code string
	}{
		{arn, "ResourceNotFoundException"},
		// Not an ACM ARN by the model's pattern: AWS's front end refuses it
		// before ACM sees it.
		{"arn:aws:s3:::bucket", "ValidationException"},
		{"arn:aws:acm:us-east-1:000000000000:other/x", "InvalidArnException"},
	} {
		_, err := c.DescribeCertificate(ctx, &acm.DescribeCertificateInput{CertificateArn: aws.String(tc.arn)})
		localcloudtest.WantCode(t, err, tc.code)
		_, err = c.DeleteCertificate(ctx, &acm.DeleteCertificateInput{CertificateArn: aws.String(tc.arn)})
		localcloudtest.WantCode(t, err, tc.code)
	}
	// The waiter stops at once on a certificate that does not exist.
	err = acm.NewCertificateValidatedWaiter(c).Wait(ctx, &acm.DescribeCertificateInput{CertificateArn: aws.String(arn)}, time.Minute)
	if err == nil || !strings.Contains(strings.ToLower(err.Error()), "failure") {
		t.Errorf("waiter on a deleted certificate: %v", err)
	}
}

func TestListCertificates(t *testing.T) {
	c, cloud := newClient(t)
	ctx := context.Background()
	pending(cloud)
	var rsa, ec []string
	for i := range 2 {
		rsa = append(rsa, aws.ToString(must(c.RequestCertificate(ctx, &acm.RequestCertificateInput{DomainName: aws.String(fmt.Sprintf("rsa%d.example.com", i))}))(t).CertificateArn))
	}
	for i := range 3 {
		ec = append(ec, aws.ToString(must(c.RequestCertificate(ctx, &acm.RequestCertificateInput{DomainName: aws.String(fmt.Sprintf("ec%d.example.com", i)), KeyAlgorithm: types.KeyAlgorithmEcSecp384r1}))(t).CertificateArn))
	}
	certPEM, keyPEM := selfSigned(t, "imported.example.com")
	imported := aws.ToString(must(c.ImportCertificate(ctx, &acm.ImportCertificateInput{Certificate: certPEM, PrivateKey: keyPEM}))(t).CertificateArn)

	list := func(in *acm.ListCertificatesInput) []string {
		var arns []string
		for p := acm.NewListCertificatesPaginator(c, in, func(o *acm.ListCertificatesPaginatorOptions) { o.Limit = 2 }); p.HasMorePages(); {
			for _, s := range must(p.NextPage(ctx))(t).CertificateSummaryList {
				arns = append(arns, aws.ToString(s.CertificateArn))
			}
		}
		slices.Sort(arns)
		return arns
	}
	sorted := func(arns ...string) []string { arns = slices.Clone(arns); slices.Sort(arns); return arns }
	allKeys := &types.Filters{KeyTypes: []types.KeyAlgorithm{types.KeyAlgorithmRsa2048, types.KeyAlgorithmEcSecp384r1, types.KeyAlgorithmEcPrime256v1}}
	cases := []struct {
		name string
		in   acm.ListCertificatesInput
		want []string
	}{
		{"default: RSA only", acm.ListCertificatesInput{}, sorted(rsa...)},
		{"EC by key type", acm.ListCertificatesInput{Includes: &types.Filters{KeyTypes: []types.KeyAlgorithm{types.KeyAlgorithmEcSecp384r1}}}, sorted(ec...)},
		{"pending of every key type", acm.ListCertificatesInput{Includes: allKeys, CertificateStatuses: []types.CertificateStatus{types.CertificateStatusPendingValidation}}, sorted(append(slices.Clone(rsa), ec...)...)},
		{"issued of every key type", acm.ListCertificatesInput{Includes: allKeys, CertificateStatuses: []types.CertificateStatus{types.CertificateStatusIssued}}, []string{imported}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := list(&tc.in); !slices.Equal(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
	newest := must(c.ListCertificates(ctx, &acm.ListCertificatesInput{Includes: allKeys, SortBy: types.SortByCreatedAt, SortOrder: types.SortOrderDescending, MaxItems: aws.Int32(1)}))(t)
	if len(newest.CertificateSummaryList) != 1 || aws.ToString(newest.CertificateSummaryList[0].CertificateArn) != imported || newest.NextToken == nil {
		t.Errorf("newest first: %+v", newest)
	}
	s := newest.CertificateSummaryList[0]
	if s.Type != types.CertificateTypeImported || s.KeyAlgorithm != "EC-prime256v1" || aws.ToBool(s.InUse) || !slices.Equal(s.SubjectAlternativeNameSummaries, []string{"imported.example.com"}) {
		t.Errorf("summary %+v", s)
	}
	_, err := c.ListCertificates(ctx, &acm.ListCertificatesInput{NextToken: aws.String("not-a-token")})
	localcloudtest.WantCode(t, err, "InvalidArgsException")
}

func TestTags(t *testing.T) {
	c, cloud := newClient(t)
	pending(cloud)
	ctx := context.Background()
	arn := aws.String(aws.ToString(must(c.RequestCertificate(ctx, &acm.RequestCertificateInput{
		DomainName: aws.String("tags.example.com"), KeyAlgorithm: types.KeyAlgorithmEcPrime256v1,
		Tags: []types.Tag{{Key: aws.String("env"), Value: aws.String("dev")}},
	}))(t).CertificateArn))
	must(c.AddTagsToCertificate(ctx, &acm.AddTagsToCertificateInput{CertificateArn: arn, Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("web")}, {Key: aws.String("flag")}}}))(t)
	// A tag named with another value stays.
	must(c.RemoveTagsFromCertificate(ctx, &acm.RemoveTagsFromCertificateInput{CertificateArn: arn, Tags: []types.Tag{{Key: aws.String("env"), Value: aws.String("prod")}, {Key: aws.String("team")}}}))(t)
	tags := must(c.ListTagsForCertificate(ctx, &acm.ListTagsForCertificateInput{CertificateArn: arn}))(t).Tags
	got := map[string]*string{}
	for _, tag := range tags {
		got[aws.ToString(tag.Key)] = tag.Value
	}
	if len(got) != 2 || aws.ToString(got["env"]) != "dev" || got["flag"] != nil {
		t.Errorf("tags %v", got)
	}
	many := make([]types.Tag, 49)
	for i := range many {
		many[i] = types.Tag{Key: aws.String(fmt.Sprintf("k%d", i)), Value: aws.String("v")}
	}
	cases := []struct {
		name string
		tags []types.Tag
		code string
	}{
		{"reserved prefix", []types.Tag{{Key: aws.String("AWS:x"), Value: aws.String("v")}}, "InvalidTagException"},
		{"too many", many, "TooManyTagsException"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := c.AddTagsToCertificate(ctx, &acm.AddTagsToCertificateInput{CertificateArn: arn, Tags: tc.tags})
			localcloudtest.WantCode(t, err, tc.code)
		})
	}
	_, err := c.ListTagsForCertificate(ctx, &acm.ListTagsForCertificateInput{CertificateArn: aws.String("arn:aws:acm:us-east-1:000000000000:certificate/nope")})
	localcloudtest.WantCode(t, err, "ResourceNotFoundException")
}

func TestEmailValidationAndAccountConfiguration(t *testing.T) {
	c, cloud := newClient(t)
	pending(cloud)
	ctx := context.Background()
	arn := aws.String(aws.ToString(must(c.RequestCertificate(ctx, &acm.RequestCertificateInput{
		DomainName: aws.String("shop.example.com"), KeyAlgorithm: types.KeyAlgorithmEcPrime256v1,
		DomainValidationOptions: []types.DomainValidationOption{{DomainName: aws.String("shop.example.com"), ValidationDomain: aws.String("example.com")}},
	}))(t).CertificateArn))
	v := describe(t, c, *arn).DomainValidationOptions[0]
	if v.ValidationMethod != types.ValidationMethodEmail || aws.ToString(v.ValidationDomain) != "example.com" || !slices.Contains(v.ValidationEmails, "admin@example.com") || v.ResourceRecord != nil {
		t.Errorf("email validation %+v", v)
	}
	cases := []struct {
		name, domain, validation, code string
	}{
		{"resend", "shop.example.com", "example.com", ""},
		{"unknown domain", "other.example.com", "example.com", "InvalidDomainValidationOptionsException"},
		{"other validation domain", "shop.example.com", "shop.example.com", "InvalidDomainValidationOptionsException"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := c.ResendValidationEmail(ctx, &acm.ResendValidationEmailInput{CertificateArn: arn, Domain: aws.String(tc.domain), ValidationDomain: aws.String(tc.validation)})
			localcloudtest.WantCode(t, err, tc.code)
		})
	}
	dns := aws.ToString(must(c.RequestCertificate(ctx, &acm.RequestCertificateInput{DomainName: aws.String("dns.example.com"), ValidationMethod: types.ValidationMethodDns, KeyAlgorithm: types.KeyAlgorithmEcPrime256v1}))(t).CertificateArn)
	_, err := c.ResendValidationEmail(ctx, &acm.ResendValidationEmailInput{CertificateArn: aws.String(dns), Domain: aws.String("dns.example.com"), ValidationDomain: aws.String("example.com")})
	localcloudtest.WantCode(t, err, "InvalidStateException")

	if days := must(c.GetAccountConfiguration(ctx, &acm.GetAccountConfigurationInput{}))(t).ExpiryEvents.DaysBeforeExpiry; aws.ToInt32(days) != 45 {
		t.Errorf("default DaysBeforeExpiry %d", aws.ToInt32(days))
	}
	must(c.PutAccountConfiguration(ctx, &acm.PutAccountConfigurationInput{IdempotencyToken: aws.String("t1"), ExpiryEvents: &types.ExpiryEventsConfiguration{DaysBeforeExpiry: aws.Int32(30)}}))(t)
	if days := must(c.GetAccountConfiguration(ctx, &acm.GetAccountConfigurationInput{}))(t).ExpiryEvents.DaysBeforeExpiry; aws.ToInt32(days) != 30 {
		t.Errorf("DaysBeforeExpiry after put: %d", aws.ToInt32(days))
	}
	_, err = c.PutAccountConfiguration(ctx, &acm.PutAccountConfigurationInput{IdempotencyToken: aws.String("t2"), ExpiryEvents: &types.ExpiryEventsConfiguration{DaysBeforeExpiry: aws.Int32(91)}})
	localcloudtest.WantCode(t, err, "ValidationException")
}

// TestRegionInARN checks that a call's region and account make the ARN and
// scope the certificate: it is not found from another region.
func TestRegionInARN(t *testing.T) {
	cloud := localcloudtest.Start(t)
	pending(cloud)
	ctx := context.Background()
	eu := acm.NewFromConfig(cloud.ConfigIn("eu-west-1"))
	arn := aws.ToString(must(eu.RequestCertificate(ctx, &acm.RequestCertificateInput{DomainName: aws.String("eu.example.com"), KeyAlgorithm: types.KeyAlgorithmEcPrime256v1}))(t).CertificateArn)
	if !strings.HasPrefix(arn, "arn:aws:acm:eu-west-1:000000000000:certificate/") {
		t.Errorf("ARN %s", arn)
	}
	_, err := acm.NewFromConfig(cloud.Config).DescribeCertificate(ctx, &acm.DescribeCertificateInput{CertificateArn: aws.String(arn)})
	localcloudtest.WantCode(t, err, "ResourceNotFoundException")
	describe(t, eu, arn)
}
