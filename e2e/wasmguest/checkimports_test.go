package wasmguest

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

func TestGuest_checkImports(t *testing.T) {
	tests := []struct {
		name    string
		guest   string
		profile Profile
		wantErr []string // substrings; nil = must pass
	}{
		{"go guest Envoy139", "hostcalls", Envoy139, nil},
		{"go guest Envoy133", "hostcalls", Envoy133, nil},
		{"malloc export", "mallocorder", Envoy139, nil},
		{"file io Envoy139", "fileio", Envoy139, nil},
		{"file io Envoy133", "fileio", Envoy133, []string{
			"missing import: wasi_snapshot_preview1.fd_filestat_get",
		}},
		{"get_log_level needs 0_2_1", "abi020", Envoy139, []string{
			"missing import: env.proxy_get_log_level",
		}},
		{"broken signatures", "badsig", Envoy139, []string{
			"import type mismatch: env.proxy_log, want (i32,i32,i32,i32)->(i32) but host exports (i32,i32,i32)->(i32)",
			"missing import: env.proxy_no_such_call",
			"Bad function signature for: proxy_on_request_headers (want (i32,i32,i32)->(i32), have (i32,i32)->(i32))",
			"Bad function signature for: proxy_on_done (want (i32)->(i32), have (i32)->())",
			"unknown callback export proxy_on_reqest_body",
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckImports(guestBytes(t, tc.guest), tc.profile)
			if tc.wantErr == nil {
				if err != nil {
					t.Fatalf("CheckImports: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("CheckImports passed")
			}
			for _, w := range tc.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error does not mention %q:\n%v", w, err)
				}
			}
		})
	}
	t.Run("unknown profile", func(t *testing.T) {
		if err := CheckImports(guestBytes(t, "hostcalls"), Profile(-1)); err == nil {
			t.Error("accepted an unknown profile")
		}
	})
	t.Run("not wasm", func(t *testing.T) {
		if err := CheckImports([]byte("not wasm"), Envoy139); err == nil {
			t.Error("accepted garbage")
		}
	})
}

// TestCheckImports_Apiguard checks the real module against both profiles
// (docs/operating.md keeps it loadable on Envoy 1.33–1.38 too) and that its
// _initialize passes the restricted-callback window. It builds ./filter
// itself so the check never silently skips a stale or missing artifact,
// and also checks build/apiguard.wasm when one is present.
// TestCheckImports_Apiguard checks the module `make test` just built (or
// $APIGUARD_WASM): its imports are a subset of what each Envoy profile
// provides, its exports are the ABI's, and its _initialize keeps to the
// restricted-callback allow-list. A missing module fails the test.
func TestCheckImports_Apiguard(t *testing.T) {
	p := os.Getenv("APIGUARD_WASM")
	if p == "" {
		p = filepath.Join(repoRoot(t), "build", "apiguard.wasm")
	}
	if !fileExists(p) {
		t.Fatalf("%s is missing: run make build", p)
	}
	paths := map[string]string{"apiguard.wasm": p}
	for name, p := range paths {
		wasm, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		for _, prof := range []Profile{Envoy139, Envoy133} {
			t.Run(name+"/"+prof.String(), func(t *testing.T) {
				if err := CheckImports(wasm, prof); err != nil {
					t.Fatal(err)
				}
				// _initialize must also keep to the restricted-callback
				// allow-list (no hostcalls but proxy_log in init()).
				m, err := Compile(t.Context(), wasm)
				if err != nil {
					t.Fatal(err)
				}
				hd, err := m.Factory(Options{Profile: prof})(newFakeHost())
				if err != nil {
					t.Fatal(err)
				}
				_ = hd.(*vm).Close()
			})
		}
	}
}

func repoRoot(t testing.TB) string {
	t.Helper()
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		t.Fatal("no caller")
	}
	return filepath.Join(filepath.Dir(file), "..", "..")
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
