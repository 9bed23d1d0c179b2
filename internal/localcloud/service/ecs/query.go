package ecs

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// The cluster query language selects container instances: ListContainer
// Instances' filter and memberOf placement constraints. This implements
// the part that concerns an instance alone:
//
//	expr    := and ( ("or" | "||") and )*
//	and     := factor ( ("and" | "&&") factor )*
//	factor  := "(" expr ")" | "not" factor | subject op [value | "[" value, ... "]"]
//	subject := attribute:<name> | ec2InstanceId | agentConnected | runningTasksCount
//	op      := == | != | > | >= | < | <= | =~ | !~ | in | not in | exists | not exists
//
// =~ matches a pattern (ECS's examples are shell-like, "t2.*"), taken as a
// regular expression anchored at both ends. Expressions about the tasks on
// an instance (task:group) are refused as unsupported rather than guessed.

// InstanceQuery is a parsed cluster query expression.
type InstanceQuery struct{ root queryNode }

// ParseInstanceQuery parses expr, an InvalidParameterException when it is
// not one this package can evaluate.
func ParseInstanceQuery(expr string) (*InstanceQuery, error) {
	p := &queryParser{tokens: tokenizeQuery(expr)}
	if len(p.tokens) == 0 {
		return nil, errInvalidParameter("The expression can not be blank.")
	}
	root, err := p.or()
	if err == nil && p.pos < len(p.tokens) {
		err = fmt.Errorf("unexpected %q", p.tokens[p.pos])
	}
	if err != nil {
		return nil, errInvalidParameter("Invalid expression %q: %v.", expr, err)
	}
	return &InstanceQuery{root: root}, nil
}

// Matches evaluates the query against one container instance.
func (q *InstanceQuery) Matches(ci *ContainerInstance) bool { return q.root.eval(ci) }

type queryNode interface {
	eval(ci *ContainerInstance) bool
}

type orNode []queryNode
type andNode []queryNode
type notNode struct{ inner queryNode }
type compareNode struct {
	subject, op string
	values      []string
	pattern     *regexp.Regexp
}

func (n orNode) eval(ci *ContainerInstance) bool {
	return slices.ContainsFunc(n, func(q queryNode) bool { return q.eval(ci) })
}

func (n andNode) eval(ci *ContainerInstance) bool {
	return !slices.ContainsFunc(n, func(q queryNode) bool { return !q.eval(ci) })
}

func (n notNode) eval(ci *ContainerInstance) bool { return !n.inner.eval(ci) }

func (n compareNode) eval(ci *ContainerInstance) bool {
	value, present := subjectValue(ci, n.subject)
	switch n.op {
	case "exists":
		return present
	case "not exists":
		return !present
	}
	if !present {
		return n.op == "!=" || n.op == "not in" || n.op == "!~"
	}
	switch n.op {
	case "==":
		return value == n.values[0]
	case "!=":
		return value != n.values[0]
	case "in":
		return slices.Contains(n.values, value)
	case "not in":
		return !slices.Contains(n.values, value)
	case "=~":
		return n.pattern.MatchString(value)
	case "!~":
		return !n.pattern.MatchString(value)
	}
	a, errA := strconv.ParseFloat(value, 64)
	b, errB := strconv.ParseFloat(n.values[0], 64)
	if errA != nil || errB != nil {
		c := strings.Compare(value, n.values[0])
		a, b = float64(c), 0
	}
	switch n.op {
	case ">":
		return a > b
	case ">=":
		return a >= b
	case "<":
		return a < b
	default: // "<="
		return a <= b
	}
}

// subjectValue is what a subject names on an instance, and whether it has
// it at all (a capability is present with the value "").
func subjectValue(ci *ContainerInstance, subject string) (string, bool) {
	switch subject {
	case "ec2InstanceId":
		return ci.Ec2InstanceId, ci.Ec2InstanceId != ""
	case "agentConnected":
		return strconv.FormatBool(ci.AgentConnected), true
	case "runningTasksCount":
		return strconv.Itoa(int(ci.RunningTasksCount)), true
	}
	name := strings.TrimPrefix(subject, "attribute:")
	for _, a := range ci.Attributes {
		if a.Name == name {
			return ptrValue(a.Value), true
		}
	}
	return "", false
}

func tokenizeQuery(expr string) []string {
	var tokens []string
	var cur strings.Builder
	flush := func() {
		if cur.Len() > 0 {
			tokens = append(tokens, cur.String())
			cur.Reset()
		}
	}
	for _, r := range expr {
		switch {
		case r == ' ' || r == '\t' || r == '\n':
			flush()
		case r == '(' || r == ')' || r == '[' || r == ']' || r == ',':
			flush()
			tokens = append(tokens, string(r))
		default:
			cur.WriteRune(r)
		}
	}
	flush()
	// Operators written without spaces ("attribute:a==b") are split too.
	var out []string
	for _, t := range tokens {
		split := false
		for _, op := range []string{"==", "!=", ">=", "<=", "=~", "!~"} {
			if i := strings.Index(t, op); i > 0 && i+len(op) < len(t) {
				out = append(out, t[:i], op, t[i+len(op):])
				split = true
				break
			}
		}
		if !split {
			out = append(out, t)
		}
	}
	return out
}

type queryParser struct {
	tokens []string
	pos    int
}

func (p *queryParser) peek() string {
	if p.pos < len(p.tokens) {
		return p.tokens[p.pos]
	}
	return ""
}

func (p *queryParser) next() string {
	t := p.peek()
	p.pos++
	return t
}

func (p *queryParser) or() (queryNode, error) {
	var terms orNode
	for {
		term, err := p.and()
		if err != nil {
			return nil, err
		}
		terms = append(terms, term)
		if t := strings.ToLower(p.peek()); t != "or" && t != "||" {
			break
		}
		p.next()
	}
	if len(terms) == 1 {
		return terms[0], nil
	}
	return terms, nil
}

func (p *queryParser) and() (queryNode, error) {
	var factors andNode
	for {
		f, err := p.factor()
		if err != nil {
			return nil, err
		}
		factors = append(factors, f)
		if t := strings.ToLower(p.peek()); t != "and" && t != "&&" {
			break
		}
		p.next()
	}
	if len(factors) == 1 {
		return factors[0], nil
	}
	return factors, nil
}

func (p *queryParser) factor() (queryNode, error) {
	switch t := p.next(); {
	case t == "":
		return nil, fmt.Errorf("unexpected end")
	case t == "(":
		inner, err := p.or()
		if err != nil {
			return nil, err
		}
		if p.next() != ")" {
			return nil, fmt.Errorf("missing )")
		}
		return inner, nil
	case strings.EqualFold(t, "not") || t == "!":
		inner, err := p.factor()
		if err != nil {
			return nil, err
		}
		return notNode{inner}, nil
	case strings.HasPrefix(t, "attribute:") && len(t) > len("attribute:"),
		t == "ec2InstanceId", t == "agentConnected", t == "runningTasksCount":
		return p.comparison(t)
	case strings.HasPrefix(t, "task:"):
		return nil, fmt.Errorf("expressions about tasks (%s) are not supported by the local cloud", t)
	default:
		return nil, fmt.Errorf("unknown subject %q", t)
	}
}

func (p *queryParser) comparison(subject string) (queryNode, error) {
	op := strings.ToLower(p.next())
	if op == "not" {
		op += " " + strings.ToLower(p.next())
	}
	n := compareNode{subject: subject, op: op}
	switch op {
	case "exists", "not exists":
		return n, nil
	case "in", "not in":
		if p.next() != "[" {
			return nil, fmt.Errorf("%s needs a [list]", op)
		}
		for {
			v := p.next()
			if v == "" || v == "]" || v == "," {
				return nil, fmt.Errorf("bad list")
			}
			n.values = append(n.values, v)
			switch p.next() {
			case ",":
				continue
			case "]":
				return n, nil
			default:
				return nil, fmt.Errorf("bad list")
			}
		}
	case "==", "!=", ">", ">=", "<", "<=", "=~", "!~":
		v := p.next()
		if v == "" || v == ")" || v == "(" {
			return nil, fmt.Errorf("%s needs a value", op)
		}
		n.values = []string{v}
		if op == "=~" || op == "!~" {
			re, err := regexp.Compile("^(?:" + v + ")$")
			if err != nil {
				return nil, fmt.Errorf("bad pattern %q", v)
			}
			n.pattern = re
		}
		return n, nil
	}
	return nil, fmt.Errorf("unknown operator %q", op)
}
