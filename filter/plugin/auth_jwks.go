package plugin

import (
	"crypto/rand"
	"encoding/binary"
	"time"

	"github.com/apiguard/apiguard/filter/authn"
	"github.com/apiguard/apiguard/filter/jwks"
	"github.com/apiguard/apiguard/filter/jwt"
	"github.com/apiguard/apiguard/filter/proxy"
)

// Remote JWKS: filter/jwks fetches, stores and loads the sets
// (jwks.Remote, one per remote provider); this file gives it the host
// (jwksHost), binds each provider's verifier to the set its Remote
// loaded, and resumes the streams waiting for keys.

// keySet is the key set p may verify with at now: nil while a remote set
// has not arrived or has gone stale.
func (r *root) keySet(p *authn.Provider, now int64) *jwt.KeySet {
	ks := p.Verifier.Keys()
	if ks != nil && p.Remote >= 0 && r.auth.remote[p.Remote].Stale(now) {
		return nil
	}
	return ks
}

// configureRemoteKeys names the shared-data keys, asks for ticks short
// enough to poll for keys within timeout_ms, and loads a set another
// worker may already have fetched. It makes no HTTP call.
func (r *root) configureRemoteKeys() {
	ar := &r.auth
	name := ""
	if v, st := r.p.host.GetProperty(pluginNamePath); st == proxy.StatusOK && len(v) > 0 {
		name = string(v)
	}
	ar.keyPrefix = jwks.Namespace(name, defaultPluginName)
	var b [8]byte
	rand.Read(b[:])
	ar.owner = binary.LittleEndian.Uint64(b[:]) | 1
	ar.remote = make([]*jwks.Remote, len(ar.Remotes))
	for _, p := range ar.Remotes {
		rk := jwks.NewRemote(ar.keyPrefix, p.Name, p.JWT.Issuer, ar.owner, p.RemoteCfg)
		ar.remote[p.Remote] = rk
		r.wantTicks(jwks.TickPeriod(p.RemoteCfg.Timeout))
		rk.Load(jwksHost{r})
	}
	r.bindKeys()
}

// bindKeys gives each remote provider's verifier the set its Remote
// loaded, when that changed.
func (r *root) bindKeys() {
	for _, p := range r.auth.Remotes {
		if ks := r.auth.remote[p.Remote].Keys(); ks != p.Verifier.Keys() {
			p.Verifier = p.Verifier.WithKeys(ks)
		}
	}
}

// tickAuth does the periodic work of authentication: each remote
// provider's jwks.Remote.Tick; then resume the requests waiting for keys,
// which decide for themselves whether they can go on or timed out.
func (r *root) tickAuth() {
	ar := &r.auth
	if len(ar.Remotes) == 0 {
		return
	}
	now := r.p.host.Now()
	for _, rk := range ar.remote {
		rk.Tick(jwksHost{r}, now)
	}
	r.bindKeys()
	r.resumeWaiters()
}

// requestEarlyRefetch asks for a refetch because a token named a kid the
// set does not have (jwks.Remote.RequestEarly): whether one is pending.
func (r *root) requestEarlyRefetch(p *authn.Provider) bool {
	return r.auth.remote[p.Remote].RequestEarly(jwksHost{r})
}

// earlyPending reports whether an early refetch is still wanted.
func (r *root) earlyPending(p *authn.Provider) bool {
	return r.auth.remote[p.Remote].EarlyPending(jwksHost{r})
}

// resumeWaiters resumes every stream waiting for keys; each re-runs step 9,
// which goes on, waits again or times out. The host is switched back to the
// root context afterwards.
func (r *root) resumeWaiters() {
	ar := &r.auth
	if len(ar.waiters) == 0 {
		return
	}
	ids := ar.waiters
	ar.waiters, ar.spare = ar.spare[:0], nil
	for _, id := range ids {
		if s := r.p.streams[id]; s != nil && s.r == r && s.waiting {
			r.p.withStream(id, func(s *stream) { s.resume() })
		}
	}
	ar.spare = ids[:0]
	r.p.host.SetEffectiveContext(r.id)
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
	h.r.bindKeys()
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
