package controller

import (
	"net"
	"testing"
)

// An address whose port another process holds is passed over, and so is an
// address this cloud already gave out.
func TestAddressPoolSkipsBusyAddresses(t *testing.T) {
	pool := &addressPool{next: 300} // 127.1.1.44 onwards
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
