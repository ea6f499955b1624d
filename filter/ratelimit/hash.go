package ratelimit

import (
	"encoding/binary"
	"math/bits"
)

// Hasher maps a key value to 64 bits with SipHash-2-4 under a secret
// 128-bit seed. The seed is shared by every worker of one Envoy (through
// shared data), so all of them place a key in the same slots; being
// secret, it keeps a client from choosing key values that land on another
// client's slots to starve it (a collision can only make a limit stricter,
// so that is the one attack collisions allow).
type Hasher struct {
	k0, k1 uint64
}

// SeedBytes is the size of a Hasher seed.
const SeedBytes = 16

// NewHasher returns the hasher for a seed of SeedBytes bytes (little-endian
// k0 then k1, as in the SipHash reference). A shorter seed is padded with
// zeros; only tests use fixed seeds.
func NewHasher(seed []byte) Hasher {
	var b [SeedBytes]byte
	copy(b[:], seed)
	return Hasher{k0: binary.LittleEndian.Uint64(b[:8]), k1: binary.LittleEndian.Uint64(b[8:])}
}

// Sum hashes value under the seed tweaked by tweak. Callers pass a
// different tweak per limit and per kind of value (absent, address,
// header, ...), so equal bytes of different meaning never share slots
// systematically, and two keys colliding in one limit do not collide in
// the others.
func (h Hasher) Sum(tweak uint64, value string) uint64 {
	return siphash(h.k0^tweak, h.k1, value)
}

// SumBytes is Sum for a byte slice (an address), without a conversion.
func (h Hasher) SumBytes(tweak uint64, value []byte) uint64 {
	return siphash(h.k0^tweak, h.k1, value)
}

// Tweak derives a tweak from a name (a limit's) with an unkeyed SipHash;
// it need not be secret, only distinct per name.
func Tweak(name string) uint64 { return siphash(0, 0, name) }

// siphash is SipHash-2-4 (Aumasson and Bernstein) of p under key (k0, k1).
func siphash[T string | []byte](k0, k1 uint64, p T) uint64 {
	v0 := k0 ^ 0x736f6d6570736575
	v1 := k1 ^ 0x646f72616e646f6d
	v2 := k0 ^ 0x6c7967656e657261
	v3 := k1 ^ 0x7465646279746573
	n := len(p)
	i := 0
	for ; i+8 <= n; i += 8 {
		m := uint64(p[i]) | uint64(p[i+1])<<8 | uint64(p[i+2])<<16 | uint64(p[i+3])<<24 |
			uint64(p[i+4])<<32 | uint64(p[i+5])<<40 | uint64(p[i+6])<<48 | uint64(p[i+7])<<56
		v3 ^= m
		v0, v1, v2, v3 = sipRound(v0, v1, v2, v3)
		v0, v1, v2, v3 = sipRound(v0, v1, v2, v3)
		v0 ^= m
	}
	last := uint64(n) << 56
	for j := 0; i+j < n; j++ {
		last |= uint64(p[i+j]) << (8 * j)
	}
	v3 ^= last
	v0, v1, v2, v3 = sipRound(v0, v1, v2, v3)
	v0, v1, v2, v3 = sipRound(v0, v1, v2, v3)
	v0 ^= last
	v2 ^= 0xff
	for r := 0; r < 4; r++ {
		v0, v1, v2, v3 = sipRound(v0, v1, v2, v3)
	}
	return v0 ^ v1 ^ v2 ^ v3
}

func sipRound(v0, v1, v2, v3 uint64) (uint64, uint64, uint64, uint64) {
	v0 += v1
	v1 = bits.RotateLeft64(v1, 13)
	v1 ^= v0
	v0 = bits.RotateLeft64(v0, 32)
	v2 += v3
	v3 = bits.RotateLeft64(v3, 16)
	v3 ^= v2
	v0 += v3
	v3 = bits.RotateLeft64(v3, 21)
	v3 ^= v0
	v2 += v1
	v1 = bits.RotateLeft64(v1, 17)
	v1 ^= v2
	v2 = bits.RotateLeft64(v2, 32)
	return v0, v1, v2, v3
}

// ValueKind tells what a key value is, so that kinds hash apart: an absent
// value, an address, an address Envoy gave as text (not an IP), a header,
// a claim, the route.
type ValueKind uint8

const (
	ValueAbsent ValueKind = iota
	ValueAddr
	ValueAddrText
	ValueHeader
	ValueClaim
	ValueRoute
)

// valueTags are the tweaks of each kind.
var valueTags = [...]uint64{
	ValueAbsent:   0x9e3779b97f4a7c15,
	ValueAddr:     0x3c6ef372fe94f82a,
	ValueAddrText: 0xdaa66d2c7ddf743f,
	ValueHeader:   0x78dde6e5fd29f054,
	ValueClaim:    0x1715609d7c746c69,
	ValueRoute:    0xb54cda56bbbfe87e,
}

// KeySum hashes a limit key's value of the given kind under the limit's
// tweak. Values are only ever hashed (with the secret seed), so no
// credential or address reaches shared data; a request without the value
// hashes to the limit's one absent bucket (ValueAbsent, ""), so leaving a
// header out never skips a limit.
func (h Hasher) KeySum(kind ValueKind, tweak uint64, value string) uint64 {
	return h.Sum(tweak^valueTags[kind], value)
}

// KeySumBytes is KeySum for an address's bytes.
func (h Hasher) KeySumBytes(kind ValueKind, tweak uint64, value []byte) uint64 {
	return h.SumBytes(tweak^valueTags[kind], value)
}
