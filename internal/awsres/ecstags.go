package awsres

import (
	"github.com/aws/aws-sdk-go-v2/aws"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

func (m Meta) ecsTags() []ecstypes.Tag {
	var tags []ecstypes.Tag
	for _, kv := range m.tags() {
		tags = append(tags, ecstypes.Tag{Key: aws.String(kv.Key), Value: aws.String(kv.Value)})
	}
	return tags
}
