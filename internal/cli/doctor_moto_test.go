package cli_test

import (
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/berthdev/berth/internal/deploytest"
	"github.com/berthdev/berth/internal/localcloud/localcloudtest"
)

// doctorOn builds the write-up's stack by hand with the SDK on endpoint,
// in eu-west-1, and returns berth doctor's findings of it, one line each,
// with the ids the endpoint chose replaced by their kind.
func doctorOn(t *testing.T, endpoint string) []string {
	t.Helper()
	cfg := deploytest.ConfigFor(endpoint)
	cfg.Region = "eu-west-1"
	buildWriteupStack(t, cfg)
	out, _, err := berth(t, endpoint, "doctor", "--cluster", "MyCluster", "--service", "fastapi-service", "--region", "eu-west-1")
	if err == nil {
		t.Errorf("doctor passed the write-up's stack on %s:\n%s", endpoint, out)
	}
	ids := regexp.MustCompile(`\b(sg|subnet|vpc|nat|igw|rtb|vpce|i)-[0-9a-f]+\b`)
	var lines []string
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, "ok  ") || strings.HasPrefix(line, "FAIL") || strings.HasPrefix(line, "warn") || strings.HasPrefix(line, "      fix:") {
			lines = append(lines, ids.ReplaceAllString(line, "$1-ID"))
		}
	}
	return lines
}

// berth doctor reads the write-up's stack the same on moto_server, an
// emulator berth does not control, as on the local cloud: the same
// findings with the same fixes, but for these documented differences.
// moto's CreateService ignores capacityProviderStrategy and no ECS agent
// registers moto's instances, so doctor finds no instances behind the
// service there: the instances' exposure, the fit, the tasks per instance
// and the instances' routes are checked on the local cloud only. The
// account is each endpoint's own.
func TestDoctorOnMotoMatchesTheLocalCloud(t *testing.T) {
	moto := deploytest.FromEnv(deploytest.Moto)(t)
	local := localcloudtest.StartControlPlane(t).Endpoint
	onMoto, onLocal := doctorOn(t, moto), doctorOn(t, local)
	instancesOnly := []string{"FAIL  exposure: ports 80 and 9000 open to 0.0.0.0/0 on the instances", "      fix: revoke them:",
		"ok    fit:", "warn  tasks per instance:", "      fix: allow 4 instances", "ok    reach: the instances"}
	differs := func(l string) bool {
		return strings.HasPrefix(l, "ok    credentials: account ") ||
			slices.ContainsFunc(instancesOnly, func(p string) bool { return strings.HasPrefix(l, p) })
	}
	for _, l := range onMoto {
		if !differs(l) && !slices.Contains(onLocal, l) {
			t.Errorf("only on moto: %s", l)
		}
	}
	for _, l := range onLocal {
		if !differs(l) && !slices.Contains(onMoto, l) {
			t.Errorf("only on the local cloud: %s", l)
		}
	}
	// The findings that decide the write-up's deploy are on both.
	for _, want := range []string{"warn  health check: target group TestTargetGroup checks / ", "warn  ports: target group TestTargetGroup says port 80",
		"ok    security groups: ApplicationLoadBalancerSG sg-ID → ECS-SERVICE-SG sg-ID on port 9000", "FAIL  image: "} {
		if !slices.ContainsFunc(onMoto, func(l string) bool { return strings.HasPrefix(l, want) }) {
			t.Errorf("moto's findings lack %q:\n%s", want, strings.Join(onMoto, "\n"))
		}
	}
	// What moto cannot show must still be found where it can be.
	for _, want := range instancesOnly[:1] {
		if !slices.ContainsFunc(onLocal, func(l string) bool { return strings.HasPrefix(l, want) }) {
			t.Errorf("the local cloud's findings lack %q", want)
		}
	}
}
