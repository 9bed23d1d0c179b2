// Package sts is the local cloud's Security Token Service: who the caller is.
// Every credential maps to the local cloud's one account, as the root user,
// so tools that start with GetCallerIdentity (Terraform, the deployer) learn
// the account id that ARNs carry.
package sts

import (
	"context"

	"github.com/berthdev/berth/internal/localcloud/protocol"
	"github.com/berthdev/berth/internal/localcloud/protocol/query"
	"github.com/berthdev/berth/internal/localcloud/store"
)

// Service returns STS's operation table.
func Service() *protocol.Service {
	return &protocol.Service{
		SigningName: "sts",
		Version:     "2011-06-15",
		Codec:       query.Codec{Namespace: "https://sts.amazonaws.com/doc/2011-06-15/"},
		Operations: []protocol.Operation{
			protocol.Op("GetCallerIdentity", getCallerIdentity),
		},
	}
}

type getCallerIdentityInput struct{}

type getCallerIdentityOutput struct {
	UserID  string `xml:"UserId"`
	Account string `xml:"Account"`
	Arn     string `xml:"Arn"`
}

func getCallerIdentity(ctx context.Context, _ *getCallerIdentityInput) (*getCallerIdentityOutput, error) {
	scope, ok := store.ScopeFrom(ctx)
	if !ok {
		return nil, protocol.InternalError(store.ErrNoScope)
	}
	return &getCallerIdentityOutput{
		UserID:  scope.Account,
		Account: scope.Account,
		Arn:     scope.Global().ARN("iam", "root"),
	}, nil
}
