package ecr

import (
	"context"
	"encoding/base64"
	"errors"
	"github.com/berthdev/berth/internal/localcloud/service/ecr/wire"
	"strings"
	"time"

	"github.com/berthdev/berth/internal/localcloud/protocol/awsjson"
	"github.com/berthdev/berth/internal/localcloud/store"
)

// tokenLifetime is how long an authorization token is valid: 12 hours, as
// AWS's are.
const tokenLifetime = 12 * time.Hour

type token struct {
	ExpiresAt awsjson.Time `json:"expiresAt"`
}

// getAuthorizationToken issues a Docker login, base64("AWS:<password>"),
// for each registry asked for (the caller's by default). The password is
// random and remembered until it expires, so the local registry can check
// it (ValidToken).
func (b *Backend) getAuthorizationToken(ctx context.Context, in *wire.GetAuthorizationTokenRequest) (*wire.GetAuthorizationTokenResponse, error) {
	out := &wire.GetAuthorizationTokenResponse{AuthorizationData: []wire.AuthorizationData{}}
	now := b.clock()
	expires := awsjson.NewTime(now.Add(tokenLifetime))
	err := b.store.Update(ctx, func(tx *store.Tx) error {
		if err := dropExpiredTokens(tx, now); err != nil {
			return err
		}
		scope := tx.Scope()
		registries := in.RegistryIds
		if len(registries) == 0 {
			registries = []string{scope.Account}
		}
		for _, registry := range registries {
			// The password names the scope it was issued in (TokenScope):
			// the local registry's host, 127.0.0.1:<port>, does not.
			password := scope.Account + "." + scope.Region + "." + store.RandomHex(64)
			if err := tx.Put(tableTokens, password, token{ExpiresAt: expires}); err != nil {
				return err
			}
			registryScope := store.Scope{Account: registry, Region: scope.Region}
			out.AuthorizationData = append(out.AuthorizationData, wire.AuthorizationData{
				AuthorizationToken: base64.StdEncoding.EncodeToString([]byte("AWS:" + password)),
				ExpiresAt:          stamp(expires),
				ProxyEndpoint:      b.proxyScheme() + b.host(registryScope),
			})
		}
		return nil
	})
	return out, err
}

func dropExpiredTokens(tx *store.Tx, now time.Time) error {
	tokens, err := store.Keys(tx, tableTokens)
	if err != nil {
		return err
	}
	for _, k := range tokens {
		t, err := store.Get[token](tx, tableTokens, k)
		if err != nil {
			return err
		}
		if !t.ExpiresAt.Time().After(now) {
			if err := tx.Delete(tableTokens, k); err != nil {
				return err
			}
		}
	}
	return nil
}

// ValidToken reports whether password was issued by GetAuthorizationToken
// in the scope ctx carries and has not expired.
func (b *Backend) ValidToken(ctx context.Context, password string) (bool, error) {
	valid := false
	err := b.store.View(ctx, func(tx *store.Tx) error {
		t, err := store.Get[token](tx, tableTokens, password)
		valid = t != nil && t.ExpiresAt.Time().After(b.now())
		return err
	})
	return valid, err
}

// passwordOf is the password of an authorization token, base64("AWS:<password>").
func passwordOf(token string) (string, error) {
	raw, err := base64.StdEncoding.DecodeString(token)
	if err != nil {
		return "", err
	}
	_, password, ok := strings.Cut(string(raw), ":")
	if !ok {
		return "", errors.New("authorization token is not user:password")
	}
	return password, nil
}

// proxyScheme is AWS's https, or http for the local registry, which serves
// plain HTTP on 127.0.0.1 (see RegistryHost).
func (b *Backend) proxyScheme() string {
	if b.RegistryHost != nil && b.RegistryHost("", "") != "" {
		return "http://"
	}
	return "https://"
}
