package lb

import (
	"bufio"
	"io"
	"net/http"
	"net/textproto"
	"strings"
	"time"
)

// The direct path forwards the requests that make up nearly all of a web
// service's traffic — no body, no protocol upgrade, a method that may be
// sent twice — by writing the request head straight onto a pooled target
// connection (see upstream) and copying the answer back. Profiled behind
// wrk on 2 cores, httputil.ReverseProxy's per-request clone of the request
// and its headers and net/http's Transport cost a third of the proxy's CPU.
// Every other request takes the reverse proxy, which writes a body while it
// already reads the answer and hands upgraded connections over.
func direct(r *http.Request) bool {
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodTrace:
	default:
		return false
	}
	return (r.Body == nil || r.Body == http.NoBody) && len(r.Header["Upgrade"]) == 0
}

// hopByHopHeaders concern one connection, not the message; a proxy drops
// them (RFC 9110, section 7.6.1), along with those the Connection header
// names.
var hopByHopHeaders = []string{"Connection", "Proxy-Connection", "Keep-Alive", "Proxy-Authenticate",
	"Proxy-Authorization", "Te", "Trailer", "Transfer-Encoding", "Upgrade"}

// replacedHeaders are the client's forwarding headers: the ALB sets its own
// (albHeaders) and drops the others, as the reverse proxy's Rewrite does.
var replacedHeaders = []string{"Forwarded", "X-Forwarded-For", "X-Forwarded-Host", "X-Forwarded-Proto",
	"X-Forwarded-Port", "X-Amzn-Trace-Id"}

func (b *Balancer) forwardDirect(w http.ResponseWriter, in *http.Request, chosen picked, routes *listenerRoutes) {
	address := chosen.endpoint
	added := albHeadersFor(in, routes)
	host := in.Host
	if host == "" {
		// An HTTP/1.0 client may send no Host; HTTP/1.1 requires one, and
		// the reverse proxy sends the target's address then too.
		host = address.address
	}
	writeHead := func(out *bufio.Writer) error { return writeRequestHead(out, in, host, added) }
	informational := func(code int, header http.Header) {
		forwardedHeader := w.Header()
		for key, values := range header {
			forwardedHeader[key] = values
		}
		w.WriteHeader(code)
		clear(forwardedHeader) // WriteHeader keeps them for the final answer otherwise
	}
	sent := time.Now()
	response, err := b.upstream.exchange(in.Context(), address, in, writeHead, informational)
	if err != nil {
		b.targetFailed(w, in, address.address, err, routes.counters)
		return
	}
	chosen.counters.countTarget(response.StatusCode, time.Since(sent))
	defer response.Body.Close()

	dropHopByHop(response.Header)
	header := w.Header()
	for key, values := range response.Header {
		header[key] = values
	}
	announced := len(response.Trailer)
	if announced > 0 {
		names := make([]string, 0, announced)
		for name := range response.Trailer {
			names = append(names, name)
		}
		header.Add("Trailer", strings.Join(names, ", "))
	}
	w.WriteHeader(response.StatusCode)
	if err := b.copyBody(w, response); err != nil {
		// The head is out, so no error status can be sent any more: cutting
		// the client's connection off is how net/http lets a handler say
		// the response is incomplete (the reverse proxy does the same).
		panic(http.ErrAbortHandler)
	}
	if len(response.Trailer) == 0 {
		return
	}
	// Force chunking, so net/http does not compute a Content-Length that
	// leaves no room for the trailers.
	_ = http.NewResponseController(w).Flush()
	// Trailers the head did not announce need the prefix to be sent.
	unannounced := len(response.Trailer) != announced
	for key, values := range response.Trailer {
		if unannounced {
			key = http.TrailerPrefix + key
		}
		header[key] = values
	}
}

// writeRequestHead writes the head of the request a target gets: the
// client's request line and headers, less the hop-by-hop and forwarding
// ones, plus the ALB's.
func writeRequestHead(out *bufio.Writer, in *http.Request, host string, added albHeaders) error {
	out.WriteString(in.Method)
	out.WriteByte(' ')
	out.WriteString(in.URL.RequestURI())
	out.WriteString(" HTTP/1.1\r\nHost: ")
	out.WriteString(host)
	out.WriteString("\r\n")
	connectionTokens := in.Header["Connection"]
	for key, values := range in.Header {
		if dropped(key, connectionTokens) {
			continue
		}
		for _, value := range values {
			writeHeaderLine(out, key, value)
		}
	}
	for _, te := range in.Header["Te"] {
		// A client that accepts trailers may get the target's.
		if hasToken(te, "trailers") {
			writeHeaderLine(out, "Te", "trailers")
			break
		}
	}
	if added.forwardedFor != "" {
		writeHeaderLine(out, "X-Forwarded-For", added.forwardedFor)
	}
	writeHeaderLine(out, "X-Forwarded-Proto", added.proto)
	writeHeaderLine(out, "X-Forwarded-Port", added.port)
	writeHeaderLine(out, "X-Amzn-Trace-Id", added.traceID)
	_, err := out.WriteString("\r\n")
	return err
}

// writeHeaderLine writes one header. Names and values come from a request
// net/http parsed, or from the balancer, so they hold no line breaks.
func writeHeaderLine(out *bufio.Writer, key, value string) {
	out.WriteString(key)
	out.WriteString(": ")
	out.WriteString(value)
	out.WriteString("\r\n")
}

func dropped(key string, connectionTokens []string) bool {
	for _, name := range hopByHopHeaders {
		if key == name {
			return true
		}
	}
	for _, name := range replacedHeaders {
		if key == name {
			return true
		}
	}
	for _, tokens := range connectionTokens {
		if hasToken(tokens, key) {
			return true
		}
	}
	return false
}

// hasToken reports whether the comma-separated list holds token, ignoring
// case.
func hasToken(list, token string) bool {
	for item := range strings.SplitSeq(list, ",") {
		if strings.EqualFold(textproto.TrimString(item), token) {
			return true
		}
	}
	return false
}

// dropHopByHop removes a response's hop-by-hop headers.
func dropHopByHop(header http.Header) {
	for _, tokens := range header["Connection"] {
		for item := range strings.SplitSeq(tokens, ",") {
			if item = textproto.TrimString(item); item != "" {
				header.Del(item)
			}
		}
	}
	for _, name := range hopByHopHeaders {
		delete(header, name)
	}
}

// copyBody copies the target's body to the client, flushing after every
// read when the body has no announced length or is an event stream, so a
// streamed answer arrives as the target sends it.
func (b *Balancer) copyBody(w http.ResponseWriter, response *http.Response) error {
	buf := b.buffers.Get()
	defer b.buffers.Put(buf)
	flusher, canFlush := w.(http.Flusher)
	streaming := canFlush && (response.ContentLength == -1 ||
		strings.HasPrefix(strings.ToLower(response.Header.Get("Content-Type")), "text/event-stream"))
	for {
		n, readErr := response.Body.Read(buf)
		if n > 0 {
			if _, err := w.Write(buf[:n]); err != nil {
				return err
			}
			if streaming {
				flusher.Flush()
			}
		}
		if readErr == io.EOF {
			return nil
		}
		if readErr != nil {
			return readErr
		}
	}
}
