package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/berthdev/berth/internal/localcloud"
	"github.com/berthdev/berth/internal/localcloud/protocol"
)

// DefaultLocalAddr is where the local cloud listens, the port AWS tools'
// local endpoints conventionally use.
const DefaultLocalAddr = "127.0.0.1:4566"

type localOptions struct {
	io        IOStreams
	Addr      string
	StateDir  string
	Ephemeral bool
	Verbose   bool
	Account   string
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
AWS_ENDPOINT_URL). Listeners bind to 127.0.0.1 only.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runLocal(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.Addr, "addr", DefaultLocalAddr, "address of the AWS endpoint")
	cmd.Flags().StringVar(&opts.StateDir, "state-dir", defaultStateDir(), "directory that keeps the state across restarts")
	cmd.Flags().BoolVar(&opts.Ephemeral, "ephemeral", false, "keep state in a temporary directory, removed on exit")
	cmd.Flags().BoolVarP(&opts.Verbose, "verbose", "v", false, "log every API call")
	cmd.Flags().StringVar(&opts.Account, "account", protocol.DefaultAccountID, "12-digit AWS account id the local cloud acts as")
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

func runLocal(ctx context.Context, opts *localOptions) error {
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
	cloud, err := localcloud.New(localcloud.Options{StateDir: stateDir, Account: opts.Account, Logger: logger})
	if err != nil {
		ln.Close()
		return err
	}
	where := "ephemeral state"
	if stateDir != "" {
		where = "state in " + stateDir
	}
	fmt.Fprintf(opts.io.ErrOut, "berth local cloud on http://%s (%s); Ctrl-C stops it\n", ln.Addr(), where)
	err = cloud.Serve(ctx, ln)
	if closeErr := cloud.Close(); closeErr != nil && err == nil {
		err = closeErr
	}
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}
