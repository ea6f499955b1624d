package openapi

import (
	"strings"
	"testing"
)

// TestOpenAPI_holdHeadersHint: a document whose operations read bodies
// needs hold_headers, which only the operator knows: without it in the
// overlay the generator stops with an error that says where to write it;
// with it the configuration is printed.
func TestOpenAPI_holdHeadersHint(t *testing.T) {
	body := `"paths":{"/a":{"post":{"operationId":"make","requestBody":{"content":{"application/json":{"schema":{"type":"object","properties":{"n":{"type":"integer"}}}}}},"responses":{"200":{"description":"ok"}}}}}`
	doc := func(body string) []byte {
		return []byte(`{"openapi":"3.0.3","info":{"title":"t","version":"1"},"servers":[{"url":"https://api.example.com/v2"}],` + body + `}`)
	}
	for _, c := range []struct {
		overlay string
		printed bool
	}{
		{`{"public":["make"]}`, false},
		{`{"config":{"hold_headers":false},"public":["make"]}`, true},
	} {
		ov, err := ParseOverlay([]byte(c.overlay))
		if err != nil {
			t.Fatal(err)
		}
		out, findings, err := Generate(doc(body), ov, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if (out != nil) != c.printed {
			t.Fatalf("%s: output %s, findings %v", c.overlay, out, findings)
		}
		hinted := false
		for _, f := range findings {
			hinted = hinted || f.Error && strings.Contains(f.String(), `write it in the overlay: {"config": {"hold_headers": true}}`)
		}
		if hinted == c.printed {
			t.Errorf("%s: findings %v; want the hold_headers hint only when nothing is printed", c.overlay, findings)
		}
	}
}

// TestOpenAPI_overlayAuthIsSecurity: an operation without security in the
// document gets no "no security" warning when the overlay's operations
// entry gives its route auth; another one still does.
func TestOpenAPI_overlayAuthIsSecurity(t *testing.T) {
	spec := []byte(`{"openapi":"3.0.3","info":{"title":"t","version":"1"},"paths":{` +
		`"/a":{"get":{"operationId":"getA","responses":{"200":{"description":"ok"}}}},` +
		`"/b":{"get":{"operationId":"getB","responses":{"200":{"description":"ok"}}}}}}`)
	ov, err := ParseOverlay([]byte(`{"config":{"providers":{"keys":{"api_keys":{"keys":[]}}}},"operations":{"getA":{"auth":{"providers":["keys"]}}}}`))
	if err != nil {
		t.Fatal(err)
	}
	out, findings, err := Generate(spec, ov, Options{})
	if err != nil || out == nil {
		t.Fatalf("%v %v", err, findings)
	}
	var warnedA, warnedB bool
	for _, f := range findings {
		warnedA = warnedA || strings.HasPrefix(f.String(), `warning: paths["/a"].get: no security`)
		warnedB = warnedB || strings.HasPrefix(f.String(), `warning: paths["/b"].get: no security`)
	}
	if warnedA || !warnedB {
		t.Errorf("findings %v: want the no-security warning for /b only", findings)
	}
}
