package elbv2

import (
	"context"
	"slices"

	"github.com/berthdev/berth/internal/localcloud/protocol"
	"github.com/berthdev/berth/internal/localcloud/store"
)

// RuleRequest is a CreateRule (or ModifyRule, nil meaning "keep") call in
// domain terms.
type RuleRequest struct {
	ListenerARN string
	Priority    *int
	Conditions  []Condition
	Actions     []Action
	Tags        []Tag
}

func checkPriority(priority int) error {
	if priority < 1 || priority > 50000 {
		return validationError("1 validation error detected: Value '%d' at 'priority' failed to satisfy constraint: Member must have value between 1 and 50000", priority)
	}
	return nil
}

// defaultRule is the listener's default rule as Describe calls show it.
func defaultRule(l *Listener) *Rule {
	return &Rule{
		ARN: l.DefaultRuleARN, ListenerARN: l.ARN, IsDefault: true,
		Conditions: []Condition{}, Actions: l.DefaultActions, Tags: l.DefaultRuleTags,
	}
}

// CreateRule adds a rule to a listener.
func (b *Backend) CreateRule(ctx context.Context, req RuleRequest) (*Rule, error) {
	if err := required("listenerArn", req.ListenerARN != ""); err != nil {
		return nil, err
	}
	if err := required("priority", req.Priority != nil); err != nil {
		return nil, err
	}
	if err := checkPriority(*req.Priority); err != nil {
		return nil, err
	}
	if len(req.Conditions) == 0 {
		return nil, validationError("A rule must have at least one condition")
	}
	conditions, err := normalizeConditions(req.Conditions)
	if err != nil {
		return nil, err
	}
	if err := validateTags(req.Tags); err != nil {
		return nil, err
	}
	var out *Rule
	err = b.store.Update(ctx, func(tx *store.Tx) error {
		l, err := getFound[Listener](tx, tableListeners, req.ListenerARN, listenerNotFound)
		if err != nil {
			return err
		}
		rules, err := store.List[Rule](tx, tableRules)
		if err != nil {
			return err
		}
		for _, r := range rules {
			if r.ListenerARN == l.ARN && r.Priority == *req.Priority {
				return protocol.Errorf(codePriorityInUse, "Priority '%d' is currently in use", *req.Priority)
			}
		}
		actions, err := normalizeActions(tx, req.Actions, l.LoadBalancerARN)
		if err != nil {
			return err
		}
		out = &Rule{
			ARN: ruleARN(l.ARN), ListenerARN: l.ARN, Priority: *req.Priority,
			Conditions: conditions, Actions: actions, Tags: append([]Tag{}, req.Tags...),
		}
		return tx.Put(tableRules, out.ARN, out)
	})
	if err != nil {
		return nil, internalError(err)
	}
	return out, nil
}

// Rules returns a listener's rules by priority, its default rule last, or
// the rules named (default rules included).
func (b *Backend) Rules(ctx context.Context, listenerARN string, arns []string) ([]*Rule, error) {
	var out []*Rule
	err := b.store.View(ctx, func(tx *store.Tx) error {
		if listenerARN != "" && len(arns) > 0 {
			return validationError("Rule ARNs and a listener ARN cannot be specified at the same time")
		}
		if listenerARN == "" && len(arns) == 0 {
			return validationError("You must specify either rule ARNs or a listener ARN")
		}
		all, err := store.List[Rule](tx, tableRules)
		if err != nil {
			return err
		}
		if listenerARN != "" {
			l, err := getFound[Listener](tx, tableListeners, listenerARN, listenerNotFound)
			if err != nil {
				return err
			}
			for _, r := range all {
				if r.ListenerARN == listenerARN {
					out = append(out, r)
				}
			}
			slices.SortFunc(out, func(x, y *Rule) int { return x.Priority - y.Priority })
			out = append(out, defaultRule(l))
			return nil
		}
		for _, arn := range arns {
			r, err := findRule(tx, arn)
			if err != nil {
				return err
			}
			out = append(out, r)
		}
		return nil
	})
	return out, internalError(err)
}

// findRule loads a rule, building default rules from their listener.
func findRule(tx *store.Tx, arn string) (*Rule, error) {
	r, err := store.Get[Rule](tx, tableRules, arn)
	if err != nil || r != nil {
		return r, err
	}
	listeners, err := store.List[Listener](tx, tableListeners)
	if err != nil {
		return nil, err
	}
	for _, l := range listeners {
		if l.DefaultRuleARN == arn {
			return defaultRule(l), nil
		}
	}
	return nil, ruleNotFound()
}

// ModifyRule replaces a rule's conditions or actions. The default rule's
// actions are its listener's default actions.
func (b *Backend) ModifyRule(ctx context.Context, arn string, req RuleRequest) (*Rule, error) {
	var out *Rule
	err := b.store.Update(ctx, func(tx *store.Tx) error {
		r, err := findRule(tx, arn)
		if err != nil {
			return err
		}
		l, err := getFound[Listener](tx, tableListeners, r.ListenerARN, listenerNotFound)
		if err != nil {
			return err
		}
		if r.IsDefault {
			if req.Conditions != nil {
				return operationNotPermitted("The default rule's conditions cannot be modified")
			}
			if req.Actions != nil {
				if err := tx.Delete(tableListeners, l.ARN); err != nil {
					return err
				}
				if l.DefaultActions, err = normalizeActions(tx, req.Actions, l.LoadBalancerARN); err != nil {
					return err
				}
			}
			out = defaultRule(l)
			return tx.Put(tableListeners, l.ARN, l)
		}
		if req.Conditions != nil {
			if len(req.Conditions) == 0 {
				return validationError("A rule must have at least one condition")
			}
			if r.Conditions, err = normalizeConditions(req.Conditions); err != nil {
				return err
			}
		}
		if req.Actions != nil {
			if err := tx.Delete(tableRules, arn); err != nil {
				return err
			}
			if r.Actions, err = normalizeActions(tx, req.Actions, l.LoadBalancerARN); err != nil {
				return err
			}
		}
		out = r
		return tx.Put(tableRules, arn, r)
	})
	if err != nil {
		return nil, internalError(err)
	}
	return out, nil
}

// DeleteRule deletes a rule; the default rule cannot be deleted.
func (b *Backend) DeleteRule(ctx context.Context, arn string) error {
	return internalError(b.store.Update(ctx, func(tx *store.Tx) error {
		r, err := findRule(tx, arn)
		if err != nil {
			return err
		}
		if r.IsDefault {
			return operationNotPermitted("The default rule cannot be deleted")
		}
		return tx.Delete(tableRules, arn)
	}))
}

// SetRulePriorities renumbers rules at once: the result must leave every
// listener's priorities unique.
func (b *Backend) SetRulePriorities(ctx context.Context, priorities map[string]int) ([]*Rule, error) {
	if len(priorities) == 0 {
		return nil, validationError("1 validation error detected: Value null at 'rulePriorities' failed to satisfy constraint: Member must not be null")
	}
	for _, p := range priorities {
		if err := checkPriority(p); err != nil {
			return nil, err
		}
	}
	var out []*Rule
	err := b.store.Update(ctx, func(tx *store.Tx) error {
		all, err := store.List[Rule](tx, tableRules)
		if err != nil {
			return err
		}
		for arn, p := range priorities {
			r, err := findRule(tx, arn)
			if err != nil {
				return err
			}
			if r.IsDefault {
				return operationNotPermitted("The default rule's priority cannot be changed")
			}
			for _, existing := range all {
				if existing.ARN == arn {
					existing.Priority = p
				}
			}
		}
		used := map[string]map[int]bool{}
		for _, r := range all {
			if used[r.ListenerARN] == nil {
				used[r.ListenerARN] = map[int]bool{}
			}
			if used[r.ListenerARN][r.Priority] {
				return protocol.Errorf(codePriorityInUse, "Priority '%d' is currently in use", r.Priority)
			}
			used[r.ListenerARN][r.Priority] = true
		}
		for _, r := range all {
			if _, ok := priorities[r.ARN]; ok {
				if err := tx.Put(tableRules, r.ARN, r); err != nil {
					return err
				}
				out = append(out, r)
			}
		}
		slices.SortFunc(out, func(x, y *Rule) int { return x.Priority - y.Priority })
		return nil
	})
	if err != nil {
		return nil, internalError(err)
	}
	return out, nil
}
