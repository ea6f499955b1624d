package reqcheck

import (
	"strings"
	"testing"

	"github.com/apiguard/apiguard/filter/config"
)

func TestFindQueryParam(t *testing.T) {
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
	}
	for _, c := range cases {
		if got := FindQueryParam(c.query, names); got != c.want {
			t.Errorf("FindQueryParam(%q) = %d, want %d", c.query, got, c.want)
		}
	}
	if got := FindQueryParam("_METHOD=DELETE", MethodParam); got != 0 {
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
		norm := config.NormalizeQueryName(name)
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
			prefix = config.NormalizeQueryName(strings.ReplaceAll(strings.ReplaceAll(string(dec), "%", "%25"), "+", "%2B"))
		}
		for k, n := range names {
			if norm == n || hasBracket && prefix == n {
				return k
			}
		}
	}
	return -1
}

func FuzzFindQueryParam(f *testing.F) {
	for _, s := range []string{"access_token=1", "a=1&b", "x;ACCESS.TOKEN", "access[token]", "access_token[x]=1", "%61ccess%5Ftoken", "a=%26access_token",
		"+access_token=1", "%20+a.b[]=1", "+++++++++++++a_b"} {
		f.Add(s)
	}
	names := []string{"access_token", "a_b", "\u00e9t\u00e9"}
	f.Fuzz(func(t *testing.T, q string) {
		if got, want := FindQueryParam(q, names), findQueryParamRef(q, names); got != want {
			t.Fatalf("FindQueryParam(%q) = %d, reference says %d", q, got, want)
		}
	})
}

func TestFindQueryParamAllocs(t *testing.T) {
	names := []string{"access_token", "api_key", "password"}
	q := "page=2&per_page=50&sort=name&filter%5Bstatus%5D=open&ACCESS.TOKEN2=x&caf%C3%A9=1"
	if n := testing.AllocsPerRun(100, func() { FindQueryParam(q, names) }); n != 0 {
		t.Errorf("FindQueryParam allocates %.0f times per call", n)
	}
}

func TestNextQueryParam(t *testing.T) {
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
