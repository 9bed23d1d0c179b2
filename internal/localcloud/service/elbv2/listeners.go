package elbv2

import (
	"context"
	"reflect"
	"slices"
	"strings"

	"github.com/berthdev/berth/internal/localcloud/protocol"
	"github.com/berthdev/berth/internal/localcloud/store"
)

// defaultSslPolicy is what an HTTPS listener gets when none is named.
const defaultSslPolicy = "ELBSecurityPolicy-2016-08"

// ListenerRequest is a CreateListener (or ModifyListener, where zero values
// mean "keep") call in domain terms.
type ListenerRequest struct {
	LoadBalancerARN string
	Protocol        string
	Port            *int
	SslPolicy       string
	Certificates    []Certificate
	AlpnPolicy      []string
	DefaultActions  []Action
	Tags            []Tag
}

func checkListenerProtocol(l *Listener) error {
	switch l.Protocol {
	case "HTTP":
		l.SslPolicy, l.Certificates = "", nil
	case "HTTPS":
		if len(l.Certificates) == 0 {
			return validationError("A certificate must be specified for HTTPS listeners")
		}
		if l.SslPolicy == "" {
			l.SslPolicy = defaultSslPolicy
		}
		if err := checkSSLPolicy(l.SslPolicy); err != nil {
			return err
		}
	default:
		return protocol.Errorf(codeUnsupportedProtocol, "Protocol '%s' is not supported by application load balancers; use HTTP or HTTPS", l.Protocol)
	}
	return nil
}

// CreateListener adds a listener to a load balancer; the same call repeated
// with identical settings returns the existing listener.
func (b *Backend) CreateListener(ctx context.Context, req ListenerRequest) (*Listener, error) {
	if err := required("loadBalancerArn", req.LoadBalancerARN != ""); err != nil {
		return nil, err
	}
	if req.Protocol == "" {
		return nil, validationError("A protocol must be specified for application load balancer listeners")
	}
	if req.Port == nil {
		return nil, validationError("A port must be specified for application load balancer listeners")
	}
	if err := checkPort(*req.Port); err != nil {
		return nil, err
	}
	if err := validateTags(req.Tags); err != nil {
		return nil, err
	}
	var out *Listener
	err := b.store.Update(ctx, func(tx *store.Tx) error {
		lb, err := getFound[LoadBalancer](tx, tableLoadBalancers, req.LoadBalancerARN, loadBalancerNotFound)
		if err != nil {
			return err
		}
		l := &Listener{
			LoadBalancerARN: lb.ARN,
			Port:            *req.Port,
			Protocol:        req.Protocol,
			SslPolicy:       req.SslPolicy,
			Certificates:    req.Certificates,
			AlpnPolicy:      req.AlpnPolicy,
			Tags:            append([]Tag{}, req.Tags...),
		}
		if err := checkListenerProtocol(l); err != nil {
			return err
		}
		if l.DefaultActions, err = normalizeActions(tx, req.DefaultActions, lb.ARN); err != nil {
			return err
		}
		listeners, err := store.List[Listener](tx, tableListeners)
		if err != nil {
			return err
		}
		for _, existing := range listeners {
			if existing.LoadBalancerARN != lb.ARN || existing.Port != l.Port {
				continue
			}
			if existing.Protocol == l.Protocol && reflect.DeepEqual(existing.DefaultActions, l.DefaultActions) {
				out = existing
				return nil
			}
			return protocol.Errorf(codeDuplicateListener, "A listener already exists on that port")
		}
		// listener/app/<lb name>/<lb id>/<listener id>, and its rules below it.
		lbPath := strings.TrimPrefix(lb.ARN[strings.Index(lb.ARN, ":loadbalancer/")+1:], "loadbalancer/")
		call := arnPrefix(lb.ARN)
		l.ARN = call + "listener/" + lbPath + "/" + store.RandomHex(16)
		l.DefaultRuleARN = ruleARN(l.ARN)
		out = l
		return tx.Put(tableListeners, l.ARN, l)
	})
	if err != nil {
		return nil, internalError(err)
	}
	return out, nil
}

// arnPrefix is "arn:aws:elasticloadbalancing:<region>:<account>:" of arn.
func arnPrefix(arn string) string {
	parts := strings.SplitN(arn, ":", 6)
	return strings.Join(parts[:5], ":") + ":"
}

// ruleARN makes a new rule ARN under a listener.
func ruleARN(listenerARN string) string {
	return strings.Replace(listenerARN, ":listener/", ":listener-rule/", 1) + "/" + store.RandomHex(16)
}

// Listeners returns the listeners of a load balancer, or those named.
func (b *Backend) Listeners(ctx context.Context, loadBalancerARN string, arns []string) ([]*Listener, error) {
	var out []*Listener
	err := b.store.View(ctx, func(tx *store.Tx) error {
		if loadBalancerARN != "" && len(arns) > 0 {
			return validationError("Listener ARNs and a load balancer ARN cannot be specified at the same time")
		}
		if loadBalancerARN == "" && len(arns) == 0 {
			return validationError("You must specify either listener ARNs or a load balancer ARN")
		}
		all, err := store.List[Listener](tx, tableListeners)
		if err != nil {
			return err
		}
		if loadBalancerARN != "" {
			if _, err := getFound[LoadBalancer](tx, tableLoadBalancers, loadBalancerARN, loadBalancerNotFound); err != nil {
				return err
			}
			for _, l := range all {
				if l.LoadBalancerARN == loadBalancerARN {
					out = append(out, l)
				}
			}
			slices.SortFunc(out, func(x, y *Listener) int { return x.Port - y.Port })
			return nil
		}
		for _, arn := range arns {
			i := slices.IndexFunc(all, func(l *Listener) bool { return l.ARN == arn })
			if i < 0 {
				return listenerNotFound()
			}
			out = append(out, all[i])
		}
		return nil
	})
	return out, internalError(err)
}

// ModifyListener changes a listener's port, protocol, certificates or
// default actions.
func (b *Backend) ModifyListener(ctx context.Context, arn string, req ListenerRequest) (*Listener, error) {
	if req.Port != nil {
		if err := checkPort(*req.Port); err != nil {
			return nil, err
		}
	}
	var out *Listener
	err := b.store.Update(ctx, func(tx *store.Tx) error {
		l, err := getFound[Listener](tx, tableListeners, arn, listenerNotFound)
		if err != nil {
			return err
		}
		if req.Port != nil && *req.Port != l.Port {
			listeners, err := store.List[Listener](tx, tableListeners)
			if err != nil {
				return err
			}
			for _, other := range listeners {
				if other.LoadBalancerARN == l.LoadBalancerARN && other.Port == *req.Port {
					return protocol.Errorf(codeDuplicateListener, "A listener already exists on that port")
				}
			}
			l.Port = *req.Port
		}
		if req.Protocol != "" {
			l.Protocol = req.Protocol
		}
		if req.SslPolicy != "" {
			l.SslPolicy = req.SslPolicy
		}
		if req.Certificates != nil {
			l.Certificates = req.Certificates
		}
		if req.AlpnPolicy != nil {
			l.AlpnPolicy = req.AlpnPolicy
		}
		if err := checkListenerProtocol(l); err != nil {
			return err
		}
		if req.DefaultActions != nil {
			// The listener's own actions must not count as another user
			// of a target group it keeps.
			if err := tx.Delete(tableListeners, arn); err != nil {
				return err
			}
			if l.DefaultActions, err = normalizeActions(tx, req.DefaultActions, l.LoadBalancerARN); err != nil {
				return err
			}
		}
		out = l
		return tx.Put(tableListeners, arn, l)
	})
	if err != nil {
		return nil, internalError(err)
	}
	return out, nil
}

// DeleteListener deletes a listener and its rules.
func (b *Backend) DeleteListener(ctx context.Context, arn string) error {
	return internalError(b.store.Update(ctx, func(tx *store.Tx) error {
		if _, err := getFound[Listener](tx, tableListeners, arn, listenerNotFound); err != nil {
			return err
		}
		return deleteListener(tx, arn)
	}))
}

func deleteListener(tx *store.Tx, arn string) error {
	rules, err := store.List[Rule](tx, tableRules)
	if err != nil {
		return err
	}
	for _, r := range rules {
		if r.ListenerARN == arn {
			if err := tx.Delete(tableRules, r.ARN); err != nil {
				return err
			}
		}
	}
	return tx.Delete(tableListeners, arn)
}

// maxListenerCertificates is AWS's certificates-per-application-load-balancer
// quota, counted here per listener (the default certificate included).
const maxListenerCertificates = 25

// AddListenerCertificates adds certificates to an HTTPS listener's list
// for SNI; the listener's default certificate stays first. Adding one it
// has is a no-op, as on AWS.
func (b *Backend) AddListenerCertificates(ctx context.Context, arn string, certs []Certificate) ([]Certificate, error) {
	return b.editListenerCertificates(ctx, arn, func(l *Listener) error {
		for _, c := range certs {
			if c.IsDefault != nil && *c.IsDefault {
				return validationError("The default certificate of a listener is set with ModifyListener, not AddListenerCertificates")
			}
			if !slices.ContainsFunc(l.Certificates, func(o Certificate) bool { return o.CertificateArn == c.CertificateArn }) {
				l.Certificates = append(l.Certificates, Certificate{CertificateArn: c.CertificateArn})
			}
		}
		if len(l.Certificates) > maxListenerCertificates {
			return protocol.Errorf(codeTooManyCertificates, "A listener can have at most %d certificates", maxListenerCertificates)
		}
		return nil
	}, certs)
}

// RemoveListenerCertificates removes certificates added for SNI; the
// default certificate cannot be removed this way.
func (b *Backend) RemoveListenerCertificates(ctx context.Context, arn string, certs []Certificate) error {
	_, err := b.editListenerCertificates(ctx, arn, func(l *Listener) error {
		for _, c := range certs {
			if len(l.Certificates) > 0 && l.Certificates[0].CertificateArn == c.CertificateArn {
				return protocol.Errorf(codeOperationNotPermitted, "The default certificate of a listener cannot be removed; replace it with ModifyListener")
			}
			l.Certificates = slices.DeleteFunc(l.Certificates, func(o Certificate) bool { return o.CertificateArn == c.CertificateArn })
		}
		return nil
	}, certs)
	return err
}

func (b *Backend) editListenerCertificates(ctx context.Context, arn string, edit func(*Listener) error, certs []Certificate) ([]Certificate, error) {
	if err := required("listenerArn", arn != ""); err != nil {
		return nil, err
	}
	for _, c := range certs {
		if c.CertificateArn == "" {
			return nil, validationError("A certificate ARN must be specified")
		}
	}
	var out []Certificate
	err := b.store.Update(ctx, func(tx *store.Tx) error {
		l, err := getFound[Listener](tx, tableListeners, arn, listenerNotFound)
		if err != nil {
			return err
		}
		if l.Protocol != "HTTPS" {
			return protocol.Errorf(codeInvalidConfigurationRequest, "Certificates can only be added to HTTPS listeners")
		}
		if err := edit(l); err != nil {
			return err
		}
		out = l.Certificates
		return tx.Put(tableListeners, arn, l)
	})
	return out, internalError(err)
}
