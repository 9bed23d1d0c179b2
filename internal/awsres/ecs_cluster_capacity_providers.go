package awsres

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/berthdev/berth/internal/engine"
)

// ClusterCapacityProviders associates the capacity provider with the
// cluster and makes it the default strategy.
type ClusterCapacityProviders struct {
	Meta
	Cluster          engine.Ref // the cluster's "name"
	CapacityProvider engine.Ref // the provider's "name"
}

type clusterCapacityProvidersState struct {
	cluster, providers, strategy string
}

func (r *ClusterCapacityProviders) Observe(ctx context.Context, c *engine.Clients, in *engine.Inputs) (*engine.Observed, error) {
	cluster, ok := in.Lookup(r.Cluster)
	if !ok {
		return nil, nil
	}
	out, err := c.ECS.DescribeClusters(ctx, &ecs.DescribeClustersInput{Clusters: []string{cluster}})
	if err != nil {
		return nil, fmt.Errorf("describe cluster %s: %w", cluster, err)
	}
	for _, cl := range out.Clusters {
		if aws.ToString(cl.Status) == "INACTIVE" || len(cl.CapacityProviders) == 0 {
			continue
		}
		state := &clusterCapacityProvidersState{cluster: cluster, providers: sortedJoin(cl.CapacityProviders)}
		state.strategy = renderStrategy(cl.DefaultCapacityProviderStrategy)
		return &engine.Observed{Outputs: engine.Outputs{"cluster": cluster}, State: state}, nil
	}
	return nil, nil
}

func renderStrategy(items []ecstypes.CapacityProviderStrategyItem) string {
	var parts []string
	for _, item := range items {
		parts = append(parts, fmt.Sprintf("%s weight %d base %d", aws.ToString(item.CapacityProvider), item.Weight, item.Base))
	}
	return sortedJoin(parts)
}

func strategyFor(provider string) []ecstypes.CapacityProviderStrategyItem {
	return []ecstypes.CapacityProviderStrategyItem{{CapacityProvider: aws.String(provider), Weight: 1, Base: 0}}
}

func (r *ClusterCapacityProviders) Diff(in *engine.Inputs, actual *engine.Observed) ([]engine.FieldChange, engine.Action) {
	changes := engine.NewChanges(actual)
	state := &clusterCapacityProvidersState{}
	if actual != nil {
		state = actual.State.(*clusterCapacityProvidersState)
	}
	provider := in.Show(r.CapacityProvider)
	changes.Field("cluster", state.cluster, in.Show(r.Cluster))
	changes.Field("capacity_providers", state.providers, provider)
	changes.Field("default_strategy", state.strategy, renderStrategy(strategyFor(provider)))
	return changes.Result()
}

func (r *ClusterCapacityProviders) Apply(ctx context.Context, c *engine.Clients, in *engine.Inputs, _ *engine.Observed) (engine.Outputs, error) {
	refs, err := in.Resolve(r.Cluster, r.CapacityProvider)
	if err != nil {
		return nil, err
	}
	cluster, provider := refs[0], refs[1]
	err = retryWhile(ctx, dependencyTimeout, "attach capacity provider to "+cluster, isECSUpdateInProgress, func() error {
		_, err := c.ECS.PutClusterCapacityProviders(ctx, &ecs.PutClusterCapacityProvidersInput{
			Cluster: aws.String(cluster), CapacityProviders: []string{provider},
			DefaultCapacityProviderStrategy: strategyFor(provider),
		})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("put cluster capacity providers: %w", err)
	}
	return engine.Outputs{"cluster": cluster}, nil
}

func isECSUpdateInProgress(err error) bool {
	return hasCode(err, "UpdateInProgressException", "ResourceInUseException")
}

// Delete detaches every provider; ECS refuses while a service still uses
// one, which the service's own deletion resolves.
func (r *ClusterCapacityProviders) Delete(ctx context.Context, c *engine.Clients, actual *engine.Observed) error {
	cluster := actual.State.(*clusterCapacityProvidersState).cluster
	err := retryWhile(ctx, dependencyTimeout, "detach capacity providers from "+cluster, isECSUpdateInProgress, func() error {
		_, err := c.ECS.PutClusterCapacityProviders(ctx, &ecs.PutClusterCapacityProvidersInput{
			Cluster: aws.String(cluster), CapacityProviders: []string{},
			DefaultCapacityProviderStrategy: []ecstypes.CapacityProviderStrategyItem{},
		})
		return err
	})
	if err != nil && !isECSNotFound(err) {
		return err
	}
	return nil
}
