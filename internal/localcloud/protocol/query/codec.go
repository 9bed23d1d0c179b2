// Package query is the AWS query protocol (IAM, STS, Auto Scaling, ELBv2):
// a form body with Action and Version in, an XML document out.
//
// Request shapes are Go structs decoded by DecodeForm (`query` tags); response
// shapes are Go structs encoded by encoding/xml (`xml` tags, lists as
// `xml:"Subnets>member"`, optional members with omitempty). Response structs
// must not set XMLName: the codec names the <OpResult> element.
package query

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"sync"

	"github.com/berthdev/berth/internal/localcloud/protocol"
)

// Codec implements protocol.Codec for the query protocol of one service.
type Codec struct {
	// Namespace is the service's XML namespace, e.g.
	// http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/.
	Namespace string
}

// Decode reads the form values (already parsed by the router) into input.
func (Codec) Decode(r *http.Request, _ []byte, input any) error {
	return DecodeRequest(r, input, Members, "ValidationError")
}

// DecodeRequest decodes the request's form into input; a value that does not
// fit its field becomes an AWS error with the given code.
func DecodeRequest(r *http.Request, input any, style ListStyle, code string) error {
	if err := DecodeForm(r.PostForm, input, style); err != nil {
		var fieldErr *FieldError
		if errors.As(err, &fieldErr) {
			return protocol.Errorf(code, "%s", fieldErr.Error())
		}
		return protocol.InternalError(err)
	}
	return nil
}

// Encode writes <OpResponse><OpResult>…</OpResult><ResponseMetadata>. The
// Result element is written even when empty: the SDKs require it.
func (c Codec) Encode(w http.ResponseWriter, call *protocol.Call, output any) {
	buf := responseBuffers.Get().(*[]byte)
	defer putResponseBuffer(buf)
	body := append((*buf)[:0], xml.Header...)
	body = append(body, '<')
	body = append(body, call.Operation...)
	body = append(body, `Response xmlns="`...)
	body = append(body, c.Namespace...)
	body = append(body, `">`...)
	body, ok, err := AppendElement(body, call.Operation+"Result", output)
	if !ok {
		err = MarshalElement(output, xml.StartElement{Name: xml.Name{Local: call.Operation + "Result"}}, func(result []byte) {
			body = append(body, result...)
		})
	}
	if err != nil {
		c.EncodeError(w, call, protocol.InternalError(fmt.Errorf("encoding response: %w", err)))
		return
	}
	body = append(body, "<ResponseMetadata><RequestId>"...)
	body = AppendText(body, call.RequestID)
	body = append(body, "</RequestId></ResponseMetadata></"...)
	body = append(body, call.Operation...)
	body = append(body, "Response>"...)
	*buf = body
	WriteXMLDocument(w, http.StatusOK, body)
}

// responseBuffers hold the bytes of replies being written: a read call's
// reply is a few kB, and growing a fresh buffer to that for each call was a
// good part of what it allocated.
var responseBuffers = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

// ResponseBuffer returns a buffer for a reply; PutResponseBuffer gives it
// back once the reply is written.
func ResponseBuffer() *[]byte { return responseBuffers.Get().(*[]byte) }

// PutResponseBuffer returns buf to the pool, unless an unusually large
// reply grew it.
func PutResponseBuffer(buf *[]byte) { putResponseBuffer(buf) }

func putResponseBuffer(buf *[]byte) {
	if cap(*buf) <= 1<<20 {
		responseBuffers.Put(buf)
	}
}

// EncodeError writes an ErrorResponse; Type tells client from server faults.
func (c Codec) EncodeError(w http.ResponseWriter, call *protocol.Call, e *protocol.Error) {
	kind := "Sender"
	if e.Fault {
		kind = "Receiver"
	}
	var body bytes.Buffer
	fmt.Fprintf(&body, `<ErrorResponse xmlns="%s"><Error><Type>%s</Type><Code>`, c.Namespace, kind)
	_ = xml.EscapeText(&body, []byte(e.Code))
	body.WriteString("</Code><Message>")
	_ = xml.EscapeText(&body, []byte(e.Message))
	body.WriteString("</Message></Error><RequestId>")
	if call != nil {
		_ = xml.EscapeText(&body, []byte(call.RequestID))
	}
	body.WriteString("</RequestId></ErrorResponse>")
	WriteXML(w, e.HTTPStatus(), body.Bytes())
}

// UnknownOperation is the query protocol's answer to an unknown Action.
func (Codec) UnknownOperation(name string) *protocol.Error {
	return protocol.Errorf("InvalidAction", "The action %s is not valid for this web service.", name)
}

// WriteXML sends an XML body with the given status.
func WriteXML(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(xml.Header))
	_, _ = w.Write(body)
}

// WriteXMLDocument sends a whole document (XML declaration included) in
// one write, with its length: a reply larger than net/http's buffer
// would otherwise go out chunked.
func WriteXMLDocument(w http.ResponseWriter, status int, document []byte) {
	h := w.Header()
	h.Set("Content-Type", "text/xml")
	h.Set("Content-Length", strconv.Itoa(len(document)))
	w.WriteHeader(status)
	_, _ = w.Write(document)
}

// Protocol is the protocol's name in AWS's models.
func (Codec) Protocol() string { return "query" }
