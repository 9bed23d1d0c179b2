package cloudwatch

import (
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/berthdev/berth/internal/localcloud/service/cloudwatch/wire"
	"github.com/berthdev/berth/internal/localcloud/store"
)

// Metric data lives in memory, not in the store. Datapoints are the one
// high-volume write of the local cloud (every task and every load balancer
// may put a few each minute); a crash-safe commit per put would cost a disk
// sync each, and every commit wakes the controller's passes. Alarms, which
// are configuration, are in the store. A restart therefore forgets metric
// data but not alarms, which then see missing data until new data comes in.
//
// Memory is bounded: datapoints are aggregated into buckets (one per minute
// for standard-resolution data, one per second for high-resolution data) of
// count, sum, minimum, maximum and at most maxBucketValues distinct values
// (for percentiles); a metric keeps retention (15 days, as long as AWS
// accepts timestamps in the past) and at most maxBuckets buckets, and a
// scope at most maxSeries metrics, the least recently written giving way.
// Worst case: 1,000 metrics × 21,600 buckets × ~1 KB; in practice a metric
// written each minute costs ~1 KB per hour held.
const (
	retention       = 15 * 24 * time.Hour
	maxBuckets      = 15 * 24 * 60
	maxBucketValues = 32
	maxSeries       = 1000
)

// metrics holds every scope's metric data.
type metrics struct {
	mu     sync.Mutex
	scopes map[store.Scope]map[string]*series
}

func newMetrics() *metrics { return &metrics{scopes: map[store.Scope]map[string]*series{}} }

// series is one metric: a namespace, a name and a set of dimensions.
type series struct {
	namespace, name string
	dims            []Dimension // sorted by name
	buckets         []bucket    // sorted by start, then unit
	lastPut         time.Time
}

// bucket aggregates the datapoints of one unit that fall in [start,
// start+width).
type bucket struct {
	start      int64 // unix seconds
	width      int64 // 1 or 60
	unit       string
	count, sum float64
	min, max   float64
	values     []valueCount
}

type valueCount struct{ value, count float64 }

// sample is what one datum adds: a count of values with their aggregate and,
// when known, the values themselves.
type sample struct {
	at         time.Time
	highRes    bool
	unit       string
	count, sum float64
	min, max   float64
	values     []valueCount
}

func seriesKey(namespace, name string, dims []Dimension) string {
	var b strings.Builder
	b.WriteString(namespace)
	b.WriteByte(0)
	b.WriteString(name)
	for _, d := range dims {
		b.WriteByte(0)
		b.WriteString(d.Name)
		b.WriteByte('=')
		b.WriteString(d.Value)
	}
	return b.String()
}

func sortedDims(dims []Dimension) []Dimension {
	out := slices.Clone(dims)
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

func (m *metrics) put(scope store.Scope, namespace, name string, dims []Dimension, s sample, now time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	all := m.scopes[scope]
	if all == nil {
		all = map[string]*series{}
		m.scopes[scope] = all
	}
	dims = sortedDims(dims)
	key := seriesKey(namespace, name, dims)
	sr := all[key]
	if sr == nil {
		if len(all) >= maxSeries {
			evictOldest(all)
		}
		sr = &series{namespace: namespace, name: name, dims: dims}
		all[key] = sr
	}
	sr.lastPut = now
	sr.add(s)
	sr.prune(now)
}

func evictOldest(all map[string]*series) {
	var oldestKey string
	var oldest time.Time
	for k, s := range all {
		if oldestKey == "" || s.lastPut.Before(oldest) {
			oldestKey, oldest = k, s.lastPut
		}
	}
	delete(all, oldestKey)
}

func (sr *series) add(s sample) {
	width := int64(60)
	if s.highRes {
		width = 1
	}
	start := s.at.Unix() / width * width
	before := func(b bucket) bool { // buckets are ordered by start, width, unit
		if b.start != start {
			return b.start < start
		}
		if b.width != width {
			return b.width < width
		}
		return b.unit < s.unit
	}
	i := sort.Search(len(sr.buckets), func(i int) bool { return !before(sr.buckets[i]) })
	if i < len(sr.buckets) && sr.buckets[i].start == start && sr.buckets[i].width == width && sr.buckets[i].unit == s.unit {
		sr.buckets[i].merge(s)
		return
	}
	b := bucket{start: start, width: width, unit: s.unit, min: math.Inf(1), max: math.Inf(-1)}
	b.merge(s)
	sr.buckets = slices.Insert(sr.buckets, i, b)
	if len(sr.buckets) > maxBuckets {
		sr.buckets = slices.Delete(sr.buckets, 0, len(sr.buckets)-maxBuckets)
	}
}

func (b *bucket) merge(s sample) {
	b.count += s.count
	b.sum += s.sum
	b.min = math.Min(b.min, s.min)
	b.max = math.Max(b.max, s.max)
	for _, v := range s.values {
		b.addValue(v)
	}
}

// addValue keeps the bucket's value distribution. Up to maxBucketValues
// distinct values are kept exactly; past that the two closest kept values
// merge into their weighted mean to make room (a streaming histogram), so
// percentiles stay approximately right in bounded space.
func (b *bucket) addValue(v valueCount) {
	i := sort.Search(len(b.values), func(i int) bool { return b.values[i].value >= v.value })
	if i < len(b.values) && b.values[i].value == v.value {
		b.values[i].count += v.count
		return
	}
	b.values = slices.Insert(b.values, i, v)
	if len(b.values) <= maxBucketValues {
		return
	}
	closest := 0
	for j := 1; j+1 < len(b.values); j++ {
		if b.values[j+1].value-b.values[j].value < b.values[closest+1].value-b.values[closest].value {
			closest = j
		}
	}
	lo, hi := b.values[closest], b.values[closest+1]
	count := lo.count + hi.count
	b.values[closest] = valueCount{value: (lo.value*lo.count + hi.value*hi.count) / count, count: count}
	b.values = slices.Delete(b.values, closest+1, closest+2)
}

func (sr *series) prune(now time.Time) {
	cutoff := now.Add(-retention).Unix()
	n := sort.Search(len(sr.buckets), func(i int) bool { return sr.buckets[i].start >= cutoff })
	if n > 0 {
		sr.buckets = slices.Delete(sr.buckets, 0, n)
	}
}

// metricInfo is a metric's identity and its last datapoint's time.
type metricInfo struct {
	wire.Metric
	last time.Time
}

// list returns the metrics of scope that hold data.
func (m *metrics) list(scope store.Scope, now time.Time) []metricInfo {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []metricInfo
	for _, sr := range m.scopes[scope] {
		sr.prune(now)
		if len(sr.buckets) == 0 {
			continue
		}
		last := sr.buckets[len(sr.buckets)-1]
		out = append(out, metricInfo{
			Metric: wire.Metric{Namespace: sr.namespace, MetricName: sr.name, Dimensions: slices.Clone(sr.dims)},
			last:   time.Unix(last.start, 0),
		})
	}
	return out
}

// aggregate is one period's statistics.
type aggregate struct {
	start            time.Time
	unit             string
	count, sum       float64
	min, max         float64
	values           []valueCount
	valuesIncomplete bool // some datapoints came as statistic sets only
}

// aggregates returns, for each period of the given length in [start, end)
// (aligned to start) that holds data of the unit (any when ""), its
// statistics, oldest first. The dimensions must match exactly.
func (m *metrics) aggregates(scope store.Scope, namespace, name string, dims []Dimension, unit string, start, end time.Time, period time.Duration) []aggregate {
	m.mu.Lock()
	defer m.mu.Unlock()
	sr := m.scopes[scope][seriesKey(namespace, name, sortedDims(dims))]
	if sr == nil {
		return nil
	}
	p := int64(period / time.Second)
	if p <= 0 {
		return nil
	}
	from, to := start.Unix(), end.Unix()
	var out []aggregate
	i := sort.Search(len(sr.buckets), func(i int) bool { return sr.buckets[i].start >= from })
	for ; i < len(sr.buckets) && sr.buckets[i].start < to; i++ {
		b := sr.buckets[i]
		if unit != "" && b.unit != unit {
			continue
		}
		slot := from + (b.start-from)/p*p
		if len(out) == 0 || out[len(out)-1].start.Unix() != slot {
			out = append(out, aggregate{start: time.Unix(slot, 0).UTC(), unit: b.unit, min: math.Inf(1), max: math.Inf(-1)})
		}
		a := &out[len(out)-1]
		a.count += b.count
		a.sum += b.sum
		a.min = math.Min(a.min, b.min)
		a.max = math.Max(a.max, b.max)
		var inValues float64
		for _, v := range b.values {
			a.values = append(a.values, v)
			inValues += v.count
		}
		if inValues < b.count {
			a.valuesIncomplete = true
		}
	}
	return out
}

func (m *metrics) reset() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.scopes = map[store.Scope]map[string]*series{}
}

// statistic computes one statistic of a period: SampleCount, Average, Sum,
// Minimum, Maximum or a percentile pNN(.NN); ok is false when the period
// cannot give it (a percentile of data that came only as statistic sets).
func (a *aggregate) statistic(stat string) (float64, bool) {
	switch stat {
	case "SampleCount":
		return a.count, true
	case "Sum":
		return a.sum, true
	case "Average":
		if a.count == 0 {
			return 0, false
		}
		return a.sum / a.count, true
	case "Minimum":
		return a.min, true
	case "Maximum":
		return a.max, true
	}
	q, ok := percentile(stat)
	if !ok || len(a.values) == 0 || a.valuesIncomplete {
		return 0, false
	}
	vals := slices.Clone(a.values)
	sort.Slice(vals, func(i, j int) bool { return vals[i].value < vals[j].value })
	var total float64
	for _, v := range vals {
		total += v.count
	}
	// Nearest rank: the smallest value at or below which q% of the
	// samples lie.
	rank := math.Ceil(q / 100 * total)
	var seen float64
	for _, v := range vals {
		seen += v.count
		if seen >= rank {
			return v.value, true
		}
	}
	return vals[len(vals)-1].value, true
}

// percentile parses pNN or pNN.NN into its percentage.
func percentile(stat string) (float64, bool) {
	rest, ok := strings.CutPrefix(stat, "p")
	if !ok || rest == "" {
		return 0, false
	}
	intPart, frac, hasFrac := strings.Cut(rest, ".")
	if intPart == "" || len(intPart) > 3 || (hasFrac && (frac == "" || len(frac) > 2)) {
		return 0, false
	}
	q, err := strconv.ParseFloat(rest, 64)
	if err != nil || q < 0 || q > 100 {
		return 0, false
	}
	return q, true
}
