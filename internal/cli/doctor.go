package cli

import (
	"context"
	"errors"
	"net"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/spf13/cobra"

	"github.com/berthdev/berth/internal/doctor"
	"github.com/berthdev/berth/internal/engine"
	"github.com/berthdev/berth/internal/localcloud/runtime"
	"github.com/berthdev/berth/internal/spec"
)

// doctorTimeout bounds each check: a check that hangs (an unreachable
// endpoint) is a finding, not a stuck command.
const doctorTimeout = 20 * time.Second

type doctorOptions struct {
	global  *globalOptions
	io      IOStreams
	File    string
	Cluster string
	Service string
}

// NewDoctorCmd builds `berth doctor`: whether a deploy of berth.yaml can
// work from here, or what is wrong with a service that runs, each finding
// with what to change.
func NewDoctorCmd(io IOStreams, global *globalOptions) *cobra.Command {
	opts := &doctorOptions{global: global, io: io}
	cmd := &cobra.Command{
		Use:   "doctor",
		Short: "Check credentials, quotas, security groups, capacity, routes and the image of berth.yaml's stack (or of --cluster/--service), each with a fix",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if (opts.Cluster == "") != (opts.Service == "") {
				return usageErrorf("--cluster and --service go together: the service to diagnose and its cluster")
			}
			return runDoctor(cmd.Context(), opts)
		},
	}
	addFileFlag(cmd, &opts.File)
	cmd.Flags().StringVar(&opts.Cluster, "cluster", "", "diagnose a service of this cluster instead of berth.yaml's (any ECS service, berth's or not)")
	cmd.Flags().StringVar(&opts.Service, "service", "", "the service to diagnose, with --cluster")
	return cmd
}

// errDoctorFindings is returned when a check failed, for the exit status.
var errDoctorFindings = errors.New("berth doctor found problems: fix them as shown above")

func runDoctor(ctx context.Context, opts *doctorOptions) error {
	var s *spec.Spec
	if opts.Cluster == "" {
		var err error
		if s, err = spec.Load(opts.File); err != nil {
			return err
		}
	}
	cfg, err := loadAWSConfig(ctx, opts.global, s)
	var findings []doctor.Finding
	if err != nil {
		findings = append(findings, doctor.Finding{Check: "region", Detail: err.Error(), Fix: "set region: in berth.yaml, pass --region, or export AWS_REGION"})
	} else {
		findings = doctorChecks(ctx, cfg, s, opts)
	}
	doctor.Print(opts.io.Out, findings)
	if doctor.Failed(findings) {
		return errDoctorFindings
	}
	return nil
}

func doctorChecks(ctx context.Context, cfg aws.Config, s *spec.Spec, opts *doctorOptions) []doctor.Finding {
	// A diagnosis should answer quickly: one retry, not a deploy's ten.
	cfg.RetryMaxAttempts = 2
	c := engine.NewClients(cfg)
	credentials := bounded(ctx, func(ctx context.Context) doctor.Finding { return doctor.Credentials(ctx, c) })
	findings := []doctor.Finding{credentials}
	if !credentials.OK {
		findings = append(findings, doctor.Finding{Check: "the account and the stack", OK: true, Warn: true,
			Detail: "not checked: they need the credentials above", Fix: "fix the credentials, then run berth doctor again"})
	}
	if opts.Cluster != "" {
		if credentials.OK {
			findings = append(findings, stackFindings(ctx, func(ctx context.Context) ([]doctor.Finding, error) {
				st, err := doctor.Read(ctx, c, opts.Cluster, opts.Service)
				if err != nil {
					return nil, err
				}
				return doctor.Diagnose(ctx, c, st), nil
			})...)
		}
		return findings
	}
	var checks []func(context.Context) doctor.Finding
	if credentials.OK {
		checks = doctor.AccountChecks(c, s)
	}
	checks = append(checks,
		func(ctx context.Context) doctor.Finding { return checkDocker(ctx, s) },
		func(ctx context.Context) doctor.Finding { return checkLocalPort(ctx, endpointURL(opts.global)) },
	)
	for _, check := range checks {
		findings = append(findings, bounded(ctx, check))
	}
	if credentials.OK {
		findings = append(findings, stackFindings(ctx, func(ctx context.Context) ([]doctor.Finding, error) { return doctor.Spec(ctx, c, s) })...)
	}
	return findings
}

// bounded runs one check within doctorTimeout: a check that hangs (an
// unreachable endpoint) is a finding, not a stuck command.
func bounded(ctx context.Context, check func(context.Context) doctor.Finding) doctor.Finding {
	ctx, cancel := context.WithTimeout(ctx, doctorTimeout)
	defer cancel()
	return check(ctx)
}

// stackFindings runs the stack's checks, whose reads may fail as a whole.
func stackFindings(ctx context.Context, read func(context.Context) ([]doctor.Finding, error)) []doctor.Finding {
	ctx, cancel := context.WithTimeout(ctx, doctorTimeout)
	defer cancel()
	findings, err := read(ctx)
	if err != nil {
		return []doctor.Finding{{Check: "stack", Detail: err.Error(), Fix: "check the cluster and service names, the region, and that the credentials may describe ECS, EC2, ELB and Auto Scaling"}}
	}
	return findings
}

// checkDocker: image.build needs a Docker Engine to build and push.
func checkDocker(ctx context.Context, s *spec.Spec) doctor.Finding {
	f := doctor.Finding{Check: "docker", Fix: "start Docker (or set DOCKER_HOST), or give image as a URI that is in a registry"}
	cli, err := runtime.ConnectEngine(ctx)
	if err != nil {
		f.Detail = err.Error()
		if s.Service.Build == nil {
			f.OK, f.Warn = true, true
			f.Detail += " (berth.yaml builds no image, so deploy does not need it; berth up runs process images without it)"
		}
		return f
	}
	defer cli.Close()
	f.OK, f.Detail = true, "engine at "+cli.DaemonHost()+", API "+cli.ClientVersion()
	return f
}

// checkLocalPort: berth up serves the local cloud on 127.0.0.1:4566; taken
// by something else, it cannot.
func checkLocalPort(ctx context.Context, endpoint string) doctor.Finding {
	f := doctor.Finding{Check: "port " + DefaultLocalAddr, OK: true}
	if endpoint != "" {
		f.Detail = "not needed: the endpoint is " + endpoint
		return f
	}
	l, err := net.Listen("tcp", DefaultLocalAddr)
	if err == nil {
		l.Close()
		f.Detail = "free for berth local / berth up"
		return f
	}
	if isLocalCloud(ctx, "http://"+DefaultLocalAddr) {
		f.Detail = "a berth local cloud listens there"
		return f
	}
	f.Warn, f.Detail = true, "in use by something that is not a berth local cloud"
	f.Fix = "stop it, or run berth local --addr 127.0.0.1:PORT and pass --endpoint-url http://127.0.0.1:PORT"
	return f
}
