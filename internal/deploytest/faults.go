package deploytest

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"
)

// Fault is what FaultProxy does to a call it fails.
type Fault int

const (
	// Throttle answers HTTP 400 with the protocol's throttling error
	// (ThrottlingException, Throttling, RequestLimitExceeded).
	Throttle Fault = iota
	// Unavailable answers HTTP 503 Service Unavailable.
	Unavailable
	// Reset closes the connection without an answer, before the call
	// reaches the endpoint.
	Reset
	// LostAnswer lets the call reach the endpoint, which carries it out,
	// and then closes the connection instead of passing the answer on: the
	// client retries a call that already took effect, so only an
	// idempotent deployer (client tokens, lookups before creates, "already
	// exists" taken as done) avoids duplicates.
	LostAnswer
)

func (f Fault) String() string {
	return [...]string{"throttle", "503", "reset", "lost answer"}[f]
}

// FaultProxy stands between a deployer and an AWS-compatible endpoint and
// fails every Nth call, cycling through the faults, as AWS does under load:
// throttling, 503s and dropped connections. The calls it fails never reach
// the endpoint, so a client's retry is the only thing that can save them.
type FaultProxy struct {
	// URL is the proxy's base URL, to use as the endpoint.
	URL string

	every  int
	faults []Fault
	proxy  *httputil.ReverseProxy

	mu     sync.Mutex
	calls  int
	failed map[Fault]int
	// only, when set, is the one call to fail (see FailOnly).
	only      int
	onlyFault Fault
	// firstAttempts, when set, picks the operations whose first attempt
	// fails with firstFault (see FailFirstAttempts).
	firstAttempts func(operation string) bool
	firstFault    Fault
	// operations counts the calls of each operation (first attempts).
	operations map[string]int
}

// StartFaultProxy proxies to target and fails every nth call with the
// faults in turn (all of them when none are given), until t ends. With
// every 0 it fails nothing and only counts, until FailOnly says otherwise.
func StartFaultProxy(t testing.TB, target string, every int, faults ...Fault) *FaultProxy {
	t.Helper()
	if every < 0 {
		t.Fatalf("fault proxy: every must be 0 (none) or more, got %d", every)
	}
	u, err := url.Parse(target)
	if err != nil {
		t.Fatalf("fault proxy target %q: %v", target, err)
	}
	if len(faults) == 0 {
		faults = []Fault{Throttle, Unavailable, Reset}
	}
	p := &FaultProxy{every: every, faults: faults, proxy: httputil.NewSingleHostReverseProxy(u), failed: map[Fault]int{}, operations: map[string]int{}}
	server := httptest.NewServer(p)
	t.Cleanup(server.Close)
	p.URL = server.URL
	return p
}

// Failed is how many calls got each fault so far.
func (p *FaultProxy) Failed() map[Fault]int {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := map[Fault]int{}
	for f, n := range p.failed {
		out[f] = n
	}
	return out
}

// FailOnly makes the proxy fail exactly one call from now on, the nth
// (1 is the next), with fault, and no other: a test that tries each n in
// turn finds the one call whose failure a deployer does not survive.
func (p *FaultProxy) FailOnly(n int, fault Fault) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.every, p.only, p.onlyFault = 0, p.calls+n, fault
}

// FailFirstAttempts makes the proxy fail, from now on, the first attempt of
// every call whose operation which accepts, with fault, and let its retries
// through (the SDK numbers attempts in its amz-sdk-request header). One run
// thus fails every one of those calls once: each is the "Nth call" of a
// test that fails one call per run, without a run per N.
func (p *FaultProxy) FailFirstAttempts(fault Fault, which func(operation string) bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.every, p.only, p.firstAttempts, p.firstFault = 0, 0, which, fault
}

// Operations is how many first attempts of each operation the proxy saw.
func (p *FaultProxy) Operations() map[string]int {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := map[string]int{}
	for op, n := range p.operations {
		out[op] = n
	}
	return out
}

// Calls is how many calls the proxy saw.
func (p *FaultProxy) Calls() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.calls
}

func (p *FaultProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	operation := operationOf(r, body)
	first := strings.HasPrefix(r.Header.Get("Amz-Sdk-Request"), "attempt=1;")
	p.mu.Lock()
	p.calls++
	if first {
		p.operations[operation]++
	}
	var fail bool
	var fault Fault
	switch {
	case p.firstAttempts != nil:
		fail, fault = first && p.firstAttempts(operation), p.firstFault
	case p.only > 0:
		fail, fault = p.calls == p.only, p.onlyFault
	case p.every > 0 && p.calls%p.every == 0:
		fail, fault = true, p.faults[(p.calls/p.every-1)%len(p.faults)]
	}
	if fail {
		p.failed[fault]++
	}
	p.mu.Unlock()
	if !fail {
		p.proxy.ServeHTTP(w, r)
		return
	}
	switch fault {
	case LostAnswer:
		p.proxy.ServeHTTP(discard{}, r)
		reset(w)
	case Throttle:
		throttle(w, r, body)
	case Unavailable:
		w.Header().Set("Content-Type", "text/plain")
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = io.WriteString(w, "Service Unavailable")
	case Reset:
		reset(w)
	}
}

// discard is where a lost answer goes.
type discard struct{}

func (discard) Header() http.Header         { return http.Header{} }
func (discard) Write(b []byte) (int, error) { return len(b), nil }
func (discard) WriteHeader(int)             {}

// operationOf names the call's operation: the JSON protocols' X-Amz-Target
// after its dot, the query protocols' Action.
func operationOf(r *http.Request, body []byte) string {
	if target := r.Header.Get("X-Amz-Target"); target != "" {
		_, op, _ := strings.Cut(target, ".")
		return op
	}
	if form, err := url.ParseQuery(string(body)); err == nil {
		return form.Get("Action")
	}
	return ""
}

// throttle answers the throttling error in the request's protocol, so that
// the SDK decodes the code it retries on.
func throttle(w http.ResponseWriter, r *http.Request, body []byte) {
	const message = "Rate exceeded"
	switch {
	case r.Header.Get("X-Amz-Target") != "": // JSON protocols: ECS, Logs, ECR, ACM, Application Auto Scaling
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		w.Header().Set("X-Amzn-ErrorType", "ThrottlingException")
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprintf(w, `{"__type":"ThrottlingException","message":%q}`, message)
	case bytes.Contains(body, []byte("Version=2016-11-15")): // EC2's query protocol
		w.Header().Set("Content-Type", "text/xml")
		w.WriteHeader(http.StatusServiceUnavailable) // AWS answers RequestLimitExceeded with 503
		fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><Response><Errors><Error><Code>RequestLimitExceeded</Code><Message>%s</Message></Error></Errors><RequestID>fault-proxy</RequestID></Response>`, message)
	default: // the query protocol: ELB, Auto Scaling, IAM, STS
		w.Header().Set("Content-Type", "text/xml")
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprintf(w, `<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code><Message>%s</Message></Error><RequestId>fault-proxy</RequestId></ErrorResponse>`, message)
	}
}

// reset drops the connection with a TCP RST (linger 0), as a load balancer
// in front of an overloaded endpoint does.
func reset(w http.ResponseWriter) {
	hijacker, ok := w.(http.Hijacker)
	if !ok {
		w.WriteHeader(http.StatusBadGateway)
		return
	}
	conn, _, err := hijacker.Hijack()
	if err != nil {
		return
	}
	if tcp, ok := conn.(*net.TCPConn); ok {
		_ = tcp.SetLinger(0)
	}
	_ = conn.Close()
}

// String describes the proxy's tally, for test logs.
func (p *FaultProxy) String() string {
	failed := p.Failed()
	var parts []string
	for _, f := range []Fault{Throttle, Unavailable, Reset, LostAnswer} {
		parts = append(parts, fmt.Sprintf("%s %d", f, failed[f]))
	}
	return fmt.Sprintf("%d calls, failed: %s", p.Calls(), strings.Join(parts, ", "))
}
