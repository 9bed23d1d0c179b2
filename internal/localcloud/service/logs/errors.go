package logs

import "github.com/berthdev/berth/internal/localcloud/protocol"

// The CloudWatch Logs error codes the local cloud sends. All are 400s, as in
// AWS; the Go SDK retries LimitExceededException, so the local cloud avoids it.

func errGroupNotFound() *protocol.Error {
	return protocol.Errorf("ResourceNotFoundException", "The specified log group does not exist.")
}

func errStreamNotFound() *protocol.Error {
	return protocol.Errorf("ResourceNotFoundException", "The specified log stream does not exist.")
}

func errResourceNotFound(arn string) *protocol.Error {
	return protocol.Errorf("ResourceNotFoundException", "The specified resource %s does not exist.", arn)
}

func errGroupExists() *protocol.Error {
	return protocol.Errorf("ResourceAlreadyExistsException", "The specified log group already exists")
}

func errStreamExists() *protocol.Error {
	return protocol.Errorf("ResourceAlreadyExistsException", "The specified log stream already exists")
}

func errInvalidParameter(format string, args ...any) *protocol.Error {
	return protocol.Errorf("InvalidParameterException", format, args...)
}

// errConstraint words a failed member constraint the way AWS's request
// validation does.
func errConstraint(value any, member, constraint string) *protocol.Error {
	return errInvalidParameter("1 validation error detected: Value '%v' at '%s' failed to satisfy constraint: %s", value, member, constraint)
}

func errMissing(member string) *protocol.Error {
	return errConstraint(nil, member, "Member must not be null")
}

func errTooManyTags() *protocol.Error {
	return protocol.Errorf("TooManyTagsException", "A resource can have no more than %d tags.", maxTags)
}
