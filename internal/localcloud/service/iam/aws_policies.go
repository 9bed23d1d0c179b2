package iam

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"time"
)

// awsManagedPolicies are the AWS managed policies the local cloud knows
// without anyone creating them: the ones ECS on EC2 stacks attach, and a few
// that tools commonly reach for. Their documents are short summaries of the
// permissions each grants (nothing is enforced locally).
var awsManagedPolicies = []struct {
	path, name, description string
	actions                 []string
}{
	{"/", "AdministratorAccess", "Provides full access to AWS services and resources.", []string{"*"}},
	{"/", "ReadOnlyAccess", "Provides read-only access to AWS services and resources.", []string{"*:Describe*", "*:Get*", "*:List*"}},
	{"/", "AmazonSSMManagedInstanceCore", "The policy for Amazon EC2 Role to enable AWS Systems Manager service core functionality.",
		[]string{"ssm:DescribeAssociation", "ssm:GetDocument", "ssm:GetParameter", "ssm:GetParameters", "ssm:UpdateInstanceInformation", "ssmmessages:*", "ec2messages:*"}},
	{"/", "CloudWatchLogsFullAccess", "Provides full access to CloudWatch Logs", []string{"logs:*"}},
	{"/", "CloudWatchAgentServerPolicy", "Permissions required to use AmazonCloudWatchAgent on servers",
		[]string{"cloudwatch:PutMetricData", "ec2:DescribeTags", "logs:PutLogEvents", "logs:CreateLogStream", "logs:CreateLogGroup", "logs:DescribeLogStreams", "ssm:GetParameter"}},
	{"/", "AmazonEC2ContainerRegistryReadOnly", "Provides read-only access to Amazon EC2 Container Registry repositories.",
		[]string{"ecr:GetAuthorizationToken", "ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage", "ecr:DescribeRepositories", "ecr:ListImages"}},
	{"/", "AmazonECS_FullAccess", "Provides administrative access to Amazon ECS resources.", []string{"ecs:*", "elasticloadbalancing:*", "autoscaling:*", "application-autoscaling:*", "logs:*", "iam:PassRole"}},
	{"/service-role/", "AmazonEC2ContainerServiceforEC2Role", "Default policy for the Amazon EC2 Role for Amazon EC2 Container Service.",
		[]string{"ec2:DescribeTags", "ecs:CreateCluster", "ecs:DeregisterContainerInstance", "ecs:DiscoverPollEndpoint", "ecs:Poll", "ecs:RegisterContainerInstance", "ecs:StartTelemetrySession", "ecs:UpdateContainerInstancesState", "ecs:Submit*", "ecr:GetAuthorizationToken", "ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage", "logs:CreateLogStream", "logs:PutLogEvents"}},
	{"/service-role/", "AmazonECSTaskExecutionRolePolicy", "Provides access to other AWS service resources that are required to run Amazon ECS tasks",
		[]string{"ecr:GetAuthorizationToken", "ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage", "logs:CreateLogStream", "logs:PutLogEvents"}},
	{"/service-role/", "AmazonEC2ContainerServiceAutoscaleRole", "Policy to enable Task Autoscaling for Amazon EC2 Container Service",
		[]string{"ecs:DescribeServices", "ecs:UpdateService", "cloudwatch:PutMetricAlarm", "cloudwatch:DescribeAlarms", "cloudwatch:DeleteAlarms"}},
	{"/service-role/", "AmazonEC2ContainerServiceRole", "Default policy for Amazon ECS service role.",
		[]string{"ec2:AuthorizeSecurityGroupIngress", "ec2:Describe*", "elasticloadbalancing:DeregisterInstancesFromLoadBalancer", "elasticloadbalancing:DeregisterTargets", "elasticloadbalancing:Describe*", "elasticloadbalancing:RegisterInstancesWithLoadBalancer", "elasticloadbalancing:RegisterTargets"}},
	{"/aws-service-role/", "AmazonECSServiceRolePolicy", "Policy to enable Amazon ECS to manage your cluster.",
		[]string{"ec2:AttachNetworkInterface", "ec2:CreateNetworkInterface", "ec2:DeleteNetworkInterface", "ec2:Describe*", "ec2:DetachNetworkInterface", "elasticloadbalancing:*", "logs:*", "servicediscovery:*"}},
	{"/aws-service-role/", "AutoScalingServiceRolePolicy", "Enables access to AWS Services and Resources used or managed by Auto Scaling",
		[]string{"ec2:*", "elasticloadbalancing:*", "cloudwatch:*", "sns:Publish"}},
	{"/aws-service-role/", "AWSElasticLoadBalancingServiceRolePolicy", "Service Linked Role Policy for AWS Elastic Load Balancing Control Plane",
		[]string{"ec2:*NetworkInterface*", "ec2:Describe*", "ec2:AssignPrivateIpAddresses", "ec2:UnassignPrivateIpAddresses", "logs:*"}},
}

// awsPolicyCreateDate is when the local cloud's AWS managed policies
// "appeared"; fixed so that reads are stable.
var awsPolicyCreateDate = time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)

const awsPolicyARNPrefix = "arn:aws:iam::aws:policy/"

// awsManagedPolicy returns the built-in policy with the given ARN.
func awsManagedPolicy(arn string) (*ManagedPolicy, bool) {
	for _, p := range awsManagedPolicies {
		if arn != awsPolicyARNPrefix+strings.TrimPrefix(p.path, "/")+p.name {
			continue
		}
		sum := sha256.Sum256([]byte(arn))
		document := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["` + strings.Join(p.actions, `","`) + `"],"Resource":"*"}]}`
		return &ManagedPolicy{
			Name:             p.name,
			Path:             p.path,
			ID:               "ANPA" + strings.ToUpper(hex.EncodeToString(sum[:]))[:17],
			ARN:              arn,
			Description:      p.description,
			CreateDate:       awsPolicyCreateDate,
			UpdateDate:       awsPolicyCreateDate,
			DefaultVersionID: "v1",
			Versions:         []PolicyVersion{{ID: "v1", Document: document, CreateDate: awsPolicyCreateDate}},
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
