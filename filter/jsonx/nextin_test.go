package jsonx

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apiguard/apiguard/filter/jsonx/jsonxtest"
)

// step is one result of Next or NextIn, with the state a caller reads.
type step struct {
	tok   Token
	depth int
	key   string
	err   string
}

// walkAll collects Next's tokens.
func walkAll(doc []byte) []step {
	var s Scanner
	s.Reset(doc, Limits{MaxDepth: 64})
	var out []step
	for {
		tok, err := s.Next()
		st := step{tok: tok, depth: s.Depth()}
		if tok.Kind == TokenKey {
			st.key = string(s.Key())
		}
		if err != nil {
			st.err = err.Error()
		}
		out = append(out, st)
		if err != nil || tok.Kind == TokenEnd {
			return out
		}
	}
}

// checkNextIn compares NextIn(kinds, kf) with Next's tokens filtered the
// way NextIn documents: kinds in the set, keys not ruled out by kf, and
// TokenEnd and errors always.
func checkNextIn(t *testing.T, doc []byte, kinds KindSet, kf *KeyFilter, added []string) {
	t.Helper()
	var want []step
	for _, st := range walkAll(doc) {
		switch {
		case st.err != "" || st.tok.Kind == TokenEnd:
		case !kinds.Has(st.tok.Kind):
			continue
		case st.tok.Kind == TokenKey && kf != nil:
			raw := doc[st.tok.Start+1 : st.tok.End-1]
			plain := bytes.IndexByte(raw, '\\') < 0 && isASCII(raw)
			matches := false
			for _, a := range added {
				matches = matches || strings.EqualFold(a, st.key)
			}
			if matches && plain && !kf.MayMatch([]byte(st.key)) {
				t.Fatalf("MayMatch(%q) is false, but it equals an added key", st.key)
			}
			if plain && !kf.MayMatch([]byte(st.key)) {
				continue
			}
		}
		want = append(want, st)
	}
	var s Scanner
	s.Reset(doc, Limits{MaxDepth: 64})
	for i := 0; ; i++ {
		tok, err := s.NextIn(kinds, kf)
		got := step{tok: tok, depth: s.Depth()}
		if tok.Kind == TokenKey {
			got.key = string(s.Key())
		}
		if err != nil {
			got.err = err.Error()
		}
		if i >= len(want) || got != want[i] {
			t.Fatalf("%q kinds %b: step %d is %+v, want %+v", doc, kinds, i, got, want[min(i, len(want)-1)])
		}
		if err != nil || tok.Kind == TokenEnd {
			if i != len(want)-1 {
				t.Fatalf("%q: NextIn stopped after %d of %d steps", doc, i+1, len(want))
			}
			return
		}
	}
}

func isASCII(b []byte) bool {
	for _, c := range b {
		if c < 0x20 || c >= 0x80 {
			return false
		}
	}
	return true
}

var nextInKinds = []KindSet{
	0,
	KindsOf(TokenKey),
	KindsOf(TokenEndObject, TokenEndArray),
	KindsOf(TokenKey, TokenBeginObject, TokenEndObject, TokenBeginArray, TokenEndArray),
	KindsOf(TokenString, TokenNumber, TokenTrue, TokenFalse, TokenNull),
	^KindSet(0),
}

var nextInDocs = []string{
	`{"password":1,"PASSWORD":[2,{"Password":{"x":"password"}}],"pass":"word","p\u0061ssword":3}`,
	`[{"\u212Aey":1,"key":2,"KEY2":3},{"":4,"k":null,"K":true},"key",false]`,
	`{"a":{"b":{"c":[[[]]],"d":{}}},"e":-1.5e-3,"stra\u00dfe":"x","STRASSE":"y","ſecret":0}`,
	`{"a":1,"a":2}`,
	`{"a":[1,2,}`,
	`{"token":"x"} trailing`,
	`"top"`,
	"{\"\xff\":1}",
	``,
}

func TestNextIn_kindsAndKeys(t *testing.T) {
	added := []string{"password", "key", "secret", "k", ""}
	var kf KeyFilter
	for _, a := range added {
		kf.Add([]byte(a))
	}
	docs := append([]string{string(jsonxtest.Users(8 << 10))}, nextInDocs...)
	for _, doc := range docs {
		for _, kinds := range nextInKinds {
			checkNextIn(t, []byte(doc), kinds, nil, nil)
			checkNextIn(t, []byte(doc), kinds, &kf, added)
		}
	}
}

// NextIn agrees with Next on every document of JSONTestSuite.
func TestNextIn_agreesWithNextOnJSONTestSuite(t *testing.T) {
	dir := testdataDir(t, "jsontestsuite/test_parsing")
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no JSONTestSuite files: %v", err)
	}
	added := []string{"a", "asd", "é"}
	var kf KeyFilter
	for _, a := range added {
		kf.Add([]byte(a))
	}
	for _, f := range files {
		doc, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, kinds := range nextInKinds {
			checkNextIn(t, doc, kinds, nil, nil)
			checkNextIn(t, doc, kinds, &kf, added)
		}
	}
}

func TestNextIn_keyFilter(t *testing.T) {
	added := []string{"password", "ssn", "straße", "σοφία", "k", "Api_Key", "x-y", strings.Repeat("long", 30)}
	var kf KeyFilter
	for _, a := range added {
		kf.Add([]byte(a))
	}
	same := []string{"PASSWORD", "Password", "paſſword", "SSN", "ſſn", "STRAẞE", "ΣΟΦΊΑ", "K", "\u212A",
		"API_KEY", "api_key", "X-Y", strings.Repeat("LONG", 30)}
	for _, k := range same {
		if !kf.MayMatch([]byte(k)) {
			t.Errorf("MayMatch(%q) = false for a key equal under folding", k)
		}
	}
	for _, k := range []string{"id", "name", "passwords", "email", "created_at"} {
		if kf.MayMatch([]byte(k)) {
			t.Errorf("MayMatch(%q) = true: the fingerprint should rule it out", k)
		}
	}
	var empty KeyFilter
	if empty.MayMatch([]byte("password")) || !empty.MayMatch([]byte("é")) {
		t.Errorf("an empty filter: MayMatch(password) must be false, MayMatch of a non-ASCII key true")
	}
	copied := kf
	copied.Add([]byte("email"))
	if kf.MayMatch([]byte("email")) || !copied.MayMatch([]byte("EMAIL")) {
		t.Errorf("a copy must extend independently")
	}
}

// FuzzNextIn_agreesWithNext: for any document, set of kinds and filter keys, NextIn
// returns exactly Next's tokens of those kinds, minus the plain keys the
// filter rules out, and never rules out a key equal to a filter key under
// folding.
func FuzzNextIn_agreesWithNext(f *testing.F) {
	for _, d := range nextInDocs {
		f.Add([]byte(d), uint16(KindsOf(TokenKey, TokenEndObject)), "password|key")
	}
	f.Add(jsonxtest.Users(2<<10), uint16(KindsOf(TokenKey, TokenBeginArray)), "id|NAME|tags")
	f.Fuzz(func(t *testing.T, doc []byte, kinds uint16, keys string) {
		var kf KeyFilter
		added := strings.Split(keys, "|")
		for _, a := range added {
			kf.Add([]byte(a))
		}
		checkNextIn(t, doc, KindSet(kinds), nil, nil)
		checkNextIn(t, doc, KindSet(kinds), &kf, added)
		checkWithin(t, doc, testMembers())
	})
}
