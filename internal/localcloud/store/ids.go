package store

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
)

// NewID returns prefix followed by n random hex digits, the shape of AWS ids:
// NewID("vpc-", 17) → "vpc-0a1b2c3d4e5f67890".
func NewID(prefix string, n int) string {
	return prefix + RandomHex(n)
}

// RandomHex returns n random lowercase hex digits.
func RandomHex(n int) string {
	b := make([]byte, (n+1)/2)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on Linux
	return hex.EncodeToString(b)[:n]
}

// NewUUID returns a random RFC 4122 version 4 UUID (request ids, task ids'
// cousins).
func NewUUID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}
