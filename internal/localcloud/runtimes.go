package localcloud

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	"github.com/berthdev/berth/internal/localcloud/registry"
	"github.com/berthdev/berth/internal/localcloud/runtime"
	"github.com/berthdev/berth/internal/localcloud/store"
)

// newRuntime builds what runs tasks: the process runtime always (its
// per-task namespaces serve containers too), and the Docker runtime when
// the mode allows it and an Engine answers.
func (c *Cloud) newRuntime(opts Options) (*runtime.Selector, error) {
	mode := opts.Runtime
	if mode == "" {
		mode = runtime.ModeAuto
	}
	if _, err := runtime.ParseMode(string(mode)); err != nil {
		return nil, err
	}
	process := runtime.NewProcess(runtime.ProcessOptions{
		Logf:             logf(c.logger, "runtime"),
		SharedNetwork:    opts.SharedNetwork,
		LoopbackServices: c.loopbackServices,
	})
	var docker *runtime.Docker
	if mode != runtime.ModeProcess {
		var err error
		docker, err = runtime.NewDocker(context.Background(), runtime.DockerOptions{
			Network:      process,
			RegistryAuth: c.registryAuth,
			Logf:         logf(c.logger, "runtime"),
		})
		if err != nil {
			if mode == runtime.ModeDocker {
				_ = process.Close(context.Background())
				return nil, fmt.Errorf("--runtime docker: %w", err)
			}
			c.logger.Info("tasks run as processes only", "component", "runtime", "reason", err)
		}
	}
	selector, err := runtime.NewSelector(mode, process, docker, logf(c.logger, "runtime"))
	if err != nil {
		_ = process.Close(context.Background())
		return nil, err
	}
	return selector, nil
}

// registryHost is the host of the local ECR's repository URIs: the
// endpoint's own 127.0.0.1:<port>, which the Docker Engine treats as an
// insecure registry (all of 127.0.0.0/8 is) and so reaches over plain
// HTTP without configuration. Empty before the endpoint is known.
func (c *Cloud) registryHost() string {
	u, err := url.Parse(c.Endpoint())
	if err != nil {
		return ""
	}
	return u.Host
}

// registryAuth lets the Docker runtime pull an image of the local ECR for
// a task, with a token of the task's own account and region.
func (c *Cloud) registryAuth(ctx context.Context, spec *runtime.ContainerSpec) (string, bool, error) {
	host := c.registryHost()
	if host == "" || !strings.HasPrefix(spec.Image, host+"/") {
		return "", false, nil
	}
	scope := store.Scope{Account: spec.Account, Region: spec.Region}
	password, err := c.ECR.IssueToken(store.WithScope(ctx, scope))
	if err != nil {
		return "", true, err
	}
	return registry.AuthConfig(host, password), true, nil
}

// Runtime is what runs the tasks; tests reach the Docker runtime's Engine
// client through it.
func (c *Cloud) Runtime() *runtime.Selector { return c.runtime }
