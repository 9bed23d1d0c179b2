package cloudwatch

import (
	"context"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/berthdev/berth/internal/localcloud/service/cloudwatch/wire"
	"github.com/berthdev/berth/internal/localcloud/service/paging"
	"github.com/berthdev/berth/internal/localcloud/store"
)

var queryID = regexp.MustCompile(`^[a-z][a-zA-Z0-9_]*$`)

// seriesValues is a time series: values by period start (unix seconds).
type seriesValues map[int64]float64

// evaluated is an expression's value: a scalar, one series or several.
type evaluated struct {
	scalar *float64
	series seriesValues
	many   []seriesValues
}

// runQueries evaluates MetricDataQueries over [start, end): MetricStat
// queries read the metrics, expressions combine them. It returns each
// query's series by id.
func (b *Backend) runQueries(scope store.Scope, queries []wire.MetricDataQuery, start, end time.Time, member string) (map[string]seriesValues, error) {
	byID, err := checkQueries(queries, member)
	if err != nil {
		return nil, err
	}
	results := map[string]seriesValues{}
	stats := map[string]seriesValues{}
	for _, q := range queries {
		if q.MetricStat == nil {
			continue
		}
		ms := q.MetricStat
		values := seriesValues{}
		period := time.Duration(valueOf(ms.Period)) * time.Second
		for _, a := range b.metrics.aggregates(scope, ms.Metric.Namespace, ms.Metric.MetricName, ms.Metric.Dimensions, ms.Unit,
			start.Truncate(min(period, time.Minute)), end, period) { // periods on whole minutes, as GetMetricStatistics
			if v, ok := a.statistic(ms.Stat); ok {
				values[a.start.Unix()] = v
			}
		}
		results[q.Id], stats[q.Id] = values, values
	}
	var times []int64 // where scalars are shown: every period some metric has
	for _, s := range stats {
		for t := range s {
			times = append(times, t)
		}
	}
	slices.Sort(times)
	times = slices.Compact(times)
	// Expressions may reference MetricStat queries and other expressions;
	// each is evaluated once, and a cycle is an error.
	visiting := map[string]bool{}
	var resolve func(id string) (evaluated, error)
	resolve = func(id string) (evaluated, error) {
		if s, ok := results[id]; ok {
			return evaluated{series: s}, nil
		}
		q := byID[id]
		if visiting[id] {
			return evaluated{}, fmt.Errorf("query %s references itself", id)
		}
		visiting[id] = true
		defer delete(visiting, id)
		p := exprParser{src: q.Expression, ids: byID, stats: stats, resolve: resolve}
		v, err := p.parse()
		if err != nil {
			return v, err
		}
		switch {
		case v.series != nil:
			results[id] = v.series
		case v.scalar != nil:
			s := seriesValues{}
			for _, t := range times {
				s[t] = *v.scalar
			}
			results[id] = s
		default:
			return v, fmt.Errorf("the expression of %s gives several time series; wrap it in SUM, AVG, MIN or MAX", id)
		}
		return evaluated{series: results[id]}, nil
	}
	for _, q := range queries {
		if q.Expression == "" {
			continue
		}
		if _, err := resolve(q.Id); err != nil {
			return nil, errInvalidValue("The expression %q of query %s is not supported here: %v. Supported: query ids, numbers, + - * / and parentheses, and SUM, AVG, MIN, MAX over ids, [id, …] or METRICS(), ABS.", q.Expression, q.Id, err)
		}
	}
	return results, nil
}

// checkQueries applies the rules of MetricDataQueries (ids, one of
// MetricStat or Expression, periods and statistics) and indexes them by id.
func checkQueries(queries []wire.MetricDataQuery, member string) (map[string]*wire.MetricDataQuery, error) {
	byID := map[string]*wire.MetricDataQuery{}
	for i := range queries {
		q := &queries[i]
		name := fmt.Sprintf("%s.member.%d", member, i+1)
		if !queryID.MatchString(q.Id) {
			return nil, errInvalidValue("The value %s for parameter %s.Id is invalid: it must start with a lowercase letter and hold only letters, numbers and underscores.", q.Id, name)
		}
		if byID[q.Id] != nil {
			return nil, errInvalidValue("The value %s for parameter %s.Id is not unique.", q.Id, name)
		}
		byID[q.Id] = q
		switch {
		case q.MetricStat != nil && q.Expression != "":
			return nil, errCombination("The parameters %[1]s.MetricStat and %[1]s.Expression are mutually exclusive and you have specified both.", name)
		case q.MetricStat == nil && q.Expression == "":
			return nil, errMissing("One of the parameters %[1]s.MetricStat or %[1]s.Expression must be specified.", name)
		case q.MetricStat != nil:
			if q.MetricStat.Metric == nil {
				return nil, errMissing("The parameter %s.MetricStat.Metric is required.", name)
			}
			if _, err := checkPeriod(q.MetricStat.Period, name+".MetricStat.Period"); err != nil {
				return nil, err
			}
			if err := checkStat(q.MetricStat.Stat, name+".MetricStat.Stat"); err != nil {
				return nil, err
			}
		}
	}
	return byID, nil
}

// exprParser is a recursive-descent parser and evaluator of the metric
// math subset the local cloud supports.
type exprParser struct {
	src     string
	pos     int
	depth   int
	ids     map[string]*wire.MetricDataQuery
	stats   map[string]seriesValues // the MetricStat queries' series
	resolve func(id string) (evaluated, error)
}

func (p *exprParser) parse() (evaluated, error) {
	v, err := p.sum()
	if err != nil {
		return v, err
	}
	p.space()
	if p.pos != len(p.src) {
		return v, fmt.Errorf("unexpected %q at position %d", p.src[p.pos:], p.pos+1)
	}
	return v, nil
}

func (p *exprParser) space() {
	for p.pos < len(p.src) && p.src[p.pos] == ' ' {
		p.pos++
	}
}

func (p *exprParser) peek() byte {
	p.space()
	if p.pos < len(p.src) {
		return p.src[p.pos]
	}
	return 0
}

func (p *exprParser) sum() (evaluated, error) {
	left, err := p.product()
	for err == nil {
		op := p.peek()
		if op != '+' && op != '-' {
			break
		}
		p.pos++
		var right evaluated
		if right, err = p.product(); err == nil {
			left, err = arith(left, right, op)
		}
	}
	return left, err
}

func (p *exprParser) product() (evaluated, error) {
	left, err := p.unary()
	for err == nil {
		op := p.peek()
		if op != '*' && op != '/' {
			break
		}
		p.pos++
		var right evaluated
		if right, err = p.unary(); err == nil {
			left, err = arith(left, right, op)
		}
	}
	return left, err
}

func (p *exprParser) unary() (evaluated, error) {
	p.depth++
	defer func() { p.depth-- }()
	if p.depth > 50 {
		return evaluated{}, fmt.Errorf("nested too deeply")
	}
	if p.peek() == '-' {
		p.pos++
		v, err := p.unary()
		if err != nil {
			return v, err
		}
		return arith(constant(-1), v, '*')
	}
	return p.primary()
}

func constant(f float64) evaluated { return evaluated{scalar: &f} }

func (p *exprParser) primary() (evaluated, error) {
	c := p.peek()
	switch {
	case c == '(':
		p.pos++
		v, err := p.sum()
		if err != nil {
			return v, err
		}
		if p.peek() != ')' {
			return v, fmt.Errorf("missing ')'")
		}
		p.pos++
		return v, nil
	case c == '[':
		p.pos++
		var many []seriesValues
		for {
			v, err := p.sum()
			if err != nil {
				return v, err
			}
			if v.series == nil {
				return v, fmt.Errorf("an array holds time series only")
			}
			many = append(many, v.series)
			if p.peek() == ',' {
				p.pos++
				continue
			}
			if p.peek() != ']' {
				return v, fmt.Errorf("missing ']'")
			}
			p.pos++
			return evaluated{many: many}, nil
		}
	case c >= '0' && c <= '9' || c == '.':
		start := p.pos
		for p.pos < len(p.src) && (p.src[p.pos] >= '0' && p.src[p.pos] <= '9' || p.src[p.pos] == '.') {
			p.pos++
		}
		f, err := strconv.ParseFloat(p.src[start:p.pos], 64)
		if err != nil {
			return evaluated{}, fmt.Errorf("bad number %q", p.src[start:p.pos])
		}
		return constant(f), nil
	case unicode.IsLetter(rune(c)):
		start := p.pos
		for p.pos < len(p.src) && (unicode.IsLetter(rune(p.src[p.pos])) || unicode.IsDigit(rune(p.src[p.pos])) || p.src[p.pos] == '_') {
			p.pos++
		}
		word := p.src[start:p.pos]
		if p.peek() == '(' {
			return p.call(word)
		}
		if _, ok := p.ids[word]; !ok {
			return evaluated{}, fmt.Errorf("no query has the id %s", word)
		}
		return p.resolve(word)
	case c == 0:
		return evaluated{}, fmt.Errorf("unexpected end of expression")
	default:
		return evaluated{}, fmt.Errorf("unexpected %q", string(c))
	}
}

func (p *exprParser) call(name string) (evaluated, error) {
	p.pos++ // '('
	var arg evaluated
	if strings.EqualFold(name, "METRICS") {
		if p.peek() != ')' {
			return arg, fmt.Errorf("METRICS() with a filter is not supported")
		}
		for _, s := range p.stats { // METRICS() is every MetricStat query's series
			arg.many = append(arg.many, s)
		}
	} else {
		var err error
		if arg, err = p.sum(); err != nil {
			return arg, err
		}
		if p.peek() != ')' {
			return arg, fmt.Errorf("%s takes one argument", name)
		}
	}
	p.pos++ // ')'
	switch strings.ToUpper(name) {
	case "METRICS":
		return arg, nil
	case "ABS":
		if arg.many != nil {
			return arg, fmt.Errorf("ABS of several time series")
		}
		return mapValues(arg, math.Abs), nil
	case "SUM", "AVG", "MIN", "MAX":
		return reduce(strings.ToUpper(name), arg)
	default:
		return arg, fmt.Errorf("function %s is not supported", name)
	}
}

func mapValues(v evaluated, fn func(float64) float64) evaluated {
	if v.scalar != nil {
		return constant(fn(*v.scalar))
	}
	out := seriesValues{}
	for t, x := range v.series {
		out[t] = fn(x)
	}
	return evaluated{series: out}
}

func combine(fn string, xs []float64) float64 {
	r := xs[0]
	for _, x := range xs[1:] {
		switch fn {
		case "SUM", "AVG":
			r += x
		case "MIN":
			r = math.Min(r, x)
		case "MAX":
			r = math.Max(r, x)
		}
	}
	if fn == "AVG" {
		r /= float64(len(xs))
	}
	return r
}

// reduce applies SUM, AVG, MIN or MAX: across series at each timestamp for
// several series, over time for one (giving a scalar).
func reduce(fn string, v evaluated) (evaluated, error) {
	switch {
	case v.many != nil:
		byTime := map[int64][]float64{}
		for _, s := range v.many {
			for t, x := range s {
				byTime[t] = append(byTime[t], x)
			}
		}
		out := seriesValues{}
		for t, xs := range byTime {
			out[t] = combine(fn, xs)
		}
		return evaluated{series: out}, nil
	case v.series != nil:
		if len(v.series) == 0 {
			return evaluated{series: seriesValues{}}, nil
		}
		xs := make([]float64, 0, len(v.series))
		for _, x := range v.series {
			xs = append(xs, x)
		}
		return constant(combine(fn, xs)), nil
	default:
		return v, nil
	}
}

// arith applies a binary operator; series meet series at the timestamps
// both have.
func arith(a, b evaluated, op byte) (evaluated, error) {
	if a.many != nil || b.many != nil {
		return evaluated{}, fmt.Errorf("arithmetic on an array of time series")
	}
	apply := func(x, y float64) float64 {
		switch op {
		case '+':
			return x + y
		case '-':
			return x - y
		case '*':
			return x * y
		}
		if y == 0 {
			return math.NaN()
		}
		return x / y
	}
	switch {
	case a.scalar != nil && b.scalar != nil:
		return constant(apply(*a.scalar, *b.scalar)), nil
	case a.scalar != nil:
		return mapValues(b, func(y float64) float64 { return apply(*a.scalar, y) }), nil
	case b.scalar != nil:
		return mapValues(a, func(x float64) float64 { return apply(x, *b.scalar) }), nil
	}
	out := seriesValues{}
	for t, x := range a.series {
		if y, ok := b.series[t]; ok {
			out[t] = apply(x, y)
		}
	}
	return evaluated{series: out}, nil
}

func (b *Backend) getMetricData(ctx context.Context, in *wire.GetMetricDataInput) (*wire.GetMetricDataOutput, error) {
	scope, err := scopeOf(ctx)
	if err != nil {
		return nil, err
	}
	if in.StartTime == nil || in.EndTime == nil {
		return nil, errMissing("The parameters StartTime and EndTime are required.")
	}
	if !in.StartTime.Before(in.EndTime.Time) {
		return nil, errInvalidValue("The parameter StartTime must be less than the parameter EndTime.")
	}
	if len(in.MetricDataQueries) == 0 {
		return nil, errMissing("The parameter MetricDataQueries is required.")
	}
	if len(in.MetricDataQueries) > 500 {
		return nil, errInvalidValue("The collection MetricDataQueries must not have a size greater than 500.")
	}
	descending := true
	switch in.ScanBy {
	case "", "TimestampDescending":
	case "TimestampAscending":
		descending = false
	default:
		return nil, errInvalidValue("The value %s for parameter ScanBy is invalid.", in.ScanBy)
	}
	maxPoints := 100800
	if in.MaxDatapoints != nil {
		if *in.MaxDatapoints < 1 {
			return nil, errInvalidValue("The parameter MaxDatapoints must be greater than 0.")
		}
		maxPoints = int(*in.MaxDatapoints)
	}
	series, err := b.runQueries(scope, in.MetricDataQueries, in.StartTime.Time, in.EndTime.Time, "MetricDataQueries")
	if err != nil {
		return nil, err
	}
	var returned []wire.MetricDataQuery
	for _, q := range in.MetricDataQueries {
		if q.ReturnData == nil || *q.ReturnData {
			returned = append(returned, q)
		}
	}
	// Pages cut the union of the results' timestamps, in scan order, so
	// that a page holds at most MaxDatapoints values.
	var times []int64
	for _, q := range returned {
		for t := range series[q.Id] {
			times = append(times, t)
		}
	}
	slices.Sort(times)
	times = slices.Compact(times)
	key := func(t int64) string {
		if descending {
			t = math.MaxInt64 - t
		}
		return fmt.Sprintf("%020d", t)
	}
	perTime := max(1, len(returned))
	page, next, err := paging.Page(times, key, in.NextToken, max(1, maxPoints/perTime))
	if err != nil {
		return nil, errBadToken()
	}
	out := &wire.GetMetricDataOutput{NextToken: next, MetricDataResults: make([]wire.MetricDataResult, 0, len(returned)), Messages: []wire.MessageData{}}
	for _, q := range returned {
		label := q.Label
		if label == "" {
			label = q.Id
			if q.MetricStat != nil {
				label = q.MetricStat.Metric.MetricName
			}
		}
		r := wire.MetricDataResult{Id: q.Id, Label: label, StatusCode: "Complete", Timestamps: []wire.Time{}, Values: []wire.Double{}, Messages: []wire.MessageData{}}
		if next != "" {
			r.StatusCode = "PartialData"
		}
		for _, t := range page {
			if v, ok := series[q.Id][t]; ok && !math.IsNaN(v) && !math.IsInf(v, 0) {
				r.Timestamps = append(r.Timestamps, wire.Time{Time: time.Unix(t, 0).UTC()})
				r.Values = append(r.Values, wire.Double(v))
			}
		}
		out.MetricDataResults = append(out.MetricDataResults, r)
	}
	return out, nil
}
