// Package fault wraps the proxy.Host a guest is given, so that a test can
// watch, count, delay, fail or break chosen hostcalls: a host answering
// with an unexpected status, a list of headers spelled another way, a
// shared-data store that cannot be read, or (natively) a panic inside the
// plugin's own callback. It is the one place tests take such a host from.
//
// The wrapper sits between the guest and the emulator's host: for the
// native plugin it is the proxy.Host the plugin calls; for the .wasm it is
// the proxy.Host the wazero adapter calls on the module's behalf, so a
// status it returns is what the module reads from the ABI.
package fault

import (
	"strings"
	"sync/atomic"

	"github.com/apiguard/apiguard/filter/proxy"
)

// Call is one hostcall as a Hook sees it, before it is made.
type Call struct {
	// Method is the proxy.Host method: "GetHeaderMapValue", "HttpCall", ...
	Method string
	// Map is the header map of the header-map methods.
	Map proxy.MapType
	// Buffer is the buffer of the buffer methods.
	Buffer proxy.BufferType
	// Stream is the stream of ContinueStream and CloseStream.
	Stream proxy.StreamType
	// Key is the header name (header-map methods), the shared-data key, the
	// cluster (HttpCall, GrpcCall) or the property path joined with '.'.
	Key string
	// N is SendLocalResponse's status code or SetTickPeriod's period in
	// milliseconds.
	N uint32
}

// Hook is asked before every intercepted hostcall. StatusOK lets the call
// through to the wrapped host; any other status fails the call with it
// (zero results), and the wrapped host never sees it. A Hook may also
// count, block or yield, or panic: natively that is a panic inside the
// plugin's callback, as a bug of the plugin would be; through the wazero
// adapter it unwinds the host, which the emulator records as a VM trap.
type Hook func(Call) proxy.Status

// Host is a proxy.Host whose calls pass Hook first. Log, GetLogLevel, Now,
// GetStatus, the metric calls, SetEffectiveContext and Done are not
// intercepted.
type Host struct {
	proxy.Host
	// Hook is asked before each intercepted call; nil lets every call pass.
	Hook Hook
	// Pairs, when set, edits what a successful GetHeaderMapPairs returns.
	Pairs func(m proxy.MapType, pairs []proxy.Pair) []proxy.Pair
}

func (h Host) fails(c Call) proxy.Status {
	if h.Hook == nil {
		return proxy.StatusOK
	}
	return h.Hook(c)
}

// SetTickPeriod implements proxy.Host.
func (h Host) SetTickPeriod(ms uint32) proxy.Status {
	if st := h.fails(Call{Method: "SetTickPeriod", N: ms}); st != proxy.StatusOK {
		return st
	}
	return h.Host.SetTickPeriod(ms)
}

// GetProperty implements proxy.Host.
func (h Host) GetProperty(path []string) ([]byte, proxy.Status) {
	if st := h.fails(Call{Method: "GetProperty", Key: strings.Join(path, ".")}); st != proxy.StatusOK {
		return nil, st
	}
	return h.Host.GetProperty(path)
}

// SetProperty implements proxy.Host.
func (h Host) SetProperty(path []string, value []byte) proxy.Status {
	if st := h.fails(Call{Method: "SetProperty", Key: strings.Join(path, ".")}); st != proxy.StatusOK {
		return st
	}
	return h.Host.SetProperty(path, value)
}

// SendLocalResponse implements proxy.Host.
func (h Host) SendLocalResponse(code uint32, details string, body []byte, hs []proxy.Pair, grpc int32) proxy.Status {
	if st := h.fails(Call{Method: "SendLocalResponse", N: code}); st != proxy.StatusOK {
		return st
	}
	return h.Host.SendLocalResponse(code, details, body, hs, grpc)
}

// GetSharedData implements proxy.Host.
func (h Host) GetSharedData(key string) ([]byte, uint32, proxy.Status) {
	if st := h.fails(Call{Method: "GetSharedData", Key: key}); st != proxy.StatusOK {
		return nil, 0, st
	}
	return h.Host.GetSharedData(key)
}

// SetSharedData implements proxy.Host.
func (h Host) SetSharedData(key string, value []byte, cas uint32) proxy.Status {
	if st := h.fails(Call{Method: "SetSharedData", Key: key}); st != proxy.StatusOK {
		return st
	}
	return h.Host.SetSharedData(key, value, cas)
}

// GetHeaderMapValue implements proxy.Host.
func (h Host) GetHeaderMapValue(m proxy.MapType, key string) (string, proxy.Status) {
	if st := h.fails(Call{Method: "GetHeaderMapValue", Map: m, Key: key}); st != proxy.StatusOK {
		return "", st
	}
	return h.Host.GetHeaderMapValue(m, key)
}

// GetHeaderMapPairs implements proxy.Host.
func (h Host) GetHeaderMapPairs(m proxy.MapType) ([]proxy.Pair, proxy.Status) {
	if st := h.fails(Call{Method: "GetHeaderMapPairs", Map: m}); st != proxy.StatusOK {
		return nil, st
	}
	ps, st := h.Host.GetHeaderMapPairs(m)
	if st == proxy.StatusOK && h.Pairs != nil {
		ps = h.Pairs(m, ps)
	}
	return ps, st
}

// SetHeaderMapPairs implements proxy.Host.
func (h Host) SetHeaderMapPairs(m proxy.MapType, pairs []proxy.Pair) proxy.Status {
	if st := h.fails(Call{Method: "SetHeaderMapPairs", Map: m}); st != proxy.StatusOK {
		return st
	}
	return h.Host.SetHeaderMapPairs(m, pairs)
}

// AddHeaderMapValue implements proxy.Host.
func (h Host) AddHeaderMapValue(m proxy.MapType, key, value string) proxy.Status {
	if st := h.fails(Call{Method: "AddHeaderMapValue", Map: m, Key: key}); st != proxy.StatusOK {
		return st
	}
	return h.Host.AddHeaderMapValue(m, key, value)
}

// ReplaceHeaderMapValue implements proxy.Host.
func (h Host) ReplaceHeaderMapValue(m proxy.MapType, key, value string) proxy.Status {
	if st := h.fails(Call{Method: "ReplaceHeaderMapValue", Map: m, Key: key}); st != proxy.StatusOK {
		return st
	}
	return h.Host.ReplaceHeaderMapValue(m, key, value)
}

// RemoveHeaderMapValue implements proxy.Host.
func (h Host) RemoveHeaderMapValue(m proxy.MapType, key string) proxy.Status {
	if st := h.fails(Call{Method: "RemoveHeaderMapValue", Map: m, Key: key}); st != proxy.StatusOK {
		return st
	}
	return h.Host.RemoveHeaderMapValue(m, key)
}

// GetBufferStatus implements proxy.Host.
func (h Host) GetBufferStatus(b proxy.BufferType) (int, uint32, proxy.Status) {
	if st := h.fails(Call{Method: "GetBufferStatus", Buffer: b}); st != proxy.StatusOK {
		return 0, 0, st
	}
	return h.Host.GetBufferStatus(b)
}

// GetBufferBytes implements proxy.Host.
func (h Host) GetBufferBytes(b proxy.BufferType, start, maxSize int) ([]byte, proxy.Status) {
	if st := h.fails(Call{Method: "GetBufferBytes", Buffer: b}); st != proxy.StatusOK {
		return nil, st
	}
	return h.Host.GetBufferBytes(b, start, maxSize)
}

// SetBufferBytes implements proxy.Host.
func (h Host) SetBufferBytes(b proxy.BufferType, start, size int, data []byte) proxy.Status {
	if st := h.fails(Call{Method: "SetBufferBytes", Buffer: b}); st != proxy.StatusOK {
		return st
	}
	return h.Host.SetBufferBytes(b, start, size, data)
}

// ContinueStream implements proxy.Host.
func (h Host) ContinueStream(s proxy.StreamType) proxy.Status {
	if st := h.fails(Call{Method: "ContinueStream", Stream: s}); st != proxy.StatusOK {
		return st
	}
	return h.Host.ContinueStream(s)
}

// CloseStream implements proxy.Host.
func (h Host) CloseStream(s proxy.StreamType) proxy.Status {
	if st := h.fails(Call{Method: "CloseStream", Stream: s}); st != proxy.StatusOK {
		return st
	}
	return h.Host.CloseStream(s)
}

// HttpCall implements proxy.Host.
func (h Host) HttpCall(cluster string, headers []proxy.Pair, body []byte, trailers []proxy.Pair, timeoutMs uint32) (uint32, proxy.Status) {
	if st := h.fails(Call{Method: "HttpCall", Key: cluster}); st != proxy.StatusOK {
		return 0, st
	}
	return h.Host.HttpCall(cluster, headers, body, trailers, timeoutMs)
}

// GrpcCall implements proxy.Host.
func (h Host) GrpcCall(service, serviceName, method string, md []proxy.Pair, msg []byte, timeoutMs uint32) (uint32, proxy.Status) {
	if st := h.fails(Call{Method: "GrpcCall", Key: service}); st != proxy.StatusOK {
		return 0, st
	}
	return h.Host.GrpcCall(service, serviceName, method, md, msg, timeoutMs)
}

// Switch is a Hook a test may replace at any time, from any goroutine,
// for instance to arm a fault once the plugin has started.
type Switch struct{ hook atomic.Pointer[Hook] }

// Set makes h the hook (nil: every call passes).
func (s *Switch) Set(h Hook) {
	if h == nil {
		s.hook.Store(nil)
		return
	}
	s.hook.Store(&h)
}

// Hook is the Hook to give Host: it asks the hook set last.
func (s *Switch) Hook(c Call) proxy.Status {
	if h := s.hook.Load(); h != nil {
		return (*h)(c)
	}
	return proxy.StatusOK
}
