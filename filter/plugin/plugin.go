package plugin

import (
	"strconv"

	"github.com/apiguard/apiguard/filter/config"
	"github.com/apiguard/apiguard/filter/policy"
	"github.com/apiguard/apiguard/filter/problem"
	"github.com/apiguard/apiguard/filter/proxy"
	"github.com/apiguard/apiguard/filter/ratelimit"
	"github.com/apiguard/apiguard/filter/version"
)

// Plugin is one VM's instance of apiguard: the proxy.Handler Envoy calls.
type Plugin struct {
	host    proxy.Host
	roots   map[uint32]*root
	streams proxy.Contexts[stream]
	denyLog problem.LogLimiter

	// httpCalls routes callout answers (which Envoy delivers to the root
	// context) to whoever made the call, by token; grpcCalls maps the
	// token of a call to the rate limit service (the only gRPC calls) to
	// the stream that made it.
	httpCalls map[uint32]func(numHeaders, bodySize, numTrailers int)
	grpcCalls map[uint32]uint32
}

var _ proxy.Handler = (*Plugin)(nil)

// New returns the plugin for one VM. It makes no hostcall, so it may run
// during module initialisation.
func New(h proxy.Host) *Plugin {
	return &Plugin{
		host:      h,
		roots:     map[uint32]*root{},
		httpCalls: map[uint32]func(int, int, int){},
		grpcCalls: map[uint32]uint32{},
	}
}

// root is a plugin context: one configuration, compiled once.
type root struct {
	p       *Plugin
	id      uint32
	policy  *policy.Policy
	metrics *problem.Counters

	// Per-feature plugin-wide state, each defined in its feature's file.
	auth   authRoot
	limits *ratelimit.Runtime

	// details caches the response code details of each refusal reason
	// (refusalDetails).
	details problem.DetailsCache

	// tickPeriod is the shortest tick any feature asked for (0: none).
	tickPeriod uint32
}

// features configure their plugin-wide state once the policy compiled; an
// error is a *config.Error naming the path and stops the plugin.
var features = [...]func(*root) error{
	(*root).configureAuth,          // auth.go
	(*root).configureRateLimits,    // ratelimit.go
	(*root).defineRedactionMetrics, // response.go
}

// wantTicks asks for proxy_on_tick at least every ms milliseconds.
func (r *root) wantTicks(ms uint32) {
	if ms > 0 && (r.tickPeriod == 0 || ms < r.tickPeriod) {
		r.tickPeriod = ms
	}
}

// OnVMStart implements proxy.Handler. The VM configuration is unused.
func (p *Plugin) OnVMStart(rootID uint32, vmConfigSize int) bool { return true }

// OnContextCreate implements proxy.Handler.
func (p *Plugin) OnContextCreate(contextID, parentID uint32) {
	if parentID == 0 {
		p.roots[contextID] = p.newRoot(contextID)
		return
	}
	p.streams.Put(contextID, newStream(p, p.roots[parentID], contextID))
}

// OnConfigure implements proxy.Handler: it parses the whole configuration
// strictly and compiles it. On errors it logs one line for each (up to
// config.MaxErrors) naming the JSON path and returns false, so Envoy refuses to start the plugin (or rejects
// the xDS update).
func (p *Plugin) OnConfigure(rootID uint32, size int) bool {
	r := p.roots[rootID]
	if r == nil {
		r = p.newRoot(rootID)
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
	cfg, err := config.ParseEnv(data, config.Environ(p.host.Environ()))
	if err != nil {
		// One line per error, each with its path and place
		// (docs/configuration.md "Errors").
		for _, line := range config.Lines(err) {
			p.host.Log(proxy.LogCritical, "apiguard: config: "+line)
		}
		return false
	}
	pol, err := policy.Compile(cfg)
	if err != nil {
		p.host.Log(proxy.LogCritical, "apiguard: config: "+err.Error())
		return false
	}
	r.policy = pol
	for _, configure := range features {
		if err := configure(r); err != nil {
			p.host.Log(proxy.LogCritical, "apiguard: config: "+err.Error())
			return false
		}
	}
	if r.tickPeriod > 0 {
		p.host.SetTickPeriod(r.tickPeriod)
	}
	p.host.Log(proxy.LogInfo, "apiguard "+version.String()+": configured "+strconv.Itoa(len(cfg.Routes))+" routes")
	return true
}

func (p *Plugin) newRoot(id uint32) *root {
	return &root{p: p, id: id, metrics: problem.NewCounters(metricHost{p.host})}
}

// OnTick implements proxy.Handler: each feature's periodic work.
func (p *Plugin) OnTick(rootID uint32) {
	r := p.roots[rootID]
	if r == nil {
		return
	}
	p.safely("proxy_on_tick", func() { p.denyLog.Tick(denyLogHost{p}, r.tickPeriod > 0) })
	if r.policy == nil {
		return
	}
	p.safely("proxy_on_tick", func() {
		r.tickAuth()
	})
}

// OnHttpCallResponse implements proxy.Handler.
func (p *Plugin) OnHttpCallResponse(rootID, token uint32, numHeaders, bodySize, numTrailers int) {
	f := p.httpCalls[token]
	delete(p.httpCalls, token)
	if f != nil {
		p.safely("proxy_on_http_call_response", func() { f(numHeaders, bodySize, numTrailers) })
	}
}

// OnGrpcReceiveInitialMetadata implements proxy.Handler.
func (p *Plugin) OnGrpcReceiveInitialMetadata(contextID, token uint32, numHeaders int) {}

// OnGrpcReceive implements proxy.Handler: a unary call's answer.
func (p *Plugin) OnGrpcReceive(contextID, token uint32, size int) {
	id, ok := p.grpcCalls[token]
	delete(p.grpcCalls, token)
	if ok {
		p.safely("proxy_on_grpc_receive", func() { p.serviceAnswer(id, size) })
	}
}

// OnGrpcReceiveTrailingMetadata implements proxy.Handler.
func (p *Plugin) OnGrpcReceiveTrailingMetadata(contextID, token uint32, numTrailers int) {}

// OnGrpcClose implements proxy.Handler: a unary call that failed.
func (p *Plugin) OnGrpcClose(contextID, token uint32, statusCode uint32) {
	id, ok := p.grpcCalls[token]
	delete(p.grpcCalls, token)
	if ok {
		p.safely("proxy_on_grpc_close", func() { p.serviceClosed(id, statusCode) })
	}
}

// safely runs root-context work under recovery: a panic is logged and the
// VM goes on (streams waiting on that work time out and fail closed).
func (p *Plugin) safely(export string, f func()) {
	defer func() {
		if v := recover(); v != nil {
			p.host.Log(proxy.LogCritical, "apiguard: panic in "+export+": "+panicText(v))
		}
	}()
	f()
}

// withStream switches the host to a stream context from root-context work
// (a callout answer, a tick) and runs f on it; streams that are gone are
// skipped.
func (p *Plugin) withStream(id uint32, f func(s *stream)) {
	s := p.streams.Get(id)
	if s == nil || s.r == nil {
		return
	}
	if p.host.SetEffectiveContext(id) != proxy.StatusOK {
		return
	}
	defer func() {
		if v := recover(); v != nil {
			p.host.Log(proxy.LogCritical, "apiguard: panic in stream resume: "+panicText(v))
			s.fail()
		}
	}()
	f(s)
}

// OnLog implements proxy.Handler: the stream's audit line, when configured.
func (p *Plugin) OnLog(contextID uint32) {
	if s := p.streams.Get(contextID); s != nil {
		s.guard("proxy_on_log", s.onLog)
	}
}

// OnDone implements proxy.Handler.
func (p *Plugin) OnDone(contextID uint32) bool { return true }

// OnDelete implements proxy.Handler.
func (p *Plugin) OnDelete(contextID uint32) {
	p.streams.Delete(contextID)
	if _, ok := p.roots[contextID]; ok {
		delete(p.roots, contextID)
		p.denyLog.RootGone(contextID)
	}
}

// OnRequestHeaders implements proxy.Handler.
func (p *Plugin) OnRequestHeaders(contextID uint32, numHeaders int, endOfStream bool) proxy.Action {
	return p.stream(contextID).run("proxy_on_request_headers", func(s *stream) proxy.Action {
		p.denyLog.FlushSoon(denyLogHost{p}) // a refusal count left by a flood that stopped
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
	s := p.streams.Get(id)
	if s == nil {
		s = newStream(p, nil, id)
		p.streams.Put(id, s)
	}
	return s
}
