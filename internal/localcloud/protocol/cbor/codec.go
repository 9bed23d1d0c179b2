package cbor

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/berthdev/berth/internal/localcloud/protocol"
)

// ContentType is the media type of Smithy RPC v2 CBOR bodies.
const ContentType = "application/cbor"

// ProtocolHeader is the header that names the protocol on every request and
// every reply; the Go SDK refuses a reply without it.
const ProtocolHeader = "Smithy-Protocol"

// ProtocolID is ProtocolHeader's value.
const ProtocolID = "rpc-v2-cbor"

// Codec implements protocol.Codec for Smithy RPC v2 CBOR.
type Codec struct {
	// ServiceName is the service shape's name the path carries
	// (/service/{ServiceName}/operation/{Op}), e.g.
	// GraniteServiceVersion20100801 for CloudWatch.
	ServiceName string
	// Namespace qualifies error types into shape ids, e.g.
	// com.amazonaws.cloudwatch.
	Namespace string
	// QueryErrors marks an awsQueryCompatible service: error codes are the
	// query protocol's, sent in x-amzn-query-error, and __type names the
	// error shape this map gives for a code (the code itself when absent).
	QueryErrors map[string]string
}

// Decode reads the CBOR body into input, by way of the JSON form the input
// types are declared for. An empty body is an input with no members.
func (Codec) Decode(_ *http.Request, body []byte, input any) error {
	if len(body) == 0 {
		return nil
	}
	v, err := Decode(body)
	if err != nil {
		return protocol.Errorf("SerializationException", "request body is not valid CBOR: %v", err)
	}
	if v == nil {
		return nil
	}
	if _, ok := v.(map[string]any); !ok {
		return protocol.Errorf("SerializationException", "request body is a CBOR %T, not a map", v)
	}
	js, err := ToJSON(v)
	if err != nil {
		return protocol.Errorf("SerializationException", "request body: %v", err)
	}
	if err := json.NewDecoder(bytes.NewReader(js)).Decode(input); err != nil {
		var typeErr *json.UnmarshalTypeError
		if errors.As(err, &typeErr) {
			return protocol.Errorf("SerializationException", "member %q: expected %s, got a %s", typeErr.Field, typeErr.Type, typeErr.Value)
		}
		return protocol.Errorf("SerializationException", "request body: %v", err)
	}
	return nil
}

// Encode writes output as a CBOR map with status 200 (the protocol allows
// no other success status).
func (c Codec) Encode(w http.ResponseWriter, call *protocol.Call, output any) {
	body, err := Marshal(output)
	if err != nil {
		c.EncodeError(w, call, protocol.InternalError(fmt.Errorf("encoding response: %w", err)))
		return
	}
	writeHeaders(w, call)
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
}

// EncodeError writes {"__type": shape id, "message": …}; the Go SDK reads
// the lowercase message only.
func (c Codec) EncodeError(w http.ResponseWriter, call *protocol.Call, e *protocol.Error) {
	errType := e.Code
	if c.QueryErrors != nil {
		if shape, ok := c.QueryErrors[e.Code]; ok {
			errType = shape
		}
		kind := "Sender"
		if e.Fault {
			kind = "Receiver"
		}
		w.Header().Set("X-Amzn-Query-Error", e.Code+";"+kind)
	}
	if c.Namespace != "" {
		errType = c.Namespace + "#" + errType
	}
	body, _ := Marshal(struct {
		Type    string `json:"__type"`
		Message string `json:"message"`
	}{errType, e.Message})
	writeHeaders(w, call)
	w.WriteHeader(e.HTTPStatus())
	_, _ = w.Write(body)
}

// UnknownOperation is the answer for an operation the service does not
// have.
func (Codec) UnknownOperation(name string) *protocol.Error {
	return protocol.Errorf("UnknownOperationException", "operation %s is not supported by this endpoint", name)
}

func writeHeaders(w http.ResponseWriter, call *protocol.Call) {
	w.Header().Set(ProtocolHeader, ProtocolID)
	w.Header().Set("Content-Type", ContentType)
	if call != nil {
		w.Header().Set("X-Amzn-RequestId", call.RequestID)
	}
}

// Protocol is the protocol's name in AWS's models.
func (Codec) Protocol() string { return "smithy-rpc-v2-cbor" }
