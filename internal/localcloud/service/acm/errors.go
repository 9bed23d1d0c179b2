package acm

import "github.com/berthdev/berth/internal/localcloud/protocol"

// The ACM error codes the local cloud sends; all are 400s, as in ACM's
// model. The messages are ACM's where they are known.

func errNotFound(arn, account string) *protocol.Error {
	return protocol.Errorf("ResourceNotFoundException", "Could not find certificate %s in account %s.", arn, account)
}

func errInvalidARN(arn string) *protocol.Error {
	return protocol.Errorf("InvalidArnException", "String '%s' is not a valid ARN for a certificate.", arn)
}

func errInProgress(arn string) *protocol.Error {
	return protocol.Errorf("RequestInProgressException", "Certificate %s is in the process of being issued: it is not yet available.", arn)
}

func errInUse(arn, account string) *protocol.Error {
	return protocol.Errorf("ResourceInUseException", "Certificate %s in account %s is in use.", arn, account)
}

func errInvalidParameter(format string, args ...any) *protocol.Error {
	return protocol.Errorf("InvalidParameterException", format, args...)
}

func errValidation(format string, args ...any) *protocol.Error {
	return protocol.Errorf("ValidationException", format, args...)
}

func errInvalidState(format string, args ...any) *protocol.Error {
	return protocol.Errorf("InvalidStateException", format, args...)
}

func errDomainValidation(format string, args ...any) *protocol.Error {
	return protocol.Errorf("InvalidDomainValidationOptionsException", format, args...)
}

func errInvalidTag(message string) *protocol.Error {
	return protocol.Errorf("InvalidTagException", "%s", message)
}

func errTooManyTags(message string) *protocol.Error {
	return protocol.Errorf("TooManyTagsException", "%s", message)
}

func errInvalidArgs(format string, args ...any) *protocol.Error {
	return protocol.Errorf("InvalidArgsException", format, args...)
}
