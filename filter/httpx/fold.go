package httpx

// The ASCII case folding of header names, header prefixes, schemes and
// media types: ASCII letters compare without regard to case and every
// other byte exactly. Unlike strings.EqualFold nothing else folds (the
// Kelvin sign is not a k). Unicode folding of JSON keys and query names is
// jsonx.FoldRune's (NormalizeQueryName).

// LowerASCII lower-cases an ASCII letter; every other byte is itself.
func LowerASCII(c byte) byte {
	if c-'A' < 26 {
		return c + 'a' - 'A'
	}
	return c
}

// EqualFold reports whether a and b are equal without regard to ASCII
// letter case.
func EqualFold(a, b string) bool {
	return len(a) == len(b) && HasPrefixFold(a, b)
}

// EqualFoldLower reports whether s equals lower, a lower-case string,
// without regard to ASCII letter case in s (a header name against a
// lower-case constant: one fold per byte).
func EqualFoldLower(s, lower string) bool {
	if len(s) != len(lower) {
		return false
	}
	for i := 0; i < len(s); i++ {
		if LowerASCII(s[i]) != lower[i] {
			return false
		}
	}
	return true
}

// HasPrefixFold reports whether s starts with prefix without regard to
// ASCII letter case.
func HasPrefixFold(s, prefix string) bool {
	if len(s) < len(prefix) {
		return false
	}
	for i := 0; i < len(prefix); i++ {
		if a, b := s[i], prefix[i]; a != b && LowerASCII(a) != LowerASCII(b) {
			return false
		}
	}
	return true
}

// CutPrefixFold cuts prefix from v, comparing ASCII letters without regard
// to case ("bearer x" has the prefix "Bearer ").
func CutPrefixFold(v, prefix string) (string, bool) {
	if !HasPrefixFold(v, prefix) {
		return "", false
	}
	return v[len(prefix):], true
}
