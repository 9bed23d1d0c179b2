package conformance

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/berthdev/berth/internal/deploytest"
	"github.com/berthdev/berth/internal/localcloud/localcloudtest"
)

// expected is one difference between berth and moto that is understood.
// Either berth is right (Reason says why, URL is AWS's documentation of the
// behaviour) or BerthWrong names the berth bug; the latter are logged
// loudly on every run and listed in DIFFERENCES.md for the lead.
type expected struct {
	Reason     string
	URL        string
	BerthWrong string
}

// expectedDifferences is the truth about where berth and moto part ways,
// keyed by step name. A difference not listed fails the test, and so does
// a listed step that no longer differs (the entry is stale: remove it).
var expectedDifferences = map[string]expected{}

func TestDifferentialAgainstMoto(t *testing.T) {
	steps := sequence()
	invalid, compared := 0, 0
	seen := map[string]bool{}
	for _, s := range steps {
		if seen[s.name] {
			t.Fatalf("step name %q is used twice", s.name)
		}
		seen[s.name] = true
		if s.invalid {
			invalid++
		}
		if !s.quiet {
			compared++
		}
	}
	if compared < 200 || invalid < 40 {
		t.Fatalf("the sequence compares %d calls (%d invalid); it should compare at least 200 (40 invalid)", compared, invalid)
	}
	for name := range expectedDifferences {
		if !seen[name] {
			t.Errorf("expected difference %q names no step", name)
		}
	}

	motoURL := requireMoto(t)
	cloud := localcloudtest.Start(t)
	ctx := ctxFor(t)

	berth := newClients(cloud.Config)
	moto := newClients(deploytest.ConfigFor(motoURL))
	differ := 0
	for _, s := range steps {
		b := observe(s.call(ctx, berth))
		m := observe(s.call(ctx, moto))
		if s.quiet {
			continue
		}
		diff := describeDiff(b, m)
		exp, listed := expectedDifferences[s.name]
		switch {
		case diff == "" && listed:
			t.Errorf("%s: listed as a difference, but berth and moto now agree (%s); remove the entry", s.name, summary(b))
		case diff == "":
		case !listed:
			differ++
			t.Errorf("%s: unlisted difference: %s", s.name, diff)
		case exp.BerthWrong != "":
			differ++
			t.Logf("BERTH WRONG: %s: %s (%s) — %s", s.name, exp.BerthWrong, exp.URL, diff)
		default:
			differ++
			t.Logf("expected difference: %s: %s", s.name, diff)
		}
	}
	t.Logf("%d calls compared (%d invalid), %d differ from moto", compared, invalid, differ)
}

func summary(o outcome) string {
	if o.Err != "" {
		return "error " + o.Err
	}
	return "success"
}

// describeDiff says how two outcomes differ, or "" when they agree.
func describeDiff(berth, moto outcome) string {
	switch {
	case berth.Err != moto.Err:
		return fmt.Sprintf("berth %s, moto %s", summary(berth), summary(moto))
	case berth.Err != "":
		return ""
	}
	onlyB, onlyM := shapeDiff(berth.Shape, moto.Shape)
	if len(onlyB) == 0 && len(onlyM) == 0 {
		return ""
	}
	var parts []string
	if len(onlyB) > 0 {
		parts = append(parts, "only berth has "+strings.Join(onlyB, ", "))
	}
	if len(onlyM) > 0 {
		parts = append(parts, "only moto has "+strings.Join(onlyM, ", "))
	}
	slices.Sort(parts)
	return strings.Join(parts, "; ")
}
