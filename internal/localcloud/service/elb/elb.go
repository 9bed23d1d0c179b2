// Package elb answers for Classic Load Balancing (the 2012-06-01 API that
// shares ELBv2's signing name): every one of its operations is known from
// AWS's model, and every call is told, in the query protocol its clients
// read, that berth serves Application Load Balancers only.
package elb

import (
	"github.com/berthdev/berth/internal/localcloud/protocol"
	"github.com/berthdev/berth/internal/localcloud/protocol/query"
)

// Service is Classic Load Balancing with no operation served.
func Service() *protocol.Service {
	return &protocol.Service{
		SigningName: "elasticloadbalancing",
		Version:     "2012-06-01",
		Codec:       query.Codec{Namespace: "http://elasticloadbalancing.amazonaws.com/doc/2012-06-01/"},
		NotServed: "berth local does not serve Classic Load Balancers (elasticloadbalancing API 2012-06-01); " +
			"use an Application Load Balancer through the elbv2 API (2015-12-01)",
	}
}
