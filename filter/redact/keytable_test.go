package redact

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/apiguard/apiguard/filter/config"
	"github.com/apiguard/apiguard/filter/jsonx"
)

// withoutTables returns rules with every keyTable left out, so that each
// key lookup takes the folding path (AppendFold, the filter, the lists).
func withoutTables(r *Rules) *Rules {
	c := *r
	c.keys.tab = nil
	var strip func(n *node) *node
	strip = func(n *node) *node {
		if n == nil {
			return nil
		}
		m := *n
		m.tab = nil
		m.each = strip(n.each)
		m.kids = nil
		for _, k := range n.kids {
			m.kids = append(m.kids, kid{k.key, strip(k.n)})
		}
		if n.index != nil {
			m.index = map[string]*node{}
			for _, k := range m.kids {
				m.index[k.key] = k.n
			}
		}
		return &m
	}
	c.paths = strip(r.paths)
	return &c
}

// TestKeyTable_findsWhatFoldingFinds: for keys of every length around the
// table's limits, made of the bytes on either side of the letters' ranges,
// find either defers to folding or answers what folding and comparing
// would: the candidate whose folding equals the key's, or none.
func TestKeyTable_findsWhatFoldingFinds(t *testing.T) {
	alphabet := []byte("aAzZ`@[{_09\x00\x7f\x1f")
	rng := rand.New(rand.NewPCG(1, 2))
	randKey := func(n int) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = alphabet[rng.IntN(len(alphabet))]
		}
		return string(b)
	}
	var cands []string
	for n := 0; n <= 17; n++ {
		cands = append(cands, randKey(n), strings.Repeat("k", n))
	}
	cands = append(cands, "straße", "ſsn")
	for round := 0; round < 200; round++ {
		var ks keySet
		var kids []kid
		for i := 0; i < 8; i++ {
			c := cands[rng.IntN(len(cands))]
			if rng.IntN(2) == 0 {
				ks.add(jsonx.AppendFold(nil, []byte(c)))
			} else {
				kids = append(kids, kid{string(jsonx.AppendFold(nil, []byte(c))), &node{}})
			}
		}
		tab := newKeyTable(kids, &ks)
		for i := 0; i < 200; i++ {
			var k string
			switch c := cands[rng.IntN(len(cands))]; rng.IntN(3) {
			case 0: // a candidate in other cases
				k = strings.Map(func(r rune) rune {
					if rng.IntN(2) == 0 {
						return []rune(strings.ToUpper(string(r)))[0]
					}
					return r
				}, c)
			case 1: // a candidate changed at one byte
				k = c
				if c != "" {
					j := rng.IntN(len(c))
					k = c[:j] + string(alphabet[rng.IntN(len(alphabet))]) + c[j+1:]
				}
			default:
				k = randKey(rng.IntN(18))
			}
			// The key inside a buffer, followed by what could follow it
			// in a document; and alone, where it cannot be loaded.
			buf := []byte(k + `":"zzzzzzzzzzzzzzzzzzzz`)
			e, ok := tab.find(buf[:len(k)])
			if !ok {
				if len(k) <= 15 && !strings.ContainsFunc(k, func(r rune) bool { return r >= 0x80 }) {
					t.Fatalf("find defers on the ASCII key %q", k)
				}
				continue
			}
			fold := string(jsonx.AppendFold(nil, []byte(k)))
			var wantChild *node
			for _, kd := range kids {
				if kd.key == fold {
					wantChild = kd.n
					break
				}
			}
			wantKey := ks.has([]byte(fold))
			if e == nil && (wantChild != nil || wantKey) {
				t.Fatalf("key %q: find says none, folding finds child %v key %v", k, wantChild != nil, wantKey)
			}
			if e != nil && (e.child != wantChild || e.key != wantKey) {
				t.Fatalf("key %q: find says child %v key %v, folding child %v key %v", k, e.child != nil, e.key, wantChild != nil, wantKey)
			}
			if _, ok := tab.find([]byte(k)[:len(k):len(k)]); ok && len(k) < 16 {
				t.Fatalf("key %q: find read past the end of its buffer", k)
			}
		}
	}
}

// TestRedact_keyLookupsWithAndWithoutTables: the same rules give the same
// output with the key tables (the fast path) and without them (folding),
// on documents whose keys go both ways: ASCII keys in any case, escaped,
// not ASCII, of 15 and 16 bytes, with NUL bytes, at the very end of the
// document.
func TestRedact_keyLookupsWithAndWithoutTables(t *testing.T) {
	long := "abcdefghijklmno" // 15 bytes: the longest key a table holds
	r := &config.Response{Redact: &config.Redact{
		Paths:  paths(t, "data.#.customer.email", "meta.next_cursor", "x."+long, "x."+long+"p", "ſub.k"),
		Keys:   []string{"password", "ssn", "straße", "a", "\x00", "K"},
		Action: config.RedactRemove,
	}}
	cases := []struct{ in, want string }{
		{`{"data":[{"customer":{"EMAIL":1,"Phone":2,"eMail2":3}},{"Customer":{"email":1}}],"META":{"Next_Cursor":1,"next_cursorx":2}}`,
			`{"data":[{"customer":{"Phone":2,"eMail2":3}},{"Customer":{}}],"META":{"next_cursorx":2}}`},
		{`{"x":{"ABCDEFGHIJKLMNO":1,"abcdefghijklmnoP":2,"abcdefghijklmnopq":3,"abcdefghijklmn":4,"abcdefghijklmn\u0000":5}}`,
			`{"x":{"abcdefghijklmnopq":3,"abcdefghijklmn":4,"abcdefghijklmn\u0000":5}}`},
		{`{"o":{"p\u0061ssword":1,"PASSWORD":2,"paſſword":3,"passwor":4,"passwordd":5,"Ssn":6,"ſsn":7,"\u0000":8,"\u0000\u0000":9}}`,
			`{"o":{"passwor":4,"passwordd":5,"\u0000\u0000":9}}`},
		{`{"STRASSE":1,"STRAẞE":2,"straße":3,"A":4,"b":5,"k":6,"\u212a":7,"ſub":{"K":1,"j":2},"sub":{"k":1}}`,
			`{"STRASSE":1,"b":5,"ſub":{"j":2},"sub":{}}`},
		{`[{"a":1}]`, `[{}]`},
		{`{"Ssn":1}`, `{}`},
		{`{"b":{"ssN":1}}`, `{"b":{}}`},
	}
	fast := Compile(r)
	slow := withoutTables(fast)
	var w Rewriter
	for _, c := range cases {
		for name, rules := range map[string]*Rules{"tables": fast, "folding": slow} {
			out, _, err := w.Rewrite(rules, nil, []byte(c.in))
			if err != nil || string(out) != c.want {
				t.Errorf("%s: %s gives %s (%v), want %s", name, c.in, out, err, c.want)
			}
		}
	}
}

// TestRedact_manyKeysLeaveTablesOut: past wordKeys candidates a node has
// no table, and the rules still match every key.
func TestRedact_manyKeysLeaveTablesOut(t *testing.T) {
	var keys []string
	for i := 0; i <= wordKeys; i++ {
		keys = append(keys, fmt.Sprintf("k%d", i))
	}
	rules := Compile(&config.Response{Redact: &config.Redact{Keys: keys, Action: config.RedactRemove}})
	if rules.keys.tab != nil {
		t.Fatalf("a table of %d keys", len(keys))
	}
	var w Rewriter
	out, st, err := w.Rewrite(rules, nil, []byte(`{"K0":1,"a":{"k16":2},"k17":3}`))
	if err != nil || string(out) != `{"a":{},"k17":3}` || st.Redactions != 2 {
		t.Fatalf("%s %+v %v", out, st, err)
	}
}
