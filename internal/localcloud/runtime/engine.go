package runtime

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/docker/docker/client"
	"github.com/docker/docker/pkg/jsonmessage"
)

// ConnectEngine connects to the Docker Engine named by DOCKER_HOST (or the
// default socket), negotiating the API version down to the Engine's (this
// machine's 20.10 speaks 1.41). It fails when no Engine answers within a
// few seconds, so callers can fall back to what needs no Engine.
func ConnectEngine(ctx context.Context) (*client.Client, error) {
	cli, err := client.NewClientWithOpts(client.FromEnv, client.WithAPIVersionNegotiation())
	if err != nil {
		return nil, err
	}
	pingCtx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	if _, err := cli.Ping(pingCtx); err != nil {
		cli.Close()
		return nil, fmt.Errorf("no Docker Engine at %s: %w", cli.DaemonHost(), err)
	}
	cli.NegotiateAPIVersion(pingCtx)
	return cli, nil
}

// followProgress reads a build's, pull's or push's progress stream to its
// end and returns the failure it reports; with a non-nil display it also
// shows the progress there as the docker CLI does.
func followProgress(r io.Reader, display io.Writer) error {
	if display == nil {
		return readProgress(r)
	}
	return jsonmessage.DisplayJSONMessagesStream(r, display, 0, false, nil)
}
