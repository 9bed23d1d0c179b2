package autoscaling

import "github.com/berthdev/berth/internal/localcloud/protocol"

// The error codes Auto Scaling sends (awsQueryError codes of the 2011-01-01
// model). All are 400 except ResourceContention (500).
const (
	codeValidation                = "ValidationError"
	codeAlreadyExists             = "AlreadyExists"
	codeResourceInUse             = "ResourceInUse"
	codeScalingActivityInProgress = "ScalingActivityInProgress"
	codeInvalidNextToken          = "InvalidNextToken"
	codeLimitExceeded             = "LimitExceeded"
)

func validationError(format string, args ...any) error {
	return protocol.Errorf(codeValidation, format, args...)
}

// groupNotFound is what Update, Delete and SetDesiredCapacity answer for an
// unknown group (Describe answers an empty list instead).
func groupNotFound(name string) error {
	return validationError("AutoScalingGroup name not found - AutoScalingGroup '%s' not found", name)
}

func pendingDelete(name string) error {
	return protocol.Errorf(codeScalingActivityInProgress, "AutoScalingGroup '%s' is pending delete", name)
}

func alreadyExists(name string) error {
	return protocol.Errorf(codeAlreadyExists, "AutoScalingGroup by this name already exists - A group with the name %s already exists", name)
}

func resourceInUse(format string, args ...any) error {
	return protocol.Errorf(codeResourceInUse, format, args...)
}

func scalingActivityInProgress(format string, args ...any) error {
	return protocol.Errorf(codeScalingActivityInProgress, format, args...)
}

func invalidNextToken() error {
	return protocol.Errorf(codeInvalidNextToken, "The token is invalid or has expired")
}

func required(name string, present bool) error {
	if !present {
		return validationError("1 validation error detected: Value null at '%s' failed to satisfy constraint: Member must not be null", name)
	}
	return nil
}

func limitExceeded(format string, args ...any) error {
	return protocol.Errorf(codeLimitExceeded, format, args...)
}
