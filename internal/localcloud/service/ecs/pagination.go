package ecs

import (
	"errors"

	"github.com/berthdev/berth/internal/localcloud/service/paging"
)

// page cuts one page out of items with the local cloud's one paginator,
// answering its errors as ECS does. key orders the items and is what a token
// remembers; nil keeps items in the order given (a listing sorted some other
// way than by a unique string, such as task definitions newest first).
// maxResults nil means defaultMax; ECS accepts 1–100.
func page[T any](items []T, key func(T) string, nextToken string, maxResults *int, defaultMax int) ([]T, string, error) {
	limit, err := paging.Size(maxResults, defaultMax, 1, 100)
	if err != nil {
		return nil, "", errInvalidParameter("maxResults must be between 1 and 100.")
	}
	var cut []T
	var next string
	if key != nil {
		cut, next, err = paging.Page(items, key, nextToken, limit)
	} else {
		cut, next, err = paging.PageInOrder(items, nextToken, limit)
	}
	if errors.Is(err, paging.ErrBadToken) {
		return nil, "", errInvalidParameter("Invalid nextToken.")
	}
	return cut, next, err
}

func identity(s string) string { return s }
