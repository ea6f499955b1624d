package policy

import (
	"testing"

	"github.com/apiguard/apiguard/filter/problem"
)

// TestStep_verdicts: step 2's verdict for requests and CORS preflights: the
// route, the refusal's status, reason and Allow, and how a preflight is
// answered (in step 4, refused there, or refused at once).
func TestStep_verdicts(t *testing.T) {
	p := compile(t, `{
	  "routes": [
	    {"name": "orders", "match": {"path": "/users/{user_id}/orders", "methods": ["GET", "POST"]},
	     "cors": {"allow_origins": ["https://a.example"]}},
	    {"name": "plain", "match": {"path": "/plain", "methods": ["GET"]}},
	    {"name": "shadow", "match": {"prefix": "/shadow", "methods": ["GET"]}, "enforce": false,
	     "cors": {"allow_origins": ["https://a.example"]}},
	    {"name": "shadow-post", "match": {"path": "/shadow/x", "methods": ["POST"]}},
	    {"name": "quiet", "match": {"prefix": "/quiet", "methods": ["GET"]}, "enforce": false,
	     "cors": {"allow_origins": ["https://a.example"]}}
	  ]}`)
	for _, tt := range []struct {
		method, asked               string
		preflight                   bool
		path                        string
		route                       string
		status                      int
		reason                      problem.Reason
		allow                       string
		report                      bool
		answer, wrong, enforce, now bool
	}{
		{"GET", "", false, "/users/b/orders", "orders", 0, "", "", false, false, false, false, false},
		{"DELETE", "", false, "/users/b/orders", "orders", 405, problem.ReasonMethodNotAllowed, "GET, HEAD, OPTIONS, POST", false, false, false, false, false},
		{"GET", "", false, "/Users/b/orders", "orders", 404, problem.ReasonRouteCaseMismatch, "", false, false, false, false, false},
		{"GET", "", false, "/nowhere", "", 404, problem.ReasonRouteNotFound, "", false, false, false, false, false},
		// Preflights, matched with the method they ask for.
		{"OPTIONS", "POST", true, "/users/b/orders", "orders", 0, "", "", false, true, false, false, false},
		{"OPTIONS", "DELETE", true, "/users/b/orders", "orders", 0, "", "", false, true, true, true, false},
		{"OPTIONS", "DELETE", true, "/quiet", "quiet", 0, "", "", false, true, true, false, false},
		{"OPTIONS", "DELETE", true, "/shadow/x", "shadow", 403, "", "", false, true, true, true, true},
		{"OPTIONS", "POST", true, "/USERS/b/orders", "orders", 404, problem.ReasonRouteCaseMismatch, "", false, false, false, false, false},
		// No cors on the asked method's route: matched as the OPTIONS it is.
		{"OPTIONS", "GET", true, "/plain", "plain", 405, problem.ReasonMethodNotAllowed, "GET, HEAD", false, false, false, false, false},
	} {
		v := p.Step(tt.method, tt.asked, tt.preflight, tt.path)
		name := ""
		if v.Route != nil {
			name = v.Route.Name
		}
		allow := ""
		if len(v.Headers) == 1 && v.Headers[0].Key == "allow" {
			allow = v.Headers[0].Value
		}
		if name != tt.route || v.Status != tt.status || v.Reason != tt.reason || allow != tt.allow || v.ReportOnly != tt.report ||
			v.Answer != tt.answer || v.WrongMethod != tt.wrong || v.EnforceRefusal != tt.enforce || v.RefuseNow != tt.now {
			t.Errorf("Step(%s %s asks %q) = route %q %+v", tt.method, tt.path, tt.asked, name, v)
		}
	}
}
