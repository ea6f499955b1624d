package wasmguest

import (
	"strings"

	"github.com/tetratelabs/wazero/api"
)

const (
	i32 = api.ValueTypeI32
	i64 = api.ValueTypeI64
)

// Module names cpp-host registers host functions under.
const (
	modEnv          = "env"
	modWASI         = "wasi_snapshot_preview1"
	modWASIUnstable = "wasi_unstable"
)

// ABI markers (HOST bytecode_util.cc scans export names for them).
const (
	markerABI021 = "proxy_abi_version_0_2_1"
	markerABI020 = "proxy_abi_version_0_2_0"
	markerABI010 = "proxy_abi_version_0_1_0"
)

type abiVersion int

const (
	abiUnknown abiVersion = iota
	abi010
	abi020
	abi021
)

func (a abiVersion) String() string {
	switch a {
	case abi010:
		return "0_1_0"
	case abi020:
		return "0_2_0"
	case abi021:
		return "0_2_1"
	}
	return "unknown"
}

// detectABI mirrors cpp-host: the newest marker found wins.
func detectABI(exports map[string]api.FunctionDefinition) abiVersion {
	switch {
	case exports[markerABI021] != nil:
		return abi021
	case exports[markerABI020] != nil:
		return abi020
	case exports[markerABI010] != nil:
		return abi010
	}
	return abiUnknown
}

// sig is a wasm function type.
type sig struct {
	params, results []api.ValueType
}

func (s sig) equal(params, results []api.ValueType) bool {
	return typesEqual(s.params, params) && typesEqual(s.results, results)
}

func (s sig) String() string { return formatSig(s.params, s.results) }

func typesEqual(a, b []api.ValueType) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func formatSig(params, results []api.ValueType) string {
	var b strings.Builder
	b.WriteByte('(')
	for i, t := range params {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(api.ValueTypeName(t))
	}
	b.WriteString(")->(")
	for i, t := range results {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(api.ValueTypeName(t))
	}
	b.WriteByte(')')
	return b.String()
}

// ints returns n i32 types.
func ints(n int) []api.ValueType {
	t := make([]api.ValueType, n)
	for i := range t {
		t[i] = i32
	}
	return t
}

var (
	none  = []api.ValueType{}
	oneI  = []api.ValueType{i32}
	twoI  = []api.ValueType{i32, i32}
	threI = []api.ValueType{i32, i32, i32}
)

// Export indexes of the guest functions a VM calls.
const (
	expInitialize = iota
	expMain
	expMainVoid
	expStart
	expMalloc
	expOnMemoryAllocate
	expValidateConfiguration
	expOnVMStart
	expOnConfigure
	expOnContextCreate
	expOnRequestHeaders
	expOnRequestBody
	expOnRequestTrailers
	expOnRequestMetadata
	expOnResponseHeaders
	expOnResponseBody
	expOnResponseTrailers
	expOnResponseMetadata
	expOnHttpCallResponse
	expOnTick
	expOnQueueReady
	expOnForeignFunction
	expOnGrpcReceiveInitialMetadata
	expOnGrpcReceiveTrailingMetadata
	expOnGrpcReceive
	expOnGrpcClose
	expOnNewConnection
	expOnDownstreamData
	expOnUpstreamData
	expOnDownstreamConnectionClose
	expOnUpstreamConnectionClose
	expOnDone
	expOnLog
	expOnDelete
	numExports
)

// exportSpecs are the guest exports cpp-host looks up, with the exact wasm
// signatures V8 checks (docs/internals/proxy-wasm.md §1.5, ABI 0.2.x).
var exportSpecs = [numExports]struct {
	name string
	sig  sig
}{
	expInitialize:                    {"_initialize", sig{none, none}},
	expMain:                          {"main", sig{twoI, oneI}},
	expMainVoid:                      {"__main_void", sig{none, oneI}},
	expStart:                         {"_start", sig{none, none}},
	expMalloc:                        {"malloc", sig{oneI, oneI}},
	expOnMemoryAllocate:              {"proxy_on_memory_allocate", sig{oneI, oneI}},
	expValidateConfiguration:         {"proxy_validate_configuration", sig{twoI, oneI}},
	expOnVMStart:                     {"proxy_on_vm_start", sig{twoI, oneI}},
	expOnConfigure:                   {"proxy_on_configure", sig{twoI, oneI}},
	expOnContextCreate:               {"proxy_on_context_create", sig{twoI, none}},
	expOnRequestHeaders:              {"proxy_on_request_headers", sig{threI, oneI}},
	expOnRequestBody:                 {"proxy_on_request_body", sig{threI, oneI}},
	expOnRequestTrailers:             {"proxy_on_request_trailers", sig{twoI, oneI}},
	expOnRequestMetadata:             {"proxy_on_request_metadata", sig{twoI, oneI}},
	expOnResponseHeaders:             {"proxy_on_response_headers", sig{threI, oneI}},
	expOnResponseBody:                {"proxy_on_response_body", sig{threI, oneI}},
	expOnResponseTrailers:            {"proxy_on_response_trailers", sig{twoI, oneI}},
	expOnResponseMetadata:            {"proxy_on_response_metadata", sig{twoI, oneI}},
	expOnHttpCallResponse:            {"proxy_on_http_call_response", sig{ints(5), none}},
	expOnTick:                        {"proxy_on_tick", sig{oneI, none}},
	expOnQueueReady:                  {"proxy_on_queue_ready", sig{twoI, none}},
	expOnForeignFunction:             {"proxy_on_foreign_function", sig{threI, none}},
	expOnGrpcReceiveInitialMetadata:  {"proxy_on_grpc_receive_initial_metadata", sig{threI, none}},
	expOnGrpcReceiveTrailingMetadata: {"proxy_on_grpc_receive_trailing_metadata", sig{threI, none}},
	expOnGrpcReceive:                 {"proxy_on_grpc_receive", sig{threI, none}},
	expOnGrpcClose:                   {"proxy_on_grpc_close", sig{threI, none}},
	expOnNewConnection:               {"proxy_on_new_connection", sig{oneI, oneI}},
	expOnDownstreamData:              {"proxy_on_downstream_data", sig{threI, oneI}},
	expOnUpstreamData:                {"proxy_on_upstream_data", sig{threI, oneI}},
	expOnDownstreamConnectionClose:   {"proxy_on_downstream_connection_close", sig{twoI, none}},
	expOnUpstreamConnectionClose:     {"proxy_on_upstream_connection_close", sig{twoI, none}},
	expOnDone:                        {"proxy_on_done", sig{oneI, oneI}},
	expOnLog:                         {"proxy_on_log", sig{oneI, none}},
	expOnDelete:                      {"proxy_on_delete", sig{oneI, none}},
}

func exportIndex(name string) int {
	for i, e := range exportSpecs {
		if e.name == name {
			return i
		}
	}
	return -1
}
