package localcloud_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"syscall"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"

	"github.com/berthdev/berth/internal/localcloud/localcloudtest"
)

// BenchmarkReadMix measures what the local cloud spends serving the
// control-plane read mix of bench/alb (ECS DescribeClusters, EC2
// DescribeSecurityGroups, ELBv2 DescribeTargetGroups): each request is
// made once by the real SDK, recorded, and replayed straight into the
// endpoint's handler, so the figures are the server's alone (no SDK, no
// sockets) and a CPU profile of the benchmark is a profile of the server.
func BenchmarkReadMix(b *testing.B) {
	cloud := localcloudtest.StartControlPlane(b)
	ctx := context.Background()
	recorder := &recordingTransport{next: http.DefaultTransport}
	cfg := cloud.Config.Copy()
	cfg.HTTPClient = &http.Client{Transport: recorder}
	ecsClient, ec2Client, elbClient := ecs.NewFromConfig(cfg), ec2.NewFromConfig(cfg), elb.NewFromConfig(cfg)
	if _, err := ecsClient.CreateCluster(ctx, &ecs.CreateClusterInput{ClusterName: aws.String("bench")}); err != nil {
		b.Fatal(err)
	}
	vpc, err := ec2Client.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String("10.0.0.0/16")})
	if err != nil {
		b.Fatal(err)
	}
	group, err := ec2Client.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{VpcId: vpc.Vpc.VpcId,
		GroupName: aws.String("bench"), Description: aws.String("bench")})
	if err != nil {
		b.Fatal(err)
	}
	targetGroup, err := elbClient.CreateTargetGroup(ctx, &elb.CreateTargetGroupInput{Name: aws.String("bench"),
		Protocol: elbtypes.ProtocolEnumHttp, Port: aws.Int32(80), VpcId: vpc.Vpc.VpcId})
	if err != nil {
		b.Fatal(err)
	}
	calls := []struct {
		name string
		call func() error
	}{
		{"ECSDescribeClusters", func() error {
			_, err := ecsClient.DescribeClusters(ctx, &ecs.DescribeClustersInput{Clusters: []string{"bench"}})
			return err
		}},
		{"EC2DescribeSecurityGroups", func() error {
			_, err := ec2Client.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{GroupIds: []string{*group.GroupId}})
			return err
		}},
		{"ELBv2DescribeTargetGroups", func() error {
			_, err := elbClient.DescribeTargetGroups(ctx, &elb.DescribeTargetGroupsInput{TargetGroupArns: []string{*targetGroup.TargetGroups[0].TargetGroupArn}})
			return err
		}},
	}
	for _, c := range calls {
		if err := c.call(); err != nil {
			b.Fatalf("%s: %v", c.name, err)
		}
		recorded := recorder.last
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			cpuBefore := processCPU(b)
			for b.Loop() {
				req := httptest.NewRequest(recorded.method, recorded.url, bytes.NewReader(recorded.body))
				req.Header = recorded.header.Clone()
				w := httptest.NewRecorder()
				cloud.ServeHTTP(w, req)
				if w.Code != http.StatusOK {
					b.Fatalf("status %d: %s", w.Code, w.Body)
				}
			}
			// CPU time, not wall time, is what bench/alb compares, and it
			// holds still on a machine others load.
			b.ReportMetric(float64(processCPU(b)-cpuBefore)/float64(b.N), "cpu-ns/op")
		})
	}
}

// processCPU is the CPU time the test process has used, in nanoseconds.
func processCPU(b *testing.B) int64 {
	var usage syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &usage); err != nil {
		b.Fatal(err)
	}
	return usage.Utime.Nano() + usage.Stime.Nano()
}

type recordedRequest struct {
	method, url string
	header      http.Header
	body        []byte
}

// recordingTransport keeps the last request the SDK sent.
type recordingTransport struct {
	next http.RoundTripper
	last recordedRequest
}

func (t *recordingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	var body []byte
	if r.Body != nil {
		var err error
		if body, err = io.ReadAll(r.Body); err != nil {
			return nil, err
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
	}
	t.last = recordedRequest{method: r.Method, url: r.URL.String(), header: r.Header.Clone(), body: body}
	return t.next.RoundTrip(r)
}
