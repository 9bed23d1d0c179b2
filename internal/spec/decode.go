package spec

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// field describes one key of a YAML mapping. The same table drives decoding,
// required-key checks and the schema consistency test, so the parser and the
// JSON Schema cannot silently drift apart.
type field struct {
	key      string
	required bool
	// target points at the Spec field the value decodes into: *int, *string,
	// *bool, *[]string or *map[string]string. Nil for sections.
	target any
	// anyScalar accepts any scalar for a string target, because values such
	// as matcher: 200 are naturally written unquoted.
	anyScalar bool
	// tagKeys makes a map's keys AWS tag keys instead of environment
	// variable names.
	tagKeys bool
	// section returns the keys of a nested mapping. It is called only when
	// the key is present, so optional sections (local) are allocated lazily.
	// A field with both a section and a target takes either a scalar (into
	// target) or a mapping (image: name, or image: {uri, build}).
	section func() []field
}

func topFields(s *Spec) []field {
	return []field{
		{key: "name", required: true, target: &s.Name},
		{key: "region", target: &s.Region},
		{key: "profile", target: &s.Profile},
		{key: "tags", target: &s.Tags, tagKeys: true},
		{key: "service", required: true, section: func() []field { return serviceFields(&s.Service) }},
		{key: "capacity", section: func() []field {
			c := &s.Capacity
			return []field{
				{key: "provider", target: &c.Provider},
				{key: "instance_type", target: &c.InstanceType},
				{key: "instance_types", target: &c.InstanceTypes},
				{key: "min", target: &c.Min},
				{key: "max", target: &c.Max},
				{key: "spot_share", target: &c.SpotShare},
				{key: "on_demand_base", target: &c.OnDemandBase},
				{key: "fargate_weight", target: &c.FargateWeight},
				{key: "fargate_spot_weight", target: &c.FargateSpotWeight},
				{key: "target_capacity", target: &c.TargetCapacity},
				{key: "managed_termination_protection", target: &c.ManagedTerminationProtection},
			}
		}},
		{key: "network", section: func() []field {
			n := &s.Network
			return []field{
				{key: "mode", target: &n.Mode},
				{key: "cidr", target: &n.CIDR},
				{key: "nat", target: &n.NAT},
				{key: "vpc_id", target: &n.VPCID},
				{key: "vpc_tags", target: &n.VPCTags, tagKeys: true},
				{key: "public_subnets", target: &n.PublicSubnets},
				{key: "private_subnets", target: &n.PrivateSubnets},
				{key: "public_subnet_tags", target: &n.PublicSubnetTags, tagKeys: true},
				{key: "private_subnet_tags", target: &n.PrivateSubnetTags, tagKeys: true},
			}
		}},
		{key: "load_balancer", section: func() []field {
			lb := &s.LoadBalancer
			return []field{
				{key: "public", target: &lb.Public},
				{key: "port", target: &lb.Port},
				{key: "allowed_cidrs", target: &lb.AllowedCIDRs},
				{key: "https", section: func() []field {
					lb.HTTPS = newHTTPS()
					h := lb.HTTPS
					return []field{
						{key: "domain", target: &h.Domain},
						{key: "certificate_arn", target: &h.CertificateARN},
						{key: "port", target: &h.Port},
						{key: "redirect_http", target: &h.RedirectHTTP},
						{key: "ssl_policy", target: &h.SSLPolicy},
						{key: "key_algorithm", target: &h.KeyAlgorithm},
					}
				}},
			}
		}},
		{key: "logs", section: func() []field {
			return []field{{key: "retention_days", target: &s.Logs.RetentionDays}}
		}},
		{key: "local", section: func() []field {
			s.Local = newLocal()
			return []field{
				{key: "command", required: true, target: &s.Local.Command},
				{key: "dir", target: &s.Local.Dir},
				{key: "env", target: &s.Local.Env},
			}
		}},
	}
}

func serviceFields(svc *Service) []field {
	hc := &svc.HealthCheck
	dep := &svc.Deployment
	return []field{
		{key: "image", required: true, target: &svc.Image, section: func() []field {
			return []field{
				{key: "uri", target: &svc.Image},
				{key: "build", section: func() []field {
					svc.Build = &Build{Context: ".", Dockerfile: "Dockerfile"}
					b := svc.Build
					return []field{
						{key: "context", target: &b.Context},
						{key: "dockerfile", target: &b.Dockerfile},
						{key: "args", target: &b.Args, anyScalar: true},
						{key: "target", target: &b.Target},
					}
				}},
			}
		}},
		{key: "port", required: true, target: &svc.Port},
		{key: "count", target: &svc.Count},
		{key: "cpu", target: &svc.CPU},
		{key: "memory", target: &svc.Memory},
		{key: "command", target: &svc.Command},
		{key: "environment", target: &svc.Environment},
		{key: "secrets", target: &svc.Secrets},
		{key: "placement", target: &svc.Placement},
		{key: "health_check", section: func() []field {
			return []field{
				{key: "path", target: &hc.Path},
				{key: "interval", target: &hc.Interval},
				{key: "timeout", target: &hc.Timeout},
				{key: "healthy_threshold", target: &hc.HealthyThreshold},
				{key: "unhealthy_threshold", target: &hc.UnhealthyThreshold},
				{key: "matcher", target: &hc.Matcher, anyScalar: true},
				{key: "grace_period", target: &hc.GracePeriod},
			}
		}},
		{key: "deregistration_delay", target: &svc.DeregistrationDelay},
		{key: "protocol", target: &svc.Protocol},
		{key: "deployment", section: func() []field {
			return []field{
				{key: "circuit_breaker", target: &dep.CircuitBreaker},
				{key: "rollback", target: &dep.Rollback},
				{key: "minimum_healthy_percent", target: &dep.MinimumHealthyPercent},
				{key: "maximum_percent", target: &dep.MaximumPercent},
				{key: "stop_timeout", target: &dep.StopTimeout},
			}
		}},
		{key: "autoscaling", section: func() []field {
			svc.Autoscaling = newAutoscaling()
			a := svc.Autoscaling
			return []field{
				{key: "min", target: &a.Min},
				{key: "max", required: true, target: &a.Max},
				{key: "cpu", target: &a.CPU},
				{key: "memory", target: &a.Memory},
				{key: "requests_per_target", target: &a.RequestsPerTarget},
				{key: "scale_in_cooldown", target: &a.ScaleInCooldown},
				{key: "scale_out_cooldown", target: &a.ScaleOutCooldown},
			}
		}},
	}
}

// decoder walks the YAML node tree, collecting errors instead of stopping at
// the first, and remembers where each field was so that validation can point
// at it.
type decoder struct {
	file   string
	errs   Errors
	root   *yaml.Node
	keys   map[string]*yaml.Node // field path -> its key node
	values map[string]*yaml.Node // field path -> its (non-null) value node
	// bad holds paths already reported as missing or mistyped; validating
	// them again would only repeat the same complaint.
	bad map[string]bool
}

func newDecoder(file string) *decoder {
	return &decoder{
		file:   file,
		keys:   map[string]*yaml.Node{},
		values: map[string]*yaml.Node{},
		bad:    map[string]bool{},
	}
}

const emptyFile = "file is empty: a spec needs at least name and service (see examples/fastapi/berth.yaml)"

var yamlLineError = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// document parses data and returns its top-level mapping, or nil after
// recording why there is none.
func (d *decoder) document(data []byte) *yaml.Node {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	err := dec.Decode(&doc)
	if errors.Is(err, io.EOF) {
		d.add(&Error{File: d.file, Line: 1, Column: 1, Message: emptyFile})
		return nil
	}
	if err != nil {
		d.syntaxError(err)
		return nil
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		d.add(&Error{File: d.file, Line: extra.Line, Column: extra.Column, Message: "only one YAML document is allowed per spec file"})
	} else if !errors.Is(err, io.EOF) {
		d.syntaxError(err)
	}
	if len(doc.Content) == 0 || resolve(doc.Content[0]).Tag == "!!null" {
		d.add(&Error{File: d.file, Line: 1, Column: 1, Message: emptyFile})
		return nil
	}
	d.root = resolve(doc.Content[0])
	if d.root.Kind != yaml.MappingNode {
		d.add(&Error{File: d.file, Line: d.root.Line, Column: d.root.Column, Message: "must be a mapping of keys such as name and service (got " + describe(d.root) + ")"})
		return nil
	}
	return d.root
}

func (d *decoder) syntaxError(err error) {
	if m := yamlLineError.FindStringSubmatch(err.Error()); m != nil {
		line, _ := strconv.Atoi(m[1])
		d.add(&Error{File: d.file, Line: line, Message: "invalid YAML: " + m[2]})
		return
	}
	d.add(&Error{File: d.file, Message: "invalid YAML: " + strings.TrimPrefix(err.Error(), "yaml: ")})
}

func (d *decoder) add(e *Error) { d.errs = append(d.errs, e) }

// errorAt reports a problem at a known node.
func (d *decoder) errorAt(n *yaml.Node, path, format string, args ...any) {
	d.bad[path] = true
	d.add(&Error{File: d.file, Line: n.Line, Column: n.Column, Field: path, Message: fmt.Sprintf(format, args...)})
}

// errorf reports a problem with the field at path, positioned at its value,
// else its key, else the nearest enclosing key that is in the file.
func (d *decoder) errorf(path, format string, args ...any) {
	n := d.position(path)
	d.errorAt(n, path, format, args...)
}

func (d *decoder) position(path string) *yaml.Node {
	if n := d.values[path]; n != nil {
		return n
	}
	for p := path; p != ""; p = parent(p) {
		if n := d.keys[p]; n != nil {
			return n
		}
	}
	if d.root != nil {
		return d.root
	}
	return &yaml.Node{Line: 1, Column: 1}
}

func parent(path string) string {
	if i := strings.LastIndexAny(path, ".["); i >= 0 {
		return path[:i]
	}
	return ""
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// resolve follows aliases so that anchors work wherever a value may appear.
func resolve(n *yaml.Node) *yaml.Node {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return n
}

func isNull(n *yaml.Node) bool { return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" }

// mapping decodes node, which must be a mapping, into the fields' targets.
func (d *decoder) mapping(node *yaml.Node, path string, fields []field) {
	byKey := make(map[string]field, len(fields))
	known := make([]string, len(fields))
	for i, f := range fields {
		byKey[f.key] = f
		known[i] = f.key
	}
	seen := map[string]*yaml.Node{}
	for i := 0; i+1 < len(node.Content); i += 2 {
		keyNode, valueNode := resolve(node.Content[i]), resolve(node.Content[i+1])
		key := keyNode.Value
		fieldPath := join(path, key)
		if keyNode.Kind != yaml.ScalarNode {
			d.errorAt(keyNode, path, "keys must be plain names (got %s)", describe(keyNode))
			continue
		}
		if first, dup := seen[key]; dup {
			d.errorAt(keyNode, fieldPath, "duplicate key (first set on line %d)", first.Line)
			continue
		}
		seen[key] = keyNode
		f, ok := byKey[key]
		if !ok {
			d.unknownKey(keyNode, fieldPath, key, known)
			continue
		}
		d.keys[fieldPath] = keyNode
		if f.section != nil && f.target != nil && valueNode.Kind == yaml.ScalarNode && !isNull(valueNode) {
			d.values[fieldPath] = valueNode
			d.value(valueNode, fieldPath, f)
			continue
		}
		if f.section != nil {
			d.section(valueNode, fieldPath, f.section)
			continue
		}
		if isNull(valueNode) {
			continue // an empty value keeps the default, like an absent key
		}
		d.values[fieldPath] = valueNode
		d.value(valueNode, fieldPath, f)
	}
	for _, f := range fields {
		fieldPath := join(path, f.key)
		if f.required && (seen[f.key] == nil || (f.section == nil && d.values[fieldPath] == nil)) {
			if !d.bad[fieldPath] {
				d.errorf(fieldPath, "is required")
			}
		}
	}
}

// section decodes a nested mapping. An empty value counts as an empty
// mapping so that its required keys are still enforced.
func (d *decoder) section(n *yaml.Node, path string, fields func() []field) {
	if isNull(n) {
		d.mapping(&yaml.Node{Kind: yaml.MappingNode}, path, fields())
		return
	}
	if n.Kind != yaml.MappingNode {
		d.errorAt(n, path, "must be a mapping (got %s)", describe(n))
		return
	}
	d.values[path] = n
	d.mapping(n, path, fields())
}

func (d *decoder) unknownKey(keyNode *yaml.Node, path, key string, known []string) {
	if hint := closestKey(key, known); hint != "" {
		d.errorAt(keyNode, path, "unknown key, did you mean %q?", hint)
		return
	}
	sorted := append([]string(nil), known...)
	sort.Strings(sorted)
	d.errorAt(keyNode, path, "unknown key (expected one of: %s)", strings.Join(sorted, ", "))
}

func (d *decoder) value(n *yaml.Node, path string, f field) {
	switch target := f.target.(type) {
	case *int:
		if v, ok := d.integer(n, path); ok {
			*target = v
		}
	case *string:
		if n.Kind == yaml.ScalarNode && (n.ShortTag() == "!!str" || f.anyScalar) {
			*target = n.Value
			return
		}
		d.errorAt(n, path, "must be a string (got %s)", describe(n))
	case *bool:
		if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!bool" {
			var v bool
			if err := n.Decode(&v); err == nil {
				*target = v
				return
			}
		}
		d.errorAt(n, path, "must be true or false (got %s)", describe(n))
	case *[]string:
		d.stringList(n, path, target)
	case *map[string]string:
		d.envMap(n, path, target, f.tagKeys)
	default:
		// Only reachable if the field table names an unsupported target type.
		d.errorAt(n, path, "internal error: no decoder for %T", f.target)
	}
}

func (d *decoder) integer(n *yaml.Node, path string) (int, bool) {
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!int" {
		var v int
		if err := n.Decode(&v); err == nil {
			return v, true
		}
		d.errorAt(n, path, "integer %s is out of range", n.Value)
		return 0, false
	}
	// YAML resolves integers too large for int64 as floats.
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!float" && wholeNumber.MatchString(n.Value) {
		d.errorAt(n, path, "integer %s is out of range", n.Value)
		return 0, false
	}
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!str" {
		if _, err := strconv.Atoi(n.Value); err == nil {
			d.errorAt(n, path, "must be an integer (got string %q; drop the quotes)", n.Value)
			return 0, false
		}
	}
	d.errorAt(n, path, "must be an integer (got %s)", describe(n))
	return 0, false
}

// stringList accepts any scalar items, since command arguments such as
// 9000 are naturally written unquoted; their literal text is kept.
func (d *decoder) stringList(n *yaml.Node, path string, target *[]string) {
	if n.Kind != yaml.SequenceNode {
		d.errorAt(n, path, "must be a list of strings (got %s)", describe(n))
		return
	}
	list := make([]string, 0, len(n.Content))
	ok := true
	for i, item := range n.Content {
		item = resolve(item)
		itemPath := fmt.Sprintf("%s[%d]", path, i)
		if item.Kind != yaml.ScalarNode || isNull(item) {
			d.errorAt(item, itemPath, "must be a string (got %s)", describe(item))
			d.bad[path] = true
			ok = false
			continue
		}
		d.values[itemPath] = item
		list = append(list, item.Value)
	}
	if ok {
		*target = list
	}
}

var wholeNumber = regexp.MustCompile(`^[-+]?[0-9_]+$`)

var envName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// tagKeyPattern is what every service berth tags accepts as a key; keys
// starting with aws: are AWS's own.
var tagKeyPattern = regexp.MustCompile(`^[\p{L}\p{Z}\p{N}_.:/=+\-@]{1,128}$`)

func isTagKey(k string) bool {
	return tagKeyPattern.MatchString(k) && !strings.HasPrefix(strings.ToLower(k), "aws:")
}

// envMap decodes an environment mapping. Values may be any scalar because
// DEBUG: true or WORKERS: 4 are what people write; the process sees text.
func (d *decoder) envMap(n *yaml.Node, path string, target *map[string]string, tagKeys bool) {
	if n.Kind != yaml.MappingNode {
		d.errorAt(n, path, "must be a mapping of NAME: value (got %s)", describe(n))
		return
	}
	env := make(map[string]string, len(n.Content)/2)
	seen := map[string]bool{}
	ok := true
	for i := 0; i+1 < len(n.Content); i += 2 {
		keyNode, valueNode := resolve(n.Content[i]), resolve(n.Content[i+1])
		keyPath := join(path, keyNode.Value)
		wasSeen := seen[keyNode.Value]
		seen[keyNode.Value] = true
		switch {
		case keyNode.Kind != yaml.ScalarNode:
			d.errorAt(keyNode, path, "variable names must be plain names (got %s)", describe(keyNode))
			ok = false
		case tagKeys && !isTagKey(keyNode.Value):
			d.errorAt(keyNode, keyPath, "not a valid AWS tag key (1-128 letters, digits, spaces and _ . : / = + - @, not starting with aws:)")
			ok = false
		case !tagKeys && !envName.MatchString(keyNode.Value):
			d.errorAt(keyNode, keyPath, "not a valid environment variable name (use letters, digits and _, not starting with a digit)")
			ok = false
		case wasSeen:
			d.errorAt(keyNode, keyPath, "duplicate variable")
			ok = false
		case valueNode.Kind != yaml.ScalarNode:
			d.errorAt(valueNode, keyPath, "must be a string (got %s)", describe(valueNode))
			ok = false
		case isNull(valueNode):
			env[keyNode.Value] = ""
		default:
			d.values[keyPath] = valueNode
			env[keyNode.Value] = valueNode.Value
		}
	}
	if ok {
		*target = env
	}
}

// describe names what a node is, for "got ..." in messages.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		switch n.ShortTag() {
		case "!!str":
			return fmt.Sprintf("string %q", n.Value)
		case "!!int":
			return "integer " + n.Value
		case "!!float":
			return "number " + n.Value
		case "!!bool":
			return "boolean " + n.Value
		case "!!null":
			return "nothing"
		}
		return n.ShortTag() + " " + n.Value
	}
	return "an unsupported YAML node"
}
