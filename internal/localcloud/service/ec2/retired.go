package ec2

import (
	"context"

	"github.com/berthdev/berth/internal/localcloud/protocol"
	"github.com/berthdev/berth/internal/localcloud/service/ec2/wire"
)

// EC2-Classic was retired in 2023; AWS still knows the operations that
// served it and answers each of them UnsupportedOperation, "The
// functionality you requested is not available in this region." Tools
// depend on that exact answer: Ansible's ec2_vpc_net calls
// DescribeVpcClassicLink first and tolerates only that message, Terraform's
// provider skips ClassicLink on it.
var retiredOperations = []string{
	"DescribeVpcClassicLink",
	"DescribeVpcClassicLinkDnsSupport",
	"EnableVpcClassicLink",
	"DisableVpcClassicLink",
	"EnableVpcClassicLinkDnsSupport",
	"DisableVpcClassicLinkDnsSupport",
	"AttachClassicLinkVpc",
	"DetachClassicLinkVpc",
	"DescribeClassicLinkInstances",
	"MoveAddressToVpc",
	"RestoreAddressToClassic",
}

// retiredInput accepts whatever the retired operations were sent: none of
// it is read.
type retiredInput struct{}

func retiredOperation(name string) protocol.Operation {
	return protocol.Op(name, func(context.Context, *retiredInput) (*wire.Return, error) {
		return nil, errorf(codeUnsupportedOperation, "The functionality you requested is not available in this region.")
	})
}
