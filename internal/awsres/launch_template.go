package awsres

import (
	"context"
	"encoding/base64"
	"fmt"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/berthdev/berth/internal/engine"
)

// ECSOptimizedAMIParameter is the public SSM parameter holding the current
// ECS-optimized Amazon Linux 2023 AMI of the region.
const ECSOptimizedAMIParameter = "/aws/service/ecs/optimized-ami/amazon-linux-2023/recommended/image_id"

// LaunchTemplate describes the container instances: ECS-optimized AMI, the
// instance profile, the instances' security group and user data that joins
// the stack's cluster. Changes become a new version, which the Auto Scaling
// group picks up as $Latest for instances it launches from then on.
type LaunchTemplate struct {
	Meta
	Name            string
	InstanceType    string
	ClusterName     string
	InstanceProfile engine.Ref // the profile's "arn"
	SecurityGroup   engine.Ref

	// image is resolved by Observe: Diff may not call AWS.
	image string
}

type launchTemplateState struct {
	id, name, version                                      string
	image, instanceType, profile, securityGroups, userData string
	httpTokens                                             string
}

// UserData is the script that makes an instance join cluster: without it
// the ECS agent registers with the cluster named "default".
func UserData(cluster string) string {
	return "#!/bin/bash\necho ECS_CLUSTER=" + cluster + " >> /etc/ecs/ecs.config\n"
}

func (r *LaunchTemplate) Observe(ctx context.Context, c *engine.Clients, _ *engine.Inputs) (*engine.Observed, error) {
	param, err := c.SSM.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(ECSOptimizedAMIParameter)})
	if err != nil {
		return nil, fmt.Errorf("look up the ECS-optimized AMI (%s): %w", ECSOptimizedAMIParameter, err)
	}
	r.image = aws.ToString(param.Parameter.Value)

	out, err := c.EC2.DescribeLaunchTemplateVersions(ctx, &ec2.DescribeLaunchTemplateVersionsInput{
		LaunchTemplateName: aws.String(r.Name), Versions: []string{"$Latest"},
	})
	if hasCode(err, "InvalidLaunchTemplateName.NotFoundException", "InvalidLaunchTemplateId.NotFound") {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("describe launch template %s: %w", r.Name, err)
	}
	if len(out.LaunchTemplateVersions) == 0 {
		return nil, nil
	}
	v := out.LaunchTemplateVersions[0]
	state := &launchTemplateState{
		id: aws.ToString(v.LaunchTemplateId), name: r.Name, version: strconv.FormatInt(aws.ToInt64(v.VersionNumber), 10),
	}
	if data := v.LaunchTemplateData; data != nil {
		state.image = aws.ToString(data.ImageId)
		state.instanceType = string(data.InstanceType)
		if data.IamInstanceProfile != nil {
			state.profile = aws.ToString(data.IamInstanceProfile.Arn)
		}
		state.securityGroups = sortedJoin(data.SecurityGroupIds)
		if data.MetadataOptions != nil {
			state.httpTokens = string(data.MetadataOptions.HttpTokens)
		}
		if decoded, err := base64.StdEncoding.DecodeString(aws.ToString(data.UserData)); err == nil {
			state.userData = string(decoded)
		}
	}
	return &engine.Observed{Outputs: state.outputs(), State: state}, nil
}

func (s *launchTemplateState) outputs() engine.Outputs {
	return engine.Outputs{"id": s.id, "name": s.name, "version": s.version}
}

func (r *LaunchTemplate) Diff(in *engine.Inputs, actual *engine.Observed) ([]engine.FieldChange, engine.Action) {
	changes := engine.NewChanges(actual)
	state := &launchTemplateState{}
	if actual != nil {
		state = actual.State.(*launchTemplateState)
	}
	changes.ForceNew("name", state.name, r.Name)
	changes.Field("image_id", state.image, r.image)
	changes.Field("instance_type", state.instanceType, r.InstanceType)
	changes.Field("instance_profile", state.profile, in.Show(r.InstanceProfile))
	changes.Field("security_groups", state.securityGroups, in.Show(r.SecurityGroup))
	changes.Field("user_data", state.userData, UserData(r.ClusterName))
	// IMDSv2 only: a stolen instance role needs a session token first.
	changes.Field("metadata_http_tokens", state.httpTokens, string(ec2types.LaunchTemplateHttpTokensStateRequired))
	return changes.Result()
}

func (r *LaunchTemplate) data(profileARN, securityGroup string) *ec2types.RequestLaunchTemplateData {
	return &ec2types.RequestLaunchTemplateData{
		ImageId:            aws.String(r.image),
		InstanceType:       ec2types.InstanceType(r.InstanceType),
		IamInstanceProfile: &ec2types.LaunchTemplateIamInstanceProfileSpecificationRequest{Arn: aws.String(profileARN)},
		SecurityGroupIds:   []string{securityGroup},
		UserData:           aws.String(base64.StdEncoding.EncodeToString([]byte(UserData(r.ClusterName)))),
		MetadataOptions: &ec2types.LaunchTemplateInstanceMetadataOptionsRequest{
			HttpTokens: ec2types.LaunchTemplateHttpTokensStateRequired, HttpEndpoint: ec2types.LaunchTemplateInstanceMetadataEndpointStateEnabled,
		},
		TagSpecifications: []ec2types.LaunchTemplateTagSpecificationRequest{{
			ResourceType: ec2types.ResourceTypeInstance,
			Tags:         r.ec2Tags(r.Name),
		}},
	}
}

func (r *LaunchTemplate) Apply(ctx context.Context, c *engine.Clients, in *engine.Inputs, actual *engine.Observed) (engine.Outputs, error) {
	refs, err := in.Resolve(r.InstanceProfile, r.SecurityGroup)
	if err != nil {
		return nil, err
	}
	data := r.data(refs[0], refs[1])
	if actual == nil {
		out, err := c.EC2.CreateLaunchTemplate(ctx, &ec2.CreateLaunchTemplateInput{
			LaunchTemplateName: aws.String(r.Name), LaunchTemplateData: data,
			TagSpecifications: r.ec2TagSpec(ec2types.ResourceTypeLaunchTemplate, r.Name),
		})
		if err != nil {
			return nil, fmt.Errorf("create launch template %s: %w", r.Name, err)
		}
		lt := out.LaunchTemplate
		state := &launchTemplateState{id: aws.ToString(lt.LaunchTemplateId), name: r.Name, version: strconv.FormatInt(aws.ToInt64(lt.LatestVersionNumber), 10)}
		return state.outputs(), nil
	}
	state := actual.State.(*launchTemplateState)
	out, err := c.EC2.CreateLaunchTemplateVersion(ctx, &ec2.CreateLaunchTemplateVersionInput{
		LaunchTemplateId: aws.String(state.id), LaunchTemplateData: data,
	})
	if err != nil {
		return nil, fmt.Errorf("new version of launch template %s: %w", r.Name, err)
	}
	updated := *state
	updated.version = strconv.FormatInt(aws.ToInt64(out.LaunchTemplateVersion.VersionNumber), 10)
	return updated.outputs(), nil
}

func (r *LaunchTemplate) Delete(ctx context.Context, c *engine.Clients, actual *engine.Observed) error {
	return DeleteLaunchTemplate(ctx, c, actual.State.(*launchTemplateState).id)
}
