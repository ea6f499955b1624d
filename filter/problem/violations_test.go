package problem

import (
	"encoding/json"
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
