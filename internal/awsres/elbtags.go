package awsres

import (
	"github.com/aws/aws-sdk-go-v2/aws"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
)

func (m Meta) elbTags() []elbtypes.Tag {
	var tags []elbtypes.Tag
	for _, kv := range m.tags() {
		tags = append(tags, elbtypes.Tag{Key: aws.String(kv.Key), Value: aws.String(kv.Value)})
	}
	return tags
}
