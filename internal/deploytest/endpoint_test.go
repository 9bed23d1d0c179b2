package deploytest

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/sts"
)

func TestMotoAnswersSTS(t *testing.T) {
	cfg := Config(t, Moto)
	out, err := sts.NewFromConfig(cfg).GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatal(err)
	}
	if out.Account == nil || *out.Account == "" {
		t.Fatal("no account in caller identity")
	}
}
