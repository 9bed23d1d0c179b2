// Package model is AWS's own description of the services the local cloud
// serves: botocore's published API models (service-2.json), trimmed by
// ./gen to operations, input and error shapes (and the output shapes of the
// operations that have generated Go shapes), wire names and validation
// traits, and embedded. The router uses it to know every operation AWS has
// (so an operation berth does not implement gets a clear answer, not
// InvalidAction) and to validate requests before any handler runs, the way
// AWS's front ends do.
//
// Regenerate with `go generate ./internal/localcloud/model` on a machine
// with botocore installed; models/VERSIONS records the source.
package model

//go:generate sh -c "cd ../../.. && go run ./internal/localcloud/model/gen -botocore $(python3 -c 'import botocore,os;print(os.path.dirname(botocore.__file__))')"

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"sort"
	"strings"
	"sync"
)

//go:embed models/*.json
var files embed.FS

// Service is one AWS service's model.
type Service struct {
	// Name is botocore's directory name (ec2, elbv2, application-autoscaling).
	Name       string
	Metadata   Metadata
	Operations map[string]*Operation
	Shapes     map[string]*Shape
}

// Metadata is how the service is reached on the wire.
type Metadata struct {
	APIVersion   string   `json:"apiVersion"`
	Protocol     string   `json:"protocol"`
	Protocols    []string `json:"protocols"`
	TargetPrefix string   `json:"targetPrefix"`
	SigningName  string   `json:"signingName"`
	EndpointPref string   `json:"endpointPrefix"`
	JSONVersion  string   `json:"jsonVersion"`
	// XMLNamespace is a string in some models and {"uri": …} in others;
	// the query codecs name their namespaces themselves.
	XMLNamespace json.RawMessage `json:"xmlNamespace"`
	ServiceID    string          `json:"serviceId"`
}

// Signing is the SigV4 signing name: the model's, else its endpoint prefix.
func (m Metadata) Signing() string {
	if m.SigningName != "" {
		return m.SigningName
	}
	return m.EndpointPref
}

// Operation is one API action.
type Operation struct {
	Name       string   `json:"-"`
	Input      string   `json:"input"`
	Output     string   `json:"output"`
	Errors     []string `json:"errors"`
	Deprecated bool     `json:"deprecated"`
}

// Shape is one type of the model (only those inputs and errors reach).
type Shape struct {
	Type         string             `json:"type"`
	Required     []string           `json:"required"`
	Members      map[string]*Member `json:"members"`
	Member       *Member            `json:"member"`
	Key          *Member            `json:"key"`
	Value        *Member            `json:"value"`
	Flattened    bool               `json:"flattened"`
	Enum         []string           `json:"enum"`
	Min          *float64           `json:"min"`
	Max          *float64           `json:"max"`
	Pattern      string             `json:"pattern"`
	Exception    bool               `json:"exception"`
	Fault        bool               `json:"fault"`
	Union        bool               `json:"union"`
	Document     bool               `json:"document"`
	Sensitive    bool               `json:"sensitive"`
	LocationName string             `json:"locationName"`
	Error        *ErrorTrait        `json:"error"`
	TimestampFmt string             `json:"timestampFormat"`

	sortOnce sync.Once
	sorted   []string
	// mayFail caches Service.mayFail, [0] for the JSON and query flavour,
	// [1] for EC2's.
	mayFailOnce [2]sync.Once
	mayFail     [2]bool
}

// memberNames are the structure's members in name order, so that what is
// reported about a request does not depend on map order.
func (s *Shape) memberNames() []string {
	s.sortOnce.Do(func() {
		for n := range s.Members {
			s.sorted = append(s.sorted, n)
		}
		sort.Strings(s.sorted)
	})
	return s.sorted
}

// Member is a reference to a shape from a structure, list or map, with the
// names it travels under.
type Member struct {
	Shape            string `json:"shape"`
	LocationName     string `json:"locationName"`
	QueryName        string `json:"queryName"`
	Flattened        bool   `json:"flattened"`
	IdempotencyToken bool   `json:"idempotencyToken"`
	Location         string `json:"location"`
}

// ErrorTrait is the query protocol's awsQueryError: the code and status an
// error shape travels with.
type ErrorTrait struct {
	Code        string `json:"code"`
	HTTPStatus  int    `json:"httpStatusCode"`
	SenderFault bool   `json:"senderFault"`
}

var (
	loadOnce sync.Once
	byName   map[string]*Service
	loadErr  error
)

// All returns every embedded model, by botocore name. The models are
// parsed once, on first use.
func All() (map[string]*Service, error) {
	loadOnce.Do(func() { byName, loadErr = load(files) })
	return byName, loadErr
}

// Lookup returns the model for a service as the router knows it: by its
// SigV4 signing name and either its awsJson target prefix or its query
// API version; with neither (a Smithy RPC v2 service, routed by path), by
// its signing name when only one model has it.
func Lookup(signingName, targetPrefix, apiVersion string) *Service {
	all, err := All()
	if err != nil {
		return nil
	}
	names := make([]string, 0, len(all))
	for n := range all {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		s := all[n]
		if s.Metadata.Signing() != signingName {
			continue
		}
		if targetPrefix != "" && s.Metadata.TargetPrefix == targetPrefix {
			return s
		}
		if apiVersion != "" && s.Metadata.APIVersion == apiVersion {
			return s
		}
	}
	if targetPrefix == "" && apiVersion == "" {
		var only *Service
		for _, n := range names {
			if all[n].Metadata.Signing() == signingName {
				if only != nil {
					return nil
				}
				only = all[n]
			}
		}
		return only
	}
	return nil
}

func load(fsys fs.FS) (map[string]*Service, error) {
	paths, err := fs.Glob(fsys, "models/*.json")
	if err != nil {
		return nil, err
	}
	out := map[string]*Service{}
	for _, p := range paths {
		raw, err := fs.ReadFile(fsys, p)
		if err != nil {
			return nil, err
		}
		s := &Service{Name: strings.TrimSuffix(strings.TrimPrefix(p, "models/"), ".json")}
		if err := json.Unmarshal(raw, s); err != nil {
			return nil, fmt.Errorf("model %s: %w", p, err)
		}
		for name, op := range s.Operations {
			op.Name = name
		}
		out[s.Name] = s
	}
	return out, nil
}

// UnmarshalJSON reads a trimmed model file.
func (s *Service) UnmarshalJSON(data []byte) error {
	var raw struct {
		Metadata   Metadata              `json:"metadata"`
		Operations map[string]*Operation `json:"operations"`
		Shapes     map[string]*Shape     `json:"shapes"`
	}
	if err := json.Unmarshal(data, &raw); err != nil {
		return err
	}
	s.Metadata, s.Operations, s.Shapes = raw.Metadata, raw.Operations, raw.Shapes
	return nil
}

// Operation returns the named operation, or nil.
func (s *Service) Operation(name string) *Operation { return s.Operations[name] }

// Input returns the operation's input shape, or nil when it has none.
func (s *Service) Input(op *Operation) *Shape {
	if op == nil || op.Input == "" {
		return nil
	}
	return s.Shapes[op.Input]
}

// Speaks reports whether the service accepts the given protocol
// ("json", "query", "ec2", "smithy-rpc-v2-cbor").
func (m Metadata) Speaks(protocol string) bool {
	if m.Protocol == protocol {
		return true
	}
	for _, p := range m.Protocols {
		if p == protocol {
			return true
		}
	}
	return false
}
