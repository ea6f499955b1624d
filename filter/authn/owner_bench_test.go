package authn

import (
	"testing"

	"github.com/apiguard/apiguard/filter/config"
	"github.com/apiguard/apiguard/filter/jsonx"
	"github.com/apiguard/apiguard/filter/jsonx/jsonxtest"
)

// ownerBody64K is a 64 KiB order body whose owner fields sit before and
// after a page of orders (jsonxtest.Orders: nested objects, arrays,
// escapes, keys named "customer" and "id" at other depths).
func ownerBody64K() []byte {
	b := []byte(`{"customer_id":"alice","order":{"customer":{"id":"alice"},"page":`)
	b = append(b, jsonxtest.Orders(65<<10)...)
	return append(b, `},"note":"caf\u00e9"}`...)
}

// BenchmarkBodyOwner_64K: two body_owner rules (a top-level field and a
// nested one sharing nothing with the page's own "customer" objects) on a
// 64 KiB body that satisfies both.
func BenchmarkBodyOwner_64K(b *testing.B) {
	body := ownerBody64K()
	rules := []BodyOwner{
		CompileBodyOwner(&config.BodyOwnerRule{Field: []string{"customer_id"}, Claim: []string{"sub"}}),
		CompileBodyOwner(&config.BodyOwnerRule{Field: []string{"order", "customer", "id"}, Claim: []string{"sub"}}),
	}
	idv, err := jsonx.Parse([]byte(`{"sub":"alice"}`), jsonx.Limits{})
	if err != nil {
		b.Fatal(err)
	}
	other, err := jsonx.Parse([]byte(`{"sub":"bob"}`), jsonx.Limits{})
	if err != nil {
		b.Fatal(err)
	}
	// The path measured: a well-formed 64 KiB body, both fields found and
	// equal to the claim (another caller is refused as a mismatch).
	if len(body) < 64<<10 || jsonx.Validate(body, jsonx.Limits{}) != nil {
		b.Fatalf("body: %d bytes, %v", len(body), jsonx.Validate(body, jsonx.Limits{}))
	}
	if v := CheckBodyOwner(rules, &idv, "", body, Form{}); !v.Pass() {
		b.Fatalf("owner refused: %+v", v)
	}
	if v := CheckBodyOwner(rules, &other, "", body, Form{}); v.Reason != "body_owner_mismatch" {
		b.Fatalf("other caller: %+v", v)
	}
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		CheckBodyOwner(rules, &idv, "", body, Form{})
	}
}

// BenchmarkBodyOwner_validate64K is the floor BenchmarkBodyOwner_64K's
// walk stands on: jsonx.Validate, the scanner's fastest complete walk, on
// the same body with the same (no) limits.
func BenchmarkBodyOwner_validate64K(b *testing.B) {
	body := ownerBody64K()
	if err := jsonx.Validate(body, jsonx.Limits{}); err != nil || len(body) < 64<<10 {
		b.Fatalf("body: %d bytes, %v", len(body), err)
	}
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if jsonx.Validate(body, jsonx.Limits{}) != nil {
			b.Fatal("refused")
		}
	}
}
