package cli

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/berthdev/berth/internal/spec"
)

// writeSharedConfig points the SDK at shared config and credentials files
// that hold one profile, so the test sees what a user's ~/.aws would give.
func writeSharedConfig(t *testing.T, profile, region, keyID string) {
	t.Helper()
	dir := t.TempDir()
	config := filepath.Join(dir, "config")
	credentials := filepath.Join(dir, "credentials")
	if err := os.WriteFile(config, []byte("[profile "+profile+"]\nregion = "+region+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(credentials, []byte("["+profile+"]\naws_access_key_id = "+keyID+"\naws_secret_access_key = not-a-real-secret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("AWS_CONFIG_FILE", config)
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", credentials)
	for _, name := range []string{"AWS_PROFILE", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL"} {
		t.Setenv(name, "")
		os.Unsetenv(name)
	}
}

func TestSpecProfileChoosesTheAccountOnAWS(t *testing.T) {
	writeSharedConfig(t, "staging", "eu-west-1", "AKIASTAGINGEXAMPLE")
	ctx := context.Background()
	cfg, err := loadAWSConfig(ctx, &globalOptions{}, &spec.Spec{Name: "shop", Profile: "staging"})
	if err != nil {
		t.Fatalf("loadAWSConfig: %v", err)
	}
	if cfg.Region != "eu-west-1" {
		t.Errorf("region = %q, want the profile's eu-west-1", cfg.Region)
	}
	creds, err := cfg.Credentials.Retrieve(ctx)
	if err != nil {
		t.Fatalf("credentials: %v", err)
	}
	if creds.AccessKeyID != "AKIASTAGINGEXAMPLE" {
		t.Errorf("access key = %q, want the profile's", creds.AccessKeyID)
	}

	// berth.yaml's region still wins over the profile's, as documented.
	cfg, err = loadAWSConfig(ctx, &globalOptions{}, &spec.Spec{Name: "shop", Profile: "staging", Region: "eu-central-1"})
	if err != nil {
		t.Fatalf("loadAWSConfig: %v", err)
	}
	if cfg.Region != "eu-central-1" {
		t.Errorf("region = %q, want berth.yaml's eu-central-1", cfg.Region)
	}

	// A profile the machine does not have is an error on AWS ...
	if _, err := loadAWSConfig(ctx, &globalOptions{}, &spec.Spec{Name: "shop", Profile: "prod"}); err == nil {
		t.Error("a missing profile was accepted for a deploy to AWS")
	}
	// ... but not against the local cloud, which ignores berth.yaml's profile.
	cfg, err = loadAWSConfig(ctx, &globalOptions{EndpointURL: "http://127.0.0.1:4566"}, &spec.Spec{Name: "shop", Profile: "prod"})
	if err != nil {
		t.Fatalf("the local cloud refused a berth.yaml whose profile this machine lacks: %v", err)
	}
	if cfg.Region != localRegion {
		t.Errorf("local region = %q, want %q", cfg.Region, localRegion)
	}
}
