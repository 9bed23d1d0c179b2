// Package store keeps the local cloud's state: crash-safe (bbolt commits are
// atomic and fsynced, so `kill -9` loses at most the call in flight), JSON
// values in named tables, and a change signal for the controllers.
//
// The store is the only source of truth: backends read and write it inside a
// transaction for every call, so there is no cache to fall out of step after
// a restart.
package store

import (
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

// Store is an open state database.
type Store struct {
	db        *bolt.DB
	ephemeral string // directory to remove on Close, when ephemeral

	mu          sync.Mutex
	subscribers map[chan struct{}]struct{}
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
	return &Store{db: db, subscribers: map[chan struct{}]struct{}{}}, nil
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

// View runs fn in a read-only transaction.
func (s *Store) View(fn func(tx *Tx) error) error {
	return s.db.View(func(btx *bolt.Tx) error { return fn(&Tx{btx: btx}) })
}

// Update runs fn in a read-write transaction: all of its writes land, or
// none do when fn returns an error. Subscribers hear of every commit.
func (s *Store) Update(fn func(tx *Tx) error) error {
	if err := s.db.Update(func(btx *bolt.Tx) error { return fn(&Tx{btx: btx}) }); err != nil {
		return err
	}
	s.notify()
	return nil
}

// Reset empties every table.
func (s *Store) Reset() error {
	return s.Update(func(tx *Tx) error {
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
		return nil
	})
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

// Tx is one transaction. Tables are created on first write.
type Tx struct{ btx *bolt.Tx }

// Put stores v (as JSON) under key in table.
func (tx *Tx) Put(table, key string, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("store: encoding %s/%s: %w", table, key, err)
	}
	b, err := tx.btx.CreateBucketIfNotExists([]byte(table))
	if err != nil {
		return fmt.Errorf("store: table %s: %w", table, err)
	}
	return b.Put([]byte(key), data)
}

// Delete removes key from table; a missing key is not an error.
func (tx *Tx) Delete(table, key string) error {
	b := tx.btx.Bucket([]byte(table))
	if b == nil {
		return nil
	}
	return b.Delete([]byte(key))
}

// Get loads the value under key in table, or nil when there is none.
func Get[T any](tx *Tx, table, key string) (*T, error) {
	b := tx.btx.Bucket([]byte(table))
	if b == nil {
		return nil, nil
	}
	data := b.Get([]byte(key))
	if data == nil {
		return nil, nil
	}
	v := new(T)
	if err := json.Unmarshal(data, v); err != nil {
		return nil, fmt.Errorf("store: decoding %s/%s: %w", table, key, err)
	}
	return v, nil
}

// List loads every value in table, in key order.
func List[T any](tx *Tx, table string) ([]*T, error) {
	var out []*T
	b := tx.btx.Bucket([]byte(table))
	if b == nil {
		return out, nil
	}
	err := b.ForEach(func(k, data []byte) error {
		v := new(T)
		if err := json.Unmarshal(data, v); err != nil {
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
	b := tx.btx.Bucket([]byte(table))
	if b == nil {
		return out, nil
	}
	err := b.ForEach(func(k, _ []byte) error {
		out = append(out, string(k))
		return nil
	})
	return out, err
}
