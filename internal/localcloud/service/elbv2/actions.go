package elbv2

import (
	"regexp"
	"slices"
	"strings"

	"github.com/berthdev/berth/internal/localcloud/service/elbv2/wire"
	"github.com/berthdev/berth/internal/localcloud/store"
)

var fixedResponseStatus = regexp.MustCompile(`^(2|4|5)\d\d$`)

var fixedResponseContentTypes = []string{"text/plain", "text/css", "text/html", "application/javascript", "application/json"}

// normalizeActions validates actions and fills what AWS reports back: the
// order, and for forward actions both TargetGroupArn (one group) and
// ForwardConfig. Target groups must exist and may serve no other load
// balancer than loadBalancerARN.
func normalizeActions(tx *store.Tx, actions []Action, loadBalancerARN string) ([]Action, error) {
	if len(actions) == 0 {
		return nil, validationError("At least one action must be specified")
	}
	users, err := targetGroupUsers(tx)
	if err != nil {
		return nil, err
	}
	out := make([]Action, len(actions))
	terminal := 0
	for i, a := range actions {
		if a.Order == nil {
			a.Order = ptr(i + 1)
		} else if *a.Order < 1 || *a.Order > 50000 {
			return nil, validationError("Action order '%d' must be between 1 and 50000", *a.Order)
		}
		switch a.Type {
		case "forward":
			terminal++
			if err := normalizeForward(tx, &a, loadBalancerARN, users); err != nil {
				return nil, err
			}
		case "redirect":
			terminal++
			rc := a.RedirectConfig
			if rc == nil {
				return nil, validationError("A redirect action must have a redirect configuration")
			}
			if rc.StatusCode != "HTTP_301" && rc.StatusCode != "HTTP_302" {
				return nil, validationError("Redirect status code '%s' must be HTTP_301 or HTTP_302", rc.StatusCode)
			}
			if rc.Protocol != "" && rc.Protocol != "HTTP" && rc.Protocol != "HTTPS" && rc.Protocol != "#{protocol}" {
				return nil, validationError("Redirect protocol '%s' must be HTTP, HTTPS or #{protocol}", rc.Protocol)
			}
			// AWS reports the components a redirect keeps as placeholders.
			copied := *rc
			if copied.Protocol == "" {
				copied.Protocol = "#{protocol}"
			}
			if copied.Port == "" {
				copied.Port = "#{port}"
			}
			if copied.Host == "" {
				copied.Host = "#{host}"
			}
			if copied.Path == "" {
				copied.Path = "/#{path}"
			}
			if copied.Query == "" {
				copied.Query = "#{query}"
			}
			a.RedirectConfig = &copied
			a.TargetGroupArn, a.ForwardConfig, a.FixedResponseConfig = "", nil, nil
		case "fixed-response":
			terminal++
			fc := a.FixedResponseConfig
			if fc == nil {
				return nil, validationError("A fixed-response action must have a fixed-response configuration")
			}
			if !fixedResponseStatus.MatchString(fc.StatusCode) {
				return nil, validationError("Fixed response status code '%s' must match ^(2|4|5)\\d\\d$", fc.StatusCode)
			}
			if fc.ContentType != "" && !slices.Contains(fixedResponseContentTypes, fc.ContentType) {
				return nil, validationError("Fixed response content type '%s' must be one of %s", fc.ContentType, strings.Join(fixedResponseContentTypes, ", "))
			}
			if len(fc.MessageBody) > 1024 {
				return nil, validationError("Fixed response message body must be at most 1024 characters")
			}
			a.TargetGroupArn, a.ForwardConfig, a.RedirectConfig = "", nil, nil
		case "authenticate-oidc":
			if a.AuthenticateOidcConfig == nil {
				return nil, validationError("An authenticate-oidc action must have an OIDC configuration")
			}
		case "authenticate-cognito":
			if a.AuthenticateCognitoConfig == nil {
				return nil, validationError("An authenticate-cognito action must have a Cognito configuration")
			}
		case "":
			return nil, validationError("1 validation error detected: Value null at 'type' failed to satisfy constraint: Member must not be null")
		default:
			return nil, validationError("Action type '%s' must be one of forward, redirect, fixed-response, authenticate-oidc, authenticate-cognito", a.Type)
		}
		out[i] = a
	}
	if terminal != 1 {
		return nil, invalidAction("Exactly one of forward, redirect or fixed-response must be specified as the last action")
	}
	slices.SortStableFunc(out, func(x, y Action) int { return *x.Order - *y.Order })
	for i := 1; i < len(out); i++ {
		if *out[i].Order == *out[i-1].Order {
			return nil, invalidAction("Action order '%d' is used more than once", *out[i].Order)
		}
	}
	last := out[len(out)-1].Type
	if last != "forward" && last != "redirect" && last != "fixed-response" {
		return nil, invalidAction("The last action must be forward, redirect or fixed-response")
	}
	return out, nil
}

func normalizeForward(tx *store.Tx, a *Action, loadBalancerARN string, users map[string][]string) error {
	var tuples []TargetGroupTuple
	switch {
	case a.ForwardConfig != nil && len(a.ForwardConfig.TargetGroups) > 0:
		if a.TargetGroupArn != "" && (len(a.ForwardConfig.TargetGroups) != 1 || a.ForwardConfig.TargetGroups[0].TargetGroupArn != a.TargetGroupArn) {
			return invalidAction("You cannot specify both a target group ARN and a forward config with different target groups")
		}
		tuples = append(tuples, a.ForwardConfig.TargetGroups...)
	case a.TargetGroupArn != "":
		tuples = []TargetGroupTuple{{TargetGroupArn: a.TargetGroupArn}}
	default:
		return validationError("A forward action must specify a target group ARN or a forward config")
	}
	if len(tuples) > 5 {
		return invalidAction("A forward action can have at most 5 target groups")
	}
	for i := range tuples {
		t := &tuples[i]
		if t.Weight == nil {
			t.Weight = ptr(1)
		}
		if *t.Weight < 0 || *t.Weight > 999 {
			return validationError("Target group weight '%d' must be between 0 and 999", *t.Weight)
		}
		for _, other := range tuples[:i] {
			if other.TargetGroupArn == t.TargetGroupArn {
				return invalidAction("Target group '%s' is specified more than once", t.TargetGroupArn)
			}
		}
		if _, err := getFound[TargetGroup](tx, tableTargetGroups, t.TargetGroupArn, targetGroupNotFound); err != nil {
			return err
		}
		for _, user := range users[t.TargetGroupArn] {
			if user != loadBalancerARN {
				return invalidConfiguration("The target group '%s' is currently associated with another load balancer. A target group can be associated with only one load balancer", t.TargetGroupArn)
			}
		}
	}
	stickiness := &StickinessConfig{Enabled: ptr(false)}
	if a.ForwardConfig != nil && a.ForwardConfig.TargetGroupStickinessConfig != nil {
		s := *a.ForwardConfig.TargetGroupStickinessConfig
		if s.Enabled == nil {
			s.Enabled = ptr(false)
		}
		if s.DurationSeconds != nil && (*s.DurationSeconds < 1 || *s.DurationSeconds > 604800) {
			return validationError("Target group stickiness duration must be between 1 and 604800 seconds")
		}
		if *s.Enabled && s.DurationSeconds == nil {
			return validationError("A stickiness duration must be specified when target group stickiness is enabled")
		}
		stickiness = &s
	}
	a.ForwardConfig = &ForwardConfig{TargetGroups: tuples, TargetGroupStickinessConfig: stickiness}
	a.TargetGroupArn = ""
	if len(tuples) == 1 {
		a.TargetGroupArn = tuples[0].TargetGroupArn
	}
	a.RedirectConfig, a.FixedResponseConfig = nil, nil
	return nil
}

var conditionFields = []string{"host-header", "path-pattern", "http-header", "http-request-method", "query-string", "source-ip"}

// normalizeConditions validates rule conditions and reports each in both
// forms (Field+Values and the per-field config) as AWS does.
func normalizeConditions(conditions []Condition) ([]Condition, error) {
	out := make([]Condition, 0, len(conditions))
	total := 0
	for _, c := range conditions {
		if !slices.Contains(conditionFields, c.Field) {
			return nil, validationError("Condition field '%s' must be one of [%s]", c.Field, strings.Join(conditionFields, ", "))
		}
		var n int
		switch c.Field {
		case "host-header":
			if c.HostHeaderConfig == nil || len(c.HostHeaderConfig.Values) == 0 {
				c.HostHeaderConfig = &wire.HostHeaderConditionConfig{Values: c.Values}
			}
			n, c.Values = len(c.HostHeaderConfig.Values), c.HostHeaderConfig.Values
		case "path-pattern":
			if c.PathPatternConfig == nil || len(c.PathPatternConfig.Values) == 0 {
				c.PathPatternConfig = &wire.PathPatternConditionConfig{Values: c.Values}
			}
			n, c.Values = len(c.PathPatternConfig.Values), c.PathPatternConfig.Values
		case "http-request-method":
			if c.HttpRequestMethodConfig == nil || len(c.HttpRequestMethodConfig.Values) == 0 {
				c.HttpRequestMethodConfig = &wire.HttpRequestMethodConditionConfig{Values: c.Values}
			}
			n, c.Values = len(c.HttpRequestMethodConfig.Values), nil
		case "source-ip":
			if c.SourceIpConfig == nil || len(c.SourceIpConfig.Values) == 0 {
				c.SourceIpConfig = &wire.SourceIpConditionConfig{Values: c.Values}
			}
			n, c.Values = len(c.SourceIpConfig.Values), nil
		case "http-header":
			if c.HttpHeaderConfig == nil || c.HttpHeaderConfig.HttpHeaderName == "" {
				return nil, validationError("An http-header condition must have an HttpHeaderConfig with a header name")
			}
			n = len(c.HttpHeaderConfig.Values)
			c.Values = nil
		case "query-string":
			if c.QueryStringConfig == nil {
				return nil, validationError("A query-string condition must have a QueryStringConfig")
			}
			n = len(c.QueryStringConfig.Values)
			c.Values = nil
		}
		if n == 0 {
			return nil, validationError("A condition of field '%s' must have at least one value", c.Field)
		}
		total += n
		out = append(out, c)
	}
	if total > 5 {
		return nil, validationError("A rule can only have '5' condition values")
	}
	return out, nil
}
