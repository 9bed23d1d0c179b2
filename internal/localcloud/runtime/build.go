package runtime

import (
	"archive/tar"
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/docker/docker/api/types/build"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/client"
)

// BuildSpec is berth.yaml's image.build: what the Docker Engine builds.
type BuildSpec struct {
	// Context is the build context directory.
	Context string
	// Dockerfile is relative to Context; empty means "Dockerfile".
	Dockerfile string
	Args       map[string]string
	// Target is the stage to build; empty means the last one.
	Target string
	// Repository is what the image is tagged in ("web",
	// "127.0.0.1:4566/web"); its tag is ContentTag's.
	Repository string
}

// maxContextBytes bounds a build context held in memory; a larger one
// needs a .dockerignore.
const maxContextBytes = 1 << 30

// BuildContext returns the build context of spec as the tar stream the
// Engine's build endpoint takes, and its content digest: the context's
// files (their names, modes and bytes, without times, which a checkout
// changes), the Dockerfile's path, the build args and the target. Paths
// .dockerignore excludes are left out (its patterns as filepath.Match
// reads them, relative to the context as Docker reads them, a pattern also
// excluding what is under a matched directory; "!" exceptions and "**"
// are not supported and are refused), except the
// Dockerfile and .dockerignore themselves, which the Engine needs.
func BuildContext(spec BuildSpec) ([]byte, string, error) {
	dockerfile := spec.Dockerfile
	if dockerfile == "" {
		dockerfile = "Dockerfile"
	}
	dockerfile = filepath.ToSlash(filepath.Clean(dockerfile))
	if strings.HasPrefix(dockerfile, "../") || path.IsAbs(dockerfile) {
		return nil, "", fmt.Errorf("image.build.dockerfile %q must be inside the context %s", spec.Dockerfile, spec.Context)
	}
	if _, err := os.Stat(filepath.Join(spec.Context, dockerfile)); err != nil {
		return nil, "", fmt.Errorf("image.build: %w", err)
	}
	ignored, err := readDockerignore(spec.Context)
	if err != nil {
		return nil, "", err
	}
	var names []string
	err = filepath.WalkDir(spec.Context, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(spec.Context, p)
		if err != nil || rel == "." {
			return err
		}
		rel = filepath.ToSlash(rel)
		if rel != dockerfile && rel != ".dockerignore" && excluded(ignored, rel) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if d.Type().IsRegular() || d.IsDir() {
			names = append(names, rel)
		}
		return nil
	})
	if err != nil {
		return nil, "", fmt.Errorf("reading the build context: %w", err)
	}
	sort.Strings(names)

	var out bytes.Buffer
	tw := tar.NewWriter(&out)
	digest := sha256.New()
	for _, name := range names {
		full := filepath.Join(spec.Context, filepath.FromSlash(name))
		info, err := os.Stat(full)
		if err != nil {
			return nil, "", err
		}
		header := &tar.Header{Name: name, Mode: int64(info.Mode().Perm()), Typeflag: tar.TypeReg}
		var data []byte
		if info.IsDir() {
			header.Typeflag, header.Name = tar.TypeDir, name+"/"
		} else if data, err = os.ReadFile(full); err != nil {
			return nil, "", err
		}
		header.Size = int64(len(data))
		if err := tw.WriteHeader(header); err != nil {
			return nil, "", err
		}
		if _, err := tw.Write(data); err != nil {
			return nil, "", err
		}
		if out.Len() > maxContextBytes {
			return nil, "", fmt.Errorf("the build context %s is larger than %d bytes: exclude what the image does not need with a .dockerignore", spec.Context, maxContextBytes)
		}
		fmt.Fprintf(digest, "%s %o %d\n", header.Name, header.Mode, header.Size)
		digest.Write(data)
	}
	if err := tw.Close(); err != nil {
		return nil, "", err
	}
	fmt.Fprintf(digest, "dockerfile %s\ntarget %s\n", dockerfile, spec.Target)
	args := make([]string, 0, len(spec.Args))
	for name, value := range spec.Args {
		args = append(args, name+"="+value)
	}
	sort.Strings(args)
	for _, arg := range args {
		fmt.Fprintf(digest, "arg %q\n", arg)
	}
	return out.Bytes(), hex.EncodeToString(digest.Sum(nil)), nil
}

// ContentTag is the image tag of a build context's digest: the same
// sources, Dockerfile, args and target give the same tag, so a deploy of
// unchanged sources changes nothing, and any change gives a new one.
func ContentTag(digest string) string { return "build-" + digest[:16] }

func readDockerignore(dir string) ([]string, error) {
	f, err := os.Open(filepath.Join(dir, ".dockerignore"))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var patterns []string
	scanner := bufio.NewScanner(f)
	for line := 1; scanner.Scan(); line++ {
		pattern := strings.TrimSpace(scanner.Text())
		if pattern == "" || strings.HasPrefix(pattern, "#") {
			continue
		}
		if strings.HasPrefix(pattern, "!") || strings.Contains(pattern, "**") {
			return nil, fmt.Errorf("%s:%d: %q: exceptions (!) and ** are not supported in .dockerignore yet", filepath.Join(dir, ".dockerignore"), line, pattern)
		}
		pattern = strings.TrimPrefix(path.Clean(filepath.ToSlash(pattern)), "/")
		if _, err := path.Match(pattern, ""); err != nil {
			return nil, fmt.Errorf("%s:%d: %q: %w", filepath.Join(dir, ".dockerignore"), line, pattern, err)
		}
		patterns = append(patterns, pattern)
	}
	return patterns, scanner.Err()
}

// excluded reports whether a pattern matches rel or one of its parent
// directories.
func excluded(patterns []string, rel string) bool {
	for _, pattern := range patterns {
		for p := rel; p != "." && p != ""; p = path.Dir(p) {
			if ok, _ := path.Match(pattern, p); ok {
				return true
			}
		}
	}
	return false
}

// Build builds spec with the Engine and tags the image
// <Repository>:<ContentTag>, which it returns.
func (d *Docker) Build(ctx context.Context, spec BuildSpec) (string, error) {
	return BuildImage(ctx, d.client, spec, nil)
}

// BuildImage builds spec with the Engine cli and tags the image
// <Repository>:<ContentTag>, which it returns; what it builds and the
// Engine's output are shown on progress unless that is nil.
func BuildImage(ctx context.Context, cli *client.Client, spec BuildSpec, progress io.Writer) (string, error) {
	if spec.Repository == "" {
		return "", errors.New("image.build: no repository to tag the image in")
	}
	buildContext, digest, err := BuildContext(spec)
	if err != nil {
		return "", err
	}
	ref := spec.Repository + ":" + ContentTag(digest)
	args := make(map[string]*string, len(spec.Args))
	for name, value := range spec.Args {
		args[name] = &value
	}
	dockerfile := spec.Dockerfile
	if dockerfile == "" {
		dockerfile = "Dockerfile"
	}
	if progress != nil {
		fmt.Fprintf(progress, "Building %s from %s…\n", ref, spec.Context)
	}
	resp, err := cli.ImageBuild(ctx, bytes.NewReader(buildContext), build.ImageBuildOptions{
		Tags: []string{ref}, Dockerfile: filepath.ToSlash(dockerfile), BuildArgs: args, Target: spec.Target,
		Remove: true, ForceRemove: true,
	})
	if err != nil {
		return "", fmt.Errorf("building %s: %w", ref, err)
	}
	defer resp.Body.Close()
	if err := followProgress(resp.Body, progress); err != nil {
		return "", fmt.Errorf("building %s: %w", ref, err)
	}
	return ref, nil
}

// Push pushes ref to its registry with the X-Registry-Auth value auth
// (registry.AuthConfig for the local ECR).
func (d *Docker) Push(ctx context.Context, ref, auth string) error {
	return PushImage(ctx, d.client, ref, auth, nil)
}

// PushImage pushes ref to its registry through the Engine cli with the
// X-Registry-Auth value auth, showing progress unless it is nil.
func PushImage(ctx context.Context, cli *client.Client, ref, auth string, progress io.Writer) error {
	stream, err := cli.ImagePush(ctx, ref, image.PushOptions{RegistryAuth: auth})
	if err != nil {
		return fmt.Errorf("pushing %s: %w", ref, err)
	}
	defer stream.Close()
	if err := followProgress(stream, progress); err != nil {
		return fmt.Errorf("pushing %s: %w", ref, err)
	}
	return nil
}
