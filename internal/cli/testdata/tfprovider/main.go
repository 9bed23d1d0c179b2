// Command terraform-provider-aws is a test-only stand-in for the
// hashicorp/aws provider: it serves, over Terraform's plugin protocol
// (version 5, as the real provider does), the schemas of the resource and
// data-source types that `berth export terraform` writes, so that
// `terraform validate` can check the export on a machine that cannot
// download providers.
//
// The schemas are a SUBSET, written by hand from the real provider's
// published schema (terraform-provider-aws v6, internal/service/<svc>/):
// only the types the export uses, and in each only the arguments and
// blocks the export writes, the ones the real provider requires, and the
// computed attributes the export refers to. Names, kinds (string, number,
// bool, list, set, map), required/optional/computed and block nesting
// follow the real provider; descriptions, validators, defaults and
// everything the export does not touch are left out. It answers nothing but
// schemas and validation: plan and apply are not implemented.
//
// It is its own Go module so that the plugin protocol's dependencies stay
// out of berth's go.mod.
package main

import (
	"context"
	"log"

	"github.com/hashicorp/terraform-plugin-go/tfprotov5"
	"github.com/hashicorp/terraform-plugin-go/tfprotov5/tf5server"
)

func main() {
	err := tf5server.Serve("registry.terraform.io/hashicorp/aws", func() tfprotov5.ProviderServer { return &server{} })
	if err != nil {
		log.Fatal(err)
	}
}

// server implements the RPCs `terraform validate` makes. The embedded
// interface is nil: any other RPC fails loudly, which is what a test that
// strays past validation should see.
type server struct {
	tfprotov5.ProviderServer
}

func (*server) GetMetadata(context.Context, *tfprotov5.GetMetadataRequest) (*tfprotov5.GetMetadataResponse, error) {
	resp := &tfprotov5.GetMetadataResponse{}
	for name := range resourceSchemas() {
		resp.Resources = append(resp.Resources, tfprotov5.ResourceMetadata{TypeName: name})
	}
	for name := range dataSourceSchemas() {
		resp.DataSources = append(resp.DataSources, tfprotov5.DataSourceMetadata{TypeName: name})
	}
	return resp, nil
}

func (*server) GetProviderSchema(context.Context, *tfprotov5.GetProviderSchemaRequest) (*tfprotov5.GetProviderSchemaResponse, error) {
	return &tfprotov5.GetProviderSchemaResponse{
		Provider:                 providerSchema(),
		ResourceSchemas:          resourceSchemas(),
		DataSourceSchemas:        dataSourceSchemas(),
		Functions:                map[string]*tfprotov5.Function{},
		EphemeralResourceSchemas: map[string]*tfprotov5.Schema{},
	}, nil
}

func (*server) GetResourceIdentitySchemas(context.Context, *tfprotov5.GetResourceIdentitySchemasRequest) (*tfprotov5.GetResourceIdentitySchemasResponse, error) {
	return &tfprotov5.GetResourceIdentitySchemasResponse{}, nil
}

func (*server) PrepareProviderConfig(_ context.Context, req *tfprotov5.PrepareProviderConfigRequest) (*tfprotov5.PrepareProviderConfigResponse, error) {
	return &tfprotov5.PrepareProviderConfigResponse{PreparedConfig: req.Config}, nil
}

func (*server) ValidateResourceTypeConfig(context.Context, *tfprotov5.ValidateResourceTypeConfigRequest) (*tfprotov5.ValidateResourceTypeConfigResponse, error) {
	return &tfprotov5.ValidateResourceTypeConfigResponse{}, nil
}

func (*server) ValidateDataSourceConfig(context.Context, *tfprotov5.ValidateDataSourceConfigRequest) (*tfprotov5.ValidateDataSourceConfigResponse, error) {
	return &tfprotov5.ValidateDataSourceConfigResponse{}, nil
}

func (*server) StopProvider(context.Context, *tfprotov5.StopProviderRequest) (*tfprotov5.StopProviderResponse, error) {
	return &tfprotov5.StopProviderResponse{}, nil
}
