package awsres

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"

	"github.com/berthdev/berth/internal/engine"
)

// Cluster is the ECS cluster the instances join and the service runs in.
type Cluster struct {
	Meta
	Name string
}

func (r *Cluster) Observe(ctx context.Context, c *engine.Clients, _ *engine.Inputs) (*engine.Observed, error) {
	out, err := c.ECS.DescribeClusters(ctx, &ecs.DescribeClustersInput{Clusters: []string{r.Name}})
	if err != nil {
		return nil, fmt.Errorf("describe cluster %s: %w", r.Name, err)
	}
	for _, cluster := range out.Clusters {
		// A deleted cluster stays visible as INACTIVE for a while.
		if aws.ToString(cluster.Status) == "INACTIVE" {
			continue
		}
		arn := aws.ToString(cluster.ClusterArn)
		return &engine.Observed{Outputs: engine.Outputs{"name": r.Name, "arn": arn}, State: arn}, nil
	}
	return nil, nil
}

func (r *Cluster) Diff(_ *engine.Inputs, actual *engine.Observed) ([]engine.FieldChange, engine.Action) {
	changes := engine.NewChanges(actual)
	changes.ForceNew("name", r.Name, r.Name)
	return changes.Result()
}

func (r *Cluster) Apply(ctx context.Context, c *engine.Clients, _ *engine.Inputs, actual *engine.Observed) (engine.Outputs, error) {
	if actual != nil {
		return actual.Outputs, nil
	}
	out, err := c.ECS.CreateCluster(ctx, &ecs.CreateClusterInput{ClusterName: aws.String(r.Name), Tags: r.ecsTags()})
	if err != nil {
		return nil, fmt.Errorf("create cluster %s: %w", r.Name, err)
	}
	return engine.Outputs{"name": r.Name, "arn": aws.ToString(out.Cluster.ClusterArn)}, nil
}

// Delete retries while the cluster still holds services, tasks or container
// instances: they drain asynchronously after their owners are deleted.
func (r *Cluster) Delete(ctx context.Context, c *engine.Clients, _ *engine.Observed) error {
	return DeleteCluster(ctx, c, r.Name)
}
