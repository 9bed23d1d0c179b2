// Command rolling measures a rolling deploy of the FastAPI example on
// berth's local cloud: from the start of the deploy of a new revision to
// the moment the old tasks have drained and stopped, under a steady client
// load through the load balancer, counting the requests that failed.
//
// It runs the example twice, each in its own in-process local cloud: with
// berth's defaults (examples/fastapi/berth.yaml as it is: health checks
// every 10 s, healthy after 2, deregistration delay 5 s) and with AWS's
// (every 30 s, healthy after 5, deregistration delay 300 s, ECS's 100/200
// percent), which takes about ten minutes. Autoscaling is off in both, so
// that the load does not change the count while the service rolls. The tasks are the example's
// process image (uvicorn), so python3-fastapi and python3-uvicorn must be
// installed. Run it from the repository: go run ./bench/rolling.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	goruntime "runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/berthdev/berth/internal/engine"
	"github.com/berthdev/berth/internal/localcloud"
	"github.com/berthdev/berth/internal/localcloud/runtime"
	"github.com/berthdev/berth/internal/spec"
	"github.com/berthdev/berth/internal/stack"
)

// Bounds of the client load, whatever happens: it sends traffic only to
// the local cloud's listener on loopback.
const (
	maxRequests = 2_000_000
	maxLoadTime = 20 * time.Minute
)

// variant is one set of timing settings applied to the example.
type variant struct {
	name  string
	apply func(*spec.Spec)
}

var variants = []variant{
	{"berth's defaults", func(*spec.Spec) {}},
	{"AWS's defaults", func(s *spec.Spec) {
		hc := &s.Service.HealthCheck
		hc.Interval, hc.Timeout, hc.HealthyThreshold, hc.UnhealthyThreshold = 30, 5, 5, 2
		s.Service.DeregistrationDelay = 300
		s.Service.Deployment.MinimumHealthyPercent, s.Service.Deployment.MaximumPercent = 100, 200
		s.Service.Deployment.StopTimeout = 30
	}},
}

type result struct {
	took             time.Duration
	requests, failed int64
}

func main() {
	file := flag.String("f", "examples/fastapi/berth.yaml", "the example's berth.yaml")
	clients := flag.Int("clients", 4, "concurrent clients of the load (keep-alive connections)")
	quick := flag.Bool("quick", false, "berth's defaults only (skips the ten-minute run with AWS's)")
	flag.Parse()
	if *clients < 1 || *clients > 64 {
		fmt.Fprintln(os.Stderr, "rolling: -clients must be within 1..64")
		os.Exit(2)
	}
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer cancel()
	fmt.Printf("berth bench-rolling  %s\nmachine: %d CPUs, %s/%s, load %s\n", time.Now().UTC().Format("2006-01-02 15:04 MST"), goruntime.NumCPU(), goruntime.GOOS, goruntime.GOARCH, loadAverage())
	fmt.Printf("a rolling deploy of %s from revision 1 to 2, %d clients sending GET / through the load balancer\n", *file, *clients)
	run := variants
	if *quick {
		run = variants[:1]
	}
	var results []result
	for _, v := range run {
		r, err := measure(ctx, *file, v, *clients)
		if err != nil {
			fmt.Fprintf(os.Stderr, "rolling: %s: %v\n", v.name, err)
			os.Exit(1)
		}
		results = append(results, r)
		fmt.Printf("  %-17s deploy → old tasks stopped %7.1f s   requests %7d  failed %d   (load %s)\n", v.name, r.took.Seconds(), r.requests, r.failed, loadAverage())
	}
	if len(results) == 2 {
		fmt.Printf("  berth's defaults are %.1f× faster (goal ≥ 10×, zero failed requests in both)\n", results[1].took.Seconds()/results[0].took.Seconds())
	}
}

func loadAverage() string {
	raw, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	return strings.Join(strings.Fields(string(raw))[:3], " ")
}

func measure(ctx context.Context, file string, v variant, clients int) (result, error) {
	s, err := spec.Load(file)
	if err != nil {
		return result{}, err
	}
	if s.Local == nil {
		return result{}, fmt.Errorf("%s has no local: section to run its image as a process", file)
	}
	// The load would scale the service out (requests_per_target) while it
	// rolls: the bench measures the deploy alone, at the example's count.
	if a := s.Service.Autoscaling; a != nil {
		s.Service.Count, s.Service.Autoscaling = a.Min, nil
	}
	v.apply(s)
	cloud, err := localcloud.New(localcloud.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		return result{}, err
	}
	defer cloud.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return result{}, err
	}
	serveCtx, stop := context.WithCancel(ctx)
	served := make(chan error, 1)
	go func() { served <- cloud.Serve(serveCtx, ln) }()
	defer func() { stop(); <-served }()
	endpoint := "http://" + ln.Addr().String()
	if err := cloud.PutImage(runtime.ProcessImage{Name: s.Service.Image, Dir: s.Local.Dir, Command: s.Local.Command, Env: s.Local.Env}); err != nil {
		return result{}, err
	}
	cfg, err := config.LoadDefaultConfig(ctx, config.WithRegion("eu-west-1"),
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("bench", "bench", "")),
		config.WithBaseEndpoint(endpoint))
	if err != nil {
		return result{}, err
	}
	outputs, err := deploy(ctx, cfg, s)
	if err != nil {
		return result{}, fmt.Errorf("first deploy: %w", err)
	}
	address, err := listenerAddress(endpoint, outputs.LoadBalancerDNS, s.LoadBalancer.Port)
	if err != nil {
		return result{}, err
	}
	load := startLoad(ctx, "http://"+address+"/", clients)
	if s.Service.Environment == nil {
		s.Service.Environment = map[string]string{}
	}
	s.Service.Environment["REVISION"] = "2"
	start := time.Now()
	if _, err := deploy(ctx, cfg, s); err != nil {
		load.stop()
		return result{}, fmt.Errorf("rolling deploy: %w", err)
	}
	if err := waitOldTasksStopped(ctx, cfg, outputs); err != nil {
		load.stop()
		return result{}, err
	}
	took := time.Since(start)
	load.stop()
	return result{took: took, requests: load.requests.Load(), failed: load.failed.Load()}, nil
}

// deploy is berth deploy without its output: plan, apply, wait healthy.
func deploy(ctx context.Context, cfg aws.Config, s *spec.Spec) (*stack.Outputs, error) {
	p, err := stack.Plan(ctx, cfg, s)
	if err != nil {
		return nil, err
	}
	if _, err := stack.Apply(ctx, cfg, p, engine.ApplyOptions{}); err != nil {
		return nil, err
	}
	return stack.WaitHealthy(ctx, cfg, s, nil)
}

// waitOldTasksStopped returns once every task of the service that is not
// stopped runs the service's current task definition.
func waitOldTasksStopped(ctx context.Context, cfg aws.Config, o *stack.Outputs) error {
	client := ecs.NewFromConfig(cfg)
	deadline := time.Now().Add(15 * time.Minute)
	for time.Now().Before(deadline) {
		services, err := client.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String(o.ClusterName), Services: []string{o.ServiceName}})
		if err != nil || len(services.Services) != 1 {
			return fmt.Errorf("DescribeServices: %v", err)
		}
		current := aws.ToString(services.Services[0].TaskDefinition)
		old := 0
		for _, status := range []ecstypes.DesiredStatus{ecstypes.DesiredStatusRunning, ecstypes.DesiredStatusStopped} {
			tasks, err := client.ListTasks(ctx, &ecs.ListTasksInput{Cluster: aws.String(o.ClusterName), ServiceName: aws.String(o.ServiceName), DesiredStatus: status})
			if err != nil {
				return fmt.Errorf("ListTasks: %w", err)
			}
			if len(tasks.TaskArns) == 0 {
				continue
			}
			described, err := client.DescribeTasks(ctx, &ecs.DescribeTasksInput{Cluster: aws.String(o.ClusterName), Tasks: tasks.TaskArns})
			if err != nil {
				return fmt.Errorf("DescribeTasks: %w", err)
			}
			for _, t := range described.Tasks {
				if aws.ToString(t.TaskDefinitionArn) != current && aws.ToString(t.LastStatus) != "STOPPED" {
					old++
				}
			}
		}
		if old == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
	return errors.New("the old tasks did not stop within 15 minutes")
}

// listenerAddress asks the local cloud where the load balancer's listener
// on port really listens (another port when that one was taken).
func listenerAddress(endpoint, dnsName string, port int) (string, error) {
	response, err := http.Get(endpoint + "/_berth/listeners")
	if err != nil {
		return "", err
	}
	defer response.Body.Close()
	var body struct {
		Listeners []struct {
			DNSName string `json:"dnsName"`
			Port    int    `json:"port"`
			Address string `json:"address"`
		} `json:"listeners"`
	}
	if err := json.NewDecoder(response.Body).Decode(&body); err != nil {
		return "", fmt.Errorf("GET /_berth/listeners: %w", err)
	}
	for _, l := range body.Listeners {
		if l.DNSName == dnsName && l.Port == port {
			return l.Address, nil
		}
	}
	return "", fmt.Errorf("GET /_berth/listeners does not list %s:%d", dnsName, port)
}

// load is a closed-loop client load, bounded in requests and time.
type load struct {
	requests, failed atomic.Int64
	cancel           context.CancelFunc
	done             sync.WaitGroup
}

func startLoad(ctx context.Context, url string, clients int) *load {
	l := &load{}
	ctx, l.cancel = context.WithTimeout(ctx, maxLoadTime)
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: clients}}
	for range clients {
		l.done.Add(1)
		go func() {
			defer l.done.Done()
			for ctx.Err() == nil && l.requests.Add(1) <= maxRequests {
				request, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
				response, err := client.Do(request)
				if err == nil {
					_, err = io.Copy(io.Discard, response.Body)
					response.Body.Close()
				}
				if ctx.Err() != nil {
					l.requests.Add(-1) // cut off by stop, not failed
					return
				}
				if err != nil || response.StatusCode != http.StatusOK {
					l.failed.Add(1)
				}
			}
		}()
	}
	return l
}

func (l *load) stop() {
	l.cancel()
	l.done.Wait()
}
