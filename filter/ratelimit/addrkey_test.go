package ratelimit

import (
	"encoding/binary"
	"strconv"
	"testing"
)

func TestAddrKey_ipv6PrefixShared(t *testing.T) {
	v4 := func(a, b, c, d byte) string { return string([]byte{a, b, c, d}) }
	cases := []struct {
		addr string
		want string // "" when not an address
	}{
		{"203.0.113.7:40000", v4(203, 0, 113, 7)},
		{"203.0.113.7", v4(203, 0, 113, 7)},
		{"[::ffff:203.0.113.7]:1", v4(203, 0, 113, 7)},
		{"::ffff:203.0.113.7", v4(203, 0, 113, 7)},
		{"[2001:db8:1:2:3:4:5:6]:443", "\x20\x01\x0d\xb8\x00\x01\x00\x02"},
		{"[2001:db8:1:2:ffff::]:80", "\x20\x01\x0d\xb8\x00\x01\x00\x02"},
		{"2001:db8:1:2::9", "\x20\x01\x0d\xb8\x00\x01\x00\x02"},
		{"[fe80::1%eth0]:80", "\xfe\x80\x00\x00\x00\x00\x00\x00"},
		{"[::1]:8080", "\x00\x00\x00\x00\x00\x00\x00\x00"},
		{"/var/run/envoy.sock", ""},
		{"", ""},
		{"203.0.113.7:", ""},
		{"[2001:db8::1]", ""},
		{"999.0.0.1:80", ""},
		{"example.com:80", ""},
	}
	for _, c := range cases {
		k, n, ok := AddrKey(c.addr)
		if ok != (c.want != "") || string(k[:n]) != c.want {
			t.Errorf("AddrKey(%q) = %x %v, want %x", c.addr, k[:n], ok, c.want)
		}
	}
}

// FuzzAddrKey_ipv6PrefixShared: any address text parses without panicking, and two
// addresses in one IPv6 /64 share their key.
func FuzzAddrKey_ipv6PrefixShared(f *testing.F) {
	for _, s := range []string{"203.0.113.7:40000", "[2001:db8::1]:443", "::ffff:1.2.3.4", "[fe80::1%25eth0]:1", "x", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, addr string) {
		k, n, ok := AddrKey(addr)
		if !ok {
			if n != 0 {
				t.Fatal("length without an address")
			}
			return
		}
		if n != 4 && n != 8 {
			t.Fatalf("key of %d bytes", n)
		}
		if n == 8 {
			// Rewrite the low 64 bits: same key.
			var b [16]byte
			copy(b[:8], k[:8])
			binary.BigEndian.PutUint64(b[8:], 0x0123456789abcdef)
			if b[0] == 0 && b[1] == 0 && b[2] == 0 && b[3] == 0 && b[4] == 0 && b[5] == 0 && b[6] == 0 && b[7] == 0 {
				return // ::/64 holds IPv4-compatible forms; skip
			}
			k2, n2, ok2 := AddrKey("[" + ipv6Text(b) + "]:1")
			if !ok2 || n2 != 8 || k2 != k {
				t.Fatalf("same /64, other key: %x vs %x", k[:n], k2[:n2])
			}
		}
	})
}

func ipv6Text(b [16]byte) string {
	out := make([]byte, 0, 40)
	for i := 0; i < 16; i += 2 {
		if i > 0 {
			out = append(out, ':')
		}
		out = strconv.AppendUint(out, uint64(b[i])<<8|uint64(b[i+1]), 16)
	}
	return string(out)
}
