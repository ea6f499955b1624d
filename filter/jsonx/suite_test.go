package jsonx

import (
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// testdataDir is the package's own copy of a test corpus under testdata/
// (see testdata/jsontestsuite/README.md for where it comes from). Tests
// read nothing outside the repository, so a fresh clone passes alone.
func testdataDir(t testing.TB, rel string) string {
	t.Helper()
	p := filepath.Join("testdata", rel)
	if st, err := os.Stat(p); err != nil || !st.IsDir() {
		t.Fatalf("test corpus %s missing from the repository: %v", p, err)
	}
	return p
}

// iDecisions records the decision for every implementation-defined file of
// JSONTestSuite. accept=true means Validate and Parse (with no limits)
// accept it.
var iDecisions = map[string]struct {
	accept bool
	why    string
}{
	"i_number_double_huge_neg_exp.json":                   {true, "grammatically valid number; Float64 rounds it to 0"},
	"i_number_huge_exp.json":                              {true, "grammatically valid number; Float64 reports overflow"},
	"i_number_neg_int_huge_exp.json":                      {true, "grammatically valid number; Float64 reports overflow"},
	"i_number_pos_double_huge_exp.json":                   {true, "grammatically valid number; Float64 reports overflow"},
	"i_number_real_neg_overflow.json":                     {true, "grammatically valid number; Float64 reports overflow"},
	"i_number_real_pos_overflow.json":                     {true, "grammatically valid number; Float64 reports overflow"},
	"i_number_real_underflow.json":                        {true, "grammatically valid number; Float64 rounds it to 0"},
	"i_number_too_big_neg_int.json":                       {true, "grammatically valid number; Int64 reports it does not fit"},
	"i_number_too_big_pos_int.json":                       {true, "grammatically valid number; Int64 reports it does not fit"},
	"i_number_very_big_negative_int.json":                 {true, "grammatically valid number; Int64 reports it does not fit"},
	"i_object_key_lone_2nd_surrogate.json":                {false, "lone low surrogate escape in a key"},
	"i_string_1st_surrogate_but_2nd_missing.json":         {false, "high surrogate escape not followed by a low one"},
	"i_string_1st_valid_surrogate_2nd_invalid.json":       {false, "high surrogate escape followed by a non-surrogate escape"},
	"i_string_UTF-16LE_with_BOM.json":                     {false, "UTF-16 with BOM: not UTF-8 JSON"},
	"i_string_UTF-8_invalid_sequence.json":                {false, "invalid UTF-8 byte sequence"},
	"i_string_UTF8_surrogate_U+D800.json":                 {false, "UTF-8 encoded surrogate is not valid UTF-8"},
	"i_string_incomplete_surrogate_and_escape_valid.json": {false, "high surrogate escape followed by \\n"},
	"i_string_incomplete_surrogate_pair.json":             {false, "high surrogate escape followed by plain text"},
	"i_string_incomplete_surrogates_escape_valid.json":    {false, "two high surrogate escapes"},
	"i_string_invalid_lonely_surrogate.json":              {false, "lone high surrogate escape"},
	"i_string_invalid_surrogate.json":                     {false, "high surrogate escape followed by plain text"},
	"i_string_invalid_utf-8.json":                         {false, "0xFF is never valid UTF-8"},
	"i_string_inverted_surrogates_U+1D11E.json":           {false, "low surrogate escape before the high one"},
	"i_string_iso_latin_1.json":                           {false, "Latin-1 byte is invalid UTF-8"},
	"i_string_lone_second_surrogate.json":                 {false, "lone low surrogate escape"},
	"i_string_lone_utf8_continuation_byte.json":           {false, "lone UTF-8 continuation byte"},
	"i_string_not_in_unicode_range.json":                  {false, "UTF-8 sequence above U+10FFFF"},
	"i_string_overlong_sequence_2_bytes.json":             {false, "overlong UTF-8 encoding"},
	"i_string_overlong_sequence_6_bytes.json":             {false, "6-byte UTF-8 form does not exist"},
	"i_string_overlong_sequence_6_bytes_null.json":        {false, "6-byte overlong NUL"},
	"i_string_truncated-utf-8.json":                       {false, "truncated UTF-8 sequence"},
	"i_string_utf16BE_no_BOM.json":                        {false, "UTF-16BE: NUL bytes outside strings are a syntax error"},
	"i_string_utf16LE_no_BOM.json":                        {false, "UTF-16LE: NUL bytes outside strings are a syntax error"},
	"i_structure_500_nested_arrays.json":                  {true, "500 levels are valid JSON when MaxDepth is unlimited (refused under the default 32)"},
	"i_structure_UTF-8_BOM_empty_object.json":             {false, "a byte order mark is not JSON whitespace (RFC 8259 §8.1: must not add one)"},
}

// yRefusedByPolicy lists valid-JSON (y_) files that jsonx refuses on
// purpose, with the Reason it must give: RFC 8259 only says names SHOULD be
// unique, and apiguard refuses duplicates everywhere (package doc).
var yRefusedByPolicy = map[string]string{
	"y_object_duplicated_key.json":           ReasonDuplicateKey,
	"y_object_duplicated_key_and_value.json": ReasonDuplicateKey,
}

func TestValidate_JSONTestSuite(t *testing.T) {
	dir := testdataDir(t, "jsontestsuite/test_parsing")
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".json") {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	if len(names) < 300 {
		t.Fatalf("only %d JSONTestSuite files in %s", len(names), dir)
	}
	seenI := map[string]bool{}
	counts := map[byte]int{}
	for _, name := range names {
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		var want bool
		switch name[0] {
		case 'y':
			want = true
			if reason, ok := yRefusedByPolicy[name]; ok {
				want = false
				if e, _ := Validate(data, Limits{}).(*Error); e == nil || e.Reason != reason {
					t.Errorf("%s: want Reason %q, got %v", name, reason, e)
				}
			}
		case 'n':
			want = false
		case 'i':
			d, ok := iDecisions[name]
			if !ok {
				t.Errorf("%s: implementation-defined file missing from iDecisions", name)
				continue
			}
			seenI[name] = true
			want = d.accept
		default:
			t.Fatalf("unexpected file %s", name)
		}
		counts[name[0]]++
		verr := Validate(data, Limits{})
		if got := verr == nil; got != want {
			t.Errorf("%s: Validate accepted=%v, want %v (err %v)", name, got, want, verr)
		}
		_, perr := Parse(data, Limits{})
		if (perr == nil) != (verr == nil) {
			t.Errorf("%s: Parse err %v, Validate err %v", name, perr, verr)
		}
		if verr != nil {
			if e, ok := verr.(*Error); !ok || e.Reason == "" || e.Offset < 0 || e.Offset > len(data) {
				t.Errorf("%s: bad error %#v", name, verr)
			}
		}
	}
	for name := range yRefusedByPolicy {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Errorf("yRefusedByPolicy lists %s: %v", name, err)
		}
	}
	for name := range iDecisions {
		if !seenI[name] {
			t.Errorf("iDecisions lists %s, which is not in the suite", name)
		}
	}
	if counts['y'] == 0 || counts['n'] == 0 || counts['i'] == 0 {
		t.Fatalf("suite incomplete: %v", counts)
	}
}

// TestJSONTestSuite_corpusDigest pins the copied corpus to the digest its
// README names, so a file lost or changed in the copy is noticed.
func TestJSONTestSuite_corpusDigest(t *testing.T) {
	dir := testdataDir(t, "jsontestsuite/test_parsing")
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	// The README's shell line: sha256sum of each "./name", then of that list.
	var list strings.Builder
	for _, name := range names {
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&list, "%x  ./%s\n", sha256.Sum256(data), name)
	}
	got := fmt.Sprintf("%x", sha256.Sum256([]byte(list.String())))[:16]
	if want := "af980be5d524abab"; got != want {
		t.Fatalf("corpus digest = %s, want %s (testdata/jsontestsuite/README.md)", got, want)
	}
}
