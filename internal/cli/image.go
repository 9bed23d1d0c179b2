package cli

import (
	"bytes"
	"context"
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

	"github.com/spf13/cobra"

	"github.com/berthdev/berth/internal/localcloud"
	"github.com/berthdev/berth/internal/localcloud/runtime"
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
