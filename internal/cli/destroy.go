package cli

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/berthdev/berth/internal/engine"
	"github.com/berthdev/berth/internal/stack"
)

type destroyOptions struct {
	global *globalOptions
	io     IOStreams
	File   string
	Yes    bool
}

// NewDestroyCmd builds `berth destroy`: delete everything the stack owns.
func NewDestroyCmd(io IOStreams, global *globalOptions) *cobra.Command {
	opts := &destroyOptions{global: global, io: io}
	cmd := &cobra.Command{
		Use:   "destroy",
		Short: "Delete every resource berth created for the stack, and nothing else",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runDestroy(cmd.Context(), opts)
		},
	}
	addFileFlag(cmd, &opts.File)
	cmd.Flags().BoolVarP(&opts.Yes, "yes", "y", false, "destroy without asking for confirmation")
	return cmd
}

func runDestroy(ctx context.Context, opts *destroyOptions) error {
	s, cfg, err := loadStack(ctx, opts.global, opts.File)
	if err != nil {
		return err
	}
	plan, err := stack.PlanDestroy(ctx, cfg, s)
	if err != nil {
		return err
	}
	if err := plan.Render(opts.io.Out); err != nil {
		return err
	}
	if plan.Empty() {
		return nil
	}
	if err := confirm(opts.io, fmt.Sprintf("Destroy stack %s?", s.Name), opts.Yes); err != nil {
		return err
	}
	_, err = stack.Apply(ctx, cfg, plan, engine.ApplyOptions{OnEvent: printEvent(opts.io)})
	if err != nil {
		return err
	}
	fmt.Fprintf(opts.io.Out, "Stack %s destroyed.\n", s.Name)
	return nil
}
