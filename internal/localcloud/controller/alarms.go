package controller

import (
	"context"
	"time"
)

// evaluateAlarms moves CloudWatch alarms to the state their metrics put
// them in. Passes run at least every resyncInterval, which is finer than
// any alarm period, so each period is evaluated soon after its data lands.
func (c *Controller) evaluateAlarms(ctx context.Context) error {
	if c.deps.CloudWatch == nil {
		return nil
	}
	return c.deps.CloudWatch.EvaluateAlarms(ctx, time.Now(), c.deps.Options.TimeScale)
}
