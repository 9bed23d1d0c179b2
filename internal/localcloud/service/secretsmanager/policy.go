package secretsmanager

import (
	"context"
	"encoding/json"

	"github.com/berthdev/berth/internal/localcloud/protocol"
	"github.com/berthdev/berth/internal/localcloud/service/secretsmanager/wire"
	"github.com/berthdev/berth/internal/localcloud/store"
)

type policyStatement struct {
	Effect    string          `json:"Effect"`
	Principal json.RawMessage `json:"Principal"`
	Action    json.RawMessage `json:"Action"`
	Condition json.RawMessage `json:"Condition"`
}

// parsePolicy reads a resource policy: a JSON object with statements, each
// with an Effect and an Action, one or several (a lone statement object is
// accepted, as IAM accepts it).
func parsePolicy(text string) ([]policyStatement, error) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal([]byte(text), &raw); err != nil {
		return nil, errMalformedPolicy("This resource policy contains a syntax error.")
	}
	body, ok := raw["Statement"]
	if !ok {
		return nil, errMalformedPolicy("This resource policy contains a syntax error: it has no Statement.")
	}
	var statements []policyStatement
	if err := json.Unmarshal(body, &statements); err != nil {
		var one policyStatement
		if err := json.Unmarshal(body, &one); err != nil {
			return nil, errMalformedPolicy("This resource policy contains a syntax error.")
		}
		statements = []policyStatement{one}
	}
	for _, st := range statements {
		if (st.Effect != "Allow" && st.Effect != "Deny") || len(st.Action) == 0 {
			return nil, errMalformedPolicy("This resource policy contains a syntax error: every statement needs an Effect (Allow or Deny) and an Action.")
		}
	}
	return statements, nil
}

// public reports whether a statement lets anyone in: Allow to the "*"
// principal with no condition.
func (st policyStatement) public() bool {
	if st.Effect != "Allow" || len(st.Condition) > 0 {
		return false
	}
	var star string
	if json.Unmarshal(st.Principal, &star) == nil {
		return star == "*"
	}
	var byKind map[string]json.RawMessage
	if json.Unmarshal(st.Principal, &byKind) != nil {
		return false
	}
	var aws any
	_ = json.Unmarshal(byKind["AWS"], &aws)
	switch v := aws.(type) {
	case string:
		return v == "*"
	case []any:
		for _, p := range v {
			if p == "*" {
				return true
			}
		}
	}
	return false
}

func (b *Backend) putResourcePolicy(ctx context.Context, in *wire.PutResourcePolicyRequest) (*wire.PutResourcePolicyResponse, error) {
	statements, err := parsePolicy(in.ResourcePolicy)
	if err != nil {
		return nil, err
	}
	if isSet(in.BlockPublicPolicy) {
		for _, st := range statements {
			if st.public() {
				return nil, errPublicPolicy()
			}
		}
	}
	out := &wire.PutResourcePolicyResponse{}
	err = b.store.Update(ctx, func(tx *store.Tx) error {
		s, err := b.loadLive(tx, in.SecretId)
		if err != nil {
			return err
		}
		s.Policy = in.ResourcePolicy
		*out = wire.PutResourcePolicyResponse{ARN: s.ARN, Name: s.Name}
		return tx.Put(tableSecrets, s.Name, s)
	})
	return out, err
}

func errPublicPolicy() error {
	return protocol.Errorf("PublicPolicyException", "You can't attach this resource policy because it grants public access to the secret (BlockPublicPolicy is set).")
}

func (b *Backend) getResourcePolicy(ctx context.Context, in *wire.GetResourcePolicyRequest) (*wire.GetResourcePolicyResponse, error) {
	out := &wire.GetResourcePolicyResponse{}
	err := b.store.View(ctx, func(tx *store.Tx) error {
		s, err := b.loadLive(tx, in.SecretId)
		if err != nil {
			return err
		}
		*out = wire.GetResourcePolicyResponse{ARN: s.ARN, Name: s.Name, ResourcePolicy: s.Policy}
		return nil
	})
	return out, err
}

func (b *Backend) deleteResourcePolicy(ctx context.Context, in *wire.DeleteResourcePolicyRequest) (*wire.DeleteResourcePolicyResponse, error) {
	out := &wire.DeleteResourcePolicyResponse{}
	err := b.store.Update(ctx, func(tx *store.Tx) error {
		s, err := b.loadLive(tx, in.SecretId)
		if err != nil {
			return err
		}
		*out = wire.DeleteResourcePolicyResponse{ARN: s.ARN, Name: s.Name}
		if s.Policy == "" {
			return nil
		}
		s.Policy = ""
		return tx.Put(tableSecrets, s.Name, s)
	})
	return out, err
}

// validateResourcePolicy runs the checks Secrets Manager runs: the policy
// parses, and it does not grant public access.
func (b *Backend) validateResourcePolicy(ctx context.Context, in *wire.ValidateResourcePolicyRequest) (*wire.ValidateResourcePolicyResponse, error) {
	if in.SecretId != "" {
		if err := b.store.View(ctx, func(tx *store.Tx) error {
			_, err := b.loadLive(tx, in.SecretId)
			return err
		}); err != nil {
			return nil, err
		}
	}
	statements, err := parsePolicy(in.ResourcePolicy)
	if err != nil {
		return nil, err
	}
	passed := true
	out := &wire.ValidateResourcePolicyResponse{PolicyValidationPassed: &passed, ValidationErrors: []wire.ValidationErrorsEntry{}}
	for _, st := range statements {
		if st.public() {
			passed = false
			out.ValidationErrors = append(out.ValidationErrors, wire.ValidationErrorsEntry{CheckName: "BLOCK_PUBLIC_POLICY", ErrorMessage: "The resource policy grants a wildcard principal (\"*\") access to the secret without a condition."})
			break
		}
	}
	return out, nil
}
