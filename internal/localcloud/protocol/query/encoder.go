package query

import (
	"bytes"
	"encoding/xml"
	"sync"
)

// Every query and EC2 response is written by encoding/xml, whose encoder
// allocates a 4 kB buffered writer each time it is made: a read call spent
// more on that than on its result. Encoders are kept with their buffers
// and reused; one that failed is dropped, its state unknown.
type xmlWriter struct {
	buf bytes.Buffer
	enc *xml.Encoder
}

var xmlWriters = sync.Pool{New: func() any {
	w := &xmlWriter{}
	w.enc = xml.NewEncoder(&w.buf)
	return w
}}

// MarshalElement encodes v as the element start and hands the bytes to
// use, which must not keep them.
func MarshalElement(v any, start xml.StartElement, use func(encoded []byte)) error {
	w := xmlWriters.Get().(*xmlWriter)
	w.buf.Reset()
	if err := w.enc.EncodeElement(v, start); err != nil {
		return err
	}
	use(w.buf.Bytes())
	if w.buf.Cap() <= 1<<20 { // an unusually large answer's buffer is not kept
		xmlWriters.Put(w)
	}
	return nil
}
