package iam

import (
	"strings"
	"testing"
)

// Every built-in AWS managed policy has dates, a version id and a document
// IAM itself would accept.
func TestAWSManagedPolicyTable(t *testing.T) {
	seen := map[string]bool{}
	for _, p := range allAWSManagedPolicies() {
		if seen[p.ARN] {
			t.Errorf("%s is listed twice", p.ARN)
		}
		seen[p.ARN] = true
		if p.CreateDate.IsZero() || p.UpdateDate.Before(p.CreateDate) {
			t.Errorf("%s: created %v, updated %v", p.ARN, p.CreateDate, p.UpdateDate)
		}
		if !strings.HasPrefix(p.DefaultVersionID, "v") || p.Description == "" {
			t.Errorf("%s: version %q, description %q", p.ARN, p.DefaultVersionID, p.Description)
		}
		if err := validatePolicyDocument("document", p.Versions[0].Document, maxManagedPolicyChars); err != nil {
			t.Errorf("%s: %v", p.ARN, err)
		}
		if got, ok := awsManagedPolicy(p.ARN); !ok || got.Name != p.Name {
			t.Errorf("%s does not resolve to itself", p.ARN)
		}
	}
}
