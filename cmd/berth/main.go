// Command berth deploys a container web service to ECS behind an Application
// Load Balancer from one berth.yaml, or runs the same stack on its local cloud.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/berthdev/berth/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	streams := cli.SystemStreams()
	err := cli.NewRootCmd(streams).ExecuteContext(ctx)
	if err != nil {
		fmt.Fprintln(streams.ErrOut, "berth:", err)
	}
	os.Exit(cli.ExitCode(err))
}
