package secretsmanager

import (
	"context"
	"crypto/rand"
	"math/big"
	"strings"

	"github.com/berthdev/berth/internal/localcloud/service/secretsmanager/wire"
)

const (
	lowercase   = "abcdefghijklmnopqrstuvwxyz"
	uppercase   = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	digits      = "0123456789"
	punctuation = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"

	defaultPasswordLength = 32
)

// getRandomPassword draws a password from crypto/rand with the character
// classes asked for; by default one of each class is in it.
func (b *Backend) getRandomPassword(_ context.Context, in *wire.GetRandomPasswordRequest) (*wire.GetRandomPasswordResponse, error) {
	length := defaultPasswordLength
	if in.PasswordLength != nil {
		length = *in.PasswordLength
	}
	keep := func(set string) string {
		return strings.Map(func(r rune) rune {
			if strings.ContainsRune(in.ExcludeCharacters, r) {
				return -1
			}
			return r
		}, set)
	}
	var classes []string
	for _, c := range []struct {
		set      string
		excluded bool
	}{{lowercase, isSet(in.ExcludeLowercase)}, {uppercase, isSet(in.ExcludeUppercase)}, {digits, isSet(in.ExcludeNumbers)}, {punctuation, isSet(in.ExcludePunctuation)}, {" ", !isSet(in.IncludeSpace)}} {
		if set := keep(c.set); !c.excluded && set != "" {
			classes = append(classes, set)
		}
	}
	if len(classes) == 0 {
		return nil, errInvalidParameter("The password cannot be generated: every character type is excluded.")
	}
	requireEach := in.RequireEachIncludedType == nil || *in.RequireEachIncludedType
	if requireEach && length < len(classes) {
		return nil, errInvalidParameter("Password length is too short based on the required types.")
	}
	all := strings.Join(classes, "")
	password := make([]byte, 0, length)
	if requireEach {
		for _, set := range classes {
			password = append(password, set[randomIndex(len(set))])
		}
	}
	for len(password) < length {
		password = append(password, all[randomIndex(len(all))])
	}
	// Shuffle, so the required characters are not always first.
	for i := len(password) - 1; i > 0; i-- {
		j := randomIndex(i + 1)
		password[i], password[j] = password[j], password[i]
	}
	return &wire.GetRandomPasswordResponse{RandomPassword: string(password)}, nil
}

func randomIndex(n int) int {
	i, err := rand.Int(rand.Reader, big.NewInt(int64(n)))
	if err != nil {
		return 0 // crypto/rand does not fail
	}
	return int(i.Int64())
}
