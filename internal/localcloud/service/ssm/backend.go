// Package ssm is the local cloud's Systems Manager Parameter Store:
// parameters with versions, labels and tags, kept in the store (per account
// and region, as all state),
// and the public parameters AWS publishes in every region (the
// ECS-optimized AMI), which exist without creation and cannot be changed.
package ssm

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"strings"
	"time"

	"github.com/berthdev/berth/internal/localcloud/protocol"
	"github.com/berthdev/berth/internal/localcloud/protocol/awsjson"
	"github.com/berthdev/berth/internal/localcloud/service/paging"
	"github.com/berthdev/berth/internal/localcloud/store"
)

const tableParameters = "ssm/parameters" // by name

// Backend holds Parameter Store's state in the store and its rules.
type Backend struct {
	store *store.Store
	now   func() time.Time
}

// New returns the service's backend over st.
func New(st *store.Store) *Backend {
	return &Backend{store: st, now: time.Now}
}

// Service returns SSM's operation table for the router.
func (b *Backend) Service() *protocol.Service {
	return &protocol.Service{
		SigningName:  "ssm",
		TargetPrefix: "AmazonSSM",
		Codec:        awsjson.Codec{},
		Operations: []protocol.Operation{
			protocol.Op("PutParameter", b.putParameter),
			protocol.Op("GetParameter", b.getParameter),
			protocol.Op("GetParameters", b.getParameters),
			protocol.Op("GetParametersByPath", b.getParametersByPath),
			protocol.Op("DeleteParameter", b.deleteParameter),
			protocol.Op("DeleteParameters", b.deleteParameters),
			protocol.Op("DescribeParameters", b.describeParameters),
			protocol.Op("GetParameterHistory", b.getParameterHistory),
			protocol.Op("LabelParameterVersion", b.labelParameterVersion),
			protocol.Op("UnlabelParameterVersion", b.unlabelParameterVersion),
			protocol.Op("AddTagsToResource", b.addTagsToResource),
			protocol.Op("RemoveTagsFromResource", b.removeTagsFromResource),
			protocol.Op("ListTagsForResource", b.listTagsForResource),
		},
	}
}

// Parameter is a stored parameter: its history, newest last, is the whole
// state; the current value is the last version.
type Parameter struct {
	Name     string             `json:"name"`
	Tags     []Tag              `json:"tags,omitempty"`
	Versions []ParameterVersion `json:"versions"`
	// Public marks the parameters AWS publishes; they are never stored.
	Public bool `json:"-"`
}

// ParameterVersion is one version of a parameter.
type ParameterVersion struct {
	Version          int64     `json:"version"`
	Value            string    `json:"value"`
	Type             string    `json:"type"`
	DataType         string    `json:"dataType"`
	Tier             string    `json:"tier"`
	Description      string    `json:"description,omitempty"`
	AllowedPattern   string    `json:"allowedPattern,omitempty"`
	KeyID            string    `json:"keyId,omitempty"`
	Labels           []string  `json:"labels,omitempty"`
	LastModifiedDate time.Time `json:"lastModifiedDate"`
}

// Current returns the parameter's latest version.
func (p *Parameter) Current() *ParameterVersion { return &p.Versions[len(p.Versions)-1] }

func (p *Parameter) version(n int64) *ParameterVersion {
	for i := range p.Versions {
		if p.Versions[i].Version == n {
			return &p.Versions[i]
		}
	}
	return nil
}

// ARN returns the parameter's ARN in scope; public parameters carry no
// account.
func (p *Parameter) ARN(scope store.Scope) string {
	if p.Public {
		scope.Account = ""
	}
	return scope.ARN("ssm", "parameter/"+strings.TrimPrefix(p.Name, "/"))
}

// ParameterValue returns the decrypted current value of a parameter (a
// name or an ARN, public parameters included), for controllers that resolve
// task secrets; a missing parameter is SSM's ParameterNotFound error.
func (b *Backend) ParameterValue(ctx context.Context, nameOrARN string) (string, error) {
	var value string
	err := b.store.View(ctx, func(tx *store.Tx) error {
		p, err := loadParameter(tx, nameFromARN(nameOrARN))
		if err != nil {
			return err
		}
		value = p.Current().Value
		return nil
	})
	return value, err
}

// loadParameter returns a public or stored parameter, or ParameterNotFound.
func loadParameter(tx *store.Tx, name string) (*Parameter, error) {
	if p, ok := publicParameter(tx.Scope().Region, name); ok {
		return p, nil
	}
	p, err := store.Get[Parameter](tx, tableParameters, name)
	if err != nil {
		return nil, err
	}
	if p == nil {
		return nil, errParameterNotFound(name)
	}
	return p, nil
}

// storedParameters returns the stored parameters, sorted by name (their
// key).
func storedParameters(tx *store.Tx) ([]*Parameter, error) {
	return store.List[Parameter](tx, tableParameters)
}

// nameFromARN accepts a parameter name or its ARN.
func nameFromARN(s string) string {
	if !strings.HasPrefix(s, "arn:") {
		return s
	}
	_, rest, ok := strings.Cut(s, ":parameter")
	if !ok {
		return s
	}
	if strings.HasPrefix(rest, "/") && strings.Count(rest, "/") == 1 {
		return rest[1:] // a top-level name without a leading slash
	}
	return rest
}

// displayValue is what a read returns: SecureString values stay opaque
// unless decryption is asked for.
func displayValue(v *ParameterVersion, withDecryption bool) string {
	if v.Type != "SecureString" || withDecryption {
		return v.Value
	}
	sum := sha256.Sum256([]byte(v.KeyID + "\x00" + v.Value))
	return "AQICAH" + base64.StdEncoding.EncodeToString(sum[:])
}

// paginate pages items by name (or version) with the shared paging; a
// token this cloud did not hand out is InvalidNextToken, as on AWS.
func paginate[T any](items []T, name func(T) string, token string, limit int) ([]T, string, error) {
	page, next, err := paging.Page(items, name, token, limit)
	if err != nil {
		return nil, "", errInvalidNextToken()
	}
	return page, next, nil
}

func maxResults(n *int32, max int32) (int, error) {
	if n == nil {
		return int(max), nil
	}
	if *n < 1 || *n > max {
		return 0, errConstraint(*n, "maxResults", "Member must have value between 1 and "+itoa(int64(max)))
	}
	return int(*n), nil
}
