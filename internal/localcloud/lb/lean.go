package lb

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// The lean path serves a listener's HTTP/1.1 connections with a read loop
// of its own: one goroutine per client connection reads a request head out
// of its read buffer, forwards it to a pooled target connection, and copies
// the response's framing (Content-Length or chunked) straight through. No
// header map, request or ResponseWriter is made, nothing is allocated per
// request, and no goroutine reads in the background. Behind wrk on 2 cores
// (make bench-alb) this took the proxy from 63-77 µs of CPU per request
// through net/http's server to 45-50 µs; what is left is the four socket
// calls and Go's scheduler (see README, Benchmarks).
//
// It handles what nearly all of a web service's traffic is: an HTTP/1.1
// request without a body, without an upgrade, of a method that may be sent
// twice (GET, HEAD, OPTIONS, TRACE), whose head fits the read buffer and
// whose rules forward it. On the first request that is anything else —
// a body, HTTP/1.0, a malformed or oversized head, a redirect or fixed
// response, 100-continue, a websocket — the connection, with what it
// buffered, is handed to net/http for the rest of its life, which answers
// exactly as before (including its 400 and 431 answers).

// maxLeanRequestHead is the client read buffer, and so the largest request
// head the lean path takes; larger ones go to net/http, which allows 1 MiB.
const maxLeanRequestHead = 8 << 10

// watchAfter is how long the lean path waits on a target before it watches
// the client's connection for a disconnect, as net/http's background read
// does for every request: a quick answer is never watched.
const watchAfter = 20 * time.Millisecond

var (
	errHeadTooLarge = errors.New("head larger than the read buffer")
	errClientGone   = errors.New("client closed the connection")
	aLongTimeAgo    = time.Unix(1, 0)
)

// leanServer serves one listener.
type leanServer struct {
	balancer    *Balancer
	listenerARN string
	idleTimeout time.Duration
	// fallback serves the connections the lean path hands over.
	fallback *http.Server
	handoff  *handoffListener
	// tls, when set, makes the listener HTTPS: new connections terminate
	// TLS with it. Apply swaps it when certificates or the policy change.
	tls atomic.Pointer[tlsSetup]

	mu          sync.Mutex
	netListener net.Listener
	conns       map[*leanConn]struct{}
	closed      bool
	active      sync.WaitGroup
}

func newLeanServer(b *Balancer, listenerARN string, fallback *http.Server) *leanServer {
	return &leanServer{
		balancer: b, listenerARN: listenerARN, idleTimeout: b.opts.IdleTimeout,
		fallback: fallback, conns: map[*leanConn]struct{}{},
	}
}

// Serve accepts connections until Close, and returns once every connection
// it served has ended.
func (s *leanServer) Serve(netListener net.Listener) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		_ = netListener.Close()
		return http.ErrServerClosed
	}
	s.netListener = netListener
	s.handoff = &handoffListener{addr: netListener.Addr(), conns: make(chan net.Conn), done: make(chan struct{})}
	s.mu.Unlock()
	fallbackDone := make(chan struct{})
	go func() {
		defer close(fallbackDone)
		_ = s.fallback.Serve(s.handoff)
	}()
	defer func() {
		s.active.Wait()
		<-fallbackDone
	}()
	backoff := time.Duration(0)
	for {
		conn, err := netListener.Accept()
		if err != nil {
			s.mu.Lock()
			closed := s.closed
			s.mu.Unlock()
			if closed {
				return http.ErrServerClosed
			}
			var netErr net.Error
			if errors.As(err, &netErr) && netErr.Timeout() || errors.Is(err, syscall.EMFILE) || errors.Is(err, syscall.ENFILE) {
				// Out of descriptors, say: wait for some to be freed, as
				// net/http does.
				backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
				time.Sleep(backoff)
				continue
			}
			return err
		}
		backoff = 0
		if routes := s.balancer.routes.Load().listeners[s.listenerARN]; routes != nil {
			if verdict := routes.admits(conn.RemoteAddr()); !verdict.Allowed {
				// The SYN would have been dropped; closing at once spares
				// the client its connect timeout.
				s.balancer.opts.Logf("lb: listener %s refused %s: %s", s.listenerARN, conn.RemoteAddr(), verdict)
				_ = conn.Close()
				continue
			}
		}
		c := newLeanConn(s, conn)
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			_ = conn.Close()
			continue
		}
		s.conns[c] = struct{}{}
		s.active.Add(1)
		s.mu.Unlock()
		go c.serve()
	}
}

// Close stops accepting, cuts every connection off (and the target
// exchanges they are in) and closes the fallback server.
func (s *leanServer) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	netListener, handoff := s.netListener, s.handoff
	conns := make([]*leanConn, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	s.mu.Unlock()
	var err error
	if netListener != nil {
		err = netListener.Close()
	}
	if handoff != nil {
		// Also when net/http never got to accept from it: a connection
		// being handed over must not wait for it.
		_ = handoff.Close()
	}
	for _, c := range conns {
		c.abort()
	}
	if fallbackErr := s.fallback.Close(); err == nil {
		err = fallbackErr
	}
	return err
}

// forget drops a connection that ended or was handed over.
func (s *leanServer) forget(c *leanConn) {
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
	s.active.Done()
}

// handoffListener gives net/http the connections the lean path hands over.
type handoffListener struct {
	addr  net.Addr
	conns chan net.Conn
	done  chan struct{}
	once  sync.Once
}

func (l *handoffListener) Accept() (net.Conn, error) {
	select {
	case conn := <-l.conns:
		return conn, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *handoffListener) Close() error {
	l.once.Do(func() { close(l.done) })
	return nil
}

func (l *handoffListener) Addr() net.Addr { return l.addr }

// handedOverConn is a client connection net/http serves from now on; its
// reads start with what the lean path had buffered.
type handedOverConn struct {
	net.Conn
	reader io.Reader
}

func (c *handedOverConn) Read(p []byte) (int, error) { return c.reader.Read(p) }

// CloseWrite lets net/http half-close before it closes after an error
// answer, so the client reads the answer before a reset.
func (c *handedOverConn) CloseWrite() error {
	if closer, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return closer.CloseWrite()
	}
	return nil
}

// leanConn is one client connection on the lean path.
type leanConn struct {
	server *leanServer
	// conn is the client's connection: raw itself, or TLS over raw.
	conn   net.Conn
	raw    net.Conn
	reader *bufio.Reader // reads through the leanConn itself (Read)
	writer *bufio.Writer
	// remote is the client's host:port, clientIP its address for
	// X-Forwarded-For ("" when unknown).
	remote, clientIP string
	request          leanRequest
	response         responseHead
	// beforeUpstreamRead is the hook target reads run (see hookedReader),
	// made once per connection.
	beforeUpstreamRead func() error
	handedOver         bool
	traceBuf           [160]byte

	// gone says the client went away or the server closes: the exchange
	// in flight stops.
	gone atomic.Bool
	mu   sync.Mutex
	// current is the target connection of the exchange in flight.
	current *upstreamConn

	// The watch on the client's connection while a target is slow to
	// answer: a read of one byte, kept for the next request if it brings
	// one (a pipelined request) rather than a disconnect.
	watchMu    sync.Mutex
	watchTimer *time.Timer
	watchState int
	watchDone  chan struct{}
	stash      [1]byte
	stashed    bool
}

const (
	watchIdle = iota
	watchArmed
	watchReading
	watchStopping
)

// clientReaders and clientWriters recycle the buffers of client
// connections that ended on the lean path: a connection that only shakes
// hands, or sends a request or two, would otherwise allocate 16 KiB for the
// garbage collector to reclaim, more than TLS allocates for a handshake.
var (
	clientReaders = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, maxLeanRequestHead) }}
	clientWriters = sync.Pool{New: func() any { return bufio.NewWriterSize(nil, 8<<10) }}
)

// releaseBuffers gives the connection's buffers back once the lean path is
// done with it; the read buffer only when net/http was not handed it.
func (c *leanConn) releaseBuffers() {
	c.writer.Reset(nil)
	clientWriters.Put(c.writer)
	c.writer = nil
	if c.reader != nil {
		c.reader.Reset(nil)
		clientReaders.Put(c.reader)
		c.reader = nil
	}
}

func newLeanConn(s *leanServer, conn net.Conn) *leanConn {
	c := &leanConn{server: s, conn: conn, raw: conn, remote: conn.RemoteAddr().String()}
	if setup := s.tls.Load(); setup != nil {
		c.conn = tls.Server(conn, setup.config)
	}
	if host, _, err := net.SplitHostPort(c.remote); err == nil {
		c.clientIP = host
	}
	c.reader = clientReaders.Get().(*bufio.Reader)
	c.reader.Reset(c)
	c.writer = clientWriters.Get().(*bufio.Writer)
	c.writer.Reset(c.conn)
	c.beforeUpstreamRead = c.flushToClient
	return c
}

// Read reads the client's connection for the request reader: first a byte
// the watch read, then the socket, within the idle timeout while the lean
// path serves the connection (net/http sets its own deadlines after).
func (c *leanConn) Read(p []byte) (int, error) {
	if c.stashed && len(p) > 0 {
		c.stashed = false
		p[0] = c.stash[0]
		return 1, nil
	}
	if !c.handedOver {
		_ = c.conn.SetReadDeadline(time.Now().Add(c.server.idleTimeout))
	}
	return c.conn.Read(p)
}

// flushToClient runs before every read from the target: what the client
// has not been sent yet goes out before the proxy may wait, so a streamed
// answer arrives as the target sends it; and the target's idle deadline is
// renewed.
func (c *leanConn) flushToClient() error {
	if c.writer.Buffered() > 0 {
		if err := c.writer.Flush(); err != nil {
			return err
		}
	}
	c.mu.Lock()
	current := c.current
	c.mu.Unlock()
	if current != nil {
		_ = current.conn.SetReadDeadline(time.Now().Add(c.server.balancer.upstream.responseHeaderTimeout))
	}
	// After the deadline is set, so an abort racing with it is not undone.
	if c.gone.Load() {
		return errClientGone
	}
	return nil
}

// abort ends the connection from outside its goroutine: the client went
// away or the server closes.
func (c *leanConn) abort() {
	c.gone.Store(true)
	c.mu.Lock()
	current := c.current
	c.mu.Unlock()
	if current != nil {
		_ = current.conn.SetDeadline(aLongTimeAgo)
	}
	// The socket, not TLS: a close_notify could wait on a stuck client.
	_ = c.raw.Close()
}

func (c *leanConn) setCurrent(up *upstreamConn) {
	c.mu.Lock()
	c.current = up
	c.mu.Unlock()
	if up != nil && c.gone.Load() {
		_ = up.conn.SetDeadline(aLongTimeAgo)
	}
}

func (c *leanConn) serve() {
	defer func() {
		c.stopWatch()
		if !c.handedOver {
			_ = c.conn.Close()
		}
		c.releaseBuffers()
		c.server.forget(c)
	}()
	if !c.handshake() {
		return
	}
	b := c.server.balancer
	for {
		if c.reader.Buffered() == 0 {
			// The client has not had time to send its next request yet:
			// let the other connections run before trying to read it, so
			// the read finds it rather than failing and waiting.
			runtime.Gosched()
		}
		head, err := peekHead(c.reader)
		if err != nil {
			if errors.Is(err, errHeadTooLarge) {
				c.handOver()
			}
			// Otherwise the client closed, or stayed idle too long, or
			// broke off mid-head: net/http closes then too.
			return
		}
		request := &c.request
		request.remote = c.remote
		if !request.parse(head) {
			c.handOver()
			return
		}
		routes := b.routes.Load().listeners[c.server.listenerARN]
		if routes == nil {
			c.handOver()
			return
		}
		action := routes.matchFacts(request)
		if action.Type != ActionForward {
			c.handOver()
			return
		}
		var chosen picked
		groupARN, ok := chooseGroup(action.TargetGroups)
		if ok {
			chosen, ok = b.pick(groupARN)
		}
		if ok && chosen.http2 {
			// HTTP/2 to the target is net/http's Transport's.
			c.handOver()
			return
		}
		routes.counters.requests.Add(1)
		// The request is taken. Its slices stay valid after the discard:
		// nothing reads the client's buffer again until it is answered.
		_, _ = c.reader.Discard(len(head))
		if !ok {
			routes.counters.countELB(http.StatusServiceUnavailable)
			if !c.writeALBError(http.StatusServiceUnavailable, request.close) || request.close {
				return
			}
			continue
		}
		if !c.forward(request, routes, chosen) || request.close {
			return
		}
	}
}

// handshake completes a TLS connection's handshake, within the idle
// timeout, and reports whether the lean path serves it: a connection that
// chose HTTP/2 goes to net/http's HTTP/2 server, which gets the TLS
// connection itself to see the protocol it negotiated. A plain connection
// has nothing to shake hands over.
func (c *leanConn) handshake() bool {
	tlsConn, ok := c.conn.(*tls.Conn)
	if !ok {
		return true
	}
	_ = c.raw.SetDeadline(time.Now().Add(c.server.idleTimeout))
	if err := tlsConn.Handshake(); err != nil {
		// A client refused for its versions or ciphers has been sent an
		// alert already; there is nothing to answer.
		return false
	}
	_ = c.raw.SetDeadline(time.Time{})
	if tlsConn.ConnectionState().NegotiatedProtocol != "h2" {
		return true
	}
	c.handedOver = true
	select {
	case c.server.handoff.conns <- tlsConn:
	case <-c.server.handoff.done:
		c.handedOver = false
	}
	return false
}

// handOver gives the connection, with what it buffered, to net/http.
func (c *leanConn) handOver() {
	c.stopWatch()
	if c.writer.Buffered() > 0 {
		if err := c.writer.Flush(); err != nil {
			return
		}
	}
	c.handedOver = true
	_ = c.conn.SetReadDeadline(time.Time{})
	handoff := c.server.handoff
	select {
	case handoff.conns <- &handedOverConn{Conn: c.conn, reader: c.reader}:
		c.reader = nil // net/http's now, with what it holds
	case <-handoff.done:
		c.handedOver = false // closed by serve's deferred cleanup
	}
}

// forward runs one exchange with the target at address. It reports whether
// the client connection may serve another request.
func (c *leanConn) forward(request *leanRequest, routes *listenerRoutes, chosen picked) bool {
	b := c.server.balancer
	address := chosen.endpoint
	chosen.counters.requests.Add(1)
	for {
		up, reused, err := b.upstream.get(context.Background(), address)
		if err != nil {
			return c.targetFailed(request, routes, address, err)
		}
		sent := time.Now()
		up.source.beforeRead = c.beforeUpstreamRead
		c.setCurrent(up)
		err = request.writeTo(up.writer, c.clientIP, routes, c.traceBuf[:0])
		if err == nil {
			err = up.writer.Flush()
		}
		if err == nil {
			c.armWatch()
			runtime.Gosched() // the target answers meanwhile, as above
			_, err = up.reader.Peek(1)
			c.stopWatch()
		}
		if err != nil {
			c.setCurrent(nil)
			_ = up.conn.Close()
			var netErr net.Error
			timeout := errors.As(err, &netErr) && netErr.Timeout()
			if reused && !timeout && !c.gone.Load() {
				// A kept-alive connection the target closed while idle:
				// the request goes again on another one.
				continue
			}
			return c.targetFailed(request, routes, address, err)
		}
		keepClient, keepTarget, err := c.relayResponse(request, up, chosen.counters, sent)
		c.setCurrent(nil)
		if keepTarget {
			b.upstream.put(address, up)
		} else {
			_ = up.conn.Close()
		}
		if err != nil {
			// Before any of the answer reached the client.
			return c.targetFailed(request, routes, address, err)
		}
		return keepClient
	}
}

// targetFailed answers as an ALB does when the exchange with a target
// failed before any of its answer reached the client.
func (c *leanConn) targetFailed(request *leanRequest, routes *listenerRoutes, address endpoint, err error) bool {
	status := http.StatusBadGateway
	var netErr net.Error
	switch {
	case c.gone.Load():
		status = 460
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &netErr) && netErr.Timeout():
		status = http.StatusGatewayTimeout
	}
	c.server.balancer.opts.Logf("lb: %s %s to target %s: %v (answered %d)", request.verb, request.target, address.address, err, status)
	if status == 460 {
		return false // nobody to answer
	}
	routes.counters.countELB(status)
	return c.writeALBError(status, request.close) && !request.close
}

// writeALBError writes the load balancer's own error answer and flushes it.
func (c *leanConn) writeALBError(status int, closing bool) bool {
	text, body := albErrorPage(status)
	w := c.writer
	w.WriteString("HTTP/1.1 ")
	w.WriteString(strconv.Itoa(status))
	w.WriteByte(' ')
	w.WriteString(text)
	w.WriteString("\r\nServer: awselb/2.0\r\nDate: ")
	w.WriteString(time.Now().UTC().Format(http.TimeFormat))
	w.WriteString("\r\nContent-Type: text/html\r\nContent-Length: ")
	w.WriteString(strconv.Itoa(len(body)))
	if closing {
		w.WriteString("\r\nConnection: close")
	}
	w.WriteString("\r\n\r\n")
	w.WriteString(body)
	return w.Flush() == nil
}

// relayResponse copies the target's answer to the client. err is set when
// nothing of a final answer reached the client yet (the caller answers
// with an error); keepClient and keepTarget say which connections may
// serve another request. A failure after the head went out cuts the
// client off, as net/http does when a handler aborts.
func (c *leanConn) relayResponse(request *leanRequest, up *upstreamConn, counters *groupCounters, sent time.Time) (keepClient, keepTarget bool, err error) {
	response := &c.response
	for {
		head, err := peekHead(up.reader)
		if err != nil {
			return false, false, err
		}
		if !response.parse(head) {
			return false, false, errors.New("malformed response head from the target")
		}
		if response.code == http.StatusSwitchingProtocols {
			return false, false, errors.New("target switched protocols on a request that asked for no upgrade")
		}
		informational := response.code < 200
		if !informational {
			counters.countTarget(response.code, time.Since(sent))
		}
		bodyless := informational || request.head || response.code == http.StatusNoContent || response.code == http.StatusNotModified
		// A response without a length that ends when the connection does is
		// sent to the client chunked, so its connection stays open.
		rechunk := !bodyless && !response.chunked && response.contentLength < 0
		response.writeTo(c.writer, head, rechunk, request.close && !informational)
		_, _ = up.reader.Discard(len(head))
		if informational {
			if c.writer.Flush() != nil {
				return false, false, nil
			}
			continue
		}
		var copyErr error
		switch {
		case bodyless:
		case response.chunked:
			copyErr = c.copyChunked(up.reader)
		case rechunk:
			copyErr = c.copyUntilEOF(up.reader)
		default:
			copyErr = c.copyN(up.reader, response.contentLength)
		}
		if copyErr == nil {
			copyErr = c.writer.Flush()
		}
		if copyErr != nil {
			return false, false, nil
		}
		return !request.close, !response.close && !rechunk, nil
	}
}

// copyN copies n bytes of body.
func (c *leanConn) copyN(r *bufio.Reader, n int64) error {
	for n > 0 {
		if r.Buffered() == 0 {
			if _, err := r.Peek(1); err != nil {
				return err
			}
		}
		chunk, _ := r.Peek(int(min(int64(r.Buffered()), n)))
		if _, err := c.writer.Write(chunk); err != nil {
			return err
		}
		_, _ = r.Discard(len(chunk))
		n -= int64(len(chunk))
	}
	return nil
}

// copyChunked copies a chunked body as it is framed, trailers included,
// checking the framing so it knows where the body ends.
func (c *leanConn) copyChunked(r *bufio.Reader) error {
	for {
		line, err := r.ReadSlice('\n')
		if err != nil {
			return err
		}
		size, ok := chunkSize(line)
		if !ok {
			return errors.New("malformed chunk size from the target")
		}
		if _, err := c.writer.Write(line); err != nil {
			return err
		}
		if size == 0 {
			// Trailers, up to the empty line.
			for {
				line, err := r.ReadSlice('\n')
				if err != nil {
					return err
				}
				if _, err := c.writer.Write(line); err != nil {
					return err
				}
				if len(bytes.TrimRight(line, "\r\n")) == 0 {
					return nil
				}
			}
		}
		if err := c.copyN(r, size); err != nil {
			return err
		}
		line, err = r.ReadSlice('\n')
		if err != nil {
			return err
		}
		if len(bytes.TrimRight(line, "\r\n")) != 0 {
			return errors.New("chunk longer than its size from the target")
		}
		if _, err := c.writer.Write(line); err != nil {
			return err
		}
	}
}

// chunkSize parses a chunk-size line (hex digits, optional extensions).
func chunkSize(line []byte) (int64, bool) {
	line = bytes.TrimRight(line, "\r\n")
	if i := bytes.IndexByte(line, ';'); i >= 0 {
		line = line[:i]
	}
	line = bytes.TrimRight(line, " \t")
	if len(line) == 0 || len(line) > 15 {
		return 0, false
	}
	var size int64
	for _, digit := range line {
		switch {
		case '0' <= digit && digit <= '9':
			size = size<<4 | int64(digit-'0')
		case 'a' <= digit && digit <= 'f':
			size = size<<4 | int64(digit-'a'+10)
		case 'A' <= digit && digit <= 'F':
			size = size<<4 | int64(digit-'A'+10)
		default:
			return 0, false
		}
	}
	return size, true
}

// copyUntilEOF copies a body that ends with the target's connection,
// chunking it for the client.
func (c *leanConn) copyUntilEOF(r *bufio.Reader) error {
	var sizeLine [20]byte
	for {
		if r.Buffered() == 0 {
			if _, err := r.Peek(1); err != nil {
				if err == io.EOF {
					_, err := c.writer.WriteString("0\r\n\r\n")
					return err
				}
				return err
			}
		}
		chunk, _ := r.Peek(r.Buffered())
		line := strconv.AppendInt(sizeLine[:0], int64(len(chunk)), 16)
		line = append(line, '\r', '\n')
		c.writer.Write(line)
		c.writer.Write(chunk)
		if _, err := c.writer.WriteString("\r\n"); err != nil {
			return err
		}
		_, _ = r.Discard(len(chunk))
	}
}

// armWatch starts the wait after which the client's connection is watched.
func (c *leanConn) armWatch() {
	c.watchMu.Lock()
	c.watchState = watchArmed
	if c.watchTimer == nil {
		c.watchTimer = time.AfterFunc(watchAfter, c.watchClient)
	} else {
		c.watchTimer.Reset(watchAfter)
	}
	c.watchMu.Unlock()
}

// watchClient reads the client's connection while a target is slow: an
// end of the connection (or an error) means the client went away and the
// exchange is stopped; a byte is the start of a pipelined request, kept.
func (c *leanConn) watchClient() {
	c.watchMu.Lock()
	if c.watchState != watchArmed || c.stashed || c.reader.Buffered() > 0 {
		// Stopped meanwhile, or the next request is already here and the
		// client cannot be watched without reading it.
		c.watchMu.Unlock()
		return
	}
	// No deadline: the target's answer or stopWatch ends the read. Set
	// before the state says reading, so stopWatch's deadline comes after.
	_ = c.conn.SetReadDeadline(time.Time{})
	c.watchState = watchReading
	done := make(chan struct{})
	c.watchDone = done
	c.watchMu.Unlock()
	n, err := c.conn.Read(c.stash[:])
	c.watchMu.Lock()
	if n > 0 {
		c.stashed = true
	}
	stopping := c.watchState == watchStopping
	c.watchState = watchIdle
	c.watchMu.Unlock()
	if err != nil && !stopping {
		c.abort()
	}
	close(done)
}

// stopWatch ends the watch, waiting for its read to return.
func (c *leanConn) stopWatch() {
	c.watchMu.Lock()
	if c.watchTimer != nil {
		c.watchTimer.Stop()
	}
	switch c.watchState {
	case watchArmed:
		c.watchState = watchIdle
	case watchReading:
		c.watchState = watchStopping
		done := c.watchDone
		c.watchMu.Unlock()
		_ = c.conn.SetReadDeadline(aLongTimeAgo)
		<-done
		return
	}
	c.watchMu.Unlock()
}

// headerKind classifies the header names the proxy acts on.
type headerKind uint8

const (
	headerPlain headerKind = iota
	headerHost
	headerContentLength
	headerTransferEncoding
	headerConnection
	headerTe
	headerUpgrade
	headerExpect
	headerHopByHop // other hop-by-hop headers, dropped both ways
	headerTrailer
	headerForwardedFor
	headerTraceID
	headerReplaced // the client's other forwarding headers, dropped
)

func classifyHeader(name []byte) headerKind {
	switch len(name) {
	case 2:
		if equalFold(name, "te") {
			return headerTe
		}
	case 4:
		if equalFold(name, "host") {
			return headerHost
		}
	case 6:
		if equalFold(name, "expect") {
			return headerExpect
		}
	case 7:
		switch {
		case equalFold(name, "upgrade"):
			return headerUpgrade
		case equalFold(name, "trailer"):
			return headerTrailer
		}
	case 9:
		if equalFold(name, "forwarded") {
			return headerReplaced
		}
	case 10:
		switch {
		case equalFold(name, "connection"):
			return headerConnection
		case equalFold(name, "keep-alive"):
			return headerHopByHop
		}
	case 14:
		if equalFold(name, "content-length") {
			return headerContentLength
		}
	case 15:
		switch {
		case equalFold(name, "x-forwarded-for"):
			return headerForwardedFor
		case equalFold(name, "x-amzn-trace-id"):
			return headerTraceID
		}
	case 16:
		switch {
		case equalFold(name, "proxy-connection"):
			return headerHopByHop
		case equalFold(name, "x-forwarded-host"), equalFold(name, "x-forwarded-port"):
			return headerReplaced
		}
	case 17:
		switch {
		case equalFold(name, "transfer-encoding"):
			return headerTransferEncoding
		case equalFold(name, "x-forwarded-proto"):
			return headerReplaced
		}
	case 18:
		if equalFold(name, "proxy-authenticate") {
			return headerHopByHop
		}
	case 19:
		if equalFold(name, "proxy-authorization") {
			return headerHopByHop
		}
	}
	return headerPlain
}

// equalFold compares an ASCII header name with a lower-case one.
func equalFold(name []byte, lower string) bool {
	if len(name) != len(lower) {
		return false
	}
	for i := range len(name) {
		c := name[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lower[i] {
			return false
		}
	}
	return true
}

type headerField struct {
	name, value []byte
	kind        headerKind
}

// leanRequest is a request head the lean path parsed; its slices point
// into the client's read buffer and are valid until the head is
// discarded from it.
type leanRequest struct {
	verb, target, hostHeader []byte
	fields                   []headerField
	// connectionValues are the Connection headers' values: the headers they
	// name are dropped too.
	connectionValues [][]byte
	traceID          []byte
	hasTraceID       bool
	head, close      bool
	teTrailers       bool
	remote           string
}

// parse reads a request head (request line to the empty line, CRLF line
// ends) and reports whether the lean path takes it.
func (r *leanRequest) parse(head []byte) bool {
	r.fields = r.fields[:0]
	r.connectionValues = r.connectionValues[:0]
	r.hostHeader, r.traceID = nil, nil
	r.hasTraceID, r.close, r.teTrailers = false, false, false
	line, rest, ok := cutCRLF(head)
	if !ok {
		return false
	}
	method, afterMethod, ok := bytes.Cut(line, []byte{' '})
	if !ok {
		return false
	}
	target, version, ok := bytes.Cut(afterMethod, []byte{' '})
	if !ok || string(version) != "HTTP/1.1" || len(target) == 0 || target[0] != '/' || !validTarget(target) {
		return false
	}
	switch string(method) {
	case http.MethodGet, http.MethodOptions, http.MethodTrace:
		r.head = false
	case http.MethodHead:
		r.head = true
	default:
		return false
	}
	r.verb, r.target = method, target
	forwardedFor := 0
	seenLength := false
	for {
		line, rest, ok = cutCRLF(rest)
		if !ok {
			return false
		}
		if len(line) == 0 {
			break
		}
		colon := bytes.IndexByte(line, ':')
		if colon <= 0 || !validToken(line[:colon]) {
			return false // also a folded line, which starts with a space
		}
		name, value := line[:colon], bytes.Trim(line[colon+1:], " \t")
		if !validValue(value) {
			return false
		}
		kind := classifyHeader(name)
		switch kind {
		case headerHost:
			if r.hostHeader != nil || !validHost(value) {
				return false
			}
			r.hostHeader = value
		case headerContentLength:
			// Only an empty body; a body goes to net/http.
			if seenLength || string(value) != "0" {
				return false
			}
			seenLength = true
		case headerTransferEncoding, headerUpgrade, headerExpect:
			return false
		case headerConnection:
			r.connectionValues = append(r.connectionValues, value)
			if hasTokenBytes(value, "close") {
				r.close = true
			}
		case headerTe:
			if hasTokenBytes(value, "trailers") {
				r.teTrailers = true
			}
		case headerForwardedFor:
			forwardedFor += bytes.Count(value, []byte{','}) + 1
			if forwardedFor >= maxForwardedFor {
				return false // net/http's path answers 463 (or forwards the 30th)
			}
		case headerTraceID:
			if !r.hasTraceID {
				r.traceID, r.hasTraceID = value, true
			}
		}
		r.fields = append(r.fields, headerField{name: name, value: value, kind: kind})
	}
	// HTTP/1.1 requires a Host; net/http answers 400 without one.
	return r.hostHeader != nil && len(rest) == 0
}

// dropped reports whether a request header stays with the proxy.
func (r *leanRequest) dropped(field *headerField) bool {
	if field.kind != headerPlain && field.kind != headerContentLength {
		return true
	}
	return namedByConnection(r.connectionValues, field.name)
}

func namedByConnection(connectionValues [][]byte, name []byte) bool {
	for _, value := range connectionValues {
		for len(value) > 0 {
			var token []byte
			token, value, _ = bytes.Cut(value, []byte{','})
			token = bytes.Trim(token, " \t")
			if len(token) == len(name) && bytes.EqualFold(token, name) {
				return true
			}
		}
	}
	return false
}

// writeTo writes the head the target gets: the client's request line and
// headers, less the hop-by-hop and forwarding ones, plus the ALB's.
func (r *leanRequest) writeTo(w *bufio.Writer, clientIP string, routes *listenerRoutes, scratch []byte) error {
	w.Write(r.verb)
	w.WriteByte(' ')
	w.Write(r.target)
	w.WriteString(" HTTP/1.1\r\nHost: ")
	w.Write(r.hostHeader)
	w.WriteString("\r\n")
	for i := range r.fields {
		field := &r.fields[i]
		if r.dropped(field) {
			continue
		}
		w.Write(field.name)
		w.WriteString(": ")
		w.Write(field.value)
		w.WriteString("\r\n")
	}
	if r.teTrailers {
		w.WriteString("Te: trailers\r\n")
	}
	if clientIP != "" {
		w.WriteString("X-Forwarded-For: ")
		for i := range r.fields {
			if r.fields[i].kind == headerForwardedFor {
				w.Write(r.fields[i].value)
				w.WriteString(", ")
			}
		}
		w.WriteString(clientIP)
		w.WriteString("\r\n")
	}
	w.WriteString("X-Forwarded-Proto: ")
	w.WriteString(routes.forwardedProto)
	w.WriteString("\r\nX-Forwarded-Port: ")
	w.WriteString(routes.forwardedPort)
	w.WriteString("\r\nX-Amzn-Trace-Id: ")
	w.Write(appendTraceID(scratch, r.traceID))
	_, err := w.WriteString("\r\n\r\n")
	return err
}

// The facts rules match on (requestFacts); made only when a condition asks.

func (r *leanRequest) method() string     { return string(r.verb) }
func (r *leanRequest) host() string       { return string(r.hostHeader) }
func (r *leanRequest) remoteAddr() string { return r.remote }

func (r *leanRequest) path() string {
	path, _, _ := bytes.Cut(r.target, []byte{'?'})
	if bytes.IndexByte(path, '%') < 0 {
		return string(path)
	}
	if decoded, err := url.PathUnescape(string(path)); err == nil {
		return decoded
	}
	return string(path)
}

func (r *leanRequest) query() url.Values {
	_, rawQuery, _ := bytes.Cut(r.target, []byte{'?'})
	values, _ := url.ParseQuery(string(rawQuery))
	return values
}

func (r *leanRequest) headerValues(name string) []string {
	var values []string
	for _, field := range r.fields {
		if strings.EqualFold(string(field.name), name) {
			values = append(values, string(field.value))
		}
	}
	return values
}

// responseHead is a target's response head the lean path parsed.
type responseHead struct {
	code          int
	contentLength int64 // -1 when not given
	chunked       bool
	// close says the target's connection ends with this response.
	close            bool
	connectionValues [][]byte
}

// parse reads a response head; line ends may be CRLF or LF, as net/http's
// client accepts.
func (h *responseHead) parse(head []byte) bool {
	h.contentLength, h.chunked, h.close = -1, false, false
	h.connectionValues = h.connectionValues[:0]
	line, rest := cutLine(head)
	if len(line) < 12 || string(line[:7]) != "HTTP/1." || line[8] != ' ' {
		return false
	}
	http10 := line[7] == '0'
	if !http10 && line[7] != '1' {
		return false
	}
	code, err := strconv.Atoi(string(line[9:12]))
	if err != nil || code < 100 || code > 999 || (len(line) > 12 && line[12] != ' ') {
		return false
	}
	h.code = code
	keepAlive := false
	for {
		line, rest = cutLine(rest)
		if len(line) == 0 {
			break
		}
		colon := bytes.IndexByte(line, ':')
		if colon <= 0 || !validToken(line[:colon]) {
			return false
		}
		value := bytes.Trim(line[colon+1:], " \t")
		switch classifyHeader(line[:colon]) {
		case headerContentLength:
			length, err := strconv.ParseInt(string(value), 10, 64)
			if err != nil || length < 0 || (h.contentLength >= 0 && h.contentLength != length) {
				return false
			}
			h.contentLength = length
		case headerTransferEncoding:
			if !equalFold(value, "chunked") {
				return false // net/http's client refuses other codings too
			}
			h.chunked = true
		case headerConnection:
			h.connectionValues = append(h.connectionValues, value)
			if hasTokenBytes(value, "close") {
				h.close = true
			}
			if hasTokenBytes(value, "keep-alive") {
				keepAlive = true
			}
		}
	}
	if http10 && !keepAlive {
		h.close = true
	}
	if h.chunked {
		h.contentLength = -1
	}
	return true
}

// writeTo writes the head the client gets: the target's status and
// headers, less the hop-by-hop ones.
func (h *responseHead) writeTo(w *bufio.Writer, head []byte, rechunk, closing bool) {
	line, rest := cutLine(head)
	w.WriteString("HTTP/1.1")
	w.Write(line[8:])
	w.WriteString("\r\n")
	for {
		line, rest = cutLine(rest)
		if len(line) == 0 {
			break
		}
		colon := bytes.IndexByte(line, ':')
		name := line[:colon]
		switch classifyHeader(name) {
		case headerConnection, headerTe, headerUpgrade, headerHopByHop, headerTransferEncoding:
			continue
		case headerContentLength:
			if h.chunked {
				continue
			}
		}
		if namedByConnection(h.connectionValues, name) {
			continue
		}
		w.Write(line)
		w.WriteString("\r\n")
	}
	if h.chunked || rechunk {
		w.WriteString("Transfer-Encoding: chunked\r\n")
	}
	if closing {
		w.WriteString("Connection: close\r\n")
	}
	w.WriteString("\r\n")
}

// peekHead returns the head at the start of r — up to and including the
// empty line — without consuming it, reading more as needed.
func peekHead(r *bufio.Reader) ([]byte, error) {
	searched := 0
	for {
		buffered, _ := r.Peek(r.Buffered())
		if end := headEnd(buffered, searched); end > 0 {
			return buffered[:end], nil
		}
		searched = max(0, len(buffered)-3)
		if len(buffered) == r.Size() {
			return nil, errHeadTooLarge
		}
		if _, err := r.Peek(len(buffered) + 1); err != nil {
			if errors.Is(err, bufio.ErrBufferFull) {
				return nil, errHeadTooLarge
			}
			return nil, err
		}
	}
}

// headEnd is the length of the head in buf (up to the first empty line,
// "\n\n" or "\n\r\n"), or 0 when buf does not hold it all; the search
// starts at from.
func headEnd(buf []byte, from int) int {
	for i := from; i < len(buf); {
		j := bytes.IndexByte(buf[i:], '\n')
		if j < 0 {
			return 0
		}
		i += j + 1
		if i < len(buf) && buf[i] == '\n' {
			return i + 1
		}
		if i+1 < len(buf) && buf[i] == '\r' && buf[i+1] == '\n' {
			return i + 2
		}
	}
	return 0
}

// cutCRLF cuts a CRLF-ended line off buf; a bare LF or CR fails.
func cutCRLF(buf []byte) (line, rest []byte, ok bool) {
	i := bytes.IndexByte(buf, '\n')
	if i < 1 || buf[i-1] != '\r' {
		return nil, nil, false
	}
	line = buf[:i-1]
	if bytes.IndexByte(line, '\r') >= 0 {
		return nil, nil, false
	}
	return line, buf[i+1:], true
}

// cutLine cuts a line ending in LF or CRLF off buf.
func cutLine(buf []byte) (line, rest []byte) {
	i := bytes.IndexByte(buf, '\n')
	if i < 0 {
		return buf, nil
	}
	line, rest = buf[:i], buf[i+1:]
	return bytes.TrimSuffix(line, []byte{'\r'}), rest
}

// hasTokenBytes reports whether the comma-separated list holds token
// (lower case), ignoring case.
func hasTokenBytes(list []byte, token string) bool {
	for len(list) > 0 {
		var item []byte
		item, list, _ = bytes.Cut(list, []byte{','})
		if equalFold(bytes.Trim(item, " \t"), token) {
			return true
		}
	}
	return false
}

// validToken reports whether name is an RFC 9110 token.
func validToken(name []byte) bool {
	if len(name) == 0 {
		return false
	}
	for _, c := range name {
		if !isTokenChar(c) {
			return false
		}
	}
	return true
}

func isTokenChar(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
}

// validValue refuses control characters other than tab in a header value,
// as net/http's server does.
func validValue(value []byte) bool {
	for _, c := range value {
		if (c < ' ' && c != '\t') || c == 0x7f {
			return false
		}
	}
	return true
}

// validTarget refuses spaces and control characters in a request target.
func validTarget(target []byte) bool {
	for _, c := range target {
		if c <= ' ' || c == 0x7f {
			return false
		}
	}
	return true
}

// validHost accepts the characters of a host[:port] (and of bracketed
// IPv6 literals); anything else goes to net/http, which judges it.
func validHost(host []byte) bool {
	if len(host) == 0 {
		return false
	}
	for _, c := range host {
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case c == '.', c == '-', c == ':', c == '[', c == ']', c == '_':
		default:
			return false
		}
	}
	return true
}
