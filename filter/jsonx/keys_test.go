package jsonx

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
)

// TestJSONPath_simpleKey: the names a path shows as .name, and the ones
// it must quote.
func TestJSONPath_simpleKey(t *testing.T) {
	for s, want := range map[string]bool{
		"routes": true, "rate_limits": true, "x-api-key": true, "A9": true,
		"": false, "a.b": false, "a b": false, "a[0]": false, `"`: false, "é": false, "a\x00": false,
	} {
		if got := SimpleKey(s); got != want {
			t.Errorf("SimpleKey(%q) = %v, want %v", s, got, want)
		}
	}
}

// TestDuplicateKeys_bloomNeighbours: keys that share an object's Bloom-filter
// bit but differ are all accepted, and a duplicate among them (the same
// key, an escaped spelling, with folding a case variant) is refused at its
// offset, in short keys (the scanner's inline key path) and long ones,
// with and without folding.
func TestDuplicateKeys_bloomNeighbours(t *testing.T) {
	for _, fold := range []bool{false, true} {
		for _, long := range []bool{false, true} {
			name := func(i int) string {
				if long {
					return "k" + strconv.Itoa(i) + "_long_key" // its number in the first eight bytes
				}
				return "k" + strconv.Itoa(i)
			}
			names := bloomNeighbours(12, fold, name)
			doc := func(extra string) ([]byte, int) {
				b := []byte(`{`)
				for _, k := range names {
					b = append(b, `"`+k+`":1,`...)
				}
				off := len(b)
				if extra == "" {
					return append(b, `"z":0}`...), -1
				}
				return append(b, `"`+extra+`":2}`...), off
			}
			var v Validator
			v.FoldDuplicates = fold
			if b, _ := doc(""); v.Validate(b, Limits{}) != nil {
				t.Fatalf("fold %v long %v: distinct neighbours refused: %v (%s)", fold, long, v.Validate(b, Limits{}), b)
			}
			dups := map[string]string{names[0]: ReasonDuplicateKey, names[11]: ReasonDuplicateKey,
				fmt.Sprintf(`\u%04x`, names[5][0]) + names[5][1:]: ReasonDuplicateKey}
			if fold {
				dups[strings.ToUpper(names[7])] = ReasonDuplicateKeyCase
			}
			for extra, reason := range dups {
				b, off := doc(extra)
				var e *Error
				if err := v.Validate(b, Limits{}); !errors.As(err, &e) || e.Reason != reason || e.Offset != off {
					t.Errorf("fold %v long %v: %q after its neighbours: %v, want %s at %d", fold, long, extra, err, reason, off)
				}
			}
		}
	}
}

// TestDuplicateKeys_indexedPastSixteenKeys: an object moves from its
// fingerprints to the seeded hash table at its seventeenth key, not
// before, also when every key hits its Bloom-filter bit (addKey's plain
// path) and when the object is nested after an outer object's keys: a
// large object then costs a probe per key, not a scan.
func TestDuplicateKeys_indexedPastSixteenKeys(t *testing.T) {
	for _, fold := range []bool{false, true} {
		names := bloomNeighbours(24, fold, func(i int) string { return "k" + strconv.Itoa(i) })
		for _, outer := range []int{0, 5} {
			doc := []byte(`{`)
			for i := range outer {
				doc = fmt.Appendf(doc, `"o%d":1,`, i)
			}
			doc = append(doc, `"in":{`...)
			for i, k := range names {
				if i > 0 {
					doc = append(doc, ',')
				}
				doc = append(doc, `"`+k+`":1`...)
			}
			doc = append(doc, `}}`...)
			var s Scanner
			s.FoldDuplicates = fold
			s.Reset(doc, Limits{})
			inner := 0
			for {
				tok, err := s.Next()
				if err != nil {
					t.Fatal(err)
				}
				if tok.Kind == TokenEnd {
					break
				}
				if tok.Kind != TokenKey || len(s.stack) != 2 {
					continue
				}
				inner++
				if got := s.stack[1].indexed; got != (inner > linearKeys) {
					t.Fatalf("fold %v, %d outer keys: indexed %v after inner key %d", fold, outer, got, inner)
				}
			}
			if inner != len(names) {
				t.Fatalf("fold %v: %d inner keys seen of %d", fold, inner, len(names))
			}
		}
	}
}

// bloomNeighbours returns n of the keys name(0), name(1), ... whose
// fingerprint (folded with fold) sets the same Bloom-filter bit as
// name(0)'s.
func bloomNeighbours(n int, fold bool, name func(int) string) []string {
	fp := func(k string) uint64 {
		if fold {
			return fingerprint(AppendFold(nil, []byte(k)))
		}
		return fingerprint([]byte(k))
	}
	var names []string
	bit := bloomBit(fp(name(0)))
	for i := 0; len(names) < n && i < 1000000; i++ {
		if k := name(i); bloomBit(fp(k)) == bit {
			names = append(names, k)
		}
	}
	return names
}
