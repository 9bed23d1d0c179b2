package controller

import (
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"strconv"
)

// addressPool hands each awsvpc task its own loopback address. Linux routes
// all of 127.0.0.0/8 to lo, so every task can bind its container port on its
// own address, as it would on its own ENI. Addresses come from 127.1.0.0/16
// in turn rather than lowest-free first, so a just-released address (whose
// socket may linger in TIME_WAIT) is not handed out again at once. Each pool
// starts at a random place, and an address whose ports something else on the
// machine holds (another local cloud, a stray process) is skipped.
type addressPool struct {
	next uint32
}

const poolSize = 1 << 16

func newAddressPool() *addressPool { return &addressPool{next: rand.Uint32N(poolSize)} }

// portsFree reports whether every port can be bound on addr right now.
func portsFree(addr string, ports []int) bool {
	for _, port := range ports {
		ln, err := net.Listen("tcp", net.JoinHostPort(addr, strconv.Itoa(port)))
		if err != nil {
			return false
		}
		ln.Close()
	}
	return true
}

// allocate returns an address this cloud does not use and on which the
// task's ports are free.
func (p *addressPool) allocate(inUse map[string]bool, ports []int) (string, error) {
	for range poolSize {
		n := p.next
		p.next = (p.next + 1) % poolSize
		third, fourth := byte(n>>8), byte(n)
		if fourth == 0 || fourth == 255 {
			continue
		}
		addr := netip.AddrFrom4([4]byte{127, 1, third, fourth}).String()
		if !inUse[addr] && portsFree(addr, ports) {
			return addr, nil
		}
	}
	return "", fmt.Errorf("all %d task addresses in 127.1.0.0/16 are in use", poolSize)
}
