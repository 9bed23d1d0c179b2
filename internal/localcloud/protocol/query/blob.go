package query

import (
	"encoding/base64"
	"errors"
)

// Blob is a blob member of a query or EC2 shape. Both protocols carry a
// blob as standard, padded base64: in a request's form value and as the
// text of a response's element (botocore's serializers and parsers, and
// the SDKs', encode and decode it so). The form decoder and the XML
// writers reach it through its text methods, so no codec special-cases it.
type Blob []byte

// MarshalText writes the blob as base64.
func (b Blob) MarshalText() ([]byte, error) {
	out := make([]byte, base64.StdEncoding.EncodedLen(len(b)))
	base64.StdEncoding.Encode(out, b)
	return out, nil
}

// errNotBase64 is what a form value that is no base64 gets; the decoder
// names the parameter and the value around it.
var errNotBase64 = errors.New("want base64")

// UnmarshalText reads a base64 form value.
func (b *Blob) UnmarshalText(text []byte) error {
	out := make([]byte, base64.StdEncoding.DecodedLen(len(text)))
	n, err := base64.StdEncoding.Decode(out, text)
	if err != nil {
		return errNotBase64
	}
	*b = out[:n]
	return nil
}
