package jwks

import (
	"errors"
	"testing"
)

// TestReadAnswer_why: only a 200 within the limit is read; every other
// answer says why it is not one.
func TestReadAnswer_why(t *testing.T) {
	for _, c := range []struct {
		name                 string
		numHeaders, bodySize int
		status               string
		readErr              error
		body, why            string
	}{
		{"ok", 3, 4, "200", nil, "keys", ""},
		{"empty", 3, 0, "200", nil, "", ""},
		{"no response", 0, 0, "", nil, "", "no response (reset or timeout)"},
		{"status", 3, 4, "503", nil, "", "status 503"},
		{"no status", 3, 4, "", nil, "", "status 0"},
		{"too large", 3, 11, "200", nil, "", "body larger than 10 bytes"},
		{"unreadable", 3, 4, "200", errors.New("NotFound"), "", "body not readable: NotFound"},
	} {
		read := func(size int) ([]byte, error) {
			if c.readErr != nil {
				return nil, c.readErr
			}
			return []byte("keys")[:size], nil
		}
		body, why := ReadAnswer(c.numHeaders, c.bodySize, func() string { return c.status }, read)(10)
		if string(body) != c.body || why != c.why {
			t.Errorf("%s: %q, %q; want %q, %q", c.name, body, why, c.body, c.why)
		}
	}
}
