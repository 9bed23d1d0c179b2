package localcloud

import (
	"fmt"
	"net/http"

	"github.com/berthdev/berth/internal/localcloud/model"
	"github.com/berthdev/berth/internal/localcloud/protocol"
	"github.com/berthdev/berth/internal/localcloud/protocol/cbor"
)

// What the router does with AWS's models: it knows every operation a
// service has, implemented or not, and checks each request against the
// operation's input shape before a handler sees it.

// attachModel gives a service its model, found the way requests find the
// service: by signing name and target prefix or API version.
func attachModel(s *protocol.Service) {
	if s.Model == nil {
		s.Model = model.Lookup(s.SigningName, s.TargetPrefix, s.Version)
	}
}

// unimplemented answers an operation the service does not serve: AWS has
// it (the model says so), so the answer is a clear NotImplemented naming
// it, sent as 501 so that no SDK retries it. An operation the model does
// not know gets what AWS answers for an unknown action.
func unimplemented(s *protocol.Service, opName string) *protocol.Error {
	if s.Model == nil || s.Model.Operation(opName) == nil {
		return s.Codec.UnknownOperation(opName)
	}
	msg := s.NotServed
	if msg == "" {
		msg = fmt.Sprintf("%s is an operation of %s that berth local does not implement yet", opName, serviceTitle(s))
	}
	return &protocol.Error{Code: "NotImplemented", Message: msg, Status: http.StatusNotImplemented}
}

func serviceTitle(s *protocol.Service) string {
	if s.Model != nil && s.Model.Metadata.ServiceID != "" {
		return s.Model.Metadata.ServiceID
	}
	return s.SigningName
}

// validateRequest checks a request's members against the operation's
// input shape (required, enum, length, range, pattern) and returns the
// error AWS's front end sends for what it breaks, in the service's
// protocol, or nil. Malformed bodies are left to the codec, which reports
// them as the protocol's serialization error.
func validateRequest(s *protocol.Service, opName string, r *http.Request, body []byte) *protocol.Error {
	if s.Model == nil {
		return nil
	}
	op := s.Model.Operation(opName)
	if op == nil || op.Input == "" {
		return nil
	}
	proto := s.Codec.Protocol()
	if !s.Model.NeedsValidation(opName, proto == "ec2") {
		return nil // nothing in this operation's input can fail: no second read of the body
	}
	var violations []model.Violation
	switch proto {
	case "json":
		var err error
		if violations, err = s.Model.ValidateJSON(opName, body); err != nil {
			return nil
		}
	case "query", "ec2":
		violations = s.Model.ValidateForm(opName, r.PostForm, proto == "ec2")
	case "smithy-rpc-v2-cbor":
		v, err := cbor.Decode(body)
		if err != nil {
			return nil
		}
		tree, _ := v.(map[string]any)
		violations = s.Model.Validate(opName, tree, false)
	default:
		return nil
	}
	if len(violations) == 0 {
		return nil
	}
	switch proto {
	case "ec2":
		// EC2 reports one problem at a time, in its own words.
		v := violations[0]
		if v.Required() {
			return protocol.Errorf("MissingParameter", "The request must contain the parameter %s", v.WireName)
		}
		return protocol.Errorf("InvalidParameterValue", "Value (%s) for parameter %s is invalid. %s", v.Value, v.WireName, v.Constraint)
	case "query":
		return protocol.Errorf("ValidationError", "%s", model.Message(violations))
	case "smithy-rpc-v2-cbor":
		// A query-compatible service (CloudWatch) sends its query code.
		return protocol.Errorf("ValidationError", "%s", model.Message(violations))
	default:
		code := s.ValidationCode
		if code == "" {
			code = "ValidationException"
		}
		return protocol.Errorf(code, "%s", model.Message(violations))
	}
}
