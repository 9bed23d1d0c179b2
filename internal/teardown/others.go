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
	"github.com/berthdev/berth/internal/engine"
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

// deleteLoadBalancer deletes it with its listeners and waits until it is
// gone: its target groups are in use until then.
func deleteLoadBalancer(ctx context.Context, c *engine.Clients, r Resource) error {
	_, err := c.ELB.DeleteLoadBalancer(ctx, &elb.DeleteLoadBalancerInput{LoadBalancerArn: aws.String(r.ID)})
	if !gone(err, "LoadBalancerNotFound") {
		return err
	}
	return waitGone(ctx, "load balancer "+r.ID+" to go", func() error {
		_, err := c.ELB.DescribeLoadBalancers(ctx, &elb.DescribeLoadBalancersInput{LoadBalancerArns: []string{r.ID}})
		switch {
		case engine.HasCode(err, "LoadBalancerNotFound"):
			return nil
		case err != nil:
			return err
		}
		return errNotYet
	})
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

func deleteTargetGroup(ctx context.Context, c *engine.Clients, r Resource) error {
	err := engine.Retry(ctx, engine.DefaultBackoff, "delete target group "+r.ID, retryable("ResourceInUse"), func() error {
		_, err := c.ELB.DeleteTargetGroup(ctx, &elb.DeleteTargetGroupInput{TargetGroupArn: aws.String(r.ID)})
		return err
	})
	if gone(err, "TargetGroupNotFound") {
		return nil
	}
	return err
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

// deleteAutoScalingGroup clears scale-in protection (managed termination
// protection sets it on every instance, and it blocks the deletion), then
// force-deletes the group and waits until it and its instances are gone.
func deleteAutoScalingGroup(ctx context.Context, c *engine.Clients, r Resource) error {
	out, err := c.AutoScaling.DescribeAutoScalingGroups(ctx, &autoscaling.DescribeAutoScalingGroupsInput{AutoScalingGroupNames: []string{r.ID}})
	if err != nil {
		return err
	}
	for _, g := range out.AutoScalingGroups {
		var protected []string
		for _, in := range g.Instances {
			if aws.ToBool(in.ProtectedFromScaleIn) {
				protected = append(protected, aws.ToString(in.InstanceId))
			}
		}
		if len(protected) > 0 {
			if _, err := c.AutoScaling.SetInstanceProtection(ctx, &autoscaling.SetInstanceProtectionInput{
				AutoScalingGroupName: aws.String(r.ID), InstanceIds: protected, ProtectedFromScaleIn: aws.Bool(false),
			}); err != nil {
				return err
			}
		}
	}
	err = engine.Retry(ctx, engine.DefaultBackoff, "delete auto scaling group "+r.ID, retryable("ScalingActivityInProgress", "ResourceInUse"), func() error {
		_, err := c.AutoScaling.DeleteAutoScalingGroup(ctx, &autoscaling.DeleteAutoScalingGroupInput{AutoScalingGroupName: aws.String(r.ID), ForceDelete: aws.Bool(true)})
		return err
	})
	if err != nil && !(engine.HasCode(err, "ValidationError") && strings.Contains(err.Error(), "not found")) {
		return err
	}
	return waitGone(ctx, "auto scaling group "+r.ID+" to go", func() error {
		out, err := c.AutoScaling.DescribeAutoScalingGroups(ctx, &autoscaling.DescribeAutoScalingGroupsInput{AutoScalingGroupNames: []string{r.ID}})
		if err != nil {
			return err
		}
		if len(out.AutoScalingGroups) > 0 {
			return errNotYet
		}
		return nil
	})
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

// deleteRole removes what keeps a role: its attached and inline policies.
func deleteRole(ctx context.Context, c *engine.Clients, r Resource) error {
	attached := iam.NewListAttachedRolePoliciesPaginator(c.IAM, &iam.ListAttachedRolePoliciesInput{RoleName: aws.String(r.ID)})
	for attached.HasMorePages() {
		page, err := attached.NextPage(ctx)
		if engine.HasCode(err, "NoSuchEntity") {
			return nil
		}
		if err != nil {
			return err
		}
		for _, p := range page.AttachedPolicies {
			if _, err := c.IAM.DetachRolePolicy(ctx, &iam.DetachRolePolicyInput{RoleName: aws.String(r.ID), PolicyArn: p.PolicyArn}); !gone(err, "NoSuchEntity") {
				return err
			}
		}
	}
	inline := iam.NewListRolePoliciesPaginator(c.IAM, &iam.ListRolePoliciesInput{RoleName: aws.String(r.ID)})
	for inline.HasMorePages() {
		page, err := inline.NextPage(ctx)
		if err != nil {
			return err
		}
		for _, name := range page.PolicyNames {
			if _, err := c.IAM.DeleteRolePolicy(ctx, &iam.DeleteRolePolicyInput{RoleName: aws.String(r.ID), PolicyName: aws.String(name)}); !gone(err, "NoSuchEntity") {
				return err
			}
		}
	}
	err := engine.Retry(ctx, engine.DefaultBackoff, "delete role "+r.ID, retryable("DeleteConflict"), func() error {
		_, err := c.IAM.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String(r.ID)})
		return err
	})
	if gone(err, "NoSuchEntity") {
		return nil
	}
	return err
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

func deleteInstanceProfile(ctx context.Context, c *engine.Clients, r Resource) error {
	out, err := c.IAM.GetInstanceProfile(ctx, &iam.GetInstanceProfileInput{InstanceProfileName: aws.String(r.ID)})
	if engine.HasCode(err, "NoSuchEntity") {
		return nil
	}
	if err != nil {
		return err
	}
	for _, role := range out.InstanceProfile.Roles {
		if _, err := c.IAM.RemoveRoleFromInstanceProfile(ctx, &iam.RemoveRoleFromInstanceProfileInput{InstanceProfileName: aws.String(r.ID), RoleName: role.RoleName}); !gone(err, "NoSuchEntity") {
			return err
		}
	}
	_, err = c.IAM.DeleteInstanceProfile(ctx, &iam.DeleteInstanceProfileInput{InstanceProfileName: aws.String(r.ID)})
	if gone(err, "NoSuchEntity") {
		return nil
	}
	return err
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

func deleteLogGroup(ctx context.Context, c *engine.Clients, r Resource) error {
	_, err := c.Logs.DeleteLogGroup(ctx, &cloudwatchlogs.DeleteLogGroupInput{LogGroupName: aws.String(r.ID)})
	if gone(err, "ResourceNotFoundException") {
		return nil
	}
	return err
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

// deleteRepository deletes it with its images: they were berth's builds.
func deleteRepository(ctx context.Context, c *engine.Clients, r Resource) error {
	_, err := c.ECR.DeleteRepository(ctx, &ecr.DeleteRepositoryInput{RepositoryName: aws.String(r.ID), Force: true})
	if gone(err, "RepositoryNotFoundException") {
		return nil
	}
	return err
}

func findCertificates(ctx context.Context, f *finder) ([]Resource, error) {
	var found []Resource
	pages := acm.NewListCertificatesPaginator(f.c.ACM, &acm.ListCertificatesInput{})
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

// deleteCertificate waits while the deleted listener still holds it.
func deleteCertificate(ctx context.Context, c *engine.Clients, r Resource) error {
	err := engine.Retry(ctx, engine.DefaultBackoff, "delete certificate "+r.ID, retryable("ResourceInUseException"), func() error {
		_, err := c.ACM.DeleteCertificate(ctx, &acm.DeleteCertificateInput{CertificateArn: aws.String(r.ID)})
		return err
	})
	if gone(err, "ResourceNotFoundException") {
		return nil
	}
	return err
}
