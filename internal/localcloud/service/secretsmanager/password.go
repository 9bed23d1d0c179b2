package secretsmanager

import (
	"context"
	"crypto/rand"
	"math/big"
	"strings"
)

const (
	lowercase   = "abcdefghijklmnopqrstuvwxyz"
	uppercase   = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	digits      = "0123456789"
	punctuation = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"

	defaultPasswordLength = 32
)

type randomPasswordInput struct {
	PasswordLength          *int64 `json:"PasswordLength"`
	ExcludeCharacters       string `json:"ExcludeCharacters"`
	ExcludeNumbers          bool   `json:"ExcludeNumbers"`
	ExcludePunctuation      bool   `json:"ExcludePunctuation"`
	ExcludeUppercase        bool   `json:"ExcludeUppercase"`
	ExcludeLowercase        bool   `json:"ExcludeLowercase"`
	IncludeSpace            bool   `json:"IncludeSpace"`
	RequireEachIncludedType *bool  `json:"RequireEachIncludedType"`
}

type randomPasswordOutput struct {
	RandomPassword string `json:"RandomPassword"`
}

// getRandomPassword draws a password from crypto/rand with the character
// classes asked for; by default one of each class is in it.
func (b *Backend) getRandomPassword(_ context.Context, in *randomPasswordInput) (*randomPasswordOutput, error) {
	length := int64(defaultPasswordLength)
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
	}{{lowercase, in.ExcludeLowercase}, {uppercase, in.ExcludeUppercase}, {digits, in.ExcludeNumbers}, {punctuation, in.ExcludePunctuation}, {" ", !in.IncludeSpace}} {
		if set := keep(c.set); !c.excluded && set != "" {
			classes = append(classes, set)
		}
	}
	if len(classes) == 0 {
		return nil, errInvalidParameter("The password cannot be generated: every character type is excluded.")
	}
	requireEach := in.RequireEachIncludedType == nil || *in.RequireEachIncludedType
	if requireEach && length < int64(len(classes)) {
		return nil, errInvalidParameter("Password length is too short based on the required types.")
	}
	all := strings.Join(classes, "")
	password := make([]byte, 0, length)
	if requireEach {
		for _, set := range classes {
			password = append(password, set[randomIndex(len(set))])
		}
	}
	for int64(len(password)) < length {
		password = append(password, all[randomIndex(len(all))])
	}
	// Shuffle, so the required characters are not always first.
	for i := len(password) - 1; i > 0; i-- {
		j := randomIndex(i + 1)
		password[i], password[j] = password[j], password[i]
	}
	return &randomPasswordOutput{RandomPassword: string(password)}, nil
}

func randomIndex(n int) int {
	i, err := rand.Int(rand.Reader, big.NewInt(int64(n)))
	if err != nil {
		return 0 // crypto/rand does not fail
	}
	return int(i.Int64())
}
