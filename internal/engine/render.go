package engine

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Summary counts changes by action.
type Summary struct {
	Create  int `json:"create"`
	Update  int `json:"update"`
	Replace int `json:"replace"`
	Delete  int `json:"delete"`
}

// Summary counts the plan's changes.
func (p *Plan) Summary() Summary {
	var s Summary
	for _, c := range p.Changes {
		switch c.Action {
		case Create:
			s.Create++
		case Update:
			s.Update++
		case Replace:
			s.Replace++
		case Delete:
			s.Delete++
		}
	}
	return s
}

// Render writes the plan for a human: one line per changing resource,
// followed by only the fields that change, then a one-line summary.
func (p *Plan) Render(w io.Writer) error {
	var b strings.Builder
	if p.Empty() {
		if p.Destroy {
			b.WriteString("Nothing to destroy. No resource of this stack exists.\n")
		} else {
			b.WriteString("No changes. The stack matches berth.yaml.\n")
		}
		_, err := io.WriteString(w, b.String())
		return err
	}
	for _, c := range p.Changes {
		fmt.Fprintf(&b, "%s %s\n", c.Action.Symbol(), c.Addr)
		width := 0
		for _, f := range c.Fields {
			width = max(width, len(f.Field))
		}
		for _, f := range c.Fields {
			fmt.Fprintf(&b, "    %-*s  %s", width+1, f.Field+":", renderValue(c.Action, f))
			if f.ForcesReplacement {
				b.WriteString("  (forces replacement)")
			}
			b.WriteString("\n")
		}
	}
	s := p.Summary()
	fmt.Fprintf(&b, "\nPlan: %d to create, %d to update, %d to replace, %d to delete.\n", s.Create, s.Update, s.Replace, s.Delete)
	_, err := io.WriteString(w, b.String())
	return err
}

func renderValue(action Action, f FieldChange) string {
	if action == Create {
		return oneLine(f.New)
	}
	old := f.Old
	if old == "" {
		old = "(none)"
	}
	return oneLine(old) + " → " + oneLine(f.New)
}

// oneLine keeps multi-line values such as user data on their field's line
// so the plan stays aligned.
func oneLine(value string) string {
	if !strings.ContainsAny(value, "\n\t") {
		return value
	}
	quoted := strconv.Quote(value)
	return quoted[1 : len(quoted)-1]
}

type planJSON struct {
	Destroy bool     `json:"destroy"`
	Changes []Change `json:"changes"`
	Summary Summary  `json:"summary"`
}

// MarshalJSON gives tools the same information Render gives people.
func (p *Plan) MarshalJSON() ([]byte, error) {
	changes := p.Changes
	if changes == nil {
		changes = []Change{}
	}
	return json.Marshal(planJSON{Destroy: p.Destroy, Changes: changes, Summary: p.Summary()})
}

// WriteJSON writes the plan as indented JSON.
func (p *Plan) WriteJSON(w io.Writer) error {
	data, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		return fmt.Errorf("plan json: %w", err)
	}
	_, err = w.Write(append(data, '\n'))
	return err
}
