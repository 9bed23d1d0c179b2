package query

import (
	"bytes"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"net/url"
	"testing"
)

type blobShape struct {
	Name     string `query:"Name" xml:"name,omitempty"`
	Material Blob   `query:"Material" xml:"material,omitempty"`
}

// FuzzBlobRoundTrip sends any bytes the way botocore does (base64 in the
// form) and answers them the way it reads them (base64 element text): the
// form decoder gets the bytes back, the planned writer writes what
// encoding/xml writes, and an XML reader of the answer gets the bytes again.
func FuzzBlobRoundTrip(f *testing.F) {
	for _, seed := range [][]byte{nil, {}, []byte("ssh-ed25519 AAAA me@host"), {0, 0xff, '<', '&', '\n'}, bytes.Repeat([]byte{0xfe}, 300)} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		form := url.Values{"Name": {"k"}, "Material": {base64.StdEncoding.EncodeToString(raw)}}
		var in blobShape
		if err := DecodeForm(form, &in, Flat); err != nil {
			t.Fatalf("decoding base64 of %x: %v", raw, err)
		}
		if !bytes.Equal(in.Material, raw) {
			t.Fatalf("decoded %x, sent %x", in.Material, raw)
		}
		got, ok, err := AppendContent(nil, &in)
		if !ok || err != nil {
			t.Fatalf("no plan for a blob shape (ok %v): %v", ok, err)
		}
		var want bytes.Buffer
		if err := xml.NewEncoder(&want).Encode(&in); err != nil {
			t.Fatal(err)
		}
		if w := bytes.TrimSuffix(bytes.TrimPrefix(want.Bytes(), []byte("<blobShape>")), []byte("</blobShape>")); !bytes.Equal(got, w) {
			t.Fatalf("planned writer wrote %s, encoding/xml %s", got, w)
		}
		var back blobShape
		if err := xml.Unmarshal(append(append([]byte("<r>"), got...), "</r>"...), &back); err != nil {
			t.Fatalf("reading the answer back: %v", err)
		}
		if !bytes.Equal(back.Material, raw) {
			t.Fatalf("answer reads back as %x, want %x", back.Material, raw)
		}
	})
}

// TestBlobRejectsWhatIsNotBase64: the parameter is named, nothing is kept.
func TestBlobRejectsWhatIsNotBase64(t *testing.T) {
	for _, bad := range []string{"not*base64", "YWJj=", "YW"} {
		var in blobShape
		err := DecodeForm(url.Values{"Material": {bad}}, &in, Flat)
		var fieldErr *FieldError
		if !errors.As(err, &fieldErr) || fieldErr.Key != "Material" || !errors.Is(err, errNotBase64) {
			t.Errorf("%q: got %v, want a FieldError for Material", bad, err)
		}
		if in.Material != nil {
			t.Errorf("%q: kept %x", bad, in.Material)
		}
	}
}
