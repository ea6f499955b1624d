package problem

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestViolations_body(t *testing.T) {
	got := string(BodyWithErrors(400, "r-1", []Violation{
		{Pointer: "/items/0/qty", Rule: "maximum"},
		{Pointer: "/a\"b\\c\u0001", Rule: "not-allowed"},
	}))
	want := `{"type":"about:blank","title":"Bad Request","status":400,"detail":"The request is malformed or not allowed.","instance":"r-1",` +
		`"errors":[{"pointer":"/items/0/qty","rule":"maximum"},{"pointer":"/a\"b\\c\u0001","rule":"not-allowed"}]}`
	if got != want {
		t.Fatalf("BodyWithErrors\n got %s\nwant %s", got, want)
	}
	var doc struct {
		Errors []Violation `json:"errors"`
	}
	if err := json.Unmarshal([]byte(got), &doc); err != nil || len(doc.Errors) != 2 || doc.Errors[1].Pointer != "/a\"b\\c\u0001" {
		t.Fatalf("not valid JSON or wrong errors: %v %+v", err, doc)
	}
	// The detail stays the status's generic one, and an empty list is
	// still a list.
	if got := string(BodyWithErrors(400, "", nil)); got != `{"type":"about:blank","title":"Bad Request","status":400,"detail":"The request is malformed or not allowed.","errors":[]}` {
		t.Fatalf("empty: %s", got)
	}
}

// TestRefusalBody_violations: only a 400 with violations asked for lists
// them; an empty list is still listed, other statuses never.
func TestRefusalBody_violations(t *testing.T) {
	v := []Violation{{Pointer: "/a", Rule: "type"}}
	tests := []struct {
		name       string
		status     int
		violations []Violation
		want       string
	}{
		{"400 with violations", 400, v, string(BodyWithErrors(400, "id", v))},
		{"400, none found", 400, []Violation{}, string(BodyWithErrors(400, "id", nil))},
		{"400, not asked for", 400, nil, string(Body(400, "id"))},
		{"other status", 413, v, string(Body(413, "id"))},
	}
	for _, tc := range tests {
		if got := string(RefusalBody(tc.status, "id", tc.violations)); got != tc.want {
			t.Errorf("%s: %s, want %s", tc.name, got, tc.want)
		}
	}
	if strings.Contains(string(Body(400, "id")), "errors") || !strings.Contains(string(BodyWithErrors(400, "id", nil)), `"errors":[]`) {
		t.Error("the rows above do not tell the two bodies apart")
	}
}
