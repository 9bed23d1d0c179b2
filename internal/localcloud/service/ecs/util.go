package ecs

import (
	"strings"
	"time"

	"github.com/berthdev/berth/internal/localcloud/protocol/awsjson"
)

func isARN(ref string) bool { return strings.HasPrefix(ref, "arn:") }

func awsjsonTime(t time.Time) awsjson.Time { return awsjson.NewTime(t) }

// orEmpty turns a nil slice into an empty one, for members AWS always sends
// as a list.
func orEmpty[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
