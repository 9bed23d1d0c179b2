package localcloud_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/berthdev/berth/internal/localcloud"
)

// attackPage is a page of another origin that tries what a malicious site
// would: no-cors fetches (simple requests, sent without a preflight) that
// register a process image and create a security group, and an <img> whose
// GET carries an EC2 call. When all have settled it writes a marker with
// each outcome, so the test waits on the page, not on a clock.
const attackPage = `<!doctype html><html><body><script>
const endpoint = %q;
const createGroup = "Action=CreateSecurityGroup&Version=2016-11-15&GroupDescription=from+a+page&VpcId=%s&GroupName=";
const image = JSON.stringify({Name: "evil:latest", Dir: "/", Command: ["/bin/sh", "-c", "echo pwned"]});
const viaImg = (url) => new Promise((resolve) => { const i = new Image(); i.onload = () => resolve("img-loaded"); i.onerror = () => resolve("img-error"); i.src = url; });
Promise.allSettled([
  fetch(endpoint + "/_berth/images", {method: "POST", mode: "no-cors", body: image}).then(() => "sent"),
  fetch(endpoint + "/", {mode: "no-cors", method: "POST", headers: {"Content-Type": "application/x-www-form-urlencoded"}, body: createGroup + "from-fetch"}).then(() => "sent"),
  viaImg(endpoint + "/?" + createGroup + "from-img"),
]).then((results) => {
  const done = document.createElement("pre");
  done.id = "done";
  done.textContent = "SETTLED " + results.map((r) => r.status + ":" + (r.value || r.reason)).join(" ");
  document.body.appendChild(done);
});
</script></body></html>`

// chromiumDOM loads url in headless Chromium and returns the DOM once the
// page's work is done: --virtual-time-budget holds the dump until pending
// fetches finish and the page is idle.
func chromiumDOM(t *testing.T, url string, extraFlags ...string) string {
	t.Helper()
	browser, err := exec.LookPath("chromium")
	if err != nil {
		t.Fatalf("chromium is needed for the browser checks (make test installs it): %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	args := append([]string{"--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--user-data-dir=" + t.TempDir(),
		"--virtual-time-budget=15000"}, extraFlags...)
	out, err := exec.CommandContext(ctx, browser, append(args, "--dump-dom", url)...).Output()
	if err != nil {
		t.Fatalf("chromium --dump-dom %s: %v", url, err)
	}
	return string(out)
}

// settled finds the page's completion marker in the dumped DOM (not in
// the script's source, which holds the same word).
var settled = regexp.MustCompile(`<pre id="done">SETTLED [^<]*</pre>`)

// servePage serves a page on another loopback port: another origin. The
// page is set after the server starts, so it can name an endpoint that was
// started knowing the page's origin.
func servePage(t *testing.T) (origin string, setHTML func(string)) {
	t.Helper()
	var mu sync.Mutex
	var html string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			http.NotFound(w, r)
			return
		}
		mu.Lock()
		defer mu.Unlock()
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, html)
	}))
	t.Cleanup(srv.Close)
	return srv.URL, func(s string) {
		mu.Lock()
		defer mu.Unlock()
		html = s
	}
}

// A page the developer merely visits cannot drive the local cloud: its
// requests arrive (the call log shows them) and are refused, and nothing is
// registered or created. The same page from an origin allowed with
// --cors-origin does create its security group, so the refusal is the
// guard's doing, not a broken page.
func TestBrowserPageCannotDriveTheCloud(t *testing.T) {
	cloud := startGuarded(t, localcloud.Options{})
	cfg := sdkConfig(t, cloud.endpoint, "test", "test")
	vpc := createVPC(t, cfg)
	page, setPage := servePage(t)
	setPage(fmt.Sprintf(attackPage, cloud.endpoint, vpc))

	dom := chromiumDOM(t, page)
	marker := settled.FindString(dom)
	if marker == "" {
		t.Fatalf("the page never finished its requests:\n%.2000s", dom)
	}
	t.Logf("page: %s", marker)
	assertNothingCreated(t, cloud, cfg)
	log := cloud.log.String()
	for _, want := range []string{
		`operation="POST /_berth/images" status=403 code=AccessDenied`,
		`service=ec2 operation=CreateSecurityGroup status=403 code=AccessDenied`,
	} {
		if !strings.Contains(log, want) {
			t.Errorf("the call log has no %q: the page's request did not arrive or was not refused\n%s", want, log)
		}
	}
	if strings.Count(log, "operation=CreateSecurityGroup status=403") != 2 {
		t.Errorf("want both the fetch's and the <img>'s CreateSecurityGroup refused:\n%s", log)
	}

	// Control: the page's origin allowed, the same page succeeds in what
	// needs no token and is still refused the image write.
	allowedPage, setAllowedPage := servePage(t)
	allowed := startGuarded(t, localcloud.Options{CORSOrigins: []string{allowedPage}})
	allowedCfg := sdkConfig(t, allowed.endpoint, "test", "test")
	setAllowedPage(fmt.Sprintf(attackPage, allowed.endpoint, createVPC(t, allowedCfg)))
	if marker := settled.FindString(chromiumDOM(t, allowedPage)); marker == "" {
		t.Fatal("the page from the allowed origin never finished its requests")
	}
	if names := securityGroupNames(t, allowedCfg); len(names) != 1 || names[0] != "from-fetch" {
		t.Errorf("from an allowed origin the page's fetch should create its group (and the <img> GET stay refused); groups: %v", names)
	}
	if names := imageNames(t, allowed.Cloud); len(names) != 0 {
		t.Errorf("an allowed origin wrote an image without the admin token: %v", names)
	}
}

// A DNS-rebinding page: the browser loads it from rebind.test, then (as
// after the attacker's DNS answer changed) its same-origin requests reach
// the local cloud under Host rebind.test. Same-origin GETs carry no Origin
// and their replies are readable by the page, so only the Host check stands
// between them and the control plane.
func TestBrowserRebindingIsRefused(t *testing.T) {
	cloud := startGuarded(t, localcloud.Options{})
	cfg := sdkConfig(t, cloud.endpoint, "test", "test")
	vpc := createVPC(t, cfg)
	target, err := url.Parse(cloud.endpoint)
	if err != nil {
		t.Fatal(err)
	}
	const page = `<!doctype html><html><body><script>
const createGroup = "/?Action=CreateSecurityGroup&Version=2016-11-15&GroupName=rebound&GroupDescription=rebound&VpcId=%s";
Promise.allSettled([
  fetch("/_berth/images").then((r) => "images:" + r.status),
  fetch(createGroup).then((r) => "create:" + r.status),
  fetch("/_berth/images", {method: "POST", body: JSON.stringify({Name: "evil:latest", Dir: "/", Command: ["/bin/true"]})}).then((r) => "write:" + r.status),
]).then((results) => {
  const done = document.createElement("pre");
  done.id = "done";
  done.textContent = "SETTLED " + results.map((r) => r.value || r.reason).join(" ");
  document.body.appendChild(done);
});
</script></body></html>`
	// The attacker's server: it serves the page, and every other request
	// reaches the local cloud with the browser's Host, as after rebinding.
	proxy := httputil.NewSingleHostReverseProxy(target)
	rebinder := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/page" {
			w.Header().Set("Content-Type", "text/html")
			fmt.Fprintf(w, page, vpc)
			return
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(rebinder.Close)
	_, port, _ := strings.Cut(strings.TrimPrefix(rebinder.URL, "http://"), ":")

	dom := chromiumDOM(t, "http://rebind.test:"+port+"/page", "--host-resolver-rules=MAP rebind.test 127.0.0.1")
	marker := settled.FindString(dom)
	if marker == "" {
		t.Fatalf("the page never finished its requests:\n%.2000s", dom)
	}
	for _, want := range []string{"images:403", "create:403", "write:403"} {
		if !strings.Contains(marker, want) {
			t.Errorf("page saw %q, want %s", marker, want)
		}
	}
	assertNothingCreated(t, cloud, cfg)
	if !strings.Contains(cloud.log.String(), "operation=CreateSecurityGroup status=403 code=AccessDenied") {
		t.Errorf("the rebound CreateSecurityGroup did not reach the cloud and get refused:\n%s", cloud.log.String())
	}
}
