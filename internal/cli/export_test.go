package cli_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// berth export terraform writes HCL that terraform fmt accepts as it is
// (providers cannot be downloaded here, so terraform validate cannot run),
// whose references point at exported resources, and that matches its
// golden file (-update rewrites it).
func TestExportTerraform(t *testing.T) {
	terraform, err := exec.LookPath("terraform")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("terraform not on PATH: %v", err)
		}
		t.Skipf("terraform not on PATH: %v", err)
	}
	out, errOut, err := berth(t, "http://127.0.0.1:1", "export", "terraform", "-f", exampleSpec)
	if err != nil {
		t.Fatalf("export terraform: %v\n%s", err, errOut)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "main.tf"), []byte(out), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(terraform, "fmt", "-check", "-diff", dir)
	cmd.Env = append(os.Environ(), "TF_CLI_CONFIG_FILE=/dev/null")
	if fmtOut, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("terraform fmt -check rejects the export: %v\n%s", err, fmtOut)
	}
	for _, want := range []string{
		`resource "aws_ecs_service" "app" {`,
		"task_definition                    = aws_ecs_task_definition.app.arn",
		"target_group_arn = aws_lb_target_group.app.arn",
		`resource "aws_vpc_security_group_ingress_rule" "service_ingress_alb" {`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the export lacks %q", want)
		}
	}
	if strings.Contains(out, "not exported\n") || strings.Contains(out, `"" # `) {
		t.Errorf("the export refers to a resource it does not export:\n%s", out)
	}
	golden := filepath.Join("testdata", "export-example.tf.golden")
	if *update {
		if err := os.WriteFile(golden, []byte(out), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if out != string(want) {
		t.Errorf("the export differs from %s (run with -update after checking it):\n%s", golden, out)
	}
}
