package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/spf13/cobra"

	"github.com/berthdev/berth/internal/doctor"
	"github.com/berthdev/berth/internal/engine"
	"github.com/berthdev/berth/internal/localcloud/runtime"
	"github.com/berthdev/berth/internal/spec"
	"github.com/berthdev/berth/internal/stack"
)

type deployOptions struct {
	global *globalOptions
	io     IOStreams
	File   string
	Yes    bool
	NoWait bool
	// SkipDoctor deploys even when doctor's checks of berth.yaml fail.
	SkipDoctor bool
	// Output is the timeline's form: text (redrawn on a terminal) or json.
	Output string
}

// NewDeployCmd builds `berth deploy`: plan, confirm, apply, wait healthy.
func NewDeployCmd(io IOStreams, global *globalOptions) *cobra.Command {
	opts := &deployOptions{global: global, io: io}
	cmd := &cobra.Command{
		Use:   "deploy",
		Short: "Create or update the stack so that it matches berth.yaml, then wait until it is healthy",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runDeploy(cmd.Context(), opts)
		},
	}
	addFileFlag(cmd, &opts.File)
	cmd.Flags().BoolVarP(&opts.Yes, "yes", "y", false, "apply without asking for confirmation")
	addSkipDoctorFlag(cmd, &opts.SkipDoctor)
	cmd.Flags().BoolVar(&opts.NoWait, "no-wait", false, "return once the resources exist, without waiting for healthy targets")
	cmd.Flags().StringVarP(&opts.Output, "output", "o", outputText, "the deploy's timeline: text (redrawn in place on a terminal, timestamped lines otherwise) or json (one object per event on standard output)")
	return cmd
}

func runDeploy(ctx context.Context, opts *deployOptions) error {
	if err := checkOutput(opts.Output); err != nil {
		return err
	}
	s, cfg, err := loadStack(ctx, opts.global, opts.File)
	if err != nil {
		return err
	}
	streams := opts.io
	if opts.Output == outputJSON {
		// Standard output carries the JSON events only; what the build
		// and push print goes to standard error.
		streams.Out = streams.ErrOut
	}
	// Before the image build, which is the slow part, so that a deploy
	// doomed by berth.yaml fails in seconds.
	if err := preflight(ctx, opts.io, cfg, s, opts.SkipDoctor); err != nil {
		return err
	}
	if err := buildAndPush(ctx, streams, cfg, s); err != nil {
		return err
	}
	outputs, err := deploy(ctx, opts.io, cfg, s, opts.Yes, !opts.NoWait, newTimeline(opts.io, opts.Output))
	if err != nil {
		return err
	}
	if opts.Output == outputJSON {
		return nil
	}
	if outputs != nil && outputs.URL != "" {
		fmt.Fprintf(opts.io.Out, "\nService URL: %s\n", outputs.URL)
		if outputs.Domain != "" {
			fmt.Fprintf(opts.io.Out, "Its certificate names %s: point that name at %s (a CNAME, or a Route 53 alias record) and open https://%s/\n",
				outputs.Domain, outputs.LoadBalancerDNS, strings.TrimPrefix(outputs.Domain, "*."))
		}
	}
	return nil
}

func addSkipDoctorFlag(cmd *cobra.Command, skip *bool) {
	cmd.Flags().BoolVar(skip, "skip-doctor", false, "deploy even when berth doctor's checks of berth.yaml fail (they still print)")
}

// errPreflight stops a deploy whose doctor checks failed.
var errPreflight = errors.New("berth doctor's checks of berth.yaml failed, so nothing was changed: fix them as shown above, or pass --skip-doctor to deploy anyway")

// preflight runs doctor's checks of berth.yaml (and of the stack, once it
// exists) before a deploy changes anything: a failure stops the deploy with
// its fix, as a wrong health port would otherwise only show as targets
// that never turn healthy minutes later. Passing checks are not printed;
// warnings are, and the deploy goes on.
func preflight(ctx context.Context, io IOStreams, cfg aws.Config, s *spec.Spec, skip bool) error {
	cfg.RetryMaxAttempts = 2 // as berth doctor: a check answers quickly or is a finding
	c := engine.NewClients(cfg)
	var shown []doctor.Finding
	for _, f := range stackFindings(ctx, func(ctx context.Context) ([]doctor.Finding, error) { return doctor.Spec(ctx, c, s) }) {
		if !f.OK || f.Warn {
			shown = append(shown, f)
		}
	}
	if len(shown) == 0 {
		return nil
	}
	fmt.Fprintln(io.ErrOut, "berth doctor, before the deploy:")
	doctor.Print(io.ErrOut, shown)
	if !doctor.Failed(shown) {
		return nil
	}
	if skip {
		fmt.Fprintln(io.ErrOut, "Deploying anyway: --skip-doctor was given.")
		return nil
	}
	return errPreflight
}

// buildAndPush builds berth.yaml's image.build with the Docker Engine,
// pushes it to the stack's ECR repository (created first when missing)
// under its content-derived tag, and points the spec at that image.
func buildAndPush(ctx context.Context, io IOStreams, cfg aws.Config, s *spec.Spec) error {
	if s.Service.Build == nil {
		return nil
	}
	cli, err := runtime.ConnectEngine(ctx)
	if err != nil {
		return fmt.Errorf("image.build needs a Docker Engine to build %s (%v); start one, or set image to an image that is in a registry", s.Service.Image, err)
	}
	defer cli.Close()
	repositoryURI, err := stack.EnsureRepository(ctx, cfg, s)
	if err != nil {
		return err
	}
	ref, tag, err := buildImage(ctx, io, cli, s.Service.Build, imageRepository(s.Service.Image))
	if err != nil {
		return err
	}
	pushed, err := pushToECR(ctx, io, cli, cfg, ref, repositoryURI, tag)
	if err != nil {
		return err
	}
	s.Service.Image = pushed
	return nil
}

// deploy is the deploy verb's work, shared with `berth up`: plan, confirm,
// apply and wait, shown phase by phase on the timeline. A failure ends the
// timeline with its cause.
func deploy(ctx context.Context, io IOStreams, cfg aws.Config, s *spec.Spec, yes, wait bool, tl *timeline) (*stack.Outputs, error) {
	outputs, err := deployPhases(ctx, io, cfg, s, yes, wait, tl)
	if err != nil {
		tl.fail(err)
		return nil, err
	}
	url := ""
	if outputs != nil {
		url = outputs.URL
	}
	tl.succeeded(url)
	return outputs, nil
}

func deployPhases(ctx context.Context, io IOStreams, cfg aws.Config, s *spec.Spec, yes, wait bool, tl *timeline) (*stack.Outputs, error) {
	plan, err := stack.Plan(ctx, cfg, s)
	if err != nil {
		return nil, err
	}
	if err := tl.plan(plan, io.Out); err != nil {
		return nil, err
	}
	var outputs *stack.Outputs
	if plan.Empty() {
		tl.infrastructureDone("no changes")
	} else {
		if err := confirm(io, "Deploy these changes?", yes); err != nil {
			return nil, err
		}
		tl.infrastructureStarted(len(plan.Changes))
		outputs, err = stack.Apply(ctx, cfg, plan, engine.ApplyOptions{OnEvent: tl.apply})
		if err != nil {
			return nil, err
		}
		tl.infrastructureDone("")
	}
	if wait {
		if !tl.json && !tl.tty {
			fmt.Fprintln(io.ErrOut, "Waiting for the service to be healthy behind its load balancer…")
		}
		outputs, err = stack.WaitHealthy(ctx, cfg, s, tl.progress)
		if err != nil {
			return nil, err
		}
	}
	return outputs, nil
}

// confirm asks before a change unless yes is set; without a terminal to
// answer, it refuses rather than guessing.
func confirm(io IOStreams, question string, yes bool) error {
	if yes {
		return nil
	}
	fmt.Fprintf(io.ErrOut, "%s Type \"yes\" to go on: ", question)
	line, err := bufio.NewReader(io.In).ReadString('\n')
	if err != nil && line == "" {
		return usageErrorf("no confirmation on standard input: pass --yes to run without asking")
	}
	if strings.TrimSpace(line) != "yes" {
		return fmt.Errorf("cancelled: nothing was changed")
	}
	return nil
}
