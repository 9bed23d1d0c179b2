package cli_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/docker/docker/api/types/image"

	"github.com/berthdev/berth/internal/localcloud/localcloudtest"
)

// builtServer is the service the test builds into an image: every path
// answers with its marker, so a request through the load balancer shows
// that the built image serves (the example's own Dockerfile starts FROM a
// python image, which cannot be pulled on this machine).
const builtServer = `package main

import (
	"fmt"
	"net/http"
)

func main() {
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, "served by the built image") })
	if err := http.ListenAndServe(":9000", nil); err != nil {
		panic(err)
	}
}
`

// buildableExample is the FastAPI example with image.build pointing at a
// FROM scratch Dockerfile around a static Go server; its local: section
// stays, for when there is no Docker Engine.
func buildableExample(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	src := filepath.Join(dir, "src")
	if err := os.MkdirAll(src, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, content := range map[string]string{
		"main.go":    builtServer,
		"go.mod":     "module built\n\ngo 1.22\n",
		"Dockerfile": "FROM scratch\nCOPY server /server\nENTRYPOINT [\"/server\"]\n",
	} {
		if err := os.WriteFile(filepath.Join(src, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	compile := exec.Command("go", "build", "-o", "server", ".")
	compile.Dir = src
	compile.Env = append(os.Environ(), "CGO_ENABLED=0", "GOFLAGS=-buildvcs=false")
	if out, err := compile.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	example, err := os.ReadFile(exampleSpec)
	if err != nil {
		t.Fatal(err)
	}
	exampleDir, err := filepath.Abs(filepath.Dir(exampleSpec))
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, line := range strings.Split(string(example), "\n") {
		switch {
		case strings.HasPrefix(line, "  image: fastapi-dev:latest"):
			line = "  image:\n    uri: fastapi-dev:latest\n    build: {context: src}"
		case strings.HasPrefix(line, "  dir: ."):
			line = "  dir: " + exampleDir
		}
		lines = append(lines, line)
	}
	path := filepath.Join(dir, "berth.yaml")
	if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// serviceImage is the image the example service's task definition runs.
func serviceImage(t *testing.T, cfg aws.Config) string {
	t.Helper()
	ctx := context.Background()
	client := ecs.NewFromConfig(cfg)
	svc, err := client.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String("fastapi"), Services: []string{"fastapi"}})
	if err != nil || len(svc.Services) != 1 {
		t.Fatalf("describe service: %v", err)
	}
	td, err := client.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: svc.Services[0].TaskDefinition})
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(td.TaskDefinition.ContainerDefinitions[0].Image)
}

// berth up with image.build on the example builds the image with the
// Docker Engine and runs it: the load balancer answers from the container.
func TestUpRunsTheBuiltImage(t *testing.T) {
	docker := localcloudtest.DockerEngine(t)
	spec := buildableExample(t)
	cloud := localcloudtest.Start(t)
	out, errOut, err := berth(t, cloud.Endpoint, "up", "--no-logs", "-f", spec, "--state-dir", t.TempDir())
	if err != nil {
		t.Fatalf("up: %v\nstdout:\n%s\nstderr:\n%s", err, out, errOut)
	}
	ref := serviceImage(t, cloud.Config)
	t.Cleanup(func() {
		_, _ = docker.ImageRemove(context.Background(), ref, image.RemoveOptions{Force: true, PruneChildren: true})
	})
	if !strings.HasPrefix(ref, "fastapi-dev:build-") {
		t.Fatalf("the service runs %s, want the build (fastapi-dev:build-<content digest>)", ref)
	}
	if !strings.Contains(errOut, "Building "+ref) {
		t.Errorf("up did not say it builds %s:\n%s", ref, errOut)
	}
	if body := get(t, listenerURL(t, cloud.Endpoint)); !strings.Contains(body, "served by the built image") {
		t.Errorf("the load balancer answered %q, not the built image", body)
	}
}

// Without a Docker Engine, berth up runs the example's process image.
func TestUpWithoutDockerRunsTheProcessImage(t *testing.T) {
	requirePython(t)
	spec := buildableExample(t)
	stateDir := t.TempDir()
	cloud := localcloudtest.StartInDir(t, stateDir)
	// Only berth up's own Engine client sees this; the local cloud started
	// above keeps its runtime.
	t.Setenv("DOCKER_HOST", "unix://"+filepath.Join(t.TempDir(), "no-docker.sock"))
	out, errOut, err := berth(t, cloud.Endpoint, "up", "--no-logs", "-f", spec, "--state-dir", stateDir)
	if err != nil {
		t.Fatalf("up: %v\nstdout:\n%s\nstderr:\n%s", err, out, errOut)
	}
	if !strings.Contains(errOut, "running the process image of local: instead") {
		t.Errorf("up did not say it falls back to the process image:\n%s", errOut)
	}
	if ref := serviceImage(t, cloud.Config); ref != "fastapi-dev:latest" {
		t.Errorf("the service runs %s, want the process image fastapi-dev:latest", ref)
	}
	if id := taskThatAnswered(t, listenerURL(t, cloud.Endpoint)); id == "" {
		t.Error("no task answered")
	}
}

// berth deploy with image.build builds, creates the stack's ECR repository,
// pushes the build under its content tag and deploys that tag; destroy
// removes the repository with the stack.
func TestDeployPushesTheBuiltImage(t *testing.T) {
	docker := localcloudtest.DockerEngine(t)
	spec := buildableExample(t)
	cloud := localcloudtest.Start(t)
	out, errOut, err := berth(t, cloud.Endpoint, "deploy", "--yes", "-f", spec)
	if err != nil {
		t.Fatalf("deploy: %v\nstdout:\n%s\nstderr:\n%s", err, out, errOut)
	}
	ref := serviceImage(t, cloud.Config)
	t.Cleanup(func() {
		for _, r := range []string{ref, "fastapi-dev:" + ref[strings.LastIndex(ref, ":")+1:]} {
			_, _ = docker.ImageRemove(context.Background(), r, image.RemoveOptions{Force: true, PruneChildren: true})
		}
	})
	repos, err := ecr.NewFromConfig(cloud.Config).DescribeRepositories(context.Background(), &ecr.DescribeRepositoriesInput{RepositoryNames: []string{"fastapi"}})
	if err != nil || len(repos.Repositories) != 1 {
		t.Fatalf("the stack's repository: %v", err)
	}
	uri := aws.ToString(repos.Repositories[0].RepositoryUri)
	if !strings.HasPrefix(ref, uri+":build-") {
		t.Fatalf("the service runs %s, want %s:build-<content digest>", ref, uri)
	}
	images, err := ecr.NewFromConfig(cloud.Config).DescribeImages(context.Background(), &ecr.DescribeImagesInput{RepositoryName: aws.String("fastapi")})
	if err != nil || len(images.ImageDetails) != 1 || !slices.Contains(images.ImageDetails[0].ImageTags, ref[len(uri)+1:]) {
		t.Fatalf("images in the repository: %v %+v", err, images)
	}
	if body := get(t, listenerURL(t, cloud.Endpoint)); !strings.Contains(body, "served by the built image") {
		t.Errorf("the load balancer answered %q, not the pushed image", body)
	}

	// The same sources are the same tag: a second deploy pushes nothing
	// and changes nothing.
	out, errOut, err = berth(t, cloud.Endpoint, "deploy", "--yes", "--no-wait", "-f", spec)
	if err != nil || !strings.Contains(out, "No changes") || !strings.Contains(errOut, "in the repository already") {
		t.Fatalf("second deploy: %v\nstdout:\n%s\nstderr:\n%s", err, out, errOut)
	}

	if out, errOut, err = berth(t, cloud.Endpoint, "destroy", "--yes", "-f", spec); err != nil {
		t.Fatalf("destroy: %v\nstdout:\n%s\nstderr:\n%s", err, out, errOut)
	}
	if _, err := ecr.NewFromConfig(cloud.Config).DescribeRepositories(context.Background(), &ecr.DescribeRepositoriesInput{RepositoryNames: []string{"fastapi"}}); err == nil {
		t.Error("the stack's repository is left after destroy")
	}
}
