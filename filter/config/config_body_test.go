package config

import (
	"strings"
	"testing"
)

func TestPolicy_RequestBodyLimit(t *testing.T) {
	tests := []struct {
		name        string
		policy      string
		wantLimit   int64
		wantOn      bool
		wantUpgrade bool
		wantForm    bool
	}{
		{"nothing", `{}`, 0, false, false, false},
		{"forbid only", `{"request":{"forbid_query_params":["a"]}}`, 0, false, false, false},
		{"explicit cap", `{"request":{"max_body_bytes":100}}`, 100, true, false, false},
		{"json default cap", `{"request":{"json":{}}}`, 1 << 20, true, true, false},
		{"json explicit cap", `{"request":{"json":{},"max_body_bytes":7}}`, 7, true, true, false},
		{"body owner without request", `{"auth":{"providers":["idp"],"body_owner":[{"field":"a","claim":"sub"}]}}`, 1 << 20, true, true, true},
		// An owner route reads a body only when it is form-encoded,
		// which the plugin learns per request (docs/configuration.md auth.owner).
		{"owner only", `{"auth":{"providers":["idp"],"owner":[{"param":"id","claim":"sub"}]}}`, 0, false, false, true},
		{"owner and cap", `{"auth":{"providers":["idp"],"owner":[{"param":"id","claim":"sub"}]},"request":{"max_body_bytes":9}}`, 9, true, false, true},
		{"claims only", `{"auth":{"providers":["idp"],"claims":[{"claim":"sub","equals":"a"}]}}`, 0, false, false, false},
		{"response rules", `{"response":{}}`, 0, false, true, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := mustParse(t, `{"hold_headers":true,"providers":{`+jwtIdp+`},"routes":[`+routeWith(tc.policy)+`]}`)
			pol := &cfg.Routes[0].Policy
			limit, on := pol.RequestBodyLimit()
			if limit != tc.wantLimit || on != tc.wantOn {
				t.Errorf("RequestBodyLimit = %d, %v; want %d, %v", limit, on, tc.wantLimit, tc.wantOn)
			}
			if got := pol.RefusesUpgrade(); got != tc.wantUpgrade {
				t.Errorf("RefusesUpgrade = %v, want %v", got, tc.wantUpgrade)
			}
			if got := pol.ReadsFormBody(); got != tc.wantForm {
				t.Errorf("ReadsFormBody = %v, want %v", got, tc.wantForm)
			}
		})
	}
}

// routeWith merges policy (an object) into a route at /u/{id}.
func routeWith(policy string) string {
	inner := policy[1 : len(policy)-1]
	if inner != "" {
		inner = "," + inner
	}
	return `{"name":"r","match":{"path":"/u/{id}"}` + inner + `}`
}

// TestParse_holdHeadersRequired pins docs/configuration.md's hold_headers default: a
// configuration with a rule that reads a body or inspects responses must
// write hold_headers (its default would hang such routes under Istio), and
// the error names the rule and says when true and when false are right.
func TestParse_holdHeadersRequired(t *testing.T) {
	idp := `"providers":{` + jwtIdp + `},`
	tests := []struct {
		name    string
		doc     string
		wantErr string // "" = accepted
		want    bool   // HoldHeaders when accepted
	}{
		{"no body rule: default true", `{` + idp + `"routes":[` + routeWith(`{"request":{"max_body_bytes":10}}`) + `]}`, "", true},
		{"json", `{` + idp + `"routes":[` + routeWith(`{"request":{"json":{}}}`) + `]}`, "routes[0].request.json", false},
		{"body_owner", `{` + idp + `"routes":[` + routeWith(`{"auth":{"providers":["idp"],"body_owner":[{"field":"a","claim":"sub"}]}}`) + `]}`, "routes[0].auth.body_owner", false},
		{"owner (form shadow)", `{` + idp + `"routes":[` + routeWith(`{"auth":{"providers":["idp"],"owner":[{"param":"id","claim":"sub"}]}}`) + `]}`, "routes[0].auth.owner", false},
		{"response", `{` + idp + `"routes":[` + routeWith(`{"response":{}}`) + `]}`, "routes[0].response", false},
		{"in default", `{"default":{"response":{"redact":{"keys":["k"]}}}}`, "default.response", false},
		{"first in document order", `{` + idp + `"routes":[` + routeWith(`{}`) + `,{"name":"b","match":{"path":"/b"},"response":{}}],"default":{"request":{"json":{}}}}`, "routes[1].response", false},
		{"written true", `{"hold_headers":true,"default":{"request":{"json":{}}}}`, "", true},
		{"written false", `{"hold_headers":false,"default":{"request":{"json":{}}}}`, "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := Parse([]byte(tc.doc))
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("Parse: %v", err)
				}
				if cfg.HoldHeaders != tc.want {
					t.Fatalf("HoldHeaders = %v, want %v", cfg.HoldHeaders, tc.want)
				}
				return
			}
			if err == nil {
				t.Fatal("accepted without hold_headers")
			}
			msg := err.Error()
			for _, want := range []string{"hold_headers: required: " + tc.wantErr + " ", "true for Envoy 1.35", "allow_on_headers_stop_iteration: true", "false for Istio"} {
				if !strings.Contains(msg, want) {
					t.Errorf("error %q lacks %q", msg, want)
				}
			}
		})
	}
}
