package localcloud_test

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/berthdev/berth/internal/localcloud/localcloudtest"
)

// TestBoto3BuildsAndTearsDownTheWriteUpsStack runs a user's boto3 script
// (Debian's python3-boto3, which make test installs) against the local
// cloud, in a region the example never uses: the write-up's stack built
// with paginators, waiters and error codes as boto3 sees them, then torn
// down to nothing.
func TestBoto3BuildsAndTearsDownTheWriteUpsStack(t *testing.T) {
	const python = "/usr/bin/python3"
	if err := exec.Command(python, "-c", "import boto3").Run(); err != nil {
		t.Fatalf("Debian's python3-boto3 is needed (make test installs it): %v", err)
	}
	cloud := localcloudtest.Start(t)
	out, err := exec.Command(python, "testdata/boto3_walkthrough.py", cloud.Endpoint, "ap-southeast-2").CombinedOutput()
	if err != nil {
		t.Fatalf("boto3 walkthrough: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "walkthrough done in ap-southeast-2") {
		t.Fatalf("the walkthrough did not finish:\n%s", out)
	}
}
