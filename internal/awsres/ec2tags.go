package awsres

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/berthdev/berth/internal/engine"
)

// ec2Tags are the berth tags plus a Name tag, which the EC2 console shows.
func (m Meta) ec2Tags(name string) []ec2types.Tag {
	tags := []ec2types.Tag{{Key: aws.String("Name"), Value: aws.String(name)}}
	for _, kv := range m.tags() {
		tags = append(tags, ec2types.Tag{Key: aws.String(kv.Key), Value: aws.String(kv.Value)})
	}
	return tags
}

func (m Meta) ec2TagSpec(resourceType ec2types.ResourceType, name string) []ec2types.TagSpecification {
	return []ec2types.TagSpecification{{ResourceType: resourceType, Tags: m.ec2Tags(name)}}
}

// ec2Filters select the object tagged as this resource of this stack.
func (m Meta) ec2Filters() []ec2types.Filter {
	return []ec2types.Filter{
		{Name: aws.String("tag:" + TagStack), Values: []string{m.Stack}},
		{Name: aws.String("tag:" + TagResource), Values: []string{string(m.Address)}},
	}
}

// ec2Name is the Name tag for objects that have no name of their own.
func (m Meta) ec2Name() string {
	return m.Stack + "-" + m.Address.Name()
}

// taggedAs reports whether tags mark this resource of this stack. Lookups
// filter by tag already; this also holds where an endpoint ignores a
// filter (moto does for NAT gateways).
func (m Meta) taggedAs(tags []ec2types.Tag) bool {
	found := 0
	for _, t := range tags {
		switch aws.ToString(t.Key) {
		case TagStack:
			if aws.ToString(t.Value) == m.Stack {
				found++
			}
		case TagResource:
			if aws.ToString(t.Value) == string(m.Address) {
				found++
			}
		}
	}
	return found == 2
}

// dropDuplicates deletes every object tagged as this resource except keep,
// the one a create has just answered with. CreateVpc,
// CreateInternetGateway and AllocateAddress take no client token, so when
// the answer to one is lost (the connection drops after EC2 acted), the
// SDK's retry makes a second object; the first is found here by its tags,
// read by tagged as Observe reads them.
func dropDuplicates[T any](ctx context.Context, c *engine.Clients, keep string,
	tagged func(context.Context, *engine.Clients) ([]T, error), id func(T) *string,
	del func(context.Context, *engine.Clients, string) error) error {
	objects, err := tagged(ctx, c)
	if err != nil {
		return err
	}
	for _, o := range objects {
		if other := aws.ToString(id(o)); other != keep {
			if err := del(ctx, c, other); err != nil {
				return fmt.Errorf("delete %s, made twice by a retried create: %w", other, err)
			}
		}
	}
	return nil
}
