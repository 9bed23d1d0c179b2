package localcloud

import (
	"bytes"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/berthdev/berth/internal/localcloud/protocol"
	"github.com/berthdev/berth/internal/localcloud/protocol/awsjson"
	"github.com/berthdev/berth/internal/localcloud/protocol/ec2query"
	"github.com/berthdev/berth/internal/localcloud/registry"
	"github.com/berthdev/berth/internal/localcloud/sigv4"
	"github.com/berthdev/berth/internal/localcloud/store"
)

// The local cloud obeys local tools only. The guard stands in front of the
// control plane (the AWS API and the admin routes, never the load
// balancers' own traffic) and refuses, before any operation runs:
//
//   - a Host that is not loopback, localhost, *.localhost or allowed with
//     --hostname: a DNS-rebinding page reaches 127.0.0.1 under its own name;
//   - a request from a web page: it carries an Origin (every cross-origin
//     POST does, no-cors included) that --cors-origin did not allow, or,
//     without an Origin, Fetch Metadata saying a page sent it
//     (Sec-Fetch-Site cross-site or same-site: an <img> or <form> GET);
//   - with --require-sigv4, any request not signed by a known key pair
//     (admin routes also accept the admin token instead).
//
// Writing process images chooses what this machine runs, so it also needs
// the admin token from the state directory (requireToken), which another
// user of the machine cannot read.
type guard struct {
	origins     map[string]bool // allowed Origin values, lower case
	hostnames   map[string]bool // extra allowed Host names, lower case
	allowRemote bool            // IP-literal Hosts pass: remote clients name the machine by address
	verifier    *sigv4.Verifier // nil: signatures are not required
	token       string
	tokenFile   string
	tempDir     string // holds an ephemeral cloud's token; removed by close
	// describe names what a refused API call would have called and the
	// protocol it is answered in.
	describe func(r *http.Request, body []byte) (codec protocol.Codec, service, operation string)
	next     http.Handler
}

// newGuard checks the security options and writes a new admin token, into
// the state directory or, for an ephemeral cloud, a private temporary one.
func newGuard(opts Options) (*guard, error) {
	if opts.AllowRemote && len(opts.SigV4Keys) == 0 {
		return nil, errors.New("serving remote clients needs SigV4 key pairs to check their requests against")
	}
	g := &guard{origins: lowerSet(opts.CORSOrigins), hostnames: lowerSet(opts.Hostnames), allowRemote: opts.AllowRemote}
	if len(opts.SigV4Keys) > 0 {
		g.verifier = sigv4.New(opts.SigV4Keys)
	}
	dir := opts.StateDir
	if dir == "" {
		var err error
		if g.tempDir, err = os.MkdirTemp("", "berth-local-"); err != nil {
			return nil, fmt.Errorf("creating a directory for the admin token: %w", err)
		}
		dir = g.tempDir
	}
	var err error
	if g.token, g.tokenFile, err = writeAdminToken(dir); err != nil {
		return nil, errors.Join(err, g.close())
	}
	return g, nil
}

func (g *guard) close() error {
	if g.tempDir == "" {
		return nil
	}
	return os.RemoveAll(g.tempDir)
}

func lowerSet(values []string) map[string]bool {
	set := make(map[string]bool, len(values))
	for _, v := range values {
		set[strings.TrimSuffix(strings.ToLower(v), "/")] = true
	}
	return set
}

func (g *guard) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !g.hostAllowed(r.Host) {
		g.refuse(w, r, accessDenied("Host %q is not an address of this local cloud (refused to stop DNS rebinding); call it as 127.0.0.1 or localhost, or allow the name with `berth local --hostname`", r.Host))
		return
	}
	if origin := r.Header.Get("Origin"); origin != "" {
		if !g.origins[strings.ToLower(origin)] {
			g.refuse(w, r, accessDenied("requests from web pages are refused: Origin %q is not allowed (allow it with `berth local --cors-origin %s`)", origin, origin))
			return
		}
		if g.corsHeaders(w, r, origin) {
			return // a preflight, answered
		}
	} else if site := r.Header.Get("Sec-Fetch-Site"); site != "" && site != "same-origin" && site != "none" {
		g.refuse(w, r, accessDenied("requests from web pages are refused: the browser says this one is %s (Sec-Fetch-Site)", site))
		return
	}
	if region, _ := signingScope(r); region != "" && !store.ValidRegion(region) && !isAdminPath(r.URL.Path) {
		// State is kept per region, so a region that is not a region name
		// is refused here, with the error AWS sends for a credential scoped
		// to an unknown region, rather than failing in the store.
		body, err := peekBody(r)
		if err != nil {
			g.refuse(w, r, protocol.Errorf("SerializationException", "reading request body: %v", err))
			return
		}
		g.refuse(w, r, g.signatureError(r, body, &sigv4.Error{Kind: sigv4.Mismatch, Message: fmt.Sprintf("Credential should be scoped to a valid region, not '%s'.", region)}))
		return
	}
	if strings.HasPrefix(r.URL.Path, registry.Prefix) {
		// The registry API checks ECR's authorization tokens itself
		// (docker login cannot sign requests) and takes bodies larger
		// than an API call's.
		g.next.ServeHTTP(w, r)
		return
	}
	if g.verifier != nil {
		body, err := peekBody(r)
		if err != nil {
			g.refuse(w, r, protocol.Errorf("SerializationException", "reading request body: %v", err))
			return
		}
		if g.signatureExempt(r, body) {
			g.next.ServeHTTP(w, r)
			return
		}
		if isAdminPath(r.URL.Path) && g.tokenMatches(r) {
			g.next.ServeHTTP(w, r)
			return
		}
		if _, err := g.verifier.Verify(r, body); err != nil {
			var serr *sigv4.Error
			if !errors.As(err, &serr) {
				serr = &sigv4.Error{Kind: sigv4.Incomplete, Message: err.Error()}
			}
			g.refuse(w, r, g.signatureError(r, body, serr))
			return
		}
	}
	g.next.ServeHTTP(w, r)
}

// hostAllowed accepts loopback addresses, localhost and *.localhost (which
// resolve to loopback by RFC 6761 and cannot be rebound), the names given
// with --hostname, and, when serving remote clients, any IP literal: DNS
// rebinding always arrives under a name, never under an address.
func (g *guard) hostAllowed(hostport string) bool {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.ToLower(strings.Trim(host, "[]")), ".")
	if host == "" {
		return false
	}
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	if ip := net.ParseIP(host); ip != nil {
		return ip.IsLoopback() || g.allowRemote
	}
	return g.hostnames[host]
}

// corsHeaders lets an allowed origin's page read the reply and answers its
// preflight; it reports whether the request was a preflight.
func (g *guard) corsHeaders(w http.ResponseWriter, r *http.Request, origin string) bool {
	h := w.Header()
	h.Set("Access-Control-Allow-Origin", origin)
	h.Add("Vary", "Origin")
	h.Set("Access-Control-Expose-Headers", "x-amzn-requestid, x-amzn-errortype, x-amz-request-id, x-amz-id-2, date")
	if r.Method != http.MethodOptions || r.Header.Get("Access-Control-Request-Method") == "" {
		return false
	}
	h.Set("Access-Control-Allow-Methods", "GET, POST, PUT, DELETE, HEAD")
	if requested := r.Header.Get("Access-Control-Request-Headers"); requested != "" {
		h.Set("Access-Control-Allow-Headers", requested) // the origin is trusted; AWS clients send many x-amz-* headers
	}
	h.Set("Access-Control-Max-Age", "600")
	w.WriteHeader(http.StatusOK)
	return true
}

// signatureExempt lets unsigned requests reach what must stay reachable:
// the health check berth up probes before it knows anything, and the task
// metadata endpoint, which tasks (local processes) read without keys, as
// ECS's own is read without credentials.
func (g *guard) signatureExempt(r *http.Request, body []byte) bool {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		// STS's web-identity call is unsigned by design: the token it
		// carries is the credential.
		return r.Header.Get("Authorization") == "" && isUnsignedSTSCall(body)
	}
	if r.URL.Path == "/_berth/health" {
		return true
	}
	return strings.HasPrefix(r.URL.Path, "/_berth/metadata/") && isLoopbackPeer(r.RemoteAddr)
}

// isUnsignedSTSCall reports whether a form body is one of the STS calls
// AWS accepts without a signature.
func isUnsignedSTSCall(body []byte) bool {
	form, err := url.ParseQuery(string(body))
	if err != nil || form.Get("Version") != "2011-06-15" {
		return false
	}
	switch form.Get("Action") {
	case "AssumeRoleWithWebIdentity", "AssumeRoleWithSAML":
		return true
	}
	return false
}

func isLoopbackPeer(remoteAddr string) bool {
	host, _, err := net.SplitHostPort(remoteAddr)
	if err != nil {
		return false
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func isAdminPath(path string) bool {
	return strings.HasPrefix(path, "/_berth/") || strings.HasPrefix(path, "/moto-api/")
}

// peekBody reads the body (bounded) for the signature check and puts it
// back for the handler.
func peekBody(r *http.Request) ([]byte, error) {
	body, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, maxBodyBytes))
	r.Body.Close()
	r.Body = io.NopCloser(bytes.NewReader(body))
	return body, err
}

// refuse answers in the protocol of the call: the AWS error its client
// parses for API calls, a JSON error for admin routes.
func (g *guard) refuse(w http.ResponseWriter, r *http.Request, e *protocol.Error) {
	if isAdminPath(r.URL.Path) {
		noteCode(r, e.Code)
		writeJSON(w, e.HTTPStatus(), map[string]string{"code": e.Code, "error": e.Message})
		return
	}
	body, _ := peekBody(r) // only to tell the protocol and the operation; nothing runs
	codec, service, operation := g.describe(r, body)
	if rec := callRecordFrom(r.Context()); rec != nil && operation != "" {
		rec.service, rec.operation = service, operation
	}
	if _, isJSON := codec.(awsjson.Codec); isJSON && e.Code == "AccessDenied" {
		e = &protocol.Error{Code: "AccessDeniedException", Message: e.Message, Status: e.Status} // awsJson services' name for it
	}
	noteCode(r, e.Code)
	codec.EncodeError(w, &protocol.Call{RequestID: store.NewUUID()}, e)
}

func accessDenied(format string, args ...any) *protocol.Error {
	return protocol.Errorf("AccessDenied", format, args...).WithStatus(http.StatusForbidden)
}

// signatureError is the AWS error each protocol's services send for each
// kind of signature failure (awsJson: ECS, Logs, SSM; query: IAM, STS,
// ELBv2, Auto Scaling; EC2 has its own).
func (g *guard) signatureError(r *http.Request, body []byte, e *sigv4.Error) *protocol.Error {
	if isAdminPath(r.URL.Path) {
		return protocol.Errorf("AccessDenied", "%s (with --require-sigv4 the admin routes need a SigV4 signature or `Authorization: Bearer` with the admin token in %s)", e.Message, g.tokenFile).WithStatus(http.StatusForbidden)
	}
	type answer struct {
		code   string
		status int
	}
	var table map[sigv4.Kind]answer
	codec, _, _ := g.describe(r, body)
	switch codec.(type) {
	case awsjson.Codec:
		table = map[sigv4.Kind]answer{
			sigv4.Missing:    {"MissingAuthenticationTokenException", 400},
			sigv4.Incomplete: {"IncompleteSignatureException", 400},
			sigv4.UnknownKey: {"UnrecognizedClientException", 400},
			sigv4.Mismatch:   {"InvalidSignatureException", 400},
			sigv4.Expired:    {"InvalidSignatureException", 400},
		}
	case ec2query.Codec:
		table = map[sigv4.Kind]answer{
			sigv4.Missing:    {"MissingAuthenticationToken", 401},
			sigv4.Incomplete: {"IncompleteSignature", 400},
			sigv4.UnknownKey: {"AuthFailure", 401},
			sigv4.Mismatch:   {"AuthFailure", 401},
			sigv4.Expired:    {"RequestExpired", 400},
		}
	default:
		table = map[sigv4.Kind]answer{
			sigv4.Missing:    {"MissingAuthenticationToken", 403},
			sigv4.Incomplete: {"IncompleteSignature", 400},
			sigv4.UnknownKey: {"InvalidClientTokenId", 403},
			sigv4.Mismatch:   {"SignatureDoesNotMatch", 403},
			sigv4.Expired:    {"SignatureDoesNotMatch", 403},
		}
	}
	a := table[e.Kind]
	if a.code == "" {
		a = answer{"IncompleteSignature", 400}
	}
	return protocol.Errorf(a.code, "%s", e.Message).WithStatus(a.status)
}

// requireToken lets a request through only with the admin token; it
// answers the request itself and reports false otherwise.
func (g *guard) requireToken(w http.ResponseWriter, r *http.Request) bool {
	if g.tokenMatches(r) {
		return true
	}
	if !strings.HasPrefix(r.Header.Get("Authorization"), "Bearer ") {
		noteCode(r, "MissingAdminToken")
		w.Header().Set("WWW-Authenticate", `Bearer realm="berth local"`)
		writeJSON(w, http.StatusUnauthorized, map[string]string{"code": "MissingAdminToken", "error": fmt.Sprintf(
			"writing process images needs the local cloud's admin token: send `Authorization: Bearer <token>` with the token in %s (berth local image add and berth up read it from --state-dir)", g.tokenFile)})
		return false
	}
	noteCode(r, "InvalidAdminToken")
	writeJSON(w, http.StatusForbidden, map[string]string{"code": "InvalidAdminToken", "error": fmt.Sprintf(
		"the admin token does not match (a new one is written at every start of the local cloud): read it again from %s", g.tokenFile)})
	return false
}

func (g *guard) tokenMatches(r *http.Request) bool {
	presented, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	return ok && subtle.ConstantTimeCompare([]byte(strings.TrimSpace(presented)), []byte(g.token)) == 1
}

// AdminTokenFile is the name of the file in the state directory that holds
// the admin token.
const AdminTokenFile = "admin-token"

// AdminTokenPath is where a local cloud with state in stateDir keeps its
// admin token.
func AdminTokenPath(stateDir string) string {
	return filepath.Join(stateDir, AdminTokenFile)
}

// writeAdminToken makes a new random token and stores it in dir, readable by
// this user only. It is written to a temporary file and renamed, so a
// reader never sees half a token and an older file's looser mode goes away.
func writeAdminToken(dir string) (token, path string, err error) {
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return "", "", fmt.Errorf("making the admin token: %w", err)
	}
	token = hex.EncodeToString(raw)
	path = AdminTokenPath(dir)
	tmp, err := os.CreateTemp(dir, AdminTokenFile+".*")
	if err != nil {
		return "", "", fmt.Errorf("writing the admin token: %w", err)
	}
	defer os.Remove(tmp.Name()) // a no-op once renamed
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return "", "", fmt.Errorf("writing the admin token: %w", err)
	}
	if _, err := tmp.WriteString(token + "\n"); err != nil {
		tmp.Close()
		return "", "", fmt.Errorf("writing the admin token: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return "", "", fmt.Errorf("writing the admin token: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return "", "", fmt.Errorf("writing the admin token: %w", err)
	}
	return token, path, nil
}
