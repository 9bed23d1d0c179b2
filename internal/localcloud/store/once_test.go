package store

import (
	"context"
	"testing"
)

// Once runs its setup once per scope, and again in a scope after a Reset
// or in a store opened again from disk.
func TestOnceIsPerScopeAndForgottenByResetAndReopen(t *testing.T) {
	dir := t.TempDir()
	st, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	runs := map[Scope]int{}
	setup := func(ctx context.Context) error {
		scope, _ := ScopeFrom(ctx)
		runs[scope]++
		return nil
	}
	other := Scope{Account: "111111111111", Region: "us-east-1"}
	for range 3 {
		for _, scope := range []Scope{usEast, euWest, other} {
			if err := st.Once(WithScope(context.Background(), scope), "defaults", setup); err != nil {
				t.Fatal(err)
			}
		}
	}
	if runs[usEast] != 1 || runs[euWest] != 1 || runs[other] != 1 {
		t.Fatalf("setup runs per scope = %v, want 1 each", runs)
	}
	if err := st.Reset(); err != nil {
		t.Fatal(err)
	}
	if err := st.Once(ctx, "defaults", setup); err != nil {
		t.Fatal(err)
	}
	if runs[usEast] != 2 {
		t.Fatalf("setup ran %d times in %v after a Reset, want 2", runs[usEast], usEast)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	if st, err = Open(dir); err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.Once(ctx, "defaults", setup); err != nil {
		t.Fatal(err)
	}
	if runs[usEast] != 3 {
		t.Fatalf("setup ran %d times in %v after reopening, want 3", runs[usEast], usEast)
	}
	if err := st.Once(context.Background(), "defaults", setup); err != ErrNoScope {
		t.Fatalf("Once without a scope = %v, want ErrNoScope", err)
	}
}
