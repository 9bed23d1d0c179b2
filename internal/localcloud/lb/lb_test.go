package lb

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// waitLimit bounds every wait so a broken balancer fails a test instead of
// hanging it; no test asserts how long anything took.
const waitLimit = 15 * time.Second

// fastChecks makes health checks quick enough for tests.
var fastChecks = HealthCheck{
	Enabled: true, Path: "/health", Interval: 20 * time.Millisecond, Timeout: 2 * time.Second,
	HealthyThreshold: 2, UnhealthyThreshold: 2,
}

// testTarget is a real HTTP server on its own loopback address.
type testTarget struct {
	name    string
	target  Target
	health  atomic.Int32
	hits    atomic.Int64
	started chan string
	release chan struct{}
	once    sync.Once
	headers atomic.Pointer[http.Request]
	// connections counts TCP connections the target accepted.
	connections atomic.Int64
}

// releaseAll lets every held-back request of the target finish.
func (tt *testTarget) releaseAll() { tt.once.Do(func() { close(tt.release) }) }

func startTarget(t testing.TB, ip, name string) *testTarget {
	t.Helper()
	tt := &testTarget{name: name, started: make(chan string, 16), release: make(chan struct{})}
	tt.health.Store(http.StatusOK)
	netListener, err := net.Listen("tcp", ip+":0")
	if err != nil {
		t.Fatalf("listen on %s: %v", ip, err)
	}
	server := httptest.NewUnstartedServer(http.HandlerFunc(tt.serve))
	server.Config.ConnState = func(_ net.Conn, state http.ConnState) {
		if state == http.StateNew {
			tt.connections.Add(1)
		}
	}
	_ = server.Listener.Close()
	server.Listener = netListener
	server.Start()
	t.Cleanup(server.Close)
	t.Cleanup(tt.releaseAll)
	tt.target = Target{ID: ip, Port: netListener.Addr().(*net.TCPAddr).Port}
	return tt
}

func (tt *testTarget) serve(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/health":
		w.WriteHeader(int(tt.health.Load()))
		return
	case "/hang-health":
		<-tt.release
		return
	case "/slow":
		tt.started <- r.URL.Path
		<-tt.release
	case "/stream":
		_, _ = io.WriteString(w, "first\n")
		w.(http.Flusher).Flush()
		<-tt.release
		_, _ = io.WriteString(w, "second\n")
		return
	}
	tt.hits.Add(1)
	tt.headers.Store(r)
	_, _ = io.WriteString(w, tt.name)
}

type changeRecorder struct {
	mu      sync.Mutex
	changes []TargetHealthChange
}

func (c *changeRecorder) record(change TargetHealthChange) {
	c.mu.Lock()
	c.changes = append(c.changes, change)
	c.mu.Unlock()
}

func (c *changeRecorder) statesOf(target Target) []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var states []string
	for _, change := range c.changes {
		if change.Target == target {
			states = append(states, change.State)
		}
	}
	return states
}

func newBalancer(t testing.TB, opts Options) *Balancer {
	t.Helper()
	if opts.Logf == nil {
		opts.Logf = t.Logf
	}
	balancer := New(opts)
	t.Cleanup(func() {
		if err := balancer.Close(); err != nil {
			t.Errorf("close balancer: %v", err)
		}
	})
	return balancer
}

const (
	lbARN       = "arn:aws:elasticloadbalancing:us-east-1:000000000000:loadbalancer/app/web/0123456789abcdef"
	listenerARN = "arn:aws:elasticloadbalancing:us-east-1:000000000000:listener/app/web/0123456789abcdef/1111111111111111"
	groupARN    = "arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/web/2222222222222222"
)

func forwardTo(arn string) []Action {
	return []Action{{Type: ActionForward, TargetGroups: []WeightedTargetGroup{{ARN: arn, Weight: 1}}}}
}

// simpleConfig is one load balancer with one listener forwarding to one
// target group holding targets.
func simpleConfig(check HealthCheck, delay time.Duration, targets ...*testTarget) Config {
	group := TargetGroup{ARN: groupARN, Protocol: "HTTP", Port: 80, HealthCheck: check, DeregistrationDelay: delay}
	for _, target := range targets {
		group.Targets = append(group.Targets, target.target)
	}
	return Config{
		LoadBalancers: []LoadBalancer{{ARN: lbARN, DNSName: "web-1.elb.localhost", Listeners: []Listener{{
			ARN: listenerARN, Port: 0, Protocol: "HTTP", DefaultActions: forwardTo(groupARN),
		}}}},
		TargetGroups: []TargetGroup{group},
	}
}

func apply(t testing.TB, balancer *Balancer, cfg Config) string {
	t.Helper()
	if err := balancer.Apply(cfg); err != nil {
		t.Fatalf("apply: %v", err)
	}
	for _, address := range balancer.Listeners() {
		if address.ListenerARN == listenerARN {
			return "http://" + address.Address
		}
	}
	return ""
}

func waitForState(t testing.TB, balancer *Balancer, arn string, target Target, state string) TargetHealth {
	t.Helper()
	deadline := time.Now().Add(waitLimit)
	for {
		for _, health := range balancer.TargetHealth(arn) {
			if health.Target == target && health.State == state {
				return health
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("target %v never became %s; health now %+v", target, state, balancer.TargetHealth(arn))
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func get(t testing.TB, client *http.Client, url string) (int, string, http.Header) {
	t.Helper()
	response, err := client.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer response.Body.Close()
	body, err := io.ReadAll(response.Body)
	if err != nil {
		t.Fatalf("read %s: %v", url, err)
	}
	return response.StatusCode, string(body), response.Header
}

var noRedirects = &http.Client{
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	Timeout:       waitLimit,
}

func TestRoundRobinAcrossHealthyTargets(t *testing.T) {
	first, second := startTarget(t, "127.0.0.2", "first"), startTarget(t, "127.0.0.3", "second")
	balancer := newBalancer(t, Options{})
	url := apply(t, balancer, simpleConfig(fastChecks, 0, first, second))
	waitForState(t, balancer, groupARN, first.target, StateHealthy)
	waitForState(t, balancer, groupARN, second.target, StateHealthy)

	var answers []string
	for range 10 {
		status, body, _ := get(t, noRedirects, url+"/")
		if status != http.StatusOK {
			t.Fatalf("status %d", status)
		}
		answers = append(answers, body)
	}
	for i := 1; i < len(answers); i++ {
		if answers[i] == answers[i-1] {
			t.Fatalf("answers %v do not alternate", answers)
		}
	}
	if first.hits.Load() != 5 || second.hits.Load() != 5 {
		t.Errorf("hits first=%d second=%d, want 5 each", first.hits.Load(), second.hits.Load())
	}
}

func TestUnhealthyTargetGetsNoTraffic(t *testing.T) {
	good, bad := startTarget(t, "127.0.0.4", "good"), startTarget(t, "127.0.0.5", "bad")
	bad.health.Store(http.StatusServiceUnavailable)
	changes := &changeRecorder{}
	balancer := newBalancer(t, Options{OnTargetHealth: changes.record})
	url := apply(t, balancer, simpleConfig(fastChecks, 0, good, bad))
	waitForState(t, balancer, groupARN, good.target, StateHealthy)
	health := waitForState(t, balancer, groupARN, bad.target, StateUnhealthy)
	if health.Reason != ReasonResponseCodeMismatch || health.Description != "Health checks failed with these codes: [503]" {
		t.Errorf("unhealthy target reports %q / %q", health.Reason, health.Description)
	}
	for range 6 {
		if _, body, _ := get(t, noRedirects, url+"/"); body != "good" {
			t.Fatalf("request answered by %q, want only the healthy target", body)
		}
	}
	if bad.hits.Load() != 0 {
		t.Errorf("unhealthy target got %d requests", bad.hits.Load())
	}

	// It recovers after HealthyThreshold passes and gets traffic again.
	bad.health.Store(http.StatusOK)
	waitForState(t, balancer, groupARN, bad.target, StateHealthy)
	for range 4 {
		get(t, noRedirects, url+"/")
	}
	if bad.hits.Load() == 0 {
		t.Error("recovered target got no requests")
	}
	states := changes.statesOf(bad.target)
	deadline := time.Now().Add(waitLimit)
	for (len(states) == 0 || states[len(states)-1] != StateHealthy) && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
		states = changes.statesOf(bad.target)
	}
	if len(states) < 3 || states[0] != StateInitial || !contains(states, StateUnhealthy) || states[len(states)-1] != StateHealthy {
		t.Errorf("notified states %v, want initial … unhealthy … healthy", states)
	}
}

func contains(values []string, want string) bool {
	for _, value := range values {
		if value == want {
			return true
		}
	}
	return false
}

func TestFailOpenWhenNoTargetIsHealthy(t *testing.T) {
	first, second := startTarget(t, "127.0.0.6", "first"), startTarget(t, "127.0.0.7", "second")
	first.health.Store(http.StatusInternalServerError)
	second.health.Store(http.StatusInternalServerError)
	balancer := newBalancer(t, Options{})
	url := apply(t, balancer, simpleConfig(fastChecks, 0, first, second))
	waitForState(t, balancer, groupARN, first.target, StateUnhealthy)
	waitForState(t, balancer, groupARN, second.target, StateUnhealthy)
	for range 4 {
		if status, _, _ := get(t, noRedirects, url+"/"); status != http.StatusOK {
			t.Fatalf("status %d, want the request forwarded anyway", status)
		}
	}
	if first.hits.Load() == 0 || second.hits.Load() == 0 {
		t.Errorf("hits first=%d second=%d, want both targets used", first.hits.Load(), second.hits.Load())
	}
}

func TestConnectionsToTargetsAreReused(t *testing.T) {
	first, second := startTarget(t, "127.0.0.17", "first"), startTarget(t, "127.0.0.18", "second")
	balancer := newBalancer(t, Options{})
	// Without health checks, every connection a target sees is a proxied one.
	url := apply(t, balancer, simpleConfig(HealthCheck{}, 0, first, second))
	for range 20 {
		if status, _, _ := get(t, noRedirects, url+"/"); status != http.StatusOK {
			t.Fatalf("status %d", status)
		}
	}
	if first.hits.Load() != 10 || second.hits.Load() != 10 {
		t.Fatalf("hits %d/%d, want 10 each", first.hits.Load(), second.hits.Load())
	}
	if first.connections.Load() != 1 || second.connections.Load() != 1 {
		t.Errorf("connections %d/%d for 10 sequential requests each, want one kept alive per target",
			first.connections.Load(), second.connections.Load())
	}
}

func TestWeightedTargetGroups(t *testing.T) {
	heavy, idle := startTarget(t, "127.0.0.19", "heavy"), startTarget(t, "127.0.0.22", "idle")
	const idleGroup = "arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/idle/4444444444444444"
	cfg := simpleConfig(HealthCheck{}, 0, heavy)
	cfg.TargetGroups = append(cfg.TargetGroups, TargetGroup{ARN: idleGroup, Port: 80, Targets: []Target{idle.target}})
	cfg.LoadBalancers[0].Listeners[0].DefaultActions = []Action{{Type: ActionForward, TargetGroups: []WeightedTargetGroup{
		{ARN: groupARN, Weight: 5}, {ARN: idleGroup, Weight: 0},
	}}}
	balancer := newBalancer(t, Options{})
	url := apply(t, balancer, cfg)
	for range 10 {
		if _, body, _ := get(t, noRedirects, url+"/"); body != "heavy" {
			t.Fatalf("answered by %q, want never the group weighted 0", body)
		}
	}
	if health := balancer.TargetHealth(idleGroup); len(health) != 1 || health[0].State != StateUnavailable || health[0].Reason != ReasonHealthCheckDisabled {
		t.Errorf("health without checks = %+v, want unavailable / %s", health, ReasonHealthCheckDisabled)
	}
}

func TestNoTargetsIs503(t *testing.T) {
	balancer := newBalancer(t, Options{})
	url := apply(t, balancer, simpleConfig(fastChecks, 0))
	status, body, _ := get(t, noRedirects, url+"/")
	if status != http.StatusServiceUnavailable || !strings.Contains(body, "503") {
		t.Errorf("status %d body %q, want 503", status, body)
	}
}

func TestDeadTargetIs502(t *testing.T) {
	netListener, err := net.Listen("tcp", "127.0.0.8:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := &testTarget{target: Target{ID: "127.0.0.8", Port: netListener.Addr().(*net.TCPAddr).Port}}
	_ = netListener.Close()
	changes := &changeRecorder{}
	balancer := newBalancer(t, Options{OnTargetHealth: changes.record})
	url := apply(t, balancer, simpleConfig(fastChecks, 0, dead))
	health := waitForState(t, balancer, groupARN, dead.target, StateUnhealthy)
	if health.Reason != ReasonFailedHealthChecks {
		t.Errorf("reason %q, want %s for a refused connection", health.Reason, ReasonFailedHealthChecks)
	}
	status, _, _ := get(t, noRedirects, url+"/")
	if status != http.StatusBadGateway {
		t.Errorf("status %d, want 502", status)
	}
}

func TestSlowTargetIs504AndHealthCheckTimesOut(t *testing.T) {
	slow := startTarget(t, "127.0.0.9", "slow")
	balancer := newBalancer(t, Options{IdleTimeout: 100 * time.Millisecond})
	check := fastChecks
	check.Path, check.Timeout = "/hang-health", 50*time.Millisecond
	url := apply(t, balancer, simpleConfig(check, 0, slow))
	health := waitForState(t, balancer, groupARN, slow.target, StateUnhealthy)
	if health.Reason != ReasonTimeout || health.Description != "Request timed out" {
		t.Errorf("health %+v, want Target.Timeout", health)
	}
	status, _, _ := get(t, noRedirects, url+"/slow")
	if status != http.StatusGatewayTimeout {
		t.Errorf("status %d, want 504", status)
	}
}

func TestRulesByPriorityThenDefault(t *testing.T) {
	api := startTarget(t, "127.0.0.10", "api")
	const otherGroup = "arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/none/3333333333333333"
	fixed := func(status int, body string) []Action {
		return []Action{{Type: ActionFixedResponse, FixedResponse: &FixedResponse{StatusCode: status, ContentType: "text/plain", Body: body}}}
	}
	cfg := simpleConfig(fastChecks, 0, api)
	cfg.TargetGroups = append(cfg.TargetGroups, TargetGroup{ARN: otherGroup, Port: 80})
	cfg.LoadBalancers[0].Listeners[0].DefaultActions = fixed(404, "nothing here")
	cfg.LoadBalancers[0].Listeners[0].Rules = []Rule{
		{Priority: 20, Conditions: []Condition{{Field: FieldPathPattern, Values: []string{"/api/*"}}}, Actions: forwardTo(groupARN)},
		{Priority: 10, Conditions: []Condition{{Field: FieldPathPattern, Values: []string{"/api/admin*"}}}, Actions: fixed(403, "admins only")},
		{Priority: 30, Conditions: []Condition{{Field: FieldHostHeader, Values: []string{"*.EXAMPLE.com"}}}, Actions: fixed(200, "by host")},
		{Priority: 40, Conditions: []Condition{{Field: FieldPathPattern, Values: []string{"/v?/old"}}}, Actions: []Action{{
			Type: ActionRedirect, Redirect: &Redirect{Path: "/new/#{path}", Query: "from=#{query}", StatusCode: 301},
		}}},
		{Priority: 50, Conditions: []Condition{
			{Field: FieldHTTPRequestMethod, Values: []string{"DELETE"}},
			{Field: FieldHTTPHeader, HeaderName: "X-Team", Values: []string{"ops*"}},
		}, Actions: fixed(202, "ops delete")},
		{Priority: 60, Conditions: []Condition{{Field: FieldQueryString, Values: []string{"debug=tr?e"}}}, Actions: fixed(200, "debug")},
		{Priority: 70, Conditions: []Condition{{Field: FieldSourceIP, Values: []string{"10.0.0.0/8"}}}, Actions: fixed(200, "from vpc")},
		{Priority: 80, Conditions: []Condition{{Field: FieldPathPattern, Values: []string{"/empty"}}}, Actions: forwardTo(otherGroup)},
	}
	balancer := newBalancer(t, Options{})
	url := apply(t, balancer, cfg)
	waitForState(t, balancer, groupARN, api.target, StateHealthy)

	tests := []struct {
		name, method, path, host string
		header                   http.Header
		wantStatus               int
		wantBody                 string
	}{
		{name: "forward", path: "/api/items", wantStatus: 200, wantBody: "api"},
		{name: "lower priority wins", path: "/api/admin/users", wantStatus: 403, wantBody: "admins only"},
		{name: "path is case-sensitive", path: "/API/items", wantStatus: 404, wantBody: "nothing here"},
		{name: "host case-insensitive", path: "/", host: "www.example.COM:8080", wantStatus: 200, wantBody: "by host"},
		{name: "host must match whole name", path: "/", host: "example.com", wantStatus: 404, wantBody: "nothing here"},
		{name: "method and header", method: "DELETE", path: "/x", header: http.Header{"X-Team": {"OPS-east"}}, wantStatus: 202, wantBody: "ops delete"},
		{name: "method without header", method: "DELETE", path: "/x", wantStatus: 404, wantBody: "nothing here"},
		{name: "query string", path: "/?debug=TRUE", wantStatus: 200, wantBody: "debug"},
		{name: "source ip not in range", path: "/elsewhere", wantStatus: 404, wantBody: "nothing here"},
		{name: "empty target group", path: "/empty", wantStatus: 503},
		{name: "default", path: "/missing", wantStatus: 404, wantBody: "nothing here"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			method := tc.method
			if method == "" {
				method = http.MethodGet
			}
			request, err := http.NewRequest(method, url+tc.path, nil)
			if err != nil {
				t.Fatal(err)
			}
			if tc.host != "" {
				request.Host = tc.host
			}
			for name, values := range tc.header {
				request.Header[name] = values
			}
			response, err := noRedirects.Do(request)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(response.Body)
			_ = response.Body.Close()
			if response.StatusCode != tc.wantStatus || (tc.wantBody != "" && string(body) != tc.wantBody) {
				t.Errorf("got %d %q, want %d %q", response.StatusCode, body, tc.wantStatus, tc.wantBody)
			}
		})
	}

	t.Run("redirect", func(t *testing.T) {
		request, _ := http.NewRequest(http.MethodGet, url+"/v1/old?a=1", nil)
		request.Host = "shop.test"
		response, err := noRedirects.Do(request)
		if err != nil {
			t.Fatal(err)
		}
		_ = response.Body.Close()
		// The listener asked for port 0, so the redirect names port 0; what
		// matters here is each component's substitution.
		want := "http://shop.test:0/new/v1/old?from=a=1"
		if response.StatusCode != http.StatusMovedPermanently || response.Header.Get("Location") != want {
			t.Errorf("got %d to %q, want 301 to %q", response.StatusCode, response.Header.Get("Location"), want)
		}
	})
}

func TestForwardedHeadersAreAdded(t *testing.T) {
	echo := startTarget(t, "127.0.0.11", "echo")
	balancer := newBalancer(t, Options{})
	cfg := simpleConfig(fastChecks, 0, echo)
	cfg.LoadBalancers[0].Listeners[0].Port = freePort(t)
	url := apply(t, balancer, cfg)

	request, _ := http.NewRequest(http.MethodGet, url+"/hello?x=1", nil)
	request.Host = "api.example.test"
	request.Header.Set("X-Forwarded-For", "203.0.113.7")
	response, err := noRedirects.Do(request)
	if err != nil {
		t.Fatal(err)
	}
	_ = response.Body.Close()
	seen := echo.headers.Load()
	if seen == nil {
		t.Fatal("target saw no request")
	}
	if got := seen.Header.Get("X-Forwarded-For"); got != "203.0.113.7, 127.0.0.1" {
		t.Errorf("X-Forwarded-For = %q, want the client appended", got)
	}
	if got := seen.Header.Get("X-Forwarded-Proto"); got != "http" {
		t.Errorf("X-Forwarded-Proto = %q", got)
	}
	if got, want := seen.Header.Get("X-Forwarded-Port"), strconv.Itoa(cfg.LoadBalancers[0].Listeners[0].Port); got != want {
		t.Errorf("X-Forwarded-Port = %q, want the listener port %s", got, want)
	}
	if got := seen.Header.Get("X-Amzn-Trace-Id"); !regexp.MustCompile(`^Root=1-[0-9a-f]{8}-[0-9a-f]{24}$`).MatchString(got) {
		t.Errorf("X-Amzn-Trace-Id = %q", got)
	}
	if seen.Host != "api.example.test" || seen.URL.RawQuery != "x=1" {
		t.Errorf("target saw host %q query %q, want them passed through", seen.Host, seen.URL.RawQuery)
	}

	request, _ = http.NewRequest(http.MethodGet, url+"/", nil)
	request.Header.Set("X-Amzn-Trace-Id", "Root=1-5759e988-bd862e3fe1be46a994272793")
	response, err = noRedirects.Do(request)
	if err != nil {
		t.Fatal(err)
	}
	_ = response.Body.Close()
	if got := echo.headers.Load().Header.Get("X-Amzn-Trace-Id"); !regexp.MustCompile(`^Self=1-[0-9a-f]{8}-[0-9a-f]{24};Root=1-5759e988-bd862e3fe1be46a994272793$`).MatchString(got) {
		t.Errorf("X-Amzn-Trace-Id with a client Root = %q", got)
	}

	request, _ = http.NewRequest(http.MethodGet, url+"/", nil)
	request.Header.Set("X-Forwarded-For", strings.Repeat("198.51.100.1, ", 30)+"198.51.100.2")
	response, err = noRedirects.Do(request)
	if err != nil {
		t.Fatal(err)
	}
	_ = response.Body.Close()
	if response.StatusCode != 463 {
		t.Errorf("status with 31 forwarded addresses = %d, want 463", response.StatusCode)
	}
}

func freePort(t testing.TB) int {
	t.Helper()
	netListener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer netListener.Close()
	return netListener.Addr().(*net.TCPAddr).Port
}

func TestResponsesStream(t *testing.T) {
	streamer := startTarget(t, "127.0.0.12", "streamer")
	balancer := newBalancer(t, Options{})
	url := apply(t, balancer, simpleConfig(HealthCheck{}, 0, streamer))
	response, err := noRedirects.Get(url + "/stream")
	if err != nil {
		t.Fatal(err)
	}
	defer response.Body.Close()
	reader := bufio.NewReader(response.Body)
	// The target holds back its second line until the first has arrived
	// here: a proxy that buffered the body would never deliver it.
	line, err := reader.ReadString('\n')
	if err != nil || line != "first\n" {
		t.Fatalf("first line %q, %v", line, err)
	}
	streamer.releaseAll()
	rest, err := io.ReadAll(reader)
	if err != nil || string(rest) != "second\n" {
		t.Errorf("rest %q, %v", rest, err)
	}
}

func TestDrainingTargetFinishesInFlightThenDisappears(t *testing.T) {
	old, replacement := startTarget(t, "127.0.0.13", "old"), startTarget(t, "127.0.0.14", "new")
	changes := &changeRecorder{}
	balancer := newBalancer(t, Options{OnTargetHealth: changes.record})
	url := apply(t, balancer, simpleConfig(fastChecks, 200*time.Millisecond, old))
	waitForState(t, balancer, groupARN, old.target, StateHealthy)

	inFlight := make(chan string, 1)
	go func() {
		response, err := noRedirects.Get(url + "/slow")
		if err != nil {
			inFlight <- err.Error()
			return
		}
		body, _ := io.ReadAll(response.Body)
		_ = response.Body.Close()
		inFlight <- fmt.Sprintf("%d %s", response.StatusCode, body)
	}()
	select {
	case <-old.started:
	case <-time.After(waitLimit):
		t.Fatal("the slow request never reached the old target")
	}

	apply(t, balancer, simpleConfig(fastChecks, 200*time.Millisecond, replacement))
	draining := waitForState(t, balancer, groupARN, old.target, StateDraining)
	if draining.Reason != ReasonDeregistrationInProgress {
		t.Errorf("draining reason %q", draining.Reason)
	}
	for range 4 {
		if _, body, _ := get(t, noRedirects, url+"/"); body != "new" {
			t.Fatalf("new request answered by %q, want only the registered target", body)
		}
	}
	old.releaseAll()
	select {
	case result := <-inFlight:
		if result != "200 old" {
			t.Errorf("in-flight request ended with %q, want it to finish on the draining target", result)
		}
	case <-time.After(waitLimit):
		t.Fatal("in-flight request never finished")
	}

	deadline := time.Now().Add(waitLimit)
	for {
		gone := true
		for _, health := range balancer.TargetHealth(groupARN) {
			if health.Target == old.target {
				gone = false
			}
		}
		if gone {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("drained target still listed: %+v", balancer.TargetHealth(groupARN))
		}
		time.Sleep(5 * time.Millisecond)
	}
	deadline = time.Now().Add(waitLimit)
	for states := changes.statesOf(old.target); !contains(states, StateUnused); states = changes.statesOf(old.target) {
		if time.Now().After(deadline) {
			t.Fatalf("notified states %v, want draining then unused", states)
		}
		time.Sleep(5 * time.Millisecond)
	}
	if states := changes.statesOf(old.target); states[len(states)-2] != StateDraining {
		t.Errorf("notified states %v, want draining just before unused", states)
	}
}

func TestApplyIsIdempotentAndKeepsHealth(t *testing.T) {
	target := startTarget(t, "127.0.0.15", "steady")
	changes := &changeRecorder{}
	balancer := newBalancer(t, Options{OnTargetHealth: changes.record})
	cfg := simpleConfig(fastChecks, 0, target)
	url := apply(t, balancer, cfg)
	waitForState(t, balancer, groupARN, target.target, StateHealthy)
	before := balancer.Listeners()
	notified := len(changes.statesOf(target.target))

	if again := apply(t, balancer, cfg); again != url {
		t.Errorf("listener moved from %s to %s on a repeated Apply", url, again)
	}
	if health := balancer.TargetHealth(groupARN); len(health) != 1 || health[0].State != StateHealthy {
		t.Errorf("health after a repeated Apply = %+v, want still healthy", health)
	}
	if after := balancer.Listeners(); len(after) != 1 || after[0] != before[0] {
		t.Errorf("listeners %+v became %+v", before, after)
	}
	if got := len(changes.statesOf(target.target)); got != notified {
		t.Errorf("a repeated Apply sent %d more notifications", got-notified)
	}

	bad := cfg
	bad.LoadBalancers = []LoadBalancer{{ARN: lbARN, Listeners: []Listener{{ARN: listenerARN, DefaultActions: forwardTo("arn:missing")}}}}
	if err := balancer.Apply(bad); err == nil || !strings.Contains(err.Error(), "unknown target group") {
		t.Errorf("apply with a dangling forward = %v, want a validation error", err)
	}
	if status, body, _ := get(t, noRedirects, url+"/"); status != 200 || body != "steady" {
		t.Errorf("after a rejected Apply got %d %q, want the old configuration still serving", status, body)
	}
}

func TestBusyPortFallsBackToFreePort(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	busyPort := busy.Addr().(*net.TCPAddr).Port
	var logged atomic.Bool
	balancer := newBalancer(t, Options{Logf: func(format string, args ...any) {
		if strings.Contains(fmt.Sprintf(format, args...), "instead") {
			logged.Store(true)
		}
		t.Logf(format, args...)
	}})
	cfg := simpleConfig(fastChecks, 0)
	cfg.LoadBalancers[0].Listeners[0].Port = busyPort
	cfg.LoadBalancers[0].Listeners[0].DefaultActions = []Action{{Type: ActionFixedResponse, FixedResponse: &FixedResponse{StatusCode: 200, Body: "here"}}}
	url := apply(t, balancer, cfg)
	listeners := balancer.Listeners()
	if len(listeners) != 1 || listeners[0].Port != busyPort || listeners[0].Address == busy.Addr().String() {
		t.Fatalf("listeners %+v, want port %d reported and another address used", listeners, busyPort)
	}
	if !logged.Load() {
		t.Error("the fallback was not logged")
	}
	if status, body, _ := get(t, noRedirects, url+"/"); status != 200 || body != "here" {
		t.Errorf("fallback listener answered %d %q", status, body)
	}
}

func TestHandlerForHost(t *testing.T) {
	fixed := func(body string) []Action {
		return []Action{{Type: ActionFixedResponse, FixedResponse: &FixedResponse{StatusCode: 200, Body: body}}}
	}
	cfg := Config{LoadBalancers: []LoadBalancer{
		{ARN: "lb/web", DNSName: "web-123.elb.localhost", Listeners: []Listener{
			{ARN: "listener/web/8080", Port: 0, DefaultActions: fixed("other port")},
			{ARN: "listener/web/80", Port: 80, DefaultActions: fixed("port 80")},
		}},
		{ARN: "lb/admin", DNSName: "admin-9.elb.localhost", Listeners: []Listener{
			{ARN: "listener/admin/0", Port: 0, DefaultActions: fixed("admin")},
		}},
	}}
	// A loopback address of its own, so port 80 is unlikely to be taken
	// (and falls back if it is).
	balancer := newBalancer(t, Options{BindHost: "127.0.0.77"})
	if err := balancer.Apply(cfg); err != nil {
		t.Fatal(err)
	}
	for host, want := range map[string]string{"WEB-123.elb.localhost:4566": "port 80", "admin-9.elb.localhost": "admin"} {
		handler, ok := balancer.HandlerForHost(host)
		if !ok {
			t.Fatalf("no handler for %s", host)
		}
		recorder := httptest.NewRecorder()
		handler.ServeHTTP(recorder, httptest.NewRequest(http.MethodGet, "http://"+host+"/", nil))
		if recorder.Body.String() != want {
			t.Errorf("%s answered %q, want %q", host, recorder.Body.String(), want)
		}
	}
	if _, ok := balancer.HandlerForHost("nobody.elb.localhost"); ok {
		t.Error("a handler for an unknown host")
	}
}

func TestCloseStopsEverything(t *testing.T) {
	target := startTarget(t, "127.0.0.16", "target")
	balancer := New(Options{Logf: t.Logf})
	url := apply(t, balancer, simpleConfig(fastChecks, time.Hour, target))
	waitForState(t, balancer, groupARN, target.target, StateHealthy)
	if err := balancer.Apply(simpleConfig(fastChecks, time.Hour)); err != nil { // leaves a drain timer pending
		t.Fatal(err)
	}
	if err := balancer.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	if _, err := http.Get(url + "/"); err == nil {
		t.Error("listener still answers after Close")
	}
	if err := balancer.Apply(simpleConfig(fastChecks, 0)); !errors.Is(err, ErrClosed) {
		t.Errorf("apply after close = %v, want ErrClosed", err)
	}
	deadline := time.Now().Add(waitLimit)
	for {
		stacks := make([]byte, 1<<20)
		stacks = stacks[:runtime.Stack(stacks, true)]
		if !strings.Contains(string(stacks), "localcloud/lb.(*") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("balancer goroutines left after Close:\n%s", stacks)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// BenchmarkProxyTwoTargets measures requests per second through a listener
// to two healthy targets over kept-alive connections.
func BenchmarkProxyTwoTargets(b *testing.B) {
	first, second := startTarget(b, "127.0.0.20", "first"), startTarget(b, "127.0.0.21", "second")
	balancer := newBalancer(b, Options{Logf: func(string, ...any) {}})
	url := apply(b, balancer, simpleConfig(fastChecks, 0, first, second))
	waitForState(b, balancer, groupARN, first.target, StateHealthy)
	waitForState(b, balancer, groupARN, second.target, StateHealthy)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}, Timeout: waitLimit}
	defer client.CloseIdleConnections()
	ctx := context.Background()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			request, _ := http.NewRequestWithContext(ctx, http.MethodGet, url+"/", nil)
			response, err := client.Do(request)
			if err != nil {
				b.Error(err)
				return
			}
			_, _ = io.Copy(io.Discard, response.Body)
			_ = response.Body.Close()
			if response.StatusCode != http.StatusOK {
				b.Errorf("status %d", response.StatusCode)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
}
