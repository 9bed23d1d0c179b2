package awsres

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/berthdev/berth/internal/engine"
)

// IAMRole is a role that one AWS service may assume, with managed policies
// attached.
type IAMRole struct {
	Meta
	Name string
	// TrustedService is the principal allowed to assume the role, e.g.
	// "ec2.amazonaws.com".
	TrustedService  string
	ManagedPolicies []string
	// InlinePolicy is a policy document embedded in the role under
	// InlinePolicyName; "" means the role has none of that name.
	InlinePolicyName, InlinePolicy string
}

type iamRoleState struct {
	name, arn, trustedService string
	policies                  []string
	// inline is the document of InlinePolicyName, canonical, "" if none.
	inline string
}

// canonicalJSON renders a policy document the same whatever its spacing,
// key order or URL encoding (IAM returns documents URL-encoded).
func canonicalJSON(document string) string {
	if decoded, err := url.QueryUnescape(document); err == nil {
		document = decoded
	}
	var v any
	if json.Unmarshal([]byte(document), &v) != nil {
		return document
	}
	data, _ := json.Marshal(v) // what was unmarshalled marshals
	return string(data)
}

// SecretsPolicy is the inline policy that lets ECS read exactly the
// secrets a task definition names: ssm:GetParameters on the parameters,
// secretsmanager:GetSecretValue on the secrets (without ECS's
// :json-key:stage:version suffix, which is not part of the secret's ARN).
func SecretsPolicy(arns []string) string {
	var parameters, secrets []string
	for _, arn := range arns {
		fields := strings.Split(arn, ":")
		if len(fields) >= 7 && fields[2] == "secretsmanager" {
			secrets = append(secrets, strings.Join(fields[:7], ":"))
		} else {
			parameters = append(parameters, arn)
		}
	}
	type statement struct {
		Effect   string
		Action   string
		Resource []string
	}
	doc := struct {
		Version   string
		Statement []statement
	}{Version: "2012-10-17"}
	if len(parameters) > 0 {
		doc.Statement = append(doc.Statement, statement{"Allow", "ssm:GetParameters", slices.Compact(slices.Sorted(slices.Values(parameters)))})
	}
	if len(secrets) > 0 {
		doc.Statement = append(doc.Statement, statement{"Allow", "secretsmanager:GetSecretValue", slices.Compact(slices.Sorted(slices.Values(secrets)))})
	}
	data, _ := json.Marshal(doc) // strings only
	return string(data)
}

// iamTags are the berth tags for roles and instance profiles.
func (m Meta) iamTags() []iamtypes.Tag {
	var tags []iamtypes.Tag
	for _, kv := range m.tags() {
		tags = append(tags, iamtypes.Tag{Key: aws.String(kv.Key), Value: aws.String(kv.Value)})
	}
	return tags
}

type trustPolicy struct {
	Version   string
	Statement []trustStatement
}

type trustStatement struct {
	Effect    string
	Principal struct{ Service any }
	Action    any
}

func (r *IAMRole) trustDocument() string {
	doc := trustPolicy{Version: "2012-10-17", Statement: []trustStatement{{Effect: "Allow", Action: "sts:AssumeRole"}}}
	doc.Statement[0].Principal.Service = r.TrustedService
	data, _ := json.Marshal(doc) // a struct of strings always marshals
	return string(data)
}

// trustedServiceOf reads the first service principal back; IAM returns the
// document URL-encoded.
func trustedServiceOf(document string) string {
	if decoded, err := url.QueryUnescape(document); err == nil {
		document = decoded
	}
	var doc trustPolicy
	if json.Unmarshal([]byte(document), &doc) != nil || len(doc.Statement) == 0 {
		return ""
	}
	switch service := doc.Statement[0].Principal.Service.(type) {
	case string:
		return service
	case []any:
		if len(service) > 0 {
			return fmt.Sprint(service[0])
		}
	}
	return ""
}

func (r *IAMRole) Observe(ctx context.Context, c *engine.Clients, _ *engine.Inputs) (*engine.Observed, error) {
	out, err := c.IAM.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(r.Name)})
	if hasCode(err, "NoSuchEntity") {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("get role %s: %w", r.Name, err)
	}
	state := &iamRoleState{
		name: r.Name, arn: aws.ToString(out.Role.Arn),
		trustedService: trustedServiceOf(aws.ToString(out.Role.AssumeRolePolicyDocument)),
	}
	attached, err := c.IAM.ListAttachedRolePolicies(ctx, &iam.ListAttachedRolePoliciesInput{RoleName: aws.String(r.Name)})
	if err != nil {
		return nil, fmt.Errorf("list policies of role %s: %w", r.Name, err)
	}
	for _, p := range attached.AttachedPolicies {
		state.policies = append(state.policies, aws.ToString(p.PolicyArn))
	}
	if r.InlinePolicyName != "" {
		policy, err := c.IAM.GetRolePolicy(ctx, &iam.GetRolePolicyInput{RoleName: aws.String(r.Name), PolicyName: aws.String(r.InlinePolicyName)})
		switch {
		case hasCode(err, "NoSuchEntity"):
		case err != nil:
			return nil, fmt.Errorf("get policy %s of role %s: %w", r.InlinePolicyName, r.Name, err)
		default:
			state.inline = canonicalJSON(aws.ToString(policy.PolicyDocument))
		}
	}
	return &engine.Observed{Outputs: engine.Outputs{"name": state.name, "arn": state.arn}, State: state}, nil
}

func (r *IAMRole) Diff(_ *engine.Inputs, actual *engine.Observed) ([]engine.FieldChange, engine.Action) {
	changes := engine.NewChanges(actual)
	state := &iamRoleState{}
	if actual != nil {
		state = actual.State.(*iamRoleState)
	}
	changes.ForceNew("name", state.name, r.Name)
	changes.Field("trusted_service", state.trustedService, r.TrustedService)
	changes.Field("managed_policies", sortedJoin(state.policies), sortedJoin(r.ManagedPolicies))
	if r.InlinePolicy != "" {
		changes.Field("policy "+r.InlinePolicyName, state.inline, canonicalJSON(r.InlinePolicy))
	} else if state.inline != "" {
		changes.Field("policy "+r.InlinePolicyName, state.inline, "none")
	}
	return changes.Result()
}

func (r *IAMRole) Apply(ctx context.Context, c *engine.Clients, _ *engine.Inputs, actual *engine.Observed) (engine.Outputs, error) {
	state := &iamRoleState{name: r.Name}
	if actual == nil {
		out, err := c.IAM.CreateRole(ctx, &iam.CreateRoleInput{
			RoleName: aws.String(r.Name), AssumeRolePolicyDocument: aws.String(r.trustDocument()),
			Description: aws.String("berth stack " + r.Stack), Tags: r.iamTags(),
		})
		if err != nil {
			return nil, fmt.Errorf("create role %s: %w", r.Name, err)
		}
		state.arn = aws.ToString(out.Role.Arn)
		state.trustedService = r.TrustedService
	} else {
		state = actual.State.(*iamRoleState)
	}
	if state.trustedService != r.TrustedService {
		_, err := c.IAM.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{
			RoleName: aws.String(r.Name), PolicyDocument: aws.String(r.trustDocument()),
		})
		if err != nil {
			return nil, fmt.Errorf("update trust of role %s: %w", r.Name, err)
		}
	}
	have := map[string]bool{}
	for _, p := range state.policies {
		have[p] = true
	}
	want := map[string]bool{}
	for _, p := range r.ManagedPolicies {
		want[p] = true
		if !have[p] {
			if _, err := c.IAM.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String(r.Name), PolicyArn: aws.String(p)}); err != nil {
				return nil, fmt.Errorf("attach %s to role %s: %w", p, r.Name, err)
			}
		}
	}
	for p := range have {
		if !want[p] {
			if _, err := c.IAM.DetachRolePolicy(ctx, &iam.DetachRolePolicyInput{RoleName: aws.String(r.Name), PolicyArn: aws.String(p)}); err != nil {
				return nil, fmt.Errorf("detach %s from role %s: %w", p, r.Name, err)
			}
		}
	}
	switch {
	case r.InlinePolicy != "" && state.inline != canonicalJSON(r.InlinePolicy):
		_, err := c.IAM.PutRolePolicy(ctx, &iam.PutRolePolicyInput{
			RoleName: aws.String(r.Name), PolicyName: aws.String(r.InlinePolicyName), PolicyDocument: aws.String(r.InlinePolicy),
		})
		if err != nil {
			return nil, fmt.Errorf("put policy %s of role %s: %w", r.InlinePolicyName, r.Name, err)
		}
	case r.InlinePolicy == "" && state.inline != "":
		if err := r.deleteInline(ctx, c); err != nil {
			return nil, err
		}
	}
	return engine.Outputs{"name": r.Name, "arn": state.arn}, nil
}

func (r *IAMRole) deleteInline(ctx context.Context, c *engine.Clients) error {
	_, err := c.IAM.DeleteRolePolicy(ctx, &iam.DeleteRolePolicyInput{RoleName: aws.String(r.Name), PolicyName: aws.String(r.InlinePolicyName)})
	if err != nil && !hasCode(err, "NoSuchEntity") {
		return fmt.Errorf("delete policy %s of role %s: %w", r.InlinePolicyName, r.Name, err)
	}
	return nil
}

func (r *IAMRole) Delete(ctx context.Context, c *engine.Clients, _ *engine.Observed) error {
	return DeleteRole(ctx, c, r.Name)
}
