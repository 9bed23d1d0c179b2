package logs

import (
	"regexp"
	"strings"
)

// compileFilterPattern understands the text forms of the filter pattern
// syntax: terms that must all appear, "quoted phrases", ?terms of which one
// must appear, -terms that must not appear, and %regular expressions%.
// Terms match case-sensitively, as in AWS. JSON ({ $.x = … }) and
// space-delimited ([a, b]) patterns are rejected rather than misread.
func compileFilterPattern(pattern string) (func(string) bool, error) {
	pattern = strings.TrimSpace(pattern)
	if pattern == "" {
		return func(string) bool { return true }, nil
	}
	if strings.HasPrefix(pattern, "{") || strings.HasPrefix(pattern, "[") {
		return nil, errInvalidParameter("Invalid filter pattern: JSON and space-delimited filter patterns are not supported by the local cloud")
	}
	if strings.HasPrefix(pattern, "%") && strings.HasSuffix(pattern, "%") && len(pattern) > 1 {
		re, err := regexp.Compile(pattern[1 : len(pattern)-1])
		if err != nil {
			return nil, errInvalidParameter("Invalid regex in filter pattern: %v", err)
		}
		return re.MatchString, nil
	}
	terms, err := splitTerms(pattern)
	if err != nil {
		return nil, err
	}
	var all, anyOf, none []string
	for _, t := range terms {
		switch {
		case t.quoted:
			all = append(all, t.text)
		case strings.HasPrefix(t.text, "?") && len(t.text) > 1:
			anyOf = append(anyOf, strings.Trim(t.text[1:], `"`))
		case strings.HasPrefix(t.text, "-") && len(t.text) > 1:
			none = append(none, strings.Trim(t.text[1:], `"`))
		default:
			all = append(all, t.text)
		}
	}
	return func(message string) bool {
		for _, t := range all {
			if !strings.Contains(message, t) {
				return false
			}
		}
		for _, t := range none {
			if strings.Contains(message, t) {
				return false
			}
		}
		if len(anyOf) == 0 {
			return true
		}
		for _, t := range anyOf {
			if strings.Contains(message, t) {
				return true
			}
		}
		return false
	}, nil
}

type term struct {
	text   string
	quoted bool
}

func splitTerms(pattern string) ([]term, error) {
	var terms []term
	rest := pattern
	for {
		rest = strings.TrimLeft(rest, " \t")
		if rest == "" {
			return terms, nil
		}
		if rest[0] == '"' {
			end := strings.IndexByte(rest[1:], '"')
			if end < 0 {
				return nil, errInvalidParameter("Invalid filter pattern: unterminated quoted term in %q", pattern)
			}
			terms = append(terms, term{text: rest[1 : end+1], quoted: true})
			rest = rest[end+2:]
			continue
		}
		end := strings.IndexAny(rest, " \t")
		if end < 0 {
			end = len(rest)
		}
		terms = append(terms, term{text: rest[:end]})
		rest = rest[end:]
	}
}
