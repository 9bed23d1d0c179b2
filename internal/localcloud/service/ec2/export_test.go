package ec2

import "time"

// What the external tests (package ec2_test, which import the whole local
// cloud) need from inside the package.

// SetClock replaces the backend's clock, so tests can age terminated
// instances without waiting.
func (b *Backend) SetClock(now func() time.Time) { b.now = now }
