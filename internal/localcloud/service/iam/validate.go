package iam

import (
	"encoding/json"
	"net/url"
	"regexp"
	"strings"
	"unicode"
)

var (
	entityNamePattern = regexp.MustCompile(`^[\w+=,.@-]+$`)
	pathPattern       = regexp.MustCompile(`^(/|/[\x21-\x7e]+/)$`)
)

// validateName checks a role, instance profile or policy name.
func validateName(member, name string, maxLen int) error {
	switch {
	case name == "":
		return errMissing(member)
	case len(name) > maxLen:
		return errValidation(name, member, "Member must have length less than or equal to "+itoa(maxLen))
	case !entityNamePattern.MatchString(name):
		return errValidation(name, member, `Member must satisfy regular expression pattern: [\w+=,.@-]+`)
	}
	return nil
}

// normalizePath applies the default path "/" and checks the path's form.
func normalizePath(member, path string) (string, error) {
	if path == "" {
		return "/", nil
	}
	if len(path) > 512 {
		return "", errValidation(path, member, "Member must have length less than or equal to 512")
	}
	if !pathPattern.MatchString(path) {
		return "", errValidation(path, member, `Member must satisfy regular expression pattern: (\u002F)|(\u002F[\u0021-\u007E]+\u002F)`)
	}
	return path, nil
}

func validatePathPrefix(prefix string) error {
	if prefix == "" {
		return nil
	}
	if len(prefix) > 512 || !strings.HasPrefix(prefix, "/") {
		return errValidation(prefix, "pathPrefix", `Member must satisfy regular expression pattern: \u002F[\u0021-\u007F]*`)
	}
	return nil
}

func validateDescription(description string) error {
	if len(description) > 1000 {
		return errValidation(description, "description", "Member must have length less than or equal to 1000")
	}
	return nil
}

// ValidatePolicyDocument checks a session policy (STS's AssumeRole*) as
// IAM checks its own policy documents.
func ValidatePolicyDocument(document string) error {
	// Its size is bounded by STS's packed policy size, not by IAM's quotas.
	return validatePolicyDocument("policy", document, 1<<20)
}

// validatePolicyDocument checks what IAM checks before it looks at
// semantics: well-formed JSON, a Statement, and each statement's Effect.
func validatePolicyDocument(member, document string, maxChars int) error {
	if document == "" {
		return errMissing(member)
	}
	if nonWhitespace(document) > maxChars {
		return errLimitExceeded("Cannot exceed quota for PolicySize: %d", maxChars)
	}
	var policy map[string]any
	if err := json.Unmarshal([]byte(document), &policy); err != nil {
		return errMalformedPolicy("Syntax errors in policy.")
	}
	if version, ok := policy["Version"]; ok && version != "2012-10-17" && version != "2008-10-17" {
		return errMalformedPolicy("The policy failed legacy parsing")
	}
	rawStatements, ok := policy["Statement"]
	if !ok {
		return errMalformedPolicy("Missing required field Statement")
	}
	var statements []any
	switch s := rawStatements.(type) {
	case []any:
		statements = s
	case map[string]any:
		statements = []any{s}
	default:
		return errMalformedPolicy("Syntax errors in policy.")
	}
	if len(statements) == 0 {
		return errMalformedPolicy("Missing required field Statement")
	}
	for _, raw := range statements {
		statement, ok := raw.(map[string]any)
		if !ok {
			return errMalformedPolicy("Syntax errors in policy.")
		}
		switch statement["Effect"] {
		case "Allow", "Deny":
		case nil:
			return errMalformedPolicy("Missing required field Effect")
		default:
			return errMalformedPolicy("Invalid effect: %v", statement["Effect"])
		}
		_, hasAction := statement["Action"]
		_, hasNotAction := statement["NotAction"]
		if !hasAction && !hasNotAction {
			return errMalformedPolicy("Policy statement must contain actions.")
		}
	}
	return nil
}

func nonWhitespace(s string) int {
	n := 0
	for _, r := range s {
		if !unicode.IsSpace(r) {
			n++
		}
	}
	return n
}

// encodeDocument URL-encodes a policy document the way IAM returns it.
// Spaces become %20 rather than "+": botocore decodes with unquote, which
// leaves "+" alone.
func encodeDocument(document string) string {
	return strings.ReplaceAll(url.QueryEscape(document), "+", "%20")
}
