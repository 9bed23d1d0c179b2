package ec2

import "time"

// What the external tests (package ec2_test, which import the whole local
// cloud) need from inside the package.

// SetClock replaces the backend's clock, so tests can age terminated
// instances without waiting.
func (b *Backend) SetClock(now func() time.Time) { b.now = now }

// RetiredOperations are the EC2-Classic operations answered
// UnsupportedOperation without reading their requests.
var RetiredOperations = retiredOperations
