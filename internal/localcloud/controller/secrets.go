package controller

import (
	"context"
	"fmt"
	"strings"

	"github.com/berthdev/berth/internal/localcloud/service/ecs"
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
func (c *Controller) resolveSecrets(ctx context.Context, secrets []ecs.Secret) (map[string]string, error) {
	if len(secrets) == 0 {
		return nil, nil
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
