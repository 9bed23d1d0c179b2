package main

import (
	"fmt"

	"github.com/berthdev/berth/internal/localcloud/model"
)

// supplements are response members that AWS added after the botocore
// release the models come from, which the current SDKs (go.mod's) already
// read; the local cloud answers them, so the generated shapes carry them.
// Each names the SDK module whose model has it; drop an entry once
// botocore's model has the member (the generator then fails on it, so
// that the entry is noticed).
var supplements = map[string]map[string]map[string]model.Member{ // model → shape → member
	// aws-sdk-go-v2/service/sts v1.52.0: the session token's size and
	// the share of its room the packed policies use.
	"sts": {
		"AssumeRoleResponse": {
			"SessionTokenSize":        {Shape: "nonNegativeIntegerType"},
			"SessionTokenUtilization": {Shape: "nonNegativeIntegerType"},
		},
		"AssumeRoleWithWebIdentityResponse": {
			"SessionTokenSize":        {Shape: "nonNegativeIntegerType"},
			"SessionTokenUtilization": {Shape: "nonNegativeIntegerType"},
		},
	},
}

// supplement adds the model's supplements to svc's shapes.
func supplement(svc *model.Service) error {
	for shapeName, members := range supplements[svc.Name] {
		shape := svc.Shapes[shapeName]
		if shape == nil || shape.Type != "structure" {
			return fmt.Errorf("%s: supplemented shape %s is not a structure of the model", svc.Name, shapeName)
		}
		for name, ref := range members {
			if _, ok := shape.Members[name]; ok {
				return fmt.Errorf("%s: %s.%s is in the model now: drop its supplement", svc.Name, shapeName, name)
			}
			if svc.Shapes[ref.Shape] == nil {
				return fmt.Errorf("%s: supplement %s.%s names shape %s, which the model lacks", svc.Name, shapeName, name, ref.Shape)
			}
			shape.Members[name] = &ref
		}
	}
	return nil
}

// presence lists the string members whose absence means something else
// than an empty value, by model and "Shape.Member": they are generated as
// *string, so that a handler can tell "leave it" from "clear it".
var presence = map[string]map[string]bool{
	"iam": {"UpdateRoleRequest.Description": true}, // "" clears the description
	// An overwrite with "" clears the description or the pattern.
	"ssm": {"PutParameterRequest.Description": true, "PutParameterRequest.AllowedPattern": true},
	// A tag without a Value differs from one with "": RemoveTagsFromCertificate
	// removes the first whatever its value, the second only if it is "".
	"acm": {"Tag.Value": true},
	// UpdateSecret changes only what it is given; "" clears a description,
	// a key id (back to the AWS managed key) or a type.
	"secretsmanager": {
		"UpdateSecretRequest.Description": true, "UpdateSecretRequest.KmsKeyId": true, "UpdateSecretRequest.Type": true,
	},
	// A dimension filter without a value matches any value.
	"cloudwatch": {"DimensionFilter.Value": true},
	// DeleteTags removes a Tag without a Value whatever its value, one
	// with Value "" only if it is "".
	"ec2": {"Tag.Value": true},
}

// written lists optional string members that AWS writes even when empty,
// by model and "Shape.Member", as it writes required ones: the generated
// field has no omitempty.
var written = map[string]map[string]bool{
	"ec2": {
		"Tag.Value": true, // <value/>: boto3 callers read tag["Value"]
		// DescribeTags' <value/>, as a resource's tagSet writes it.
		"TagDescription.Value": true,
		// <description/>: an interface made without one answers it empty.
		"NetworkInterface.Description": true,
		// An instance answers <dnsName/>, <reason/> and <clientToken/>
		// (and, terminated, <privateDnsName/>) empty, its placement an
		// empty <groupName/> and its interfaces an empty <description/>.
		"Instance.PublicDnsName": true, "Instance.PrivateDnsName": true, "Instance.StateTransitionReason": true,
		"Instance.ClientToken": true, "Placement.GroupName": true, "InstanceNetworkInterface.Description": true,
	},
}
