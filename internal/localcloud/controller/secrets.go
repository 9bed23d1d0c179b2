package controller

import (
	"context"
	"fmt"
	"strings"

	"github.com/berthdev/berth/internal/localcloud/service/ecs"
	"github.com/berthdev/berth/internal/localcloud/service/iam"
	"github.com/berthdev/berth/internal/localcloud/store"
)

// secretsPrefix begins the stoppedReason of a task whose secrets could not
// be read, as the ECS agent words it.
const secretsPrefix = "ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: "

// resolveSecrets reads a container definition's secrets, each from SSM
// Parameter Store (a parameter's name or ARN) or Secrets Manager (a
// secret's ARN, with ECS's optional json-key:version-stage:version-id
// suffix), as the environment variables ECS injects. An ARN is read in
// its own region; a name in the task's (ctx's). The error names the
// reference, never a value.
//
// The agent reads them as the task's execution role, so a definition
// without one, or whose role's policies do not allow ssm:GetParameters or
// secretsmanager:GetSecretValue on a secret, fails as it does on AWS.
func (c *Controller) resolveSecrets(ctx context.Context, executionRole, task string, secrets []ecs.Secret) (map[string]string, error) {
	if len(secrets) == 0 {
		return nil, nil
	}
	if err := c.checkExecutionRole(ctx, executionRole, task, secrets); err != nil {
		return nil, err
	}
	env := make(map[string]string, len(secrets))
	for _, secret := range secrets {
		scoped := ctx
		if strings.HasPrefix(secret.ValueFrom, "arn:") {
			var err error
			if scoped, err = inScopeOf(ctx, secret.ValueFrom); err != nil {
				return nil, fmt.Errorf("%sinvalid secret reference %s: %w", secretsPrefix, secret.ValueFrom, err)
			}
		}
		switch {
		case strings.HasPrefix(secret.ValueFrom, "arn:") && strings.Contains(secret.ValueFrom, ":secretsmanager:"):
			if c.deps.Secrets == nil {
				return nil, fmt.Errorf("%sunable to retrieve secret from asm: Secrets Manager is not served here: %s", secretsPrefix, secret.ValueFrom)
			}
			value, err := c.deps.Secrets.SecretValue(scoped, secret.ValueFrom)
			if err != nil {
				return nil, fmt.Errorf("%sunable to retrieve secret from asm: service call has been retried 1 time(s): failed to fetch secret %s from secrets manager: %w", secretsPrefix, secret.ValueFrom, err)
			}
			env[secret.Name] = value
		default:
			if c.deps.SSM == nil {
				return nil, fmt.Errorf("%sunable to retrieve secrets from ssm: SSM is not served here: %s", secretsPrefix, secret.ValueFrom)
			}
			value, err := c.deps.SSM.ParameterValue(scoped, secret.ValueFrom)
			if err != nil {
				return nil, fmt.Errorf("%sunable to retrieve secrets from ssm: service call has been retried 1 time(s): invalid ssm parameters: %s", secretsPrefix, secret.ValueFrom)
			}
			env[secret.Name] = value
		}
	}
	return env, nil
}

// checkExecutionRole says why the execution role may not read secrets, in
// the agent's words (nil when it may, or when IAM is not served here).
func (c *Controller) checkExecutionRole(ctx context.Context, role, task string, secrets []ecs.Secret) error {
	if c.deps.IAM == nil {
		return nil
	}
	if role == "" {
		return fmt.Errorf("%sthe task definition has no executionRoleArn, and the agent reads secrets as the task execution role", secretsPrefix)
	}
	scope, ok := store.ScopeFrom(ctx)
	if !ok {
		return store.ErrNoScope
	}
	docs, err := c.deps.IAM.RolePolicyDocuments(store.WithScope(ctx, scope.Global()), role)
	if err != nil {
		return fmt.Errorf("%sunable to assume the task execution role %s: %w", secretsPrefix, role, err)
	}
	roleName := role[strings.LastIndex(role, "/")+1:]
	caller := fmt.Sprintf("arn:aws:sts::%s:assumed-role/%s/%s", scope.Account, roleName, task)
	for _, secret := range secrets {
		action, resource, from := "ssm:GetParameters", parameterARN(scope, secret.ValueFrom), "unable to retrieve secrets from ssm: service call has been retried 1 time(s)"
		if strings.HasPrefix(secret.ValueFrom, "arn:") && strings.Contains(secret.ValueFrom, ":secretsmanager:") {
			resource = secretARN(secret.ValueFrom)
			action, from = "secretsmanager:GetSecretValue", "unable to retrieve secret from asm: service call has been retried 1 time(s): failed to fetch secret "+resource+" from secrets manager"
		}
		if !iam.Allows(docs, action, resource) {
			return fmt.Errorf("%s%s: AccessDeniedException: User: %s is not authorized to perform: %s on resource: %s because no identity-based policy allows the %s action",
				secretsPrefix, from, caller, action, resource, action)
		}
	}
	return nil
}

// parameterARN is the ARN of the SSM parameter a secret names by name or
// ARN, in the task's region when by name.
func parameterARN(scope store.Scope, valueFrom string) string {
	if strings.HasPrefix(valueFrom, "arn:") {
		return valueFrom
	}
	return fmt.Sprintf("arn:aws:ssm:%s:%s:parameter/%s", scope.Region, scope.Account, strings.TrimPrefix(valueFrom, "/"))
}

// secretARN is a Secrets Manager reference without ECS's
// :json-key:version-stage:version-id suffix: the secret's own ARN.
func secretARN(valueFrom string) string {
	parts := strings.SplitN(valueFrom, ":", 8)
	if len(parts) < 7 {
		return valueFrom
	}
	return strings.Join(parts[:7], ":")
}
