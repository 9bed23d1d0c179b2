package elbv2

import "time"

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
// stored, and encoded in responses unchanged, so they carry the exact AWS
// member names in all three tag sets.

// Tag is a key and value on a resource.
type Tag struct {
	Key   string `query:"Key" xml:"Key"`
	Value string `query:"Value" xml:"Value"`
}

// Certificate is a listener's server certificate.
type Certificate struct {
	CertificateArn string `query:"CertificateArn" xml:"CertificateArn"`
	IsDefault      *bool  `query:"IsDefault" xml:"IsDefault,omitempty"`
}

// Action is a listener or rule action.
type Action struct {
	Type                      string                     `query:"Type" xml:"Type"`
	TargetGroupArn            string                     `query:"TargetGroupArn" xml:"TargetGroupArn,omitempty"`
	Order                     *int                       `query:"Order" xml:"Order,omitempty"`
	ForwardConfig             *ForwardConfig             `query:"ForwardConfig" xml:"ForwardConfig,omitempty"`
	RedirectConfig            *RedirectConfig            `query:"RedirectConfig" xml:"RedirectConfig,omitempty"`
	FixedResponseConfig       *FixedResponseConfig       `query:"FixedResponseConfig" xml:"FixedResponseConfig,omitempty"`
	AuthenticateOidcConfig    *AuthenticateOidcConfig    `query:"AuthenticateOidcConfig" xml:"AuthenticateOidcConfig,omitempty"`
	AuthenticateCognitoConfig *AuthenticateCognitoConfig `query:"AuthenticateCognitoConfig" xml:"AuthenticateCognitoConfig,omitempty"`
}

// ForwardConfig forwards to one or more weighted target groups.
type ForwardConfig struct {
	TargetGroups                members[TargetGroupTuple] `query:"TargetGroups" xml:"TargetGroups,omitempty"`
	TargetGroupStickinessConfig *StickinessConfig         `query:"TargetGroupStickinessConfig" xml:"TargetGroupStickinessConfig,omitempty"`
}

// TargetGroupTuple is one target group of a forward action.
type TargetGroupTuple struct {
	TargetGroupArn string `query:"TargetGroupArn" xml:"TargetGroupArn"`
	Weight         *int   `query:"Weight" xml:"Weight,omitempty"`
}

// StickinessConfig is target group stickiness of a forward action.
type StickinessConfig struct {
	Enabled         *bool `query:"Enabled" xml:"Enabled,omitempty"`
	DurationSeconds *int  `query:"DurationSeconds" xml:"DurationSeconds,omitempty"`
}

// RedirectConfig answers with a redirect.
type RedirectConfig struct {
	Protocol   string `query:"Protocol" xml:"Protocol,omitempty"`
	Port       string `query:"Port" xml:"Port,omitempty"`
	Host       string `query:"Host" xml:"Host,omitempty"`
	Path       string `query:"Path" xml:"Path,omitempty"`
	Query      string `query:"Query" xml:"Query,omitempty"`
	StatusCode string `query:"StatusCode" xml:"StatusCode"`
}

// FixedResponseConfig answers without a target.
type FixedResponseConfig struct {
	MessageBody string `query:"MessageBody" xml:"MessageBody,omitempty"`
	StatusCode  string `query:"StatusCode" xml:"StatusCode"`
	ContentType string `query:"ContentType" xml:"ContentType,omitempty"`
}

// AuthenticateOidcConfig is kept and reported; the local cloud has no
// identity provider, so the data plane skips the action.
type AuthenticateOidcConfig struct {
	Issuer                           string            `query:"Issuer" xml:"Issuer"`
	AuthorizationEndpoint            string            `query:"AuthorizationEndpoint" xml:"AuthorizationEndpoint"`
	TokenEndpoint                    string            `query:"TokenEndpoint" xml:"TokenEndpoint"`
	UserInfoEndpoint                 string            `query:"UserInfoEndpoint" xml:"UserInfoEndpoint"`
	ClientID                         string            `query:"ClientId" xml:"ClientId"`
	ClientSecret                     string            `query:"ClientSecret" xml:"-"`
	SessionCookieName                string            `query:"SessionCookieName" xml:"SessionCookieName,omitempty"`
	Scope                            string            `query:"Scope" xml:"Scope,omitempty"`
	SessionTimeout                   *int64            `query:"SessionTimeout" xml:"SessionTimeout,omitempty"`
	OnUnauthenticatedRequest         string            `query:"OnUnauthenticatedRequest" xml:"OnUnauthenticatedRequest,omitempty"`
	AuthenticationRequestExtraParams map[string]string `query:"AuthenticationRequestExtraParams" xml:"-"`
}

// AuthenticateCognitoConfig is kept and reported like the OIDC one.
type AuthenticateCognitoConfig struct {
	UserPoolArn                      string            `query:"UserPoolArn" xml:"UserPoolArn"`
	UserPoolClientID                 string            `query:"UserPoolClientId" xml:"UserPoolClientId"`
	UserPoolDomain                   string            `query:"UserPoolDomain" xml:"UserPoolDomain"`
	SessionCookieName                string            `query:"SessionCookieName" xml:"SessionCookieName,omitempty"`
	Scope                            string            `query:"Scope" xml:"Scope,omitempty"`
	SessionTimeout                   *int64            `query:"SessionTimeout" xml:"SessionTimeout,omitempty"`
	OnUnauthenticatedRequest         string            `query:"OnUnauthenticatedRequest" xml:"OnUnauthenticatedRequest,omitempty"`
	AuthenticationRequestExtraParams map[string]string `query:"AuthenticationRequestExtraParams" xml:"-"`
}

// Condition is a rule condition: the legacy Field+Values form, or one of
// the per-field configs (AWS reports both once a rule is stored).
type Condition struct {
	Field                   string             `query:"Field" xml:"Field,omitempty"`
	Values                  members[string]    `query:"Values" xml:"Values,omitempty"`
	HostHeaderConfig        *ValuesConfig      `query:"HostHeaderConfig" xml:"HostHeaderConfig,omitempty"`
	PathPatternConfig       *ValuesConfig      `query:"PathPatternConfig" xml:"PathPatternConfig,omitempty"`
	HTTPHeaderConfig        *HTTPHeaderConfig  `query:"HttpHeaderConfig" xml:"HttpHeaderConfig,omitempty"`
	QueryStringConfig       *QueryStringConfig `query:"QueryStringConfig" xml:"QueryStringConfig,omitempty"`
	HTTPRequestMethodConfig *ValuesConfig      `query:"HttpRequestMethodConfig" xml:"HttpRequestMethodConfig,omitempty"`
	SourceIPConfig          *ValuesConfig      `query:"SourceIpConfig" xml:"SourceIpConfig,omitempty"`
}

// ValuesConfig is a condition config that is just a list of values.
type ValuesConfig struct {
	Values members[string] `query:"Values" xml:"Values"`
}

// HTTPHeaderConfig matches one request header.
type HTTPHeaderConfig struct {
	HTTPHeaderName string          `query:"HttpHeaderName" xml:"HttpHeaderName"`
	Values         members[string] `query:"Values" xml:"Values"`
}

// QueryStringConfig matches query parameters.
type QueryStringConfig struct {
	Values members[QueryStringPair] `query:"Values" xml:"Values"`
}

// QueryStringPair is a key (optional) and value of a query-string condition.
type QueryStringPair struct {
	Key   string `query:"Key" xml:"Key,omitempty"`
	Value string `query:"Value" xml:"Value"`
}
