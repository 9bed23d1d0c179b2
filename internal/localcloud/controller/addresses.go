package controller

import (
	"fmt"
	"net/netip"
)

// addressPool hands each awsvpc task its own loopback address. Linux routes
// all of 127.0.0.0/8 to lo, so every task can bind its container port on its
// own address, as it would on its own ENI. Addresses come from 127.1.0.0/16
// in turn rather than lowest-free first, so a just-released address (whose
// socket may linger in TIME_WAIT) is not handed out again at once.
type addressPool struct {
	next uint32
}

const poolSize = 1 << 16

func newAddressPool() *addressPool { return &addressPool{} }

// allocate returns an address not in use.
func (p *addressPool) allocate(inUse map[string]bool) (string, error) {
	for range poolSize {
		n := p.next
		p.next = (p.next + 1) % poolSize
		third, fourth := byte(n>>8), byte(n)
		if fourth == 0 || fourth == 255 {
			continue
		}
		addr := netip.AddrFrom4([4]byte{127, 1, third, fourth}).String()
		if !inUse[addr] {
			return addr, nil
		}
	}
	return "", fmt.Errorf("all %d task addresses in 127.1.0.0/16 are in use", poolSize)
}
