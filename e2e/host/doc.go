// Package host is an Envoy emulator for apiguard's tests: it implements
// proxy.Host for each Wasm VM and drives proxy.Handler the way Envoy's Wasm
// HTTP filter and filter manager do, so the same behaviour table can run
// against the native plugin and against the compiled module (through the
// wazero adapter in e2e/wasmguest, which turns a module into a
// proxy.Handler).
//
// The facts it follows are in docs/internals/proxy-wasm.md §4 and, where that page
// is silent, Envoy's source (source/extensions/common/wasm/context.cc,
// the HTTP filter manager) and proxy-wasm-cpp-host (src/context.cc,
// src/exports.cc). Each choice the emulator makes where neither settles the
// question is listed below.
//
// # Shape
//
// New builds one Envoy: a canary VM that runs proxy_on_context_create(1, 0),
// proxy_on_vm_start and proxy_on_configure (a false return or a trap makes
// New fail with the plugin's log lines, as Envoy rejects the config), then
// Config.Workers worker VMs started the same way. The canary is then
// discarded without proxy_on_done (its timer and callouts die with it) and
// the base VM, which only runs _initialize, is not modelled. A worker whose
// start fails is marked failed and follows the failure policy.
//
// A VM may hold several root contexts, as when Envoy shares one VM between
// plugin configurations with the same vm_config: VM.AddRoot starts another
// one the same way (proxy_on_context_create(id, 0), proxy_on_vm_start,
// proxy_on_configure with its own buffer 7), StreamProps.Root picks the
// root a stream goes through, and VM.DeleteRoot removes one while the VM
// lives on (proxy_on_done, then proxy_on_delete; its timer stops and its
// pending callouts are cancelled without a callback). Every root shares
// the VM's plugin_name, plugin_root_id and plugin_vm_id properties.
//
// Each Stream is one HTTP stream through [downstream] → Wasm filter →
// router [upstream]. The low-level methods (RequestHeaders, RequestBody,
// ..., ResponseTrailers) are one Envoy event each; Upstream and Downstream
// show what each side received. VM.RoundTrip runs a whole exchange.
//
// # Filter manager behaviour
//
//   - Context ids are per VM, from 1 (the first root) upward, never reused. A
//     stream context is created at RequestHeaders. The stream ends as soon as
//     the response is complete downstream or the stream is reset; then
//     proxy_on_log, proxy_on_done, proxy_on_delete run in that order (the
//     result of proxy_on_done is ignored, as Envoy's Context::onDestroy
//     does). Stream.Complete ends a stream still open as a client disconnect.
//   - Header callbacks: StopIteration is honoured only with
//     AllowOnHeadersStopIteration; otherwise it, 3, 4 and values > 4 are
//     StopAll*: body and trailers are buffered by the filter manager and the
//     filter sees them (the whole buffered body in one body callback) only
//     after it continues, headers first. ContinueAndEndStream (2) sends the
//     headers with end_stream and drops the body and trailers.
//     StopAllIterationAndBuffer enforces BufferLimit; ...AndWatermark only
//     applies back-pressure, which the emulator does not model (it keeps
//     accepting the test's data).
//   - With headers held by StopIteration, a body callback returning Continue
//     releases the headers and everything buffered (commonContinue).
//   - Body callbacks: the first sees the chunk; after StopIterationAndBuffer
//     the next sees the whole buffered body and body_size is its length.
//     StopIterationAndWatermark keeps the chunk buffered but the filter sees
//     only new chunks. StopIterationNoBuffer drops the chunk: it never
//     reaches the next hop (Envoy's commonHandleAfterDataCallback).
//   - Buffering past BufferLimit (strictly more bytes): request side, a 413
//     local reply (details request_payload_too_large) and the VM is not
//     called for that chunk; response side, a 500 (response_payload_too_large)
//     if the response headers were not sent yet, else a reset. The emulator
//     stops feeding the filter that chunk even if the filter holds the 413
//     in its own response callbacks (Envoy would still call the VM then).
//   - Trailers: the filter sees them unless it stopped all iteration; a
//     Continue from the trailers callback releases a held body. From the
//     last body callback (end_of_stream true) the plugin may add trailers,
//     which then follow the body.
//   - proxy_continue_stream, proxy_close_stream and local replies are
//     deferred until the VM call returns and, unlike Envoy (which runs them
//     just before the filter manager sees the callback's result), run after
//     the filter manager took that result; the only visible difference is
//     that a plugin continuing inside its own callback and returning a stop
//     status is continued (Envoy asserts in debug builds).
//   - Local replies: details have whitespace replaced by '_'; extra headers
//     are lower-cased; grpc_status is used only in 0..16; with an empty body
//     content-length and content-type are removed, with a body
//     content-length is set and content-type defaults to text/plain; gRPC
//     requests get a trailers-only answer; HEAD gets no body. Before any
//     response headers exist the reply runs through this filter's response
//     callbacks; once response headers exist but were not sent it goes
//     straight to the client; after they were sent the stream is reset.
//     The callback's result is forced to stop (StopAllIterationAndWatermark
//     / StopIterationNoBuffer / StopIteration). A local reply marks an
//     upstream request still in flight as reset at once and stops the
//     request side (decoder chain aborted). A second local reply follows the
//     same rules: from the response callback that sees the first reply it is
//     sent directly and wins; queued in the same callback as the first, it
//     finds the stream ended and is dropped. From a root context (no
//     stream) proxy_send_local_response is Ok and does nothing.
//   - proxy_close_stream(request|response) resets the stream (details
//     wasm_close_stream); downstream/upstream (L4) are Ok no-ops.
//   - HTTP connection manager mutations (x-request-id generation,
//     x-forwarded-*, date/server headers, path normalisation) are not
//     emulated: the test passes the headers it wants Envoy to have produced.
//
// # Host calls
//
//   - Header maps follow Context::getMap/getConstMap. The request headers
//     are available from the request headers callback until it returns
//     Continue or the plugin calls proxy_continue_stream (for either
//     direction: Envoy clears the request pointers in both cases); they are
//     NOT readable from the response callbacks (BadArgument), only again in
//     proxy_on_log. Likewise the response headers are available in the
//     response headers callback until it returns Continue, and in
//     proxy_on_log. Mutations after the headers went on are BadArgument.
//     In proxy_on_log a missing map reads as NotFound, elsewhere as
//     BadArgument; get_header_map_pairs of a missing map is Ok and empty.
//     Values: first value only; add lower-cases; replace removes every entry
//     and adds one at the end; set_pairs removes all then adds; remove is Ok
//     when absent; pseudo-headers stay in front.
//   - Buffers follow Context::getBuffer: the body buffer is the chunk in a
//     body callback, the buffered body after StopIterationAndBuffer (also
//     from other contexts through proxy_set_effective_context), else an
//     empty immutable buffer (get Ok and empty, set BadArgument). Buffer 6
//     (VM configuration) is readable at any time, 7 only during
//     proxy_on_configure, 4 only during proxy_on_http_call_response
//     (NotFound otherwise). set_buffer_bytes is Envoy's Buffer::copyFrom:
//     start 0 and size 0 prepends, start 0 and size >= length replaces,
//     start >= length appends, anything else is BadArgument (a partial drain
//     is refused). get_buffer_bytes clamps to the buffer; start past the end
//     is InvalidMemoryAccess (Envoy's unsigned length wraps).
//   - Outside any VM callback (the guest's initialisation) only Log,
//     GetLogLevel and Now work; other calls fail (NotFound for reads,
//     BadArgument otherwise) and leave an Envoy log line, since V8 traps
//     them (restricted_callback).
//   - proxy_set_effective_context switches the context for the rest of the
//     VM call; 0 returns to the callback's own context; an unknown id is
//     BadArgument; a context deleted meanwhile reverts to the real one.
//   - proxy_done is always NotFound (no VM shutdown is modelled).
//   - proxy_call_foreign_function knows one name, verify_signature, which
//     answers as Envoy 1.37 does (package verifysig: protobuf arguments, DER
//     or PEM SPKI keys, PKCS#1 v1.5 and DER ECDSA, the five hash names,
//     BadArgument for arguments that do not parse or a key that does not
//     import); Config.NoVerifySignature removes it (Envoy before 1.30),
//     Config.VerifySignature replaces it (a lying or failing host). Any
//     other name is NotFound.
//   - Properties: request.{path,url_path,query,host,scheme,method,referer,
//     useragent,id,headers[.<name>],protocol,time,size},
//     response.{code,code_details,headers,trailers,size,flags},
//     source.{address,port}, destination.{address,port},
//     connection.{id,mtls,requested_server_name,tls_version,
//     subject_peer_certificate,uri_san_peer_certificate,
//     dns_san_peer_certificate} (the TLS ones only on TLS), connection_id,
//     plugin_name, plugin_root_id, plugin_vm_id, xds.node.{id,cluster}, and
//     StreamProps.Extra by dotted path. request.* attributes read the
//     request headers with the same availability as the header map (CEL
//     activation headers), so request.path is NotFound in response
//     callbacks; repeated headers are joined with ",". Encodings: strings
//     raw, int64/uint64 8 bytes little-endian, bool 1 byte, maps as pairs; a
//     whole message or wrapper (request, xds.node) is SerializationFailure.
//     The root context sees only plugin_*, xds.* (no stream: NotFound).
//     proxy_set_property writes filter state readable under its first path
//     segment; NotFound without a stream.
//
// # Callouts, ticks, shared data, metrics
//
//   - proxy_http_call belongs to the root context of the context that
//     makes it (so does a gRPC call); the cluster must be in
//     Config.Clusters (else BadArgument); :path, :method and :authority are
//     required; a body sets content-length; a negative timeout is
//     BadArgument. Answers reach only the VM that called, as
//     proxy_on_http_call_response(root, token, headers, body size, trailers)
//     with maps 6/7 and buffer 4 readable only during the callback. A
//     cluster error is a failure: (0,0,0) with proxy_get_status
//     BrokenConnection "reset". ErrNoAnswer leaves the call pending until its
//     timeout, when Envoy's router answers 504 "upstream request timeout".
//     Tokens count from 1 per VM.
//   - Unary gRPC (Envoy GrpcCallClientHandler): success is
//     proxy_on_grpc_receive only (buffer 5 holds the message, no close
//     callback follows); failure is proxy_on_grpc_close(status) only, with
//     the message from proxy_get_status; an error from the cluster function
//     is Unavailable (14) with the error text; a timeout is Unavailable with
//     "upstream request timeout" (the router's 504 mapped to gRPC). An
//     unknown cluster is ParseFailure. Tokens are odd, from 1. No metadata
//     callbacks are made for unary calls.
//   - DeliverImmediately answers a callout once the event that made it has
//     been processed; DeliverManually waits for DeliverCallouts. Timeouts
//     fire from Envoy.Advance in either mode.
//   - Ticks: per root context (the root of the context that sets the
//     period), first after the period, re-armed after each proxy_on_tick
//     returns (fixed delay), 0 disables; Envoy.Advance fires them in time
//     order across VMs and roots (the lower root id first at one instant).
//   - Shared data: one store per Envoy (its vm_id), CAS rules of cpp-host's
//     SharedData; separate Envoys share nothing.
//   - Metrics: ids carry the type in their low two bits; the same name in
//     several VMs is one stat "wasmcustom.<name>" (values aggregate).
//     Increment on a counter needs delta > 0; record on a counter adds;
//     histograms refuse increment and get (BadArgument).
//
// # Failures
//
// A guest method that panics is a trap: the emulator recovers it, logs it
// as an Envoy line ("Function: proxy_on_... failed: ..."), drops the
// actions the call queued, and marks the VM failed (FailState
// RuntimeError). From then on no callback reaches that VM. FAIL_CLOSED
// (default): the stream in flight and every later stream get a 503 local
// reply (details wasm_fail_stream, gRPC Unavailable, empty body) and the
// filter's response callbacks are skipped. FAIL_OPEN: later streams bypass
// the filter entirely (no context is created) and streams in flight
// continue as if every callback returned Continue. A stream stopped waiting
// on a VM that then fails stays stopped until its next event.
//
// # Concurrency
//
// A VM (and its streams) must be driven by one goroutine at a time; shared
// data, metrics and logs are safe across VMs driven concurrently.
// Envoy.Advance and Envoy.DeliverCallouts touch every VM.
package host
