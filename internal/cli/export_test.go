package cli_test

import (
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
// accepts as it is, whose every reference names a block it declares, and
// that matches its golden file (-update rewrites them).
func TestExportTerraform(t *testing.T) {
	terraform, err := exec.LookPath("terraform")
	if err != nil {
		t.Fatalf("terraform not on PATH: %v", err)
	}
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
