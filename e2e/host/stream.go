package host

import (
	"strconv"
	"strings"
	"time"

	"github.com/apiguard/apiguard/filter/proxy"
)

// StreamProps describes the downstream connection of one stream and any
// extra properties the test wants the plugin to read.
type StreamProps struct {
	// SourceAddress is the client "ip:port" (source.address); default
	// "203.0.113.7:40000".
	SourceAddress string
	// DestinationAddress is the listener "ip:port" (destination.address);
	// default "10.0.0.1:10000".
	DestinationAddress string
	// TLS is the downstream TLS session; nil for plaintext.
	TLS *TLSInfo
	// Protocol is request.protocol; default "HTTP/1.1".
	Protocol string
	// Extra adds or overrides properties by dotted path ("xds.route_name",
	// "metadata.filter_metadata"), already encoded (see EncodeInt64,
	// EncodeBool).
	Extra map[string][]byte
	// Root is the root context (plugin configuration) whose filter the
	// stream goes through: an id VM.AddRoot returned, or 0 for the VM's
	// first root.
	Root uint32
}

// TLSInfo is the downstream TLS session as Envoy's connection.* attributes
// show it.
type TLSInfo struct {
	// Version is connection.tls_version, e.g. "TLSv1.3".
	Version string
	// SNI is connection.requested_server_name.
	SNI string
	// MTLS says the client presented a certificate (connection.mtls).
	MTLS bool
	// PeerSubject, PeerURISAN and PeerDNSSAN are the client certificate's
	// subject and first SANs (connection.subject_peer_certificate,
	// uri_san_peer_certificate, dns_san_peer_certificate).
	PeerSubject, PeerURISAN, PeerDNSSAN string
}

// Upstream is what the router sent to (or received from) the upstream
// server for one stream.
type Upstream struct {
	// Headers is nil until the filter releases the request headers.
	Headers     []proxy.Pair
	Body        []byte
	Trailers    []proxy.Pair
	EndOfStream bool
	// Reset says Envoy aborted the upstream request before the upstream
	// finished its response (local reply, stream reset, client gone).
	Reset bool
}

// Downstream is what the client received.
type Downstream struct {
	// Status is the ":status" of Headers (0 until headers are sent).
	Status      int
	Headers     []proxy.Pair
	Body        []byte
	Trailers    []proxy.Pair
	EndOfStream bool
	// LocalReply holds the response code details when Envoy answered with a
	// local reply (the plugin's proxy_send_local_response, or Envoy's own
	// "request_payload_too_large", "wasm_fail_stream", ...); "" when the
	// response came from upstream.
	LocalReply string
	// Reset says the stream was reset toward the client (for example a
	// local reply after response headers had been sent, or close_stream).
	Reset bool
	// Details is the stream's response code details: "via_upstream", a
	// local reply's details, "wasm_close_stream", ...
	Details string
}

// half is one direction of the stream as seen by the Wasm filter and
// Envoy's filter manager (ActiveStreamDecoderFilter / EncoderFilter).
type half struct {
	resp bool

	headers    []proxy.Pair
	hasHeaders bool
	// hdrAvail mirrors Envoy's request_headers_/response_headers_ pointer:
	// set for the headers callback, cleared when it returns Continue or on
	// proxy_continue_stream.
	hdrAvail         bool
	headersContinued bool
	headersOnly      bool // ContinueAndEndStream

	stopped       bool // IterationState::StopSingleIteration
	stopAll       bool // StopAll*: nothing reaches the filter until continue
	stopAllBuffer bool // StopAllIterationAndBuffer (limit enforced) vs Watermark
	complete      bool // the sender finished this direction

	buffered    []byte // filter manager buffered data for this filter
	hasBuffered bool
	buffering   bool // Wasm buffering_*_body_ (StopIterationAndBuffer)

	inBody bool   // inside the body callback
	chunk  []byte // the data the body callback was given
	cbEOS  bool

	trailers          []proxy.Pair
	hasTrailers       bool
	trlAvail          bool
	trailersDelivered bool
	trailersSent      bool
	addedTrailers     bool

	bytes int
}

// Stream is one HTTP stream through the filter. Each method is one event
// Envoy's filter manager would see; observations (Upstream, Downstream)
// show what each side received so far.
type Stream struct {
	vm    *VM
	props StreamProps
	id    uint32
	root  uint32

	started, created, ended, bypass bool

	req, resp half
	up        Upstream
	down      Downstream

	upStarted, upDone bool
	decodeAborted     bool
	streamFailed      bool
	failReplySent     bool
	logPhase          bool

	filterState map[string][]byte
	connID      uint64
	startTime   time.Time
	respCode    int
}

// NewStream opens a stream on this VM's worker, through the filter of root
// context p.Root. The stream context is created when RequestHeaders
// arrives, as in Envoy.
func (vm *VM) NewStream(p StreamProps) *Stream {
	s := &Stream{vm: vm, props: p, root: vm.liveRoot(p.Root), connID: vm.env.nextConnID()}
	s.resp.resp = true
	return s
}

// ID is the stream's context id (0 before RequestHeaders).
func (s *Stream) ID() uint32 { return s.id }

// Ended reports whether the stream is over (OnLog, OnDone and OnDelete ran).
func (s *Stream) Ended() bool { return s.ended }

// Upstream returns what the upstream received so far. The slices are the
// emulator's: do not modify them.
func (s *Stream) Upstream() Upstream { return s.up }

// Downstream returns what the client received so far. The slices are the
// emulator's: do not modify them.
func (s *Stream) Downstream() Downstream { return s.down }

// RequestHeaders delivers the request headers (keys are lower-cased as the
// codec would). It creates the stream context.
func (s *Stream) RequestHeaders(h []proxy.Pair, endOfStream bool) {
	if s.started {
		panic("host: RequestHeaders called twice on one stream")
	}
	vm := s.vm
	s.started = true
	s.startTime = vm.env.clock.Now()
	s.req.headers, s.req.hasHeaders = lowerKeys(h), true
	if s.req.headers == nil {
		s.req.headers = []proxy.Pair{}
	}
	if vm.failed && vm.env.cfg.FailOpen {
		// Envoy does not add a failed fail-open filter to the chain.
		s.bypass = true
	} else {
		s.id = vm.allocID()
		vm.streams[s.id] = s
		s.created = true
		if vm.call(s.id, "proxy_on_context_create", func() { vm.guest.OnContextCreate(s.id, s.root) }) {
			vm.runAfter()
		}
	}
	s.headersIn(&s.req, endOfStream)
	vm.pump()
}

// RequestBody delivers one request body chunk.
func (s *Stream) RequestBody(chunk []byte, endOfStream bool) {
	s.mustStart("RequestBody")
	if s.ended || s.req.complete {
		return
	}
	s.dataIn(&s.req, clone(chunk), endOfStream)
	s.vm.pump()
}

// RequestTrailers delivers the request trailers (the body, if any, was sent
// with endOfStream false).
func (s *Stream) RequestTrailers(t []proxy.Pair) {
	s.mustStart("RequestTrailers")
	if s.ended || s.req.complete {
		return
	}
	s.trailersIn(&s.req, t)
	s.vm.pump()
}

// ResponseHeaders delivers the upstream's response headers. The upstream
// must have received the request headers; events after Envoy reset the
// upstream request (or answered locally) are discarded.
func (s *Stream) ResponseHeaders(h []proxy.Pair, endOfStream bool) {
	s.mustUpstream("ResponseHeaders")
	if s.ended || s.up.Reset || s.resp.hasHeaders {
		return
	}
	if endOfStream {
		s.upDone = true
	}
	s.resp.headers, s.resp.hasHeaders = lowerKeys(h), true
	if s.resp.headers == nil {
		s.resp.headers = []proxy.Pair{}
	}
	s.respCode = status(s.resp.headers)
	s.down.Details = "via_upstream"
	s.headersIn(&s.resp, endOfStream)
	s.vm.pump()
}

// ResponseBody delivers one upstream response body chunk.
func (s *Stream) ResponseBody(chunk []byte, endOfStream bool) {
	s.mustUpstream("ResponseBody")
	if s.ended || s.up.Reset || s.upDone || !s.resp.hasHeaders {
		return
	}
	if endOfStream {
		s.upDone = true
	}
	s.dataIn(&s.resp, clone(chunk), endOfStream)
	s.vm.pump()
}

// ResponseTrailers delivers the upstream's response trailers.
func (s *Stream) ResponseTrailers(t []proxy.Pair) {
	s.mustUpstream("ResponseTrailers")
	if s.ended || s.up.Reset || s.upDone || !s.resp.hasHeaders {
		return
	}
	s.upDone = true
	s.trailersIn(&s.resp, t)
	s.vm.pump()
}

// Complete ends the stream if it is still open, as when the client goes
// away: an upstream request still in flight is reset, then proxy_on_log,
// proxy_on_done and proxy_on_delete run. A stream whose response completed
// (or was reset) has ended already and Complete does nothing.
func (s *Stream) Complete() {
	if !s.started || s.ended {
		return
	}
	s.end()
	s.vm.pump()
}

func (s *Stream) mustStart(what string) {
	if !s.started {
		panic("host: " + what + " before RequestHeaders")
	}
}

func (s *Stream) mustUpstream(what string) {
	if s.up.Headers == nil {
		panic("host: " + what + ": the upstream has not received the request headers")
	}
}

func status(h []proxy.Pair) int {
	v, _ := getHeader(h, ":status")
	n, _ := strconv.Atoi(v)
	return n
}

func (s *Stream) limit() int { return s.vm.env.cfg.BufferLimit }

// --- callbacks into the plugin ---

type cbKind int

const (
	cbHeaders cbKind = iota
	cbData
	cbTrailers
)

var cbNames = [2][3]string{
	{"proxy_on_request_headers", "proxy_on_request_body", "proxy_on_request_trailers"},
	{"proxy_on_response_headers", "proxy_on_response_body", "proxy_on_response_trailers"},
}

// invoke runs one stream callback the way cpp-host's ContextBase::on* do:
// CHECK_FAIL_HTTP before and after, the result converted
// (convertVmCallResultTo*Status). The after-call actions are left to the
// caller, which runs them once the filter manager has taken the result.
func (s *Stream) invoke(h *half, kind cbKind, f func(g proxy.Handler) proxy.Action) proxy.Action {
	vm := s.vm
	if h.resp && s.failReplySent {
		// Envoy skips encoder callbacks after the failure local reply.
		return proxy.Continue
	}
	dir := 0
	if h.resp {
		dir = 1
	}
	if !vm.failed {
		var act proxy.Action
		if vm.call(s.id, cbNames[dir][kind], func() { act = f(vm.guest) }) {
			return s.convert(kind, act, vm.stopNext)
		}
	}
	if vm.env.cfg.FailOpen {
		return proxy.Continue
	}
	if !s.streamFailed {
		s.streamFailed = true
		vm.queue(s.failStream)
	}
	return stopFor(kind)
}

func stopFor(kind cbKind) proxy.Action {
	switch kind {
	case cbHeaders:
		return proxy.StopAllIterationAndWatermark
	case cbData:
		return proxy.StopIterationNoBuffer
	}
	return proxy.StopIteration
}

func (s *Stream) convert(kind cbKind, act proxy.Action, stopped bool) proxy.Action {
	switch kind {
	case cbHeaders:
		if stopped || act > proxy.StopAllIterationAndWatermark {
			return proxy.StopAllIterationAndWatermark
		}
		if act == proxy.StopIteration && !s.vm.env.cfg.AllowOnHeadersStopIteration {
			return proxy.StopAllIterationAndWatermark
		}
	case cbData:
		if stopped || act > proxy.StopIterationNoBuffer {
			return proxy.StopIterationNoBuffer
		}
	default:
		if stopped || act > proxy.StopIteration {
			return proxy.StopIteration
		}
	}
	return act
}

// failStream is Envoy Context::failStream under FAIL_CLOSED.
func (s *Stream) failStream() {
	if s.failReplySent || s.ended {
		return
	}
	s.failReplySent = true
	s.localReply(503, nil, nil, GRPCUnavailable, "wasm_fail_stream")
}

// --- the filter manager ---

func (s *Stream) headersIn(h *half, eos bool) {
	if s.ended {
		return
	}
	h.complete = eos
	if s.bypass {
		h.headersContinued = true
		s.sendHeaders(h, eos)
		return
	}
	h.hdrAvail = true
	n := len(h.headers)
	act := s.invoke(h, cbHeaders, func(g proxy.Handler) proxy.Action {
		if h.resp {
			return g.OnResponseHeaders(s.id, n, eos)
		}
		return g.OnRequestHeaders(s.id, n, eos)
	})
	if act == proxy.Continue {
		h.hdrAvail = false
	}
	switch act {
	case proxy.Continue:
		h.headersContinued = true
		s.sendHeaders(h, eos)
	case 2: // ContinueAndEndStream: headers go on alone; body and trailers are dropped.
		h.headersContinued, h.headersOnly = true, true
		s.sendHeaders(h, true)
	case proxy.StopIteration:
		h.stopped = true
	default:
		h.stopAll = true
		h.stopAllBuffer = act == proxy.StopAllIterationAndBuffer
	}
	s.vm.runAfter()
}

func (s *Stream) dataIn(h *half, chunk []byte, eos bool) {
	if s.ended {
		return
	}
	h.bytes += len(chunk)
	if eos {
		h.complete = true
	}
	if h.headersOnly || (!h.resp && s.decodeAborted) {
		return
	}
	if s.bypass {
		s.sendData(h, chunk, eos)
		return
	}
	if h.stopAll {
		// FilterManager::handleDataIfStopAll: buffered for this filter, which
		// sees it only after it continues.
		h.buffered = append(h.buffered, chunk...)
		h.hasBuffered = true
		if h.stopAllBuffer && len(h.buffered) > s.limit() {
			s.overflow(h)
		}
		return
	}
	s.dataToFilter(h, chunk, eos)
}

// dataToFilter is Envoy Context::decodeData/encodeData followed by the
// filter manager's commonHandleAfterDataCallback.
func (s *Stream) dataToFilter(h *half, chunk []byte, eos bool) {
	if h.buffering {
		// addDecodedData: the chunk joins the buffered body before the VM
		// sees it; past the limit Envoy answers and the VM is not called.
		h.buffered = append(h.buffered, chunk...)
		h.hasBuffered = true
		chunk = nil
		if len(h.buffered) > s.limit() {
			s.overflow(h)
			return
		}
	}
	h.chunk, h.inBody, h.cbEOS = chunk, true, eos
	size := len(chunk)
	if h.buffering {
		size = len(h.buffered)
	}
	act := s.invoke(h, cbData, func(g proxy.Handler) proxy.Action {
		if h.resp {
			return g.OnResponseBody(s.id, size, eos)
		}
		return g.OnRequestBody(s.id, size, eos)
	})
	chunk = h.chunk
	h.chunk, h.inBody = nil, false
	h.buffering = act == proxy.StopIterationAndBuffer
	switch act {
	case proxy.Continue:
		if h.stopped {
			h.buffered = append(h.buffered, chunk...)
			h.hasBuffered = true
			s.continueHalf(h)
		} else {
			s.sendData(h, chunk, eos)
		}
	case proxy.StopIterationAndBuffer, proxy.StopIterationAndWatermark:
		h.stopped = true
		h.buffered = append(h.buffered, chunk...)
		h.hasBuffered = true
		if act == proxy.StopIterationAndBuffer && len(h.buffered) > s.limit() {
			s.overflow(h)
		}
	default: // StopIterationNoBuffer: the chunk is dropped.
		h.stopped = true
		if h.complete && !h.hasTrailers && !h.hasBuffered {
			h.hasBuffered = true // an empty frame keeps end_stream for continue
		}
	}
	s.vm.runAfter()
}

func (s *Stream) trailersIn(h *half, t []proxy.Pair) {
	if s.ended {
		return
	}
	h.complete = true
	h.trailers, h.hasTrailers = lowerKeys(t), true
	if h.trailers == nil {
		h.trailers = []proxy.Pair{}
	}
	if h.headersOnly || (!h.resp && s.decodeAborted) {
		return
	}
	if s.bypass {
		s.sendTrailers(h)
		return
	}
	if h.stopAll {
		return
	}
	s.trailersToFilter(h)
}

func (s *Stream) trailersToFilter(h *half) {
	h.trailersDelivered, h.trlAvail = true, true
	n := len(h.trailers)
	act := s.invoke(h, cbTrailers, func(g proxy.Handler) proxy.Action {
		if h.resp {
			return g.OnResponseTrailers(s.id, n)
		}
		return g.OnRequestTrailers(s.id, n)
	})
	if act == proxy.Continue {
		h.trlAvail = false
		if h.stopped {
			s.continueHalf(h)
		} else {
			s.sendTrailers(h)
		}
	} else {
		h.stopped = true
	}
	s.vm.runAfter()
}

// continueHalf is ActiveStreamFilterBase::commonContinue: held headers go
// on, then the buffered body (replayed through this filter first when it
// had stopped all iteration), then trailers.
func (s *Stream) continueHalf(h *half) {
	if s.ended || (!h.stopped && !h.stopAll) {
		return
	}
	fromCurrent := h.stopAll
	h.stopped, h.stopAll = false, false
	hadTrailers := h.hasTrailers && !h.trailersSent
	if !h.headersContinued {
		h.headersContinued = true
		s.sendHeaders(h, h.complete && !h.hasBuffered && !hadTrailers)
		if s.ended {
			return
		}
	}
	if h.hasBuffered {
		data := h.buffered
		h.buffered, h.hasBuffered = nil, false
		eos := h.complete && !hadTrailers
		if fromCurrent {
			s.dataToFilter(h, data, eos)
		} else {
			s.sendData(h, data, eos)
		}
		if s.ended {
			return
		}
	}
	if hadTrailers && !h.trailersSent {
		if fromCurrent && !h.trailersDelivered {
			s.trailersToFilter(h)
		} else if !h.stopped {
			s.sendTrailers(h)
		}
	}
}

// --- what leaves the filter ---

func (s *Stream) sendHeaders(h *half, eos bool) {
	if h.resp {
		s.down.Headers = clonePairs(h.headers)
		s.down.Status = status(h.headers)
		if eos {
			s.down.EndOfStream = true
			s.end()
		}
		return
	}
	s.up.Headers = clonePairs(h.headers)
	s.upStarted = true
	if eos {
		s.up.EndOfStream = true
	}
}

func (s *Stream) sendData(h *half, data []byte, eos bool) {
	if s.ended {
		return
	}
	end := eos && !h.addedTrailers
	if h.resp {
		s.down.Body = append(s.down.Body, data...)
		if end {
			s.down.EndOfStream = true
			s.end()
		}
	} else {
		s.up.Body = append(s.up.Body, data...)
		if end {
			s.up.EndOfStream = true
		}
	}
	if eos && h.addedTrailers {
		s.sendTrailers(h)
	}
}

func (s *Stream) sendTrailers(h *half) {
	if s.ended || h.trailersSent {
		return
	}
	h.trailersSent = true
	if h.resp {
		s.down.Trailers = clonePairs(h.trailers)
		s.down.EndOfStream = true
		s.end()
		return
	}
	s.up.Trailers = clonePairs(h.trailers)
	s.up.EndOfStream = true
}

// overflow is requestDataTooLarge / responseDataTooLarge.
func (s *Stream) overflow(h *half) {
	if h.resp {
		s.localReply(500, []byte("Internal Server Error"), nil, -1, "response_payload_too_large")
		return
	}
	s.localReply(413, []byte("Payload Too Large"), nil, -1, "request_payload_too_large")
}

// localReply is the filter manager's sendLocalReply: through the encoder
// filters while no response headers exist, straight to the client while
// they exist but were not sent, a stream reset once they were sent.
func (s *Stream) localReply(code int, body []byte, extra []proxy.Pair, grpcStatus int64, details string) {
	if s.ended {
		return
	}
	s.down.Details = details
	s.decodeAborted = true
	if s.upStarted && !s.upDone {
		s.up.Reset, s.upDone = true, true
	}
	hs, body := s.buildLocalReply(code, body, extra, grpcStatus)
	switch {
	case !s.resp.hasHeaders:
		s.down.LocalReply = details
		s.resp.headers, s.resp.hasHeaders = hs, true
		s.respCode = code
		s.headersIn(&s.resp, len(body) == 0)
		if len(body) > 0 && !s.ended {
			s.dataIn(&s.resp, body, true)
		}
	case s.down.Headers == nil:
		s.down.LocalReply = details
		s.resp = half{resp: true, headers: hs, hasHeaders: true, complete: true}
		s.respCode = code
		s.down.Headers = clonePairs(hs)
		s.down.Status = status(hs)
		s.down.Body = body
		s.down.EndOfStream = true
		s.end()
	default:
		s.down.Reset = true
		s.end()
	}
}

// buildLocalReply is Http::Utility::sendLocalReply's response shaping.
func (s *Stream) buildLocalReply(code int, body []byte, extra []proxy.Pair, grpcStatus int64) ([]proxy.Pair, []byte) {
	hs := []proxy.Pair{{Key: ":status", Value: strconv.Itoa(code)}}
	for _, p := range extra {
		hs = addHeader(hs, p.Key, p.Value)
	}
	ct, _ := getHeader(s.req.headers, "content-type")
	method, _ := getHeader(s.req.headers, ":method")
	if strings.HasPrefix(ct, "application/grpc") {
		hs = setInline(hs, ":status", "200")
		hs = setInline(hs, "content-type", "application/grpc")
		if _, ok := getHeader(hs, "grpc-status"); !ok {
			gs := int64(httpToGrpc(code))
			if grpcStatus >= 0 && grpcStatus <= 16 {
				gs = grpcStatus
			}
			hs = setInline(hs, "grpc-status", strconv.FormatInt(gs, 10))
		}
		if len(body) > 0 && method != "HEAD" {
			msg := strings.TrimSuffix(string(body), "\n")
			hs = setInline(hs, "grpc-message", percentEncode(msg))
		}
		return removeHeader(hs, "content-length"), nil
	}
	if len(body) > 0 {
		hs = setInline(hs, "content-length", strconv.Itoa(len(body)))
		if _, ok := getHeader(hs, "content-type"); !ok {
			hs = addHeader(hs, "content-type", "text/plain")
		}
	} else {
		hs = removeHeader(removeHeader(hs, "content-length"), "content-type")
	}
	if method == "HEAD" {
		body = nil
	}
	return hs, clone(body)
}

// setInline sets an O(1) header the way Envoy's inline setters do: the
// first entry keeps its place, later duplicates go.
func setInline(ps []proxy.Pair, key, value string) []proxy.Pair {
	for i, p := range ps {
		if p.Key == key {
			ps[i].Value = value
			rest := removeHeader(ps[i+1:], key)
			return ps[:i+1+len(rest)]
		}
	}
	return addHeader(ps, key, value)
}

// httpToGrpc is Grpc::Utility::httpToGrpcStatus.
func httpToGrpc(code int) int {
	switch code {
	case 400:
		return 13
	case 401:
		return 16
	case 403:
		return 7
	case 404:
		return 12
	case 429, 502, 503, 504:
		return 14
	}
	return 2
}

// percentEncode is Http::Utility::PercentEncoding::encode for grpc-message.
func percentEncode(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < ' ' || c > '~' || c == '%' {
			b.WriteByte('%')
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&15])
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// reset is resetStream (proxy_close_stream).
func (s *Stream) reset(details string) {
	if s.ended {
		return
	}
	if s.down.Details == "" { // Envoy keeps details already set (via_upstream, ...)
		s.down.Details = details
	}
	s.down.Reset = true
	s.end()
}

// end finishes the stream: the router resets an upstream request still in
// flight, then the access-log phase (proxy_on_log) and onDestroy
// (proxy_on_done, proxy_on_delete) run, in that order.
func (s *Stream) end() {
	if s.ended {
		return
	}
	s.ended = true
	if s.upStarted && !s.upDone {
		s.up.Reset, s.upDone = true, true
	}
	vm := s.vm
	if !s.created {
		return
	}
	if !vm.failed {
		s.logPhase = true
		vm.call(s.id, "proxy_on_log", func() { vm.guest.OnLog(s.id) })
		s.logPhase = false
		vm.runAfter()
		vm.call(s.id, "proxy_on_done", func() { vm.guest.OnDone(s.id) })
		vm.runAfter()
		vm.call(s.id, "proxy_on_delete", func() { vm.guest.OnDelete(s.id) })
		vm.runAfter()
	}
	delete(vm.streams, s.id)
}
