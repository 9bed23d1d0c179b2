// Package localcloud is berth's AWS-compatible cloud on one machine: one HTTP
// endpoint that speaks the wire protocols of the services berth and its users'
// tools call, backed by a crash-safe store, with a data plane that really runs
// tasks and really routes HTTP through load balancers.
package localcloud

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"

	"github.com/berthdev/berth/internal/localcloud/protocol"
	"github.com/berthdev/berth/internal/localcloud/service/autoscaling"
	"github.com/berthdev/berth/internal/localcloud/service/ec2"
	"github.com/berthdev/berth/internal/localcloud/service/ecs"
	"github.com/berthdev/berth/internal/localcloud/service/elbv2"
	"github.com/berthdev/berth/internal/localcloud/service/iam"
	"github.com/berthdev/berth/internal/localcloud/service/logs"
	"github.com/berthdev/berth/internal/localcloud/service/ssm"
	"github.com/berthdev/berth/internal/localcloud/service/sts"
	"github.com/berthdev/berth/internal/localcloud/store"
)

// Options configures a Cloud.
type Options struct {
	// StateDir keeps the state across restarts; empty means ephemeral.
	StateDir string
	Logger   *slog.Logger
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

	logger *slog.Logger
	router *Router
	mux    *http.ServeMux
}

// New opens the state and builds the services. Close releases them.
func New(opts Options) (*Cloud, error) {
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
	c := &Cloud{
		store:       st,
		logger:      logger,
		EC2:         ec2.New(st),
		IAM:         iam.New(st),
		SSM:         ssm.New(st),
		Logs:        logs.New(st),
		ELBv2:       elbv2.New(st),
		AutoScaling: autoscaling.New(st),
		ECS:         ecs.New(st),
	}
	c.router = NewRouter(logger, c.services()...)
	c.mux = http.NewServeMux()
	c.mux.HandleFunc("GET /_berth/health", c.handleHealth)
	c.mux.HandleFunc("POST /_berth/reset", c.handleReset)
	c.mux.HandleFunc("POST /moto-api/reset", c.handleReset)
	c.mux.Handle("/", c.router)
	return c, nil
}

func (c *Cloud) services() []*protocol.Service {
	return []*protocol.Service{
		sts.Service(),
		c.EC2.Service(),
		c.IAM.Service(),
		c.SSM.Service(),
		c.Logs.Service(),
		c.ELBv2.Service(),
		c.AutoScaling.Service(),
		c.ECS.Service(),
	}
}

// ServeHTTP serves the endpoint: admin routes under /_berth/, AWS APIs on /.
func (c *Cloud) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c.mux.ServeHTTP(w, r)
}

// Close stops the data plane and closes the state.
func (c *Cloud) Close() error {
	return c.store.Close()
}

func (c *Cloud) handleHealth(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"status": "running"})
}

func (c *Cloud) handleReset(w http.ResponseWriter, _ *http.Request) {
	if err := c.store.Reset(); err != nil {
		writeJSON(w, http.StatusInternalServerError, map[string]string{"error": err.Error()})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "reset"})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	if err := json.NewEncoder(w).Encode(v); err != nil {
		fmt.Fprintln(w) // the status is out; nothing better to send
	}
}
