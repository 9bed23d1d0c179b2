package ecs

import (
	"context"

	"github.com/berthdev/berth/internal/localcloud/protocol"
	"github.com/berthdev/berth/internal/localcloud/protocol/awsjson"
)

// Service returns ECS's operation table for the router. Each handler takes
// the request shape generated from AWS's model (package wire), runs its
// rules in one store transaction and answers with the response shape built
// from the records (wire.go).
func (b *Backend) Service() *protocol.Service {
	return &protocol.Service{
		SigningName:  "ecs",
		TargetPrefix: "AmazonEC2ContainerServiceV20141113",
		Codec:        awsjson.Codec{},
		// ECS answers malformed parameters with its own code, not
		// ValidationException.
		ValidationCode: "InvalidParameterException",
		Operations: []protocol.Operation{
			op("CreateCluster", b.createCluster),
			op("DescribeClusters", b.describeClusters),
			op("ListClusters", b.listClusters),
			op("UpdateCluster", b.updateCluster),
			op("UpdateClusterSettings", b.updateClusterSettings),
			op("DeleteCluster", b.deleteCluster),
			op("PutClusterCapacityProviders", b.putClusterCapacityProviders),

			op("CreateCapacityProvider", b.createCapacityProvider),
			op("DescribeCapacityProviders", b.describeCapacityProviders),
			op("UpdateCapacityProvider", b.updateCapacityProvider),
			op("DeleteCapacityProvider", b.deleteCapacityProvider),

			op("RegisterTaskDefinition", b.registerTaskDefinition),
			op("DescribeTaskDefinition", b.describeTaskDefinition),
			op("ListTaskDefinitions", b.listTaskDefinitions),
			op("ListTaskDefinitionFamilies", b.listTaskDefinitionFamilies),
			op("DeregisterTaskDefinition", b.deregisterTaskDefinition),
			op("DeleteTaskDefinitions", b.deleteTaskDefinitions),

			op("CreateService", b.createService),
			op("DescribeServices", b.describeServices),
			op("ListServices", b.listServices),
			op("UpdateService", b.updateService),
			op("DeleteService", b.deleteService),
			op("ListServiceDeployments", b.listServiceDeployments),
			op("DescribeServiceDeployments", b.describeServiceDeployments),
			op("DescribeServiceRevisions", b.describeServiceRevisions),

			op("RunTask", b.runTask),
			op("StopTask", b.stopTask),
			op("DescribeTasks", b.describeTasks),
			op("ListTasks", b.listTasks),

			op("ListContainerInstances", b.listContainerInstances),
			op("DescribeContainerInstances", b.describeContainerInstances),
			op("UpdateContainerInstancesState", b.updateContainerInstancesState),
			op("DeregisterContainerInstance", b.deregisterContainerInstance),
			op("RegisterContainerInstance", b.registerContainerInstance),
			op("StartTask", b.startTask),
			op("PutAttributes", b.putAttributes),
			op("ListAttributes", b.listAttributes),
			op("DeleteAttributes", b.deleteAttributes),

			op("TagResource", b.tagResource),
			op("UntagResource", b.untagResource),
			op("ListTagsForResource", b.listTagsForResource),

			op("ListAccountSettings", b.listAccountSettings),
			op("PutAccountSetting", b.putAccountSetting),
			op("PutAccountSettingDefault", b.putAccountSettingDefault),
			op("DeleteAccountSetting", b.deleteAccountSetting),
		},
	}
}

// op builds an operation whose unexpected failures reach the client as
// ECS's ServerException.
func op[In, Out any](name string, handler func(ctx context.Context, in *In) (*Out, error)) protocol.Operation {
	return protocol.Op(name, func(ctx context.Context, in *In) (*Out, error) {
		out, err := handler(ctx, in)
		if err != nil {
			return nil, asECSError(err)
		}
		return out, nil
	})
}
