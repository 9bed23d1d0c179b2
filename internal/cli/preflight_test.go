package cli_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/ecs"

	"github.com/berthdev/berth/internal/localcloud/localcloudtest"
)

// berth deploy runs doctor's checks of berth.yaml first: a spec whose local
// process listens on another port than service.port (the one the health
// check probes) stops before anything is created, with the fix; the
// warning on the health path / prints and does not stop it; --skip-doctor
// deploys anyway.
func TestDeployRunsDoctorFirst(t *testing.T) {
	cloud := localcloudtest.Start(t)
	path := filepath.Join(t.TempDir(), "berth.yaml")
	yaml := `name: ledger-preflight
region: eu-west-1
service:
  image: ledger-preflight:1
  port: 8081
  count: 1
  health_check: {path: /, interval: 5, timeout: 2, healthy_threshold: 2}
capacity: {provider: fargate}
load_balancer: {public: true, port: 80}
local:
  command: [/usr/bin/python3, -m, uvicorn, main:app, --host, $HOST, --port, "9107"]
`
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	ecsc := ecs.NewFromConfig(cloud.ConfigIn("eu-west-1"))
	clusters := func() int {
		out, err := ecsc.ListClusters(context.Background(), &ecs.ListClustersInput{})
		if err != nil {
			t.Fatal(err)
		}
		return len(out.ClusterArns)
	}

	_, errOut, err := berth(t, cloud.Endpoint, "deploy", "--yes", "--no-wait", "-f", path)
	if err == nil || !strings.Contains(err.Error(), "--skip-doctor") {
		t.Fatalf("deploy with disagreeing ports: err = %v, want the doctor's refusal\n%s", err, errOut)
	}
	for _, want := range []string{
		"FAIL  ports: " + path + ": local.command listens on 9107, but service.port is 8081",
		"fix: make them agree: service.port: 9107, or local.command 8081",
		"warn  health check: target group",
	} {
		if !strings.Contains(errOut, want) {
			t.Errorf("standard error lacks %q:\n%s", want, errOut)
		}
	}
	if n := clusters(); n != 0 {
		t.Fatalf("the refused deploy created %d clusters in eu-west-1", n)
	}

	_, errOut, err = berth(t, cloud.Endpoint, "deploy", "--yes", "--no-wait", "--skip-doctor", "-f", path)
	if err != nil {
		t.Fatalf("deploy --skip-doctor: %v\n%s", err, errOut)
	}
	if !strings.Contains(errOut, "FAIL  ports:") || !strings.Contains(errOut, "Deploying anyway") {
		t.Errorf("--skip-doctor should still print the failure:\n%s", errOut)
	}
	if n := clusters(); n != 1 {
		t.Fatalf("deploy --skip-doctor left %d clusters, want 1", n)
	}
}
