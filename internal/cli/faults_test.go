package cli_test

import (
	"context"
	"fmt"
	"os/exec"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/berthdev/berth/internal/deploytest"
	"github.com/berthdev/berth/internal/localcloud/localcloudtest"
	"github.com/berthdev/berth/internal/localcloud/runtime"
)

// Through an endpoint that throttles, answers 503 or drops the connection
// on every Nth call, a deploy still converges (the SDK's retries and
// berth's own absorb the faults), the second deploy is a no-op, nothing
// was created twice, and a destroy through the same faults leaves nothing.
func TestDeployAndDestroyConvergeThroughFaults(t *testing.T) {
	python, err := exec.LookPath("python3")
	if err != nil {
		t.Fatalf("this test serves HTTP with python3: %v", err)
	}
	for _, every := range []int{3, 7} {
		t.Run(fmt.Sprintf("every %d calls", every), func(t *testing.T) {
			cloud := localcloudtest.Start(t)
			name := fmt.Sprintf("faulty%d", every)
			if err := cloud.PutImage(runtime.ProcessImage{
				Name: name + ":1", Dir: t.TempDir(), Command: []string{python, "-m", "http.server", "--bind", "$HOST", "9000"},
			}); err != nil {
				t.Fatal(err)
			}
			specFile := writeSpec(t, name, name+":1", []string{python}, t.TempDir())
			proxy := deploytest.StartFaultProxy(t, cloud.Endpoint, every)

			out, errOut, err := berth(t, proxy.URL, "deploy", "--yes", "-f", specFile)
			if err != nil {
				t.Fatalf("deploy through faults (%s): %v\n%s\n%s", proxy, err, out, errOut)
			}
			out, errOut, err = berth(t, proxy.URL, "deploy", "--yes", "-f", specFile)
			if err != nil || !strings.Contains(out, "No changes") {
				t.Fatalf("second deploy through faults (%s) is not a no-op: %v\n%s\n%s", proxy, err, out, errOut)
			}
			t.Logf("after two deploys: %s", proxy)
			for f, n := range map[deploytest.Fault]int{deploytest.Throttle: 0, deploytest.Unavailable: 0, deploytest.Reset: 0} {
				if got := proxy.Failed()[f]; got <= n {
					t.Errorf("the proxy failed %d calls with %s; the test proves nothing about it", got, f)
				}
			}
			assertNoDuplicates(t, cloud, name)
			assertTargetsHealthy(t, cloud.Config, 2)

			if out, errOut, err := berth(t, proxy.URL, "destroy", "--yes", "-f", specFile); err != nil {
				t.Fatalf("destroy through faults (%s): %v\n%s\n%s", proxy, err, out, errOut)
			}
			if left := taggedAs(t, cloud.Config, name); len(left) != 0 {
				t.Errorf("after a destroy through faults these are still tagged: %v", left)
			}
		})
	}
}

// assertNoDuplicates checks that each berth:resource address of the stack
// is on one EC2 object only: a retried create that made a second one would
// show here.
func assertNoDuplicates(t *testing.T, cloud *localcloudtest.Cloud, stack string) {
	t.Helper()
	out, err := ec2.NewFromConfig(cloud.Config).DescribeTags(context.Background(), &ec2.DescribeTagsInput{Filters: []ec2types.Filter{
		{Name: aws.String("key"), Values: []string{"berth:resource"}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	owners := map[string][]string{}
	for _, tag := range out.Tags {
		owners[aws.ToString(tag.Value)] = append(owners[aws.ToString(tag.Value)], aws.ToString(tag.ResourceId))
	}
	for addr, ids := range owners {
		if len(ids) > 1 && !strings.HasPrefix(addr, "autoscaling.group") { // instances of the group share its tags
			t.Errorf("%s exists %d times: %v", addr, len(ids), ids)
		}
	}
	if len(owners) == 0 {
		t.Errorf("no EC2 object of stack %s is tagged", stack)
	}
}

// Every call of a deploy and of a destroy fails once — its first attempt,
// reads and polls included — so each call is, in one run, the one call a
// fault-per-run test would fail: throttled, its connection reset before it
// reaches the endpoint, or carried out with its answer lost (the SDK then
// retries a call that has already happened: a second CreateVpc, "already
// exists", "already associated"). Each command converges when run again at
// most once, the second deploy is a no-op, nothing exists twice, and the
// destroy leaves nothing.
func TestEveryCallFailedOnceConverges(t *testing.T) {
	python, err := exec.LookPath("python3")
	if err != nil {
		t.Fatalf("this test serves HTTP with python3: %v", err)
	}
	every := func(string) bool { return true }
	for _, tc := range []struct {
		name  string
		fault deploytest.Fault
		which func(string) bool
	}{
		{"every call throttled once", deploytest.Throttle, every},
		{"every call reset once", deploytest.Reset, every},
		{"every answer lost once", deploytest.LostAnswer, every},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cloud := localcloudtest.Start(t)
			name := "once" + strings.ReplaceAll(tc.fault.String(), " ", "")
			if err := cloud.PutImage(runtime.ProcessImage{
				Name: name + ":1", Dir: t.TempDir(), Command: []string{python, "-m", "http.server", "--bind", "0.0.0.0", "9000"},
			}); err != nil {
				t.Fatal(err)
			}
			specFile := writeSpec(t, name, name+":1", []string{python}, t.TempDir())
			inRegion(t, specFile, "eu-west-1")
			proxy := deploytest.StartFaultProxy(t, cloud.Endpoint, 0)
			proxy.FailFirstAttempts(tc.fault, tc.which)

			// converge runs a command, and once more if it failed: a
			// fault may end a command with a clear error, but the
			// next run must finish the job.
			converge := func(args ...string) string {
				t.Helper()
				out, errOut, err := berth(t, proxy.URL, args...)
				if err != nil {
					t.Logf("%s failed once through the faults (%v); running it again", args[0], err)
					out, errOut, err = berth(t, proxy.URL, args...)
				}
				if err != nil {
					t.Fatalf("%s through faults (%s) does not converge: %v\n%s\n%s", args[0], proxy, err, out, errOut)
				}
				return out
			}
			converge("deploy", "--yes", "-f", specFile)
			if out := converge("deploy", "--yes", "-f", specFile); !strings.Contains(out, "No changes") {
				t.Errorf("the second deploy through faults is not a no-op:\n%s", out)
			}
			faulted := 0
			for op, n := range proxy.Operations() {
				if tc.which(op) {
					faulted += n
				}
			}
			t.Logf("after two deploys: %s; %d first attempts faulted over %d operations", proxy, faulted, len(proxy.Operations()))
			if proxy.Failed()[tc.fault] < 20 {
				t.Errorf("the proxy failed only %d calls with %s; the test proves little", proxy.Failed()[tc.fault], tc.fault)
			}
			regional := &localcloudtest.Cloud{Endpoint: cloud.Endpoint, Config: cloud.ConfigIn("eu-west-1")}
			assertNoDuplicates(t, regional, name)
			assertTargetsHealthy(t, regional.Config, 2)

			converge("destroy", "--yes", "-f", specFile)
			if left := taggedAs(t, cloud.ConfigIn("eu-west-1"), name); len(left) != 0 {
				t.Errorf("after a destroy through faults these are still tagged: %v", left)
			}
		})
	}
}
