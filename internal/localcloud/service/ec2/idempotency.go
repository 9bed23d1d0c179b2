package ec2

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"

	"github.com/berthdev/berth/internal/localcloud/store"
)

// clientToken records what a ClientToken first created, so a retry with the
// same token returns it instead of creating another.
type clientToken struct {
	ParamsHash string
	ResultID   string
}

func paramsHash(params any) (string, error) {
	data, err := json.Marshal(params)
	if err != nil {
		return "", fmt.Errorf("hashing request parameters: %w", err)
	}
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:]), nil
}

// replay returns the id a token already created ("" when the token is new
// or empty); the same token with other parameters is a mismatch.
func (b *Backend) replay(tx *store.Tx, operation, token string, params any) (string, error) {
	if token == "" {
		return "", nil
	}
	prior, err := store.Get[clientToken](tx, tableClientTokens, operation+"/"+token)
	if err != nil || prior == nil {
		return "", err
	}
	hash, err := paramsHash(params)
	if err != nil {
		return "", err
	}
	if hash != prior.ParamsHash {
		return "", errorf(codeIdempotentMismatch, "Client token %s was already used with different parameters", token)
	}
	return prior.ResultID, nil
}

// remember records what a token created.
func (b *Backend) remember(tx *store.Tx, operation, token string, params any, resultID string) error {
	if token == "" {
		return nil
	}
	hash, err := paramsHash(params)
	if err != nil {
		return err
	}
	return tx.Put(tableClientTokens, operation+"/"+token, clientToken{ParamsHash: hash, ResultID: resultID})
}
