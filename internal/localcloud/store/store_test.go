package store

import (
	"context"
	"errors"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"
)

type record struct{ Name string }

var (
	usEast = Scope{Account: "000000000000", Region: "us-east-1"}
	euWest = Scope{Account: "000000000000", Region: "eu-west-1"}
	ctx    = WithScope(context.Background(), usEast)
)

// What is committed survives closing and reopening; a failed update leaves
// nothing behind.
func TestStatePersistsAndFailedUpdatesLeaveNothing(t *testing.T) {
	dir := t.TempDir()
	st, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Update(ctx, func(tx *Tx) error { return tx.Put("t", "a", record{"alpha"}) }); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	err = st.Update(ctx, func(tx *Tx) error {
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
	err = st.View(ctx, func(tx *Tx) (err error) {
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
	st := openEphemeral(t)
	changes, stop := st.Subscribe()
	defer stop()
	if err := st.Update(ctx, func(tx *Tx) error { return tx.Put("x/y", "k", record{"v"}) }); err != nil {
		t.Fatal(err)
	}
	<-changes
	if err := st.Reset(); err != nil {
		t.Fatal(err)
	}
	<-changes
	var keys []string
	if err := st.View(ctx, func(tx *Tx) (err error) { keys, err = Keys(tx, "x/y"); return err }); err != nil {
		t.Fatal(err)
	}
	if len(keys) != 0 {
		t.Errorf("keys after reset: %v", keys)
	}
}

// A write transaction that puts or deletes nothing signals no commit: the
// controllers run a pass after each one, so a pass at rest would otherwise
// wake the next forever. A write after it still signals.
func TestAnUpdateThatWritesNothingSignalsNothing(t *testing.T) {
	st := openEphemeral(t)
	changes, stop := st.Subscribe()
	defer stop()
	read := func(tx *Tx) error { _, err := Get[record](tx, "x/y", "k"); return err }
	if err := st.Update(ctx, read); err != nil {
		t.Fatal(err)
	}
	if err := st.Update(ctx, func(tx *Tx) error { return tx.Delete("x/y", "absent") }); err != nil {
		t.Fatal(err)
	}
	select {
	case <-changes:
		t.Fatal("an update that wrote nothing signalled a commit")
	default:
	}
	if err := st.Update(ctx, func(tx *Tx) error { return tx.Put("x/y", "k", record{"v"}) }); err != nil {
		t.Fatal(err)
	}
	select {
	case <-changes:
	default:
		t.Fatal("a write signalled no commit")
	}
}

// A transaction whose context names no account and region fails loudly:
// nothing is read from or written to a default.
func TestATransactionWithoutAScopeFails(t *testing.T) {
	st := openEphemeral(t)
	ran := false
	for name, run := range map[string]func(context.Context, func(*Tx) error) error{
		"View": st.View, "Update": st.Update, "global View": st.Global().View, "global Update": st.Global().Update,
	} {
		err := run(context.Background(), func(*Tx) error { ran = true; return nil })
		if !errors.Is(err, ErrNoScope) {
			t.Errorf("%s without a scope: error %v, want ErrNoScope", name, err)
		}
	}
	if ran {
		t.Error("a transaction without a scope ran")
	}
	scopes, err := st.Scopes()
	if err != nil {
		t.Fatal(err)
	}
	if len(scopes) != 0 {
		t.Errorf("scopes after refused writes: %v", scopes)
	}
}

func TestMalformedScopesAreRefused(t *testing.T) {
	st := openEphemeral(t)
	for _, scope := range []Scope{
		{Account: "", Region: "us-east-1"},
		{Account: "12345", Region: "us-east-1"},
		{Account: "00000000000a", Region: "us-east-1"},
		{Account: "000000000000", Region: ""},
		{Account: "000000000000", Region: "us-east-1/../x"},
	} {
		err := st.Update(WithScope(context.Background(), scope), func(tx *Tx) error { return tx.Put("t", "k", record{"v"}) })
		if err == nil || !strings.Contains(err.Error(), "scope") {
			t.Errorf("scope %+v: error %v, want a refused scope", scope, err)
		}
	}
}

// Each scope sees its own tables only: the same table and key in two
// regions (or two accounts) are two records; a global handle sees the
// account's regionless tables whichever region the context names.
func TestScopesPartitionTheState(t *testing.T) {
	st := openEphemeral(t)
	otherAccount := Scope{Account: "123456789012", Region: "us-east-1"}
	put := func(s *Store, scope Scope, name string) {
		t.Helper()
		if err := s.Update(WithScope(context.Background(), scope), func(tx *Tx) error { return tx.Put("ecs/clusters", "web", record{name}) }); err != nil {
			t.Fatal(err)
		}
	}
	get := func(s *Store, scope Scope) []*record {
		t.Helper()
		var all []*record
		if err := s.View(WithScope(context.Background(), scope), func(tx *Tx) (err error) {
			all, err = List[record](tx, "ecs/clusters")
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return all
	}
	put(st, usEast, "virginia")
	put(st, euWest, "ireland")
	put(st, otherAccount, "other account")
	put(st.Global(), euWest, "global")

	for scope, want := range map[Scope]string{usEast: "virginia", euWest: "ireland", otherAccount: "other account"} {
		if got := get(st, scope); len(got) != 1 || got[0].Name != want {
			t.Errorf("%s sees %+v, want only %q", scope, got, want)
		}
	}
	if got := get(st.Global(), usEast); len(got) != 1 || got[0].Name != "global" {
		t.Errorf("the global scope seen from us-east-1: %+v, want only the global record", got)
	}
	var arn string
	_ = st.View(WithScope(context.Background(), euWest), func(tx *Tx) error { arn = tx.ARN("ecs", "cluster/web"); return nil })
	if arn != "arn:aws:ecs:eu-west-1:000000000000:cluster/web" {
		t.Errorf("ARN in eu-west-1: %s", arn)
	}
	if scope, ok := ScopeOfARN(arn); !ok || scope != euWest {
		t.Errorf("ScopeOfARN(%s) = %v, %v", arn, scope, ok)
	}

	if err := st.Update(ctx, func(tx *Tx) error { return tx.Delete("ecs/clusters", "web") }); err != nil {
		t.Fatal(err)
	}
	scopes, err := st.Scopes()
	if err != nil {
		t.Fatal(err)
	}
	want := map[Scope]bool{euWest: true, otherAccount: true, {Account: "000000000000"}: true}
	if len(scopes) != len(want) {
		t.Errorf("scopes with state: %v, want %v", scopes, want)
	}
	for _, s := range scopes {
		if !want[s] {
			t.Errorf("unexpected scope with state %v (us-east-1 is empty now)", s)
		}
	}
}

// The unscoped partition holds what belongs to the machine; no scope sees
// it, and it sees no scope's tables.
func TestTheUnscopedPartitionIsSeparate(t *testing.T) {
	st := openEphemeral(t)
	if err := st.UpdateUnscoped(func(tx *Tx) error { return tx.Put("berth/images", "app", record{"machine"}) }); err != nil {
		t.Fatal(err)
	}
	var scoped, unscoped []*record
	if err := st.View(ctx, func(tx *Tx) (err error) { scoped, err = List[record](tx, "berth/images"); return err }); err != nil {
		t.Fatal(err)
	}
	if err := st.ViewUnscoped(func(tx *Tx) (err error) { unscoped, err = List[record](tx, "berth/images"); return err }); err != nil {
		t.Fatal(err)
	}
	if len(scoped) != 0 || len(unscoped) != 1 {
		t.Errorf("scoped sees %+v, unscoped sees %+v", scoped, unscoped)
	}
	if scopes, _ := st.Scopes(); len(scopes) != 0 {
		t.Errorf("the unscoped partition counts as a scope: %v", scopes)
	}
}

// State written before the store was partitioned (tables at the top level)
// is ignored, not misread: opening it neither fails nor shows it.
func TestStateOfEarlierVersionsIsIgnored(t *testing.T) {
	dir := t.TempDir()
	st, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.db.Update(func(btx *bolt.Tx) error {
		b, err := btx.CreateBucketIfNotExists([]byte("ecs/clusters"))
		if err != nil {
			return err
		}
		return b.Put([]byte("web"), []byte(`{"Name":"old"}`))
	}); err != nil {
		t.Fatal(err)
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
	if err := st.View(ctx, func(tx *Tx) (err error) { all, err = List[record](tx, "ecs/clusters"); return err }); err != nil {
		t.Fatal(err)
	}
	scopes, err := st.Scopes()
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 0 || len(scopes) != 0 {
		t.Errorf("old state shows through: records %+v, scopes %v", all, scopes)
	}
	if err := st.Reset(); err != nil {
		t.Fatal(err)
	}
}

// openEphemeral opens a throwaway store that closes when the test ends.
func openEphemeral(t *testing.T) *Store {
	t.Helper()
	st, err := OpenEphemeral()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}
