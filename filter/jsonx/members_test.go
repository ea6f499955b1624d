package jsonx

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/apiguard/apiguard/filter/jsonx/jsonxtest"
)

// The Members every object of the oracle walk gets: short and long names
// (one a prefix of another, two equal in their first eight bytes), the
// empty name and a non-ASCII one.
var (
	membersNames = []string{"a", "id", "", "name", "long_name_9", "long_name_8", "é", "tags", "email", "nine_byt1"}
	membersQuiet = []KindSet{KindsOf(TokenString), KindsOf(TokenNumber, TokenNull), KindsOf(TokenTrue, TokenFalse),
		0, KindsOf(TokenString), 0, KindsOf(TokenNumber), KindsOf(TokenString), 0, KindsOf(TokenString)}
	membersTally = []uint8{1, 2, 4, 8, 16, 32, 64, 128, 0, 3}
	itemsQuiet   = KindsOf(TokenString, TokenNull)
)

// withinStep is what a caller of Next sees with Within and QuietItems.
type withinStep struct {
	tok          Token
	member       int
	key          Token
	name         string
	esc          bool
	count, tally int
	err          string
}

// walkWithin walks doc with Next, ruling every object by the test's
// Members and every array by its quiet items.
func walkWithin(doc []byte, m *Members, fold bool) []withinStep {
	var s Scanner
	s.FoldDuplicates = fold
	s.Reset(doc, Limits{MaxDepth: 64})
	var out []withinStep
	for {
		tok, err := s.Next()
		st := withinStep{tok: tok, member: -1}
		switch {
		case err != nil:
			st.err = err.Error()
		case tok.Kind == TokenBeginObject:
			s.Within(m)
		case tok.Kind == TokenBeginArray:
			s.QuietItems(itemsQuiet)
		case tok.Kind == TokenEndObject || tok.Kind == TokenEndArray:
			st.count, st.tally = s.Closed()
		}
		value := err == nil && tok.Kind != TokenKey && tok.Kind != TokenEnd && tok.Kind != TokenEndObject && tok.Kind != TokenEndArray
		if value && s.InObjectOf(tok) && s.Member() >= 0 {
			st.member = s.Member()
			var name []byte
			st.key, name, st.esc = s.MemberKey()
			st.name = string(name)
		}
		if value {
			st.count = s.Count()
		}
		out = append(out, st)
		if err != nil || tok.Kind == TokenEnd {
			return out
		}
	}
}

// InObjectOf reports whether the value token tok (just returned) is a
// member of an object, for the test: the container around it.
func (s *Scanner) InObjectOf(tok Token) bool {
	n := len(s.stack)
	if tok.Kind == TokenBeginObject || tok.Kind == TokenBeginArray {
		n--
	}
	return n > 0 && s.stack[n-1].obj
}

// withinOracle derives the same steps from Next alone, as Within,
// QuietItems, Member, MemberKey, Count and Closed document them.
func withinOracle(doc []byte, fold bool) []withinStep {
	var s Scanner
	s.FoldDuplicates = fold
	s.Reset(doc, Limits{MaxDepth: 64})
	type open struct {
		obj          bool
		count, tally int
	}
	var stack []open
	var out []withinStep
	pending := -1 // member index of the key just read, -1: none (or returned)
	var pendKey Token
	var pendName string
	var pendEsc bool
	for {
		tok, err := s.Next()
		if err != nil {
			return append(out, withinStep{member: -1, err: err.Error()})
		}
		st := withinStep{tok: tok, member: -1}
		switch tok.Kind {
		case TokenEnd:
			return append(out, st)
		case TokenKey:
			stack[len(stack)-1].count++
			pending = -1
			for j, n := range membersNames {
				if n == string(s.Key()) {
					pending = j
				}
			}
			if pending < 0 {
				out = append(out, st)
				continue
			}
			stack[len(stack)-1].tally += int(membersTally[pending])
			pendKey, pendName, pendEsc = tok, string(s.Key()), s.Escaped()
			continue
		case TokenEndObject, TokenEndArray:
			top := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			st.count, st.tally = top.count, top.tally
			out = append(out, st)
			continue
		}
		// A value.
		inObj := len(stack) > 0 && stack[len(stack)-1].obj
		if len(stack) > 0 && !inObj {
			stack[len(stack)-1].count++
		}
		if len(stack) > 0 {
			st.count = stack[len(stack)-1].count
		}
		quiet := KindSet(0)
		switch {
		case inObj && pending >= 0:
			quiet = membersQuiet[pending]
			st.member, st.key, st.name, st.esc = pending, pendKey, pendName, pendEsc
		case len(stack) > 0 && !inObj:
			quiet = itemsQuiet
		}
		if inObj {
			pending = -1
		}
		if tok.Kind == TokenBeginObject || tok.Kind == TokenBeginArray {
			stack = append(stack, open{obj: tok.Kind == TokenBeginObject})
		} else if quiet.Has(tok.Kind) {
			continue
		}
		out = append(out, st)
	}
}

func checkWithin(t *testing.T, doc []byte, m *Members) {
	t.Helper()
	for _, fold := range []bool{false, true} {
		got, want := walkWithin(doc, m, fold), withinOracle(doc, fold)
		for i := range max(len(got), len(want)) {
			if i >= len(got) || i >= len(want) || got[i] != want[i] {
				if len(doc) > 200 {
					doc = doc[:200]
				}
				t.Fatalf("%q (fold %v): step %d differs:\n got %v\nwant %v", doc, fold, i, got[min(i, len(got)-1)], want[min(i, len(want)-1)])
			}
		}
	}
}

func testMembers() *Members { return NewMembers(membersNames, membersQuiet, membersTally) }

// TestWithin_agreesWithNext: with Within and QuietItems, Next returns
// exactly Next's tokens minus the keys the table holds and the quiet
// scalars, with Member, MemberKey, Count and Closed as documented.
func TestWithin_agreesWithNext(t *testing.T) {
	m := testMembers()
	docs := append([]string{string(jsonxtest.Users(8 << 10)), string(jsonxtest.Orders(8 << 10))}, nextInDocs...)
	docs = append(docs,
		`{"a":"s","a2":"s","id":1,"id":null}`,
		`{"a":1,"id":"x","":true,"":false}`,
		`{"nine_byt2":"x","nine_byt1":"y","nine_byt":"z"}`,
		`{"long_name_9":"x","long_name_8":"y","long_name_7":"z","long_name_99":"w"}`,
		`{"\u0061":"escaped","n\u0061me":[1,"x",null,{"a":"in"}],"\u00e9":2,"é":3}`,
		`{"tags":["x",null,1,"y",[],{}],"email":"e","name":{"id":5},"x":{"a":"q"}}`,
		`[["a",null],{"a":"b"},"c",1,null]`,
		`{"a" : "x" , "id" :  7 , "b":[ "s" , 2 ] }`,
		`{"id":1.5e3,"id2":-0,"a":"\u0000"}`,
		`{"a":"unterminated}`,
		`{"id":1x}`,
		`{"a":"x","A":"y"}`,
		`{"Name":1,"name":"x"}`,
		`{"\u0061":"x","a":"y"}`,
	)
	for _, doc := range docs {
		checkWithin(t, []byte(doc), m)
	}
}

// Within agrees with its oracle on every document of JSONTestSuite.
func TestWithin_agreesWithNextOnJSONTestSuite(t *testing.T) {
	dir := testdataDir(t, "jsontestsuite/test_parsing")
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no JSONTestSuite files: %v", err)
	}
	m := testMembers()
	for _, f := range files {
		doc, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		checkWithin(t, doc, m)
	}
}

// NextIn and SkipValue ignore the quiet kinds (only Next passes over
// values), while Within still folds keys into their values.
func TestWithin_nextInReturnsQuietScalars(t *testing.T) {
	doc := []byte(`{"a":"x","b":{"a":"y"},"id":3}`)
	var s Scanner
	s.Reset(doc, Limits{})
	m := testMembers()
	var kinds []TokenKind
	for {
		tok, err := s.NextIn(KindsOf(TokenBeginObject, TokenString), nil)
		if err != nil {
			t.Fatal(err)
		}
		if tok.Kind == TokenEnd {
			break
		}
		if tok.Kind == TokenBeginObject {
			s.Within(m)
		}
		kinds = append(kinds, tok.Kind)
	}
	if fmt.Sprint(kinds) != "[begin_object string begin_object string]" {
		t.Errorf("NextIn: %v", kinds)
	}
}

// Within on an array and QuietItems on an object are ignored; Count at
// the top level is 0.
func TestWithin_wrongContainer(t *testing.T) {
	var s Scanner
	s.Reset([]byte(`[{"a":"x"}]`), Limits{})
	if s.Count() != 0 {
		t.Errorf("Count before the first token = %d", s.Count())
	}
	s.Next()
	s.Within(testMembers())
	tok, _ := s.Next()
	s.QuietItems(KindsOf(TokenString))
	if tok.Kind != TokenBeginObject || s.Count() != 1 {
		t.Fatalf("%v, Count %d", tok, s.Count())
	}
	if tok, _ := s.Next(); tok.Kind != TokenKey {
		t.Errorf("a key of an unruled object: %v", tok)
	}
	if tok, _ := s.Next(); tok.Kind != TokenString {
		t.Errorf("a string of an object: %v", tok)
	}
}

// TestWithin_findsShortNamesPastTheirFirstSlot: with enough short names
// that many share a first slot (a table has at most 4096), every key of
// at most seven bytes in a small object is found at its own index,
// whether its first slot decides it (the key path's probe) or findMember
// probes on; a seven-byte key whose word equals an eight-byte name's is
// not that name.
func TestWithin_findsShortNamesPastTheirFirstSlot(t *testing.T) {
	var names []string
	doc := []byte("[{")
	for i := range 1200 {
		names = append(names, fmt.Sprintf("k%d", i))
		doc = fmt.Appendf(doc, `"k%d":%d,`, i, i)
		if i%6 == 5 {
			doc = append(doc, `"abcdefg":-1},{`...)
		}
	}
	names = append(names, "abcdefg\x0f") // word: "abcdefg", 0x0f^8 = 7 in its top byte
	doc = append(doc, `"abcdefg":-1}]`...)
	quiet, tally := make([]KindSet, len(names)), make([]uint8, len(names))
	for i := range tally {
		tally[i] = 1
	}
	m := NewMembers(names, quiet, tally)
	for _, fold := range []bool{false, true} {
		var s Scanner
		s.FoldDuplicates = fold
		s.Reset(doc, Limits{})
		found, keys, tallies := 0, 0, 0
		for {
			tok, err := s.Next()
			if err != nil {
				t.Fatal(err)
			}
			switch tok.Kind {
			case TokenBeginObject:
				s.Within(m)
			case TokenKey:
				if keys++; string(s.Key()) != "abcdefg" {
					t.Errorf("fold %v: key %q returned, want it found", fold, s.Key())
				}
			case TokenNumber:
				if j := s.Member(); j >= 0 {
					found++
					if want := string(doc[tok.Start:tok.End]); names[j] != "k"+want {
						t.Errorf("fold %v: value %s found as %q", fold, want, names[j])
					}
				}
			case TokenEndObject:
				_, tl := s.Closed()
				tallies += tl
			}
			if tok.Kind == TokenEnd {
				break
			}
		}
		if found != 1200 || keys != 201 || tallies != 1200 {
			t.Errorf("fold %v: %d found, %d keys returned, tallies %d, want 1200, 201 and 1200", fold, found, keys, tallies)
		}
	}
}

// TestWithin_findsNamesOfEveryLengthInFindMember: in an object past its
// sixteenth key (where the key path leaves every lookup to findMember),
// names of every length from one to twelve bytes are found at their
// index, and keys that differ from one only at its last byte, inside or
// past the first eight, are not.
func TestWithin_findsNamesOfEveryLengthInFindMember(t *testing.T) {
	const full = "abcdefghijkl"
	var names []string
	for n := 1; n <= len(full); n++ {
		names = append(names, full[:n])
	}
	m := NewMembers(names, make([]KindSet, len(names)), make([]uint8, len(names)))
	doc := []byte(`{`)
	for i := range 16 {
		doc = fmt.Appendf(doc, `"f%d":0,`, i)
	}
	for n := 1; n <= len(full); n++ {
		doc = fmt.Appendf(doc, `"%s":%d,"%sX":-1,`, full[:n], n, full[:n-1])
	}
	doc = append(doc, `"z":0}`...)
	var s Scanner
	s.Reset(doc, Limits{})
	found := map[int]int{}
	for {
		tok, err := s.Next()
		if err != nil {
			t.Fatal(err)
		}
		if tok.Kind == TokenBeginObject {
			s.Within(m)
		}
		if tok.Kind == TokenNumber && s.Member() >= 0 {
			v := string(doc[tok.Start:tok.End])
			if v == "-1" {
				t.Errorf("a near miss found as %q", names[s.Member()])
				continue
			}
			found[s.Member()]++
			if want := fmt.Sprint(s.Member() + 1); v != want {
				t.Errorf("value %s found as %q", v, names[s.Member()])
			}
		}
		if tok.Kind == TokenEnd {
			break
		}
	}
	if len(found) != len(names) {
		t.Errorf("found %d of the %d names: %v", len(found), len(names), found)
	}
}
