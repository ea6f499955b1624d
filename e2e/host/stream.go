package host

import (
	"strconv"
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
