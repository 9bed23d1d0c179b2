package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
)

// readCall is one call of the control-plane read mix.
type readCall struct {
	name string
	call func(ctx context.Context, c *clients, s *stack) error
	// names is what every good reply of the call holds (the resource it
	// asked for): a replayed call is checked against it, since no SDK
	// parses the reply.
	names func(s *stack) string
}

// readMix is what a deployer's observe step and `aws ... describe-*` calls
// send most: one read per service, each naming a resource of the stack.
var readMix = []readCall{
	{"ECS DescribeClusters", func(ctx context.Context, c *clients, s *stack) error {
		out, err := c.ecs.DescribeClusters(ctx, &ecs.DescribeClustersInput{Clusters: []string{s.cluster}})
		if err == nil && len(out.Clusters) != 1 {
			err = fmt.Errorf("%d clusters", len(out.Clusters))
		}
		return err
	}, func(s *stack) string { return ":cluster/" + s.cluster + `"` }},
	{"EC2 DescribeSecurityGroups", func(ctx context.Context, c *clients, s *stack) error {
		out, err := c.ec2.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{GroupIds: []string{s.securityGroupID}})
		if err == nil && len(out.SecurityGroups) != 1 {
			err = fmt.Errorf("%d security groups", len(out.SecurityGroups))
		}
		return err
	}, func(s *stack) string { return ">" + s.securityGroupID + "<" }},
	{"ELBv2 DescribeTargetGroups", func(ctx context.Context, c *clients, s *stack) error {
		out, err := c.elbv2.DescribeTargetGroups(ctx, &elb.DescribeTargetGroupsInput{TargetGroupArns: []string{s.targetGroupARN}})
		if err == nil && len(out.TargetGroups) != 1 {
			err = fmt.Errorf("%d target groups", len(out.TargetGroups))
		}
		return err
	}, func(s *stack) string { return ">" + s.targetGroupARN + "<" }},
}

// mixRun is what one read-mix run measured, per call and in all.
type mixRun struct {
	perCall map[string]latencies
	all     latencies
	elapsed time.Duration
	errors  int
	first   error
	// serverCPU and clientCPU are the CPU time the server and the load
	// generator (this process) spent per call.
	serverCPU, clientCPU time.Duration
}

type latencies []time.Duration

func (l latencies) percentile(p float64) time.Duration {
	if len(l) == 0 {
		return 0
	}
	sorted := slices.Clone(l)
	slices.Sort(sorted)
	return sorted[min(len(sorted)-1, int(p*float64(len(sorted))))]
}

// mixWorker makes call number i of readMix for one worker; close releases
// what the worker holds.
type mixWorker interface {
	call(ctx context.Context, i int) error
	close()
}

// runReadMix has workers send the mix round robin until the duration is
// over, each waiting for its answer before the next call (closed loop).
func runReadMix(ctx context.Context, newWorker func() mixWorker, workers int, duration time.Duration) mixRun {
	run := mixRun{perCall: map[string]latencies{}}
	var mu sync.Mutex
	var wg sync.WaitGroup
	start := time.Now()
	deadline := start.Add(duration)
	for worker := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w := newWorker()
			defer w.close()
			mine := map[string]latencies{}
			var failed int
			var first error
			for i := worker; time.Now().Before(deadline); i++ {
				call := readMix[i%len(readMix)]
				began := time.Now()
				err := w.call(ctx, i%len(readMix))
				took := time.Since(began)
				if err != nil {
					failed++
					if first == nil {
						first = fmt.Errorf("%s: %w", call.name, err)
					}
					continue
				}
				mine[call.name] = append(mine[call.name], took)
			}
			mu.Lock()
			defer mu.Unlock()
			for name, took := range mine {
				run.perCall[name] = append(run.perCall[name], took...)
				run.all = append(run.all, took...)
			}
			run.errors += failed
			if run.first == nil {
				run.first = first
			}
		}()
	}
	wg.Wait()
	run.elapsed = time.Since(start)
	return run
}

func (r mixRun) rate(l latencies) float64 { return float64(len(l)) / r.elapsed.Seconds() }

// sdkWorker makes the mix's calls through the SDK clients of one endpoint,
// shared by all workers as a deployer's would be.
type sdkWorker struct {
	clients *clients
	stack   *stack
}

func (w sdkWorker) call(ctx context.Context, i int) error {
	return readMix[i].call(ctx, w.clients, w.stack)
}
func (sdkWorker) close() {}

// warmUp sends each call of the mix once, so connection setup and first-use
// costs stay out of the measurement, and a broken stack fails early.
func warmUp(ctx context.Context, c *clients, s *stack) error {
	for _, call := range readMix {
		if err := call.call(ctx, c, s); err != nil {
			return fmt.Errorf("%s: %w", call.name, err)
		}
	}
	return nil
}

// The SDK client costs more CPU per call than berth's server does, and it
// shares the two cores with it, so through the SDK the throughput ratio
// measures the client as much as the servers. The replayed mix takes the
// SDK out of the loop: each call is made once through the SDK (serialized
// and signed by it), its bytes are kept, and lean workers write those bytes
// to each server and read the replies, on one kept-alive connection per
// worker, the same way for both servers.

// presignedCall is one call of the mix as the SDK sent it.
type presignedCall struct {
	request []byte // the whole HTTP/1.1 request, head and body
	names   []byte // what a good reply holds
}

// presignMix makes each call of the mix once through the SDK, against the
// endpoint itself (so the SDK sees a real reply), and keeps the requests it
// sent. berth local (without --require-sigv4) and moto_server accept a
// signature however old; a server that checks one would refuse replays
// after SigV4's five minutes.
func presignMix(ctx context.Context, endpoint string, s *stack) ([]presignedCall, error) {
	recorder := &requestRecorder{next: http.DefaultTransport}
	c, err := newClientsWith(ctx, endpoint, &http.Client{Transport: recorder})
	if err != nil {
		return nil, err
	}
	var calls []presignedCall
	for _, call := range readMix {
		recorder.last = nil
		if err := call.call(ctx, c, s); err != nil {
			return nil, fmt.Errorf("%s: %w", call.name, err)
		}
		if recorder.last == nil {
			return nil, fmt.Errorf("%s: the SDK sent nothing", call.name)
		}
		calls = append(calls, presignedCall{request: recorder.last, names: []byte(call.names(s))})
	}
	return calls, nil
}

// requestRecorder keeps the wire bytes of the last request the SDK sent,
// then sends it on.
type requestRecorder struct {
	next http.RoundTripper
	last []byte
}

func (t *requestRecorder) RoundTrip(r *http.Request) (*http.Response, error) {
	var body []byte
	if r.Body != nil {
		var err error
		if body, err = io.ReadAll(r.Body); err != nil {
			return nil, err
		}
		_ = r.Body.Close()
	}
	// Write consumes the body it is given; the request sent on keeps its
	// own copy.
	wire := r.Clone(r.Context())
	wire.Body = io.NopCloser(bytes.NewReader(body))
	var raw bytes.Buffer
	if err := wire.Write(&raw); err != nil {
		return nil, err
	}
	t.last = raw.Bytes()
	r.Body = io.NopCloser(bytes.NewReader(body))
	r.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	return t.next.RoundTrip(r)
}

// replayWorker writes presigned calls on one connection and reads each
// reply before the next call. It redials when the server closed the
// connection (moto's HTTP/1.0 server may close after every reply); the
// dial is part of that call's latency, as it would be for any client.
type replayWorker struct {
	address string
	calls   []presignedCall
	conn    net.Conn
	reader  *bufio.Reader
	body    bytes.Buffer
	// reused says the connection has carried a reply already, so a failure
	// to write on it may be a server's idle close rather than an error.
	reused bool
}

func (w *replayWorker) call(_ context.Context, i int) error {
	call := w.calls[i]
	response, err := w.roundTrip(call.request)
	if err != nil && w.reused && !errors.Is(err, errReply) {
		// A kept-alive connection the server had closed: one fresh try,
		// as net/http's client makes for a request it may resend.
		w.drop()
		response, err = w.roundTrip(call.request)
	}
	if err != nil {
		w.drop()
		return err
	}
	w.body.Reset()
	_, err = w.body.ReadFrom(response.Body)
	_ = response.Body.Close()
	if err != nil {
		w.drop()
		return err
	}
	if response.Close {
		w.drop()
	} else {
		w.reused = true
	}
	if response.StatusCode != http.StatusOK {
		return fmt.Errorf("%w: status %d: %.200s", errReply, response.StatusCode, w.body.Bytes())
	}
	if !bytes.Contains(w.body.Bytes(), call.names) {
		return fmt.Errorf("%w: the reply does not hold %s: %.200s", errReply, call.names, w.body.Bytes())
	}
	return nil
}

// errReply marks a reply that came but was wrong: never resent.
var errReply = errors.New("bad reply")

func (w *replayWorker) roundTrip(request []byte) (*http.Response, error) {
	if w.conn == nil {
		conn, err := net.DialTimeout("tcp", w.address, 5*time.Second)
		if err != nil {
			return nil, err
		}
		w.conn, w.reader, w.reused = conn, bufio.NewReaderSize(conn, 16<<10), false
	}
	// A bound on each call, so a server that stops answering ends the run
	// with an error instead of hanging it.
	if err := w.conn.SetDeadline(time.Now().Add(10 * time.Second)); err != nil {
		return nil, err
	}
	if _, err := w.conn.Write(request); err != nil {
		return nil, err
	}
	return http.ReadResponse(w.reader, nil)
}

func (w *replayWorker) drop() {
	if w.conn != nil {
		_ = w.conn.Close()
		w.conn, w.reader, w.reused = nil, nil, false
	}
}

func (w *replayWorker) close() { w.drop() }

// mixEndpoint is one server under the read mix.
type mixEndpoint struct {
	name     string
	endpoint string
	server   *child
	clients  *clients
	stack    *stack
}

// measureMix runs the read mix against each endpoint in turn, through the
// SDK and (replay) as presigned requests, and prints each run and the
// ratios of the first endpoint to the second.
func measureMix(ctx context.Context, opts options, endpoints []mixEndpoint) error {
	type mode struct {
		name, title string
		workers     func(e mixEndpoint) (func() mixWorker, error)
	}
	sdk := mode{"sdk", "through the AWS SDK for Go v2", func(e mixEndpoint) (func() mixWorker, error) {
		if err := warmUp(ctx, e.clients, e.stack); err != nil {
			return nil, err
		}
		return func() mixWorker { return sdkWorker{e.clients, e.stack} }, nil
	}}
	replay := mode{"replay", "replayed: signed once by the SDK, sent by a lean HTTP/1.1 client", func(e mixEndpoint) (func() mixWorker, error) {
		calls, err := presignMix(ctx, e.endpoint, e.stack)
		if err != nil {
			return nil, err
		}
		u, err := url.Parse(e.endpoint)
		if err != nil {
			return nil, err
		}
		// One unmeasured pass, which also proves the replay is answered.
		probe := &replayWorker{address: u.Host, calls: calls}
		defer probe.close()
		for i := range calls {
			if err := probe.call(ctx, i); err != nil {
				return nil, fmt.Errorf("%s: %w", readMix[i].name, err)
			}
		}
		return func() mixWorker { return &replayWorker{address: u.Host, calls: calls} }, nil
	}}
	var modes []mode
	switch opts.mixClient {
	case "sdk":
		modes = []mode{sdk}
	case "replay":
		modes = []mode{replay}
	default:
		modes = []mode{sdk, replay}
	}
	for _, m := range modes {
		fmt.Printf("\ncontrol plane: read mix %s, %d closed-loop workers, %s per run\n", m.title, opts.mixWorkers, opts.mixDuration)
		var runs []mixRun
		for _, e := range endpoints {
			newWorker, err := m.workers(e)
			if err != nil {
				return fmt.Errorf("%s (%s): %w", e.name, m.name, err)
			}
			load := loadAverage()
			serverBefore, clientBefore := e.server.cpuTime(), processCPU(os.Getpid())
			measured := runReadMix(ctx, newWorker, opts.mixWorkers, opts.mixDuration)
			if measured.first != nil {
				return fmt.Errorf("%s (%s): %d calls failed, first: %w", e.name, m.name, measured.errors, measured.first)
			}
			calls := time.Duration(max(1, len(measured.all)))
			measured.serverCPU = (e.server.cpuTime() - serverBefore) / calls
			measured.clientCPU = (processCPU(os.Getpid()) - clientBefore) / calls
			runs = append(runs, measured)
			fmt.Printf("  %-12s %8.0f req/s  p50 %7s  p99 %7s  CPU/call: server %s, client %s  (load before %s)\n", e.name,
				measured.rate(measured.all), ms(measured.all.percentile(0.50)), ms(measured.all.percentile(0.99)),
				micros(measured.serverCPU), micros(measured.clientCPU), load)
			for _, call := range readMix {
				calls := measured.perCall[call.name]
				fmt.Printf("      %-28s %8.0f req/s  p50 %7s  p99 %7s\n", call.name, measured.rate(calls), ms(calls.percentile(0.50)), ms(calls.percentile(0.99)))
			}
		}
		if len(runs) == 2 {
			first, second := runs[0], runs[1]
			fmt.Printf("  %s/%s (%s): throughput %.1f×, server CPU per call %.1f×; %s p99 %s   (goal: ≥ 30×, p99 < 5 ms)\n",
				endpoints[0].name, endpoints[1].name, m.name,
				first.rate(first.all)/second.rate(second.all), float64(second.serverCPU)/float64(max(1, first.serverCPU)),
				endpoints[0].name, ms(first.all.percentile(0.99)))
		}
	}
	return nil
}
