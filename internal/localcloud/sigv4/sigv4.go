// Package sigv4 verifies AWS Signature Version 4 on requests the local cloud
// receives, in both forms clients use: the Authorization header and the
// presigned URL (X-Amz-* query parameters). It recomputes the signature from
// the canonical request exactly as the AWS documentation defines it, so any
// real SDK or CLI holding the right secret passes and nothing else does.
package sigv4

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Kind says why a request failed verification; each protocol names each
// kind with its own AWS error code.
type Kind int

const (
	// Missing: the request carries no signature at all.
	Missing Kind = iota + 1
	// Incomplete: a signature is there but malformed (a missing component,
	// an unknown algorithm, an unparsable date).
	Incomplete
	// UnknownKey: the access key id is not one this endpoint knows.
	UnknownKey
	// Mismatch: the signature is not the one the secret yields (a wrong
	// secret, or a request changed after it was signed).
	Mismatch
	// Expired: the request's date is too far from now, or a presigned URL
	// is past its expiry.
	Expired
)

// Error is a verification failure.
type Error struct {
	Kind    Kind
	Message string
}

func (e *Error) Error() string { return e.Message }

func fail(kind Kind, format string, args ...any) *Error {
	return &Error{Kind: kind, Message: fmt.Sprintf(format, args...)}
}

// MaxSkew is how far a signed request's date may be from the server's clock,
// as on AWS.
const MaxSkew = 15 * time.Minute

const (
	algorithm       = "AWS4-HMAC-SHA256"
	amzDateFormat   = "20060102T150405Z"
	unsignedPayload = "UNSIGNED-PAYLOAD"
	maxPresignAge   = 7 * 24 * time.Hour
)

// Identity is who signed a request and for which scope. It holds no secret.
type Identity struct {
	AccessKeyID string
	Region      string
	Service     string
}

// Verifier checks signatures against a fixed set of key pairs and, when
// set, the keys Issued knows (IAM users' access keys, STS sessions).
type Verifier struct {
	secrets map[string]string // access key id → secret access key
	now     func() time.Time
	// Issued returns the secret of a key the local cloud itself issued.
	Issued func(accessKeyID string) (secret string, ok bool)
}

// New returns a verifier for the given access key id → secret pairs.
func New(secrets map[string]string) *Verifier {
	copied := make(map[string]string, len(secrets))
	for id, secret := range secrets {
		copied[id] = secret
	}
	return &Verifier{secrets: copied, now: time.Now}
}

// signature is what a request says about its own signing.
type signature struct {
	accessKeyID, date, region, service string
	signedHeaders                      []string
	value                              string
	at                                 time.Time
	presigned                          bool
	expires                            time.Duration // presigned only
}

// Verify checks r's signature; body is the request body exactly as received
// (r.Body is not read). It returns who signed the request.
func (v *Verifier) Verify(r *http.Request, body []byte) (*Identity, error) {
	sig, err := parse(r)
	if err != nil {
		return nil, err
	}
	secret, ok := v.secrets[sig.accessKeyID]
	if !ok && v.Issued != nil {
		secret, ok = v.Issued(sig.accessKeyID)
	}
	if !ok {
		return nil, fail(UnknownKey, "The security token included in the request is invalid.")
	}
	if err := sig.checkTime(v.now().UTC()); err != nil {
		return nil, err
	}
	hashes, err := payloadHashes(r, body, sig.presigned)
	if err != nil {
		return nil, err
	}
	key := signingKey(secret, sig.date, sig.region, sig.service)
	for _, payloadHash := range hashes {
		canonical, err := canonicalRequest(r, sig, payloadHash)
		if err != nil {
			return nil, err
		}
		scope := strings.Join([]string{sig.date, sig.region, sig.service, "aws4_request"}, "/")
		stringToSign := algorithm + "\n" + sig.at.Format(amzDateFormat) + "\n" + scope + "\n" + hexSHA256([]byte(canonical))
		want := hex.EncodeToString(hmacSHA256(key, stringToSign))
		if subtle.ConstantTimeCompare([]byte(want), []byte(strings.ToLower(sig.value))) == 1 {
			return &Identity{AccessKeyID: sig.accessKeyID, Region: sig.region, Service: sig.service}, nil
		}
	}
	return nil, fail(Mismatch, "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.")
}

// parse reads the signature from the Authorization header or, failing
// that, from a presigned URL's query parameters.
func parse(r *http.Request) (*signature, error) {
	if auth := r.Header.Get("Authorization"); auth != "" {
		return parseHeader(r, auth)
	}
	q := r.URL.Query()
	if q.Has("X-Amz-Algorithm") || q.Has("X-Amz-Signature") || q.Has("X-Amz-Credential") {
		return parseQuery(q)
	}
	return nil, fail(Missing, "Request is missing Authentication Token")
}

func parseHeader(r *http.Request, auth string) (*signature, error) {
	scheme, rest, _ := strings.Cut(auth, " ")
	if scheme != algorithm {
		return nil, fail(Incomplete, "Authorization header is not an %s signature", algorithm)
	}
	fields := map[string]string{}
	for _, part := range strings.Split(rest, ",") {
		name, value, ok := strings.Cut(strings.TrimSpace(part), "=")
		if ok {
			fields[name] = value
		}
	}
	for _, name := range []string{"Credential", "SignedHeaders", "Signature"} {
		if fields[name] == "" {
			return nil, fail(Incomplete, "Authorization header requires '%s' parameter. Authorization=%s", name, algorithm)
		}
	}
	sig := &signature{value: fields["Signature"]}
	if err := sig.setCredential(fields["Credential"]); err != nil {
		return nil, err
	}
	if err := sig.setSignedHeaders(fields["SignedHeaders"]); err != nil {
		return nil, err
	}
	switch {
	case r.Header.Get("X-Amz-Date") != "":
		at, err := time.Parse(amzDateFormat, r.Header.Get("X-Amz-Date"))
		if err != nil {
			return nil, fail(Incomplete, "X-Amz-Date %q is not in the form %s", r.Header.Get("X-Amz-Date"), amzDateFormat)
		}
		sig.at = at
	case r.Header.Get("Date") != "":
		at, err := http.ParseTime(r.Header.Get("Date"))
		if err != nil {
			return nil, fail(Incomplete, "Date header %q is not an HTTP date", r.Header.Get("Date"))
		}
		sig.at = at.UTC()
	default:
		return nil, fail(Incomplete, "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.")
	}
	return sig, sig.checkScopeDate()
}

func parseQuery(q url.Values) (*signature, error) {
	for _, name := range []string{"X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-Expires", "X-Amz-SignedHeaders", "X-Amz-Signature"} {
		if q.Get(name) == "" {
			return nil, fail(Incomplete, "a presigned request needs the %s query parameter", name)
		}
	}
	if q.Get("X-Amz-Algorithm") != algorithm {
		return nil, fail(Incomplete, "X-Amz-Algorithm %q is not %s", q.Get("X-Amz-Algorithm"), algorithm)
	}
	sig := &signature{value: q.Get("X-Amz-Signature"), presigned: true}
	if err := sig.setCredential(q.Get("X-Amz-Credential")); err != nil {
		return nil, err
	}
	if err := sig.setSignedHeaders(q.Get("X-Amz-SignedHeaders")); err != nil {
		return nil, err
	}
	at, err := time.Parse(amzDateFormat, q.Get("X-Amz-Date"))
	if err != nil {
		return nil, fail(Incomplete, "X-Amz-Date %q is not in the form %s", q.Get("X-Amz-Date"), amzDateFormat)
	}
	sig.at = at
	seconds, err := strconv.Atoi(q.Get("X-Amz-Expires"))
	if err != nil || seconds < 1 || time.Duration(seconds)*time.Second > maxPresignAge {
		return nil, fail(Incomplete, "X-Amz-Expires must be a number of seconds from 1 to %d", int(maxPresignAge/time.Second))
	}
	sig.expires = time.Duration(seconds) * time.Second
	return sig, sig.checkScopeDate()
}

// setCredential reads "AKID/20260101/us-east-1/ecs/aws4_request".
func (s *signature) setCredential(credential string) error {
	parts := strings.Split(credential, "/")
	if len(parts) != 5 || parts[0] == "" || len(parts[1]) != 8 || parts[2] == "" || parts[3] == "" || parts[4] != "aws4_request" {
		return fail(Incomplete, "Credential %q is not ACCESS_KEY_ID/YYYYMMDD/REGION/SERVICE/aws4_request", redactKey(credential))
	}
	s.accessKeyID, s.date, s.region, s.service = parts[0], parts[1], parts[2], parts[3]
	return nil
}

// redactKey keeps a malformed credential out of error messages but for its
// scope: the access key id is not secret, yet there is no need to echo it.
func redactKey(credential string) string {
	if _, rest, ok := strings.Cut(credential, "/"); ok {
		return "…/" + rest
	}
	return "…"
}

func (s *signature) setSignedHeaders(list string) error {
	s.signedHeaders = strings.Split(strings.ToLower(list), ";")
	for _, h := range s.signedHeaders {
		if h == "host" {
			return nil
		}
	}
	return fail(Incomplete, "SignedHeaders %q must include host", list)
}

func (s *signature) checkScopeDate() error {
	if s.at.Format("20060102") != s.date {
		return fail(Mismatch, "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '%s' != '%s'", s.date, s.at.Format("20060102"))
	}
	return nil
}

// checkTime allows MaxSkew either way for a header signature; a presigned
// URL is valid from its date (less the skew) until its expiry.
func (s *signature) checkTime(now time.Time) error {
	stamp := s.at.Format(amzDateFormat)
	if s.at.After(now.Add(MaxSkew)) {
		return fail(Expired, "Signature not yet current: %s is still later than %s (%s + 15 min.)",
			stamp, now.Add(MaxSkew).Format(amzDateFormat), now.Format(amzDateFormat))
	}
	if s.presigned {
		if now.After(s.at.Add(s.expires)) {
			return fail(Expired, "Request has expired: the presigned URL signed at %s was valid for %s", stamp, s.expires)
		}
		return nil
	}
	if s.at.Before(now.Add(-MaxSkew)) {
		return fail(Expired, "Signature expired: %s is now earlier than %s (%s - 15 min.)",
			stamp, now.Add(-MaxSkew).Format(amzDateFormat), now.Format(amzDateFormat))
	}
	return nil
}

// payloadHashes lists the payload hashes the signer may have used. A
// declared x-amz-content-sha256 must match the body (or be UNSIGNED-PAYLOAD);
// a presigned URL without one was signed over the body's hash or, as S3
// clients do, over UNSIGNED-PAYLOAD.
func payloadHashes(r *http.Request, body []byte, presigned bool) ([]string, error) {
	actual := hexSHA256(body)
	declared := r.Header.Get("X-Amz-Content-Sha256")
	switch {
	case declared == unsignedPayload:
		return []string{unsignedPayload}, nil
	case strings.HasPrefix(declared, "STREAMING-"):
		return nil, fail(Incomplete, "x-amz-content-sha256 %s (chunked signing) is not supported here", declared)
	case declared != "":
		if !strings.EqualFold(declared, actual) {
			return nil, fail(Mismatch, "The provided 'x-amz-content-sha256' header does not match what was computed.")
		}
		return []string{strings.ToLower(declared)}, nil
	case presigned:
		return []string{actual, unsignedPayload}, nil
	default:
		return []string{actual}, nil
	}
}

func canonicalRequest(r *http.Request, s *signature, payloadHash string) (string, error) {
	query, err := canonicalQuery(r.URL.RawQuery, s.presigned)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	b.WriteString(r.Method)
	b.WriteByte('\n')
	b.WriteString(canonicalURI(r.URL))
	b.WriteByte('\n')
	b.WriteString(query)
	b.WriteByte('\n')
	for _, name := range s.signedHeaders {
		b.WriteString(name)
		b.WriteByte(':')
		b.WriteString(headerValue(r, name))
		b.WriteByte('\n')
	}
	b.WriteByte('\n')
	b.WriteString(strings.Join(s.signedHeaders, ";"))
	b.WriteByte('\n')
	b.WriteString(payloadHash)
	return b.String(), nil
}

// canonicalURI encodes the already-escaped path once more: every AWS
// service but S3 signs the path double-encoded, and the SDKs do so.
func canonicalURI(u *url.URL) string {
	path := u.EscapedPath()
	if path == "" {
		return "/"
	}
	return uriEncode(path, true)
}

// canonicalQuery sorts the parameters by name, then value, each
// URI-encoded; a presigned URL's own signature is not part of it.
func canonicalQuery(raw string, presigned bool) (string, error) {
	if raw == "" {
		return "", nil
	}
	type pair struct{ name, value string }
	var pairs []pair
	for _, part := range strings.Split(raw, "&") {
		if part == "" {
			continue
		}
		rawName, rawValue, _ := strings.Cut(part, "=")
		name, err := url.QueryUnescape(rawName)
		if err != nil {
			return "", fail(Incomplete, "query parameter %q is not URL-encoded", rawName)
		}
		value, err := url.QueryUnescape(rawValue)
		if err != nil {
			return "", fail(Incomplete, "query parameter %s has a value that is not URL-encoded", name)
		}
		if presigned && name == "X-Amz-Signature" {
			continue
		}
		pairs = append(pairs, pair{uriEncode(name, false), uriEncode(value, false)})
	}
	sort.Slice(pairs, func(i, j int) bool {
		if pairs[i].name != pairs[j].name {
			return pairs[i].name < pairs[j].name
		}
		return pairs[i].value < pairs[j].value
	})
	parts := make([]string, len(pairs))
	for i, p := range pairs {
		parts[i] = p.name + "=" + p.value
	}
	return strings.Join(parts, "&"), nil
}

// headerValue is a signed header's canonical value: all its values, each
// trimmed with inner runs of spaces collapsed, joined by commas. Go's server
// moves Host out of the header map, so it comes from r.Host.
func headerValue(r *http.Request, name string) string {
	if name == "host" {
		return r.Host
	}
	values := r.Header.Values(name)
	if len(values) == 0 && name == "content-length" && r.ContentLength >= 0 {
		return strconv.FormatInt(r.ContentLength, 10)
	}
	canonical := make([]string, len(values)) // Values is the header map's own slice
	for i, v := range values {
		canonical[i] = strings.Join(strings.Fields(v), " ")
	}
	return strings.Join(canonical, ",")
}

// uriEncode percent-encodes every byte but RFC 3986's unreserved characters
// (and '/' when encoding a path), with upper-case hex, as SigV4 requires.
func uriEncode(s string, path bool) string {
	const hexDigits = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'A' <= c && c <= 'Z', 'a' <= c && c <= 'z', '0' <= c && c <= '9', c == '-', c == '_', c == '.', c == '~':
			b.WriteByte(c)
		case c == '/' && path:
			b.WriteByte(c)
		default:
			b.WriteByte('%')
			b.WriteByte(hexDigits[c>>4])
			b.WriteByte(hexDigits[c&15])
		}
	}
	return b.String()
}

func signingKey(secret, date, region, service string) []byte {
	key := hmacSHA256([]byte("AWS4"+secret), date)
	key = hmacSHA256(key, region)
	key = hmacSHA256(key, service)
	return hmacSHA256(key, "aws4_request")
}

func hmacSHA256(key []byte, data string) []byte {
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(data))
	return mac.Sum(nil)
}

func hexSHA256(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}
