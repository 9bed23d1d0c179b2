package logs

import (
	"encoding/base64"
	"strconv"
)

// paginateByName pages through items sorted by name: the token carries the
// last name returned, so pages stay correct when items come and go between
// calls. A token that does not decode starts over, as a stale one would.
func paginateByName[T any](items []T, name func(T) string, token string, limit int) (page []T, next string) {
	start := 0
	if after, err := base64.RawURLEncoding.DecodeString(token); err == nil && token != "" {
		for start < len(items) && name(items[start]) <= string(after) {
			start++
		}
	}
	end := min(start+limit, len(items))
	page = items[start:end]
	if end < len(items) && len(page) > 0 {
		next = base64.RawURLEncoding.EncodeToString([]byte(name(page[len(page)-1])))
	}
	return page, next
}

func itoa[T ~int32 | ~int | ~int64](n T) string { return strconv.FormatInt(int64(n), 10) }
