package localcloud

import "testing"

// The hand-written scan of the Authorization header finds the scope where
// the SDKs, the CLI and presigners put it, and nothing in a header that
// only looks like one.
func TestCredentialScope(t *testing.T) {
	for _, tc := range []struct {
		header, region, service string
	}{
		{"AWS4-HMAC-SHA256 Credential=AKID/20261202/eu-west-1/ecs/aws4_request, SignedHeaders=host;x-amz-date, Signature=abc", "eu-west-1", "ecs"},
		{"AWS4-HMAC-SHA256 Credential=AKID/20261202/us-east-1/elasticloadbalancing/aws4_request,SignedHeaders=host", "us-east-1", "elasticloadbalancing"},
		{"AWS4-HMAC-SHA256 Credential=bad, Credential=AKID/20261202/ap-south-1/sts/aws4_request", "ap-south-1", "sts"},
		{"AWS4-HMAC-SHA256 Credential=AKID/2026120/us-east-1/ecs/aws4_request", "", ""},
		{"AWS4-HMAC-SHA256 Credential=AKID/20261202//ecs/aws4_request", "", ""},
		{"AWS4-HMAC-SHA256 Credential=/20261202/us-east-1/ecs/aws4_request", "", ""},
		{"AWS4-HMAC-SHA256 Credential=AKID/20261202/us-east-1/ecs/aws4", "", ""},
		{"AWS4-HMAC-SHA256 Credential=AKID/20261202/us east-1/ecs/aws4_request", "", ""},
		{"", "", ""},
	} {
		region, service, _ := credentialScope(tc.header)
		if region != tc.region || service != tc.service {
			t.Errorf("credentialScope(%q) = %q, %q; want %q, %q", tc.header, region, service, tc.region, tc.service)
		}
	}
}
