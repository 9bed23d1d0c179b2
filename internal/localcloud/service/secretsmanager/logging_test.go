package secretsmanager_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	sm "github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/berthdev/berth/internal/localcloud"
	"github.com/berthdev/berth/internal/localcloud/localcloudtest"
)

type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestSecretsStayOutOfLogs logs every call (berth local -v) and fails a
// few on purpose: no value may appear in the log.
func TestSecretsStayOutOfLogs(t *testing.T) {
	var logged lockedBuffer
	cloud, err := localcloud.New(localcloud.Options{Logger: slog.New(slog.NewTextHandler(&logged, &slog.HandlerOptions{Level: slog.LevelDebug})), LogCalls: true})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(cloud)
	t.Cleanup(func() { srv.Close(); _ = cloud.Close() })
	c := sm.NewFromConfig(localcloudtest.SDKConfig(t, srv.URL))
	ctx := context.Background()
	const secret = "s3cr3t-never-logged"
	token := "0123456789abcdef0123456789abcdef"
	must(c.CreateSecret(ctx, &sm.CreateSecretInput{Name: aws.String("quiet"), SecretString: aws.String(secret), ClientRequestToken: aws.String(token)}))(t)
	value(t, c, &sm.GetSecretValueInput{SecretId: aws.String("quiet")})
	_, err = c.CreateSecret(ctx, &sm.CreateSecretInput{Name: aws.String("quiet"), SecretString: aws.String(secret + "2"), ClientRequestToken: aws.String(token)})
	localcloudtest.WantCode(t, err, "ResourceExistsException")
	_, err = c.PutSecretValue(ctx, &sm.PutSecretValueInput{SecretId: aws.String("missing"), SecretString: aws.String(secret)})
	localcloudtest.WantCode(t, err, "ResourceNotFoundException")
	if !strings.Contains(logged.String(), "CreateSecret") {
		t.Fatalf("the calls were not logged at all:\n%s", logged.String())
	}
	if strings.Contains(logged.String(), "s3cr3t") {
		t.Errorf("a secret value reached the log:\n%s", logged.String())
	}
}
