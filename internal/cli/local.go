package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/berthdev/berth/internal/localcloud"
	"github.com/berthdev/berth/internal/localcloud/protocol"
	"github.com/berthdev/berth/internal/localcloud/runtime"
)

// DefaultLocalAddr is where the local cloud listens, the port AWS tools'
// local endpoints conventionally use.
const DefaultLocalAddr = "127.0.0.1:4566"

type localOptions struct {
	io           IOStreams
	Addr         string
	StateDir     string
	Ephemeral    bool
	Verbose      bool
	CORSOrigins  []string
	Hostnames    []string
	AllowRemote  bool
	RequireSigV4 []string
	Account      string
	TimeScale    float64
	Runtime      string
}

// NewLocalCmd builds `berth local`: run the local cloud in the foreground.
func NewLocalCmd(io IOStreams) *cobra.Command {
	opts := &localOptions{io: io}
	cmd := &cobra.Command{
		Use:   "local",
		Short: "Run the local cloud: an AWS-compatible endpoint that really runs tasks and routes traffic",
		Long: `Run berth's local cloud in the foreground. It answers the AWS APIs of ECS, EC2,
ELBv2, Auto Scaling, IAM, STS, SSM and CloudWatch Logs on one endpoint, runs
tasks as local processes and routes HTTP through its load balancers.

Point any AWS tool at it with --endpoint-url http://127.0.0.1:4566 (or
AWS_ENDPOINT_URL). Listeners bind to 127.0.0.1 only.

It obeys local tools only: requests from web pages (an Origin header) and
requests under a foreign Host name (DNS rebinding) are refused with 403, and
writing process images needs the admin token it writes to the state
directory at every start. --addr on a non-loopback address needs
--allow-remote and --require-sigv4: every request must then be signed.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runLocal(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.Addr, "addr", DefaultLocalAddr, "address of the AWS endpoint")
	cmd.Flags().StringVar(&opts.StateDir, "state-dir", defaultStateDir(), "directory that keeps the state across restarts")
	cmd.Flags().BoolVar(&opts.Ephemeral, "ephemeral", false, "keep state in a temporary directory, removed on exit")
	cmd.Flags().BoolVarP(&opts.Verbose, "verbose", "v", false, "log every API call (time, account, region, service, operation, status, error code, duration)")
	cmd.Flags().StringArrayVar(&opts.CORSOrigins, "cors-origin", nil, "let web pages of this origin (scheme://host[:port]) call the endpoint (repeatable)")
	cmd.Flags().StringArrayVar(&opts.Hostnames, "hostname", nil, "accept this Host name besides loopback addresses, localhost and *.localhost (repeatable)")
	cmd.Flags().BoolVar(&opts.AllowRemote, "allow-remote", false, "allow --addr on a non-loopback address (needs --require-sigv4)")
	cmd.Flags().StringArrayVar(&opts.RequireSigV4, "require-sigv4", nil, "require every request to be SigV4-signed with this key pair, KEYID:SECRET (repeatable)")
	cmd.Flags().StringVar(&opts.Account, "account", protocol.DefaultAccountID, "12-digit AWS account id the local cloud acts as")
	addTimeScaleFlag(cmd, &opts.TimeScale)
	cmd.Flags().StringVar(&opts.Runtime, "runtime", string(runtime.ModeAuto), "what runs tasks: auto (Docker for images the Docker Engine or the local ECR has, else process images), process or docker")
	cmd.AddCommand(NewImageCmd(io))
	return cmd
}

func defaultStateDir() string {
	if dir := os.Getenv("XDG_STATE_HOME"); dir != "" {
		return filepath.Join(dir, "berth", "local")
	}
	if home, err := os.UserHomeDir(); err == nil {
		return filepath.Join(home, ".local", "state", "berth", "local")
	}
	return ".berth-local"
}

// maxTimeScale turns a minute into a second at most: CloudWatch's
// finest period.
const maxTimeScale = 60

// addTimeScaleFlag adds --time-scale, which berth local and berth up share.
func addTimeScaleFlag(cmd *cobra.Command, scale *float64) {
	cmd.Flags().Float64Var(scale, "time-scale", 1, "run AWS's clocks F times faster for tests and demos: metric and alarm periods, scaling cooldowns and instance warm-up take 1/F of AWS's time (1 = AWS's timing, at most 60)")
}

// checkTimeScale refuses a --time-scale the local cloud cannot honour.
func checkTimeScale(scale float64) error {
	if !(scale >= 1 && scale <= maxTimeScale) {
		return usageErrorf("--time-scale %v: want a factor from 1 (AWS's timing) to %d (a minute becomes a second)", scale, maxTimeScale)
	}
	return nil
}

func runLocal(ctx context.Context, opts *localOptions) error {
	security, err := opts.security()
	if err != nil {
		return err
	}
	if err := checkTimeScale(opts.TimeScale); err != nil {
		return err
	}
	stateDir := opts.StateDir
	if opts.Ephemeral {
		stateDir = ""
	}
	level := slog.LevelInfo
	if opts.Verbose {
		level = slog.LevelDebug
	}
	logger := slog.New(slog.NewTextHandler(opts.io.ErrOut, &slog.HandlerOptions{Level: level}))
	ln, err := net.Listen("tcp", opts.Addr)
	if err != nil {
		return fmt.Errorf("listening on %s: %w (is another local cloud running? `berth up` uses it when it is)", opts.Addr, err)
	}
	cloudOpts := security
	cloudOpts.StateDir, cloudOpts.Account, cloudOpts.Logger, cloudOpts.LogCalls = stateDir, opts.Account, logger, opts.Verbose
	cloudOpts.TimeScale = opts.TimeScale
	cloud, err := localcloud.New(cloudOpts)
	if err != nil {
		ln.Close()
		return err
	}
	where := "ephemeral state"
	if stateDir != "" {
		where = "state in " + stateDir
	}
	fmt.Fprintf(opts.io.ErrOut, "berth local cloud on http://%s (%s); Ctrl-C stops it\n", ln.Addr(), where)
	fmt.Fprintf(opts.io.ErrOut, "admin token (for process images) in %s\n", cloud.AdminTokenPath())
	if stateDir == "" {
		fmt.Fprintf(opts.io.ErrOut, "register process images with: berth local image add --state-dir %s …\n", filepath.Dir(cloud.AdminTokenPath()))
	}
	err = cloud.Serve(ctx, ln)
	if closeErr := cloud.Close(); closeErr != nil && err == nil {
		err = closeErr
	}
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}

// security checks the security flags and turns them into the cloud's
// options; every mistake is a usage error (exit 2).
func (opts *localOptions) security() (localcloud.Options, error) {
	var out localcloud.Options
	host, _, err := net.SplitHostPort(opts.Addr)
	if err != nil {
		return out, usageErrorf("--addr %q: want HOST:PORT, e.g. %s", opts.Addr, DefaultLocalAddr)
	}
	if !isLoopbackHost(host) && !opts.AllowRemote {
		return out, usageErrorf("--addr %s is not a loopback address: any machine that reaches it could drive this local cloud and choose what it runs; "+
			"to serve other machines anyway, add --allow-remote and --require-sigv4 KEYID:SECRET (every request must then be signed)", opts.Addr)
	}
	if opts.AllowRemote && len(opts.RequireSigV4) == 0 {
		return out, usageErrorf("--allow-remote needs --require-sigv4 KEYID:SECRET: remote clients must sign every request")
	}
	for _, pair := range opts.RequireSigV4 {
		id, secret, ok := strings.Cut(pair, ":")
		if !ok || id == "" || secret == "" {
			return out, usageErrorf("--require-sigv4: want KEYID:SECRET, e.g. AKIDEXAMPLE:wJalrXUtnFEMI (got a value without a key id or secret)")
		}
		if out.SigV4Keys == nil {
			out.SigV4Keys = map[string]string{}
		}
		out.SigV4Keys[id] = secret
	}
	for _, origin := range opts.CORSOrigins {
		normalized, err := normalizeOrigin(origin)
		if err != nil {
			return out, usageErrorf("--cors-origin %q: %v", origin, err)
		}
		out.CORSOrigins = append(out.CORSOrigins, normalized)
	}
	for _, name := range opts.Hostnames {
		if name == "" || strings.ContainsAny(name, ":/ ") {
			return out, usageErrorf("--hostname %q: want a host name without scheme or port, e.g. devbox.internal", name)
		}
		out.Hostnames = append(out.Hostnames, name)
	}
	out.AllowRemote = opts.AllowRemote
	if opts.Runtime != "" {
		if out.Runtime, err = runtime.ParseMode(opts.Runtime); err != nil {
			return out, usageErrorf("--runtime: %v", err)
		}
	}
	return out, nil
}

// isLoopbackHost tells whether a listen host stays on this machine; an
// empty host listens on every interface.
func isLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// normalizeOrigin returns an origin the way browsers send it:
// scheme://host[:port], lower case, no path.
func normalizeOrigin(origin string) (string, error) {
	u, err := url.Parse(origin)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", errors.New("want an origin such as http://localhost:3000")
	}
	if (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return "", errors.New("an origin is scheme://host[:port], without path, query or user")
	}
	return strings.ToLower(u.Scheme + "://" + u.Host), nil
}
