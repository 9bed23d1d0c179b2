package localcloud

import (
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"runtime/debug"
	"sort"
	"strings"
	"time"

	"github.com/berthdev/berth/internal/localcloud/protocol"
	"github.com/berthdev/berth/internal/localcloud/protocol/awsjson"
	"github.com/berthdev/berth/internal/localcloud/protocol/cbor"
	"github.com/berthdev/berth/internal/localcloud/protocol/query"
	"github.com/berthdev/berth/internal/localcloud/store"
)

// maxBodyBytes bounds a request body; AWS's own limits are far lower for the
// APIs served here, so anything larger is a broken or hostile client.
const maxBodyBytes = 16 << 20

// Router is the AWS API half of the endpoint: it finds the service and the
// operation a request is for, decodes it with the service's codec, runs it
// and encodes the reply or the AWS error.
type Router struct {
	byTarget  map[string]*protocol.Service // awsJson target prefix
	byVersion map[string][]*protocol.Service
	byRPCv2   map[string]*protocol.Service // Smithy RPC v2 CBOR, by service shape name
	logger    *slog.Logger
	// Account is the account every call acts in (protocol.DefaultAccountID
	// when empty).
	Account string
}

// NewRouter routes to the given services.
func NewRouter(logger *slog.Logger, services ...*protocol.Service) *Router {
	r := &Router{byTarget: map[string]*protocol.Service{}, byVersion: map[string][]*protocol.Service{}, logger: logger}
	for _, s := range services {
		attachModel(s)
		if r.registerRPCv2(s) {
			continue
		}
		if s.TargetPrefix != "" {
			r.byTarget[s.TargetPrefix] = s
		}
		if s.Version != "" {
			r.byVersion[s.Version] = append(r.byVersion[s.Version], s)
		}
	}
	return r
}

// Models are the botocore names of the models of the routed services.
func (rt *Router) Models() []string {
	seen := map[string]bool{}
	var out []string
	add := func(s *protocol.Service) {
		if s.Model != nil && !seen[s.Model.Name] {
			seen[s.Model.Name] = true
			out = append(out, s.Model.Name)
		}
	}
	for _, s := range rt.byTarget {
		add(s)
	}
	for _, list := range rt.byVersion {
		for _, s := range list {
			add(s)
		}
	}
	sort.Strings(out)
	return out
}

// signingScope returns the region and signing name a request was signed for,
// from the Authorization header or a presigned URL's X-Amz-Credential. It
// runs for every request (the guard asks too), so it scans the header by
// hand rather than with a regular expression.
func signingScope(r *http.Request) (region, service string) {
	if region, service, ok := credentialScope(r.Header.Get("Authorization")); ok {
		return region, service
	}
	if parts := strings.Split(r.URL.Query().Get("X-Amz-Credential"), "/"); len(parts) == 5 {
		return parts[2], parts[3]
	}
	return "", ""
}

// credentialScope finds the SigV4 scope
// "Credential=AKID/yyyymmdd/region/service/aws4_request" in an
// Authorization header and returns its region and service.
func credentialScope(header string) (region, service string, ok bool) {
	const label = "Credential="
	for {
		i := strings.Index(header, label)
		if i < 0 {
			return "", "", false
		}
		header = header[i+len(label):]
		value := header
		if end := strings.IndexAny(value, ", \t\n\f\r"); end >= 0 {
			value = value[:end]
		}
		key, rest, _ := strings.Cut(value, "/")
		date, rest, _ := strings.Cut(rest, "/")
		region, rest, _ = strings.Cut(rest, "/")
		service, rest, _ = strings.Cut(rest, "/")
		if key != "" && isDate(date) && region != "" && service != "" && strings.HasPrefix(rest, "aws4_request") {
			return region, service, true
		}
	}
}

// isDate reports whether s is eight digits (a SigV4 scope's yyyymmdd).
func isDate(s string) bool {
	if len(s) != 8 {
		return false
	}
	for i := range len(s) {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// signingKey returns the access key id a request was signed with, from the
// Authorization header or a presigned URL's X-Amz-Credential.
func signingKey(r *http.Request) string {
	if _, after, ok := strings.Cut(r.Header.Get("Authorization"), "Credential="); ok {
		key, _, _ := strings.Cut(after, "/")
		return key
	}
	key, _, _ := strings.Cut(r.URL.Query().Get("X-Amz-Credential"), "/")
	return key
}

// ServeHTTP serves one AWS API call. A panic in a handler becomes an
// InternalFailure reply, never a dropped connection or a dead endpoint.
func (rt *Router) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	region, signingName := signingScope(r)
	if region == "" {
		region = protocol.DefaultRegion
	}
	account := rt.Account
	if account == "" {
		account = protocol.DefaultAccountID
	}
	call := &protocol.Call{Region: region, AccountID: account, RequestID: store.NewUUID(), Service: signingName, AccessKeyID: signingKey(r)}
	if rec := callRecordFrom(r.Context()); rec != nil {
		defer rec.fill(call)
	}

	body, err := readBody(r)
	if err != nil {
		writeRouteError(w, r, call, protocol.Errorf("SerializationException", "reading request body: %v", err))
		return
	}

	svc, opName, perr := rt.route(r, body, signingName)
	if perr != nil {
		writeRouteError(w, r, call, perr)
		return
	}
	call.Service = svc.SigningName
	call.Operation = opName
	op, ok := svc.Lookup(opName)
	if !ok {
		encodeError(w, r, svc.Codec, call, unimplemented(svc, opName))
		return
	}
	if verr := validateRequest(svc, opName, r, body); verr != nil {
		encodeError(w, r, svc.Codec, call, verr)
		return
	}
	defer func() {
		if p := recover(); p != nil {
			rt.logger.Error("handler panicked", "service", call.Service, "operation", opName, "panic", p, "stack", string(debug.Stack()))
			encodeError(w, r, svc.Codec, call, protocol.InternalError(fmt.Errorf("%v", p)))
		}
	}()
	input := op.NewInput()
	if err := svc.Codec.Decode(r, body, input); err != nil {
		encodeError(w, r, svc.Codec, call, asAWSError(err))
		return
	}
	output, err := op.Invoke(protocol.WithCall(r.Context(), call), input)
	if err != nil {
		aerr := asAWSError(err)
		if aerr.Fault {
			rt.logger.Error("operation failed", "service", call.Service, "operation", opName, "error", err)
		}
		encodeError(w, r, svc.Codec, call, aerr)
		return
	}
	svc.Codec.Encode(w, call, output)
}

// describe tells what a request would call (service and operation, when it
// routes) and the codec its errors are written in: the guard answers and
// logs refused calls with it.
func (rt *Router) describe(r *http.Request, body []byte) (codec protocol.Codec, service, operation string) {
	_, signingName := signingScope(r)
	if svc, op, err := rt.route(r, body, signingName); err == nil {
		return svc.Codec, svc.SigningName, op
	}
	if isRPCv2(r) {
		return cbor.Codec{}, "", ""
	}
	if r.Header.Get("X-Amz-Target") != "" || strings.Contains(r.Header.Get("Content-Type"), "json") {
		return awsjson.Codec{}, "", ""
	}
	return query.Codec{}, "", ""
}

// route finds the service and operation: X-Amz-Target first, then the
// form's Version (disambiguated by the signing name when two services share
// a version).
func (rt *Router) route(r *http.Request, body []byte, signingName string) (*protocol.Service, string, *protocol.Error) {
	if svc, op, ok, err := rt.routeRPCv2(r); ok {
		return svc, op, err
	}
	if target := r.Header.Get("X-Amz-Target"); target != "" {
		dot := strings.LastIndex(target, ".")
		if dot < 0 {
			return nil, "", protocol.Errorf("UnknownOperationException", "X-Amz-Target %q is not Service.Operation", target)
		}
		svc, ok := rt.byTarget[target[:dot]]
		if !ok {
			return nil, "", protocol.Errorf("UnknownOperationException", "no service with target prefix %q", target[:dot])
		}
		return svc, target[dot+1:], nil
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, "", protocol.Errorf("MalformedQueryString", "request body is not a form: %v", err)
	}
	if r.URL.RawQuery != "" { // GET-style query calls put parameters in the URL
		for k, v := range r.URL.Query() {
			if _, ok := form[k]; !ok {
				form[k] = v
			}
		}
	}
	r.PostForm = form
	action, version := form.Get("Action"), form.Get("Version")
	if action == "" {
		return nil, "", protocol.Errorf("MissingAction", "the request names no Action (and no X-Amz-Target)")
	}
	candidates := rt.byVersion[version]
	switch {
	case len(candidates) == 1:
		return candidates[0], action, nil
	case len(candidates) > 1:
		for _, s := range candidates {
			if s.SigningName == signingName {
				return s, action, nil
			}
		}
	}
	return nil, "", protocol.Errorf("InvalidAction", "no service here serves Action %s at Version %q", action, version)
}

// Smithy RPC v2 CBOR (CloudWatch's first protocol, the only one current Go
// SDK clients send) names the service and operation in the path,
// {prefix}/service/{ServiceShape}/operation/{Operation}, and the protocol in
// the Smithy-Protocol header; it is routed before X-Amz-Target and forms.

// registerRPCv2 files a CBOR service under its service shape name; it
// reports whether s is one.
func (rt *Router) registerRPCv2(s *protocol.Service) bool {
	c, ok := s.Codec.(cbor.Codec)
	if !ok {
		return false
	}
	if rt.byRPCv2 == nil {
		rt.byRPCv2 = map[string]*protocol.Service{}
	}
	rt.byRPCv2[c.ServiceName] = s
	return true
}

func isRPCv2(r *http.Request) bool {
	return r.Header.Get(cbor.ProtocolHeader) == cbor.ProtocolID
}

// routeRPCv2 finds a CBOR request's service and operation; ok is false for
// a request of another protocol.
func (rt *Router) routeRPCv2(r *http.Request) (svc *protocol.Service, op string, ok bool, err *protocol.Error) {
	if !isRPCv2(r) {
		return nil, "", false, nil
	}
	path := r.URL.Path
	i := strings.LastIndex(path, "/service/")
	if i < 0 {
		return nil, "", true, protocol.Errorf("UnknownOperationException", "path %q is not /service/{Service}/operation/{Operation}", path)
	}
	service, op, found := strings.Cut(path[i+len("/service/"):], "/operation/")
	if !found || service == "" || op == "" || strings.Contains(op, "/") {
		return nil, "", true, protocol.Errorf("UnknownOperationException", "path %q is not /service/{Service}/operation/{Operation}", path)
	}
	if r.Method != http.MethodPost {
		return nil, "", true, protocol.Errorf("UnknownOperationException", "Smithy RPC v2 requests are POSTs, not %s", r.Method).WithStatus(http.StatusMethodNotAllowed)
	}
	svc, known := rt.byRPCv2[service]
	if !known {
		return nil, "", true, protocol.Errorf("UnknownOperationException", "no service %q speaks Smithy RPC v2 CBOR here", service)
	}
	return svc, op, true, nil
}

func readBody(r *http.Request) ([]byte, error) {
	gzipped := strings.EqualFold(r.Header.Get("Content-Encoding"), "gzip")
	if !gzipped && r.ContentLength > 0 && r.ContentLength <= maxBodyBytes {
		// The length is known (the SDKs send it): one read into a buffer of
		// that size, where io.ReadAll would grow one from 512 bytes.
		body := make([]byte, r.ContentLength)
		if _, err := io.ReadFull(r.Body, body); err != nil {
			return nil, err
		}
		return body, nil
	}
	var reader io.Reader = http.MaxBytesReader(nil, r.Body, maxBodyBytes)
	if gzipped {
		gz, err := gzip.NewReader(reader)
		if err != nil {
			return nil, err
		}
		defer gz.Close()
		reader = io.LimitReader(gz, maxBodyBytes)
	}
	return io.ReadAll(reader)
}

// writeRouteError answers a request that reached no service, in the
// protocol the client evidently speaks.
func writeRouteError(w http.ResponseWriter, r *http.Request, call *protocol.Call, e *protocol.Error) {
	if isRPCv2(r) {
		encodeError(w, r, cbor.Codec{}, call, e)
		return
	}
	if r.Header.Get("X-Amz-Target") != "" || strings.Contains(r.Header.Get("Content-Type"), "json") {
		encodeError(w, r, awsjson.Codec{}, call, e)
		return
	}
	encodeError(w, r, query.Codec{}, call, e)
}

// encodeError writes e with codec and notes its code for the call log.
func encodeError(w http.ResponseWriter, r *http.Request, codec protocol.Codec, call *protocol.Call, e *protocol.Error) {
	noteCode(r, e.Code)
	codec.EncodeError(w, call, e)
}

// asAWSError turns any handler error into the AWS error the client sees;
// an error that is not already one is an internal failure.
func asAWSError(err error) *protocol.Error {
	var aerr *protocol.Error
	if errors.As(err, &aerr) {
		return aerr
	}
	if errors.Is(err, context.Canceled) {
		return &protocol.Error{Code: "RequestCanceled", Message: err.Error(), Status: 499}
	}
	return protocol.InternalError(err)
}

// The call log (berth local -v): one line per request to the control
// plane. callLogger wraps the endpoint's control plane only when logging is
// on; the router and the guard fill in the request's callRecord as they
// learn what the call was, so a request that is never logged costs nothing.
// No credential, signature, token or body is ever part of a record.
type callRecord struct {
	account, region, service, operation, code string
}

type callRecordKey struct{}

func callRecordFrom(ctx context.Context) *callRecord {
	rec, _ := ctx.Value(callRecordKey{}).(*callRecord)
	return rec
}

func (rec *callRecord) fill(call *protocol.Call) {
	rec.account, rec.region, rec.service, rec.operation = call.AccountID, call.Region, call.Service, call.Operation
}

// noteCode records the AWS (or admin) error code a request was answered
// with, when the call log is on.
func noteCode(r *http.Request, code string) {
	if rec := callRecordFrom(r.Context()); rec != nil {
		rec.code = code
	}
}

type callLogger struct {
	logger *slog.Logger
	next   http.Handler
}

func (l *callLogger) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	rec := &callRecord{}
	sw := &statusWriter{ResponseWriter: w}
	l.next.ServeHTTP(sw, r.WithContext(context.WithValue(r.Context(), callRecordKey{}, rec)))
	if rec.operation == "" { // an admin route, or a call refused before routing
		rec.service = "berth"
		if !isAdminPath(r.URL.Path) {
			rec.service = "-"
		}
		rec.operation = r.Method + " " + r.URL.Path // the path only: a presigned URL's query holds its signature
	}
	if rec.region == "" { // refused before the router: the region it was signed for, if any
		rec.region, _ = signingScope(r)
	}
	l.logger.Info("call", "account", rec.account, "region", rec.region, "service", rec.service, "operation", rec.operation,
		"status", sw.status(), "code", rec.code, "duration", time.Since(start).Round(time.Microsecond))
}

// statusWriter remembers the status a handler sent.
type statusWriter struct {
	http.ResponseWriter
	code int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(p []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	return w.ResponseWriter.Write(p)
}

func (w *statusWriter) status() int {
	if w.code == 0 {
		return http.StatusOK
	}
	return w.code
}

// Unwrap lets http.ResponseController reach the connection.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
