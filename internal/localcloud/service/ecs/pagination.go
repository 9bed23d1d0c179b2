package ecs

import (
	"encoding/base64"
	"strconv"
	"strings"
)

// tokenPrefix marks our page tokens so a token from elsewhere is rejected
// instead of silently restarting the listing.
const tokenPrefix = "berth-ecs:"

// page cuts one page out of items (already in their final order). maxResults
// nil means defaultMax; ECS accepts 1–100.
func page[T any](items []T, nextToken string, maxResults *int32, defaultMax int) ([]T, string, error) {
	limit := defaultMax
	if maxResults != nil {
		if *maxResults < 1 || *maxResults > 100 {
			return nil, "", errInvalidParameter("maxResults must be between 1 and 100.")
		}
		limit = int(*maxResults)
	}
	start := 0
	if nextToken != "" {
		raw, err := base64.RawURLEncoding.DecodeString(nextToken)
		if err != nil || !strings.HasPrefix(string(raw), tokenPrefix) {
			return nil, "", errInvalidParameter("Invalid nextToken.")
		}
		n, err := strconv.Atoi(strings.TrimPrefix(string(raw), tokenPrefix))
		if err != nil || n < 0 {
			return nil, "", errInvalidParameter("Invalid nextToken.")
		}
		start = min(n, len(items))
	}
	end := min(start+limit, len(items))
	out := items[start:end]
	if out == nil {
		out = []T{}
	}
	if end >= len(items) {
		return out, "", nil
	}
	return out, base64.RawURLEncoding.EncodeToString([]byte(tokenPrefix + strconv.Itoa(end))), nil
}
