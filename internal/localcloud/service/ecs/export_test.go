package ecs

import "time"

// What the external tests (package ecs_test, which import the whole local
// cloud) need from inside the package.

// SetClock replaces the backend's clock, for tests that age stopped tasks.
func (b *Backend) SetClock(now func() time.Time) { b.now = now }

// AccountSettingDefaults are the settings every account starts with.
var AccountSettingDefaults = accountSettingDefaults
