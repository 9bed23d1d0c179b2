package stack

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"regexp"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/acm"

	"github.com/berthdev/berth/internal/engine"
	"github.com/berthdev/berth/internal/localcloud/localcloudtest"
)

// Changing the key algorithm in berth.yaml replaces the certificate without
// dropping the listener: ACM issues the new one, the listener moves to it,
// the old one is deleted, all in one deploy, and clients handshaking all
// along are served every time. Local cloud only: moto ignores
// RequestCertificate's KeyAlgorithm and issues RSA 2048 whatever is asked,
// so a plan against it could never settle on an ECDSA key.
func TestNewKeyAlgorithmReplacesTheCertificateWithoutDroppingTheListener(t *testing.T) {
	ctx := context.Background()
	endpoint := servingCloud(t)
	cfg := newCloud(t, func(testing.TB) string { return endpoint })
	cfg.Region = "eu-west-1"
	publishAMIParameter(t, cfg)
	s := tlsScalingSpec("tls-rekeyed")
	s.Region = "eu-west-1"
	s.Service.Autoscaling = nil
	s.LoadBalancer.HTTPS.Domain = "shop.example.org"
	s.LoadBalancer.HTTPS.KeyAlgorithm = "RSA_2048"

	p, err := Plan(ctx, cfg, s)
	if err != nil {
		t.Fatal(err)
	}
	first := apply(t, cfg, p).CertificateARN
	certificates := acm.NewFromConfig(cfg)
	described, err := certificates.DescribeCertificate(ctx, &acm.DescribeCertificateInput{CertificateArn: aws.String(first)})
	if err != nil || described.Certificate.KeyAlgorithm != "RSA-2048" {
		t.Fatalf("the first certificate: %v, key %v", err, described)
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM([]byte(get(t, endpoint+"/_berth/ca.pem"))) {
		t.Fatal("the local CA's root does not parse")
	}
	address := listenerAddress(t, endpoint, aws.ToString(listenerOn(t, cfg, s, 443).ListenerArn))
	client := &tls.Config{ServerName: "shop.example.org", RootCAs: roots, NextProtos: []string{"http/1.1"}}
	served := func() (any, error) {
		conn, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", address, client)
		if err != nil {
			return nil, err
		}
		defer conn.Close()
		return conn.ConnectionState().PeerCertificates[0].PublicKey, nil
	}
	if key, err := served(); err != nil {
		t.Fatalf("handshake with the RSA certificate: %v", err)
	} else if _, ok := key.(*rsa.PublicKey); !ok {
		t.Fatalf("the listener serves a %T key, want RSA", key)
	}

	s.LoadBalancer.HTTPS.KeyAlgorithm = "EC_prime256v1"
	rekey, err := Plan(ctx, cfg, s)
	if err != nil {
		t.Fatal(err)
	}
	got := renderPlan(t, rekey)
	for _, want := range []string{
		`~ acm\.certificate/https`,
		`key_algorithm:\s+RSA_2048 → EC_prime256v1`,
		`replaced_certificate:\s+\S+` + regexp.QuoteMeta(first[len(first)-36:]) + ` → deleted once the listener serves the new one`,
		`~ elbv2\.listener/https\n\s+certificate:\s+\S+ → \(known after apply\)`,
		`Plan: 0 to create, 2 to update, 0 to replace, 0 to delete\.`,
	} {
		if !regexp.MustCompile(want).MatchString(got) {
			t.Fatalf("the new key planned, want %s:\n%s", want, got)
		}
	}

	// Clients handshake, one after the other, for as long as the deploy
	// runs: none may fail.
	var handshakes, failures atomic.Int64
	var firstFailure atomic.Value
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			if _, err := served(); err != nil {
				failures.Add(1)
				firstFailure.CompareAndSwap(nil, err.Error())
			}
			handshakes.Add(1)
		}
	}()
	second := apply(t, cfg, rekey).CertificateARN
	close(stop)
	wg.Wait()
	if failures.Load() > 0 || handshakes.Load() == 0 {
		t.Errorf("%d of %d handshakes during the deploy failed (first: %v)", failures.Load(), handshakes.Load(), firstFailure.Load())
	}

	if second == "" || second == first {
		t.Fatalf("certificate after the new key %q, before %q", second, first)
	}
	described, err = certificates.DescribeCertificate(ctx, &acm.DescribeCertificateInput{CertificateArn: aws.String(second)})
	if err != nil || described.Certificate.KeyAlgorithm != "EC-prime256v1" {
		t.Fatalf("the new certificate: %v, key %v", err, described)
	}
	if got := aws.ToString(listenerOn(t, cfg, s, 443).Certificates[0].CertificateArn); got != second {
		t.Errorf("the listener's certificate is %s, want %s", got, second)
	}
	// The data plane serves it once the listener's configuration reached
	// it.
	localcloudtest.Eventually(t, "the listener to serve the ECDSA certificate", func() bool {
		key, err := served()
		ec, ok := key.(*ecdsa.PublicKey)
		return err == nil && ok && ec.Curve == elliptic.P256()
	})
	if _, err := certificates.DescribeCertificate(ctx, &acm.DescribeCertificateInput{CertificateArn: aws.String(first)}); !engine.HasCode(err, "ResourceNotFoundException") {
		t.Errorf("the RSA certificate after the deploy: %v, want it deleted", err)
	}
	if n := certificatesOf(t, cfg, s.Name); n != 1 {
		t.Errorf("%d certificates of the stack, want 1", n)
	}
	if again, err := Plan(ctx, cfg, s); err != nil || !again.Empty() {
		t.Fatalf("plan after the new key: %v\n%s", err, renderPlan(t, again))
	}

	destroy, err := PlanDestroy(ctx, cfg, s)
	if err != nil {
		t.Fatal(err)
	}
	apply(t, cfg, destroy)
	assertNothingLeft(t, cfg, s.Name)
}

// listenerAddress asks the local cloud where a listener really listens.
func listenerAddress(t *testing.T, endpoint, listenerARN string) string {
	t.Helper()
	var address string
	localcloudtest.Eventually(t, "the listener to listen", func() bool {
		var reply struct {
			Listeners []struct {
				ListenerARN string `json:"listenerArn"`
				Address     string `json:"address"`
			} `json:"listeners"`
		}
		if err := json.Unmarshal([]byte(get(t, endpoint+"/_berth/listeners")), &reply); err != nil {
			t.Fatal(err)
		}
		for _, l := range reply.Listeners {
			if l.ListenerARN == listenerARN {
				address = l.Address
			}
		}
		return address != ""
	})
	return address
}

func get(t *testing.T, url string) string {
	t.Helper()
	response, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer response.Body.Close()
	body, err := io.ReadAll(response.Body)
	if err != nil || response.StatusCode != http.StatusOK {
		t.Fatal(fmt.Errorf("GET %s: %s %w", url, response.Status, err))
	}
	return string(body)
}
