package runtime

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"sync"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// netlinkConn is a NETLINK_ROUTE socket: the handful of link, address and
// route requests per-task namespaces need, without iproute2 or a netlink
// library. A socket acts on the network namespace it was created in, so a
// conn opened inside a task's namespace configures that namespace from any
// goroutine.
type netlinkConn struct {
	mu  sync.Mutex
	fd  int
	seq uint32
}

func openNetlink() (*netlinkConn, error) {
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.NETLINK_ROUTE)
	if err != nil {
		return nil, fmt.Errorf("netlink socket: %w", err)
	}
	if err := unix.Bind(fd, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("netlink bind: %w", err)
	}
	return &netlinkConn{fd: fd}, nil
}

func (c *netlinkConn) Close() error { return unix.Close(c.fd) }

// netlinkAttr encodes one route attribute, padded to 4 bytes.
func netlinkAttr(typ uint16, data []byte) []byte {
	length := unix.SizeofRtAttr + len(data)
	out := make([]byte, (length+unix.RTA_ALIGNTO-1) & ^(unix.RTA_ALIGNTO-1))
	binary.NativeEndian.PutUint16(out[0:2], uint16(length))
	binary.NativeEndian.PutUint16(out[2:4], typ)
	copy(out[unix.SizeofRtAttr:], data)
	return out
}

func netlinkString(s string) []byte { return append([]byte(s), 0) }

func netlinkUint32(v uint32) []byte {
	return binary.NativeEndian.AppendUint32(nil, v)
}

func concat(parts ...[]byte) []byte {
	var out []byte
	for _, part := range parts {
		out = append(out, part...)
	}
	return out
}

func asBytes[T any](v *T) []byte {
	return unsafe.Slice((*byte)(unsafe.Pointer(v)), unsafe.Sizeof(*v))
}

// request sends one message and returns the replies up to its
// acknowledgement (for a dump, up to NLMSG_DONE).
func (c *netlinkConn) request(typ, flags uint16, body []byte) ([]syscall.NetlinkMessage, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.seq++
	seq := c.seq
	// NLM_F_DUMP is two bits, one of which NLM_F_EXCL shares.
	dump := flags&unix.NLM_F_DUMP == unix.NLM_F_DUMP
	header := unix.NlMsghdr{
		Len:   uint32(unix.SizeofNlMsghdr + len(body)),
		Type:  typ,
		Flags: unix.NLM_F_REQUEST | unix.NLM_F_ACK | flags,
		Seq:   seq,
	}
	msg := append(append([]byte(nil), asBytes(&header)...), body...)
	if err := unix.Sendto(c.fd, msg, 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return nil, fmt.Errorf("netlink send: %w", err)
	}
	var replies []syscall.NetlinkMessage
	buf := make([]byte, 64<<10)
	for {
		n, _, err := unix.Recvfrom(c.fd, buf, 0)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("netlink receive: %w", err)
		}
		msgs, err := syscall.ParseNetlinkMessage(buf[:n])
		if err != nil {
			return nil, fmt.Errorf("netlink parse: %w", err)
		}
		for _, m := range msgs {
			if m.Header.Seq != seq {
				continue // a late answer to an earlier request
			}
			switch m.Header.Type {
			case unix.NLMSG_DONE:
				return replies, nil
			case unix.NLMSG_ERROR:
				if len(m.Data) < 4 {
					return nil, errors.New("netlink: short error message")
				}
				if code := int32(binary.NativeEndian.Uint32(m.Data[:4])); code != 0 {
					return nil, syscall.Errno(-code)
				}
				if !dump {
					return replies, nil
				}
			default:
				replies = append(replies, m)
			}
		}
	}
}

// netLink is what a link dump says about one link.
type netLink struct {
	index int
	name  string
	alias string
}

func (c *netlinkConn) links() ([]netLink, error) {
	info := unix.IfInfomsg{Family: unix.AF_UNSPEC}
	msgs, err := c.request(unix.RTM_GETLINK, unix.NLM_F_DUMP, asBytes(&info))
	if err != nil {
		return nil, fmt.Errorf("list links: %w", err)
	}
	var out []netLink
	for _, m := range msgs {
		if m.Header.Type != unix.RTM_NEWLINK || len(m.Data) < unix.SizeofIfInfomsg {
			continue
		}
		index := int(int32(binary.NativeEndian.Uint32(m.Data[4:8])))
		attrs, err := syscall.ParseNetlinkRouteAttr(&m)
		if err != nil {
			continue
		}
		l := netLink{index: index}
		for _, a := range attrs {
			switch a.Attr.Type {
			case unix.IFLA_IFNAME:
				l.name = cString(a.Value)
			case unix.IFLA_IFALIAS:
				l.alias = cString(a.Value)
			}
		}
		out = append(out, l)
	}
	return out, nil
}

func cString(b []byte) string {
	for i, c := range b {
		if c == 0 {
			return string(b[:i])
		}
	}
	return string(b)
}

func (c *netlinkConn) linkIndex(name string) (int, error) {
	links, err := c.links()
	if err != nil {
		return 0, err
	}
	for _, l := range links {
		if l.name == name {
			return l.index, nil
		}
	}
	return 0, fmt.Errorf("no link %s", name)
}

// addVeth creates a veth pair: name here, peer in the namespace nsFD.
func (c *netlinkConn) addVeth(name, peer string, nsFD int) error {
	info := unix.IfInfomsg{Family: unix.AF_UNSPEC}
	peerInfo := unix.IfInfomsg{Family: unix.AF_UNSPEC}
	const vethInfoPeer = 1 // VETH_INFO_PEER
	linkInfo := concat(
		netlinkAttr(unix.IFLA_INFO_KIND, netlinkString("veth")),
		netlinkAttr(unix.IFLA_INFO_DATA, netlinkAttr(vethInfoPeer, concat(
			asBytes(&peerInfo),
			netlinkAttr(unix.IFLA_IFNAME, netlinkString(peer)),
			netlinkAttr(unix.IFLA_NET_NS_FD, netlinkUint32(uint32(nsFD))),
		))),
	)
	body := concat(asBytes(&info),
		netlinkAttr(unix.IFLA_IFNAME, netlinkString(name)),
		netlinkAttr(unix.IFLA_LINKINFO, linkInfo))
	if _, err := c.request(unix.RTM_NEWLINK, unix.NLM_F_CREATE|unix.NLM_F_EXCL, body); err != nil {
		return fmt.Errorf("create veth %s: %w", name, err)
	}
	return nil
}

// setLink brings a link up and, when alias is not empty, sets its alias.
func (c *netlinkConn) setLink(index int, alias string) error {
	info := unix.IfInfomsg{Family: unix.AF_UNSPEC, Index: int32(index), Flags: unix.IFF_UP, Change: unix.IFF_UP}
	body := asBytes(&info)
	if alias != "" {
		body = concat(body, netlinkAttr(unix.IFLA_IFALIAS, []byte(alias)))
	}
	if _, err := c.request(unix.RTM_NEWLINK, 0, body); err != nil {
		return fmt.Errorf("set link %d up: %w", index, err)
	}
	return nil
}

func (c *netlinkConn) deleteLink(index int) error {
	info := unix.IfInfomsg{Family: unix.AF_UNSPEC, Index: int32(index)}
	if _, err := c.request(unix.RTM_DELLINK, 0, asBytes(&info)); err != nil {
		return fmt.Errorf("delete link %d: %w", index, err)
	}
	return nil
}

// addPointToPoint gives a link the address local with peer as the other
// end; the kernel adds the route to peer through the link.
func (c *netlinkConn) addPointToPoint(index int, local, peer netip.Addr) error {
	msg := unix.IfAddrmsg{Family: unix.AF_INET, Prefixlen: 32, Scope: unix.RT_SCOPE_UNIVERSE, Index: uint32(index)}
	localBytes, peerBytes := local.As4(), peer.As4()
	body := concat(asBytes(&msg),
		netlinkAttr(unix.IFA_LOCAL, localBytes[:]),
		netlinkAttr(unix.IFA_ADDRESS, peerBytes[:]))
	if _, err := c.request(unix.RTM_NEWADDR, unix.NLM_F_CREATE|unix.NLM_F_EXCL, body); err != nil {
		return fmt.Errorf("add address %s peer %s: %w", local, peer, err)
	}
	return nil
}
