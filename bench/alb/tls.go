package main

import (
	"cmp"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/acm"
	acmtypes "github.com/aws/aws-sdk-go-v2/service/acm/types"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"

	"github.com/berthdev/berth/internal/spec"
)

// The TLS bench (-tls): an ACM certificate is requested from berth local
// (exportable, so HAProxy can serve the very same certificate and key),
// berth's HTTPS listener serves it with the default TLS 1.2/1.3 policy and
// HAProxy terminates TLS with it, the policy's ciphers and groups, in front
// of the same two backends; the bench stops unless both negotiate the same
// version, cipher and group. Three loads then alternate between them: new
// TLS handshakes (each a fresh connection, no session resumption, closed
// after the handshake) and resumed ones (a session ticket's PSK) from
// closed-loop Go clients, and HTTPS requests on kept-alive connections from
// wrk.

const (
	benchDomain = "bench.example.test"
	benchPolicy = "ELBSecurityPolicy-TLS13-1-2-2021-06"
)

// policyGroups are the key exchange groups of AWS's non-post-quantum
// policies, most preferred first, in OpenSSL's names; berth's listener
// offers the same (lb.curvePreferences).
const policyGroups = "X25519:P-256:P-384"

// tlsEndpoint is one TLS-terminating proxy under test.
type tlsEndpoint struct {
	name, address string
	measured      *child
}

// exportedCertificate requests an exportable certificate of keyAlgorithm,
// waits until ACM issued it, and writes certificate, chain and decrypted
// key to one PEM file, as HAProxy reads them.
func exportedCertificate(ctx context.Context, client *acm.Client, keyAlgorithm, dir string) (arn, pemPath string, err error) {
	requested, err := client.RequestCertificate(ctx, &acm.RequestCertificateInput{
		DomainName: aws.String(benchDomain), ValidationMethod: acmtypes.ValidationMethodDns,
		KeyAlgorithm: acmtypes.KeyAlgorithm(keyAlgorithm),
		Options:      &acmtypes.CertificateOptions{Export: acmtypes.CertificateExportEnabled},
	})
	if err != nil {
		return "", "", fmt.Errorf("RequestCertificate: %w", err)
	}
	arn = aws.ToString(requested.CertificateArn)
	waiter := acm.NewCertificateValidatedWaiter(client, func(o *acm.CertificateValidatedWaiterOptions) { o.MinDelay, o.MaxDelay = time.Second, time.Second })
	if err := waiter.Wait(ctx, &acm.DescribeCertificateInput{CertificateArn: aws.String(arn)}, time.Minute); err != nil {
		return "", "", fmt.Errorf("waiting for the certificate: %w", err)
	}
	passphrase := []byte("bench-passphrase")
	exported, err := client.ExportCertificate(ctx, &acm.ExportCertificateInput{CertificateArn: aws.String(arn), Passphrase: passphrase})
	if err != nil {
		return "", "", fmt.Errorf("ExportCertificate: %w", err)
	}
	encryptedKey := filepath.Join(dir, "key.enc.pem")
	if err := os.WriteFile(encryptedKey, []byte(aws.ToString(exported.PrivateKey)), 0o600); err != nil {
		return "", "", err
	}
	key, err := exec.CommandContext(ctx, "openssl", "pkey", "-in", encryptedKey, "-passin", "pass:"+string(passphrase)).Output()
	if err != nil {
		return "", "", fmt.Errorf("openssl pkey (decrypting the exported key): %w", err)
	}
	pemPath = filepath.Join(dir, "haproxy.pem")
	bundle := strings.Join([]string{strings.TrimSpace(aws.ToString(exported.Certificate)), strings.TrimSpace(aws.ToString(exported.CertificateChain)), strings.TrimSpace(string(key))}, "\n") + "\n"
	return arn, pemPath, os.WriteFile(pemPath, []byte(bundle), 0o600)
}

// addHTTPSListener gives the bench's load balancer an HTTPS listener with
// the certificate and returns where it listens once it completes
// handshakes.
func addHTTPSListener(ctx context.Context, c *clients, s *stack, endpoint, certificateARN string) (string, error) {
	port, err := freePort()
	if err != nil {
		return "", err
	}
	if err := allowListenerPort(ctx, c, s, port); err != nil {
		return "", err
	}
	listeners, err := c.elbv2.DescribeListeners(ctx, &elb.DescribeListenersInput{ListenerArns: []string{s.listenerARN}})
	if err != nil {
		return "", fmt.Errorf("DescribeListeners: %w", err)
	}
	created, err := c.elbv2.CreateListener(ctx, &elb.CreateListenerInput{LoadBalancerArn: listeners.Listeners[0].LoadBalancerArn,
		Protocol: elbtypes.ProtocolEnumHttps, Port: aws.Int32(int32(port)), SslPolicy: aws.String("ELBSecurityPolicy-TLS13-1-2-2021-06"),
		Certificates:   []elbtypes.Certificate{{CertificateArn: aws.String(certificateARN)}},
		DefaultActions: []elbtypes.Action{{Type: elbtypes.ActionTypeEnumForward, TargetGroupArn: aws.String(s.targetGroupARN)}}})
	if err != nil {
		return "", fmt.Errorf("CreateListener HTTPS: %w", err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		address, err := listenerAddress(endpoint, aws.ToString(created.Listeners[0].ListenerArn))
		if err == nil {
			if err = handshakeOnce(address); err == nil {
				return address, nil
			}
		}
		if time.Now().After(deadline) {
			return "", fmt.Errorf("the HTTPS listener does not complete handshakes within 30 s: %w", err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// handshakeClient is a client that resumes no session, so every
// connection is a full handshake, and does not verify the chain, so the
// client spends the same on either proxy.
var handshakeClient = &tls.Config{
	ServerName: benchDomain, InsecureSkipVerify: true,
	CurvePreferences: []tls.CurveID{tls.X25519}, NextProtos: []string{"http/1.1"},
}

func handshakeOnce(address string) error {
	_, err := handshakeWith(address, handshakeClient, false)
	return err
}

// handshakeWith makes one handshake with address and closes the
// connection; with request, it first sends one request and reads the start
// of the answer, which makes the client take the session tickets the
// server sent. It reports whether the handshake resumed a session.
func handshakeWith(address string, config *tls.Config, request bool) (resumed bool, err error) {
	conn, err := net.DialTimeout("tcp", address, 5*time.Second)
	if err != nil {
		return false, err
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
	client := tls.Client(conn, config)
	if err := client.Handshake(); err != nil {
		return false, err
	}
	if request {
		if _, err := io.WriteString(client, "GET / HTTP/1.1\r\nHost: "+benchDomain+"\r\n\r\n"); err != nil {
			return false, err
		}
		if _, err := client.Read(make([]byte, 512)); err != nil {
			return false, err
		}
	}
	return client.ConnectionState().DidResume, nil
}

// handshakeRun is what one handshake load measured.
type handshakeRun struct {
	perSecond  float64
	handshakes int64
	failures   int64
	// notResumed counts the handshakes of a resuming run that were full
	// ones after all.
	notResumed int64
	// cpuPerHandshake is the proxy's CPU time per handshake.
	cpuPerHandshake time.Duration
}

// resumingClients are workers clients that each hold the session of one
// full handshake (and request) with address, to resume.
func resumingClients(address string, workers int) ([]*tls.Config, error) {
	configs := make([]*tls.Config, workers)
	for i := range configs {
		configs[i] = handshakeClient.Clone()
		configs[i].ClientSessionCache = tls.NewLRUClientSessionCache(1)
		if _, err := handshakeWith(address, configs[i], true); err != nil {
			return nil, fmt.Errorf("a first handshake and request: %w", err)
		}
	}
	return configs, nil
}

// runHandshakes makes handshakes with one closed-loop client per config for
// duration: full ones with handshakeClient, or, with resumingClients',
// ones that resume the session each client got (TLS 1.3 PSK from a session
// ticket, which the ALB offers too), so no certificate is signed for.
func runHandshakes(ctx context.Context, address string, configs []*tls.Config, duration time.Duration) handshakeRun {
	ctx, cancel := context.WithTimeout(ctx, duration)
	defer cancel()
	var done, failed, notResumed atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for _, config := range configs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				resumed, err := handshakeWith(address, config, false)
				if err != nil {
					failed.Add(1)
					continue
				}
				if config.ClientSessionCache != nil && !resumed {
					notResumed.Add(1)
				}
				done.Add(1)
			}
		}()
	}
	wg.Wait()
	return handshakeRun{perSecond: float64(done.Load()) / time.Since(start).Seconds(), handshakes: done.Load(),
		failures: failed.Load(), notResumed: notResumed.Load()}
}

// policyCiphers are the listener policy's ciphers as DescribeSSLPolicies
// lists them, most preferred first: TLS 1.3's suites and TLS 1.2's, in
// OpenSSL's names.
func policyCiphers(ctx context.Context, c *clients) (tls13, tls12 []string, err error) {
	described, err := c.elbv2.DescribeSSLPolicies(ctx, &elb.DescribeSSLPoliciesInput{Names: []string{benchPolicy}})
	if err != nil {
		return nil, nil, fmt.Errorf("DescribeSSLPolicies: %w", err)
	}
	if len(described.SslPolicies) != 1 {
		return nil, nil, fmt.Errorf("DescribeSSLPolicies %s: %d policies", benchPolicy, len(described.SslPolicies))
	}
	ciphers := described.SslPolicies[0].Ciphers
	slices.SortStableFunc(ciphers, func(a, b elbtypes.Cipher) int { return cmp.Compare(aws.ToInt32(a.Priority), aws.ToInt32(b.Priority)) })
	for _, cipher := range ciphers {
		if name := aws.ToString(cipher.Name); strings.HasPrefix(name, "TLS_") {
			tls13 = append(tls13, name)
		} else {
			tls12 = append(tls12, name)
		}
	}
	return tls13, tls12, nil
}

// haproxyTLSConfigFor makes HAProxy terminate TLS as the listener's policy
// says: TLS 1.2 and 1.3, the policy's ciphers in its order, chosen by the
// server's preference (HAProxy's default, and the ALB's), and the
// policy's key exchange groups, so both proxies negotiate the same.
func haproxyTLSConfigFor(port int, pemPath string, backends []int, threads int, tls13, tls12 []string) string {
	plain := haproxyConfigFor(port, backends, threads)
	bind := "    bind " + loopback(port)
	return strings.Replace(plain, bind, bind+" ssl crt "+pemPath+" alpn http/1.1 ssl-min-ver TLSv1.2"+
		" ciphersuites "+strings.Join(tls13, ":")+" ciphers "+strings.Join(tls12, ":")+" curves "+policyGroups, 1)
}

// negotiated is what a handshake with an endpoint agreed on.
type negotiated struct {
	goClient, opensslClient string
}

// probeNegotiated says what the bench's Go handshake client and an
// OpenSSL client with its defaults (as wrk is) negotiate with address.
func probeNegotiated(ctx context.Context, address string) (negotiated, error) {
	var found negotiated
	conn, err := net.DialTimeout("tcp", address, 5*time.Second)
	if err != nil {
		return found, err
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
	client := tls.Client(conn, handshakeClient)
	if err := client.Handshake(); err != nil {
		return found, err
	}
	state := client.ConnectionState()
	found.goClient = fmt.Sprintf("%s %s %s", tls.VersionName(state.Version), tls.CipherSuiteName(state.CipherSuite), state.CurveID)

	out, err := exec.CommandContext(ctx, "openssl", "s_client", "-connect", address, "-servername", benchDomain, "-brief").CombinedOutput()
	if err != nil {
		return found, fmt.Errorf("openssl s_client: %w: %s", err, out)
	}
	var version, cipher, group, signature string
	for line := range strings.Lines(string(out)) {
		key, value, ok := strings.Cut(strings.TrimSpace(line), ":")
		if !ok {
			continue
		}
		switch value = strings.TrimSpace(value); key {
		case "Protocol version":
			version = value
		case "Ciphersuite":
			cipher = value
		case "Server Temp Key", "Negotiated TLS1.3 group":
			group, _, _ = strings.Cut(value, ",")
		case "Signature type":
			signature = value
		}
	}
	found.opensslClient = strings.Join([]string{version, cipher, group, signature}, " ")
	return found, nil
}

// benchKeyAlgorithms are the certificate keys the TLS bench measures by
// default: ACM's default and berth's.
var benchKeyAlgorithms = []string{"RSA_2048", spec.DefaultKeyAlgorithm}

// tlsRatios are berth's results over HAProxy's with one key algorithm.
type tlsRatios struct {
	keyAlgorithm                     string
	newHandshakes, resumed, requests float64
}

// goalMet says whether berth reaches the goal, 0.8× HAProxy on new
// handshakes and on HTTPS requests.
func (r tlsRatios) goalMet() bool { return r.newHandshakes >= 0.8 && r.requests >= 0.8 }

// benchTLS runs the TLS bench against berth's HTTPS listener and HAProxy
// for the key algorithm -key-algorithm names, or, by default, for each of
// benchKeyAlgorithms one after the other, and sums up the ratios.
func benchTLS(ctx context.Context, opts options, dir, berthEndpoint string, berth *child, c *clients, s *stack, backends []int) error {
	algorithms := benchKeyAlgorithms
	if opts.keyAlgorithm != "" {
		algorithms = []string{opts.keyAlgorithm}
	}
	var results []tlsRatios
	for _, keyAlgorithm := range algorithms {
		// Each key has its own certificate files and HAProxy.
		keyDir := filepath.Join(dir, keyAlgorithm)
		if err := os.MkdirAll(keyDir, 0o700); err != nil {
			return err
		}
		ratios, err := benchTLSWith(ctx, opts, keyAlgorithm, keyDir, berthEndpoint, berth, c, s, backends)
		if err != nil {
			return fmt.Errorf("%s: %w", keyAlgorithm, err)
		}
		results = append(results, ratios)
	}
	fmt.Printf("\nberth / HAProxy by certificate key   (goal: ≥ 0.80× on new handshakes and HTTPS requests)\n")
	fmt.Printf("  %-15s %15s %18s %13s  %s\n", "key algorithm", "new handshakes", "resumed handshakes", "HTTPS req/s", "goal")
	for _, r := range results {
		met := "not met"
		if r.goalMet() {
			met = "met"
		}
		if r.keyAlgorithm == spec.DefaultKeyAlgorithm {
			met += "  (berth's default key_algorithm)"
		}
		fmt.Printf("  %-15s %14.2f× %17.2f× %12.2f×  %s\n", r.keyAlgorithm, r.newHandshakes, r.resumed, r.requests, met)
	}
	return nil
}

// benchTLSWith runs the TLS bench with a certificate of keyAlgorithm.
func benchTLSWith(ctx context.Context, opts options, keyAlgorithm, dir, berthEndpoint string, berth *child, c *clients, s *stack, backends []int) (tlsRatios, error) {
	ratios := tlsRatios{keyAlgorithm: keyAlgorithm}
	acmClient := acm.NewFromConfig(c.config)
	certificateARN, pemPath, err := exportedCertificate(ctx, acmClient, keyAlgorithm, dir)
	if err != nil {
		return ratios, err
	}
	berthTLS, err := addHTTPSListener(ctx, c, s, berthEndpoint, certificateARN)
	if err != nil {
		return ratios, err
	}
	haproxyPort, err := freePort()
	if err != nil {
		return ratios, err
	}
	tls13, tls12, err := policyCiphers(ctx, c)
	if err != nil {
		return ratios, err
	}
	haproxyConfig := filepath.Join(dir, "haproxy-tls.cfg")
	if err := os.WriteFile(haproxyConfig, []byte(haproxyTLSConfigFor(haproxyPort, pemPath, backends, opts.proxyThreads, tls13, tls12)), 0o600); err != nil {
		return ratios, err
	}
	// HAProxy's plain check URL is not there: wait for its handshakes.
	haproxy, err := startChild("haproxy", nil, "haproxy", "-db", "-f", haproxyConfig)
	if err != nil {
		return ratios, err
	}
	defer haproxy.stop()
	deadline := time.Now().Add(30 * time.Second)
	for handshakeOnce(loopback(haproxyPort)) != nil {
		if time.Now().After(deadline) {
			return ratios, fmt.Errorf("haproxy does not complete handshakes within 30 s: %s", haproxy.output)
		}
		time.Sleep(100 * time.Millisecond)
	}
	endpoints := []tlsEndpoint{{"berth", berthTLS, berth}, {"haproxy", loopback(haproxyPort), haproxy}}

	fmt.Printf("\nTLS: ACM certificate %s (%s), policy %s on berth, the same PEM, the policy's ciphers and groups %s on HAProxy\n",
		benchDomain, keyAlgorithm, benchPolicy, policyGroups)
	// Like with like: both must agree on the same version, cipher and
	// group with the handshake client and with wrk's OpenSSL.
	var agreed []negotiated
	for _, endpoint := range endpoints {
		found, err := probeNegotiated(ctx, endpoint.address)
		if err != nil {
			return ratios, fmt.Errorf("%s: %w", endpoint.name, err)
		}
		fmt.Printf("negotiated with %-8s Go handshake client: %s; OpenSSL client (as wrk): %s\n", endpoint.name, found.goClient, found.opensslClient)
		agreed = append(agreed, found)
	}
	if agreed[0] != agreed[1] {
		return ratios, errors.New("berth and HAProxy negotiate differently: the comparison would not be like with like")
	}
	floor, err := measureSignatureFloor(ctx, pemPath, 3*time.Second)
	if err != nil {
		return ratios, err
	}
	fmt.Printf("signature floor (each new handshake signs once): %s\n", floor)
	fmt.Printf("handshakes: %d closed-loop Go clients, full handshakes (no resumption, X25519) and resumed ones (PSK from a session ticket), %s per run; requests: wrk -t%d -c%d -d%s over HTTPS, kept-alive; %d rounds alternating\n",
		opts.connections, opts.duration, opts.threads, opts.connections, opts.duration, opts.rounds)
	// handshakes and resumed are keyed by endpoint name.
	handshakes, resumed := map[string][]handshakeRun{}, map[string][]handshakeRun{}
	requests := map[string][]loadRun{}
	for round := 1; round <= opts.rounds; round++ {
		for _, kind := range []struct {
			label  string
			resume bool
			runs   map[string][]handshakeRun
		}{{"new handshakes/s", false, handshakes}, {"resumed/s", true, resumed}} {
			for _, endpoint := range endpoints {
				configs := slices.Repeat([]*tls.Config{handshakeClient}, opts.connections)
				if kind.resume {
					if configs, err = resumingClients(endpoint.address, opts.connections); err != nil {
						return ratios, fmt.Errorf("%s: %w", endpoint.name, err)
					}
				}
				load := loadAverage()
				cpuBefore := endpoint.measured.cpuTime()
				run := runHandshakes(ctx, endpoint.address, configs, opts.duration)
				run.cpuPerHandshake = (endpoint.measured.cpuTime() - cpuBefore) / time.Duration(max(1, run.handshakes))
				if run.failures > 0 && run.handshakes == 0 {
					return ratios, fmt.Errorf("%s: every handshake failed", endpoint.name)
				}
				kind.runs[endpoint.name] = append(kind.runs[endpoint.name], run)
				fmt.Printf("  round %d  %-8s %8.0f %-16s %6.0f µs CPU/handshake  failures %d, not resumed %d  (load before %s)\n",
					round, endpoint.name, run.perSecond, kind.label, float64(run.cpuPerHandshake)/float64(time.Microsecond), run.failures, run.notResumed, load)
			}
		}
		for _, endpoint := range endpoints {
			load := loadAverage()
			cpuBefore := endpoint.measured.cpuTime()
			measured, err := runWrk(ctx, "https://"+endpoint.address+"/", opts.threads, opts.connections, opts.duration)
			if err != nil {
				return ratios, err
			}
			measured.cpuPerRequest = (endpoint.measured.cpuTime() - cpuBefore) / time.Duration(max(1, measured.requests))
			requests[endpoint.name] = append(requests[endpoint.name], measured)
			fmt.Printf("  round %d  %-8s %8.0f HTTPS req/s  p50 %7s  p99 %7s  %5.1f µs CPU/req  failures %d  (load before %s)\n",
				round, endpoint.name, measured.requestsPerSecond, ms(measured.p50), ms(measured.p99),
				float64(measured.cpuPerRequest)/float64(time.Microsecond), measured.failures, load)
		}
	}
	meanHandshakes := func(of map[string][]handshakeRun, name string) (perSecond float64, cpu time.Duration) {
		runs := of[name]
		for _, run := range runs {
			perSecond += run.perSecond / float64(len(runs))
			cpu += run.cpuPerHandshake / time.Duration(len(runs))
		}
		return perSecond, cpu
	}
	berthHandshakes, berthCPU := meanHandshakes(handshakes, "berth")
	haproxyHandshakes, haproxyCPU := meanHandshakes(handshakes, "haproxy")
	berthResumed, berthResumedCPU := meanHandshakes(resumed, "berth")
	haproxyResumed, haproxyResumedCPU := meanHandshakes(resumed, "haproxy")
	berthRequests, haproxyRequests := meanRun(requests["berth"]), meanRun(requests["haproxy"])
	fmt.Printf("\n  means          handshakes/s  CPU/handshake     resumed/s  CPU/resumed   HTTPS req/s      p99   CPU/req\n")
	fmt.Printf("  berth          %12.0f  %10.0f µs  %12.0f  %8.0f µs  %12.0f  %7s  %5.1f µs\n", berthHandshakes, float64(berthCPU)/1e3,
		berthResumed, float64(berthResumedCPU)/1e3,
		berthRequests.requestsPerSecond, ms(berthRequests.p99), float64(berthRequests.cpuPerRequest)/1e3)
	fmt.Printf("  haproxy        %12.0f  %10.0f µs  %12.0f  %8.0f µs  %12.0f  %7s  %5.1f µs\n", haproxyHandshakes, float64(haproxyCPU)/1e3,
		haproxyResumed, float64(haproxyResumedCPU)/1e3,
		haproxyRequests.requestsPerSecond, ms(haproxyRequests.p99), float64(haproxyRequests.cpuPerRequest)/1e3)
	if haproxyHandshakes == 0 || haproxyResumed == 0 || haproxyRequests.requestsPerSecond == 0 {
		return ratios, errors.New("haproxy measured nothing")
	}
	fmt.Printf("  signature floor: %s\n", floor)
	fmt.Printf("  berth/HAProxy: new handshakes %.2f×, resumed handshakes %.2f×, HTTPS requests %.2f× (p99 %.2f×)   (goal: ≥ 0.80× on new handshakes and requests)\n",
		berthHandshakes/haproxyHandshakes, berthResumed/haproxyResumed, berthRequests.requestsPerSecond/haproxyRequests.requestsPerSecond,
		float64(berthRequests.p99)/float64(max(1, haproxyRequests.p99)))
	ratios.newHandshakes, ratios.resumed = berthHandshakes/haproxyHandshakes, berthResumed/haproxyResumed
	ratios.requests = berthRequests.requestsPerSecond / haproxyRequests.requestsPerSecond
	return ratios, nil
}

// signatureFloor is what one full handshake's signature costs each
// proxy's crypto library on its own, in CPU time: Go's, signing with the
// very key the listener serves as crypto/tls does (RSA-PSS with SHA-256,
// or ECDSA with SHA-256), and OpenSSL's (`openssl speed`, which divides by
// CPU user time, with a key of the same kind and size). Every new
// handshake signs once, so their difference bounds how close berth's new
// handshakes can come to HAProxy's whatever the listener does around them.
type signatureFloor struct {
	operation      string
	goCPU, openSSL time.Duration
}

// measureSignatureFloor measures both for about duration each.
func measureSignatureFloor(ctx context.Context, pemPath string, duration time.Duration) (signatureFloor, error) {
	bundle, err := os.ReadFile(pemPath)
	if err != nil {
		return signatureFloor{}, err
	}
	var key crypto.Signer
	for rest := bundle; key == nil; {
		var block *pem.Block
		if block, rest = pem.Decode(rest); block == nil {
			return signatureFloor{}, errors.New("no private key in " + pemPath)
		}
		if block.Type == "PRIVATE KEY" {
			parsed, err := x509.ParsePKCS8PrivateKey(block.Bytes)
			if err != nil {
				return signatureFloor{}, err
			}
			signer, ok := parsed.(crypto.Signer)
			if !ok {
				return signatureFloor{}, fmt.Errorf("the exported key (%T) cannot sign", parsed)
			}
			key = signer
		}
	}
	var floor signatureFloor
	var options crypto.SignerOpts = crypto.SHA256
	var speedAlgorithm, speedRecord string
	switch public := key.Public().(type) {
	case *rsa.PublicKey:
		options = &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash, Hash: crypto.SHA256}
		floor.operation = fmt.Sprintf("RSA-PSS %d signature", public.N.BitLen())
		speedAlgorithm, speedRecord = fmt.Sprintf("rsa%d", public.N.BitLen()), "+F2:"
	case *ecdsa.PublicKey:
		bits := public.Curve.Params().BitSize
		floor.operation = fmt.Sprintf("ECDSA P-%d signature", bits)
		speedAlgorithm, speedRecord = fmt.Sprintf("ecdsap%d", bits), "+F4:"
	default:
		return signatureFloor{}, fmt.Errorf("no floor for a %T key", public)
	}

	digest := sha256.Sum256([]byte("a handshake's transcript"))
	signatures := 0
	cpuBefore := ownCPU()
	for start := time.Now(); time.Since(start) < duration; signatures++ {
		if _, err := key.Sign(rand.Reader, digest[:], options); err != nil {
			return signatureFloor{}, err
		}
	}
	floor.goCPU = (ownCPU() - cpuBefore) / time.Duration(signatures)

	// -mr prints "+F2:<n>:<bits>:<sign/s>:<verify/s>" for RSA, "+F4:…" for
	// ECDSA.
	out, err := exec.CommandContext(ctx, "openssl", "speed", "-mr", "-seconds", strconv.Itoa(int(duration.Seconds())), speedAlgorithm).CombinedOutput()
	if err != nil {
		return signatureFloor{}, fmt.Errorf("openssl speed %s: %w: %s", speedAlgorithm, err, out)
	}
	for line := range strings.Lines(string(out)) {
		if fields := strings.Split(strings.TrimSpace(line), ":"); strings.HasPrefix(line, speedRecord) && len(fields) == 5 {
			if perSecond, err := strconv.ParseFloat(fields[3], 64); err == nil && perSecond > 0 {
				floor.openSSL = time.Duration(float64(time.Second) / perSecond)
			}
		}
	}
	if floor.openSSL == 0 {
		return signatureFloor{}, fmt.Errorf("openssl speed %s: no %s line in:\n%s", speedAlgorithm, speedRecord, out)
	}
	return floor, nil
}

// ownCPU is the CPU time (user and system) the bench process has used.
func ownCPU() time.Duration {
	var usage syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &usage); err != nil {
		return 0
	}
	return time.Duration(usage.Utime.Nano() + usage.Stime.Nano())
}

func (f signatureFloor) String() string {
	return fmt.Sprintf("%s costs Go %.0f µs of CPU, OpenSSL %.0f µs (openssl speed): Go/OpenSSL %.2f×",
		f.operation, float64(f.goCPU)/1e3, float64(f.openSSL)/1e3, float64(f.goCPU)/float64(f.openSSL))
}
