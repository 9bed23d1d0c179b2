package ec2_test

import (
	"crypto/ed25519"
	"crypto/md5"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsec2 "github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/berthdev/berth/internal/localcloud/localcloudtest"
	"github.com/berthdev/berth/internal/localcloud/service/ec2"
)

func colons(sum []byte) string {
	h := hex.EncodeToString(sum)
	var parts []string
	for i := 0; i < len(h); i += 2 {
		parts = append(parts, h[i:i+2])
	}
	return strings.Join(parts, ":")
}

// openSSHEd25519 is the authorized_keys line of an ED25519 public key,
// built from RFC 8709's wire format.
func openSSHEd25519(public ed25519.PublicKey) (line string, blob []byte) {
	put := func(b []byte) {
		blob = binary.BigEndian.AppendUint32(blob, uint32(len(b)))
		blob = append(blob, b...)
	}
	put([]byte("ssh-ed25519"))
	put(public)
	return "ssh-ed25519 " + base64.StdEncoding.EncodeToString(blob) + " me@laptop", blob
}

// Key pairs as EC2 keeps them: made here with the private key handed out
// once, imported from an OpenSSH line or a PEM public key, with EC2's
// fingerprints (checked here from the key material itself), and required
// by RunInstances when a launch names one.
func TestKeyPairs(t *testing.T) {
	f := start(t)
	c := f.client

	made := must[*awsec2.CreateKeyPairOutput](t)(c.CreateKeyPair(ctx, &awsec2.CreateKeyPairInput{KeyName: aws.String("deploy"),
		TagSpecifications: []types.TagSpecification{{ResourceType: types.ResourceTypeKeyPair, Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("web")}}}}}))
	block, _ := pem.Decode([]byte(aws.ToString(made.KeyMaterial)))
	if block == nil || block.Type != "RSA PRIVATE KEY" {
		t.Fatalf("CreateKeyPair's key material is not an RSA PEM key: %q", aws.ToString(made.KeyMaterial))
	}
	private, err := x509.ParsePKCS1PrivateKey(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	pkcs8, _ := x509.MarshalPKCS8PrivateKey(private)
	sum := sha1.Sum(pkcs8)
	if got := aws.ToString(made.KeyFingerprint); got != colons(sum[:]) {
		t.Errorf("a made RSA key's fingerprint is %s, want the SHA-1 of its PKCS#8 DER %s", got, colons(sum[:]))
	}
	if !strings.HasPrefix(aws.ToString(made.KeyPairId), "key-") || len(made.Tags) != 1 {
		t.Errorf("made: id %s, tags %v", aws.ToString(made.KeyPairId), made.Tags)
	}
	_, err = c.CreateKeyPair(ctx, &awsec2.CreateKeyPairInput{KeyName: aws.String("deploy")})
	localcloudtest.WantCode(t, err, "InvalidKeyPair.Duplicate")

	// Imported: an OpenSSH ED25519 line, and an RSA key as PEM.
	edPublic, _, _ := ed25519.GenerateKey(rand.Reader)
	line, blob := openSSHEd25519(edPublic)
	imported := must[*awsec2.ImportKeyPairOutput](t)(c.ImportKeyPair(ctx, &awsec2.ImportKeyPairInput{KeyName: aws.String("laptop"), PublicKeyMaterial: []byte(line)}))
	edSum := sha256.Sum256(blob)
	if got := aws.ToString(imported.KeyFingerprint); got != base64.StdEncoding.EncodeToString(edSum[:]) {
		t.Errorf("an ED25519 key's fingerprint is %s, want the base64 SHA-256 of its blob", got)
	}
	rsaKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	der, _ := x509.MarshalPKIXPublicKey(&rsaKey.PublicKey)
	pemKey := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
	importedRSA := must[*awsec2.ImportKeyPairOutput](t)(c.ImportKeyPair(ctx, &awsec2.ImportKeyPairInput{KeyName: aws.String("ci"), PublicKeyMaterial: pemKey}))
	md5Sum := md5.Sum(der)
	if got := aws.ToString(importedRSA.KeyFingerprint); got != colons(md5Sum[:]) {
		t.Errorf("an imported RSA key's fingerprint is %s, want the MD5 of its DER %s", got, colons(md5Sum[:]))
	}
	for _, bad := range []string{"ssh-ed25519", "ssh-rsa AAAA", "not a key at all", "ssh-ed25519 " + base64.StdEncoding.EncodeToString([]byte("short"))} {
		_, err = c.ImportKeyPair(ctx, &awsec2.ImportKeyPairInput{KeyName: aws.String("bad"), PublicKeyMaterial: []byte(bad)})
		localcloudtest.WantCode(t, err, "InvalidKey.Format")
	}

	described := must[*awsec2.DescribeKeyPairsOutput](t)(c.DescribeKeyPairs(ctx, &awsec2.DescribeKeyPairsInput{KeyNames: []string{"laptop"}, IncludePublicKey: aws.Bool(true)}))
	if len(described.KeyPairs) != 1 || described.KeyPairs[0].KeyType != types.KeyTypeEd25519 || !strings.HasPrefix(aws.ToString(described.KeyPairs[0].PublicKey), "ssh-ed25519 ") {
		t.Errorf("described: %+v", described.KeyPairs)
	}
	byTag := must[*awsec2.DescribeKeyPairsOutput](t)(c.DescribeKeyPairs(ctx, &awsec2.DescribeKeyPairsInput{Filters: []types.Filter{{Name: aws.String("tag:team"), Values: []string{"web"}}}}))
	if len(byTag.KeyPairs) != 1 || aws.ToString(byTag.KeyPairs[0].KeyName) != "deploy" || byTag.KeyPairs[0].PublicKey != nil {
		t.Errorf("by tag: %+v", byTag.KeyPairs)
	}
	_, err = c.DescribeKeyPairs(ctx, &awsec2.DescribeKeyPairsInput{KeyNames: []string{"nobody"}})
	localcloudtest.WantCode(t, err, "InvalidKeyPair.NotFound")

	// A launch needs its key pair to exist.
	_, subnetID := network(t, c)
	launch := func(key string) error {
		_, err := c.RunInstances(ctx, &awsec2.RunInstancesInput{MinCount: aws.Int32(1), MaxCount: aws.Int32(1), KeyName: aws.String(key),
			ImageId: aws.String(ec2.ECSOptimizedImage("us-east-1").ID), InstanceType: types.InstanceTypeT3Micro, SubnetId: aws.String(subnetID)})
		return err
	}
	localcloudtest.WantCode(t, launch("deploy"), "")
	localcloudtest.WantCode(t, launch("nobody"), "InvalidKeyPair.NotFound")

	// Deleting by name or id; a name that names nothing is no error.
	must[*awsec2.DeleteKeyPairOutput](t)(c.DeleteKeyPair(ctx, &awsec2.DeleteKeyPairInput{KeyName: aws.String("deploy")}))
	must[*awsec2.DeleteKeyPairOutput](t)(c.DeleteKeyPair(ctx, &awsec2.DeleteKeyPairInput{KeyPairId: imported.KeyPairId}))
	must[*awsec2.DeleteKeyPairOutput](t)(c.DeleteKeyPair(ctx, &awsec2.DeleteKeyPairInput{KeyName: aws.String("deploy")}))
	left := must[*awsec2.DescribeKeyPairsOutput](t)(c.DescribeKeyPairs(ctx, &awsec2.DescribeKeyPairsInput{}))
	if len(left.KeyPairs) != 1 || aws.ToString(left.KeyPairs[0].KeyName) != "ci" {
		t.Errorf("after deleting two: %+v", left.KeyPairs)
	}
}

// TestAWSCLIImportKeyPair: the CLI reads the key file as bytes and sends
// the blob base64-encoded, as botocore's ec2 serializer does; the key
// arrives whole, so its fingerprint is the one of its own material.
func TestAWSCLIImportKeyPair(t *testing.T) {
	f := start(t)
	public, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	line, blob := openSSHEd25519(public)
	path := filepath.Join(t.TempDir(), "ci-laptop.pub")
	if err := os.WriteFile(path, []byte(line+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var imported struct{ KeyName, KeyFingerprint, KeyPairId string }
	awsCLI(t, f.endpoint, &imported, "ec2", "import-key-pair", "--region", "ap-southeast-2", "--key-name", "ci-laptop",
		"--public-key-material", "fileb://"+path)
	sum := sha256.Sum256(blob)
	if want := base64.StdEncoding.EncodeToString(sum[:]); imported.KeyName != "ci-laptop" || imported.KeyFingerprint != want ||
		!strings.HasPrefix(imported.KeyPairId, "key-") {
		t.Fatalf("import-key-pair printed %+v, want ci-laptop with fingerprint %s", imported, want)
	}
	var described struct {
		KeyPairs []struct{ KeyName, PublicKey string }
	}
	awsCLI(t, f.endpoint, &described, "ec2", "describe-key-pairs", "--region", "ap-southeast-2", "--key-names", "ci-laptop", "--include-public-key")
	if len(described.KeyPairs) != 1 || !strings.HasPrefix(described.KeyPairs[0].PublicKey, strings.TrimSuffix(line, " me@laptop")) {
		t.Fatalf("describe-key-pairs printed %+v, want the imported key %q", described, line)
	}
}
