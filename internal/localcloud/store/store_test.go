package store

import (
	"errors"
	"testing"
)

type record struct{ Name string }

// What is committed survives closing and reopening; a failed update leaves
// nothing behind.
func TestStatePersistsAndFailedUpdatesLeaveNothing(t *testing.T) {
	dir := t.TempDir()
	st, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Update(func(tx *Tx) error { return tx.Put("t", "a", record{"alpha"}) }); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	err = st.Update(func(tx *Tx) error {
		if err := tx.Put("t", "b", record{"beta"}); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Update error = %v, want boom", err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}

	st, err = Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var all []*record
	var missing *record
	err = st.View(func(tx *Tx) (err error) {
		if all, err = List[record](tx, "t"); err != nil {
			return err
		}
		missing, err = Get[record](tx, "t", "b")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 1 || all[0].Name != "alpha" {
		t.Errorf("after reopen: %+v, want only alpha", all)
	}
	if missing != nil {
		t.Errorf("the failed update's write survived: %+v", missing)
	}
}

func TestSecondOpenOfTheSameStateIsRefused(t *testing.T) {
	dir := t.TempDir()
	st, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := Open(dir); err == nil {
		t.Fatal("a second local cloud opened the same state")
	}
}

func TestResetEmptiesEveryTableAndSubscribersHear(t *testing.T) {
	st, err := OpenEphemeral()
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	changes, stop := st.Subscribe()
	defer stop()
	if err := st.Update(func(tx *Tx) error { return tx.Put("x/y", "k", record{"v"}) }); err != nil {
		t.Fatal(err)
	}
	<-changes
	if err := st.Reset(); err != nil {
		t.Fatal(err)
	}
	<-changes
	var keys []string
	if err := st.View(func(tx *Tx) (err error) { keys, err = Keys(tx, "x/y"); return err }); err != nil {
		t.Fatal(err)
	}
	if len(keys) != 0 {
		t.Errorf("keys after reset: %v", keys)
	}
}
