package runtime

import (
	"bufio"
	"fmt"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Without per-task namespaces every task shares the host's network and has
// its own loopback address: a task that listens on 0.0.0.0:9000 (or
// [::]:9000) takes port 9000 on all of them, and no other task could bind
// its own address:9000 again. The runtime watches the host's listening
// sockets, stops such a task with a WildcardListenError, and says so.

// wildcardScanInterval is how often the listening sockets are scanned while
// tasks share the host's network.
const wildcardScanInterval = 250 * time.Millisecond

// WildcardListenError says that a process listens on the wildcard address
// where tasks share the host's network, which takes the port on every task
// address. It ends the task that does so, and explains why a new task
// cannot get the port.
type WildcardListenError struct {
	// TaskID is the runtime task that listens, "" for another process.
	TaskID string
	PID    int
	Addr   netip.AddrPort
}

func (e *WildcardListenError) Error() string {
	who := "a process outside the local cloud"
	switch {
	case e.TaskID != "":
		who = "task " + e.TaskID
	case e.PID > 0:
		who = fmt.Sprintf("process %d (not a task)", e.PID)
	}
	return fmt.Sprintf("%s listens on %s, which takes port %d on every task address of this machine: bind $HOST instead, or run the local cloud as root for per-task network namespaces",
		who, e.Addr, e.Addr.Port())
}

// listenSocket is one listening TCP socket of the host's namespace.
type listenSocket struct {
	addr  netip.AddrPort
	inode uint64
}

// wildcardListeners lists the host namespace's TCP sockets listening on
// 0.0.0.0 or ::.
func wildcardListeners() ([]listenSocket, error) {
	var out []listenSocket
	for file, wildcard := range map[string]netip.Addr{"/proc/net/tcp": netip.IPv4Unspecified(), "/proc/net/tcp6": netip.IPv6Unspecified()} {
		f, err := os.Open(file)
		if err != nil {
			if os.IsNotExist(err) {
				continue // no IPv6
			}
			return nil, err
		}
		scanner := bufio.NewScanner(f)
		scanner.Scan() // header
		for scanner.Scan() {
			// sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
			fields := strings.Fields(scanner.Text())
			if len(fields) < 10 || fields[3] != "0A" { // TCP_LISTEN
				continue
			}
			host, port, ok := strings.Cut(fields[1], ":")
			if !ok || strings.Trim(host, "0") != "" {
				continue
			}
			portNum, err1 := strconv.ParseUint(port, 16, 16)
			inode, err2 := strconv.ParseUint(fields[9], 10, 64)
			if err1 != nil || err2 != nil || inode == 0 {
				continue
			}
			out = append(out, listenSocket{addr: netip.AddrPortFrom(wildcard, uint16(portNum)), inode: inode})
		}
		err = scanner.Err()
		f.Close()
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// socketOwners maps socket inodes to a process holding them, looking only
// at processes for which include(pid, process group) is true.
func socketOwners(include func(pid, pgid int) bool) map[uint64]int {
	owners := map[uint64]int{}
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return owners
	}
	for _, entry := range entries {
		pid, err := strconv.Atoi(entry.Name())
		if err != nil {
			continue
		}
		pgid, ok := processGroup(pid)
		if !ok || !include(pid, pgid) {
			continue
		}
		fdDir := "/proc/" + entry.Name() + "/fd"
		fds, err := os.ReadDir(fdDir)
		if err != nil {
			continue // gone, or not ours to read
		}
		for _, fd := range fds {
			target, err := os.Readlink(fdDir + "/" + fd.Name())
			if err != nil {
				continue
			}
			if inode, ok := strings.CutPrefix(target, "socket:["); ok {
				if n, err := strconv.ParseUint(strings.TrimSuffix(inode, "]"), 10, 64); err == nil {
					owners[n] = pid
				}
			}
		}
	}
	return owners
}

func processGroup(pid int) (int, bool) {
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, false
	}
	closing := strings.LastIndexByte(string(stat), ')')
	if closing < 0 {
		return 0, false
	}
	fields := strings.Fields(string(stat[closing+1:])) // state ppid pgrp ...
	if len(fields) < 3 {
		return 0, false
	}
	pgid, err := strconv.Atoi(fields[2])
	return pgid, err == nil
}

// watchWildcards stops every task of the host's namespace that listens on
// a wildcard address, until stop is closed.
func (p *Process) watchWildcards(stop <-chan struct{}) {
	ticker := time.NewTicker(wildcardScanInterval)
	defer ticker.Stop()
	foreign := map[uint64]bool{} // wildcard sockets no task holds (sshd's)
	for {
		select {
		case <-stop:
			return
		case <-ticker.C:
		}
		groups := p.sharedGroups()
		if len(groups) == 0 {
			continue
		}
		sockets, err := wildcardListeners()
		if err != nil {
			p.opts.Logf("runtime: scanning listening sockets: %v", err)
			continue
		}
		current := map[uint64]bool{}
		var fresh []listenSocket
		for _, s := range sockets {
			current[s.inode] = true
			if !foreign[s.inode] {
				fresh = append(fresh, s)
			}
		}
		for inode := range foreign {
			if !current[inode] {
				delete(foreign, inode)
			}
		}
		if len(fresh) == 0 {
			continue
		}
		owners := socketOwners(func(_, pgid int) bool { _, ok := groups[pgid]; return ok })
		for _, s := range fresh {
			pid, ok := owners[s.inode]
			if !ok {
				foreign[s.inode] = true
				continue
			}
			pgid, _ := processGroup(pid)
			if task := groups[pgid]; task != nil {
				p.stopForWildcard(task, &WildcardListenError{TaskID: task.spec.ID, PID: pid, Addr: s.addr})
			}
		}
	}
}

// sharedGroups are the running tasks in the host's namespace by process
// group id.
func (p *Process) sharedGroups() map[int]*processTask {
	p.mu.Lock()
	defer p.mu.Unlock()
	groups := map[int]*processTask{}
	for _, task := range p.tasks {
		if task.network == nil && !task.leaderExited && task.stopErr == nil {
			groups[task.pid] = task
		}
	}
	return groups
}

// stopForWildcard kills a task at once: while it runs, no other task can
// get its port.
func (p *Process) stopForWildcard(task *processTask, reason error) {
	p.mu.Lock()
	if task.stopErr == nil {
		task.stopErr = reason
	}
	p.mu.Unlock()
	p.opts.Logf("runtime: stopping task %s: %v", task.spec.ID, reason)
	p.signal(task, syscall.SIGKILL)
}

// wildcardHolder finds who listens on the wildcard address on port, if
// anyone does, for an address check that found the port taken.
func (p *Process) wildcardHolder(port int) *WildcardListenError {
	sockets, err := wildcardListeners()
	if err != nil {
		return nil
	}
	for _, s := range sockets {
		if int(s.addr.Port()) != port {
			continue
		}
		holder := &WildcardListenError{Addr: s.addr}
		owners := socketOwners(func(int, int) bool { return true })
		if pid, ok := owners[s.inode]; ok {
			holder.PID = pid
			if pgid, ok := processGroup(pid); ok {
				p.mu.Lock()
				for _, task := range p.tasks {
					if task.pid == pgid {
						holder.TaskID = task.spec.ID
					}
				}
				p.mu.Unlock()
			}
		}
		return holder
	}
	return nil
}
