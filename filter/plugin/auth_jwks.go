package plugin

import (
	"time"

	"github.com/apiguard/apiguard/filter/jwks"
	"github.com/apiguard/apiguard/filter/proxy"
)

// Remote JWKS: filter/jwks fetches, stores and loads the sets
// (jwks.Set, a jwks.Remote per remote provider) and keeps the streams
// waiting for keys; authn binds each provider's verifier to the set its
// Remote loaded (authn.Auth.BindKeys). This file gives them the host
// (jwksHost) and resumes the waiting streams.

// configureRemoteKeys sets up each remote provider's jwks.Remote
// (jwks.NewSet) in the namespace of the plugin's name, asks for ticks
// short enough to poll for keys within timeout_ms, and binds the sets
// another worker may already have fetched. It makes no HTTP call.
func (r *root) configureRemoteKeys() {
	name := ""
	if v, st := r.p.host.GetProperty(pluginNamePath); st == proxy.StatusOK && len(v) > 0 {
		name = string(v)
	}
	providers := make([]jwks.Provider, len(r.auth.Remotes))
	for _, p := range r.auth.Remotes {
		providers[p.Remote] = jwks.Provider{Name: p.Name, Issuer: p.JWT.Issuer, Cfg: p.RemoteCfg}
	}
	var tick uint32
	r.auth.keys, tick = jwks.NewSet(jwksHost{r}, name, defaultPluginName, providers)
	r.wantTicks(tick)
	r.auth.BindKeys(r.auth.keys)
}

// tickAuth does the periodic work of authentication: each remote
// provider's jwks.Remote.Tick; then resume the requests waiting for keys,
// which decide for themselves whether they can go on or timed out.
func (r *root) tickAuth() {
	if len(r.auth.Remotes) == 0 {
		return
	}
	r.auth.keys.Tick(jwksHost{r})
	r.auth.BindKeys(r.auth.keys)
	r.resumeWaiters()
}

// resumeWaiters resumes every stream waiting for keys (jwks.Set.Wake);
// each re-runs step 9, which goes on, waits again or times out. The host
// is switched back to the root context afterwards.
func (r *root) resumeWaiters() {
	if r.auth.keys.Wake(func(id uint32) {
		if s := r.p.streams.Get(id); s != nil && s.r == r && s.waiting {
			r.p.withStream(id, func(s *stream) { s.resume() })
		}
	}) {
		r.p.host.SetEffectiveContext(r.id)
	}
}

// jwksHost is the host as jwks.Host: shared data, HTTP calls from the
// root context, the log and the root's counters.
type jwksHost struct{ r *root }

func (h jwksHost) Get(key string) ([]byte, uint32, bool) {
	v, cas, st := h.r.p.host.GetSharedData(key)
	return v, cas, st == proxy.StatusOK
}

func (h jwksHost) Set(key string, value []byte, cas uint32) bool {
	return h.r.p.host.SetSharedData(key, value, cas) == proxy.StatusOK
}

func (h jwksHost) Now() int64 { return h.r.p.host.Now() }

func (h jwksHost) Log(warn bool, line string) {
	level := proxy.LogInfo
	if warn {
		level = proxy.LogWarn
	}
	h.r.p.host.Log(level, line)
}

func (h jwksHost) Count(metric string, n int64) { h.r.metrics.Add(metric, n) }

func (h jwksHost) Settled() {
	h.r.auth.BindKeys(h.r.auth.keys)
	h.r.resumeWaiters()
}

func (h jwksHost) Fetch(cluster, authority, path, accept string, timeout time.Duration, then func(jwks.Answer)) string {
	p := h.r.p
	headers := []proxy.Pair{
		{Key: ":method", Value: "GET"},
		{Key: ":path", Value: path},
		{Key: ":authority", Value: authority},
		{Key: "accept", Value: accept},
	}
	token, st := p.host.HttpCall(cluster, headers, nil, nil, uint32(timeout.Milliseconds()))
	if st != proxy.StatusOK {
		return st.String()
	}
	p.httpCalls[token] = func(numHeaders, bodySize, _ int) {
		status := func() string {
			v, _ := p.host.GetHeaderMapValue(proxy.MapHttpCallResponseHeaders, ":status")
			return v
		}
		then(jwks.ReadAnswer(numHeaders, bodySize, status, func(size int) ([]byte, error) {
			b, st := p.host.GetBufferBytes(proxy.BufferHttpCallResponseBody, 0, size)
			if st != proxy.StatusOK {
				return nil, st
			}
			return b, nil
		}))
	}
	return ""
}
