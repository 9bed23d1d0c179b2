package ec2_test

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsec2 "github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// DeleteTags removes a Tag without a Value whatever its value, and one
// with Value "" only where the value is ""; DescribeTags answers an empty
// value as "", not as no value.
func TestDeleteTagsTellsNoValueFromAnEmptyOne(t *testing.T) {
	c := start(t).client
	vpcID, _ := network(t, c)
	must[*awsec2.CreateTagsOutput](t)(c.CreateTags(ctx, &awsec2.CreateTagsInput{Resources: []string{vpcID}, Tags: []types.Tag{
		{Key: aws.String("env"), Value: aws.String("dev")}, {Key: aws.String("blank"), Value: aws.String("")},
		{Key: aws.String("team"), Value: aws.String("web")}}}))
	must[*awsec2.DeleteTagsOutput](t)(c.DeleteTags(ctx, &awsec2.DeleteTagsInput{Resources: []string{vpcID}, Tags: []types.Tag{
		{Key: aws.String("env"), Value: aws.String("")}, {Key: aws.String("team")}}}))
	out := must[*awsec2.DescribeTagsOutput](t)(c.DescribeTags(ctx, &awsec2.DescribeTagsInput{Filters: []types.Filter{filter("resource-id", vpcID)}}))
	got := map[string]*string{}
	for _, tag := range out.Tags {
		got[aws.ToString(tag.Key)] = tag.Value
	}
	if len(got) != 2 || aws.ToString(got["env"]) != "dev" || got["blank"] == nil || *got["blank"] != "" {
		t.Fatalf("tags after DeleteTags: %+v", out.Tags)
	}
	must[*awsec2.DeleteTagsOutput](t)(c.DeleteTags(ctx, &awsec2.DeleteTagsInput{Resources: []string{vpcID}, Tags: []types.Tag{
		{Key: aws.String("blank"), Value: aws.String("")}}}))
	out = must[*awsec2.DescribeTagsOutput](t)(c.DescribeTags(ctx, &awsec2.DescribeTagsInput{Filters: []types.Filter{filter("resource-id", vpcID)}}))
	if len(out.Tags) != 1 || aws.ToString(out.Tags[0].Key) != "env" {
		t.Fatalf("tags after deleting blank=\"\": %+v", out.Tags)
	}
}
