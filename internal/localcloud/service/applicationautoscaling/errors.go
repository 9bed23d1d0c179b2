package applicationautoscaling

import (
	"errors"

	"github.com/berthdev/berth/internal/localcloud/protocol"
	"github.com/berthdev/berth/internal/localcloud/service/paging"
	"github.com/berthdev/berth/internal/localcloud/service/tagging"
)

// The service's error codes, all 400s in its model except
// InternalServiceException.

func errValidation(format string, args ...any) *protocol.Error {
	return protocol.Errorf("ValidationException", format, args...)
}

func errUnsupportedTarget() *protocol.Error {
	return errValidation("Unsupported service namespace, resource type or scalable dimension")
}

func errNoTarget(k targetRef) *protocol.Error {
	return protocol.Errorf("ObjectNotFoundException", "No scalable target registered for service namespace: %s, resource ID: %s, scalable dimension: %s", k.Namespace, k.ResourceID, k.Dimension)
}

func errNoPolicy(name string, k targetRef) *protocol.Error {
	return protocol.Errorf("ObjectNotFoundException", "No scaling policy found for service namespace: %s, resource ID: %s, scalable dimension: %s, policy name: %s", k.Namespace, k.ResourceID, k.Dimension, name)
}

func errNoScheduledAction(name string, k targetRef) *protocol.Error {
	return protocol.Errorf("ObjectNotFoundException", "No scheduled action found for service namespace: %s, resource ID: %s, scalable dimension: %s, scheduled action name: %s", k.Namespace, k.ResourceID, k.Dimension, name)
}

func errLimit(format string, args ...any) *protocol.Error {
	return protocol.Errorf("LimitExceededException", format, args...)
}

// errResourceAccess is what AWS answers when it cannot read the resource a
// target scales in its own service.
func errResourceAccess(err error) *protocol.Error {
	return protocol.Errorf("FailedResourceAccessException", "Failed to access the resource to scale: %v", err)
}

func errResourceNotFound(arn string) *protocol.Error {
	return protocol.Errorf("ResourceNotFoundException", "No scalable target found for resource ARN: %s", arn)
}

// pageError maps the shared paging errors to the service's codes.
func pageError(err error) error {
	var size *paging.RangeError
	switch {
	case errors.Is(err, paging.ErrBadToken):
		return protocol.Errorf("InvalidNextTokenException", "Invalid token")
	case errors.As(err, &size) && size.Value < size.Min:
		return errValidation("1 validation error detected: Value '%d' at 'maxResults' failed to satisfy constraint: Member must have value greater than or equal to %d", size.Value, size.Min)
	case errors.As(err, &size):
		return errValidation("1 validation error detected: Value '%d' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to %d", size.Value, size.Max)
	}
	return err
}

// tagError maps a tagging rule violation to the service's codes.
func tagError(err error) error {
	var v *tagging.Violation
	if errors.As(err, &v) {
		if v.TooMany {
			return protocol.Errorf("TooManyTagsException", "%s", v.Message)
		}
		return errValidation("%s", v.Message)
	}
	return err
}
