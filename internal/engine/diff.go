package engine

// FieldChange is one field whose actual value differs from the desired one.
type FieldChange struct {
	Field string `json:"field"`
	Old   string `json:"old,omitempty"`
	New   string `json:"new,omitempty"`
	// ForcesReplacement marks fields AWS cannot change in place.
	ForcesReplacement bool `json:"forces_replacement,omitempty"`
}

// Changes accumulates field comparisons for a Diff implementation so every
// resource follows the same rules: an empty desired value is "don't care",
// and a missing object is a create that lists every desired value.
type Changes struct {
	creating bool
	fields   []FieldChange
	replace  bool
}

// NewChanges starts a comparison against actual; nil means the object does
// not exist and will be created.
func NewChanges(actual *Observed) *Changes {
	return &Changes{creating: actual == nil}
}

// Field compares one value that can be changed in place.
func (c *Changes) Field(field, actual, desired string) {
	c.add(field, actual, desired, false)
}

// ForceNew compares one value whose change requires a new object.
func (c *Changes) ForceNew(field, actual, desired string) {
	c.add(field, actual, desired, true)
}

func (c *Changes) add(field, actual, desired string, forcesReplacement bool) {
	if desired == "" {
		return
	}
	if c.creating {
		c.fields = append(c.fields, FieldChange{Field: field, New: desired})
		return
	}
	if actual == desired {
		return
	}
	c.fields = append(c.fields, FieldChange{Field: field, Old: actual, New: desired, ForcesReplacement: forcesReplacement})
	if forcesReplacement {
		c.replace = true
	}
}

// Result is what Diff returns.
func (c *Changes) Result() ([]FieldChange, Action) {
	switch {
	case c.creating:
		return c.fields, Create
	case c.replace:
		return c.fields, Replace
	case len(c.fields) > 0:
		return c.fields, Update
	default:
		return nil, NoOp
	}
}
