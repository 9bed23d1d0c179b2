package deploytest

import (
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
)

// FailOnly fails exactly the nth call after it and lets every other call
// through, so that a test can fail each call of a run in turn.
func TestFailOnlyFailsOneCall(t *testing.T) {
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, "ok")
	}))
	t.Cleanup(backend.Close)
	proxy := StartFaultProxy(t, backend.URL, 0)
	status := func() int {
		t.Helper()
		resp, err := http.Get(proxy.URL)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		_, _ = io.Copy(io.Discard, resp.Body)
		return resp.StatusCode
	}
	if got := status(); got != http.StatusOK {
		t.Fatalf("a proxy that fails nothing answered %d", got)
	}
	proxy.FailOnly(2, Unavailable)
	var got []int
	for range 4 {
		got = append(got, status())
	}
	if want := []int{200, 503, 200, 200}; !slices.Equal(got, want) {
		t.Errorf("answers after FailOnly(2) = %v, want %v", got, want)
	}
	if n := proxy.Failed()[Unavailable]; n != 1 || proxy.Calls() != 5 {
		t.Errorf("the proxy failed %d of %d calls, want 1 of 5", n, proxy.Calls())
	}
}
