package e2e

import (
	"crypto/sha256"
	"encoding/hex"
	"testing"

	"github.com/apiguard/apiguard/e2e/host"
	"github.com/apiguard/apiguard/filter/problem"
	"github.com/apiguard/apiguard/filter/proxy"
)

// TestOwner_exactMatch: owner and body_owner compare the request's value
// with the claim byte for byte, natively and through the .wasm: a prefix
// of the claim, the claim extended, or another letter case (written or
// escaped) is refused. (filter/plugin's owner tests hold the same rows.)
func TestOwner_exactMatch(t *testing.T) {
	h := func(k string) string { s := sha256.Sum256([]byte(k)); return hex.EncodeToString(s[:]) }
	config := `{
  "providers": {"keys": {"api_keys": {"from": [{"header": "x-api-key"}], "keys": [
    {"id": "acme", "sha256": "` + h("acme-key") + `", "claims": {"sub": "acme"}}]}}},
  "routes": [
    {"name": "tenant", "match": {"path": "/tenants/{t}/orders"}, "auth": {"providers": ["keys"],
      "owner": [{"param": "t", "claim": "sub"}]}},
    {"name": "body", "match": {"path": "/orders", "methods": ["POST"]}, "auth": {"providers": ["keys"],
      "body_owner": [{"field": "customer_id", "claim": "sub"}]}}
  ]
}`
	key := headers("x-api-key", "acme-key")
	post := func(body string) host.Request {
		return host.Request{Method: "POST", Path: "/orders", Body: []byte(body),
			Headers: append([]proxy.Pair{{Key: "content-type", Value: "application/json"}}, key...)}
	}
	owner := func(name, id string) exchange {
		return scope(name, getWith("/tenants/"+id+"/orders", key), problem.ReasonOwnerMismatch)
	}
	body := func(name, id string) exchange {
		return scope(name, post(`{"customer_id":"`+id+`"}`), problem.ReasonBodyOwnerMismatch)
	}
	cases := []exchange{
		{name: "owner: own id", req: getWith("/tenants/acme/orders", key), want: 200},
		{name: "owner: own id escaped", req: getWith("/tenants/%61cme/orders", key), want: 200},
		owner("owner: a prefix of the claim", "acm"),
		owner("owner: the claim extended", "acmex"),
		owner("owner: the claim extended by an escape", "acme%2D"),
		owner("owner: upper case", "ACME"),
		owner("owner: one letter upper case", "acmE"),
		owner("owner: upper case escaped", "%41cme"),
		{name: "body_owner: own id", req: post(`{"customer_id":"acme"}`), want: 200},
		body("body_owner: a prefix of the claim", "acm"),
		body("body_owner: the claim extended", "acmex"),
		body("body_owner: upper case", "ACME"),
		body("body_owner: one letter upper case", "Acme"),
	}
	each(t, func(t *testing.T, g guest) {
		runTable(t, start(t, g, config), cases)
	})
}
