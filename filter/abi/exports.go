//go:build wasip1

// The host calls these functions through //go:wasmexport, which the linter
// does not count as a use.
//
//lint:file-ignore U1000 exported to the host with //go:wasmexport

package abi

import (
	"github.com/apiguard/apiguard/filter/proxy"
)

var handler proxy.Handler

// Register installs the plugin. Call it from an init function: it only
// stores the handler, because no hostcall but proxy_log may run while
// _initialize does.
func Register(h proxy.Handler) { handler = h }

// proxy_abi_version_0_2_1 marks the ABI this module speaks. 0.2.1 (not
// 0.2.0) because it gives proxy_get_log_level.
//
//go:wasmexport proxy_abi_version_0_2_1
func proxyABIVersion021() {}

// pending keeps the buffer handed to the host alive until the hostcall that
// asked for it has returned and wrapped it (hostBytes/hostString). The host
// calls the allocator at most once per hostcall, so one slot suffices.
var pending []byte

// maxAlloc bounds what the host may ask for in one allocation. Nothing the
// plugin reads is larger than a body (at most 64 MiB by configuration, and
// Envoy's buffer limit), while V8 caps a module's memory at 1 GiB: a request
// near that would exhaust the Go heap and trap the VM (failing every stream
// of the worker) instead of returning 0, the ABI's failure value, which
// fails only the hostcall that asked.
const maxAlloc = 128 << 20

// proxy_on_memory_allocate only allocates: V8 runs it in restricted-callback
// mode, where any import but proxy_log, fd_write and clock_time_get traps on
// Envoy 1.33-1.38. Size 0 yields a valid one-byte block.
//
//go:wasmexport proxy_on_memory_allocate
func proxyOnMemoryAllocate(size uint32) *byte {
	if size > maxAlloc {
		return nil
	}
	if size == 0 {
		size = 1
	}
	buf := make([]byte, size)
	pending = buf
	return &buf[0]
}

func releaseAlloc() { pending = nil }

// internalErrorBody is the last-resort refusal, sent only when the plugin's
// own recovery failed. It has the shape of every other refusal (RFC 9457).
const internalErrorBody = `{"type":"about:blank","title":"Internal Server Error","status":500,"detail":"The request could not be processed."}`

var internalErrorHeaders = proxy.EncodePairs([]proxy.Pair{
	{Key: "content-type", Value: "application/problem+json"},
	{Key: "cache-control", Value: "no-store"},
})

func logPanic(export string, v any) {
	msg := "apiguard: panic in " + export
	switch e := v.(type) {
	case error:
		msg += ": " + e.Error()
	case string:
		msg += ": " + e
	}
	proxyLog(uint32(proxy.LogCritical), msg)
}

// failStream recovers a panic in a stream callback and fails closed: the
// client gets a 500 problem+json (or, after response headers went out, a
// reset, which Envoy does for a late local reply) and the stream stops.
func failStream(export string, action *uint32) {
	if v := recover(); v != nil {
		logPanic(export, v)
		body := []byte(internalErrorBody)
		if proxySendLocalResponse(500, "apiguard_panic", &body[0], uint32(len(body)),
			&internalErrorHeaders[0], uint32(len(internalErrorHeaders)), -1) != uint32(proxy.StatusOK) {
			// No answer will come: reset rather than leave the stream
			// to whatever the host does with a stopped callback.
			proxyCloseStream(uint32(proxy.StreamRequest))
		}
		*action = uint32(proxy.StopIteration)
	}
}

// failFalse recovers a panic in a lifecycle callback and answers false, so
// a plugin that cannot start refuses to start.
func failFalse(export string, ok *bool) {
	if v := recover(); v != nil {
		logPanic(export, v)
		*ok = false
	}
}

func failQuiet(export string) {
	if v := recover(); v != nil {
		logPanic(export, v)
	}
}

//go:wasmexport proxy_on_vm_start
func proxyOnVMStart(rootID, size uint32) (ok bool) {
	defer failFalse("proxy_on_vm_start", &ok)
	return handler != nil && handler.OnVMStart(rootID, int(size))
}

//go:wasmexport proxy_on_configure
func proxyOnConfigure(rootID, size uint32) (ok bool) {
	defer failFalse("proxy_on_configure", &ok)
	return handler != nil && handler.OnConfigure(rootID, int(size))
}

//go:wasmexport proxy_on_context_create
func proxyOnContextCreate(contextID, parentID uint32) {
	defer failQuiet("proxy_on_context_create")
	if handler != nil {
		handler.OnContextCreate(contextID, parentID)
	}
}

// Stream callbacks without a handler stop the stream: a module that was
// never configured must not let traffic through unchecked.
func noHandler() uint32 {
	proxyLog(uint32(proxy.LogCritical), "apiguard: no handler registered")
	panic("apiguard: no handler registered")
}

//go:wasmexport proxy_on_request_headers
func proxyOnRequestHeaders(contextID, numHeaders, endOfStream uint32) (action uint32) {
	defer failStream("proxy_on_request_headers", &action)
	if handler == nil {
		return noHandler()
	}
	return uint32(handler.OnRequestHeaders(contextID, int(numHeaders), endOfStream != 0))
}

//go:wasmexport proxy_on_request_body
func proxyOnRequestBody(contextID, bodySize, endOfStream uint32) (action uint32) {
	defer failStream("proxy_on_request_body", &action)
	if handler == nil {
		return noHandler()
	}
	return uint32(handler.OnRequestBody(contextID, int(bodySize), endOfStream != 0))
}

//go:wasmexport proxy_on_request_trailers
func proxyOnRequestTrailers(contextID, numTrailers uint32) (action uint32) {
	defer failStream("proxy_on_request_trailers", &action)
	if handler == nil {
		return noHandler()
	}
	return uint32(handler.OnRequestTrailers(contextID, int(numTrailers)))
}

//go:wasmexport proxy_on_response_headers
func proxyOnResponseHeaders(contextID, numHeaders, endOfStream uint32) (action uint32) {
	defer failStream("proxy_on_response_headers", &action)
	if handler == nil {
		return noHandler()
	}
	return uint32(handler.OnResponseHeaders(contextID, int(numHeaders), endOfStream != 0))
}

//go:wasmexport proxy_on_response_body
func proxyOnResponseBody(contextID, bodySize, endOfStream uint32) (action uint32) {
	defer failStream("proxy_on_response_body", &action)
	if handler == nil {
		return noHandler()
	}
	return uint32(handler.OnResponseBody(contextID, int(bodySize), endOfStream != 0))
}

//go:wasmexport proxy_on_response_trailers
func proxyOnResponseTrailers(contextID, numTrailers uint32) (action uint32) {
	defer failStream("proxy_on_response_trailers", &action)
	if handler == nil {
		return noHandler()
	}
	return uint32(handler.OnResponseTrailers(contextID, int(numTrailers)))
}

//go:wasmexport proxy_on_http_call_response
func proxyOnHttpCallResponse(rootID, token, numHeaders, bodySize, numTrailers uint32) {
	defer failQuiet("proxy_on_http_call_response")
	if handler != nil {
		handler.OnHttpCallResponse(rootID, token, int(numHeaders), int(bodySize), int(numTrailers))
	}
}

//go:wasmexport proxy_on_grpc_receive_initial_metadata
func proxyOnGrpcReceiveInitialMetadata(contextID, token, numHeaders uint32) {
	defer failQuiet("proxy_on_grpc_receive_initial_metadata")
	if handler != nil {
		handler.OnGrpcReceiveInitialMetadata(contextID, token, int(numHeaders))
	}
}

//go:wasmexport proxy_on_grpc_receive
func proxyOnGrpcReceive(contextID, token, size uint32) {
	defer failQuiet("proxy_on_grpc_receive")
	if handler != nil {
		handler.OnGrpcReceive(contextID, token, int(size))
	}
}

//go:wasmexport proxy_on_grpc_receive_trailing_metadata
func proxyOnGrpcReceiveTrailingMetadata(contextID, token, numTrailers uint32) {
	defer failQuiet("proxy_on_grpc_receive_trailing_metadata")
	if handler != nil {
		handler.OnGrpcReceiveTrailingMetadata(contextID, token, int(numTrailers))
	}
}

//go:wasmexport proxy_on_grpc_close
func proxyOnGrpcClose(contextID, token, statusCode uint32) {
	defer failQuiet("proxy_on_grpc_close")
	if handler != nil {
		handler.OnGrpcClose(contextID, token, statusCode)
	}
}

//go:wasmexport proxy_on_tick
func proxyOnTick(rootID uint32) {
	defer failQuiet("proxy_on_tick")
	if handler != nil {
		handler.OnTick(rootID)
	}
}

//go:wasmexport proxy_on_log
func proxyOnLog(contextID uint32) {
	defer failQuiet("proxy_on_log")
	if handler != nil {
		handler.OnLog(contextID)
	}
}

//go:wasmexport proxy_on_done
func proxyOnDone(contextID uint32) (done bool) {
	defer func() {
		if v := recover(); v != nil {
			logPanic("proxy_on_done", v)
			done = true
		}
	}()
	return handler == nil || handler.OnDone(contextID)
}

//go:wasmexport proxy_on_delete
func proxyOnDelete(contextID uint32) {
	defer failQuiet("proxy_on_delete")
	if handler != nil {
		handler.OnDelete(contextID)
	}
}
