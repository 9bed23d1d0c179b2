package ecs_test

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsecs "github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/berthdev/berth/internal/localcloud/localcloudtest"
	"github.com/berthdev/berth/internal/localcloud/service/ecs"
)

func TestTagging(t *testing.T) {
	f := start(t)
	f.stack(t)
	created, err := f.client.CreateService(f.ctx, serviceInput("api"))
	localcloudtest.WantCode(t, err, "")
	serviceARN := aws.ToString(created.Service.ServiceArn)

	resources := []string{
		"arn:aws:ecs:us-east-1:000000000000:cluster/web",
		"arn:aws:ecs:us-east-1:000000000000:capacity-provider/web-cp",
		"arn:aws:ecs:us-east-1:000000000000:task-definition/app:1",
		serviceARN,
	}
	for _, arn := range resources {
		t.Run(arn, func(t *testing.T) {
			_, err := f.client.TagResource(f.ctx, &awsecs.TagResourceInput{ResourceArn: aws.String(arn), Tags: []types.Tag{
				{Key: aws.String("env"), Value: aws.String("dev")}, {Key: aws.String("owner"), Value: aws.String("me")},
			}})
			localcloudtest.WantCode(t, err, "")
			_, err = f.client.TagResource(f.ctx, &awsecs.TagResourceInput{ResourceArn: aws.String(arn), Tags: []types.Tag{{Key: aws.String("env"), Value: aws.String("prod")}}})
			localcloudtest.WantCode(t, err, "")
			_, err = f.client.UntagResource(f.ctx, &awsecs.UntagResourceInput{ResourceArn: aws.String(arn), TagKeys: []string{"owner"}})
			localcloudtest.WantCode(t, err, "")
			out, err := f.client.ListTagsForResource(f.ctx, &awsecs.ListTagsForResourceInput{ResourceArn: aws.String(arn)})
			localcloudtest.WantCode(t, err, "")
			got := map[string]string{}
			for _, tag := range out.Tags {
				got[aws.ToString(tag.Key)] = aws.ToString(tag.Value)
			}
			if got["env"] != "prod" || len(got) > 2 || got["owner"] != "" {
				t.Errorf("tags = %v", got)
			}
		})
	}

	tests := []struct {
		name, arn string
		tags      []types.Tag
		code      string
	}{
		{"unknown cluster", "arn:aws:ecs:us-east-1:000000000000:cluster/nope", []types.Tag{{Key: aws.String("a"), Value: aws.String("b")}}, "ResourceNotFoundException"},
		{"not an ARN", "web", []types.Tag{{Key: aws.String("a"), Value: aws.String("b")}}, "InvalidParameterException"},
		{"reserved key", serviceARN, []types.Tag{{Key: aws.String("aws:a"), Value: aws.String("b")}}, "InvalidParameterException"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := f.client.TagResource(f.ctx, &awsecs.TagResourceInput{ResourceArn: aws.String(tt.arn), Tags: tt.tags})
			localcloudtest.WantCode(t, err, tt.code)
		})
	}
}

func TestAccountSettings(t *testing.T) {
	f := start(t)
	effective, err := f.client.ListAccountSettings(f.ctx, &awsecs.ListAccountSettingsInput{Name: types.SettingNameContainerInsights, EffectiveSettings: true})
	localcloudtest.WantCode(t, err, "")
	if len(effective.Settings) != 1 || aws.ToString(effective.Settings[0].Value) != "disabled" {
		t.Fatalf("effective containerInsights = %+v", effective.Settings)
	}
	put, err := f.client.PutAccountSettingDefault(f.ctx, &awsecs.PutAccountSettingDefaultInput{Name: types.SettingNameContainerInsights, Value: aws.String("enabled")})
	localcloudtest.WantCode(t, err, "")
	if aws.ToString(put.Setting.PrincipalArn) != "arn:aws:iam::000000000000:root" {
		t.Errorf("principal = %s", aws.ToString(put.Setting.PrincipalArn))
	}
	explicit, err := f.client.ListAccountSettings(f.ctx, &awsecs.ListAccountSettingsInput{})
	localcloudtest.WantCode(t, err, "")
	if len(explicit.Settings) != 1 || aws.ToString(explicit.Settings[0].Value) != "enabled" {
		t.Errorf("explicit settings = %+v", explicit.Settings)
	}
	_, err = f.client.PutAccountSetting(f.ctx, &awsecs.PutAccountSettingInput{Name: types.SettingName("bogus"), Value: aws.String("x")})
	localcloudtest.WantCode(t, err, "InvalidParameterException")

	var all []types.Setting
	paginator := awsecs.NewListAccountSettingsPaginator(f.client, &awsecs.ListAccountSettingsInput{EffectiveSettings: true, MaxResults: 5})
	for paginator.HasMorePages() {
		out, err := paginator.NextPage(f.ctx)
		localcloudtest.WantCode(t, err, "")
		all = append(all, out.Settings...)
	}
	if len(all) != len(ecs.AccountSettingDefaults) {
		t.Errorf("paged %d effective settings, want %d", len(all), len(ecs.AccountSettingDefaults))
	}
}
