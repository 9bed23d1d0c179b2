package ec2

import (
	"context"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/berthdev/berth/internal/localcloud/store"
)

// RouteTable holds a VPC's routes and the subnets (or the VPC itself, for
// the main table) they apply to.
type RouteTable struct {
	ID           string
	VpcID        string
	OwnerID      string
	Routes       []Route
	Associations []RouteTableAssociation
	Tags         map[string]string
}

// Route sends a destination to one target.
type Route struct {
	DestinationCidrBlock     string
	DestinationIpv6CidrBlock string
	DestinationPrefixListID  string
	Target                   RouteTarget
	Origin                   string // CreateRouteTable (the local route) or CreateRoute
}

// RouteTarget is where a route sends traffic: exactly one field is set.
type RouteTarget struct {
	GatewayID                   string // igw-… or "local"
	NatGatewayID                string
	InstanceID                  string
	NetworkInterfaceID          string
	VpcPeeringConnectionID      string
	TransitGatewayID            string
	EgressOnlyInternetGatewayID string
	LocalGatewayID              string
	CarrierGatewayID            string
	VpcEndpointID               string
}

func (t RouteTarget) set() []string {
	var out []string
	for _, v := range []string{t.GatewayID, t.NatGatewayID, t.InstanceID, t.NetworkInterfaceID, t.VpcPeeringConnectionID,
		t.TransitGatewayID, t.EgressOnlyInternetGatewayID, t.LocalGatewayID, t.CarrierGatewayID, t.VpcEndpointID} {
		if v != "" {
			out = append(out, v)
		}
	}
	return out
}

// RouteTableAssociation applies a table to a subnet, or is the VPC's main
// association.
type RouteTableAssociation struct {
	ID        string
	SubnetID  string
	GatewayID string
	Main      bool
}

func (r Route) destination() string {
	return r.DestinationCidrBlock + r.DestinationIpv6CidrBlock + r.DestinationPrefixListID
}

func newRouteTable(ctx context.Context, vpc *Vpc) *RouteTable {
	return &RouteTable{
		ID: store.NewID("rtb-", 17), VpcID: vpc.ID, OwnerID: owner(ctx), Tags: map[string]string{},
		Routes: []Route{{DestinationCidrBlock: vpc.CidrBlock, Target: RouteTarget{GatewayID: "local"}, Origin: "CreateRouteTable"}},
	}
}

// dropSubnet removes the subnet's association; it reports a change.
func (t *RouteTable) dropSubnet(subnetID string) bool {
	n := len(t.Associations)
	t.Associations = slices.DeleteFunc(t.Associations, func(a RouteTableAssociation) bool { return a.SubnetID == subnetID })
	return len(t.Associations) != n
}

func (b *Backend) createRouteTable(ctx context.Context, vpcID string, tags map[string]string, token string, dryRun bool) (*RouteTable, error) {
	if vpcID == "" {
		return nil, missingParameter("VpcId")
	}
	var table *RouteTable
	err := b.update(ctx, dryRun, func(tx *store.Tx) error {
		vpc, err := getResource[Vpc](tx, kindVpc, vpcID)
		if err != nil {
			return err
		}
		if prior, err := b.replay(tx, "CreateRouteTable", token, []any{vpcID, tags}); err != nil || prior != "" {
			if err == nil {
				table, err = getResource[RouteTable](tx, kindRouteTable, prior)
			}
			return err
		}
		table = newRouteTable(ctx, vpc)
		table.Tags = tags
		if err := b.remember(tx, "CreateRouteTable", token, []any{vpcID, tags}, table.ID); err != nil {
			return err
		}
		return tx.Put(tableRouteTables, table.ID, table)
	})
	if err != nil {
		return nil, err
	}
	return table, nil
}

type routeRequest struct {
	RouteTableID             string
	DestinationCidrBlock     string
	DestinationIpv6CidrBlock string
	DestinationPrefixListID  string
	Target                   RouteTarget
}

// checkRoute validates a route's destination and target against the table's
// VPC.
func checkRoute(tx *store.Tx, table *RouteTable, req routeRequest) (Route, error) {
	route := Route{DestinationCidrBlock: req.DestinationCidrBlock, DestinationIpv6CidrBlock: req.DestinationIpv6CidrBlock,
		DestinationPrefixListID: req.DestinationPrefixListID, Target: req.Target, Origin: "CreateRoute"}
	destinations := 0
	for _, d := range []string{req.DestinationCidrBlock, req.DestinationIpv6CidrBlock, req.DestinationPrefixListID} {
		if d != "" {
			destinations++
		}
	}
	if destinations == 0 {
		return Route{}, missingParameter("destinationCidrBlock")
	}
	if destinations > 1 {
		return Route{}, invalidParameterCombination("Only one of destinationCidrBlock, destinationIpv6CidrBlock or destinationPrefixListId may be given")
	}
	if req.DestinationCidrBlock != "" {
		if _, err := parseCIDR("destinationCidrBlock", req.DestinationCidrBlock); err != nil {
			return Route{}, err
		}
	}
	if req.DestinationIpv6CidrBlock != "" {
		if p, err := netip.ParsePrefix(req.DestinationIpv6CidrBlock); err != nil || !p.Addr().Is6() {
			return Route{}, invalidParameterValue("Value (%s) for parameter destinationIpv6CidrBlock is invalid.", req.DestinationIpv6CidrBlock)
		}
	}
	targets := req.Target.set()
	if len(targets) == 0 {
		return Route{}, missingParameter("gatewayId, natGatewayId, instanceId, networkInterfaceId, vpcPeeringConnectionId or transitGatewayId")
	}
	if len(targets) > 1 {
		return Route{}, invalidParameterCombination("More than one target specified")
	}
	switch target := req.Target; {
	case target.GatewayID == "local":
		return Route{}, invalidParameterValue("Cannot create a route to the local target")
	case strings.HasPrefix(target.GatewayID, "igw-"):
		gateway, err := store.Get[InternetGateway](tx, tableInternetGateways, target.GatewayID)
		if err != nil {
			return Route{}, err
		}
		if gateway == nil {
			return Route{}, errorf("InvalidGatewayID.NotFound", "The gateway ID '%s' does not exist", target.GatewayID)
		}
		if gateway.VpcID != table.VpcID {
			return Route{}, invalidParameterValue("route table %s and network gateway %s belong to different networks", table.ID, gateway.ID)
		}
	case target.GatewayID != "" && !strings.HasPrefix(target.GatewayID, "vgw-"):
		return Route{}, errorf("InvalidGatewayID.NotFound", "The gateway ID '%s' does not exist", target.GatewayID)
	case target.NatGatewayID != "":
		gateway, err := getResource[NatGateway](tx, kindNatGateway, target.NatGatewayID)
		if err != nil {
			return Route{}, err
		}
		if gateway.VpcID != table.VpcID {
			return Route{}, invalidParameterValue("route table %s and network gateway %s belong to different networks", table.ID, gateway.ID)
		}
	case target.EgressOnlyInternetGatewayID != "":
		gateway, err := getResource[EgressOnlyInternetGateway](tx, kindEgressOnlyGateway, target.EgressOnlyInternetGatewayID)
		if err != nil {
			return Route{}, err
		}
		if gateway.VpcID != table.VpcID {
			return Route{}, invalidParameterValue("route table %s and network gateway %s belong to different networks", table.ID, gateway.ID)
		}
	case target.InstanceID != "":
		inst, err := getResource[Instance](tx, kindInstance, target.InstanceID)
		if err != nil {
			return Route{}, err
		}
		if inst.VpcID != table.VpcID {
			return Route{}, invalidParameterValue("route table %s and instance %s belong to different networks", table.ID, inst.ID)
		}
	}
	return route, nil
}

func (b *Backend) createRoute(ctx context.Context, req routeRequest, dryRun bool) error {
	return b.update(ctx, dryRun, func(tx *store.Tx) error {
		table, err := getResource[RouteTable](tx, kindRouteTable, req.RouteTableID)
		if err != nil {
			return err
		}
		route, err := checkRoute(tx, table, req)
		if err != nil {
			return err
		}
		for _, r := range table.Routes {
			if r.destination() == route.destination() {
				return errorf(codeRouteAlreadyExists, "The route identified by %s already exists.", route.destination())
			}
		}
		table.Routes = append(table.Routes, route)
		return tx.Put(tableRouteTables, table.ID, table)
	})
}

func (b *Backend) replaceRoute(ctx context.Context, req routeRequest, dryRun bool) error {
	return b.update(ctx, dryRun, func(tx *store.Tx) error {
		table, err := getResource[RouteTable](tx, kindRouteTable, req.RouteTableID)
		if err != nil {
			return err
		}
		route, err := checkRoute(tx, table, req)
		if err != nil {
			return err
		}
		i, err := findRoute(table, route.destination())
		if err != nil {
			return err
		}
		table.Routes[i] = route
		return tx.Put(tableRouteTables, table.ID, table)
	})
}

func (b *Backend) deleteRoute(ctx context.Context, req routeRequest, dryRun bool) error {
	return b.update(ctx, dryRun, func(tx *store.Tx) error {
		table, err := getResource[RouteTable](tx, kindRouteTable, req.RouteTableID)
		if err != nil {
			return err
		}
		destination := req.DestinationCidrBlock + req.DestinationIpv6CidrBlock + req.DestinationPrefixListID
		if destination == "" {
			return missingParameter("destinationCidrBlock")
		}
		i, err := findRoute(table, destination)
		if err != nil {
			return err
		}
		table.Routes = slices.Delete(table.Routes, i, i+1)
		return tx.Put(tableRouteTables, table.ID, table)
	})
}

// findRoute finds the route to destination that CreateRoute made; the local
// route cannot be replaced or deleted.
func findRoute(table *RouteTable, destination string) (int, error) {
	for i, r := range table.Routes {
		if r.destination() != destination {
			continue
		}
		if r.Target.GatewayID == "local" {
			return 0, invalidParameterValue("cannot remove local route %s in route table %s", destination, table.ID)
		}
		return i, nil
	}
	return 0, errorf(codeInvalidRouteNotFound, "no route with destination-cidr-block %s in route table %s", destination, table.ID)
}

func (b *Backend) associateRouteTable(ctx context.Context, tableID, subnetID, gatewayID string, dryRun bool) (string, error) {
	if subnetID == "" && gatewayID == "" {
		return "", missingParameter("subnetId")
	}
	if subnetID != "" && gatewayID != "" {
		return "", invalidParameterCombination("Only one of subnetId or gatewayId may be given")
	}
	associationID := store.NewID("rtbassoc-", 17)
	err := b.update(ctx, dryRun, func(tx *store.Tx) error {
		table, err := getResource[RouteTable](tx, kindRouteTable, tableID)
		if err != nil {
			return err
		}
		vpcOf := ""
		if subnetID != "" {
			subnet, err := getResource[Subnet](tx, kindSubnet, subnetID)
			if err != nil {
				return err
			}
			vpcOf = subnet.VpcID
		} else {
			gateway, err := getResource[InternetGateway](tx, kindInternetGateway, gatewayID)
			if err != nil {
				return err
			}
			vpcOf = gateway.VpcID
		}
		if vpcOf != table.VpcID {
			return invalidParameterValue("Route table %s and %s belong to different networks", table.ID, subnetID+gatewayID)
		}
		tables, err := store.List[RouteTable](tx, tableRouteTables)
		if err != nil {
			return err
		}
		for _, other := range tables {
			for _, a := range other.Associations {
				if (subnetID != "" && a.SubnetID == subnetID) || (gatewayID != "" && a.GatewayID == gatewayID) {
					return errorf(codeResourceAlreadyAssoc, "the specified association for route table %s conflicts with an existing association", table.ID)
				}
			}
		}
		table.Associations = append(table.Associations, RouteTableAssociation{ID: associationID, SubnetID: subnetID, GatewayID: gatewayID})
		return tx.Put(tableRouteTables, table.ID, table)
	})
	if err != nil {
		return "", err
	}
	return associationID, nil
}

// findAssociation finds the table that holds an association.
func findAssociation(tx *store.Tx, associationID string) (*RouteTable, int, error) {
	tables, err := store.List[RouteTable](tx, tableRouteTables)
	if err != nil {
		return nil, 0, err
	}
	for _, t := range tables {
		for i, a := range t.Associations {
			if a.ID == associationID {
				return t, i, nil
			}
		}
	}
	return nil, 0, errorf(codeInvalidAssociationID, "The association ID '%s' does not exist", associationID)
}

func (b *Backend) disassociateRouteTable(ctx context.Context, associationID string, dryRun bool) error {
	if associationID == "" {
		return missingParameter("associationId")
	}
	return b.update(ctx, dryRun, func(tx *store.Tx) error {
		table, i, err := findAssociation(tx, associationID)
		if err != nil {
			return err
		}
		if table.Associations[i].Main {
			return invalidParameterValue("cannot disassociate the main route table association %s", associationID)
		}
		table.Associations = slices.Delete(table.Associations, i, i+1)
		return tx.Put(tableRouteTables, table.ID, table)
	})
}

// replaceRouteTableAssociation moves an association (the main one included)
// to another table of the same VPC under a new id.
func (b *Backend) replaceRouteTableAssociation(ctx context.Context, associationID, tableID string, dryRun bool) (string, error) {
	if associationID == "" {
		return "", missingParameter("associationId")
	}
	newID := store.NewID("rtbassoc-", 17)
	err := b.update(ctx, dryRun, func(tx *store.Tx) error {
		target, err := getResource[RouteTable](tx, kindRouteTable, tableID)
		if err != nil {
			return err
		}
		source, i, err := findAssociation(tx, associationID)
		if err != nil {
			return err
		}
		if source.VpcID != target.VpcID {
			return invalidParameterValue("Route table %s belongs to a different network than association %s", target.ID, associationID)
		}
		moved := source.Associations[i]
		moved.ID = newID
		source.Associations = slices.Delete(source.Associations, i, i+1)
		if source.ID == target.ID {
			source.Associations = append(source.Associations, moved)
			return tx.Put(tableRouteTables, source.ID, source)
		}
		target.Associations = append(target.Associations, moved)
		if err := tx.Put(tableRouteTables, source.ID, source); err != nil {
			return err
		}
		if moved.Main {
			vpc, err := getResource[Vpc](tx, kindVpc, target.VpcID)
			if err != nil {
				return err
			}
			vpc.MainRouteTableID = target.ID
			if err := tx.Put(tableVpcs, vpc.ID, vpc); err != nil {
				return err
			}
		}
		return tx.Put(tableRouteTables, target.ID, target)
	})
	if err != nil {
		return "", err
	}
	return newID, nil
}

func (b *Backend) deleteRouteTable(ctx context.Context, tableID string, dryRun bool) error {
	return b.update(ctx, dryRun, func(tx *store.Tx) error {
		table, err := getResource[RouteTable](tx, kindRouteTable, tableID)
		if err != nil {
			return err
		}
		if len(table.Associations) > 0 {
			return dependencyViolation("The routeTable '%s' has dependencies and cannot be deleted.", table.ID)
		}
		return tx.Delete(tableRouteTables, table.ID)
	})
}

func (t *RouteTable) filterValues(name string) ([]string, bool) {
	collect := func(f func(RouteTableAssociation) string) []string {
		var out []string
		for _, a := range t.Associations {
			if v := f(a); v != "" {
				out = append(out, v)
			}
		}
		return out
	}
	routes := func(f func(Route) string) []string {
		var out []string
		for _, r := range t.Routes {
			if v := f(r); v != "" {
				out = append(out, v)
			}
		}
		return out
	}
	switch name {
	case "route-table-id":
		return []string{t.ID}, true
	case "vpc-id":
		return []string{t.VpcID}, true
	case "owner-id":
		return []string{t.OwnerID}, true
	case "association.route-table-association-id":
		return collect(func(a RouteTableAssociation) string { return a.ID }), true
	case "association.route-table-id":
		if len(t.Associations) == 0 {
			return nil, true
		}
		return []string{t.ID}, true
	case "association.subnet-id":
		return collect(func(a RouteTableAssociation) string { return a.SubnetID }), true
	case "association.gateway-id":
		return collect(func(a RouteTableAssociation) string { return a.GatewayID }), true
	case "association.main":
		return collect(func(a RouteTableAssociation) string { return strconv.FormatBool(a.Main) }), true
	case "route.destination-cidr-block":
		return routes(func(r Route) string { return r.DestinationCidrBlock }), true
	case "route.destination-ipv6-cidr-block":
		return routes(func(r Route) string { return r.DestinationIpv6CidrBlock }), true
	case "route.destination-prefix-list-id":
		return routes(func(r Route) string { return r.DestinationPrefixListID }), true
	case "route.gateway-id":
		return routes(func(r Route) string { return r.Target.GatewayID }), true
	case "route.nat-gateway-id":
		return routes(func(r Route) string { return r.Target.NatGatewayID }), true
	case "route.instance-id":
		return routes(func(r Route) string { return r.Target.InstanceID }), true
	case "route.transit-gateway-id":
		return routes(func(r Route) string { return r.Target.TransitGatewayID }), true
	case "route.vpc-peering-connection-id":
		return routes(func(r Route) string { return r.Target.VpcPeeringConnectionID }), true
	case "route.origin":
		return routes(func(r Route) string { return r.Origin }), true
	case "route.state":
		return routes(func(Route) string { return "active" }), true
	}
	return nil, false
}
