package cli_test

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/berthdev/berth/internal/localcloud/localcloudtest"
)

// httpsExample is the FastAPI example with its https section turned on,
// written beside a copy so that local.dir still names the example's code.
func httpsExample(t *testing.T) string {
	t.Helper()
	src, err := os.ReadFile(exampleSpec)
	if err != nil {
		t.Fatal(err)
	}
	dir, err := filepath.Abs(filepath.Dir(exampleSpec))
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Replace(string(src), "  port: 80 ", "  https: {domain: api.example.com}\n  port: 80 ", 1)
	text = strings.Replace(text, "  dir: .", "  dir: "+dir, 1)
	if text == string(src) {
		t.Fatal("the example changed shape: no load_balancer.port or local.dir to edit")
	}
	path := filepath.Join(t.TempDir(), "berth.yaml")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// berth up with https prints the HTTPS URL, where the local CA's root is
// and how curl and a browser trust it: from the state dir of a cloud that
// has one, else from a file the root of an ephemeral cloud is written to.
func TestUpWithHTTPSPrintsHowToTrustTheLocalCA(t *testing.T) {
	requirePython(t)
	spec := httpsExample(t)
	urlLine := regexp.MustCompile(`(?m)^  https://127\.0\.0\.1(:[0-9]+)?/$`)
	curlLine := regexp.MustCompile(`curl --cacert (\S+) --connect-to api\.example\.com:443:127\.0\.0\.1:[0-9]+ https://api\.example\.com/docs`)

	t.Run("state dir", func(t *testing.T) {
		dir := t.TempDir()
		cloud := localcloudtest.StartInDir(t, dir)
		out, errOut, err := berth(t, cloud.Endpoint, "up", "--no-logs", "-f", spec, "--state-dir", dir)
		if err != nil {
			t.Fatalf("berth up: %v\nstdout:\n%s\nstderr:\n%s", err, out, errOut)
		}
		t.Logf("berth up printed:\n%s", out)
		if !urlLine.MatchString(out) || !strings.Contains(out, "answers 301 to HTTPS") {
			t.Errorf("berth up printed no HTTPS URL, or no redirect:\n%s", out)
		}
		m := curlLine.FindStringSubmatch(out)
		if m == nil || m[1] != filepath.Join(dir, "ca", "root.pem") {
			t.Fatalf("berth up printed no curl line with the state dir's root:\n%s", out)
		}
		if !strings.Contains(out, "as a trusted certificate authority") || !strings.Contains(out, "/etc/hosts") {
			t.Errorf("no browser instructions:\n%s", out)
		}
		if !strings.Contains(errOut, "acm.certificate/https: done") {
			t.Errorf("the certificate was not requested:\n%s", errOut)
		}
	})

	t.Run("ephemeral", func(t *testing.T) {
		cloud := localcloudtest.Start(t)
		out, errOut, err := berth(t, cloud.Endpoint, "up", "--no-logs", "-f", spec, "--state-dir", filepath.Dir(cloud.AdminTokenPath()))
		if err != nil {
			t.Fatalf("berth up: %v\nstdout:\n%s\nstderr:\n%s", err, out, errOut)
		}
		m := curlLine.FindStringSubmatch(out)
		if m == nil || !strings.HasPrefix(filepath.Base(m[1]), "berth-local-ca-") {
			t.Fatalf("berth up printed no curl line with a written root:\n%s", out)
		}
		written, err := os.ReadFile(m[1])
		if err != nil || !bytes.Equal(written, cloud.ACM.RootCAPEM()) {
			t.Errorf("%s does not hold the cloud's root: %v", m[1], err)
		}
	})
}
