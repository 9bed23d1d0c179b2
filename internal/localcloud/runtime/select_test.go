package runtime_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/berthdev/berth/internal/localcloud/localcloudtest"
	"github.com/berthdev/berth/internal/localcloud/runtime"
)

// An image no runtime can run fails with CannotPullContainerError, and
// the reason says what would make it runnable in the mode the local cloud
// runs in; --runtime docker without an Engine is refused at start.
func TestSelectorSaysHowToMakeAnImageRunnable(t *testing.T) {
	process := runtime.NewProcess(runtime.ProcessOptions{SharedNetwork: true})
	t.Cleanup(func() { _ = process.Close(context.Background()) })
	if _, err := runtime.NewSelector(runtime.ModeDocker, process, nil, nil); err == nil || !strings.Contains(err.Error(), "Docker Engine") {
		t.Errorf("--runtime docker without an Engine: %v", err)
	}
	spec := runtime.TaskSpec{ID: "t/app", Image: "registry.example/ghost:1", Container: &runtime.ContainerSpec{Image: "registry.example/ghost:1"}}
	resolve := func(mode runtime.Mode, docker *runtime.Docker) string {
		t.Helper()
		selector, err := runtime.NewSelector(mode, process, docker, nil)
		if err != nil {
			t.Fatal(err)
		}
		err = selector.Resolve(context.Background(), spec)
		var pull *runtime.PullError
		if !errors.As(err, &pull) {
			t.Fatalf("%s: Resolve = %v, want a *PullError", mode, err)
		}
		return err.Error()
	}
	cases := []struct {
		mode   runtime.Mode
		docker bool
		want   []string
	}{
		{runtime.ModeProcess, false, []string{"berth local image add registry.example/ghost:1", "--runtime auto"}},
		{runtime.ModeAuto, false, []string{"berth local image add", "none is reachable"}},
		{runtime.ModeAuto, true, []string{"docker build -t registry.example/ghost:1", "local ECR", "berth local image add"}},
		{runtime.ModeDocker, true, []string{"docker build -t registry.example/ghost:1", "local ECR"}},
	}
	var docker *runtime.Docker
	for _, c := range cases {
		if c.docker && docker == nil {
			localcloudtest.DockerEngine(t)
			var err error
			if docker, err = runtime.NewDocker(context.Background(), runtime.DockerOptions{Network: process}); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = docker.Close(context.Background()) })
		}
		var d *runtime.Docker
		if c.docker {
			d = docker
		}
		reason := resolve(c.mode, d)
		if !strings.HasPrefix(reason, "CannotPullContainerError: ") {
			t.Errorf("%s: %q is no CannotPullContainerError", c.mode, reason)
		}
		for _, want := range c.want {
			if !strings.Contains(reason, want) {
				t.Errorf("%s (docker %v): %q lacks %q", c.mode, c.docker, reason, want)
			}
		}
	}
	withProcessImage := spec
	withProcessImage.ProcessImage, withProcessImage.Command = true, []string{"/bin/true"}
	selector, _ := runtime.NewSelector(runtime.ModeAuto, process, nil, nil)
	if err := selector.Resolve(context.Background(), withProcessImage); err != nil {
		t.Errorf("a process image in auto mode without an Engine: %v", err)
	}
}
