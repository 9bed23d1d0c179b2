package main

import (
	"bufio"
	"context"
	"fmt"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// loadRun is what one wrk run measured.
type loadRun struct {
	requestsPerSecond float64
	p50, p99          time.Duration
	requests          int
	// cpuPerRequest is the CPU time the measured process spent per request.
	cpuPerRequest time.Duration
	// failures counts non-2xx/3xx responses and socket errors: a run with
	// failures measured something else than proxying.
	failures int
}

// runWrk drives url with wrk for the given time with a fixed number of
// threads and connections, and reads its latency distribution.
func runWrk(ctx context.Context, url string, threads, connections int, duration time.Duration) (loadRun, error) {
	cmd := exec.CommandContext(ctx, "wrk",
		"-t", strconv.Itoa(threads), "-c", strconv.Itoa(connections),
		"-d", fmt.Sprintf("%ds", int(duration.Seconds())), "--timeout", "5s", "--latency", url)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return loadRun{}, fmt.Errorf("wrk %s: %w: %s", url, err, out)
	}
	run, err := parseWrk(string(out))
	if err != nil {
		return loadRun{}, fmt.Errorf("wrk %s: %w:\n%s", url, err, out)
	}
	return run, nil
}

var (
	wrkPercentile = regexp.MustCompile(`^\s*(50|99)%\s+([0-9.]+)(us|ms|s|m)\s*$`)
	wrkRate       = regexp.MustCompile(`^Requests/sec:\s+([0-9.]+)`)
	wrkRequests   = regexp.MustCompile(`^\s*(\d+) requests in`)
	wrkNon2xx     = regexp.MustCompile(`Non-2xx or 3xx responses:\s+(\d+)`)
	wrkSocket     = regexp.MustCompile(`Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)`)
)

func parseWrk(out string) (loadRun, error) {
	var run loadRun
	var sawRate, sawP50, sawP99 bool
	scanner := bufio.NewScanner(strings.NewReader(out))
	for scanner.Scan() {
		line := scanner.Text()
		if m := wrkPercentile.FindStringSubmatch(line); m != nil {
			value, _ := strconv.ParseFloat(m[2], 64)
			unit := map[string]time.Duration{"us": time.Microsecond, "ms": time.Millisecond, "s": time.Second, "m": time.Minute}[m[3]]
			latency := time.Duration(value * float64(unit))
			if m[1] == "50" {
				run.p50, sawP50 = latency, true
			} else {
				run.p99, sawP99 = latency, true
			}
		}
		if m := wrkRate.FindStringSubmatch(line); m != nil {
			run.requestsPerSecond, _ = strconv.ParseFloat(m[1], 64)
			sawRate = true
		}
		if m := wrkRequests.FindStringSubmatch(line); m != nil {
			run.requests, _ = strconv.Atoi(m[1])
		}
		if m := wrkNon2xx.FindStringSubmatch(line); m != nil {
			n, _ := strconv.Atoi(m[1])
			run.failures += n
		}
		if m := wrkSocket.FindStringSubmatch(line); m != nil {
			for _, field := range m[1:] {
				n, _ := strconv.Atoi(field)
				run.failures += n
			}
		}
	}
	if !sawRate || !sawP50 || !sawP99 {
		return loadRun{}, fmt.Errorf("no Requests/sec, 50%% and 99%% lines in wrk's output")
	}
	return run, nil
}
