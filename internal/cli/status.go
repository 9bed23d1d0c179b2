package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/spf13/cobra"

	"github.com/berthdev/berth/internal/engine"
	"github.com/berthdev/berth/internal/spec"
	"github.com/berthdev/berth/internal/stack"
)

// recentEvents is how many service events status shows: ECS keeps the last
// 100, and the newest few explain what the scheduler is doing now.
const recentEvents = 10

type statusOptions struct {
	global *globalOptions
	io     IOStreams
	File   string
	JSON   bool
}

// NewStatusCmd builds `berth status`: what exists of the stack and how the
// service is doing, read-only.
func NewStatusCmd(io IOStreams, global *globalOptions) *cobra.Command {
	opts := &statusOptions{global: global, io: io}
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show the stack's resources, the service's deployments, tasks, target health and recent events",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runStatus(cmd.Context(), opts)
		},
	}
	addFileFlag(cmd, &opts.File)
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print the status as JSON")
	return cmd
}

// Status is one read of the stack, as `berth status` prints it.
type Status struct {
	Stack       string             `json:"stack"`
	Region      string             `json:"region"`
	Resources   []ResourceStatus   `json:"resources"`
	Service     *ServiceStatus     `json:"service,omitempty"`
	Deployments []DeploymentStatus `json:"deployments,omitempty"`
	Tasks       []TaskStatus       `json:"tasks,omitempty"`
	Targets     []TargetStatus     `json:"targets,omitempty"`
	Events      []EventStatus      `json:"events,omitempty"`
}

// ResourceStatus is one resource of the stack: whether it exists and
// whether it matches berth.yaml.
type ResourceStatus struct {
	Address string `json:"address"`
	// ID is the resource's id, ARN or name, whichever it exposes first.
	ID string `json:"id,omitempty"`
	// State is "ok", "missing" or the action a deploy would take.
	State string `json:"state"`
}

type ServiceStatus struct {
	Name           string `json:"name"`
	Status         string `json:"status"`
	Desired        int32  `json:"desired"`
	Running        int32  `json:"running"`
	Pending        int32  `json:"pending"`
	TaskDefinition string `json:"task_definition"`
}

type DeploymentStatus struct {
	ID             string `json:"id"`
	Status         string `json:"status"`
	RolloutState   string `json:"rollout_state"`
	Reason         string `json:"reason,omitempty"`
	TaskDefinition string `json:"task_definition"`
	Desired        int32  `json:"desired"`
	Running        int32  `json:"running"`
	Failed         int32  `json:"failed"`
}

type TaskStatus struct {
	ID             string `json:"id"`
	LastStatus     string `json:"last_status"`
	Health         string `json:"health"`
	TaskDefinition string `json:"task_definition"`
	Zone           string `json:"zone,omitempty"`
	Address        string `json:"address,omitempty"`
}

type TargetStatus struct {
	Target string `json:"target"`
	State  string `json:"state"`
	Reason string `json:"reason,omitempty"`
	// Description is ELB's sentence for the reason code.
	Description string `json:"description,omitempty"`
}

type EventStatus struct {
	At      time.Time `json:"at"`
	Message string    `json:"message"`
}

func runStatus(ctx context.Context, opts *statusOptions) error {
	s, cfg, err := loadStack(ctx, opts.global, opts.File)
	if err != nil {
		return err
	}
	st, err := readStatus(ctx, cfg, s)
	if err != nil {
		return err
	}
	if opts.JSON {
		enc := json.NewEncoder(opts.io.Out)
		enc.SetIndent("", "  ")
		return enc.Encode(st)
	}
	return st.render(opts.io.Out)
}

// readStatus observes the stack as a plan does (so "ok" means a deploy
// would not touch it) and then reads the service's live state.
func readStatus(ctx context.Context, cfg aws.Config, s *spec.Spec) (*Status, error) {
	resources, err := stack.Build(s)
	if err != nil {
		return nil, err
	}
	plan, err := stack.Plan(ctx, cfg, s)
	if err != nil {
		return nil, err
	}
	actions := map[engine.Addr]engine.Action{}
	for _, c := range plan.Changes {
		actions[c.Addr] = c.Action
	}
	st := &Status{Stack: s.Name, Region: cfg.Region}
	for _, r := range resources {
		rs := ResourceStatus{Address: string(r.Addr()), State: "ok"}
		observed := plan.Observed(r.Addr())
		if observed == nil && engine.IsUnwanted(r) {
			continue // berth.yaml does not ask for it and there is none
		}
		switch {
		case observed == nil:
			rs.State = "missing"
		case actions[r.Addr()] != engine.NoOp:
			rs.State = "would " + actions[r.Addr()].String()
		}
		if observed != nil {
			rs.ID = firstOutput(observed.Outputs, "id", "arn", "name")
		}
		st.Resources = append(st.Resources, rs)
	}
	names := stack.NamesFor(s.Name)
	c := engine.NewClients(cfg)
	if err := st.readService(ctx, c, names); err != nil {
		return nil, err
	}
	return st, nil
}

func firstOutput(outputs engine.Outputs, keys ...string) string {
	for _, k := range keys {
		if v := outputs[k]; v != "" {
			return v
		}
	}
	return ""
}

// readService fills in the service, its deployments, tasks, targets and
// events; a stack without a service (never deployed, or destroyed) has
// none of them, which is not an error.
func (st *Status) readService(ctx context.Context, c *engine.Clients, names stack.Names) error {
	out, err := c.ECS.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String(names.Cluster), Services: []string{names.Service}})
	if err != nil {
		if isNotFound(err) {
			return nil
		}
		return fmt.Errorf("describe service %s: %w", names.Service, err)
	}
	var svc *ecstypes.Service
	for i := range out.Services {
		if aws.ToString(out.Services[i].Status) != "INACTIVE" {
			svc = &out.Services[i]
		}
	}
	if svc == nil {
		return nil
	}
	st.Service = &ServiceStatus{
		Name: aws.ToString(svc.ServiceName), Status: aws.ToString(svc.Status),
		Desired: svc.DesiredCount, Running: svc.RunningCount, Pending: svc.PendingCount,
		TaskDefinition: shortARN(aws.ToString(svc.TaskDefinition)),
	}
	for _, d := range svc.Deployments {
		st.Deployments = append(st.Deployments, DeploymentStatus{
			ID: aws.ToString(d.Id), Status: aws.ToString(d.Status), RolloutState: string(d.RolloutState),
			Reason: aws.ToString(d.RolloutStateReason), TaskDefinition: shortARN(aws.ToString(d.TaskDefinition)),
			Desired: d.DesiredCount, Running: d.RunningCount, Failed: d.FailedTasks,
		})
	}
	for i, e := range svc.Events {
		if i == recentEvents {
			break
		}
		st.Events = append(st.Events, EventStatus{At: aws.ToTime(e.CreatedAt), Message: aws.ToString(e.Message)})
	}
	if err := st.readTasks(ctx, c, names); err != nil {
		return err
	}
	for _, lb := range svc.LoadBalancers {
		if err := st.readTargets(ctx, c, aws.ToString(lb.TargetGroupArn)); err != nil {
			return err
		}
	}
	return nil
}

func (st *Status) readTasks(ctx context.Context, c *engine.Clients, names stack.Names) error {
	arns, err := stack.ServiceTaskARNs(ctx, c, names.Cluster, names.Service, ecstypes.DesiredStatusRunning, 0)
	if err != nil {
		return err
	}
	tasks, err := stack.DescribeTasks(ctx, c, names.Cluster, arns)
	if err != nil {
		return fmt.Errorf("tasks of %s: %w", names.Service, err)
	}
	for _, t := range tasks {
		st.Tasks = append(st.Tasks, TaskStatus{
			ID: shortARN(aws.ToString(t.TaskArn)), LastStatus: aws.ToString(t.LastStatus),
			Health: string(t.HealthStatus), TaskDefinition: shortARN(aws.ToString(t.TaskDefinitionArn)),
			Zone: aws.ToString(t.AvailabilityZone), Address: stack.TaskAddress(t),
		})
	}
	return nil
}

func (st *Status) readTargets(ctx context.Context, c *engine.Clients, targetGroupARN string) error {
	out, err := c.ELB.DescribeTargetHealth(ctx, &elb.DescribeTargetHealthInput{TargetGroupArn: aws.String(targetGroupARN)})
	if err != nil {
		if isNotFound(err) {
			return nil
		}
		return fmt.Errorf("describe target health: %w", err)
	}
	for _, d := range out.TargetHealthDescriptions {
		ts := TargetStatus{Target: aws.ToString(d.Target.Id)}
		if d.Target.Port != nil {
			ts.Target = fmt.Sprintf("%s:%d", ts.Target, *d.Target.Port)
		}
		if h := d.TargetHealth; h != nil {
			ts.State, ts.Reason, ts.Description = string(h.State), string(h.Reason), aws.ToString(h.Description)
		}
		st.Targets = append(st.Targets, ts)
	}
	return nil
}

// isNotFound tells the errors that mean "there is nothing of that name".
func isNotFound(err error) bool {
	code := engine.ErrorCode(err)
	return code == "ClusterNotFoundException" || code == "ServiceNotFoundException" || code == "TargetGroupNotFound" || code == "ResourceNotFoundException"
}

// shortARN is the part of an ARN after its last slash: a task's id, a task
// definition's family:revision.
func shortARN(arn string) string { return arn[strings.LastIndex(arn, "/")+1:] }

func (st *Status) render(out io.Writer) error {
	w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintf(w, "Stack %s in %s\n\nResources:\n", st.Stack, st.Region)
	for _, r := range st.Resources {
		fmt.Fprintf(w, "  %s\t%s\t%s\n", r.Address, r.State, r.ID)
	}
	if st.Service == nil {
		fmt.Fprintf(w, "\nThe service does not exist: run berth deploy.\n")
		return w.Flush()
	}
	sv := st.Service
	fmt.Fprintf(w, "\nService %s: %s, %d running, %d pending of %d desired, task definition %s\n",
		sv.Name, sv.Status, sv.Running, sv.Pending, sv.Desired, sv.TaskDefinition)
	fmt.Fprintf(w, "\nDeployments:\n")
	for _, d := range st.Deployments {
		fmt.Fprintf(w, "  %s\t%s\t%s\t%s\t%d/%d running\t%d failed\t%s\n", d.ID, d.Status, d.RolloutState, d.TaskDefinition, d.Running, d.Desired, d.Failed, d.Reason)
	}
	fmt.Fprintf(w, "\nTasks:\n")
	for _, t := range st.Tasks {
		fmt.Fprintf(w, "  %s\t%s\thealth %s\t%s\t%s\t%s\n", t.ID, t.LastStatus, t.Health, t.TaskDefinition, t.Zone, t.Address)
	}
	fmt.Fprintf(w, "\nTargets:\n")
	for _, t := range st.Targets {
		reason := ""
		if t.Reason != "" {
			reason = t.Reason + ": " + t.Description
		}
		fmt.Fprintf(w, "  %s\t%s\t%s\n", t.Target, t.State, reason)
	}
	if err := w.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(out, "\nRecent events:\n")
	for _, e := range st.Events {
		fmt.Fprintf(out, "  %s  %s\n", e.At.UTC().Format(time.RFC3339), e.Message)
	}
	return nil
}
