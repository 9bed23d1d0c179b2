package lb

import (
	"context"
	"net"
	"net/netip"
	"strconv"

	"github.com/berthdev/berth/internal/localcloud/secgroup"
)

// Security groups on the data plane. A listener accepts a client only when
// its load balancer's groups allow the client's address on the listener's
// port; the balancer reaches a target (requests and health checks) only
// when the load balancer's egress rules and the target's ingress rules
// allow it on that port. Apply recomputes the verdicts, so a rule changed
// through EC2 applies from the controller's next pass; connections already
// open stay open, as tracked connections do on AWS.
//
// What is not enforced: a task's own outbound connections, so a task's
// egress rules decide nothing yet. A task in its own namespace reaches
// another task's address through the host's routing, which filters
// nothing, and cannot reach a listener at all (listeners are on the
// host's 127.0.0.1). Enforcing that would take packet filters (nftables)
// programmed per task from its groups.

// blockedPaths are the target addresses (host:port) the security groups
// keep the balancer from, with the verdict that says why.
type blockedPaths map[string]string

// blockedError is a connection to a target that the security groups drop.
// A dropped SYN is never answered, so it is a timeout: 504 to the client,
// Target.Timeout for a health check.
type blockedError struct{ address, verdict string }

func (e *blockedError) Error() string {
	return "dial tcp " + e.address + ": i/o timeout (security groups: " + e.verdict + ")"
}
func (e *blockedError) Timeout() bool   { return true }
func (e *blockedError) Temporary() bool { return true }

// dialTarget connects to a target unless the security groups block it.
func (b *Balancer) dialTarget(ctx context.Context, network, address string) (net.Conn, error) {
	if verdict, blocked := (*b.blocked.Load())[address]; blocked {
		return nil, &blockedError{address: address, verdict: verdict}
	}
	return b.dialer.DialContext(ctx, network, address)
}

// hostAddress is the IP address a target id is reached at.
func hostAddress(id string, hosts map[string]TargetHost) string {
	if host, ok := hosts[id]; ok && host.Address != "" {
		return host.Address
	}
	return id
}

// targetAddress is the host:port a target is reached at on port.
func targetAddress(registration Target, port int, hosts map[string]TargetHost) string {
	return net.JoinHostPort(hostAddress(registration.ID, hosts), strconv.Itoa(port))
}

// blockedTargets judges every target of every group from each load
// balancer that forwards to the group, on its traffic port and its health
// check port. A target one of them cannot reach counts as blocked: an
// ALB's health checks come from all its nodes.
func blockedTargets(valid *config, table *routingTable) blockedPaths {
	paths := blockedPaths{}
	if valid.firewall == nil {
		return paths
	}
	balancers := map[string]secgroup.Endpoint{}
	for _, balancer := range valid.loadBalancers {
		balancers[balancer.ARN] = balancer.Endpoint
	}
	for arn, group := range valid.targetGroups {
		for _, registration := range group.targets {
			ports := []int{registration.Port}
			if check := group.healthCheck; check.Port != "traffic-port" {
				port, _ := strconv.Atoi(check.Port) // validated
				ports = append(ports, port)
			}
			target := valid.hosts[registration.ID].Endpoint
			if addr, err := netip.ParseAddr(hostAddress(registration.ID, valid.hosts)); err == nil && len(target.Within) == 0 {
				// Where nothing better is known, the target is where it
				// is dialled.
				target.Within = []netip.Prefix{secgroup.Host(addr)}
			}
			for _, user := range table.groupUsers[arn] {
				for _, port := range ports {
					address := targetAddress(registration, port, valid.hosts)
					if _, known := paths[address]; known {
						continue
					}
					if verdict := valid.firewall.TCP(balancers[user], target, port); !verdict.Allowed {
						paths[address] = verdict.String()
					}
				}
			}
		}
	}
	return paths
}

// admits judges a client connection to a listener by its load balancer's
// ingress rules; the client is outside every security group.
func (routes *listenerRoutes) admits(remote net.Addr) secgroup.Verdict {
	tcp, ok := remote.(*net.TCPAddr)
	if routes.firewall == nil || !ok {
		return secgroup.Verdict{Allowed: true}
	}
	client := tcp.AddrPort().Addr().Unmap()
	from := secgroup.Endpoint{Name: "client " + client.String(), Within: []netip.Prefix{secgroup.Host(client)}}
	return routes.firewall.TCP(from, routes.balancer, routes.port)
}
