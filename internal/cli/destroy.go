package cli

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/spf13/cobra"

	"github.com/berthdev/berth/internal/engine"
	"github.com/berthdev/berth/internal/spec"
	"github.com/berthdev/berth/internal/teardown"
)

type destroyOptions struct {
	global *globalOptions
	io     IOStreams
	File   string
	Stack  string
	Yes    bool
	DryRun bool
}

// NewDestroyCmd builds `berth destroy`: delete everything the stack owns.
func NewDestroyCmd(io IOStreams, global *globalOptions) *cobra.Command {
	opts := &destroyOptions{global: global, io: io}
	cmd := &cobra.Command{
		Use:   "destroy",
		Short: "Delete every resource berth created for the stack, and nothing else",
		Long: `Delete every resource tagged as the stack's (berth:stack), found through each
service's describe calls rather than from berth.yaml: what a partial deploy or
an older berth.yaml created goes too. --stack NAME destroys a stack whose
berth.yaml is gone. Dependents go first (services, load balancers, the Auto
Scaling group with its scale-in protection cleared, capacity providers,
instances, ENIs, then security groups and the network), each retried while
AWS says a dependency is still in use.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runDestroy(cmd.Context(), opts)
		},
	}
	addFileFlag(cmd, &opts.File)
	cmd.Flags().StringVar(&opts.Stack, "stack", "", "the stack's name, instead of reading it from berth.yaml")
	cmd.Flags().BoolVarP(&opts.Yes, "yes", "y", false, "destroy without asking for confirmation")
	cmd.Flags().BoolVar(&opts.DryRun, "dry-run", false, "list what would be deleted, deleting nothing")
	return cmd
}

func runDestroy(ctx context.Context, opts *destroyOptions) error {
	name, cfg, err := destroyTarget(ctx, opts)
	if err != nil {
		return err
	}
	c := engine.NewClients(cfg)
	found, err := teardown.Find(ctx, c, name)
	if err != nil {
		return err
	}
	if len(found) == 0 {
		fmt.Fprintf(opts.io.Out, "Nothing to destroy: no resource is tagged berth:stack=%s in %s.\n", name, cfg.Region)
		return nil
	}
	fmt.Fprintf(opts.io.Out, "Stack %s in %s: %d resources, deleted in this order:\n", name, cfg.Region, len(found))
	for _, r := range found {
		fmt.Fprintf(opts.io.Out, "  - %s\n", r)
	}
	if opts.DryRun {
		return nil
	}
	if err := confirm(opts.io, fmt.Sprintf("Destroy stack %s?", name), opts.Yes); err != nil {
		return err
	}
	err = teardown.Delete(ctx, c, found, func(r teardown.Resource) {
		fmt.Fprintf(opts.io.ErrOut, "- %s: deleted\n", r)
	})
	if err != nil {
		return fmt.Errorf("destroy %s: %w (run berth destroy again to delete the rest)", name, err)
	}
	fmt.Fprintf(opts.io.Out, "Stack %s destroyed.\n", name)
	return nil
}

// destroyTarget is the stack's name and the configuration to reach it:
// --stack's with the flags' region, else berth.yaml's.
func destroyTarget(ctx context.Context, opts *destroyOptions) (string, aws.Config, error) {
	if opts.Stack != "" {
		if err := spec.ValidateName(opts.Stack); err != nil {
			return "", aws.Config{}, usageErrorf("--stack: %v", err)
		}
		cfg, err := loadAWSConfig(ctx, opts.global, nil)
		return opts.Stack, cfg, err
	}
	s, cfg, err := loadStack(ctx, opts.global, opts.File)
	if err != nil {
		return "", aws.Config{}, err
	}
	return s.Name, cfg, nil
}
