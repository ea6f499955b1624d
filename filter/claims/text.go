package claims

import "github.com/apiguard/apiguard/filter/jsonx"

// Text is a claim's string form for comparisons with request data
// (owner, body_owner, rate-limit keys, the audit line): strings as they
// are, numbers as written, booleans as true or false. Other types, and
// missing claims (or no claims object), have none.
func Text(c *jsonx.Value, path []string) (string, bool) {
	if c == nil {
		return "", false
	}
	return ValueText(Lookup(c, path))
}

// ValueText is Text for a value in hand.
func ValueText(v *jsonx.Value) (string, bool) {
	if v == nil {
		return "", false
	}
	switch v.Kind {
	case jsonx.KindString, jsonx.KindNumber:
		return v.Str, true
	case jsonx.KindBool:
		if v.Bool {
			return "true", true
		}
		return "false", true
	}
	return "", false
}
