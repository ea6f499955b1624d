package reqcheck

import (
	"testing"
)

// TestParseContentLength_saturation: values up to the largest int64 are
// exact, one more saturates; the saturation test must not fire one digit
// early (a value just under the limit whose last digit is small).
func TestParseContentLength_saturation(t *testing.T) {
	for in, want := range map[string]int64{
		"9223372036854775800":  9223372036854775800,
		"9223372036854775806":  9223372036854775806,
		"9223372036854775807":  9223372036854775807,
		"9223372036854775808":  9223372036854775807,
		"92233720368547758070": 9223372036854775807,
		"922337203685477580":   922337203685477580,
	} {
		if n, ok := ParseContentLength(in); !ok || n != want {
			t.Errorf("ParseContentLength(%q) = %d, %v; want %d", in, n, ok, want)
		}
	}
}

// TestValidMethod_caseEdges: 'a' and 'z', the edges of lower case, make a
// method invalid; the letters around them do not.
func TestValidMethod_caseEdges(t *testing.T) {
	for m, ok := range map[string]bool{"a": false, "z": false, "GETa": false, "GETz": false, "A": true, "Z": true, "GET`": true, "GET{": false} {
		if ValidMethod(m) != ok {
			t.Errorf("ValidMethod(%q) = %v, want %v", m, !ok, ok)
		}
	}
}

// TestDecodeUnreserved_edges: the first and last character of each
// unreserved range is decoded and its neighbours are not, an escape at
// the very start is decoded, and a reserved escape after an unreserved one
// stays whole.
func TestDecodeUnreserved_edges(t *testing.T) {
	for in, want := range map[string]string{
		"":                 "",
		"%61":              "a",
		"%61%62":           "ab",
		"%61x%2Fy":         "ax%2Fy",
		"/%7A%7B":          "/z%7B",
		"/%60%61":          "/%60a",
		"/%41%5A%5B":       "/AZ%5B",
		"/%40":             "/%40",
		"/%30%39%3A":       "/09%3A",
		"/%2F%30":          "/%2F0",
		"/%2D%2E%5F%7E%21": "/-._~%21",
	} {
		if got := DecodeUnreserved(in); got != want {
			t.Errorf("DecodeUnreserved(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestFailures_all: Failures lists every failure but OK once, in order,
// and String names the last one and nothing past it.
func TestFailures_all(t *testing.T) {
	all := Failures()
	if len(all) != int(numFailures)-1 {
		t.Fatalf("%d failures, want %d", len(all), numFailures-1)
	}
	for i, f := range all {
		if f != OK+1+Failure(i) {
			t.Fatalf("Failures()[%d] = %d", i, f)
		}
	}
	if s := (numFailures - 1).String(); s != "json_schema_not_allowed" {
		t.Errorf("the last failure is %q", s)
	}
	if s := numFailures.String(); s != "invalid" {
		t.Errorf("numFailures.String() = %q, want invalid", s)
	}
}
