package jsonx

import "testing"

// TestJSONPath_simpleKey: the names a path shows as .name, and the ones
// it must quote.
func TestJSONPath_simpleKey(t *testing.T) {
	for s, want := range map[string]bool{
		"routes": true, "rate_limits": true, "x-api-key": true, "A9": true,
		"": false, "a.b": false, "a b": false, "a[0]": false, `"`: false, "é": false, "a\x00": false,
	} {
		if got := SimpleKey(s); got != want {
			t.Errorf("SimpleKey(%q) = %v, want %v", s, got, want)
		}
	}
}
