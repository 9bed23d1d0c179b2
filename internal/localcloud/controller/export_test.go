package controller

// Passes is how many reconcile passes the controllers of this test binary
// have finished.
func Passes() uint64 { return passes.Load() }
