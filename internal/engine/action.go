package engine

import (
	"encoding/json"
	"fmt"
)

// Action is what a plan does to one resource.
type Action int

const (
	NoOp Action = iota
	Create
	Update
	Replace
	Delete
)

var actionNames = [...]string{NoOp: "no-op", Create: "create", Update: "update", Replace: "replace", Delete: "delete"}

// Symbol is the one-character marker a plan prints before the address.
func (a Action) Symbol() string {
	switch a {
	case Create:
		return "+"
	case Update:
		return "~"
	case Replace:
		return "±"
	case Delete:
		return "-"
	default:
		return " "
	}
}

func (a Action) String() string {
	if a < 0 || int(a) >= len(actionNames) {
		return fmt.Sprintf("Action(%d)", int(a))
	}
	return actionNames[a]
}

// MarshalJSON writes the action's name so JSON plans read without a legend.
func (a Action) MarshalJSON() ([]byte, error) {
	return json.Marshal(a.String())
}

// UnmarshalJSON accepts the names MarshalJSON writes.
func (a *Action) UnmarshalJSON(data []byte) error {
	var name string
	if err := json.Unmarshal(data, &name); err != nil {
		return fmt.Errorf("action: %w", err)
	}
	for i, n := range actionNames {
		if n == name {
			*a = Action(i)
			return nil
		}
	}
	return fmt.Errorf("action: unknown %q", name)
}
