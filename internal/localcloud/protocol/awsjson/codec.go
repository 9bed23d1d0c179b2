// Package awsjson is the awsJson 1.1 protocol (ECS, ECR, SSM, CloudWatch
// Logs, ACM, Application Auto Scaling) and its 1.0 variant (CloudWatch): a
// JSON body in, a JSON body out, the operation named by the X-Amz-Target
// header.
package awsjson

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/berthdev/berth/internal/localcloud/protocol"
)

// Codec implements protocol.Codec for awsJson 1.1; its zero value is 1.1.
type Codec struct {
	// Version "1.0" selects awsJson 1.0: its Content-Type, and error
	// __type values that are full shape ids (Namespace#Shape).
	Version string
	// Namespace is the Smithy namespace 1.0 error types are qualified
	// with, e.g. com.amazonaws.cloudwatch.
	Namespace string
	// QueryErrors marks an awsQueryCompatible service (CloudWatch): its
	// errors' codes are the query protocol's codes, which travel in the
	// x-amzn-query-error header (both SDKs report that code), while
	// __type names the error shape this map gives for the code (the code
	// itself when absent).
	QueryErrors map[string]string
}

func (c Codec) contentType() string {
	if c.Version == "1.0" {
		return "application/x-amz-json-1.0"
	}
	return "application/x-amz-json-1.1"
}

// Decode unmarshals the JSON body into input. An empty body counts as {}.
// The body is one JSON value: json.Unmarshal refuses what trails it (a
// stream decoder would ignore it) and reads the body in place, without the
// stream decoder's copy of it.
func (Codec) Decode(_ *http.Request, body []byte, input any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	if err := json.Unmarshal(body, input); err != nil {
		var typeErr *json.UnmarshalTypeError
		if errors.As(err, &typeErr) {
			return protocol.Errorf("SerializationException", "field %q: expected %s, got a JSON %s", typeErr.Field, typeErr.Type, typeErr.Value)
		}
		return protocol.Errorf("SerializationException", "request body is not valid JSON: %v", err)
	}
	return nil
}

// Encode writes output as the JSON response body, with its length (a
// reply over net/http's 2 kB buffer would otherwise go out chunked).
func (c Codec) Encode(w http.ResponseWriter, call *protocol.Call, output any) {
	enc := jsonEncoders.Get().(*jsonEncoder)
	defer enc.put()
	enc.buf.Reset()
	if err := enc.enc.Encode(output); err != nil {
		c.EncodeError(w, call, protocol.InternalError(fmt.Errorf("encoding response: %w", err)))
		return
	}
	body := bytes.TrimSuffix(enc.buf.Bytes(), []byte("\n")) // Encode ends the value with one; Marshal does not
	c.writeHeaders(w, call)
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
}

// jsonEncoder keeps an encoder with its buffer: json.Marshal makes a new
// buffer for each reply and then copies the reply out of it.
type jsonEncoder struct {
	buf bytes.Buffer
	enc *json.Encoder
}

var jsonEncoders = sync.Pool{New: func() any {
	e := &jsonEncoder{}
	e.enc = json.NewEncoder(&e.buf)
	return e
}}

func (e *jsonEncoder) put() {
	if e.buf.Cap() <= 1<<20 { // an unusually large reply's buffer is not kept
		jsonEncoders.Put(e)
	}
}

// EncodeError writes the error both ways clients read it: the Go SDK takes
// the X-Amzn-ErrorType header, botocore the __type member.
func (c Codec) EncodeError(w http.ResponseWriter, call *protocol.Call, e *protocol.Error) {
	errType := e.Code
	if c.QueryErrors != nil {
		if shape, ok := c.QueryErrors[e.Code]; ok {
			errType = shape
		}
		w.Header().Set("X-Amzn-Query-Error", QueryErrorHeader(e))
	}
	if c.Version == "1.0" && c.Namespace != "" {
		errType = c.Namespace + "#" + errType
	}
	body, _ := json.Marshal(struct {
		Type    string `json:"__type"`
		Message string `json:"message"`
	}{errType, e.Message})
	c.writeHeaders(w, call)
	w.Header().Set("X-Amzn-ErrorType", errType)
	w.WriteHeader(e.HTTPStatus())
	_, _ = w.Write(body)
}

// UnknownOperation is what AWS answers for a target it does not serve.
func (Codec) UnknownOperation(name string) *protocol.Error {
	return protocol.Errorf("UnknownOperationException", "operation %s is not supported by this endpoint", name)
}

// QueryErrorHeader is the x-amzn-query-error value of an
// awsQueryCompatible service's error: the query code and who is at fault.
func QueryErrorHeader(e *protocol.Error) string {
	if e.Fault {
		return e.Code + ";Receiver"
	}
	return e.Code + ";Sender"
}

func (c Codec) writeHeaders(w http.ResponseWriter, call *protocol.Call) {
	w.Header().Set("Content-Type", c.contentType())
	if call != nil {
		w.Header().Set("X-Amzn-RequestId", call.RequestID)
	}
}

// Time is a timestamp the way awsJson carries it: epoch seconds as a JSON
// number (the Go SDK rejects strings).
type Time time.Time

// NewTime converts t; a zero t stays zero.
func NewTime(t time.Time) Time { return Time(t) }

// Time returns t as a time.Time.
func (t Time) Time() time.Time { return time.Time(t) }

// IsZero reports whether t is unset.
func (t Time) IsZero() bool { return time.Time(t).IsZero() }

// MarshalJSON writes epoch seconds with millisecond precision.
func (t Time) MarshalJSON() ([]byte, error) {
	ms := time.Time(t).UnixMilli()
	return []byte(strconv.FormatFloat(float64(ms)/1000, 'f', -1, 64)), nil
}

// UnmarshalJSON accepts epoch seconds (with or without a fraction) and, for
// lenient clients, an RFC 3339 string.
func (t *Time) UnmarshalJSON(data []byte) error {
	s := strings.TrimSpace(string(data))
	if s == "null" {
		return nil
	}
	if strings.HasPrefix(s, `"`) {
		var str string
		if err := json.Unmarshal(data, &str); err != nil {
			return err
		}
		parsed, err := time.Parse(time.RFC3339Nano, str)
		if err != nil {
			return fmt.Errorf("timestamp %q: %w", str, err)
		}
		*t = Time(parsed)
		return nil
	}
	secs, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return fmt.Errorf("timestamp %s: %w", s, err)
	}
	*t = Time(time.UnixMilli(int64(secs * 1000)).UTC())
	return nil
}

// Protocol is the protocol's name in AWS's models.
func (Codec) Protocol() string { return "json" }
