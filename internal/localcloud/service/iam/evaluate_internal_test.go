package iam

import (
	"strings"
	"testing"
)

func TestWildcardMatchesAsIAMDoes(t *testing.T) {
	tests := []struct {
		pattern, s string
		want       bool
	}{
		{"*", "", true},
		{"*", "arn:aws:ssm:eu-west-1:000000000000:parameter/app/db", true},
		{"arn:aws:ssm:*:*:parameter/app/*", "arn:aws:ssm:eu-west-1:000000000000:parameter/app/db/password", true},
		{"arn:aws:ssm:*:*:parameter/app/*", "arn:aws:ssm:eu-west-1:000000000000:parameter/other", false},
		{"arn:aws:secretsmanager:eu-west-1:*:secret:db-??????", "arn:aws:secretsmanager:eu-west-1:1:secret:db-AbCdEf", true},
		{"arn:aws:secretsmanager:eu-west-1:*:secret:db-??????", "arn:aws:secretsmanager:eu-west-1:1:secret:db-AbCdE", false},
		{"a*b*c", "axxbyyc", true},
		{"a*b*c", "axxbyy", false},
		{"ssm:get*", "ssm:getparameters", true},
		{"", "x", false},
	}
	for _, tt := range tests {
		if got := wildcard(tt.pattern, tt.s); got != tt.want {
			t.Errorf("wildcard(%q, %q) = %v, want %v", tt.pattern, tt.s, got, tt.want)
		}
	}
	// Many stars against a long near-miss: an exponential matcher would
	// not return (the test's time-out would end it).
	if wildcard(strings.Repeat("a*", 30)+"b", strings.Repeat("a", 5000)) {
		t.Error("a pattern ending in b matched a string of a's")
	}
}
