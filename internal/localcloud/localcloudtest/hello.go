package localcloudtest

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	goruntime "runtime"
	"sync"
	"testing"
	"time"

	"github.com/docker/docker/api/types/build"
	"github.com/docker/docker/client"

	"github.com/berthdev/berth/internal/localcloud/runtime"
)

// HelloProgram is the program of the tests' one container image: a static
// Go HTTP server that binds 0.0.0.0:$PORT (8080 without one), as images
// do. It answers "$GREETING from $HOST" (HOST names the task that
// answered), /file with /data/greeting, /env/NAME with that variable (a
// secret the task got, say), /dial?to=HOST:PORT with "ok" or the error
// of opening a TCP connection there from inside the task; it says so on
// stdout and leaves on SIGTERM.
// Run as "/hello exists PATH" it exits 0 when PATH exists, else 1: the
// image has no shell, so that is its container health check.
const HelloProgram = `package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
)

func main() {
	if len(os.Args) == 3 && os.Args[1] == "exists" {
		if _, err := os.Stat(os.Args[2]); err != nil {
			os.Exit(1)
		}
		return
	}
	port := os.Getenv("PORT")
	if port == "" {
		port = "8080"
	}
	srv := &http.Server{Addr: "0.0.0.0:" + port, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if name, ok := strings.CutPrefix(r.URL.Path, "/env/"); ok {
			fmt.Fprint(w, os.Getenv(name))
			return
		}
		if r.URL.Path == "/dial" {
			conn, err := net.DialTimeout("tcp", r.URL.Query().Get("to"), 5*time.Second)
			if err != nil {
				fmt.Fprint(w, "error: "+err.Error())
				return
			}
			conn.Close()
			fmt.Fprint(w, "ok")
			return
		}
		if r.URL.Path == "/file" {
			data, err := os.ReadFile("/data/greeting")
			if err != nil {
				http.Error(w, err.Error(), http.StatusNotFound)
				return
			}
			w.Write(data)
			return
		}
		fmt.Fprintf(w, "%s from %s", os.Getenv("GREETING"), os.Getenv("HOST"))
	})}
	go func() {
		stop := make(chan os.Signal, 1)
		signal.Notify(stop, syscall.SIGTERM)
		<-stop
		fmt.Println("stopping on SIGTERM")
		srv.Shutdown(context.Background())
	}()
	fmt.Println("listening on " + srv.Addr + " as " + os.Getenv("HOST"))
	if err := srv.ListenAndServe(); err != http.ErrServerClosed {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
`

var helloImage struct {
	sync.Mutex
	tag string
}

// HelloImage returns the tag of an image built FROM scratch around
// HelloProgram (at /hello, its entrypoint), building it through the
// Engine's build endpoint the first time a test of this binary asks
// (nothing can be pulled on this machine). The tag is derived from the
// program and the Go toolchain, so tests share one image, a later run
// finds it, and no test removes it from under another.
func HelloImage(t testing.TB, cli *client.Client) string {
	t.Helper()
	helloImage.Lock()
	defer helloImage.Unlock()
	if helloImage.tag != "" {
		return helloImage.tag
	}
	sum := sha256.Sum256([]byte(HelloProgram + goruntime.Version()))
	tag := "berth-test-hello:" + hex.EncodeToString(sum[:6])
	if _, err := cli.ImageInspect(context.Background(), tag); err == nil {
		helloImage.tag = tag
		return tag
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "main.go"), []byte(HelloProgram), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module hello\n\ngo 1.22\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	compile := exec.Command("go", "build", "-trimpath", "-o", "hello", ".")
	compile.Dir = dir
	compile.Env = append(os.Environ(), "CGO_ENABLED=0", "GOFLAGS=-buildvcs=false")
	if out, err := compile.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	binary, err := os.ReadFile(filepath.Join(dir, "hello"))
	if err != nil {
		t.Fatal(err)
	}
	var buildContext bytes.Buffer
	tw := tar.NewWriter(&buildContext)
	files := []struct {
		name string
		mode int64
		data []byte
	}{
		{"Dockerfile", 0o644, []byte("FROM scratch\nCOPY hello /hello\nENTRYPOINT [\"/hello\"]\n")},
		{"hello", 0o755, binary},
	}
	for _, f := range files {
		if err := tw.WriteHeader(&tar.Header{Name: f.name, Mode: f.mode, Size: int64(len(f.data))}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(f.data); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	resp, err := cli.ImageBuild(ctx, &buildContext, build.ImageBuildOptions{Tags: []string{tag}, Remove: true, ForceRemove: true})
	if err != nil {
		t.Fatalf("ImageBuild: %v", err)
	}
	defer resp.Body.Close()
	if err := runtime.ReadProgress(resp.Body); err != nil {
		t.Fatalf("ImageBuild: %v", err)
	}
	helloImage.tag = tag
	return tag
}
