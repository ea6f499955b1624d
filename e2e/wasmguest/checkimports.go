package wasmguest

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/tetratelabs/wazero"
)

// CheckImports is the static version of what Envoy checks when it loads a
// module under profile p: every function import must be one the profile's
// cpp-host registers, with the identical signature (V8 fails to link
// otherwise); only function imports exist; and the exports cpp-host needs
// must be there with the exact signatures of docs/internals/proxy-wasm.md §1.5
// (_initialize, memory, malloc or proxy_on_memory_allocate, an ABI marker,
// and every exported proxy_on_* with its known signature). The error lists
// every problem found, one per line.
func CheckImports(wasm []byte, p Profile) error {
	if !p.valid() {
		return fmt.Errorf("wasmguest: unknown profile %v", p)
	}
	m, err := Compile(context.Background(), wasm)
	if err != nil {
		return err
	}
	var errs []string
	errs = append(errs, importProblems(m.compiled, p, m.abi)...)
	errs = append(errs, m.exportProblems()...)
	if len(errs) == 0 {
		return nil
	}
	return errors.New("wasmguest: module does not fit " + p.String() + ":\n\t" + strings.Join(errs, "\n\t"))
}

// importProblems reports imports the profile's host would not resolve, in
// V8's words.
func importProblems(c wazero.CompiledModule, p Profile, abi abiVersion) []string {
	byName := map[string]*hostFunc{}
	for _, list := range [][]*hostFunc{envFuncs, wasiFuncs} {
		for _, f := range list {
			if provides(f, p, abi) {
				byName[f.qualified()] = f
			}
		}
	}
	var errs []string
	for _, d := range c.ImportedFunctions() {
		mod, name, _ := d.Import()
		key := mod + "." + name
		if mod == modWASIUnstable {
			key = modWASI + "." + name
		}
		f := byName[key]
		switch {
		case f == nil:
			errs = append(errs, "Failed to load Wasm module due to a missing import: "+mod+"."+name)
		case !f.sig.equal(d.ParamTypes(), d.ResultTypes()):
			errs = append(errs, fmt.Sprintf("Failed to load Wasm module due to an import type mismatch: %s.%s, want %s but host exports %s",
				mod, name, formatSig(d.ParamTypes(), d.ResultTypes()), f.sig))
		}
	}
	for _, d := range c.ImportedMemories() {
		mod, name, _ := d.Import()
		errs = append(errs, "Failed to load Wasm module due to a missing import: "+mod+"."+name+" (memory)")
	}
	return errs
}

// exportProblems is stricter than loadProblems: it also wants _initialize
// and flags proxy_on_* exports cpp-host does not know (typos would never
// be called).
func (m *Module) exportProblems() []string {
	errs := append([]string(nil), m.loadErrs...)
	if m.exports["_initialize"] == nil {
		errs = append(errs, `missing export "_initialize" (not a WASI reactor: build with -buildmode=c-shared)`)
	}
	for _, name := range []string{markerABI021, markerABI020} {
		if d := m.exports[name]; d != nil && len(d.ParamTypes())+len(d.ResultTypes()) != 0 {
			errs = append(errs, fmt.Sprintf("Bad function signature for: %s (want ()->(), have %s)",
				name, formatSig(d.ParamTypes(), d.ResultTypes())))
		}
	}
	var unknown []string
	for name := range m.exports {
		if strings.HasPrefix(name, "proxy_on_") && exportIndex(name) < 0 {
			unknown = append(unknown, name)
		}
	}
	sort.Strings(unknown)
	for _, name := range unknown {
		errs = append(errs, "unknown callback export "+name+" (never called by the host)")
	}
	return errs
}
