package wasmguest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/apiguard/apiguard/filter/proxy"
)

// guestDir is where the test guests are built once per test binary (go's
// own build cache makes rebuilding an unchanged guest cheap).
func guestDir(t testing.TB) string {
	t.Helper()
	base, err := os.UserCacheDir()
	if err != nil {
		base = os.TempDir()
	}
	dir := filepath.Join(base, "apiguard", "wasmguest-testdata")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

var (
	buildMu     sync.Mutex // one go build at a time: 2 cores are shared
	buildOnce   = map[string]*builtGuest{}
	buildOnceMu sync.Mutex
)

type builtGuest struct {
	once sync.Once
	path string
	err  error
}

// buildWasm builds pkg (a directory, relative to this package) into
// name.wasm with the standard toolchain, once per test binary.
func buildWasm(t testing.TB, name, pkg string) string {
	t.Helper()
	buildOnceMu.Lock()
	g := buildOnce[name]
	if g == nil {
		g = &builtGuest{}
		buildOnce[name] = g
	}
	buildOnceMu.Unlock()
	g.once.Do(func() {
		buildMu.Lock()
		defer buildMu.Unlock()
		g.path = filepath.Join(guestDir(t), name+".wasm")
		cmd := exec.Command("go", "build", "-buildmode=c-shared", "-o", g.path, pkg)
		cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm")
		if out, err := cmd.CombinedOutput(); err != nil {
			g.err = fmt.Errorf("go build %s: %v\n%s", pkg, err, out)
		}
	})
	if g.err != nil {
		t.Fatal(g.err)
	}
	return g.path
}

// guest builds and compiles testdata/<name>.
func guest(t testing.TB, name string) *Module {
	t.Helper()
	m, err := CompileFile(buildWasm(t, name, "./testdata/"+name))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func guestBytes(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(buildWasm(t, name, "./testdata/"+name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

type logLine struct {
	level proxy.LogLevel
	msg   string
}

// fakeHost is a recording proxy.Host with just enough state to answer the
// test guests deterministically. It is not an Envoy emulator.
type fakeHost struct {
	now      int64
	logLevel proxy.LogLevel
	logs     []logLine
	calls    []string

	headers    map[proxy.MapType][]proxy.Pair
	properties map[string][]byte
	setProps   map[string]string
	shared     map[string]sharedEntry
	casSeq     uint32
	buffers    map[proxy.BufferType][]byte
	local      *localReply
	metrics    map[uint32]int64
	metricName map[uint32]string
	httpCalls  []string
	tick       uint32
}

type sharedEntry struct {
	val []byte
	cas uint32
}

type localReply struct {
	code    uint32
	details string
	body    string
	headers []proxy.Pair
	grpc    int32
}

func newFakeHost() *fakeHost {
	return &fakeHost{
		now:      1_700_000_000_123_456_789,
		logLevel: proxy.LogDebug,
		headers: map[proxy.MapType][]proxy.Pair{
			proxy.MapRequestHeaders: {
				{Key: ":path", Value: "/api/v1"},
				{Key: ":method", Value: "GET"},
				{Key: "x-empty", Value: ""},
			},
			proxy.MapRequestTrailers: {},
		},
		properties: map[string][]byte{
			"request.path": []byte("/api/v1"),
			"empty":        {},
		},
		setProps:   map[string]string{},
		shared:     map[string]sharedEntry{},
		buffers:    map[proxy.BufferType][]byte{proxy.BufferRequestBody: []byte("hello body")},
		metrics:    map[uint32]int64{},
		metricName: map[uint32]string{},
	}
}

func (h *fakeHost) record(format string, args ...any) {
	h.calls = append(h.calls, fmt.Sprintf(format, args...))
}

// guestLogs returns the Info messages (what the guests report with).
func (h *fakeHost) guestLogs() []string {
	var out []string
	for _, l := range h.logs {
		if l.level == proxy.LogInfo {
			out = append(out, l.msg)
		}
	}
	return out
}

func (h *fakeHost) resetLogs() { h.logs, h.calls = nil, nil }

func (h *fakeHost) Log(level proxy.LogLevel, msg string) proxy.Status {
	h.logs = append(h.logs, logLine{level, msg})
	return proxy.StatusOK
}

func (h *fakeHost) GetLogLevel() (proxy.LogLevel, proxy.Status) { return h.logLevel, proxy.StatusOK }

func (h *fakeHost) Now() int64 { return h.now }

func (h *fakeHost) Environ() []string { return nil }

func (h *fakeHost) SetTickPeriod(ms uint32) proxy.Status {
	h.tick = ms
	return proxy.StatusOK
}

func (h *fakeHost) GetProperty(path []string) ([]byte, proxy.Status) {
	v, ok := h.properties[strings.Join(path, ".")]
	if !ok {
		return nil, proxy.StatusNotFound
	}
	return v, proxy.StatusOK
}

func (h *fakeHost) SetProperty(path []string, value []byte) proxy.Status {
	h.setProps[strings.Join(path, ".")] = string(value)
	return proxy.StatusOK
}

func (h *fakeHost) SendLocalResponse(code uint32, details string, body []byte, headers []proxy.Pair, grpc int32) proxy.Status {
	h.local = &localReply{code, details, string(body), headers, grpc}
	return proxy.StatusOK
}

func (h *fakeHost) GetSharedData(key string) ([]byte, uint32, proxy.Status) {
	e, ok := h.shared[key]
	if !ok {
		return nil, 0, proxy.StatusNotFound
	}
	return e.val, e.cas, proxy.StatusOK
}

func (h *fakeHost) SetSharedData(key string, value []byte, cas uint32) proxy.Status {
	if e, ok := h.shared[key]; ok && cas != 0 && cas != e.cas {
		return proxy.StatusCasMismatch
	}
	h.casSeq++
	h.shared[key] = sharedEntry{value, h.casSeq}
	return proxy.StatusOK
}

func (h *fakeHost) mapFor(m proxy.MapType) ([]proxy.Pair, bool) {
	p, ok := h.headers[m]
	return p, ok
}

func (h *fakeHost) GetHeaderMapValue(m proxy.MapType, key string) (string, proxy.Status) {
	pairs, ok := h.mapFor(m)
	if !ok {
		return "", proxy.StatusBadArgument
	}
	for _, p := range pairs {
		if p.Key == key {
			return p.Value, proxy.StatusOK
		}
	}
	return "", proxy.StatusNotFound
}

func (h *fakeHost) GetHeaderMapPairs(m proxy.MapType) ([]proxy.Pair, proxy.Status) {
	pairs, ok := h.mapFor(m)
	if !ok {
		return nil, proxy.StatusBadArgument
	}
	return pairs, proxy.StatusOK
}

func (h *fakeHost) SetHeaderMapPairs(m proxy.MapType, pairs []proxy.Pair) proxy.Status {
	h.record("set_pairs %d %v", m, pairs)
	h.headers[m] = pairs
	return proxy.StatusOK
}

func (h *fakeHost) AddHeaderMapValue(m proxy.MapType, key, value string) proxy.Status {
	h.record("add %d %s=%s", m, key, value)
	return proxy.StatusOK
}

func (h *fakeHost) ReplaceHeaderMapValue(m proxy.MapType, key, value string) proxy.Status {
	h.record("replace %d %s=%s", m, key, value)
	return proxy.StatusOK
}

func (h *fakeHost) RemoveHeaderMapValue(m proxy.MapType, key string) proxy.Status {
	h.record("remove %d %s", m, key)
	return proxy.StatusOK
}

func (h *fakeHost) GetBufferStatus(b proxy.BufferType) (int, uint32, proxy.Status) {
	buf, ok := h.buffers[b]
	if !ok {
		return 0, 0, proxy.StatusNotFound
	}
	return len(buf), 0, proxy.StatusOK
}

func (h *fakeHost) GetBufferBytes(b proxy.BufferType, start, maxSize int) ([]byte, proxy.Status) {
	buf, ok := h.buffers[b]
	if !ok {
		return nil, proxy.StatusNotFound
	}
	if start > len(buf) {
		return nil, proxy.StatusBadArgument
	}
	end := min(start+maxSize, len(buf))
	return buf[start:end], proxy.StatusOK
}

func (h *fakeHost) SetBufferBytes(b proxy.BufferType, start, size int, data []byte) proxy.Status {
	h.record("set_buffer %d %d %d %s", b, start, size, data)
	h.buffers[b] = append([]byte(nil), data...)
	return proxy.StatusOK
}

func (h *fakeHost) ContinueStream(s proxy.StreamType) proxy.Status {
	h.record("continue %d", s)
	return proxy.StatusOK
}

func (h *fakeHost) CloseStream(s proxy.StreamType) proxy.Status {
	h.record("close %d", s)
	return proxy.StatusOK
}

func (h *fakeHost) HttpCall(cluster string, headers []proxy.Pair, body []byte, trailers []proxy.Pair, timeoutMs uint32) (uint32, proxy.Status) {
	h.httpCalls = append(h.httpCalls, fmt.Sprintf("%s %v body=%q trailers=%v timeout=%d", cluster, headers, body, trailers, timeoutMs))
	return uint32(len(h.httpCalls)) + 6, proxy.StatusOK
}

func (h *fakeHost) GrpcCall(service, serviceName, method string, md []proxy.Pair, msg []byte, timeoutMs uint32) (uint32, proxy.Status) {
	h.record("grpc %s %s %s %v %s %d", service, serviceName, method, md, msg, timeoutMs)
	return 77, proxy.StatusOK
}

func (h *fakeHost) GrpcCancel(token uint32) proxy.Status {
	h.record("grpc_cancel %d", token)
	return proxy.StatusOK
}

func (h *fakeHost) GrpcClose(token uint32) proxy.Status { return proxy.StatusOK }

func (h *fakeHost) GetStatus() (uint32, string, proxy.Status) {
	return uint32(proxy.StatusBrokenConnection), "reset", proxy.StatusOK
}

func (h *fakeHost) DefineMetric(t proxy.MetricType, name string) (uint32, proxy.Status) {
	id := uint32(len(h.metricName))*4 + 1
	h.metricName[id] = name
	return id, proxy.StatusOK
}

func (h *fakeHost) IncrementMetric(id uint32, delta int64) proxy.Status {
	h.record("inc %d %d", id, delta)
	h.metrics[id] += delta
	return proxy.StatusOK
}

func (h *fakeHost) RecordMetric(id uint32, value int64) proxy.Status {
	h.record("record %d %d", id, value)
	h.metrics[id] += value
	return proxy.StatusOK
}

func (h *fakeHost) GetMetric(id uint32) (uint64, proxy.Status) {
	return uint64(h.metrics[id]), proxy.StatusOK
}

func (h *fakeHost) SetEffectiveContext(id uint32) proxy.Status {
	h.record("effective %d", id)
	if id != 42 {
		return proxy.StatusBadArgument
	}
	return proxy.StatusOK
}

func (h *fakeHost) Done() proxy.Status { return proxy.StatusNotFound }

// CallForeignFunction knows three names: "echo" answers Ok with the
// arguments, "empty" Ok with nothing, "fail" BadArgument.
func (h *fakeHost) CallForeignFunction(name string, args []byte) ([]byte, proxy.Status) {
	h.record("foreign %s %q", name, args)
	switch name {
	case "echo":
		return append([]byte(nil), args...), proxy.StatusOK
	case "empty":
		return nil, proxy.StatusOK
	case "fail":
		return nil, proxy.StatusBadArgument
	}
	return nil, proxy.StatusNotFound
}

// newVM makes one VM of the hostcalls guest.
func newVM(t testing.TB, o Options) (*vm, *fakeHost) {
	t.Helper()
	h := newFakeHost()
	hd, err := guest(t, "hostcalls").Factory(o)(h)
	if err != nil {
		t.Fatal(err)
	}
	v := hd.(*vm)
	t.Cleanup(func() { _ = v.Close() })
	return v, h
}

// trapOf runs f and returns the *TrapError it panicked with, or nil.
func trapOf(f func()) (te *TrapError) {
	defer func() {
		if r := recover(); r != nil {
			var ok bool
			if te, ok = r.(*TrapError); !ok {
				panic(r)
			}
		}
	}()
	f()
	return nil
}
