package awsres

import (
	"strings"
	"testing"
)

func TestShortName(t *testing.T) {
	if got := ShortName("demo-alb", 32); got != "demo-alb" {
		t.Fatalf("short name changed: %q", got)
	}
	long := strings.Repeat("payments-", 5) + "alb"
	got := ShortName(long, 32)
	if len(got) > 32 || !strings.HasPrefix(got, "payments-payments") {
		t.Fatalf("ShortName(%q) = %q", long, got)
	}
	other := ShortName(strings.Repeat("payments-", 5)+"tg", 32)
	if got == other {
		t.Fatalf("two long names collide: %q", got)
	}
	if got != ShortName(long, 32) {
		t.Fatal("ShortName is not deterministic")
	}
}

func TestUserDataJoinsCluster(t *testing.T) {
	want := "#!/bin/bash\necho ECS_CLUSTER=demo >> /etc/ecs/ecs.config\n"
	if got := UserData("demo"); got != want {
		t.Fatalf("UserData = %q", got)
	}
}
