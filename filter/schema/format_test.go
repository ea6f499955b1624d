package schema

import (
	"strings"
	"testing"
)

// Each asserted format at the edges of its grammar (docs/schemas.md
// "format"): the last value accepted and the first refused.
func TestFormat_edges(t *testing.T) {
	label63 := strings.Repeat("a", 63)
	host253 := strings.Repeat(label63+".", 3) + strings.Repeat("b", 61) // 253 bytes
	cases := []struct {
		format, s string
		want      bool
	}{
		// date: months 1-12, days that exist, leap years.
		{"date", "2020-12-31", true}, {"date", "2020-13-01", false}, {"date", "2020-00-10", false},
		{"date", "2020-01-00", false}, {"date", "2020-01-31", true}, {"date", "2020-01-32", false},
		{"date", "2020-04-30", true}, {"date", "2020-04-31", false},
		{"date", "2024-02-29", true}, {"date", "2023-02-29", false}, {"date", "2000-02-29", true},
		{"date", "1900-02-29", false}, {"date", "2023-02-28", true}, {"date", "2020/01/01", false},
		{"date", "2020-01-1", false}, {"date", "2020-01-011", false},
		// date-time: hours, minutes, seconds, fractions, offsets, leap seconds.
		{"date-time", "2020-01-01T23:59:59Z", true}, {"date-time", "2020-01-01T24:00:00Z", false},
		{"date-time", "2020-01-01T00:60:00Z", false}, {"date-time", "2020-01-01t00:00:00z", true},
		{"date-time", "2020-01-01 00:00:00Z", false},
		{"date-time", "2020-01-01T00:00:00.5Z", true}, {"date-time", "2020-01-01T00:00:00.Z", false},
		{"date-time", "2020-01-01T00:00:00.123", false}, {"date-time", "2020-01-01T00:00:00", false},
		{"date-time", "2020-01-01T00:00:00+23:59", true}, {"date-time", "2020-01-01T00:00:00+24:00", false},
		{"date-time", "2020-01-01T00:00:00-23:00", true}, {"date-time", "2020-01-01T00:00:00+00:60", false},
		{"date-time", "2020-01-01T00:00:00+0000", false}, {"date-time", "2020-01-01T00:00:00+00:00x", false},
		{"date-time", "1998-12-31T23:59:60Z", true}, {"date-time", "1998-12-31T23:58:60Z", false},
		{"date-time", "1998-12-31T15:59:60.123-08:00", true}, {"date-time", "1998-12-31T15:59:60+08:00", false},
		{"date-time", "1998-12-31T23:29:60-00:30", true}, {"date-time", "1999-01-01T00:29:60+00:30", true},
		{"date-time", "1999-01-01T00:30:60+00:30", false}, {"date-time", "2020-01-01T00:00:61Z", false},
		// uuid: 8-4-4-4-12 hex digits.
		{"uuid", "2eb8aa08-aa98-11ea-b4aa-73b441d16380", true}, {"uuid", "2EB8AA08-AA98-11EA-B4AA-73B441D16380", true},
		{"uuid", "2eb8aa08-aa98-11ea-b4aa-73b441d1638", false}, {"uuid", "2eb8aa08aaa98-11ea-b4aa-73b441d16380", false},
		{"uuid", "2eb8aa08-aa98-11ea-b4aa-73b441d1638g", false}, {"uuid", "2eb8aa0-8aa98-11ea-b4aa-73b441d16380", false},
		// ipv4: four octets up to 255, no leading zeros.
		{"ipv4", "255.255.255.255", true}, {"ipv4", "256.1.1.1", false}, {"ipv4", "1.1.1.256", false},
		{"ipv4", "0.0.0.0", true}, {"ipv4", "01.1.1.1", false}, {"ipv4", "1.1.1", false}, {"ipv4", "1.1.1.1.1", false},
		{"ipv4", "1.1.1.1.", false}, {"ipv4", ".1.1.1", false}, {"ipv4", "1..1.1", false}, {"ipv4", "1234.1.1.1", false},
		{"ipv4", "0255.1.1.1", false}, {"ipv4", "", false},
		// ipv6: eight groups, one "::", a final dotted quad.
		{"ipv6", "::", true}, {"ipv6", "::1", true}, {"ipv6", "1::", true}, {"ipv6", "1:2:3:4:5:6:7:8", true},
		{"ipv6", "1:2:3:4:5:6:7", false}, {"ipv6", "1:2:3:4:5:6:7:8:9", false}, {"ipv6", "1:2:3::5:6:7:8", true},
		{"ipv6", "1:2:3:4::5:6:7:8", false}, {"ipv6", "1::2::3", false}, {"ipv6", ":::", false}, {"ipv6", ":1::", false},
		{"ipv6", "1:", false}, {"ipv6", "1:2:3:4:5:6:7:", false}, {"ipv6", "12345::", false}, {"ipv6", "ffff::", true},
		{"ipv6", "::ffff:1.2.3.4", true}, {"ipv6", "1:2:3:4:5:6:1.2.3.4", true}, {"ipv6", "1:2:3:4:5:6:7:1.2.3.4", false},
		{"ipv6", "::1.2.3.256", false}, {"ipv6", "", false}, {"ipv6", "1:2:3:4:5:6:7:8::", false}, {"ipv6", "g::", false},
		// uri: a scheme, an authority, path, query, fragment.
		{"uri", "http://example.com/a?b#c", true}, {"uri", "a:", true}, {"uri", "a+b-c.d:x", true},
		{"uri", "1a:x", false}, {"uri", "a_b:x", false}, {"uri", "/relative", false}, {"uri", "http", false},
		{"uri", "http://u:p@host:8080/", true}, {"uri", "http://host:80a/", false}, {"uri", "http://ho st/", false},
		{"uri", "http://[::1]:80/", true}, {"uri", "http://[::1/", false}, {"uri", "http://[vF.a:b]/", true},
		{"uri", "http://[v.a]/", false}, {"uri", "http://[vF]/", false}, {"uri", "http://[vF.]/", false},
		{"uri", "http://[zz]/", false},
		{"uri", "http://h/%41", true}, {"uri", "http://h/%4", false}, {"uri", "http://h/%4g", false}, {"uri", "http://h/%", false},
		{"uri", "http://h/?%41#%41", true}, {"uri", "http://h/?%4", false}, {"uri", "http://h/#%4", false},
		{"uri", "http://h/a b", false}, {"uri", "http://h/é", false}, {"uri", "mailto:a@b", true},
		{"uri", "a:/", true}, {"uri", "file:///etc", true}, {"uri", "http://@h/", true}, {"uri", "http://:80/", true},
		{"uri", "http://[::1]?x", true}, {"uri", "http://[::1]#x", true}, {"uri", "http://[]/", false},
		{"uri", "http://%@h/", false}, {"uri", "http://%:80/", false}, {"uri", "http://%41@h/", true},
		{"uri", "x://a@b@c/", false}, {"uri", "http://h/#a#b", false}, {"uri", "http://h/?a?b#c?", true},
		// email: dot-atom or quoted local part; hostname or address literal.
		{"email", "a@b.co", true}, {"email", "a.b@c", true}, {"email", ".a@b", false}, {"email", "a.@b", false},
		{"email", "a..b@c", false}, {"email", "@b", false}, {"email", "a@", false}, {"email", "a@@b", false},
		{"email", `"a b"@c`, true}, {"email", `"a\"b"@c`, true}, {"email", `"a"b"@c`, false}, {"email", `"a\`, false},
		{"email", `"@c`, false}, {"email", `""@c`, true}, {"email", "\"a\\\x01\"@c", false}, {"email", "\"\x7f\"@c", false},
		{"email", `"a\"@c`, false}, {"email", `"a\ b"@c`, true}, {"email", `"a\~"@c`, true}, {"email", `"~"@c`, true},
		{"email", "\"a\\\x7f\"@c", false}, {"email", "\"a\\\x1f\"@c", false},
		{"email", "a@[1.2.3.4]", true}, {"email", "a@[1.2.3.256]", false}, {"email", "a@[IPv6:::1]", true},
		{"email", "a@[IPv6:::g]", false}, {"email", "a@[1.2.3.4", false}, {"email", "a@[IPv6:]", false},
		{"email", "a@" + label63 + ".com", true}, {"email", "a@" + label63 + "a.com", false},
		{"email", "a@" + host253, true}, {"email", "a@" + host253 + "b", false},
		{"email", "a@com." + label63, true}, {"email", "a@com." + label63 + "a", false}, {"email", "a@b.c-", false},
		{"email", "a@-b.com", false}, {"email", "a@b-.com", false}, {"email", "a@b..com", false}, {"email", "a@b.com.", false},
		{"email", "a@b_c.com", false}, {"email", "a+b=c@d", true}, {"email", "a(b@c", false},
		// The dot-atom's one pass: the first '@' ends it, whatever follows.
		{"email", "", false}, {"email", "a", false}, {"email", "a.b", false}, {"email", "a@b@c", false},
		{"email", "a@[1.2.3.4]@c", false}, {"email", "a@[x@1.2.3.4]", false}, {"email", "a.b.c@d.e", true},
		{"email", "a.@", false}, {"email", "a@b c", false}, {"email", "é@b", false}, {"email", "a@é", false},
		{"email", "a b@c", false}, {"email", "a@b.c@d", false}, {"email", `a"@b`, false}, {"email", "a@.b", false},
		{"email", `"a"@`, false}, {"email", `"@`, false}, {"email", `"`, false}, {"email", `"a"b@c`, false}, {"email", `"@"@c`, true},
	}
	for _, tc := range cases {
		if got := checkFormat(formatIDs[tc.format], []byte(tc.s)); got != tc.want {
			t.Errorf("%s %q: %v, want %v", tc.format, tc.s, got, tc.want)
		}
	}
}
