package jsonx

import (
	"strconv"
	"sync"
)

// Limits bounds the shape of a document. A zero (or negative) field means
// unlimited. They follow docs/configuration.md `request.json`.
type Limits struct {
	// MaxDepth caps container nesting. A container at the top level is at
	// depth 1, a container inside it at depth 2; scalars do not add depth
	// (a top-level scalar passes any MaxDepth). The check happens when the
	// opening bracket is read. Without it, scratch memory grows with the
	// nesting (a few dozen bytes per level), so callers handling untrusted
	// input should set it.
	MaxDepth int
	// MaxKeys caps the number of members of each object, counted per object.
	MaxKeys int
	// MaxArrayItems caps the number of elements of each array.
	MaxArrayItems int
	// MaxStringBytes caps the length of every key and string value, counted
	// in bytes as they appear in the document between the quotes (escapes
	// count as written: "\u0041" is 6 bytes).
	MaxStringBytes int
}

// Reasons are the values of Error.Reason. They are stable and low
// cardinality so they can be used as metric labels and in problem+json
// details.
const (
	ReasonSyntax           = "syntax"             // not RFC 8259 JSON
	ReasonDepth            = "depth"              // MaxDepth exceeded
	ReasonKeys             = "keys"               // MaxKeys exceeded
	ReasonItems            = "items"              // MaxArrayItems exceeded
	ReasonStringSize       = "string_size"        // MaxStringBytes exceeded
	ReasonDuplicateKey     = "duplicate_key"      // same key twice in one object
	ReasonDuplicateKeyCase = "duplicate_key_case" // keys equal up to case (FoldDuplicates only)
	ReasonUTF8             = "utf8"               // invalid UTF-8, or a lone surrogate escape
	ReasonTrailingData     = "trailing_data"      // something after the value
	ReasonEmpty            = "empty"              // nothing but whitespace
)

// Error reports why a document was refused. It never contains document
// content, only the position and the reason: bodies can carry credentials,
// and configuration errors get their JSON path from the config layer.
type Error struct {
	// Offset is the byte offset in the input where the problem was found:
	// the offending byte, or the start of the container, key or string that
	// broke a limit or a rule.
	Offset int
	// Reason is one of the Reason constants.
	Reason string

	detail string // content-free precision for syntax errors
}

var reasonText = map[string]string{
	ReasonSyntax:           "syntax error",
	ReasonDepth:            "nesting too deep",
	ReasonKeys:             "too many keys in an object",
	ReasonItems:            "too many items in an array",
	ReasonStringSize:       "string too long",
	ReasonDuplicateKey:     "duplicate object key",
	ReasonDuplicateKeyCase: "object keys differ only in letter case",
	ReasonUTF8:             "invalid UTF-8 or lone surrogate",
	ReasonTrailingData:     "data after the JSON value",
	ReasonEmpty:            "empty document",
}

// Error returns a short message with the offset and no document content.
func (e *Error) Error() string {
	msg := reasonText[e.Reason]
	if msg == "" {
		msg = e.Reason
	}
	if e.detail != "" {
		msg += " (" + e.detail + ")"
	}
	return "json: " + msg + " at offset " + strconv.Itoa(e.Offset)
}

// Validator holds the reusable scratch memory of validation and parsing
// (the container stack, the duplicate-key index, decoding buffers). After
// warm-up, Validate allocates nothing. A Validator is not safe for
// concurrent use; the zero value is ready to use.
type Validator struct {
	// FoldDuplicates also refuses keys of one object that are equal under
	// Unicode simple case folding ("customer_id" and "Customer_ID"), with
	// Reason ReasonDuplicateKeyCase. It costs a case-folding pass per key.
	FoldDuplicates bool

	s Scanner
	p parser
}

// Validate checks data in one pass: grammar, UTF-8, duplicate keys and
// limits. It returns nil or an *Error.
func (v *Validator) Validate(data []byte, lim Limits) error {
	s := &v.s
	s.FoldDuplicates = v.FoldDuplicates
	s.Reset(data, lim)
	_, err := s.scanAll()
	s.release()
	return err
}

// TopLevelKeys and TopLevelKey read the names of the top-level object's
// members of the document Validate or Parse accepted last, as the
// scanner's methods of those names do: without a second walk.
func (v *Validator) TopLevelKeys() int { return v.s.TopLevelKeys() }

// TopLevelKey: see TopLevelKeys.
func (v *Validator) TopLevelKey(i int, data []byte) []byte { return v.s.TopLevelKey(i, data) }

// Parse validates data exactly as Validate does and returns its tree. The
// tree does not alias data: strings are copied (one copy of the input is
// shared by all unescaped strings, keys and numbers).
func (v *Validator) Parse(data []byte, lim Limits) (Value, error) {
	s := &v.s
	s.FoldDuplicates = v.FoldDuplicates
	s.Reset(data, lim)
	val, err := v.p.parse(s)
	s.release()
	return val, err
}

// maxPooledScratch bounds what a pooled Validator may keep: one huge
// document must not pin its scratch memory for the life of the process.
const maxPooledScratch = 1 << 16

var pool = sync.Pool{New: func() any { return new(Validator) }}

func getValidator() *Validator { return pool.Get().(*Validator) }

func putValidator(v *Validator) {
	if v.s.scratchSize() > maxPooledScratch || v.p.scratchSize() > maxPooledScratch {
		return
	}
	pool.Put(v)
}

// Validate checks that data is one strict JSON value within lim, with valid
// UTF-8 and no duplicate keys. It returns nil or an *Error. It uses a pooled
// Validator and does not allocate on success for typical input.
func Validate(data []byte, lim Limits) error {
	v := getValidator()
	err := v.Validate(data, lim)
	putValidator(v)
	return err
}

// Parse validates data like Validate and returns its tree. See
// Validator.Parse.
func Parse(data []byte, lim Limits) (Value, error) {
	v := getValidator()
	val, err := v.Parse(data, lim)
	putValidator(v)
	return val, err
}
