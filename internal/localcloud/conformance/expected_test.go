package conformance

// AWS's API references, one page per operation; each entry below links the
// page whose response syntax, errors or constraints decide the case.
func ec2API(op string) string {
	return "https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_" + op + ".html"
}
func elbAPI(op string) string {
	return "https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_" + op + ".html"
}
func asgAPI(op string) string {
	return "https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_" + op + ".html"
}
func ecsAPI(op string) string {
	return "https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_" + op + ".html"
}
func iamAPI(op string) string {
	return "https://docs.aws.amazon.com/IAM/latest/APIReference/API_" + op + ".html"
}
func ssmAPI(op string) string {
	return "https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_" + op + ".html"
}
func logsAPI(op string) string {
	return "https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_" + op + ".html"
}

const ec2Errors = "https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html"

// Reasons shared by many entries.
const (
	// moto leaves out members AWS's response syntax has.
	motoOmits = "moto omits members AWS returns (see the response elements)"
	// moto answers with an HTTP 500 the SDK cannot parse.
	motoCrashes = "moto fails with an HTTP 500 where AWS answers a client error"
	// An earlier call moto wrongly accepted left its state different.
	motoCascade = "moto's state differs after an earlier step it got wrong"
)

func right(reason, url string) expected { return expected{Reason: reason, URL: url} }

func init() {
	for name, e := range map[string]expected{
		"ec2 DescribeAvailabilityZones":                 right(motoOmits, ec2API("DescribeAvailabilityZones")),
		"ec2 CreateVpc missing CidrBlock":               right("AWS: MissingParameter when neither CidrBlock nor an IPAM pool is given; moto says InvalidParameterValue", ec2API("CreateVpc")),
		"ec2 DescribeVpcs malformed id":                 right("a VPC id not of the form vpc-xxxxxxxx is InvalidVpcID.Malformed", ec2Errors),
		"ec2 CreateSubnet us-east-1a":                   right(motoOmits, ec2API("Subnet")),
		"ec2 CreateSubnet us-east-1b":                   right(motoOmits, ec2API("Subnet")),
		"ec2 CreateSubnet missing VpcId":                right("VpcId is required: MissingParameter", ec2API("CreateSubnet")),
		"ec2 DescribeSubnets by vpc filter":             right(motoOmits, ec2API("Subnet")),
		"ec2 DescribeSubnets by id":                     right(motoOmits, ec2API("Subnet")),
		"ec2 CreateRouteTable":                          right("clientToken is returned when the request had one (the SDK always sends one)", ec2API("CreateRouteTable")),
		"ec2 CreateRoute unknown gateway":               right("an unknown GatewayId is InvalidGatewayID.NotFound", ec2Errors),
		"ec2 CreateSecurityGroup unknown vpc":           right("a group in an unknown VPC is InvalidVpcID.NotFound", ec2Errors),
		"ec2 AuthorizeSecurityGroupIngress cidr":        right(motoOmits, ec2API("SecurityGroupRule")),
		"ec2 AuthorizeSecurityGroupIngress from group":  right(motoOmits, ec2API("SecurityGroupRule")),
		"ec2 AuthorizeSecurityGroupEgress":              right(motoOmits, ec2API("SecurityGroupRule")),
		"ec2 DescribeSecurityGroupRules by group":       right(motoOmits, ec2API("SecurityGroupRule")),
		"ec2 AuthorizeSecurityGroupIngress referencing": right(motoOmits, ec2API("SecurityGroupRule")),
		"ec2 DeleteSecurityGroup referenced":            right("a group another group's rule references cannot be deleted: DependencyViolation", ec2API("DeleteSecurityGroup")),
		"ec2 CreateLaunchTemplate missing data":         right("LaunchTemplateData is required: MissingParameter", ec2API("CreateLaunchTemplate")),
		"ec2 CreateLaunchTemplate name too short":       right("LaunchTemplateName has a minimum length of 3: InvalidLaunchTemplateName.MalformedException", ec2API("CreateLaunchTemplate")),
		"ec2 CreateLaunchTemplateVersion":               right("a version made from SourceVersion inherits the source's ImageId", ec2API("CreateLaunchTemplateVersion")),
		"ec2 DescribeLaunchTemplates unknown id":        right("an unknown launch template id is InvalidLaunchTemplateId.NotFound", ec2Errors),
		"ec2 DescribeLaunchTemplateVersions $Latest":    right("a version made from SourceVersion inherits the source's ImageId", ec2API("CreateLaunchTemplateVersion")),
		"ec2 RunInstances":                              right(motoOmits, ec2API("Instance")),
		"ec2 RunInstances MinCount above MaxCount":      right("MinCount must not exceed MaxCount: InvalidParameterValue", ec2API("RunInstances")),
		"ec2 DescribeInstances by id":                   right(motoOmits, ec2API("Instance")),
		"ec2 DescribeInstances MaxResults too small":    right("MaxResults must be 5 to 1000: InvalidParameterValue", ec2API("DescribeInstances")),
		"ec2 DescribeInstances bad NextToken":           right(motoCrashes+"; a token EC2 did not issue is InvalidPaginationToken", ec2Errors),
		"ec2 DeleteLaunchTemplate":                      right(motoOmits, ec2API("LaunchTemplate")),
		"ec2 DeleteLaunchTemplate again":                right("deleting by a gone LaunchTemplateId is InvalidLaunchTemplateId.NotFound", ec2Errors),
		"ec2 DeleteSecurityGroup task":                  right("DeleteSecurityGroup returns return and groupId", ec2API("DeleteSecurityGroup")),
		"ec2 DeleteSecurityGroup alb":                   right("DeleteSecurityGroup returns return and groupId", ec2API("DeleteSecurityGroup")),

		"iam CreateRole missing trust policy":   right("AssumeRolePolicyDocument is required: ValidationError", iamAPI("CreateRole")),
		"iam CreateRole malformed trust policy": right("a policy that is not JSON is MalformedPolicyDocument", iamAPI("CreateRole")),
		"iam ListRoles MaxItems zero":           right("MaxItems has a minimum of 1: ValidationError", iamAPI("ListRoles")),
		"iam CreatePolicy":                      right(motoOmits, iamAPI("Policy")),
		"iam CreatePolicy second":               right(motoOmits, iamAPI("Policy")),
		"iam GetPolicy":                         right(motoOmits, iamAPI("Policy")),
		"iam GetPolicy malformed ARN":           right("PolicyArn has a minimum length of 20 and must be an ARN: ValidationError", iamAPI("GetPolicy")),
		"iam DeletePolicy attached":             right("a policy attached to a role cannot be deleted: DeleteConflict", iamAPI("DeletePolicy")),
		"iam DeleteRole":                        right(motoCascade+" (moto deleted an attached policy, then could not detach it)", iamAPI("DeleteRole")),
		"iam DeleteRole again":                  right(motoCascade+"; a gone role is NoSuchEntity", iamAPI("DeleteRole")),

		"ssm GetParametersByPath page 2":          right("the last page carries no NextToken", ssmAPI("GetParametersByPath")),
		"ssm GetParametersByPath bad token":       right(motoCrashes+"; a NextToken SSM never issued is InvalidNextToken", ssmAPI("GetParametersByPath")),
		"ssm DescribeParameters":                  right(motoOmits, ssmAPI("ParameterMetadata")),
		"ssm AddTagsToResource bad resource type": right("ResourceType outside its enum fails the front end's validation: ValidationException", ssmAPI("AddTagsToResource")),

		"logs CreateLogGroup missing name":     right(motoCrashes+"; logGroupName is required: InvalidParameterException", logsAPI("CreateLogGroup")),
		"logs PutRetentionPolicy invalid days": right("retentionInDays must be one of the listed values: InvalidParameterException", logsAPI("PutRetentionPolicy")),
		"logs DescribeLogGroups":               right(motoOmits, logsAPI("LogGroup")),
		"logs DescribeLogStreams":              right(motoOmits, logsAPI("LogStream")),

		"elbv2 CreateLoadBalancer":                       right(motoOmits, elbAPI("LoadBalancer")),
		"elbv2 DescribeLoadBalancers by name":            right(motoOmits, elbAPI("LoadBalancer")),
		"elbv2 CreateLoadBalancer one subnet":            right("an Application Load Balancer needs subnets in at least two Availability Zones", elbAPI("CreateLoadBalancer")),
		"elbv2 CreateLoadBalancer bad name":              right("Name must not begin or end with a hyphen and allows only alphanumerics and hyphens", elbAPI("CreateLoadBalancer")),
		"elbv2 CreateLoadBalancer bad scheme":            right("Scheme outside internet-facing|internal: ValidationError", elbAPI("CreateLoadBalancer")),
		"elbv2 CreateLoadBalancer unknown subnet":        right("ELBv2's error for an unknown subnet is SubnetNotFound", elbAPI("CreateLoadBalancer")),
		"elbv2 DescribeLoadBalancers PageSize too large": right("PageSize is 1 to 400: ValidationError", elbAPI("DescribeLoadBalancers")),
		"elbv2 CreateTargetGroup port out of range":      right("Port is 1 to 65535: ValidationError", elbAPI("CreateTargetGroup")),
		"elbv2 CreateListener":                           right(motoOmits+": a forward action is also described as ForwardConfig", elbAPI("Action")),
		"elbv2 CreateListener same settings again":       right(motoOmits+": a forward action is also described as ForwardConfig", elbAPI("Action")),
		"elbv2 DescribeListeners":                        right(motoOmits+": a forward action is also described as ForwardConfig", elbAPI("Action")),
		"elbv2 CreateListener missing default actions":   right("DefaultActions is required: ValidationError", elbAPI("CreateListener")),
		"elbv2 CreateRule":                               right(motoOmits+": a forward action is also described as ForwardConfig", elbAPI("Action")),
		"elbv2 DescribeRules":                            right(motoOmits+": a forward action is also described as ForwardConfig", elbAPI("Action")),
		"elbv2 ModifyRule conditions":                    right(motoOmits+": a forward action is also described as ForwardConfig", elbAPI("Action")),
		"elbv2 SetRulePriorities":                        right(motoOmits+": a forward action is also described as ForwardConfig", elbAPI("Action")),
		"elbv2 CreateRule priority out of range":         right("Priority is 1 to 50000: ValidationError", elbAPI("CreateRule")),
		"elbv2 DescribeTargetHealth":                     right("a target in a group no load balancer uses is unused with reason Target.NotInUse and a description", elbAPI("TargetHealth")),
		"elbv2 DescribeTags unknown resource":            right("tags of an unknown load balancer: LoadBalancerNotFound", elbAPI("DescribeTags")),
		"elbv2 DeleteTargetGroup":                        right("moto still counts the deleted listener's use of the group; AWS deletes a group no listener or rule uses", elbAPI("DeleteTargetGroup")),
		"elbv2 DescribeTargetGroups after delete":        right(motoCascade+"; a deleted group is TargetGroupNotFound", elbAPI("DescribeTargetGroups")),

		"autoscaling CreateAutoScalingGroup duplicate":               right("an existing group name is AlreadyExists", asgAPI("CreateAutoScalingGroup")),
		"autoscaling CreateAutoScalingGroup unknown template":        right("Auto Scaling answers ValidationError (You must use a valid fully-formed launch template…), not EC2's code", asgAPI("CreateAutoScalingGroup")),
		"autoscaling DescribeAutoScalingGroups":                      right(motoOmits+": the group's LaunchTemplate carries its Version", asgAPI("LaunchTemplateSpecification")),
		"autoscaling CreateAutoScalingGroup missing MaxSize":         right("MaxSize is required: ValidationError", asgAPI("CreateAutoScalingGroup")),
		"autoscaling DescribeAutoScalingGroups MaxRecords too large": right(motoCrashes+"; MaxRecords is at most 100: ValidationError", asgAPI("DescribeAutoScalingGroups")),
		"autoscaling DescribeAutoScalingGroups bad token":            right(motoCrashes+"; a token never issued is InvalidNextToken", asgAPI("DescribeAutoScalingGroups")),
		"autoscaling SetDesiredCapacity above max":                   right("a desired capacity above MaxSize is ValidationError", asgAPI("SetDesiredCapacity")),

		"ecs DescribeClusters with a missing one":     right("settings are returned only when include has SETTINGS", ecsAPI("DescribeClusters")),
		"ecs ListClusters bad token":                  right("a nextToken ECS never issued is InvalidParameterException", ecsAPI("ListClusters")),
		"ecs ListClusters maxResults too large":       right("maxResults is 1 to 100: InvalidParameterException", ecsAPI("ListClusters")),
		"ecs CreateCapacityProvider":                  right(motoOmits, ecsAPI("CapacityProvider")),
		"ecs DescribeCapacityProviders":               right(motoOmits, ecsAPI("CapacityProvider")),
		"ecs DeleteCapacityProvider":                  right(motoOmits, ecsAPI("CapacityProvider")),
		"ecs CreateCapacityProvider duplicate":        right("a capacity provider name in use is ClientException", ecsAPI("CreateCapacityProvider")),
		"ecs CreateCapacityProvider reserved name":    right("names starting with aws, ecs or fargate are refused: ClientException", ecsAPI("CreateCapacityProvider")),
		"ecs PutClusterCapacityProviders":             right("a cluster with a managed-scaling provider has attachments and attachmentsStatus", ecsAPI("Cluster")),
		"ecs PutClusterCapacityProviders clear":       right("attachmentsStatus stays after the attachments are removed", ecsAPI("Cluster")),
		"ecs RegisterTaskDefinition":                  right(motoOmits, ecsAPI("TaskDefinition")),
		"ecs DescribeTaskDefinition":                  right(motoOmits, ecsAPI("TaskDefinition")),
		"ecs DeregisterTaskDefinition":                right(motoOmits, ecsAPI("TaskDefinition")),
		"ecs RegisterTaskDefinition no containers":    right(motoCrashes+"; containerDefinitions is required", ecsAPI("RegisterTaskDefinition")),
		"ecs RegisterTaskDefinition bad network mode": right("networkMode outside bridge|host|awsvpc|none is refused", ecsAPI("RegisterTaskDefinition")),
		"ecs CreateService":                           right(motoOmits, ecsAPI("Service")),
		"ecs CreateService in busy":                   right(motoOmits, ecsAPI("Service")),
		"ecs DescribeServices":                        right(motoOmits, ecsAPI("Service")),
		"ecs UpdateService desired count":             right(motoOmits, ecsAPI("Service")),
		"ecs DeleteService":                           right(motoOmits, ecsAPI("Service")),
		"ecs CreateService bad launch type":           right("launchType outside its enum is refused before the handler (InvalidParameterException)", ecsAPI("CreateService")),
		"ecs DescribeTasks unknown":                   right("an unknown task is reported in failures with reason MISSING", ecsAPI("DescribeTasks")),
		"ecs StopTask unknown":                        right(motoCrashes+"; an unknown task is InvalidParameterException", ecsAPI("StopTask")),
		"ecs DeleteCluster with service":              right("a cluster with an active service cannot be deleted: ClusterContainsServicesException", ecsAPI("DeleteCluster")),
	} {
		expectedDifferences[name] = e
	}
}
