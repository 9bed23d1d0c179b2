// Package paging is the one pagination of the local cloud: every service's
// List*/Describe* cuts its pages here, whatever its wire calls the token
// (NextToken, nextToken, Marker, NextMarker) and the page size (MaxResults,
// maxResults, MaxRecords, MaxItems, PageSize, limit).
//
// Items are paged in the order of a key the caller names (usually the
// resource's name or id). A token carries the last key returned, not an
// offset, so a listing stays right when items come and go between pages,
// and it is opaque to clients. A token that was not made here is refused
// rather than silently restarting the listing, which would make clients
// loop forever.
package paging

import (
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// ErrBadToken is returned for a token this package did not make; each
// service answers it with its own error code.
var ErrBadToken = errors.New("invalid pagination token")

const tokenPrefix = "berth1:"

// Page returns the page of items that follows token: at most limit items
// (all when limit <= 0), ordered by key, and the token of the next page,
// "" on the last one. items is sorted in place.
func Page[T any](items []T, key func(T) string, token string, limit int) (page []T, next string, err error) {
	slices.SortStableFunc(items, func(a, b T) int { return strings.Compare(key(a), key(b)) })
	start := 0
	if token != "" {
		after, ok := decode(token)
		if !ok {
			return nil, "", ErrBadToken
		}
		start, _ = slices.BinarySearchFunc(items, after, func(item T, k string) int {
			if key(item) <= k {
				return -1
			}
			return 1
		})
	}
	end := len(items)
	if limit > 0 {
		end = min(start+limit, len(items))
	}
	page = items[start:end]
	if page == nil {
		page = []T{}
	}
	if end < len(items) && len(page) > 0 {
		next = encode(key(page[len(page)-1]))
	}
	return page, next, nil
}

// PageInOrder is Page for items already in their final order (rules by
// priority, task definitions newest first): each item's key is its
// position, so the order given is kept across pages.
func PageInOrder[T any](items []T, token string, limit int) (page []T, next string, err error) {
	positions := make([]int, len(items))
	for i := range positions {
		positions[i] = i
	}
	cut, next, err := Page(positions, func(i int) string { return fmt.Sprintf("%010d", i) }, token, limit)
	if err != nil {
		return nil, "", err
	}
	page = make([]T, len(cut))
	for i, at := range cut {
		page[i] = items[at]
	}
	return page, next, nil
}

// Size is the page size a request asks for: def when it names none, an
// error (a *RangeError) when it names one outside [lo, hi], which the
// caller turns into its service's validation error.
func Size[N ~int | ~int32 | ~int64](requested *N, def, lo, hi int) (int, error) {
	if requested == nil {
		return def, nil
	}
	n := int(*requested)
	if n < lo || n > hi {
		return 0, &RangeError{Value: n, Min: lo, Max: hi}
	}
	return n, nil
}

// RangeError is a page size outside what the service accepts.
type RangeError struct{ Value, Min, Max int }

func (e *RangeError) Error() string {
	return "page size must be between " + strconv.Itoa(e.Min) + " and " + strconv.Itoa(e.Max)
}

func encode(key string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(tokenPrefix + key))
}

func decode(token string) (string, bool) {
	raw, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil || !strings.HasPrefix(string(raw), tokenPrefix) {
		return "", false
	}
	return strings.TrimPrefix(string(raw), tokenPrefix), true
}
