// Package protocol holds what every AWS wire protocol of the local cloud
// shares: the operation table a service registers, the error type that each
// codec renders the way its protocol's clients expect, and the per-call
// context (region, account, request id) taken from the signed request.
package protocol

import (
	"context"
	"fmt"
	"net/http"
	"reflect"
	"slices"

	"github.com/berthdev/berth/internal/localcloud/model"
	"github.com/berthdev/berth/internal/localcloud/store"
)

// Error is an AWS error as a client sees it: a code the SDKs match on, a
// message, and the HTTP status that carries it.
type Error struct {
	Code    string
	Message string
	// Status is the HTTP status; zero means 400.
	Status int
	// Fault marks a server-side error (query "Receiver", 5xx).
	Fault bool
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// HTTPStatus is the status the error travels with.
func (e *Error) HTTPStatus() int {
	switch {
	case e.Status != 0:
		return e.Status
	case e.Fault:
		return http.StatusInternalServerError
	default:
		return http.StatusBadRequest
	}
}

// Errorf returns a client error (400) with a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// WithStatus returns a copy of e sent with the given HTTP status.
func (e *Error) WithStatus(status int) *Error {
	c := *e
	c.Status = status
	return &c
}

// InternalError wraps an unexpected failure so clients get a retryable 500
// instead of a dropped connection.
func InternalError(err error) *Error {
	return &Error{Code: "InternalFailure", Message: err.Error(), Fault: true}
}

// Call is what an operation may need besides its input.
type Call struct {
	Service   string // signing name, e.g. "ecs"
	Operation string // e.g. "CreateCluster"
	Region    string
	AccountID string
	RequestID string
	// AccessKeyID is the access key the request was signed with, "" for an
	// unsigned one: STS and IAM tell from it who the caller is.
	AccessKeyID string
}

type callKey struct{}

// Scope is the account and region the call acts in: every store
// transaction the call's handlers make sees that scope's state only.
func (c *Call) Scope() store.Scope { return store.Scope{Account: c.AccountID, Region: c.Region} }

// WithCall returns ctx carrying c and c's scope for the store.
func WithCall(ctx context.Context, c *Call) context.Context {
	return context.WithValue(store.WithScope(ctx, c.Scope()), callKey{}, c)
}

// CallFrom returns the API call ctx serves, or nil when it serves none (the
// local cloud's own controllers act in a store.Scope without a call).
func CallFrom(ctx context.Context) *Call {
	c, _ := ctx.Value(callKey{}).(*Call)
	return c
}

// DefaultRegion is the region of a request signed for none (unsigned
// requests); DefaultAccountID is the account the local cloud answers for
// unless told another.
const (
	DefaultRegion    = "us-east-1"
	DefaultAccountID = "000000000000"
)

// Operation is one API action: how to make its input and how to run it.
type Operation struct {
	Name     string
	NewInput func() any
	Invoke   func(ctx context.Context, input any) (any, error)
	// Shapes are the handler's input and output types.
	Shapes Shapes
}

// Shapes are an operation's request and response types.
type Shapes struct{ Input, Output reflect.Type }

// ShapeMismatches lists the operations whose handler types are not the
// generated wire shapes (model/gen) of their names, and those that have
// none: a service on generated shapes tests its table with it.
func ShapeMismatches(ops []Operation, generated map[string]Shapes) []string {
	var out []string
	for _, op := range ops {
		want, ok := generated[op.Name]
		switch {
		case !ok:
			out = append(out, fmt.Sprintf("%s has no generated shapes (add it to model/gen's wirePackages and regenerate)", op.Name))
		case op.Shapes != want:
			out = append(out, fmt.Sprintf("%s is served with %v → %v, not the generated %v → %v", op.Name, op.Shapes.Input, op.Shapes.Output, want.Input, want.Output))
		}
	}
	for name := range generated {
		if !slices.ContainsFunc(ops, func(op Operation) bool { return op.Name == name }) {
			out = append(out, fmt.Sprintf("%s has generated shapes but no handler (remove it from model/gen's wirePackages)", name))
		}
	}
	slices.Sort(out)
	return out
}

// Op builds an Operation from a typed handler. In is the request shape the
// codec decodes into; Out is the response shape it encodes.
func Op[In, Out any](name string, handler func(ctx context.Context, in *In) (*Out, error)) Operation {
	return Operation{
		Name:     name,
		Shapes:   Shapes{Input: reflect.TypeFor[In](), Output: reflect.TypeFor[Out]()},
		NewInput: func() any { return new(In) },
		Invoke: func(ctx context.Context, input any) (any, error) {
			out, err := handler(ctx, input.(*In))
			if err != nil {
				return nil, err
			}
			if out == nil {
				out = new(Out)
			}
			return out, nil
		},
	}
}

// Codec reads requests and writes responses in one wire protocol.
type Codec interface {
	// Decode fills input (a pointer from Operation.NewInput) from the request.
	Decode(r *http.Request, body []byte, input any) error
	// Encode writes a successful response for the operation.
	Encode(w http.ResponseWriter, call *Call, output any)
	// EncodeError writes err the way this protocol's clients parse errors.
	EncodeError(w http.ResponseWriter, call *Call, err *Error)
	// UnknownOperation is the error for an action the service does not have.
	UnknownOperation(name string) *Error
	// Protocol names the wire protocol as AWS's models do: "json",
	// "query", "ec2" or "smithy-rpc-v2-cbor".
	Protocol() string
}

// Service is one AWS service of the local cloud as the router sees it.
type Service struct {
	// SigningName is the SigV4 credential scope's service, e.g. "ecs".
	SigningName string
	// TargetPrefix routes awsJson requests (X-Amz-Target: Prefix.Operation).
	TargetPrefix string
	// Version routes query and EC2 requests (Action=...&Version=...).
	Version    string
	Codec      Codec
	Operations []Operation

	// Model is AWS's published model of the service; the router attaches
	// it, and validates every request against it before its handler runs.
	Model *model.Service
	// ValidationCode is the error code an awsJson service answers a
	// request that breaks the model's constraints with ("" means
	// ValidationException, what most of them send).
	ValidationCode string
	// NotServed, when set, is why none of the service's operations is
	// served here (Classic Load Balancing): every call is answered with it.
	NotServed string
}

// Lookup returns the named operation.
func (s *Service) Lookup(name string) (Operation, bool) {
	for _, op := range s.Operations {
		if op.Name == name {
			return op, true
		}
	}
	return Operation{}, false
}
