package paging

import (
	"errors"
	"slices"
	"strconv"
	"testing"
)

func TestPagesCoverEveryItemOnceInKeyOrder(t *testing.T) {
	var items []string
	for i := 0; i < 23; i++ {
		items = append(items, "item-"+strconv.Itoa(100-i))
	}
	var seen []string
	token := ""
	for pages := 0; ; pages++ {
		if pages > 10 {
			t.Fatal("paging did not end")
		}
		page, next, err := Page(items, func(s string) string { return s }, token, 5)
		if err != nil {
			t.Fatal(err)
		}
		seen = append(seen, page...)
		if next == "" {
			break
		}
		token = next
	}
	want := slices.Clone(items)
	slices.Sort(want)
	if !slices.Equal(seen, want) {
		t.Fatalf("pages gave %v, want %v", seen, want)
	}
}

func TestAPageStaysRightWhenItemsGoBetweenCalls(t *testing.T) {
	id := func(s string) string { return s }
	first, next, err := Page([]string{"a", "b", "c", "d"}, id, "", 2)
	if err != nil || !slices.Equal(first, []string{"a", "b"}) {
		t.Fatalf("first page %v, %v", first, err)
	}
	// "b" is deleted before the second call: the listing goes on after it.
	second, last, err := Page([]string{"a", "c", "d"}, id, next, 2)
	if err != nil || !slices.Equal(second, []string{"c", "d"}) || last != "" {
		t.Fatalf("second page %v, next %q, %v", second, last, err)
	}
}

func TestATokenMadeElsewhereIsRefused(t *testing.T) {
	for _, token := range []string{"not base64!", "ZWxzZXdoZXJl"} {
		if _, _, err := Page([]string{"a"}, func(s string) string { return s }, token, 1); !errors.Is(err, ErrBadToken) {
			t.Errorf("token %q: err %v, want ErrBadToken", token, err)
		}
	}
}

func TestSize(t *testing.T) {
	n := int32(7)
	if got, err := Size(&n, 50, 1, 100); got != 7 || err != nil {
		t.Errorf("Size(7) = %d, %v", got, err)
	}
	if got, err := Size[int32](nil, 50, 1, 100); got != 50 || err != nil {
		t.Errorf("Size(nil) = %d, %v", got, err)
	}
	big := 1000
	var rangeErr *RangeError
	if _, err := Size(&big, 50, 1, 100); !errors.As(err, &rangeErr) || rangeErr.Max != 100 || err.Error() != "page size must be between 1 and 100" {
		t.Errorf("Size(1000) err %v", err)
	}
}

func TestPageInOrderKeepsTheOrderGiven(t *testing.T) {
	items := []string{"c", "a", "b", "d", "e"}
	var seen []string
	token := ""
	for pages := 0; ; pages++ {
		if pages > 5 {
			t.Fatal("paging did not end")
		}
		page, next, err := PageInOrder(items, token, 2)
		if err != nil {
			t.Fatal(err)
		}
		seen = append(seen, page...)
		if next == "" {
			break
		}
		token = next
	}
	if !slices.Equal(seen, items) {
		t.Fatalf("pages gave %v, want %v in the order given", seen, items)
	}
	if _, _, err := PageInOrder(items, "bogus!", 2); !errors.Is(err, ErrBadToken) {
		t.Errorf("a foreign token: %v", err)
	}
}
