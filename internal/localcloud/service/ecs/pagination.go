package ecs

import (
	"errors"
	"fmt"

	"github.com/berthdev/berth/internal/localcloud/service/paging"
)

// page cuts one page out of items with the local cloud's one paginator,
// answering its errors as ECS does. key orders the items and is what a token
// remembers; nil keeps items in the order given (a listing sorted some other
// way than by a unique string, such as task definitions newest first).
// maxResults nil means defaultMax; ECS accepts 1–100.
func page[T any](items []T, key func(T) string, nextToken string, maxResults *int32, defaultMax int) ([]T, string, error) {
	limit, err := paging.Size(maxResults, defaultMax, 1, 100)
	if err != nil {
		return nil, "", errInvalidParameter("maxResults must be between 1 and 100.")
	}
	type positioned struct {
		at   int
		item T
	}
	wrapped := make([]positioned, len(items))
	for i, item := range items {
		wrapped[i] = positioned{i, item}
	}
	keyOf := func(p positioned) string { return fmt.Sprintf("%010d", p.at) }
	if key != nil {
		keyOf = func(p positioned) string { return key(p.item) }
	}
	cut, next, err := paging.Page(wrapped, keyOf, nextToken, limit)
	if errors.Is(err, paging.ErrBadToken) {
		return nil, "", errInvalidParameter("Invalid nextToken.")
	}
	if err != nil {
		return nil, "", err
	}
	out := make([]T, len(cut))
	for i, p := range cut {
		out[i] = p.item
	}
	return out, next, nil
}

func identity(s string) string { return s }
