package lb

import (
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/berthdev/berth/internal/localcloud/secgroup"
)

// routingTable is an immutable snapshot of every listener's rules; Apply
// swaps in a new one so requests never wait on a lock to be routed.
type routingTable struct {
	listeners map[string]*listenerRoutes // by listener ARN
	hosts     map[string]string          // lower-case DNS name → listener ARN
	// groupUsers are the load balancers whose rules forward to each target
	// group (by ARN), sorted.
	groupUsers map[string][]string
}

type listenerRoutes struct {
	port     int
	protocol string
	// forwardedPort and forwardedProto are the X-Forwarded-Port and
	// X-Forwarded-Proto values, made once rather than per request.
	forwardedPort, forwardedProto string
	// rules are sorted by priority and end with the default actions.
	rules []compiledRule
	// counters are the load balancer's, kept across Applies.
	counters *balancerCounters
	// firewall and balancer decide which clients the listener accepts.
	firewall *secgroup.Rules
	balancer secgroup.Endpoint
}

type compiledRule struct {
	conditions []Condition
	action     Action
}

func buildRoutes(listener Listener) *listenerRoutes {
	rules := append([]Rule(nil), listener.Rules...)
	sort.SliceStable(rules, func(i, j int) bool { return rules[i].Priority < rules[j].Priority })
	routes := &listenerRoutes{port: listener.Port, protocol: listener.Protocol,
		forwardedPort: strconv.Itoa(listener.Port), forwardedProto: strings.ToLower(listener.Protocol)}
	for _, rule := range rules {
		routes.rules = append(routes.rules, compiledRule{conditions: rule.Conditions, action: terminalAction(rule.Actions)})
	}
	routes.rules = append(routes.rules, compiledRule{action: terminalAction(listener.DefaultActions)})
	return routes
}

// terminalAction picks the one forward, fixed-response or redirect action
// validation guaranteed; authentication actions before it are skipped.
func terminalAction(actions []Action) Action {
	for _, action := range actions {
		switch action.Type {
		case ActionForward, ActionFixedResponse, ActionRedirect:
			return action
		}
	}
	return Action{}
}

// requestFacts is what rule conditions look at, so that rules match both a
// request net/http parsed and one the lean path (lean.go) keeps as bytes;
// the lean path computes a fact only when a condition asks for it.
type requestFacts interface {
	method() string
	// host is the Host header as sent.
	host() string
	// path is the decoded URL path.
	path() string
	query() url.Values
	headerValues(name string) []string
	remoteAddr() string
}

// httpFacts are the facts of a request net/http parsed.
type httpFacts struct{ r *http.Request }

func (f httpFacts) method() string                    { return f.r.Method }
func (f httpFacts) host() string                      { return f.r.Host }
func (f httpFacts) path() string                      { return f.r.URL.Path }
func (f httpFacts) query() url.Values                 { return f.r.URL.Query() }
func (f httpFacts) headerValues(name string) []string { return f.r.Header.Values(name) }
func (f httpFacts) remoteAddr() string                { return f.r.RemoteAddr }

func (routes *listenerRoutes) match(r *http.Request) Action {
	return routes.matchFacts(httpFacts{r})
}

func (routes *listenerRoutes) matchFacts(r requestFacts) Action {
	for _, rule := range routes.rules {
		if ruleMatches(rule.conditions, r) {
			return rule.action
		}
	}
	return Action{} // unreachable: the default rule has no conditions
}

func ruleMatches(conditions []Condition, r requestFacts) bool {
	for _, condition := range conditions {
		if !conditionMatches(condition, r) {
			return false
		}
	}
	return true
}

func conditionMatches(condition Condition, r requestFacts) bool {
	switch condition.Field {
	case FieldPathPattern:
		path := r.path()
		return anyValue(condition.Values, func(pattern string) bool { return wildcardMatch(pattern, path) })
	case FieldHostHeader:
		host := strings.ToLower(hostWithoutPort(r.host()))
		return anyValue(condition.Values, func(pattern string) bool { return wildcardMatch(strings.ToLower(pattern), host) })
	case FieldHTTPHeader:
		headerValues := r.headerValues(condition.HeaderName)
		return anyValue(condition.Values, func(pattern string) bool {
			for _, value := range headerValues {
				if wildcardMatch(strings.ToLower(pattern), strings.ToLower(value)) {
					return true
				}
			}
			return false
		})
	case FieldHTTPRequestMethod:
		method := r.method()
		return anyValue(condition.Values, func(want string) bool { return want == method })
	case FieldQueryString:
		return queryMatches(condition.Values, r.query())
	case FieldSourceIP:
		client, ok := clientAddr(r.remoteAddr())
		if !ok {
			return false
		}
		return anyValue(condition.Values, func(cidr string) bool {
			prefix, err := netip.ParsePrefix(cidr)
			return err == nil && prefix.Contains(client)
		})
	}
	return false
}

func anyValue(values []string, matches func(string) bool) bool {
	for _, value := range values {
		if matches(value) {
			return true
		}
	}
	return false
}

func queryMatches(values []string, query url.Values) bool {
	return anyValue(values, func(condition string) bool {
		keyPattern, valuePattern, hasKey := strings.Cut(condition, "=")
		if !hasKey {
			keyPattern, valuePattern = "*", condition
		}
		for key, queryValues := range query {
			if !wildcardMatch(strings.ToLower(keyPattern), strings.ToLower(key)) {
				continue
			}
			for _, value := range queryValues {
				if wildcardMatch(strings.ToLower(valuePattern), strings.ToLower(value)) {
					return true
				}
			}
		}
		return false
	})
}

// wildcardMatch reports whether text matches pattern, where * matches any
// run of characters (including "/") and ? exactly one.
func wildcardMatch(pattern, text string) bool {
	p, t := 0, 0
	starAt, textAtStar := -1, 0
	for t < len(text) {
		switch {
		case p < len(pattern) && (pattern[p] == '?' || pattern[p] == text[t]):
			p++
			t++
		case p < len(pattern) && pattern[p] == '*':
			starAt, textAtStar = p, t
			p++
		case starAt >= 0:
			// Let the last * swallow one more character and retry.
			textAtStar++
			p, t = starAt+1, textAtStar
		default:
			return false
		}
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}

func hostWithoutPort(hostport string) string {
	if host, _, err := net.SplitHostPort(hostport); err == nil {
		return host
	}
	return strings.TrimSuffix(strings.TrimPrefix(hostport, "["), "]")
}

func clientAddr(remoteAddr string) (netip.Addr, bool) {
	addrPort, err := netip.ParseAddrPort(remoteAddr)
	if err != nil {
		return netip.Addr{}, false
	}
	return addrPort.Addr().Unmap(), true
}

// writeFixedResponse answers as an ALB's fixed-response action: the
// configured status, content type (text/plain when unset) and body, from
// the load balancer's own server.
func writeFixedResponse(w http.ResponseWriter, fixed *FixedResponse) {
	contentType := fixed.ContentType
	if contentType == "" {
		contentType = "text/plain"
	}
	w.Header().Set("Server", "awselb/2.0")
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Content-Length", strconv.Itoa(len(fixed.Body)))
	w.WriteHeader(fixed.StatusCode)
	_, _ = w.Write([]byte(fixed.Body))
}

// writeRedirect answers as an ALB's redirect action. Like the ALB, the
// Location always names the port, even the scheme's default
// ("https://example.com:443/"), and the body is the load balancer's HTML
// page for the status.
func writeRedirect(w http.ResponseWriter, r *http.Request, redirect *Redirect, listenerPort int, listenerProtocol string) {
	protocol := strings.ToLower(listenerProtocol)
	placeholders := strings.NewReplacer(
		"#{protocol}", protocol,
		"#{host}", hostWithoutPort(r.Host),
		"#{port}", strconv.Itoa(listenerPort),
		"#{path}", strings.TrimPrefix(r.URL.Path, "/"),
		"#{query}", r.URL.RawQuery,
	)
	orDefault := func(value, fallback string) string {
		if value == "" {
			value = fallback
		}
		return placeholders.Replace(value)
	}
	targetProtocol := strings.ToLower(orDefault(redirect.Protocol, "#{protocol}"))
	host := orDefault(redirect.Host, "#{host}")
	port := orDefault(redirect.Port, "#{port}")
	path := orDefault(redirect.Path, "/#{path}")
	query := orDefault(redirect.Query, "#{query}")

	location := targetProtocol + "://" + host + ":" + port + path
	if query != "" {
		location += "?" + query
	}
	status := redirect.StatusCode
	if status == 0 {
		status = http.StatusFound
	}
	_, body := albErrorPage(status)
	header := w.Header()
	header.Set("Server", "awselb/2.0")
	header.Set("Location", location)
	header.Set("Content-Type", "text/html")
	header.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		_, _ = w.Write([]byte(body))
	}
}
