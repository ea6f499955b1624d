package jsonx

import (
	"strings"
	"testing"
)

func benchTmp(b *testing.B, doc []byte) {
	var v Validator
	if err := v.Validate(doc, Limits{}); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(doc)))
	for b.Loop() {
		v.Validate(doc, Limits{})
	}
}

func BenchmarkTmp_longStrings(b *testing.B) {
	s := `"` + strings.Repeat("abcdefgh", 200) + `"`
	benchTmp(b, []byte("["+strings.Repeat(s+",", 40)+s+"]"))
}

func BenchmarkTmp_smallInts(b *testing.B) {
	benchTmp(b, []byte("["+strings.Repeat("12,", 20000)+"1]"))
}

func BenchmarkTmp_smallKeys(b *testing.B) {
	benchTmp(b, []byte("["+strings.Repeat(`{"ab":1,"cd":2,"ef":3},`, 3000)+"1]"))
}
