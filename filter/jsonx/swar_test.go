package jsonx

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"testing"
	"unicode/utf8"
)

// plainStringRef is plainString one byte at a time: the definition the
// word-at-a-time version must agree with.
func plainStringRef(data []byte, i, strCap int) int {
	j := i + 1
	if strCap < len(data)-j {
		data = data[:j+strCap+1]
	}
	for j < len(data) && strPlain[data[j]] {
		j++
	}
	if j < len(data) && data[j] == '"' {
		return j + 1
	}
	return -j
}

// specialBytes are the bytes the string scanner must stop at, one of each
// kind: quote, backslash, controls at both ends, DEL (plain), a UTF-8 lead
// and continuation byte, and 0xff.
var specialBytes = []byte{'"', '\\', 0x00, 0x1f, 0x7f, 0xc3, 0x80, 0xff, ' ', 'a'}

// TestPlainString_wordBoundaries puts every special byte at every position
// of strings of 0 to 17 plain bytes (so at each of the eight lanes of the
// first and second word, and in the byte tail), with and without bytes
// after the string and with a size cap around the string's length, and
// compares with the byte loop.
func TestPlainString_wordBoundaries(t *testing.T) {
	for n := 0; n <= 17; n++ {
		for pos := -1; pos < n; pos++ {
			for _, sp := range specialBytes {
				for _, tail := range []string{``, `"`, `",1]`, `"        xyz`} {
					body := bytes.Repeat([]byte{'a'}, n)
					if pos >= 0 {
						body[pos] = sp
					}
					data := append(append([]byte{'"'}, body...), tail...)
					for _, cap := range []int{len(data), n - 1, n, n + 1, 1} {
						if cap < 0 {
							continue
						}
						got, want := plainString(data, 0, cap), plainStringRef(data, 0, cap)
						if got != want {
							t.Fatalf("plainString(%q, cap %d) = %d, want %d", data, cap, got, want)
						}
					}
				}
			}
		}
	}
}

// TestValidate_stringWordBoundaries checks whole documents with a special
// byte at every lane: the scanner's verdict must match encoding/json's
// (which agrees with jsonx on strings without duplicate keys) and the
// token must end where the string does.
func TestValidate_stringWordBoundaries(t *testing.T) {
	for n := 0; n <= 17; n++ {
		for pos := -1; pos < n; pos++ {
			for _, sp := range [][]byte{{'"'}, {'\\'}, {'\\', 'n'}, {0x01}, {0x1f}, {0xc3, 0xa9}, {0xc3}, {0xff},
				{0xe6, 0x97, 0xa5}, {0xed, 0xa0, 0x80}, {0x7f}, {0xc2, 0x80}, {0xdf, 0xbf}, {0xc0, 0x80}, {0xc1, 0xbf},
				{0xc3, 0x28}, {0xc3, 0xc3}, {'\\', '/'}, {'\\', 't'}, {'\\', 'x'}, {'\\', 'u', '0', '0', 'e', '9'}} {
				body := bytes.Repeat([]byte{'b'}, n)
				if pos >= 0 {
					body = append(append(append([]byte{}, body[:pos]...), sp...), body[pos+1:]...)
				}
				for _, doc := range [][]byte{
					append(append([]byte(`["`), body...), `"]`...),
					append(append([]byte(`{"`), body...), `":0}`...),
					append(append([]byte(`"`), body...), '"'),
				} {
					err := Validate(doc, Limits{})
					want := json.Valid(doc) && utf8.Valid(doc)
					if (err == nil) != want {
						t.Fatalf("Validate(%q) = %v, want valid %v", doc, err, want)
					}
				}
			}
		}
	}
}

// TestValidate_literalAndIntegerFastPaths covers the inline checks of
// literals and plain integers at the end of the input and next to every
// delimiter, and their refusals.
func TestValidate_literalAndIntegerFastPaths(t *testing.T) {
	valid := []string{`true`, `false`, `null`, `1`, `9`, `123456789012345678901234567890`, `[true]`, `[false]`,
		`[null]`, `[1]`, `[12,true,false,null]`, "[1 ]", "[true\t]", "{\"a\":null\n}", "{\"a\":7\r}", `[0]`, `-1`,
		`[12345678]`, `[123456789,1]`, `[1234567,12345678,123456789]`, `{"a":12345678,"b":1}`, `{"abcdefg":1,"":2}`}
	invalid := []string{`tru`, `fals`, `nul`, `truex`, `[truex]`, `[nulll]`, `[falsee]`, `[tRue]`, `[1x]`,
		`[12a]`, `1.`, `[1.]`, `[01]`, `[1-]`, `[1+]`, `[true`, `[1`, `[false,]`, `t`, `[f]`, "[nul\x00]", `[1e]`,
		`[1234567x]`, `[12345678x]`, `[123456789x]`, `[1234567`, `[12345678`, `{"abcdefg":1,"abcdefg":2}`, `{"a"1}`}
	for _, s := range valid {
		if err := Validate([]byte(s), Limits{}); err != nil {
			t.Errorf("Validate(%q) = %v, want nil", s, err)
		}
	}
	for _, s := range invalid {
		if err := Validate([]byte(s), Limits{}); err == nil {
			t.Errorf("Validate(%q) accepted", s)
		}
	}
}

// FuzzPlainString_wordAgainstByteLoop compares the word-at-a-time plainString with the byte
// loop on any input, start and cap.
func FuzzPlainString_wordAgainstByteLoop(f *testing.F) {
	f.Add([]byte(`"abcdefgh"`), 0, 100)
	f.Add([]byte(`"abcdefg\"`), 0, 7)
	f.Add([]byte("\"abcdefghijklm\xc3\xa9\""), 0, 100)
	f.Add([]byte("xx\"abc\x1fdefghijk\"\"\""), 2, 9)
	f.Fuzz(func(t *testing.T, data []byte, i, strCap int) {
		if i < 0 || i >= len(data) || strCap < 0 {
			return
		}
		want := plainStringRef(data, i, strCap)
		if got := plainString(data, i, strCap); got != want {
			t.Fatalf("plainString(%q, %d, %d) = %d, want %d", data, i, strCap, got, want)
		}
		// The scanner's one-word path for short strings.
		if i+9 <= len(data) {
			w := binary.LittleEndian.Uint64(data[i+1 : i+9])
			if q := quoteShift(w); byte(w>>q) == '"' && int(q>>3) <= strCap && i+int(q>>3)+2 != want {
				t.Fatalf("quoteShift path on (%q, %d, %d) ends at %d, want %d", data, i, strCap, i+int(q>>3)+2, want)
			}
		}
	})
}

// TestDigitRun_againstByteLoop puts every byte value at every lane after
// leading digits and compares the count of leading digits with a loop.
func TestDigitRun_againstByteLoop(t *testing.T) {
	for lane := 0; lane < 8; lane++ {
		for b := 0; b < 256; b++ {
			var w [8]byte
			for k := range w {
				w[k] = '0' + byte((k*7+b)%10)
			}
			w[lane] = byte(b)
			want := 0
			for want < 8 && w[want]-'0' < 10 {
				want++
			}
			if got := digitRun(binary.LittleEndian.Uint64(w[:])); got != want {
				t.Fatalf("digitRun(%q) = %d, want %d", w, got, want)
			}
		}
	}
}
