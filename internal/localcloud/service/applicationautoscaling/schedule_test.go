package applicationautoscaling

import (
	"testing"
	"time"

	"github.com/berthdev/berth/internal/localcloud/protocol/awsjson"
	"github.com/berthdev/berth/internal/localcloud/service/applicationautoscaling/wire"
)

// A scheduled action fires at the minute its schedule names, in its time
// zone, once per pass window, and never outside its start and end.
func TestScheduleFiresAtItsMinute(t *testing.T) {
	created := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	at := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	tests := []struct {
		schedule, zone string
		now            string
		want           bool
	}{
		{"cron(0 8 ? * MON-FRI *)", "", "2026-03-02T08:00:00Z", true},  // a Monday
		{"cron(0 8 ? * MON-FRI *)", "", "2026-03-07T08:00:00Z", false}, // a Saturday
		{"cron(0 8 ? * MON-FRI *)", "", "2026-03-02T08:01:00Z", false},
		{"cron(0 8 ? * MON-FRI *)", "Europe/Paris", "2026-03-02T07:00:00Z", true},
		{"cron(*/15 * * * ? *)", "", "2026-03-02T10:45:00Z", true},
		{"cron(*/15 * * * ? *)", "", "2026-03-02T10:46:00Z", false},
		{"cron(0 12 L * ? *)", "", "2026-02-28T12:00:00Z", true},
		{"cron(0 12 L * ? *)", "", "2026-02-27T12:00:00Z", false},
		{"cron(0 9 ? * 6#3 *)", "", "2026-03-20T09:00:00Z", true}, // the third Friday
		{"cron(0 9 ? * 6#3 *)", "", "2026-03-13T09:00:00Z", false},
		{"cron(0 9 ? * 2L *)", "", "2026-03-30T09:00:00Z", true},  // the last Monday
		{"cron(0 9 15W * ? *)", "", "2026-03-16T09:00:00Z", true}, // the 15th is a Sunday
		{"rate(5 minutes)", "", "2026-03-01T00:10:00Z", true},
		{"rate(5 minutes)", "", "2026-03-01T00:11:00Z", false},
		{"at(2026-03-01T00:00:30)", "", "2026-03-01T00:00:30Z", true},
		{"at(2026-03-01T00:00:30)", "", "2026-03-01T00:00:32Z", false},
	}
	for _, tt := range tests {
		t.Run(tt.schedule+" "+tt.zone+" "+tt.now, func(t *testing.T) {
			a := ScheduledAction{wire.ScheduledAction{Schedule: tt.schedule, Timezone: tt.zone, CreationTime: stamp(created)}}
			now := at(tt.now)
			if got := a.FiresBetween(now.Add(-time.Second), now); got != tt.want {
				t.Errorf("FiresBetween(%s) = %v, want %v", tt.now, got, tt.want)
			}
		})
	}
	end := awsjson.NewTime(at("2026-03-01T00:00:00Z"))
	late := ScheduledAction{wire.ScheduledAction{Schedule: "rate(5 minutes)", CreationTime: stamp(created.Add(-time.Hour)), EndTime: &end}}
	if now := at("2026-03-01T00:10:00Z"); late.FiresBetween(now.Add(-time.Second), now) {
		t.Error("an action fired after its end time")
	}
}
