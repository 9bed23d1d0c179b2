package cli

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/berthdev/berth/internal/export"
	"github.com/berthdev/berth/internal/spec"
	"github.com/berthdev/berth/internal/stack"
)

type exportOptions struct {
	io   IOStreams
	File string
}

// NewExportCmd builds `berth export terraform`: the stack as Terraform.
func NewExportCmd(io IOStreams) *cobra.Command {
	cmd := &cobra.Command{Use: "export", Short: "Write the stack in another tool's format"}
	opts := &exportOptions{io: io}
	terraform := &cobra.Command{
		Use:   "terraform",
		Short: "Print the stack's resources as Terraform HCL (hashicorp/aws provider), references included",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runExportTerraform(cmd.Context(), opts)
		},
	}
	addFileFlag(terraform, &opts.File)
	cmd.AddCommand(terraform)
	return cmd
}

func runExportTerraform(_ context.Context, opts *exportOptions) error {
	s, err := spec.Load(opts.File)
	if err != nil {
		return err
	}
	resources, err := stack.Build(s)
	if err != nil {
		return err
	}
	return export.Terraform(opts.io.Out, s, resources)
}
