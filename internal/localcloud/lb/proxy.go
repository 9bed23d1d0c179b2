package lb

import (
	"context"
	"errors"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httputil"
	"strings"
	"time"
)

// maxForwardedFor is how many X-Forwarded-For addresses an ALB accepts
// before answering 463.
const maxForwardedFor = 30

type forwardingKey struct{}

// forwarding is what the proxy's Rewrite needs to know about a request.
type forwarding struct {
	// address is how the chosen target is reached.
	address endpoint
	routes  *listenerRoutes
	// counters are the target group's; sent is when the request went.
	counters *groupCounters
	sent     time.Time
}

// countResponse is the reverse proxy's ModifyResponse: it counts the
// target's answer.
func (b *Balancer) countResponse(response *http.Response) error {
	if fw, ok := response.Request.Context().Value(forwardingKey{}).(*forwarding); ok && response.StatusCode >= 200 {
		fw.counters.countTarget(response.StatusCode, time.Since(fw.sent))
	}
	return nil
}

func (b *Balancer) forward(w http.ResponseWriter, r *http.Request, groups []WeightedTargetGroup, routes *listenerRoutes) {
	if forwardedFor := r.Header.Values("X-Forwarded-For"); len(forwardedFor) > 0 &&
		strings.Count(strings.Join(forwardedFor, ","), ",")+1 > maxForwardedFor {
		writeALBError(w, 463, routes.counters)
		return
	}
	groupARN, ok := chooseGroup(groups)
	if !ok {
		writeALBError(w, http.StatusServiceUnavailable, routes.counters)
		return
	}
	chosen, ok := b.pick(groupARN)
	if !ok {
		writeALBError(w, http.StatusServiceUnavailable, routes.counters)
		return
	}
	chosen.counters.requests.Add(1)
	if direct(r) && !chosen.http2 {
		b.forwardDirect(w, r, chosen, routes)
		return
	}
	ctx := context.WithValue(r.Context(), forwardingKey{}, &forwarding{address: chosen.endpoint, routes: routes, counters: chosen.counters, sent: time.Now()})
	if chosen.http2 {
		b.proxyHTTP2.ServeHTTP(w, r.WithContext(ctx))
		return
	}
	b.proxy.ServeHTTP(w, r.WithContext(ctx))
}

// chooseGroup picks one group of a forward action in proportion to weights.
func chooseGroup(groups []WeightedTargetGroup) (string, bool) {
	if len(groups) == 1 {
		return groups[0].ARN, true
	}
	total := 0
	for _, group := range groups {
		total += group.Weight
	}
	if total == 0 {
		return "", false
	}
	draw := rand.IntN(total)
	for _, group := range groups {
		if draw < group.Weight {
			return group.ARN, true
		}
		draw -= group.Weight
	}
	return "", false
}

// rewrite addresses the chosen target and adds the headers an ALB adds. The
// Host header is passed through unchanged.
func (b *Balancer) rewrite(proxyRequest *httputil.ProxyRequest) {
	fw, _ := proxyRequest.In.Context().Value(forwardingKey{}).(*forwarding)
	if fw == nil {
		return
	}
	out, in := proxyRequest.Out, proxyRequest.In
	out.URL.Scheme = "http"
	if fw.address.secure {
		out.URL.Scheme = "https"
	}
	out.URL.Host = fw.address.address
	out.Host = in.Host
	added := albHeadersFor(in, fw.routes)
	if added.forwardedFor != "" {
		out.Header.Set("X-Forwarded-For", added.forwardedFor)
	}
	out.Header.Set("X-Forwarded-Proto", added.proto)
	out.Header.Set("X-Forwarded-Port", added.port)
	out.Header.Set("X-Amzn-Trace-Id", added.traceID)
}

// albHeaders are the values of the headers an ALB adds to a request it
// forwards; both ways of forwarding take them from here.
type albHeaders struct {
	// forwardedFor is empty when the client's address is unknown.
	forwardedFor, proto, port, traceID string
}

func albHeadersFor(in *http.Request, routes *listenerRoutes) albHeaders {
	added := albHeaders{proto: routes.forwardedProto, port: routes.forwardedPort, traceID: traceID(in.Header.Get("X-Amzn-Trace-Id"))}
	if client, _, err := net.SplitHostPort(in.RemoteAddr); err == nil {
		added.forwardedFor = client
		if prior := in.Header.Values("X-Forwarded-For"); len(prior) > 0 {
			added.forwardedFor = strings.Join(prior, ", ") + ", " + client
		}
	}
	return added
}

// traceID makes a new trace id ("1-" 8 hex digits of the time "-" 24 random
// hex digits), or prepends a Self entry when the client already sent a Root,
// as an ALB does. It is built by hand: it runs for every request.
func traceID(incoming string) string {
	var buf [128]byte
	return string(appendTraceID(buf[:0], incoming))
}

// appendTraceID appends the X-Amzn-Trace-Id value traceID makes; the lean
// path writes it straight into the target's request.
func appendTraceID[T string | []byte](dst []byte, incoming T) []byte {
	if containsRoot(incoming) {
		dst = append(dst, "Self="...)
	} else {
		dst = append(dst, "Root="...)
	}
	dst = append(dst, "1-"...)
	dst = appendHex32(dst, uint32(time.Now().Unix()))
	dst = append(dst, '-')
	random := rand.Uint64()
	dst = appendHex32(dst, uint32(random>>32))
	dst = appendHex32(dst, uint32(random))
	dst = appendHex32(dst, rand.Uint32())
	if containsRoot(incoming) {
		dst = append(dst, ';')
		dst = append(dst, incoming...)
	}
	return dst
}

func containsRoot[T string | []byte](value T) bool {
	const root = "Root="
	for i := 0; i+len(root) <= len(value); i++ {
		if string(value[i:i+len(root)]) == root {
			return true
		}
	}
	return false
}

// appendHex32 appends v as eight lower-case hex digits.
func appendHex32(buf []byte, v uint32) []byte {
	const digits = "0123456789abcdef"
	for shift := 28; shift >= 0; shift -= 4 {
		buf = append(buf, digits[(v>>uint(shift))&0xf])
	}
	return buf
}

// proxyError is the reverse proxy's ErrorHandler.
func (b *Balancer) proxyError(w http.ResponseWriter, r *http.Request, err error) {
	target := "?"
	var counters *balancerCounters
	if fw, ok := r.Context().Value(forwardingKey{}).(*forwarding); ok {
		target, counters = fw.address.address, fw.routes.counters
	}
	b.targetFailed(w, r, target, err, counters)
}

// targetFailed answers with the ALB's status for a failed exchange with a
// target, before any of its response reached the client.
func (b *Balancer) targetFailed(w http.ResponseWriter, r *http.Request, target string, err error, counters *balancerCounters) {
	status := http.StatusBadGateway
	var netErr net.Error
	switch {
	case r.Context().Err() != nil:
		status = 460
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &netErr) && netErr.Timeout():
		status = http.StatusGatewayTimeout
	}
	b.opts.Logf("lb: %s %s to target %s: %v (answered %d)", r.Method, r.URL.Path, target, err, status)
	if status == 460 {
		counters = nil // the client is gone: nobody is answered
	}
	writeALBError(w, status, counters)
}
