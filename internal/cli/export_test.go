package cli_test

import (
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"

	"github.com/berthdev/berth/internal/engine"
	"github.com/berthdev/berth/internal/export"
	"github.com/berthdev/berth/internal/spec"
	"github.com/berthdev/berth/internal/stack"
)

// exportVariants are the stacks whose Terraform has a golden file: the
// example (EC2 in a new VPC with private subnets and NAT, autoscaling) and
// one per other branch of the stack's parts.
var exportVariants = []struct{ name, spec string }{
	{"example", exampleSpec},
	{"ec2-existing-vpc", filepath.Join("testdata", "export-ec2-existing-vpc.yaml")},
	{"fargate", filepath.Join("testdata", "export-fargate.yaml")},
	{"https-autoscaling", filepath.Join("testdata", "export-https-autoscaling.yaml")},
	{"fargate-default-vpc", filepath.Join("testdata", "export-fargate-default-vpc.yaml")},
	{"existing-vpc-variables", filepath.Join("testdata", "export-existing-vpc-variables.yaml")},
}

// berth export terraform writes, for each variant, HCL that terraform fmt
// accepts as it is, that terraform validate accepts against the schemas of
// the hashicorp/aws types it uses, whose every reference names a block it
// declares, and that matches its golden file (-update rewrites them).
func TestExportTerraform(t *testing.T) {
	terraform, err := exec.LookPath("terraform")
	if err != nil {
		t.Fatalf("terraform not on PATH: %v", err)
	}
	cliConfig := buildSchemaProvider(t)
	t.Run("validate-rejects-wrong-arguments", func(t *testing.T) { checkSchemaProviderRejects(t, terraform, cliConfig) })
	for _, v := range exportVariants {
		t.Run(v.name, func(t *testing.T) {
			out, errOut, err := berth(t, "http://127.0.0.1:1", "export", "terraform", "-f", v.spec)
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
			validate(t, terraform, cliConfig, dir)
			checkReferences(t, out)
			golden := filepath.Join("testdata", "export-"+v.name+".tf.golden")
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
		})
	}
}

// buildSchemaProvider builds testdata/tfprovider, the test-only stand-in
// for hashicorp/aws that serves the schemas of the types the export uses
// (providers cannot be downloaded here), and returns a Terraform CLI
// configuration whose dev_overrides make terraform run it. Built once for
// all the variants; a second run takes it from Go's build cache.
func buildSchemaProvider(t *testing.T) string {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("go not on PATH (the test builds its Terraform provider with it): %v", err)
	}
	dir := t.TempDir()
	cmd := exec.Command(goTool, "build", "-o", filepath.Join(dir, "terraform-provider-aws"), ".")
	cmd.Dir = filepath.Join("testdata", "tfprovider")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building the test provider: %v\n%s", err, out)
	}
	config := filepath.Join(dir, "terraform.rc")
	// With dev_overrides terraform validate runs the provider from dir
	// without terraform init, so nothing is looked up in a registry.
	rc := fmt.Sprintf("provider_installation {\n  dev_overrides {\n    \"hashicorp/aws\" = %q\n  }\n  direct {}\n}\n", dir)
	if err := os.WriteFile(config, []byte(rc), 0o644); err != nil {
		t.Fatal(err)
	}
	return config
}

// validate runs terraform validate on the configuration in dir and fails
// with its diagnostics unless it is valid.
func validate(t *testing.T, terraform, cliConfig, dir string) {
	t.Helper()
	for _, problem := range validateProblems(t, terraform, cliConfig, dir) {
		t.Errorf("terraform validate: %s", problem)
	}
}

// validateProblems runs terraform validate on the configuration in dir and
// returns its diagnostics when it finds the configuration invalid.
func validateProblems(t *testing.T, terraform, cliConfig, dir string) []string {
	t.Helper()
	cmd := exec.Command(terraform, "validate", "-json", "-no-color")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "TF_CLI_CONFIG_FILE="+cliConfig, "TF_IN_AUTOMATION=1")
	out, runErr := cmd.Output()
	var result struct {
		Valid       bool `json:"valid"`
		Diagnostics []struct {
			Severity string `json:"severity"`
			Summary  string `json:"summary"`
			Detail   string `json:"detail"`
			Range    *struct {
				Start struct {
					Line int `json:"line"`
				} `json:"start"`
			} `json:"range"`
		} `json:"diagnostics"`
	}
	if err := json.Unmarshal(out, &result); err != nil {
		var stderr []byte
		if exitErr, ok := runErr.(*exec.ExitError); ok {
			stderr = exitErr.Stderr
		}
		t.Fatalf("terraform validate: %v, %v\n%s%s", runErr, err, out, stderr)
	}
	if result.Valid {
		return nil
	}
	problems := []string{}
	for _, d := range result.Diagnostics {
		line := 0
		if d.Range != nil {
			line = d.Range.Start.Line
		}
		problems = append(problems, fmt.Sprintf("main.tf:%d: %s: %s: %s", line, d.Severity, d.Summary, d.Detail))
	}
	if len(problems) == 0 {
		problems = append(problems, "invalid, without a diagnostic:\n"+string(out))
	}
	return problems
}

// The test provider's schemas are not a blank cheque: terraform validate
// against them rejects a misspelt argument and a missing required one.
func checkSchemaProviderRejects(t *testing.T, terraform, cliConfig string) {
	dir := t.TempDir()
	config := `resource "aws_vpc" "main" {
  cidr_blok = "10.0.0.0/16"
}

resource "aws_subnet" "a" {
  cidr_block = "10.0.0.0/24"
}
`
	if err := os.WriteFile(filepath.Join(dir, "main.tf"), []byte(config), 0o644); err != nil {
		t.Fatal(err)
	}
	problems := strings.Join(validateProblems(t, terraform, cliConfig, dir), "\n")
	for _, want := range []string{`An argument named "cidr_blok" is not expected here`, `The argument "vpc_id" is required`} {
		if !strings.Contains(problems, want) {
			t.Errorf("terraform validate does not say %q; it says:\n%s", want, problems)
		}
	}
}

// checkReferences parses the configuration and fails on a reference to a
// resource, data source or variable it does not declare, and on a
// literal resource ID where a reference belongs.
func checkReferences(t *testing.T, src string) {
	t.Helper()
	file, diags := hclsyntax.ParseConfig([]byte(src), "main.tf", hcl.InitialPos)
	if diags.HasErrors() {
		t.Fatalf("the export does not parse: %s", diags.Error())
	}
	declared := map[string]bool{}
	body := file.Body.(*hclsyntax.Body)
	for _, b := range body.Blocks {
		switch b.Type {
		case "resource":
			declared[b.Labels[0]+"."+b.Labels[1]] = true
		case "data":
			declared["data."+b.Labels[0]+"."+b.Labels[1]] = true
		case "variable":
			declared["var."+b.Labels[0]] = true
		}
	}
	var walk func(b *hclsyntax.Body)
	walk = func(b *hclsyntax.Body) {
		for _, a := range b.Attributes {
			for _, tr := range a.Expr.Variables() {
				parts := []string{tr.RootName()}
				for _, step := range tr[1:] {
					if attr, ok := step.(hcl.TraverseAttr); ok {
						parts = append(parts, attr.Name)
					}
				}
				n := 2
				if parts[0] == "data" {
					n = 3
				}
				if len(parts) < n || !declared[strings.Join(parts[:n], ".")] {
					t.Errorf("%s: %s refers to %s, which the export does not declare", a.SrcRange, a.Name, strings.Join(parts, "."))
				}
			}
		}
		for _, nested := range b.Blocks {
			// lifecycle names the block's own arguments, a variable's
			// type is a type expression: neither refers to anything.
			if nested.Type != "lifecycle" && nested.Type != "variable" {
				walk(nested.Body)
			}
		}
	}
	walk(body)
	// berth.yaml's own IDs (an existing VPC's, its subnets') may appear;
	// IDs of what the stack creates may not.
	for _, literal := range []string{`"sg-`, `"igw-`, `"nat-`, `"eipalloc-`, `"lt-`, `"rtb-`} {
		if strings.Contains(src, literal) {
			t.Errorf("the export holds a literal ID (%s...) where a reference belongs", literal)
		}
	}
}

// Every kind of resource the stack graph holds, in any variant and
// wanted or not, has a Terraform mapping: a new kind in internal/stack
// fails here until the export renders it.
func TestEveryKindIsMapped(t *testing.T) {
	kinds := map[string]bool{}
	for _, v := range exportVariants {
		s, err := spec.Load(v.spec)
		if err != nil {
			t.Fatal(err)
		}
		resources, err := stack.Build(s)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range resources {
			kinds[r.Addr().Kind()] = true
		}
	}
	for _, addr := range []engine.Addr{stack.AddrRepository, stack.AddrCertificate, stack.AddrGivenCertificate, stack.AddrNATGatewayB,
		stack.AddrDefaultNetwork, stack.AddrExistingNetwork, stack.AddrAutoScalingGroup, stack.AddrScalableTarget, stack.AddrRequestsPolicy} {
		if !kinds[addr.Kind()] {
			t.Errorf("no variant builds a %s: the test no longer sees every kind", addr.Kind())
		}
	}
	for _, k := range slices.Sorted(maps.Keys(kinds)) {
		if !export.Mapped(k) {
			t.Errorf("kind %s has no Terraform mapping in internal/export", k)
		}
	}
}
