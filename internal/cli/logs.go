package cli

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/spf13/cobra"

	"github.com/berthdev/berth/internal/awsres"
	"github.com/berthdev/berth/internal/stack"
)

// followInterval is how often a followed log is read again: CloudWatch Logs
// delivers within seconds, and FilterLogEvents is limited to a few calls a
// second per account.
const followInterval = time.Second

type logsOptions struct {
	global *globalOptions
	io     IOStreams
	File   string
	Follow bool
	Since  time.Duration
	Task   string
}

// NewLogsCmd builds `berth logs`: the service's tasks' output, read from
// CloudWatch Logs where the awslogs driver writes it.
func NewLogsCmd(io IOStreams, global *globalOptions) *cobra.Command {
	opts := &logsOptions{global: global, io: io}
	cmd := &cobra.Command{
		Use:   "logs",
		Short: "Print the service's task logs from CloudWatch Logs (-f to follow)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if opts.Since <= 0 {
				return usageErrorf("--since must be a positive duration such as 10m or 2h, not %s", opts.Since)
			}
			return runLogs(cmd.Context(), opts)
		},
	}
	addFileFlag(cmd, &opts.File)
	cmd.Flags().BoolVarP(&opts.Follow, "follow", "F", false, "keep printing new lines until interrupted")
	cmd.Flags().DurationVar(&opts.Since, "since", 10*time.Minute, "print lines logged this long ago and later")
	cmd.Flags().StringVar(&opts.Task, "task", "", "only this task's lines (its id, as berth status shows it)")
	return cmd
}

func runLogs(ctx context.Context, opts *logsOptions) error {
	s, cfg, err := loadStack(ctx, opts.global, opts.File)
	if err != nil {
		return err
	}
	q := logQuery{Group: stack.NamesFor(s.Name).LogGroup, Since: opts.Since, Follow: opts.Follow}
	if opts.Task != "" {
		// The awslogs driver names each task's stream <prefix>/<container>/<task id>.
		q.StreamPrefix = "ecs/" + awsres.ContainerName + "/" + opts.Task
	}
	err = tailLogs(ctx, opts.io, cfg, q)
	if opts.Follow && ctx.Err() != nil {
		return nil // interrupted, as following ends
	}
	return err
}

// logQuery is which lines tailLogs prints.
type logQuery struct {
	Group string
	// StreamPrefix narrows the lines to streams of that prefix (one task's).
	StreamPrefix string
	Since        time.Duration
	// Follow keeps reading until ctx ends, like `aws logs tail --follow`.
	Follow bool
}

// tailLogs prints a log group's lines through the Logs API, so it works the
// same against AWS and the local cloud, each line prefixed by its task.
func tailLogs(ctx context.Context, io IOStreams, cfg aws.Config, q logQuery) error {
	client := cloudwatchlogs.NewFromConfig(cfg)
	start := time.Now().Add(-q.Since).UnixMilli()
	seen := map[string]bool{}
	for {
		in := &cloudwatchlogs.FilterLogEventsInput{LogGroupName: aws.String(q.Group), StartTime: aws.Int64(start)}
		if q.StreamPrefix != "" {
			in.LogStreamNamePrefix = aws.String(q.StreamPrefix)
		}
		pages := cloudwatchlogs.NewFilterLogEventsPaginator(client, in)
		for pages.HasMorePages() {
			page, err := pages.NextPage(ctx)
			if err != nil {
				return fmt.Errorf("reading logs of %s: %w", q.Group, err)
			}
			for _, e := range page.Events {
				// The next read starts at the newest timestamp seen, so only
				// events of that very millisecond can come back twice.
				id, ts := aws.ToString(e.EventId), aws.ToInt64(e.Timestamp)
				if seen[id] {
					continue
				}
				if ts > start {
					start, seen = ts, map[string]bool{}
				}
				seen[id] = true
				fmt.Fprintf(io.Out, "%s %s\n", shortStream(aws.ToString(e.LogStreamName)), strings.TrimRight(aws.ToString(e.Message), "\n"))
			}
		}
		if !q.Follow {
			return nil
		}
		timer := time.NewTimer(followInterval)
		select {
		case <-ctx.Done():
			timer.Stop()
			return ctx.Err()
		case <-timer.C:
		}
	}
}

// shortStream turns "ecs/app/0123456789abcdef…" into "[app 01234567]".
func shortStream(stream string) string {
	parts := strings.Split(stream, "/")
	if len(parts) < 3 {
		return "[" + stream + "]"
	}
	id := parts[len(parts)-1]
	if len(id) > 8 {
		id = id[:8]
	}
	return "[" + parts[len(parts)-2] + " " + id + "]"
}
