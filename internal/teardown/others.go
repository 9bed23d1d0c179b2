package teardown

import (
	"context"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/acm"
	acmtypes "github.com/aws/aws-sdk-go-v2/service/acm/types"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	astypes "github.com/aws/aws-sdk-go-v2/service/autoscaling/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	ecrtypes "github.com/aws/aws-sdk-go-v2/service/ecr/types"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/berthdev/berth/internal/awsres"
)

// elbTagged keeps the ARNs whose ELB tags are the stack's; DescribeTags
// takes 20 ARNs a call.
func (f *finder) elbTagged(ctx context.Context, arns []string) ([]Resource, error) {
	var found []Resource
	for len(arns) > 0 {
		batch := arns[:min(20, len(arns))]
		arns = arns[len(batch):]
		out, err := f.c.ELB.DescribeTags(ctx, &elb.DescribeTagsInput{ResourceArns: batch})
		if err != nil {
			return nil, err
		}
		for _, d := range out.TagDescriptions {
			tags := tagMap(d.Tags, func(t elbtypes.Tag) (*string, *string) { return t.Key, t.Value })
			found = f.keep(found, aws.ToString(d.ResourceArn), tags)
		}
	}
	return found, nil
}

func findLoadBalancers(ctx context.Context, f *finder) ([]Resource, error) {
	var arns []string
	pages := elb.NewDescribeLoadBalancersPaginator(f.c.ELB, &elb.DescribeLoadBalancersInput{})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, lb := range page.LoadBalancers {
			arns = append(arns, aws.ToString(lb.LoadBalancerArn))
		}
	}
	return f.elbTagged(ctx, arns)
}

func findTargetGroups(ctx context.Context, f *finder) ([]Resource, error) {
	var arns []string
	pages := elb.NewDescribeTargetGroupsPaginator(f.c.ELB, &elb.DescribeTargetGroupsInput{})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, tg := range page.TargetGroups {
			arns = append(arns, aws.ToString(tg.TargetGroupArn))
		}
	}
	return f.elbTagged(ctx, arns)
}

func findAutoScalingGroups(ctx context.Context, f *finder) ([]Resource, error) {
	var found []Resource
	pages := autoscaling.NewDescribeTagsPaginator(f.c.AutoScaling, &autoscaling.DescribeTagsInput{Filters: []astypes.Filter{
		{Name: aws.String("key"), Values: []string{awsres.TagStack}},
		{Name: aws.String("value"), Values: []string{f.stack}},
	}})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, t := range page.Tags {
			found = append(found, Resource{ID: aws.ToString(t.ResourceId)})
		}
	}
	return found, nil
}

// berth names its roles and instance profiles after the stack, so only
// those names are read; their tags decide.
func findRoles(ctx context.Context, f *finder) ([]Resource, error) {
	var found []Resource
	pages := iam.NewListRolesPaginator(f.c.IAM, &iam.ListRolesInput{})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, role := range page.Roles {
			name := aws.ToString(role.RoleName)
			if !strings.HasPrefix(name, f.stack+"-") {
				continue
			}
			tags, err := f.c.IAM.ListRoleTags(ctx, &iam.ListRoleTagsInput{RoleName: role.RoleName})
			if err != nil {
				return nil, err
			}
			m := tagMap(tags.Tags, func(t iamtypes.Tag) (*string, *string) { return t.Key, t.Value })
			found = f.keep(found, name, m)
		}
	}
	return found, nil
}

func findInstanceProfiles(ctx context.Context, f *finder) ([]Resource, error) {
	var found []Resource
	pages := iam.NewListInstanceProfilesPaginator(f.c.IAM, &iam.ListInstanceProfilesInput{})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, p := range page.InstanceProfiles {
			name := aws.ToString(p.InstanceProfileName)
			if !strings.HasPrefix(name, f.stack+"-") {
				continue
			}
			tags, err := f.c.IAM.ListInstanceProfileTags(ctx, &iam.ListInstanceProfileTagsInput{InstanceProfileName: p.InstanceProfileName})
			if err != nil {
				return nil, err
			}
			m := tagMap(tags.Tags, func(t iamtypes.Tag) (*string, *string) { return t.Key, t.Value })
			found = f.keep(found, name, m)
		}
	}
	return found, nil
}

// findLogGroups reads berth's log groups (/berth/<stack>…); their tags
// decide.
func findLogGroups(ctx context.Context, f *finder) ([]Resource, error) {
	var found []Resource
	pages := cloudwatchlogs.NewDescribeLogGroupsPaginator(f.c.Logs, &cloudwatchlogs.DescribeLogGroupsInput{LogGroupNamePrefix: aws.String("/berth/" + f.stack)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, g := range page.LogGroups {
			tags, err := f.c.Logs.ListTagsForResource(ctx, &cloudwatchlogs.ListTagsForResourceInput{ResourceArn: aws.String(strings.TrimSuffix(aws.ToString(g.Arn), ":*"))})
			if err != nil {
				return nil, err
			}
			found = f.keep(found, aws.ToString(g.LogGroupName), tags.Tags)
		}
	}
	return found, nil
}

func findRepositories(ctx context.Context, f *finder) ([]Resource, error) {
	var found []Resource
	pages := ecr.NewDescribeRepositoriesPaginator(f.c.ECR, &ecr.DescribeRepositoriesInput{})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, repo := range page.Repositories {
			tags, err := f.c.ECR.ListTagsForResource(ctx, &ecr.ListTagsForResourceInput{ResourceArn: repo.RepositoryArn})
			if err != nil {
				return nil, err
			}
			m := tagMap(tags.Tags, func(t ecrtypes.Tag) (*string, *string) { return t.Key, t.Value })
			found = f.keep(found, aws.ToString(repo.RepositoryName), m)
		}
	}
	return found, nil
}

func findCertificates(ctx context.Context, f *finder) ([]Resource, error) {
	var found []Resource
	// ECDSA certificates too: ListCertificates lists RSA 2048 ones only by default.
	pages := acm.NewListCertificatesPaginator(f.c.ACM, &acm.ListCertificatesInput{Includes: awsres.EveryKeyType})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, cert := range page.CertificateSummaryList {
			tags, err := f.c.ACM.ListTagsForCertificate(ctx, &acm.ListTagsForCertificateInput{CertificateArn: cert.CertificateArn})
			if err != nil {
				return nil, err
			}
			m := tagMap(tags.Tags, func(t acmtypes.Tag) (*string, *string) { return t.Key, t.Value })
			found = f.keep(found, aws.ToString(cert.CertificateArn), m)
		}
	}
	return found, nil
}
