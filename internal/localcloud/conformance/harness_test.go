// Package conformance checks berth local against a second implementation
// (moto_server) and against the call sequences Terraform's AWS provider
// makes. Both tests drive the real Go SDK v2 clients, because the Go SDK is
// what berth itself and Terraform's provider use: a difference seen through
// it is a difference those clients see. The SDK's client-side check of
// required members is switched off so that the server's own answer to a
// request missing one is what gets compared.
package conformance

import (
	"context"
	"errors"
	"os/exec"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"

	"github.com/berthdev/berth/internal/deploytest"
)

// clients is one endpoint's set of SDK clients plus the ids the sequence
// has created there (each side has its own ids).
type clients struct {
	ec2  *ec2.Client
	elb  *elbv2.Client
	asg  *autoscaling.Client
	ecs  *ecs.Client
	iam  *iam.Client
	sts  *sts.Client
	ssm  *ssm.Client
	logs *cloudwatchlogs.Client
	ids  map[string]string
}

// noClientValidation removes the SDK's check of required members, so the
// request reaches the server.
func noClientValidation(stack *middleware.Stack) error {
	_, err := stack.Initialize.Remove("OperationInputValidation")
	if err != nil && strings.Contains(err.Error(), "not found") {
		return nil
	}
	return err
}

func newClients(cfg aws.Config) *clients {
	cfg = cfg.Copy()
	cfg.APIOptions = append(cfg.APIOptions, noClientValidation)
	cfg.RetryMaxAttempts = 1
	return &clients{
		ec2:  ec2.NewFromConfig(cfg),
		elb:  elbv2.NewFromConfig(cfg),
		asg:  autoscaling.NewFromConfig(cfg),
		ecs:  ecs.NewFromConfig(cfg),
		iam:  iam.NewFromConfig(cfg),
		sts:  sts.NewFromConfig(cfg),
		ssm:  ssm.NewFromConfig(cfg),
		logs: cloudwatchlogs.NewFromConfig(cfg),
		ids:  map[string]string{},
	}
}

// id is a saved id as the SDK wants it; a missing one is the empty string,
// so a step after a failed create still sends a request (and both sides'
// answers to it are compared).
func (c *clients) id(key string) *string { return aws.String(c.ids[key]) }

// requireMoto starts moto_server the way the deployer tests do, but fails
// rather than skips when it is missing: this suite is the only second
// opinion on berth's wire behaviour.
func requireMoto(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath("moto_server"); err != nil {
		t.Fatalf("moto_server is not on PATH (install moto[server] 5; make test does): %v", err)
	}
	return deploytest.Moto(t)
}

// outcome is what one call showed a client.
type outcome struct {
	Err   string   // "" on success, else the error code
	Shape []string // member paths present in a successful response
}

func observe(out any, err error) outcome {
	if err != nil {
		var api smithy.APIError
		if errors.As(err, &api) {
			return outcome{Err: api.ErrorCode()}
		}
		return outcome{Err: "client: " + err.Error()}
	}
	paths := map[string]bool{}
	walk(reflect.ValueOf(out), "", paths)
	shape := make([]string, 0, len(paths))
	for p := range paths {
		shape = append(shape, p)
	}
	sort.Strings(shape)
	return outcome{Shape: shape}
}

// walk collects the member paths present in v. Values are not compared:
// ids, ARNs, timestamps and defaults legitimately differ between two
// implementations; which members a client finds is what code depends on.
// An empty list or map counts as absent, since the wire protocols do not
// tell an empty list from a missing one reliably (EC2's XML omits both).
func walk(v reflect.Value, path string, paths map[string]bool) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return
		}
		walk(v.Elem(), path, paths)
	case reflect.Struct:
		t := v.Type()
		if t.PkgPath() == "time" {
			paths[path] = true
			return
		}
		// A structure with nothing in it (XML's <RoleLastUsed/>) tells a
		// client nothing, so it counts as absent.
		before := len(paths)
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			if !f.IsExported() || f.Name == "ResultMetadata" {
				continue
			}
			walk(v.Field(i), join(path, f.Name), paths)
		}
		if path != "" && (len(paths) > before) {
			paths[path] = true
		}
	case reflect.Slice:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			if v.Len() > 0 {
				paths[path] = true
			}
			return
		}
		if v.Len() == 0 {
			return
		}
		paths[path] = true
		for i := 0; i < v.Len(); i++ {
			walk(v.Index(i), path+"[]", paths)
		}
	case reflect.Map:
		if v.Len() == 0 {
			return
		}
		paths[path] = true
		for _, k := range v.MapKeys() {
			walk(v.MapIndex(k), path+"{}", paths)
		}
	case reflect.Invalid:
	default:
		// Scalars that are not pointers (int32, bool, enums as strings):
		// an enum or string present is present when non-empty.
		if v.Kind() == reflect.String && v.Len() == 0 {
			return
		}
		if path != "" {
			paths[path] = true
		}
	}
}

func join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

// shapeDiff is what one side has that the other lacks.
func shapeDiff(a, b []string) (onlyA, onlyB []string) {
	in := func(s []string) map[string]bool {
		m := map[string]bool{}
		for _, x := range s {
			m[x] = true
		}
		return m
	}
	ma, mb := in(a), in(b)
	for _, x := range a {
		if !mb[x] {
			onlyA = append(onlyA, x)
		}
	}
	for _, x := range b {
		if !ma[x] {
			onlyB = append(onlyB, x)
		}
	}
	return onlyA, onlyB
}

func ctxFor(t *testing.T) context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	return ctx
}
