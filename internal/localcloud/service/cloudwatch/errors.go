package cloudwatch

import (
	"net/http"

	"github.com/berthdev/berth/internal/localcloud/protocol"
)

// CloudWatch is awsQueryCompatible: an error's code is its query code
// (InvalidParameterValue), which the query protocol sends as <Code> and the
// JSON and CBOR protocols in x-amzn-query-error, while their __type names
// the error shape. errorShapes maps the codes sent here to those shapes
// (botocore's model, "error": {"code": …}).
var errorShapes = map[string]string{
	"InvalidParameterValue":       "InvalidParameterValueException",
	"MissingParameter":            "MissingRequiredParameterException",
	"InvalidParameterCombination": "InvalidParameterCombinationException",
	"InternalServiceError":        "InternalServiceFault",
	"InvalidNextToken":            "InvalidNextToken",
	"LimitExceeded":               "LimitExceededFault",
	"ResourceNotFound":            "ResourceNotFound",
	"ResourceNotFoundException":   "ResourceNotFoundException",
	"InvalidFormat":               "InvalidFormatFault",
}

func errInvalidValue(format string, args ...any) *protocol.Error {
	return protocol.Errorf("InvalidParameterValue", format, args...)
}

func errMissing(format string, args ...any) *protocol.Error {
	return protocol.Errorf("MissingParameter", format, args...)
}

func errCombination(format string, args ...any) *protocol.Error {
	return protocol.Errorf("InvalidParameterCombination", format, args...)
}

func errBadToken() *protocol.Error {
	return protocol.Errorf("InvalidNextToken", "The service cannot find the specified token.")
}

func errAlarmNotFound(name string) *protocol.Error {
	return protocol.Errorf("ResourceNotFound", "Alarm %s not found", name).WithStatus(http.StatusNotFound)
}

func errResourceNotFound(arn string) *protocol.Error {
	return protocol.Errorf("ResourceNotFoundException", "The specified resource %s does not exist.", arn).WithStatus(http.StatusNotFound)
}

func errInvalidFormat(format string, args ...any) *protocol.Error {
	return protocol.Errorf("InvalidFormat", format, args...)
}

func errLimitExceeded(format string, args ...any) *protocol.Error {
	return protocol.Errorf("LimitExceeded", format, args...)
}
