package host

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/apiguard/apiguard/filter/proxy"
)

// GuestFactory creates the guest of one VM, given that VM's Host. For wasm it
// instantiates the module and runs _initialize before returning. It is called
// once per VM instance: the canary, then each worker.
type GuestFactory func(h proxy.Host) (proxy.Handler, error)

// Delivery says when answers to HTTP and gRPC callouts reach the plugin.
type Delivery int

const (
	// DeliverImmediately answers every callout as soon as the emulator
	// finishes the event that made it (after the VM call returns), as a fast
	// cluster would.
	DeliverImmediately Delivery = iota
	// DeliverManually queues callouts until the test calls DeliverCallouts
	// (or the clock passes their timeout), so a test can look at the stream
	// while it waits.
	DeliverManually
)

// DefaultBufferLimit is Envoy's default per_connection_buffer_limit_bytes.
const DefaultBufferLimit = 1 << 20

// Config describes one Envoy with one Wasm HTTP filter in front of the router.
// The zero value of every field is Envoy's default.
type Config struct {
	// PluginName, RootID and VMID are the plugin's name, root_id and
	// vm_config.vm_id (properties plugin_name, plugin_root_id, plugin_vm_id;
	// VMID is also the shared-data namespace).
	PluginName, RootID, VMID string
	// PluginConfig is buffer 7 during proxy_on_configure; VMConfig is buffer 6.
	PluginConfig, VMConfig []byte
	// Workers is the number of worker VMs (Envoy --concurrency); default 1.
	Workers int
	// AllowOnHeadersStopIteration is PluginConfig.allow_on_headers_stop_iteration.
	// When false, a headers StopIteration becomes StopAllIterationAndWatermark.
	AllowOnHeadersStopIteration bool
	// FailOpen selects failure_policy FAIL_OPEN; the default is FAIL_CLOSED.
	FailOpen bool
	// BufferLimit is the listener's per_connection_buffer_limit_bytes
	// (default 1 MiB).
	BufferLimit int
	// Clock is the time source; default a new clock at DefaultStart.
	Clock *Clock
	// LogLevel is what proxy_get_log_level reports (every line is captured
	// whatever the level).
	LogLevel proxy.LogLevel
	// Clusters answers HTTP and gRPC callouts by cluster name; a callout to a
	// cluster not listed fails as in Envoy (no thread-local cluster).
	Clusters map[string]Cluster
	// Delivery says when callout answers reach the plugin.
	Delivery Delivery
	// NodeID and NodeCluster are the xds.node.id and xds.node.cluster
	// properties (bootstrap node); default "apiguard-test" and "apiguard".
	NodeID, NodeCluster string
	// NoVerifySignature removes the verify_signature foreign function, as
	// on Envoy before 1.30 and other proxies: calls answer NotFound.
	NoVerifySignature bool
	// VerifySignature, when set, answers verify_signature in place of the
	// emulator's faithful one (verifysig.Call): a test's lying or failing
	// host (verifysig.Faulty).
	VerifySignature func(args []byte) ([]byte, proxy.Status)
	// Env is the VM's environment, vm_config.environment_variables (the
	// values of host_env_keys and the key_values): every VM, native or
	// Wasm (WASI environ_get), sees these variables and no others.
	Env map[string]string
}

// environ returns Config.Env as sorted NAME=value entries.
func (e *Envoy) environ() []string {
	out := make([]string, 0, len(e.cfg.Env))
	for k, v := range e.cfg.Env {
		out = append(out, k+"="+v)
	}
	sort.Strings(out)
	return out
}

// Cluster is an upstream cluster the plugin can call out to. A nil function
// makes calls of that kind fail as a reset (HTTP) or Unavailable (gRPC).
// The functions are the emulator's only way out: it does no network I/O
// itself. A test answers in memory, or hands the call to a real server
// (package e2e/grpcupstream does so for gRPC).
type Cluster struct {
	HTTP func(HTTPRequest) (HTTPResponse, error)
	GRPC func(GRPCRequest) (GRPCResponse, error)
}

// ErrNoAnswer, returned by a Cluster function, leaves the callout
// unanswered: it stays pending until DeliverCallouts asks again or its
// timeout passes (a synthesized 504 for HTTP, Unavailable for gRPC).
var ErrNoAnswer = errors.New("host: upstream does not answer")

// CanaryVM is the VM index log lines of the canary VM carry.
const CanaryVM = -1

// LogLine is one line the plugin (or Envoy about the plugin) logged.
type LogLine struct {
	// VM is the worker index, or CanaryVM.
	VM    int
	Level proxy.LogLevel
	Msg   string
	// Envoy marks lines Envoy itself wrote (VM crashes), not the plugin.
	Envoy bool
}

// String formats the line for test failure output.
func (l LogLine) String() string {
	who := "plugin"
	if l.Envoy {
		who = "envoy"
	}
	return fmt.Sprintf("vm%d %s %s: %s", l.VM, who, levelName(l.Level), l.Msg)
}

func levelName(l proxy.LogLevel) string {
	names := [...]string{"trace", "debug", "info", "warn", "error", "critical"}
	if int(l) < len(names) {
		return names[l]
	}
	return fmt.Sprintf("level%d", l)
}

// Envoy is one emulated Envoy process: a canary VM that checked the plugin
// starts, Workers worker VMs, one shared-data store for the vm_id, one stats
// scope, one log. Separate Envoy values share nothing (two Envoys stand for
// two proxies of a fleet).
//
// Each VM must be driven by one goroutine at a time; different VMs may be
// driven concurrently. Advance and DeliverCallouts touch every VM and must
// not run concurrently with anything else.
type Envoy struct {
	cfg     Config
	clock   *Clock
	factory GuestFactory
	workers []*VM

	mu      sync.Mutex
	logs    []LogLine
	stats   map[string]*stat
	shared  map[string]sharedEntry
	nextCas uint32
	connSeq uint64
}

// RefusedError is New's error when the canary VM refused to start: Envoy
// rejects the configuration and logs what the plugin said.
type RefusedError struct {
	// Err says how the start failed (proxy_on_configure returned false, a
	// trap...).
	Err error
	// Log holds the canary VM's log lines, the plugin's and Envoy's.
	Log []LogLine
}

// Error carries the reason and every log line, for test failure output.
func (e *RefusedError) Error() string {
	lines := make([]string, len(e.Log))
	for i, l := range e.Log {
		lines[i] = l.String()
	}
	return fmt.Sprintf("host: plugin refuses to start: %v; log: [%s]", e.Err, strings.Join(lines, "; "))
}

// Unwrap returns Err.
func (e *RefusedError) Unwrap() error { return e.Err }

// PluginLines returns the messages the plugin logged at warning or above,
// as it wrote them: what an operator reads in Envoy's log. When the
// plugin logged none (a trap), it returns the start error.
func (e *RefusedError) PluginLines() []string {
	var out []string
	for _, l := range e.Log {
		if !l.Envoy && l.Level >= proxy.LogWarn {
			out = append(out, l.Msg)
		}
	}
	if len(out) == 0 {
		out = append(out, e.Err.Error())
	}
	return out
}

// New starts an Envoy the way Envoy loads a Wasm filter: a canary VM runs
// proxy_on_context_create(root, 0), proxy_on_vm_start and proxy_on_configure;
// if either returns false (or the guest traps) the configuration is rejected
// and New returns an error carrying the plugin's log lines. Then every worker
// VM is created and started the same way; a worker whose start fails is
// marked failed and its streams follow the failure policy.
func New(cfg Config, g GuestFactory) (*Envoy, error) {
	if cfg.Workers <= 0 {
		cfg.Workers = 1
	}
	if cfg.BufferLimit <= 0 {
		cfg.BufferLimit = DefaultBufferLimit
	}
	if cfg.Clock == nil {
		cfg.Clock = NewClock(DefaultStart)
	}
	if cfg.NodeID == "" {
		cfg.NodeID = "apiguard-test"
	}
	if cfg.NodeCluster == "" {
		cfg.NodeCluster = "apiguard"
	}
	e := &Envoy{
		cfg:     cfg,
		clock:   cfg.Clock,
		factory: g,
		stats:   map[string]*stat{},
		shared:  map[string]sharedEntry{},
		nextCas: 1,
	}
	canary := e.newVM(CanaryVM)
	if err := canary.start(); err != nil {
		refused := &RefusedError{Err: err}
		for _, l := range e.Logs() {
			if l.VM == CanaryVM {
				refused.Log = append(refused.Log, l)
			}
		}
		return nil, refused
	}
	// The canary is torn down after the check: its pending callouts and
	// timers die with it, and no proxy_on_done reaches it.
	canary.discard()
	for i := 0; i < cfg.Workers; i++ {
		vm := e.newVM(i)
		e.workers = append(e.workers, vm)
		if err := vm.start(); err != nil {
			vm.fail(err.Error())
		}
		vm.pump()
	}
	return e, nil
}

// Worker returns worker VM i (0-based).
func (e *Envoy) Worker(i int) *VM { return e.workers[i] }

// Workers returns all worker VMs.
func (e *Envoy) Workers() []*VM { return append([]*VM(nil), e.workers...) }

// Clock returns the Envoy's clock.
func (e *Envoy) Clock() *Clock { return e.clock }

// Config returns the configuration the Envoy runs with, defaults filled in.
func (e *Envoy) Config() Config { return e.cfg }

func (e *Envoy) log(l LogLine) {
	e.mu.Lock()
	e.logs = append(e.logs, l)
	e.mu.Unlock()
}

// Logs returns every line logged so far, in order.
func (e *Envoy) Logs() []LogLine {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]LogLine(nil), e.logs...)
}

// DrainLogs returns the lines captured so far and forgets them, so a
// long-running user of the emulator (the local proxy) keeps no history.
func (e *Envoy) DrainLogs() []LogLine {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := e.logs
	e.logs = nil
	return out
}

// LogsContaining returns the lines whose message contains substr.
func (e *Envoy) LogsContaining(substr string) []LogLine {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []LogLine
	for _, l := range e.logs {
		if strings.Contains(l.Msg, substr) {
			out = append(out, l)
		}
	}
	return out
}

// Advance moves the clock forward by d, firing in time order every tick
// (per VM, per root context, re-armed after each proxy_on_tick: fixed delay)
// and every callout timeout that falls due. Events at the same instant fire
// in VM order, timeouts before ticks.
func (e *Envoy) Advance(d time.Duration) {
	target := e.clock.Now().Add(d)
	for {
		var (
			best     *VM
			bestAt   time.Time
			bestTick bool
		)
		for _, vm := range e.workers {
			if at, ok := vm.nextTimeout(); ok && !at.After(target) && (best == nil || at.Before(bestAt)) {
				best, bestAt, bestTick = vm, at, false
			}
			if at, ok := vm.nextTickAt(); ok && !at.After(target) && (best == nil || at.Before(bestAt)) {
				best, bestAt, bestTick = vm, at, true
			}
		}
		if best == nil {
			break
		}
		e.clock.set(bestAt)
		if bestTick {
			best.fireTick()
		} else {
			best.fireTimeouts()
		}
		best.pump()
	}
	e.clock.set(target)
}

// DeliverCallouts asks the clusters to answer every pending callout of every
// worker and delivers the answers; it returns how many were delivered.
// Callouts whose cluster returns ErrNoAnswer stay pending.
func (e *Envoy) DeliverCallouts() int {
	n := 0
	for _, vm := range e.workers {
		n += vm.DeliverCallouts()
	}
	return n
}

func (e *Envoy) nextConnID() uint64 {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.connSeq++
	return e.connSeq
}

// sharedEntry is one shared-data value with its CAS.
type sharedEntry struct {
	value []byte
	cas   uint32
}

// getShared implements cpp-host SharedData::get for this Envoy's vm_id.
func (e *Envoy) getShared(key string) ([]byte, uint32, proxy.Status) {
	e.mu.Lock()
	defer e.mu.Unlock()
	ent, ok := e.shared[key]
	if !ok {
		return nil, 0, proxy.StatusNotFound
	}
	return append([]byte(nil), ent.value...), ent.cas, proxy.StatusOK
}

// setShared implements cpp-host SharedData::set: cas 0 is unconditional, a
// missing key accepts any cas, otherwise the cas must match; each success
// takes the next value of a counter that starts at 1 and skips 0.
func (e *Envoy) setShared(key string, value []byte, cas uint32) proxy.Status {
	e.mu.Lock()
	defer e.mu.Unlock()
	if ent, ok := e.shared[key]; ok && cas != 0 && cas != ent.cas {
		return proxy.StatusCasMismatch
	}
	next := e.nextCas
	e.nextCas++
	if e.nextCas == 0 {
		e.nextCas = 1
	}
	e.shared[key] = sharedEntry{value: append([]byte(nil), value...), cas: next}
	return proxy.StatusOK
}

// SharedData reads a shared-data key the way the plugin would.
func (e *Envoy) SharedData(key string) (value []byte, cas uint32, ok bool) {
	v, c, st := e.getShared(key)
	return v, c, st == proxy.StatusOK
}

// PutSharedData writes a key unconditionally, as another plugin sharing the
// vm_id would.
func (e *Envoy) PutSharedData(key string, value []byte) {
	e.setShared(key, value, 0)
}

// SharedDataKeys returns the keys stored so far, sorted.
func (e *Envoy) SharedDataKeys() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	keys := make([]string, 0, len(e.shared))
	for k := range e.shared {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
