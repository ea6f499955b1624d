package host

import (
	"strings"
	"unicode"

	"github.com/apiguard/apiguard/e2e/host/verifysig"
	"github.com/apiguard/apiguard/filter/proxy"
)

// hostAPI is a VM seen through proxy.Host: what the plugin may ask of
// Envoy. Every method acts on the effective context of the VM call in
// progress; outside any call (guest initialisation) only Log, GetLogLevel
// and Now work, the rest fail and leave an Envoy log line, because V8 would
// trap them (restricted_callback).
type hostAPI VM

var _ proxy.Host = (*hostAPI)(nil)

func (h *hostAPI) vm() *VM { return (*VM)(h) }

// restricted reports a hostcall made outside any VM callback.
func (h *hostAPI) restricted(name string) bool {
	vm := h.vm()
	if vm.inCall {
		return false
	}
	vm.env.log(LogLine{VM: vm.index, Level: proxy.LogWarn, Envoy: true,
		Msg: "restricted_callback: " + name + " called outside a callback (V8 traps this during _initialize)"})
	return true
}

// Log implements proxy.Host.
func (h *hostAPI) Log(level proxy.LogLevel, msg string) proxy.Status {
	if level > proxy.LogCritical {
		return proxy.StatusBadArgument
	}
	vm := h.vm()
	vm.env.log(LogLine{VM: vm.index, Level: level, Msg: msg})
	return proxy.StatusOK
}

// GetLogLevel implements proxy.Host.
func (h *hostAPI) GetLogLevel() (proxy.LogLevel, proxy.Status) {
	return h.vm().env.cfg.LogLevel, proxy.StatusOK
}

// Environ implements proxy.Host: Config.Env, sorted, as Envoy hands
// vm_config.environment_variables to WASI.
func (h *hostAPI) Environ() []string { return h.vm().env.environ() }

// Now implements proxy.Host.
func (h *hostAPI) Now() int64 { return h.vm().env.clock.Now().UnixNano() }

// SetTickPeriod implements proxy.Host: the period belongs to the root
// context of the effective context.
func (h *hostAPI) SetTickPeriod(ms uint32) proxy.Status {
	if h.restricted("proxy_set_tick_period_milliseconds") {
		return proxy.StatusBadArgument
	}
	vm := h.vm()
	vm.setTickPeriod(vm.currentRoot(), ms)
	return proxy.StatusOK
}

// GetProperty implements proxy.Host.
func (h *hostAPI) GetProperty(path []string) ([]byte, proxy.Status) {
	if h.restricted("proxy_get_property") {
		return nil, proxy.StatusNotFound
	}
	s, _ := h.vm().effective()
	return h.vm().property(s, path)
}

// SetProperty implements proxy.Host: it writes filter state "wasm.<path>"
// of the stream; NotFound without a stream.
func (h *hostAPI) SetProperty(path []string, value []byte) proxy.Status {
	if h.restricted("proxy_set_property") {
		return proxy.StatusNotFound
	}
	s, _ := h.vm().effective()
	if s == nil || s.ended {
		return proxy.StatusNotFound
	}
	if s.filterState == nil {
		s.filterState = map[string][]byte{}
	}
	s.filterState[string(proxy.EncodePath(path))] = clone(value)
	return proxy.StatusOK
}

// SendLocalResponse implements proxy.Host. The reply is sent after the VM
// call returns and the callback's result is forced to stop.
func (h *hostAPI) SendLocalResponse(code uint32, details string, body []byte, headers []proxy.Pair, grpcStatus int32) proxy.Status {
	if h.restricted("proxy_send_local_response") {
		return proxy.StatusBadArgument
	}
	vm := h.vm()
	s, _ := vm.effective()
	vm.stopNext = true
	if s == nil {
		return proxy.StatusOK // a root context has no decoder callbacks: no-op
	}
	body, headers = clone(body), clonePairs(headers)
	details = strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return '_'
		}
		return r
	}, details)
	vm.queue(func() { s.localReply(int(code), body, headers, int64(grpcStatus), details) })
	return proxy.StatusOK
}

// GetSharedData implements proxy.Host.
func (h *hostAPI) GetSharedData(key string) ([]byte, uint32, proxy.Status) {
	if h.restricted("proxy_get_shared_data") {
		return nil, 0, proxy.StatusNotFound
	}
	return h.vm().env.getShared(key)
}

// SetSharedData implements proxy.Host.
func (h *hostAPI) SetSharedData(key string, value []byte, cas uint32) proxy.Status {
	if h.restricted("proxy_set_shared_data") {
		return proxy.StatusBadArgument
	}
	return h.vm().env.setShared(key, value, cas)
}

// constMap is Envoy Context::getConstMap. The status is the one
// get_header_map_value returns when the map is missing.
func (h *hostAPI) constMap(m proxy.MapType) ([]proxy.Pair, proxy.Status) {
	vm := h.vm()
	s, _ := vm.effective()
	switch m {
	case proxy.MapHttpCallResponseHeaders:
		if vm.httpResp != nil {
			return vm.httpResp.Headers, proxy.StatusOK
		}
	case proxy.MapHttpCallResponseTrailer:
		if vm.httpResp != nil && vm.httpResp.Trailers != nil {
			return vm.httpResp.Trailers, proxy.StatusOK
		}
	case proxy.MapGrpcInitialMetadata, proxy.MapGrpcTrailingMetadata:
		// Unary calls never deliver metadata callbacks.
	}
	if s == nil {
		return nil, proxy.StatusBadArgument
	}
	if s.logPhase {
		switch m {
		case proxy.MapRequestHeaders:
			if s.req.hasHeaders {
				return s.req.headers, proxy.StatusOK
			}
		case proxy.MapResponseHeaders:
			if s.resp.hasHeaders {
				return s.resp.headers, proxy.StatusOK
			}
		case proxy.MapResponseTrailers:
			if s.resp.hasTrailers {
				return s.resp.trailers, proxy.StatusOK
			}
		}
		return nil, proxy.StatusNotFound
	}
	switch m {
	case proxy.MapRequestHeaders:
		if s.req.hdrAvail {
			return s.req.headers, proxy.StatusOK
		}
	case proxy.MapRequestTrailers:
		if s.req.trlAvail {
			return s.req.trailers, proxy.StatusOK
		}
	case proxy.MapResponseHeaders:
		if s.resp.hdrAvail {
			return s.resp.headers, proxy.StatusOK
		}
	case proxy.MapResponseTrailers:
		if s.resp.trlAvail {
			return s.resp.trailers, proxy.StatusOK
		}
	}
	return nil, proxy.StatusBadArgument
}

// mutMap is Envoy Context::getMap: only the stream's own four maps, and
// trailers can be created from the last body callback (addDecodedTrailers).
func (h *hostAPI) mutMap(m proxy.MapType) *[]proxy.Pair {
	s, _ := h.vm().effective()
	if s == nil || s.ended {
		return nil
	}
	var hf *half
	switch m {
	case proxy.MapRequestHeaders, proxy.MapRequestTrailers:
		hf = &s.req
	case proxy.MapResponseHeaders, proxy.MapResponseTrailers:
		hf = &s.resp
	default:
		return nil
	}
	if m == proxy.MapRequestHeaders || m == proxy.MapResponseHeaders {
		if hf.hdrAvail {
			return &hf.headers
		}
		return nil
	}
	if !hf.trlAvail && hf.inBody && hf.cbEOS && !hf.hasTrailers {
		hf.trailers, hf.hasTrailers, hf.trlAvail, hf.addedTrailers = []proxy.Pair{}, true, true, true
	}
	if hf.trlAvail {
		return &hf.trailers
	}
	return nil
}

// GetHeaderMapValue implements proxy.Host.
func (h *hostAPI) GetHeaderMapValue(m proxy.MapType, key string) (string, proxy.Status) {
	if m > proxy.MapHttpCallResponseTrailer {
		return "", proxy.StatusBadArgument
	}
	if h.restricted("proxy_get_header_map_value") {
		return "", proxy.StatusNotFound
	}
	ps, st := h.constMap(m)
	if st != proxy.StatusOK {
		return "", st
	}
	v, ok := getHeader(ps, key)
	if !ok {
		return "", proxy.StatusNotFound
	}
	return v, proxy.StatusOK
}

// GetHeaderMapPairs implements proxy.Host. Like Envoy, a map that is not
// available reads as empty with Ok.
func (h *hostAPI) GetHeaderMapPairs(m proxy.MapType) ([]proxy.Pair, proxy.Status) {
	if m > proxy.MapHttpCallResponseTrailer {
		return nil, proxy.StatusBadArgument
	}
	if h.restricted("proxy_get_header_map_pairs") {
		return nil, proxy.StatusNotFound
	}
	ps, _ := h.constMap(m)
	return clonePairs(ps), proxy.StatusOK
}

func (h *hostAPI) mutate(name string, m proxy.MapType, f func(ps []proxy.Pair) []proxy.Pair) proxy.Status {
	if m > proxy.MapHttpCallResponseTrailer {
		return proxy.StatusBadArgument
	}
	if h.restricted(name) {
		return proxy.StatusBadArgument
	}
	p := h.mutMap(m)
	if p == nil {
		return proxy.StatusBadArgument
	}
	*p = f(*p)
	return proxy.StatusOK
}

// SetHeaderMapPairs implements proxy.Host: every key is removed, then the
// pairs are added (keys lower-cased).
func (h *hostAPI) SetHeaderMapPairs(m proxy.MapType, pairs []proxy.Pair) proxy.Status {
	return h.mutate("proxy_set_header_map_pairs", m, func([]proxy.Pair) []proxy.Pair {
		out := make([]proxy.Pair, 0, len(pairs))
		for _, p := range pairs {
			out = addHeader(out, p.Key, p.Value)
		}
		return out
	})
}

// AddHeaderMapValue implements proxy.Host.
func (h *hostAPI) AddHeaderMapValue(m proxy.MapType, key, value string) proxy.Status {
	return h.mutate("proxy_add_header_map_value", m, func(ps []proxy.Pair) []proxy.Pair { return addHeader(ps, key, value) })
}

// ReplaceHeaderMapValue implements proxy.Host (Envoy setCopy).
func (h *hostAPI) ReplaceHeaderMapValue(m proxy.MapType, key, value string) proxy.Status {
	return h.mutate("proxy_replace_header_map_value", m, func(ps []proxy.Pair) []proxy.Pair { return setHeader(ps, key, value) })
}

// RemoveHeaderMapValue implements proxy.Host; removing a missing key is Ok.
func (h *hostAPI) RemoveHeaderMapValue(m proxy.MapType, key string) proxy.Status {
	return h.mutate("proxy_remove_header_map_value", m, func(ps []proxy.Pair) []proxy.Pair { return removeHeader(ps, key) })
}

// buffer is Envoy Context::getBuffer: the bytes, whether they may be
// modified, and whether the buffer exists at all (NotFound otherwise).
func (h *hostAPI) buffer(b proxy.BufferType) (p *[]byte, mutable, ok bool) {
	vm := h.vm()
	s, _ := vm.effective()
	var empty []byte
	switch b {
	case proxy.BufferRequestBody, proxy.BufferResponseBody:
		if s == nil {
			return &empty, false, true
		}
		hf := &s.req
		if b == proxy.BufferResponseBody {
			hf = &s.resp
		}
		switch {
		case hf.buffering && !s.ended:
			return &hf.buffered, true, true
		case hf.inBody:
			return &hf.chunk, true, true
		}
		return &empty, false, true
	case proxy.BufferVMConfiguration:
		v := vm.env.cfg.VMConfig
		return &v, false, true
	case proxy.BufferPluginConfiguration:
		if vm.inConfigure {
			v := vm.configBuf
			return &v, false, true
		}
		return nil, false, false
	case proxy.BufferHttpCallResponseBody:
		if vm.httpResp != nil {
			return &vm.httpResp.Body, false, true
		}
		return nil, false, false
	case proxy.BufferGrpcReceive:
		v := vm.grpcRecv
		return &v, false, true
	case proxy.BufferDownstreamData, proxy.BufferUpstreamData, proxy.BufferCallData:
		return &empty, false, true
	}
	return nil, false, false
}

// GetBufferStatus implements proxy.Host.
func (h *hostAPI) GetBufferStatus(b proxy.BufferType) (int, uint32, proxy.Status) {
	if b > proxy.BufferCallData {
		return 0, 0, proxy.StatusBadArgument
	}
	if h.restricted("proxy_get_buffer_status") {
		return 0, 0, proxy.StatusNotFound
	}
	p, _, ok := h.buffer(b)
	if !ok {
		return 0, 0, proxy.StatusNotFound
	}
	return len(*p), 0, proxy.StatusOK
}

// GetBufferBytes implements proxy.Host: the range is clamped to the
// buffer; an empty result is Ok with no bytes.
func (h *hostAPI) GetBufferBytes(b proxy.BufferType, start, maxSize int) ([]byte, proxy.Status) {
	if b > proxy.BufferCallData || start < 0 || maxSize < 0 {
		return nil, proxy.StatusBadArgument
	}
	if h.restricted("proxy_get_buffer_bytes") {
		return nil, proxy.StatusNotFound
	}
	p, _, ok := h.buffer(b)
	if !ok {
		return nil, proxy.StatusNotFound
	}
	buf := *p
	if start > len(buf) {
		// Envoy computes size-start in unsigned arithmetic and fails to
		// allocate the wrapped length.
		return nil, proxy.StatusInvalidMemoryAccess
	}
	if maxSize > len(buf)-start {
		maxSize = len(buf) - start
	}
	if maxSize == 0 {
		return nil, proxy.StatusOK
	}
	return clone(buf[start : start+maxSize]), proxy.StatusOK
}

// SetBufferBytes implements proxy.Host with Envoy Buffer::copyFrom: start 0
// and size 0 prepends, start 0 and size >= length replaces, start >=
// length appends; anything else (and any immutable buffer) is BadArgument.
func (h *hostAPI) SetBufferBytes(b proxy.BufferType, start, size int, data []byte) proxy.Status {
	if b > proxy.BufferCallData || start < 0 || size < 0 {
		return proxy.StatusBadArgument
	}
	if h.restricted("proxy_set_buffer_bytes") {
		return proxy.StatusBadArgument
	}
	p, mutable, ok := h.buffer(b)
	if !ok {
		return proxy.StatusNotFound
	}
	if !mutable {
		return proxy.StatusBadArgument
	}
	n := len(*p)
	switch {
	case start == 0 && size == 0:
		*p = append(clone(data), *p...)
	case start == 0 && size >= n:
		*p = clone(data)
	case start != 0 && start >= n:
		*p = append(*p, data...)
	default:
		return proxy.StatusBadArgument
	}
	return proxy.StatusOK
}

// ContinueStream implements proxy.Host: deferred until the VM call returns;
// it also drops the plugin's access to the request headers, body and
// trailers (Envoy clears those pointers for Request and Response alike).
func (h *hostAPI) ContinueStream(t proxy.StreamType) proxy.Status {
	if t > proxy.StreamUpstream {
		return proxy.StatusBadArgument
	}
	if h.restricted("proxy_continue_stream") {
		return proxy.StatusBadArgument
	}
	vm := h.vm()
	s, _ := vm.effective()
	switch t {
	case proxy.StreamUpstream:
		return proxy.StatusUnimplemented
	case proxy.StreamDownstream:
		return proxy.StatusOK
	}
	if s == nil {
		return proxy.StatusOK
	}
	hf := &s.req
	if t == proxy.StreamResponse {
		hf = &s.resp
	}
	vm.queue(func() { s.continueHalf(hf) })
	s.req.hdrAvail, s.req.trlAvail = false, false
	return proxy.StatusOK
}

// CloseStream implements proxy.Host: an HTTP stream is reset (details
// wasm_close_stream) after the VM call returns.
func (h *hostAPI) CloseStream(t proxy.StreamType) proxy.Status {
	if t > proxy.StreamUpstream {
		return proxy.StatusBadArgument
	}
	if h.restricted("proxy_close_stream") {
		return proxy.StatusBadArgument
	}
	vm := h.vm()
	s, _ := vm.effective()
	if s == nil || t > proxy.StreamResponse {
		return proxy.StatusOK
	}
	vm.queue(func() { s.reset("wasm_close_stream") })
	return proxy.StatusOK
}

// HttpCall implements proxy.Host. The call belongs to the root context of
// whatever context makes it.
func (h *hostAPI) HttpCall(cluster string, headers []proxy.Pair, body []byte, trailers []proxy.Pair, timeoutMs uint32) (uint32, proxy.Status) {
	if h.restricted("proxy_http_call") {
		return 0, proxy.StatusBadArgument
	}
	return h.vm().httpCall(cluster, headers, body, trailers, timeoutMs)
}

// GrpcCall implements proxy.Host.
func (h *hostAPI) GrpcCall(service, serviceName, method string, md []proxy.Pair, msg []byte, timeoutMs uint32) (uint32, proxy.Status) {
	if h.restricted("proxy_grpc_call") {
		return 0, proxy.StatusBadArgument
	}
	return h.vm().grpcCall(service, serviceName, method, md, msg, timeoutMs)
}

// GrpcCancel implements proxy.Host.
func (h *hostAPI) GrpcCancel(token uint32) proxy.Status {
	if h.restricted("proxy_grpc_cancel") {
		return proxy.StatusBadArgument
	}
	return h.vm().grpcCancel(token)
}

// GrpcClose implements proxy.Host (for a unary call, the same as cancel).
func (h *hostAPI) GrpcClose(token uint32) proxy.Status {
	if h.restricted("proxy_grpc_close") {
		return proxy.StatusBadArgument
	}
	return h.vm().grpcCancel(token)
}

// GetStatus implements proxy.Host: the root context's status; a stream
// context has none (0, "").
func (h *hostAPI) GetStatus() (uint32, string, proxy.Status) {
	if h.restricted("proxy_get_status") {
		return 0, "", proxy.StatusNotFound
	}
	vm := h.vm()
	if s, _ := vm.effective(); s != nil {
		return 0, "", proxy.StatusOK
	}
	return vm.statusCode, vm.statusMsg, proxy.StatusOK
}

// DefineMetric implements proxy.Host.
func (h *hostAPI) DefineMetric(t proxy.MetricType, name string) (uint32, proxy.Status) {
	if h.restricted("proxy_define_metric") {
		return 0, proxy.StatusBadArgument
	}
	return h.vm().defineMetric(t, name)
}

// IncrementMetric implements proxy.Host.
func (h *hostAPI) IncrementMetric(id uint32, delta int64) proxy.Status {
	if h.restricted("proxy_increment_metric") {
		return proxy.StatusBadArgument
	}
	return h.vm().incrementMetric(id, delta)
}

// RecordMetric implements proxy.Host.
func (h *hostAPI) RecordMetric(id uint32, value int64) proxy.Status {
	if h.restricted("proxy_record_metric") {
		return proxy.StatusBadArgument
	}
	return h.vm().recordMetric(id, value)
}

// GetMetric implements proxy.Host.
func (h *hostAPI) GetMetric(id uint32) (uint64, proxy.Status) {
	if h.restricted("proxy_get_metric") {
		return 0, proxy.StatusNotFound
	}
	return h.vm().getMetric(id)
}

// SetEffectiveContext implements proxy.Host: it lasts for the rest of the
// VM call; 0 returns to the callback's own context.
func (h *hostAPI) SetEffectiveContext(id uint32) proxy.Status {
	if h.restricted("proxy_set_effective_context") {
		return proxy.StatusBadArgument
	}
	vm := h.vm()
	if id != 0 && !vm.contextExists(id) {
		return proxy.StatusBadArgument
	}
	vm.eff = id
	return proxy.StatusOK
}

// Done implements proxy.Host. Only a root context whose proxy_on_done
// returned false at VM shutdown is pending, and the emulator never shuts a
// VM down, so this is always NotFound.
func (h *hostAPI) Done() proxy.Status { return proxy.StatusNotFound }

// CallForeignFunction implements proxy.Host. The only function registered
// is Envoy's verify_signature (verifysig; Config.VerifySignature replaces
// it, Config.NoVerifySignature removes it); every other name is NotFound.
func (h *hostAPI) CallForeignFunction(name string, args []byte) ([]byte, proxy.Status) {
	if h.restricted("proxy_call_foreign_function") {
		return nil, proxy.StatusBadArgument
	}
	cfg := &h.vm().env.cfg
	if name != verifysig.Name || cfg.NoVerifySignature {
		return nil, proxy.StatusNotFound
	}
	if cfg.VerifySignature != nil {
		return cfg.VerifySignature(args)
	}
	return verifysig.Call(args)
}

// HasForeignFunction reports whether name is registered, so the wasm
// adapter can answer NotFound before it reads the arguments, as cpp-host
// does.
func (h *hostAPI) HasForeignFunction(name string) bool {
	cfg := &h.vm().env.cfg
	return name == verifysig.Name && !cfg.NoVerifySignature
}
