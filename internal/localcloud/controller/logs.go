package controller

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/berthdev/berth/internal/localcloud/service/logs"
	"github.com/berthdev/berth/internal/localcloud/store"
)

// flushInterval batches task output into few store commits, the way the
// awslogs driver batches PutLogEvents calls.
const flushInterval = 250 * time.Millisecond

// maxBatch caps one PutLogEvents-sized batch per stream.
const maxBatch = 1000

// streamKey names a log stream: its group lives in the task's account and
// region.
type streamKey struct {
	scope         store.Scope
	group, stream string
}

// logShipper forwards task output lines to CloudWatch Logs in batches. It
// never blocks a task's output: lines wait in memory until the next flush.
type logShipper struct {
	backend *logs.Backend
	log     *slog.Logger

	mu      sync.Mutex
	pending map[streamKey][]logs.Event
	wake    chan struct{}
	// flushing keeps concurrent flushes (the ticker's, a stopping task's)
	// from appending a stream's batches out of order.
	flushing sync.Mutex
}

func newLogShipper(backend *logs.Backend, log *slog.Logger) *logShipper {
	return &logShipper{backend: backend, log: log, pending: map[streamKey][]logs.Event{}, wake: make(chan struct{}, 1)}
}

func (s *logShipper) add(key streamKey, event logs.Event) {
	s.mu.Lock()
	s.pending[key] = append(s.pending[key], event)
	full := len(s.pending[key]) >= maxBatch
	s.mu.Unlock()
	if full {
		select {
		case s.wake <- struct{}{}:
		default:
		}
	}
}

func (s *logShipper) run(ctx context.Context) {
	ticker := time.NewTicker(flushInterval)
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			s.flush(context.WithoutCancel(ctx)) // the last lines of stopping tasks matter most
			return
		case <-ticker.C:
		case <-s.wake:
		}
		s.flush(ctx)
	}
}

func (s *logShipper) flush(ctx context.Context) {
	s.flushing.Lock()
	defer s.flushing.Unlock()
	s.mu.Lock()
	batches := s.pending
	s.pending = map[streamKey][]logs.Event{}
	s.mu.Unlock()
	for key, events := range batches {
		for len(events) > 0 {
			n := min(len(events), maxBatch)
			if err := s.backend.Append(store.WithScope(ctx, key.scope), key.group, key.stream, events[:n]); err != nil {
				s.log.Warn("dropping task output: log group not writable", "scope", key.scope.String(), "group", key.group, "stream", key.stream, "lines", n, "error", err)
			}
			events = events[n:]
		}
	}
}
