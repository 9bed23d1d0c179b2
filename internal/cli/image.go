package cli

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	ecrtypes "github.com/aws/aws-sdk-go-v2/service/ecr/types"
	"github.com/docker/docker/api/types/registry"
	"github.com/docker/docker/client"
	"github.com/spf13/cobra"

	"github.com/berthdev/berth/internal/localcloud"
	"github.com/berthdev/berth/internal/localcloud/runtime"
	"github.com/berthdev/berth/internal/spec"
)

// NewImageCmd builds `berth local image`: the process images of a local cloud.
func NewImageCmd(io IOStreams) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "image",
		Short: "Manage process images: how the local cloud runs an image name without a container",
	}
	cmd.AddCommand(newImageAddCmd(io))
	return cmd
}

type imageAddOptions struct {
	io          IOStreams
	EndpointURL string
	StateDir    string
	Dir         string
	Env         []string
}

func newImageAddCmd(io IOStreams) *cobra.Command {
	opts := &imageAddOptions{io: io}
	cmd := &cobra.Command{
		Use:   "add IMAGE --dir DIR [--env K=V]... -- COMMAND [ARG...]",
		Short: "Register how to run IMAGE as a local process",
		Long: `Register how to run IMAGE as a local process. Tasks whose container uses IMAGE
then run COMMAND in DIR. An argument that is exactly $HOST or ${HOST} becomes
the task's own address, and one that is exactly $PORT or ${PORT} its first
container port; everything else reaches COMMAND as written (a shell given
'sh -c' expands ${HOST:-0.0.0.0}, $$ and the like itself, from the task's
environment). The container definition's environment is set as it would be
in the container.

Writing a process image needs the local cloud's admin token, which it writes
to its state directory at every start: pass the same --state-dir as to
berth local (for berth local --ephemeral, the directory it prints).`,
		Example: `  berth local image add fastapi-dev:latest --dir examples/fastapi -- \
      /usr/bin/python3 -m uvicorn main:app --host '$HOST' --port 9000`,
		Args: cobra.MinimumNArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			if cmd.ArgsLenAtDash() != 1 {
				return usageErrorf("give the image name, then -- and the command: berth local image add IMAGE --dir DIR -- COMMAND...")
			}
			return runImageAdd(cmd.Context(), opts, args[0], args[1:])
		},
	}
	cmd.Flags().StringVar(&opts.EndpointURL, "endpoint-url", "http://"+DefaultLocalAddr, "the local cloud's endpoint")
	cmd.Flags().StringVar(&opts.StateDir, "state-dir", defaultStateDir(), "the local cloud's state directory, where its admin token is")
	cmd.Flags().StringVar(&opts.Dir, "dir", ".", "directory the command runs in")
	cmd.Flags().StringArrayVar(&opts.Env, "env", nil, "environment variable NAME=VALUE for the process (repeatable)")
	return cmd
}

func runImageAdd(ctx context.Context, opts *imageAddOptions, image string, command []string) error {
	dir, err := filepath.Abs(opts.Dir)
	if err != nil {
		return err
	}
	env := map[string]string{}
	for _, kv := range opts.Env {
		name, value, ok := strings.Cut(kv, "=")
		if !ok || name == "" {
			return usageErrorf("--env %q: want NAME=VALUE", kv)
		}
		env[name] = value
	}
	token, err := readAdminToken(opts.StateDir)
	if err != nil {
		return err
	}
	img := runtime.ProcessImage{Name: image, Dir: dir, Command: command, Env: env}
	name, err := registerImage(ctx, opts.EndpointURL, token, img)
	if err != nil {
		return err
	}
	fmt.Fprintf(opts.io.Out, "Registered process image %s: %s (in %s)\n", name, strings.Join(command, " "), dir)
	return nil
}

// readAdminToken reads the admin token a local cloud with state in stateDir
// wrote at its start. No file is no token: the local cloud's refusal then
// says where its token is.
func readAdminToken(stateDir string) (string, error) {
	data, err := os.ReadFile(localcloud.AdminTokenPath(stateDir))
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("reading the local cloud's admin token: %w", err)
	}
	return strings.TrimSpace(string(data)), nil
}

// registerImage stores img in the local cloud at endpoint, proving with the
// admin token that the caller may choose what it runs, and returns the
// normalised image name.
func registerImage(ctx context.Context, endpoint, token string, img runtime.ProcessImage) (string, error) {
	body, err := json.Marshal(img)
	if err != nil {
		return "", err
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(endpoint, "/")+"/_berth/images", bytes.NewReader(body))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", fmt.Errorf("registering image with the local cloud at %s: %w (is `berth local` running?)", endpoint, err)
	}
	defer resp.Body.Close()
	var reply struct{ Image, Error string }
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err := json.Unmarshal(data, &reply); err != nil {
		return "", fmt.Errorf("local cloud at %s answered %s: %s", endpoint, resp.Status, bytes.TrimSpace(data))
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("registering image: %s", reply.Error)
	}
	return reply.Image, nil
}

// buildImage builds berth.yaml's image.build with the Engine and tags it
// repository:<content tag>, a tag derived from the build context, the
// Dockerfile's path, the build args and the target (runtime.BuildContext),
// so the same sources give the same tag. The Engine's output goes to
// io.ErrOut.
func buildImage(ctx context.Context, io IOStreams, cli *client.Client, b *spec.Build, repository string) (ref, tag string, err error) {
	ref, err = runtime.BuildImage(ctx, cli, runtime.BuildSpec{
		Context: b.Context, Dockerfile: b.Dockerfile, Args: b.Args, Target: b.Target, Repository: repository,
	}, io.ErrOut)
	if err != nil {
		return "", "", err
	}
	return ref, strings.TrimPrefix(ref, repository+":"), nil
}

// imageRepository is the repository part of an image reference: what is
// before its tag or digest.
func imageRepository(image string) string {
	if i := strings.Index(image, "@"); i >= 0 {
		image = image[:i]
	}
	if i := strings.LastIndex(image, ":"); i > strings.LastIndex(image, "/") {
		image = image[:i]
	}
	return image
}

// pushToECR pushes the local image ref to repositoryURI:tag with the
// credentials of ECR's GetAuthorizationToken, unless the tag is there
// already: the tag names the content, so it is the same image.
func pushToECR(ctx context.Context, io IOStreams, cli *client.Client, cfg aws.Config, ref, repositoryURI, tag string) (string, error) {
	target := repositoryURI + ":" + tag
	ecrClient := ecr.NewFromConfig(cfg)
	name := repositoryURI[strings.Index(repositoryURI, "/")+1:]
	existing, err := ecrClient.DescribeImages(ctx, &ecr.DescribeImagesInput{
		RepositoryName: aws.String(name), ImageIds: []ecrtypes.ImageIdentifier{{ImageTag: aws.String(tag)}},
	})
	if err == nil && len(existing.ImageDetails) > 0 {
		fmt.Fprintf(io.ErrOut, "%s is in the repository already\n", target)
		return target, nil
	}
	token, err := ecrClient.GetAuthorizationToken(ctx, &ecr.GetAuthorizationTokenInput{})
	if err != nil {
		return "", fmt.Errorf("ECR authorization: %w", err)
	}
	if len(token.AuthorizationData) == 0 {
		return "", errors.New("ECR authorization: no token")
	}
	decoded, err := base64.StdEncoding.DecodeString(aws.ToString(token.AuthorizationData[0].AuthorizationToken))
	if err != nil {
		return "", fmt.Errorf("ECR authorization token: %w", err)
	}
	user, password, ok := strings.Cut(string(decoded), ":")
	if !ok {
		return "", errors.New("ECR authorization token is not user:password")
	}
	auth, err := registry.EncodeAuthConfig(registry.AuthConfig{
		Username: user, Password: password, ServerAddress: repositoryURI[:strings.Index(repositoryURI, "/")],
	})
	if err != nil {
		return "", err
	}
	if err := cli.ImageTag(ctx, ref, target); err != nil {
		return "", fmt.Errorf("tagging %s as %s: %w", ref, target, err)
	}
	fmt.Fprintf(io.ErrOut, "Pushing %s…\n", target)
	if err := runtime.PushImage(ctx, cli, target, auth, io.ErrOut); err != nil {
		return "", err
	}
	return target, nil
}
