// Package store keeps the local cloud's state: crash-safe (bbolt commits are
// atomic and fsynced, so `kill -9` loses at most the call in flight), JSON
// values in named tables partitioned by account and region (see Scope), and
// a change signal for the controllers.
//
// The store is the only source of truth: backends read and write it inside a
// transaction for every call, so there is no cache to fall out of step after
// a restart (the decode memo, memo.go, only saves decoding the same bytes
// twice).
package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// Store is an open state database, seen through one of its two kinds of
// scoped handle: regional (what Open returns; a transaction sees the tables
// of its context's account and region) or global (Global; it sees its
// context's account only, for services such as IAM that have no region).
type Store struct {
	*database
	global bool
}

type database struct {
	db        *bolt.DB
	ephemeral string // directory to remove on Close, when ephemeral

	mu          sync.Mutex
	subscribers map[chan struct{}]struct{}

	memo  decodeMemo
	facts scopeFacts
}

// Open opens (or creates) the state in dir.
func Open(dir string) (*Store, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("creating state directory: %w", err)
	}
	db, err := bolt.Open(filepath.Join(dir, "state.db"), 0o600, &bolt.Options{Timeout: 2 * time.Second})
	if err != nil {
		if errors.Is(err, berrors.ErrTimeout) {
			return nil, fmt.Errorf("state in %s is locked by another local cloud", dir)
		}
		return nil, fmt.Errorf("opening state in %s: %w", dir, err)
	}
	return &Store{database: &database{db: db, subscribers: map[chan struct{}]struct{}{}}}, nil
}

// OpenEphemeral opens a throwaway store that Close removes. It skips fsync:
// nothing in it is meant to survive.
func OpenEphemeral() (*Store, error) {
	dir, err := os.MkdirTemp("", "berth-state-")
	if err != nil {
		return nil, fmt.Errorf("creating ephemeral state: %w", err)
	}
	s, err := Open(dir)
	if err != nil {
		_ = os.RemoveAll(dir)
		return nil, err
	}
	s.db.NoSync = true
	s.ephemeral = dir
	return s, nil
}

// Global returns a handle on the same state whose transactions run in the
// account of their context with no region: a global service's resources
// are the same whichever regional endpoint a call was signed for.
func (s *Store) Global() *Store { return &Store{database: s.database, global: true} }

// Close closes the database (and removes it when ephemeral).
func (s *Store) Close() error {
	err := s.db.Close()
	if s.ephemeral != "" {
		if rmErr := os.RemoveAll(s.ephemeral); rmErr != nil && err == nil {
			err = rmErr
		}
	}
	return err
}

// scopeOf is the scope a transaction made with ctx runs in: the context's,
// without its region for a global handle. No scope is an error, never a
// default.
func (s *Store) scopeOf(ctx context.Context) (Scope, error) {
	scope, ok := ScopeFrom(ctx)
	if !ok {
		return Scope{}, ErrNoScope
	}
	if s.global {
		scope.Region = ""
	}
	if err := scope.validate(s.global); err != nil {
		return Scope{}, err
	}
	return scope, nil
}

// View runs fn in a read-only transaction in ctx's scope.
func (s *Store) View(ctx context.Context, fn func(tx *Tx) error) error {
	scope, err := s.scopeOf(ctx)
	if err != nil {
		return err
	}
	return s.db.View(func(btx *bolt.Tx) error {
		return fn(&Tx{btx: btx, partition: scope.partition(), scope: scope, memo: &s.memo})
	})
}

// Update runs fn in a read-write transaction in ctx's scope: all of its
// writes land, or none do when fn returns an error. Subscribers hear of
// every commit.
func (s *Store) Update(ctx context.Context, fn func(tx *Tx) error) error {
	scope, err := s.scopeOf(ctx)
	if err != nil {
		return err
	}
	return s.update(scope.partition(), scope, fn)
}

// ViewUnscoped runs fn in a read-only transaction on the unscoped
// partition: what belongs to the machine the local cloud runs on (process
// images), not to an account or a region. Tx.Scope is zero there.
func (s *Store) ViewUnscoped(fn func(tx *Tx) error) error {
	return s.db.View(func(btx *bolt.Tx) error {
		return fn(&Tx{btx: btx, partition: []byte(unscopedPartition), memo: &s.memo})
	})
}

// UpdateUnscoped is Update on the unscoped partition (see ViewUnscoped).
func (s *Store) UpdateUnscoped(fn func(tx *Tx) error) error {
	return s.update([]byte(unscopedPartition), Scope{}, fn)
}

// errNothingWritten rolls back a write transaction that changed nothing.
var errNothingWritten = errors.New("store: nothing written")

// update runs fn in a write transaction. One that put or deleted nothing is
// rolled back and signals no commit: the controllers run a pass after every
// commit, so a pass at rest that committed anyway would wake the next one
// forever.
func (s *Store) update(partition []byte, scope Scope, fn func(tx *Tx) error) error {
	err := s.db.Update(func(btx *bolt.Tx) error {
		tx := &Tx{btx: btx, partition: partition, scope: scope, memo: &s.memo}
		if err := fn(tx); err != nil {
			return err
		}
		if !tx.wrote {
			return errNothingWritten
		}
		return nil
	})
	switch {
	case errors.Is(err, errNothingWritten):
		return nil
	case err != nil:
		return err
	}
	s.notify()
	return nil
}

// Scopes lists the scopes that hold state, in order: the controllers act
// in each of them. State written by versions of the local cloud that did
// not scope it sits outside every scope and is never read.
func (s *Store) Scopes() ([]Scope, error) {
	var out []Scope
	err := s.db.View(func(btx *bolt.Tx) error {
		return btx.ForEach(func(name []byte, b *bolt.Bucket) error {
			if scope, ok := scopeOfPartition(string(name)); ok && holdsState(b) {
				out = append(out, scope)
			}
			return nil
		})
	})
	return out, err
}

// Reset empties every table of every scope and the unscoped partition.
func (s *Store) Reset() error {
	err := s.update([]byte(unscopedPartition), Scope{}, func(tx *Tx) error {
		var names [][]byte
		if err := tx.btx.ForEach(func(name []byte, _ *bolt.Bucket) error {
			names = append(names, append([]byte(nil), name...))
			return nil
		}); err != nil {
			return err
		}
		for _, name := range names {
			if err := tx.btx.DeleteBucket(name); err != nil {
				return err
			}
		}
		tx.wrote = true // an empty store's reset still tells the controllers
		return nil
	})
	s.facts.forget() // after the commit: a setup racing it is not remembered
	return err
}

// Subscribe returns a channel that receives a value after commits (coalesced:
// one pending signal at most) and a function that ends the subscription.
func (s *Store) Subscribe() (<-chan struct{}, func()) {
	ch := make(chan struct{}, 1)
	s.mu.Lock()
	s.subscribers[ch] = struct{}{}
	s.mu.Unlock()
	return ch, func() {
		s.mu.Lock()
		delete(s.subscribers, ch)
		s.mu.Unlock()
	}
}

func (s *Store) notify() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for ch := range s.subscribers {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
}

// Tx is one transaction in one scope (or in the unscoped partition). Its
// tables are the scope's own; tables are created on first write.
type Tx struct {
	btx       *bolt.Tx
	partition []byte
	scope     Scope
	wrote     bool
	memo      *decodeMemo
	// partitionBucket is the partition's bucket, once a read-only
	// transaction has looked it up.
	partitionBucket *bolt.Bucket
}

// Scope is the account and region the transaction runs in; resources it
// creates take their ARNs from it.
func (tx *Tx) Scope() Scope { return tx.scope }

// ARN builds the ARN of resource in the transaction's scope.
func (tx *Tx) ARN(service, resource string) string { return tx.scope.ARN(service, resource) }

// table returns the named table of the transaction's partition, or nil
// when it does not exist yet.
func (tx *Tx) table(name string) *bolt.Bucket {
	p := tx.partitionBucket
	if p == nil {
		if p = tx.btx.Bucket(tx.partition); p == nil {
			return nil
		}
		// A read-only transaction sees its partition unchanged to the end,
		// so one lookup serves every table it reads (a describe call reads
		// several); a write transaction may create or drop it.
		if !tx.btx.Writable() {
			tx.partitionBucket = p
		}
	}
	return p.Bucket([]byte(name))
}

func (tx *Tx) createTable(name string) (*bolt.Bucket, error) {
	p, err := tx.btx.CreateBucketIfNotExists(tx.partition)
	if err != nil {
		return nil, err
	}
	return p.CreateBucketIfNotExists([]byte(name))
}

// Put stores v (as JSON) under key in table.
func (tx *Tx) Put(table, key string, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("store: encoding %s/%s: %w", table, key, err)
	}
	b, err := tx.createTable(table)
	if err != nil {
		return fmt.Errorf("store: table %s: %w", table, err)
	}
	tx.wrote = true
	return b.Put([]byte(key), data)
}

// Delete removes key from table; a missing key is not an error.
func (tx *Tx) Delete(table, key string) error {
	b := tx.table(table)
	if b == nil {
		return nil
	}
	tx.wrote = true
	return b.Delete([]byte(key))
}

// Get loads the value under key in table, or nil when there is none.
func Get[T any](tx *Tx, table, key string) (*T, error) {
	b := tx.table(table)
	if b == nil {
		return nil, nil
	}
	data := b.Get([]byte(key))
	if data == nil {
		return nil, nil
	}
	v, err := decodeRecord(tx, table, []byte(key), data, func(v *T) error { return json.Unmarshal(data, v) })
	if err != nil {
		return nil, fmt.Errorf("store: decoding %s/%s: %w", table, key, err)
	}
	return v, nil
}

// List loads every value in table, in key order.
func List[T any](tx *Tx, table string) ([]*T, error) {
	var out []*T
	b := tx.table(table)
	if b == nil {
		return out, nil
	}
	err := b.ForEach(func(k, data []byte) error {
		if data == nil { // a nested bucket, never written by Put
			return nil
		}
		v, err := decodeRecord(tx, table, k, data, func(v *T) error { return json.Unmarshal(data, v) })
		if err != nil {
			return fmt.Errorf("store: decoding %s/%s: %w", table, k, err)
		}
		out = append(out, v)
		return nil
	})
	return out, err
}

// Keys lists the keys of table, in order.
func Keys(tx *Tx, table string) ([]string, error) {
	var out []string
	b := tx.table(table)
	if b == nil {
		return out, nil
	}
	err := b.ForEach(func(k, _ []byte) error {
		out = append(out, string(k))
		return nil
	})
	return out, err
}

// holdsState reports whether a partition has a table with a record in it
// (a table emptied by deletes stays behind, but holds nothing).
func holdsState(partition *bolt.Bucket) bool {
	c := partition.Cursor()
	for name, v := c.First(); name != nil; name, v = c.Next() {
		if v != nil {
			continue
		}
		if t := partition.Bucket(name); t != nil {
			if k, _ := t.Cursor().First(); k != nil {
				return true
			}
		}
	}
	return false
}
