package elbv2

import "github.com/berthdev/berth/internal/localcloud/protocol"

// The error codes ELBv2 sends (awsQueryError codes of the 2015-12-01 model);
// all are client errors with HTTP 400.
const (
	codeValidation                  = "ValidationError"
	codeLoadBalancerNotFound        = "LoadBalancerNotFound"
	codeTargetGroupNotFound         = "TargetGroupNotFound"
	codeListenerNotFound            = "ListenerNotFound"
	codeRuleNotFound                = "RuleNotFound"
	codeDuplicateLoadBalancerName   = "DuplicateLoadBalancerName"
	codeDuplicateTargetGroupName    = "DuplicateTargetGroupName"
	codeDuplicateListener           = "DuplicateListener"
	codeDuplicateTagKeys            = "DuplicateTagKeys"
	codeTooManyTags                 = "TooManyTags"
	codeResourceInUse               = "ResourceInUse"
	codeInvalidConfigurationRequest = "InvalidConfigurationRequest"
	codeInvalidSubnet               = "InvalidSubnet"
	codeInvalidTarget               = "InvalidTarget"
	codeInvalidAction               = "InvalidLoadBalancerAction"
	codePriorityInUse               = "PriorityInUse"
	codeOperationNotPermitted       = "OperationNotPermitted"
	codeUnsupportedProtocol         = "UnsupportedProtocol"
	codeSSLPolicyNotFound           = "SSLPolicyNotFound"
	codeCertificateNotFound         = "CertificateNotFound"
	codeTooManyCertificates         = "TooManyCertificates"
)

func validationError(format string, args ...any) error {
	return protocol.Errorf(codeValidation, format, args...)
}

func loadBalancerNotFound() error {
	return protocol.Errorf(codeLoadBalancerNotFound, "One or more load balancers not found")
}

func targetGroupNotFound() error {
	return protocol.Errorf(codeTargetGroupNotFound, "One or more target groups not found")
}

func listenerNotFound() error {
	return protocol.Errorf(codeListenerNotFound, "One or more listeners not found")
}

func ruleNotFound() error {
	return protocol.Errorf(codeRuleNotFound, "One or more rules not found")
}

func invalidConfiguration(format string, args ...any) error {
	return protocol.Errorf(codeInvalidConfigurationRequest, format, args...)
}

func invalidAction(format string, args ...any) error {
	return protocol.Errorf(codeInvalidAction, format, args...)
}

func operationNotPermitted(format string, args ...any) error {
	return protocol.Errorf(codeOperationNotPermitted, format, args...)
}

func resourceInUse(format string, args ...any) error {
	return protocol.Errorf(codeResourceInUse, format, args...)
}

func invalidTarget(format string, args ...any) error {
	return protocol.Errorf(codeInvalidTarget, format, args...)
}
