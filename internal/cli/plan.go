package cli

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/berthdev/berth/internal/stack"
)

type planOptions struct {
	global   *globalOptions
	io       IOStreams
	File     string
	JSON     bool
	Estimate bool
	StateDir string
}

// NewPlanCmd builds `berth plan`: what deploy would change, changing nothing.
func NewPlanCmd(io IOStreams, global *globalOptions) *cobra.Command {
	opts := &planOptions{global: global, io: io}
	cmd := &cobra.Command{
		Use:   "plan",
		Short: "Show what deploy would change, without changing anything",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runPlan(cmd.Context(), opts)
		},
	}
	addFileFlag(cmd, &opts.File)
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print the plan as JSON")
	cmd.Flags().BoolVar(&opts.Estimate, "estimate", false, "also estimate how long the deploy takes on AWS, phase by phase, beside the local cloud's time")
	cmd.Flags().StringVar(&opts.StateDir, "state-dir", defaultStateDir(), "state directory of the local cloud, where berth up records its deploys' times for --estimate")
	return cmd
}

func runPlan(ctx context.Context, opts *planOptions) error {
	s, cfg, err := loadStack(ctx, opts.global, opts.File)
	if err != nil {
		return err
	}
	plan, err := stack.Plan(ctx, cfg, s)
	if err != nil {
		return err
	}
	if opts.JSON {
		return plan.WriteJSON(opts.io.Out)
	}
	if err := plan.Render(opts.io.Out); err != nil || !opts.Estimate {
		return err
	}
	resources, err := stack.Build(s)
	if err != nil {
		return err
	}
	local, err := loadLocalTimings(opts.StateDir, cfg.Region, s)
	if err != nil {
		return err
	}
	return renderEstimate(opts.io.Out, estimateDeploy(s, resources, plan), local)
}
