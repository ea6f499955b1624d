package host

import (
	"errors"
	"fmt"
	"time"

	"github.com/apiguard/apiguard/filter/proxy"
)

// VM is one Wasm VM: the canary or one worker thread's instance of the
// plugin, with its root context, its stream contexts, its timer and its
// callouts. A VM is not safe for concurrent use.
type VM struct {
	env   *Envoy
	index int
	guest proxy.Handler

	rootID  uint32
	nextID  uint32
	streams map[uint32]*Stream

	failed     bool
	failReason string
	discarded  bool

	// State of the VM call in progress (Envoy runs one at a time per VM).
	inCall      bool
	cur         uint32 // context of the running callback
	eff         uint32 // proxy_set_effective_context, 0 = none
	stopNext    bool   // set by proxy_send_local_response during the call
	after       []func()
	inConfigure bool
	httpResp    *HTTPResponse // during proxy_on_http_call_response
	grpcRecv    []byte        // during proxy_on_grpc_receive

	// Root context status read by proxy_get_status.
	statusCode uint32
	statusMsg  string

	nextHTTPToken uint32
	nextGRPCToken uint32
	callouts      []*callout

	tickOn     bool
	tickPeriod time.Duration
	tickAt     time.Time

	metrics    map[uint32]*stat
	nextMetric [3]uint32
}

func (e *Envoy) newVM(index int) *VM {
	return &VM{
		env:           e,
		index:         index,
		streams:       map[uint32]*Stream{},
		metrics:       map[uint32]*stat{},
		nextHTTPToken: 1,
		nextGRPCToken: 1,
	}
}

// Index is the worker index (CanaryVM for the canary).
func (vm *VM) Index() int { return vm.index }

// RootID is the root context id (1: the first context a VM allocates).
func (vm *VM) RootID() uint32 { return vm.rootID }

// Failed reports whether the VM failed (a trap, or a worker whose start or
// configure returned false) and why.
func (vm *VM) Failed() (bool, string) { return vm.failed, vm.failReason }

// Envoy returns the Envoy the VM belongs to.
func (vm *VM) Envoy() *Envoy { return vm.env }

// allocID hands out context ids from 1 upward, never reused (cpp-host
// WasmBase::allocContextId).
func (vm *VM) allocID() uint32 {
	vm.nextID++
	return vm.nextID
}

// start runs what Envoy runs on a fresh VM clone: the guest's
// initialisation (the factory), then proxy_on_context_create(root, 0),
// proxy_on_vm_start and proxy_on_configure.
func (vm *VM) start() (err error) {
	guest, err := vm.instantiate()
	if err != nil {
		return err
	}
	vm.guest = guest
	vm.rootID = vm.allocID()
	cfg := &vm.env.cfg
	started, configured := true, true
	ok := vm.call(vm.rootID, "proxy_on_context_create", func() { guest.OnContextCreate(vm.rootID, 0) })
	if ok {
		ok = vm.call(vm.rootID, "proxy_on_vm_start", func() { started = guest.OnVMStart(vm.rootID, len(cfg.VMConfig)) })
	}
	vm.runAfter()
	if !ok {
		return errors.New(vm.failReason)
	}
	if !started {
		return errors.New("proxy_on_vm_start returned false")
	}
	vm.inConfigure = true
	ok = vm.call(vm.rootID, "proxy_on_configure", func() { configured = guest.OnConfigure(vm.rootID, len(cfg.PluginConfig)) })
	vm.inConfigure = false
	vm.runAfter()
	if !ok {
		return errors.New(vm.failReason)
	}
	if !configured {
		return errors.New("proxy_on_configure returned false")
	}
	return nil
}

func (vm *VM) instantiate() (h proxy.Handler, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("guest initialisation trapped: %v", r)
			vm.env.log(LogLine{VM: vm.index, Level: proxy.LogCritical, Msg: err.Error(), Envoy: true})
		}
	}()
	h, err = vm.env.factory((*hostAPI)(vm))
	if err == nil && h == nil {
		err = errors.New("guest factory returned no handler")
	}
	return h, err
}

// fail marks the VM failed (Envoy FailState) without a trap.
func (vm *VM) fail(reason string) {
	if vm.failed {
		return
	}
	vm.failed, vm.failReason = true, reason
	vm.env.log(LogLine{VM: vm.index, Level: proxy.LogCritical, Msg: "wasm vm failed: " + reason, Envoy: true})
}

// discard tears the canary down: its timer and callouts die with it.
func (vm *VM) discard() {
	vm.discarded = true
	vm.tickOn = false
	vm.callouts = nil
}

// call runs one guest method as one VM call on context ctx. A panic in the
// guest is a trap: the VM fails (FailState RuntimeError) and call returns
// false. Calls into a failed VM are not made.
func (vm *VM) call(ctx uint32, name string, f func()) (ok bool) {
	if vm.failed || vm.guest == nil {
		return false
	}
	prevIn, prevCur, prevEff := vm.inCall, vm.cur, vm.eff
	vm.inCall, vm.cur, vm.eff, vm.stopNext = true, ctx, 0, false
	defer func() {
		vm.inCall, vm.cur, vm.eff = prevIn, prevCur, prevEff
		if r := recover(); r != nil {
			vm.trap(name, r)
			ok = false
		}
	}()
	f()
	return true
}

// trap records a VM crash the way Envoy logs a failed export call.
func (vm *VM) trap(name string, r any) {
	vm.failed = true
	vm.failReason = fmt.Sprintf("Function: %s failed: %v", name, r)
	vm.after = nil
	vm.tickOn = false
	vm.env.log(LogLine{VM: vm.index, Level: proxy.LogCritical, Msg: vm.failReason, Envoy: true})
}

// runAfter runs the actions hostcalls deferred until the VM call returned
// (cpp-host doAfterVmCallActions): continue_stream, close_stream, local
// replies. Actions may start new VM calls, whose own actions join the queue.
func (vm *VM) runAfter() {
	for len(vm.after) > 0 {
		a := vm.after[0]
		vm.after = vm.after[1:]
		a()
	}
}

func (vm *VM) queue(a func()) { vm.after = append(vm.after, a) }

// contextExists reports whether id names a live context of this VM.
func (vm *VM) contextExists(id uint32) bool {
	if id == vm.rootID && id != 0 {
		return true
	}
	_, ok := vm.streams[id]
	return ok
}

// effective returns the context hostcalls act on: the running callback's,
// or the one proxy_set_effective_context chose if it still exists.
// inCall is false outside any callback (the VM context, id 0).
func (vm *VM) effective() (s *Stream, inCall bool) {
	if !vm.inCall {
		return nil, false
	}
	id := vm.cur
	if vm.eff != 0 && vm.contextExists(vm.eff) {
		id = vm.eff
	}
	return vm.streams[id], true
}

// rootCall runs a root-context callback with its after-call actions.
func (vm *VM) rootCall(name string, f func()) {
	if vm.failed || vm.discarded {
		return
	}
	vm.call(vm.rootID, name, f)
	vm.runAfter()
}

// --- ticks (Envoy Wasm::setTimerPeriod / tickHandler) ---

func (vm *VM) setTickPeriod(ms uint32) {
	if ms == 0 {
		vm.tickOn, vm.tickPeriod = false, 0
		return
	}
	vm.tickPeriod = time.Duration(ms) * time.Millisecond
	vm.tickOn = true
	vm.tickAt = vm.env.clock.Now().Add(vm.tickPeriod)
}

// Ticking reports whether the plugin asked for ticks on this VM (and the
// VM still runs): a stream it holds may still be resumed by one.
func (vm *VM) Ticking() bool {
	return vm.tickPeriod > 0 && !vm.failed && !vm.discarded
}

func (vm *VM) nextTickAt() (time.Time, bool) {
	if !vm.tickOn || vm.failed || vm.discarded {
		return time.Time{}, false
	}
	return vm.tickAt, true
}

func (vm *VM) fireTick() {
	vm.tickOn = false
	vm.rootCall("proxy_on_tick", func() { vm.guest.OnTick(vm.rootID) })
	// A period set during the tick re-armed the timer already; otherwise
	// re-arm with the current period (fixed delay after the tick returns).
	if !vm.tickOn && vm.tickPeriod > 0 && !vm.failed {
		vm.tickOn = true
		vm.tickAt = vm.env.clock.Now().Add(vm.tickPeriod)
	}
}
