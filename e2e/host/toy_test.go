package host

import (
	"fmt"
	"strings"

	"github.com/apiguard/apiguard/filter/proxy"
)

// toy is a scripted native guest: each callback records an event and runs
// the function the test set, if any. Defaults: Continue, true.
type toy struct {
	h      proxy.Host
	events []string

	vmStart     func(t *toy) bool
	configure   func(t *toy) bool
	ctxCreate   func(t *toy, id, parent uint32)
	reqHeaders  func(t *toy, id uint32, n int, eos bool) proxy.Action
	reqBody     func(t *toy, id uint32, size int, eos bool) proxy.Action
	reqTrailers func(t *toy, id uint32, n int) proxy.Action
	resHeaders  func(t *toy, id uint32, n int, eos bool) proxy.Action
	resBody     func(t *toy, id uint32, size int, eos bool) proxy.Action
	resTrailers func(t *toy, id uint32, n int) proxy.Action
	httpResp    func(t *toy, root, token uint32, nh, size, nt int)
	grpcRecv    func(t *toy, root, token uint32, size int)
	grpcClose   func(t *toy, root, token, status uint32)
	tick        func(t *toy, root uint32)
	onLog       func(t *toy, id uint32)
	onDone      func(t *toy, id uint32)
}

func (t *toy) ev(format string, args ...any) {
	t.events = append(t.events, fmt.Sprintf(format, args...))
}

func (t *toy) evs() string { return strings.Join(t.events, " ") }

func (t *toy) OnVMStart(root uint32, n int) bool {
	t.ev("vm_start(%d,%d)", root, n)
	if t.vmStart != nil {
		return t.vmStart(t)
	}
	return true
}

func (t *toy) OnConfigure(root uint32, n int) bool {
	t.ev("configure(%d,%d)", root, n)
	if t.configure != nil {
		return t.configure(t)
	}
	return true
}

func (t *toy) OnContextCreate(id, parent uint32) {
	t.ev("create(%d,%d)", id, parent)
	if t.ctxCreate != nil {
		t.ctxCreate(t, id, parent)
	}
}

func (t *toy) OnRequestHeaders(id uint32, n int, eos bool) proxy.Action {
	t.ev("req_headers(%d,%t)", id, eos)
	if t.reqHeaders != nil {
		return t.reqHeaders(t, id, n, eos)
	}
	return proxy.Continue
}

func (t *toy) OnRequestBody(id uint32, size int, eos bool) proxy.Action {
	t.ev("req_body(%d,%d,%t)", id, size, eos)
	if t.reqBody != nil {
		return t.reqBody(t, id, size, eos)
	}
	return proxy.Continue
}

func (t *toy) OnRequestTrailers(id uint32, n int) proxy.Action {
	t.ev("req_trailers(%d,%d)", id, n)
	if t.reqTrailers != nil {
		return t.reqTrailers(t, id, n)
	}
	return proxy.Continue
}

func (t *toy) OnResponseHeaders(id uint32, n int, eos bool) proxy.Action {
	t.ev("resp_headers(%d,%t)", id, eos)
	if t.resHeaders != nil {
		return t.resHeaders(t, id, n, eos)
	}
	return proxy.Continue
}

func (t *toy) OnResponseBody(id uint32, size int, eos bool) proxy.Action {
	t.ev("resp_body(%d,%d,%t)", id, size, eos)
	if t.resBody != nil {
		return t.resBody(t, id, size, eos)
	}
	return proxy.Continue
}

func (t *toy) OnResponseTrailers(id uint32, n int) proxy.Action {
	t.ev("resp_trailers(%d,%d)", id, n)
	if t.resTrailers != nil {
		return t.resTrailers(t, id, n)
	}
	return proxy.Continue
}

func (t *toy) OnHttpCallResponse(root, token uint32, nh, size, nt int) {
	t.ev("http_resp(%d,%d,%d,%d,%d)", root, token, nh, size, nt)
	if t.httpResp != nil {
		t.httpResp(t, root, token, nh, size, nt)
	}
}

func (t *toy) OnGrpcReceiveInitialMetadata(id, token uint32, n int) {
	t.ev("grpc_initial(%d,%d,%d)", id, token, n)
}

func (t *toy) OnGrpcReceive(id, token uint32, size int) {
	t.ev("grpc_recv(%d,%d,%d)", id, token, size)
	if t.grpcRecv != nil {
		t.grpcRecv(t, id, token, size)
	}
}

func (t *toy) OnGrpcReceiveTrailingMetadata(id, token uint32, n int) {
	t.ev("grpc_trailing(%d,%d,%d)", id, token, n)
}

func (t *toy) OnGrpcClose(id, token uint32, status uint32) {
	t.ev("grpc_close(%d,%d,%d)", id, token, status)
	if t.grpcClose != nil {
		t.grpcClose(t, id, token, status)
	}
}

func (t *toy) OnTick(root uint32) {
	t.ev("tick(%d)", root)
	if t.tick != nil {
		t.tick(t, root)
	}
}

func (t *toy) OnLog(id uint32) {
	t.ev("log(%d)", id)
	if t.onLog != nil {
		t.onLog(t, id)
	}
}

func (t *toy) OnDone(id uint32) bool {
	t.ev("done(%d)", id)
	if t.onDone != nil {
		t.onDone(t, id)
	}
	return true
}

func (t *toy) OnDelete(id uint32) { t.ev("delete(%d)", id) }

// toys builds a GuestFactory whose guests are configured by setup; the
// guests are kept in creation order (canary first, then the workers).
type toys struct {
	all   []*toy
	setup func(*toy)
}

func (ts *toys) factory(h proxy.Host) (proxy.Handler, error) {
	t := &toy{h: h}
	if ts.setup != nil {
		ts.setup(t)
	}
	ts.all = append(ts.all, t)
	return t, nil
}

// worker returns the guest of worker i (index 0 is the canary).
func (ts *toys) worker(i int) *toy { return ts.all[i+1] }

func hdrs(kv ...string) []proxy.Pair {
	ps := make([]proxy.Pair, 0, len(kv)/2)
	for i := 0; i+1 < len(kv); i += 2 {
		ps = append(ps, proxy.Pair{Key: kv[i], Value: kv[i+1]})
	}
	return ps
}

func reqHdrs(extra ...string) []proxy.Pair {
	return append(hdrs(":method", "POST", ":scheme", "http", ":authority", "api.example.com", ":path", "/things"), hdrs(extra...)...)
}
