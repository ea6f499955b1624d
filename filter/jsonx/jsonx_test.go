package jsonx

import (
	"bytes"
	"errors"
	"strconv"
	"strings"
	"testing"
)

type vcase struct {
	name   string
	in     string
	lim    Limits
	reason string // "" = accepted
	off    int    // expected Offset when reason != ""; -1 = not checked
}

func runCases(t *testing.T, cases []vcase, fold bool) {
	t.Helper()
	for _, c := range cases {
		v := Validator{FoldDuplicates: fold}
		err := v.Validate([]byte(c.in), c.lim)
		_, perr := v.Parse([]byte(c.in), c.lim)
		if c.reason == "" {
			if err != nil || perr != nil {
				t.Errorf("%s: %q: want accepted, got Validate %v, Parse %v", c.name, c.in, err, perr)
			}
			continue
		}
		var e *Error
		if !errors.As(err, &e) {
			t.Errorf("%s: %q: want %s, got %v", c.name, c.in, c.reason, err)
			continue
		}
		if e.Reason != c.reason || (c.off >= 0 && e.Offset != c.off) {
			t.Errorf("%s: %q: got %s@%d, want %s@%d", c.name, c.in, e.Reason, e.Offset, c.reason, c.off)
		}
		var pe *Error
		if !errors.As(perr, &pe) || *pe != *e {
			t.Errorf("%s: Parse error %v differs from Validate error %v", c.name, perr, err)
		}
	}
}

func TestValidate_grammar(t *testing.T) {
	runCases(t, []vcase{
		{"object", `{"a":[1,true,false,null,"s",{}]}`, Limits{}, "", 0},
		{"scalar number", `-0.5e+10`, Limits{}, "", 0},
		{"scalar string", `""`, Limits{}, "", 0},
		{"scalar true", `true`, Limits{}, "", 0},
		{"surrounding ws", " \t\r\n{ \"a\" : [ 1 , 2 ] }\n\r\t ", Limits{}, "", 0},
		{"empty", ``, Limits{}, ReasonEmpty, 0},
		{"only ws", " \n\t", Limits{}, ReasonEmpty, 3},
		{"bom", "\xef\xbb\xbf{}", Limits{}, ReasonSyntax, 0},
		{"form feed is not ws", "\f{}", Limits{}, ReasonSyntax, 0},
		{"vertical tab", "{}\v", Limits{}, ReasonTrailingData, 2},
		{"nbsp", "\u00a0{}", Limits{}, ReasonSyntax, 0},
		{"line comment", "{}//x", Limits{}, ReasonTrailingData, 2},
		{"block comment", "{/**/}", Limits{}, ReasonSyntax, 1},
		{"trailing comma array", `[1,]`, Limits{}, ReasonSyntax, 3},
		{"trailing comma object", `{"a":1,}`, Limits{}, ReasonSyntax, 7},
		{"leading comma", `[,1]`, Limits{}, ReasonSyntax, 1},
		{"double comma", `[1,,2]`, Limits{}, ReasonSyntax, 3},
		{"missing colon", `{"a" 1}`, Limits{}, ReasonSyntax, 5},
		{"missing value", `{"a":}`, Limits{}, ReasonSyntax, 5},
		{"unquoted key", `{a:1}`, Limits{}, ReasonSyntax, 1},
		{"single quotes", `['a']`, Limits{}, ReasonSyntax, 1},
		{"mismatched close", `[}`, Limits{}, ReasonSyntax, 1},
		{"mismatched close 2", `{"a":1]`, Limits{}, ReasonSyntax, 6},
		{"unclosed array", `[1`, Limits{}, ReasonSyntax, 2},
		{"unclosed object", `{"a":1`, Limits{}, ReasonSyntax, 6},
		{"unclosed string", `["abc`, Limits{}, ReasonSyntax, 1},
		{"stray close", `]`, Limits{}, ReasonSyntax, 0},
		{"two values", `1 2`, Limits{}, ReasonTrailingData, 2},
		{"two objects", `{}{}`, Limits{}, ReasonTrailingData, 2},
		{"trailing garbage", `{"a":1}x`, Limits{}, ReasonTrailingData, 7},
		{"nul after value", "{}\x00", Limits{}, ReasonTrailingData, 2},
		{"literal truncated", `tru`, Limits{}, ReasonSyntax, 0},
		{"literal extended", `truex`, Limits{}, ReasonSyntax, 4},
		{"literal case", `True`, Limits{}, ReasonSyntax, 0},
		{"nul literal", `[nul]`, Limits{}, ReasonSyntax, 1},
		{"NaN", `NaN`, Limits{}, ReasonSyntax, 0},
		{"Infinity", `[Infinity]`, Limits{}, ReasonSyntax, 1},
		{"-Infinity", `[-Infinity]`, Limits{}, ReasonSyntax, 2},
		{"raw tab in string", "[\"a\tb\"]", Limits{}, ReasonSyntax, 3},
		{"raw newline in string", "[\"a\nb\"]", Limits{}, ReasonSyntax, 3},
		{"raw NUL in string", "[\"\x00\"]", Limits{}, ReasonSyntax, 2},
		{"DEL in string", "[\"\x7f\"]", Limits{}, "", 0},
		{"all escapes", `["\"\\\/\b\f\n\r\t\u0000\u00e9\uFFFF"]`, Limits{}, "", 0},
		{"bad escape", `["\x41"]`, Limits{}, ReasonSyntax, 2},
		{"escaped quote apostrophe", `["\'"]`, Limits{}, ReasonSyntax, 2},
		{"short \\u", `["\u12"]`, Limits{}, ReasonSyntax, 2},
		{"upper \\U", `["\U0041"]`, Limits{}, ReasonSyntax, 2},
		{"non-hex \\u", `["\u00G1"]`, Limits{}, ReasonSyntax, 2},
		{"backslash at end", `["\`, Limits{}, ReasonSyntax, 2},
		{"non-ASCII outside string", "[\u00e9]", Limits{}, ReasonSyntax, 1},
	}, false)
}

func TestValidate_numbers(t *testing.T) {
	ok := []string{"0", "-0", "1", "-1", "10", "0.5", "-0.0e0", "1e5", "1E+5", "1e-5", "1.25E-07",
		"123456789012345678901234567890", "1e400", "-1e-400", "[0,-0,1]", "{\"a\":0}"}
	bad := map[string]int{ // input -> offset
		"01": 1, "-01": 2, "00": 1, "1.": 2, ".5": 0, "+1": 0, "1e": 2, "1e+": 3, "--1": 1,
		"0x1": 1, "1.e5": 2, "- 1": 1, "-": 1, "1_000": 1, "1.5.2": 3, "1e5e5": 3, "[01]": 2,
		"0.": 2, "1E": 2, "[1.]": 3, "-.5": 1, "2e+-1": 3, "1a": 1,
	}
	var cases []vcase
	for _, s := range ok {
		cases = append(cases, vcase{"ok " + s, s, Limits{}, "", 0})
	}
	for s, off := range bad {
		cases = append(cases, vcase{"bad " + s, s, Limits{}, ReasonSyntax, off})
	}
	runCases(t, cases, false)
}

func TestValue_int64Float64(t *testing.T) {
	tests := []struct {
		in      string
		i       int64
		iok     bool
		f       float64
		fok     bool
		wantStr string
	}{
		{"0", 0, true, 0, true, "0"},
		{"-0", 0, true, 0, true, "-0"},
		{"42", 42, true, 42, true, "42"},
		{"9223372036854775807", 9223372036854775807, true, 9223372036854775807, true, ""},
		{"-9223372036854775808", -9223372036854775808, true, -9223372036854775808, true, ""},
		{"9223372036854775808", 0, false, 9223372036854775808, true, ""},
		{"-9223372036854775809", 0, false, -9223372036854775809, true, ""},
		{"1e3", 0, false, 1000, true, "1e3"},
		{"1.0", 0, false, 1, true, "1.0"},
		{"1.5", 0, false, 1.5, true, ""},
		{"1e400", 0, false, 0, false, ""},
		{"-1e400", 0, false, 0, false, ""},
		{"1e-400", 0, false, 0, true, ""},
		{"9007199254740993", 9007199254740993, true, 9007199254740992, true, "9007199254740993"},
	}
	for _, tt := range tests {
		v, err := Parse([]byte(tt.in), Limits{})
		if err != nil {
			t.Fatalf("%s: %v", tt.in, err)
		}
		if v.Kind != KindNumber || v.Str != tt.in {
			t.Errorf("%s: Kind %v Str %q", tt.in, v.Kind, v.Str)
		}
		if i, ok := v.Int64(); i != tt.i || ok != tt.iok {
			t.Errorf("%s: Int64 = %d, %v; want %d, %v", tt.in, i, ok, tt.i, tt.iok)
		}
		if f, ok := v.Float64(); f != tt.f || ok != tt.fok {
			t.Errorf("%s: Float64 = %g, %v; want %g, %v", tt.in, f, ok, tt.f, tt.fok)
		}
	}
	for _, in := range []string{`"1"`, `true`, `null`, `[1]`, `{}`} {
		v, _ := Parse([]byte(in), Limits{})
		if _, ok := v.Int64(); ok {
			t.Errorf("%s: Int64 ok on a non-number", in)
		}
		if _, ok := v.Float64(); ok {
			t.Errorf("%s: Float64 ok on a non-number", in)
		}
	}
}

func TestValidate_limits(t *testing.T) {
	runCases(t, []vcase{
		// MaxDepth: containers only; the top-level container is depth 1.
		{"depth scalar top", `1`, Limits{MaxDepth: 1}, "", 0},
		{"depth 1 array of scalars", `[1,"a",null]`, Limits{MaxDepth: 1}, "", 0},
		{"depth 1 exceeded", `[[]]`, Limits{MaxDepth: 1}, ReasonDepth, 1},
		{"depth at", `[{"a":[]}]`, Limits{MaxDepth: 3}, "", 0},
		{"depth over", `[{"a":[{}]}]`, Limits{MaxDepth: 3}, ReasonDepth, 7},
		{"depth siblings", `[[[]],[[]],{"a":{"b":1}}]`, Limits{MaxDepth: 3}, "", 0},
		{"depth 0 unlimited", strings.Repeat("[", 600) + strings.Repeat("]", 600), Limits{}, "", 0},
		{"depth negative unlimited", `[[[[]]]]`, Limits{MaxDepth: -1}, "", 0},
		// MaxKeys: per object.
		{"keys at", `{"a":1,"b":2}`, Limits{MaxKeys: 2}, "", 0},
		{"keys over", `{"a":1,"b":2,"c":3}`, Limits{MaxKeys: 2}, ReasonKeys, 13},
		{"keys per object", `{"a":{"x":1,"y":2},"b":{"x":1,"y":2}}`, Limits{MaxKeys: 2}, "", 0},
		{"keys nested over", `{"a":{"x":1,"y":2,"z":3}}`, Limits{MaxKeys: 2}, ReasonKeys, 18},
		{"keys empty object", `{}`, Limits{MaxKeys: 1}, "", 0},
		// MaxArrayItems: per array.
		{"items at", `[1,2]`, Limits{MaxArrayItems: 2}, "", 0},
		{"items over", `[1,2,3]`, Limits{MaxArrayItems: 2}, ReasonItems, 5},
		{"items per array", `[[1,2],[3,4]]`, Limits{MaxArrayItems: 2}, "", 0},
		{"items nested over", `[[1,2,[]]]`, Limits{MaxArrayItems: 2}, ReasonItems, 6},
		{"items object values not counted", `{"a":1,"b":2,"c":3}`, Limits{MaxArrayItems: 1}, "", 0},
		// MaxStringBytes: raw bytes between the quotes, escapes as written.
		{"string at", `"abc"`, Limits{MaxStringBytes: 3}, "", 0},
		{"string over", `"abcd"`, Limits{MaxStringBytes: 3}, ReasonStringSize, 0},
		{"string over in array", `[1,"abcd"]`, Limits{MaxStringBytes: 3}, ReasonStringSize, 3},
		{"string escape counts raw", `"\n\t"`, Limits{MaxStringBytes: 4}, "", 0},
		{"string escape over", `"\u0041"`, Limits{MaxStringBytes: 5}, ReasonStringSize, 0},
		{"string escape at", `"\u0041"`, Limits{MaxStringBytes: 6}, "", 0},
		{"string multibyte at", `"éé"`, Limits{MaxStringBytes: 4}, "", 0},
		{"string multibyte over", `"éé"`, Limits{MaxStringBytes: 3}, ReasonStringSize, 0},
		{"key at", `{"abc":1}`, Limits{MaxStringBytes: 3}, "", 0},
		{"key over", `{"abcd":1}`, Limits{MaxStringBytes: 3}, ReasonStringSize, 1},
		{"long unterminated", `"abcdefgh`, Limits{MaxStringBytes: 3}, ReasonStringSize, 0},
		{"short unterminated", `"ab`, Limits{MaxStringBytes: 3}, ReasonSyntax, 0},
		{"at limit unterminated", `"abc`, Limits{MaxStringBytes: 3}, ReasonSyntax, 0},
		{"empty string with limit", `""`, Limits{MaxStringBytes: 1}, "", 0},
		// Numbers are not strings.
		{"number not a string", `123456789`, Limits{MaxStringBytes: 3}, "", 0},
	}, false)
}

func TestValidate_depthBomb(t *testing.T) {
	lim := Limits{MaxDepth: 32, MaxKeys: 1000, MaxArrayItems: 1000, MaxStringBytes: 65536}
	for _, bomb := range [][]byte{
		bytes.Repeat([]byte("["), 2<<20),
		bytes.Repeat([]byte(`{"a":`), 2<<20/5),
		bytes.Repeat([]byte(`[{"":`), 2<<20/5),
	} {
		for name, f := range map[string]func([]byte, Limits) error{
			"Validate": Validate,
			"Parse":    func(b []byte, l Limits) error { _, err := Parse(b, l); return err },
		} {
			err := f(bomb, lim)
			var e *Error
			if !errors.As(err, &e) || e.Reason != ReasonDepth {
				t.Fatalf("%s: want depth error, got %v", name, err)
			}
			// The 33rd container is refused as it opens.
			if e.Offset > 32*5 {
				t.Errorf("%s: depth refused late, at offset %d", name, e.Offset)
			}
		}
	}
}

// TestValidate_loneSurrogatesRefused pins the decision documented in the package comment:
// escapes must denote Unicode scalar values; a lone surrogate is refused
// with ReasonUTF8 at the offending backslash.
func TestValidate_loneSurrogatesRefused(t *testing.T) {
	runCases(t, []vcase{
		{"pair", `"\ud83d\ude00"`, Limits{}, "", 0},
		{"pair upper", `"\uD83D\uDE00"`, Limits{}, "", 0},
		{"pair in key", `{"\uD834\uDD1E":1}`, Limits{}, "", 0},
		{"lone high end", `"\ud83d"`, Limits{}, ReasonUTF8, 1},
		{"lone high text", `"\ud83dabc"`, Limits{}, ReasonUTF8, 1},
		{"high then bmp", `"\ud83d\u0041"`, Limits{}, ReasonUTF8, 1},
		{"high then high", `"\ud83d\ud83d"`, Limits{}, ReasonUTF8, 1},
		{"high then escape", `"\ud83d\n"`, Limits{}, ReasonUTF8, 1},
		{"lone low", `"x\ude00"`, Limits{}, ReasonUTF8, 2},
		{"inverted", `"\ude00\ud83d"`, Limits{}, ReasonUTF8, 1},
		{"lone in key", `{"\udfaa":0}`, Limits{}, ReasonUTF8, 2},
		{"high then bad hex", `"\ud83d\uzzzz"`, Limits{}, ReasonSyntax, 1},
		{"edges", `"\ud7ff\ue000\uffff"`, Limits{}, "", 0},
	}, false)
	v, err := Parse([]byte(`["\ud83d\ude00","\u00e9\u0000x"]`), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if v.Items[0].Str != "\U0001F600" || v.Items[1].Str != "é\x00x" {
		t.Errorf("decoded %q %q", v.Items[0].Str, v.Items[1].Str)
	}
}

func TestValidate_utf8(t *testing.T) {
	runCases(t, []vcase{
		{"2 byte", "\"\u00e9\"", Limits{}, "", 0},
		{"3 byte", "\"\u20ac\"", Limits{}, "", 0},
		{"4 byte", "\"\U0001F600\"", Limits{}, "", 0},
		{"max", "\"\U0010FFFF\"", Limits{}, "", 0},
		{"literal U+FFFD", "\"\xef\xbf\xbd\"", Limits{}, "", 0},
		{"utf8 key", "{\"\u00e9\":1}", Limits{}, "", 0},
		{"overlong 2", "\"\xc0\xaf\"", Limits{}, ReasonUTF8, 1},
		{"overlong 3", "\"\xe0\x80\xaf\"", Limits{}, ReasonUTF8, 1},
		{"overlong 4", "\"\xf0\x80\x80\xaf\"", Limits{}, ReasonUTF8, 1},
		{"surrogate encoded", "\"\xed\xa0\x80\"", Limits{}, ReasonUTF8, 1},
		{"above max", "\"\xf4\x90\x80\x80\"", Limits{}, ReasonUTF8, 1},
		{"f5", "\"\xf5\x80\x80\x80\"", Limits{}, ReasonUTF8, 1},
		{"ff", "\"ab\xff\"", Limits{}, ReasonUTF8, 3},
		{"lone continuation", "\"\x80\"", Limits{}, ReasonUTF8, 1},
		{"truncated before quote", "\"\xe2\x82\"", Limits{}, ReasonUTF8, 1},
		{"truncated at end", "\"\xe2\x82", Limits{}, ReasonUTF8, 1},
		{"invalid in key", "{\"\xc3\":1}", Limits{}, ReasonUTF8, 2},
		{"latin1", "[\"caf\xe9\"]", Limits{}, ReasonUTF8, 5},
	}, false)
}

func TestDuplicateKeys_exact(t *testing.T) {
	var big, bigDup, bigNested strings.Builder
	big.WriteString("{")
	for i := range 1000 {
		if i > 0 {
			big.WriteString(",")
		}
		big.WriteString(`"k` + strconv.Itoa(i) + `":` + strconv.Itoa(i))
	}
	bigDup.WriteString(big.String() + `,"k0":1}`)
	big.WriteString("}")
	// 20 indexed objects inside an indexed object, all with the same keys.
	bigNested.WriteString("{")
	for i := range 20 {
		if i > 0 {
			bigNested.WriteString(",")
		}
		bigNested.WriteString(`"k` + strconv.Itoa(i) + `":{`)
		for j := range 20 {
			if j > 0 {
				bigNested.WriteString(",")
			}
			bigNested.WriteString(`"k` + strconv.Itoa(j) + `":1`)
		}
		bigNested.WriteString("}")
	}
	nestedOK := bigNested.String() + "}"
	nestedDup := bigNested.String() + `,"k19":2}`
	runCases(t, []vcase{
		{"plain", `{"a":1,"a":2}`, Limits{}, ReasonDuplicateKey, 7},
		{"same value", `{"a":1,"a":1}`, Limits{}, ReasonDuplicateKey, 7},
		{"empty key", `{"":1,"":2}`, Limits{}, ReasonDuplicateKey, 6},
		{"escaped", `{"a":1,"\u0061":2}`, Limits{}, ReasonDuplicateKey, 7},
		{"escaped first", `{"\u0061":1,"a":2}`, Limits{}, ReasonDuplicateKey, 12},
		{"both escaped", `{"\u0061b":1,"a\u0062":2}`, Limits{}, ReasonDuplicateKey, 13},
		{"escaped slash", `{"a/b":1,"a\/b":2}`, Limits{}, ReasonDuplicateKey, 9},
		{"surrogate pair vs raw", "{\"\\ud83d\\ude00\":1,\"\U0001F600\":2}", Limits{}, ReasonDuplicateKey, 18},
		{"nested", `{"x":{"a":1,"b":2,"a":3}}`, Limits{}, ReasonDuplicateKey, 18},
		{"in array", `[{"a":1},{"a":1,"a":2}]`, Limits{}, ReasonDuplicateKey, 16},
		{"outer after inner", `{"a":{"b":1,"c":2},"a":3}`, Limits{}, ReasonDuplicateKey, 19},
		{"distinct levels", `{"a":{"a":{"a":1}}}`, Limits{}, "", 0},
		{"siblings", `[{"a":1},{"a":1}]`, Limits{}, "", 0},
		{"inner keys gone", `{"a":{"b":1},"b":2}`, Limits{}, "", 0},
		{"NUL differs", `{"a\u0000":1,"a":2}`, Limits{}, "", 0},
		{"case differs", `{"a":1,"A":2}`, Limits{}, "", 0},
		{"prefix differs", `{"ab":1,"a":2,"abc":3}`, Limits{}, "", 0},
		{"1000 keys", big.String(), Limits{}, "", 0},
		{"1000 keys dup", bigDup.String(), Limits{}, ReasonDuplicateKey, len(bigDup.String()) - 7},
		{"nested indexed", nestedOK, Limits{}, "", 0},
		{"nested indexed dup", nestedDup, Limits{}, ReasonDuplicateKey, len(nestedDup) - 8},
	}, false)
}

func TestDuplicateKeys_fold(t *testing.T) {
	runCases(t, []vcase{
		{"ascii", `{"customer_id":1,"Customer_ID":2}`, Limits{}, ReasonDuplicateKeyCase, 17},
		{"exact still exact", `{"a":1,"a":2}`, Limits{}, ReasonDuplicateKey, 7},
		{"escaped case", `{"id":1,"\u0049D":2}`, Limits{}, ReasonDuplicateKeyCase, 8},
		{"kelvin sign", `{"k":1,"\u212a":2}`, Limits{}, ReasonDuplicateKeyCase, 7},
		{"long s", "{\"s\":1,\"\u017f\":2}", Limits{}, ReasonDuplicateKeyCase, 7},
		{"greek sigma", "{\"\u03c3\":1,\"\u03a3\":2,\"x\":0}", Limits{}, ReasonDuplicateKeyCase, 8},
		{"sharp s is not SS", "{\"\u00df\":1,\"SS\":2}", Limits{}, "", 0},
		{"different levels", `{"a":{"A":1}}`, Limits{}, "", 0},
		{"no false positive", `{"ab":1,"ba":2,"AC":3}`, Limits{}, "", 0},
		// docs/configuration.md "request": {"qty":1,"QTY":-5} sets Qty to -5 in Go's
		// encoding/json, Jackson and System.Text.Json.
		{"qty", `{"qty":1,"QTY":-5}`, Limits{}, ReasonDuplicateKeyCase, 9},
		{"qty escaped", `{"qty":1,"\u0051TY":-5}`, Limits{}, ReasonDuplicateKeyCase, 9},
		{"qty escaped first", `{"\u0051TY":-5,"qty":1}`, Limits{}, ReasonDuplicateKeyCase, 15},
		{"qty escaped lower", `{"QTY":1,"\u0071ty":2}`, Limits{}, ReasonDuplicateKeyCase, 9},
		{"qty long keys", `{"quantity_total":1,"QUANTITY_TOTAL":2}`, Limits{}, ReasonDuplicateKeyCase, 20},
		{"kelvin sign raw", "{\"k\":1,\"\u212a\":2}", Limits{}, ReasonDuplicateKeyCase, 7},
		{"kelvin sign raw upper", "{\"sKu\":1,\"s\u212au\":2}", Limits{}, ReasonDuplicateKeyCase, 9},
		{"long s upper", "{\"\u017fku\":1,\"SKU\":2}", Limits{}, ReasonDuplicateKeyCase, 10},
		{"long s escaped", `{"s":1,"\u017f":2}`, Limits{}, ReasonDuplicateKeyCase, 7},
		{"dotted I", "{\"id\":1,\"\u0130d\":2}", Limits{}, ReasonDuplicateKeyCase, 8},
		{"dotless i", "{\"ID\":1,\"\u0131d\":2}", Limits{}, ReasonDuplicateKeyCase, 8},
		{"dotted and dotless", `{"\u0130":1,"\u0131":2}`, Limits{}, ReasonDuplicateKeyCase, 12},
		{"dotted I escaped in a big object", `{"a0":0,"a1":1,"a2":2,"a3":3,"a4":4,"a5":5,"a6":6,"a7":7,"a8":8,` +
			`"a9":9,"b0":0,"b1":1,"b2":2,"b3":3,"b4":4,"b5":5,"b6":6,"b7":7,"is_admin":0,"\u0130S_ADM\u0131N":1}`, Limits{}, ReasonDuplicateKeyCase, -1},
		{"micro sign and mu", "{\"\u00b5\":1,\"\u039c\":2}", Limits{}, ReasonDuplicateKeyCase, 8},
		{"title case dz", "{\"\u01c4\":1,\"\u01c5\":2}", Limits{}, ReasonDuplicateKeyCase, 8},
		{"i is not j", `{"i":1,"j":2,"\u0130x":3,"\u0131y":4}`, Limits{}, "", 0},
		{"exact escaped duplicate", `{"qty":1,"\u0071ty":2}`, Limits{}, ReasonDuplicateKey, 9},
		{"nested", `{"items":[{"sku":"A","qty":1,"Qty":-5}]}`, Limits{}, ReasonDuplicateKeyCase, 29},
		{"keys of 8 bytes and more", `{"abcdefgh":1,"abcdefgi":2,"ABCDEFGHI":3,"abcdefghi":4}`, Limits{}, ReasonDuplicateKeyCase, 41},
		{"bytes that are letters only in one case", `{"@":1,"` + "`" + `":2,"[":3,"{":4,"^":5,"~":6}`, Limits{}, "", 0},
	}, true)
	// Without the option every case variant above is a different key.
	runCases(t, []vcase{
		{"qty", `{"qty":1,"QTY":-5}`, Limits{}, "", 0},
		{"qty escaped", `{"qty":1,"\u0051TY":-5}`, Limits{}, "", 0},
		{"dotted I", "{\"id\":1,\"\u0130d\":2}", Limits{}, "", 0},
		{"exact escaped duplicate", `{"qty":1,"\u0071ty":2}`, Limits{}, ReasonDuplicateKey, 9},
	}, false)
	// Big objects go through the hash table with folded hashes.
	var b strings.Builder
	b.WriteString("{")
	for i := range 100 {
		b.WriteString(`"key` + strconv.Itoa(i) + `":1,`)
	}
	in := b.String() + `"KEY50":1}`
	v := Validator{FoldDuplicates: true}
	var e *Error
	if err := v.Validate([]byte(in), Limits{}); !errors.As(err, &e) || e.Reason != ReasonDuplicateKeyCase {
		t.Errorf("big fold: %v", err)
	}
	if err := Validate([]byte(in), Limits{}); err != nil {
		t.Errorf("big fold without option: %v", err)
	}
}

// TestDuplicateKeys_indexAgainstMapOracle compares the duplicate-key index (linear scan,
// shared hash table, deletion on close) with a map-per-object oracle on
// random nested objects with colliding key sets.
func TestDuplicateKeys_indexAgainstMapOracle(t *testing.T) {
	seed := uint64(0x9e3779b97f4a7c15)
	rnd := func(n int) int {
		seed ^= seed << 13
		seed ^= seed >> 7
		seed ^= seed << 17
		return int(seed % uint64(n))
	}
	var v Validator
	for iter := range 300 {
		var b []byte
		hasDup := false
		// Build an object iteratively: a stack of key sets.
		type obj struct{ seen map[string]bool }
		stack := []obj{{map[string]bool{}}}
		b = append(b, '{')
		first := []bool{true}
		keyspace := 8 + rnd(60)
		for steps := 0; len(stack) > 0; steps++ {
			top := len(stack) - 1
			if steps > 400 || rnd(12) == 0 {
				b = append(b, '}')
				stack = stack[:top]
				first = first[:top]
				continue
			}
			if !first[top] {
				b = append(b, ',')
			}
			first[top] = false
			plain := "k" + strconv.Itoa(rnd(keyspace))
			k := plain
			if rnd(4) == 0 {
				k = `\u006b` + plain[1:] // the same key, escaped
			}
			if stack[top].seen[plain] {
				hasDup = true
			}
			stack[top].seen[plain] = true
			b = append(b, '"')
			b = append(b, k...)
			b = append(b, `":`...)
			if rnd(5) == 0 && len(stack) < 6 {
				b = append(b, '{')
				stack = append(stack, obj{map[string]bool{}})
				first = append(first, true)
			} else {
				b = append(b, '1')
			}
			if hasDup {
				// Close everything: the verdict is already decided.
				for range stack {
					b = append(b, '}')
				}
				break
			}
		}
		err := v.Validate(b, Limits{})
		var e *Error
		gotDup := errors.As(err, &e) && e.Reason == ReasonDuplicateKey
		if gotDup != hasDup || (err != nil && !gotDup) {
			t.Fatalf("iter %d: dup=%v, got %v for %s", iter, hasDup, err, b)
		}
	}
}
