package openapi

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzOpenAPI_generate feeds arbitrary documents to the generator: it never
// panics, and it either reports (an error or findings) or prints a
// configuration that loads, since Generate checks its own output with
// config.Parse.
func FuzzOpenAPI_generate(f *testing.F) {
	files, _ := filepath.Glob("testdata/v3.*/*.yaml")
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(`{"openapi":"3.1.0","info":{"title":"t","version":"1"},"paths":{"/a/{b}":{"post":{"requestBody":{"content":{"application/json":{"schema":{"type":"object","properties":{"x":{"$ref":"#/components/schemas/X"}}}}}},"responses":{"2XX":{"description":"ok","content":{"application/problem+json":{"schema":{"type":"object"}}}}}}}},"components":{"schemas":{"X":{"type":["string","null"]}}}}`))
	ov, err := ParseOverlay([]byte(`{"config":{"hold_headers":true,"providers":{"k":{"api_keys":{"keys":[]}}}},"security":{"bearerAuth":["k"],"api_key":["k"]}}`))
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, spec []byte) {
		out, findings, err := Generate(spec, ov, Options{})
		if err != nil {
			if out != nil {
				t.Fatal("output beside an error")
			}
			return
		}
		hasErr := false
		for _, fd := range findings {
			hasErr = hasErr || fd.Error
			if fd.Path == "" || fd.Msg == "" {
				t.Fatalf("finding without a path or message: %+v", fd)
			}
		}
		if hasErr == (out != nil) {
			t.Fatalf("output %v with error findings %v", out != nil, hasErr)
		}
	})
}
