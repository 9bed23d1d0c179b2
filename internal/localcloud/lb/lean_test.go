package lb

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// rawClient is a client connection to a listener that writes bytes as
// given and reads answers with net/http's parser, so tests control
// pipelining, framing and headers exactly.
type rawClient struct {
	t      *testing.T
	conn   net.Conn
	reader *bufio.Reader
}

func dialListener(t *testing.T, url string) *rawClient {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	_ = conn.SetDeadline(time.Now().Add(waitLimit))
	return &rawClient{t: t, conn: conn, reader: bufio.NewReader(conn)}
}

func (c *rawClient) send(raw string) {
	c.t.Helper()
	if _, err := io.WriteString(c.conn, raw); err != nil {
		c.t.Fatalf("write: %v", err)
	}
}

// read reads one answer to a request of method and its whole body.
func (c *rawClient) read(method string) (*http.Response, string) {
	c.t.Helper()
	response, err := http.ReadResponse(c.reader, &http.Request{Method: method})
	if err != nil {
		c.t.Fatalf("read answer: %v", err)
	}
	body, err := io.ReadAll(response.Body)
	if err != nil {
		c.t.Fatalf("read body: %v", err)
	}
	return response, string(body)
}

// closed reports whether the listener closed the connection (EOF before
// any further byte).
func (c *rawClient) closed() bool {
	_, err := c.reader.ReadByte()
	return err == io.EOF
}

// startRawTarget accepts connections and runs serve on each.
func startRawTarget(t *testing.T, ip string, serve func(conn net.Conn, reader *bufio.Reader)) *testTarget {
	t.Helper()
	netListener, err := net.Listen("tcp", ip+":0")
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
				serve(conn, bufio.NewReader(conn))
			}()
		}
	}()
	return &testTarget{target: Target{ID: ip, Port: netListener.Addr().(*net.TCPAddr).Port}}
}

// Requests pipelined on one connection are answered in order, HEAD's
// answer carrying no body even with a Content-Length.
func TestPipelinedRequests(t *testing.T) {
	var hits atomic.Int64
	target := startHandlerTarget(t, "127.0.0.40", func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		body := "path " + r.URL.Path
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		_, _ = io.WriteString(w, body)
	})
	balancer := newBalancer(t, Options{})
	url := apply(t, balancer, simpleConfig(HealthCheck{}, 0, target))
	client := dialListener(t, url)
	client.send("GET /one HTTP/1.1\r\nHost: web\r\n\r\n" +
		"HEAD /two HTTP/1.1\r\nHost: web\r\n\r\n" +
		"GET /three?x=1 HTTP/1.1\r\nHost: web\r\n\r\n")
	for _, want := range []struct{ method, body string }{{"GET", "path /one"}, {"HEAD", ""}, {"GET", "path /three"}} {
		response, body := client.read(want.method)
		if response.StatusCode != http.StatusOK || body != want.body {
			t.Errorf("%s: status %d body %q, want 200 %q", want.method, response.StatusCode, body, want.body)
		}
		if want.method == "HEAD" && response.ContentLength != int64(len("path /two")) {
			t.Errorf("HEAD: Content-Length %d, want the GET's", response.ContentLength)
		}
	}
	if got := hits.Load(); got != 3 {
		t.Errorf("target got %d requests, want 3", got)
	}
}

// A chunked answer reaches the client whole, and a chunked request body
// reaches the target whole; the connection serves requests after both.
func TestChunkedRequestAndResponse(t *testing.T) {
	target := startHandlerTarget(t, "127.0.0.41", func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		for i := range 3 {
			fmt.Fprintf(w, "part %d of %s %q;", i, r.Method, body)
			w.(http.Flusher).Flush() // no length: chunked
		}
	})
	balancer := newBalancer(t, Options{})
	url := apply(t, balancer, simpleConfig(HealthCheck{}, 0, target))
	client := dialListener(t, url)
	want := func(method, sent string) string {
		var all strings.Builder
		for i := range 3 {
			fmt.Fprintf(&all, "part %d of %s %q;", i, method, sent)
		}
		return all.String()
	}
	client.send("GET / HTTP/1.1\r\nHost: web\r\n\r\n")
	response, body := client.read("GET")
	if body != want("GET", "") || len(response.TransferEncoding) != 1 || response.TransferEncoding[0] != "chunked" {
		t.Errorf("GET: body %q, Transfer-Encoding %q; want the three parts, chunked", body, response.TransferEncoding)
	}
	client.send("POST / HTTP/1.1\r\nHost: web\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n")
	if _, body := client.read("POST"); body != want("POST", "hello world") {
		t.Errorf("chunked POST: body %q, want the parts with the whole request body", body)
	}
	client.send("GET /after HTTP/1.1\r\nHost: web\r\n\r\n")
	if response, body := client.read("GET"); response.StatusCode != http.StatusOK || body != want("GET", "") {
		t.Errorf("GET after the POST: status %d body %q", response.StatusCode, body)
	}
}

// A client that asks to continue gets 100 Continue before it sends the
// body, then the target's answer.
func TestExpectContinue(t *testing.T) {
	target := startHandlerTarget(t, "127.0.0.42", func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		_, _ = io.WriteString(w, "got "+string(body))
	})
	balancer := newBalancer(t, Options{})
	url := apply(t, balancer, simpleConfig(HealthCheck{}, 0, target))
	client := dialListener(t, url)
	client.send("PUT /upload HTTP/1.1\r\nHost: web\r\nContent-Length: 7\r\nExpect: 100-continue\r\n\r\n")
	line, err := client.reader.ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "HTTP/1.1 100 ") {
		t.Fatalf("first answer line %q (%v), want 100 Continue", line, err)
	}
	for line != "\r\n" {
		if line, err = client.reader.ReadString('\n'); err != nil {
			t.Fatal(err)
		}
	}
	client.send("payload")
	response, body := client.read("PUT")
	for response.StatusCode == http.StatusContinue { // the target's own, passed on
		response, body = client.read("PUT")
	}
	if response.StatusCode != http.StatusOK || body != "got payload" {
		t.Errorf("status %d body %q, want 200 got payload", response.StatusCode, body)
	}
}

// A target that takes the request and closes without an answer gets the
// client the load balancer's 502, and the client's connection stays open.
func TestTargetClosingWithoutAnswerIs502(t *testing.T) {
	target := startRawTarget(t, "127.0.0.43", func(conn net.Conn, reader *bufio.Reader) {
		_, _ = http.ReadRequest(reader)
	})
	balancer := newBalancer(t, Options{})
	url := apply(t, balancer, simpleConfig(HealthCheck{}, 0, target))
	client := dialListener(t, url)
	for range 2 {
		client.send("GET / HTTP/1.1\r\nHost: web\r\n\r\n")
		response, body := client.read("GET")
		if response.StatusCode != http.StatusBadGateway || response.Header.Get("Server") != "awselb/2.0" ||
			!strings.Contains(body, "<h1>502 Bad Gateway</h1>") {
			t.Errorf("status %d Server %q body %q, want the ALB's 502 page", response.StatusCode, response.Header.Get("Server"), body)
		}
	}
}

// A target whose answer has no length and ends with its connection: the
// client gets it whole, chunked, on a connection that stays open.
func TestCloseDelimitedAnswer(t *testing.T) {
	target := startRawTarget(t, "127.0.0.44", func(conn net.Conn, reader *bufio.Reader) {
		if _, err := http.ReadRequest(reader); err != nil {
			return
		}
		_, _ = io.WriteString(conn, "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the end")
	})
	balancer := newBalancer(t, Options{})
	url := apply(t, balancer, simpleConfig(HealthCheck{}, 0, target))
	client := dialListener(t, url)
	for range 2 {
		client.send("GET / HTTP/1.1\r\nHost: web\r\n\r\n")
		response, body := client.read("GET")
		if response.StatusCode != http.StatusOK || body != "until the end" || response.Close {
			t.Errorf("status %d body %q close %v, want 200, the whole body, kept alive", response.StatusCode, body, response.Close)
		}
	}
}

// Connection: close from the client is honoured: the answer says so and
// the load balancer closes the connection after it.
func TestClientConnectionClose(t *testing.T) {
	target := startHandlerTarget(t, "127.0.0.45", func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "bye")
	})
	balancer := newBalancer(t, Options{})
	url := apply(t, balancer, simpleConfig(HealthCheck{}, 0, target))
	client := dialListener(t, url)
	client.send("GET / HTTP/1.1\r\nHost: web\r\nConnection: close\r\n\r\n")
	response, body := client.read("GET")
	if response.StatusCode != http.StatusOK || body != "bye" || !response.Close {
		t.Errorf("status %d body %q close %v, want 200 bye and Connection: close", response.StatusCode, body, response.Close)
	}
	if !client.closed() {
		t.Error("the connection stayed open after Connection: close")
	}
}

// Large answers arrive intact; a client that leaves in the middle of one
// does not hold up the listener, and the next client is served.
func TestLargeAnswerAndClientLeavingMidway(t *testing.T) {
	payload := bytes.Repeat([]byte("0123456789abcdef"), 1<<18) // 4 MiB
	target := startHandlerTarget(t, "127.0.0.46", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", strconv.Itoa(len(payload)))
		_, _ = w.Write(payload)
	})
	balancer := newBalancer(t, Options{})
	url := apply(t, balancer, simpleConfig(HealthCheck{}, 0, target))

	leaving := dialListener(t, url)
	leaving.send("GET /big HTTP/1.1\r\nHost: web\r\n\r\n")
	if _, err := io.ReadFull(leaving.reader, make([]byte, 64<<10)); err != nil {
		t.Fatal(err)
	}
	_ = leaving.conn.Close()

	for range 2 {
		client := dialListener(t, url)
		client.send("GET /big HTTP/1.1\r\nHost: web\r\n\r\n")
		response, body := client.read("GET")
		if response.StatusCode != http.StatusOK || body != string(payload) {
			t.Errorf("status %d, %d body bytes, want 200 and %d intact", response.StatusCode, len(body), len(payload))
		}
	}
}

// Request heads larger than the lean path's buffer are still proxied (by
// net/http); beyond net/http's 1 MiB the client gets 431. A target
// answering with more than 32 KiB of headers gets the client a 502, as
// from an ALB.
func TestHeaderSizeLimits(t *testing.T) {
	seen := make(chan int, 1)
	target := startHandlerTarget(t, "127.0.0.47", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/huge-answer" {
			w.Header().Set("X-Huge", strings.Repeat("h", 40<<10))
		}
		seen <- len(r.Header.Get("X-Big"))
		_, _ = io.WriteString(w, "ok")
	})
	balancer := newBalancer(t, Options{})
	url := apply(t, balancer, simpleConfig(HealthCheck{}, 0, target))

	client := dialListener(t, url)
	big := strings.Repeat("b", 20<<10)
	client.send("GET / HTTP/1.1\r\nHost: web\r\nX-Big: " + big + "\r\n\r\n")
	if response, body := client.read("GET"); response.StatusCode != http.StatusOK || body != "ok" || <-seen != len(big) {
		t.Errorf("20 KiB header: status %d body %q, want 200 ok with the header passed", response.StatusCode, body)
	}

	client = dialListener(t, url)
	// The rest of the head stays unread: writing it may fail.
	go func() {
		_, _ = io.WriteString(client.conn, "GET / HTTP/1.1\r\nHost: web\r\nX-Big: "+strings.Repeat("b", 2<<20)+"\r\n\r\n")
	}()
	if response, err := http.ReadResponse(client.reader, nil); err != nil || response.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
		t.Errorf("2 MiB header: answer %v (%v), want 431", response, err)
	}

	client = dialListener(t, url)
	client.send("GET /huge-answer HTTP/1.1\r\nHost: web\r\n\r\n")
	<-seen
	if response, _ := client.read("GET"); response.StatusCode != http.StatusBadGateway {
		t.Errorf("40 KiB answer header: status %d, want 502", response.StatusCode)
	}
}

// A request the lean path does not take (here one without Host, which
// HTTP/1.1 requires) gets net/http's answer.
func TestMalformedRequestsGetNetHTTPAnswers(t *testing.T) {
	target := startHandlerTarget(t, "127.0.0.48", func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "ok")
	})
	balancer := newBalancer(t, Options{})
	url := apply(t, balancer, simpleConfig(HealthCheck{}, 0, target))
	for _, raw := range []string{
		"GET / HTTP/1.1\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: web\r\nHost: other\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: web\r\nBad Header: x\r\n\r\n",
	} {
		client := dialListener(t, url)
		client.send(raw)
		if response, _ := client.read("GET"); response.StatusCode != http.StatusBadRequest {
			t.Errorf("%q: status %d, want 400", raw, response.StatusCode)
		}
	}
}

// An upgrade (a websocket handshake) is handed to net/http's reverse
// proxy, which joins the two connections after the target's 101.
func TestUpgradeIsProxied(t *testing.T) {
	target := startHandlerTarget(t, "127.0.0.49", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Upgrade") != "echo" {
			http.Error(w, "upgrade expected", http.StatusBadRequest)
			return
		}
		conn, buffered, err := http.NewResponseController(w).Hijack()
		if err != nil {
			return
		}
		defer conn.Close()
		_, _ = io.WriteString(conn, "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\n")
		line, err := buffered.ReadString('\n')
		if err == nil {
			_, _ = io.WriteString(conn, "echo: "+line)
		}
	})
	balancer := newBalancer(t, Options{})
	url := apply(t, balancer, simpleConfig(HealthCheck{}, 0, target))
	client := dialListener(t, url)
	client.send("GET /ws HTTP/1.1\r\nHost: web\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\n")
	response, err := http.ReadResponse(client.reader, &http.Request{Method: "GET"})
	if err != nil || response.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("answer %v (%v), want 101", response, err)
	}
	client.send("hello\n")
	if line, err := client.reader.ReadString('\n'); err != nil || line != "echo: hello\n" {
		t.Errorf("read %q (%v) over the upgraded connection, want the echo", line, err)
	}
}

// BenchmarkProxyPipelined measures the proxy alone: one client connection
// per parallel worker sends GETs in batches of 16 over raw sockets, so the
// client's own cost (net/http's Transport) stays out of the figure.
func BenchmarkProxyPipelined(b *testing.B) {
	first, second := startTarget(b, "127.0.0.22", "first"), startTarget(b, "127.0.0.23", "second")
	balancer := newBalancer(b, Options{Logf: func(string, ...any) {}})
	url := apply(b, balancer, simpleConfig(fastChecks, 0, first, second))
	waitForState(b, balancer, groupARN, first.target, StateHealthy)
	waitForState(b, balancer, groupARN, second.target, StateHealthy)
	const batch = 16
	requests := strings.Repeat("GET / HTTP/1.1\r\nHost: web\r\n\r\n", batch)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		conn, err := net.Dial("tcp", strings.TrimPrefix(url, "http://"))
		if err != nil {
			b.Error(err)
			return
		}
		defer conn.Close()
		reader := bufio.NewReader(conn)
		pending := 0
		for pb.Next() {
			if pending == 0 {
				if _, err := io.WriteString(conn, requests); err != nil {
					b.Error(err)
					return
				}
				pending = batch
			}
			response, err := http.ReadResponse(reader, nil)
			if err != nil {
				b.Error(err)
				return
			}
			_, _ = io.Copy(io.Discard, response.Body)
			_ = response.Body.Close()
			pending--
		}
		for ; pending > 0; pending-- { // leave the connection clean
			if response, err := http.ReadResponse(reader, nil); err == nil {
				_, _ = io.Copy(io.Discard, response.Body)
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
}

// Rules match on the lean path's own view of a request: every request
// here is forwarded, each on a fresh connection, so the lean path (not
// net/http) decides where it goes.
func TestRulesMatchOnTheLeanPath(t *testing.T) {
	names := []string{"by-path", "by-host", "by-header", "by-query", "by-method", "by-source", "default"}
	cfg := Config{LoadBalancers: []LoadBalancer{{ARN: lbARN, Listeners: []Listener{{ARN: listenerARN, Protocol: "HTTP"}}}}}
	groupFor := map[string]string{}
	for i, name := range names {
		target := startTarget(t, fmt.Sprintf("127.0.0.%d", 60+i), name)
		arn := fmt.Sprintf("arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/%s/%016d", name, i)
		groupFor[name] = arn
		cfg.TargetGroups = append(cfg.TargetGroups, TargetGroup{ARN: arn, Protocol: "HTTP", Port: 80, Targets: []Target{target.target}})
	}
	listener := &cfg.LoadBalancers[0].Listeners[0]
	listener.DefaultActions = forwardTo(groupFor["default"])
	rule := func(priority int, name string, conditions ...Condition) Rule {
		return Rule{Priority: priority, Conditions: conditions, Actions: forwardTo(groupFor[name])}
	}
	listener.Rules = []Rule{
		rule(10, "by-path", Condition{Field: FieldPathPattern, Values: []string{"/a b/*"}}),
		rule(20, "by-host", Condition{Field: FieldHostHeader, Values: []string{"*.example.com"}}),
		rule(30, "by-header", Condition{Field: FieldHTTPHeader, HeaderName: "x-team", Values: []string{"ops*"}}),
		rule(40, "by-query", Condition{Field: FieldQueryString, Values: []string{"debug=tr?e"}}),
		rule(50, "by-method", Condition{Field: FieldHTTPRequestMethod, Values: []string{"OPTIONS"}}),
		rule(60, "by-source", Condition{Field: FieldSourceIP, Values: []string{"127.0.0.0/8"}}, Condition{Field: FieldPathPattern, Values: []string{"/local"}}),
	}
	balancer := newBalancer(t, Options{})
	url := apply(t, balancer, cfg)
	for _, tc := range []struct{ request, want string }{
		{"GET /a%20b/c HTTP/1.1\r\nHost: web\r\n\r\n", "by-path"},
		{"GET / HTTP/1.1\r\nHost: shop.EXAMPLE.com:8080\r\n\r\n", "by-host"},
		{"GET / HTTP/1.1\r\nHost: web\r\nX-Team: OPS-east\r\n\r\n", "by-header"},
		{"GET /?debug=TRUE HTTP/1.1\r\nHost: web\r\n\r\n", "by-query"},
		{"OPTIONS / HTTP/1.1\r\nHost: web\r\n\r\n", "by-method"},
		{"GET /local HTTP/1.1\r\nHost: web\r\n\r\n", "by-source"},
		{"GET /A%20B/c HTTP/1.1\r\nHost: example.com\r\nX-Team: dev\r\n\r\n", "default"},
	} {
		client := dialListener(t, url)
		client.send(tc.request)
		method, _, _ := strings.Cut(tc.request, " ")
		if response, body := client.read(method); response.StatusCode != http.StatusOK || body != tc.want {
			t.Errorf("%q: status %d body %q, want 200 from %s", tc.request, response.StatusCode, body, tc.want)
		}
	}
}
