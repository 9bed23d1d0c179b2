package ecs

import (
	"errors"
	"fmt"

	"github.com/berthdev/berth/internal/localcloud/protocol"
)

// ECS sends every client error with status 400 and ServerException with 500;
// the code is the bare shape name (awsJson 1.1).

func errClusterNotFound() *protocol.Error {
	return protocol.Errorf("ClusterNotFoundException", "Cluster not found.")
}

func errServiceNotFound() *protocol.Error {
	return protocol.Errorf("ServiceNotFoundException", "Service not found.")
}

func errServiceNotActive() *protocol.Error {
	return protocol.Errorf("ServiceNotActiveException", "Service was not ACTIVE.")
}

func errInvalidParameter(format string, args ...any) *protocol.Error {
	return protocol.Errorf("InvalidParameterException", format, args...)
}

func errClient(format string, args ...any) *protocol.Error {
	return protocol.Errorf("ClientException", format, args...)
}

func errResourceNotFound(format string, args ...any) *protocol.Error {
	return protocol.Errorf("ResourceNotFoundException", format, args...)
}

func errResourceInUse(format string, args ...any) *protocol.Error {
	return protocol.Errorf("ResourceInUseException", format, args...)
}

func errClusterContainsServices() *protocol.Error {
	return protocol.Errorf("ClusterContainsServicesException",
		"The Cluster cannot be deleted while Services are active.")
}

func errClusterContainsContainerInstances() *protocol.Error {
	return protocol.Errorf("ClusterContainsContainerInstancesException",
		"The Cluster cannot be deleted while Container Instances are active or draining.")
}

func errClusterContainsTasks() *protocol.Error {
	return protocol.Errorf("ClusterContainsTasksException",
		"The Cluster cannot be deleted while Tasks are active.")
}

// asECSError passes AWS errors through and reports anything else (a store
// failure) the way ECS reports its own faults, so clients retry it.
func asECSError(err error) error {
	if err == nil {
		return nil
	}
	var aerr *protocol.Error
	if errors.As(err, &aerr) {
		return aerr
	}
	return &protocol.Error{Code: "ServerException", Message: fmt.Sprintf("%v", err), Status: 500, Fault: true}
}

// errMissing is ECS's message for a required member left out.
func errMissing(member string) *protocol.Error {
	return errInvalidParameter("%s can not be blank.", member)
}

func errorf(code, format string, args ...any) *protocol.Error {
	return protocol.Errorf(code, format, args...)
}
