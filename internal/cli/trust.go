package cli

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"github.com/berthdev/berth/internal/spec"
	"github.com/berthdev/berth/internal/stack"
)

// localRootCA returns the path of the local cloud's root CA certificate,
// which signs the certificates its ACM issues. A cloud with a state
// directory keeps it there (<state-dir>/ca/root.pem); the root of an
// ephemeral one exists only in memory, so it is written to a file named
// after its digest in the temporary directory (a root certificate is
// public; its key never leaves the cloud).
func localRootCA(ctx context.Context, endpoint, token, stateDir string, inProcess []byte) (string, error) {
	served := inProcess
	if served == nil {
		var err error
		if served, err = fetchRootCA(ctx, endpoint, token); err != nil {
			return "", err
		}
	}
	if stateDir != "" {
		path := filepath.Join(stateDir, "ca", "root.pem")
		if kept, err := os.ReadFile(path); err == nil && bytes.Equal(kept, served) {
			return path, nil
		} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return "", err
		}
	}
	sum := sha256.Sum256(served)
	path := filepath.Join(os.TempDir(), "berth-local-ca-"+hex.EncodeToString(sum[:6])+".pem")
	if err := os.WriteFile(path, served, 0o644); err != nil {
		return "", fmt.Errorf("writing the local CA's root: %w", err)
	}
	return path, nil
}

func fetchRootCA(ctx context.Context, endpoint, token string) ([]byte, error) {
	resp, err := getAdmin(ctx, endpoint, token, "/_berth/ca.pem")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK || !bytes.Contains(body, []byte("BEGIN CERTIFICATE")) {
		return nil, fmt.Errorf("GET /_berth/ca.pem answered %s", resp.Status)
	}
	return body, nil
}

// printTrust says how to reach the HTTPS listener by the certificate's
// name and trust the local CA, with curl and in a browser.
func printTrust(ctx context.Context, io IOStreams, endpoint, token string, s *spec.Spec, outputs *stack.Outputs, rootPath string) {
	h := s.LoadBalancer.HTTPS
	domain := strings.TrimPrefix(outputs.Domain, "*.")
	if outputs.Domain != domain {
		domain = "www." + domain // any name under a wildcard
	}
	address := ""
	if listeners, err := fetchListeners(ctx, endpoint, token); err == nil {
		if l := listenerOn(listeners, outputs.LoadBalancerDNS, h.Port); l != nil {
			address = l.Address
		}
	}
	fmt.Fprintf(io.Out, "\nThe HTTPS certificate is issued by the local cloud's own CA, whose root is\n  %s\n", rootPath)
	if domain == "" || address == "" {
		fmt.Fprintf(io.Out, "Trust it with: curl --cacert %s …\n", rootPath)
		return
	}
	host, port, err := net.SplitHostPort(address)
	if err != nil {
		host, port = address, fmt.Sprint(h.Port)
	}
	url := "https://" + domain
	if h.Port != 443 {
		url = fmt.Sprintf("https://%s:%d", domain, h.Port)
	}
	fmt.Fprintf(io.Out, "It names %s, so reach the listener by that name:\n", outputs.Domain)
	fmt.Fprintf(io.Out, "  curl --cacert %s --connect-to %s:%d:%s:%s %s/docs\n", rootPath, domain, h.Port, host, port, url)
	browserURL := url
	if port != fmt.Sprint(h.Port) {
		browserURL = "https://" + domain + ":" + port
	}
	fmt.Fprintf(io.Out, "In a browser: import %s as a trusted certificate authority (Firefox: Settings › Privacy & Security › Certificates › View Certificates › Authorities › Import; Chromium: Settings › Privacy and security › Security › Manage certificates › Authorities › Import), map %s to %s in /etc/hosts, then open %s/docs\n", rootPath, domain, host, browserURL)
}
