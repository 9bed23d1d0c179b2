package controller

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net/netip"

	"github.com/berthdev/berth/internal/localcloud/runtime"
)

// addressPool hands each awsvpc task its own address, from the range the
// runtime says its tasks are reachable in: their own network namespace's
// address where the runtime isolates tasks, else a loopback address (Linux
// routes all of 127.0.0.0/8 to lo, so each task binds its container port
// on its own address, as it would on its own ENI). Addresses are handed out
// in turn rather than lowest-free first, so a just-released address (whose
// socket may linger in TIME_WAIT) is not given out again at once. Each pool
// starts at a random place, and an address the runtime refuses (another
// local cloud's, or one whose ports a stray process holds) is skipped.
type addressPool struct {
	runtime runtime.Runtime
	next    uint32
}

// maxPoolSize bounds one allocation's search.
const maxPoolSize = 1 << 16

func newAddressPool(rt runtime.Runtime) *addressPool {
	return &addressPool{runtime: rt, next: rand.Uint32N(maxPoolSize)}
}

// allocate returns an address this cloud does not use and on which the
// task's ports are free.
func (p *addressPool) allocate(inUse map[string]bool, ports []int) (string, error) {
	prefix := p.runtime.TaskAddresses()
	size := uint32(maxPoolSize)
	if hostBits := 32 - prefix.Bits(); hostBits < 16 {
		size = 1 << hostBits
	}
	base := prefix.Masked().Addr().As4()
	for range size {
		n := p.next % size
		p.next = (n + 1) % size
		b := base
		b[2] |= byte(n >> 8)
		b[3] |= byte(n)
		if b[3] == 0 || b[3] == 255 {
			continue
		}
		addr := netip.AddrFrom4(b)
		if inUse[addr.String()] {
			continue
		}
		err := p.runtime.CheckAddress(addr, ports)
		if err == nil {
			return addr.String(), nil
		}
		// A wildcard listener holds the port on every address: say who,
		// rather than try the rest and blame the pool.
		var wildcard *runtime.WildcardListenError
		if errors.As(err, &wildcard) {
			return "", fmt.Errorf("no task address can get port %d: %w", wildcard.Addr.Port(), err)
		}
	}
	return "", fmt.Errorf("all %d task addresses in %s are in use", size, prefix)
}
