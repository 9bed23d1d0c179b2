package runtime_test

import (
	"archive/tar"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/docker/docker/api/types/image"

	"github.com/berthdev/berth/internal/localcloud/localcloudtest"
	"github.com/berthdev/berth/internal/localcloud/runtime"
)

const buildDockerfile = `FROM scratch AS app
ARG GREETING
LABEL greeting=$GREETING
COPY . /ctx/
FROM app AS broken
COPY does-not-exist /nowhere
`

func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		full := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func tarNames(t *testing.T, data []byte) []string {
	t.Helper()
	var names []string
	tr := tar.NewReader(bytes.NewReader(data))
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return names
		}
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, h.Name)
	}
}

// The build context leaves out what .dockerignore excludes, and its
// content tag changes with the sources, args and target only.
func TestBuildContextAndContentTag(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"Dockerfile": buildDockerfile, ".dockerignore": "# not needed\nsecret.txt\nlogs\nsrc/*.tmp\n",
		"keep.txt": "kept", "secret.txt": "secret", "logs/a.log": "log", "src/x.tmp": "tmp", "src/main.txt": "main",
	})
	spec := runtime.BuildSpec{Context: dir, Args: map[string]string{"GREETING": "hi"}, Target: "app"}
	data, digest, err := runtime.BuildContext(spec)
	if err != nil {
		t.Fatal(err)
	}
	if names, want := tarNames(t, data), []string{".dockerignore", "Dockerfile", "keep.txt", "src/", "src/main.txt"}; !slices.Equal(names, want) {
		t.Errorf("context holds %v, want %v", names, want)
	}
	if _, again, _ := runtime.BuildContext(spec); again != digest {
		t.Errorf("the same context has digests %s and %s", digest, again)
	}
	changed := map[string]func(){
		"a source":   func() { writeFiles(t, dir, map[string]string{"keep.txt": "changed"}) },
		"an arg":     func() { spec.Args = map[string]string{"GREETING": "hello"} },
		"the target": func() { spec.Target = "broken" },
	}
	seen := map[string]bool{digest: true}
	for _, what := range []string{"a source", "an arg", "the target"} {
		changed[what]()
		_, d, err := runtime.BuildContext(spec)
		if err != nil || seen[d] {
			t.Errorf("changing %s left the digest as it was (%v)", what, err)
		}
		seen[d] = true
	}
	writeFiles(t, dir, map[string]string{"secret.txt": "another secret"})
	if _, d, _ := runtime.BuildContext(spec); !seen[d] {
		t.Errorf("changing an ignored file changed the digest")
	}
	writeFiles(t, dir, map[string]string{".dockerignore": "!keep.txt\n"})
	if _, _, err := runtime.BuildContext(spec); err == nil || !strings.Contains(err.Error(), ".dockerignore:1") {
		t.Errorf("a .dockerignore exception: %v, want an error naming its line", err)
	}
	if _, _, err := runtime.BuildContext(runtime.BuildSpec{Context: dir, Dockerfile: "../Dockerfile"}); err == nil {
		t.Errorf("a Dockerfile outside the context was taken")
	}
}

// The Engine builds the target stage with the build args, tagged with
// the content tag; the last stage, which cannot build, is not built.
func TestDockerBuildsTargetWithArgs(t *testing.T) {
	cli := localcloudtest.DockerEngine(t)
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"Dockerfile": buildDockerfile, "keep.txt": "kept"})
	process := runtime.NewProcess(runtime.ProcessOptions{SharedNetwork: true})
	t.Cleanup(func() { _ = process.Close(context.Background()) })
	docker, err := runtime.NewDocker(context.Background(), runtime.DockerOptions{Network: process})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = docker.Close(context.Background()) })
	repository := fmt.Sprintf("berth-test-build-%d", os.Getpid())
	spec := runtime.BuildSpec{Context: dir, Args: map[string]string{"GREETING": "hi"}, Target: "app", Repository: repository}
	ref, err := docker.Build(context.Background(), spec)
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	t.Cleanup(func() {
		_, _ = cli.ImageRemove(context.Background(), ref, image.RemoveOptions{Force: true, PruneChildren: true})
	})
	_, digest, _ := runtime.BuildContext(spec)
	if ref != repository+":"+runtime.ContentTag(digest) {
		t.Errorf("built %s, want the content tag %s", ref, runtime.ContentTag(digest))
	}
	inspected, err := cli.ImageInspect(context.Background(), ref)
	if err != nil {
		t.Fatalf("ImageInspect: %v", err)
	}
	if inspected.Config == nil || inspected.Config.Labels["greeting"] != "hi" {
		t.Errorf("labels %+v, want greeting=hi from the build arg", inspected.Config)
	}
	spec.Target = ""
	if _, err := docker.Build(context.Background(), spec); err == nil || !strings.Contains(err.Error(), "does-not-exist") {
		t.Errorf("building the last stage: %v, want its COPY to fail", err)
	}
}
