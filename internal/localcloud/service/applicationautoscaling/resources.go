package applicationautoscaling

import (
	"strings"

	"github.com/berthdev/berth/internal/localcloud/store"
)

// targetRef names a scalable target: a namespace, a resource id and a
// dimension of that resource.
type targetRef struct {
	Namespace, ResourceID, Dimension string
}

// key is the target's key in the store; its children's keys extend it.
func (k targetRef) key() string { return k.Namespace + "|" + k.ResourceID + "|" + k.Dimension }

func refOf(t *ScalableTarget) targetRef {
	return targetRef{Namespace: t.ServiceNamespace, ResourceID: t.ResourceID, Dimension: t.ScalableDimension}
}

// ecsResource is the ECS service a "service/<cluster>/<service>" resource
// id names.
func ecsResource(resourceID string) (ECSService, bool) {
	parts := strings.Split(resourceID, "/")
	if len(parts) != 3 || parts[0] != "service" || parts[1] == "" || parts[2] == "" {
		return ECSService{}, false
	}
	return ECSService{Cluster: parts[1], Service: parts[2]}, true
}

// validateRef checks that a namespace, resource id and dimension belong
// together: the dimension is of the namespace and the resource id has the
// shape of its resource type. ECS is what the local cloud scales; the other
// namespaces are kept as data, with the resource id's type checked only.
func validateRef(k targetRef) error {
	ns, resourceType, _, ok := splitDimension(k.Dimension)
	if !ok || ns != k.Namespace {
		return errUnsupportedTarget()
	}
	if k.Namespace == "ecs" {
		if _, ok := ecsResource(k.ResourceID); !ok || resourceType != "service" {
			return errUnsupportedTarget()
		}
		return nil
	}
	if k.ResourceID == "" || strings.TrimSpace(k.ResourceID) != k.ResourceID {
		return errUnsupportedTarget()
	}
	// The resource id of every namespace but custom-resource (an
	// API Gateway URL) and a few others starts with its resource type.
	if prefix, ok := resourcePrefixes[k.Dimension]; ok && !strings.HasPrefix(k.ResourceID, prefix) {
		return errUnsupportedTarget()
	}
	return nil
}

// resourcePrefixes are the resource id shapes AWS documents for
// RegisterScalableTarget's ResourceId, by dimension.
var resourcePrefixes = map[string]string{
	"ec2:spot-fleet-request:TargetCapacity":                         "spot-fleet-request/",
	"elasticmapreduce:instancegroup:InstanceCount":                  "instancegroup/",
	"appstream:fleet:DesiredCapacity":                               "fleet/",
	"dynamodb:table:ReadCapacityUnits":                              "table/",
	"dynamodb:table:WriteCapacityUnits":                             "table/",
	"dynamodb:index:ReadCapacityUnits":                              "table/",
	"dynamodb:index:WriteCapacityUnits":                             "table/",
	"rds:cluster:ReadReplicaCount":                                  "cluster:",
	"sagemaker:variant:DesiredInstanceCount":                        "endpoint/",
	"sagemaker:variant:DesiredProvisionedConcurrency":               "endpoint/",
	"sagemaker:inference-component:DesiredCopyCount":                "inference-component/",
	"comprehend:document-classifier-endpoint:DesiredInferenceUnits": "arn:",
	"comprehend:entity-recognizer-endpoint:DesiredInferenceUnits":   "arn:",
	"lambda:function:ProvisionedConcurrency":                        "function:",
	"cassandra:table:ReadCapacityUnits":                             "keyspace/",
	"cassandra:table:WriteCapacityUnits":                            "keyspace/",
	"kafka:broker-storage:VolumeSize":                               "arn:",
	"elasticache:cache-cluster:Nodes":                               "cache-cluster/",
	"elasticache:replication-group:NodeGroups":                      "replication-group/",
	"elasticache:replication-group:Replicas":                        "replication-group/",
	"neptune:cluster:ReadReplicaCount":                              "cluster:",
	"workspaces:workspacespool:DesiredUserSessions":                 "workspacespool/",
	"custom-resource:ResourceType:Property":                         "",
	"ecs:service:DesiredCount":                                      "service/",
}

// splitDimension splits "ecs:service:DesiredCount" into its namespace,
// resource type and property.
func splitDimension(d string) (ns, resourceType, property string, ok bool) {
	parts := strings.Split(d, ":")
	if len(parts) != 3 || parts[0] == "" || parts[1] == "" || parts[2] == "" {
		return "", "", "", false
	}
	return parts[0], parts[1], parts[2], true
}

// serviceLinkedRoles are the roles Application Auto Scaling creates and
// uses for each namespace it has one for, as "<service principal>/<role
// name>" under role/aws-service-role/. AWS uses these whatever RoleARN a
// call passes (custom roles are ignored for those namespaces).
var serviceLinkedRoles = map[string]string{
	"ecs":             "ecs.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_ECSService",
	"dynamodb":        "dynamodb.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_DynamoDBTable",
	"ec2":             "ec2.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_EC2SpotFleetRequest",
	"rds":             "rds.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_RDSCluster",
	"appstream":       "appstream.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_AppStreamFleet",
	"sagemaker":       "sagemaker.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint",
	"lambda":          "lambda.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_LambdaConcurrency",
	"cassandra":       "cassandra.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_CassandraTable",
	"kafka":           "kafka.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_KafkaCluster",
	"comprehend":      "comprehend.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_ComprehendEndpoint",
	"elasticache":     "elasticache.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_ElastiCacheRG",
	"neptune":         "neptune.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_NeptuneCluster",
	"custom-resource": "custom-resource.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_CustomResource",
	"workspaces":      "workspaces.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_WorkSpacesPool",
}

// ServiceLinkedRoleARN is the role a namespace's targets use in an account,
// "" for a namespace without one (EMR needs the caller's role).
func ServiceLinkedRoleARN(account, namespace string) string {
	role, ok := serviceLinkedRoles[namespace]
	if !ok {
		return ""
	}
	return store.Scope{Account: account}.ARN("iam", "role/aws-service-role/"+role)
}
