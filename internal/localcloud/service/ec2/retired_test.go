package ec2_test

import (
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsec2 "github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/smithy-go"
)

func TestRetiredClassicOperations(t *testing.T) {
	c := start(t).client
	vpc, instance := aws.String("vpc-0123456789abcdef0"), aws.String("i-0123456789abcdef0")
	for _, tc := range []struct {
		name string
		call func() error
	}{
		{"DescribeVpcClassicLink", func() error {
			_, err := c.DescribeVpcClassicLink(ctx, &awsec2.DescribeVpcClassicLinkInput{VpcIds: []string{*vpc}})
			return err
		}},
		{"DescribeVpcClassicLinkDnsSupport", func() error {
			_, err := c.DescribeVpcClassicLinkDnsSupport(ctx, &awsec2.DescribeVpcClassicLinkDnsSupportInput{})
			return err
		}},
		{"EnableVpcClassicLink", func() error {
			_, err := c.EnableVpcClassicLink(ctx, &awsec2.EnableVpcClassicLinkInput{VpcId: vpc})
			return err
		}},
		{"DisableVpcClassicLink", func() error {
			_, err := c.DisableVpcClassicLink(ctx, &awsec2.DisableVpcClassicLinkInput{VpcId: vpc})
			return err
		}},
		{"EnableVpcClassicLinkDnsSupport", func() error {
			_, err := c.EnableVpcClassicLinkDnsSupport(ctx, &awsec2.EnableVpcClassicLinkDnsSupportInput{VpcId: vpc})
			return err
		}},
		{"DisableVpcClassicLinkDnsSupport", func() error {
			_, err := c.DisableVpcClassicLinkDnsSupport(ctx, &awsec2.DisableVpcClassicLinkDnsSupportInput{VpcId: vpc})
			return err
		}},
		{"AttachClassicLinkVpc", func() error {
			_, err := c.AttachClassicLinkVpc(ctx, &awsec2.AttachClassicLinkVpcInput{VpcId: vpc, InstanceId: instance, Groups: []string{"sg-0123456789abcdef0"}})
			return err
		}},
		{"DetachClassicLinkVpc", func() error {
			_, err := c.DetachClassicLinkVpc(ctx, &awsec2.DetachClassicLinkVpcInput{VpcId: vpc, InstanceId: instance})
			return err
		}},
		{"DescribeClassicLinkInstances", func() error {
			_, err := c.DescribeClassicLinkInstances(ctx, &awsec2.DescribeClassicLinkInstancesInput{})
			return err
		}},
		{"MoveAddressToVpc", func() error {
			_, err := c.MoveAddressToVpc(ctx, &awsec2.MoveAddressToVpcInput{PublicIp: aws.String("203.0.113.7")})
			return err
		}},
		{"RestoreAddressToClassic", func() error {
			_, err := c.RestoreAddressToClassic(ctx, &awsec2.RestoreAddressToClassicInput{PublicIp: aws.String("203.0.113.7")})
			return err
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var apiErr smithy.APIError
			if err := tc.call(); !errors.As(err, &apiErr) || apiErr.ErrorCode() != "UnsupportedOperation" ||
				apiErr.ErrorMessage() != "The functionality you requested is not available in this region." {
				t.Fatalf("got %v, want UnsupportedOperation: The functionality you requested is not available in this region.", err)
			}
		})
	}
}
