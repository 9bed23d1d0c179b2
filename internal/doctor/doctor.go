// Package doctor diagnoses an ECS service stack: whether a deploy can work
// and why one does not, each finding with what to change.
//
// The checks read one model, Stack, whichever way it was obtained: read
// from the account (a stack berth made, or one it did not, named by cluster
// and service), or derived from berth.yaml before the stack exists. So a
// check is written once and says the same thing of a hand-built stack as of
// berth's own.
package doctor

import (
	"context"
	"fmt"
	"io"

	"github.com/berthdev/berth/internal/engine"
)

// Finding is one check's result.
type Finding struct {
	Check string
	// OK is false when a deploy would fail, or the stack is unsafe, for
	// this reason.
	OK bool
	// Warn marks a finding that does not stop a deploy but may surprise.
	Warn   bool
	Detail string
	// Fix says what to change; shown for failures and warnings.
	Fix string
}

func pass(check, detail string) Finding { return Finding{Check: check, OK: true, Detail: detail} }

func fail(check, detail, fix string) Finding {
	return Finding{Check: check, Detail: detail, Fix: fix}
}

func warn(check, detail, fix string) Finding {
	return Finding{Check: check, OK: true, Warn: true, Detail: detail, Fix: fix}
}

// Failed reports whether any finding is a failure.
func Failed(findings []Finding) bool {
	for _, f := range findings {
		if !f.OK {
			return true
		}
	}
	return false
}

// Print writes one line per finding, and its fix under a failure or a
// warning.
func Print(w io.Writer, findings []Finding) {
	for _, f := range findings {
		mark := "ok  "
		switch {
		case !f.OK:
			mark = "FAIL"
		case f.Warn:
			mark = "warn"
		}
		fmt.Fprintf(w, "%s  %s: %s\n", mark, f.Check, f.Detail)
		if f.Fix != "" && (!f.OK || f.Warn) {
			fmt.Fprintf(w, "      fix: %s\n", f.Fix)
		}
	}
}

// check is one diagnosis of a stack. Most read only the model; the image
// check asks the registry.
type check func(ctx context.Context, c *engine.Clients, st *Stack) []Finding

// stackChecks run in this order, which is the order a reader fixes things
// in: traffic first, then capacity, then what a task needs to start.
var stackChecks = []check{
	checkSecurityGroupChain,
	checkExposure,
	checkPorts,
	checkHealthSettings,
	checkFit,
	checkENIs,
	checkReach,
	checkImage,
}

// Diagnose runs every check on st.
func Diagnose(ctx context.Context, c *engine.Clients, st *Stack) []Finding {
	var findings []Finding
	for _, run := range stackChecks {
		findings = append(findings, run(ctx, c, st)...)
	}
	return findings
}
