package doctor

import (
	"context"
	"fmt"
	"slices"
	"strconv"

	"github.com/berthdev/berth/internal/engine"
)

const portsCheck = "ports"

// checkPorts: the service, its target group, the health check and the
// container must name the same port, or traffic or health checks go
// where nothing listens.
func checkPorts(_ context.Context, _ *engine.Clients, st *Stack) []Finding {
	if len(st.Targets) == 0 {
		return []Finding{warn(portsCheck, st.Source+" has no load balancer", "attach a target group to the service (berth deploy creates one)")}
	}
	var findings []Finding
	for _, t := range st.Targets {
		i := slices.IndexFunc(st.Task.Containers, func(c Container) bool { return c.Name == t.ContainerName })
		if i < 0 {
			findings = append(findings, fail(portsCheck,
				fmt.Sprintf("the service sends target group %s to container %q, which task definition %s does not have", t.Group.Name, t.ContainerName, st.Task.Family),
				"point the service's load balancer at a container of the task definition"))
			continue
		}
		container := st.Task.Containers[i]
		mapped := func(port int) bool {
			return slices.ContainsFunc(container.Ports, func(pm PortMapping) bool { return pm.Container == port })
		}
		if !mapped(t.ContainerPort) {
			findings = append(findings, fail(portsCheck,
				fmt.Sprintf("the service sends target group %s to %s:%d, but the container maps %s", t.Group.Name, container.Name, t.ContainerPort, mappedPorts(container)),
				fmt.Sprintf("add a port mapping for %d to container %s, or set the service's container port to the one the app listens on", t.ContainerPort, container.Name)))
			continue
		}
		healthPort := t.Group.HealthPort
		if p, err := strconv.Atoi(healthPort); err == nil && p != t.ContainerPort && !mapped(p) {
			findings = append(findings, fail(portsCheck,
				fmt.Sprintf("target group %s health-checks port %d, which container %s does not serve (it maps %s)", t.Group.Name, p, container.Name, mappedPorts(container)),
				"set the health check port to traffic-port: aws elbv2 modify-target-group --target-group-arn ARN --health-check-port traffic-port"))
			continue
		}
		if t.Group.Port != 0 && t.Group.Port != t.ContainerPort {
			findings = append(findings, warn(portsCheck,
				fmt.Sprintf("target group %s says port %d but the tasks serve %d: ECS registers each task on its container port, so it works, yet the group's port misleads whoever reads it", t.Group.Name, t.Group.Port, t.ContainerPort),
				fmt.Sprintf("create the target group with port %d (berth sets it to service.port)", t.ContainerPort)))
			continue
		}
		findings = append(findings, pass(portsCheck, fmt.Sprintf("target group %s → container %s:%d, health checks on the traffic port", t.Group.Name, container.Name, t.ContainerPort)))
	}
	return findings
}

func mappedPorts(c Container) string {
	var ports []int
	for _, pm := range c.Ports {
		ports = append(ports, pm.Container)
	}
	if len(ports) == 0 {
		return "no port"
	}
	return portList(ports)
}

// slowHealth is where health checking and draining make deploys slow:
// past a minute of each, a rolling deploy of a few tasks takes several.
const slowHealth = 60

// checkHealthSettings: the health check path and the timings a deploy
// waits on.
func checkHealthSettings(_ context.Context, _ *engine.Clients, st *Stack) []Finding {
	var findings []Finding
	for _, t := range st.Targets {
		g := t.Group
		if g.HealthPath == "/" || g.HealthPath == "" {
			findings = append(findings, warn("health check",
				fmt.Sprintf("target group %s checks / : an app's root is often not a health endpoint (FastAPI answers 404 there unless the app defines it, others redirect or need a login), and a failing check keeps every task out of service", g.Name),
				"serve a cheap endpoint that answers 200, e.g. /health, and check it: health_check.path in berth.yaml, or aws elbv2 modify-target-group --health-check-path /health"))
		} else {
			findings = append(findings, pass("health check", fmt.Sprintf("target group %s checks %s, expecting %s", g.Name, g.HealthPath, g.Matcher)))
		}
		if wait := g.Interval * g.Healthy; wait > slowHealth || g.DeregistrationDelay > slowHealth {
			findings = append(findings, warn("deploy speed",
				fmt.Sprintf("target group %s: a new task needs %d×%d s = %d s of passing checks, a stopped one drains for %d s; a rolling deploy waits on both for every batch", g.Name, g.Healthy, g.Interval, wait, g.DeregistrationDelay),
				"health check interval 10 s, healthy threshold 2 and deregistration delay 30 s (berth's defaults): aws elbv2 modify-target-group --health-check-interval-seconds 10 --healthy-threshold-count 2, and modify-target-group-attributes deregistration_delay.timeout_seconds=30"))
		}
	}
	return findings
}
