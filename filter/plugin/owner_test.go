package plugin

import (
	"testing"

	"github.com/apiguard/apiguard/e2e/host"
)

// ownerConfig: API keys whose claims drive owner and body_owner.
func ownerConfig() string {
	return `{
  "providers": {"keys": {"api_keys": {"from": [{"header": "x-api-key"}], "keys": [
    {"id": "acme", "sha256": "` + hexKey("acme-key") + `", "claims": {"sub": "acme", "tenant": "t1", "n": 42}},
    {"id": "admin", "sha256": "` + hexKey("admin-key") + `", "claims": {"sub": "root", "roles": ["admin"]}},
    {"id": "empty", "sha256": "` + hexKey("empty-key") + `", "claims": {"sub": ""}},
    {"id": "nosub", "sha256": "` + hexKey("nosub-key") + `", "claims": {"tenant": "t1"}},
    {"id": "spaced", "sha256": "` + hexKey("spaced-key") + `", "claims": {"sub": "a b/c"}}]}}},
  "routes": [
    {"name": "tenant", "match": {"path": "/tenants/{t}/orders"}, "auth": {"providers": ["keys"],
      "owner": [{"param": "t", "claim": "sub", "unless": {"claim": "roles", "any_of": ["admin"]}}]}},
    {"name": "numeric", "match": {"path": "/n/{id}"}, "auth": {"providers": ["keys"],
      "owner": [{"param": "id", "claim": "n"}]}},
    {"name": "two", "match": {"path": "/t/{t}/s/{s}"}, "auth": {"providers": ["keys"],
      "owner": [{"param": "t", "claim": "tenant"}, {"param": "s", "claim": "sub"}]}},
    {"name": "body", "match": {"path": "/orders", "methods": ["POST"]}, "auth": {"providers": ["keys"],
      "body_owner": [{"field": "customer_id", "claim": "sub"}, {"field": "meta.tenant", "claim": "tenant"}]}},
    {"name": "optional", "match": {"path": "/opt", "methods": ["POST"]}, "auth": {"providers": ["keys"], "allow_missing": true,
      "body_owner": [{"field": "customer_id", "claim": "sub"}]}}
  ]
}`
}

// TestOwner_pathParam: the path parameter, percent-decoded once, must
// equal the claim byte for byte: no prefix or extension of it, no other
// letter case (in the path or through an escape), no second decoding; an
// empty or missing claim never matches; `unless` lets its holders through.
func TestOwner_pathParam(t *testing.T) {
	e := emulated(t, ownerConfig())
	ok, mismatch := outcome{200, ""}, outcome{403, "owner_mismatch"}
	key := func(k string) []string { return []string{"x-api-key", k} }
	for _, c := range []struct {
		name, path string
		key        string
		want       outcome
	}{
		{"own id", "/tenants/acme/orders", "acme-key", ok},
		{"own id, escaped", "/tenants/%61cme/orders", "acme-key", ok},
		{"own id, all escaped", "/tenants/%61%63%6d%65/orders", "acme-key", ok},
		{"another tenant", "/tenants/globex/orders", "acme-key", mismatch},
		{"a prefix of the claim", "/tenants/acm/orders", "acme-key", mismatch},
		{"the claim extended", "/tenants/acmex/orders", "acme-key", mismatch},
		{"the claim extended by an escape", "/tenants/acme%20/orders", "acme-key", mismatch},
		{"upper case", "/tenants/ACME/orders", "acme-key", mismatch},
		{"one letter in upper case", "/tenants/acmE/orders", "acme-key", mismatch},
		{"upper case through an escape", "/tenants/%41cme/orders", "acme-key", mismatch},
		{"decoded once only", "/tenants/%2561cme/orders", "acme-key", mismatch},
		{"empty claim", "/tenants/x/orders", "empty-key", mismatch},
		{"missing claim", "/tenants/t1/orders", "nosub-key", mismatch},
		{"unless holds", "/tenants/acme/orders", "admin-key", ok},
		{"unless holds for any tenant", "/tenants/globex/orders", "admin-key", ok},
		{"numeric claim as written", "/n/42", "acme-key", ok},
		{"numeric claim, other spelling", "/n/42.0", "acme-key", mismatch},
		{"numeric claim, prefix", "/n/4", "acme-key", mismatch},
		{"both rules hold", "/t/t1/s/acme", "acme-key", ok},
		{"the second rule fails", "/t/t1/s/acm", "acme-key", mismatch},
		{"the first rule fails", "/t/t2/s/acme", "acme-key", mismatch},
		{"claim with a space and a slash, escaped", "/tenants/a%20b%2Fc/orders", "spaced-key", outcome{400, "unsafe_path"}},
		{"no credential", "/tenants/acme/orders", "", outcome{401, "credential_missing"}},
	} {
		var h []string
		if c.key != "" {
			h = key(c.key)
		}
		expect(t, c.name, send(e, host.Request{Path: c.path, Headers: pairs(h...)}), c.want)
	}
}

// TestOwner_body: body_owner's field must be present once at every level
// of its path (no second key equal to it in any letter case), must not be
// shadowed by a query parameter named like its last segment, and must
// equal the claim as a string, byte for byte.
func TestOwner_body(t *testing.T) {
	e := emulated(t, ownerConfig())
	post := func(path, body, key string) host.Request {
		h := pairs("content-type", "application/json")
		if key != "" {
			h = append(h, pairs("x-api-key", key)...)
		}
		return host.Request{Method: "POST", Path: path, Headers: h, Body: []byte(body)}
	}
	ok := outcome{200, ""}
	mismatch, missing, ambiguous := outcome{403, "body_owner_mismatch"}, outcome{403, "body_owner_missing"}, outcome{403, "body_owner_ambiguous"}
	for _, c := range []struct {
		name, path, body, key string
		want                  outcome
	}{
		{"both fields hold", "/orders", `{"customer_id":"acme","meta":{"tenant":"t1"}}`, "acme-key", ok},
		{"members in another order", "/orders", `{"meta":{"x":1,"tenant":"t1"},"y":[1],"customer_id":"acme"}`, "acme-key", ok},
		{"another customer", "/orders", `{"customer_id":"globex","meta":{"tenant":"t1"}}`, "acme-key", mismatch},
		{"a prefix of the claim", "/orders", `{"customer_id":"acm","meta":{"tenant":"t1"}}`, "acme-key", mismatch},
		{"the claim extended", "/orders", `{"customer_id":"acmex","meta":{"tenant":"t1"}}`, "acme-key", mismatch},
		{"upper case", "/orders", `{"customer_id":"ACME","meta":{"tenant":"t1"}}`, "acme-key", mismatch},
		{"escaped, same string", "/orders", `{"customer_id":"\u0061cme","meta":{"tenant":"t1"}}`, "acme-key", ok},
		{"second field differs", "/orders", `{"customer_id":"acme","meta":{"tenant":"t2"}}`, "acme-key", mismatch},
		{"second field missing", "/orders", `{"customer_id":"acme","meta":{}}`, "acme-key", missing},
		{"second field's object missing", "/orders", `{"customer_id":"acme"}`, "acme-key", missing},
		{"second field's parent not an object", "/orders", `{"customer_id":"acme","meta":["t1"]}`, "acme-key", missing},
		{"field missing", "/orders", `{"meta":{"tenant":"t1"}}`, "acme-key", missing},
		{"field null", "/orders", `{"customer_id":null,"meta":{"tenant":"t1"}}`, "acme-key", mismatch},
		{"field an object", "/orders", `{"customer_id":{"id":"acme"},"meta":{"tenant":"t1"}}`, "acme-key", mismatch},
		{"top level an array", "/orders", `[{"customer_id":"acme"}]`, "acme-key", missing},
		{"field twice in another case", "/orders", `{"customer_id":"acme","Customer_ID":"globex","meta":{"tenant":"t1"}}`, "acme-key", ambiguous},
		{"nested field twice in another case", "/orders", `{"customer_id":"acme","meta":{"tenant":"t1","TENANT":"t2"}}`, "acme-key", ambiguous},
		{"parent twice in another case", "/orders", `{"customer_id":"acme","meta":{"tenant":"t1"},"Meta":{"tenant":"t2"}}`, "acme-key", ambiguous},
		{"shadowed by a query parameter", "/orders?customer_id=acme", `{"customer_id":"acme","meta":{"tenant":"t1"}}`, "acme-key", ambiguous},
		{"shadowed by a spelling of it", "/orders?Customer.ID=x", `{"customer_id":"acme","meta":{"tenant":"t1"}}`, "acme-key", ambiguous},
		{"shadowed by the nested field's name", "/orders?tenant=t1", `{"customer_id":"acme","meta":{"tenant":"t1"}}`, "acme-key", ambiguous},
		{"another query parameter", "/orders?page=2", `{"customer_id":"acme","meta":{"tenant":"t1"}}`, "acme-key", ok},
		{"empty claim", "/orders", `{"customer_id":"","meta":{"tenant":"t1"}}`, "empty-key", mismatch},
		{"missing claim", "/orders", `{"customer_id":"","meta":{"tenant":"t1"}}`, "nosub-key", mismatch},
		{"anonymous", "/opt", `{"customer_id":"acme"}`, "", mismatch},
		{"optional route, key holds", "/opt", `{"customer_id":"acme"}`, "acme-key", ok},
	} {
		expect(t, c.name, send(e, post(c.path, c.body, c.key)), c.want)
	}
}

func TestDecodedEquals_caseAndPrefix(t *testing.T) {
	for _, c := range []struct {
		raw, want string
		eq        bool
	}{
		{"Alice", "alice", false},
		{"alice", "Alice", false},
		{"%41lice", "alice", false},
		{"%61lice", "Alice", false},
		{"ALICE", "alice", false},
		{"alice", "alicex", false},
		{"alicex", "alice", false},
		{"alic%65", "alice", true},
		{"alic%65", "alic", false},
		{"", "a", false},
		{"a", "", false},
		{"%", "%", false},
		{"%6", "%6", false},
	} {
		if got := decodedEquals(c.raw, c.want); got != c.eq {
			t.Errorf("decodedEquals(%q, %q) = %v, want %v", c.raw, c.want, got, c.eq)
		}
	}
}
