package doctor

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/berthdev/berth/internal/engine"
)

// endpointNeed is a service a task's start-up calls and the VPC endpoints
// that reach it without the internet.
type endpointNeed struct {
	what      string
	endpoints []string
}

// needs are what a task needs to start: on EC2 the instance's agent pulls
// the image, fetches the secrets and ships the logs, and talks to ECS
// itself; on Fargate the task's own interface does all of it.
func (st *Stack) needs() []endpointNeed {
	var needs []endpointNeed
	if !st.Fargate {
		needs = append(needs, endpointNeed{"ECS (the agent)", []string{"ecs", "ecs-agent", "ecs-telemetry"}})
	}
	ecr, logs, secrets, parameters := false, false, false, false
	for _, c := range st.Task.Containers {
		if _, ok := parseECR(c.Image); ok {
			ecr = true
		}
		logs = logs || c.LogsToCloudWatch
		for _, s := range c.Secrets {
			if strings.HasPrefix(s, "arn:aws:secretsmanager:") {
				secrets = true
			} else {
				parameters = true
			}
		}
	}
	if ecr {
		needs = append(needs, endpointNeed{"ECR", []string{"ecr.api", "ecr.dkr", "s3"}})
	}
	if logs {
		needs = append(needs, endpointNeed{"CloudWatch Logs", []string{"logs"}})
	}
	if secrets {
		needs = append(needs, endpointNeed{"Secrets Manager", []string{"secretsmanager"}})
	}
	if parameters {
		needs = append(needs, endpointNeed{"SSM Parameter Store", []string{"ssm"}})
	}
	return needs
}

// checkReach: a subnet reaches AWS's APIs through a NAT gateway, through an
// internet gateway when the interface has a public address, or through
// VPC endpoints; otherwise tasks fail with CannotPullContainerError or a
// timeout fetching secrets.
func checkReach(_ context.Context, _ *engine.Clients, st *Stack) []Finding {
	if st.Subnets == nil {
		return nil
	}
	subnets, publicIP, whose := st.TaskSubnets, st.TaskPublicIP, "tasks"
	if !st.Fargate && st.Instances != nil {
		subnets, publicIP, whose = st.Instances.Subnets, st.Instances.PublicIP, "instances"
	}
	needs := st.needs()
	var what []string
	for _, n := range needs {
		what = append(what, n.what)
	}
	var findings []Finding
	for _, id := range subnets {
		subnet := st.Subnets[id]
		if subnet == nil {
			findings = append(findings, fail("reach", "subnet "+id+" does not exist", "give the "+whose+" subnets that exist"))
			continue
		}
		route := subnet.DefaultRoute
		switch {
		case strings.HasPrefix(route, "nat-"):
			findings = append(findings, pass("reach", fmt.Sprintf("the %s in %s (%s) reach %s through NAT gateway %s", whose, id, subnet.Zone, strings.Join(what, ", "), route)))
			continue
		case strings.HasPrefix(route, "igw-") && publicIP:
			findings = append(findings, pass("reach", fmt.Sprintf("the %s in %s (%s) reach %s through internet gateway %s with their public addresses", whose, id, subnet.Zone, strings.Join(what, ", "), route)))
			continue
		}
		var missing []string
		for _, n := range needs {
			for _, e := range n.endpoints {
				if !st.hasEndpoint(subnet, e) {
					missing = append(missing, e)
				}
			}
		}
		why := "has no route to the internet"
		switch {
		case strings.HasPrefix(route, "igw-"):
			why = "sends 0.0.0.0/0 to internet gateway " + route + ", but the " + whose + " have no public address"
		case route != "":
			why = "sends 0.0.0.0/0 to " + route
		}
		if len(missing) == 0 {
			findings = append(findings, pass("reach", fmt.Sprintf("the %s in %s (%s) reach %s through VPC endpoints", whose, id, subnet.Zone, strings.Join(what, ", "))))
			continue
		}
		region := st.region()
		var names []string
		for _, e := range missing {
			names = append(names, "com.amazonaws."+region+"."+e)
		}
		findings = append(findings, fail("reach",
			fmt.Sprintf("subnet %s (%s) of the %s %s and lacks VPC endpoints for %s: tasks cannot reach %s", id, subnet.Zone, whose, why, strings.Join(missing, ", "), strings.Join(what, ", ")),
			fmt.Sprintf("route 0.0.0.0/0 of %s to a NAT gateway in a public subnet (aws ec2 create-route --route-table-id %s --destination-cidr-block 0.0.0.0/0 --nat-gateway-id NAT), or create the endpoints %s (s3 as a gateway endpoint)",
				subnet.RouteTable, subnet.RouteTable, strings.Join(names, ", "))))
	}
	return findings
}

// hasEndpoint: an interface endpoint serves its whole VPC (with private
// DNS); a gateway endpoint only the route tables it is attached to.
func (st *Stack) hasEndpoint(subnet *Subnet, service string) bool {
	return slices.ContainsFunc(st.Endpoints, func(e Endpoint) bool {
		if !strings.HasSuffix(e.Service, "."+service) {
			return false
		}
		if strings.EqualFold(e.Type, "Gateway") {
			return slices.Contains(e.RouteTables, subnet.RouteTable)
		}
		return true
	})
}

// region is the region of the subnets' zones.
func (st *Stack) region() string {
	for _, s := range st.Subnets {
		if len(s.Zone) > 1 {
			return strings.TrimRight(s.Zone, "abcdefghijklmnopqrstuvwxyz")
		}
	}
	return "REGION"
}
