package elbv2

import (
	"time"

	"github.com/berthdev/berth/internal/localcloud/service/elbv2/wire"
)

// LoadBalancer is an Application Load Balancer as the store keeps it.
type LoadBalancer struct {
	ARN                   string
	Name                  string
	DNSName               string
	CanonicalHostedZoneID string
	Scheme                string // internet-facing | internal
	Type                  string // application
	IPAddressType         string
	VpcID                 string
	State                 string // active
	AvailabilityZones     []ZoneMapping
	SecurityGroups        []string
	CreatedTime           time.Time
	Attributes            map[string]string
	Tags                  []Tag
}

// ZoneMapping is one subnet the load balancer is enabled in.
type ZoneMapping struct {
	ZoneName string
	SubnetID string
}

// TargetGroup is a target group with its registrations.
type TargetGroup struct {
	ARN             string
	Name            string
	Protocol        string
	ProtocolVersion string
	Port            int
	VpcID           string
	TargetType      string // instance | ip
	IPAddressType   string
	HealthCheck     HealthCheckConfig
	CreatedTime     time.Time
	Attributes      map[string]string
	Tags            []Tag
	Targets         []Registration
}

// HealthCheckConfig is a target group's health check as the API sets it.
type HealthCheckConfig struct {
	Enabled            bool
	Protocol           string
	Port               string // "traffic-port" or a number
	Path               string
	IntervalSeconds    int
	TimeoutSeconds     int
	HealthyThreshold   int
	UnhealthyThreshold int
	Matcher            string // HttpCode, e.g. "200" or "200-299"
}

// Registration is one target registered with a group, and the health the
// data plane last reported for it.
type Registration struct {
	ID               string
	Port             int
	AvailabilityZone string `json:",omitempty"`
	// State, Reason and Description are the last reported health; empty
	// until the data plane reports.
	State       string `json:",omitempty"`
	Reason      string `json:",omitempty"`
	Description string `json:",omitempty"`
	// DrainingSince is set by deregistration; the target is gone once the
	// group's deregistration delay has passed since then.
	DrainingSince *time.Time `json:",omitempty"`
}

// Listener is one port of a load balancer.
type Listener struct {
	ARN             string
	LoadBalancerARN string
	Port            int
	Protocol        string
	SslPolicy       string        `json:",omitempty"`
	Certificates    []Certificate `json:",omitempty"`
	AlpnPolicy      []string      `json:",omitempty"`
	DefaultActions  []Action
	Tags            []Tag
	// DefaultRuleARN names the listener's default rule, which lives in the
	// listener record (it has no conditions and dies with the listener).
	DefaultRuleARN  string
	DefaultRuleTags []Tag `json:",omitempty"`
}

// Rule is a listener rule other than the default one.
type Rule struct {
	ARN         string
	ListenerARN string
	Priority    int
	Conditions  []Condition
	Actions     []Action
	Tags        []Tag
	// IsDefault marks the listener's default rule, which Describe calls
	// build from the listener.
	IsDefault bool `json:",omitempty"`
}

// The following shapes are the API's own: they are decoded from requests,
// stored, and encoded in responses unchanged, so they are the generated
// wire shapes themselves (the store's JSON names their fields as the wire
// does; encoding/json matches names without regard to case, so records
// written when these were hand-written, with ClientID or HTTPHeaderConfig,
// still read).
type (
	Tag                       = wire.Tag
	Certificate               = wire.Certificate
	Action                    = wire.Action
	ForwardConfig             = wire.ForwardActionConfig
	TargetGroupTuple          = wire.TargetGroupTuple
	StickinessConfig          = wire.TargetGroupStickinessConfig
	RedirectConfig            = wire.RedirectActionConfig
	FixedResponseConfig       = wire.FixedResponseActionConfig
	AuthenticateOidcConfig    = wire.AuthenticateOidcActionConfig
	AuthenticateCognitoConfig = wire.AuthenticateCognitoActionConfig
	Condition                 = wire.RuleCondition
	HTTPHeaderConfig          = wire.HttpHeaderConditionConfig
	QueryStringConfig         = wire.QueryStringConditionConfig
	QueryStringPair           = wire.QueryStringKeyValuePair
)
