package schema

import (
	"hash/maphash"
	"slices"
	"strings"

	"github.com/apiguard/apiguard/filter/jsonx"
)

// Equality of JSON values (enum, const, uniqueItems) is JSON Schema's: the
// same type and value, numbers by value (1 and 1.0 are equal), objects
// regardless of member order. It is decided by a canonical hash computed
// bottom-up while the body streams, and confirmed on a hash match by
// comparing canonical texts, so a collision can cost time but never a
// wrong verdict. The string hash is seeded per process, so a client cannot
// aim collisions.

var hashSeed = maphash.MakeSeed()

const (
	hashNull  uint64 = 0x6e756c6c5f5f5f5f
	hashTrue  uint64 = 0x747275655f5f5f5f
	hashFalse uint64 = 0x66616c73655f5f5f
	tagString uint64 = 0x9e3779b97f4a7c15
	tagNumber uint64 = 0xc2b2ae3d27d4eb4f
	tagArray  uint64 = 0x165667b19e3779f9
	tagObject uint64 = 0x27d4eb2f165667c5
)

// mix is a 64-bit finaliser (splitmix64).
func mix(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

func hashStr(b []byte) uint64 { return mix(maphash.Bytes(hashSeed, b) ^ tagString) }

// hashDec hashes a number's canonical text; buf is scratch.
func hashDec(d *dec, buf []byte) (uint64, []byte) {
	buf = d.appendCanon(buf[:0])
	return mix(maphash.Bytes(hashSeed, buf) ^ tagNumber), buf
}

// Containers: an array folds its items in order, an object sums its
// members (order does not matter), each folded with its count.
func arrayStep(h, item uint64) uint64 { return mix(h ^ item + tagArray) }

func arrayEnd(h uint64, n int) uint64 { return mix(h ^ uint64(n)*tagArray) }

func memberHash(key, val uint64) uint64 { return mix(key*0x2545f4914f6cdd1d ^ val) }

func objectEnd(sum uint64, n int) uint64 { return mix(sum ^ tagObject ^ uint64(n)) }

// valueHash is the canonical hash of a parsed value, iteratively (the same
// hash the streaming walk computes).
func valueHash(v *jsonx.Value) uint64 {
	type frame = hframe
	var buf []byte
	var d dec
	scalar := func(v *jsonx.Value) uint64 {
		switch v.Kind {
		case jsonx.KindNull:
			return hashNull
		case jsonx.KindBool:
			if v.Bool {
				return hashTrue
			}
			return hashFalse
		case jsonx.KindString:
			return hashStr([]byte(v.Str))
		}
		parseDec(&d, []byte(v.Str))
		var h uint64
		h, buf = hashDec(&d, buf)
		return h
	}
	if v.Kind != jsonx.KindObject && v.Kind != jsonx.KindArray {
		return scalar(v)
	}
	stack := []frame{{v: v}}
	var result uint64
	for len(stack) > 0 {
		f := &stack[len(stack)-1]
		var child *jsonx.Value
		if f.v.Kind == jsonx.KindArray && f.i < len(f.v.Items) {
			child = &f.v.Items[f.i]
		} else if f.v.Kind == jsonx.KindObject && f.i < len(f.v.Members) {
			child = &f.v.Members[f.i].Value
			f.key = hashStr([]byte(f.v.Members[f.i].Key))
		}
		if child == nil {
			var h uint64
			if f.v.Kind == jsonx.KindArray {
				h = arrayEnd(f.acc, len(f.v.Items))
			} else {
				h = objectEnd(f.acc, len(f.v.Members))
			}
			stack = stack[:len(stack)-1]
			if len(stack) == 0 {
				result = h
				break
			}
			stack[len(stack)-1].fold(h)
			continue
		}
		f.i++
		if child.Kind == jsonx.KindObject || child.Kind == jsonx.KindArray {
			stack = append(stack, frame{v: child})
			continue
		}
		f.fold(scalar(child))
	}
	return result
}

type hframe struct {
	v   *jsonx.Value
	i   int
	acc uint64
	key uint64 // hash of the current member's key
}

func (f *hframe) fold(h uint64) {
	if f.v.Kind == jsonx.KindArray {
		f.acc = arrayStep(f.acc, h)
	} else {
		f.acc += memberHash(f.key, h)
	}
}

// appendCanon appends the canonical text of v: members sorted by key,
// numbers in canonical form, strings with minimal escapes. Two values are
// equal exactly when their canonical texts are.
func appendCanon(dst []byte, v *jsonx.Value) []byte {
	type frame struct {
		v       *jsonx.Value
		i       int
		members []*jsonx.Member
	}
	var d dec
	scalar := func(dst []byte, v *jsonx.Value) []byte {
		switch v.Kind {
		case jsonx.KindNull:
			return append(dst, "null"...)
		case jsonx.KindBool:
			if v.Bool {
				return append(dst, "true"...)
			}
			return append(dst, "false"...)
		case jsonx.KindString:
			return appendQuoted(dst, v.Str)
		}
		parseDec(&d, []byte(v.Str))
		return d.appendCanon(dst)
	}
	open := func(dst []byte, v *jsonx.Value) ([]byte, frame) {
		f := frame{v: v}
		if v.Kind == jsonx.KindArray {
			return append(dst, '['), f
		}
		f.members = make([]*jsonx.Member, len(v.Members))
		for i := range v.Members {
			f.members[i] = &v.Members[i]
		}
		slices.SortFunc(f.members, func(a, b *jsonx.Member) int { return strings.Compare(a.Key, b.Key) })
		return append(dst, '{'), f
	}
	if v.Kind != jsonx.KindObject && v.Kind != jsonx.KindArray {
		return scalar(dst, v)
	}
	var f0 frame
	dst, f0 = open(dst, v)
	stack := []frame{f0}
	for len(stack) > 0 {
		f := &stack[len(stack)-1]
		var child *jsonx.Value
		n := len(f.v.Items)
		if f.v.Kind == jsonx.KindObject {
			n = len(f.members)
		}
		if f.i >= n {
			if f.v.Kind == jsonx.KindArray {
				dst = append(dst, ']')
			} else {
				dst = append(dst, '}')
			}
			stack = stack[:len(stack)-1]
			continue
		}
		if f.i > 0 {
			dst = append(dst, ',')
		}
		if f.v.Kind == jsonx.KindArray {
			child = &f.v.Items[f.i]
		} else {
			m := f.members[f.i]
			dst = appendQuoted(dst, m.Key)
			dst = append(dst, ':')
			child = &m.Value
		}
		f.i++
		if child.Kind == jsonx.KindObject || child.Kind == jsonx.KindArray {
			var cf frame
			dst, cf = open(dst, child)
			stack = append(stack, cf)
			continue
		}
		dst = scalar(dst, child)
	}
	return dst
}

// appendQuoted writes s as a JSON string, escaping only what must be.
func appendQuoted(dst []byte, s string) []byte {
	const hex = "0123456789abcdef"
	dst = append(dst, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			dst = append(dst, '\\', c)
		case c < 0x20:
			dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&15])
		default:
			dst = append(dst, c)
		}
	}
	return append(dst, '"')
}
