package logs

import (
	"errors"
	"strconv"

	"github.com/berthdev/berth/internal/localcloud/service/paging"
)

// page cuts one page of items in the order of key with the local cloud's
// one pagination, and answers a token it did not make as CloudWatch Logs
// does.
func page[T any](items []T, key func(T) string, token string, limit int) ([]T, string, error) {
	cut, next, err := paging.Page(items, key, token, limit)
	if errors.Is(err, paging.ErrBadToken) {
		return nil, "", errInvalidParameter("The specified nextToken is invalid.")
	}
	return cut, next, err
}

func itoa[T ~int32 | ~int | ~int64](n T) string { return strconv.FormatInt(int64(n), 10) }
