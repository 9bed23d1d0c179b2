package cli_test

import (
	"strings"
	"testing"

	"github.com/berthdev/berth/internal/localcloud/localcloudtest"
)

// doctor against the local cloud: credentials, region, quotas and the
// default VPC pass; against an endpoint that does not answer, the
// credentials check fails with its fix and the command exits non-zero.
func TestDoctor(t *testing.T) {
	cloud := localcloudtest.Start(t)
	out, _, err := berth(t, cloud.Endpoint, "doctor", "-f", exampleSpec)
	if err != nil {
		t.Fatalf("doctor against the local cloud: %v\n%s", err, out)
	}
	for _, want := range []string{
		"ok    credentials: account 000000000000",
		"ok    region: us-east-1, zones us-east-1a, us-east-1b",
		"ok    quota: application load balancers: 0 in use of",
		"ok    quota: elastic IP addresses: 0 in use of 5, the stack needs 1",
		"ok    default VPC: vpc-",
		"port 127.0.0.1:4566: not needed: the endpoint is " + cloud.Endpoint,
		"  docker: ",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("doctor does not say %q:\n%s", want, out)
		}
	}

	out, _, err = berth(t, "http://"+freeAddr(t), "doctor", "-f", exampleSpec)
	if err == nil {
		t.Fatalf("doctor against a closed port passed:\n%s", out)
	}
	if !strings.Contains(out, "FAIL  credentials: STS GetCallerIdentity failed") || !strings.Contains(out, "fix: configure credentials") {
		t.Errorf("doctor does not show the failed credentials check with its fix:\n%s", out)
	}
}
