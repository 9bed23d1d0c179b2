package cli

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/feature/ec2/imds"
	"github.com/spf13/cobra"

	"github.com/berthdev/berth/internal/spec"
)

// localRegion is the region used against the local cloud when nothing else
// names one: the local cloud answers in every region.
const localRegion = "us-east-1"

// maxAttempts is how often berth's SDK clients try one call. The SDK's
// default of 3 gives up during a burst of throttling, which a deploy's
// parallel describes cause on a busy account; berth's calls are retry-safe
// (creates are found again by tag), so it rides such bursts out with the
// SDK's jittered exponential backoff (at most 20 s a pause).
const maxAttempts = 10

// loadAWSConfig builds the SDK configuration: the standard chain, then
// berth.yaml's region and profile, then the flags. Against a custom endpoint
// without credentials (the local cloud) it uses dummy ones rather than failing.
func loadAWSConfig(ctx context.Context, global *globalOptions, s *spec.Spec) (aws.Config, error) {
	loaders := []func(*config.LoadOptions) error{config.WithRetryer(newRetryer)}
	endpoint := endpointURL(global)
	profile := global.Profile
	// berth.yaml's profile names an account on AWS: a machine that deploys
	// the same file to the local cloud need not have that profile at all.
	if profile == "" && s != nil && endpoint == "" {
		profile = s.Profile
	}
	if profile != "" {
		loaders = append(loaders, config.WithSharedConfigProfile(profile))
	}
	region := global.Region
	if region == "" && s != nil {
		region = s.Region
	}
	if region != "" {
		loaders = append(loaders, config.WithRegion(region))
	}
	if endpoint != "" {
		// A custom endpoint is a local cloud or an emulator: credentials
		// come from the environment or files if at all, never from the EC2
		// instance metadata service, which must not be probed from here.
		loaders = append(loaders, config.WithBaseEndpoint(endpoint), config.WithEC2IMDSClientEnableState(imds.ClientDisabled))
	}
	cfg, err := config.LoadDefaultConfig(ctx, loaders...)
	if err != nil {
		return aws.Config{}, fmt.Errorf("loading AWS configuration: %w", err)
	}
	if endpoint != "" {
		if cfg.Region == "" {
			cfg.Region = localRegion
		}
		if _, err := cfg.Credentials.Retrieve(ctx); err != nil {
			cfg.Credentials = credentials.NewStaticCredentialsProvider("berth", "berth", "")
		}
	}
	if cfg.Region == "" {
		return aws.Config{}, usageErrorf("no AWS region: set region in berth.yaml, --region, or AWS_REGION")
	}
	return cfg, nil
}

// newRetryer is the SDK's standard retryer with maxAttempts and without its
// client-side retry quota: the quota protects a fleet of clients from retry
// storms, while berth is one user's command whose pace AWS's throttling and
// the backoff already set, and an exhausted quota would fail a deploy that
// a few more pauses would finish.
func newRetryer() aws.Retryer {
	return retry.NewStandard(func(o *retry.StandardOptions) {
		o.MaxAttempts = maxAttempts
		o.RateLimiter = ratelimit.None
	})
}

// loadStack reads berth.yaml and the AWS configuration it deploys with: what
// every verb that works on a stack starts with.
func loadStack(ctx context.Context, global *globalOptions, file string) (*spec.Spec, aws.Config, error) {
	s, err := spec.Load(file)
	if err != nil {
		return nil, aws.Config{}, err
	}
	cfg, err := loadAWSConfig(ctx, global, s)
	return s, cfg, err
}

// addFileFlag gives a stack verb its -f flag.
func addFileFlag(cmd *cobra.Command, file *string) {
	cmd.Flags().StringVarP(file, "file", "f", spec.DefaultFileName, "the stack's berth.yaml")
}

func endpointURL(global *globalOptions) string {
	if global.EndpointURL != "" {
		return global.EndpointURL
	}
	return os.Getenv("AWS_ENDPOINT_URL")
}

// isLocalCloud tells whether endpoint is a berth local cloud, by its health
// route; a real AWS endpoint or anything else answers differently.
func isLocalCloud(ctx context.Context, endpoint string) bool {
	if endpoint == "" {
		return false
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(endpoint, "/")+"/_berth/health", nil)
	if err != nil {
		return false
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}
