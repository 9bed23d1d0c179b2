package ssm

import "github.com/berthdev/berth/internal/localcloud/protocol"

// The SSM error codes the local cloud sends; SSM's model sends all of them
// as 400s.

func errParameterNotFound(name string) *protocol.Error {
	return protocol.Errorf("ParameterNotFound", "Parameter %s not found.", name)
}

func errVersionNotFound(name, selector string) *protocol.Error {
	return protocol.Errorf("ParameterVersionNotFound", "Systems Manager could not find version %s of %s. Verify the version and try again.", selector, name)
}

func errAlreadyExists() *protocol.Error {
	return protocol.Errorf("ParameterAlreadyExists", "The parameter already exists. To overwrite this request value, set the overwrite option in the request to true.")
}

func errValidation(format string, args ...any) *protocol.Error {
	return protocol.Errorf("ValidationException", format, args...)
}

// errConstraint words a failed model constraint the way SSM's request
// validation does.
func errConstraint(value any, member, constraint string) *protocol.Error {
	return errValidation("1 validation error detected: Value '%v' at '%s' failed to satisfy constraint: %s", value, member, constraint)
}

func errMissing(member string) *protocol.Error {
	return errValidation("1 validation error detected: Value null at '%s' failed to satisfy constraint: Member must not be null", member)
}

func errInvalidNextToken() *protocol.Error {
	return protocol.Errorf("InvalidNextToken", "The specified token is not valid.")
}

func errPublicParameter(name string) *protocol.Error {
	return protocol.Errorf("AccessDeniedException", "Parameter %s is a public parameter published by AWS; it cannot be changed or deleted.", name)
}
