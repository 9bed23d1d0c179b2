package stack

import (
	"fmt"
	"net/netip"

	"github.com/berthdev/berth/internal/awsres"
	"github.com/berthdev/berth/internal/engine"
	"github.com/berthdev/berth/internal/spec"
)

// Addresses of the network part beyond the public half the first stacks
// had (AddrVPC, AddrSubnetA/B, AddrInternetGateway, AddrRouteTable).
const (
	AddrPrivateSubnetA     engine.Addr = "ec2.subnet/private-a"
	AddrPrivateSubnetB     engine.Addr = "ec2.subnet/private-b"
	AddrPrivateRouteTableA engine.Addr = "ec2.route-table/private-a"
	AddrPrivateRouteTableB engine.Addr = "ec2.route-table/private-b"
	AddrNATAddressA        engine.Addr = "ec2.elastic-ip/nat-a"
	AddrNATAddressB        engine.Addr = "ec2.elastic-ip/nat-b"
	AddrNATGatewayA        engine.Addr = "ec2.nat-gateway/a"
	AddrNATGatewayB        engine.Addr = "ec2.nat-gateway/b"
	// AddrExistingNetwork and AddrDefaultNetwork are looked up, never
	// created: a VPC of someone else's, or the region's default one.
	AddrExistingNetwork engine.Addr = "ec2.network/existing"
	AddrDefaultNetwork  engine.Addr = "ec2.network/default"
)

// networkRefs is what the other parts take from the network: the VPC, the
// subnets of the load balancer (public) and of the tasks and instances
// (private when there are any), and the addresses to depend on so that
// they wait for the routes they need.
type networkRefs struct {
	vpc           engine.Ref
	public, tasks []engine.Ref
	publicTasks   bool
	// publicTasksRef decides publicTasks at plan time (a lookup's).
	publicTasksRef *engine.Ref
	cidr           string      // the new VPC's block, or
	cidrFrom       *engine.Ref // a looked-up VPC's
	vpcDeps        []engine.Addr
	publicDeps     []engine.Addr
	taskDeps       []engine.Addr
}

// network returns the network part: a VPC of the stack's own, or a lookup
// of an existing or the default one, with the new VPC's resources unwanted
// then, so that switching deletes what is left of them.
func network(s *spec.Spec, meta metaFunc) (networkRefs, []engine.Resource) {
	n := s.Network
	mode := n.Mode
	if mode == "" {
		mode = spec.NetworkNew
	}
	owned := newNetwork(s, meta)
	if mode == spec.NetworkNew {
		return networkRefs{
			vpc:        ref(AddrVPC, "id"),
			public:     []engine.Ref{ref(AddrSubnetA, "id"), ref(AddrSubnetB, "id")},
			tasks:      []engine.Ref{ref(AddrPrivateSubnetA, "id"), ref(AddrPrivateSubnetB, "id")},
			cidr:       vpcBlock(s),
			vpcDeps:    []engine.Addr{AddrVPC},
			publicDeps: []engine.Addr{AddrSubnetA, AddrSubnetB, AddrRouteTable},
			taskDeps:   []engine.Addr{AddrPrivateSubnetA, AddrPrivateSubnetB, AddrPrivateRouteTableA, AddrPrivateRouteTableB},
		}, owned
	}
	resources := make([]engine.Resource, 0, len(owned)+1)
	for _, r := range owned {
		resources = append(resources, engine.Unwanted(r))
	}
	addr := AddrExistingNetwork
	if mode == spec.NetworkDefault {
		addr = AddrDefaultNetwork
	}
	resources = append(resources, &awsres.NetworkLookup{
		Meta: meta(addr), Default: mode == spec.NetworkDefault,
		VPCID: n.VPCID, VPCTags: n.VPCTags,
		PublicSubnets: n.PublicSubnets, PrivateSubnets: n.PrivateSubnets,
		PublicSubnetTags: n.PublicSubnetTags, PrivateSubnetTags: n.PrivateSubnetTags,
	})
	cidr, publicTasks := ref(addr, "cidr"), ref(addr, "public_tasks")
	deps := []engine.Addr{addr}
	return networkRefs{
		vpc:    ref(addr, "vpc_id"),
		public: []engine.Ref{ref(addr, "public_subnets")},
		tasks:  []engine.Ref{ref(addr, "task_subnets")},
		// Tasks go public where the lookup finds no private subnets.
		publicTasksRef: &publicTasks,
		cidrFrom:       &cidr,
		vpcDeps:        deps, publicDeps: deps, taskDeps: deps,
	}, resources
}

func vpcBlock(s *spec.Spec) string {
	if s.Network.CIDR != "" {
		return s.Network.CIDR
	}
	return vpcCIDR
}

// subnetBlock is the /24 (public) or /20 (private) at offset within the
// VPC's /16: public subnets hold only the load balancer's and the NAT
// gateways' addresses, private ones every task's.
func subnetBlock(vpc string, thirdOctet, bits int) string {
	prefix, err := netip.ParsePrefix(vpc)
	if err != nil {
		return vpc // validated by spec; Diff would show the mistake
	}
	a := prefix.Addr().As4()
	return fmt.Sprintf("%d.%d.%d.0/%d", a[0], a[1], thirdOctet, bits)
}

// newNetwork is a VPC of two zones, each with a public subnet (the load
// balancer, a NAT gateway) and a private one (tasks, instances), whose
// route goes through its zone's NAT gateway, or both through zone a's with
// nat: single.
func newNetwork(s *spec.Spec, meta metaFunc) []engine.Resource {
	block := vpcBlock(s)
	vpcID := ref(AddrVPC, "id")
	perZone := s.Network.NAT == spec.NATPerZone
	natB := AddrNATGatewayA
	if perZone {
		natB = AddrNATGatewayB
	}
	return []engine.Resource{
		&awsres.VPC{Meta: meta(AddrVPC), CIDR: block},
		&awsres.Subnet{Meta: meta(AddrSubnetA, AddrVPC), VPC: vpcID, CIDR: subnetBlock(block, 0, 24), ZoneIndex: 0, Public: true},
		&awsres.Subnet{Meta: meta(AddrSubnetB, AddrVPC), VPC: vpcID, CIDR: subnetBlock(block, 1, 24), ZoneIndex: 1, Public: true},
		&awsres.Subnet{Meta: meta(AddrPrivateSubnetA, AddrVPC), VPC: vpcID, CIDR: subnetBlock(block, 16, 20), ZoneIndex: 0},
		&awsres.Subnet{Meta: meta(AddrPrivateSubnetB, AddrVPC), VPC: vpcID, CIDR: subnetBlock(block, 32, 20), ZoneIndex: 1},
		&awsres.InternetGateway{Meta: meta(AddrInternetGateway, AddrVPC), VPC: vpcID},
		&awsres.RouteTable{
			Meta: meta(AddrRouteTable, AddrVPC, AddrInternetGateway, AddrSubnetA, AddrSubnetB),
			VPC:  vpcID, Gateway: ref(AddrInternetGateway, "id"), Subnets: []engine.Ref{ref(AddrSubnetA, "id"), ref(AddrSubnetB, "id")},
		},
		&awsres.ElasticIP{Meta: meta(AddrNATAddressA)},
		// A NAT gateway needs its subnet's route to the internet; destroy
		// then deletes it before the internet gateway, as AWS requires.
		&awsres.NATGateway{
			Meta:   meta(AddrNATGatewayA, AddrSubnetA, AddrNATAddressA, AddrRouteTable),
			Subnet: ref(AddrSubnetA, "id"), Allocation: ref(AddrNATAddressA, "allocation_id"),
		},
		wantedIf(perZone, &awsres.ElasticIP{Meta: meta(AddrNATAddressB)}),
		wantedIf(perZone, &awsres.NATGateway{
			Meta:   meta(AddrNATGatewayB, AddrSubnetB, AddrNATAddressB, AddrRouteTable),
			Subnet: ref(AddrSubnetB, "id"), Allocation: ref(AddrNATAddressB, "allocation_id"),
		}),
		&awsres.RouteTable{
			Meta: meta(AddrPrivateRouteTableA, AddrVPC, AddrNATGatewayA, AddrPrivateSubnetA),
			VPC:  vpcID, Gateway: ref(AddrNATGatewayA, "id"), NAT: true, Subnets: []engine.Ref{ref(AddrPrivateSubnetA, "id")},
		},
		&awsres.RouteTable{
			Meta: meta(AddrPrivateRouteTableB, AddrVPC, natB, AddrPrivateSubnetB),
			VPC:  vpcID, Gateway: ref(natB, "id"), NAT: true, Subnets: []engine.Ref{ref(AddrPrivateSubnetB, "id")},
		},
	}
}
