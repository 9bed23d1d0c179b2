package cli

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/spf13/cobra"

	"github.com/berthdev/berth/internal/engine"
	"github.com/berthdev/berth/internal/stack"
)

type rollbackOptions struct {
	global *globalOptions
	io     IOStreams
	File   string
	NoWait bool
}

// NewRollbackCmd builds `berth rollback`: the service back on the task
// definition revision before the one it runs.
func NewRollbackCmd(io IOStreams, global *globalOptions) *cobra.Command {
	opts := &rollbackOptions{global: global, io: io}
	cmd := &cobra.Command{
		Use:   "rollback",
		Short: "Roll the service back to its previous task definition revision, then wait until it is healthy",
		Long: `Roll the service back to the task definition revision before the one it runs
(the previous image, command, environment…). ECS rolls it out as a deployment
with the service's own settings; berth waits for it as deploy does. The next
berth deploy brings the service to berth.yaml again.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runRollback(cmd.Context(), opts)
		},
	}
	addFileFlag(cmd, &opts.File)
	cmd.Flags().BoolVar(&opts.NoWait, "no-wait", false, "return once ECS started the rollback, without waiting for healthy targets")
	return cmd
}

func runRollback(ctx context.Context, opts *rollbackOptions) error {
	s, cfg, err := loadStack(ctx, opts.global, opts.File)
	if err != nil {
		return err
	}
	c := engine.NewClients(cfg)
	names := stack.NamesFor(s.Name)
	current, err := serviceTaskDefinition(ctx, c, names)
	if err != nil {
		return err
	}
	previous, err := previousRevision(ctx, c, current)
	if err != nil {
		return err
	}
	fmt.Fprintf(opts.io.ErrOut, "Rolling %s back from %s to %s…\n", names.Service, shortARN(current), shortARN(previous))
	if _, err := c.ECS.UpdateService(ctx, &ecs.UpdateServiceInput{
		Cluster: aws.String(names.Cluster), Service: aws.String(names.Service), TaskDefinition: aws.String(previous),
	}); err != nil {
		return fmt.Errorf("update service %s to %s: %w", names.Service, shortARN(previous), err)
	}
	if opts.NoWait {
		return nil
	}
	fmt.Fprintln(opts.io.ErrOut, "Waiting for the service to be healthy behind its load balancer…")
	if _, err := stack.WaitHealthy(ctx, cfg, s, stack.StatusLines(func(msg string) { fmt.Fprintln(opts.io.ErrOut, "  "+msg) })); err != nil {
		return err
	}
	fmt.Fprintf(opts.io.Out, "Service %s runs %s.\n", names.Service, shortARN(previous))
	return nil
}

// serviceTaskDefinition is the ARN of the task definition the service's
// PRIMARY deployment runs.
func serviceTaskDefinition(ctx context.Context, c *engine.Clients, names stack.Names) (string, error) {
	out, err := c.ECS.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String(names.Cluster), Services: []string{names.Service}})
	if err != nil && !isNotFound(err) {
		return "", fmt.Errorf("describe service %s: %w", names.Service, err)
	}
	if out != nil {
		for _, svc := range out.Services {
			if aws.ToString(svc.Status) == "ACTIVE" {
				return aws.ToString(svc.TaskDefinition), nil
			}
		}
	}
	return "", fmt.Errorf("service %s does not exist in cluster %s: deploy it first", names.Service, names.Cluster)
}

// previousRevision is the newest ACTIVE revision of current's family that
// is older than current. Deregistered revisions are skipped: ECS would not
// start new tasks from them.
func previousRevision(ctx context.Context, c *engine.Clients, current string) (string, error) {
	family, revision, err := parseRevision(current)
	if err != nil {
		return "", err
	}
	pages := ecs.NewListTaskDefinitionsPaginator(c.ECS, &ecs.ListTaskDefinitionsInput{
		FamilyPrefix: aws.String(family), Status: ecstypes.TaskDefinitionStatusActive,
	})
	previous, best := "", 0
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return "", fmt.Errorf("list task definitions of %s: %w", family, err)
		}
		for _, arn := range page.TaskDefinitionArns {
			f, r, err := parseRevision(arn)
			// FamilyPrefix matches "web" and "web-api" alike.
			if err != nil || f != family || r >= revision || r <= best {
				continue
			}
			previous, best = arn, r
		}
	}
	if previous == "" {
		return "", fmt.Errorf("%s is the oldest active revision of %s: there is nothing to roll back to", shortARN(current), family)
	}
	return previous, nil
}

// parseRevision splits a task definition ARN's family:revision.
func parseRevision(arn string) (family string, revision int, err error) {
	family, number, ok := strings.Cut(shortARN(arn), ":")
	if ok {
		revision, err = strconv.Atoi(number)
	}
	if !ok || err != nil || revision < 1 {
		return "", 0, fmt.Errorf("task definition %s has no revision number", arn)
	}
	return family, revision, nil
}
