package config

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/errors/*.golden")

// TestErrors_golden parses each testdata/errors/*.json and compares the
// lines the plugin logs (after "apiguard: config: ") with the .golden file
// beside it (go test -run TestErrors_golden -update rewrites them; read the
// diff). The e2e suite checks that the .wasm logs the same lines.
func TestErrors_golden(t *testing.T) {
	docs, err := filepath.Glob("testdata/errors/*.json")
	if err != nil || len(docs) == 0 {
		t.Fatalf("no documents: %v", err)
	}
	for _, doc := range docs {
		name := strings.TrimSuffix(filepath.Base(doc), ".json")
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(doc)
			if err != nil {
				t.Fatal(err)
			}
			_, err = Parse(data)
			if err == nil {
				t.Fatal("Parse accepted it")
			}
			got := strings.Join(Lines(err), "\n") + "\n"
			golden := strings.TrimSuffix(doc, ".json") + ".golden"
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (-update writes it)", err)
			}
			if got != string(want) {
				t.Errorf("%s differs:\n--- got\n%s--- want\n%s", golden, got, want)
			}
		})
	}
}

// TestErrors_positions checks that each error's line and column point at
// the offending value (at the key, for an unknown field; at the object,
// for a missing one) and that a syntax error has its place too.
func TestErrors_positions(t *testing.T) {
	doc := "{\n  \"routes\": [\n    {\"name\": 1, \"match\": {\"path\": \"/a\"}, \"auht\": {}},\n    {\"match\": {\"path\": \"/b\"}}\n  ]\n}"
	_, err := Parse([]byte(doc))
	var l *ErrorList
	if !errors.As(err, &l) {
		t.Fatalf("%T %v", err, err)
	}
	want := []string{"3:14 routes[0].name", "3:42 routes[0]", "4:5 routes[1]"}
	var got []string
	for _, e := range l.Errors {
		got = append(got, strconv.Itoa(e.Line)+":"+strconv.Itoa(e.Column)+" "+e.Path)
	}
	if strings.Join(got, ", ") != strings.Join(want, ", ") {
		t.Errorf("got %v, want %v", got, want)
	}
	// The offset of the unknown key "auht" itself.
	if e := l.Errors[1]; e.Column != strings.Index(strings.Split(doc, "\n")[2], `"auht"`)+1 {
		t.Errorf("unknown field at column %d", e.Column)
	}

	_, err = Parse([]byte("{\n  \"default\": {},\n  \"routes\": [}\n"))
	if err == nil || err.Error() != "invalid JSON: syntax error (expected a value) at line 3, column 14" {
		t.Errorf("syntax error: %v", err)
	}
	if lines := Lines(err); len(lines) != 1 || lines[0] != err.Error() {
		t.Errorf("syntax error lines: %q", lines)
	}
}

// TestErrors_cap checks that at most MaxErrors errors are listed and the
// rest are counted.
func TestErrors_cap(t *testing.T) {
	for _, n := range []int{MaxErrors, MaxErrors + 1, MaxErrors + 7} {
		var routes []string
		for i := 0; i < n; i++ {
			routes = append(routes, `{"name":"r`+strconv.Itoa(i)+`","match":{"path":"/r`+strconv.Itoa(i)+`"},"enforce":0}`)
		}
		_, err := Parse([]byte(`{"routes":[` + strings.Join(routes, ",") + `]}`))
		var l *ErrorList
		if !errors.As(err, &l) {
			t.Fatalf("%d: %T %v", n, err, err)
		}
		if len(l.Errors) != MaxErrors || l.Omitted != n-MaxErrors {
			t.Errorf("%d errors: listed %d, omitted %d", n, len(l.Errors), l.Omitted)
		}
		if last := l.Errors[MaxErrors-1].Path; last != "routes["+strconv.Itoa(MaxErrors-1)+"].enforce" {
			t.Errorf("%d errors: last listed is %s, not the 20th in document order", n, last)
		}
		lines := l.Lines()
		switch {
		case n == MaxErrors && len(lines) != MaxErrors:
			t.Errorf("%d errors: %d lines", n, len(lines))
		case n == MaxErrors+1 && lines[len(lines)-1] != "(and 1 more error)":
			t.Errorf("%d errors: last line %q", n, lines[len(lines)-1])
		case n == MaxErrors+7 && lines[len(lines)-1] != "(and 7 more errors)":
			t.Errorf("%d errors: last line %q", n, lines[len(lines)-1])
		}
	}
}

// TestErrors_didYouMean pins the suggestions for unknown fields and enum
// values: close typos get one, distant words and names of other objects
// do not.
func TestErrors_didYouMean(t *testing.T) {
	for _, tc := range didYouMeanCases() {
		_, err := Parse([]byte(tc.doc))
		if err == nil || strings.Split(err.Error(), "\n")[0] != tc.want {
			t.Errorf("%s\n got: %v\nwant: %s", tc.doc, err, tc.want)
		}
	}
}

func didYouMeanCases() []struct{ doc, want string } {
	return []struct{ doc, want string }{
		{withRoute(`,"rate_limit":[]`), `routes[0]: unknown field "rate_limit" (did you mean "rate_limits"?)`},
		{withRoute(`,"Auth":{}`), `routes[0]: unknown field "Auth" (did you mean "auth"?)`},
		{withRoute(`,"requets":{}`), `routes[0]: unknown field "requets" (did you mean "request"?)`},
		{withRoute(`,"max-body-bytes":1`), `routes[0]: unknown field "max-body-bytes"`}, // a field of request, not of a route
		{withRoute(`,"request":{"max-body-bytes":1}`), `routes[0].request: unknown field "max-body-bytes" (did you mean "max_body_bytes"?)`},
		{withRoute(`,"zebra":1`), `routes[0]: unknown field "zebra"`},
		{withTop(`,"audit":true`), `$: unknown field "audit"`},
		{withTop(`,"rate_limits":[]`), `$: unknown field "rate_limits" (a field of a policy: write it in "default" or a route)`},
		{withTop(`,"rate_limitz":[]`), `$: unknown field "rate_limitz" (did you mean "rate_limits" in "default" or a route?)`},
		{withTop(`,"hold_header":true`), `$: unknown field "hold_header" (did you mean "hold_headers"?)`},
		{withTop(`,"rate_limit_service":{"cluster":"c","domain":"d","failure_mode":"alow"}`), `rate_limit_service.failure_mode: must be "deny" or "allow", not "alow" (did you mean "allow"?)`},
		{withTop(`,"rate_limit_service":{"cluster":"c","domain":"d","failure_mode":"open"}`), `rate_limit_service.failure_mode: must be "deny" or "allow", not "open"`},
		{withRoute(`,"rate_limits":[{"name":"a","key":"headr:x-api-key","limit":1,"window":"1m"}]`), `routes[0].rate_limits[0].key: "headr:x-api-key" is not a rate-limit key (want ip, route, header:NAME or claim:PATH) (did you mean "header:x-api-key"?)`},
		{withRoute(`,"require_tls":"forward"`), `routes[0].require_tls: must be true, false or "forwarded", not "forward" (did you mean "forwarded"?)`},
		{withRoute(`,"require_tls":"true"`), `routes[0].require_tls: must be true, false or "forwarded", not "true"`},
		{withRoute(`,"response":{"redact":{"keys":["a"],"action":"Mask"}}`), `routes[0].response.redact.action: must be "remove" or "mask", not "Mask" (did you mean "mask"?)`},
		{withRoute(`,"request":{"json":{"fields":[{"path":"a","type":"strng"}]}}`), `routes[0].request.json.fields[0].type: "strng" is not a JSON type (want object, array, string, number, integer, boolean or null) (did you mean "string"?)`},
	}
}

// TestErrors_pathSyntax pins the hints for other routers' path syntax.
func TestErrors_pathSyntax(t *testing.T) {
	tests := []struct{ match, want string }{
		{`{"path":"/users/:id"}`, `routes[0].match.path: ":id" looks like an Express-style parameter, which apiguard would match literally: write "{id}" (one segment)`},
		{`{"path":"/users/:id?/x"}`, `routes[0].match.path: ":id?" looks like an Express-style parameter, which apiguard would match literally: write "{id}" (one segment)`},
		{`{"prefix":"/a/:b"}`, `routes[0].match.prefix: ":b" looks like an Express-style parameter, which apiguard would match literally: write "{b}" (one segment)`},
		{`{"path":"/pets/*"}`, `routes[0].match.path: "/pets/*" contains "*", which apiguard would match literally: write "prefix": "/pets" to match it and every path below it, or "{name}" for exactly one segment`},
		{`{"path":"/*"}`, `routes[0].match.path: "/*" contains "*", which apiguard would match literally: write "prefix": "/" to match it and every path below it, or "{name}" for exactly one segment`},
		{`{"prefix":"/static/*"}`, `routes[0].match.prefix: "/static/*" contains "*", which apiguard would match literally: a prefix already matches every path below it, so write "/static"`},
	}
	for _, tc := range tests {
		_, err := Parse([]byte(`{"routes":[{"name":"r","match":` + tc.match + `}]}`))
		if err == nil || err.Error() != tc.want {
			t.Errorf("%s\n got: %v\nwant: %s", tc.match, err, tc.want)
		}
	}
	// A colon inside a segment is an ordinary character (Google-style
	// custom methods).
	if _, err := Parse([]byte(`{"routes":[{"name":"r","match":{"path":"/v1/things:batchGet"}}]}`)); err != nil {
		t.Errorf("custom method path: %v", err)
	}
}

// TestErrors_durationHint pins the hints for durations written in words.
func TestErrors_durationHint(t *testing.T) {
	const units = `a number and a unit: ms, s, m, h or d, as in "500ms", "30s", "1m", "1h30m", "1d"`
	tests := []struct{ in, want string }{
		{"1 minute", ` (did you mean "1m"? write ` + units + `)`},
		{"2 Hours", ` (did you mean "2h"? write ` + units + `)`},
		{"1.5min", ` (did you mean "1.5m"? write ` + units + `)`},
		{"7 days", ` (did you mean "7d"? write ` + units + `)`},
		{"250 msec", ` (did you mean "250ms"? write ` + units + `)`},
		{"60", ` (a duration needs a unit: "60s" is 60 seconds; write ` + units + `)`},
		{"1.5 days", ` (write ` + units + `)`}, // days are whole
		{"a minute", ` (write ` + units + `)`},
		{"1 fortnight", ` (write ` + units + `)`},
		{"", ` (write ` + units + `)`},
	}
	for _, tc := range tests {
		if got := durationHint(tc.in); got != tc.want {
			t.Errorf("%q: got %s, want %s", tc.in, got, tc.want)
		}
	}
}

// TestErrors_editDistance pins the distance "did you mean" ranks by.
func TestErrors_editDistance(t *testing.T) {
	tests := []struct {
		a, b string
		d    int
	}{
		{"", "", 0}, {"a", "", 1}, {"", "abc", 3}, {"auth", "auth", 0},
		{"auht", "auth", 1}, {"rate_limit", "rate_limits", 1}, {"kitten", "sitting", 3},
		{"ab", "ba", 1}, {"abc", "ca", 3},
	}
	for _, tc := range tests {
		if got := editDistance(tc.a, tc.b); got != tc.d {
			t.Errorf("editDistance(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.d)
		}
		if got := editDistance(tc.b, tc.a); got != tc.d {
			t.Errorf("editDistance(%q, %q) = %d, want %d", tc.b, tc.a, got, tc.d)
		}
	}
}

// TestErrors_suggestionsProbeSafely: "did you mean" asks each object's
// reader about close field names with a null value. For every object of the
// design example and every field name, a typo of the name (one letter
// more) must be reported as an unknown field, suggesting that name or
// another the object has, and never panic.
func TestErrors_suggestionsProbeSafely(t *testing.T) {
	data, err := os.ReadFile("testdata/design-example.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc any
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	var objects []map[string]any
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			objects = append(objects, v)
			for _, c := range v {
				walk(c)
			}
		case []any:
			for _, c := range v {
				walk(c)
			}
		}
	}
	walk(doc)
	suggested := 0
	for _, obj := range objects {
		for _, name := range fieldNames {
			key := name + "q"
			if _, taken := obj[key]; taken {
				continue
			}
			obj[key] = 1
			b, _ := json.Marshal(doc)
			delete(obj, key)
			_, err := Parse(b)
			if err == nil {
				continue // a map of names (providers, claims_to_headers...)
			}
			msg := err.Error()
			if i := strings.Index(msg, `unknown field "`+key+`" (did you mean "`); i >= 0 {
				suggested++
				rest := msg[i+len(`unknown field "`+key+`" (did you mean "`):]
				got := rest[:strings.IndexByte(rest, '"')]
				if _, has := obj[got]; !has && got != name {
					// The object must know the suggested name: written
					// there, it may have a wrong value but is no unknown
					// field.
					obj[got] = 1
					b, _ := json.Marshal(doc)
					delete(obj, got)
					if _, err := Parse(b); err != nil && strings.Contains(err.Error(), `unknown field "`+got+`"`) {
						t.Errorf("%s: suggests %q, which the object does not know", key, got)
					}
				}
			}
		}
	}
	if suggested < 100 {
		t.Errorf("only %d suggestions over %d objects", suggested, len(objects))
	}
}

// TestErrors_place: Place gives each error's JSON path as steps (keys and
// indexes) and says when the place is an unknown member's key; an error
// without a path (not JSON) has none.
func TestErrors_place(t *testing.T) {
	for _, tc := range []struct {
		doc   string
		steps string // fmt of the first error's steps; "" when it has no place
		atKey bool
	}{
		{`{"routes": [{"name": "a", "match": {"path": "/a", "methodz": []}}]}`, `[routes 0 match methodz]`, true},
		{`{"default": {"rate_limits": [{"name": "x", "key": "ip", "limit": 1, "window": "1 minute"}]}}`, `[default rate_limits 0 window]`, false},
		{`{"providers": {"a.b": {"issuer": 1}}}`, `[providers a.b issuer]`, false},
		{`{"routez": []}`, `[routez]`, true},
		{`{"default": {}, "hold_headers": }`, "", false},
	} {
		_, err := Parse([]byte(tc.doc))
		var list *ErrorList
		if !errors.As(err, &list) {
			t.Fatalf("%s: %v", tc.doc, err)
		}
		steps, atKey, ok := list.Errors[0].Place()
		got := ""
		if ok {
			got = fmt.Sprint(steps)
		}
		if got != tc.steps || atKey != tc.atKey {
			t.Errorf("%s: Place() = %s, %v; want %s, %v", tc.doc, got, atKey, tc.steps, tc.atKey)
		}
	}
}

// TestErrors_didYouMeanExported: DidYouMean offers the closest choice
// within a typo's distance, and nothing for a word far from every choice.
func TestErrors_didYouMeanExported(t *testing.T) {
	for _, tc := range []struct{ got, want string }{
		{"operationz", ` (did you mean "operations"?)`},
		{"listPetz", ` (did you mean "listPets"?)`},
		{"zzzzzzzz", ""},
	} {
		if s := DidYouMean(tc.got, []string{"operations", "listPets", "config"}); s != tc.want {
			t.Errorf("DidYouMean(%q) = %q, want %q", tc.got, s, tc.want)
		}
	}
}
