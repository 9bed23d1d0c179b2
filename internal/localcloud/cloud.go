// Package localcloud is berth's AWS-compatible cloud on one machine: one HTTP
// endpoint that speaks the wire protocols of the services berth and its users'
// tools call, backed by a crash-safe store, with a data plane that really runs
// tasks and really routes HTTP through load balancers.
package localcloud

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/berthdev/berth/internal/localcloud/controller"
	"github.com/berthdev/berth/internal/localcloud/lb"
	"github.com/berthdev/berth/internal/localcloud/runtime"

	"github.com/berthdev/berth/internal/localcloud/protocol"
	"github.com/berthdev/berth/internal/localcloud/registry"
	"github.com/berthdev/berth/internal/localcloud/service/acm"
	"github.com/berthdev/berth/internal/localcloud/service/applicationautoscaling"
	"github.com/berthdev/berth/internal/localcloud/service/autoscaling"
	"github.com/berthdev/berth/internal/localcloud/service/cloudwatch"
	"github.com/berthdev/berth/internal/localcloud/service/ec2"
	"github.com/berthdev/berth/internal/localcloud/service/ecr"
	"github.com/berthdev/berth/internal/localcloud/service/ecs"
	"github.com/berthdev/berth/internal/localcloud/service/elb"
	"github.com/berthdev/berth/internal/localcloud/service/elbv2"
	"github.com/berthdev/berth/internal/localcloud/service/iam"
	"github.com/berthdev/berth/internal/localcloud/service/logs"
	"github.com/berthdev/berth/internal/localcloud/service/secretsmanager"
	"github.com/berthdev/berth/internal/localcloud/service/ssm"
	"github.com/berthdev/berth/internal/localcloud/service/sts"
	"github.com/berthdev/berth/internal/localcloud/store"
)

// Options configures a Cloud.
type Options struct {
	// StateDir keeps the state across restarts; empty means ephemeral.
	StateDir string
	// Account is the 12-digit account id every call acts in (and every
	// ARN carries); empty means protocol.DefaultAccountID.
	Account string
	Logger  *slog.Logger
	// LogCalls logs one line per control-plane request (berth local -v).
	LogCalls bool

	// Endpoint security (see guard.go). CORSOrigins are the origins whose
	// web pages may call the endpoint; Hostnames are Host names accepted
	// besides loopback addresses, localhost and *.localhost.
	CORSOrigins []string
	Hostnames   []string
	// AllowRemote serves clients on other machines: IP-literal Hosts are
	// accepted. It needs SigV4Keys.
	AllowRemote bool
	// SigV4Keys (access key id → secret access key), when not empty, make
	// every control-plane request need a valid SigV4 signature by one of
	// them.
	SigV4Keys map[string]string

	// SharedNetwork runs tasks in the host's network namespace even where
	// per-task namespaces are possible (runtime.ProcessOptions).
	SharedNetwork bool

	// TimeScale shortens AWS's metric periods, alarm evaluation, scaling
	// cooldowns and instance warm-up by this factor (controller.Options);
	// 0 or 1 is AWS's real timing.
	TimeScale float64
	// Runtime chooses what runs tasks (runtime.Mode); empty means auto:
	// Docker for images a reachable Docker Engine has or the local ECR
	// holds, process images otherwise.
	Runtime runtime.Mode
}

// Cloud is one running local cloud: its store, services and data plane.
type Cloud struct {
	store *store.Store

	EC2         *ec2.Backend
	IAM         *iam.Backend
	SSM         *ssm.Backend
	Logs        *logs.Backend
	ELBv2       *elbv2.Backend
	AutoScaling *autoscaling.Backend
	ECS         *ecs.Backend
	CloudWatch  *cloudwatch.Backend
	ACM         *acm.Backend
	Secrets     *secretsmanager.Backend
	// AppAutoScaling is Application Auto Scaling; ECR the registry's
	// control plane.
	AppAutoScaling *applicationautoscaling.Backend
	ECR            *ecr.Backend

	logger  *slog.Logger
	router  *Router
	mux     *http.ServeMux
	guard   *guard
	control http.Handler // the guarded API and admin routes

	runtime    *runtime.Selector
	balancer   *lb.Balancer
	controller *controller.Controller

	mu       sync.Mutex
	endpoint string // where the API is served, once Serve or SetEndpoint says
}

// New opens the state and builds the services. Close releases them.
func New(opts Options) (*Cloud, error) {
	account := opts.Account
	if account == "" {
		account = protocol.DefaultAccountID
	}
	if !store.ValidAccount(account) {
		return nil, fmt.Errorf("account %q is not an AWS account id (12 digits)", account)
	}
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	var st *store.Store
	var err error
	if opts.StateDir == "" {
		st, err = store.OpenEphemeral()
	} else {
		st, err = store.Open(opts.StateDir)
	}
	if err != nil {
		return nil, err
	}
	// Only once the state is ours (not locked by a running cloud) may a
	// new admin token replace the one in its directory.
	security, err := newGuard(opts)
	if err != nil {
		st.Close()
		return nil, err
	}
	// The local CA lives beside the state, so a restart keeps the root
	// that clients were told to trust; an ephemeral cloud's is in memory.
	caDir := ""
	if opts.StateDir != "" {
		caDir = filepath.Join(opts.StateDir, "ca")
	}
	certificates, err := acm.New(st, acm.Options{CADir: caDir})
	if err != nil {
		st.Close()
		security.close()
		return nil, err
	}
	c := &Cloud{
		guard:       security,
		store:       st,
		logger:      logger,
		EC2:         ec2.New(st),
		IAM:         iam.New(st),
		SSM:         ssm.New(st),
		Logs:        logs.New(st),
		ELBv2:       elbv2.New(st),
		AutoScaling: autoscaling.New(st),
		ECS:         ecs.New(st),
		CloudWatch:  cloudwatch.New(st),
		ACM:         certificates,
		Secrets:     secretsmanager.New(st),

		AppAutoScaling: applicationautoscaling.New(st),
		ECR:            ecr.New(st),
	}
	c.wireServices()
	if c.runtime, err = c.newRuntime(opts); err != nil {
		st.Close()
		security.close()
		return nil, err
	}
	c.balancer = lb.New(lb.Options{
		Logf: logf(logger, "lb"),
		// Health verdicts flow to the controller, which records them in
		// ELBv2 and acts on them; it exists before any listener opens.
		OnTargetHealth: func(change lb.TargetHealthChange) { c.controller.OnTargetHealth(change) },
	})
	c.controller = controller.New(controller.Deps{
		Store:       st,
		EC2:         c.EC2,
		AutoScaling: c.AutoScaling,
		ECS:         c.ECS,
		ELBv2:       c.ELBv2,
		Logs:        c.Logs,
		CloudWatch:  c.CloudWatch,
		ACM:         c.ACM,
		SSM:         c.SSM,
		Secrets:     c.Secrets,
		IAM:         c.IAM,
		Runtime:     c.runtime,

		AppAutoScaling: c.AppAutoScaling,
		Balancer:       c.balancer,
		Images:         c.Image,
		Endpoint:       c.Endpoint,
		Logger:         logger,
		Options:        controller.Options{TimeScale: opts.TimeScale},
	})
	c.router = NewRouter(logger, c.services()...)
	c.router.Account = account
	c.mux = http.NewServeMux()
	c.mux.HandleFunc("GET /_berth/health", c.handleHealth)
	c.mux.HandleFunc("POST /_berth/reset", c.handleReset)
	c.mux.HandleFunc("POST /moto-api/reset", c.handleReset)
	c.mux.HandleFunc("POST /_berth/images", c.handlePutImage)
	c.mux.HandleFunc("GET /_berth/images", c.handleListImages)
	c.mux.HandleFunc("GET /_berth/listeners", c.handleListeners)
	c.mux.HandleFunc("GET /_berth/ca.pem", c.handleCAPEM)
	c.mux.HandleFunc("GET /_berth/metadata/v4/{task}", c.handleTaskMetadata)
	c.mux.HandleFunc("GET /_berth/metadata/v4/{task}/task", c.handleTaskMetadata)
	c.mux.Handle("GET "+ecr.LayerPath, c.ECR.LayerHandler())
	c.mux.Handle(registry.Prefix, registry.New(c.ECR))
	c.mux.Handle("/", c.router)
	c.guard.describe, c.guard.next = c.router.describe, c.mux
	if c.guard.verifier != nil {
		// Keys IAM and STS issued sign requests as well as the configured
		// ones do, as on AWS.
		iamScope := store.WithScope(context.Background(), store.Scope{Account: account, Region: protocol.DefaultRegion})
		c.guard.verifier.Issued = func(id string) (string, bool) {
			secret, ok, err := c.IAM.SecretOf(iamScope, id)
			return secret, ok && err == nil
		}
	}
	c.control = c.guard
	if opts.LogCalls {
		c.control = &callLogger{logger: logger, next: c.guard}
	}
	return c, nil
}

// AdminToken is the secret that writing process images needs; it changes at
// every start.
func (c *Cloud) AdminToken() string { return c.guard.token }

// AdminTokenPath is the file the admin token was written to (mode 0600).
func (c *Cloud) AdminTokenPath() string { return c.guard.tokenFile }

func (c *Cloud) services() []*protocol.Service {
	return append([]*protocol.Service{
		sts.New(c.IAM).Service(),
		c.EC2.Service(),
		c.IAM.Service(),
		c.SSM.Service(),
		c.Logs.Service(),
		c.ELBv2.Service(),
		c.AutoScaling.Service(),
		c.ECS.Service(),
		c.ACM.Service(),
		c.Secrets.Service(),
		c.AppAutoScaling.Service(),
		c.ECR.Service(),
		elb.Service(),
	}, c.CloudWatch.Services()...) // one per protocol CloudWatch speaks
}

// Models are the AWS API models of the services this cloud answers for,
// by botocore name (ec2, elbv2, …): every operation of each is known.
func (c *Cloud) Models() []string { return c.router.Models() }

// wireServices lets services check what other services own, as AWS's do:
// a load balancer's or group's subnets are EC2's.
func (c *Cloud) wireServices() {
	c.ELBv2.ResolveSubnet = func(ctx context.Context, id string) (*elbv2.SubnetInfo, error) {
		subnet, err := c.EC2.Subnet(ctx, id)
		if err != nil || subnet == nil {
			return nil, err
		}
		return &elbv2.SubnetInfo{VpcID: subnet.VpcID, AvailabilityZone: subnet.AvailabilityZone}, nil
	}
	c.ELBv2.VPCExists = c.EC2.VPCExists
	c.ELBv2.DefaultSecurityGroup = c.EC2.DefaultSecurityGroup
	c.AutoScaling.ResolveLaunchTemplate = c.EC2.LaunchTemplateRef
	c.AutoScaling.ResolveSubnetZone = func(ctx context.Context, id string) (string, error) {
		subnet, err := c.EC2.Subnet(ctx, id)
		if err != nil || subnet == nil {
			return "", err
		}
		return subnet.AvailabilityZone, nil
	}
	c.ECR.Endpoint = c.Endpoint
	c.AppAutoScaling.CloudWatch = c.CloudWatch
	c.ECR.RegistryHost = func(string, string) string { return c.registryHost() }
	c.AppAutoScaling.ECSServiceExists = func(ctx context.Context, ref applicationautoscaling.ECSService) (bool, error) {
		exists := false
		err := c.ECS.View(ctx, func(s *ecs.State) error {
			svc, err := s.Service(ref.Cluster, ref.Service)
			exists = svc != nil && svc.Status == "ACTIVE"
			return err
		})
		return exists, err
	}
	c.AppAutoScaling.TargetGroupOfLoadBalancer = func(ctx context.Context, loadBalancerARN, targetGroupARN string) (bool, error) {
		groups, users, err := c.ELBv2.TargetGroups(ctx, "", []string{targetGroupARN}, nil)
		var apiErr *protocol.Error
		if errors.As(err, &apiErr) && apiErr.Code == "TargetGroupNotFound" {
			return false, nil
		}
		if err != nil {
			return false, err
		}
		return len(groups) == 1 && slices.Contains(users[targetGroupARN], loadBalancerARN), nil
	}
	c.AutoScaling.LookupInstance = func(ctx context.Context, id string) (*autoscaling.InstanceFacts, error) {
		inst, err := c.EC2.Instance(ctx, id)
		if err != nil || inst == nil {
			return nil, err
		}
		return &autoscaling.InstanceFacts{State: inst.State, AvailabilityZone: inst.AvailabilityZone, SubnetID: inst.SubnetID, InstanceType: inst.InstanceType}, nil
	}
}

func logf(logger *slog.Logger, component string) func(string, ...any) {
	return func(format string, args ...any) {
		logger.Info(fmt.Sprintf(format, args...), "component", component)
	}
}

// ServeHTTP serves the endpoint: a request whose Host is a load balancer's
// DNS name goes to that load balancer; admin routes live under /_berth/;
// everything else is an AWS API call. Only the control plane is guarded:
// load-balancer traffic is the user's application, which browsers load and
// call from its own pages (with an Origin), as they would through an ALB;
// it is reached only under a *.elb.localhost name, which cannot be rebound.
func (c *Cloud) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	host := r.Host
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	if strings.HasSuffix(host, ".elb.localhost") {
		if handler, ok := c.balancer.HandlerForHost(host); ok {
			handler.ServeHTTP(w, r)
			return
		}
	}
	c.control.ServeHTTP(w, r)
}

// SetEndpoint tells the cloud the URL its API is reachable at (tasks get
// their metadata endpoint under it). Serve sets it itself.
func (c *Cloud) SetEndpoint(url string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.endpoint = url
}

// loopbackServices puts the endpoint on the loopback of each task that has
// its own network namespace, at the endpoint's port, so the task's
// AWS_ENDPOINT_URL and metadata URI work inside as they do on the host.
func (c *Cloud) loopbackServices() []runtime.LoopbackService {
	u, err := url.Parse(c.Endpoint())
	if err != nil || u.Port() == "" {
		return nil
	}
	port, err := strconv.Atoi(u.Port())
	if err != nil {
		return nil
	}
	return []runtime.LoopbackService{{Port: port, Serve: func(ln net.Listener) {
		srv := &http.Server{Handler: c, ReadHeaderTimeout: 30 * time.Second}
		_ = srv.Serve(ln) // until the runtime closes ln at the task's end
		_ = srv.Close()
	}}}
}

// Endpoint is the URL the API is served at, or "" before it is known.
func (c *Cloud) Endpoint() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.endpoint
}

// Commits subscribes to the state's commits (see store.Store.Subscribe):
// a test can tell that the local cloud at rest writes nothing.
func (c *Cloud) Commits() (<-chan struct{}, func()) { return c.store.Subscribe() }

// Run runs the data plane (schedulers, health checks, load balancers) until
// ctx ends, then stops every task it started.
func (c *Cloud) Run(ctx context.Context) error {
	return c.controller.Run(ctx)
}

// Serve serves the API on ln and runs the data plane until ctx ends.
func (c *Cloud) Serve(ctx context.Context, ln net.Listener) error {
	c.SetEndpoint("http://" + ln.Addr().String())
	srv := &http.Server{Handler: c, ReadHeaderTimeout: 30 * time.Second}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	ran := make(chan error, 1)
	go func() { ran <- c.Run(ctx) }()

	var err error
	select {
	case <-ctx.Done():
	case err = <-served:
		cancel()
	}
	shutdownCtx, stop := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer stop()
	if shutdownErr := srv.Shutdown(shutdownCtx); shutdownErr != nil && err == nil {
		err = shutdownErr
	}
	cancel()
	if runErr := <-ran; runErr != nil && !errors.Is(runErr, context.Canceled) && err == nil {
		err = runErr
	}
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

// Close stops the data plane's processes and listeners and closes the state.
func (c *Cloud) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	err := errors.Join(c.runtime.Close(ctx), c.balancer.Close())
	return errors.Join(err, c.store.Close(), c.guard.close())
}

// TaskPID returns the process id of a task's first container, for
// operators and for tests that kill tasks from outside.
func (c *Cloud) TaskPID(taskARN string) (int, bool) {
	var container string
	scope, ok := store.ScopeOfARN(taskARN)
	if !ok {
		return 0, false
	}
	_ = c.ECS.View(store.WithScope(context.Background(), scope), func(s *ecs.State) error {
		clusters, err := s.Clusters()
		if err != nil {
			return err
		}
		for _, cluster := range clusters {
			if t, _ := s.Task(cluster.ClusterArn, taskARN); t != nil && len(t.Containers) > 0 {
				container = t.Containers[0].Name
			}
		}
		return nil
	})
	if container == "" {
		return 0, false
	}
	return c.runtime.PID(controller.RuntimeID(taskARN, container))
}

func (c *Cloud) handleListeners(w http.ResponseWriter, r *http.Request) {
	listeners, err := c.controller.Listeners(r.Context())
	if err != nil {
		writeJSON(w, http.StatusInternalServerError, map[string]string{"error": err.Error()})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"listeners": listeners})
}

// handleTaskMetadata serves the task metadata endpoint (v4) for the task
// named in the path, so code that reads ECS_CONTAINER_METADATA_URI_V4 works.
func (c *Cloud) handleTaskMetadata(w http.ResponseWriter, r *http.Request) {
	meta, err := c.controller.TaskMetadata(r.Context(), r.PathValue("task"), strings.HasSuffix(r.URL.Path, "/task"))
	if err != nil {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": err.Error()})
		return
	}
	writeJSON(w, http.StatusOK, meta)
}

func (c *Cloud) handleHealth(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"status": "running"})
}

func (c *Cloud) handleReset(w http.ResponseWriter, _ *http.Request) {
	if err := c.store.Reset(); err != nil {
		writeJSON(w, http.StatusInternalServerError, map[string]string{"error": err.Error()})
		return
	}
	c.CloudWatch.Reset() // metric data is in memory, not in the store
	writeJSON(w, http.StatusOK, map[string]string{"status": "reset"})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	if err := json.NewEncoder(w).Encode(v); err != nil {
		fmt.Fprintln(w) // the status is out; nothing better to send
	}
}

// Implements reports whether the service of the named model (botocore's
// name: ec2, elbv2, …) has a handler for the operation, rather than
// answering it NotImplemented.
func (c *Cloud) Implements(modelName, operation string) bool {
	implements := func(s *protocol.Service) bool {
		if s.Model == nil || s.Model.Name != modelName {
			return false
		}
		_, ok := s.Lookup(operation)
		return ok
	}
	for _, s := range c.router.byTarget {
		if implements(s) {
			return true
		}
	}
	for _, list := range c.router.byVersion {
		for _, s := range list {
			if implements(s) {
				return true
			}
		}
	}
	for _, s := range c.router.byRPCv2 {
		if implements(s) {
			return true
		}
	}
	return false
}
