package localcloud_test

import (
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/berthdev/berth/internal/localcloud/localcloudtest"
)

// TestAWSCLICertificatesAndSecrets walks what a user of the AWS CLI walks:
// request a certificate, watch it validate, fetch it and check it against
// the root CA the local cloud wrote to its state directory (the file
// `curl --cacert` is given); then store a secret and read it back.
func TestAWSCLICertificatesAndSecrets(t *testing.T) {
	dir := t.TempDir()
	cloud := localcloudtest.StartInDir(t, dir)

	requested := awsIn(t, cloud, "us-east-1", "acm", "request-certificate",
		"--domain-name", "web.berth.localhost", "--subject-alternative-names", "www.web.berth.localhost",
		"--validation-method", "DNS", "--idempotency-token", "walkthrough")
	arn := str(requested, "CertificateArn")
	if !strings.HasPrefix(arn, "arn:aws:acm:us-east-1:000000000000:certificate/") {
		t.Fatalf("request-certificate printed %v", requested)
	}
	again := awsIn(t, cloud, "us-east-1", "acm", "request-certificate",
		"--domain-name", "web.berth.localhost", "--subject-alternative-names", "www.web.berth.localhost",
		"--validation-method", "DNS", "--idempotency-token", "walkthrough")
	if str(again, "CertificateArn") != arn {
		t.Errorf("the same idempotency token made a second certificate %s", str(again, "CertificateArn"))
	}

	var described map[string]any
	localcloudtest.Eventually(t, "the certificate to be issued", func() bool {
		described = awsIn(t, cloud, "us-east-1", "acm", "describe-certificate", "--certificate-arn", arn)
		return str(described, "Certificate", "Status") == "ISSUED"
	})
	if str(described, "Certificate", "Type") != "AMAZON_ISSUED" || str(described, "Certificate", "KeyAlgorithm") != "RSA-2048" ||
		str(described, "Certificate", "DomainValidationOptions", 1, "DomainName") != "www.web.berth.localhost" ||
		str(described, "Certificate", "DomainValidationOptions", 0, "ResourceRecord", "Type") != "CNAME" ||
		str(described, "Certificate", "DomainValidationOptions", 0, "ValidationStatus") != "SUCCESS" || str(described, "Certificate", "Serial") == "" {
		t.Errorf("describe-certificate printed %v", described)
	}

	got := awsIn(t, cloud, "us-east-1", "acm", "get-certificate", "--certificate-arn", arn)
	rootPEM, err := os.ReadFile(filepath.Join(dir, "ca", "root.pem"))
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(rootPEM) {
		t.Fatal("ca/root.pem holds no certificate")
	}
	block, _ := pem.Decode([]byte(str(got, "Certificate")))
	if block == nil {
		t.Fatalf("get-certificate printed %v", got)
	}
	leaf, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := leaf.Verify(x509.VerifyOptions{Roots: roots, DNSName: "www.web.berth.localhost"}); err != nil {
		t.Errorf("the issued certificate does not verify against ca/root.pem: %v", err)
	}

	created := awsIn(t, cloud, "eu-west-1", "secretsmanager", "create-secret",
		"--name", "web/database", "--secret-string", `{"password":"correct horse"}`, "--description", "the app's database")
	secretARN := str(created, "ARN")
	if !strings.HasPrefix(secretARN, "arn:aws:secretsmanager:eu-west-1:000000000000:secret:web/database-") || len(secretARN) != len("arn:aws:secretsmanager:eu-west-1:000000000000:secret:web/database-")+6 {
		t.Errorf("create-secret printed %v", created)
	}
	for _, id := range []string{"web/database", secretARN} {
		value := awsIn(t, cloud, "eu-west-1", "secretsmanager", "get-secret-value", "--secret-id", id)
		if str(value, "SecretString") != `{"password":"correct horse"}` || str(value, "Name") != "web/database" || str(value, "VersionStages", 0) != "AWSCURRENT" {
			t.Errorf("get-secret-value --secret-id %s printed %v", id, value)
		}
	}
	if _, err := runAWS(t, cloud, "us-east-1", "secretsmanager", "get-secret-value", "--secret-id", "web/database"); err == nil || !strings.Contains(err.Error(), "ResourceNotFoundException") {
		t.Errorf("the secret is visible from another region: %v", err)
	}
}
