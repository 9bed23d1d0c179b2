package ecr

import (
	"context"
	"encoding/json"
	"fmt"
	"github.com/berthdev/berth/internal/localcloud/service/ecr/wire"
	"slices"

	"github.com/berthdev/berth/internal/localcloud/store"
)

func (b *Backend) setRepositoryPolicy(ctx context.Context, in *wire.SetRepositoryPolicyRequest) (*wire.SetRepositoryPolicyResponse, error) {
	if err := checkRepositoryPolicy(in.PolicyText); err != nil {
		return nil, errInvalidParameter("Invalid parameter at 'PolicyText' failed to satisfy constraint: 'Invalid repository policy provided: %v'", err)
	}
	r, err := b.updateRepository(ctx, repoInput{in.RegistryId, in.RepositoryName}, func(_ *store.Tx, r *Repository) error {
		r.Policy = in.PolicyText
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &wire.SetRepositoryPolicyResponse{RegistryId: r.RegistryID, RepositoryName: r.RepositoryName, PolicyText: r.Policy}, nil
}

// checkRepositoryPolicy checks the shape of an IAM resource policy: a JSON
// object whose statements each allow or deny actions to a principal.
func checkRepositoryPolicy(text string) error {
	var doc struct {
		Version   string          `json:"Version"`
		Statement json.RawMessage `json:"Statement"`
	}
	if err := json.Unmarshal([]byte(text), &doc); err != nil {
		return fmt.Errorf("not a JSON object: %w", err)
	}
	var statements []map[string]json.RawMessage
	if err := json.Unmarshal(doc.Statement, &statements); err != nil {
		var one map[string]json.RawMessage
		if err := json.Unmarshal(doc.Statement, &one); err != nil || one == nil {
			return fmt.Errorf("the Statement member must be an object or a list of objects")
		}
		statements = []map[string]json.RawMessage{one}
	}
	if len(statements) == 0 {
		return fmt.Errorf("the policy has no statement")
	}
	for i, s := range statements {
		var effect string
		if err := json.Unmarshal(s["Effect"], &effect); err != nil || (effect != "Allow" && effect != "Deny") {
			return fmt.Errorf("statement %d: Effect must be Allow or Deny", i+1)
		}
		if s["Principal"] == nil && s["NotPrincipal"] == nil {
			return fmt.Errorf("statement %d has no Principal", i+1)
		}
		if s["Action"] == nil && s["NotAction"] == nil {
			return fmt.Errorf("statement %d has no Action", i+1)
		}
	}
	return nil
}

func (b *Backend) getRepositoryPolicy(ctx context.Context, in *wire.GetRepositoryPolicyRequest) (*wire.GetRepositoryPolicyResponse, error) {
	out := &wire.GetRepositoryPolicyResponse{}
	err := b.store.View(ctx, func(tx *store.Tx) error {
		r, err := loadRepository(tx, repoInput{in.RegistryId, in.RepositoryName})
		if err != nil {
			return err
		}
		if r.Policy == "" {
			return errPolicyNotFound(r.RepositoryName, r.RegistryID)
		}
		*out = wire.GetRepositoryPolicyResponse{RegistryId: r.RegistryID, RepositoryName: r.RepositoryName, PolicyText: r.Policy}
		return nil
	})
	return out, err
}

func (b *Backend) deleteRepositoryPolicy(ctx context.Context, in *wire.DeleteRepositoryPolicyRequest) (*wire.DeleteRepositoryPolicyResponse, error) {
	out := &wire.DeleteRepositoryPolicyResponse{}
	_, err := b.updateRepository(ctx, repoInput{in.RegistryId, in.RepositoryName}, func(_ *store.Tx, r *Repository) error {
		if r.Policy == "" {
			return errPolicyNotFound(r.RepositoryName, r.RegistryID)
		}
		*out = wire.DeleteRepositoryPolicyResponse{RegistryId: r.RegistryID, RepositoryName: r.RepositoryName, PolicyText: r.Policy}
		r.Policy = ""
		return nil
	})
	return out, err
}

// --- lifecycle policies ---

func (b *Backend) putLifecyclePolicy(ctx context.Context, in *wire.PutLifecyclePolicyRequest) (*wire.PutLifecyclePolicyResponse, error) {
	if err := CheckLifecyclePolicy(in.LifecyclePolicyText); err != nil {
		return nil, errInvalidParameter("Invalid parameter at 'LifecyclePolicyText' failed to satisfy constraint: 'Lifecycle policy validation failure: %v'", err)
	}
	r, err := b.updateRepository(ctx, repoInput{in.RegistryId, in.RepositoryName}, func(tx *store.Tx, r *Repository) error {
		r.Lifecycle = in.LifecyclePolicyText
		_, err := applyLifecycle(tx, r, b.clock())
		return err
	})
	if err != nil {
		return nil, err
	}
	return &wire.PutLifecyclePolicyResponse{RegistryId: r.RegistryID, RepositoryName: r.RepositoryName, LifecyclePolicyText: r.Lifecycle}, nil
}

// LifecycleRule is one rule of a lifecycle policy.
type LifecycleRule struct {
	RulePriority *int   `json:"rulePriority"`
	Description  string `json:"description"`
	Selection    *struct {
		TagStatus      string   `json:"tagStatus"`
		TagPrefixList  []string `json:"tagPrefixList"`
		TagPatternList []string `json:"tagPatternList"`
		CountType      string   `json:"countType"`
		CountUnit      string   `json:"countUnit"`
		CountNumber    *int     `json:"countNumber"`
	} `json:"selection"`
	Action *struct {
		Type string `json:"type"`
	} `json:"action"`
}

// CheckLifecyclePolicy validates a lifecycle policy document as ECR does:
// rules with distinct positive priorities, each selecting images by tag
// status and by count or age, each expiring them.
func CheckLifecyclePolicy(text string) error {
	var doc struct {
		Rules []LifecycleRule `json:"rules"`
	}
	dec := json.NewDecoder(bytesReader(text))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&doc); err != nil {
		return fmt.Errorf("the policy is not a valid lifecycle policy document: %v", err)
	}
	if len(doc.Rules) == 0 {
		return fmt.Errorf("the policy must have at least one rule")
	}
	var priorities []int
	anyRule := 0
	for i, r := range doc.Rules {
		n := i + 1
		switch {
		case r.RulePriority == nil || *r.RulePriority < 1:
			return fmt.Errorf("rule %d: rulePriority must be a positive integer", n)
		case slices.Contains(priorities, *r.RulePriority):
			return fmt.Errorf("rule %d: rulePriority %d is used by another rule", n, *r.RulePriority)
		case r.Selection == nil:
			return fmt.Errorf("rule %d has no selection", n)
		case r.Action == nil || r.Action.Type != "expire":
			return fmt.Errorf("rule %d: action type must be expire", n)
		}
		priorities = append(priorities, *r.RulePriority)
		s := r.Selection
		switch s.TagStatus {
		case "tagged":
			if (len(s.TagPrefixList) == 0) == (len(s.TagPatternList) == 0) {
				return fmt.Errorf("rule %d: a tagged selection needs exactly one of tagPrefixList and tagPatternList", n)
			}
		case "untagged", "any":
			if len(s.TagPrefixList) > 0 || len(s.TagPatternList) > 0 {
				return fmt.Errorf("rule %d: tagPrefixList and tagPatternList are only for tagged selections", n)
			}
			if s.TagStatus == "any" {
				anyRule = *r.RulePriority
			}
		default:
			return fmt.Errorf("rule %d: tagStatus must be tagged, untagged or any", n)
		}
		switch s.CountType {
		case "imageCountMoreThan":
			if s.CountUnit != "" {
				return fmt.Errorf("rule %d: countUnit is only for sinceImagePushed", n)
			}
		case "sinceImagePushed":
			if s.CountUnit != "days" {
				return fmt.Errorf("rule %d: countUnit must be days for sinceImagePushed", n)
			}
		default:
			return fmt.Errorf("rule %d: countType must be imageCountMoreThan or sinceImagePushed", n)
		}
		if s.CountNumber == nil || *s.CountNumber < 1 {
			return fmt.Errorf("rule %d: countNumber must be a positive integer", n)
		}
	}
	if anyRule != 0 && anyRule != slices.Max(priorities) {
		return fmt.Errorf("the rule with tagStatus any must have the highest rulePriority")
	}
	return nil
}

func (b *Backend) getLifecyclePolicy(ctx context.Context, in *wire.GetLifecyclePolicyRequest) (*wire.GetLifecyclePolicyResponse, error) {
	out := &wire.GetLifecyclePolicyResponse{}
	err := b.store.View(ctx, func(tx *store.Tx) error {
		r, err := loadRepository(tx, repoInput{in.RegistryId, in.RepositoryName})
		if err != nil {
			return err
		}
		if r.Lifecycle == "" {
			return errLifecycleNotFound(r.RepositoryName, r.RegistryID)
		}
		*out = wire.GetLifecyclePolicyResponse{RegistryId: r.RegistryID, RepositoryName: r.RepositoryName, LifecyclePolicyText: r.Lifecycle}
		return nil
	})
	return out, err
}

func (b *Backend) deleteLifecyclePolicy(ctx context.Context, in *wire.DeleteLifecyclePolicyRequest) (*wire.DeleteLifecyclePolicyResponse, error) {
	out := &wire.DeleteLifecyclePolicyResponse{}
	_, err := b.updateRepository(ctx, repoInput{in.RegistryId, in.RepositoryName}, func(_ *store.Tx, r *Repository) error {
		if r.Lifecycle == "" {
			return errLifecycleNotFound(r.RepositoryName, r.RegistryID)
		}
		*out = wire.DeleteLifecyclePolicyResponse{RegistryId: r.RegistryID, RepositoryName: r.RepositoryName, LifecyclePolicyText: r.Lifecycle}
		r.Lifecycle = ""
		return nil
	})
	return out, err
}
