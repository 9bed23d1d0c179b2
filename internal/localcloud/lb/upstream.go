package lb

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"time"
)

// upstream keeps idle HTTP/1.1 connections to targets and runs exchanges on
// them from the goroutine of the request being proxied: write the request
// head, read the response head, hand back the body, and return the
// connection to the pool once the body is read to its end.
//
// net/http's Transport runs a read and a write goroutine per connection and
// passes every request and response between them over channels; profiled on
// a 2-core machine behind wrk, those hand-offs and wake-ups cost more than
// the proxying itself.
type upstream struct {
	dial           func(ctx context.Context, network, address string) (net.Conn, error)
	connectTimeout time.Duration
	// responseHeaderTimeout bounds the wait for a target's response head,
	// as an ALB's idle timeout does; idleTimeout is how long an unused
	// connection is kept.
	responseHeaderTimeout time.Duration
	idleTimeout           time.Duration
	maxIdlePerTarget      int

	// tlsConfig is how connections to HTTPS targets shake hands.
	tlsConfig *tls.Config

	mu     sync.Mutex
	idle   map[endpoint][]*upstreamConn // most recently used last
	closed bool
}

// endpoint is how a target is reached: its host:port, in TLS or not.
type endpoint struct {
	address string
	secure  bool
}

// targetTLS is how the load balancer speaks TLS to HTTPS targets: as an
// ALB, it does not verify their certificates (a target may serve a
// self-signed one), and it resumes sessions to spare handshakes.
func targetTLS() *tls.Config {
	return &tls.Config{
		InsecureSkipVerify: true,
		NextProtos:         []string{"http/1.1"},
		ClientSessionCache: tls.NewLRUClientSessionCache(1024),
	}
}

type upstreamConn struct {
	conn     net.Conn
	reader   *bufio.Reader // reads through source
	writer   *bufio.Writer
	source   hookedReader
	lastUsed time.Time
}

// maxResponseHead is the largest response head a target may send, as for an
// ALB, which answers 502 above it; the lean path peeks whole heads out of
// the connection's read buffer, which is this large.
const maxResponseHead = 32 << 10

// hookedReader reads from a target's connection after calling beforeRead,
// when set: the lean path sends the client what it has so far before the
// proxy waits on the target, and renews the idle deadline.
type hookedReader struct {
	conn       net.Conn
	beforeRead func() error
}

func (r *hookedReader) Read(p []byte) (int, error) {
	if r.beforeRead != nil {
		if err := r.beforeRead(); err != nil {
			return 0, err
		}
	}
	return r.conn.Read(p)
}

func newUpstream(dial func(ctx context.Context, network, address string) (net.Conn, error), connectTimeout,
	responseHeaderTimeout, idleTimeout time.Duration, maxIdlePerTarget int) *upstream {
	return &upstream{
		dial:                  dial,
		connectTimeout:        connectTimeout,
		responseHeaderTimeout: responseHeaderTimeout,
		idleTimeout:           idleTimeout,
		maxIdlePerTarget:      maxIdlePerTarget,
		idle:                  map[endpoint][]*upstreamConn{},
		tlsConfig:             targetTLS(),
	}
}

// exchange sends a request without a body to address — writeHead writes its
// head — and returns the final response. Informational (1xx) responses go
// to informational first. The body of the response gives the connection
// back to the pool when read to its end; Close abandons it.
//
// The request must be replayable (GET, HEAD, OPTIONS, TRACE): a kept-alive
// connection that the target closed while it sat idle fails before any byte
// of the answer arrives, and the request then goes again on a fresh
// connection, as net/http's Transport does for such requests.
func (u *upstream) exchange(ctx context.Context, address endpoint, request *http.Request,
	writeHead func(*bufio.Writer) error, informational func(code int, header http.Header)) (*http.Response, error) {
	for {
		conn, reused, err := u.get(ctx, address)
		if err != nil {
			return nil, err
		}
		response, err := u.exchangeOn(ctx, conn, address, request, writeHead, informational)
		if err == nil {
			return response, nil
		}
		_ = conn.conn.Close()
		if ctxErr := ctx.Err(); ctxErr != nil {
			return nil, ctxErr
		}
		var stale staleConnError
		if reused && errors.As(err, &stale) {
			continue
		}
		return nil, err
	}
}

// staleConnError is a failure before the target sent anything back.
type staleConnError struct{ err error }

func (e staleConnError) Error() string { return e.err.Error() }
func (e staleConnError) Unwrap() error { return e.err }

func (u *upstream) exchangeOn(ctx context.Context, conn *upstreamConn, address endpoint, request *http.Request,
	writeHead func(*bufio.Writer) error, informational func(code int, header http.Header)) (*http.Response, error) {
	// A client that goes away interrupts the exchange, as the Transport
	// does, by failing the connection's pending reads and writes.
	stopWatching := context.AfterFunc(ctx, func() { _ = conn.conn.SetDeadline(time.Unix(1, 0)) })
	fail := func(err error) (*http.Response, error) {
		stopWatching()
		return nil, err
	}
	if err := writeHead(conn.writer); err != nil {
		return fail(staleConnError{err})
	}
	if err := conn.writer.Flush(); err != nil {
		return fail(staleConnError{err})
	}
	if u.responseHeaderTimeout > 0 {
		_ = conn.conn.SetReadDeadline(time.Now().Add(u.responseHeaderTimeout))
	}
	if _, err := conn.reader.Peek(1); err != nil {
		var netErr net.Error
		if errors.As(err, &netErr) && netErr.Timeout() {
			return fail(err)
		}
		return fail(staleConnError{err})
	}
	response, err := readFinalResponse(conn.reader, request, informational)
	if err != nil {
		return fail(err)
	}
	if u.responseHeaderTimeout > 0 {
		_ = conn.conn.SetReadDeadline(time.Time{})
		// Clearing the deadline may have undone the interruption of a
		// client that went away meanwhile.
		if err := ctx.Err(); err != nil {
			return fail(err)
		}
	}
	response.Body = &pooledBody{
		body:      response.Body,
		upstream:  u,
		address:   address,
		conn:      conn,
		reusable:  !response.Close,
		stopWatch: stopWatching,
	}
	return response, nil
}

// readFinalResponse reads responses until one that is not informational.
func readFinalResponse(reader *bufio.Reader, request *http.Request, informational func(code int, header http.Header)) (*http.Response, error) {
	for {
		response, err := http.ReadResponse(reader, request)
		if err != nil {
			return nil, err
		}
		code := response.StatusCode
		if code < 100 || code >= 200 {
			return response, nil
		}
		if code == http.StatusSwitchingProtocols {
			return nil, fmt.Errorf("target switched protocols on a request that asked for no upgrade")
		}
		informational(code, response.Header)
	}
}

// get takes the most recently used idle connection to address, or dials
// one. reused says the connection served a request before.
func (u *upstream) get(ctx context.Context, address endpoint) (*upstreamConn, bool, error) {
	now := time.Now()
	u.mu.Lock()
	if u.closed {
		u.mu.Unlock()
		return nil, false, ErrClosed
	}
	var expired []*upstreamConn
	var found *upstreamConn
	for conns := u.idle[address]; len(conns) > 0; conns = u.idle[address] {
		last := conns[len(conns)-1]
		conns[len(conns)-1] = nil
		u.idle[address] = conns[:len(conns)-1]
		if now.Sub(last.lastUsed) < u.idleTimeout {
			found = last
			break
		}
		expired = append(expired, last)
	}
	u.mu.Unlock()
	for _, conn := range expired {
		_ = conn.conn.Close()
	}
	if found != nil {
		return found, true, nil
	}
	conn, err := u.dial(ctx, "tcp", address.address)
	if err != nil {
		return nil, false, err
	}
	if address.secure {
		secured := tls.Client(conn, u.tlsConfig)
		// Within the connect timeout, as the TCP connection was.
		handshakeCtx, cancel := context.WithTimeout(ctx, u.connectTimeout)
		err := secured.HandshakeContext(handshakeCtx)
		cancel()
		if err != nil {
			_ = conn.Close()
			return nil, false, err
		}
		conn = secured
	}
	up := &upstreamConn{conn: conn, writer: bufio.NewWriterSize(conn, 4096), source: hookedReader{conn: conn}}
	up.reader = bufio.NewReaderSize(&up.source, maxResponseHead)
	return up, false, nil
}

// put keeps a connection whose exchange ended cleanly for the next request.
func (u *upstream) put(address endpoint, conn *upstreamConn) {
	conn.source.beforeRead = nil
	conn.lastUsed = time.Now()
	u.mu.Lock()
	if u.closed || len(u.idle[address]) >= u.maxIdlePerTarget {
		u.mu.Unlock()
		_ = conn.conn.Close()
		return
	}
	u.idle[address] = append(u.idle[address], conn)
	u.mu.Unlock()
}

// closeExpired closes the connections idle for longer than the idle
// timeout, so connections to targets that went away do not stay open.
func (u *upstream) closeExpired() {
	now := time.Now()
	var expired []*upstreamConn
	u.mu.Lock()
	for address, conns := range u.idle {
		kept := conns[:0]
		for _, conn := range conns {
			if now.Sub(conn.lastUsed) < u.idleTimeout {
				kept = append(kept, conn)
			} else {
				expired = append(expired, conn)
			}
		}
		clear(conns[len(kept):])
		if len(kept) == 0 {
			delete(u.idle, address)
		} else {
			u.idle[address] = kept
		}
	}
	u.mu.Unlock()
	for _, conn := range expired {
		_ = conn.conn.Close()
	}
}

// close closes every idle connection and makes later exchanges fail.
func (u *upstream) close() {
	u.mu.Lock()
	u.closed = true
	idle := u.idle
	u.idle = map[endpoint][]*upstreamConn{}
	u.mu.Unlock()
	for _, conns := range idle {
		for _, conn := range conns {
			_ = conn.conn.Close()
		}
	}
}

// pooledBody is a response body that returns its connection to the pool
// once read to the end, and closes it when abandoned before that.
type pooledBody struct {
	body      io.ReadCloser
	upstream  *upstream
	address   endpoint
	conn      *upstreamConn
	reusable  bool
	stopWatch func() bool
	done      bool
}

func (b *pooledBody) Read(p []byte) (int, error) {
	if b.done {
		return 0, io.EOF
	}
	n, err := b.body.Read(p)
	if err != nil {
		b.release(err == io.EOF)
	}
	return n, err
}

func (b *pooledBody) Close() error {
	if !b.done {
		b.release(false)
	}
	return nil
}

// release ends the exchange: the connection goes back to the pool only when
// the whole response was read, nothing asked to close it and the client's
// context did not interrupt it.
func (b *pooledBody) release(complete bool) {
	b.done = true
	if b.stopWatch() && complete && b.reusable {
		b.upstream.put(b.address, b.conn)
		return
	}
	// Not the body's Close: it would read the rest of the response first.
	_ = b.conn.conn.Close()
}
