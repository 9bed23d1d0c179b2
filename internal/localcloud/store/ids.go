package store

import (
	"crypto/rand"
	"encoding/hex"
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
// cousins). Every API call makes one, so it is written out by hand: one
// allocation instead of fmt's six.
func NewUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	var out [36]byte
	hex.Encode(out[0:8], b[0:4])
	out[8] = '-'
	hex.Encode(out[9:13], b[4:6])
	out[13] = '-'
	hex.Encode(out[14:18], b[6:8])
	out[18] = '-'
	hex.Encode(out[19:23], b[8:10])
	out[23] = '-'
	hex.Encode(out[24:], b[10:])
	return string(out[:])
}
