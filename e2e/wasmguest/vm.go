package wasmguest

import (
	"context"
	"errors"
	"runtime"
	"strconv"
	"strings"

	"github.com/tetratelabs/wazero/api"

	"github.com/apiguard/apiguard/filter/proxy"
)

// TrapError is how a VM reports that the guest trapped: wasm `unreachable`
// (a Go panic or `fatal error` ends there), a restricted_callback violation,
// proc_exit, exhausted memory, or a trap inside the guest's malloc. Handler
// methods panic with it (the emulator recovers it and marks the VM failed,
// like Envoy's FailState::RuntimeError); afterwards every call on the VM
// panics with the same error.
type TrapError struct {
	// Export is the guest export whose call trapped, e.g.
	// "proxy_on_request_headers" or "_initialize".
	Export string
	// Msg describes the trap; it ends with the start of what the guest
	// wrote to stderr during the call, if anything (Go prints its panic or
	// fatal error there).
	Msg string
}

// Error implements error.
// Error implements error.
func (e *TrapError) Error() string { return "wasmguest: " + e.Export + " trapped: " + e.Msg }

// restrictedError is raised when the guest calls an import outside the
// allow-list of the current restricted-callback window (V8 traps with
// "restricted_callback").
type restrictedError struct{ name string }

func (e *restrictedError) Error() string { return "restricted_callback: " + e.name }

type procExitError struct{ code uint32 }

func (e *procExitError) Error() string {
	return "proc_exit(" + strconv.FormatUint(uint64(e.code), 10) + ")"
}

// allocTrap carries a trap of the guest's malloc out of the hostcall that
// needed the memory.
type allocTrap struct{ te *TrapError }

func (e *allocTrap) Error() string { return e.te.Error() }

// maxStderr bounds the stderr text kept for trap messages.
const maxStderr = 1024

// vm is one VM: a module instance plus the state cpp-host keeps per
// WasmBase. It implements proxy.Handler.
type vm struct {
	host    proxy.Host
	profile Profile
	environ []string
	ctx     context.Context
	inst    api.Module
	mem     api.Memory

	fns        [numExports]api.Function
	malloc     api.Function
	mallocName string

	// restrict is the current restricted-callback window (0 = none).
	restrict            allowMask
	initMask, allocMask allowMask
	monoSkew            uint64
	depth               int
	trap                *TrapError
	stderr              []byte
	cstack              [5]uint64
	mstack              [1]uint64
	closed              bool
	cleanup             runtime.Cleanup
	hasCleanup          bool
}

var _ proxy.Handler = (*vm)(nil)

func (m *Module) newVM(h proxy.Host, p Profile, environ []string) (proxy.Handler, error) {
	l, err := m.link(p)
	if err != nil {
		return nil, err
	}
	v := &vm{host: h, profile: p, environ: environ}
	if p == Envoy133 {
		v.initMask, v.allocMask = allowInit133, allowAlloc133
	} else {
		v.initMask, v.allocMask = allowInit139, allowAlloc139
	}
	v.ctx = context.WithValue(l.ctx, vmKey{}, v)
	name := "vm-" + strconv.FormatUint(m.seq.Add(1), 10)
	inst, err := m.rt.InstantiateModule(v.ctx, m.compiled, l.config.WithName(name))
	if err != nil {
		return nil, errors.New("wasmguest: Failed to load Wasm module: " + err.Error())
	}
	v.inst = inst
	v.mem = inst.Memory()
	for i, e := range exportSpecs {
		if m.exports[e.name] != nil {
			v.fns[i] = inst.ExportedFunction(e.name)
		}
	}
	// cpp-host looks up malloc first, proxy_on_memory_allocate second.
	if v.malloc, v.mallocName = v.fns[expMalloc], "malloc"; v.malloc == nil {
		v.malloc, v.mallocName = v.fns[expOnMemoryAllocate], "proxy_on_memory_allocate"
	}
	v.cleanup = runtime.AddCleanup(v, func(mod api.Module) { _ = mod.Close(context.Background()) }, inst)
	v.hasCleanup = true
	if te := v.start(); te != nil {
		v.Close()
		return nil, te
	}
	return v, nil
}

// start runs the WASI reactor/command entry points in the restricted
// window, in cpp-host's order (WasmBase::startVm).
func (v *vm) start() (te *TrapError) {
	defer func() {
		if r := recover(); r != nil {
			if t, ok := r.(*TrapError); ok {
				te = t
				return
			}
			panic(r)
		}
	}()
	v.restrict = v.initMask
	defer func() { v.restrict = 0 }()
	switch {
	case v.fns[expInitialize] != nil:
		v.call(expInitialize, 0)
		if v.fns[expMain] != nil {
			v.call(expMain, 2, 0, 0)
		} else if v.fns[expMainVoid] != nil {
			v.call(expMainVoid, 0)
		}
	case v.fns[expStart] != nil:
		v.call(expStart, 0)
	}
	return nil
}

// Close releases the VM's instance and memory. It is optional: an
// unreachable VM is released by a cleanup. Calls after Close panic.
func (v *vm) Close() error {
	if v.closed {
		return nil
	}
	v.closed = true
	if v.trap == nil {
		v.trap = &TrapError{Export: "(closed)", Msg: "VM closed"}
	}
	if v.hasCleanup {
		v.cleanup.Stop()
	}
	return v.inst.Close(context.Background())
}

// call invokes export idx with n parameters from args and returns the
// first result. A trap poisons the VM and panics with *TrapError.
func (v *vm) call(idx int, n int, args ...uint32) uint64 {
	if v.trap != nil {
		panic(v.trap)
	}
	var stack []uint64
	if v.depth == 0 {
		stack = v.cstack[:]
	} else {
		// The emulator re-entered the guest from a hostcall; keep the outer
		// call's stack intact.
		stack = make([]uint64, len(v.cstack))
	}
	for i := 0; i < n; i++ {
		stack[i] = uint64(args[i])
	}
	if v.depth == 0 {
		v.stderr = v.stderr[:0]
	}
	v.depth++
	err := v.fns[idx].CallWithStack(v.ctx, stack)
	v.depth--
	if err != nil {
		v.trap = v.trapFrom(exportSpecs[idx].name, err)
		panic(v.trap)
	}
	return stack[0]
}

// trapFrom turns a wazero call error into a TrapError. A trap of a nested
// guest call (the allocator, or a re-entrant callback) is reported under
// the outermost export, with the inner one named in Msg.
func (v *vm) trapFrom(export string, err error) *TrapError {
	var (
		re *restrictedError
		pe *procExitError
		at *allocTrap
		te *TrapError
	)
	var msg string
	switch {
	case errors.As(err, &at):
		return &TrapError{Export: export, Msg: "in " + at.te.Export + ": " + at.te.Msg}
	case errors.As(err, &te):
		if te.Export == export {
			return te
		}
		return &TrapError{Export: export, Msg: "in " + te.Export + ": " + te.Msg}
	case errors.As(err, &re):
		msg = re.Error()
	case errors.As(err, &pe):
		msg = pe.Error()
	default:
		msg, _, _ = strings.Cut(err.Error(), "\n")
	}
	if tail := strings.TrimSpace(string(v.stderr)); tail != "" {
		msg += "; guest stderr: " + tail
	}
	return &TrapError{Export: export, Msg: msg}
}

// noteStderr keeps the start of what the guest wrote to fd 2 during the
// current call: Go prints the reason ("panic: …", "fatal error: …") first
// and goroutine dumps after it.
func (v *vm) noteStderr(b []byte) {
	if room := maxStderr - len(v.stderr); room > 0 {
		v.stderr = append(v.stderr, b[:min(room, len(b))]...)
	}
}

func (v *vm) monotonic() uint64 { return uint64(v.host.Now()) + v.monoSkew }

// alloc reserves size bytes through the guest's allocator, inside V8's
// allocMemory restricted window. A trap in the allocator aborts the
// hostcall (and thereby the guest call that made it).
func (v *vm) alloc(size uint32) (uint32, bool) {
	prev := v.restrict
	v.restrict = v.allocMask
	v.mstack[0] = uint64(size)
	err := v.malloc.CallWithStack(v.ctx, v.mstack[:])
	v.restrict = prev
	if err != nil {
		panic(&allocTrap{te: v.trapFrom(v.mallocName, err)})
	}
	ptr := uint32(v.mstack[0])
	if ptr == 0 {
		return 0, false
	}
	if _, ok := v.mem.Read(ptr, size); !ok {
		return 0, false
	}
	return ptr, true
}

func b2u(b bool) uint32 {
	if b {
		return 1
	}
	return 0
}

// Handler methods. A missing export gets cpp-host's default answer.

// OnVMStart calls proxy_on_vm_start; a module without it starts fine.
func (v *vm) OnVMStart(rootID uint32, vmConfigSize int) bool {
	if v.fns[expOnVMStart] == nil {
		return v.ok()
	}
	return uint32(v.call(expOnVMStart, 2, rootID, uint32(vmConfigSize))) != 0
}

// OnConfigure calls proxy_on_configure; a module without it configures fine.
func (v *vm) OnConfigure(rootID uint32, pluginConfigSize int) bool {
	if v.fns[expOnConfigure] == nil {
		return v.ok()
	}
	return uint32(v.call(expOnConfigure, 2, rootID, uint32(pluginConfigSize))) != 0
}

// OnContextCreate calls proxy_on_context_create.
func (v *vm) OnContextCreate(contextID, parentID uint32) {
	v.void(expOnContextCreate, 2, contextID, parentID)
}

// OnRequestHeaders calls proxy_on_request_headers.
func (v *vm) OnRequestHeaders(contextID uint32, numHeaders int, endOfStream bool) proxy.Action {
	return v.action(expOnRequestHeaders, 3, contextID, uint32(numHeaders), b2u(endOfStream))
}

// OnRequestBody calls proxy_on_request_body.
func (v *vm) OnRequestBody(contextID uint32, bodySize int, endOfStream bool) proxy.Action {
	return v.action(expOnRequestBody, 3, contextID, uint32(bodySize), b2u(endOfStream))
}

// OnRequestTrailers calls proxy_on_request_trailers.
func (v *vm) OnRequestTrailers(contextID uint32, numTrailers int) proxy.Action {
	return v.action(expOnRequestTrailers, 2, contextID, uint32(numTrailers))
}

// OnResponseHeaders calls proxy_on_response_headers.
func (v *vm) OnResponseHeaders(contextID uint32, numHeaders int, endOfStream bool) proxy.Action {
	return v.action(expOnResponseHeaders, 3, contextID, uint32(numHeaders), b2u(endOfStream))
}

// OnResponseBody calls proxy_on_response_body.
func (v *vm) OnResponseBody(contextID uint32, bodySize int, endOfStream bool) proxy.Action {
	return v.action(expOnResponseBody, 3, contextID, uint32(bodySize), b2u(endOfStream))
}

// OnResponseTrailers calls proxy_on_response_trailers.
func (v *vm) OnResponseTrailers(contextID uint32, numTrailers int) proxy.Action {
	return v.action(expOnResponseTrailers, 2, contextID, uint32(numTrailers))
}

// OnHttpCallResponse calls proxy_on_http_call_response.
func (v *vm) OnHttpCallResponse(rootID, token uint32, numHeaders, bodySize, numTrailers int) {
	v.void(expOnHttpCallResponse, 5, rootID, token, uint32(numHeaders), uint32(bodySize), uint32(numTrailers))
}

// OnGrpcReceiveInitialMetadata calls proxy_on_grpc_receive_initial_metadata.
func (v *vm) OnGrpcReceiveInitialMetadata(contextID, token uint32, numHeaders int) {
	v.void(expOnGrpcReceiveInitialMetadata, 3, contextID, token, uint32(numHeaders))
}

// OnGrpcReceive calls proxy_on_grpc_receive.
func (v *vm) OnGrpcReceive(contextID, token uint32, size int) {
	v.void(expOnGrpcReceive, 3, contextID, token, uint32(size))
}

// OnGrpcReceiveTrailingMetadata calls proxy_on_grpc_receive_trailing_metadata.
func (v *vm) OnGrpcReceiveTrailingMetadata(contextID, token uint32, numTrailers int) {
	v.void(expOnGrpcReceiveTrailingMetadata, 3, contextID, token, uint32(numTrailers))
}

// OnGrpcClose calls proxy_on_grpc_close.
func (v *vm) OnGrpcClose(contextID, token uint32, statusCode uint32) {
	v.void(expOnGrpcClose, 3, contextID, token, statusCode)
}

// OnTick calls proxy_on_tick.
func (v *vm) OnTick(rootID uint32) { v.void(expOnTick, 1, rootID) }

// OnLog calls proxy_on_log.
func (v *vm) OnLog(contextID uint32) { v.void(expOnLog, 1, contextID) }

// OnDone calls proxy_on_done; without it a context may always finalize.
func (v *vm) OnDone(contextID uint32) bool {
	if v.fns[expOnDone] == nil {
		return v.ok()
	}
	return uint32(v.call(expOnDone, 1, contextID)) != 0
}

// OnDelete calls proxy_on_delete.
func (v *vm) OnDelete(contextID uint32) { v.void(expOnDelete, 1, contextID) }

// ok panics if the VM already failed, so callbacks a module does not
// export still report the failure.
func (v *vm) ok() bool {
	if v.trap != nil {
		panic(v.trap)
	}
	return true
}

func (v *vm) void(idx, n int, args ...uint32) {
	if v.fns[idx] == nil {
		v.ok()
		return
	}
	v.call(idx, n, args...)
}

func (v *vm) action(idx, n int, args ...uint32) proxy.Action {
	if v.fns[idx] == nil {
		v.ok()
		return proxy.Continue
	}
	return proxy.Action(uint32(v.call(idx, n, args...)))
}

// MemoryPages reports the linear memory size, in 64 KiB pages, of a VM this
// package created; false for any other proxy.Handler. Tests use it to show a
// guest's memory stays bounded under sustained traffic (wasm memory never
// shrinks, so growth that does not stop is a leak).
func MemoryPages(h proxy.Handler) (uint32, bool) {
	v, ok := h.(*vm)
	if !ok || v.mem == nil {
		return 0, false
	}
	return v.mem.Size() / 65536, true
}
