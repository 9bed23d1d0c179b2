package controller

import (
	"context"
	"errors"
	"net"
	"strconv"
	"strings"
	"testing"

	"github.com/berthdev/berth/internal/localcloud/runtime"
)

func sharedRuntime(t *testing.T) *runtime.Process {
	t.Helper()
	rt := runtime.NewProcess(runtime.ProcessOptions{SharedNetwork: true, Logf: t.Logf})
	t.Cleanup(func() { _ = rt.Close(context.Background()) })
	return rt
}

// An address whose port another process holds is passed over, and so is an
// address this cloud already gave out.
func TestAddressPoolSkipsBusyAddresses(t *testing.T) {
	pool := &addressPool{runtime: sharedRuntime(t), next: 300} // 127.1.1.44 onwards
	busy, err := net.Listen("tcp", "127.1.1.44:9000")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	got, err := pool.allocate(map[string]bool{"127.1.1.45": true}, []int{9000})
	if err != nil {
		t.Fatal(err)
	}
	if got != "127.1.1.46" {
		t.Errorf("allocate = %s, want 127.1.1.46 (127.1.1.44 is bound, 127.1.1.45 in use)", got)
	}
}

// A port held on the wildcard address is reported as such at once, not as
// an exhausted pool.
func TestAddressPoolNamesWildcardHolder(t *testing.T) {
	pool := &addressPool{runtime: sharedRuntime(t)}
	wildcard, err := net.Listen("tcp4", "0.0.0.0:0")
	if err != nil {
		t.Fatal(err)
	}
	defer wildcard.Close()
	port := wildcard.Addr().(*net.TCPAddr).Port
	_, err = pool.allocate(map[string]bool{}, []int{port})
	var holder *runtime.WildcardListenError
	if !errors.As(err, &holder) {
		t.Fatalf("allocate = %v, want a WildcardListenError", err)
	}
	msg := err.Error()
	for _, want := range []string{"0.0.0.0:" + strconv.Itoa(port), "bind $HOST instead"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q lacks %q", msg, want)
		}
	}
	if strings.Contains(msg, "in use") {
		t.Errorf("error %q blames the address pool", msg)
	}
}
