package ssm

import (
	"github.com/berthdev/berth/internal/localcloud/protocol/awsjson"
	"github.com/berthdev/berth/internal/localcloud/service/ssm/wire"
)

// Parameters keep their own record type; their tags and the filters
// requests carry are the wire shapes generated from AWS's model.
type (
	Tag          = wire.Tag
	stringFilter = wire.ParameterStringFilter
)

func num(v int64) *int { n := int(v); return &n }

func stamp(t awsjson.Time) *awsjson.Time { return &t }

func int32Ptr(p *int) *int32 {
	if p == nil {
		return nil
	}
	v := int32(*p)
	return &v
}

func isSet(p *bool) bool { return p != nil && *p }

// noPolicies is the Policies member of a parameter without any.
func noPolicies() []wire.ParameterInlinePolicy { return []wire.ParameterInlinePolicy{} }

// orEmpty turns a nil list into an empty one, for members AWS always sends.
func orEmpty[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
