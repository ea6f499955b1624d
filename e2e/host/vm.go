package host

import (
	"errors"
	"fmt"
	"time"

	"github.com/apiguard/apiguard/filter/proxy"
)

// VM is one Wasm VM: the canary or one worker thread's instance of the
// plugin, with its root contexts, its stream contexts, their timers and
// their callouts. A VM is not safe for concurrent use.
type VM struct {
	env   *Envoy
	index int
	guest proxy.Handler

	rootID  uint32  // the first root, Config.PluginConfig's
	roots   []*root // every root in creation order, deleted ones included
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
	configBuf   []byte        // buffer 7 during proxy_on_configure
	httpResp    *HTTPResponse // during proxy_on_http_call_response
	grpcRecv    []byte        // during proxy_on_grpc_receive

	// Root context status read by proxy_get_status.
	statusCode uint32
	statusMsg  string

	nextHTTPToken uint32
	nextGRPCToken uint32
	callouts      []*callout

	metrics    map[uint32]*stat
	nextMetric [3]uint32
}

// root is one root context of a VM: one plugin configuration running in
// it, with its own timer (Envoy keys timer periods by root context id).
type root struct {
	id      uint32
	config  []byte
	deleted bool

	tickOn     bool
	tickPeriod time.Duration
	tickAt     time.Time
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

// RootID is the id of the VM's first root context, the one New
// configured with Config.PluginConfig (1: the first context a VM
// allocates).
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
// initialisation (the factory), then the first root context's start.
func (vm *VM) start() (err error) {
	guest, err := vm.instantiate()
	if err != nil {
		return err
	}
	vm.guest = guest
	r, err := vm.startRoot(vm.env.cfg.PluginConfig)
	vm.rootID = r.id
	return err
}

// startRoot creates a root context and runs what cpp-host's
// WasmBase::start and Envoy's configure run for it:
// proxy_on_context_create(root, 0), proxy_on_vm_start and
// proxy_on_configure with pluginConfig as buffer 7.
func (vm *VM) startRoot(pluginConfig []byte) (*root, error) {
	r := &root{id: vm.allocID(), config: pluginConfig}
	vm.roots = append(vm.roots, r)
	guest := vm.guest
	started, configured := true, true
	ok := vm.call(r.id, "proxy_on_context_create", func() { guest.OnContextCreate(r.id, 0) })
	if ok {
		ok = vm.call(r.id, "proxy_on_vm_start", func() { started = guest.OnVMStart(r.id, len(vm.env.cfg.VMConfig)) })
	}
	vm.runAfter()
	if !ok {
		return r, errors.New(vm.failReason)
	}
	if !started {
		return r, errors.New("proxy_on_vm_start returned false")
	}
	vm.inConfigure, vm.configBuf = true, pluginConfig
	ok = vm.call(r.id, "proxy_on_configure", func() { configured = guest.OnConfigure(r.id, len(pluginConfig)) })
	vm.inConfigure, vm.configBuf = false, nil
	vm.runAfter()
	if !ok {
		return r, errors.New(vm.failReason)
	}
	if !configured {
		return r, errors.New("proxy_on_configure returned false")
	}
	return r, nil
}

// AddRoot starts another root context on this VM, as Envoy does when a
// second plugin configuration (another listener, another root_id) has the
// same vm_config and so shares the VM: proxy_on_context_create(root, 0),
// proxy_on_vm_start and proxy_on_configure with pluginConfig as buffer 7.
// It returns the new root's context id. If the guest refuses (either call
// returns false) Envoy rejects that configuration: the error says why and
// the root takes no streams; a trap fails the VM. Streams choose their root
// with StreamProps.Root.
func (vm *VM) AddRoot(pluginConfig []byte) (uint32, error) {
	if vm.failed || vm.discarded || vm.guest == nil {
		return 0, errors.New("host: AddRoot on a VM that does not run")
	}
	r, err := vm.startRoot(clone(pluginConfig))
	if err != nil {
		r.deleted, r.tickOn = true, false
		vm.dropCallouts(r.id)
	}
	vm.pump()
	return r.id, err
}

// DeleteRoot removes a root context while the VM lives on, as Envoy does
// when the listener of its plugin configuration goes away:
// proxy_on_done(root), whose answer is not waited for, then
// proxy_on_delete(root). Its timer stops (a tick that finds no context
// calls nothing) and its pending callouts are cancelled without a
// callback, as Envoy's context destructor cancels them. Streams already
// open on it go on; new streams cannot choose it.
func (vm *VM) DeleteRoot(id uint32) {
	r := vm.root(id)
	if r == nil || r.deleted {
		panic(fmt.Sprintf("host: DeleteRoot(%d): no such live root context", id))
	}
	vm.rootCall(id, "proxy_on_done", func() { vm.guest.OnDone(id) })
	vm.rootCall(id, "proxy_on_delete", func() { vm.guest.OnDelete(id) })
	r.deleted, r.tickOn, r.tickPeriod = true, false, 0
	vm.dropCallouts(id)
}

// root returns the root context id, deleted or not; nil if id is none.
func (vm *VM) root(id uint32) *root {
	for _, r := range vm.roots {
		if r.id == id {
			return r
		}
	}
	return nil
}

// liveRoot returns the root a new stream may be created on: id, or the
// first root for 0. It panics otherwise (a test's mistake).
func (vm *VM) liveRoot(id uint32) uint32 {
	if id == 0 {
		id = vm.rootID
	}
	if r := vm.root(id); r == nil || r.deleted {
		panic(fmt.Sprintf("host: stream on root context %d, which is not a live root of this VM", id))
	}
	return id
}

// rootOf returns the root context of a context: a stream's parent, or the
// root itself.
func (vm *VM) rootOf(id uint32) uint32 {
	if s, ok := vm.streams[id]; ok {
		return s.root
	}
	return id
}

// currentRoot is the root of the context hostcalls act on (Envoy's
// root_context_id_ of the effective context).
func (vm *VM) currentRoot() uint32 {
	id := vm.cur
	if vm.eff != 0 && vm.contextExists(vm.eff) {
		id = vm.eff
	}
	return vm.rootOf(id)
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
	vm.stopTimers()
	vm.callouts = nil
}

// stopTimers disarms the timer of every root.
func (vm *VM) stopTimers() {
	for _, r := range vm.roots {
		r.tickOn = false
	}
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
	vm.stopTimers()
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
	if r := vm.root(id); r != nil && !r.deleted {
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

// rootCall runs a callback of root context id with its after-call actions.
func (vm *VM) rootCall(id uint32, name string, f func()) {
	if vm.failed || vm.discarded {
		return
	}
	vm.call(id, name, f)
	vm.runAfter()
}

// --- ticks (Envoy Wasm::setTimerPeriod / tickHandler), per root ---

func (vm *VM) setTickPeriod(id uint32, ms uint32) {
	r := vm.root(id)
	if r == nil || r.deleted {
		return
	}
	if ms == 0 {
		r.tickOn, r.tickPeriod = false, 0
		return
	}
	r.tickPeriod = time.Duration(ms) * time.Millisecond
	r.tickOn = true
	r.tickAt = vm.env.clock.Now().Add(r.tickPeriod)
}

// Ticking reports whether the plugin asked for ticks on this VM, on any of
// its roots (and the VM still runs): a stream it holds may still be
// resumed by one.
func (vm *VM) Ticking() bool {
	if vm.failed || vm.discarded {
		return false
	}
	for _, r := range vm.roots {
		if r.tickPeriod > 0 && !r.deleted {
			return true
		}
	}
	return false
}

// TickPeriod is the tick period root context id asked for last (0: none,
// or the root was deleted).
func (vm *VM) TickPeriod(id uint32) time.Duration {
	if r := vm.root(id); r != nil {
		return r.tickPeriod
	}
	return 0
}

// nextTick returns the root whose tick is due first (the lowest id among
// equals).
func (vm *VM) nextTick() (*root, bool) {
	if vm.failed || vm.discarded {
		return nil, false
	}
	var best *root
	for _, r := range vm.roots {
		if r.tickOn && !r.deleted && (best == nil || r.tickAt.Before(best.tickAt)) {
			best = r
		}
	}
	return best, best != nil
}

func (vm *VM) nextTickAt() (time.Time, bool) {
	r, ok := vm.nextTick()
	if !ok {
		return time.Time{}, false
	}
	return r.tickAt, true
}

// fireTick runs proxy_on_tick on the root whose tick is due first.
func (vm *VM) fireTick() {
	r, ok := vm.nextTick()
	if !ok {
		return
	}
	r.tickOn = false
	vm.rootCall(r.id, "proxy_on_tick", func() { vm.guest.OnTick(r.id) })
	// A period set during the tick re-armed the timer already; otherwise
	// re-arm with the current period (fixed delay after the tick returns).
	if !r.tickOn && r.tickPeriod > 0 && !r.deleted && !vm.failed {
		r.tickOn = true
		r.tickAt = vm.env.clock.Now().Add(r.tickPeriod)
	}
}
