// Package plugin is apiguard's glue between the proxy-wasm ABI and the
// host-agnostic policy packages: it owns the root (plugin) contexts, which
// parse and compile the configuration once, and the HTTP stream contexts,
// which run DESIGN.md's order of checks against the compiled policy.
//
// It talks to Envoy only through proxy.Host, so the same code runs inside the
// .wasm (filter/abi) and natively inside the test host (e2e/host).
package plugin

import (
	"strconv"

	"github.com/apiguard/apiguard/filter/config"
	"github.com/apiguard/apiguard/filter/policy"
	"github.com/apiguard/apiguard/filter/proxy"
)

// Plugin is one VM's instance of apiguard: the proxy.Handler Envoy calls.
type Plugin struct {
	host    proxy.Host
	roots   map[uint32]*root
	streams map[uint32]*stream
	denyLog logLimiter
}

var _ proxy.Handler = (*Plugin)(nil)

// New returns the plugin for one VM. It makes no hostcall, so it may run
// during module initialisation.
func New(h proxy.Host) *Plugin {
	return &Plugin{host: h, roots: map[uint32]*root{}, streams: map[uint32]*stream{}}
}

// root is a plugin context: one configuration, compiled once.
type root struct {
	id      uint32
	policy  *policy.Policy
	metrics *metrics
}

// OnVMStart implements proxy.Handler. The VM configuration is unused.
func (p *Plugin) OnVMStart(rootID uint32, vmConfigSize int) bool { return true }

// OnContextCreate implements proxy.Handler.
func (p *Plugin) OnContextCreate(contextID, parentID uint32) {
	if parentID == 0 {
		p.roots[contextID] = &root{id: contextID, metrics: newMetrics(p.host)}
		return
	}
	r := p.roots[parentID]
	p.streams[contextID] = newStream(p, r, contextID)
}

// OnConfigure implements proxy.Handler: it parses the whole configuration
// strictly and compiles it. On any error it logs one line naming the JSON
// path and returns false, so Envoy refuses to start the plugin (or rejects
// the xDS update).
func (p *Plugin) OnConfigure(rootID uint32, size int) bool {
	r := p.roots[rootID]
	if r == nil {
		r = &root{id: rootID, metrics: newMetrics(p.host)}
		p.roots[rootID] = r
	}
	var data []byte
	if size > 0 {
		b, st := p.host.GetBufferBytes(proxy.BufferPluginConfiguration, 0, size)
		if st != proxy.StatusOK {
			p.host.Log(proxy.LogCritical, "apiguard: config: cannot read the plugin configuration: "+st.String())
			return false
		}
		data = b
	}
	cfg, err := config.Parse(data)
	if err != nil {
		p.host.Log(proxy.LogCritical, "apiguard: config: "+err.Error())
		return false
	}
	pol, err := policy.Compile(cfg)
	if err != nil {
		p.host.Log(proxy.LogCritical, "apiguard: config: "+err.Error())
		return false
	}
	r.policy = pol
	p.host.Log(proxy.LogInfo, "apiguard: configured "+strconv.Itoa(len(cfg.Routes))+" routes")
	return true
}

// OnTick implements proxy.Handler.
func (p *Plugin) OnTick(rootID uint32) {}

// OnHttpCallResponse implements proxy.Handler.
func (p *Plugin) OnHttpCallResponse(rootID, token uint32, numHeaders, bodySize, numTrailers int) {}

// OnGrpcReceiveInitialMetadata implements proxy.Handler.
func (p *Plugin) OnGrpcReceiveInitialMetadata(contextID, token uint32, numHeaders int) {}

// OnGrpcReceive implements proxy.Handler.
func (p *Plugin) OnGrpcReceive(contextID, token uint32, size int) {}

// OnGrpcReceiveTrailingMetadata implements proxy.Handler.
func (p *Plugin) OnGrpcReceiveTrailingMetadata(contextID, token uint32, numTrailers int) {}

// OnGrpcClose implements proxy.Handler.
func (p *Plugin) OnGrpcClose(contextID, token uint32, statusCode uint32) {}

// OnLog implements proxy.Handler: the stream's audit line, when configured.
func (p *Plugin) OnLog(contextID uint32) {
	if s := p.streams[contextID]; s != nil {
		s.guard("proxy_on_log", s.onLog)
	}
}

// OnDone implements proxy.Handler.
func (p *Plugin) OnDone(contextID uint32) bool { return true }

// OnDelete implements proxy.Handler.
func (p *Plugin) OnDelete(contextID uint32) {
	delete(p.streams, contextID)
	delete(p.roots, contextID)
}

// OnRequestHeaders implements proxy.Handler.
func (p *Plugin) OnRequestHeaders(contextID uint32, numHeaders int, endOfStream bool) proxy.Action {
	return p.stream(contextID).run("proxy_on_request_headers", func(s *stream) proxy.Action {
		return s.onRequestHeaders(endOfStream)
	})
}

// OnRequestBody implements proxy.Handler.
func (p *Plugin) OnRequestBody(contextID uint32, bodySize int, endOfStream bool) proxy.Action {
	return p.stream(contextID).run("proxy_on_request_body", func(s *stream) proxy.Action {
		return s.onRequestBody(bodySize, endOfStream)
	})
}

// OnRequestTrailers implements proxy.Handler.
func (p *Plugin) OnRequestTrailers(contextID uint32, numTrailers int) proxy.Action {
	return p.stream(contextID).run("proxy_on_request_trailers", func(s *stream) proxy.Action {
		return s.onRequestTrailers()
	})
}

// OnResponseHeaders implements proxy.Handler.
func (p *Plugin) OnResponseHeaders(contextID uint32, numHeaders int, endOfStream bool) proxy.Action {
	return p.stream(contextID).run("proxy_on_response_headers", func(s *stream) proxy.Action {
		return s.onResponseHeaders(endOfStream)
	})
}

// OnResponseBody implements proxy.Handler.
func (p *Plugin) OnResponseBody(contextID uint32, bodySize int, endOfStream bool) proxy.Action {
	return p.stream(contextID).run("proxy_on_response_body", func(s *stream) proxy.Action {
		return s.onResponseBody(bodySize, endOfStream)
	})
}

// OnResponseTrailers implements proxy.Handler.
func (p *Plugin) OnResponseTrailers(contextID uint32, numTrailers int) proxy.Action {
	return p.stream(contextID).run("proxy_on_response_trailers", func(s *stream) proxy.Action {
		return s.onResponseTrailers()
	})
}

// stream returns the stream context, or a placeholder that fails closed when
// Envoy calls a stream Apiguard never saw created.
func (p *Plugin) stream(id uint32) *stream {
	if s := p.streams[id]; s != nil {
		return s
	}
	s := newStream(p, nil, id)
	p.streams[id] = s
	return s
}
