package awsres

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/acm"
	acmtypes "github.com/aws/aws-sdk-go-v2/service/acm/types"

	"github.com/berthdev/berth/internal/engine"
)

// Certificate is the HTTPS listener's ACM certificate: either one berth
// requests for Domain, validated by DNS, or an existing one given by ARN,
// which berth only reads (ReadOnly) and never deletes.
//
// Another domain or key algorithm is another certificate: Apply requests
// it and outputs the one it supersedes as "replaced", which the listener
// deletes once it serves the new one, so the listener never goes without
// a certificate and one deploy leaves one certificate.
type Certificate struct {
	Meta
	// Domain is set for a certificate berth requests and owns.
	Domain string
	// KeyAlgorithm is the requested certificate's key in RequestCertificate's
	// spelling (EC_prime256v1); empty leaves it to ACM (RSA_2048) and
	// accepts whatever key the certificate has.
	KeyAlgorithm string
	// ARN is set for a certificate the user brought.
	ARN string

	replacing bool // the last Diff found another domain or key algorithm
}

// How long a requested certificate may take: ACM publishes its DNS records
// within seconds, and validates within minutes of the records existing;
// Terraform's aws_acm_certificate_validation waits 75 minutes by default.
const (
	validationRecordsTimeout = 5 * time.Minute
	validationTimeout        = 75 * time.Minute
)

type certificateState struct {
	arn, domain, status, method string
	// keyAlgorithm is in RequestCertificate's spelling, whatever
	// DescribeCertificate's ("EC-prime256v1" on AWS).
	keyAlgorithm string
	// leftovers are other certificates this resource requested (for an
	// earlier domain) that no listener uses any more: an apply deletes them.
	leftovers []string
	// inUse are the leftovers still in use; the apply after the listener
	// moved off them deletes them.
	inUse []string
}

// ReadOnly implements engine.ReadOnly: a certificate given by ARN is the
// user's.
func (r *Certificate) ReadOnly() bool { return r.ARN != "" }

func (r *Certificate) Observe(ctx context.Context, c *engine.Clients, _ *engine.Inputs) (*engine.Observed, error) {
	if r.ARN != "" {
		return r.observeGiven(ctx, c)
	}
	arns, err := r.requested(ctx, c)
	if err != nil || len(arns) == 0 {
		return nil, err
	}
	var chosen *acmtypes.CertificateDetail
	var others []*acmtypes.CertificateDetail
	for _, arn := range arns {
		d, err := describeCertificate(ctx, c, arn)
		if err != nil {
			return nil, err
		}
		if d == nil {
			continue
		}
		if chosen == nil || better(d, chosen, r.Domain, r.KeyAlgorithm) {
			if chosen != nil {
				others = append(others, chosen)
			}
			chosen = d
		} else {
			others = append(others, d)
		}
	}
	if chosen == nil {
		return nil, nil
	}
	state := &certificateState{
		arn: aws.ToString(chosen.CertificateArn), domain: aws.ToString(chosen.DomainName), status: string(chosen.Status),
		keyAlgorithm: requestSpelling(chosen.KeyAlgorithm),
	}
	for _, o := range chosen.DomainValidationOptions {
		state.method = string(o.ValidationMethod)
	}
	for _, o := range others {
		if len(o.InUseBy) > 0 {
			state.inUse = append(state.inUse, aws.ToString(o.CertificateArn))
		} else {
			state.leftovers = append(state.leftovers, aws.ToString(o.CertificateArn))
		}
	}
	return &engine.Observed{Outputs: certificateOutputs(state.arn, state.domain, state.inUse), State: state}, nil
}

// outputs are the certificate's ARN and domain and, as "replaced", the
// certificates of this resource that the listener is to let go of and
// delete.
func certificateOutputs(arn, domain string, replaced []string) engine.Outputs {
	return engine.Outputs{"arn": arn, "domain": domain, "replaced": strings.Join(replaced, ",")}
}

// requestSpelling turns DescribeCertificate's key algorithm ("RSA-2048",
// "EC-prime256v1") into RequestCertificate's ("RSA_2048"), which berth.yaml
// uses.
func requestSpelling(k acmtypes.KeyAlgorithm) string {
	return strings.ReplaceAll(string(k), "-", "_")
}

// better prefers the certificate for the wanted domain and key, then an
// issued one over one still pending, then the newest.
func better(a, b *acmtypes.CertificateDetail, domain, keyAlgorithm string) bool {
	if am, bm := aws.ToString(a.DomainName) == domain, aws.ToString(b.DomainName) == domain; am != bm {
		return am
	}
	if am, bm := requestSpelling(a.KeyAlgorithm) == keyAlgorithm, requestSpelling(b.KeyAlgorithm) == keyAlgorithm; keyAlgorithm != "" && am != bm {
		return am
	}
	if ai, bi := a.Status == acmtypes.CertificateStatusIssued, b.Status == acmtypes.CertificateStatusIssued; ai != bi {
		return ai
	}
	return aws.ToTime(a.CreatedAt).After(aws.ToTime(b.CreatedAt))
}

// observeGiven checks that the user's certificate exists and can serve:
// an HTTPS listener refuses one that is not ISSUED.
func (r *Certificate) observeGiven(ctx context.Context, c *engine.Clients) (*engine.Observed, error) {
	d, err := describeCertificate(ctx, c, r.ARN)
	if err != nil {
		return nil, err
	}
	if d == nil {
		return nil, fmt.Errorf("load_balancer.https.certificate_arn: certificate %s does not exist in %s", r.ARN, c.Region)
	}
	if d.Status != acmtypes.CertificateStatusIssued {
		return nil, fmt.Errorf("load_balancer.https.certificate_arn: certificate %s is %s; an HTTPS listener needs an ISSUED certificate", r.ARN, d.Status)
	}
	state := &certificateState{arn: r.ARN, domain: aws.ToString(d.DomainName), status: string(d.Status)}
	return &engine.Observed{Outputs: engine.Outputs{"arn": r.ARN, "domain": state.domain}, State: state}, nil
}

func describeCertificate(ctx context.Context, c *engine.Clients, arn string) (*acmtypes.CertificateDetail, error) {
	out, err := c.ACM.DescribeCertificate(ctx, &acm.DescribeCertificateInput{CertificateArn: aws.String(arn)})
	if hasCode(err, "ResourceNotFoundException") {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("describe certificate %s: %w", arn, err)
	}
	return out.Certificate, nil
}

// EveryKeyType makes ListCertificates list certificates of every key: by
// default it lists RSA 2048 ones only, and an ECDSA certificate would seem
// not to exist.
var EveryKeyType = &acmtypes.Filters{KeyTypes: []acmtypes.KeyAlgorithm{
	acmtypes.KeyAlgorithmRsa1024, acmtypes.KeyAlgorithmRsa2048, acmtypes.KeyAlgorithmRsa3072, acmtypes.KeyAlgorithmRsa4096,
	acmtypes.KeyAlgorithmEcPrime256v1, acmtypes.KeyAlgorithmEcSecp384r1, acmtypes.KeyAlgorithmEcSecp521r1,
}}

// requested lists the certificates carrying this resource's tags: ACM
// cannot search by tag, so each certificate's tags are read.
func (r *Certificate) requested(ctx context.Context, c *engine.Clients) ([]string, error) {
	var arns []string
	pages := acm.NewListCertificatesPaginator(c.ACM, &acm.ListCertificatesInput{Includes: EveryKeyType})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list certificates: %w", err)
		}
		for _, summary := range page.CertificateSummaryList {
			arn := aws.ToString(summary.CertificateArn)
			tags, err := c.ACM.ListTagsForCertificate(ctx, &acm.ListTagsForCertificateInput{CertificateArn: aws.String(arn)})
			if hasCode(err, "ResourceNotFoundException") {
				continue
			}
			if err != nil {
				return nil, fmt.Errorf("list tags of certificate %s: %w", arn, err)
			}
			if r.taggedOurs(tags.Tags) {
				arns = append(arns, arn)
			}
		}
	}
	return arns, nil
}

func (r *Certificate) taggedOurs(tags []acmtypes.Tag) bool {
	found := 0
	for _, kv := range r.berthTags() {
		for _, t := range tags {
			if aws.ToString(t.Key) == kv.Key && aws.ToString(t.Value) == kv.Value {
				found++
			}
		}
	}
	return found == len(r.berthTags())
}

func (r *Certificate) Diff(_ *engine.Inputs, actual *engine.Observed) ([]engine.FieldChange, engine.Action) {
	if r.ARN != "" {
		return nil, engine.NoOp // Observe already checked it is usable
	}
	changes := engine.NewChanges(actual)
	state := &certificateState{}
	if actual != nil {
		state = actual.State.(*certificateState)
	}
	// A new domain or key is a new certificate, requested before the
	// listener moves to it: the old one is in use until then, so the
	// listener deletes it after the move rather than this resource first.
	changes.Field("domain", state.domain, r.Domain)
	if r.KeyAlgorithm != "" {
		changes.Field("key_algorithm", state.keyAlgorithm, r.KeyAlgorithm)
	}
	r.replacing = actual != nil && r.supersedes(state)
	if r.replacing {
		changes.Field("replaced_certificate", state.arn, "deleted once the listener serves the new one")
	}
	changes.Field("validation_method", state.method, string(acmtypes.ValidationMethodDns))
	settled := state.status == "" || state.status == string(acmtypes.CertificateStatusIssued) || state.status == string(acmtypes.CertificateStatusPendingValidation)
	if settled {
		changes.Field("status", state.status, string(acmtypes.CertificateStatusIssued))
	} else {
		changes.ForceNew("status", state.status, string(acmtypes.CertificateStatusIssued))
	}
	if len(state.leftovers) > 0 {
		changes.Field("leftover_certificates", strings.Join(state.leftovers, ","), "deleted")
	}
	return changes.Result()
}

// supersedes says whether the certificate that exists is not the one
// wanted any more.
func (r *Certificate) supersedes(state *certificateState) bool {
	return state.domain != r.Domain || (r.KeyAlgorithm != "" && state.keyAlgorithm != r.KeyAlgorithm)
}

// OutputsChangedByUpdate implements engine.OutputsChangedByUpdate: a new
// domain or key is a new certificate ARN for the listener, and the old one
// to delete; waiting for issue or deleting leftovers changes nothing it
// sees. The plan calls it right after Diff, which records which of the
// two the update is.
func (r *Certificate) OutputsChangedByUpdate() []string {
	if r.replacing {
		return []string{"arn", "domain", "replaced"}
	}
	return nil
}

func (r *Certificate) Apply(ctx context.Context, c *engine.Clients, _ *engine.Inputs, actual *engine.Observed) (engine.Outputs, error) {
	if r.ARN != "" {
		return engine.Outputs{"arn": r.ARN}, nil
	}
	state := &certificateState{}
	if actual != nil {
		state = actual.State.(*certificateState)
	}
	arn := state.arn
	replaced := slices.Clone(state.inUse)
	if arn == "" || r.supersedes(state) {
		out, err := c.ACM.RequestCertificate(ctx, &acm.RequestCertificateInput{
			DomainName: aws.String(r.Domain), ValidationMethod: acmtypes.ValidationMethodDns,
			KeyAlgorithm:     acmtypes.KeyAlgorithm(r.KeyAlgorithm),
			IdempotencyToken: aws.String(r.idempotencyToken()), Tags: r.acmTags(),
		})
		if err != nil {
			return nil, fmt.Errorf("request certificate for %s: %w", r.Domain, err)
		}
		arn = aws.ToString(out.CertificateArn)
		if state.arn != "" {
			replaced = append(replaced, state.arn) // the listener still uses it
		}
	}
	if err := r.waitIssued(ctx, c, arn); err != nil {
		return nil, err
	}
	for _, old := range state.leftovers {
		if err := DeleteCertificate(ctx, c, old); err != nil {
			return nil, err
		}
	}
	return certificateOutputs(arn, r.Domain, replaced), nil
}

// idempotencyToken names the request, so that an apply retried after a
// lost answer gets the same certificate instead of a second one (ACM keeps
// a token for an hour).
func (r *Certificate) idempotencyToken() string {
	sum := sha256.Sum256([]byte(r.Stack + "\x00" + string(r.Address) + "\x00" + r.Domain + "\x00" + r.KeyAlgorithm))
	return "berth" + hex.EncodeToString(sum[:])[:27]
}

// waitIssued prints the DNS records that validate the certificate, once
// ACM has published them, and waits with the SDK's waiter until it is
// ISSUED.
func (r *Certificate) waitIssued(ctx context.Context, c *engine.Clients, arn string) error {
	var detail *acmtypes.CertificateDetail
	err := waitUntil(ctx, validationRecordsTimeout, "validation records of "+r.Domain, func() (bool, string, error) {
		d, err := describeCertificate(ctx, c, arn)
		if err != nil {
			return false, "", err
		}
		if d == nil {
			return false, "", fmt.Errorf("certificate %s vanished", arn)
		}
		detail = d
		if d.Status == acmtypes.CertificateStatusIssued {
			return true, "", nil
		}
		if len(d.DomainValidationOptions) == 0 || slices.ContainsFunc(d.DomainValidationOptions, func(o acmtypes.DomainValidation) bool { return o.ResourceRecord == nil }) {
			return false, "not published yet", nil
		}
		return true, "", nil
	})
	if err != nil {
		return err
	}
	if detail.Status == acmtypes.CertificateStatusIssued {
		return nil
	}
	for _, o := range detail.DomainValidationOptions {
		rec := o.ResourceRecord
		engine.Progress(ctx, "to validate %s, create this DNS record: %s %s %s", aws.ToString(o.DomainName), aws.ToString(rec.Name), rec.Type, aws.ToString(rec.Value))
	}
	engine.Progress(ctx, "waiting until ACM has validated %s and issued its certificate (up to %s)", r.Domain, validationTimeout)
	waiter := acm.NewCertificateValidatedWaiter(c.ACM, func(o *acm.CertificateValidatedWaiterOptions) {
		// The waiter's own 60 s minimum suits AWS, where validation takes
		// minutes; the local cloud issues within a second or two.
		o.MinDelay, o.MaxDelay = time.Second, 30*time.Second
	})
	if err := waiter.Wait(ctx, &acm.DescribeCertificateInput{CertificateArn: aws.String(arn)}, validationTimeout); err != nil {
		return fmt.Errorf("certificate %s for %s was not issued (are the DNS records in place?): %w", arn, r.Domain, err)
	}
	return nil
}

func (r *Certificate) Delete(ctx context.Context, c *engine.Clients, actual *engine.Observed) error {
	if r.ARN != "" {
		return errors.New("a certificate given by ARN is not berth's to delete")
	}
	state := actual.State.(*certificateState)
	for _, arn := range append(append([]string{state.arn}, state.inUse...), state.leftovers...) {
		if err := DeleteCertificate(ctx, c, arn); err != nil {
			return err
		}
	}
	return nil
}

// retireTimeout bounds how long a listener waits for ACM to see that it let
// go of a certificate (InUseBy lags ModifyListener): longer, and the
// certificate is in use elsewhere.
const retireTimeout = 5 * time.Minute

// retireCertificate deletes a certificate a listener moved off. One that
// stays in use (another load balancer took it) is left, not an error:
// Observe finds it again, and a later deploy or destroy deletes it.
func retireCertificate(ctx context.Context, c *engine.Clients, arn string) error {
	err := deleteCertificateWithin(ctx, c, arn, retireTimeout)
	if hasCode(err, "ResourceInUseException") {
		engine.Progress(ctx, "certificate %s is still in use after %s, left for a later deploy: %v", arn, retireTimeout, err)
		return nil
	}
	return err
}

// DeleteCertificate retries while ACM still counts a deleted listener as a
// user: InUseBy lags the listener's deletion.
func DeleteCertificate(ctx context.Context, c *engine.Clients, arn string) error {
	return deleteCertificateWithin(ctx, c, arn, dependencyTimeout)
}

func deleteCertificateWithin(ctx context.Context, c *engine.Clients, arn string, timeout time.Duration) error {
	err := retryWhile(ctx, timeout, "delete certificate "+arn, func(err error) bool {
		return hasCode(err, "ResourceInUseException")
	}, func() error {
		_, err := c.ACM.DeleteCertificate(ctx, &acm.DeleteCertificateInput{CertificateArn: aws.String(arn)})
		return err
	})
	if err != nil && !hasCode(err, "ResourceNotFoundException") {
		return err
	}
	return nil
}

func (m Meta) acmTags() []acmtypes.Tag {
	var tags []acmtypes.Tag
	for _, kv := range m.tags() {
		tags = append(tags, acmtypes.Tag{Key: aws.String(kv.Key), Value: aws.String(kv.Value)})
	}
	return tags
}
