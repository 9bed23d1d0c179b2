package store

import (
	"reflect"
	"testing"
	"time"
)

type nested struct {
	Tags   map[string]string
	Ports  []int
	Inner  *nested
	Extra  any
	When   time.Time
	Matrix [2][]string
}

// A read served from the decode memo is what decoding gives, and changing
// it changes neither the stored record nor what the next read returns.
func TestMemoizedReadsAreIndependentCopies(t *testing.T) {
	st := openEphemeral(t)
	want := nested{Tags: map[string]string{"a": "1"}, Ports: []int{80}, Inner: &nested{Ports: []int{443}},
		Extra: map[string]any{"k": []any{"v"}}, When: time.Date(2026, 12, 2, 4, 0, 0, 0, time.UTC), Matrix: [2][]string{{"x"}, nil}}
	if err := st.Update(ctx, func(tx *Tx) error { return tx.Put("t", "k", want) }); err != nil {
		t.Fatal(err)
	}
	read := func() (one *nested, all []*nested) {
		t.Helper()
		err := st.View(ctx, func(tx *Tx) (err error) {
			if one, err = Get[nested](tx, "t", "k"); err != nil {
				return err
			}
			all, err = List[nested](tx, "t")
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return one, all
	}
	for round := range 3 {
		one, all := read()
		for _, got := range []*nested{one, all[0]} {
			if !reflect.DeepEqual(*got, want) {
				t.Fatalf("round %d: read %+v, want %+v", round, *got, want)
			}
			got.Tags["a"], got.Ports[0], got.Inner.Ports[0] = "changed", 1, 2
			got.Extra.(map[string]any)["k"].([]any)[0] = "changed"
			got.Matrix[0][0] = "changed"
		}
	}
	changed := want
	changed.Ports = []int{8080}
	if err := st.Update(ctx, func(tx *Tx) error { return tx.Put("t", "k", changed) }); err != nil {
		t.Fatal(err)
	}
	if one, _ := read(); !reflect.DeepEqual(one.Ports, []int{8080}) {
		t.Fatalf("after a write, read %v, want the written ports", one.Ports)
	}
}

// Two types may read one record: the memo serves each its own decoding.
func TestMemoServesEachTypeItsOwnDecoding(t *testing.T) {
	st := openEphemeral(t)
	if err := st.Update(ctx, func(tx *Tx) error {
		return tx.Put("t", "k", nested{Ports: []int{80}, Tags: map[string]string{"a": "1"}})
	}); err != nil {
		t.Fatal(err)
	}
	type portsOnly struct{ Ports []int }
	for round := range 3 {
		err := st.View(ctx, func(tx *Tx) error {
			full, err := Get[nested](tx, "t", "k")
			if err != nil {
				return err
			}
			ports, err := Get[portsOnly](tx, "t", "k")
			if err != nil {
				return err
			}
			if full.Tags["a"] != "1" || !reflect.DeepEqual(ports.Ports, []int{80}) {
				t.Errorf("round %d: read %+v and %+v", round, full, ports)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}
