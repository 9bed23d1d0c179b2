package teardown

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	aas "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling"
	aastypes "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/berthdev/berth/internal/awsres"
	"github.com/berthdev/berth/internal/engine"
)

func ecsTags(tags []ecstypes.Tag) map[string]string {
	return tagMap(tags, func(t ecstypes.Tag) (*string, *string) { return t.Key, t.Value })
}

// findClusters lists the stack's clusters; later ECS kinds look inside
// them.
func findClusters(ctx context.Context, f *finder) ([]Resource, error) {
	if f.clusters == nil {
		f.clusters = []string{}
		var arns []string
		pages := ecs.NewListClustersPaginator(f.c.ECS, &ecs.ListClustersInput{})
		for pages.HasMorePages() {
			page, err := pages.NextPage(ctx)
			if err != nil {
				return nil, err
			}
			arns = append(arns, page.ClusterArns...)
		}
		for len(arns) > 0 {
			batch := arns[:min(100, len(arns))]
			arns = arns[len(batch):]
			out, err := f.c.ECS.DescribeClusters(ctx, &ecs.DescribeClustersInput{Clusters: batch, Include: []ecstypes.ClusterField{ecstypes.ClusterFieldTags}})
			if err != nil {
				return nil, err
			}
			for _, cl := range out.Clusters {
				if aws.ToString(cl.Status) != "INACTIVE" && f.tagged(ecsTags(cl.Tags)) {
					f.clusters = append(f.clusters, aws.ToString(cl.ClusterName))
				}
			}
		}
	}
	var found []Resource
	for _, name := range f.clusters {
		found = append(found, Resource{ID: name})
	}
	return found, nil
}

func findServices(ctx context.Context, f *finder) ([]Resource, error) {
	if _, err := findClusters(ctx, f); err != nil {
		return nil, err
	}
	var found []Resource
	for _, cluster := range f.clusters {
		var arns []string
		pages := ecs.NewListServicesPaginator(f.c.ECS, &ecs.ListServicesInput{Cluster: aws.String(cluster)})
		for pages.HasMorePages() {
			page, err := pages.NextPage(ctx)
			if err != nil {
				return nil, err
			}
			arns = append(arns, page.ServiceArns...)
		}
		for len(arns) > 0 {
			batch := arns[:min(10, len(arns))] // DescribeServices takes 10 at a time
			arns = arns[len(batch):]
			out, err := f.c.ECS.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String(cluster), Services: batch, Include: []ecstypes.ServiceField{ecstypes.ServiceFieldTags}})
			if err != nil {
				return nil, err
			}
			for _, svc := range out.Services {
				tags := ecsTags(svc.Tags)
				if aws.ToString(svc.Status) == "ACTIVE" && f.tagged(tags) {
					found = append(found, Resource{ID: aws.ToString(svc.ServiceName), Parent: cluster, Addr: tags[awsres.TagResource]})
				}
			}
		}
	}
	return found, nil
}

// findScalableTargets finds the scaling of the stack's services; its
// policies go with it.
func findScalableTargets(ctx context.Context, f *finder) ([]Resource, error) {
	services, err := findServices(ctx, f)
	if err != nil {
		return nil, err
	}
	wanted := map[string]bool{}
	for _, s := range services {
		wanted["service/"+s.Parent+"/"+s.ID] = true
	}
	var found []Resource
	pages := aas.NewDescribeScalableTargetsPaginator(f.c.AppAutoScaling, &aas.DescribeScalableTargetsInput{ServiceNamespace: aastypes.ServiceNamespaceEcs})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, t := range page.ScalableTargets {
			if id := aws.ToString(t.ResourceId); wanted[id] {
				found = append(found, Resource{ID: id, Parent: string(t.ScalableDimension)})
			}
		}
	}
	return found, nil
}

// findClusterProviders stands for each cluster's capacity provider
// association, which must go before the providers can.
func findClusterProviders(ctx context.Context, f *finder) ([]Resource, error) {
	return findClusters(ctx, f)
}

func findCapacityProviders(ctx context.Context, f *finder) ([]Resource, error) {
	var found []Resource
	var token *string
	for {
		out, err := f.c.ECS.DescribeCapacityProviders(ctx, &ecs.DescribeCapacityProvidersInput{Include: []ecstypes.CapacityProviderField{ecstypes.CapacityProviderFieldTags}, NextToken: token})
		if err != nil {
			return nil, err
		}
		for _, cp := range out.CapacityProviders {
			tags := ecsTags(cp.Tags)
			if cp.Status == ecstypes.CapacityProviderStatusActive && f.tagged(tags) {
				found = append(found, Resource{ID: aws.ToString(cp.Name), Addr: tags[awsres.TagResource]})
			}
		}
		if token = out.NextToken; aws.ToString(token) == "" {
			return found, nil
		}
	}
}

// findTaskDefinitions lists the revisions of the stack's families that
// carry its tag. berth names the family after the stack, so only families
// of that prefix are read; each revision's own tags decide.
func findTaskDefinitions(ctx context.Context, f *finder) ([]Resource, error) {
	var found []Resource
	for _, status := range []ecstypes.TaskDefinitionStatus{ecstypes.TaskDefinitionStatusActive, ecstypes.TaskDefinitionStatusInactive} {
		pages := ecs.NewListTaskDefinitionsPaginator(f.c.ECS, &ecs.ListTaskDefinitionsInput{FamilyPrefix: aws.String(f.stack), Status: status})
		for pages.HasMorePages() {
			page, err := pages.NextPage(ctx)
			if err != nil {
				return nil, err
			}
			for _, arn := range page.TaskDefinitionArns {
				out, err := f.c.ECS.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(arn), Include: []ecstypes.TaskDefinitionField{ecstypes.TaskDefinitionFieldTags}})
				if err != nil {
					return nil, err
				}
				if tags := ecsTags(out.Tags); f.tagged(tags) {
					found = append(found, Resource{ID: arn, Addr: tags[awsres.TagResource]})
				}
			}
		}
	}
	return found, nil
}

// deleteTaskDefinition deregisters the revision, then deletes it: an
// INACTIVE revision still exists (and is still tagged) until deleted.
func deleteTaskDefinition(ctx context.Context, c *engine.Clients, r Resource) error {
	_, err := c.ECS.DeregisterTaskDefinition(ctx, &ecs.DeregisterTaskDefinitionInput{TaskDefinition: aws.String(r.ID)})
	if err != nil && !engine.HasCode(err, "ClientException", "InvalidParameterException") {
		return err
	}
	out, err := c.ECS.DeleteTaskDefinitions(ctx, &ecs.DeleteTaskDefinitionsInput{TaskDefinitions: []string{r.ID}})
	if err != nil {
		return err
	}
	for _, failure := range out.Failures {
		if !strings.Contains(strings.ToLower(aws.ToString(failure.Reason)), "missing") {
			return fmt.Errorf("delete task definition %s: %s", r.ID, aws.ToString(failure.Reason))
		}
	}
	return nil
}
