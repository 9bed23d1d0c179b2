package awsres

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"

	"github.com/berthdev/berth/internal/engine"
)

// Listener accepts HTTP or HTTPS on Port and either forwards everything to
// the target group or, for an HTTP listener in front of an HTTPS one,
// answers 301 to HTTPS.
type Listener struct {
	Meta
	LoadBalancer engine.Ref // the load balancer's "arn"
	Port         int
	// HTTPS terminates TLS with Certificate (its "arn") and SSLPolicy.
	HTTPS       bool
	Certificate engine.Ref
	SSLPolicy   string
	// Replaced (the certificate's "replaced") are the certificates berth
	// requested before Certificate, which the listener deletes once it
	// serves Certificate instead.
	Replaced engine.Ref
	// TargetGroup (its "arn") is where requests go, unless RedirectToPort
	// is set: then every request is redirected to HTTPS on that port.
	TargetGroup    engine.Ref
	RedirectToPort int
}

type listenerState struct {
	arn, port, protocol, action, certificate, sslPolicy string
}

func (r *Listener) protocol() elbtypes.ProtocolEnum {
	if r.HTTPS {
		return elbtypes.ProtocolEnumHttps
	}
	return elbtypes.ProtocolEnumHttp
}

// redirectShown and forwardShown render the default action for plans, the
// same for what exists and what is wanted.
func redirectShown(port string) string       { return "redirect to HTTPS:" + port + " (301)" }
func forwardShown(targetGroup string) string { return "forward to " + targetGroup }

func (r *Listener) actionShown(in *engine.Inputs) string {
	if r.RedirectToPort != 0 {
		return redirectShown(fmt.Sprint(r.RedirectToPort))
	}
	return forwardShown(in.Show(r.TargetGroup))
}

func (r *Listener) defaultActions(in *engine.Inputs) ([]elbtypes.Action, error) {
	if r.RedirectToPort != 0 {
		return []elbtypes.Action{{Type: elbtypes.ActionTypeEnumRedirect, RedirectConfig: &elbtypes.RedirectActionConfig{
			Protocol: aws.String("HTTPS"), Port: aws.String(fmt.Sprint(r.RedirectToPort)),
			StatusCode: elbtypes.RedirectActionStatusCodeEnumHttp301,
		}}}, nil
	}
	targetGroup, err := in.Get(r.TargetGroup)
	if err != nil {
		return nil, err
	}
	return []elbtypes.Action{{Type: elbtypes.ActionTypeEnumForward, TargetGroupArn: aws.String(targetGroup)}}, nil
}

func (r *Listener) certificates(in *engine.Inputs) ([]elbtypes.Certificate, error) {
	if !r.HTTPS {
		return nil, nil
	}
	arn, err := in.Get(r.Certificate)
	if err != nil {
		return nil, err
	}
	return []elbtypes.Certificate{{CertificateArn: aws.String(arn)}}, nil
}

// Observe picks the listener of the stack's load balancer tagged as this
// resource, falling back to the one on the wanted port: listeners cannot be
// searched by tag directly.
func (r *Listener) Observe(ctx context.Context, c *engine.Clients, in *engine.Inputs) (*engine.Observed, error) {
	lbARN, ok := in.Lookup(r.LoadBalancer)
	if !ok {
		return nil, nil
	}
	out, err := c.ELB.DescribeListeners(ctx, &elb.DescribeListenersInput{LoadBalancerArn: aws.String(lbARN)})
	if hasCode(err, "LoadBalancerNotFound") {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("describe listeners: %w", err)
	}
	if len(out.Listeners) == 0 {
		return nil, nil
	}
	var arns []string
	for _, l := range out.Listeners {
		arns = append(arns, aws.ToString(l.ListenerArn))
	}
	tagged := map[string]bool{}
	tags, err := c.ELB.DescribeTags(ctx, &elb.DescribeTagsInput{ResourceArns: arns})
	if err != nil {
		return nil, fmt.Errorf("describe listener tags: %w", err)
	}
	for _, d := range tags.TagDescriptions {
		for _, t := range d.Tags {
			if aws.ToString(t.Key) == TagResource && aws.ToString(t.Value) == string(r.Address) {
				tagged[aws.ToString(d.ResourceArn)] = true
			}
		}
	}
	var found *elbtypes.Listener
	for i, l := range out.Listeners {
		if tagged[aws.ToString(l.ListenerArn)] {
			found = &out.Listeners[i]
			break
		}
		if found == nil && int(aws.ToInt32(l.Port)) == r.Port {
			found = &out.Listeners[i]
		}
	}
	if found == nil {
		return nil, nil
	}
	state := &listenerState{
		arn: aws.ToString(found.ListenerArn), port: fmt.Sprint(aws.ToInt32(found.Port)), protocol: string(found.Protocol),
		sslPolicy: aws.ToString(found.SslPolicy),
	}
	for _, cert := range found.Certificates {
		state.certificate = aws.ToString(cert.CertificateArn)
	}
	for _, action := range found.DefaultActions {
		switch {
		case action.Type == elbtypes.ActionTypeEnumForward:
			state.action = forwardShown(aws.ToString(action.TargetGroupArn))
		case action.Type == elbtypes.ActionTypeEnumRedirect && action.RedirectConfig != nil:
			rc := action.RedirectConfig
			if aws.ToString(rc.Protocol) == "HTTPS" && rc.StatusCode == elbtypes.RedirectActionStatusCodeEnumHttp301 {
				state.action = redirectShown(aws.ToString(rc.Port))
			} else {
				state.action = fmt.Sprintf("redirect to %s:%s (%s)", aws.ToString(rc.Protocol), aws.ToString(rc.Port), rc.StatusCode)
			}
		}
	}
	return &engine.Observed{Outputs: engine.Outputs{"arn": state.arn, "port": state.port}, State: state}, nil
}

func (r *Listener) Diff(in *engine.Inputs, actual *engine.Observed) ([]engine.FieldChange, engine.Action) {
	changes := engine.NewChanges(actual)
	state := &listenerState{}
	if actual != nil {
		state = actual.State.(*listenerState)
	}
	changes.Field("port", state.port, itoa(r.Port))
	changes.Field("protocol", state.protocol, string(r.protocol()))
	if r.HTTPS {
		changes.Field("certificate", state.certificate, in.Show(r.Certificate))
		changes.Field("ssl_policy", state.sslPolicy, r.SSLPolicy)
	}
	changes.Field("default_action", state.action, r.actionShown(in))
	return changes.Result()
}

func (r *Listener) Apply(ctx context.Context, c *engine.Clients, in *engine.Inputs, actual *engine.Observed) (engine.Outputs, error) {
	lbARN, err := in.Get(r.LoadBalancer)
	if err != nil {
		return nil, err
	}
	actions, err := r.defaultActions(in)
	if err != nil {
		return nil, err
	}
	certificates, err := r.certificates(in)
	if err != nil {
		return nil, err
	}
	if actual != nil {
		arn := actual.State.(*listenerState).arn
		_, err := c.ELB.ModifyListener(ctx, &elb.ModifyListenerInput{
			ListenerArn: aws.String(arn), Port: aws.Int32(int32(r.Port)), Protocol: r.protocol(), DefaultActions: actions,
			Certificates: certificates, SslPolicy: optionalString(r.sslPolicy()),
		})
		if err != nil {
			return nil, fmt.Errorf("modify listener: %w", err)
		}
		if err := r.retireReplaced(ctx, c, in, certificates); err != nil {
			return nil, err
		}
		return engine.Outputs{"arn": arn, "port": fmt.Sprint(r.Port)}, nil
	}
	out, err := c.ELB.CreateListener(ctx, &elb.CreateListenerInput{
		LoadBalancerArn: aws.String(lbARN), Port: aws.Int32(int32(r.Port)), Protocol: r.protocol(),
		DefaultActions: actions, Certificates: certificates, SslPolicy: optionalString(r.sslPolicy()), Tags: r.elbTags(),
	})
	if err != nil {
		return nil, fmt.Errorf("create listener: %w", err)
	}
	return engine.Outputs{"arn": aws.ToString(out.Listeners[0].ListenerArn), "port": fmt.Sprint(r.Port)}, nil
}

// retireReplaced deletes the certificates the listener has just moved
// off, now that it serves another.
func (r *Listener) retireReplaced(ctx context.Context, c *engine.Clients, in *engine.Inputs, serving []elbtypes.Certificate) error {
	replaced, ok := in.Lookup(r.Replaced)
	if !r.HTTPS || !ok {
		return nil
	}
	for _, arn := range expandIDs([]string{replaced}) {
		if len(serving) > 0 && arn == aws.ToString(serving[0].CertificateArn) {
			continue
		}
		engine.Progress(ctx, "deleting certificate %s, which the listener no longer serves", arn)
		if err := retireCertificate(ctx, c, arn); err != nil {
			return err
		}
	}
	return nil
}

// sslPolicy is sent only with HTTPS: ELBv2 refuses a policy on HTTP.
func (r *Listener) sslPolicy() string {
	if r.HTTPS {
		return r.SSLPolicy
	}
	return ""
}

func (r *Listener) Delete(ctx context.Context, c *engine.Clients, actual *engine.Observed) error {
	_, err := c.ELB.DeleteListener(ctx, &elb.DeleteListenerInput{ListenerArn: aws.String(actual.State.(*listenerState).arn)})
	if err != nil && !hasCode(err, "ListenerNotFound") {
		return fmt.Errorf("delete listener: %w", err)
	}
	return nil
}
