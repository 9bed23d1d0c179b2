package stack

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/berthdev/berth/internal/awsres"
	"github.com/berthdev/berth/internal/deploytest"
	"github.com/berthdev/berth/internal/engine"
	"github.com/berthdev/berth/internal/localcloud/localcloudtest"
	"github.com/berthdev/berth/internal/spec"
)

var update = flag.Bool("update", false, "rewrite golden files")

// endpoints are where the deployer tests run: moto_server, an independent
// emulator of AWS, and berth's own local cloud with its data plane running,
// so that every deployer test is also a test of the local cloud.
var endpoints = []struct {
	name  string
	start deploytest.StartFunc
}{
	{"moto", deploytest.FromEnv(deploytest.Moto)},
	{"localcloud", func(t testing.TB) string { return localcloudtest.Start(t).Endpoint }},
}

// eachEndpoint runs test against every endpoint.
func eachEndpoint(t *testing.T, test func(t *testing.T, cfg aws.Config)) {
	for _, e := range endpoints {
		t.Run(e.name, func(t *testing.T) { test(t, newCloud(t, e.start)) })
	}
}

func exampleSpec() *spec.Spec {
	return &spec.Spec{
		File: "berth.yaml",
		Name: "fastapi-demo",
		Service: spec.Service{
			Image: "public.ecr.aws/docker/library/python:3.12-slim", Port: 8000, Count: 2, CPU: 256, Memory: 512,
			Environment: map[string]string{"APP_ENV": "dev", "LOG_LEVEL": "info"},
			Placement:   spec.PlacementDistinctInstance,
			HealthCheck: spec.HealthCheck{
				Path: "/health", Interval: 10, Timeout: 5, HealthyThreshold: 2, UnhealthyThreshold: 2, Matcher: "200",
				GracePeriod: spec.DefaultGracePeriod,
			},
			DeregistrationDelay: 30,
			Protocol:            spec.ProtocolHTTP,
			Deployment:          spec.DefaultDeployment(),
		},
		Network:      spec.DefaultNetwork(),
		Capacity:     spec.Capacity{Provider: spec.ProviderEC2, InstanceType: "t3.medium", Min: 1, Max: 3, TargetCapacity: 100},
		LoadBalancer: spec.LoadBalancer{Public: true, Port: 80},
		Logs:         spec.Logs{RetentionDays: 7},
	}
}

// newCloud starts an endpoint and publishes the ECS-optimized AMI
// parameter, which moto does not have (AWS publishes it in every region).
func newCloud(t *testing.T, start deploytest.StartFunc) aws.Config {
	t.Helper()
	cfg := deploytest.Config(t, start)
	publishAMIParameter(t, cfg)
	return cfg
}

// publishAMIParameter publishes the ECS-optimized AMI parameter in cfg's
// region unless the endpoint has it there.
func publishAMIParameter(t *testing.T, cfg aws.Config) {
	t.Helper()
	client := ssm.NewFromConfig(cfg)
	_, err := client.GetParameter(context.Background(), &ssm.GetParameterInput{Name: aws.String(awsres.ECSOptimizedAMIParameter)})
	if err != nil {
		_, err = client.PutParameter(context.Background(), &ssm.PutParameterInput{
			Name: aws.String(awsres.ECSOptimizedAMIParameter), Value: aws.String("ami-0ecs0ptimized0001"),
			Type: ssmtypes.ParameterTypeString, Overwrite: aws.Bool(true),
		})
		if err != nil {
			t.Fatalf("publish the ECS AMI parameter: %v", err)
		}
	}
}

// accountInARN matches the account field of an ARN; endpoints differ in
// the account they simulate, the plans do not.
var accountInARN = regexp.MustCompile(`(arn:aws:[a-z0-9-]+:[a-z0-9-]*:)[0-9]{12}:`)

func renderPlan(t *testing.T, p *engine.Plan) string {
	t.Helper()
	var b bytes.Buffer
	if err := p.Render(&b); err != nil {
		t.Fatal(err)
	}
	return accountInARN.ReplaceAllString(b.String(), "${1}<account>:")
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if got != string(want) {
		t.Fatalf("%s differs (run with -update if intended):\n%s", path, got)
	}
}

func apply(t *testing.T, cfg aws.Config, p *engine.Plan) *Outputs {
	t.Helper()
	var failures []string
	out, err := Apply(context.Background(), cfg, p, engine.ApplyOptions{OnEvent: func(e engine.Event) {
		if e.Phase == engine.PhaseFailed || e.Phase == engine.PhaseSkipped {
			failures = append(failures, string(e.Addr)+": "+e.Message)
		}
	}})
	if err != nil {
		t.Fatalf("apply: %v\n%s", err, strings.Join(failures, "\n"))
	}
	return out
}

// wantedResources counts what a deploy of s creates: Build also lists
// resources s does not want, for plans to delete what is left of them.
func wantedResources(t *testing.T, s *spec.Spec) int {
	t.Helper()
	resources, err := Build(s)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, r := range resources {
		fields, action := r.Diff(engine.NewInputs(), nil)
		if action == engine.Create || len(fields) > 0 {
			n++
		}
	}
	return n
}

func TestDeployLifecycle(t *testing.T) {
	eachEndpoint(t, func(t *testing.T, cfg aws.Config) {
		ctx := context.Background()
		s := exampleSpec()

		first, err := Plan(ctx, cfg, s)
		if err != nil {
			t.Fatal(err)
		}
		// The AMI is whatever the endpoint publishes; the golden file should
		// not depend on it.
		ami, err := ssm.NewFromConfig(cfg).GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(awsres.ECSOptimizedAMIParameter)})
		if err != nil {
			t.Fatal(err)
		}
		golden(t, "plan-create.golden", strings.ReplaceAll(renderPlan(t, first), aws.ToString(ami.Parameter.Value), "<ecs-optimized-ami>"))

		out := apply(t, cfg, first)
		if out.ClusterName != "fastapi-demo" || out.ServiceName != "fastapi-demo" || out.LogGroup != "/berth/fastapi-demo" ||
			!strings.HasPrefix(out.URL, "http://") || out.LoadBalancerDNS == "" || !strings.Contains(out.TargetGroupARN, ":targetgroup/fastapi-demo-tg/") {
			t.Fatalf("outputs = %+v", out)
		}

		second, err := Plan(ctx, cfg, s)
		if err != nil {
			t.Fatal(err)
		}
		if !second.Empty() {
			t.Fatalf("second plan is not a no-op:\n%s", renderPlan(t, second))
		}
		if got := renderPlan(t, second); got != "No changes. The stack matches berth.yaml.\n" {
			t.Fatalf("empty plan renders %q", got)
		}

		s.Service.Count = 3
		scale, err := Plan(ctx, cfg, s)
		if err != nil {
			t.Fatal(err)
		}
		if len(scale.Changes) != 1 || scale.Changes[0].Addr != AddrService || scale.Changes[0].Action != engine.Update {
			t.Fatalf("scaling 2→3 planned:\n%s", renderPlan(t, scale))
		}
		golden(t, "plan-scale.golden", renderPlan(t, scale))
		apply(t, cfg, scale)
		if after, err := Plan(ctx, cfg, s); err != nil || !after.Empty() {
			t.Fatalf("plan after scaling: %v\n%s", err, renderPlan(t, after))
		}

		destroy, err := PlanDestroy(ctx, cfg, s)
		if err != nil {
			t.Fatal(err)
		}
		if wanted := wantedResources(t, s); len(destroy.Changes) != wanted {
			t.Fatalf("destroy plans %d deletions for %d resources:\n%s", len(destroy.Changes), wanted, renderPlan(t, destroy))
		}
		golden(t, "plan-destroy.golden", renderPlan(t, destroy))
		apply(t, cfg, destroy)

		assertNothingLeft(t, cfg, s.Name)
		again, err := PlanDestroy(ctx, cfg, s)
		if err != nil {
			t.Fatal(err)
		}
		if !again.Empty() {
			t.Fatalf("destroy left resources:\n%s", renderPlan(t, again))
		}
	})
}
