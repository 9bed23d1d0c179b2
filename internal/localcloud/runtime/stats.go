package runtime

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// TaskStats is what a task's processes use, as the ECS agent reads it from
// a container's cgroup: CPU time since the task started and resident
// memory now.
type TaskStats struct {
	// CPU is the user and system time of the task's process tree, including
	// children it has already waited for.
	CPU time.Duration
	// MemoryBytes is the resident set size of its live processes.
	MemoryBytes uint64
}

// StatsReader is a runtime that can say what a task uses; the controller
// turns it into CloudWatch's CPUUtilization and MemoryUtilization.
type StatsReader interface {
	Stats(id string) (TaskStats, error)
}

var _ StatsReader = (*Process)(nil)

// Stats sums /proc over the task's process group (every task leads its own
// group, and its children stay in it unless they leave with setsid). A
// task that is not running is ErrTaskNotFound.
func (p *Process) Stats(id string) (TaskStats, error) {
	p.mu.Lock()
	task, ok := p.tasks[id]
	pid := 0
	if ok && !task.leaderExited {
		pid = task.pid
	}
	p.mu.Unlock()
	if pid == 0 {
		return TaskStats{}, ErrTaskNotFound
	}
	return groupStats(pid)
}

// clockTicks is USER_HZ, the unit of /proc/<pid>/stat's times: 100 on every
// Linux architecture Go runs on.
const clockTicks = 100

// groupStats reads every process whose process group is pgid.
func groupStats(pgid int) (TaskStats, error) {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return TaskStats{}, fmt.Errorf("reading /proc: %w", err)
	}
	pageSize := uint64(os.Getpagesize())
	var out TaskStats
	found := false
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		st, ok := readStat(pid)
		if !ok || st.pgrp != pgid {
			continue
		}
		found = true
		ticks := st.utime + st.stime + st.cutime + st.cstime
		out.CPU += time.Duration(ticks) * time.Second / clockTicks
		out.MemoryBytes += st.rssPages * pageSize
	}
	if !found {
		return TaskStats{}, ErrTaskNotFound
	}
	return out, nil
}

type procStat struct {
	pgrp                         int
	utime, stime, cutime, cstime uint64
	rssPages                     uint64
}

// readStat parses /proc/<pid>/stat (proc(5)); ok is false for a process
// that is gone or a line that does not parse.
func readStat(pid int) (procStat, bool) {
	raw, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return procStat{}, false
	}
	// The command name (field 2) is in parentheses and may hold spaces
	// and parentheses itself: the fields that follow start after the last
	// ")".
	end := bytes.LastIndexByte(raw, ')')
	if end < 0 {
		return procStat{}, false
	}
	fields := strings.Fields(string(raw[end+1:]))
	// fields[0] is field 3 (state): field n is fields[n-3].
	const (
		pgrpField   = 5
		utimeField  = 14
		rssField    = 24
		minFieldLen = rssField - 2
	)
	if len(fields) < minFieldLen {
		return procStat{}, false
	}
	num := func(n int) uint64 {
		v, _ := strconv.ParseUint(fields[n-3], 10, 64)
		return v
	}
	pgrp, err := strconv.Atoi(fields[pgrpField-3])
	if err != nil {
		return procStat{}, false
	}
	return procStat{
		pgrp:  pgrp,
		utime: num(utimeField), stime: num(utimeField + 1), cutime: num(utimeField + 2), cstime: num(utimeField + 3),
		rssPages: num(rssField),
	}, true
}
