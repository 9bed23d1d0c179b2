package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// child is a process the bench started; stop ends it and waits for it.
type child struct {
	name   string
	cmd    *exec.Cmd
	exited chan struct{}
	output *tailBuffer
}

// startChild starts a process, with env added to the bench's environment,
// whose output is kept (its tail) for the
// message when it fails to come up.
func startChild(name string, env []string, path string, args ...string) (*child, error) {
	cmd := exec.Command(path, args...)
	if len(env) > 0 {
		cmd.Env = append(os.Environ(), env...)
	}
	output := &tailBuffer{limit: 16 << 10}
	cmd.Stdout, cmd.Stderr = output, output
	// Its own process group, so a terminal's Ctrl-C reaches the bench
	// alone and the bench stops its children in order.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	c := &child{name: name, cmd: cmd, exited: make(chan struct{}), output: output}
	go func() {
		_ = cmd.Wait()
		close(c.exited)
	}()
	return c, nil
}

// stop sends SIGTERM, and SIGKILL when the process is still there after 5 s.
func (c *child) stop() {
	_ = c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-c.exited:
	case <-time.After(5 * time.Second):
		_ = c.cmd.Process.Kill()
		<-c.exited
	}
}

// waitHTTP polls url until it answers with want. Polling is the only way to
// know a child listens; the deadline keeps a broken install from hanging the
// bench.
func (c *child) waitHTTP(url string, want int) error {
	deadline := time.Now().Add(60 * time.Second)
	client := &http.Client{Timeout: 2 * time.Second}
	var last error
	for time.Now().Before(deadline) {
		select {
		case <-c.exited:
			return fmt.Errorf("%s exited: %s", c.name, c.output)
		default:
		}
		response, err := client.Get(url)
		if err == nil {
			_, _ = io.Copy(io.Discard, response.Body)
			_ = response.Body.Close()
			if response.StatusCode == want {
				return nil
			}
			err = fmt.Errorf("status %d", response.StatusCode)
		}
		last = err
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("%s: no %d from %s within 60 s (%v): %s", c.name, want, url, last, c.output)
}

// tailBuffer keeps the last limit bytes written to it.
type tailBuffer struct {
	mu    sync.Mutex
	limit int
	buf   bytes.Buffer
}

func (b *tailBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf.Write(p)
	if extra := b.buf.Len() - b.limit; extra > 0 {
		b.buf.Next(extra)
	}
	return len(p), nil
}

func (b *tailBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// freePort asks the kernel for a loopback port nobody uses right now.
func freePort() (int, error) {
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer listener.Close()
	return listener.Addr().(*net.TCPAddr).Port, nil
}

func loopback(port int) string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(port)) }

// moduleRoot finds the directory of berth's go.mod from the working
// directory up, so the bench runs from anywhere inside the repository.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("run the bench inside berth's repository (no go.mod found above the working directory)")
		}
		dir = parent
	}
}

// ensureTools installs the Debian packages of the tools the bench runs when
// they are missing, through the script CI uses for test packages.
func ensureTools(root string) error {
	var missing []string
	for tool, pkg := range map[string]string{"haproxy": "haproxy", "wrk": "wrk"} {
		if _, err := exec.LookPath(tool); err != nil {
			missing = append(missing, pkg)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	cmd := exec.Command(filepath.Join(root, "scripts", "ensure-packages"), missing...)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("install %v: %w", missing, err)
	}
	return nil
}

// buildBerth builds the berth command of this tree, so the bench measures
// the code it sits next to.
func buildBerth(ctx context.Context, root, dir string) (string, error) {
	binary := filepath.Join(dir, "berth")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", binary, "./cmd/berth")
	cmd.Dir = root
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("go build ./cmd/berth: %w", err)
	}
	return binary, nil
}

// cpuTime is the CPU time (user and system) the process has used so far.
func (c *child) cpuTime() time.Duration { return processCPU(c.cmd.Process.Pid) }

// processCPU reads a process's CPU time from /proc/<pid>/stat; 0 when it
// cannot be read.
func processCPU(pid int) time.Duration {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// The command name (field 2) may hold spaces; fields count from after it.
	text := string(raw)
	fields := strings.Fields(text[strings.LastIndexByte(text, ')')+1:])
	if len(fields) < 13 {
		return 0
	}
	user, _ := strconv.ParseInt(fields[11], 10, 64)
	system, _ := strconv.ParseInt(fields[12], 10, 64)
	const ticksPerSecond = 100 // USER_HZ, fixed at 100 on Linux
	return time.Duration(user+system) * time.Second / ticksPerSecond
}

// threads is how many OS threads the process runs now; 0 when unknown.
func (c *child) threads() int {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", c.cmd.Process.Pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if value, ok := strings.CutPrefix(line, "Threads:"); ok {
			n, _ := strconv.Atoi(strings.TrimSpace(value))
			return n
		}
	}
	return 0
}
