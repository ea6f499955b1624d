package jsonx

import (
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// namesOf reads TopLevelKeys and TopLevelKey of r over data as strings.
func namesOf(r interface {
	TopLevelKeys() int
	TopLevelKey(int, []byte) []byte
}, data []byte) []string {
	var names []string
	for i := range r.TopLevelKeys() {
		names = append(names, string(r.TopLevelKey(i, data)))
	}
	return names
}

// depthOneKeys is the oracle: the keys a Next loop reads at depth 1 of a
// document whose top-level value is an object; ok false on a refusal.
func depthOneKeys(data []byte) (names []string, ok bool) {
	var s Scanner
	s.Reset(data, Limits{})
	for {
		tok, err := s.Next()
		if err != nil {
			return nil, false
		}
		switch {
		case tok.Kind == TokenEnd:
			return names, true
		case tok.Kind == TokenKey && s.Depth() == 1:
			names = append(names, string(s.Key()))
		}
	}
}

// TestTopLevelKeys_recordOfTheAcceptingWalk: after a walk accepts a
// document, TopLevelKeys lists its top-level object's member names,
// unescaped, in order, whichever walk accepted it (Validate, Parse, a Next
// or NextIn loop); nothing for another top-level value or a refusal.
func TestTopLevelKeys_recordOfTheAcceptingWalk(t *testing.T) {
	var many []string
	var manyDoc strings.Builder
	manyDoc.WriteString("{")
	for i := range 20 { // past linearKeys: an indexed object
		k := "k" + strconv.Itoa(i)
		many = append(many, k)
		if i > 0 {
			manyDoc.WriteString(",")
		}
		manyDoc.WriteString(`"` + k + `":{"in` + k + `":[{"x":1}]}`)
	}
	manyDoc.WriteString("}")
	for _, c := range []struct {
		name, doc string
		want      []string
	}{
		{"empty object", `{}`, nil},
		{"members around nested ones", ` {"a":1,"b":{"c":2,"d":{}},"e":[{"f":3}],"g":"h"} `, []string{"a", "b", "e", "g"}},
		{"escaped names", `{"\u005fmethod":1,"x\"y":2,"plain":3,"\ud83d\ude00":4}`, []string{"_method", `x"y`, "plain", "\U0001F600"}},
		{"indexed object", manyDoc.String(), many},
		{"case variants (exact keys)", `{"a":1,"A":2}`, []string{"a", "A"}},
		{"an array", `[{"a":1}]`, nil},
		{"a scalar", `"a"`, nil},
		{"trailing data", `{"a":1} {"b":2}`, nil},
		{"a duplicate", `{"a":1,"a":2}`, nil},
		{"truncated", `{"a":1,"b":`, nil},
		{"nested duplicate", `{"a":{"b":1,"b":2}}`, nil},
	} {
		data := []byte(c.doc)
		var v Validator
		v.Validate(data, Limits{})
		if got := namesOf(&v, data); !slices.Equal(got, c.want) {
			t.Errorf("%s: Validate: %q, want %q", c.name, got, c.want)
		}
		v.Parse(data, Limits{})
		if got := namesOf(&v, data); !slices.Equal(got, c.want) {
			t.Errorf("%s: Parse: %q, want %q", c.name, got, c.want)
		}
		for _, kinds := range []KindSet{KindsOf(TokenKey), KindsOf(TokenEndArray)} {
			var s Scanner
			s.Reset(data, Limits{})
			for {
				tok, err := s.NextIn(kinds, nil)
				if err != nil || tok.Kind == TokenEnd {
					break
				}
			}
			if got := namesOf(&s, data); !slices.Equal(got, c.want) {
				t.Errorf("%s: NextIn(%b): %q, want %q", c.name, kinds, got, c.want)
			}
		}
	}
}

// TestTopLevelKeys_resetForgetsReleaseKeeps: Release (which drops the
// document, as pooled walkers do) keeps the record; Reset forgets it, and
// a walk that has not reached the end has none.
func TestTopLevelKeys_resetForgetsReleaseKeeps(t *testing.T) {
	data := []byte(`{"a":1,"b":2}`)
	var s Scanner
	s.Reset(data, Limits{})
	for tok, err := s.Next(); err == nil && tok.Kind != TokenEnd; tok, err = s.Next() {
		if s.Depth() == 0 && tok.Kind == TokenEndObject && s.TopLevelKeys() != 0 {
			t.Error("names before the end of the document")
		}
	}
	s.Release()
	if got := namesOf(&s, data); !slices.Equal(got, []string{"a", "b"}) {
		t.Errorf("after Release: %q", got)
	}
	s.Reset([]byte(`{"c":3}`), Limits{})
	if n := s.TopLevelKeys(); n != 0 {
		t.Errorf("after Reset: %d names", n)
	}
	s.Next()
	s.Next()
	if n := s.TopLevelKeys(); n != 0 {
		t.Errorf("mid-document: %d names", n)
	}
}

// TestTopLevelKeys_suiteAgreesWithNext: over JSONTestSuite, every
// document Validate accepts has the top-level names a Next loop reads.
func TestTopLevelKeys_suiteAgreesWithNext(t *testing.T) {
	dir := testdataDir(t, "jsontestsuite/test_parsing")
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil || len(files) < 300 {
		t.Fatalf("%d suite files (%v)", len(files), err)
	}
	objects := 0
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if n := checkTopLevelKeys(t, data); n > 0 {
			objects++
		}
	}
	if objects < 5 { // 9 in the suite as copied
		t.Errorf("only %d accepted documents with named members", objects)
	}
}

// checkTopLevelKeys compares Validate's record with the oracle and
// returns how many names it had.
func checkTopLevelKeys(t *testing.T, data []byte) int {
	t.Helper()
	want, ok := depthOneKeys(data)
	var v Validator
	accepted := v.Validate(data, Limits{}) == nil
	got := namesOf(&v, data)
	if accepted != ok || !slices.Equal(got, want) {
		t.Errorf("%.80q: accepted %v, names %q; Next: accepted %v, names %q", data, accepted, got, ok, want)
	}
	return len(got)
}

// FuzzTopLevelKeys_agreesWithNext: for any input, Validate's record of
// the top-level names is what a Next loop reads at depth 1, and nothing
// when the document is refused.
func FuzzTopLevelKeys_agreesWithNext(f *testing.F) {
	for _, d := range nextInDocs {
		f.Add([]byte(d))
	}
	f.Add([]byte(`{"\u005fmethod":1,"a":{"b":[{"c":1}]},"_method":2}`))
	f.Add([]byte(`{"a":1} x`))
	f.Fuzz(func(t *testing.T, data []byte) { checkTopLevelKeys(t, data) })
}
