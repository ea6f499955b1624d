package jsonx

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

// stdMaxDepth is encoding/json's own nesting cap: it refuses deeper
// documents even when they are well-formed.
const stdMaxDepth = 10000

var fuzzSeeds = []string{
	``, ` `, `{}`, `[]`, `""`, `0`, `-0.5e-7`, `true`, `null`,
	`{"a":1,"b":[true,false,null,"x\u00e9\n"],"c":{"d":-1.5e+3}}`,
	`{"a":1,"a":2}`, `{"a":1,"\u0061":2}`, `{"x":{"k":1,"K":2}}`, `{"k":1,"\u212a":2}`,
	`[{"a":1},{"a":1}]`, `{"a":{"b":1},"b":2}`, `{"a":1,}`, `[1,]`, `[01]`, `[1.]`, `[-]`,
	`["\ud83d\ude00"]`, `["\ud83d"]`, `["\ude00"]`, "[\"\xff\"]", "[\"\xed\xa0\x80\"]", "\xef\xbb\xbf{}",
	`{"a" 1}`, `{"a":}`, `[1 2]`, `{}{}`, `{} x`, `[[[[[[[[]]]]]]]]`, `"\u0000"`, "[\"\t\"]",
	`{"k0":0,"k1":1,"k2":2,"k3":3,"k4":4,"k5":5,"k6":6,"k7":7,"k8":8,"k9":9,"k10":10,"k11":11,` +
		`"k12":12,"k13":13,"k14":14,"k15":15,"k16":16,"k17":17,"k18":{"k1":1},"k19":19,"k3":3}`,
	`[1e400,-1e-400,123456789012345678901234567890]`,
	// Member names equal under case folding (docs/configuration.md "request").
	`{"qty":1,"QTY":-5}`, `{"qty":1,"\u0051TY":-5}`, `{"\u0071ty":1,"Q\u0054Y":-5}`,
	"{\"k\":1,\"\u212a\":2}", "{\"s\":1,\"\u017f\":2}", "{\"i\":1,\"\u0130\":2}", "{\"I\":1,\"\u0131\":2}",
	`{"\u0130":1,"\u0131":2}`, "{\"\u00df\":1,\"\u1e9e\":2,\"ss\":3}", "{\"\u03c3\":1,\"\u03c2\":2}",
	`{"customer_id":"a","meta":{"Customer_ID":"b"},"CUSTOMER_ID":"c"}`,
}

func addSeeds(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s))
	}
	dir := testdataDir(f, "jsontestsuite/test_parsing")
	entries, err := os.ReadDir(dir)
	if err != nil {
		f.Fatal(err)
	}
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			f.Fatal(err)
		}
		// The two 100-250 KB nesting files are covered by
		// TestValidate_JSONTestSuite and TestValidate_depthBomb; as seeds they only make
		// every mutation slow.
		if len(data) <= 4096 {
			f.Add(data)
		}
	}
}

// FuzzValidate_againstEncodingJSON checks Validate against encoding/json.Valid on
// well-formedness and against an encoding/json token walk on duplicate
// keys. The known, intended differences are accounted for exactly:
//
//   - encoding/json refuses nesting deeper than 10000 even when the text is
//     well-formed; Validate with Limits{} has no cap. Such inputs are only
//     checked for crashes.
//   - encoding/json accepts invalid UTF-8 inside strings and lone surrogate
//     escapes (it decodes both to U+FFFD); Validate refuses them with
//     ReasonUTF8 (or an earlier duplicate key).
//   - encoding/json accepts duplicate keys (last one wins); Validate refuses
//     them, exactly when the token walk sees one.
func FuzzValidate_againstEncodingJSON(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		var v Validator
		err := v.Validate(data, Limits{})
		reason := checkErr(t, data, err)
		if approxDepth(data) > stdMaxDepth {
			return
		}
		if !json.Valid(data) {
			if err == nil {
				t.Fatalf("accepted what encoding/json refuses: %q", data)
			}
			return
		}
		if !utf8.Valid(data) || hasLoneSurrogate(data) {
			if reason != ReasonUTF8 && reason != ReasonDuplicateKey {
				t.Fatalf("invalid Unicode: got %v for %q", err, data)
			}
			return
		}
		st := stdWalk(t, data)
		switch {
		case st.dup && reason != ReasonDuplicateKey:
			t.Fatalf("duplicate key missed: got %v for %q", err, data)
		case !st.dup && err != nil:
			t.Fatalf("refused valid JSON: %v for %q", err, data)
		}

		fv := Validator{FoldDuplicates: true}
		ferr := fv.Validate(data, Limits{})
		freason := checkErr(t, data, ferr)
		if freason != st.foldReason {
			t.Fatalf("FoldDuplicates: got %v, want %q for %q", ferr, st.foldReason, data)
		}
		if st.dup {
			return
		}

		// Limits: the document's own maxima pass, one less is refused
		// with the matching reason.
		if err := v.Validate(data, Limits{MaxDepth: st.depth, MaxKeys: st.keys, MaxArrayItems: st.items}); err != nil {
			t.Fatalf("refused at its own limits %+v: %v", st, err)
		}
		for _, c := range []struct {
			lim    Limits
			reason string
			n      int
		}{
			{Limits{MaxDepth: st.depth - 1}, ReasonDepth, st.depth},
			{Limits{MaxKeys: st.keys - 1}, ReasonKeys, st.keys},
			{Limits{MaxArrayItems: st.items - 1}, ReasonItems, st.items},
		} {
			if c.n < 2 {
				continue // a limit of 0 means unlimited
			}
			var e *Error
			if err := v.Validate(data, c.lim); !errors.As(err, &e) || e.Reason != c.reason {
				t.Fatalf("limits %+v: got %v, want %s for %q", c.lim, err, c.reason, data)
			}
		}
	})
}

// checkErr checks the error's type and offset and returns its reason.
func checkErr(t *testing.T, data []byte, err error) string {
	t.Helper()
	if err == nil {
		return ""
	}
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error of type %T", err)
	}
	if e.Offset < 0 || e.Offset > len(data) {
		t.Fatalf("offset %d out of range", e.Offset)
	}
	if _, ok := reasonText[e.Reason]; !ok {
		t.Fatalf("unknown reason %q", e.Reason)
	}
	return e.Reason
}

// approxDepth is the maximum bracket nesting outside strings; exact for
// well-formed input.
func approxDepth(data []byte) int {
	depth, maxDepth, inStr := 0, 0, false
	for i := 0; i < len(data); i++ {
		c := data[i]
		switch {
		case inStr && c == '\\':
			i++
		case c == '"':
			inStr = !inStr
		case inStr:
		case c == '[' || c == '{':
			depth++
			maxDepth = max(maxDepth, depth)
		case c == ']' || c == '}':
			depth--
		}
	}
	return maxDepth
}

// hasLoneSurrogate reports whether well-formed JSON text has a \u escape
// of a surrogate that is not part of a high-low pair.
func hasLoneSurrogate(data []byte) bool {
	inStr := false
	for i := 0; i < len(data); i++ {
		c := data[i]
		if !inStr {
			inStr = c == '"'
			continue
		}
		switch c {
		case '"':
			inStr = false
		case '\\':
			if data[i+1] != 'u' {
				i++
				continue
			}
			r, _ := strconv.ParseUint(string(data[i+2:i+6]), 16, 32)
			i += 5
			switch {
			case r >= 0xDC00 && r <= 0xDFFF:
				return true
			case r >= 0xD800 && r <= 0xDBFF:
				if i+6 >= len(data) || data[i+1] != '\\' || data[i+2] != 'u' {
					return true
				}
				lo, _ := strconv.ParseUint(string(data[i+3:i+7]), 16, 32)
				if lo < 0xDC00 || lo > 0xDFFF {
					return true
				}
				i += 6
			}
		}
	}
	return false
}

// foldOracle is the key equality of FoldDuplicates as docs/configuration.md "request"
// states it, built from the standard library alone: Unicode simple case
// folding (strings.EqualFold) once 'İ' and 'ı' are read as 'i'.
func foldOracle(a, b string) bool {
	return strings.EqualFold(dotlessI.Replace(a), dotlessI.Replace(b))
}

var dotlessI = strings.NewReplacer("\u0130", "i", "\u0131", "i")

type stdStats struct {
	dup                bool   // some object has the same key twice
	foldReason         string // what FoldDuplicates must report
	depth, keys, items int    // maxima: nesting, keys per object, items per array
}

// stdWalk walks well-formed JSON with encoding/json's token API, an
// implementation independent of this package, and reports duplicates and
// shape maxima.
func stdWalk(t *testing.T, data []byte) stdStats {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	type frame struct {
		obj     bool
		wantKey bool
		keys    []string
		items   int
	}
	var st stdStats
	var stack []*frame
	value := func() { // a value of the top container starts
		if n := len(stack); n > 0 {
			if top := stack[n-1]; top.obj {
				top.wantKey = true
			} else {
				top.items++
				st.items = max(st.items, top.items)
			}
		}
	}
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return st
		}
		if err != nil {
			t.Fatalf("encoding/json token walk: %v", err)
		}
		switch tok := tok.(type) {
		case json.Delim:
			switch tok {
			case '{', '[':
				value()
				stack = append(stack, &frame{obj: tok == '{', wantKey: tok == '{'})
				st.depth = max(st.depth, len(stack))
			default:
				stack = stack[:len(stack)-1]
			}
			continue
		case string:
			if n := len(stack); n > 0 && stack[n-1].obj && stack[n-1].wantKey {
				top := stack[n-1]
				top.wantKey = false
				for _, k := range top.keys {
					if k == tok {
						st.dup = true
					}
					if st.foldReason == "" && foldOracle(k, tok) {
						st.foldReason = ReasonDuplicateKeyCase
						if k == tok {
							st.foldReason = ReasonDuplicateKey
						}
					}
				}
				top.keys = append(top.keys, tok)
				st.keys = max(st.keys, len(top.keys))
				continue
			}
		}
		value()
	}
}

// FuzzParse_againstEncodingJSON checks that Parse agrees with Validate, that its tree matches
// encoding/json's decoding of the same text, and that encoding the tree and
// parsing it again gives the same tree.
func FuzzParse_againstEncodingJSON(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		val, perr := Parse(data, Limits{})
		verr := Validate(data, Limits{})
		if (perr == nil) != (verr == nil) {
			t.Fatalf("Parse %v, Validate %v", perr, verr)
		}
		if perr != nil {
			if *perr.(*Error) != *verr.(*Error) {
				t.Fatalf("Parse %v, Validate %v", perr, verr)
			}
			return
		}
		checkOffsets(t, data, &val)
		if approxDepth(data) <= stdMaxDepth {
			var std any
			dec := json.NewDecoder(bytes.NewReader(data))
			dec.UseNumber()
			if err := dec.Decode(&std); err != nil {
				t.Fatalf("encoding/json refuses what Parse accepts: %v", err)
			}
			if got := toAny(&val); !reflect.DeepEqual(got, std) {
				t.Fatalf("tree differs from encoding/json:\n%#v\n%#v", got, std)
			}
		}
		enc := appendValue(nil, &val)
		val2, err := Parse(enc, Limits{})
		if err != nil {
			t.Fatalf("re-parse of %q: %v", enc, err)
		}
		if !sameTree(&val, &val2) {
			t.Fatalf("re-parsed tree differs: %q", enc)
		}
	})
}

// checkOffsets checks every value's Offset points at its first byte and
// that the number accessors agree with strconv.
func checkOffsets(t *testing.T, data []byte, root *Value) {
	first := map[Kind]string{KindNull: "n", KindObject: "{", KindArray: "[", KindString: `"`, KindNumber: "-0123456789"}
	stack := []*Value{root}
	for len(stack) > 0 {
		v := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if v.Offset < 0 || v.Offset >= len(data) {
			t.Fatalf("offset %d out of range", v.Offset)
		}
		want := first[v.Kind]
		if v.Kind == KindBool {
			want = "f"
			if v.Bool {
				want = "t"
			}
		}
		if !strings.ContainsRune(want, rune(data[v.Offset])) {
			t.Fatalf("%v at offset %d starts with %q", v.Kind, v.Offset, data[v.Offset])
		}
		if v.Kind == KindNumber {
			if !strings.HasPrefix(string(data[v.Offset:]), v.Str) {
				t.Fatalf("number text %q is not the input at %d", v.Str, v.Offset)
			}
			n, ok := v.Int64()
			isInt := !strings.ContainsAny(v.Str, ".eE")
			_, perr := strconv.ParseInt(v.Str, 10, 64)
			want := v.Str
			if want == "-0" {
				want = "0"
			}
			if ok && strconv.FormatInt(n, 10) != want || ok != (isInt && perr == nil) {
				t.Fatalf("Int64(%q) = %d, %v", v.Str, n, ok)
			}
			fl, ok := v.Float64()
			if sf, err := strconv.ParseFloat(v.Str, 64); ok != (err == nil) || (ok && fl != sf) || math.IsInf(fl, 0) {
				t.Fatalf("Float64(%q) = %v, %v", v.Str, fl, ok)
			}
		}
		for i := range v.Members {
			m := &v.Members[i]
			if data[m.Offset] != '"' {
				t.Fatalf("member offset %d is not a quote", m.Offset)
			}
			stack = append(stack, &m.Value)
		}
		for i := range v.Items {
			stack = append(stack, &v.Items[i])
		}
	}
}

// toAny converts a tree to encoding/json's representation (UseNumber).
func toAny(v *Value) any {
	switch v.Kind {
	case KindBool:
		return v.Bool
	case KindNumber:
		return json.Number(v.Str)
	case KindString:
		return v.Str
	case KindObject:
		m := make(map[string]any, len(v.Members))
		for i := range v.Members {
			m[v.Members[i].Key] = toAny(&v.Members[i].Value)
		}
		return m
	case KindArray:
		a := make([]any, len(v.Items))
		for i := range v.Items {
			a[i] = toAny(&v.Items[i])
		}
		return a
	}
	return nil
}

// appendValue encodes a tree as compact JSON (strings via encoding/json).
func appendValue(dst []byte, v *Value) []byte {
	switch v.Kind {
	case KindNull:
		return append(dst, "null"...)
	case KindBool:
		return strconv.AppendBool(dst, v.Bool)
	case KindNumber:
		return append(dst, v.Str...)
	case KindString:
		b, _ := json.Marshal(v.Str)
		return append(dst, b...)
	case KindObject:
		dst = append(dst, '{')
		for i := range v.Members {
			if i > 0 {
				dst = append(dst, ',')
			}
			b, _ := json.Marshal(v.Members[i].Key)
			dst = append(append(dst, b...), ':')
			dst = appendValue(dst, &v.Members[i].Value)
		}
		return append(dst, '}')
	default:
		dst = append(dst, '[')
		for i := range v.Items {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendValue(dst, &v.Items[i])
		}
		return append(dst, ']')
	}
}

// sameTree compares two trees, ignoring offsets.
func sameTree(a, b *Value) bool {
	if a.Kind != b.Kind || a.Bool != b.Bool || a.Str != b.Str ||
		len(a.Members) != len(b.Members) || len(a.Items) != len(b.Items) {
		return false
	}
	for i := range a.Members {
		if a.Members[i].Key != b.Members[i].Key || !sameTree(&a.Members[i].Value, &b.Members[i].Value) {
			return false
		}
	}
	for i := range a.Items {
		if !sameTree(&a.Items[i], &b.Items[i]) {
			return false
		}
	}
	return true
}
