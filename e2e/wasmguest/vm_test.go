package wasmguest

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"runtime"
	"strings"
	"testing"

	"github.com/apiguard/apiguard/filter/proxy"
)

// Scenario numbers of testdata/hostcalls (proxy_on_request_headers' second
// argument).
const (
	scHeader = 1 + iota
	scPairs
	scProperty
	scLocalResponse
	scSharedData
	scBody
	scHTTPCall
	scMetric
	scTime
	scLogLevel
	scBadPointer
	scEmpty
	scForeign
	scPanic
	scSleep
	scStdio
	scEnv
	scAllocTrap
	scStatus
	scMapSize
	scEffective
	scStreams
	scTick
	scBench
	scGrpc
	scQueue
	scOOM
)

// TestGuest_scenarioNumbersMatchGuest keeps the constants above and the guest's own copy
// (testdata/hostcalls is a separate program) the same list in the same
// order, so a scenario number means the same thing on both sides.
func TestGuest_scenarioNumbersMatchGuest(t *testing.T) {
	block := regexp.MustCompile(`(?s)const \(\n\tscHeader = 1 \+ iota\n.*?\n\)`)
	mine, err := os.ReadFile("vm_test.go")
	if err != nil {
		t.Fatal(err)
	}
	guest, err := os.ReadFile(filepath.Join("testdata", "hostcalls", "main.go"))
	if err != nil {
		t.Fatal(err)
	}
	m, g := block.Find(mine), block.Find(guest)
	if m == nil || g == nil || !bytes.Equal(m, g) {
		t.Errorf("the scenario constants differ:\nvm_test.go:\n%s\ntestdata/hostcalls/main.go:\n%s", m, g)
	}
}

func TestVM_Hostcalls(t *testing.T) {
	tests := []struct {
		name       string
		scenario   int
		opts       Options
		wantLogs   []string
		wantCalls  []string
		wantAction proxy.Action
		check      func(t *testing.T, h *fakeHost)
	}{
		{
			name:     "header value",
			scenario: scHeader,
			wantLogs: []string{"path=/api/v1 st=0", "missing st=1", "badmap st=2"},
		},
		{
			name:     "header pairs",
			scenario: scPairs,
			wantLogs: []string{
				"pairs=:path=/api/v1,:method=GET,x-empty= st=0",
				"set st=0", "setbad st=0", "add st=0", "replace st=0", "remove st=0",
			},
			// A malformed serialization becomes an empty map, like
			// cpp-host's toPairs.
			wantCalls: []string{
				"set_pairs 2 [{a 1} {b 2}]", "set_pairs 3 []",
				"add 0 x-add=y", "replace 0 x-rep=z", "remove 0 x-del",
			},
		},
		{
			name:     "property",
			scenario: scProperty,
			wantLogs: []string{"prop=/api/v1 st=0", "set st=0", "missing st=1"},
			check: func(t *testing.T, h *fakeHost) {
				if got := h.setProps["wasm.k"]; got != "v" {
					t.Errorf("set property wasm.k = %q, want v", got)
				}
			},
		},
		{
			name:       "local response",
			scenario:   scLocalResponse,
			wantLogs:   []string{"st=0"},
			wantAction: proxy.StopIteration,
			check: func(t *testing.T, h *fakeHost) {
				want := &localReply{403, "jwt_denied", "nope",
					[]proxy.Pair{{Key: "www-authenticate", Value: "Bearer"}, {Key: "x-two", Value: "2"}}, -1}
				if !reflect.DeepEqual(h.local, want) {
					t.Errorf("local reply = %+v, want %+v", h.local, want)
				}
			},
		},
		{
			name:     "shared data and cas",
			scenario: scSharedData,
			wantLogs: []string{"get0 st=1", "set1 st=0", "get1=v1 cas=1 st=0", "set2 st=8"},
		},
		{
			name:      "body buffer",
			scenario:  scBody,
			wantLogs:  []string{"len=10 flags=0 st=0", "bytes=llo body st=0", "overflow st=2", "set st=0", "badtype st=2"},
			wantCalls: []string{"set_buffer 0 0 10 replaced"},
		},
		{
			name:     "http call",
			scenario: scHTTPCall,
			wantLogs: []string{"token=7 st=0"},
			check: func(t *testing.T, h *fakeHost) {
				want := []string{`idp_cluster [{:method GET} {:path /jwks} {:authority idp}] body="" trailers=[] timeout=1500`}
				if !reflect.DeepEqual(h.httpCalls, want) {
					t.Errorf("http calls = %q, want %q", h.httpCalls, want)
				}
			},
		},
		{
			name:      "metrics carry i64",
			scenario:  scMetric,
			wantLogs:  []string{"define id=1 st=0", "inc st=0", "rec st=0", "get=1099511627769 st=0", "badtype st=2"},
			wantCalls: []string{"inc 1 1099511627776", "record 1 -7"},
		},
		{
			name:     "one clock for proxy and wasi",
			scenario: scTime,
			wantLogs: []string{"proxy=1700000000123456789 st=0", "wasi=1700000000123456789"},
		},
		{
			name:     "log level",
			scenario: scLogLevel,
			wantLogs: []string{"level=1 st=0", "badlevel st=2"},
		},
		{
			name:     "bad pointer",
			scenario: scBadPointer,
			wantLogs: []string{"st=6"},
		},
		{
			name:     "empty results skip malloc",
			scenario: scEmpty,
			wantLogs: []string{
				"hdr nil=true len=0 st=0 allocs=0",
				"prop nil=true len=0 st=0 allocs=0",
				"pairs nil=true len=0 st=0 allocs=0",
				"nonempty allocs=1 /api/v1",
				"alloc0 nil=false",
			},
		},
		{
			name:     "foreign function",
			scenario: scForeign,
			wantLogs: []string{
				"st=1",
				`echo st=0 len=2 nil=false allocs=1 res="\b\x01"`,
				`empty st=0 len=0 nil=false allocs=1 res=""`,
				`fail st=2 len=0 nil=true allocs=0 res=""`,
			},
			wantCalls: []string{`foreign clear_route_cache ""`, `foreign echo "\b\x01"`, `foreign empty "\b\x01"`, `foreign fail "\b\x01"`},
		},
		{
			name:     "env",
			scenario: scEnv,
			opts:     Options{Env: map[string]string{"APIGUARD_TEST": "yes", "OTHER": "x"}},
			wantLogs: []string{"env=yes"},
		},
		{
			name:     "get status",
			scenario: scStatus,
			wantLogs: []string{"code=11 msg=reset st=0"},
		},
		{
			name:     "header map size is byteSize",
			scenario: scMapSize,
			// ":path"+"/api/v1" + ":method"+"GET" + "x-empty"+"".
			wantLogs: []string{"size=29 st=0"},
		},
		{
			name:      "effective context and done",
			scenario:  scEffective,
			wantLogs:  []string{"eff st=0", "done st=1"},
			wantCalls: []string{"effective 42"},
		},
		{
			name:      "streams",
			scenario:  scStreams,
			wantLogs:  []string{"cont st=0", "close st=0", "bad st=2"},
			wantCalls: []string{"continue 0", "close 1"},
		},
		{
			name:     "tick period",
			scenario: scTick,
			wantLogs: []string{"tick st=0"},
			check: func(t *testing.T, h *fakeHost) {
				if h.tick != 250 {
					t.Errorf("tick period = %d, want 250", h.tick)
				}
			},
		},
		{
			name:      "grpc",
			scenario:  scGrpc,
			wantLogs:  []string{"token=77 st=0", "cancel st=0"},
			wantCalls: []string{"grpc grpc_cluster pkg.Svc Check [] msg 100", "grpc_cancel 77"},
		},
		{
			name:     "shared queue unimplemented",
			scenario: scQueue,
			wantLogs: []string{"st=12"},
		},
		{
			name:     "sleep advances the monotonic clock under Envoy139",
			scenario: scSleep,
			opts:     Options{Profile: Envoy139},
			wantLogs: []string{"slept"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v, h := newVM(t, tc.opts)
			h.resetLogs()
			got := v.OnRequestHeaders(1, tc.scenario, true)
			if got != tc.wantAction {
				t.Errorf("action = %d, want %d", got, tc.wantAction)
			}
			if logs := h.guestLogs(); !reflect.DeepEqual(logs, tc.wantLogs) {
				t.Errorf("logs = %q\nwant   %q", logs, tc.wantLogs)
			}
			if !reflect.DeepEqual(h.calls, tc.wantCalls) {
				t.Errorf("calls = %q\nwant    %q", h.calls, tc.wantCalls)
			}
			if tc.check != nil {
				tc.check(t, h)
			}
		})
	}
}

func TestVM_Callbacks(t *testing.T) {
	v, h := newVM(t, Options{})
	h.buffers[proxy.BufferPluginConfiguration] = []byte(`{"ok":true}`)

	type step struct {
		name     string
		call     func() any
		want     any
		wantLogs []string
	}
	steps := []step{
		{"vm start", func() any { return v.OnVMStart(1, 0) }, true, nil},
		{"vm start refused", func() any { return v.OnVMStart(1, 13) }, false, nil},
		{"configure", func() any { return v.OnConfigure(1, 11) }, true, []string{`configure 1 {"ok":true}`}},
		{"context create", func() any { v.OnContextCreate(2, 1); return nil }, nil, []string{"create 2 1"}},
		{"request body buffers", func() any { return v.OnRequestBody(2, 5, false) }, proxy.StopIterationAndBuffer, []string{"reqbody 5 0"}},
		{"request body end", func() any { return v.OnRequestBody(2, 9, true) }, proxy.Continue, []string{"reqbody 9 1"}},
		{"request trailers", func() any { return v.OnRequestTrailers(2, 2) }, proxy.Action(2), nil},
		{"response headers", func() any { return v.OnResponseHeaders(2, 3, false) }, proxy.StopAllIterationAndWatermark, nil},
		{"response body", func() any { return v.OnResponseBody(2, 3, true) }, proxy.StopIterationNoBuffer, nil},
		{"response trailers", func() any { return v.OnResponseTrailers(2, 1) }, proxy.Action(2), nil},
		{"http call response", func() any { v.OnHttpCallResponse(1, 7, 3, 120, 0); return nil }, nil, []string{"httpresp 1 7 3 120 0"}},
		{"grpc initial", func() any { v.OnGrpcReceiveInitialMetadata(1, 77, 2); return nil }, nil, []string{"grpcinit 1 77 2"}},
		{"grpc receive", func() any { v.OnGrpcReceive(1, 77, 40); return nil }, nil, []string{"grpcrecv 1 77 40"}},
		{"grpc trailing", func() any { v.OnGrpcReceiveTrailingMetadata(1, 77, 1); return nil }, nil, []string{"grpctrl 1 77 1"}},
		{"grpc close", func() any { v.OnGrpcClose(1, 77, 14); return nil }, nil, []string{"grpcclose 1 77 14"}},
		{"tick", func() any { v.OnTick(1); return nil }, nil, []string{"tick 1"}},
		{"log", func() any { v.OnLog(2); return nil }, nil, []string{"log 2"}},
		{"done true", func() any { return v.OnDone(2) }, true, nil},
		{"done false", func() any { return v.OnDone(3) }, false, nil},
		{"delete", func() any { v.OnDelete(2); return nil }, nil, []string{"delete 2"}},
	}
	for _, s := range steps {
		h.resetLogs()
		if got := s.call(); got != s.want {
			t.Errorf("%s: got %v, want %v", s.name, got, s.want)
		}
		if logs := h.guestLogs(); !reflect.DeepEqual(logs, s.wantLogs) {
			t.Errorf("%s: logs = %q, want %q", s.name, logs, s.wantLogs)
		}
	}
}

// TestVM_MissingCallbacks: a module without the optional callbacks gets
// cpp-host's defaults.
func TestVM_MissingCallbacks(t *testing.T) {
	h := newFakeHost()
	hd, err := guest(t, "mallocorder").Factory(Options{})(h)
	if err != nil {
		t.Fatal(err)
	}
	if !hd.OnVMStart(1, 0) || !hd.OnConfigure(1, 0) || !hd.OnDone(2) {
		t.Error("missing start/configure/done must answer true")
	}
	if got := hd.OnResponseHeaders(2, 1, true); got != proxy.Continue {
		t.Errorf("missing response headers callback = %d, want Continue", got)
	}
	hd.OnTick(1) // not exported: nothing happens
	if len(h.guestLogs()) != 0 {
		t.Errorf("unexpected guest logs %q", h.guestLogs())
	}
}

func TestVM_MallocOrder(t *testing.T) {
	h := newFakeHost()
	hd, err := guest(t, "mallocorder").Factory(Options{})(h)
	if err != nil {
		t.Fatal(err)
	}
	hd.OnRequestHeaders(1, 0, true)
	want := []string{"value=/api/v1 malloc=1 proxy_on_memory_allocate=0"}
	if logs := h.guestLogs(); !reflect.DeepEqual(logs, want) {
		t.Errorf("logs = %q, want %q (cpp-host prefers malloc)", logs, want)
	}
}

func TestVM_Stdio(t *testing.T) {
	v, h := newVM(t, Options{})
	h.resetLogs()
	v.OnRequestHeaders(1, scStdio, true)
	want := []logLine{
		{proxy.LogInfo, "to stdout"},
		{proxy.LogError, "to stderr"},
		{proxy.LogInfo, "no newline"},
	}
	if !reflect.DeepEqual(h.logs, want) {
		t.Errorf("logs = %+v, want %+v", h.logs, want)
	}
}

func TestVM_Traps(t *testing.T) {
	tests := []struct {
		name     string
		opts     Options
		scenario int
		wantMsg  []string
	}{
		{"go panic", Options{}, scPanic, []string{"wasm error: unreachable", "panic: boom"}},
		{"poll_oneoff under Envoy133", Options{Profile: Envoy133}, scSleep,
			[]string{"fatal error: poll_oneoff failed", "errno= 52"}},
		{"hostcall inside malloc", Options{}, scAllocTrap,
			[]string{"in proxy_on_memory_allocate", "restricted_callback: env.proxy_get_header_map_value"}},
		{"hostcall inside malloc under Envoy133", Options{Profile: Envoy133}, scAllocTrap,
			[]string{"in proxy_on_memory_allocate", "restricted_callback: env.proxy_get_header_map_value"}},
		{"memory exhausted", Options{}, scOOM, []string{"out of memory"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v, _ := newVM(t, tc.opts)
			te := trapOf(func() { v.OnRequestHeaders(1, tc.scenario, true) })
			if te == nil {
				t.Fatal("no trap")
			}
			if te.Export != "proxy_on_request_headers" {
				t.Errorf("Export = %q", te.Export)
			}
			for _, w := range tc.wantMsg {
				if !strings.Contains(te.Msg, w) {
					t.Errorf("Msg %q does not contain %q", te.Msg, w)
				}
			}
			// The VM is poisoned: every later call, exported or not,
			// panics with the same error.
			again := trapOf(func() { v.OnTick(1) })
			if again != te {
				t.Errorf("second call: got %v, want the first trap", again)
			}
			if again := trapOf(func() { v.OnResponseHeaders(2, 0, true) }); again != te {
				t.Errorf("third call: got %v, want the first trap", again)
			}
		})
	}
}

func TestFactory_Initialize(t *testing.T) {
	tests := []struct {
		name     string
		opts     Options
		wantTrap string // substring of TrapError.Msg; "" = success
		wantLog  string // Info log expected when successful
	}{
		{"proxy_log allowed", Options{Env: map[string]string{"GUEST_INIT": "log"}}, "", "init log"},
		{"fd_write allowed", Options{Env: map[string]string{"GUEST_INIT": "stdout"}}, "", "init stdout"},
		{"header read restricted", Options{Env: map[string]string{"GUEST_INIT": "header"}},
			"restricted_callback: env.proxy_get_header_map_value", ""},
		{"header read restricted under Envoy133", Options{Profile: Envoy133, Env: map[string]string{"GUEST_INIT": "header"}},
			"restricted_callback: env.proxy_get_header_map_value", ""},
		{"timer allowed under Envoy139", Options{Env: map[string]string{"GUEST_INIT": "sleep"}}, "", ""},
		{"timer restricted under Envoy133", Options{Profile: Envoy133, Env: map[string]string{"GUEST_INIT": "sleep"}},
			"restricted_callback: wasi_snapshot_preview1.poll_oneoff", ""},
	}
	m := guest(t, "hostcalls")
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newFakeHost()
			hd, err := m.Factory(tc.opts)(h)
			if tc.wantTrap != "" {
				var te *TrapError
				if !errors.As(err, &te) {
					t.Fatalf("err = %v, want a *TrapError", err)
				}
				if te.Export != "_initialize" || !strings.Contains(te.Msg, tc.wantTrap) {
					t.Errorf("trap = %+v, want _initialize with %q", te, tc.wantTrap)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer hd.(*vm).Close()
			if tc.wantLog != "" && !reflect.DeepEqual(h.guestLogs(), []string{tc.wantLog}) {
				t.Errorf("logs = %q, want [%q]", h.guestLogs(), tc.wantLog)
			}
			// The window is closed after _initialize: any hostcall works.
			h.resetLogs()
			hd.OnRequestHeaders(1, scHeader, true)
			if len(h.guestLogs()) != 3 {
				t.Errorf("after init: logs = %q", h.guestLogs())
			}
		})
	}
}

func TestFactory_LoadErrors(t *testing.T) {
	tests := []struct {
		name    string
		guest   string
		opts    Options
		wantErr []string
	}{
		{"0_2_0 importing get_log_level", "abi020", Options{},
			[]string{"missing import: env.proxy_get_log_level"}},
		{"bad callback signatures", "badsig", Options{},
			[]string{"Bad function signature for: proxy_on_request_headers", "Bad function signature for: proxy_on_done"}},
		{"533-only WASI under Envoy133", "fileio", Options{Profile: Envoy133},
			[]string{"missing import: wasi_snapshot_preview1.fd_filestat_get"}},
		{"unknown profile", "hostcalls", Options{Profile: Profile(7)}, []string{"unknown profile"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := guest(t, tc.guest).Factory(tc.opts)(newFakeHost())
			if err == nil {
				t.Fatal("factory succeeded")
			}
			var te *TrapError
			if errors.As(err, &te) {
				t.Errorf("load error reported as a trap: %v", err)
			}
			for _, w := range tc.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
	t.Run("533-only WASI under Envoy139 loads", func(t *testing.T) {
		hd, err := guest(t, "fileio").Factory(Options{Profile: Envoy139})(newFakeHost())
		if err != nil {
			t.Fatal(err)
		}
		// No preopens: the read fails cleanly instead of trapping.
		if got := hd.OnRequestHeaders(1, 0, true); got != 1 {
			t.Errorf("action = %d, want 1 (read failed)", got)
		}
	})
}

func TestGuest_compile(t *testing.T) {
	if _, err := Compile(t.Context(), []byte("\x00asm\x01\x00\x00\x00garbage")); err == nil {
		t.Error("garbage compiled")
	}
	b := guestBytes(t, "mallocorder")
	m1, err := Compile(t.Context(), b)
	if err != nil {
		t.Fatal(err)
	}
	m2, err := Compile(t.Context(), append([]byte(nil), b...))
	if err != nil {
		t.Fatal(err)
	}
	if m1 != m2 {
		t.Error("same bytes compiled twice")
	}
	if _, err := CompileFile("testdata/does-not-exist.wasm"); err == nil {
		t.Error("missing file compiled")
	}
}

// TestVM_Isolation: each factory call is its own instance and memory.
func TestVM_Isolation(t *testing.T) {
	m := guest(t, "hostcalls")
	f := m.Factory(Options{})
	h1, h2 := newFakeHost(), newFakeHost()
	a, err := f(h1)
	if err != nil {
		t.Fatal(err)
	}
	b, err := f(h2)
	if err != nil {
		t.Fatal(err)
	}
	defer a.(*vm).Close()
	defer b.(*vm).Close()
	if trapOf(func() { a.OnRequestHeaders(1, scPanic, true) }) == nil {
		t.Fatal("no trap")
	}
	h2.resetLogs()
	b.OnRequestHeaders(1, scHeader, true)
	if len(h2.guestLogs()) != 3 {
		t.Errorf("second VM affected by the first one's trap: logs %q", h2.guestLogs())
	}
	if len(h1.guestLogs()) != 0 {
		t.Errorf("first VM's host saw the second VM's logs: %q", h1.guestLogs())
	}
}

// TestVM_Parallel: distinct VMs of one Module may run on different
// goroutines at once (Envoy workers); run with -race.
func TestVM_Parallel(t *testing.T) {
	m := guest(t, "hostcalls")
	f := m.Factory(Options{})
	errs := make(chan string, 2)
	for g := 0; g < 2; g++ {
		go func() {
			h := newFakeHost()
			hd, err := f(h)
			if err != nil {
				errs <- err.Error()
				return
			}
			defer hd.(*vm).Close()
			for i := 0; i < 50; i++ {
				h.resetLogs()
				hd.OnRequestHeaders(1, scHeader, true)
				if logs := h.guestLogs(); len(logs) != 3 || logs[0] != "path=/api/v1 st=0" {
					errs <- strings.Join(logs, "|")
					return
				}
			}
			errs <- ""
		}()
	}
	for g := 0; g < 2; g++ {
		if e := <-errs; e != "" {
			t.Error(e)
		}
	}
}

// TestVM_ReleasedWhenUnreachable: a VM the emulator drops without Close
// is released (its instance closed) by a cleanup.
func TestVM_ReleasedWhenUnreachable(t *testing.T) {
	m := guest(t, "hostcalls")
	name := func() string {
		hd, err := m.Factory(Options{})(newFakeHost())
		if err != nil {
			t.Fatal(err)
		}
		return hd.(*vm).inst.Name()
	}()
	if m.rt.Module(name) == nil {
		t.Fatal("instance not registered")
	}
	for i := 0; i < 200 && m.rt.Module(name) != nil; i++ {
		runtime.GC()
		runtime.Gosched()
	}
	if m.rt.Module(name) != nil {
		t.Error("unreachable VM still instantiated")
	}
}
