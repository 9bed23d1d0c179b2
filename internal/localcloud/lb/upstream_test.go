package lb

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httptrace"
	"net/textproto"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// startHandlerTarget serves handler on ip, as a target with no health
// checks needs.
func startHandlerTarget(t *testing.T, ip string, handler http.HandlerFunc) *testTarget {
	t.Helper()
	netListener, err := net.Listen("tcp", ip+":0")
	if err != nil {
		t.Fatalf("listen on %s: %v", ip, err)
	}
	server := httptest.NewUnstartedServer(handler)
	_ = server.Listener.Close()
	server.Listener = netListener
	server.Start()
	t.Cleanup(server.Close)
	return &testTarget{target: Target{ID: ip, Port: netListener.Addr().(*net.TCPAddr).Port}}
}

// A target that closes each kept-alive connection after one answer, without
// saying so, leaves a dead connection in the pool: the next request finds it
// closed before any answer and goes again on a fresh connection.
func TestConnectionClosedWhileIdleIsRedialled(t *testing.T) {
	netListener, err := net.Listen("tcp", "127.0.0.30:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = netListener.Close() })
	var accepted atomic.Int64
	go func() {
		for {
			conn, err := netListener.Accept()
			if err != nil {
				return
			}
			accepted.Add(1)
			go func() {
				defer conn.Close()
				if _, err := http.ReadRequest(bufio.NewReader(conn)); err != nil {
					return
				}
				_, _ = io.WriteString(conn, "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nonce")
			}()
		}
	}()
	target := &testTarget{target: Target{ID: "127.0.0.30", Port: netListener.Addr().(*net.TCPAddr).Port}}
	balancer := newBalancer(t, Options{})
	url := apply(t, balancer, simpleConfig(HealthCheck{}, 0, target))
	for i := range 5 {
		if status, body, _ := get(t, noRedirects, url+"/"); status != http.StatusOK || body != "once" {
			t.Fatalf("request %d: status %d body %q, want 200 once", i, status, body)
		}
	}
	if got := accepted.Load(); got != 5 {
		t.Errorf("target accepted %d connections for 5 requests, want 5 (one per answer)", got)
	}
}

// Requests with a body take the Transport; what the client sent arrives
// whole, and the connection is still kept alive.
func TestRequestBodiesReachTargets(t *testing.T) {
	echo := startHandlerTarget(t, "127.0.0.31", func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		_, _ = io.WriteString(w, r.Method+" "+string(body))
	})
	balancer := newBalancer(t, Options{})
	url := apply(t, balancer, simpleConfig(HealthCheck{}, 0, echo))
	payload := strings.Repeat("berth ", 50_000) // larger than any socket buffer
	for _, method := range []string{http.MethodPost, http.MethodPut} {
		request, err := http.NewRequest(method, url+"/echo", strings.NewReader(payload))
		if err != nil {
			t.Fatal(err)
		}
		response, err := noRedirects.Do(request)
		if err != nil {
			t.Fatalf("%s: %v", method, err)
		}
		body, err := io.ReadAll(response.Body)
		_ = response.Body.Close()
		if err != nil || response.StatusCode != http.StatusOK || string(body) != method+" "+payload {
			t.Errorf("%s: status %d, %d bytes (%v), want the body echoed", method, response.StatusCode, len(body), err)
		}
	}
}

// A client that goes away interrupts the proxied request: the target sees
// its connection closed instead of the proxy waiting for the answer.
func TestClientGoneInterruptsTargetRequest(t *testing.T) {
	started, interrupted := make(chan struct{}), make(chan struct{})
	slow := startHandlerTarget(t, "127.0.0.32", func(w http.ResponseWriter, r *http.Request) {
		close(started)
		select {
		case <-r.Context().Done():
			close(interrupted)
		case <-time.After(waitLimit):
		}
	})
	balancer := newBalancer(t, Options{})
	url := apply(t, balancer, simpleConfig(HealthCheck{}, 0, slow))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	request, err := http.NewRequestWithContext(ctx, http.MethodGet, url+"/slow", nil)
	if err != nil {
		t.Fatal(err)
	}
	failed := make(chan error, 1)
	go func() {
		response, err := noRedirects.Do(request)
		if err == nil {
			_ = response.Body.Close()
		}
		failed <- err
	}()
	select {
	case <-started:
	case <-time.After(waitLimit):
		t.Fatal("the request never reached the target")
	}
	cancel()
	if err := <-failed; !errors.Is(err, context.Canceled) {
		t.Errorf("client error %v, want context.Canceled", err)
	}
	select {
	case <-interrupted:
	case <-time.After(waitLimit):
		t.Fatal("the target's request went on after the client left")
	}
}

// Informational answers (103 Early Hints) reach the client before the
// final one, and HEAD answers carry no body.
func TestInformationalAndHeadResponses(t *testing.T) {
	hints := startHandlerTarget(t, "127.0.0.33", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Link", "</style.css>; rel=preload")
		w.WriteHeader(http.StatusEarlyHints)
		w.Header().Set("Content-Length", "5")
		_, _ = io.WriteString(w, "final")
	})
	balancer := newBalancer(t, Options{})
	url := apply(t, balancer, simpleConfig(HealthCheck{}, 0, hints))
	var early []string
	trace := &httptrace.ClientTrace{Got1xxResponse: func(code int, header textproto.MIMEHeader) error {
		if code == http.StatusEarlyHints {
			early = append(early, header.Get("Link"))
		}
		return nil
	}}
	request, err := http.NewRequestWithContext(httptrace.WithClientTrace(context.Background(), trace), http.MethodGet, url+"/", nil)
	if err != nil {
		t.Fatal(err)
	}
	response, err := noRedirects.Do(request)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(response.Body)
	_ = response.Body.Close()
	if response.StatusCode != http.StatusOK || string(body) != "final" || len(early) != 1 || early[0] != "</style.css>; rel=preload" {
		t.Errorf("status %d body %q early hints %q, want 200 final after one 103 with its Link", response.StatusCode, body, early)
	}

	for range 2 { // the second HEAD runs on the connection the first one kept
		head, err := noRedirects.Head(url + "/")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(head.Body)
		_ = head.Body.Close()
		if head.StatusCode != http.StatusOK || len(body) != 0 || head.ContentLength != 5 {
			t.Errorf("HEAD: status %d, %d body bytes, Content-Length %d; want 200, none, 5", head.StatusCode, len(body), head.ContentLength)
		}
	}
}

// Hop-by-hop headers stay on their connection both ways, the client's
// forwarding headers are replaced, and trailers pass through when the
// client accepts them.
func TestHopByHopHeadersAndTrailers(t *testing.T) {
	seen := make(chan http.Header, 1)
	target := startHandlerTarget(t, "127.0.0.34", func(w http.ResponseWriter, r *http.Request) {
		seen <- r.Header.Clone()
		w.Header().Set("Connection", "X-Hop")
		w.Header().Set("X-Hop", "target's, for the proxy only")
		w.Header().Set("Keep-Alive", "timeout=5")
		w.Header().Set("Trailer", "X-Checksum")
		w.Header().Set("X-Kept", "yes")
		_, _ = io.WriteString(w, "body")
		w.Header().Set("X-Checksum", "c0ffee")
	})
	balancer := newBalancer(t, Options{})
	url := apply(t, balancer, simpleConfig(HealthCheck{}, 0, target))
	request, err := http.NewRequest(http.MethodGet, url+"/", nil)
	if err != nil {
		t.Fatal(err)
	}
	request.Header.Set("Connection", "X-Client-Hop")
	request.Header.Set("X-Client-Hop", "client's, for the proxy only")
	request.Header.Set("Proxy-Authorization", "Basic c2VjcmV0")
	request.Header.Set("Te", "trailers")
	request.Header.Set("Forwarded", "for=198.51.100.9")
	request.Header.Set("X-Forwarded-Host", "spoofed.example")
	request.Header.Set("X-Forwarded-Proto", "https")
	request.Header.Set("X-Forwarded-Port", "1")
	request.Header.Set("X-Passed", "yes")
	response, err := noRedirects.Do(request)
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(response.Body)
	_ = response.Body.Close()
	if err != nil || string(body) != "body" {
		t.Fatalf("body %q, %v", body, err)
	}
	got := <-seen
	for _, name := range []string{"X-Client-Hop", "Proxy-Authorization", "Forwarded", "X-Forwarded-Host"} {
		if value := got.Get(name); value != "" {
			t.Errorf("target got %s: %q, want it dropped", name, value)
		}
	}
	if got.Get("X-Passed") != "yes" || got.Get("Te") != "trailers" || got.Get("X-Forwarded-Proto") != "http" || got.Get("X-Forwarded-Port") == "1" {
		t.Errorf("target got X-Passed %q, Te %q, X-Forwarded-Proto %q, X-Forwarded-Port %q; want yes, trailers and the ALB's own forwarding values",
			got.Get("X-Passed"), got.Get("Te"), got.Get("X-Forwarded-Proto"), got.Get("X-Forwarded-Port"))
	}
	for _, name := range []string{"X-Hop", "Keep-Alive"} {
		if value := response.Header.Get(name); value != "" {
			t.Errorf("client got %s: %q, want it dropped", name, value)
		}
	}
	if response.Header.Get("X-Kept") != "yes" || response.Trailer.Get("X-Checksum") != "c0ffee" {
		t.Errorf("client got X-Kept %q, trailer X-Checksum %q; want yes and c0ffee", response.Header.Get("X-Kept"), response.Trailer.Get("X-Checksum"))
	}
}

// A target that dies in the middle of its body must not look like a
// complete answer to the client.
func TestTargetCutOffMidBodyCutsTheClientOff(t *testing.T) {
	netListener, err := net.Listen("tcp", "127.0.0.35:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = netListener.Close() })
	go func() {
		for {
			conn, err := netListener.Accept()
			if err != nil {
				return
			}
			go func() {
				defer conn.Close()
				if _, err := http.ReadRequest(bufio.NewReader(conn)); err != nil {
					return
				}
				// Chunked, so only the missing last chunk says the body is
				// incomplete, and the proxy must not add one.
				_, _ = io.WriteString(conn, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nf\r\nonly part of it\r\n")
			}()
		}
	}()
	target := &testTarget{target: Target{ID: "127.0.0.35", Port: netListener.Addr().(*net.TCPAddr).Port}}
	balancer := newBalancer(t, Options{})
	url := apply(t, balancer, simpleConfig(HealthCheck{}, 0, target))
	// The head may or may not have left the proxy before the body broke;
	// either way the client must see a failure.
	response, err := noRedirects.Get(url + "/")
	if err != nil {
		return
	}
	body, err := io.ReadAll(response.Body)
	_ = response.Body.Close()
	if err == nil {
		t.Errorf("client read %q (status %d) as a complete answer, want an error", body, response.StatusCode)
	}
}

// An HTTP/1.0 request without Host reaches the target with one: HTTP/1.1
// servers refuse a request without it.
func TestHTTP10RequestWithoutHost(t *testing.T) {
	seenHost := make(chan string, 1)
	target := startHandlerTarget(t, "127.0.0.36", func(w http.ResponseWriter, r *http.Request) {
		seenHost <- r.Host
		_, _ = io.WriteString(w, "ok")
	})
	balancer := newBalancer(t, Options{})
	url := apply(t, balancer, simpleConfig(HealthCheck{}, 0, target))
	conn, err := net.Dial("tcp", strings.TrimPrefix(url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := io.WriteString(conn, "GET /old HTTP/1.0\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	response, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(response.Body)
	_ = response.Body.Close()
	if response.StatusCode != http.StatusOK || string(body) != "ok" {
		t.Fatalf("status %d body %q, want 200 ok", response.StatusCode, body)
	}
	if host := <-seenHost; host != net.JoinHostPort(target.target.ID, strconv.Itoa(target.target.Port)) {
		t.Errorf("target saw Host %q, want its own address", host)
	}
}
