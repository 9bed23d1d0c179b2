package applicationautoscaling

import (
	"strconv"
	"strings"
	"time"
)

// FiresBetween reports whether the action's schedule fires in (since,
// now], within its StartTime and EndTime: the data plane asks each pass
// with since the last time it asked. at() fires once at its time; rate()
// every interval from StartTime (else the action's creation); cron() at
// each matching minute. Times are in the action's Timezone, else UTC.
func (a ScheduledAction) FiresBetween(since, now time.Time) bool {
	if a.StartTime != nil && now.Before(a.StartTime.Time()) {
		return false
	}
	if a.EndTime != nil && since.After(a.EndTime.Time()) {
		return false
	}
	loc := time.UTC
	if a.Timezone != "" {
		if l, err := time.LoadLocation(a.Timezone); err == nil {
			loc = l
		}
	}
	in := func(t time.Time) bool {
		return t.After(since) && !t.After(now) &&
			(a.StartTime == nil || !t.Before(a.StartTime.Time())) && (a.EndTime == nil || !t.After(a.EndTime.Time()))
	}
	if m := atSchedule.FindStringSubmatch(a.Schedule); m != nil {
		at, err := time.ParseInLocation("2006-01-02T15:04:05", m[1], loc)
		return err == nil && in(at)
	}
	if m := rateSchedule.FindStringSubmatch(a.Schedule); m != nil {
		n, _ := strconv.Atoi(m[1])
		unit := map[byte]time.Duration{'m': time.Minute, 'h': time.Hour, 'd': 24 * time.Hour}[m[2][0]]
		every := time.Duration(n) * unit
		start := a.CreationTime.Time()
		if a.StartTime != nil {
			start = a.StartTime.Time()
		}
		if every <= 0 || !now.After(start) {
			return false
		}
		k := now.Sub(start) / every
		return k >= 1 && in(start.Add(k*every))
	}
	m := cronSchedule.FindStringSubmatch(a.Schedule)
	if m == nil {
		return false
	}
	fields := strings.Fields(m[1])
	if len(fields) != 6 {
		return false
	}
	// Minute by minute, at most the last hour: a pass runs every second,
	// so only a stopped cloud misses more, and AWS does not catch up
	// either.
	first := since.Truncate(time.Minute).Add(time.Minute)
	if limit := now.Add(-time.Hour); first.Before(limit) {
		first = limit.Truncate(time.Minute)
	}
	for t := first; !t.After(now); t = t.Add(time.Minute) {
		if in(t) && cronMatches(fields, t.In(loc)) {
			return true
		}
	}
	return false
}

// cronMatches reports whether minute t matches the six cron fields.
func cronMatches(f []string, t time.Time) bool {
	return cronFieldMatches(f[0], t.Minute(), cronFields[0]) &&
		cronFieldMatches(f[1], t.Hour(), cronFields[1]) &&
		domMatches(f[2], t) &&
		cronFieldMatches(f[3], int(t.Month()), cronFields[3]) &&
		dowMatches(f[4], t) &&
		cronFieldMatches(f[5], t.Year(), cronFields[5])
}

// cronFieldMatches matches a plain field: *, ?, values, ranges, lists and
// steps, with names where the field has them.
func cronFieldMatches(f string, v int, spec cronField) bool {
	if f == "*" || f == "?" {
		return true
	}
	for _, item := range strings.Split(f, ",") {
		base, stepText, hasStep := strings.Cut(item, "/")
		step := 1
		if hasStep {
			step, _ = strconv.Atoi(stepText)
			if step < 1 {
				continue
			}
		}
		lo, hi := spec.lo, spec.hi
		if base != "*" {
			l, h, isRange := strings.Cut(base, "-")
			lo = cronValue(l, spec)
			hi = lo
			if isRange {
				hi = cronValue(h, spec)
			} else if hasStep {
				hi = spec.hi
			}
		}
		if v >= lo && v <= hi && (v-lo)%step == 0 {
			return true
		}
	}
	return false
}

func cronValue(s string, spec cronField) int {
	for i, name := range spec.names {
		if strings.EqualFold(name, s) {
			return spec.lo + i
		}
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return -1
	}
	return n
}

func lastDay(t time.Time) int {
	return time.Date(t.Year(), t.Month()+1, 0, 0, 0, 0, 0, t.Location()).Day()
}

// domMatches adds L (last day), LW (last weekday) and nW (the weekday
// nearest day n, in the same month) to the day-of-month field.
func domMatches(f string, t time.Time) bool {
	day, last := t.Day(), lastDay(t)
	weekday := t.Weekday() != time.Saturday && t.Weekday() != time.Sunday
	for _, item := range strings.Split(f, ",") {
		switch {
		case item == "L":
			if day == last {
				return true
			}
		case item == "LW":
			if weekday && last-day < 3 && nearestWeekday(t, last) == day {
				return true
			}
		case strings.HasSuffix(item, "W"):
			n, err := strconv.Atoi(strings.TrimSuffix(item, "W"))
			if err == nil && weekday && nearestWeekday(t, min(n, last)) == day {
				return true
			}
		case cronFieldMatches(item, day, cronFields[2]):
			return true
		}
	}
	return false
}

// nearestWeekday is the weekday closest to day n of t's month, not leaving
// the month.
func nearestWeekday(t time.Time, n int) int {
	d := time.Date(t.Year(), t.Month(), n, 0, 0, 0, 0, t.Location())
	switch d.Weekday() {
	case time.Saturday:
		if n == 1 {
			return 3
		}
		return n - 1
	case time.Sunday:
		if n == lastDay(t) {
			return n - 2
		}
		return n + 1
	}
	return n
}

// dowMatches adds nL (the month's last such day) and n#k (its k-th) to
// the day-of-week field, whose days are 1 (SUN) to 7 (SAT).
func dowMatches(f string, t time.Time) bool {
	dow := int(t.Weekday()) + 1
	for _, item := range strings.Split(f, ",") {
		switch {
		case item == "L":
			if dow == 7 {
				return true
			}
		case strings.HasSuffix(item, "L"):
			if cronValue(strings.TrimSuffix(item, "L"), cronFields[4]) == dow && t.Day()+7 > lastDay(t) {
				return true
			}
		case strings.Contains(item, "#"):
			d, k, _ := strings.Cut(item, "#")
			nth, _ := strconv.Atoi(k)
			if cronValue(d, cronFields[4]) == dow && (t.Day()-1)/7+1 == nth {
				return true
			}
		case cronFieldMatches(item, dow, cronFields[4]):
			return true
		}
	}
	return false
}
