package iam

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strings"
	"time"
)

// awsStatement is one statement of an AWS managed policy's document.
type awsStatement struct {
	Sid      string   `json:"Sid,omitempty"`
	Effect   string   `json:"Effect"`
	Action   []string `json:"Action"`
	Resource string   `json:"Resource"`
}

// awsManagedPolicies are the AWS managed policies the local cloud knows
// without anyone creating them: the ones ECS on EC2 and Fargate stacks
// attach, and those tools commonly reach for. Paths, default version ids
// and dates are AWS's. The documents are the local cloud's own summaries
// of what each policy grants, written for it rather than copied from AWS
// (nothing is enforced locally; they only have to read plausibly).
var awsManagedPolicies = []struct {
	path, name, description, version string
	created, updated                 string
	statements                       []awsStatement
}{
	{"/", "AdministratorAccess", "Provides full access to AWS services and resources.", "v1", "2015-02-06", "2015-02-06",
		[]awsStatement{allow("*")}},
	{"/", "ReadOnlyAccess", "Provides read-only access to AWS services and resources.", "v182", "2015-02-06", "2026-04-03",
		[]awsStatement{allow("*:Describe*", "*:Get*", "*:List*", "*:BatchGet*")}},
	{"/", "IAMFullAccess", "Provides full access to IAM via the AWS Management Console.", "v2", "2015-02-06", "2019-06-21",
		[]awsStatement{allow("iam:*", "organizations:DescribeAccount", "organizations:DescribeOrganization", "organizations:ListAccounts")}},
	{"/", "IAMReadOnlyAccess", "Provides read only access to IAM via the AWS Management Console.", "v4", "2015-02-06", "2018-01-25",
		[]awsStatement{allow("iam:GenerateCredentialReport", "iam:Get*", "iam:List*", "iam:SimulateCustomPolicy", "iam:SimulatePrincipalPolicy")}},
	{"/", "AmazonSSMManagedInstanceCore", "The policy for Amazon EC2 Role to enable AWS Systems Manager service core functionality.", "v2", "2019-03-15", "2019-05-23",
		[]awsStatement{
			allow("ssm:DescribeAssociation", "ssm:GetDeployablePatchSnapshotForInstance", "ssm:GetDocument", "ssm:DescribeDocument", "ssm:GetManifest",
				"ssm:GetParameter", "ssm:GetParameters", "ssm:ListAssociations", "ssm:ListInstanceAssociations", "ssm:PutInventory", "ssm:PutComplianceItems",
				"ssm:PutConfigurePackageResult", "ssm:UpdateAssociationStatus", "ssm:UpdateInstanceAssociationStatus", "ssm:UpdateInstanceInformation"),
			allow("ssmmessages:CreateControlChannel", "ssmmessages:CreateDataChannel", "ssmmessages:OpenControlChannel", "ssmmessages:OpenDataChannel"),
			allow("ec2messages:AcknowledgeMessage", "ec2messages:DeleteMessage", "ec2messages:FailMessage", "ec2messages:GetEndpoint", "ec2messages:GetMessages", "ec2messages:SendReply"),
		}},
	{"/", "AmazonSSMReadOnlyAccess", "Provides read only access to Amazon SSM.", "v1", "2015-05-29", "2015-05-29",
		[]awsStatement{allow("ssm:Describe*", "ssm:Get*", "ssm:List*")}},
	{"/", "CloudWatchLogsFullAccess", "Provides full access to CloudWatch Logs", "v8", "2015-02-06", "2026-02-12",
		[]awsStatement{allow("logs:*")}},
	{"/", "CloudWatchFullAccess", "Provides full access to CloudWatch.", "v4", "2015-02-06", "2022-11-27",
		[]awsStatement{allow("autoscaling:Describe*", "cloudwatch:*", "logs:*", "sns:*", "iam:GetPolicy", "iam:GetPolicyVersion", "iam:GetRole")}},
	{"/", "CloudWatchAgentServerPolicy", "Permissions required to use AmazonCloudWatchAgent on servers", "v3", "2018-03-07", "2024-02-06",
		[]awsStatement{
			allow("cloudwatch:PutMetricData", "ec2:DescribeVolumes", "ec2:DescribeTags", "logs:PutLogEvents", "logs:PutRetentionPolicy",
				"logs:DescribeLogStreams", "logs:DescribeLogGroups", "logs:CreateLogStream", "logs:CreateLogGroup"),
			{Effect: "Allow", Action: []string{"ssm:GetParameter"}, Resource: "arn:aws:ssm:*:*:parameter/AmazonCloudWatch-*"},
		}},
	{"/", "AmazonEC2ContainerRegistryReadOnly", "Provides read-only access to Amazon EC2 Container Registry repositories.", "v3", "2015-12-21", "2019-12-10",
		[]awsStatement{allow("ecr:GetAuthorizationToken", "ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer", "ecr:GetRepositoryPolicy",
			"ecr:DescribeRepositories", "ecr:ListImages", "ecr:DescribeImages", "ecr:BatchGetImage", "ecr:GetLifecyclePolicy",
			"ecr:GetLifecyclePolicyPreview", "ecr:ListTagsForResource", "ecr:DescribeImageScanFindings")}},
	{"/", "AmazonEC2ContainerRegistryPowerUser", "Provides full access to Amazon EC2 Container Registry repositories, but does not allow repository deletion or policy changes.", "v3", "2015-12-21", "2019-12-10",
		[]awsStatement{allow("ecr:GetAuthorizationToken", "ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage",
			"ecr:DescribeRepositories", "ecr:ListImages", "ecr:DescribeImages", "ecr:InitiateLayerUpload", "ecr:UploadLayerPart",
			"ecr:CompleteLayerUpload", "ecr:PutImage")}},
	{"/", "AmazonEC2ContainerRegistryFullAccess", "Provides administrative access to Amazon ECR resources", "v3", "2015-12-21", "2020-12-05",
		[]awsStatement{allow("ecr:*", "cloudtrail:LookupEvents")}},
	{"/", "AmazonECS_FullAccess", "Provides administrative access to Amazon ECS resources and enables ECS features through access to other AWS service resources, including VPCs, Auto Scaling groups, and CloudFormation stacks.", "v21", "2017-11-07", "2024-08-13",
		[]awsStatement{
			allow("application-autoscaling:*", "autoscaling:*", "cloudformation:*", "cloudwatch:*", "ec2:Describe*", "ec2:CreateLaunchTemplate",
				"ec2:CreateSecurityGroup", "ec2:AuthorizeSecurityGroupIngress", "ecs:*", "elasticloadbalancing:*", "logs:*", "route53:*",
				"servicediscovery:*", "ssm:GetParameter", "ssm:GetParameters", "ssm:GetParametersByPath"),
			{Sid: "PassRoleToECS", Effect: "Allow", Action: []string{"iam:PassRole"}, Resource: "*"},
			{Sid: "ServiceLinkedRoles", Effect: "Allow", Action: []string{"iam:CreateServiceLinkedRole"}, Resource: "*"},
		}},
	{"/", "AmazonEC2FullAccess", "Provides full access to Amazon EC2 via the AWS Management Console.", "v5", "2015-02-06", "2018-11-27",
		[]awsStatement{allow("ec2:*", "elasticloadbalancing:*", "cloudwatch:*", "autoscaling:*", "iam:CreateServiceLinkedRole")}},
	{"/", "AmazonEC2ReadOnlyAccess", "Provides read only access to Amazon EC2 via the AWS Management Console.", "v5", "2015-02-06", "2026-02-12",
		[]awsStatement{allow("ec2:Describe*", "ec2:GetSecurityGroupsForVpc", "elasticloadbalancing:Describe*", "cloudwatch:ListMetrics",
			"cloudwatch:GetMetricStatistics", "cloudwatch:Describe*", "autoscaling:Describe*")}},
	{"/", "ElasticLoadBalancingFullAccess", "Provides full access to Amazon ElasticLoadBalancing, and limited access to other services necessary to provide ElasticLoadBalancing features.", "v9", "2018-09-20", "2026-02-23",
		[]awsStatement{
			allow("elasticloadbalancing:*"),
			allow("ec2:DescribeAccountAttributes", "ec2:DescribeAddresses", "ec2:DescribeInternetGateways", "ec2:DescribeSecurityGroups",
				"ec2:DescribeSubnets", "ec2:DescribeVpcs", "ec2:DescribeVpcClassicLink", "ec2:DescribeInstances", "ec2:DescribeNetworkInterfaces",
				"ec2:DescribeClassicLinkInstances", "ec2:DescribeRouteTables", "ec2:DescribeCoipPools", "ec2:GetCoipPoolUsage", "ec2:DescribeVpcPeeringConnections",
				"cognito-idp:DescribeUserPoolClient", "acm:ListCertificates", "acm:DescribeCertificate", "iam:ListServerCertificates", "iam:GetServerCertificate",
				"waf-regional:*", "wafv2:*", "shield:*", "tag:GetResources"),
			{Effect: "Allow", Action: []string{"iam:CreateServiceLinkedRole"}, Resource: "*"},
		}},
	{"/", "ElasticLoadBalancingReadOnly", "Provides read only access to Amazon ElasticLoadBalancing and its dependent services.", "v3", "2018-09-20", "2023-11-26",
		[]awsStatement{allow("elasticloadbalancing:Describe*", "ec2:DescribeInstances", "ec2:DescribeClassicLinkInstances", "ec2:DescribeSecurityGroups")}},
	{"/", "AutoScalingFullAccess", "Provides full access to Auto Scaling.", "v2", "2017-01-12", "2018-02-06",
		[]awsStatement{
			allow("autoscaling:*"),
			allow("cloudwatch:PutMetricAlarm"),
			allow("ec2:DescribeAccountAttributes", "ec2:DescribeAvailabilityZones", "ec2:DescribeImages", "ec2:DescribeInstanceAttribute",
				"ec2:DescribeInstances", "ec2:DescribeKeyPairs", "ec2:DescribeLaunchTemplateVersions", "ec2:DescribePlacementGroups",
				"ec2:DescribeSecurityGroups", "ec2:DescribeSpotInstanceRequests", "ec2:DescribeSubnets", "ec2:DescribeVpcClassicLink"),
			allow("elasticloadbalancing:DescribeLoadBalancers", "elasticloadbalancing:DescribeTargetGroups"),
			{Effect: "Allow", Action: []string{"iam:CreateServiceLinkedRole"}, Resource: "*"},
		}},
	{"/", "AutoScalingReadOnlyAccess", "Provides read-only access to Auto Scaling.", "v1", "2017-01-12", "2017-01-12",
		[]awsStatement{allow("autoscaling:Describe*")}},
	{"/", "SecretsManagerReadWrite", "Provides read/write access to AWS Secrets Manager via the AWS Management Console.", "v5", "2018-04-04", "2024-02-22",
		[]awsStatement{allow("secretsmanager:*", "kms:DescribeKey", "kms:ListAliases", "kms:ListKeys", "tag:GetResources")}},
	{"/service-role/", "AmazonEC2ContainerServiceforEC2Role", "Default policy for the Amazon EC2 Role for Amazon EC2 Container Service.", "v10", "2015-03-19", "2026-02-12",
		[]awsStatement{
			allow("ec2:DescribeTags", "ecs:CreateCluster", "ecs:DeregisterContainerInstance", "ecs:DiscoverPollEndpoint", "ecs:Poll",
				"ecs:RegisterContainerInstance", "ecs:StartTelemetrySession", "ecs:UpdateContainerInstancesState", "ecs:Submit*",
				"ecr:GetAuthorizationToken", "ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage",
				"logs:CreateLogStream", "logs:PutLogEvents"),
			{Effect: "Allow", Action: []string{"ecs:TagResource"}, Resource: "*"},
		}},
	{"/service-role/", "AmazonECSTaskExecutionRolePolicy", "Provides access to other AWS service resources that are required to run Amazon ECS tasks", "v1", "2017-11-16", "2017-11-16",
		[]awsStatement{allow("ecr:GetAuthorizationToken", "ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage",
			"logs:CreateLogStream", "logs:PutLogEvents")}},
	{"/service-role/", "AmazonEC2ContainerServiceAutoscaleRole", "Policy to enable Task Autoscaling for Amazon EC2 Container Service", "v2", "2016-05-12", "2018-02-05",
		[]awsStatement{
			allow("ecs:DescribeServices", "ecs:UpdateService"),
			allow("cloudwatch:PutMetricAlarm", "cloudwatch:DescribeAlarms", "cloudwatch:DeleteAlarms"),
		}},
	{"/service-role/", "AmazonEC2ContainerServiceRole", "Default policy for Amazon ECS service role.", "v2", "2015-04-09", "2016-08-11",
		[]awsStatement{allow("ec2:AuthorizeSecurityGroupIngress", "ec2:Describe*", "elasticloadbalancing:DeregisterInstancesFromLoadBalancer",
			"elasticloadbalancing:DeregisterTargets", "elasticloadbalancing:Describe*", "elasticloadbalancing:RegisterInstancesWithLoadBalancer",
			"elasticloadbalancing:RegisterTargets")}},
	{"/service-role/", "AmazonEC2ContainerServiceEventsRole", "Policy to enable CloudWatch Events for EC2 Container Service", "v3", "2017-05-30", "2023-03-06",
		[]awsStatement{
			allow("ecs:RunTask"),
			{Effect: "Allow", Action: []string{"iam:PassRole"}, Resource: "*"},
			allow("ecs:TagResource"),
		}},
	{"/aws-service-role/", "AmazonECSServiceRolePolicy", "Policy to enable Amazon ECS to manage your cluster.", "v24", "2017-10-14", "2026-04-22",
		[]awsStatement{
			{Sid: "ECSTaskManagement", Effect: "Allow", Action: []string{"ec2:AttachNetworkInterface", "ec2:CreateNetworkInterface",
				"ec2:CreateNetworkInterfacePermission", "ec2:DeleteNetworkInterface", "ec2:DeleteNetworkInterfacePermission", "ec2:Describe*",
				"ec2:DetachNetworkInterface", "elasticloadbalancing:DeregisterInstancesFromLoadBalancer", "elasticloadbalancing:DeregisterTargets",
				"elasticloadbalancing:Describe*", "elasticloadbalancing:RegisterInstancesWithLoadBalancer", "elasticloadbalancing:RegisterTargets",
				"route53:ChangeResourceRecordSets", "route53:CreateHealthCheck", "route53:DeleteHealthCheck", "route53:Get*", "route53:List*",
				"route53:UpdateHealthCheck", "servicediscovery:DeregisterInstance", "servicediscovery:Get*", "servicediscovery:List*",
				"servicediscovery:RegisterInstance", "servicediscovery:UpdateInstanceCustomHealthStatus"}, Resource: "*"},
			{Sid: "AutoScaling", Effect: "Allow", Action: []string{"autoscaling:Describe*"}, Resource: "*"},
			{Sid: "ECSTagging", Effect: "Allow", Action: []string{"ec2:CreateTags"}, Resource: "arn:aws:ec2:*:*:network-interface/*"},
			{Sid: "CWLogGroupManagement", Effect: "Allow", Action: []string{"logs:CreateLogGroup", "logs:DescribeLogGroups", "logs:PutRetentionPolicy"}, Resource: "arn:aws:logs:*:*:log-group:/aws/ecs/*"},
			{Sid: "CWLogStreamManagement", Effect: "Allow", Action: []string{"logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"}, Resource: "arn:aws:logs:*:*:log-group:/aws/ecs/*:log-stream:*"},
		}},
	{"/aws-service-role/", "AutoScalingServiceRolePolicy", "Enables access to AWS Services and Resources used or managed by Auto Scaling", "v10", "2018-01-08", "2025-11-12",
		[]awsStatement{
			{Sid: "EC2InstanceManagement", Effect: "Allow", Action: []string{"ec2:AttachClassicLinkVpc", "ec2:CancelSpotInstanceRequests",
				"ec2:CreateFleet", "ec2:CreateTags", "ec2:DeleteTags", "ec2:Describe*", "ec2:DetachClassicLinkVpc", "ec2:ModifyInstanceAttribute",
				"ec2:RequestSpotInstances", "ec2:RunInstances", "ec2:StartInstances", "ec2:StopInstances", "ec2:TerminateInstances"}, Resource: "*"},
			{Sid: "PassRoleToEC2", Effect: "Allow", Action: []string{"iam:PassRole"}, Resource: "*"},
			{Sid: "LoadBalancing", Effect: "Allow", Action: []string{"elasticloadbalancing:Register*", "elasticloadbalancing:Deregister*", "elasticloadbalancing:Describe*"}, Resource: "*"},
			{Sid: "CloudWatch", Effect: "Allow", Action: []string{"cloudwatch:DeleteAlarms", "cloudwatch:DescribeAlarms", "cloudwatch:GetMetricData", "cloudwatch:PutMetricAlarm"}, Resource: "*"},
			{Sid: "Notifications", Effect: "Allow", Action: []string{"sns:Publish", "sqs:SendMessage"}, Resource: "*"},
		}},
	{"/aws-service-role/", "AWSElasticLoadBalancingServiceRolePolicy", "Service Linked Role Policy for AWS Elastic Load Balancing Control Plane", "v14", "2017-09-19", "2026-02-12",
		[]awsStatement{allow("ec2:DescribeAddresses", "ec2:DescribeInstances", "ec2:DescribeSubnets", "ec2:DescribeSecurityGroups", "ec2:DescribeVpcs",
			"ec2:DescribeInternetGateways", "ec2:DescribeAccountAttributes", "ec2:DescribeClassicLinkInstances", "ec2:DescribeVpcClassicLink",
			"ec2:CreateSecurityGroup", "ec2:CreateNetworkInterface", "ec2:DeleteNetworkInterface", "ec2:ModifyNetworkInterfaceAttribute",
			"ec2:AuthorizeSecurityGroupIngress", "ec2:AssociateAddress", "ec2:DisassociateAddress", "ec2:AttachNetworkInterface",
			"ec2:DetachNetworkInterface", "ec2:AssignPrivateIpAddresses", "ec2:AssignIpv6Addresses", "ec2:UnassignIpv6Addresses",
			"ec2:DescribeNetworkInterfaces", "ec2:DescribeRouteTables", "logs:CreateLogDelivery", "logs:GetLogDelivery", "logs:UpdateLogDelivery",
			"logs:DeleteLogDelivery", "logs:ListLogDeliveries")}},
	{"/aws-service-role/", "AWSApplicationAutoscalingECSServicePolicy", "Policy granting permissions to Application Auto Scaling to access ECS resources", "v2", "2017-10-25", "2024-10-24",
		[]awsStatement{allow("ecs:DescribeServices", "ecs:UpdateService", "cloudwatch:PutMetricAlarm", "cloudwatch:DescribeAlarms",
			"cloudwatch:GetMetricData", "cloudwatch:DeleteAlarms")}},
}

func allow(actions ...string) awsStatement {
	return awsStatement{Effect: "Allow", Action: actions, Resource: "*"}
}

// awsPolicyCreateDate is when the root user "appeared" in GetUser; fixed
// so that reads are stable.
var awsPolicyCreateDate = time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)

const awsPolicyARNPrefix = "arn:aws:iam::aws:policy/"

func day(s string) time.Time {
	t, _ := time.Parse(time.DateOnly, s) // the table above holds valid dates; a test reads them all
	return t
}

// awsManagedPolicy returns the built-in policy with the given ARN. It has
// one version, the default: AWS's older versions are not kept.
func awsManagedPolicy(arn string) (*ManagedPolicy, bool) {
	for _, p := range awsManagedPolicies {
		if arn != awsPolicyARNPrefix+strings.TrimPrefix(p.path, "/")+p.name {
			continue
		}
		sum := sha256.Sum256([]byte(arn))
		document, _ := json.Marshal(map[string]any{"Version": "2012-10-17", "Statement": p.statements}) // plain strings always marshal
		created, updated := day(p.created), day(p.updated)
		return &ManagedPolicy{
			Name:             p.name,
			Path:             p.path,
			ID:               "ANPA" + strings.ToUpper(hex.EncodeToString(sum[:]))[:17],
			ARN:              arn,
			Description:      p.description,
			CreateDate:       created,
			UpdateDate:       updated,
			DefaultVersionID: p.version,
			Versions:         []PolicyVersion{{ID: p.version, Document: string(document), CreateDate: updated}},
			AWSManaged:       true,
		}, true
	}
	return nil, false
}

func allAWSManagedPolicies() []*ManagedPolicy {
	out := make([]*ManagedPolicy, 0, len(awsManagedPolicies))
	for _, p := range awsManagedPolicies {
		policy, _ := awsManagedPolicy(awsPolicyARNPrefix + strings.TrimPrefix(p.path, "/") + p.name)
		out = append(out, policy)
	}
	return out
}
