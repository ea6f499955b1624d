package wasmguest

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/experimental"

	"github.com/apiguard/apiguard/filter/proxy"
)

// Profile selects which Envoy generation's cpp-host is emulated: its WASI
// table and restricted-callback allow-lists (docs/internals/proxy-wasm.md §2).
type Profile int

const (
	// Envoy139 is cpp-host #533 and later (Envoy 1.39+): full WASI,
	// poll_oneoff succeeds with no events and is allowed inside malloc.
	// It is the zero value, hence the default.
	Envoy139 Profile = iota
	// Envoy133 is the 427-era cpp-host of Envoy 1.33–1.38: poll_oneoff
	// answers ENOSYS (fatal for the Go runtime once its netpoller is in
	// use) and only the #427 set of WASI functions exists.
	Envoy133
	numProfiles
)

// String names the profile as in the constants.
func (p Profile) String() string {
	switch p {
	case Envoy139:
		return "Envoy139"
	case Envoy133:
		return "Envoy133"
	}
	return fmt.Sprintf("Profile(%d)", int(p))
}

func (p Profile) valid() bool { return p >= 0 && p < numProfiles }

// Options configure the VMs of one Factory.
type Options struct {
	// Profile is the emulated cpp-host generation; zero is Envoy139.
	Profile Profile
	// Env is what WASI environ_get reports, like Envoy's
	// vm_config.environment_variables.
	Env map[string]string
}

// V8 runs with --wasm_max_mem_pages = 1 GiB (HOST v8.cc); a guest that
// grows past it fails like it would in Envoy.
const memoryLimitPages = 16384

// Module is a validated, compiled proxy-wasm module. It is safe for
// concurrent use; every VM made from it shares the compiled code but has
// its own instance and linear memory.
type Module struct {
	rt       wazero.Runtime
	compiled wazero.CompiledModule
	abi      abiVersion
	exports  map[string]api.FunctionDefinition
	// loadErrs is what cpp-host would report while loading (marker,
	// malloc, callback signatures); every VM creation fails with it.
	loadErrs []string
	loadErr  error

	links [numProfiles]struct {
		once sync.Once
		l    *linker
		err  error
	}
	seq atomic.Uint64
}

// linker holds what one profile needs to instantiate VMs.
type linker struct {
	ctx     context.Context // carries the import resolver
	profile Profile
	env     api.Module
	wasi    api.Module
	config  wazero.ModuleConfig
}

var (
	cacheOnce sync.Once
	compCache wazero.CompilationCache

	modMu    sync.Mutex
	modByKey = map[[sha256.Size]byte]*moduleOnce{}

	fileMu    sync.Mutex
	fileByKey = map[string]fileEntry{}
)

type moduleOnce struct {
	once sync.Once
	m    *Module
	err  error
}

type fileEntry struct {
	mtime time.Time
	size  int64
	m     *Module
}

// compilationCache is shared by every runtime of the process (compiled code
// is shared in memory) and backed by a directory, so separate test binaries
// skip recompiling the same module.
func compilationCache() wazero.CompilationCache {
	cacheOnce.Do(func() {
		c, err := wazero.NewCompilationCacheWithDir(CacheDir())
		if err != nil {
			c = wazero.NewCompilationCache()
		}
		compCache = c
	})
	return compCache
}

// CacheDir is where compiled modules are kept between runs: apiguard/wazero
// under the user's cache directory (XDG_CACHE_HOME, ~/.cache, ...).
func CacheDir() string {
	base, err := os.UserCacheDir()
	if err != nil {
		base = os.TempDir()
	}
	return filepath.Join(base, "apiguard", "wazero")
}

// Compile validates and compiles wasm once per process: calls with the same
// bytes return the same *Module. ctx only bounds the compilation.
func Compile(ctx context.Context, wasm []byte) (*Module, error) {
	key := sha256.Sum256(wasm)
	modMu.Lock()
	e := modByKey[key]
	if e == nil {
		e = &moduleOnce{}
		modByKey[key] = e
	}
	modMu.Unlock()
	e.once.Do(func() { e.m, e.err = compile(ctx, wasm) })
	return e.m, e.err
}

// CompileFile compiles the module at path, memoized by path, size and
// modification time, so a rebuilt file is picked up. A missing file is an
// error (callers t.Fatal: a wasm run must never be skipped silently).
func CompileFile(path string) (*Module, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	fi, err := os.Stat(abs)
	if err != nil {
		return nil, fmt.Errorf("wasmguest: %w", err)
	}
	fileMu.Lock()
	e, ok := fileByKey[abs]
	fileMu.Unlock()
	if ok && e.mtime.Equal(fi.ModTime()) && e.size == fi.Size() {
		return e.m, nil
	}
	wasm, err := os.ReadFile(abs)
	if err != nil {
		return nil, fmt.Errorf("wasmguest: %w", err)
	}
	m, err := Compile(context.Background(), wasm)
	if err != nil {
		return nil, fmt.Errorf("wasmguest: %s: %w", path, err)
	}
	fileMu.Lock()
	fileByKey[abs] = fileEntry{mtime: fi.ModTime(), size: fi.Size(), m: m}
	fileMu.Unlock()
	return m, nil
}

func compile(ctx context.Context, wasm []byte) (*Module, error) {
	cfg := wazero.NewRuntimeConfig().
		WithCompilationCache(compilationCache()).
		WithMemoryLimitPages(memoryLimitPages).
		WithCloseOnContextDone(false)
	rt := wazero.NewRuntimeWithConfig(context.Background(), cfg)
	compiled, err := rt.CompileModule(ctx, wasm)
	if err != nil {
		_ = rt.Close(context.Background())
		return nil, fmt.Errorf("wasmguest: compile: %w", err)
	}
	m := &Module{rt: rt, compiled: compiled, exports: compiled.ExportedFunctions()}
	m.abi = detectABI(m.exports)
	m.loadErrs = m.loadProblems()
	if len(m.loadErrs) > 0 {
		m.loadErr = errors.New("wasmguest: " + strings.Join(m.loadErrs, "; "))
	}
	return m, nil
}

// loadProblems mirrors what cpp-host checks before it runs any guest code
// (HOST wasm.cc load/getFunctions, V8 getFunction signature checks).
func (m *Module) loadProblems() []string {
	var errs []string
	switch m.abi {
	case abiUnknown:
		errs = append(errs, "Missing or unknown Proxy-Wasm ABI version")
	case abi010:
		errs = append(errs, "ABI 0_1_0 is not supported by wasmguest")
	}
	if m.compiled.ExportedMemories()["memory"] == nil {
		errs = append(errs, `missing export "memory"`)
	}
	if m.exports["malloc"] == nil && m.exports["proxy_on_memory_allocate"] == nil {
		errs = append(errs, "Wasm module is missing malloc function.")
	}
	for _, e := range exportSpecs {
		if d := m.exports[e.name]; d != nil && !e.sig.equal(d.ParamTypes(), d.ResultTypes()) {
			errs = append(errs, fmt.Sprintf("Bad function signature for: %s (want %s, have %s)",
				e.name, e.sig, formatSig(d.ParamTypes(), d.ResultTypes())))
		}
	}
	return errs
}

// Factory returns the emulator's VM factory (e2e/host GuestFactory): each
// call instantiates a fresh VM whose hostcalls go to h, runs _initialize
// under the restricted-callback rules, and returns it as a proxy.Handler.
// A trap during initialisation is returned as a *TrapError; load and link
// problems (missing import, bad signature, no malloc) as plain errors.
//
// The Handler also implements io.Closer to release the VM early; a VM
// that becomes unreachable is released anyway.
func (m *Module) Factory(o Options) func(h proxy.Host) (proxy.Handler, error) {
	profile := o.Profile
	return func(h proxy.Host) (proxy.Handler, error) {
		// The host's environment (the emulator's Config.Env, as Envoy's
		// vm_config.environment_variables) wins over Options.Env.
		env := make(map[string]string, len(o.Env))
		for k, val := range o.Env {
			env[k] = val
		}
		for _, kv := range h.Environ() {
			if k, val, ok := strings.Cut(kv, "="); ok {
				env[k] = val
			}
		}
		environ := make([]string, 0, len(env))
		for k, val := range env {
			environ = append(environ, k+"="+val)
		}
		sort.Strings(environ)
		return m.newVM(h, profile, environ)
	}
}

// link prepares, once per profile, the host modules and the import check.
func (m *Module) link(p Profile) (*linker, error) {
	if !p.valid() {
		return nil, fmt.Errorf("wasmguest: unknown profile %v", p)
	}
	if m.loadErr != nil {
		return nil, m.loadErr
	}
	e := &m.links[p]
	e.once.Do(func() { e.l, e.err = m.newLinker(p) })
	return e.l, e.err
}

func (m *Module) newLinker(p Profile) (*linker, error) {
	if errs := importProblems(m.compiled, p, m.abi); len(errs) > 0 {
		return nil, errors.New("wasmguest: " + strings.Join(errs, "; "))
	}
	ctx := context.Background()
	prefix := fmt.Sprintf("apiguard.%s.", p)
	env, err := instantiateHost(ctx, m.rt, prefix+modEnv, envFuncs, p, m.abi)
	if err != nil {
		return nil, err
	}
	wasi, err := instantiateHost(ctx, m.rt, prefix+modWASI, wasiFuncs, p, m.abi)
	if err != nil {
		return nil, err
	}
	l := &linker{profile: p, env: env, wasi: wasi,
		config: wazero.NewModuleConfig().WithStartFunctions()}
	l.ctx = experimental.WithImportResolver(ctx, func(name string) api.Module {
		switch name {
		case modEnv:
			return l.env
		case modWASI, modWASIUnstable:
			return l.wasi
		}
		return nil
	})
	return l, nil
}

// provides reports whether profile p with ABI abi registers f.
func provides(f *hostFunc, p Profile, abi abiVersion) bool {
	return f.profiles&(1<<p) != 0 && (!f.abi021 || abi == abi021)
}

// instantiateHost registers the host functions of one module name under a
// unique instance name; the import resolver maps the real name to it.
func instantiateHost(ctx context.Context, rt wazero.Runtime, name string, funcs []*hostFunc, p Profile, abi abiVersion) (api.Module, error) {
	b := rt.NewHostModuleBuilder(name)
	for _, f := range funcs {
		if !provides(f, p, abi) {
			continue
		}
		b.NewFunctionBuilder().
			WithGoModuleFunction(hostEntry(f), f.sig.params, f.sig.results).
			WithName(f.name).
			Export(f.name)
	}
	// Compile + InstantiateModule (not Instantiate, which wraps the
	// instance) because the import resolver needs the store's own instance.
	compiled, err := b.Compile(ctx)
	if err == nil {
		var mod api.Module
		if mod, err = rt.InstantiateModule(ctx, compiled, wazero.NewModuleConfig().WithName(name)); err == nil {
			return mod, nil
		}
	}
	return nil, fmt.Errorf("wasmguest: host module %s: %w", name, err)
}

// vmKey is the context key under which each VM passes itself to its host
// functions: host modules are shared by all VMs of a Module, the calling
// context tells them apart.
type vmKey struct{}

func hostEntry(f *hostFunc) api.GoModuleFunction {
	return api.GoModuleFunc(func(ctx context.Context, _ api.Module, stack []uint64) {
		v := ctx.Value(vmKey{}).(*vm)
		if v.restrict != 0 && f.allow&v.restrict == 0 {
			panic(&restrictedError{name: f.qualified()})
		}
		f.fn(v, stack)
	})
}
