package jsonx

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/apiguard/apiguard/filter/jsonx/jsonxtest"
)

func TestParse_tree(t *testing.T) {
	in := []byte(` {"sub":"u\u00e9\n","n":-1.5e3,"ok":true,"no":false,"z":null,` +
		`"a":[1,"x",[],{}],"o":{"k\"":"v"}} `)
	v, err := Parse(in, Limits{MaxDepth: 3})
	if err != nil {
		t.Fatal(err)
	}
	at := func(sub string) int { // offset of a unique substring
		if strings.Count(string(in), sub) != 1 {
			t.Fatalf("%q is not unique", sub)
		}
		return strings.Index(string(in), sub)
	}
	want := Value{Kind: KindObject, Offset: 1, Members: []Member{
		{Key: "sub", Offset: at(`"sub"`), Value: Value{Kind: KindString, Str: "ué\n", Offset: at(`"u\u`)}},
		{Key: "n", Offset: at(`"n"`), Value: Value{Kind: KindNumber, Str: "-1.5e3", Offset: at(`-1.5e3`)}},
		{Key: "ok", Offset: at(`"ok"`), Value: Value{Kind: KindBool, Bool: true, Offset: at(`true`)}},
		{Key: "no", Offset: at(`"no"`), Value: Value{Kind: KindBool, Offset: at(`false`)}},
		{Key: "z", Offset: at(`"z"`), Value: Value{Kind: KindNull, Offset: at(`null`)}},
		{Key: "a", Offset: at(`"a"`), Value: Value{Kind: KindArray, Offset: at(`[1,`), Items: []Value{
			{Kind: KindNumber, Str: "1", Offset: at(`1,"x"`)},
			{Kind: KindString, Str: "x", Offset: at(`"x"`)},
			{Kind: KindArray, Offset: at(`[]`)},
			{Kind: KindObject, Offset: at(`{}`)},
		}}},
		{Key: "o", Offset: at(`"o"`), Value: Value{Kind: KindObject, Offset: at(`{"k`), Members: []Member{
			{Key: `k"`, Offset: at(`"k\"`), Value: Value{Kind: KindString, Str: "v", Offset: at(`"v"`)}},
		}}},
	}}
	if !reflect.DeepEqual(v, want) {
		t.Fatalf("got  %+v\nwant %+v", v, want)
	}
	// The tree does not alias the input.
	for i := range in {
		in[i] = 'X'
	}
	if v.Get("sub").Str != "ué\n" || v.Get("n").Str != "-1.5e3" || v.Members[0].Key != "sub" {
		t.Fatal("tree aliases the input")
	}
}

func TestValue_accessors(t *testing.T) {
	v, err := Parse([]byte(`{"a":{"b":{"c":7}},"Customer_ID":"x","customer_id":"y","arr":[1]}`), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if got := v.Lookup([]string{"a", "b", "c"}); got == nil || got.Str != "7" {
		t.Errorf("Lookup a.b.c = %+v", got)
	}
	if got := v.Lookup(nil); got != &v {
		t.Error("Lookup(nil) is not v")
	}
	for _, p := range [][]string{{"a", "x"}, {"a", "b", "c", "d"}, {"arr", "0"}, {"A"}} {
		if got := v.Lookup(p); got != nil {
			t.Errorf("Lookup %v = %+v, want nil", p, got)
		}
	}
	if v.Get("customer_id").Str != "y" || v.Get("Customer_ID").Str != "x" || v.Get("CUSTOMER_ID") != nil {
		t.Error("Get is not exact")
	}
	if n := v.CountFold("customer_id"); n != 2 {
		t.Errorf("CountFold = %d", n)
	}
	if n := v.CountFold("arr"); n != 1 {
		t.Errorf("CountFold arr = %d", n)
	}
	if n := v.CountFold("none"); n != 0 {
		t.Errorf("CountFold none = %d", n)
	}
	var nilv *Value
	if nilv.Get("a") != nil || nilv.Lookup([]string{"a"}) != nil || nilv.CountFold("a") != 0 {
		t.Error("nil receiver")
	}
	arr := v.Get("arr")
	if arr.Get("0") != nil || arr.CountFold("0") != 0 {
		t.Error("Get on an array")
	}
	names := map[Kind]string{KindNull: "null", KindBool: "boolean", KindNumber: "number",
		KindString: "string", KindObject: "object", KindArray: "array", Kind(99): "invalid"}
	for k, s := range names {
		if k.String() != s {
			t.Errorf("Kind(%d).String() = %q, want %q", k, k.String(), s)
		}
	}
}

// TestScanner_tokens pins the token stream, spans, depth and keys a
// rewriter relies on, and checks that the gaps between tokens hold only
// whitespace and separators.
func TestScanner_tokens(t *testing.T) {
	in := []byte(" {\"a\\u0062\" : [1, \"s\\n\", true], \"c\":{} } ")
	type tk struct {
		kind       TokenKind
		text       string
		depth      int
		key        string
		escaped    bool
		inObjAfter bool
	}
	want := []tk{
		{TokenBeginObject, "{", 1, "", false, true},
		{TokenKey, `"a\u0062"`, 1, "ab", true, true},
		{TokenBeginArray, "[", 2, "", false, false},
		{TokenNumber, "1", 2, "", false, false},
		{TokenString, `"s\n"`, 2, "", true, false},
		{TokenTrue, "true", 2, "", false, false},
		{TokenEndArray, "]", 1, "", false, true},
		{TokenKey, `"c"`, 1, "c", false, true},
		{TokenBeginObject, "{", 2, "", false, true},
		{TokenEndObject, "}", 1, "", false, true},
		{TokenEndObject, "}", 0, "", false, false},
		{TokenEnd, "", 0, "", false, false},
	}
	var s Scanner
	s.Reset(in, Limits{})
	last := 0
	for i, w := range want {
		tok, err := s.Next()
		if err != nil {
			t.Fatalf("token %d: %v", i, err)
		}
		if tok.Kind != w.kind || string(in[tok.Start:tok.End]) != w.text || s.Depth() != w.depth ||
			s.InObject() != w.inObjAfter {
			t.Fatalf("token %d: got %v %q depth %d inObj %v, want %+v", i, tok.Kind,
				in[tok.Start:tok.End], s.Depth(), s.InObject(), w)
		}
		if w.kind == TokenKey && string(s.Key()) != w.key {
			t.Errorf("token %d: key %q, want %q", i, s.Key(), w.key)
		}
		if (w.kind == TokenKey || w.kind == TokenString) && s.Escaped() != w.escaped {
			t.Errorf("token %d: Escaped %v", i, s.Escaped())
		}
		if gap := strings.Trim(string(in[last:tok.Start]), " \t\r\n,:"); gap != "" {
			t.Errorf("token %d: gap %q", i, gap)
		}
		last = tok.End
	}
	if last != len(in) {
		t.Errorf("last token ends at %d, input is %d", last, len(in))
	}
	for range 2 {
		if tok, err := s.Next(); err != nil || tok.Kind != TokenEnd {
			t.Errorf("after end: %v %v", tok, err)
		}
	}
	if TokenKey.String() != "key" || TokenKind(200).String() != "invalid" {
		t.Error("TokenKind.String")
	}
}

func TestScanner_skipValue(t *testing.T) {
	in := []byte(`{"a":{"x":[1,{"y":2}],"z":"s"},"b":[[],{}],"c":"v","d":{"e":1}}`)
	var s Scanner
	s.Reset(in, Limits{})
	var got []string
	for {
		tok, err := s.Next()
		if err != nil {
			t.Fatal(err)
		}
		if tok.Kind == TokenEnd {
			break
		}
		switch {
		case tok.Kind == TokenKey && string(s.Key()) != "d":
			// Skip every member value except d's, and record its span.
			end, err := s.SkipValue()
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, string(s.Key())+"="+string(in[tok.End+1:end.End]))
		case tok.Kind == TokenBeginObject && s.Depth() == 2:
			end, err := s.SkipValue() // skip the rest of d's object
			if err != nil || end.Kind != TokenEndObject {
				t.Fatal(end, err)
			}
			got = append(got, "d="+string(in[tok.Start:end.End]))
		}
	}
	want := []string{`a={"x":[1,{"y":2}],"z":"s"}`, `b=[[],{}]`, `c="v"`, `d={"e":1}`}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
	// Skipped parts are still validated.
	s.Reset([]byte(`{"a":{"k":1,"k":2},"b":1}`), Limits{})
	s.Next()
	s.Next()
	if _, err := s.SkipValue(); err == nil || err.(*Error).Reason != ReasonDuplicateKey {
		t.Errorf("SkipValue over a duplicate: %v", err)
	}
}

func TestScanner_errorIsSticky(t *testing.T) {
	var s Scanner
	if _, err := s.Next(); err == nil {
		t.Fatal("Next without Reset succeeded")
	}
	s.Reset([]byte(`[1,}`), Limits{})
	var first error
	for range 4 {
		_, err := s.Next()
		if err != nil {
			first = err
			break
		}
	}
	if first == nil {
		t.Fatal("no error")
	}
	tok, err := s.Next()
	if err != first || tok.Kind != TokenNone {
		t.Errorf("after error: %v %v", tok, err)
	}
	// Reset recovers, and keys of the failed scan do not leak into the next.
	s.Reset([]byte(`{"a":1,"b":{"c":1,"a":}`), Limits{})
	for {
		if _, err := s.Next(); err != nil {
			break
		}
	}
	s.Reset([]byte(`{"a":1}`), Limits{})
	for {
		tok, err := s.Next()
		if err != nil {
			t.Fatalf("after Reset: %v", err)
		}
		if tok.Kind == TokenEnd {
			break
		}
	}
}

func TestAppendUnquoted_escapes(t *testing.T) {
	tests := map[string]string{
		``:                      "",
		`abc`:                   "abc",
		`\"\\\/\b\f\n\r\t`:      "\"\\/\b\f\n\r\t",
		`\u0041\u00e9\u20ac`:    "Aé€",
		`\ud83d\ude00!`:         "\U0001F600!",
		`x\u0000y`:              "x\x00y",
		`\ud83d`:                "\uFFFD", // not produced by the Scanner; no panic
		`\u12`:                  "",
		`trailing\`:             "trailing",
		`\ud83d\u0041`:          "\uFFFDA",
		"raw \u00e9 \U0001F600": "raw é \U0001F600",
	}
	for in, want := range tests {
		if got := string(AppendUnquoted(nil, []byte(in))); got != want {
			t.Errorf("%q: got %q, want %q", in, got, want)
		}
	}
}

// TestValidate_errorsHaveNoContent feeds refused documents that contain a secret
// and checks the error text carries only the reason and the offset.
func TestValidate_errorsHaveNoContent(t *testing.T) {
	const secret = "hunter2SECRET"
	docs := []string{
		`{"pw":"` + secret + `","pw":"` + secret + `"}`,
		`{"` + secret + `":1,}`,
		`["` + secret + "\x01\"]",
		`["` + secret + "\xff\"]",
		`["` + secret + `\q"]`,
		`{"a":"` + secret + `"} ` + secret,
		secret,
		`[` + secret + `]`,
		`"` + secret + `\ud800"`,
	}
	lim := Limits{MaxStringBytes: 5}
	for _, d := range docs {
		for _, l := range []Limits{{}, lim} {
			err := Validate([]byte(d), l)
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("%q accepted", d)
			}
			msg := err.Error()
			if strings.Contains(msg, "hunter") || strings.Contains(msg, "SECRET") {
				t.Errorf("error text leaks content: %s", msg)
			}
			if !strings.Contains(msg, "offset ") || !strings.HasPrefix(msg, "json: ") {
				t.Errorf("error text %q lacks the offset", msg)
			}
			if _, known := reasonText[e.Reason]; !known {
				t.Errorf("unknown reason %q", e.Reason)
			}
		}
	}
	e := &Error{Offset: 7, Reason: ReasonSyntax, detail: "expected ':' after object key"}
	if got := e.Error(); got != "json: syntax error (expected ':' after object key) at offset 7" {
		t.Errorf("Error() = %q", got)
	}
	if got := (&Error{Offset: 0, Reason: ReasonDepth}).Error(); got != "json: nesting too deep at offset 0" {
		t.Errorf("Error() = %q", got)
	}
}

func TestValidate_doesNotAllocate(t *testing.T) {
	doc := jsonxtest.Users(16 << 10)
	lim := Limits{MaxDepth: 32, MaxKeys: 1000, MaxArrayItems: 1000, MaxStringBytes: 65536}
	var v Validator
	if err := v.Validate(doc, lim); err != nil {
		t.Fatal(err)
	}
	// Includes objects large enough to use the hash table.
	var big strings.Builder
	big.WriteString(`{"x":{`)
	for i := range 100 {
		if i > 0 {
			big.WriteString(",")
		}
		big.WriteString(`"key` + strings.Repeat("y", i%7) + string(rune('a'+i%26)) + string(rune('a'+i/26)) + `":[1,{"a":1}]`)
	}
	big.WriteString("}}")
	bigDoc := []byte(big.String())
	for name, d := range map[string][]byte{"doc": doc, "big": bigDoc} {
		if err := v.Validate(d, lim); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if n := testing.AllocsPerRun(20, func() { _ = v.Validate(d, lim) }); n != 0 {
			t.Errorf("%s: Validator.Validate allocates %.1f times per run", name, n)
		}
	}
	fv := Validator{FoldDuplicates: true}
	_ = fv.Validate(bigDoc, lim)
	if n := testing.AllocsPerRun(20, func() { _ = fv.Validate(bigDoc, lim) }); n != 0 {
		t.Errorf("fold: Validator.Validate allocates %.1f times per run", n)
	}
}
