package applicationautoscaling

import (
	"context"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // Timezone names must resolve on machines without a zoneinfo database

	"github.com/berthdev/berth/internal/localcloud/service/applicationautoscaling/wire"
	"github.com/berthdev/berth/internal/localcloud/service/paging"
	"github.com/berthdev/berth/internal/localcloud/store"
)

// putScheduledAction creates or updates a scheduled action; on update,
// members left out keep their values.
func (b *Backend) putScheduledAction(ctx context.Context, in *wire.PutScheduledActionRequest) (*wire.PutScheduledActionResponse, error) {
	ref := targetRef{Namespace: in.ServiceNamespace, ResourceID: in.ResourceId, Dimension: in.ScalableDimension}
	if err := validateRef(ref); err != nil {
		return nil, err
	}
	if strings.ContainsAny(in.ScheduledActionName, ":/") {
		return nil, errValidation("Scheduled action name %s is not valid: it cannot contain a colon or a slash", in.ScheduledActionName)
	}
	if in.Schedule != "" {
		if err := ValidateSchedule(in.Schedule); err != nil {
			return nil, err
		}
	}
	if in.Timezone != "" {
		if _, err := time.LoadLocation(in.Timezone); err != nil {
			return nil, errValidation("Time zone %s is not a valid IANA time zone name", in.Timezone)
		}
	}
	if a := in.ScalableTargetAction; a != nil {
		if (a.MinCapacity != nil && *a.MinCapacity < 0) || (a.MaxCapacity != nil && *a.MaxCapacity < 0) {
			return nil, errValidation("Capacity values must be greater than or equal to 0")
		}
		if a.MinCapacity != nil && a.MaxCapacity != nil && *a.MinCapacity > *a.MaxCapacity {
			return nil, errValidation("Minimum capacity cannot be greater than maximum capacity")
		}
	}
	return nil, b.store.Update(ctx, func(tx *store.Tx) error {
		if _, err := loadTarget(tx, ref); err != nil {
			return err
		}
		key := ref.key() + "|" + in.ScheduledActionName
		a, err := store.Get[ScheduledAction](tx, tableScheduled, key)
		if err != nil {
			return err
		}
		if a == nil {
			if in.Schedule == "" {
				return errValidation("Schedule is required when creating a scheduled action")
			}
			if err := checkScheduledQuota(tx, ref); err != nil {
				return err
			}
			a = &ScheduledAction{wire.ScheduledAction{
				ScheduledActionName: in.ScheduledActionName,
				ScheduledActionARN: tx.ARN("autoscaling", "scheduledAction:"+store.NewUUID()+":resource/"+ref.Namespace+"/"+ref.ResourceID+
					":scheduledActionName/"+in.ScheduledActionName),
				ServiceNamespace:  ref.Namespace,
				ResourceId:        ref.ResourceID,
				ScalableDimension: ref.Dimension,
				CreationTime:      stamp(b.clock()),
			}}
		}
		if in.Schedule != "" {
			a.Schedule = in.Schedule
		}
		if in.Timezone != "" {
			a.Timezone = in.Timezone
		}
		if in.StartTime != nil {
			a.StartTime = in.StartTime
		}
		if in.EndTime != nil {
			a.EndTime = in.EndTime
		}
		if a.StartTime != nil && a.EndTime != nil && !a.EndTime.Time().After(a.StartTime.Time()) {
			return errValidation("The end time must be after the start time")
		}
		if in.ScalableTargetAction != nil {
			a.ScalableTargetAction = in.ScalableTargetAction
		}
		return tx.Put(tableScheduled, key, a)
	})
}

func checkScheduledQuota(tx *store.Tx, ref targetRef) error {
	keys, err := store.Keys(tx, tableScheduled)
	if err != nil {
		return err
	}
	n := 0
	for _, k := range keys {
		if strings.HasPrefix(k, ref.key()+"|") {
			n++
		}
	}
	if n >= maxScheduledPerTarget {
		return errLimit("You have reached the maximum number of scheduled actions (%d) for this scalable target", maxScheduledPerTarget)
	}
	return nil
}

var (
	atSchedule   = regexp.MustCompile(`^at\((\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})\)$`)
	rateSchedule = regexp.MustCompile(`^rate\(([1-9]\d*) (minute|minutes|hour|hours|day|days)\)$`)
	cronSchedule = regexp.MustCompile(`^cron\((.*)\)$`)
)

// ValidateSchedule checks a scheduled action's Schedule: at(yyyy-mm-ddThh:mm:ss),
// rate(value unit) with a positive value and a unit of minutes, hours or
// days (singular or plural: AWS's documentation lists both), or cron(minutes hours day-of-month month day-of-week year), as AWS
// accepts them.
func ValidateSchedule(s string) error {
	bad := func(why string) error {
		return errValidation("Schedule expression %s is not valid: %s", s, why)
	}
	if m := atSchedule.FindStringSubmatch(s); m != nil {
		if _, err := time.Parse("2006-01-02T15:04:05", m[1]); err != nil {
			return bad("the time of at() does not exist")
		}
		return nil
	}
	if rateSchedule.MatchString(s) {
		return nil
	}
	m := cronSchedule.FindStringSubmatch(s)
	if m == nil {
		return bad("it must be at(...), rate(...) or cron(...)")
	}
	fields := strings.Fields(m[1])
	if len(fields) != 6 {
		return bad("cron() takes six fields: minutes, hours, day of month, month, day of week and year")
	}
	if (fields[2] == "?") == (fields[4] == "?") {
		return bad("one of day of month and day of week must be ?, and only one")
	}
	for i, f := range fields {
		if !cronFieldOK(f, cronFields[i]) {
			return bad("field " + strconv.Itoa(i+1) + " (" + cronFields[i].name + ") " + strconv.Quote(f) + " is out of range or malformed")
		}
	}
	return nil
}

type cronField struct {
	name    string
	lo, hi  int
	names   []string // names that may stand for values lo, lo+1, …
	special string   // characters beyond , - * / allowed
}

var cronFields = []cronField{
	{name: "minutes", lo: 0, hi: 59},
	{name: "hours", lo: 0, hi: 23},
	{name: "day of month", lo: 1, hi: 31, special: "?LW"},
	{name: "month", lo: 1, hi: 12, names: []string{"JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"}},
	{name: "day of week", lo: 1, hi: 7, names: []string{"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"}, special: "?L#"},
	{name: "year", lo: 1970, hi: 2199},
}

// cronFieldOK checks one cron field: *, ?, a value, a range, a list, a step
// over a value or a range, and L, W and # where they are allowed.
func cronFieldOK(f string, spec cronField) bool {
	if f == "*" || (f == "?" && strings.Contains(spec.special, "?")) {
		return true
	}
	for _, item := range strings.Split(f, ",") {
		base, step, hasStep := strings.Cut(item, "/")
		if hasStep {
			if n, err := strconv.Atoi(step); err != nil || n < 1 {
				return false
			}
		}
		switch {
		case base == "*":
			continue
		case strings.Contains(spec.special, "L") && (base == "L" || strings.HasSuffix(base, "L")):
			if base != "L" && !cronValueOK(strings.TrimSuffix(base, "L"), spec) {
				return false
			}
			continue
		case strings.Contains(spec.special, "W") && strings.HasSuffix(base, "W"):
			if base != "LW" && !cronValueOK(strings.TrimSuffix(base, "W"), spec) {
				return false
			}
			continue
		case strings.Contains(spec.special, "#") && strings.Contains(base, "#"):
			day, nth, _ := strings.Cut(base, "#")
			if n, err := strconv.Atoi(nth); err != nil || n < 1 || n > 5 || !cronValueOK(day, spec) {
				return false
			}
			continue
		}
		lo, hi, isRange := strings.Cut(base, "-")
		if !cronValueOK(lo, spec) || (isRange && !cronValueOK(hi, spec)) {
			return false
		}
	}
	return true
}

func cronValueOK(v string, spec cronField) bool {
	if i := slices.Index(spec.names, strings.ToUpper(v)); i >= 0 {
		return true
	}
	n, err := strconv.Atoi(v)
	return err == nil && n >= spec.lo && n <= spec.hi
}

func (b *Backend) describeScheduledActions(ctx context.Context, in *wire.DescribeScheduledActionsRequest) (*wire.DescribeScheduledActionsResponse, error) {
	limit, err := paging.Size(in.MaxResults, defaultPageSize, 1, maxPageSize)
	if err != nil {
		return nil, pageError(err)
	}
	var matched []*ScheduledAction
	err = b.store.View(ctx, func(tx *store.Tx) error {
		all, err := store.List[ScheduledAction](tx, tableScheduled)
		matched = slices.DeleteFunc(all, func(a *ScheduledAction) bool {
			return a.ServiceNamespace != in.ServiceNamespace ||
				(in.ResourceId != "" && a.ResourceId != in.ResourceId) ||
				(in.ScalableDimension != "" && a.ScalableDimension != in.ScalableDimension) ||
				(len(in.ScheduledActionNames) > 0 && !slices.Contains(in.ScheduledActionNames, a.ScheduledActionName))
		})
		return err
	})
	if err != nil {
		return nil, err
	}
	page, next, err := paging.Page(matched, scheduledKey, in.NextToken, limit)
	if err != nil {
		return nil, pageError(err)
	}
	out := &wire.DescribeScheduledActionsResponse{ScheduledActions: []wire.ScheduledAction{}, NextToken: next}
	for _, a := range page {
		out.ScheduledActions = append(out.ScheduledActions, a.ScheduledAction)
	}
	return out, nil
}

func scheduledKey(a *ScheduledAction) string {
	return targetRef{Namespace: a.ServiceNamespace, ResourceID: a.ResourceId, Dimension: a.ScalableDimension}.key() + "|" + a.ScheduledActionName
}

func (b *Backend) deleteScheduledAction(ctx context.Context, in *wire.DeleteScheduledActionRequest) (*wire.DeleteScheduledActionResponse, error) {
	ref := targetRef{Namespace: in.ServiceNamespace, ResourceID: in.ResourceId, Dimension: in.ScalableDimension}
	if err := validateRef(ref); err != nil {
		return nil, err
	}
	return nil, b.store.Update(ctx, func(tx *store.Tx) error {
		key := ref.key() + "|" + in.ScheduledActionName
		a, err := store.Get[ScheduledAction](tx, tableScheduled, key)
		if err != nil {
			return err
		}
		if a == nil {
			return errNoScheduledAction(in.ScheduledActionName, ref)
		}
		return tx.Delete(tableScheduled, key)
	})
}
