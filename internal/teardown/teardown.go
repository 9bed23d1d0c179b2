// Package teardown removes everything berth created for a stack, found by
// the berth:stack tag rather than from berth.yaml, so a destroy still
// leaves nothing after a partial deploy, a changed berth.yaml or a lost
// one. It finds with each service's own describe calls (the Resource Groups
// Tagging API is not available everywhere berth deploys, the local cloud
// included) and deletes kind by kind in dependency order, retrying the
// ordering errors AWS gives while dependents finish going away.
package teardown

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	aastypes "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling/types"

	"github.com/berthdev/berth/internal/awsres"
	"github.com/berthdev/berth/internal/engine"
)

// Resource is one object of the stack that teardown found.
type Resource struct {
	// Kind is berth's name of its kind, as in plans ("ecs.service").
	Kind string `json:"kind"`
	// ID is what deleting it takes: an id, ARN or name.
	ID string `json:"id"`
	// Addr is the berth:resource tag: which resource of the stack it was.
	Addr string `json:"address,omitempty"`
	// Parent is what ID lives in: a service's cluster, a VPC's ENIs' VPC.
	Parent string `json:"parent,omitempty"`
}

func (r Resource) String() string {
	s := r.Kind + " " + r.ID
	if r.Addr != "" {
		s += " (" + r.Addr + ")"
	}
	return s
}

// kind finds and deletes one kind. kinds lists them in deletion order:
// dependents first.
type kind struct {
	name   string
	find   func(ctx context.Context, f *finder) ([]Resource, error)
	delete func(ctx context.Context, c *engine.Clients, r Resource) error
}

// byID adapts one of awsres's delete functions, which the engine uses too:
// deleting an object means the same in a deploy and in a destroy.
func byID(del func(ctx context.Context, c *engine.Clients, id string) error) func(context.Context, *engine.Clients, Resource) error {
	return func(ctx context.Context, c *engine.Clients, r Resource) error { return del(ctx, c, r.ID) }
}

var kinds = []kind{
	{"application-autoscaling.scalable-target", findScalableTargets, func(ctx context.Context, c *engine.Clients, r Resource) error {
		return awsres.DeregisterScalableTarget(ctx, c, r.ID, aastypes.ScalableDimension(r.Parent))
	}},
	{"ecs.service", findServices, func(ctx context.Context, c *engine.Clients, r Resource) error {
		return awsres.DeleteService(ctx, c, r.Parent, r.ID)
	}},
	{"elbv2.load-balancer", findLoadBalancers, byID(awsres.DeleteLoadBalancer)},
	{"elbv2.target-group", findTargetGroups, byID(awsres.DeleteTargetGroup)},
	{"ecs.cluster-capacity-providers", findClusterProviders, byID(awsres.DetachCapacityProviders)},
	{"autoscaling.group", findAutoScalingGroups, byID(awsres.DeleteAutoScalingGroup)},
	{"ecs.capacity-provider", findCapacityProviders, byID(awsres.DeleteCapacityProvider)},
	{"ec2.instance", ec2Kind("instance"), terminateInstance},
	{"ecs.cluster", findClusters, byID(awsres.DeleteCluster)},
	{"ecs.task-definition", findTaskDefinitions, deleteTaskDefinition},
	{"ec2.launch-template", ec2Kind("launch-template"), byID(awsres.DeleteLaunchTemplate)},
	{"iam.instance-profile", findInstanceProfiles, byID(awsres.DeleteInstanceProfile)},
	{"iam.role", findRoles, byID(awsres.DeleteRole)},
	{"logs.log-group", findLogGroups, byID(awsres.DeleteLogGroup)},
	{"ecr.repository", findRepositories, byID(awsres.DeleteRepository)},
	{"acm.certificate", findCertificates, byID(awsres.DeleteCertificate)},
	{"ec2.nat-gateway", ec2Kind("natgateway"), byID(awsres.DeleteNATGateway)},
	{"ec2.elastic-ip", ec2Kind("elastic-ip"), byID(awsres.ReleaseAddress)},
	{"ec2.network-interfaces", findVPCInterfaces, deleteVPCInterfaces},
	{"ec2.security-group-rule", ec2Kind("security-group-rule"), revokeRule},
	{"ec2.security-group", ec2Kind("security-group"), byID(awsres.DeleteSecurityGroup)},
	{"ec2.internet-gateway", ec2Kind("internet-gateway"), byID(awsres.DeleteInternetGateway)},
	{"ec2.subnet", ec2Kind("subnet"), byID(awsres.DeleteSubnet)},
	{"ec2.route-table", ec2Kind("route-table"), byID(awsres.DeleteRouteTable)},
	{"ec2.vpc", ec2Kind("vpc"), byID(awsres.DeleteVPC)},
}

// Find lists everything tagged berth:stack=stack, in the order Delete
// removes it.
func Find(ctx context.Context, c *engine.Clients, stack string) ([]Resource, error) {
	f := &finder{c: c, stack: stack}
	var all []Resource
	for _, k := range kinds {
		found, err := k.find(ctx, f)
		if err != nil {
			return nil, fmt.Errorf("finding %s of stack %s: %w", k.name, stack, err)
		}
		for i := range found {
			found[i].Kind = k.name
		}
		all = append(all, found...)
	}
	return all, nil
}

// Delete removes the resources Find returned, in its order, and calls
// removed after each one. It stops at the first failure: what is left is
// found again by the next Find.
func Delete(ctx context.Context, c *engine.Clients, resources []Resource, removed func(Resource)) error {
	byKind := map[string]kind{}
	for _, k := range kinds {
		byKind[k.name] = k
	}
	for _, r := range resources {
		k, ok := byKind[r.Kind]
		if !ok {
			return fmt.Errorf("teardown cannot delete %s", r)
		}
		if err := k.delete(ctx, c, r); err != nil {
			return fmt.Errorf("delete %s: %w", r, err)
		}
		if removed != nil {
			removed(r)
		}
	}
	return nil
}

// finder is what find functions share: the clients, the stack, and what
// earlier kinds found that later ones look inside (clusters, VPCs).
type finder struct {
	c     *engine.Clients
	stack string
	// ec2 are the stack's EC2 objects by resource type, read once.
	ec2 map[string][]Resource
	// clusters are the stack's ECS cluster names.
	clusters []string
}

// tagMap turns one SDK's tag list into a map: each service has its own Tag
// type, all with a Key and a Value.
func tagMap[T any](tags []T, keyValue func(T) (key, value *string)) map[string]string {
	m := make(map[string]string, len(tags))
	for _, t := range tags {
		k, v := keyValue(t)
		m[aws.ToString(k)] = aws.ToString(v)
	}
	return m
}

// keep adds the object id to found when its tags say it is the stack's.
func (f *finder) keep(found []Resource, id string, tags map[string]string) []Resource {
	if f.tagged(tags) {
		found = append(found, Resource{ID: id, Addr: tags[awsres.TagResource]})
	}
	return found
}

// tagged tells whether tags say the object is the stack's.
func (f *finder) tagged(tags map[string]string) bool { return tags[awsres.TagStack] == f.stack }

// gone tells the errors that mean the object is already deleted: deleting
// twice is not an error, so a teardown can be run again.
func gone(err error, codes ...string) bool { return err == nil || engine.HasCode(err, codes...) }
