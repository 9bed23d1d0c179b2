package sts

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/berthdev/berth/internal/localcloud/protocol"
)

type jwtClaims struct {
	issuer, subject, audience string
}

func errInvalidToken(format string, args ...any) *protocol.Error {
	return protocol.Errorf("InvalidIdentityToken", format, args...)
}

// webIdentityClaims reads the claims of an OpenID Connect ID token (a
// JWT). The signature is NOT verified: the local cloud trusts no identity
// provider's keys and has none to fetch (it has no network), and it
// authorizes every call anyway. It checks what can be checked without the
// keys: the token's form, its subject and audience, and its expiry.
func webIdentityClaims(token string, now time.Time) (*jwtClaims, error) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return nil, errInvalidToken("Couldn't parse the web identity token: it is not a JWT (three base64url parts separated by dots).")
	}
	payload, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil {
		return nil, errInvalidToken("Couldn't parse the web identity token: its payload is not base64url.")
	}
	var raw struct {
		Iss string          `json:"iss"`
		Sub string          `json:"sub"`
		Aud json.RawMessage `json:"aud"`
		Azp string          `json:"azp"`
		Exp *json.Number    `json:"exp"`
	}
	if err := json.Unmarshal(payload, &raw); err != nil {
		return nil, errInvalidToken("Couldn't parse the web identity token: its payload is not a JSON object.")
	}
	audience, err := firstAudience(raw.Aud)
	if err != nil {
		return nil, errInvalidToken("Couldn't parse the web identity token: %v.", err)
	}
	if audience == "" {
		audience = raw.Azp
	}
	if raw.Sub == "" {
		return nil, errInvalidToken("The web identity token has no sub claim.")
	}
	if raw.Exp != nil {
		exp, err := raw.Exp.Float64()
		if err != nil {
			return nil, errInvalidToken("Couldn't parse the web identity token: exp is not a number.")
		}
		if float64(now.Unix()) >= exp {
			return nil, protocol.Errorf("ExpiredTokenException", "Token expired: current date/time %d must be before the expiration date/time %d", now.Unix(), int64(exp))
		}
	}
	return &jwtClaims{issuer: raw.Iss, subject: raw.Sub, audience: audience}, nil
}

// firstAudience reads aud, a string or an array of them.
func firstAudience(aud json.RawMessage) (string, error) {
	if len(aud) == 0 {
		return "", nil
	}
	var one string
	if json.Unmarshal(aud, &one) == nil {
		return one, nil
	}
	var many []string
	if err := json.Unmarshal(aud, &many); err != nil {
		return "", errors.New("aud is neither a string nor a list of strings")
	}
	if len(many) == 0 {
		return "", nil
	}
	return many[0], nil
}
