// Command alb measures berth's load balancer side by side with HAProxy, and
// berth's control plane side by side with moto_server.
//
// Data plane: two trivial Go backends on loopback; berth local with a target
// group of the two behind a listener, created through the AWS SDK; HAProxy
// (Debian's, installed when missing) as the same round-robin proxy with
// kept-alive, reused backend connections; wrk (installed when missing)
// through berth, through HAProxy and straight to one backend, alternating,
// each run bounded in time and connections.
//
// Control plane: the same small stack created in berth local and in
// moto_server, then a closed-loop read mix (ECS DescribeClusters, EC2
// DescribeSecurityGroups, ELBv2 DescribeTargetGroups) through the SDK.
//
// TLS (-tls, tls.go): berth's HTTPS listener serving an ACM certificate
// beside HAProxy terminating TLS with the same certificate and key: new
// and resumed handshakes per second and HTTPS requests per second.
//
// Run it from the repository: go run ./bench/alb (or make bench-alb).
package main

import (
	"context"
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"
)

type options struct {
	duration    time.Duration
	connections int
	threads     int
	rounds      int
	mixDuration time.Duration
	mixWorkers  int
	skipMix     bool
	skipALB     bool
	// mixClient is how the read mix is sent: sdk, replay or both.
	mixClient string
	// proxyThreads is HAProxy's nbthread and berth's GOMAXPROCS; 0 leaves
	// each at its default (both: one per CPU).
	proxyThreads int
	// warmUp is an unmeasured wrk run against each target before the
	// first round: connection pools fill and the Go runtime sizes its heap
	// and threads, which otherwise makes berth's first round its slowest.
	warmUp time.Duration
	// tls runs the TLS bench instead (tls.go); keyAlgorithm is its
	// certificate's, or empty for each of benchKeyAlgorithms.
	tls          bool
	keyAlgorithm string
}

func main() {
	if len(os.Args) == 3 && os.Args[1] == "backend" {
		serveBackend(os.Args[2])
		return
	}
	var opts options
	flag.DurationVar(&opts.duration, "duration", 10*time.Second, "length of each wrk run")
	flag.IntVar(&opts.connections, "connections", 32, "wrk connections")
	flag.IntVar(&opts.threads, "threads", 2, "wrk threads")
	flag.IntVar(&opts.rounds, "rounds", 2, "runs of each proxy, alternating")
	flag.DurationVar(&opts.mixDuration, "mix-duration", 5*time.Second, "length of each control-plane read-mix run")
	flag.IntVar(&opts.mixWorkers, "mix-workers", 4, "concurrent callers of the read mix")
	flag.BoolVar(&opts.skipMix, "skip-mix", false, "measure the data plane only")
	flag.BoolVar(&opts.skipALB, "skip-alb", false, "measure the control plane only")
	flag.StringVar(&opts.mixClient, "mix-client", "both", "how the read mix is sent: sdk (the AWS SDK for Go v2), replay (requests signed once by the SDK, replayed by a lean HTTP client), or both")
	flag.DurationVar(&opts.warmUp, "warmup", 3*time.Second, "unmeasured wrk run against each target before the first round (0: none)")
	flag.IntVar(&opts.proxyThreads, "proxy-threads", 0, "HAProxy's nbthread and berth local's GOMAXPROCS (0: each one's default, a thread per CPU)")
	flag.BoolVar(&opts.tls, "tls", false, "measure TLS termination instead: new and resumed handshakes and HTTPS requests per second, berth's HTTPS listener beside HAProxy")
	flag.StringVar(&opts.keyAlgorithm, "key-algorithm", "", "the ACM certificate's key algorithm for -tls (RSA_2048, EC_prime256v1, EC_secp384r1); by default RSA_2048 and then EC_prime256v1, berth's default, with the ratios of both")
	flag.Parse()
	if opts.duration < time.Second || opts.duration > 5*time.Minute || opts.connections < 1 || opts.connections > 1024 ||
		opts.threads < 1 || opts.threads > opts.connections || opts.rounds < 1 || opts.rounds > 10 ||
		opts.mixDuration < time.Second || opts.mixDuration > 5*time.Minute || opts.mixWorkers < 1 || opts.mixWorkers > 64 || (opts.skipALB && opts.skipMix) ||
		(opts.mixClient != "sdk" && opts.mixClient != "replay" && opts.mixClient != "both") ||
		opts.proxyThreads < 0 || opts.proxyThreads > 64 || (opts.warmUp != 0 && (opts.warmUp < time.Second || opts.warmUp > time.Minute)) {
		fmt.Fprintln(os.Stderr, "alb: -duration and -mix-duration must be within 1s..5m, -connections 1..1024, -threads 1..connections, -rounds 1..10, -mix-workers 1..64, -proxy-threads 0..64, -warmup 0 or 1s..1m, -mix-client sdk, replay or both, and not both -skip-alb and -skip-mix")
		os.Exit(2)
	}
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer cancel()
	if err := run(ctx, opts); err != nil {
		fmt.Fprintln(os.Stderr, "alb:", err)
		os.Exit(1)
	}
}

// serveBackend is a trivial backend: a short fixed body, kept-alive
// connections, nothing else, so the proxies are what is measured.
func serveBackend(addr string) {
	body := []byte("hello from " + addr + "\n")
	server := &http.Server{Addr: addr, ReadHeaderTimeout: 10 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		_, _ = w.Write(body)
	})}
	if err := server.ListenAndServe(); err != nil {
		fmt.Fprintln(os.Stderr, "backend:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, opts options) error {
	root, err := moduleRoot()
	if err != nil {
		return err
	}
	if err := ensureTools(root); err != nil {
		return err
	}
	var motoPath string
	if !opts.skipMix && !opts.tls {
		if motoPath, err = exec.LookPath("moto_server"); err != nil {
			return fmt.Errorf("moto_server is not on PATH (pip install 'moto[server]'), or pass -skip-mix: %w", err)
		}
	}
	dir, err := os.MkdirTemp("", "berth-bench-alb-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	berthBinary, err := buildBerth(ctx, root, dir)
	if err != nil {
		return err
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}

	printMachine()

	var children []*child
	defer func() {
		for i := len(children) - 1; i >= 0; i-- {
			children[i].stop()
		}
	}()
	startAndWait := func(name, url string, want int, env []string, path string, args ...string) (*child, error) {
		c, err := startChild(name, env, path, args...)
		if err != nil {
			return nil, err
		}
		children = append(children, c)
		return c, c.waitHTTP(url, want)
	}

	var backends []int
	var firstBackend *child
	for _, name := range []string{"backend 1", "backend 2"} {
		port, err := freePort()
		if err != nil {
			return err
		}
		backend, err := startAndWait(name, "http://"+loopback(port)+"/", http.StatusOK, nil, self, "backend", loopback(port))
		if err != nil {
			return err
		}
		if firstBackend == nil {
			firstBackend = backend
		}
		backends = append(backends, port)
	}

	berthPort, err := freePort()
	if err != nil {
		return err
	}
	berthEndpoint := "http://" + loopback(berthPort)
	var berthEnv []string
	if opts.proxyThreads > 0 {
		berthEnv = []string{fmt.Sprintf("GOMAXPROCS=%d", opts.proxyThreads)}
	}
	berth, err := startAndWait("berth local", berthEndpoint+"/_berth/health", http.StatusOK,
		berthEnv, berthBinary, "local", "--ephemeral", "--addr", loopback(berthPort))
	if err != nil {
		return err
	}
	berthClients, err := newClients(ctx, berthEndpoint)
	if err != nil {
		return err
	}
	listenerPort, err := freePort()
	if err != nil {
		return err
	}
	berthStack, err := createStack(ctx, berthClients, backends, listenerPort)
	if err != nil {
		return fmt.Errorf("berth local: %w", err)
	}
	if err := waitHealthy(ctx, berthClients, berthStack); err != nil {
		return fmt.Errorf("berth local: %w", err)
	}
	berthListener, err := listenerAddress(berthEndpoint, berthStack.listenerARN)
	if err != nil {
		return err
	}

	// What berth local spends with no request at all: its background loops
	// share the cores with everything measured below.
	idleBefore, idleFrom := berth.cpuTime(), time.Now()
	time.Sleep(3 * time.Second)
	fmt.Printf("\nberth local at rest with the stack: %.1f%% of a core\n",
		100*float64(berth.cpuTime()-idleBefore)/float64(time.Since(idleFrom)))

	if opts.tls {
		return benchTLS(ctx, opts, dir, berthEndpoint, berth, berthClients, berthStack, backends)
	}
	if !opts.skipALB {
		if err := benchDataPlane(ctx, opts, dir, berth, berthListener, backends, firstBackend, startAndWait); err != nil {
			return err
		}
	}
	if opts.skipMix {
		return nil
	}
	return benchControlPlane(ctx, opts, motoPath, backends, berthEndpoint, berth, berthClients, berthStack, startAndWait)
}

// starter starts a child process and waits until url answers with want.
type starter func(name, url string, want int, env []string, path string, args ...string) (*child, error)

// benchDataPlane runs wrk through berth's listener, through HAProxy and
// straight to the first backend, alternating.
func benchDataPlane(ctx context.Context, opts options, dir string, berth *child, berthListener string,
	backends []int, firstBackend *child, startAndWait starter) error {
	haproxyPort, err := freePort()
	if err != nil {
		return err
	}
	haproxyConfig := filepath.Join(dir, "haproxy.cfg")
	if err := os.WriteFile(haproxyConfig, []byte(haproxyConfigFor(haproxyPort, backends, opts.proxyThreads)), 0o600); err != nil {
		return err
	}
	haproxy, err := startAndWait("haproxy", "http://"+loopback(haproxyPort)+"/", http.StatusOK, nil, "haproxy", "-db", "-f", haproxyConfig)
	if err != nil {
		return err
	}

	// measured is the process whose CPU time per request is reported: the
	// proxy, or the backend when wrk goes straight to it.
	targets := []struct {
		name, url string
		measured  *child
	}{
		{"berth", "http://" + berthListener + "/", berth},
		{"haproxy", "http://" + loopback(haproxyPort) + "/", haproxy},
		{"direct", "http://" + loopback(backends[0]) + "/", firstBackend},
	}
	fmt.Printf("\ndata plane: wrk -t%d -c%d -d%s --latency, two Go backends on loopback, %d rounds alternating\n",
		opts.threads, opts.connections, opts.duration, opts.rounds)
	fmt.Printf("proxy threads: HAProxy %d (nbthread %s), berth local GOMAXPROCS %s, %d OS threads\n",
		haproxy.threads(), orDefault(opts.proxyThreads), orDefault(opts.proxyThreads), berth.threads())
	if opts.warmUp > 0 {
		fmt.Printf("warm-up: wrk for %s against each, not measured\n", opts.warmUp)
		for _, target := range targets {
			if _, err := runWrk(ctx, target.url, opts.threads, opts.connections, opts.warmUp); err != nil {
				return err
			}
		}
	}
	results := map[string][]loadRun{}
	for round := 1; round <= opts.rounds; round++ {
		for _, target := range targets {
			load := loadAverage()
			cpuBefore := target.measured.cpuTime()
			measured, err := runWrk(ctx, target.url, opts.threads, opts.connections, opts.duration)
			if err != nil {
				return err
			}
			measured.cpuPerRequest = (target.measured.cpuTime() - cpuBefore) / time.Duration(max(1, measured.requests))
			results[target.name] = append(results[target.name], measured)
			fmt.Printf("  round %d  %-8s %9.0f req/s  p50 %7s  p99 %7s  %5.1f µs CPU/req  failures %d  (load before %s)\n",
				round, target.name, measured.requestsPerSecond, ms(measured.p50), ms(measured.p99),
				float64(measured.cpuPerRequest)/float64(time.Microsecond), measured.failures, load)
		}
	}
	fmt.Printf("\n  mean of %d runs   req/s      p50      p99   CPU/req (of the proxy; of the backend for direct)\n", opts.rounds)
	means := map[string]loadRun{}
	for _, target := range targets {
		mean := meanRun(results[target.name])
		means[target.name] = mean
		fmt.Printf("  %-14s %9.0f  %7s  %7s  %5.1f µs\n", target.name, mean.requestsPerSecond, ms(mean.p50), ms(mean.p99),
			float64(mean.cpuPerRequest)/float64(time.Microsecond))
	}
	fmt.Printf("  berth/HAProxy: throughput %.2f×, p50 %.2f×, p99 %.2f×   (goal: throughput ≥ 0.80×, p99 ≤ 1.50×)\n",
		means["berth"].requestsPerSecond/means["haproxy"].requestsPerSecond,
		float64(means["berth"].p50)/float64(means["haproxy"].p50),
		float64(means["berth"].p99)/float64(means["haproxy"].p99))
	return nil
}

// benchControlPlane creates the stack in moto_server too and runs the read
// mix against both.
func benchControlPlane(ctx context.Context, opts options, motoPath string, backends []int,
	berthEndpoint string, berth *child, berthClients *clients, berthStack *stack, startAndWait starter) error {
	motoPort, err := freePort()
	if err != nil {
		return err
	}
	motoEndpoint := "http://" + loopback(motoPort)
	moto, err := startAndWait("moto_server", motoEndpoint+"/moto-api/", http.StatusOK, nil, motoPath, "-H", "127.0.0.1", "-p", fmt.Sprint(motoPort))
	if err != nil {
		return err
	}
	motoClients, err := newClients(ctx, motoEndpoint)
	if err != nil {
		return err
	}
	motoListenerPort, err := freePort()
	if err != nil {
		return err
	}
	motoStack, err := createStack(ctx, motoClients, backends, motoListenerPort)
	if err != nil {
		return fmt.Errorf("moto_server: %w", err)
	}
	return measureMix(ctx, opts, []mixEndpoint{
		{name: "berth local", endpoint: berthEndpoint, server: berth, clients: berthClients, stack: berthStack},
		{name: "moto_server", endpoint: motoEndpoint, server: moto, clients: motoClients, stack: motoStack},
	})
}

// haproxyConfigFor is the HAProxy equivalent of the berth stack: one
// frontend, round robin over the two backends with health checks, kept-alive
// and reused connections to them, X-Forwarded-For added.
func haproxyConfigFor(port int, backends []int, threads int) string {
	var servers strings.Builder
	for i, backend := range backends {
		fmt.Fprintf(&servers, "    server target%d %s check inter 5s\n", i+1, loopback(backend))
	}
	nbthread := ""
	if threads > 0 {
		nbthread = fmt.Sprintf("    nbthread %d\n", threads)
	}
	return fmt.Sprintf(`global
    maxconn 4096
%sdefaults
    mode http
    timeout connect 10s
    timeout client 60s
    timeout server 60s
    timeout http-keep-alive 60s
    option http-keep-alive
    option forwardfor
    http-reuse always
frontend bench
    bind %s
    default_backend targets
backend targets
    balance roundrobin
%s`, nbthread, loopback(port), servers.String())
}

func orDefault(threads int) string {
	if threads == 0 {
		return "default"
	}
	return fmt.Sprint(threads)
}

func meanRun(runs []loadRun) loadRun {
	var mean loadRun
	for _, r := range runs {
		mean.requestsPerSecond += r.requestsPerSecond / float64(len(runs))
		mean.p50 += r.p50 / time.Duration(len(runs))
		mean.p99 += r.p99 / time.Duration(len(runs))
		mean.cpuPerRequest += r.cpuPerRequest / time.Duration(len(runs))
		mean.failures += r.failures
	}
	return mean
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2fms", float64(d)/float64(time.Millisecond)) }

func micros(d time.Duration) string {
	return fmt.Sprintf("%.0f µs", float64(d)/float64(time.Microsecond))
}

func loadAverage() string {
	raw, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	fields := strings.Fields(string(raw))
	if len(fields) < 3 {
		return "?"
	}
	return strings.Join(fields[:3], " ")
}

// printMachine says what the figures were measured on.
func printMachine() {
	model := "?"
	if raw, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(raw), "\n") {
			if name, value, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(name) == "model name" {
				model = strings.TrimSpace(value)
				break
			}
		}
	}
	haproxyVersion, _ := exec.Command("haproxy", "-v").Output()
	fmt.Printf("berth bench-alb  %s\n", time.Now().UTC().Format("2006-01-02 15:04 MST"))
	fmt.Printf("machine: %d CPUs (nproc), %s, %s/%s, load %s\n", runtime.NumCPU(), model, runtime.GOOS, runtime.GOARCH, loadAverage())
	fmt.Printf("tools: %s, %s\n", strings.SplitN(strings.TrimSpace(string(haproxyVersion)), "\n", 2)[0], runtime.Version())
}
