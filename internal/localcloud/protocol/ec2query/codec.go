// Package ec2query is the EC2 protocol: a form body whose lists are flattened
// without ".member" (SubnetId.1=…), and an XML reply with lowerCamel elements,
// list items named <item>, a requestId and no Result wrapper.
//
// Request fields carry the EC2 key in their `query` tag (VpcIds →
// `query:"VpcId"`); response fields use `xml` tags such as
// `xml:"vpcSet>item"`. Response structs must not set XMLName.
package ec2query

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"net/http"

	"github.com/berthdev/berth/internal/localcloud/protocol"
	"github.com/berthdev/berth/internal/localcloud/protocol/query"
)

// Namespace is EC2's XML namespace for API version 2016-11-15.
const Namespace = "http://ec2.amazonaws.com/doc/2016-11-15/"

// Codec implements protocol.Codec for EC2.
type Codec struct{}

// Decode reads the flattened form values into input.
func (Codec) Decode(r *http.Request, _ []byte, input any) error {
	return query.DecodeRequest(r, input, query.Flat, "InvalidParameterValue")
}

// Encode writes <OpResponse><requestId/>…fields…</OpResponse>.
func (c Codec) Encode(w http.ResponseWriter, call *protocol.Call, output any) {
	buf := query.ResponseBuffer()
	defer query.PutResponseBuffer(buf)
	body := append((*buf)[:0], xml.Header...)
	body = append(body, '<')
	body = append(body, call.Operation...)
	body = append(body, `Response xmlns="`+Namespace+`"><requestId>`...)
	body = query.AppendText(body, call.RequestID)
	body = append(body, "</requestId>"...)
	body, ok, err := query.AppendContent(body, output)
	if !ok {
		err = query.MarshalElement(output, xml.StartElement{Name: xml.Name{Local: call.Operation + "Response"}}, func(fields []byte) {
			// encoding/xml wrote the element bare, "<OpResponse>…</OpResponse>":
			// its fields go after the namespace and the request id.
			inner := bytes.TrimSuffix(bytes.TrimPrefix(fields, []byte("<"+call.Operation+"Response>")), []byte("</"+call.Operation+"Response>"))
			body = append(body, inner...)
		})
	}
	if err != nil {
		c.EncodeError(w, call, protocol.InternalError(fmt.Errorf("encoding response: %w", err)))
		return
	}
	body = append(body, "</"...)
	body = append(body, call.Operation...)
	body = append(body, "Response>"...)
	*buf = body
	query.WriteXMLDocument(w, http.StatusOK, body)
}

// EncodeError writes EC2's <Response><Errors><Error> document (no Type).
func (Codec) EncodeError(w http.ResponseWriter, call *protocol.Call, e *protocol.Error) {
	var body bytes.Buffer
	body.WriteString("<Response><Errors><Error><Code>")
	_ = xml.EscapeText(&body, []byte(e.Code))
	body.WriteString("</Code><Message>")
	_ = xml.EscapeText(&body, []byte(e.Message))
	body.WriteString("</Message></Error></Errors><RequestID>")
	if call != nil {
		_ = xml.EscapeText(&body, []byte(call.RequestID))
	}
	body.WriteString("</RequestID></Response>")
	query.WriteXML(w, e.HTTPStatus(), body.Bytes())
}

// UnknownOperation is EC2's answer to an unknown Action.
func (Codec) UnknownOperation(name string) *protocol.Error {
	return protocol.Errorf("InvalidAction", "The action %s is not valid for this web service.", name)
}

// Protocol is the protocol's name in AWS's models.
func (Codec) Protocol() string { return "ec2" }
