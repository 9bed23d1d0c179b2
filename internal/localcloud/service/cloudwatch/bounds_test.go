package cloudwatch

import (
	"fmt"
	"testing"
	"time"

	"github.com/berthdev/berth/internal/localcloud/store"
)

var testScope = store.Scope{Account: "000000000000", Region: "us-east-1"}

func one(at time.Time, v float64) sample {
	return sample{at: at, unit: "None", count: 1, sum: v, min: v, max: v, values: []valueCount{{v, 1}}}
}

// The memory bounds of metrics.go hold: values per bucket, buckets by
// retention, metrics per scope.
func TestMetricBounds(t *testing.T) {
	now := time.Date(2026, 12, 1, 12, 0, 30, 0, time.UTC)
	m := newMetrics()

	for i := range 1000 { // a thousand distinct values in one minute
		m.put(testScope, "App", "Latency", nil, one(now, float64(i)), now)
	}
	sr := m.scopes[testScope][seriesKey("App", "Latency", nil)]
	if len(sr.buckets) != 1 || len(sr.buckets[0].values) != maxBucketValues {
		t.Fatalf("%d buckets, %d values kept; want 1 bucket of %d values", len(sr.buckets), len(sr.buckets[0].values), maxBucketValues)
	}
	aggs := m.aggregates(testScope, "App", "Latency", nil, "", now.Truncate(time.Minute), now.Add(time.Minute), time.Minute)
	if len(aggs) != 1 || aggs[0].count != 1000 {
		t.Fatalf("aggregates = %+v, want one period of 1000 samples", aggs)
	}
	p50, ok := aggs[0].statistic("p50")
	if !ok || p50 < 400 || p50 > 600 {
		t.Fatalf("p50 of 0..999 = %v (%v), want about 500 from the bounded distribution", p50, ok)
	}

	// Data older than the retention goes when the metric is next written.
	old := now.Add(-retention - time.Hour)
	m.put(testScope, "App", "Old", nil, one(old, 1), old)
	m.put(testScope, "App", "Old", nil, one(now, 2), now)
	if sr := m.scopes[testScope][seriesKey("App", "Old", nil)]; len(sr.buckets) != 1 || sr.buckets[0].sum != 2 {
		t.Fatalf("buckets after retention: %+v", sr.buckets)
	}

	// Past maxSeries metrics, the least recently written gives way.
	for i := range maxSeries + 5 {
		at := now.Add(time.Duration(i) * time.Millisecond)
		m.put(testScope, "Many", fmt.Sprintf("m%04d", i), nil, one(at, 1), at)
	}
	if n := len(m.scopes[testScope]); n != maxSeries {
		t.Fatalf("%d metrics kept, want %d", n, maxSeries)
	}
	if _, ok := m.scopes[testScope][seriesKey("Many", fmt.Sprintf("m%04d", maxSeries+4), nil)]; !ok {
		t.Fatal("the newest metric was evicted")
	}
}
