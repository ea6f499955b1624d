package jwks

import (
	"strconv"
	"time"

	"github.com/apiguard/apiguard/filter/config"
	"github.com/apiguard/apiguard/filter/httpx"
	"github.com/apiguard/apiguard/filter/jwt"
)

// Remote JWKS. Key sets are fetched with an HTTP call through the
// provider's cluster, from ticks only (never in proxy_on_configure, when
// the cluster may not exist yet). The answer reaches only the worker that
// called, so the fetched document goes to shared data, where every worker
// picks it up on its next tick (Source keeps that shared state). Remote
// is one VM's side of it; the plugin adapts the host as Host.

// Host is what a Remote asks of the VM: shared data, the clock, HTTP
// calls, the log and counters, and a wake-up for the requests waiting
// for keys.
type Host interface {
	Store
	// Now is the host's clock (Unix ns).
	Now() int64
	// Fetch sends GET path to authority through cluster; then receives
	// the answer. notSent is the host's reason when it refuses the call.
	Fetch(cluster, authority, path, accept string, timeout time.Duration, then func(Answer)) (notSent string)
	// Log writes one line, a warning when warn.
	Log(warn bool, line string)
	// Count adds n to a counter.
	Count(metric string, n int64)
	// Settled says a provider's key state changed (a set arrived, or a
	// fetch failed): the requests waiting for keys decide again.
	Settled()
}

// Answer reads the answer to a fetch: the body of a 200 of at most limit
// bytes, or why it is not one.
type Answer func(limit int) (body []byte, why string)

// ReadAnswer is the Answer of a fetch from what the host says of its
// response: numHeaders (0: none came, a reset or the timeout), its
// :status (read by status when needed), bodySize and body, which reads
// that many bytes.
func ReadAnswer(numHeaders, bodySize int, status func() string, body func(size int) ([]byte, error)) Answer {
	return func(limit int) ([]byte, string) {
		if numHeaders == 0 {
			return nil, "no response (reset or timeout)"
		}
		if st := status(); st != "200" {
			return nil, "status " + strconv.Itoa(httpx.ParseStatus(st))
		}
		if bodySize > limit {
			return nil, "body larger than " + strconv.Itoa(limit) + " bytes"
		}
		if bodySize == 0 {
			return nil, ""
		}
		b, err := body(bodySize)
		if err != nil {
			return nil, "body not readable: " + err.Error()
		}
		return b, ""
	}
}

const (
	// jwksAccept is the accept header of a JWKS fetch.
	jwksAccept = "application/jwk-set+json, application/json"
	// maxDiscoveryBytes caps an OpenID discovery document (real ones are
	// a few KiB).
	maxDiscoveryBytes = 256 << 10
)

// Remote is one remote provider's per-VM state.
type Remote struct {
	cfg              *config.RemoteJWKS
	provider, issuer string
	// src is where its set and fetch state live in shared data; owner is
	// this VM's id in the fetch lock.
	src                    *Source
	owner                  uint64
	metricOK, metricFailed string
	metricSkipped          string
	// keys is the set this VM verifies with (nil: none yet), version its
	// version in shared data (0: none).
	keys    *jwt.KeySet
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

// NewRemote is provider's remote set under namespace ns (Namespace), for
// the VM whose fetch-lock id is owner.
func NewRemote(ns, provider, issuer string, owner uint64, cfg *config.RemoteJWKS) *Remote {
	return &Remote{
		cfg: cfg, provider: provider, issuer: issuer, owner: owner,
		src:           NewSource(ns, provider, cfg),
		metricOK:      "apiguard.jwks." + provider + ".fetch_ok",
		metricFailed:  "apiguard.jwks." + provider + ".fetch_failed",
		metricSkipped: "apiguard.jwks." + provider + ".keys_skipped",
	}
}

// Keys is the set this VM loaded (nil: none yet), stale or not.
func (rk *Remote) Keys() *jwt.KeySet { return rk.keys }

// Timeout is timeout_ms: how long a request waits for keys.
func (rk *Remote) Timeout() time.Duration { return rk.cfg.Timeout }

// NextFetch is when the next fetch is due (Unix ns), as last read.
func (rk *Remote) NextFetch() int64 { return rk.nextFetch }

// Stale reports a loaded set older than max_stale_seconds at now: it no
// longer serves (requests wait for a fetch, then get 503). A fetch time
// ahead of now (a wall clock that stepped back) counts as fresh.
func (rk *Remote) Stale(now int64) bool {
	return rk.fetchedAt != 0 && now-rk.fetchedAt > int64(rk.cfg.MaxStale)
}

// Tick is the periodic work: load a set another worker stored, fetch when
// due and nobody else is fetching, and log once that the set went stale.
func (rk *Remote) Tick(h Host, now int64) {
	rk.Load(h)
	rk.maybeFetch(h, now)
	rk.logStale(h, now)
}

// logStale writes, once per VM and stale set, that the last good set
// stopped serving.
func (rk *Remote) logStale(h Host, now int64) {
	if rk.staleLogged || !rk.Stale(now) {
		return
	}
	rk.staleLogged = true
	h.Log(true, "apiguard: jwks "+rk.provider+": the last good key set, fetched "+
		time.Unix(0, rk.fetchedAt).UTC().Format(time.RFC3339)+", is older than max_stale_seconds ("+
		strconv.FormatInt(int64(rk.cfg.MaxStale/time.Second), 10)+
		") and no fetch has succeeded since: requests that need it get 503 until one does")
}

// Load installs the stored set when its version is not the one this VM
// has.
func (rk *Remote) Load(h Host) {
	st, _, found := rk.src.Read(h)
	if !found {
		return
	}
	rk.nextFetch = st.NextFetch
	if st.Version == 0 || st.Version == rk.version {
		return
	}
	ver, fetchedAt, body, ok := rk.src.Stored(h)
	if !ok || ver == rk.version {
		return
	}
	rk.version = ver
	ks, err := jwt.ParseJWKS(body, jwt.JWKSOptions{Fetched: true})
	if err != nil {
		// The fetcher validated it with the same code; keep what we have.
		h.Log(true, "apiguard: jwks "+rk.provider+": stored key set refused: "+err.Error())
		return
	}
	rk.install(ks, fetchedAt)
}

func (rk *Remote) install(ks *jwt.KeySet, fetchedAt int64) {
	rk.keys = ks
	rk.fetchedAt, rk.staleLogged = fetchedAt, false
}

// maybeFetch starts a fetch when one is due (first tick, refresh_seconds,
// backoff after a failure, an early refetch) and no worker holds the lock.
func (rk *Remote) maybeFetch(h Host, now int64) {
	if rk.inFlight {
		return
	}
	if !rk.src.TryLock(h, rk.owner, now) {
		return // not due, or another worker holds the lock
	}
	if rk.cfg.Discovery {
		rk.fetch(h, rk.cfg.Cluster, rk.cfg.Authority, rk.cfg.Path, "application/json", "discovery document: ", rk.onDiscovery)
		return
	}
	rk.fetch(h, rk.cfg.Cluster, rk.cfg.Authority, rk.cfg.Path, jwksAccept, "", rk.onJWKS)
}

// fetch sends the call; a call the host refuses is a failed fetch (why
// prefixed with stage).
func (rk *Remote) fetch(h Host, cluster, authority, path, accept, stage string, then func(Host, Answer)) {
	notSent := h.Fetch(cluster, authority, path, accept, rk.cfg.Timeout, func(a Answer) { then(h, a) })
	if notSent != "" {
		rk.failed(h, stage+"http call to cluster "+quoteLog(cluster)+" not sent: "+notSent)
		return
	}
	rk.inFlight = true
}

// onDiscovery receives the discovery document and fetches the JWKS its
// jwks_uri names, through the cluster configured for its authority; any
// other answer is a failed fetch whose log line says what to configure.
func (rk *Remote) onDiscovery(h Host, answer Answer) {
	rk.inFlight = false
	body, why := answer(maxDiscoveryBytes)
	if why != "" {
		rk.failed(h, "discovery document: "+why)
		return
	}
	d, why := Discover(body, rk.issuer, rk.cfg)
	if why != "" {
		rk.failed(h, "discovery document: "+why)
		return
	}
	rk.jwksURI = d.URI
	rk.fetch(h, d.Cluster, d.Authority, d.Path, jwksAccept, "jwks_uri "+quoteLog(d.URI)+": ", rk.onJWKS)
}

// onJWKS receives the fetch's answer: a 200 whose body is a JWKS (a strict
// JSON object with a "keys" array, within the size and key-count caps)
// replaces the stored set, even when none of its keys is usable: keys
// apiguard cannot use safely are skipped, counted and logged, and an
// identity provider that withdraws every key is obeyed. Anything else is a
// failure and the last good set keeps serving (up to max_stale_seconds).
func (rk *Remote) onJWKS(h Host, answer Answer) {
	rk.inFlight = false
	stage := ""
	if rk.cfg.Discovery {
		stage = "jwks_uri " + quoteLog(rk.jwksURI) + ": "
	}
	body, why := answer(jwt.MaxJWKSBytes)
	if why != "" {
		rk.failed(h, stage+why)
		return
	}
	ks, err := jwt.ParseJWKS(body, jwt.JWKSOptions{Fetched: true})
	if err != nil {
		// KeyError and jsonx errors hold paths, offsets and fixed texts,
		// never key material.
		rk.failed(h, stage+err.Error())
		return
	}
	rk.store(h, body, ks)
}

// store publishes a fetched set under a new version, schedules the next
// refresh and installs the set in this VM.
func (rk *Remote) store(h Host, body []byte, ks *jwt.KeySet) {
	now := h.Now()
	ver, next, ok := rk.src.Publish(h, rk.owner, now, rk.version, body)
	if ok {
		rk.nextFetch = next
	}
	rk.version = ver
	rk.install(ks, now)
	h.Count(rk.metricOK, 1)
	skipped := ks.Skipped()
	if len(skipped) > 0 {
		h.Count(rk.metricSkipped, int64(len(skipped)))
	}
	h.Log(ks.Len() == 0, LoadedLine(rk.provider, ks.Len(), skipped))
	h.Settled()
}

// failed schedules a retry with exponential backoff (1 s doubling, at
// most a minute and at most refresh_seconds) and releases the lock; the
// set already loaded keeps serving.
func (rk *Remote) failed(h Host, why string) {
	now := h.Now()
	if next, ok := rk.src.Failed(h, rk.owner, now); ok {
		rk.nextFetch = next
	}
	h.Count(rk.metricFailed, 1)
	keeping := "no keys yet"
	switch {
	case rk.keys == nil:
	case rk.Stale(now):
		keeping = "the last good set is older than max_stale_seconds and no longer serves"
	default:
		keeping = "keeping the last good set, fetched " + time.Unix(0, rk.fetchedAt).UTC().Format(time.RFC3339)
	}
	h.Log(true, "apiguard: jwks "+rk.provider+": fetch failed: "+why+"; "+keeping)
	h.Settled()
}

// RequestEarly asks for a refetch because a token named a kid the set
// does not have (Source.RequestEarly): whether one is pending.
func (rk *Remote) RequestEarly(h Host) bool { return rk.src.RequestEarly(h, h.Now()) }

// EarlyPending reports whether an early refetch is still wanted.
func (rk *Remote) EarlyPending(h Host) bool { return rk.src.EarlyPending(h) }
