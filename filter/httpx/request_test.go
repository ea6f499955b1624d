package httpx

import (
	"strings"
	"testing"
)

// TestRequest_formTypeSpellings: every Content-Type some framework parses as a form body
// is one, so an owner route never skips a form it should read (PHP, for
// one, lower-cases the type and stops at ';', ',' or a space).
func TestRequest_formTypeSpellings(t *testing.T) {
	for v, want := range map[string]bool{
		"application/x-www-form-urlencoded":                true,
		"APPLICATION/X-WWW-FORM-URLENCODED":                true,
		"Application/X-Www-Form-Urlencoded; charset=UTF-8": true,
		"application/x-www-form-urlencoded;charset=utf-8":  true,
		"application/x-www-form-urlencoded , text/plain":   true,
		"application/x-www-form-urlencoded,text/plain":     true,
		" \tapplication/x-www-form-urlencoded":             true,
		"application/x-www-form-urlencoded\tq=1":           true,
		"application/x-www-form-urlencodedx":               false,
		"application/json":                                 false,
		"multipart/form-data; boundary=x":                  false,
		"text/plain; x=application/x-www-form-urlencoded":  false,
		"":                                 false,
		"application/x-www-form-urlencode": false,
		"application/x-www-form-urlencoded\u212a": false,
		"application/x-www-form-urlencoded/x":     false,
		"application/\u212a-www-form-urlencoded":  false,
	} {
		if got := isFormType(v); got != want {
			t.Errorf("isFormType(%q) = %v, want %v", v, got, want)
		}
	}
}

// TestRequest_view: the view answers from the header list as the host
// would (first value, names without regard to case, repeats joined).
func TestRequest_view(t *testing.T) {
	pairs := []Pair{{Key: ":method", Value: "POST"}, {Key: ":path", Value: "/a?b"}, {Key: "X-Request-Id", Value: "r1"},
		{Key: "origin", Value: "https://a"}, {Key: "Origin", Value: "https://b"}, {Key: ":method", Value: "GET"}}
	id, method, path, size := RequestLine(pairs)
	if id != "r1" || method != "POST" || path != "/a?b" || size != 74 {
		t.Errorf("RequestLine = %q %q %q %d", id, method, path, size)
	}
	r := Request{Method: method, Headers: pairs}
	if v, ok := r.Header("origin"); !ok || v != "https://a" {
		t.Errorf("Header(origin) = %q %v", v, ok)
	}
	if v := r.HeaderAll("origin"); v != "https://a,https://b" {
		t.Errorf("HeaderAll(origin) = %q", v)
	}
	if _, ok := r.Header("upgrade"); ok || r.IsUpgrade() {
		t.Error("no upgrade header, yet one is seen")
	}
	if !r.FormEncoded() || r.MultipartEncoded() {
		t.Error("a POST without Content-Type is a form, not multipart")
	}
	r.Headers = append(r.Headers, Pair{Key: "content-type", Value: " Multipart/Mixed"}, Pair{Key: ":protocol", Value: "websocket"})
	if r.FormEncoded() || !r.MultipartEncoded() || !r.IsUpgrade() {
		t.Error("typed multipart request with :protocol misread")
	}
}

// TestHeaderSpelling_cgiNames: '-' and '_' alike, case ignored.
func TestHeaderSpelling_cgiNames(t *testing.T) {
	for _, c := range []struct {
		a, b string
		same bool
	}{
		{"x-user-id", "X_USER_ID", true}, {"x-user_id", "x-user-id", true},
		{"x-user-id", "x-user-ids", false}, {"x-userid", "x-user-id", false},
	} {
		if got := SameHeaderSpelling(c.a, c.b); got != c.same {
			t.Errorf("SameHeaderSpelling(%q, %q) = %v", c.a, c.b, got)
		}
	}
	if !SpellingOf("X_Real", []string{"a", "x-real"}) || SpellingOf("x", nil) {
		t.Error("SpellingOf")
	}
	if !NameIn([]string{"Cookie"}, "cookie") || NameIn([]string{"cookie"}, "cookies") {
		t.Error("NameIn")
	}
}

// TestRequest_compact: the kept strings come out of one new allocation
// unchanged, each in its place.
func TestRequest_compact(t *testing.T) {
	block := "r1GET/a/b/%61/a/b/aq=1https://o"
	r := Request{RequestID: block[0:2], Method: block[2:5], Path: block[5:13], MatchPath: block[13:19], Query: block[19:22]}
	want := r
	origin := r.Compact(block[22:])
	if r.RequestID != want.RequestID || r.Method != want.Method || r.Path != want.Path || r.MatchPath != want.MatchPath ||
		r.Query != want.Query || origin != "https://o" {
		t.Errorf("Compact changed the view: %+v, origin %q", r, origin)
	}
	if n := testing.AllocsPerRun(10, func() { r.Compact(origin) }); n != 1 {
		t.Errorf("Compact allocates %v times, want once", n)
	}
}

// TestParseStatus_digits: a status is digits only, nine at most.
func TestParseStatus_digits(t *testing.T) {
	for v, want := range map[string]int{"200": 200, "0": 0, "": 0, "20x": 0, "-1": 0, " 200": 0, "999999999": 999999999, "1000000000": 0} {
		if got := ParseStatus(v); got != want {
			t.Errorf("ParseStatus(%q) = %d, want %d", v, got, want)
		}
	}
}

// TestRequest_jsonTypeSpellings: a Content-Type that Laravel's isJson
// (and so its input(), which a JSON body feeds before the route's
// parameters) reads as JSON: "/json" or "+json" anywhere in any
// Content-Type, letter case aside.
func TestRequest_jsonTypeSpellings(t *testing.T) {
	for _, c := range []struct {
		types []string
		want  bool
	}{
		{[]string{"application/json"}, true},
		{[]string{"application/json; charset=utf-8"}, true},
		{[]string{"APPLICATION/JSON"}, true},
		{[]string{"application/vnd.api+json"}, true},
		{[]string{"text/json"}, true},
		{[]string{"text/plain", "application/json"}, true},
		{[]string{"application/x-www-form-urlencoded; x=/json"}, true},
		{[]string{"application/jsonx"}, true},
		{[]string{"text/plain"}, false},
		{[]string{"application/jso"}, false},
		{[]string{"json"}, false},
		{nil, false},
	} {
		r := Request{Method: "POST"}
		for _, v := range c.types {
			r.Headers = append(r.Headers, Pair{Key: "Content-Type", Value: v})
		}
		r.Headers = append(r.Headers, Pair{Key: "x-note", Value: "application/json"})
		if got := r.JSONEncoded(); got != c.want {
			t.Errorf("%q: JSONEncoded = %v, want %v", c.types, got, c.want)
		}
	}
}

// FuzzNameLengths_neverHidesASpelling: the length filter never says "no"
// where a comparison would say "yes": for any key and names, a key that
// is a spelling of a name (SameHeaderSpelling), or equal to one without
// regard to case (HeaderIs, EqualFold), has a length among the names'.
func FuzzNameLengths_neverHidesASpelling(f *testing.F) {
	f.Add("x-user-id", "X_USER_ID", "x-http-method")
	f.Add("", "", "a")
	f.Add(strings.Repeat("a", 70), strings.Repeat("A", 70), strings.Repeat("b", 64))
	f.Fuzz(func(t *testing.T, key, a, b string) {
		l := LengthsOf([]string{a, b})
		for _, name := range []string{a, b} {
			if (SameHeaderSpelling(key, name) || HeaderIs(key, strings.ToLower(name)) || EqualFold(key, name)) && !l.Has(key) {
				t.Fatalf("%q matches %q but its length %d is filtered out", key, name, len(key))
			}
		}
	})
}
