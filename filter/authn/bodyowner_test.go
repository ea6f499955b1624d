package authn

import (
	"strings"
	"testing"

	"github.com/apiguard/apiguard/filter/config"
	"github.com/apiguard/apiguard/filter/jsonx"
	"github.com/apiguard/apiguard/filter/problem"
)

// checkBodyOwnerTree is CheckBodyOwner as it was before the streaming walk,
// on the body's tree (jsonx.Parse): the oracle the walk must agree with on
// every body, rule set and identity.
func checkBodyOwnerTree(rules []BodyOwner, identity *jsonx.Value, query string, body []byte, form Form) Verdict {
	if v, done := bodyOwnerBefore(rules, query, body, form); done {
		return v
	}
	doc, err := jsonx.Parse(body, jsonx.Limits{})
	if err != nil {
		return deny(403, problem.ReasonBodyOwnerMissing, ChallengeScope)
	}
	for i := range rules {
		r := &rules[i]
		v := &doc
		for _, seg := range r.field {
			if v.Kind != jsonx.KindObject {
				return deny(403, problem.ReasonBodyOwnerMissing, ChallengeScope)
			}
			if v.CountFold(seg) > 1 {
				return deny(403, problem.ReasonBodyOwnerAmbiguous, ChallengeScope)
			}
			if v = v.Get(seg); v == nil {
				return deny(403, problem.ReasonBodyOwnerMissing, ChallengeScope)
			}
		}
		got, ok := ValueText(v)
		want, wok := ClaimText(identity, r.claim)
		if !ok || !wok || want == "" || got != want {
			return deny(403, problem.ReasonBodyOwnerMismatch, ChallengeScope)
		}
	}
	return Verdict{}
}

// bodyOwnerRules compiles one rule per path, each a dotted field ("a.b";
// "" is the empty path, the body itself) bound to the claim "sub".
func bodyOwnerRules(paths ...string) []BodyOwner {
	var rules []BodyOwner
	for _, p := range paths {
		var field []string
		if p != "" {
			field = strings.Split(p, ".")
		}
		rules = append(rules, CompileBodyOwner(&config.BodyOwnerRule{Field: field, Claim: []string{"sub"}}))
	}
	return rules
}

// nested is depth arrays around v, as a member value no rule looks into.
func nested(depth int, v string) string {
	return strings.Repeat("[", depth) + v + strings.Repeat("]", depth)
}

// hugeOwnerBody is a body of about n bytes: many members, objects and
// arrays no rule looks into (some with keys equal to the rules' segments
// at other depths), and the owner fields last.
func hugeOwnerBody(n int) string {
	var b strings.Builder
	b.WriteString(`{"items":[`)
	for i := 0; b.Len() < n; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`{"order":{"customer":"mallory","Customer":"x"},"n":12345,"s":"caf\u00e9 \"q\"","ok":true}`)
	}
	b.WriteString(`],"order":{"customer":"alice"}}`)
	return b.String()
}

// TestCheckBodyOwner_agreesWithTree: the streaming walk gives the verdict
// the tree gave, on paths through non-objects, case twins at every level
// (Kelvin sign, long s, dotted and dotless i included), escaped keys,
// rules sharing prefixes, values of every kind and large bodies.
func TestCheckBodyOwner_agreesWithTree(t *testing.T) {
	const (
		pass      = problem.Reason("")
		missing   = problem.ReasonBodyOwnerMissing
		mismatch  = problem.ReasonBodyOwnerMismatch
		ambiguous = problem.ReasonBodyOwnerAmbiguous
	)
	huge := hugeOwnerBody(2 << 20)
	tests := []struct {
		name  string
		paths []string
		claim string // the identity's "sub", as JSON; "" anonymous
		body  string
		want  problem.Reason
	}{
		{"top level", []string{"customer_id"}, `"alice"`, `{"customer_id":"alice"}`, pass},
		{"nested", []string{"order.customer"}, `"alice"`, ` { "a" : 1 , "order" : { "customer" : "alice" } } `, pass},
		{"mismatch", []string{"order.customer"}, `"alice"`, `{"order":{"customer":"bob"}}`, mismatch},
		{"anonymous", []string{"order.customer"}, ``, `{"order":{"customer":"alice"}}`, mismatch},
		{"empty claim", []string{"order.customer"}, `""`, `{"order":{"customer":""}}`, mismatch},
		{"number claim", []string{"n"}, `42`, `{"n":42}`, pass},
		{"missing leaf", []string{"order.customer"}, `"alice"`, `{"order":{}}`, missing},
		{"missing parent", []string{"order.customer"}, `"alice"`, `{"customer":"alice"}`, missing},
		{"other case only", []string{"order.customer"}, `"alice"`, `{"order":{"Customer":"alice"}}`, missing},
		{"through a string", []string{"order.customer"}, `"alice"`, `{"order":"alice"}`, missing},
		{"through an array", []string{"order.customer"}, `"alice"`, `{"order":[{"customer":"alice"}]}`, missing},
		{"through null", []string{"order.customer"}, `"alice"`, `{"order":null}`, missing},
		{"top-level array", []string{"customer"}, `"alice"`, `[{"customer":"alice"}]`, missing},
		{"top-level string", []string{"customer"}, `"alice"`, `"alice"`, missing},
		{"top-level number", []string{"customer"}, `1`, ` 1 `, missing},
		{"twin at the leaf", []string{"order.customer"}, `"alice"`, `{"order":{"customer":"alice","CUSTOMER":"alice"}}`, ambiguous},
		{"twin at the parent", []string{"order.customer"}, `"alice"`, `{"order":{"customer":"alice"},"Order":{}}`, ambiguous},
		{"twin before", []string{"order.customer"}, `"alice"`, `{"ORDER":7,"order":{"customer":"alice"}}`, ambiguous},
		{"twin of a missing parent", []string{"order.customer"}, `"alice"`, `{"ORDER":{"customer":"alice"},"Order":1}`, ambiguous},
		{"twins elsewhere", []string{"order.customer"}, `"alice"`, `{"x":{"order":1,"ORDER":2},"order":{"customer":"alice","c":{"customer":1,"CUSTOMER":2}},"customer":1,"Customer":2}`, pass},
		{"escaped keys", []string{"order.customer"}, `"alice"`, `{"\u006frder":{"cust\u006fmer":"al\u0069ce"}}`, pass},
		{"escaped twin", []string{"order.customer"}, `"alice"`, `{"order":{"customer":"alice","\u0043ustomer":"bob"}}`, ambiguous},
		{"escaped duplicate", []string{"order.customer"}, `"alice"`, `{"order":{"customer":"alice","\u0063ustomer":"alice"}}`, missing},
		{"duplicate elsewhere", []string{"order.customer"}, `"alice"`, `{"order":{"customer":"alice"},"x":[{"k":1,"k":2}]}`, missing},
		{"Kelvin sign", []string{"kind"}, `"alice"`, `{"kind":"alice","\u212aind":"bob"}`, ambiguous},
		{"Kelvin sign raw", []string{"kind"}, `"alice"`, "{\"kind\":\"alice\",\"\u212aIND\":1}", ambiguous},
		{"long s", []string{"status"}, `"alice"`, `{"\u017ftatus":"bob","status":"alice"}`, ambiguous},
		{"dotted I", []string{"id"}, `"alice"`, `{"id":"alice","\u0130d":"bob"}`, ambiguous},
		{"dotless i", []string{"id"}, `"alice"`, `{"\u0131D":"bob","id":"alice"}`, ambiguous},
		{"Kelvin segment", []string{"\u212aey"}, `"alice"`, `{"key":"alice"}`, missing},
		{"Kelvin segment found", []string{"\u212aey"}, `"alice"`, "{\"key\":\"x\",\"\u212aey\":\"alice\"}", ambiguous},
		{"non-ASCII segment", []string{"kund\u00e9.n\u00e4me"}, `"alice"`, `{"kund\u00e9":{"n\u00c4me":"alice"}}`, missing},
		{"non-ASCII twin", []string{"kund\u00e9.n\u00e4me"}, `"alice"`, `{"KUND\u00c9":1,"kund\u00e9":{"n\u00e4me":"alice"}}`, ambiguous},
		{"shared prefix", []string{"order.customer", "order.account"}, `"alice"`, `{"order":{"account":"alice","customer":"alice"}}`, pass},
		{"shared prefix, second differs", []string{"order.customer", "order.account"}, `"alice"`, `{"order":{"account":"bob","customer":"alice"}}`, mismatch},
		{"shared prefix, second missing", []string{"order.customer", "order.account"}, `"alice"`, `{"order":{"customer":"alice"}}`, missing},
		{"first rule decides", []string{"a", "b"}, `"alice"`, `{"a":"bob","B":1,"b":2}`, mismatch},
		{"second rule's twin", []string{"a", "b"}, `"alice"`, `{"a":"alice","B":1,"b":2}`, ambiguous},
		{"a rule and its prefix", []string{"order.customer", "order"}, `"alice"`, `{"order":{"customer":"alice"}}`, mismatch},
		{"prefix first", []string{"order", "order.customer"}, `"alice"`, `{"order":"alice"}`, missing},
		{"segments in two cases", []string{"a.b", "A.b"}, `"alice"`, `{"a":{"b":"alice"}}`, missing},
		{"same rule twice", []string{"a.b", "a.b"}, `"alice"`, `{"a":{"b":"alice"}}`, pass},
		{"same segment twice", []string{"a.a.a"}, `"alice"`, `{"a":{"a":{"a":"alice","A":1}}}`, ambiguous},
		{"object value", []string{"order"}, `"alice"`, `{"order":{"customer":"alice"}}`, mismatch},
		{"array value", []string{"order"}, `"alice"`, `{"order":["alice"]}`, mismatch},
		{"null value", []string{"order"}, `"alice"`, `{"order":null}`, mismatch},
		{"number value", []string{"order"}, `42`, `{"order":42}`, pass},
		{"number as written", []string{"order"}, `42`, `{"order":42.0}`, mismatch},
		{"number text", []string{"order"}, `"1e3"`, `{"order":1e3}`, pass},
		{"true value", []string{"order"}, `true`, `{"order":true}`, pass},
		{"false value", []string{"order"}, `"false"`, `{"order":false}`, pass},
		{"false against true", []string{"order"}, `true`, `{"order":false}`, mismatch},
		{"string against number", []string{"order"}, `42`, `{"order":"42"}`, pass},
		{"escaped value", []string{"order"}, `"a\"b\\c\n\u00e9\ud83d\ude00"`, `{"order":"a\"b\\c\n\u00e9\ud83d\ude00"}`, pass},
		{"empty segment", []string{"a..b"}, `"alice"`, `{"a":{"":{"b":"alice"}}}`, pass},
		{"one empty segment", []string{"."}, `"alice"`, `{"":{"":"alice"}}`, pass},
		{"whole body", []string{""}, `"alice"`, ` "alice" `, pass},
		{"whole body, a number", []string{""}, `7`, `7`, pass},
		{"whole body, an object", []string{""}, `"alice"`, `{"a":"alice"}`, mismatch},
		{"whole body, an array", []string{""}, `"alice"`, `["alice"]`, mismatch},
		{"whole body after a path", []string{"a", ""}, `"alice"`, `{"a":"alice"}`, mismatch},
		{"whole body, broken object", []string{""}, `"alice"`, `{"a":1,}`, missing},
		{"whole body, broken array", []string{""}, `"alice"`, `[1,}`, missing},
		{"whole body, trailing data", []string{""}, `"alice"`, `"alice" "alice"`, missing},
		{"deep skipped value", []string{"order.customer"}, `"alice"`, `{"x":` + nested(5000, `{"order":1}`) + `,"order":{"customer":"alice"}}`, pass},
		{"deep path", []string{"a.b.c.d.e.f"}, `"alice"`, `{"a":{"b":{"c":{"d":{"e":{"f":"alice","x":[1]},"E":2}}}}}`, ambiguous},
		{"trailing data", []string{"order.customer"}, `"alice"`, `{"order":{"customer":"alice"}} x`, missing},
		{"unfinished", []string{"order.customer"}, `"alice"`, `{"order":{"customer":"alice"}`, missing},
		{"not JSON", []string{"order.customer"}, `"alice"`, `order.customer=alice`, missing},
		{"empty body", []string{"order.customer"}, `"alice"`, ``, missing},
		{"huge body", []string{"order.customer"}, `"alice"`, huge, pass},
		{"huge body, twin", []string{"order.customer"}, `"alice"`, huge[:len(huge)-1] + `,"ORDER":1}`, ambiguous},
		{"huge body, missing", []string{"order.account"}, `"alice"`, huge, missing},
	}
	for _, tc := range tests {
		rules := bodyOwnerRules(tc.paths...)
		var id *jsonx.Value
		if tc.claim != "" {
			id = identity(t, `{"sub":`+tc.claim+`}`)
		}
		v := CheckBodyOwner(rules, id, "", []byte(tc.body), Form{})
		if v.Reason != tc.want || v.Pass() != (tc.want == "") || !v.Pass() && (v.Status != 403 || v.Challenge != ChallengeScope) {
			t.Errorf("%s: %+v, want %q", tc.name, v, tc.want)
		}
		if o := checkBodyOwnerTree(rules, id, "", []byte(tc.body), Form{}); o != v {
			t.Errorf("%s: the walk says %+v, the tree %+v", tc.name, v, o)
		}
	}
}

// TestCheckBodyOwner_warmWalkAllocatesNothing: a pooled walk checks a body
// without allocating (the tree allocated in proportion to the body).
func TestCheckBodyOwner_warmWalkAllocatesNothing(t *testing.T) {
	rules := bodyOwnerRules("customer_id", "order.customer")
	id := identity(t, `{"sub":"alice"}`)
	body := []byte(`{"customer_id":"alice","order":{"customer":"al\u0069ce","items":[{"customer":1}]},"n":[1,2,{"a":"b"}]}`)
	if v := CheckBodyOwner(rules, id, "", body, Form{}); !v.Pass() {
		t.Fatalf("%+v", v)
	}
	if n := testing.AllocsPerRun(20, func() { CheckBodyOwner(rules, id, "", body, Form{}) }); n > 0 && !raceEnabled {
		t.Errorf("%v allocations per check", n)
	}
}

// FuzzBodyOwner_agreesWithTree: on any body, rule paths (one per line,
// dotted; an empty line is the body itself) and claim value, the streaming walk and the tree give the same
// verdict, for the identity and for an anonymous request.
func FuzzBodyOwner_agreesWithTree(f *testing.F) {
	f.Add([]byte(`{"order":{"customer":"alice"}}`), "order.customer", "alice")
	f.Add([]byte(`{"order":{"customer":"alice","Customer":"bob"}}`), "order.customer\norder", "alice")
	f.Add([]byte(`{"\u006frder":{"cust\u006fmer":"al\u0069ce"},"ORDER":1}`), "order.customer", "alice")
	f.Add([]byte(`{"kind":"alice","\u212aind":"bob","\u017ftatus":1,"\u0130d":true}`), "kind\nstatus\nid", "alice")
	f.Add([]byte(`{"a":{"b":42,"c":true,"d":null,"e":[1],"f":{}}}`), "a.b\na.c\na.d\na.e\na.f", "42")
	f.Add([]byte(`[{"a":1}]`), "a", "1")
	f.Add([]byte(`{"a":{"":{"b":"x\n"}}}`), "a..b\nA.b", "x\n")
	f.Add([]byte(`{"x":[[[{"a":1,"A":2}]]],"a":"1e3"}`), "a", "1e3")
	f.Add([]byte(`"x"`), "\n.", "x")
	f.Fuzz(func(t *testing.T, body []byte, paths, claim string) {
		lines := strings.Split(paths, "\n")
		if len(lines) > 6 {
			lines = lines[:6]
		}
		rules := bodyOwnerRules(lines...)
		id := &jsonx.Value{Kind: jsonx.KindObject, Members: []jsonx.Member{{Key: "sub", Value: jsonx.Value{Kind: jsonx.KindString, Str: claim}}}}
		for _, ident := range []*jsonx.Value{id, nil} {
			v := CheckBodyOwner(rules, ident, "", body, Form{})
			if o := checkBodyOwnerTree(rules, ident, "", body, Form{}); o != v {
				t.Fatalf("body %q, paths %q, claim %q: the walk says %+v, the tree %+v", body, paths, claim, v, o)
			}
		}
	})
}
