package awsres

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/berthdev/berth/internal/engine"
)

// ClusterCapacityProviders associates the capacity providers of the
// strategy with the cluster and makes the strategy its default.
type ClusterCapacityProviders struct {
	Meta
	Cluster  engine.Ref // the cluster's "name"
	Strategy []StrategyItem
}

// StrategyItem is one capacity provider of a strategy: the stack's own (a
// reference to its "name") or one of AWS's, FARGATE or FARGATE_SPOT, by
// Name.
type StrategyItem struct {
	Provider     engine.Ref
	Name         string
	Weight, Base int
}

func (i StrategyItem) show(in *engine.Inputs) string {
	if i.Name != "" {
		return i.Name
	}
	return in.Show(i.Provider)
}

// showStrategy resolves a strategy for Diff.
func showStrategy(in *engine.Inputs, items []StrategyItem) []ecstypes.CapacityProviderStrategyItem {
	out := make([]ecstypes.CapacityProviderStrategyItem, len(items))
	for i, item := range items {
		out[i] = ecstypes.CapacityProviderStrategyItem{CapacityProvider: aws.String(item.show(in)), Weight: int32(item.Weight), Base: int32(item.Base)}
	}
	return out
}

// resolveStrategy resolves a strategy for Apply.
func resolveStrategy(in *engine.Inputs, items []StrategyItem) ([]ecstypes.CapacityProviderStrategyItem, error) {
	out := showStrategy(in, items)
	for i, item := range items {
		if item.Name == "" {
			name, err := in.Get(item.Provider)
			if err != nil {
				return nil, err
			}
			out[i].CapacityProvider = aws.String(name)
		}
	}
	return out, nil
}

func providerNames(items []ecstypes.CapacityProviderStrategyItem) []string {
	names := make([]string, len(items))
	for i, item := range items {
		names[i] = aws.ToString(item.CapacityProvider)
	}
	return names
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

func (r *ClusterCapacityProviders) Diff(in *engine.Inputs, actual *engine.Observed) ([]engine.FieldChange, engine.Action) {
	changes := engine.NewChanges(actual)
	state := &clusterCapacityProvidersState{}
	if actual != nil {
		state = actual.State.(*clusterCapacityProvidersState)
	}
	strategy := showStrategy(in, r.Strategy)
	changes.Field("cluster", state.cluster, in.Show(r.Cluster))
	changes.Field("capacity_providers", state.providers, sortedJoin(providerNames(strategy)))
	changes.Field("default_strategy", state.strategy, renderStrategy(strategy))
	return changes.Result()
}

func (r *ClusterCapacityProviders) Apply(ctx context.Context, c *engine.Clients, in *engine.Inputs, _ *engine.Observed) (engine.Outputs, error) {
	cluster, err := in.Get(r.Cluster)
	if err != nil {
		return nil, err
	}
	strategy, err := resolveStrategy(in, r.Strategy)
	if err != nil {
		return nil, err
	}
	err = retryWhile(ctx, dependencyTimeout, "attach capacity providers to "+cluster, isECSUpdateInProgress, func() error {
		_, err := c.ECS.PutClusterCapacityProviders(ctx, &ecs.PutClusterCapacityProvidersInput{
			Cluster: aws.String(cluster), CapacityProviders: providerNames(strategy),
			DefaultCapacityProviderStrategy: strategy,
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
	return DetachCapacityProviders(ctx, c, actual.State.(*clusterCapacityProvidersState).cluster)
}
