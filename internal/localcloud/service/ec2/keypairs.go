package ec2

import (
	"bytes"
	"context"
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
	"errors"
	"math/big"
	"strings"
	"time"

	"github.com/berthdev/berth/internal/localcloud/protocol"
	"github.com/berthdev/berth/internal/localcloud/protocol/ec2query"
	"github.com/berthdev/berth/internal/localcloud/service/ec2/wire"
	"github.com/berthdev/berth/internal/localcloud/store"
)

// Key pairs: made here (CreateKeyPair, which returns the private key once
// and keeps only the public half) or imported (ImportKeyPair), described,
// deleted, and checked when an instance is launched with one. Fingerprints
// follow the rules EC2 documents for its keyFingerprint: for an RSA key EC2
// made, the SHA-1 of its DER PKCS#8 private key; for an imported RSA key,
// the MD5 of its DER public key (what AWS's openssl recipe computes, which
// is not ssh-keygen's MD5); for ED25519 keys, the base64 SHA-256 of the
// OpenSSH public key blob, which ssh-keygen prints (without the padding
// EC2 shows).

const (
	tableKeyPairs        = "ec2/keypairs"
	codeKeyPairNotFound  = "InvalidKeyPair.NotFound"
	codeKeyPairDuplicate = "InvalidKeyPair.Duplicate"
	codeKeyFormat        = "InvalidKey.Format"
	maxKeyNameLength     = 255
)

var kindKeyPair = resourceKind{prefix: "key-", noun: "key pair", notFoundCode: codeKeyPairNotFound,
	resourceType: "key-pair", table: tableKeyPairs}

// KeyPair is a named public key.
type KeyPair struct {
	ID          string
	Name        string
	Type        string // rsa | ed25519
	Fingerprint string
	// PublicKey is the OpenSSH authorized_keys line.
	PublicKey  string
	CreateTime time.Time
	Tags       map[string]string
}

func keyPairNotFound(name string) error {
	return protocol.Errorf(codeKeyPairNotFound, "The key pair '%s' does not exist", name)
}

// keyPairNamed finds the key pair of the call's scope with that name.
func keyPairNamed(tx *store.Tx, name string) (*KeyPair, error) {
	all, err := store.List[KeyPair](tx, tableKeyPairs)
	if err != nil {
		return nil, err
	}
	for _, k := range all {
		if k.Name == name {
			return k, nil
		}
	}
	return nil, nil
}

// checkKeyName is what RunInstances asks of a launch's KeyName.
func checkKeyName(tx *store.Tx, name string) error {
	if name == "" {
		return nil
	}
	k, err := keyPairNamed(tx, name)
	if err != nil {
		return err
	}
	if k == nil {
		return keyPairNotFound(name)
	}
	return nil
}

func (b *Backend) putKeyPair(ctx context.Context, k *KeyPair, dryRun bool) error {
	if k.Name == "" {
		return missingParameter("KeyName")
	}
	if len(k.Name) > maxKeyNameLength {
		return invalidParameterValue("Value (%s) for parameter KeyName is invalid. Length exceeds maximum of %d.", k.Name, maxKeyNameLength)
	}
	return b.update(ctx, dryRun, func(tx *store.Tx) error {
		existing, err := keyPairNamed(tx, k.Name)
		if err != nil {
			return err
		}
		if existing != nil {
			return protocol.Errorf(codeKeyPairDuplicate, "The keypair '%s' already exists.", k.Name)
		}
		return tx.Put(tableKeyPairs, k.ID, k)
	})
}

// newKey makes a key pair of the type asked for and returns its private
// key in PEM and its record.
func newKey(name, keyType string, now time.Time) (privatePEM string, k *KeyPair, err error) {
	var private any
	var sshPublic []byte
	switch keyType {
	case "", "rsa":
		keyType = "rsa"
		rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			return "", nil, err
		}
		private, sshPublic = rsaKey, sshRSAPublicKey(&rsaKey.PublicKey)
	case "ed25519":
		public, edKey, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			return "", nil, err
		}
		private, sshPublic = edKey, sshEd25519PublicKey(public)
	default:
		return "", nil, invalidParameterValue("Value (%s) for parameter keyType is invalid. Valid values are rsa, ed25519.", keyType)
	}
	der, err := x509.MarshalPKCS8PrivateKey(private)
	if err != nil {
		return "", nil, err
	}
	var fingerprint string
	if keyType == "rsa" {
		sum := sha1.Sum(der)
		fingerprint = colonHex(sum[:])
		// EC2 hands out RSA keys in the traditional PKCS#1 PEM, which
		// every ssh client reads.
		der = x509.MarshalPKCS1PrivateKey(private.(*rsa.PrivateKey))
		privatePEM = string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: der}))
	} else {
		fingerprint = sshSHA256Fingerprint(sshPublic)
		privatePEM = string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
	}
	k = &KeyPair{ID: store.NewID("key-", 17), Name: name, Type: keyType, Fingerprint: fingerprint,
		PublicKey: authorizedKey(sshPublic, name), CreateTime: now}
	return privatePEM, k, nil
}

// importedKey reads an OpenSSH public key line (or a PEM public key, as
// EC2 also accepts) and makes its record.
func importedKey(name string, material []byte, now time.Time) (*KeyPair, error) {
	invalid := protocol.Errorf(codeKeyFormat, "Key is not in valid OpenSSH public key format")
	text := strings.TrimSpace(string(material))
	var keyType string
	var sshPublic []byte
	var rsaPublic *rsa.PublicKey
	if block, _ := pem.Decode([]byte(text)); block != nil {
		parsed, err := x509.ParsePKIXPublicKey(block.Bytes)
		if err != nil {
			return nil, invalid
		}
		switch key := parsed.(type) {
		case *rsa.PublicKey:
			keyType, sshPublic, rsaPublic = "rsa", sshRSAPublicKey(key), key
		case ed25519.PublicKey:
			keyType, sshPublic = "ed25519", sshEd25519PublicKey(key)
		default:
			return nil, invalid
		}
	} else {
		fields := strings.Fields(text)
		if len(fields) < 2 {
			return nil, invalid
		}
		blob, err := base64.StdEncoding.DecodeString(fields[1])
		if err != nil {
			return nil, invalid
		}
		parts, err := sshWireStrings(blob)
		if err != nil || len(parts) == 0 || string(parts[0]) != fields[0] {
			return nil, invalid
		}
		switch {
		case fields[0] == "ssh-rsa" && len(parts) == 3:
			e := new(big.Int).SetBytes(parts[1])
			if !e.IsInt64() || e.Int64() < 3 || len(parts[2]) < 128 {
				return nil, invalid
			}
			keyType, sshPublic = "rsa", blob
			rsaPublic = &rsa.PublicKey{E: int(e.Int64()), N: new(big.Int).SetBytes(parts[2])}
		case fields[0] == "ssh-ed25519" && len(parts) == 2 && len(parts[1]) == ed25519.PublicKeySize:
			keyType, sshPublic = "ed25519", blob
		default:
			return nil, invalid
		}
	}
	k := &KeyPair{ID: store.NewID("key-", 17), Name: name, Type: keyType, PublicKey: authorizedKey(sshPublic, name), CreateTime: now}
	if rsaPublic != nil {
		der, err := x509.MarshalPKIXPublicKey(rsaPublic)
		if err != nil {
			return nil, invalid
		}
		sum := md5.Sum(der)
		k.Fingerprint = colonHex(sum[:])
	} else {
		k.Fingerprint = sshSHA256Fingerprint(sshPublic)
	}
	return k, nil
}

// The SSH wire format (RFC 4253 §6.6): length-prefixed strings.

func sshString(buf *bytes.Buffer, b []byte) {
	_ = binary.Write(buf, binary.BigEndian, uint32(len(b)))
	buf.Write(b)
}

// sshMPInt encodes a positive integer as an SSH mpint: big-endian, with a
// leading zero byte when the top bit is set.
func sshMPInt(buf *bytes.Buffer, n *big.Int) {
	b := n.Bytes()
	if len(b) > 0 && b[0]&0x80 != 0 {
		b = append([]byte{0}, b...)
	}
	sshString(buf, b)
}

func sshRSAPublicKey(k *rsa.PublicKey) []byte {
	var buf bytes.Buffer
	sshString(&buf, []byte("ssh-rsa"))
	sshMPInt(&buf, big.NewInt(int64(k.E)))
	sshMPInt(&buf, k.N)
	return buf.Bytes()
}

func sshEd25519PublicKey(k ed25519.PublicKey) []byte {
	var buf bytes.Buffer
	sshString(&buf, []byte("ssh-ed25519"))
	sshString(&buf, k)
	return buf.Bytes()
}

func sshWireStrings(blob []byte) ([][]byte, error) {
	var parts [][]byte
	for len(blob) > 0 {
		if len(blob) < 4 {
			return nil, errors.New("truncated length")
		}
		n := binary.BigEndian.Uint32(blob)
		blob = blob[4:]
		if uint64(n) > uint64(len(blob)) {
			return nil, errors.New("truncated string")
		}
		parts = append(parts, blob[:n])
		blob = blob[n:]
	}
	return parts, nil
}

func authorizedKey(sshPublic []byte, name string) string {
	parts, _ := sshWireStrings(sshPublic)
	return string(parts[0]) + " " + base64.StdEncoding.EncodeToString(sshPublic) + " " + name
}

func sshSHA256Fingerprint(sshPublic []byte) string {
	sum := sha256.Sum256(sshPublic)
	return base64.StdEncoding.EncodeToString(sum[:])
}

func colonHex(b []byte) string {
	h := hex.EncodeToString(b)
	var out strings.Builder
	for i := 0; i < len(h); i += 2 {
		if i > 0 {
			out.WriteByte(':')
		}
		out.WriteString(h[i : i+2])
	}
	return out.String()
}

func (k *KeyPair) filterValues(name string) ([]string, bool) {
	switch name {
	case "key-pair-id":
		return []string{k.ID}, true
	case "key-name":
		return []string{k.Name}, true
	case "fingerprint":
		return []string{k.Fingerprint}, true
	case "key-type":
		return []string{k.Type}, true
	}
	return nil, false
}

// The wire.

func (b *Backend) handleCreateKeyPair(ctx context.Context, in *wire.CreateKeyPairRequest) (*wire.KeyPair, error) {
	if in.KeyFormat != "" && in.KeyFormat != "pem" {
		// PuTTY's format is the one other EC2 offers; nothing here writes it.
		return nil, invalidParameterValue("Value (%s) for parameter keyFormat is invalid. The local cloud writes pem keys only.", in.KeyFormat)
	}
	tags, err := tagsFor(tagSpecsFrom(in.TagSpecifications), "key-pair")
	if err != nil {
		return nil, err
	}
	if in.KeyName == "" {
		return nil, missingParameter("KeyName")
	}
	privatePEM, k, err := newKey(in.KeyName, in.KeyType, b.now().UTC())
	if err != nil {
		return nil, err
	}
	k.Tags = tags
	if err := b.putKeyPair(ctx, k, boolValue(in.DryRun)); err != nil {
		return nil, err
	}
	return &wire.KeyPair{KeyName: k.Name, KeyFingerprint: k.Fingerprint, KeyMaterial: strings.TrimSuffix(privatePEM, "\n"),
		KeyPairId: k.ID, Tags: tagsListed(k.Tags)}, nil
}

func (b *Backend) handleImportKeyPair(ctx context.Context, in *wire.ImportKeyPairRequest) (*wire.ImportKeyPairResult, error) {
	tags, err := tagsFor(tagSpecsFrom(in.TagSpecifications), "key-pair")
	if err != nil {
		return nil, err
	}
	if in.KeyName == "" {
		return nil, missingParameter("KeyName")
	}
	// The blob arrives decoded from its base64.
	if len(in.PublicKeyMaterial) == 0 {
		return nil, missingParameter("PublicKeyMaterial")
	}
	k, err := importedKey(in.KeyName, in.PublicKeyMaterial, b.now().UTC())
	if err != nil {
		return nil, err
	}
	k.Tags = tags
	if err := b.putKeyPair(ctx, k, boolValue(in.DryRun)); err != nil {
		return nil, err
	}
	return &wire.ImportKeyPairResult{KeyName: k.Name, KeyFingerprint: k.Fingerprint, KeyPairId: k.ID, Tags: tagsOut(k.Tags)}, nil
}

func (b *Backend) handleDescribeKeyPairs(ctx context.Context, in *wire.DescribeKeyPairsRequest) (*wire.DescribeKeyPairsResult, error) {
	out := &wire.DescribeKeyPairsResult{KeyPairs: ec2query.List[wire.KeyPairInfo]{}}
	err := b.view(ctx, boolValue(in.DryRun), func(tx *store.Tx) error {
		all, err := store.List[KeyPair](tx, tableKeyPairs)
		if err != nil {
			return err
		}
		selected, err := selectByID(kindKeyPair, all, func(k *KeyPair) string { return k.ID }, in.KeyPairIds)
		if err != nil {
			return err
		}
		if len(in.KeyNames) > 0 {
			byName := map[string]*KeyPair{}
			for _, k := range selected {
				byName[k.Name] = k
			}
			selected = nil
			for _, name := range in.KeyNames {
				k, ok := byName[name]
				if !ok {
					return keyPairNotFound(name)
				}
				selected = append(selected, k)
			}
		}
		selected, err = filterItems(selected, filtersFrom(in.Filters), func(k *KeyPair) map[string]string { return k.Tags },
			func(k *KeyPair) fieldValues { return k.filterValues })
		if err != nil {
			return err
		}
		for _, k := range selected {
			item := wire.KeyPairInfo{KeyPairId: k.ID, KeyName: k.Name, KeyFingerprint: k.Fingerprint, KeyType: k.Type,
				CreateTime: ptr(protocol.XMLTime(k.CreateTime)), Tags: tagsListed(k.Tags)}
			if boolValue(in.IncludePublicKey) {
				item.PublicKey = k.PublicKey
			}
			out.KeyPairs = append(out.KeyPairs, item)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// handleDeleteKeyPair deletes by name or id; like EC2, it succeeds for a
// name that names nothing.
func (b *Backend) handleDeleteKeyPair(ctx context.Context, in *wire.DeleteKeyPairRequest) (*wire.DeleteKeyPairResult, error) {
	if in.KeyName == "" && in.KeyPairId == "" {
		return nil, missingParameter("KeyName")
	}
	out := &wire.DeleteKeyPairResult{Return: ptr(true)}
	err := b.update(ctx, boolValue(in.DryRun), func(tx *store.Tx) error {
		var k *KeyPair
		var err error
		if in.KeyPairId != "" {
			if k, err = getResource[KeyPair](tx, kindKeyPair, in.KeyPairId); err != nil {
				return err
			}
		} else if k, err = keyPairNamed(tx, in.KeyName); err != nil || k == nil {
			return err
		}
		out.KeyPairId = k.ID
		return tx.Delete(tableKeyPairs, k.ID)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
