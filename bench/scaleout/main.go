// Command scaleout measures how long berth's local cloud takes from the
// start of a CPU load in a service's tasks to its first scale-out by a
// target tracking policy: the ECS metric period, the high alarm's three
// periods and the policy's invocation, as on AWS.
//
// It starts an in-process local cloud on a loopback port with the given
// time scale, builds a cluster of one t2.medium, a service of one task
// that burns a quarter of a CPU while a file exists (at most two minutes of
// burning, whatever happens), a scalable target (1..2) and a CPU target
// tracking policy (target 50%), all through the AWS SDK; then it creates
// the file and polls DescribeServices until desiredCount rises.
//
// AWS's own timing (-real) takes about four minutes per run; it is off
// unless asked for. Run it from the repository: go run ./bench/scaleout.
package main

import (
	"context"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	goruntime "runtime"
	"strings"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	aas "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling"
	aastypes "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling/types"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	astypes "github.com/aws/aws-sdk-go-v2/service/autoscaling/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/berthdev/berth/internal/localcloud"
	"github.com/berthdev/berth/internal/localcloud/runtime"
	localec2 "github.com/berthdev/berth/internal/localcloud/service/ec2"
)

// burner keeps a quarter of a CPU busy while $LOAD_FILE exists, for at most
// two minutes of burning in all.
const burner = `
import os, time
path, budget = os.environ["LOAD_FILE"], 120.0
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

func main() {
	scale := flag.Float64("time-scale", 60, "time scale of the shortened run (1..60)")
	runs := flag.Int("runs", 3, "runs at the shortened time scale")
	real := flag.Bool("real", false, "also run once with AWS's real timing (about four minutes)")
	flag.Parse()
	if *scale < 1 || *scale > 60 || *runs < 0 || *runs > 10 {
		fmt.Fprintln(os.Stderr, "scaleout: -time-scale must be within 1..60 and -runs 0..10")
		os.Exit(2)
	}
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer cancel()
	fmt.Printf("scaleout: %d CPUs, load %s\n", goruntime.NumCPU(), loadAverage())
	plan := []float64{}
	for range *runs {
		plan = append(plan, *scale)
	}
	if *real {
		plan = append(plan, 1)
	}
	for _, f := range plan {
		took, err := measure(ctx, f)
		if err != nil {
			fmt.Fprintln(os.Stderr, "scaleout:", err)
			os.Exit(1)
		}
		fmt.Printf("time scale %-4v load start → first scale-out: %6.1f s (load %s)\n", f, took.Seconds(), loadAverage())
	}
}

func loadAverage() string {
	raw, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	return strings.Join(strings.Fields(string(raw))[:3], " ")
}

func measure(ctx context.Context, timeScale float64) (time.Duration, error) {
	cloud, err := localcloud.New(localcloud.Options{TimeScale: timeScale, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		return 0, err
	}
	defer cloud.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	serveCtx, stop := context.WithCancel(ctx)
	served := make(chan error, 1)
	go func() { served <- cloud.Serve(serveCtx, ln) }()
	defer func() { stop(); <-served }()

	dir, err := os.MkdirTemp("", "scaleout")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(dir)
	loadFile := filepath.Join(dir, "load")
	if err := cloud.PutImage(runtime.ProcessImage{Name: "burner", Dir: dir, Command: []string{"/usr/bin/python3", "-c", burner}, Env: map[string]string{"LOAD_FILE": loadFile}}); err != nil {
		return 0, err
	}
	cfg, err := config.LoadDefaultConfig(ctx, config.WithRegion("us-east-1"),
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("bench", "bench", "")),
		config.WithBaseEndpoint("http://"+ln.Addr().String()))
	if err != nil {
		return 0, err
	}
	if err := stack(ctx, cfg); err != nil {
		return 0, err
	}
	ecsClient := ecs.NewFromConfig(cfg)
	running := func() (int32, error) {
		out, err := ecsClient.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String("bench"), Services: []string{"web"}})
		if err != nil || len(out.Services) != 1 {
			return 0, fmt.Errorf("DescribeServices: %v", err)
		}
		return out.Services[0].RunningCount, nil
	}
	// The load starts once the task runs.
	if err := poll(ctx, 2*time.Minute, func() (bool, error) { n, err := running(); return n == 1, err }); err != nil {
		return 0, fmt.Errorf("waiting for the task: %w", err)
	}
	if err := os.WriteFile(loadFile, nil, 0o600); err != nil {
		return 0, err
	}
	defer os.Remove(loadFile)
	start := time.Now()
	err = poll(ctx, 15*time.Minute, func() (bool, error) {
		out, err := ecsClient.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String("bench"), Services: []string{"web"}})
		if err != nil || len(out.Services) != 1 {
			return false, fmt.Errorf("DescribeServices: %v", err)
		}
		return out.Services[0].DesiredCount > 1, nil
	})
	return time.Since(start), err
}

func poll(ctx context.Context, limit time.Duration, done func() (bool, error)) error {
	deadline := time.Now().Add(limit)
	for {
		ok, err := done()
		if err != nil || ok {
			return err
		}
		if time.Now().After(deadline) {
			return errors.New("gave up")
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// stack builds the cluster, its one instance, the service and its policy.
func stack(ctx context.Context, cfg aws.Config) error {
	ec2Client, ecsClient := ec2.NewFromConfig(cfg), ecs.NewFromConfig(cfg)
	vpc, err := ec2Client.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String("10.0.0.0/16")})
	if err != nil {
		return err
	}
	subnet, err := ec2Client.CreateSubnet(ctx, &ec2.CreateSubnetInput{VpcId: vpc.Vpc.VpcId, CidrBlock: aws.String("10.0.1.0/24"), AvailabilityZone: aws.String("us-east-1a")})
	if err != nil {
		return err
	}
	userData := base64.StdEncoding.EncodeToString([]byte("#!/bin/bash\necho ECS_CLUSTER=bench >> /etc/ecs/ecs.config\n"))
	lt, err := ec2Client.CreateLaunchTemplate(ctx, &ec2.CreateLaunchTemplateInput{
		LaunchTemplateName: aws.String("bench"),
		LaunchTemplateData: &ec2types.RequestLaunchTemplateData{ImageId: aws.String(localec2.ECSOptimizedImage("us-east-1").ID), InstanceType: ec2types.InstanceTypeT2Medium, UserData: aws.String(userData)},
	})
	if err != nil {
		return err
	}
	if _, err := ecsClient.CreateCluster(ctx, &ecs.CreateClusterInput{ClusterName: aws.String("bench")}); err != nil {
		return err
	}
	if _, err := autoscaling.NewFromConfig(cfg).CreateAutoScalingGroup(ctx, &autoscaling.CreateAutoScalingGroupInput{
		AutoScalingGroupName: aws.String("bench"), MinSize: aws.Int32(1), MaxSize: aws.Int32(1),
		LaunchTemplate:    &astypes.LaunchTemplateSpecification{LaunchTemplateId: lt.LaunchTemplate.LaunchTemplateId, Version: aws.String("$Latest")},
		VPCZoneIdentifier: subnet.Subnet.SubnetId,
	}); err != nil {
		return err
	}
	def, err := ecsClient.RegisterTaskDefinition(ctx, &ecs.RegisterTaskDefinitionInput{
		Family:               aws.String("burner"),
		ContainerDefinitions: []ecstypes.ContainerDefinition{{Name: aws.String("app"), Image: aws.String("burner"), Cpu: 64, Memory: aws.Int32(128)}},
	})
	if err != nil {
		return err
	}
	if _, err := ecsClient.CreateService(ctx, &ecs.CreateServiceInput{
		Cluster: aws.String("bench"), ServiceName: aws.String("web"), TaskDefinition: def.TaskDefinition.TaskDefinitionArn, DesiredCount: aws.Int32(1),
	}); err != nil {
		return err
	}
	scaling := aas.NewFromConfig(cfg)
	resource := aws.String("service/bench/web")
	if _, err := scaling.RegisterScalableTarget(ctx, &aas.RegisterScalableTargetInput{
		ServiceNamespace: aastypes.ServiceNamespaceEcs, ScalableDimension: aastypes.ScalableDimensionECSServiceDesiredCount,
		ResourceId: resource, MinCapacity: aws.Int32(1), MaxCapacity: aws.Int32(2),
	}); err != nil {
		return err
	}
	_, err = scaling.PutScalingPolicy(ctx, &aas.PutScalingPolicyInput{
		PolicyName: aws.String("cpu50"), PolicyType: aastypes.PolicyTypeTargetTrackingScaling,
		ServiceNamespace: aastypes.ServiceNamespaceEcs, ScalableDimension: aastypes.ScalableDimensionECSServiceDesiredCount, ResourceId: resource,
		TargetTrackingScalingPolicyConfiguration: &aastypes.TargetTrackingScalingPolicyConfiguration{
			TargetValue:                   aws.Float64(50),
			PredefinedMetricSpecification: &aastypes.PredefinedMetricSpecification{PredefinedMetricType: aastypes.MetricTypeECSServiceAverageCPUUtilization},
		},
	})
	return err
}
