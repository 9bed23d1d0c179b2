package stack

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/berthdev/berth/internal/engine"
)

// What a failure report shows: the causes of the newest few failed tasks,
// each with the end of what it printed.
const (
	maxReportedTasks = 3
	logTailLines     = 20
)

// logDeliveryWait bounds how long a report waits for the output of a task
// that ran but whose log stream is still empty: the awslogs driver delivers
// a stopped container's last lines within seconds.
const logDeliveryWait = 3 * time.Second

// DeploymentFailedError says that a deployment failed and why its tasks
// stopped; it wraps ErrUnhealthy.
type DeploymentFailedError struct {
	Service    string `json:"service"`
	Deployment string `json:"deployment"`
	// Reason is ECS's rolloutStateReason, or berth's own rule when ECS does
	// not judge (see waiter.localRule).
	Reason string `json:"reason"`
	// Rollback says what became of the service: rolled back, or why not.
	Rollback string `json:"rollback,omitempty"`
	// Tasks are the newest failed tasks with distinct causes, newest first.
	Tasks []FailedTask `json:"tasks,omitempty"`
	// Unshown counts failed tasks whose cause is not shown: older than the
	// ones in Tasks, with yet other causes.
	Unshown int `json:"unshown,omitempty"`
	// Events are the service's newest events since the deployment began,
	// newest first; UnhealthyTargets the targets failing their health
	// checks with the load balancer's reason codes, when it failed.
	Events           []string `json:"events,omitempty"`
	UnhealthyTargets []string `json:"unhealthyTargets,omitempty"`
}

// FailedTask is one stopped task of a failed deployment.
type FailedTask struct {
	ID            string          `json:"id"`
	StoppedReason string          `json:"stoppedReason"`
	Containers    []ContainerStop `json:"containers,omitempty"`
	// Same counts older tasks that stopped for the same cause.
	Same int `json:"same,omitempty"`
	// LogGroup and LogStream hold what the task printed; LastLines are its
	// last lines, or LogProblem says why there are none.
	LogGroup   string   `json:"logGroup,omitempty"`
	LogStream  string   `json:"logStream,omitempty"`
	LastLines  []string `json:"lastLines,omitempty"`
	LogProblem string   `json:"logProblem,omitempty"`
}

// ContainerStop is how one container of a stopped task ended.
type ContainerStop struct {
	Name     string `json:"name"`
	ExitCode *int32 `json:"exitCode,omitempty"`
	Reason   string `json:"reason,omitempty"`
}

func (e *DeploymentFailedError) Unwrap() error { return ErrUnhealthy }

func (e *DeploymentFailedError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: deployment %s failed: %s", ErrUnhealthy, e.Deployment, e.Reason)
	if e.Rollback != "" {
		b.WriteString("\n" + e.Rollback)
	}
	for _, t := range e.Tasks {
		fmt.Fprintf(&b, "\ntask %s stopped: %s", t.ID, t.cause())
		if t.Same > 0 {
			fmt.Fprintf(&b, " (and %d more %s the same way)", t.Same, plural(t.Same, "task", "tasks"))
		}
		switch {
		case len(t.LastLines) > 0:
			fmt.Fprintf(&b, "\n  its last %d %s (log stream %s in %s):", len(t.LastLines), plural(len(t.LastLines), "line", "lines"), t.LogStream, t.LogGroup)
			for _, line := range t.LastLines {
				b.WriteString("\n  | " + line)
			}
		case t.LogProblem != "":
			b.WriteString("\n  " + t.LogProblem)
		}
	}
	if e.Unshown > 0 {
		fmt.Fprintf(&b, "\n%d older failed %s stopped for other reasons.", e.Unshown, plural(e.Unshown, "task", "tasks"))
	}
	if len(e.UnhealthyTargets) > 0 {
		b.WriteString("\nunhealthy targets: " + strings.Join(e.UnhealthyTargets, ", "))
	}
	if len(e.Events) > 0 {
		b.WriteString("\nthe service's newest events:")
		for _, event := range e.Events {
			b.WriteString("\n  " + event)
		}
	}
	return b.String()
}

// cause is the stopped reason with each container's exit code or reason,
// the facts a user acts on.
func (t FailedTask) cause() string {
	parts := []string{t.StoppedReason}
	for _, c := range t.Containers {
		switch {
		case c.ExitCode != nil && c.Reason != "":
			parts = append(parts, fmt.Sprintf("container %s exited with code %d (%s)", c.Name, *c.ExitCode, c.Reason))
		case c.ExitCode != nil:
			parts = append(parts, fmt.Sprintf("container %s exited with code %d", c.Name, *c.ExitCode))
		case c.Reason != "" && c.Reason != t.StoppedReason:
			parts = append(parts, fmt.Sprintf("container %s: %s", c.Name, c.Reason))
		}
	}
	return strings.Join(parts, "; ")
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// explain turns a failure into its report: the newest failed tasks with
// distinct causes and the last lines each printed, read through CloudWatch
// Logs as on AWS. A report that cannot read logs still says why tasks
// stopped.
func explain(ctx context.Context, c *engine.Clients, cluster string, f *failure) *DeploymentFailedError {
	report := &DeploymentFailedError{Service: f.service, Deployment: f.deployment, Reason: f.reason, Rollback: f.rollback,
		Events: f.events, UnhealthyTargets: f.targets}
	byCause := map[string]int{} // cause → index in report.Tasks
	var shown []ecstypes.Task
	for _, t := range f.tasks {
		ft := FailedTask{ID: taskID(aws.ToString(t.TaskArn)), StoppedReason: aws.ToString(t.StoppedReason)}
		for _, ct := range t.Containers {
			ft.Containers = append(ft.Containers, ContainerStop{Name: aws.ToString(ct.Name), ExitCode: ct.ExitCode, Reason: aws.ToString(ct.Reason)})
		}
		cause := ft.cause()
		if i, ok := byCause[cause]; ok {
			report.Tasks[i].Same++
			continue
		}
		if len(report.Tasks) == maxReportedTasks {
			report.Unshown++
			continue
		}
		byCause[cause] = len(report.Tasks)
		report.Tasks = append(report.Tasks, ft)
		shown = append(shown, t)
	}
	definitions := map[string]*ecstypes.TaskDefinition{}
	for i, t := range shown {
		tail(ctx, c, definitions, t, &report.Tasks[i])
	}
	return report
}

// tail reads the last lines of the task's log stream into ft. The stream is
// the awslogs driver's <prefix>/<container>/<task id> of the container that
// ended the task.
func tail(ctx context.Context, c *engine.Clients, definitions map[string]*ecstypes.TaskDefinition, t ecstypes.Task, ft *FailedTask) {
	arn := aws.ToString(t.TaskDefinitionArn)
	def, ok := definitions[arn]
	if !ok {
		out, err := c.ECS.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(arn)})
		if err != nil {
			ft.LogProblem = fmt.Sprintf("(its output could not be found: describe task definition: %v)", err)
			return
		}
		def = out.TaskDefinition
		definitions[arn] = def
	}
	container, ran := culprit(t)
	var logConfig *ecstypes.LogConfiguration
	for _, cd := range def.ContainerDefinitions {
		if aws.ToString(cd.Name) == container {
			logConfig = cd.LogConfiguration
		}
	}
	if logConfig == nil || logConfig.LogDriver != ecstypes.LogDriverAwslogs || logConfig.Options["awslogs-group"] == "" {
		ft.LogProblem = fmt.Sprintf("(container %s does not log to CloudWatch Logs, so its output is not shown)", container)
		return
	}
	prefix := logConfig.Options["awslogs-stream-prefix"]
	if prefix == "" {
		ft.LogProblem = fmt.Sprintf("(container %s logs without awslogs-stream-prefix, so its log stream is named after the container's id)", container)
		return
	}
	ft.LogGroup = logConfig.Options["awslogs-group"]
	ft.LogStream = prefix + "/" + container + "/" + ft.ID
	deadline := time.Now().Add(logDeliveryWait)
	for {
		lines, err := lastLines(ctx, c.Logs, logConfig.Options["awslogs-region"], ft.LogGroup, ft.LogStream)
		switch {
		case err != nil:
			ft.LogProblem = fmt.Sprintf("(its output in log stream %s of %s could not be read: %v)", ft.LogStream, ft.LogGroup, err)
			return
		case len(lines) > 0:
			ft.LastLines = lines
			return
		case !ran || !time.Now().Before(deadline):
			ft.LogProblem = fmt.Sprintf("(it printed nothing to log stream %s of %s)", ft.LogStream, ft.LogGroup)
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// culprit names the container that ended the task (an essential one that
// exited, else the first) and whether any container ran at all.
func culprit(t ecstypes.Task) (string, bool) {
	name, ran := "", false
	for _, ct := range t.Containers {
		if ct.ExitCode == nil {
			continue
		}
		if !ran || *ct.ExitCode != 0 {
			name = aws.ToString(ct.Name)
		}
		ran = true
	}
	if name == "" && len(t.Containers) > 0 {
		name = aws.ToString(t.Containers[0].Name)
	}
	return name, ran
}

// lastLines reads a stream's last logTailLines events, in the region the
// awslogs driver writes to when it names one; a stream that does not exist
// (yet) has none.
func lastLines(ctx context.Context, client *cloudwatchlogs.Client, region, group, stream string) ([]string, error) {
	out, err := client.GetLogEvents(ctx, &cloudwatchlogs.GetLogEventsInput{
		LogGroupName: aws.String(group), LogStreamName: aws.String(stream),
		Limit: aws.Int32(logTailLines), StartFromHead: aws.Bool(false),
	}, func(o *cloudwatchlogs.Options) {
		if region != "" {
			o.Region = region
		}
	})
	if err != nil {
		var notFound interface{ ErrorCode() string }
		if errors.As(err, &notFound) && notFound.ErrorCode() == "ResourceNotFoundException" {
			return nil, nil
		}
		return nil, err
	}
	lines := make([]string, 0, len(out.Events))
	for _, e := range out.Events {
		lines = append(lines, strings.TrimRight(aws.ToString(e.Message), "\r\n"))
	}
	return lines, nil
}

func taskID(arn string) string { return arn[strings.LastIndex(arn, "/")+1:] }
