package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/berthdev/berth/internal/engine"
	"github.com/berthdev/berth/internal/stack"
)

// Output formats of a deploy's timeline.
const (
	outputText = "text"
	outputJSON = "json"
)

// timelineEvent is one line of `berth deploy --output json`: something
// that happened to one phase of the deploy.
type timelineEvent struct {
	Time  time.Time `json:"time"`
	Phase string    `json:"phase"`
	// State is "started", "progress", "done" or "failed" for a phase;
	// "plan" and "deploy" (the whole deploy) have only "done" or "failed".
	State string `json:"state"`
	// Resource and Action are the apply's, for infrastructure events.
	Resource string `json:"resource,omitempty"`
	Action   string `json:"action,omitempty"`
	// Done of Total tasks got through a rollout phase.
	Done    *int   `json:"done,omitempty"`
	Total   *int   `json:"total,omitempty"`
	Message string `json:"message,omitempty"`
	// ElapsedSeconds is how long the phase took, on "done".
	ElapsedSeconds float64 `json:"elapsedSeconds,omitempty"`
	// Plan is the plan's JSON, on the plan's event.
	Plan json.RawMessage `json:"plan,omitempty"`
	// URL is the service's, on the deploy's "done".
	URL string `json:"url,omitempty"`
	// Cause is why the deployment failed, on "failed".
	Cause *stack.DeploymentFailedError `json:"cause,omitempty"`
}

// phaseLine is where the timeline has one phase.
type phaseLine struct {
	phase       stack.Phase
	state       string // "", "started", "progress", "done", "failed"
	done, total int
	detail      string
	elapsed     time.Duration
	counted     bool // done and total mean something
}

// timeline shows a deploy phase by phase, in one of three forms: redrawn in
// place on a terminal, one timestamped line per change otherwise, or one
// JSON object per event for scripts. It reads only what the apply and the
// wait report, so it shows exactly what decides the deploy's outcome.
type timeline struct {
	w    io.Writer
	json bool
	tty  bool
	now  func() time.Time

	phases []*phaseLine
	mark   time.Time // when the last phase finished, or the deploy began
	drawn  int       // lines of the last drawing, on a terminal
}

func newTimeline(io IOStreams, output string) *timeline {
	t := &timeline{w: io.ErrOut, now: time.Now}
	t.mark = t.now()
	switch output {
	case outputJSON:
		t.w, t.json = io.Out, true
	default:
		t.tty = isTerminal(io.ErrOut)
	}
	for _, p := range stack.Phases {
		t.phases = append(t.phases, &phaseLine{phase: p})
	}
	return t
}

// isTerminal says whether w is a terminal that understands cursor moves.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok || os.Getenv("TERM") == "dumb" {
		return false
	}
	info, err := f.Stat()
	return err == nil && info.Mode()&os.ModeCharDevice != 0
}

func checkOutput(output string) error {
	if output != outputText && output != outputJSON {
		return usageErrorf("--output %q: want text or json", output)
	}
	return nil
}

func (t *timeline) line(p stack.Phase) *phaseLine {
	for _, l := range t.phases {
		if l.phase == p {
			return l
		}
	}
	return nil
}

// plan reports the plan: as JSON in JSON mode, else rendered as before.
func (t *timeline) plan(plan interface {
	Render(io.Writer) error
	WriteJSON(io.Writer) error
}, out io.Writer) error {
	if !t.json {
		return plan.Render(out)
	}
	var b bytes.Buffer
	if err := plan.WriteJSON(&b); err != nil {
		return err
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, b.Bytes()); err != nil {
		return err
	}
	t.emit(timelineEvent{Phase: "plan", State: "done", Plan: compact.Bytes()})
	return nil
}

// infrastructureStarted opens the first phase with the count of changes.
func (t *timeline) infrastructureStarted(changes int) {
	l := t.line(stack.PhaseInfrastructure)
	l.state, l.total, l.counted = "started", changes, true
	t.emit(timelineEvent{Phase: string(l.phase), State: "started", Total: &l.total, Message: fmt.Sprintf("%d %s to change", changes, plural(changes, "resource", "resources"))})
	t.draw()
}

// apply reports one event of the apply as infrastructure progress.
func (t *timeline) apply(e engine.Event) {
	l := t.line(stack.PhaseInfrastructure)
	ev := timelineEvent{Phase: string(l.phase), State: "progress", Resource: string(e.Addr), Action: e.Action.String()}
	switch e.Phase {
	case engine.PhaseStart:
		ev.Message = e.Action.String() + "…"
	case engine.PhaseProgress:
		ev.Message = e.Message
	case engine.PhaseDone:
		l.done++
		ev.Message = fmt.Sprintf("done in %s", e.Elapsed.Round(100*time.Millisecond))
	case engine.PhaseFailed:
		ev.Message = fmt.Sprintf("failed after %s: %s", e.Elapsed.Round(100*time.Millisecond), e.Message)
	case engine.PhaseSkipped:
		ev.Message = "skipped: " + e.Message
	}
	ev.Done, ev.Total = &l.done, &l.total
	l.state, l.detail = "progress", fmt.Sprintf("%s %s", e.Addr, ev.Message)
	switch {
	case t.json:
		t.emit(ev)
	case t.tty:
		t.draw()
	default:
		t.printf("%s %s: %s", e.Action.Symbol(), e.Addr, ev.Message)
	}
}

// infrastructureDone closes the first phase; message says why when there
// was nothing to do.
func (t *timeline) infrastructureDone(message string) {
	l := t.line(stack.PhaseInfrastructure)
	l.detail = message
	t.finish(l)
}

// progress reports one snapshot of the wait: each phase that moved.
func (t *timeline) progress(p stack.Progress) {
	for _, pp := range p.Phases {
		l := t.line(pp.Phase)
		if l == nil || l.state == "done" {
			continue
		}
		changed := !l.counted || pp.Done != l.done || pp.Total != l.total || pp.Detail != l.detail
		l.counted = true
		l.done, l.total, l.detail = pp.Done, pp.Total, pp.Detail
		switch {
		case pp.Complete:
			t.finish(l)
		case changed && (pp.Done > 0 || pp.Detail != ""):
			l.state = "progress"
			t.report(l, "progress")
		}
	}
	t.draw()
}

// finish marks a phase done, once. Its time is since the phase before it
// finished: the timeline's phases follow one another.
func (t *timeline) finish(l *phaseLine) {
	if l.state == "done" {
		return
	}
	now := t.now()
	l.state, l.elapsed, t.mark = "done", now.Sub(t.mark), now
	if l.phase != stack.PhaseInfrastructure {
		l.done = max(l.done, l.total)
	}
	t.report(l, "done")
	t.draw()
}

// fail marks the first unfinished phase failed with err, and shows the
// cause: in JSON as the failure's fields, else as the error's text, which
// the command prints when it exits.
func (t *timeline) fail(err error) {
	var l *phaseLine
	for _, candidate := range t.phases {
		if candidate.state != "done" {
			l = candidate
			break
		}
	}
	ev := timelineEvent{Phase: "deploy", State: "failed", Message: err.Error()}
	if l != nil {
		l.state, l.detail = "failed", firstLine(err.Error())
		ev.Phase = string(l.phase)
	}
	var failed *stack.DeploymentFailedError
	if errors.As(err, &failed) {
		ev.Cause = failed
	}
	switch {
	case t.json:
		ev.Time = t.now().UTC()
		t.write(ev)
	case t.tty:
		t.draw()
	default:
		if l != nil {
			t.printf("✗ %s failed", l.phase)
		}
	}
}

// elapsed is how long each finished phase took, in seconds, by name. A
// phase with nothing to do (a first deploy's draining) is left out: its
// zero says nothing of how long the phase takes when it has work.
func (t *timeline) elapsed() map[string]float64 {
	out := map[string]float64{}
	for _, l := range t.phases {
		idle := l.phase != stack.PhaseInfrastructure && l.counted && l.total == 0
		if l.state == "done" && !idle {
			out[string(l.phase)] = l.elapsed.Seconds()
		}
	}
	return out
}

// succeeded ends the timeline of a deploy that is healthy.
func (t *timeline) succeeded(url string) {
	if t.json {
		t.emit(timelineEvent{Phase: "deploy", State: "done", URL: url})
	}
}

// report writes one phase's change, in JSON or as a plain line; a
// terminal redraws instead.
func (t *timeline) report(l *phaseLine, state string) {
	ev := timelineEvent{Phase: string(l.phase), State: state, Message: l.detail}
	if l.counted {
		done, total := l.done, l.total
		ev.Done, ev.Total = &done, &total
	}
	if state == "done" {
		ev.ElapsedSeconds = l.elapsed.Round(time.Millisecond).Seconds()
	}
	switch {
	case t.json:
		t.emit(ev)
	case t.tty:
	default:
		t.printf("%s", t.describe(l))
	}
}

// describe is one phase as a line of text.
func (t *timeline) describe(l *phaseLine) string {
	mark := map[string]string{"": " ", "started": "…", "progress": "…", "done": "✓", "failed": "✗"}[l.state]
	var b strings.Builder
	fmt.Fprintf(&b, "%s %-28s", mark, l.phase)
	if l.counted && l.state != "" {
		if l.phase != stack.PhaseInfrastructure && l.total == 0 && l.state == "done" {
			b.WriteString(" none")
		} else {
			fmt.Fprintf(&b, " %d/%d", l.done, l.total)
		}
	}
	if l.state == "done" {
		fmt.Fprintf(&b, "  %s", l.elapsed.Round(100*time.Millisecond))
	}
	if l.detail != "" {
		b.WriteString("  " + l.detail)
	}
	return b.String()
}

func (t *timeline) emit(ev timelineEvent) {
	if !t.json {
		return
	}
	ev.Time = t.now().UTC()
	t.write(ev)
}

func (t *timeline) write(ev timelineEvent) {
	line, err := json.Marshal(ev)
	if err != nil {
		line, _ = json.Marshal(timelineEvent{Time: ev.Time, Phase: ev.Phase, State: ev.State, Message: err.Error()})
	}
	_, _ = t.w.Write(append(line, '\n'))
}

// printf writes one timestamped line, off a terminal.
func (t *timeline) printf(format string, args ...any) {
	fmt.Fprintf(t.w, "%s %s\n", t.now().Format("15:04:05"), fmt.Sprintf(format, args...))
}

// draw redraws every phase in place on a terminal: up over the last
// drawing, then each line cleared and written anew.
func (t *timeline) draw() {
	if !t.tty {
		return
	}
	var b strings.Builder
	if t.drawn > 0 {
		fmt.Fprintf(&b, "\x1b[%dA", t.drawn)
	}
	for _, l := range t.phases {
		b.WriteString("\r\x1b[2K" + truncate(t.describe(l), 160) + "\n")
	}
	t.drawn = len(t.phases)
	_, _ = io.WriteString(t.w, b.String())
}

func truncate(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}

func firstLine(s string) string {
	first, _, _ := strings.Cut(s, "\n")
	return first
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
