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
