package engine

import (
	"fmt"
	"sync"
)

// Unknown stands for a value that only exists once a dependency is created.
const Unknown = "(known after apply)"

// Ref points at one output of another resource, e.g. the VPC's "id".
type Ref struct {
	Addr Addr
	Key  string
}

// Inputs holds the outputs of resources already observed or applied, so a
// dependent can resolve its references. Safe for concurrent use because
// apply fills it from parallel workers.
type Inputs struct {
	mu     sync.RWMutex
	values map[Addr]Outputs
}

// NewInputs returns empty inputs.
func NewInputs() *Inputs {
	return &Inputs{values: map[Addr]Outputs{}}
}

// Clone returns independent inputs holding the same outputs.
func (in *Inputs) Clone() *Inputs {
	return &Inputs{values: in.Outputs()}
}

// Set records the outputs of addr.
func (in *Inputs) Set(addr Addr, out Outputs) {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.values[addr] = out
}

// Lookup returns the value of ref and whether it is known.
func (in *Inputs) Lookup(ref Ref) (string, bool) {
	in.mu.RLock()
	defer in.mu.RUnlock()
	v, ok := in.values[ref.Addr][ref.Key]
	return v, ok && v != ""
}

// Show returns the value of ref, or Unknown, for printing and comparing in
// Diff: an unknown reference always differs from what exists.
func (in *Inputs) Show(ref Ref) string {
	if v, ok := in.Lookup(ref); ok {
		return v
	}
	return Unknown
}

// Resolve returns the values of refs in order, failing on the first one
// that is not known; Apply uses it because by then every dependency ran.
func (in *Inputs) Resolve(refs ...Ref) ([]string, error) {
	values := make([]string, len(refs))
	for i, ref := range refs {
		v, ok := in.Lookup(ref)
		if !ok {
			return nil, fmt.Errorf("%s has no output %q", ref.Addr, ref.Key)
		}
		values[i] = v
	}
	return values, nil
}

// Get resolves a single reference.
func (in *Inputs) Get(ref Ref) (string, error) {
	values, err := in.Resolve(ref)
	if err != nil {
		return "", err
	}
	return values[0], nil
}

// Outputs returns a copy of everything recorded.
func (in *Inputs) Outputs() map[Addr]Outputs {
	in.mu.RLock()
	defer in.mu.RUnlock()
	out := make(map[Addr]Outputs, len(in.values))
	for addr, values := range in.values {
		out[addr] = values
	}
	return out
}
