// Package export renders a stack's resource graph, the one the deployer
// plans and applies, in another tool's format: Terraform HCL for the
// hashicorp/aws provider, one mapping per resource kind, references as
// Terraform references.
package export

import (
	"fmt"
	"io"
	"maps"
	"strings"

	"github.com/hashicorp/hcl/v2/hclwrite"

	"github.com/berthdev/berth/internal/awsres"
	"github.com/berthdev/berth/internal/engine"
	"github.com/berthdev/berth/internal/spec"
)

// ProviderVersion is the hashicorp/aws provider the export is written for:
// 6.0 renamed aws_region's name to region, which the task definition uses.
const ProviderVersion = ">= 6.0"

// Terraform writes resources (stack.Build's for s) as one Terraform
// configuration: what `terraform apply` needs to create the stack berth
// would deploy, tagged as berth tags it so that berth's status and destroy
// find it too. Resources berth.yaml no longer wants are left out.
func Terraform(w io.Writer, s *spec.Spec, resources []engine.Resource) error {
	f := &file{spec: s, byAddr: map[engine.Addr]engine.Resource{}, seen: map[string]bool{}, managed: map[engine.Addr][]expr{}}
	var wanted []engine.Resource
	for _, r := range resources {
		if !engine.IsUnwanted(r) {
			wanted = append(wanted, r)
			f.byAddr[r.Addr()] = r
		}
	}
	for _, r := range wanted {
		m, ok := mappings[r.Addr().Kind()]
		if !ok {
			return fmt.Errorf("export terraform: no Terraform mapping for %s (kind %s)", r.Addr(), r.Addr().Kind())
		}
		f.current = &rendering{resource: r, refs: map[engine.Addr]bool{}}
		f.renderings = append(f.renderings, f.current)
		m.render(f, r)
		if f.err != nil {
			return fmt.Errorf("export terraform: %s: %w", r.Addr(), f.err)
		}
	}
	f.dependsOn()
	_, err := w.Write(f.bytes())
	return err
}

// mapping is how one resource kind becomes Terraform.
type mapping struct {
	// typ is the Terraform type of the kind's main block; references to
	// the kind's outputs are its attributes of the same names (berth's
	// output keys are the provider's: id, arn, name, dns_name, ...).
	typ    string
	render func(f *file, r engine.Resource)
	// ref, when set, renders a reference to one of the kind's outputs
	// instead, and whether it is a list.
	ref func(f *file, r engine.Resource, key string) (value expr, list bool)
}

// kind makes a mapping whose render takes the kind's own resource type.
func kind[T engine.Resource](typ string, render func(*file, T)) mapping {
	return mapping{typ: typ, render: func(f *file, r engine.Resource) {
		typed, ok := r.(T)
		if !ok {
			f.fail(fmt.Errorf("is a %T, not the %T its kind maps", r, typed))
			return
		}
		render(f, typed)
	}}
}

// rendering is what one resource of the graph became.
type rendering struct {
	resource engine.Resource
	// main is the resource's first managed block (nil for a data source
	// or a given certificate), which depends_on is added to.
	main *hclwrite.Body
	// refs are the resources main's arguments refer to.
	refs map[engine.Addr]bool
}

// file collects the blocks of the configuration in the order Terraform
// users expect: data sources and variables, resources, outputs.
type file struct {
	spec       *spec.Spec
	byAddr     map[engine.Addr]engine.Resource
	data       []*hclwrite.Block
	variables  []*hclwrite.Block
	resources  []*hclwrite.Block
	outputs    []*hclwrite.Block
	seen       map[string]bool
	managed    map[engine.Addr][]expr // references to every managed block of a resource
	renderings []*rendering
	current    *rendering
	err        error
}

func (f *file) fail(err error) {
	if f.err == nil {
		f.err = err
	}
}

// name is a resource's Terraform name: its address's, in underscores.
func name(a engine.Addr) string { return strings.ReplaceAll(a.Name(), "-", "_") }

// resource appends a managed block for the resource being rendered.
func (f *file) resource(typ, blockName string) *hclwrite.Body {
	b := hclwrite.NewBlock("resource", []string{typ, blockName})
	f.resources = append(f.resources, b)
	addr := f.current.resource.Addr()
	f.managed[addr] = append(f.managed[addr], traversal(typ, blockName))
	if f.current.main == nil {
		f.current.main = b.Body()
	}
	return b.Body()
}

// dataSource appends a data block once, however many resources need it,
// and returns the reference to its attribute.
func (f *file) dataSource(typ, blockName, attr string, fill func(*hclwrite.Body)) expr {
	if key := typ + "." + blockName; !f.seen[key] {
		f.seen[key] = true
		b := hclwrite.NewBlock("data", []string{typ, blockName})
		if fill != nil {
			fill(b.Body())
		}
		f.data = append(f.data, b)
	}
	return traversal("data", typ, blockName, attr)
}

// variable declares an input variable once and returns var.NAME.
func (f *file) variable(varName, typ, description string, fill func(*hclwrite.Body)) expr {
	if key := "var." + varName; !f.seen[key] {
		f.seen[key] = true
		b := hclwrite.NewBlock("variable", []string{varName})
		b.Body().SetAttributeRaw("type", f.raw(typ))
		b.Body().SetAttributeValue("description", ctyString(description))
		if fill != nil {
			fill(b.Body())
		}
		f.variables = append(f.variables, b)
	}
	return traversal("var", varName)
}

func (f *file) output(outputName, description string, value expr) {
	b := hclwrite.NewBlock("output", []string{outputName})
	b.Body().SetAttributeValue("description", ctyString(description))
	b.Body().SetAttributeRaw("value", value)
	f.outputs = append(f.outputs, b)
}

// ref renders a reference to another resource's output, which must be one
// the export writes.
func (f *file) ref(r engine.Ref) expr {
	e, _ := f.refList(r)
	return e
}

// refList is ref and whether the output is a list (a looked-up network's
// subnets).
func (f *file) refList(r engine.Ref) (expr, bool) {
	target, ok := f.byAddr[r.Addr]
	if !ok {
		f.fail(fmt.Errorf("refers to %s of %s, which the stack does not create", r.Key, r.Addr))
		return str(""), false
	}
	f.current.refs[r.Addr] = true
	m := mappings[r.Addr.Kind()]
	if m.ref != nil {
		return m.ref(f, target, r.Key)
	}
	return traversal(m.typ, name(r.Addr), r.Key), false
}

// refs renders references as one list: a single list-valued reference as
// it is, others as a tuple.
func (f *file) refs(refs []engine.Ref) expr {
	if len(refs) == 1 {
		if e, list := f.refList(refs[0]); list {
			return e
		}
	}
	es := make([]expr, len(refs))
	for i, r := range refs {
		es[i] = f.ref(r)
	}
	return tuple(es...)
}

// attr is the reference to another attribute of the resource r refers to
// (a cluster's arn where berth's reference names its name).
func (f *file) attr(r engine.Ref, key string) expr {
	return f.ref(engine.Ref{Addr: r.Addr, Key: key})
}

// tags are a resource's own tags; the stack's (berth:stack and berth.yaml's
// tags) are the provider's default_tags.
func tags(m awsres.Meta, nameTag string) expr {
	t := map[string]string{awsres.TagResource: string(m.Address)}
	if nameTag != "" {
		t["Name"] = nameTag
	}
	return stringMap(t)
}

// allTags are every tag berth sets, for the places default_tags does not
// reach (Auto Scaling group tags, launch template tag specifications).
func allTags(m awsres.Meta, nameTag string) map[string]string {
	t := stackTags(m.Stack, m.Tags)
	t[awsres.TagResource] = string(m.Address)
	if nameTag != "" {
		t["Name"] = nameTag
	}
	return t
}

func stackTags(stack string, user map[string]string) map[string]string {
	t := maps.Clone(user)
	if t == nil {
		t = map[string]string{}
	}
	delete(t, awsres.TagResource)
	t[awsres.TagStack] = stack
	return t
}

// ec2Name is the Name tag berth gives EC2 objects that have no name of
// their own (awsres names them so for the EC2 console).
func ec2Name(m awsres.Meta) string { return m.Stack + "-" + m.Address.Name() }

// dependsOn adds depends_on for the graph's ordering edges that no
// reference implies: a NAT gateway waits for the public route, the service
// for the listeners and the instances' routes. A dependency stands for all
// of its resource's blocks (a role with its policy attachments, a route
// table with its associations); references cover only the main one.
func (f *file) dependsOn() {
	for _, r := range f.renderings {
		if r.main == nil {
			continue
		}
		var deps []expr
		for _, addr := range r.resource.DependsOn() {
			blocks := f.managed[addr]
			if r.refs[addr] && len(blocks) > 0 {
				blocks = blocks[1:]
			}
			deps = append(deps, blocks...)
		}
		if len(deps) > 0 {
			r.main.SetAttributeRaw("depends_on", tuple(deps...))
		}
	}
}

func (f *file) bytes() []byte {
	out := hclwrite.NewEmptyFile()
	body := out.Body()
	s := f.spec
	body.AppendUnstructuredTokens(comment(fmt.Sprintf("Stack %s, exported by `berth export terraform` from %s.", s.Name, s.File)))
	body.AppendUnstructuredTokens(comment("Everything is tagged as berth tags what it deploys, so `berth status` and `berth destroy` find it too."))
	tf := body.AppendNewBlock("terraform", nil).Body()
	tf.SetAttributeValue("required_version", ctyString(">= 1.5"))
	tf.AppendNewBlock("required_providers", nil).Body().SetAttributeRaw("aws", object(
		field{"source", str("hashicorp/aws")}, field{"version", str(ProviderVersion)}))
	body.AppendNewline()
	provider := body.AppendNewBlock("provider", []string{"aws"}).Body()
	if s.Region != "" {
		provider.SetAttributeValue("region", ctyString(s.Region))
	}
	if s.Profile != "" {
		provider.SetAttributeValue("profile", ctyString(s.Profile))
	}
	provider.AppendNewBlock("default_tags", nil).Body().SetAttributeRaw("tags", stringMap(stackTags(s.Name, s.Tags)))
	for _, group := range [][]*hclwrite.Block{f.variables, f.data, f.resources, f.outputs} {
		for _, b := range group {
			body.AppendNewline()
			body.AppendBlock(b)
		}
	}
	return hclwrite.Format(out.Bytes())
}

func comment(line string) hclwrite.Tokens {
	return hclwrite.Tokens{{Type: commentToken, Bytes: []byte("# " + line + "\n")}}
}

// Mapped reports whether resources of kind (an address's, "ec2.vpc") have
// a Terraform mapping.
func Mapped(kind string) bool {
	_, ok := mappings[kind]
	return ok
}
