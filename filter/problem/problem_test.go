package problem

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestProblem_body(t *testing.T) {
	tests := []struct {
		status   int
		instance string
		want     string
	}{
		{404, "", `{"type":"about:blank","title":"Not Found","status":404,"detail":"No such resource."}`},
		{405, "", `{"type":"about:blank","title":"Method Not Allowed","status":405,"detail":"The method is not allowed for this resource."}`},
		{401, "abc-1", `{"type":"about:blank","title":"Unauthorized","status":401,"detail":"A valid credential is required.","instance":"abc-1"}`},
		{400, "q\"\\\n\x00", `{"type":"about:blank","title":"Bad Request","status":400,"detail":"The request is malformed or not allowed.","instance":"q\"\\\u000a\u0000"}`},
		{400, "\xff\xfe", `{"type":"about:blank","title":"Bad Request","status":400,"detail":"The request is malformed or not allowed.","instance":"\ufffd\ufffd"}`},
		{418, "", `{"type":"about:blank","title":"Error","status":418,"detail":"The request was refused."}`},
	}
	for _, tt := range tests {
		got := string(Body(tt.status, tt.instance))
		if got != tt.want {
			t.Errorf("Body(%d, %q)\n got %s\nwant %s", tt.status, tt.instance, got, tt.want)
		}
	}
}

func TestProblem_detailSamePerStatus(t *testing.T) {
	// Every cause of one status shares the body: nothing in it depends on
	// the reason.
	// Body takes no reason at all; what it holds per status is pinned here.
	if got, want := string(Body(401, "")), `"detail":"`+Detail(401)+`"`; !strings.Contains(got, want) {
		t.Fatalf("Body(401) = %s, want it to hold %s", got, want)
	}
	for status := range entries {
		if Detail(status) == "" || Title(status) == "" {
			t.Errorf("status %d lacks title or detail", status)
		}
	}
}

func FuzzProblem_bodyIsValidJSON(f *testing.F) {
	f.Add(400, "x")
	f.Add(503, "\xed\xa0\x80")
	f.Add(200, "\u2028\t")
	f.Fuzz(func(t *testing.T, status int, instance string) {
		b := Body(status, instance)
		if !utf8.Valid(b) {
			t.Fatalf("invalid UTF-8: %q", b)
		}
		var doc struct {
			Status   int    `json:"status"`
			Instance string `json:"instance"`
		}
		if err := json.Unmarshal(b, &doc); err != nil {
			t.Fatalf("invalid JSON %q: %v", b, err)
		}
		if doc.Status != status {
			t.Fatalf("status %d, want %d", doc.Status, status)
		}
		if utf8.ValidString(instance) && doc.Instance != instance {
			t.Fatalf("instance %q, want %q", doc.Instance, instance)
		}
	})
}
