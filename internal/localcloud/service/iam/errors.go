package iam

import (
	"net/http"

	"github.com/berthdev/berth/internal/localcloud/protocol"
)

// The IAM error codes the local cloud sends, with the HTTP status IAM's
// model gives each.

func errNoSuchEntity(format string, args ...any) *protocol.Error {
	return protocol.Errorf("NoSuchEntity", format, args...).WithStatus(http.StatusNotFound)
}

func errRoleNotFound(name string) *protocol.Error {
	return errNoSuchEntity("The role with name %s cannot be found.", name)
}

func errPolicyNotFound(arn string) *protocol.Error {
	return errNoSuchEntity("Policy %s does not exist or is not attachable.", arn)
}

func errInstanceProfileNotFound(name string) *protocol.Error {
	return errNoSuchEntity("Instance Profile %s cannot be found.", name)
}

func errAlreadyExists(format string, args ...any) *protocol.Error {
	return protocol.Errorf("EntityAlreadyExists", format, args...).WithStatus(http.StatusConflict)
}

func errDeleteConflict(format string, args ...any) *protocol.Error {
	return protocol.Errorf("DeleteConflict", format, args...).WithStatus(http.StatusConflict)
}

func errLimitExceeded(format string, args ...any) *protocol.Error {
	return protocol.Errorf("LimitExceeded", format, args...).WithStatus(http.StatusConflict)
}

func errMalformedPolicy(format string, args ...any) *protocol.Error {
	return protocol.Errorf("MalformedPolicyDocument", format, args...)
}

func errInvalidInput(format string, args ...any) *protocol.Error {
	return protocol.Errorf("InvalidInput", format, args...)
}

// errValidation words a failed model constraint the way IAM's request
// validation does.
func errValidation(value any, member, constraint string) *protocol.Error {
	return protocol.Errorf("ValidationError", "1 validation error detected: Value '%v' at '%s' failed to satisfy constraint: %s", value, member, constraint)
}

func errMissing(member string) *protocol.Error {
	return protocol.Errorf("ValidationError", "1 validation error detected: Value null at '%s' failed to satisfy constraint: Member must not be null", member)
}
