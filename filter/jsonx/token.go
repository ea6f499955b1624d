package jsonx

// TokenKind identifies a token returned by Scanner.Next.
type TokenKind uint8

// Token kinds. The zero value is not a token.
const (
	TokenNone        TokenKind = iota // returned with an error
	TokenBeginObject                  // '{'
	TokenEndObject                    // '}'
	TokenBeginArray                   // '['
	TokenEndArray                     // ']'
	TokenKey                          // an object member name, quotes included in the span
	TokenString                       // a string value, quotes included in the span
	TokenNumber                       // a number, exactly as written
	TokenTrue                         // true
	TokenFalse                        // false
	TokenNull                         // null
	TokenEnd                          // end of input after the value; empty span at len(data)
)

var tokenNames = [...]string{"none", "begin_object", "end_object", "begin_array", "end_array",
	"key", "string", "number", "true", "false", "null", "end"}

// String names the kind for test output and debugging.
func (k TokenKind) String() string {
	if int(k) < len(tokenNames) {
		return tokenNames[k]
	}
	return "invalid"
}

// Token is one lexical element of the document: its kind and its byte span
// [Start, End) in the input. The spans of consecutive tokens, together with
// the whitespace and the ',' and ':' separators between them, tile the input
// exactly, which is what a one-pass rewriter needs: copy data[last:Start],
// then either the token or its replacement.
type Token struct {
	Kind       TokenKind
	Start, End int
}

// Depth is the number of open containers after the last token: 1 after
// the top-level TokenBeginObject, 0 again after its TokenEndObject.
func (s *Scanner) Depth() int { return len(s.stack) }

// Key returns the unescaped name of the last TokenKey. The slice aliases
// the input or scratch memory and is valid until the next call to Next or
// Reset; copy it to keep it.
func (s *Scanner) Key() []byte { return s.key }

// Escaped reports whether the last TokenKey or TokenString contained a
// backslash escape, i.e. whether its bytes between the quotes differ from
// its value. When false, data[Start+1:End-1] is the value itself.
func (s *Scanner) Escaped() bool { return s.esc }

// InObject reports whether the innermost open container is an object, i.e.
// whether the next value token belongs to a key. It is false at the top
// level.
func (s *Scanner) InObject() bool {
	n := len(s.stack)
	return n > 0 && s.stack[n-1].obj
}
