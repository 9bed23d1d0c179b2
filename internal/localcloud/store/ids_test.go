package store

import (
	"regexp"
	"testing"
)

// Request ids are version 4 UUIDs in their canonical form.
func TestNewUUIDIsCanonicalVersion4(t *testing.T) {
	canonical := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	seen := map[string]bool{}
	for range 100 {
		id := NewUUID()
		if !canonical.MatchString(id) || seen[id] {
			t.Fatalf("NewUUID() = %q: not a fresh canonical version 4 UUID", id)
		}
		seen[id] = true
	}
}
