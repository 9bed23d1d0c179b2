// Package cli holds berth's commands: one file per verb, each with an
// options struct, a New…Cmd constructor and a run function that tests can
// call without a terminal.
package cli

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/berthdev/berth/internal/spec"
)

// IOStreams are the command's terminal; tests swap them for buffers.
type IOStreams struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer
}

// SystemStreams are the process's own stdin, stdout and stderr.
func SystemStreams() IOStreams {
	return IOStreams{In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr}
}

// globalOptions are the flags every command that talks to AWS shares.
type globalOptions struct {
	EndpointURL string
	Region      string
	Profile     string
}

// NewRootCmd builds the berth command tree.
func NewRootCmd(io IOStreams) *cobra.Command {
	global := &globalOptions{}
	root := &cobra.Command{
		Use:   "berth",
		Short: "Deploy a container web service to ECS behind a load balancer, or run the same stack locally",
		Long: `berth turns one short berth.yaml into an ECS service on EC2 capacity behind an
Application Load Balancer — on AWS, or on berth's own local cloud, which runs
the same stack on this machine.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetIn(io.In)
	root.SetOut(io.Out)
	root.SetErr(io.ErrOut)
	flags := root.PersistentFlags()
	flags.StringVar(&global.EndpointURL, "endpoint-url", "", "AWS endpoint to use instead of AWS's (e.g. http://127.0.0.1:4566 for the local cloud); also AWS_ENDPOINT_URL")
	flags.StringVar(&global.Region, "region", "", "AWS region (default: berth.yaml's region, then the AWS configuration chain)")
	flags.StringVar(&global.Profile, "profile", "", "AWS shared configuration profile")

	root.AddCommand(
		NewPlanCmd(io, global),
		NewDeployCmd(io, global),
		NewDestroyCmd(io, global),
		NewStatusCmd(io, global),
		NewLogsCmd(io, global),
		NewRollbackCmd(io, global),
		NewDoctorCmd(io, global),
		NewExportCmd(io),
		NewUpCmd(io, global),
		NewLocalCmd(io),
	)
	return root
}

// ExitCode maps an error to the process exit status: 2 for input the user
// must fix (a bad berth.yaml or flags), 1 for everything else.
func ExitCode(err error) int {
	if err == nil {
		return 0
	}
	var specErr *spec.Error // spec.Errors unwraps to its *spec.Error items
	var usage *UsageError
	if errors.As(err, &specErr) || errors.As(err, &usage) {
		return 2
	}
	return 1
}

// UsageError is a mistake in how a command was called.
type UsageError struct{ Message string }

func (e *UsageError) Error() string { return e.Message }

func usageErrorf(format string, args ...any) error {
	return &UsageError{Message: fmt.Sprintf(format, args...)}
}
