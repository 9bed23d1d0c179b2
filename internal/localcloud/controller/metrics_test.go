package controller_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/berthdev/berth/internal/localcloud"
	"github.com/berthdev/berth/internal/localcloud/localcloudtest"
	"github.com/berthdev/berth/internal/localcloud/runtime"
)

// testTimeScale makes a minute a second: metric and alarm periods, cooldowns
// and warm-up are 1/60 of AWS's.
const testTimeScale = 60

// burnerScript is a task that keeps a quarter of a CPU busy while the file
// $LOAD_FILE exists (50 ms of work every 200 ms), and idles otherwise. Its
// load is bounded: it burns for at most five minutes in all.
const burnerScript = `
import os, time
path, budget = os.environ["LOAD_FILE"], 300.0
while True:
    if budget > 0 and os.path.exists(path):
        end = time.monotonic() + 0.05
        while time.monotonic() < end:
            pass
        budget -= 0.05
        time.sleep(0.15)
    else:
        time.sleep(0.2)
`

// burnerImage registers the process image "burner" and returns the file
// that turns its load on.
func burnerImage(t *testing.T, cloud *localcloudtest.Cloud) (loadFile string) {
	t.Helper()
	python := "/usr/bin/python3"
	if _, err := os.Stat(python); err != nil {
		t.Fatalf("the burner task needs %s: %v", python, err)
	}
	dir := t.TempDir()
	loadFile = filepath.Join(dir, "load")
	if err := cloud.PutImage(runtime.ProcessImage{Name: "burner", Dir: dir, Command: []string{python, "-c", burnerScript}, Env: map[string]string{"LOAD_FILE": loadFile}}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.Remove(loadFile) })
	return loadFile
}

// burnerDefinition registers a task definition of the burner that reserves
// 64 CPU units and 128 MiB: its load is 400% of that on an idle machine,
// and still about 100% on a machine busy with other tests.
func burnerDefinition(t *testing.T, client *ecs.Client) string {
	t.Helper()
	def, err := client.RegisterTaskDefinition(context.Background(), &ecs.RegisterTaskDefinitionInput{
		Family: aws.String("burner"),
		ContainerDefinitions: []ecstypes.ContainerDefinition{{
			Name: aws.String("app"), Image: aws.String("burner"), Cpu: 64, Memory: aws.Int32(128),
		}},
	})
	if err != nil {
		t.Fatalf("RegisterTaskDefinition: %v", err)
	}
	return aws.ToString(def.TaskDefinition.TaskDefinitionArn)
}

// latest returns the newest datapoint of a metric over the last minutes.
func latest(ctx context.Context, client *cloudwatch.Client, namespace, name string, dims map[string]string, stat cwtypes.Statistic) (float64, bool) {
	var dimensions []cwtypes.Dimension
	for k, v := range dims {
		dimensions = append(dimensions, cwtypes.Dimension{Name: aws.String(k), Value: aws.String(v)})
	}
	now := time.Now()
	out, err := client.GetMetricStatistics(ctx, &cloudwatch.GetMetricStatisticsInput{
		Namespace: aws.String(namespace), MetricName: aws.String(name), Dimensions: dimensions,
		StartTime: aws.Time(now.Add(-5 * time.Minute)), EndTime: aws.Time(now.Add(time.Minute)),
		Period: aws.Int32(1), Statistics: []cwtypes.Statistic{stat},
	})
	if err != nil || len(out.Datapoints) == 0 {
		return 0, false
	}
	newest := out.Datapoints[0]
	for _, d := range out.Datapoints {
		if d.Timestamp.After(*newest.Timestamp) {
			newest = d
		}
	}
	switch stat {
	case cwtypes.StatisticMaximum:
		return aws.ToFloat64(newest.Maximum), true
	case cwtypes.StatisticSum:
		return aws.ToFloat64(newest.Sum), true
	}
	return aws.ToFloat64(newest.Average), true
}

// ECS publishes its services' and clusters' CPU and memory utilization
// from what the tasks' processes really use against what their task
// definitions reserve.
func TestECSMetricsFromTheTasksProcesses(t *testing.T) {
	cloud := localcloudtest.StartWithOptions(t, localcloud.Options{TimeScale: testTimeScale})
	capacity(t, cloud, "metered")
	loadFile := burnerImage(t, cloud)
	client := ecs.NewFromConfig(cloud.Config)
	watch := cloudwatch.NewFromConfig(cloud.Config)
	ctx := context.Background()
	if _, err := client.CreateService(ctx, &ecs.CreateServiceInput{
		Cluster: aws.String("metered"), ServiceName: aws.String("web"), TaskDefinition: aws.String(burnerDefinition(t, client)), DesiredCount: aws.Int32(1),
	}); err != nil {
		t.Fatalf("CreateService: %v", err)
	}
	service := map[string]string{"ClusterName": "metered", "ServiceName": "web"}
	cluster := map[string]string{"ClusterName": "metered"}
	localcloudtest.Eventually(t, "an idle service's CPU and memory utilization", func() bool {
		cpu, okCPU := latest(ctx, watch, "AWS/ECS", "CPUUtilization", service, cwtypes.StatisticAverage)
		mem, okMem := latest(ctx, watch, "AWS/ECS", "MemoryUtilization", service, cwtypes.StatisticAverage)
		return okCPU && okMem && cpu < 40 && mem > 0
	})
	if err := os.WriteFile(loadFile, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	// A quarter of a CPU against 64 units reserved is well over 100%.
	localcloudtest.Eventually(t, "the loaded service's CPU utilization", func() bool {
		cpu, ok := latest(ctx, watch, "AWS/ECS", "CPUUtilization", service, cwtypes.StatisticAverage)
		return ok && cpu > 50
	})
	if err := os.Remove(loadFile); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"CPUUtilization", "MemoryUtilization", "CPUReservation", "MemoryReservation"} {
		if _, ok := latest(ctx, watch, "AWS/ECS", name, cluster, cwtypes.StatisticAverage); !ok {
			t.Errorf("no cluster %s", name)
		}
	}
	// 64 of the t2.medium's 2048 units are reserved.
	if v, _ := latest(ctx, watch, "AWS/ECS", "CPUReservation", cluster, cwtypes.StatisticAverage); v != 3.125 {
		t.Errorf("cluster CPUReservation = %v, want 3.125", v)
	}
	metrics, err := watch.ListMetrics(ctx, &cloudwatch.ListMetricsInput{Namespace: aws.String("AWS/ECS"), MetricName: aws.String("CPUUtilization")})
	if err != nil || len(metrics.Metrics) != 2 {
		t.Errorf("ListMetrics: %v, %d metrics, want the service's and the cluster's", err, len(metrics.Metrics))
	}
}
