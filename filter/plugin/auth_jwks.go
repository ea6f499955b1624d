package plugin

import (
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"hash/fnv"
	"maps"
	"slices"
	"strconv"
	"time"

	"github.com/apiguard/apiguard/filter/config"
	"github.com/apiguard/apiguard/filter/jsonx"
	"github.com/apiguard/apiguard/filter/jwt"
	"github.com/apiguard/apiguard/filter/problem"
	"github.com/apiguard/apiguard/filter/proxy"
)

// Remote JWKS. Key sets are fetched with an HTTP call through the
// provider's cluster, from ticks only (never in proxy_on_configure, when
// the cluster may not exist yet). The answer reaches only the worker that
// called, so the fetched document goes to shared data, where every worker
// picks it up on its next tick. Shared-data layout, under the plugin's
// name (property plugin_name) so two plugins sharing a vm_id never mix
// key sets, and under a hash of cluster, authority and path so that a
// configuration pointing a provider elsewhere never reuses the old keys:
//
//	<plugin>/jwks2/<provider>/<16 hex>/state  jwksState, 48 bytes
//	<plugin>/jwks2/<provider>/<16 hex>/keys   8-byte version, 8-byte fetch
//	                                          time (Unix ns), then the JWKS
//
// The state holds the version of the stored set, when the next fetch is
// due, the fetch lock (owner and expiry: only one worker fetches at a
// time, and a worker that died holding it is replaced once it expires),
// the failure count for backoff and the early-refetch request an unknown
// kid makes (at most once a minute). The fetch time goes with the set, so
// every worker knows how old the set it serves is (max_stale_seconds).
// (Layout 1 had no fetch time; its values are never read.)
const (
	jwksLayout = "/jwks2/"
	// keysHeader is the version and fetch time before the stored JWKS.
	keysHeader = 16
	// maxSkippedLogged bounds the skipped keys one log line details.
	maxSkippedLogged = 8
	// earlyRefetchEvery rate-limits refetches caused by unknown kids.
	earlyRefetchEvery = time.Minute
	// maxBackoff caps the delay between failed fetches.
	maxBackoff = time.Minute
	// lockSlack is added to timeout_ms for the fetch lock's lifetime.
	lockSlack = time.Second
	// stateAttempts bounds the CAS rounds of one state update.
	stateAttempts = 8
)

// remoteKeys is one remote provider's per-VM state.
type remoteKeys struct {
	cfg                    *config.RemoteJWKS
	stateKey, keysKey      string
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

// jwksState is the shared fetch state of one remote provider.
type jwksState struct {
	version   uint64 // of the stored set; 0 = none yet
	nextFetch int64  // Unix ns
	lockUntil int64  // Unix ns; the lock is free at or after it
	lockOwner uint64 // 0 = free
	earlyAt   int64  // Unix ns of the last early-refetch request
	failures  uint32
	early     bool // an early refetch is wanted and not done yet
}

const jwksStateBytes = 48

func (st *jwksState) encode() []byte {
	b := make([]byte, jwksStateBytes)
	binary.LittleEndian.PutUint64(b[0:], st.version)
	binary.LittleEndian.PutUint64(b[8:], uint64(st.nextFetch))
	binary.LittleEndian.PutUint64(b[16:], uint64(st.lockUntil))
	binary.LittleEndian.PutUint64(b[24:], st.lockOwner)
	binary.LittleEndian.PutUint64(b[32:], uint64(st.earlyAt))
	binary.LittleEndian.PutUint32(b[40:], st.failures)
	if st.early {
		b[44] = 1
	}
	return b
}

func decodeJWKSState(b []byte) (jwksState, bool) {
	if len(b) != jwksStateBytes {
		return jwksState{}, false
	}
	return jwksState{
		version:   binary.LittleEndian.Uint64(b[0:]),
		nextFetch: int64(binary.LittleEndian.Uint64(b[8:])),
		lockUntil: int64(binary.LittleEndian.Uint64(b[16:])),
		lockOwner: binary.LittleEndian.Uint64(b[24:]),
		earlyAt:   int64(binary.LittleEndian.Uint64(b[32:])),
		failures:  binary.LittleEndian.Uint32(b[40:]),
		early:     b[44] == 1,
	}, true
}

// configureRemoteKeys names the shared-data keys, asks for ticks short
// enough to poll for keys within timeout_ms, and loads a set another
// worker may already have fetched. It makes no HTTP call.
func (r *root) configureRemoteKeys() {
	ar := &r.auth
	name := defaultPluginName
	if v, st := r.p.host.GetProperty(pluginNamePath); st == proxy.StatusOK && len(v) > 0 {
		name = string(v)
	}
	ar.keyPrefix = name + jwksLayout
	var b [8]byte
	rand.Read(b[:])
	ar.owner = binary.LittleEndian.Uint64(b[:]) | 1
	for _, p := range ar.remotes {
		rk := p.remote
		h := fnv.New64a()
		h.Write([]byte(rk.cfg.Cluster + "\x00" + rk.cfg.Authority + "\x00" + rk.cfg.Path))
		if rk.cfg.Discovery {
			// Where the keys come from also depends on which clusters
			// may serve a jwks_uri.
			h.Write([]byte("\x00discovery"))
			for _, a := range slices.Sorted(maps.Keys(rk.cfg.Clusters)) {
				h.Write([]byte("\x00" + a + "\x00" + rk.cfg.Clusters[a]))
			}
		}
		base := ar.keyPrefix + p.name + "/" + hex.EncodeToString(h.Sum(nil)) + "/"
		rk.stateKey, rk.keysKey = base+"state", base+"keys"
		r.wantTicks(tickPeriodFor(rk.cfg.Timeout))
		r.loadKeys(p)
	}
}

// tickPeriodFor polls for keys a few times within timeout, between 25 ms
// and 100 ms.
func tickPeriodFor(timeout time.Duration) uint32 {
	ms := timeout.Milliseconds() / 4
	return uint32(min(max(ms, 25), 100))
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

func (r *root) readState(rk *remoteKeys) (st jwksState, cas uint32, found bool) {
	v, cas, s := r.p.host.GetSharedData(rk.stateKey)
	if s != proxy.StatusOK {
		return jwksState{}, 0, false
	}
	st, ok := decodeJWKSState(v)
	if !ok {
		// Not ours (or an older layout): replace it under its CAS.
		return jwksState{}, cas, true
	}
	return st, cas, true
}

func (r *root) writeState(rk *remoteKeys, st *jwksState, cas uint32, found bool) bool {
	if !found {
		// A new key accepts any CAS, but a non-zero one makes a second
		// worker creating it at the same time fail instead of overwrite.
		cas = ^uint32(0)
	}
	return r.p.host.SetSharedData(rk.stateKey, st.encode(), cas) == proxy.StatusOK
}

// loadKeys installs the stored set when its version is not the one this VM
// has.
func (r *root) loadKeys(p *authProvider) {
	rk := p.remote
	st, _, found := r.readState(rk)
	if !found {
		return
	}
	rk.nextFetch = st.nextFetch
	if st.version == 0 || st.version == rk.version {
		return
	}
	v, _, s := r.p.host.GetSharedData(rk.keysKey)
	if s != proxy.StatusOK || len(v) < keysHeader {
		return
	}
	ver := binary.LittleEndian.Uint64(v)
	if ver == rk.version {
		return
	}
	rk.version = ver
	ks, err := jwt.ParseJWKS(v[keysHeader:], jwt.JWKSOptions{Fetched: true})
	if err != nil {
		// The fetcher validated it with the same code; keep what we have.
		r.p.host.Log(proxy.LogWarn, "apiguard: jwks "+p.name+": stored key set refused: "+err.Error())
		return
	}
	r.installKeys(p, ks, int64(binary.LittleEndian.Uint64(v[8:])))
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
	st, cas, found := r.readState(rk)
	// Times further ahead than this plugin ever schedules them come from a
	// wall clock that has since stepped back (or from a foreign writer):
	// they count as passed, or fetching would stop until the clock caught
	// up with them.
	if found && now < st.nextFetch && st.nextFetch-now <= int64(rk.cfg.Refresh) {
		return
	}
	if st.lockOwner != 0 && now < st.lockUntil && st.lockUntil-now <= int64(rk.lockFor()) {
		return
	}
	st.lockOwner = r.auth.owner
	st.lockUntil = now + int64(rk.lockFor())
	if !r.writeState(rk, &st, cas, found) {
		return // another worker took the lock first
	}
	if rk.cfg.Discovery {
		r.fetch(p, rk.cfg.Cluster, rk.cfg.Authority, rk.cfg.Path, "application/json", "discovery document: ", r.onDiscovery)
		return
	}
	r.fetch(p, rk.cfg.Cluster, rk.cfg.Authority, rk.cfg.Path, jwksAccept, "", r.onJWKS)
}

// jwksAccept is the accept header of a JWKS fetch.
const jwksAccept = "application/jwk-set+json, application/json"

// lockFor is how long a fetch holds the lock: one call, or with discovery
// two (the document, then the JWKS), each within timeout_ms.
func (rk *remoteKeys) lockFor() time.Duration {
	d := rk.cfg.Timeout
	if rk.cfg.Discovery {
		d *= 2
	}
	return d + lockSlack
}

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
	d, why := discoverJWKS(body, p.jwt.Issuer, rk.cfg)
	if why != "" {
		r.fetchFailed(p, "discovery document: "+why)
		return
	}
	rk.jwksURI = d.uri
	r.fetch(p, d.cluster, d.authority, d.path, jwksAccept, "jwks_uri "+quoteLog(d.uri)+": ", r.onJWKS)
}

// discovered is where a discovery document says the JWKS is.
type discovered struct {
	uri, cluster, authority, path string
}

// discoverJWKS reads an OpenID discovery document (OpenID Connect
// Discovery 1.0 §3): a strict JSON object whose issuer is the provider's
// issuer, exactly, and whose jwks_uri is an http(s) URL on the configured
// authority (fetched through cluster) or on one remote_jwks.clusters
// names. why says what is wrong, and what to configure, otherwise.
func discoverJWKS(doc []byte, issuer string, cfg *config.RemoteJWKS) (discovered, string) {
	v, err := jsonx.Parse(doc, jsonx.Limits{MaxDepth: 16})
	if err != nil {
		return discovered{}, "not strict JSON: " + err.Error()
	}
	if v.Kind != jsonx.KindObject {
		return discovered{}, "not a JSON object"
	}
	iss := v.Get("issuer")
	if iss == nil || iss.Kind != jsonx.KindString {
		return discovered{}, `no "issuer" string`
	}
	if iss.Str != issuer {
		return discovered{}, "issuer " + quoteLog(iss.Str) + " is not the provider's issuer " + quoteLog(issuer) +
			": check the provider's issuer and remote_jwks (authority, path or url)"
	}
	u := v.Get("jwks_uri")
	if u == nil || u.Kind != jsonx.KindString {
		return discovered{}, `no "jwks_uri" string`
	}
	d := discovered{uri: u.Str}
	var msg string
	if d.authority, d.path, msg = config.SplitFetchURL(d.uri, true); msg != "" {
		return discovered{}, "jwks_uri " + quoteLog(d.uri) + " " + msg
	}
	if d.path == "" {
		d.path = "/"
	}
	if config.SameAuthority(d.authority, cfg.Authority) {
		d.cluster = cfg.Cluster
		return d, ""
	}
	for a, c := range cfg.Clusters {
		if config.SameAuthority(d.authority, a) {
			d.cluster = c
			return d, ""
		}
	}
	return discovered{}, "jwks_uri " + quoteLog(d.uri) + " is on " + quoteLog(d.authority) + ", not on authority " +
		quoteLog(cfg.Authority) + `: add "clusters": {` + quoteLog(d.authority) + `: "<cluster>"} to remote_jwks, naming an Envoy cluster for that host`
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
	value := make([]byte, keysHeader+len(body))
	binary.LittleEndian.PutUint64(value[8:], uint64(now))
	copy(value[keysHeader:], body)
	var ver uint64
	for range stateAttempts {
		st, cas, found := r.readState(rk)
		ver = max(st.version, rk.version) + 1
		binary.LittleEndian.PutUint64(value, ver)
		// The set first, then the state that announces it.
		if h.SetSharedData(rk.keysKey, value, 0) != proxy.StatusOK {
			break
		}
		st.version = ver
		st.nextFetch = now + int64(rk.cfg.Refresh)
		st.failures, st.early = 0, false
		if st.lockOwner == r.auth.owner {
			st.lockOwner, st.lockUntil = 0, 0
		}
		if r.writeState(rk, &st, cas, found) {
			rk.nextFetch = st.nextFetch
			break
		}
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
	h.Log(level, loadedLine(p.name, ks.Len(), skipped))
	r.resumeWaiters()
}

// loadedLine is the one log line of a fetch that loaded a set: how many
// keys it has and, for the first maxSkippedLogged skipped keys, their
// path, kid (quoted, at most 128 bytes) and why. It never holds key
// material: paths and reasons are fixed texts.
func loadedLine(provider string, n int, skipped []jwt.SkippedKey) string {
	b := make([]byte, 0, 96+64*min(len(skipped), maxSkippedLogged))
	b = append(b, "apiguard: jwks "...)
	b = append(b, provider...)
	b = append(b, ": loaded "...)
	b = strconv.AppendInt(b, int64(n), 10)
	b = append(b, " keys"...)
	if len(skipped) > 0 {
		b = append(b, " ("...)
		b = strconv.AppendInt(b, int64(len(skipped)), 10)
		b = append(b, " skipped: "...)
		for i, sk := range skipped {
			if i == maxSkippedLogged {
				b = append(b, "; and "...)
				b = strconv.AppendInt(b, int64(len(skipped)-i), 10)
				b = append(b, " more"...)
				break
			}
			if i > 0 {
				b = append(b, "; "...)
			}
			b = append(b, sk.Path...)
			if sk.Kid != "" {
				b = append(b, " kid "...)
				b = strconv.AppendQuote(b, truncate(sk.Kid, 128))
			}
			b = append(b, ": "...)
			b = append(b, sk.Reason...)
		}
		b = append(b, ')')
	}
	if n == 0 {
		b = append(b, "; no usable key: every token of this provider is refused (401)"...)
	}
	return string(b)
}

// fetchFailed schedules a retry with exponential backoff (1 s doubling, at
// most a minute and at most refresh_seconds) and releases the lock; the
// set already loaded keeps serving.
func (r *root) fetchFailed(p *authProvider, why string) {
	rk := p.remote
	h := r.p.host
	now := h.Now()
	for range stateAttempts {
		st, cas, found := r.readState(rk)
		st.failures++
		st.nextFetch = now + int64(backoff(st.failures, rk.cfg.Refresh))
		st.early = false
		if st.lockOwner == r.auth.owner {
			st.lockOwner, st.lockUntil = 0, 0
		}
		if r.writeState(rk, &st, cas, found) {
			rk.nextFetch = st.nextFetch
			break
		}
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

// backoff is the delay before the next attempt after n failures.
func backoff(n uint32, refresh time.Duration) time.Duration {
	d := time.Second << min(n-1, 6)
	return max(min(d, maxBackoff, refresh), time.Second)
}

// requestEarlyRefetch asks for a refetch because a token named a kid the
// set does not have, at most once per earlyRefetchEvery across workers. It
// reports whether a refetch is pending (asked now or earlier and not done),
// so the request may wait for it.
func (r *root) requestEarlyRefetch(p *authProvider) bool {
	rk := p.remote
	now := r.p.host.Now()
	for range stateAttempts {
		st, cas, found := r.readState(rk)
		if st.early {
			return true
		}
		if found && st.earlyAt != 0 && now >= st.earlyAt && now-st.earlyAt < int64(earlyRefetchEvery) {
			return false
		}
		st.early, st.earlyAt = true, now
		st.nextFetch = min(st.nextFetch, now)
		if r.writeState(rk, &st, cas, found) {
			return true
		}
	}
	return false
}

// earlyPending reports whether an early refetch is still wanted.
func (r *root) earlyPending(p *authProvider) bool {
	st, _, _ := r.readState(p.remote)
	return st.early
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
