package deploytest

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
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

// FailFirstAttempts fails the first attempt of each chosen call and lets
// its retry through; a lost answer reaches the endpoint first.
func TestFailFirstAttemptsFailsEachChosenCallOnce(t *testing.T) {
	var reached []string
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		reached = append(reached, r.Form.Get("Action")+" "+r.Header.Get("Amz-Sdk-Request"))
		_, _ = io.WriteString(w, "ok")
	}))
	t.Cleanup(backend.Close)
	proxy := StartFaultProxy(t, backend.URL, 0)
	proxy.FailFirstAttempts(LostAnswer, func(op string) bool { return op == "CreateVpc" })
	call := func(action string, attempt int) error {
		t.Helper()
		req, err := http.NewRequest(http.MethodPost, proxy.URL, strings.NewReader("Action="+action+"&Version=2016-11-15"))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Amz-Sdk-Request", fmt.Sprintf("attempt=%d; max=3", attempt))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		_, _ = io.Copy(io.Discard, resp.Body)
		return nil
	}
	if err := call("CreateVpc", 1); err == nil {
		t.Error("the first attempt of CreateVpc got its answer")
	}
	if err := call("CreateVpc", 2); err != nil {
		t.Errorf("the retry of CreateVpc failed: %v", err)
	}
	if err := call("DescribeVpcs", 1); err != nil {
		t.Errorf("DescribeVpcs, not chosen, failed: %v", err)
	}
	want := []string{"CreateVpc attempt=1; max=3", "CreateVpc attempt=2; max=3", "DescribeVpcs attempt=1; max=3"}
	if !slices.Equal(reached, want) {
		t.Errorf("the endpoint saw %q, want %q (a lost answer's call is carried out)", reached, want)
	}
	if ops := proxy.Operations(); ops["CreateVpc"] != 1 || ops["DescribeVpcs"] != 1 || proxy.Failed()[LostAnswer] != 1 {
		t.Errorf("operations %v, failed %v", ops, proxy.Failed())
	}
}
