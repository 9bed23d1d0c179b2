package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/berthdev/berth/internal/localcloud"
	"github.com/berthdev/berth/internal/localcloud/runtime"
	"github.com/berthdev/berth/internal/spec"
	"github.com/berthdev/berth/internal/stack"
)

type upOptions struct {
	global *globalOptions
	io     IOStreams
	File   string
	NoLogs bool
	// SkipDoctor deploys even when doctor's checks of berth.yaml fail.
	SkipDoctor bool
	StateDir   string
	// TimeScale applies to the local cloud berth up starts itself.
	TimeScale float64
}

// NewUpCmd builds `berth up`: the whole stack on the local cloud, in one go.
func NewUpCmd(io IOStreams, global *globalOptions) *cobra.Command {
	opts := &upOptions{global: global, io: io}
	cmd := &cobra.Command{
		Use:   "up",
		Short: "Run the stack on the local cloud: start it, deploy, print the URL and stream the logs",
		Long: `Run the stack on berth's local cloud. berth up uses the local cloud listening on
127.0.0.1:4566 (or --endpoint-url) when there is one, and otherwise starts one
in this process; registers the process image from berth.yaml's local: section;
deploys; prints the service URL; and streams the tasks' logs. Ctrl-C stops
the tasks and the local cloud it started.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runUp(cmd.Context(), opts)
		},
	}
	addFileFlag(cmd, &opts.File)
	cmd.Flags().BoolVar(&opts.NoLogs, "no-logs", false, "return after the deploy instead of streaming logs")
	cmd.Flags().StringVar(&opts.StateDir, "state-dir", defaultStateDir(), "state directory of the running local cloud, where its admin token is")
	addTimeScaleFlag(cmd, &opts.TimeScale)
	addSkipDoctorFlag(cmd, &opts.SkipDoctor)
	return cmd
}

func runUp(ctx context.Context, opts *upOptions) error {
	s, err := spec.Load(opts.File)
	if err != nil {
		return err
	}
	if err := checkTimeScale(opts.TimeScale); err != nil {
		return err
	}
	if s.Local == nil && s.Service.Build == nil {
		return usageErrorf("%s has no local: section, so the local cloud cannot run %s without a container; add local.command, or image.build to build it with Docker (see examples/fastapi/berth.yaml)", s.File, s.Service.Image)
	}

	endpoint := endpointURL(opts.global)
	var stopCloud func()
	var token string  // the admin token, which registering the process image needs
	var rootCA []byte // the root of an in-process cloud, which has no state dir
	switch {
	case endpoint != "":
		if !isLocalCloud(ctx, endpoint) {
			return fmt.Errorf("%s is not a berth local cloud: berth up runs stacks locally; use berth deploy for AWS", endpoint)
		}
	case isLocalCloud(ctx, "http://"+DefaultLocalAddr):
		endpoint = "http://" + DefaultLocalAddr
		fmt.Fprintf(opts.io.ErrOut, "Using the local cloud already running at %s\n", endpoint)
	default:
		endpoint, token, rootCA, stopCloud, err = startLocalCloud(ctx, opts.io, opts.TimeScale)
		if err != nil {
			return err
		}
		defer stopCloud()
	}
	if token == "" {
		if token, err = readAdminToken(opts.StateDir); err != nil {
			return err
		}
	}

	built, err := buildForUp(ctx, opts.io, s)
	if err != nil {
		return err
	}
	if !built {
		img := runtime.ProcessImage{Name: s.Service.Image, Dir: s.Local.Dir, Command: s.Local.Command, Env: s.Local.Env}
		if _, err := registerImage(ctx, endpoint, token, img); err != nil {
			return err
		}
	}
	global := *opts.global
	global.EndpointURL = endpoint
	cfg, err := loadAWSConfig(ctx, &global, s)
	if err != nil {
		return err
	}
	if err := preflight(ctx, opts.io, cfg, s, opts.SkipDoctor); err != nil {
		return err
	}
	tl := newTimeline(opts.io, outputText)
	outputs, err := deploy(ctx, opts.io, cfg, s, true, true, tl)
	if err != nil {
		return err
	}
	// For plan --estimate; a deploy that worked is not failed by the record.
	if err := saveLocalTimings(opts.StateDir, cfg.Region, s, tl, time.Now()); err != nil {
		fmt.Fprintf(opts.io.ErrOut, "could not record the deploy's times for berth plan --estimate: %v\n", err)
	}
	printLocalURLs(ctx, opts.io, endpoint, token, s, outputs)
	if s.LoadBalancer.HTTPS != nil {
		root, err := localRootCA(ctx, endpoint, token, opts.StateDir, rootCA)
		if err != nil {
			fmt.Fprintf(opts.io.ErrOut, "could not find the local CA's root certificate: %v\n", err)
		} else {
			printTrust(ctx, opts.io, endpoint, token, s, outputs, root)
		}
	}
	if opts.NoLogs {
		return nil
	}
	fmt.Fprintln(opts.io.ErrOut, "Streaming logs; Ctrl-C stops.")
	err = tailLogs(ctx, opts.io, cfg, logQuery{Group: outputs.LogGroup, Since: time.Minute, Follow: true})
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}

// buildForUp builds berth.yaml's image.build with the Docker Engine and
// points the spec at the image built, which the local cloud then runs as a
// container. Without an Engine it reports false, and berth up runs the
// process image of local: instead.
func buildForUp(ctx context.Context, io IOStreams, s *spec.Spec) (bool, error) {
	if s.Service.Build == nil {
		return false, nil
	}
	cli, err := runtime.ConnectEngine(ctx)
	if err != nil {
		if s.Local == nil {
			return false, fmt.Errorf("image.build needs a Docker Engine (%v); start one, or add a local: section to run the service as a process", err)
		}
		fmt.Fprintf(io.ErrOut, "No Docker Engine to build %s with (%v): running the process image of local: instead\n", s.Service.Image, err)
		return false, nil
	}
	defer cli.Close()
	ref, _, err := buildImage(ctx, io, cli, s.Service.Build, imageRepository(s.Service.Image))
	if err != nil {
		return false, err
	}
	s.Service.Image = ref
	return true, nil
}

// startLocalCloud serves an ephemeral local cloud on the default address
// until the returned stop function is called; it hands back the cloud's
// admin token directly.
func startLocalCloud(ctx context.Context, io IOStreams, timeScale float64) (endpoint, token string, rootCA []byte, stop func(), err error) {
	ln, err := net.Listen("tcp", DefaultLocalAddr)
	if err != nil {
		return "", "", nil, nil, fmt.Errorf("starting the local cloud on %s: %w", DefaultLocalAddr, err)
	}
	logger := slog.New(slog.NewTextHandler(io.ErrOut, &slog.HandlerOptions{Level: slog.LevelWarn}))
	cloud, err := localcloud.New(localcloud.Options{Logger: logger, TimeScale: timeScale})
	if err != nil {
		ln.Close()
		return "", "", nil, nil, err
	}
	serveCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan error, 1)
	go func() { done <- cloud.Serve(serveCtx, ln) }()
	endpoint = "http://" + ln.Addr().String()
	fmt.Fprintf(io.ErrOut, "Started a local cloud at %s (ephemeral: it stops with berth up)\n", endpoint)
	stop = func() {
		fmt.Fprintln(io.ErrOut, "Stopping the tasks and the local cloud…")
		cancel()
		if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
			fmt.Fprintf(io.ErrOut, "local cloud: %v\n", err)
		}
		if err := cloud.Close(); err != nil {
			fmt.Fprintf(io.ErrOut, "local cloud: %v\n", err)
		}
	}
	return endpoint, cloud.AdminToken(), cloud.ACM.RootCAPEM(), stop, nil
}

// printLocalURLs prints where the load balancer really listens: its own
// port when it could bind it, else the port it was mapped to, plus the DNS
// name, which browsers and curl resolve to loopback (*.localhost).
func printLocalURLs(ctx context.Context, io IOStreams, endpoint, token string, s *spec.Spec, outputs *stack.Outputs) {
	listeners, err := fetchListeners(ctx, endpoint, token)
	if err != nil {
		fmt.Fprintf(io.ErrOut, "could not list the load balancer's listeners: %v\n", err)
		return
	}
	scheme, port := "http", s.LoadBalancer.Port
	if h := s.LoadBalancer.HTTPS; h != nil {
		scheme, port = "https", h.Port
	}
	l := listenerOn(listeners, outputs.LoadBalancerDNS, port)
	if l == nil {
		return
	}
	url := scheme + "://" + trimDefaultPort(scheme, l.Address) + "/"
	fmt.Fprintf(io.Out, "\nThe service answers through its load balancer at:\n  %s\n  %sdocs  (the FastAPI docs, when the service is FastAPI)\n", url, url)
	if scheme == "https" {
		if h := s.LoadBalancer.HTTPS; h.RedirectHTTP {
			if plain := listenerOn(listeners, outputs.LoadBalancerDNS, s.LoadBalancer.Port); plain != nil {
				fmt.Fprintf(io.Out, "  http://%s/ answers 301 to HTTPS\n", trimDefaultPort("http", plain.Address))
			}
		}
		return // the certificate does not name the load balancer; printTrust says how to reach it
	}
	fmt.Fprintf(io.Out, "  http://%s/ also works from browsers and curl when port %d is bound\n", hostPort(l.DNSName, l.Port), l.Port)
}

func listenerOn(listeners []listenerInfo, dns string, port int) *listenerInfo {
	for i, l := range listeners {
		if l.DNSName == dns && l.Port == port {
			return &listeners[i]
		}
	}
	return nil
}

// trimDefaultPort drops the scheme's own port from host:port.
func trimDefaultPort(scheme, address string) string {
	if scheme == "https" {
		return strings.TrimSuffix(address, ":443")
	}
	return strings.TrimSuffix(address, ":80")
}

func hostPort(host string, port int) string {
	if port == 80 {
		return host
	}
	return fmt.Sprintf("%s:%d", host, port)
}

type listenerInfo struct {
	ListenerARN string `json:"listenerArn"`
	DNSName     string `json:"dnsName"`
	Port        int    `json:"port"`
	Address     string `json:"address"`
}

// getAdmin GETs one of the local cloud's own /_berth routes, with the
// admin token when there is one.
func getAdmin(ctx context.Context, endpoint, token, path string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(endpoint, "/")+path, nil)
	if err != nil {
		return nil, err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return http.DefaultClient.Do(req)
}

// fetchListeners reads the listeners; the admin token lets it through a
// local cloud that requires signed requests.
func fetchListeners(ctx context.Context, endpoint, token string) ([]listenerInfo, error) {
	resp, err := getAdmin(ctx, endpoint, token, "/_berth/listeners")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var reply struct {
		Listeners []listenerInfo `json:"listeners"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&reply); err != nil {
		return nil, fmt.Errorf("decoding listeners: %w", err)
	}
	return reply.Listeners, nil
}
