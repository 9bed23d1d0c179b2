package elbv2

import (
	"context"

	"github.com/berthdev/berth/internal/localcloud/store"
)

// taggedResource loads the resource an ARN names and returns its tags and a
// function that stores new tags for it.
func taggedResource(tx *store.Tx, arn string) ([]Tag, func([]Tag) error, error) {
	switch arnKind(arn) {
	case "loadbalancer":
		lb, err := getFound[LoadBalancer](tx, tableLoadBalancers, arn, loadBalancerNotFound)
		if err != nil {
			return nil, nil, err
		}
		return lb.Tags, func(tags []Tag) error { lb.Tags = tags; return tx.Put(tableLoadBalancers, arn, lb) }, nil
	case "targetgroup":
		tg, err := getFound[TargetGroup](tx, tableTargetGroups, arn, targetGroupNotFound)
		if err != nil {
			return nil, nil, err
		}
		return tg.Tags, func(tags []Tag) error { tg.Tags = tags; return tx.Put(tableTargetGroups, arn, tg) }, nil
	case "listener":
		l, err := getFound[Listener](tx, tableListeners, arn, listenerNotFound)
		if err != nil {
			return nil, nil, err
		}
		return l.Tags, func(tags []Tag) error { l.Tags = tags; return tx.Put(tableListeners, arn, l) }, nil
	case "listener-rule":
		r, err := findRule(tx, arn)
		if err != nil {
			return nil, nil, err
		}
		if r.IsDefault {
			l, err := store.Get[Listener](tx, tableListeners, r.ListenerARN)
			if err != nil {
				return nil, nil, err
			}
			return l.DefaultRuleTags, func(tags []Tag) error { l.DefaultRuleTags = tags; return tx.Put(tableListeners, l.ARN, l) }, nil
		}
		return r.Tags, func(tags []Tag) error { r.Tags = tags; return tx.Put(tableRules, arn, r) }, nil
	}
	return nil, nil, validationError("'%s' is not a valid load balancer, target group, listener or rule ARN", arn)
}

// AddTags adds or overwrites tags on each resource, all or none.
func (b *Backend) AddTags(ctx context.Context, arns []string, tags []Tag) error {
	if len(arns) == 0 || len(tags) == 0 {
		return validationError("Resource ARNs and tags must be specified")
	}
	if err := validateTags(tags); err != nil {
		return err
	}
	return internalError(b.store.Update(ctx, func(tx *store.Tx) error {
		for _, arn := range arns {
			current, put, err := taggedResource(tx, arn)
			if err != nil {
				return err
			}
			merged, err := mergeTags(current, tags)
			if err != nil {
				return err
			}
			if err := put(merged); err != nil {
				return err
			}
		}
		return nil
	}))
}

// RemoveTags removes tag keys from each resource.
func (b *Backend) RemoveTags(ctx context.Context, arns []string, keys []string) error {
	if len(arns) == 0 || len(keys) == 0 {
		return validationError("Resource ARNs and tag keys must be specified")
	}
	return internalError(b.store.Update(ctx, func(tx *store.Tx) error {
		for _, arn := range arns {
			current, put, err := taggedResource(tx, arn)
			if err != nil {
				return err
			}
			if err := put(removeTags(current, keys)); err != nil {
				return err
			}
		}
		return nil
	}))
}

// Tags returns each resource's tags, in the order asked.
func (b *Backend) Tags(ctx context.Context, arns []string) (map[string][]Tag, error) {
	if len(arns) == 0 {
		return nil, validationError("1 validation error detected: Value null at 'resourceArns' failed to satisfy constraint: Member must not be null")
	}
	if len(arns) > 20 {
		return nil, validationError("At most 20 resource ARNs can be specified")
	}
	out := map[string][]Tag{}
	err := b.store.View(ctx, func(tx *store.Tx) error {
		for _, arn := range arns {
			tags, _, err := taggedResource(tx, arn)
			if err != nil {
				return err
			}
			out[arn] = tags
		}
		return nil
	})
	return out, internalError(err)
}
