package controller

import (
	"context"
	"fmt"

	"github.com/berthdev/berth/internal/localcloud/service/elbv2"
	"github.com/berthdev/berth/internal/localcloud/store"
)

// regionalScopes lists the accounts and regions that hold state. The data
// plane acts in each of them in turn, so every task runs, logs and is
// load-balanced in its own region and account. Global scopes (IAM's) hold
// nothing the data plane runs.
func (c *Controller) regionalScopes() ([]store.Scope, error) {
	all, err := c.deps.Store.Scopes()
	if err != nil {
		return nil, fmt.Errorf("listing regions with state: %w", err)
	}
	out := all[:0]
	for _, scope := range all {
		if scope.Region != "" {
			out = append(out, scope)
		}
	}
	return out, nil
}

// inScopeOf returns ctx scoped to the account and region a resource's ARN
// names: work that starts from a resource (a process exit, a health
// verdict) acts where the resource lives.
func inScopeOf(ctx context.Context, arn string) (context.Context, error) {
	scope, ok := store.ScopeOfARN(arn)
	if !ok || scope.Region == "" {
		return nil, fmt.Errorf("%s names no account and region", arn)
	}
	return store.WithScope(ctx, scope), nil
}

// routingSnapshot reads ELBv2's routing state of every region: the
// balancer runs every load balancer of the machine at once.
func (c *Controller) routingSnapshot(ctx context.Context) (*elbv2.Snapshot, error) {
	scopes, err := c.regionalScopes()
	if err != nil {
		return nil, err
	}
	all := &elbv2.Snapshot{}
	for _, scope := range scopes {
		snap, err := c.deps.ELBv2.Snapshot(store.WithScope(ctx, scope))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", scope, err)
		}
		all.LoadBalancers = append(all.LoadBalancers, snap.LoadBalancers...)
		all.Listeners = append(all.Listeners, snap.Listeners...)
		all.Rules = append(all.Rules, snap.Rules...)
		all.TargetGroups = append(all.TargetGroups, snap.TargetGroups...)
	}
	return all, nil
}
