package httpx

import (
	"strings"
	"testing"
)

func TestQuery_findParam(t *testing.T) {
	names := []string{"access_token", "api_key", "password"}
	cases := []struct {
		query string
		want  int
	}{
		{"", -1},
		{"a=1&b=2", -1},
		{"access_token=x", 0},
		{"a=1&api_key=secret", 1},
		{"password", 2},
		{"password=", 2},
		{"%61ccess_token=x", 0},
		{"ACCESS.TOKEN=x", 0},
		{"access+token=x", 0},
		{"access[token=x", 0},
		{"access%5btoken=x", 0},
		{"access_token[]=x", 0},
		{"access_token[a]=x", 0},
		{"access[token]=x", -1},
		// The first bracket-delimited component (Rack 2, Express's qs).
		{"[access_token]=x", 0},
		{"%5Baccess_token%5D=x", 0},
		{"%5baccess_token%5d=x", 0},
		{"access_token]=x", 0},
		{"]access_token=x", 0},
		{"[[access_token]]=x", 0},
		{"[ACCESS.TOKEN]=x", 0},
		{"+[password]=x", 2},
		{"][api_key][x]=1", 1},
		{"[access_token=x", 0}, // `_access_token` to PHP, `access_token` to Rack
		{"[x]access_token=x", -1},
		{"[access%2Btoken]=x", -1},
		{strings.Repeat("[", 300) + "password]=1", 2},
		{strings.Repeat("]", 300) + "password=1", 2},
		{"a=1;access_token=x", 0},
		{"x=access_token", -1},
		{"access_tokens=x", -1},
		{"access_toke=x", -1},
		{"q=a&&&=b&", -1},
		{"ACCESS_TO\u212AEN=1", 0},
		{"API%2EKEY=1", 1},
		{strings.Repeat("a", 300) + "=1&password=1", 2},
		{strings.Repeat("%41", 300) + "=1", -1},
		// Leading spaces are dropped (PHP): `+password` is password,
		// however long the run of spaces before it.
		{"+password=1", 2},
		{"%20password=1", 2},
		{strings.Repeat("+", 40) + "password=1", 2},
		{"+api_key[]=1", 1},
		{"a=1;+ACCESS.TOKEN=x", 0},
		{"_password=1", -1},
		// Leading spaces are dropped (PHP), however many and however
		// written: the pre-filter must not skip a long name of them.
		{"+password=1", 2},
		{"%20api_key=1", 1},
		{"+%20+access_token[]=1", 0},
		{strings.Repeat("+", 300) + "password=1", 2},
		{strings.Repeat(" ", 300) + "password=1", 2},
		{"pass+word=1", -1},
	}
	for _, c := range cases {
		if got := FindQueryParam(c.query, names); got != c.want {
			t.Errorf("FindQueryParam(%q) = %d, want %d", c.query, got, c.want)
		}
	}
	if got := FindQueryParam("_METHOD=DELETE", []string{"_method"}); got != 0 {
		t.Errorf("_METHOD not found: %d", got)
	}
	if got := FindQueryParam("x", nil); got != -1 {
		t.Errorf("no names: %d", got)
	}
}

// findQueryParamRef states the matching rule with the configuration's own
// normaliser and no shortcuts.
func findQueryParamRef(query string, names []string) int {
	for _, param := range strings.FieldsFunc(query, func(r rune) bool { return r == '&' || r == ';' }) {
		name, _, _ := strings.Cut(param, "=")
		if name == "" {
			continue
		}
		norm := NormalizeQueryName(name)
		prefix := ""
		hasBracket := false
		// The part before the first '[' of the decoded name.
		dec := []byte{}
		for i := 0; i < len(name); i++ {
			c := name[i]
			if c == '+' {
				c = ' '
			} else if d, ok := refPercent(name, i); ok {
				c = d
				i += 2
			}
			if c == '[' {
				hasBracket = true
				break
			}
			dec = append(dec, c)
		}
		if hasBracket {
			prefix = NormalizeQueryName(strings.ReplaceAll(strings.ReplaceAll(string(dec), "%", "%25"), "+", "%2B"))
		}
		// The first bracket-delimited component of the decoded name
		// (leading spaces, then leading '[' and ']' skipped).
		full := []byte{}
		for i := 0; i < len(name); i++ {
			c := name[i]
			if c == '+' {
				c = ' '
			} else if d, ok := refPercent(name, i); ok {
				c = d
				i += 2
			}
			full = append(full, c)
		}
		rest := strings.TrimLeft(strings.TrimLeft(string(full), " "), "[]")
		comp, hasComp := rest, strings.ContainsAny(string(full), "[]")
		if j := strings.IndexAny(rest, "[]"); j >= 0 {
			comp = rest[:j]
		}
		compNorm := NormalizeQueryName(strings.ReplaceAll(strings.ReplaceAll(comp, "%", "%25"), "+", "%2B"))
		for k, n := range names {
			if norm == n || hasBracket && prefix == n || hasComp && compNorm == n {
				return k
			}
		}
	}
	return -1
}

func FuzzQuery_findParam(f *testing.F) {
	for _, s := range []string{"access_token=1", "a=1&b", "x;ACCESS.TOKEN", "access[token]", "access_token[x]=1", "%61ccess%5Ftoken", "a=%26access_token",
		"+access_token=1", "%20+a.b[]=1", "+++++++++++++a_b", "[access_token]", "]a_b", "%5B%5Ba.b%5D%5D", "+[+a_b]"} {
		f.Add(s)
	}
	names := []string{"access_token", "a_b", "\u00e9t\u00e9"}
	f.Fuzz(func(t *testing.T, q string) {
		if got, want := FindQueryParam(q, names), findQueryParamRef(q, names); got != want {
			t.Fatalf("FindQueryParam(%q) = %d, reference says %d", q, got, want)
		}
	})
}

func TestQuery_findParamDoesNotAllocate(t *testing.T) {
	names := []string{"access_token", "api_key", "password"}
	q := "page=2&per_page=50&sort=name&filter%5Bstatus%5D=open&ACCESS.TOKEN2=x&caf%C3%A9=1"
	if n := testing.AllocsPerRun(100, func() { FindQueryParam(q, names) }); n != 0 {
		t.Errorf("FindQueryParam allocates %.0f times per call", n)
	}
}

func TestQuery_nextParamSplitsPairs(t *testing.T) {
	q := "a=1&&b;=x;c=d=e&f&"
	var got []string
	for i := 0; i <= len(q); {
		name, value, start, end, next := NextQueryParam(q, i)
		i = next
		if name != "" {
			got = append(got, name+"|"+value+"|"+q[start:end])
		}
	}
	want := []string{"a|1|a=1", "b||b", "c|d=e|c=d=e", "f||f"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("NextQueryParam over %q = %q, want %q", q, got, want)
	}
}

// TestQuery_unsafeControlCharacters: names with control characters in any spelling, and NUL
// in values, are refused; other control characters in values pass.
func TestQuery_unsafeControlCharacters(t *testing.T) {
	for q, want := range map[string]bool{
		"":                       false,
		"a=1&b=2":                false,
		"password%00=x":          true,
		"%00password=x":          true,
		"pass%0Aword=x":          true,
		"pass%0aword=x":          true,
		"jwt%09=x":               true,
		"jwt%7F=x":               true,
		"jwt%7f":                 true,
		"jwt\x01=x":              true,
		"a=1;b%1F=2":             true,
		"a=1&&b%0D":              true,
		"a=%00":                  true,
		"a=x%00y&b=1":            true,
		"a=\x00":                 true,
		"note=line%0Aline%0D%09": false, // a textarea's newlines and tabs
		"a=%7F%1B":               false,
		"+jwt=x&%20jwt=y":        false, // spaces are not control characters
		"a%2500=1":               false, // %25 is '%': the name is "a%00" as text
		"a=%2500":                false,
		"%=1&a%0=2&a%G0=3":       false,
		"caf%C3%A9=1":            false,
		"x%C2%85=1":              false, // C1 controls are not C0
		"a=1&b=%0":               false,
		"=%00":                   true,
	} {
		if got := UnsafeQuery(q); got != want {
			t.Errorf("UnsafeQuery(%q) = %v, want %v", q, got, want)
		}
	}
	if n := testing.AllocsPerRun(100, func() { UnsafeQuery("page=2&a%20b=c%0Ad&x=%41") }); n != 0 {
		t.Errorf("UnsafeQuery allocates %.0f times per call", n)
	}
}

// TestCookie_unsafeControlCharacters: the same rules for the pairs of one Cookie header.
func TestCookie_unsafeControlCharacters(t *testing.T) {
	for v, want := range map[string]bool{
		"":                              false,
		"a=1; b=2":                      false,
		"session=t; session%00=forged":  true,
		"session=t;session%0A=forged":   true,
		"ses\tsion=x":                   true,
		"session\x7f=x":                 true,
		"a=1; b=x%00":                   true,
		"a=1; b=x\x00":                  true,
		"lonely%00":                     true, // a pair without '=' is a name
		"lonely":                        false,
		" \tsession=t\t; x=1 ":          false, // whitespace around pairs is not part of names
		"session \t=t":                  false,
		"msg=line%0Aline":               false,
		"+session=x; %20session=y":      false,
		"a=%2500":                       false,
		";;; ; =x":                      false,
		"a=\"q%00\"":                    true,
		"theme=dark; lang=en; x=%7F%0D": false,
		// ',' separates cookies as ';' does (ASP.NET Core, old Rack).
		"theme=dark, session%00=x": true,
		"theme=dark,session%0A=x":  true,
		"a=1,\tb=x%00":             true,
		"list=a,b,c":               false,
	} {
		if got := UnsafeCookie(v); got != want {
			t.Errorf("UnsafeCookie(%q) = %v, want %v", v, got, want)
		}
	}
	if n := testing.AllocsPerRun(100, func() { UnsafeCookie("theme=dark; session=abc.def; lang=en") }); n != 0 {
		t.Errorf("UnsafeCookie allocates %.0f times per call", n)
	}
}

func TestCookie_nextPair(t *testing.T) {
	v := " a=1 ;\tb = 2;;c, d=4 ,e=5,  "
	var got []string
	for i := 0; i < len(v); {
		pair, start, stop, next := NextCookiePair(v, i)
		i = next
		if pair != v[start:stop] {
			t.Fatalf("pair %q is not v[%d:%d]", pair, start, stop)
		}
		got = append(got, pair)
	}
	if want := []string{"a=1", "b = 2", "", "c", "d=4", "e=5", ""}; strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("NextCookiePair over %q = %q, want %q", v, got, want)
	}
}

// unsafeRef states the step 1 rule with net/url-free decoding and no
// shortcuts: split, decode names and values ('+' aside), look at bytes.
func unsafeRef(parts []string, nameOnly func(string) (string, string, bool)) bool {
	decode := func(s string) string {
		var b []byte
		for i := 0; i < len(s); i++ {
			if s[i] == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]) {
				b = append(b, unhex(s[i+1])<<4|unhex(s[i+2]))
				i += 2
				continue
			}
			b = append(b, s[i])
		}
		return string(b)
	}
	for _, p := range parts {
		name, value, _ := nameOnly(p)
		for _, c := range []byte(decode(name)) {
			if c < 0x20 || c == 0x7f {
				return true
			}
		}
		if strings.IndexByte(decode(value), 0) >= 0 {
			return true
		}
	}
	return false
}

func isHex(c byte) bool { return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' }

func unhex(c byte) byte {
	switch {
	case c >= 'a':
		return c - 'a' + 10
	case c >= 'A':
		return c - 'A' + 10
	}
	return c - '0'
}

func FuzzQuery_unsafe(f *testing.F) {
	for _, s := range []string{"a=1", "password%00=x", "a=%00", "a=%0A", "%0=1", "a;b%7f", "x=%2500", "\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, q string) {
		parts := strings.FieldsFunc(q, func(r rune) bool { return r == '&' || r == ';' })
		want := unsafeRef(parts, func(p string) (string, string, bool) { return strings.Cut(p, "=") })
		if got := UnsafeQuery(q); got != want {
			t.Fatalf("UnsafeQuery(%q) = %v, reference says %v", q, got, want)
		}
	})
}

func FuzzCookie_unsafe(f *testing.F) {
	for _, s := range []string{"a=1; b=2", "session%00=x", "a=%00", " a\t=1", "x\x7f", ";;", "a=\x00", "a=1, b%00=2", ",;,"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		var parts []string
		for _, p := range strings.FieldsFunc(v, func(r rune) bool { return r == ';' || r == ',' }) {
			parts = append(parts, strings.Trim(p, " \t"))
		}
		want := unsafeRef(parts, func(p string) (string, string, bool) {
			name, value, ok := strings.Cut(p, "=")
			return strings.TrimRight(name, " \t"), value, ok
		})
		if got := UnsafeCookie(v); got != want {
			t.Fatalf("UnsafeCookie(%q) = %v, reference says %v", v, got, want)
		}
	})
}

// TestForm_unsafeFieldName: a control character in a form field's name, raw or
// percent-encoded, except raw tabs and line breaks (a JSON body's
// whitespace).
func TestForm_unsafeFieldName(t *testing.T) {
	for form, want := range map[string]bool{
		"":                       false,
		"note=hi&user_id=bob":    false,
		"note=hi&user_id%00=bob": true,
		"user_id%00junk=bob":     true,
		"+user.id%00=bob":        true,
		"a;b%0A=1":               true,
		"user_id\x00=bob":        true,
		"x%7F=1":                 true,
		"x\x7f=1":                true,
		"msg=%00":                false, // values are not looked at
		"{\n  \"a\": \"b\"\r\n}": false,
		"{\t\"a\":1}&x%09=1":     true,
		"caf%C3%A9=1&%2500=x":    false,
	} {
		if got := UnsafeFormName(form); got != want {
			t.Errorf("UnsafeFormName(%q) = %v, want %v", form, got, want)
		}
	}
	if n := testing.AllocsPerRun(100, func() { UnsafeFormName("a=1&b=2&c%5Bd%5D=3") }); n != 0 {
		t.Errorf("UnsafeFormName allocates %.0f times per call", n)
	}
}

func multipartNames(body string) []string {
	var out []string
	EachMultipartName(body, func(name string) bool {
		out = append(out, name)
		return true
	})
	return out
}

func TestMultipart_eachFieldName(t *testing.T) {
	for _, c := range []struct {
		body string
		want []string
	}{
		{"--B\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nhi\r\n--B\r\nContent-Disposition: form-data; name=\"user_id\"\r\n\r\nbob\r\n--B--\r\n", []string{"note", "user_id"}},
		{"content-disposition : form-data;name=_method\r\n", []string{"_method"}},
		{"CONTENT-DISPOSITION:form-data; NAME=\"a;b\"; filename=\"x\"\n", []string{"a;b"}},
		{"Content-Disposition: form-data; filename=\"user_id\"\r\n", nil},
		{"Content-Disposition: form-data; name=\"a\"; name=\"b\"\r\n", []string{"a", "b"}},
		{"Content-Disposition: form-data; name*=utf-8''user%5Fid\r\n", []string{"user%5Fid"}},
		{"Content-Disposition: form-data; name=\"us\\\"er\\\\id\"\r\n", []string{"us\"er\\id"}},
		{"Content-Disposition: form-data; name = \"x\" \r\n", []string{"x"}},
		{"Content-Disposition: form-data; name=\"unterminated", []string{"unterminated"}},
		{"X-Content-Disposition: form-data; name=\"x\"\r\n", nil},
		{"Content-Disposition form-data; name=\"x\"\r\n", nil},
		{"Content-Dispositions: name=x\r\n", nil},
		{"", nil},
		{"Content-Disposition:", nil},
		{"Content-Disposition: ;;;=;\"", []string(nil)},
	} {
		if got := multipartNames(c.body); strings.Join(got, "|") != strings.Join(c.want, "|") || len(got) != len(c.want) {
			t.Errorf("EachMultipartName(%q) = %q, want %q", c.body, got, c.want)
		}
	}
	// f stops the scan.
	n := 0
	EachMultipartName("Content-Disposition: form-data; name=a; name=b\nContent-Disposition: form-data; name=c\n", func(string) bool { n++; return false })
	if n != 1 {
		t.Errorf("EachMultipartName went on after false: %d calls", n)
	}
	body := "--B\r\nContent-Disposition: form-data; name=\"note\"\r\nContent-Type: text/plain\r\n\r\nhi\r\n--B--\r\n"
	if n := testing.AllocsPerRun(100, func() { EachMultipartName(body, func(string) bool { return true }) }); n != 0 {
		t.Errorf("EachMultipartName allocates %.0f times per call", n)
	}
}

// FuzzMultipart_eachFieldName: no panic, names are substrings of the body unless
// escapes were undone, and the scan ends.
func FuzzMultipart_eachFieldName(f *testing.F) {
	for _, s := range []string{"Content-Disposition: form-data; name=\"a\"\r\n", "content-disposition:name*=x''y", "Content-Disposition: name=\"\\", "Content-Disposition:;=;\"\\\"", "\n\n\r\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		EachMultipartName(body, func(name string) bool {
			if !strings.Contains(body, "\\") && !strings.Contains(body, name) {
				t.Fatalf("name %q is not in %q", name, body)
			}
			if strings.ContainsAny(name, "\n") {
				t.Fatalf("name %q spans lines", name)
			}
			return true
		})
	})
}

// TestFindQueryParam_nonASCIIName: a name made only of non-ASCII bytes,
// longer than every configured name, can still fold to one of them (the
// Kelvin sign folds to k), so the length pre-filter must let it through.
func TestFindQueryParam_nonASCIIName(t *testing.T) {
	for q, want := range map[string]int{
		"\u212A=1":                    0,
		"a=1&\u212A=1":                0,
		"\u212A\u212A=1":              -1,
		"k=1":                         0,
		strings.Repeat("x", 5) + "=1": -1,
	} {
		if got := FindQueryParam(q, []string{"k"}); got != want {
			t.Errorf("FindQueryParam(%q, [k]) = %d, want %d", q, got, want)
		}
	}
}
