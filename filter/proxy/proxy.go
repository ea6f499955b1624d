package proxy

import "github.com/apiguard/apiguard/filter/httpx"

// Status is proxy_status_t (WasmResult in cpp-host).
type Status uint32

const (
	StatusOK                   Status = 0
	StatusNotFound             Status = 1
	StatusBadArgument          Status = 2
	StatusSerializationFailure Status = 3
	StatusParseFailure         Status = 4
	StatusBadExpression        Status = 5
	StatusInvalidMemoryAccess  Status = 6
	StatusEmpty                Status = 7
	StatusCasMismatch          Status = 8
	StatusResultMismatch       Status = 9
	StatusInternalFailure      Status = 10
	StatusBrokenConnection     Status = 11
	StatusUnimplemented        Status = 12
)

var statusNames = [...]string{
	"Ok", "NotFound", "BadArgument", "SerializationFailure", "ParseFailure",
	"BadExpression", "InvalidMemoryAccess", "Empty", "CasMismatch",
	"ResultMismatch", "InternalFailure", "BrokenConnection", "Unimplemented",
}

func (s Status) String() string {
	if int(s) < len(statusNames) {
		return statusNames[s]
	}
	return "Status(" + itoa(uint64(s)) + ")"
}

// Error makes a non-OK status usable as an error.
func (s Status) Error() string { return "proxy-wasm status " + s.String() }

// LogLevel is proxy_log_level_t.
type LogLevel uint32

const (
	LogTrace    LogLevel = 0
	LogDebug    LogLevel = 1
	LogInfo     LogLevel = 2
	LogWarn     LogLevel = 3
	LogError    LogLevel = 4
	LogCritical LogLevel = 5
)

// MapType is proxy_map_type_t.
type MapType uint32

const (
	MapRequestHeaders          MapType = 0
	MapRequestTrailers         MapType = 1
	MapResponseHeaders         MapType = 2
	MapResponseTrailers        MapType = 3
	MapGrpcInitialMetadata     MapType = 4
	MapGrpcTrailingMetadata    MapType = 5
	MapHttpCallResponseHeaders MapType = 6
	MapHttpCallResponseTrailer MapType = 7
)

// BufferType is proxy_buffer_type_t.
type BufferType uint32

const (
	BufferRequestBody          BufferType = 0
	BufferResponseBody         BufferType = 1
	BufferDownstreamData       BufferType = 2
	BufferUpstreamData         BufferType = 3
	BufferHttpCallResponseBody BufferType = 4
	BufferGrpcReceive          BufferType = 5
	BufferVMConfiguration      BufferType = 6
	BufferPluginConfiguration  BufferType = 7
	BufferCallData             BufferType = 8
)

// StreamType is proxy_stream_type_t.
type StreamType uint32

const (
	StreamRequest    StreamType = 0
	StreamResponse   StreamType = 1
	StreamDownstream StreamType = 2
	StreamUpstream   StreamType = 3
)

// MetricType is proxy_metric_type_t.
type MetricType uint32

const (
	MetricCounter   MetricType = 0
	MetricGauge     MetricType = 1
	MetricHistogram MetricType = 2
)

// Action is what a stream callback returns. The numeric values are the ones
// cpp-host interprets (docs/internals/proxy-wasm.md §1.3): for header callbacks
// FilterHeadersStatus, for body callbacks FilterDataStatus, for trailers
// FilterTrailersStatus.
type Action uint32

const (
	// Continue lets the stream go on (all phases).
	Continue Action = 0
	// StopIteration, from a headers callback, holds the headers. Envoy only
	// honours it when allow_on_headers_stop_iteration is set; otherwise it
	// becomes StopAllIterationAndWatermark.
	StopIteration Action = 1
	// StopIterationAndBuffer, from a body callback, buffers the body: the
	// next body callback sees everything received so far.
	StopIterationAndBuffer Action = 1
	// StopIterationAndWatermark, from a body callback.
	StopIterationAndWatermark Action = 2
	// StopIterationNoBuffer, from a body callback.
	StopIterationNoBuffer Action = 3
	// StopAllIterationAndBuffer, from a headers callback.
	StopAllIterationAndBuffer Action = 3
	// StopAllIterationAndWatermark, from a headers callback.
	StopAllIterationAndWatermark Action = 4
)

// Pair is one header (or trailer, or metadata) entry. Order and repeated
// keys are preserved: a header map is a list, not a map. It is
// httpx.Pair, so the feature packages read the host's header lists as
// they come.
type Pair = httpx.Pair

// Host is everything the plugin may ask of Envoy: one method per ABI v0.2.1
// hostcall the plugin uses, plus the clock. Returned byte slices and strings
// are owned by the caller.
//
// Calls act on the current effective context: the context of the callback
// being run, or the one chosen by SetEffectiveContext within the callback.
type Host interface {
	// Log writes one log line at level.
	Log(level LogLevel, msg string) Status
	// GetLogLevel returns the host's current log level.
	GetLogLevel() (LogLevel, Status)
	// Now returns the host clock in Unix nanoseconds (WASI clock_time_get
	// realtime in the guest; the emulator's controllable clock natively).
	Now() int64
	// Environ returns the VM's environment as NAME=value entries: Envoy's
	// vm_config.environment_variables, Istio's vmConfig.env (WASI environ
	// in the guest). The plugin reads secrets by reference from it at
	// configure time (docs/configuration.md "Secrets from the environment").
	Environ() []string

	SetTickPeriod(milliseconds uint32) Status

	// GetProperty reads an attribute such as ["source", "address"].
	GetProperty(path []string) ([]byte, Status)
	SetProperty(path []string, value []byte) Status

	// SendLocalResponse answers the client from the filter. The reply is
	// deferred until the current callback returns.
	SendLocalResponse(statusCode uint32, details string, body []byte, headers []Pair, grpcStatus int32) Status

	GetSharedData(key string) (value []byte, cas uint32, st Status)
	SetSharedData(key string, value []byte, cas uint32) Status

	// GetHeaderMapValue returns the first value of key.
	GetHeaderMapValue(m MapType, key string) (string, Status)
	GetHeaderMapPairs(m MapType) ([]Pair, Status)
	SetHeaderMapPairs(m MapType, pairs []Pair) Status
	AddHeaderMapValue(m MapType, key, value string) Status
	ReplaceHeaderMapValue(m MapType, key, value string) Status
	RemoveHeaderMapValue(m MapType, key string) Status

	GetBufferStatus(b BufferType) (length int, flags uint32, st Status)
	GetBufferBytes(b BufferType, start, maxSize int) ([]byte, Status)
	SetBufferBytes(b BufferType, start, size int, data []byte) Status

	ContinueStream(s StreamType) Status
	CloseStream(s StreamType) Status

	// HttpCall starts an HTTP callout to an Envoy cluster. The answer
	// arrives as Handler.OnHttpCallResponse on the root context.
	HttpCall(cluster string, headers []Pair, body []byte, trailers []Pair, timeoutMs uint32) (token uint32, st Status)
	// GrpcCall starts a unary gRPC call; service is an Envoy cluster name
	// (or a serialized GrpcService). Answers arrive on the root context.
	GrpcCall(service, serviceName, method string, initialMetadata []Pair, message []byte, timeoutMs uint32) (token uint32, st Status)
	GrpcCancel(token uint32) Status
	GrpcClose(token uint32) Status
	// GetStatus reads the status of the last callout (http failure, gRPC close).
	GetStatus() (code uint32, message string, st Status)

	DefineMetric(t MetricType, name string) (id uint32, st Status)
	IncrementMetric(id uint32, delta int64) Status
	RecordMetric(id uint32, value int64) Status
	GetMetric(id uint32) (uint64, Status)

	SetEffectiveContext(contextID uint32) Status
	Done() Status

	// CallForeignFunction calls a function the host registered by name
	// (Envoy's verify_signature, for one): args and the result are the
	// function's own serialization. NotFound when the host has no such
	// function. The host copies the result into a block from the guest's
	// allocator; an empty result is nil.
	CallForeignFunction(name string, args []byte) ([]byte, Status)
}

// Handler is the plugin as Envoy sees it: one method per guest export. The
// root (plugin) context and each HTTP stream have their own context id;
// parent id 0 marks a root context.
//
// Implementations must not panic; the ABI layer recovers anyway and fails
// closed.
type Handler interface {
	OnVMStart(rootID uint32, vmConfigSize int) bool
	OnConfigure(rootID uint32, pluginConfigSize int) bool
	OnContextCreate(contextID, parentID uint32)

	OnRequestHeaders(contextID uint32, numHeaders int, endOfStream bool) Action
	OnRequestBody(contextID uint32, bodySize int, endOfStream bool) Action
	OnRequestTrailers(contextID uint32, numTrailers int) Action
	OnResponseHeaders(contextID uint32, numHeaders int, endOfStream bool) Action
	OnResponseBody(contextID uint32, bodySize int, endOfStream bool) Action
	OnResponseTrailers(contextID uint32, numTrailers int) Action

	OnHttpCallResponse(rootID, token uint32, numHeaders, bodySize, numTrailers int)
	OnGrpcReceiveInitialMetadata(contextID, token uint32, numHeaders int)
	OnGrpcReceive(contextID, token uint32, size int)
	OnGrpcReceiveTrailingMetadata(contextID, token uint32, numTrailers int)
	OnGrpcClose(contextID, token uint32, statusCode uint32)
	OnTick(rootID uint32)

	OnLog(contextID uint32)
	OnDone(contextID uint32) bool
	OnDelete(contextID uint32)
}

func itoa(v uint64) string {
	if v == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	for v > 0 {
		i--
		b[i] = byte('0' + v%10)
		v /= 10
	}
	return string(b[i:])
}
