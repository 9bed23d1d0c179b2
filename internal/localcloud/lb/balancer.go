// Package lb is the data plane of the local cloud's Application Load
// Balancers: listeners that really listen, rule matching, round-robin
// forwarding to healthy targets, active health checks and draining. The
// ELBv2 backend drives it through Apply; it knows nothing of the AWS wire
// protocol or of the store.
package lb

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Options configures a Balancer; the zero value is usable.
type Options struct {
	// BindHost is the address listeners bind to (default "127.0.0.1").
	BindHost string
	// OnTargetHealth is called, in order and outside the balancer's locks,
	// for every change of a target's state or reason.
	OnTargetHealth func(TargetHealthChange)
	// Logf receives diagnostics; nil discards them.
	Logf func(format string, args ...any)
	// IdleTimeout is the load balancer's idle timeout (default 60 s): a
	// target that sends no response headers within it gets a 504.
	IdleTimeout time.Duration
	// ConnectTimeout bounds connecting to a target (default 10 s) before the
	// client gets a 504.
	ConnectTimeout time.Duration
}

// ListenerAddress says where a listener actually listens.
type ListenerAddress struct {
	ListenerARN     string
	LoadBalancerARN string
	// Port is the port the configuration asked for.
	Port int
	// Address is the host:port it listens on, which differs from Port when
	// that port was busy or privileged.
	Address string
}

// maxIdlePerTarget bounds the kept-alive connections to one target.
const maxIdlePerTarget = 256

// ErrClosed is returned by Apply after Close.
var ErrClosed = errors.New("load balancer closed")

// Balancer runs every load balancer of the local cloud.
type Balancer struct {
	opts Options
	// upstream carries the direct path's requests (see direct); proxy and
	// transport carry the others.
	upstream  *upstream
	proxy     *httputil.ReverseProxy
	transport *http.Transport
	// proxyHTTP2 and transportHTTP2 carry the requests of target groups
	// whose protocol version is HTTP2 or GRPC: h2 over TLS to HTTPS
	// targets, h2 with prior knowledge to HTTP ones.
	proxyHTTP2     *httputil.ReverseProxy
	transportHTTP2 *http.Transport
	buffers        *bufferPool
	healthClient   *http.Client
	notifier       *notifier
	routes         atomic.Pointer[routingTable]
	// dialer connects to targets through dialTarget, which refuses the
	// addresses blocked lists (firewall.go).
	dialer  *net.Dialer
	blocked atomic.Pointer[blockedPaths]

	// background is cancelled by Close; every health check runs under it.
	background context.Context
	stop       context.CancelFunc
	workers    sync.WaitGroup

	// applyMu serialises Apply and Close, which bind and close sockets
	// without holding mu.
	applyMu sync.Mutex

	mu        sync.RWMutex
	closed    bool
	listeners map[string]*listener // by listener ARN
	groups    map[string]*targetGroup
	// balancerCounters count each load balancer's traffic (by ARN).
	balancerCounters map[string]*balancerCounters
}

type listener struct {
	arn, loadBalancerARN string
	requestedPort        int
	address              string
	server               *leanServer
}

// New returns a Balancer with no load balancers; Apply gives it some.
func New(opts Options) *Balancer {
	if opts.BindHost == "" {
		opts.BindHost = "127.0.0.1"
	}
	if opts.Logf == nil {
		opts.Logf = func(string, ...any) {}
	}
	if opts.IdleTimeout <= 0 {
		opts.IdleTimeout = 60 * time.Second
	}
	if opts.ConnectTimeout <= 0 {
		opts.ConnectTimeout = 10 * time.Second
	}
	background, stop := context.WithCancel(context.Background())
	dialer := &net.Dialer{Timeout: opts.ConnectTimeout, KeepAlive: 30 * time.Second}
	b := &Balancer{
		opts:   opts,
		dialer: dialer,
		transport: &http.Transport{
			TLSClientConfig:       targetTLS(),
			MaxIdleConns:          1024,
			MaxIdleConnsPerHost:   maxIdlePerTarget,
			IdleConnTimeout:       opts.IdleTimeout,
			ResponseHeaderTimeout: opts.IdleTimeout,
			// A load balancer passes the client's Accept-Encoding through
			// and the target's encoding back; it neither asks for gzip nor
			// unpacks it.
			DisableCompression: true,
		},
		buffers: newBufferPool(32<<10, 256),
		healthClient: &http.Client{
			// A fresh connection per check, as ELB does, so a check proves
			// the target still accepts connections.
			Transport: &http.Transport{DisableKeepAlives: true, TLSClientConfig: targetTLS()},
			CheckRedirect: func(*http.Request, []*http.Request) error {
				return http.ErrUseLastResponse
			},
		},
		notifier:   newNotifier(opts.OnTargetHealth),
		background: background,
		stop:       stop,
		listeners:  make(map[string]*listener),
		groups:     make(map[string]*targetGroup),

		balancerCounters: make(map[string]*balancerCounters),
	}
	b.proxy = &httputil.ReverseProxy{
		Rewrite:        b.rewrite,
		ModifyResponse: b.countResponse,
		Transport:      b.transport,
		ErrorHandler:   b.proxyError,
		ErrorLog:       log.New(logfWriter(opts.Logf), "lb: ", 0),
		BufferPool:     b.buffers,
	}
	var http2Only http.Protocols
	http2Only.SetHTTP2(true)
	http2Only.SetUnencryptedHTTP2(true)
	http2TLS := targetTLS()
	http2TLS.NextProtos = []string{"h2"}
	b.transportHTTP2 = &http.Transport{
		DialContext:           b.dialTarget,
		TLSClientConfig:       http2TLS,
		Protocols:             &http2Only,
		ForceAttemptHTTP2:     true,
		IdleConnTimeout:       opts.IdleTimeout,
		ResponseHeaderTimeout: opts.IdleTimeout,
		DisableCompression:    true,
	}
	proxyHTTP2 := *b.proxy
	proxyHTTP2.Transport = b.transportHTTP2
	b.proxyHTTP2 = &proxyHTTP2
	b.routes.Store(&routingTable{})
	b.blocked.Store(&blockedPaths{})
	b.upstream = newUpstream(b.dialTarget, opts.ConnectTimeout, opts.IdleTimeout, opts.IdleTimeout, maxIdlePerTarget)
	b.transport.DialContext = b.dialTarget
	b.healthClient.Transport.(*http.Transport).DialContext = b.dialTarget
	b.workers.Add(1)
	go func() {
		defer b.workers.Done()
		b.closeIdleConnections(opts.IdleTimeout)
	}()
	return b
}

// closeIdleConnections closes connections to targets that stayed unused
// for the idle timeout, until Close.
func (b *Balancer) closeIdleConnections(idleTimeout time.Duration) {
	tick := time.NewTicker(max(idleTimeout/2, 10*time.Millisecond))
	defer tick.Stop()
	for {
		select {
		case <-b.background.Done():
			return
		case <-tick.C:
			b.upstream.closeExpired()
		}
	}
}

// bufferPool lends the proxy its body copy buffers, which it otherwise
// allocates (32 KiB) for every request. A bounded free list rather than a
// sync.Pool: Put takes a slice, which a sync.Pool would box in an allocation.
type bufferPool struct {
	size int
	free chan []byte
}

func newBufferPool(size, keep int) *bufferPool {
	return &bufferPool{size: size, free: make(chan []byte, keep)}
}

func (p *bufferPool) Get() []byte {
	select {
	case buf := <-p.free:
		return buf
	default:
		return make([]byte, p.size)
	}
}

func (p *bufferPool) Put(buf []byte) {
	select {
	case p.free <- buf[:cap(buf)]:
	default:
	}
}

type logfWriter func(format string, args ...any)

func (write logfWriter) Write(p []byte) (int, error) {
	write("%s", strings.TrimSuffix(string(p), "\n"))
	return len(p), nil
}

// Apply reconciles the data plane to cfg: it opens and closes listeners,
// registers and drains targets and starts and stops their health checks.
// Targets that stay keep their health. An invalid cfg changes nothing. A
// listener that cannot be bound at all is skipped and reported in the error
// while the rest is applied; the next Apply retries it.
func (b *Balancer) Apply(cfg Config) error {
	valid, err := validate(cfg)
	if err != nil {
		return err
	}
	b.applyMu.Lock()
	defer b.applyMu.Unlock()
	b.mu.RLock()
	closed := b.closed
	b.mu.RUnlock()
	if closed {
		return ErrClosed
	}

	wanted := map[string]Listener{}
	owner := map[string]string{}
	for _, balancer := range valid.loadBalancers {
		for _, wantedListener := range balancer.Listeners {
			wanted[wantedListener.ARN] = wantedListener
			owner[wantedListener.ARN] = balancer.ARN
		}
	}

	// Close what goes away or moves first, so its port is free to reuse.
	b.mu.Lock()
	var closing []*listener
	for arn, current := range b.listeners {
		next, keep := wanted[arn]
		if !keep || next.Port != current.requestedPort || owner[arn] != current.loadBalancerARN {
			closing = append(closing, current)
			delete(b.listeners, arn)
		}
	}
	b.mu.Unlock()
	for _, old := range closing {
		_ = old.server.Close()
		b.opts.Logf("lb: listener %s on %s closed", old.arn, old.address)
	}

	var bindErrors []error
	var opened []*listener
	var netListeners []net.Listener
	for _, balancer := range valid.loadBalancers {
		for _, wantedListener := range balancer.Listeners {
			b.mu.RLock()
			current, running := b.listeners[wantedListener.ARN]
			b.mu.RUnlock()
			if running {
				b.configureTLS(current, wantedListener)
				continue
			}
			netListener, err := b.bind(wantedListener)
			if err != nil {
				bindErrors = append(bindErrors, fmt.Errorf("listener %s: %w", wantedListener.ARN, err))
				continue
			}
			added := &listener{
				arn:             wantedListener.ARN,
				loadBalancerARN: balancer.ARN,
				requestedPort:   wantedListener.Port,
				address:         netListener.Addr().String(),
				server: newLeanServer(b, wantedListener.ARN, &http.Server{
					Handler:           &listenerHandler{balancer: b, listenerARN: wantedListener.ARN},
					ReadHeaderTimeout: b.opts.IdleTimeout,
					IdleTimeout:       b.opts.IdleTimeout,
					ErrorLog:          log.New(logfWriter(b.opts.Logf), "lb: ", 0),
				}),
			}
			b.configureTLS(added, wantedListener)
			opened = append(opened, added)
			netListeners = append(netListeners, netListener)
		}
	}

	b.mu.Lock()
	for _, added := range opened {
		b.listeners[added.arn] = added
	}
	b.reconcileCounters(valid)
	table := buildRoutingTable(valid, b.balancerCounters)
	b.routes.Store(table)
	blocked := blockedTargets(valid, table)
	b.blocked.Store(&blocked)
	b.reconcileGroups(valid)
	b.mu.Unlock()

	for i, added := range opened {
		arn, server, netListener := added.arn, added.server, netListeners[i]
		b.workers.Add(1)
		go func() {
			defer b.workers.Done()
			if err := server.Serve(netListener); err != nil && !errors.Is(err, http.ErrServerClosed) {
				b.opts.Logf("lb: listener %s stopped: %v", arn, err)
			}
		}()
	}
	if len(bindErrors) > 0 {
		return fmt.Errorf("apply load balancers: %w", errors.Join(bindErrors...))
	}
	return nil
}

// configureTLS gives a listener the TLS configuration its protocol and
// certificates call for, rebuilding it only when they changed: connections
// accepted from then on use it, those open keep theirs. A listener can go
// from HTTP to HTTPS and back without closing its socket.
func (b *Balancer) configureTLS(open *listener, wanted Listener) {
	if wanted.Protocol != "HTTPS" {
		open.server.tls.Store(nil)
		return
	}
	spec := wanted.TLS
	if spec == nil {
		spec = &ListenerTLS{}
	}
	current := open.server.tls.Load()
	if current != nil && current.fingerprint == spec.fingerprint() {
		return
	}
	setup, err := buildTLS(spec)
	if err != nil {
		b.opts.Logf("lb: listener %s: %v", wanted.ARN, err)
	}
	if len(spec.Certificates) == 0 {
		b.opts.Logf("lb: HTTPS listener %s has no certificate it can serve yet; handshakes fail until it has", wanted.ARN)
	}
	open.server.tls.Store(setup)
}

// bind listens on the requested port, or on a free one when that port is
// taken or privileged: a local stack should come up regardless.
func (b *Balancer) bind(wanted Listener) (net.Listener, error) {
	requested := net.JoinHostPort(b.opts.BindHost, strconv.Itoa(wanted.Port))
	netListener, err := net.Listen("tcp", requested)
	if err == nil {
		return netListener, nil
	}
	fallback, fallbackErr := net.Listen("tcp", net.JoinHostPort(b.opts.BindHost, "0"))
	if fallbackErr != nil {
		return nil, fmt.Errorf("bind %s: %w; and no free port either: %w", requested, err, fallbackErr)
	}
	b.opts.Logf("lb: listener %s cannot listen on %s (%v); listening on %s instead", wanted.ARN, requested, err, fallback.Addr())
	return fallback, nil
}

// reconcileCounters keeps the counters of every configured load balancer.
// Callers hold b.mu.
func (b *Balancer) reconcileCounters(valid *config) {
	wanted := map[string]bool{}
	for _, balancer := range valid.loadBalancers {
		wanted[balancer.ARN] = true
		if b.balancerCounters[balancer.ARN] == nil {
			b.balancerCounters[balancer.ARN] = &balancerCounters{}
		}
	}
	for arn := range b.balancerCounters {
		if !wanted[arn] {
			delete(b.balancerCounters, arn)
		}
	}
}

func buildRoutingTable(valid *config, counters map[string]*balancerCounters) *routingTable {
	table := &routingTable{listeners: map[string]*listenerRoutes{}, hosts: map[string]string{}, groupUsers: map[string][]string{}}
	for _, balancer := range valid.loadBalancers {
		for _, wanted := range balancer.Listeners {
			routes := buildRoutes(wanted)
			routes.counters = counters[balancer.ARN]
			routes.firewall, routes.balancer = valid.firewall, balancer.Endpoint
			table.listeners[wanted.ARN] = routes
			for _, rule := range routes.rules {
				for _, group := range rule.action.TargetGroups {
					if !slices.Contains(table.groupUsers[group.ARN], balancer.ARN) {
						table.groupUsers[group.ARN] = append(table.groupUsers[group.ARN], balancer.ARN)
					}
				}
			}
		}
		if balancer.DNSName == "" || len(balancer.Listeners) == 0 {
			continue
		}
		chosen := balancer.Listeners[0].ARN
		for _, candidate := range balancer.Listeners {
			if candidate.Port == 80 {
				chosen = candidate.ARN
				break
			}
		}
		table.hosts[strings.ToLower(strings.TrimSuffix(balancer.DNSName, "."))] = chosen
	}
	return table
}

// Listeners reports where every listener listens, ordered by load balancer
// and requested port.
func (b *Balancer) Listeners() []ListenerAddress {
	b.mu.RLock()
	addresses := make([]ListenerAddress, 0, len(b.listeners))
	for _, open := range b.listeners {
		addresses = append(addresses, ListenerAddress{
			ListenerARN:     open.arn,
			LoadBalancerARN: open.loadBalancerARN,
			Port:            open.requestedPort,
			Address:         open.address,
		})
	}
	b.mu.RUnlock()
	sort.Slice(addresses, func(i, j int) bool {
		if addresses[i].LoadBalancerARN != addresses[j].LoadBalancerARN {
			return addresses[i].LoadBalancerARN < addresses[j].LoadBalancerARN
		}
		if addresses[i].Port != addresses[j].Port {
			return addresses[i].Port < addresses[j].Port
		}
		return addresses[i].ListenerARN < addresses[j].ListenerARN
	})
	return addresses
}

// HandlerForHost returns the handler of the load balancer whose DNS name is
// host (any port stripped, case-insensitive): its listener on port 80, else
// its first listener. It lets the local cloud's endpoint port answer for
// "<name>-<id>.elb.localhost".
func (b *Balancer) HandlerForHost(host string) (http.Handler, bool) {
	name := strings.ToLower(strings.TrimSuffix(hostWithoutPort(host), "."))
	listenerARN, ok := b.routes.Load().hosts[name]
	if !ok {
		return nil, false
	}
	return &listenerHandler{balancer: b, listenerARN: listenerARN}, true
}

// Close closes every listener, stops every health check and drain timer and
// waits for them; requests in flight are cut off.
func (b *Balancer) Close() error {
	b.applyMu.Lock()
	defer b.applyMu.Unlock()
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return nil
	}
	b.closed = true
	listeners := b.listeners
	b.listeners = map[string]*listener{}
	for _, group := range b.groups {
		for _, target := range group.targets {
			b.stopTarget(target)
		}
	}
	b.groups = map[string]*targetGroup{}
	b.routes.Store(&routingTable{})
	b.mu.Unlock()

	b.stop()
	var errs []error
	for _, open := range listeners {
		if err := open.server.Close(); err != nil {
			errs = append(errs, fmt.Errorf("close listener %s: %w", open.arn, err))
		}
	}
	b.workers.Wait()
	b.notifier.close()
	b.upstream.close()
	b.transport.CloseIdleConnections()
	b.transportHTTP2.CloseIdleConnections()
	b.healthClient.CloseIdleConnections()
	return errors.Join(errs...)
}

// listenerHandler routes one listener's requests by the current rules.
type listenerHandler struct {
	balancer    *Balancer
	listenerARN string
}

func (h *listenerHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	routes := h.balancer.routes.Load().listeners[h.listenerARN]
	if routes == nil {
		writeALBError(w, http.StatusServiceUnavailable, nil)
		return
	}
	routes.counters.requests.Add(1)
	action := routes.match(r)
	switch action.Type {
	case ActionFixedResponse:
		routes.counters.countELB(action.FixedResponse.StatusCode)
		writeFixedResponse(w, action.FixedResponse)
	case ActionRedirect:
		routes.counters.countELB(http.StatusMovedPermanently)
		writeRedirect(w, r, action.Redirect, routes.port, routes.protocol)
	case ActionForward:
		h.balancer.forward(w, r, action.TargetGroups, routes)
	default:
		writeALBError(w, http.StatusServiceUnavailable, routes.counters)
	}
}

// writeALBError answers as the load balancer itself does when it cannot
// get a response from a target.
// counters, when set, count it.
func writeALBError(w http.ResponseWriter, status int, counters *balancerCounters) {
	counters.countELB(status)
	_, body := albErrorPage(status)
	w.Header().Set("Content-Type", "text/html")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.Header().Set("Server", "awselb/2.0")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(body))
}

// albErrorPage is the reason phrase and the HTML body of the load
// balancer's own error answers.
func albErrorPage(status int) (text, body string) {
	text = http.StatusText(status)
	switch status {
	case 460:
		text = "Client Closed Request"
	case 463:
		text = "Too Many X-Forwarded-For Addresses"
	}
	body = fmt.Sprintf("<html>\r\n<head><title>%d %s</title></head>\r\n<body>\r\n<center><h1>%d %s</h1></center>\r\n</body>\r\n</html>\r\n", status, text, status, text)
	return text, body
}
