package plugin

import (
	"crypto/rand"
	"encoding/binary"
	"strconv"
	"time"

	"github.com/apiguard/apiguard/filter/config"
	"github.com/apiguard/apiguard/filter/jwks"
	"github.com/apiguard/apiguard/filter/jwt"
	"github.com/apiguard/apiguard/filter/problem"
	"github.com/apiguard/apiguard/filter/proxy"
)

// Remote JWKS. Key sets are fetched with an HTTP call through the
// provider's cluster, from ticks only (never in proxy_on_configure, when
// the cluster may not exist yet). The answer reaches only the worker that
// called, so the fetched document goes to shared data, where every worker
// picks it up on its next tick; filter/jwks keeps that shared state (its
// layout, the fetch lock, backoff, early refetches) over jwksStore.
// remoteKeys is one remote provider's per-VM state.
type remoteKeys struct {
	cfg *config.RemoteJWKS
	// src is where its set and fetch state live in shared data.
	src                    *jwks.Source
	metricOK, metricFailed string
	metricSkipped          string
	// version is the version of the set this VM loaded (0: none).
	version uint64
	// fetchedAt is when the loaded set was fetched (Unix ns; 0: none);
	// staleLogged says this VM logged that it went stale.
	fetchedAt   int64
	staleLogged bool
	// jwksURI is the jwks_uri of the discovery document being followed
	// (discovery only), for log lines.
	jwksURI string
	// inFlight says this VM's fetch has not been answered yet.
	inFlight bool
	// nextFetch is when the last state read said the next fetch is due
	// (Unix ns), for Retry-After.
	nextFetch int64
}

func newRemoteKeys(name string, cfg *config.RemoteJWKS) *remoteKeys {
	return &remoteKeys{
		cfg:           cfg,
		metricOK:      "apiguard.jwks." + name + ".fetch_ok",
		metricFailed:  "apiguard.jwks." + name + ".fetch_failed",
		metricSkipped: "apiguard.jwks." + name + ".keys_skipped",
	}
}

// stale reports a loaded set older than max_stale_seconds at now: it no
// longer serves (requests wait for a fetch, then get 503). A fetch time
// ahead of now (a wall clock that stepped back) counts as fresh.
func (rk *remoteKeys) stale(now int64) bool {
	return rk.fetchedAt != 0 && now-rk.fetchedAt > int64(rk.cfg.MaxStale)
}

// keySet is the key set p may verify with at now: nil while a remote set
// has not arrived or has gone stale.
func (p *authProvider) keySet(now int64) *jwt.KeySet {
	ks := p.verifier.Keys()
	if ks != nil && p.remote != nil && p.remote.stale(now) {
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
	for _, p := range ar.remotes {
		rk := p.remote
		rk.src = jwks.NewSource(ar.keyPrefix, p.name, rk.cfg)
		r.wantTicks(jwks.TickPeriod(rk.cfg.Timeout))
		r.loadKeys(p)
	}
}

// tickAuth does the periodic work of authentication: per remote provider,
// load a set another worker stored, fetch when due and nobody else is
// fetching; then resume the requests waiting for keys, which decide for
// themselves whether they can go on or timed out.
func (r *root) tickAuth() {
	ar := &r.auth
	if len(ar.remotes) == 0 {
		return
	}
	now := r.p.host.Now()
	for _, p := range ar.remotes {
		r.loadKeys(p)
		r.maybeFetch(p, now)
		r.logStale(p, now)
	}
	r.resumeWaiters()
}

// logStale writes, once per VM and stale set, that p's last good set
// stopped serving.
func (r *root) logStale(p *authProvider, now int64) {
	rk := p.remote
	if rk.staleLogged || !rk.stale(now) {
		return
	}
	rk.staleLogged = true
	r.p.host.Log(proxy.LogWarn, "apiguard: jwks "+p.name+": the last good key set, fetched "+
		time.Unix(0, rk.fetchedAt).UTC().Format(time.RFC3339)+", is older than max_stale_seconds ("+
		strconv.FormatInt(int64(rk.cfg.MaxStale/time.Second), 10)+
		") and no fetch has succeeded since: requests that need it get 503 until one does")
}

// loadKeys installs the stored set when its version is not the one this VM
// has.
func (r *root) loadKeys(p *authProvider) {
	rk := p.remote
	store := jwksStore{r.p.host}
	st, _, found := rk.src.Read(store)
	if !found {
		return
	}
	rk.nextFetch = st.NextFetch
	if st.Version == 0 || st.Version == rk.version {
		return
	}
	ver, fetchedAt, body, ok := rk.src.Stored(store)
	if !ok || ver == rk.version {
		return
	}
	rk.version = ver
	ks, err := jwt.ParseJWKS(body, jwt.JWKSOptions{Fetched: true})
	if err != nil {
		// The fetcher validated it with the same code; keep what we have.
		r.p.host.Log(proxy.LogWarn, "apiguard: jwks "+p.name+": stored key set refused: "+err.Error())
		return
	}
	r.installKeys(p, ks, fetchedAt)
}

// installKeys makes ks, fetched at fetchedAt, the set p verifies with in
// this VM.
func (r *root) installKeys(p *authProvider, ks *jwt.KeySet, fetchedAt int64) {
	rk := p.remote
	p.verifier = p.verifier.WithKeys(ks)
	rk.fetchedAt, rk.staleLogged = fetchedAt, false
}

// maybeFetch starts a fetch when one is due (first tick, refresh_seconds,
// backoff after a failure, an early refetch) and no worker holds the lock.
func (r *root) maybeFetch(p *authProvider, now int64) {
	rk := p.remote
	if rk.inFlight {
		return
	}
	if !rk.src.TryLock(jwksStore{r.p.host}, r.auth.owner, now) {
		return // not due, or another worker holds the lock
	}
	if rk.cfg.Discovery {
		r.fetch(p, rk.cfg.Cluster, rk.cfg.Authority, rk.cfg.Path, "application/json", "discovery document: ", r.onDiscovery)
		return
	}
	r.fetch(p, rk.cfg.Cluster, rk.cfg.Authority, rk.cfg.Path, jwksAccept, "", r.onJWKS)
}

// jwksAccept is the accept header of a JWKS fetch.
const jwksAccept = "application/jwk-set+json, application/json"

// fetch sends GET path to authority through cluster; then receives the
// answer. A call the host refuses is a failed fetch (why prefixed with
// stage).
func (r *root) fetch(p *authProvider, cluster, authority, path, accept, stage string, then func(p *authProvider, numHeaders, bodySize int)) {
	headers := []proxy.Pair{
		{Key: ":method", Value: "GET"},
		{Key: ":path", Value: path},
		{Key: ":authority", Value: authority},
		{Key: "accept", Value: accept},
	}
	token, s := r.p.host.HttpCall(cluster, headers, nil, nil, uint32(p.remote.cfg.Timeout.Milliseconds()))
	if s != proxy.StatusOK {
		r.fetchFailed(p, stage+"http call to cluster "+quoteLog(cluster)+" not sent: "+s.String())
		return
	}
	p.remote.inFlight = true
	r.p.httpCalls[token] = func(numHeaders, bodySize, _ int) { then(p, numHeaders, bodySize) }
}

// fetchResponse reads the answer to a fetch: the body of a 200 of at most
// limit bytes, or why it is not one.
func (r *root) fetchResponse(numHeaders, bodySize, limit int) ([]byte, string) {
	h := r.p.host
	if numHeaders == 0 {
		return nil, "no response (reset or timeout)"
	}
	status, _ := h.GetHeaderMapValue(proxy.MapHttpCallResponseHeaders, ":status")
	if status != "200" {
		return nil, "status " + strconv.Itoa(atoi(status))
	}
	if bodySize > limit {
		return nil, "body larger than " + strconv.Itoa(limit) + " bytes"
	}
	if bodySize == 0 {
		return nil, ""
	}
	b, s := h.GetBufferBytes(proxy.BufferHttpCallResponseBody, 0, bodySize)
	if s != proxy.StatusOK {
		return nil, "body not readable: " + s.String()
	}
	return b, ""
}

// maxDiscoveryBytes caps an OpenID discovery document (real ones are a
// few KiB).
const maxDiscoveryBytes = 256 << 10

// onDiscovery receives the discovery document and fetches the JWKS its
// jwks_uri names, through the cluster configured for its authority; any
// other answer is a failed fetch whose log line says what to configure.
func (r *root) onDiscovery(p *authProvider, numHeaders, bodySize int) {
	rk := p.remote
	rk.inFlight = false
	body, why := r.fetchResponse(numHeaders, bodySize, maxDiscoveryBytes)
	if why != "" {
		r.fetchFailed(p, "discovery document: "+why)
		return
	}
	d, why := jwks.Discover(body, p.jwt.Issuer, rk.cfg)
	if why != "" {
		r.fetchFailed(p, "discovery document: "+why)
		return
	}
	rk.jwksURI = d.URI
	r.fetch(p, d.Cluster, d.Authority, d.Path, jwksAccept, "jwks_uri "+quoteLog(d.URI)+": ", r.onJWKS)
}

// quoteLog quotes an outside text for a log line, cut to 128 bytes.
func quoteLog(s string) string { return strconv.Quote(truncate(s, 128)) }

// onJWKS receives the fetch's answer: a 200 whose body is a JWKS (a strict
// JSON object with a "keys" array, within the size and key-count caps)
// replaces the stored set, even when none of its keys is usable: keys
// apiguard cannot use safely are skipped, counted and logged, and an
// identity provider that withdraws every key is obeyed. Anything else is a
// failure and the last good set keeps serving (up to max_stale_seconds).
func (r *root) onJWKS(p *authProvider, numHeaders, bodySize int) {
	rk := p.remote
	rk.inFlight = false
	stage := ""
	if rk.cfg.Discovery {
		stage = "jwks_uri " + quoteLog(rk.jwksURI) + ": "
	}
	body, why := r.fetchResponse(numHeaders, bodySize, jwt.MaxJWKSBytes)
	if why != "" {
		r.fetchFailed(p, stage+why)
		return
	}
	ks, err := jwt.ParseJWKS(body, jwt.JWKSOptions{Fetched: true})
	if err != nil {
		// KeyError and jsonx errors hold paths, offsets and fixed texts,
		// never key material.
		r.fetchFailed(p, stage+err.Error())
		return
	}
	r.storeKeys(p, body, ks)
}

// storeKeys publishes a fetched set under a new version, schedules the
// next refresh and installs the set in this VM.
func (r *root) storeKeys(p *authProvider, body []byte, ks *jwt.KeySet) {
	rk := p.remote
	h := r.p.host
	now := h.Now()
	ver, next, ok := rk.src.Publish(jwksStore{h}, r.auth.owner, now, rk.version, body)
	if ok {
		rk.nextFetch = next
	}
	rk.version = ver
	r.installKeys(p, ks, now)
	r.metrics.inc(rk.metricOK)
	level := proxy.LogInfo
	if ks.Len() == 0 {
		level = proxy.LogWarn
	}
	skipped := ks.Skipped()
	if len(skipped) > 0 {
		r.metrics.add(rk.metricSkipped, int64(len(skipped)))
	}
	h.Log(level, jwks.LoadedLine(p.name, ks.Len(), skipped))
	r.resumeWaiters()
}

// fetchFailed schedules a retry with exponential backoff (1 s doubling, at
// most a minute and at most refresh_seconds) and releases the lock; the
// set already loaded keeps serving.
func (r *root) fetchFailed(p *authProvider, why string) {
	rk := p.remote
	h := r.p.host
	now := h.Now()
	if next, ok := rk.src.Failed(jwksStore{h}, r.auth.owner, now); ok {
		rk.nextFetch = next
	}
	r.metrics.inc(rk.metricFailed)
	keeping := "no keys yet"
	switch {
	case p.verifier.Keys() == nil:
	case rk.stale(now):
		keeping = "the last good set is older than max_stale_seconds and no longer serves"
	default:
		keeping = "keeping the last good set, fetched " + time.Unix(0, rk.fetchedAt).UTC().Format(time.RFC3339)
	}
	h.Log(proxy.LogWarn, "apiguard: jwks "+p.name+": fetch failed: "+why+"; "+keeping)
	r.resumeWaiters()
}

// requestEarlyRefetch asks for a refetch because a token named a kid the
// set does not have (jwks.Source.RequestEarly): whether one is pending.
func (r *root) requestEarlyRefetch(p *authProvider) bool {
	return p.remote.src.RequestEarly(jwksStore{r.p.host}, r.p.host.Now())
}

// earlyPending reports whether an early refetch is still wanted.
func (r *root) earlyPending(p *authProvider) bool {
	return p.remote.src.EarlyPending(jwksStore{r.p.host})
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

// awaitKeys makes the request wait for p's remote set (a tick resumes it);
// past timeout_ms it is refused with 503 and Retry-After.
func (s *stream) awaitKeys(p *authProvider, why waitReason) result {
	a := &s.auth
	now := s.host.Now()
	if a.deadline == 0 || a.waitFor != why {
		a.deadline = now + int64(p.remote.cfg.Timeout)
		a.waitFor = why
	} else if now >= a.deadline {
		a.deadline, a.waitFor = 0, waitNone
		secs := (p.remote.nextFetch - now + int64(time.Second) - 1) / int64(time.Second)
		secs = min(max(secs, 1), 60)
		return s.refuse(503, problem.ReasonKeysUnavailable,
			[]proxy.Pair{{Key: "retry-after", Value: strconv.FormatInt(secs, 10)}})
	}
	s.r.auth.waiters = append(s.r.auth.waiters, s.id)
	return wait
}

// awaitRotation is called when a token names a kid p's remote set does not
// have. The first time, it asks for an early refetch and, if one is
// pending, waits for it; when resumed with the same set while the refetch
// is still pending and time remains, it waits on. waiting is false when
// the request must be refused now (no refetch allowed, the refetch brought
// no such key, or timeout_ms passed).
func (s *stream) awaitRotation(p *authProvider, gen uint64) (result, bool) {
	a := &s.auth
	if a.waitFor != waitRotation {
		if !s.r.requestEarlyRefetch(p) {
			return next, false
		}
		a.waitFor, a.waitGen = waitRotation, gen
		a.deadline = s.host.Now() + int64(p.remote.cfg.Timeout)
	} else if gen != a.waitGen || s.host.Now() >= a.deadline || !s.r.earlyPending(p) {
		a.waitFor, a.deadline = waitNone, 0
		return next, false
	}
	s.r.auth.waiters = append(s.r.auth.waiters, s.id)
	return wait, true
}
