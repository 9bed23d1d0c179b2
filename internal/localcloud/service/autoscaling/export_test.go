package autoscaling

import "time"

// SetClock replaces the backend's clock, for tests that outlast a cooldown.
func (b *Backend) SetClock(now func() time.Time) { b.now = now }
