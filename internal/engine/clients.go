package engine

import (
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/acm"
	"github.com/aws/aws-sdk-go-v2/service/applicationautoscaling"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// Clients holds one SDK client per service. Whether the endpoint is AWS or
// the local cloud is decided entirely by the aws.Config.
type Clients struct {
	Region      string
	EC2         *ec2.Client
	ECS         *ecs.Client
	ELB         *elasticloadbalancingv2.Client
	AutoScaling *autoscaling.Client
	IAM         *iam.Client
	SSM         *ssm.Client
	Logs        *cloudwatchlogs.Client
	STS         *sts.Client
	ACM         *acm.Client
	// ECR holds the images berth builds.
	ECR *ecr.Client
	// AppAutoScaling is Application Auto Scaling, which scales the service.
	AppAutoScaling *applicationautoscaling.Client
}

// NewClients builds every client from one configuration.
func NewClients(cfg aws.Config) *Clients {
	return &Clients{
		Region:      cfg.Region,
		EC2:         ec2.NewFromConfig(cfg),
		ECS:         ecs.NewFromConfig(cfg),
		ELB:         elasticloadbalancingv2.NewFromConfig(cfg),
		AutoScaling: autoscaling.NewFromConfig(cfg),
		IAM:         iam.NewFromConfig(cfg),
		SSM:         ssm.NewFromConfig(cfg),
		Logs:        cloudwatchlogs.NewFromConfig(cfg),
		STS:         sts.NewFromConfig(cfg),
		ACM:         acm.NewFromConfig(cfg),
		ECR:         ecr.NewFromConfig(cfg),

		AppAutoScaling: applicationautoscaling.NewFromConfig(cfg),
	}
}
