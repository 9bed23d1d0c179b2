// Package spec turns a berth.yaml into a typed, defaulted and validated Spec.
//
// Every problem in a file is reported at once, each naming the file, line,
// column and field path, so a user fixes a spec in one round instead of one
// error per run. The package has no AWS dependency: it only describes intent.
package spec

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// DefaultFileName is the spec file looked up when a directory is given.
const DefaultFileName = "berth.yaml"

// Spec is one service stack: the service, the capacity it runs on, the load
// balancer in front of it, its logs and, optionally, how the local cloud runs
// it without a container.
type Spec struct {
	// File is the path the spec was read from, as given; errors are reported
	// against it.
	File string
	// Name prefixes every AWS resource name, hence its short, DNS-safe shape.
	Name string
	// Region is empty when the AWS config chain should decide.
	Region string
	// Profile names the shared-config profile deploys to real AWS use;
	// --profile overrides it, and the local cloud ignores it.
	Profile      string
	Service      Service
	Capacity     Capacity
	Network      Network
	LoadBalancer LoadBalancer
	Logs         Logs
	// Tags are set on every resource of the stack, beside berth's own
	// (berth:stack, berth:resource), which they may not override. Nil when
	// the spec sets none.
	Tags map[string]string
	// Local is nil when the spec has no local section.
	Local *Local
}

// Service is the container and how many copies of it run.
type Service struct {
	// Image is the image reference the tasks run. With Build set, it is
	// only the name berth up gives the built image locally; deploy pushes
	// the build to the stack's ECR repository under a content-derived tag.
	Image string
	// Build is nil when the image is pulled as it is.
	Build *Build
	// Command overrides the image's CMD; nil keeps it.
	Command []string
	// Port is the container port the load balancer forwards to.
	Port   int
	Count  int
	CPU    int // CPU units (1024 = one vCPU)
	Memory int // MiB
	// Environment is nil when the spec sets none.
	Environment map[string]string
	// Secrets maps an environment variable to the ARN of an SSM parameter
	// or a Secrets Manager secret (optionally with :json-key:version-stage:
	// version-id after it), resolved by ECS when a task starts. Nil when the
	// spec sets none.
	Secrets             map[string]string
	Placement           string
	HealthCheck         HealthCheck
	DeregistrationDelay int // seconds
	// Protocol is how the load balancer talks to the tasks: "http", or
	// "https" when the app serves TLS itself (the ALB does not verify its
	// certificate, as on AWS).
	Protocol   string
	Deployment Deployment
	// Autoscaling is nil when Count is fixed. When set, Count is only the
	// number of tasks the service starts with: Application Auto Scaling owns
	// the desired count afterwards and deploys leave it alone.
	Autoscaling *Autoscaling
}

// Build is how to build the image from source with the Docker Engine.
type Build struct {
	// Context is absolute: relative paths are resolved against the spec
	// file's directory.
	Context string
	// Dockerfile is relative to Context.
	Dockerfile string
	// Args are the build arguments; nil when the spec sets none.
	Args   map[string]string
	Target string
}

// Deployment is how ECS rolls out a new task definition.
type Deployment struct {
	// CircuitBreaker fails a deployment whose tasks keep failing; Rollback
	// then returns to the last deployment that completed.
	CircuitBreaker, Rollback bool
	MinimumHealthyPercent    int
	MaximumPercent           int
	// StopTimeout is the seconds between SIGTERM and SIGKILL.
	StopTimeout int
}

// Autoscaling is target tracking of the service's desired count: one
// policy per metric given (at least one is).
type Autoscaling struct {
	Min, Max int
	// CPU and Memory are target utilisations in percent; 0 means no policy.
	CPU, Memory int
	// RequestsPerTarget is the target of ALBRequestCountPerTarget (requests
	// per task per minute); 0 means no policy.
	RequestsPerTarget int
	// ScaleInCooldown and ScaleOutCooldown are seconds.
	ScaleInCooldown, ScaleOutCooldown int
}

// HealthCheck is the load balancer's view of whether a task is serving.
type HealthCheck struct {
	Path               string
	Interval           int // seconds
	Timeout            int // seconds
	HealthyThreshold   int
	UnhealthyThreshold int
	// Matcher is an ALB success-code matcher: "200", "200,202" or "200-299".
	Matcher string
	// GracePeriod is the seconds ECS ignores failing load balancer health
	// checks of a new task.
	GracePeriod int
}

// Capacity is what the tasks run on: EC2 instances of an Auto Scaling
// group behind the cluster's capacity provider, or Fargate.
type Capacity struct {
	Provider string
	// InstanceType is the first of InstanceTypes; more than one type makes
	// the group a mixed instances group. EC2 only.
	InstanceType  string
	InstanceTypes []string
	Min, Max      int
	// SpotShare is the percentage of instances above OnDemandBase that are
	// Spot instances (EC2).
	SpotShare int
	// OnDemandBase is how many instances (EC2) or tasks (Fargate) run on
	// demand before SpotShare or the weights apply.
	OnDemandBase int
	// FargateWeight and FargateSpotWeight are the capacity provider
	// strategy's weights of FARGATE and FARGATE_SPOT (Fargate only).
	FargateWeight, FargateSpotWeight int
	// TargetCapacity is the managed scaling target: the percentage of the
	// instances' capacity that tasks should use (100 leaves no spare one).
	TargetCapacity int
	// ManagedTerminationProtection keeps managed scaling from terminating
	// instances that run tasks; berth then also protects new instances from
	// scale-in in the Auto Scaling group, which ECS requires.
	ManagedTerminationProtection bool
}

// Network is the VPC the stack runs in.
type Network struct {
	// Mode is NetworkNew (a VPC of the stack's own), NetworkExisting or
	// NetworkDefault (the region's default VPC).
	Mode string
	// CIDR is the new VPC's block, a /16: its public subnets take /24s, its private ones /20s.
	CIDR string
	// NAT is NATSingle (one gateway for both zones) or NATPerZone (one per
	// zone, so one zone's outage does not cut the other off). New only.
	NAT string
	// An existing VPC is found by VPCID or, when that is empty, by VPCTags
	// (exactly one VPC must match).
	VPCID   string
	VPCTags map[string]string
	// An existing VPC's subnets: by id, or by tags, or, with neither, all
	// of its subnets, public or private by whether their route table sends
	// 0.0.0.0/0 to an internet gateway.
	PublicSubnets, PrivateSubnets       []string
	PublicSubnetTags, PrivateSubnetTags map[string]string
}

// LoadBalancer is the Application Load Balancer's public face.
type LoadBalancer struct {
	// Public selects an internet-facing rather than an internal load balancer.
	Public bool
	// Port is the HTTP listener's: it serves, or redirects to HTTPS.
	Port int
	// AllowedCIDRs are the client addresses the listeners accept; nil means
	// anywhere for a public load balancer and the VPC for an internal one.
	AllowedCIDRs []string
	// HTTPS is nil when the load balancer speaks HTTP only.
	HTTPS *HTTPS
}

// HTTPS is the load balancer's TLS listener and its certificate: exactly
// one of Domain (an ACM certificate berth requests, validated by DNS) and
// CertificateARN (an existing or imported one) is set.
type HTTPS struct {
	Domain         string
	CertificateARN string
	Port           int
	// RedirectHTTP makes the HTTP listener answer 301 to HTTPS; when false
	// there is no HTTP listener and its port stays closed.
	RedirectHTTP bool
	SSLPolicy    string
	// KeyAlgorithm is the key of the certificate berth requests for Domain
	// (ACM's KeyAlgorithm); a certificate given by ARN has its own.
	KeyAlgorithm string
}

// Logs configures the CloudWatch Logs group the tasks write to.
type Logs struct {
	RetentionDays int
}

// Local tells the local cloud how to run the service as a plain process.
type Local struct {
	// Command is kept verbatim: $VAR and ${VAR} are expanded by the runtime,
	// which alone knows the task's address.
	Command []string
	// Dir is absolute: relative paths are resolved against the spec file's
	// directory so the result does not depend on where berth was started.
	Dir string
	// Env is nil when the spec sets none.
	Env map[string]string
}

// Allowed values of the enumerated fields, shared by the parser, its error
// messages and the schema test.
const (
	PlacementDistinctInstance = "distinct-instance"
	PlacementSpread           = "spread"
	ProviderEC2               = "ec2"
	ProviderFargate           = "fargate"
	ProviderFargateSpot       = "fargate_spot"
	NetworkNew                = "new"
	NetworkExisting           = "existing"
	NetworkDefault            = "default"
	NATSingle                 = "single"
	NATPerZone                = "per_zone"
	ProtocolHTTP              = "http"
	ProtocolHTTPS             = "https"
	// DefaultSSLPolicy is AWS's recommended policy for TLS 1.3 and 1.2
	// (the API's own default, ELBSecurityPolicy-2016-08, still allows
	// TLS 1.0).
	DefaultSSLPolicy = "ELBSecurityPolicy-TLS13-1-2-2021-06"
	// DefaultKeyAlgorithm is an ECDSA P-256 key rather than ACM's own
	// default, RSA 2048: the ALB serves ECDSA certificates, every client
	// that speaks the default policy's TLS 1.2 or 1.3 accepts them, and a
	// P-256 signature, which each new handshake makes, costs a fraction
	// of an RSA 2048 one (the local cloud's listener then keeps up with
	// HAProxy on new handshakes; with RSA it cannot, see the README).
	DefaultKeyAlgorithm = "EC_prime256v1"
)

var (
	placements = []string{PlacementDistinctInstance, PlacementSpread}
	providers  = []string{ProviderEC2, ProviderFargate, ProviderFargateSpot}
	networks   = []string{NetworkNew, NetworkExisting, NetworkDefault}
	nats       = []string{NATSingle, NATPerZone}
	protocols  = []string{ProtocolHTTP, ProtocolHTTPS}
	// keyAlgorithms are what RequestCertificate accepts for a public
	// certificate; ACM's other key algorithms are for imported ones.
	keyAlgorithms = []string{"EC_prime256v1", "EC_secp384r1", "RSA_2048"}
	// sslPolicies are the ALB's predefined security policies ("Security
	// policies for your Application Load Balancer"); it has no custom ones.
	sslPolicies = []string{
		"ELBSecurityPolicy-TLS13-1-2-2021-06", "ELBSecurityPolicy-TLS13-1-2-Res-2021-06",
		"ELBSecurityPolicy-TLS13-1-2-Ext1-2021-06", "ELBSecurityPolicy-TLS13-1-2-Ext2-2021-06",
		"ELBSecurityPolicy-TLS13-1-1-2021-06", "ELBSecurityPolicy-TLS13-1-0-2021-06", "ELBSecurityPolicy-TLS13-1-3-2021-06",
		"ELBSecurityPolicy-TLS13-1-2-PQ-2025-09", "ELBSecurityPolicy-TLS13-1-2-Res-PQ-2025-09",
		"ELBSecurityPolicy-TLS13-1-2-Ext1-PQ-2025-09", "ELBSecurityPolicy-TLS13-1-2-Ext2-PQ-2025-09", "ELBSecurityPolicy-TLS13-1-3-PQ-2025-09",
		"ELBSecurityPolicy-TLS13-1-2-FIPS-PQ-2025-09", "ELBSecurityPolicy-TLS13-1-2-Res-FIPS-PQ-2025-09",
		"ELBSecurityPolicy-TLS13-1-2-Ext0-FIPS-PQ-2025-09", "ELBSecurityPolicy-TLS13-1-2-Ext1-FIPS-PQ-2025-09",
		"ELBSecurityPolicy-TLS13-1-2-Ext2-FIPS-PQ-2025-09", "ELBSecurityPolicy-TLS13-1-3-FIPS-PQ-2025-09",
		"ELBSecurityPolicy-TLS13-1-3-FIPS-2023-04", "ELBSecurityPolicy-TLS13-1-2-Res-FIPS-2023-04",
		"ELBSecurityPolicy-TLS13-1-2-FIPS-2023-04", "ELBSecurityPolicy-TLS13-1-2-Ext0-FIPS-2023-04",
		"ELBSecurityPolicy-TLS13-1-2-Ext1-FIPS-2023-04", "ELBSecurityPolicy-TLS13-1-2-Ext2-FIPS-2023-04",
		"ELBSecurityPolicy-TLS13-1-1-FIPS-2023-04", "ELBSecurityPolicy-TLS13-1-0-FIPS-2023-04",
		"ELBSecurityPolicy-FS-1-2-Res-2020-10", "ELBSecurityPolicy-FS-1-2-Res-2019-08", "ELBSecurityPolicy-FS-1-2-2019-08",
		"ELBSecurityPolicy-FS-1-1-2019-08", "ELBSecurityPolicy-FS-2018-06",
		"ELBSecurityPolicy-TLS-1-2-Ext-2018-06", "ELBSecurityPolicy-TLS-1-2-2017-01", "ELBSecurityPolicy-TLS-1-1-2017-01",
		"ELBSecurityPolicy-TLS-1-0-2015-04", "ELBSecurityPolicy-2016-08", "ELBSecurityPolicy-2015-05",
	}
	// retentionDays are the only values CloudWatch Logs' PutRetentionPolicy accepts.
	retentionDays = []int{1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653}
)

// defaults returns a Spec holding every default value; decoding overwrites
// only what the file sets.
func defaults(file string) *Spec {
	return &Spec{
		File: file,
		Service: Service{
			Count:     1,
			CPU:       256,
			Memory:    512,
			Placement: PlacementDistinctInstance,
			HealthCheck: HealthCheck{
				Path:               "/",
				Interval:           10,
				Timeout:            5,
				HealthyThreshold:   2,
				UnhealthyThreshold: 2,
				Matcher:            "200",
				GracePeriod:        DefaultGracePeriod,
			},
			DeregistrationDelay: 30,
			Protocol:            ProtocolHTTP,
			Deployment:          DefaultDeployment(),
		},
		Capacity:     Capacity{Provider: ProviderEC2, InstanceType: "t2.medium", Min: 1, Max: 2, TargetCapacity: 100},
		Network:      DefaultNetwork(),
		LoadBalancer: LoadBalancer{Public: true, Port: 80},
		Logs:         Logs{RetentionDays: 7},
	}
}

// DefaultGracePeriod gives a new task a minute to start serving before
// failing health checks count against it.
const DefaultGracePeriod = 60

// DefaultDeployment is a rolling deployment that replaces half the tasks
// at a time, fails fast and rolls back; the stop timeout is ECS's.
func DefaultDeployment() Deployment {
	return Deployment{CircuitBreaker: true, Rollback: true, MinimumHealthyPercent: 50, MaximumPercent: 200, StopTimeout: 30}
}

// DefaultNetwork is a VPC of the stack's own with one NAT gateway.
func DefaultNetwork() Network {
	return Network{Mode: NetworkNew, CIDR: "10.0.0.0/16", NAT: NATSingle}
}

// newLocal returns a Local section holding its defaults.
func newLocal() *Local { return &Local{Dir: "."} }

// newHTTPS returns an https section holding its defaults.
func newHTTPS() *HTTPS {
	return &HTTPS{Port: 443, RedirectHTTP: true, SSLPolicy: DefaultSSLPolicy, KeyAlgorithm: DefaultKeyAlgorithm}
}

// newAutoscaling returns an autoscaling section holding its defaults; the
// cooldowns are Application Auto Scaling's own for ECS, spelled out so that
// plans compare against them.
func newAutoscaling() *Autoscaling {
	return &Autoscaling{Min: 1, ScaleInCooldown: 300, ScaleOutCooldown: 300}
}

// Load reads and parses the spec at path. A directory stands for the
// berth.yaml inside it.
func Load(path string) (*Spec, error) {
	if info, err := os.Stat(path); err == nil && info.IsDir() {
		path = filepath.Join(path, DefaultFileName)
	}
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("no spec file at %s (create one like examples/fastapi/berth.yaml, or point -f at it): %w", path, err)
	}
	if err != nil {
		return nil, fmt.Errorf("read spec: %w", err)
	}
	return Parse(path, data)
}

// Parse parses data as the contents of file. file names the source in errors
// and anchors local.dir; it need not exist. On failure the error is an Errors
// listing every problem found, in file order.
func Parse(file string, data []byte) (*Spec, error) {
	d := newDecoder(file)
	s := defaults(file)
	root := d.document(data)
	if root != nil {
		d.mapping(root, "", topFields(s))
		d.derive(s)
		d.validate(s)
	}
	if len(d.errs) > 0 {
		d.errs.sort()
		return nil, d.errs
	}
	if b := s.Service.Build; b != nil {
		dir, err := resolveDir(file, b.Context)
		if err != nil {
			return nil, fmt.Errorf("%s: service.image.build.context: %w", file, err)
		}
		b.Context = dir
		if s.Service.Image == "" {
			// The name berth up tags the build with; deploy pushes it to
			// the stack's repository under a content-derived tag.
			s.Service.Image = s.Name + ":latest"
		}
	}
	if s.Local != nil {
		dir, err := resolveDir(file, s.Local.Dir)
		if err != nil {
			return nil, fmt.Errorf("%s: local.dir: %w", file, err)
		}
		s.Local.Dir = dir
	}
	return s, nil
}

func resolveDir(specFile, dir string) (string, error) {
	if !filepath.IsAbs(dir) {
		dir = filepath.Join(filepath.Dir(specFile), dir)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", fmt.Errorf("resolve %q: %w", dir, err)
	}
	return abs, nil
}
