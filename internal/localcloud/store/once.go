package store

import (
	"context"
	"sync"
)

// A service that must set something up in each account and region before
// its first call there (EC2's default VPC) would otherwise read the store
// on every call to learn that it already did. Once remembers, per scope,
// that the setup succeeded, for as long as the state it was made in lives:
// Reset forgets every scope, and a store opened again from disk starts
// knowing nothing, so the setup's own check of the state runs once more.

type scopeFact struct {
	scope Scope
	name  string
}

type scopeFacts struct {
	mu sync.RWMutex
	// resets counts Resets; a fact is kept with the count it was
	// established under, so a setup that raced a Reset is not taken as
	// done in the emptied state.
	resets uint64
	known  map[scopeFact]uint64
}

// Once runs ensure in ctx's scope unless an earlier Once of the same name
// in that scope succeeded since the store was opened or last reset. ensure
// must be idempotent and check the state itself (two first calls may both
// run it); once it has returned nil, later calls cost no transaction.
func (s *Store) Once(ctx context.Context, name string, ensure func(ctx context.Context) error) error {
	scope, err := s.scopeOf(ctx)
	if err != nil {
		return err
	}
	key := scopeFact{scope: scope, name: name}
	facts := &s.facts
	facts.mu.RLock()
	at, ok := facts.known[key]
	resets := facts.resets
	facts.mu.RUnlock()
	if ok && at == resets {
		return nil
	}
	if err := ensure(ctx); err != nil {
		return err
	}
	facts.mu.Lock()
	defer facts.mu.Unlock()
	if facts.resets != resets {
		return nil // the state was reset meanwhile: check again next time
	}
	if facts.known == nil {
		facts.known = map[scopeFact]uint64{}
	}
	facts.known[key] = resets
	return nil
}

// forget drops every fact; Reset calls it once the state is empty.
func (f *scopeFacts) forget() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.resets++
	f.known = nil
}
