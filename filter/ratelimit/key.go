package ratelimit

import "net/netip"

// AddrKeyBytes is the most bytes AddrKey returns.
const AddrKeyBytes = 8

// AddrKey returns what an `ip` key counts for a client address as Envoy's
// source.address gives it ("203.0.113.7:40000", "[2001:db8::1]:40000", or
// an address without a port): the four bytes of an IPv4 address (an
// IPv4-mapped IPv6 address counts as its IPv4 address), or the first eight
// bytes of an IPv6 address, its /64, because one IPv6 client usually holds
// a whole /64 and could otherwise rotate through 2^64 buckets. A zone is
// ignored. ok is false when addr is not an IP address (a Unix socket path,
// say); the caller then counts the raw text.
func AddrKey(addr string) (key [AddrKeyBytes]byte, n int, ok bool) {
	var a netip.Addr
	if withPort(addr) {
		ap, err := netip.ParseAddrPort(addr)
		if err != nil {
			return key, 0, false
		}
		a = ap.Addr()
	} else {
		var err error
		if a, err = netip.ParseAddr(addr); err != nil {
			return key, 0, false
		}
	}
	a = a.Unmap()
	if a.Is4() {
		b := a.As4()
		return key, copy(key[:], b[:]), true
	}
	b := a.As16()
	return key, copy(key[:], b[:8]), true
}

// withPort tells "ip:port" and "[ipv6]:port" from a bare address, so the
// usual form is parsed once (a failed parse allocates its error).
func withPort(addr string) bool {
	if len(addr) > 0 && addr[0] == '[' {
		return true
	}
	colons := 0
	for i := 0; i < len(addr); i++ {
		if addr[i] == ':' {
			colons++
		}
	}
	return colons == 1
}
