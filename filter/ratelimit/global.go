package ratelimit

import (
	"crypto/sha256"
	"encoding/binary"
	"strconv"

	"github.com/apiguard/apiguard/filter/config"
	"github.com/apiguard/apiguard/filter/httpx"
	"github.com/apiguard/apiguard/filter/problem"
	"github.com/apiguard/apiguard/filter/rlsproto"
)

// Global limits (docs/configuration.md "global limits"): after the local
// limits admit a request, one unary gRPC call to Envoy's rate limit
// service (envoy.service.ratelimit.v3.RateLimitService/ShouldRateLimit)
// asks about every `"global": true` limit of the route at once, one
// descriptor [{key: <limit name>, value: <hashed key value>}] each,
// hits_addend 1. Global builds the call and decides from its answer; the
// plugin makes the call.

const (
	// RLSService and RLSMethod name the service's method.
	RLSService = "envoy.service.ratelimit.v3.RateLimitService"
	RLSMethod  = "ShouldRateLimit"

	// MaxAnswerBytes caps the answer read from the host: a
	// RateLimitResponse for a handful of descriptors is tens of bytes;
	// anything this large is treated as a failure of the service.
	MaxAnswerBytes = 64 << 10

	// failureLogPeriod spaces the log lines about a failing service.
	failureLogPeriod = int64(60e9)

	// globalSeedLabel derives the fleet-wide hash seed from the domain
	// alone, without hash_secret (see GlobalSeed).
	globalSeedLabel = "apiguard/global-rate-limit/v1\x00"
	// globalSecretSeedLabel derives it from the domain and hash_secret.
	globalSecretSeedLabel = "apiguard/global-rate-limit-secret/v1\x00"
)

// Global is the per-VM state of global limits.
type Global struct {
	Svc       *config.RateLimitService
	TimeoutMs uint32
	// Service is proxy_grpc_call's service argument: the cluster name, or
	// a serialized GrpcService naming it when Envoy would misread the bare
	// name as one (see rlsproto.MayParseAsMessage).
	Service string
	// hasher hashes key values with a seed every Envoy of the fleet
	// derives alike, so one client's descriptors match across the fleet
	// (the local limits' seed is per Envoy).
	hasher Hasher
	// Scratch reused by every request of this VM (one callback at a time).
	msg  []byte
	resp rlsproto.Response
	// Log spacing for service failures (host time, per worker).
	lastFailLog  int64
	failSinceLog int
}

// NewGlobal sets up the service call once per configuration (svc nil:
// no rate_limit_service; every call then fails).
func NewGlobal(svc *config.RateLimitService) *Global {
	g := &Global{Svc: svc}
	if svc == nil {
		return g
	}
	ms := svc.Timeout.Milliseconds()
	if ms < 1 && svc.Timeout > 0 {
		ms = 1
	}
	g.TimeoutMs = uint32(min(ms, int64(^uint32(0)>>1)))
	g.Service = svc.Cluster
	if rlsproto.MayParseAsMessage([]byte(svc.Cluster)) {
		g.Service = string(rlsproto.AppendGrpcService(nil, svc.Cluster))
	}
	g.hasher = NewHasher(GlobalSeed(svc.Domain, string(svc.HashSecret)))
	g.msg = make([]byte, 0, 256)
	return g
}

// Hasher is the fleet-wide hasher of global keys.
func (g *Global) Hasher() *Hasher { return &g.hasher }

// GlobalSeed derives the fleet-wide hash seed. Every Envoy of a fleet
// must send the same descriptor value for the same client, so the seed
// cannot be the per-Envoy random one of the local limits; it is derived
// from what the whole fleet shares: the rate limit service's domain and,
// when configured, rate_limit_service.hash_secret.
//
// Without a secret the seed is SHA-256(label || domain), as before the
// secret existed, so a fleet that does not set one keeps its counters.
// Values stay pseudonymous (no credential, header or address is sent as
// is), but whoever knows the domain can test guesses of low-entropy
// values such as IPv4 addresses (docs/configuration.md "global limits").
//
// With a secret it is SHA-256(label' || len(domain) || domain ||
// len(secret) || secret), lengths as 8-byte big-endian integers, so that
// no two (domain, secret) pairs share an encoding; guessing then needs the
// secret too. The secret is used here only: it is never logged, counted
// or sent.
func GlobalSeed(domain, secret string) []byte {
	var sum [sha256.Size]byte
	if secret == "" {
		sum = sha256.Sum256([]byte(globalSeedLabel + domain))
	} else {
		b := make([]byte, 0, len(globalSecretSeedLabel)+16+len(domain)+len(secret))
		b = append(b, globalSecretSeedLabel...)
		b = binary.BigEndian.AppendUint64(b, uint64(len(domain)))
		b = append(b, domain...)
		b = binary.BigEndian.AppendUint64(b, uint64(len(secret)))
		b = append(b, secret...)
		sum = sha256.Sum256(b)
		clear(b)
	}
	return sum[:SeedBytes]
}

// Message is the RateLimitRequest for plan's global limits, hash(i)
// being the key hash of plan.Global[i] under Hasher. The bytes are the
// VM's scratch, valid until the next call.
func (g *Global) Message(plan *RoutePlan, hash func(l *GlobalLimit) uint64) []byte {
	b := rlsproto.AppendDomain(g.msg[:0], g.Svc.Domain)
	var hex [16]byte
	for _, l := range plan.Global {
		b = rlsproto.AppendEntryDescriptor(b, l.Name, appendHex16(hex[:0], hash(l)))
	}
	b = rlsproto.AppendHitsAddend(b, 1)
	g.msg = b
	return b
}

// appendHex16 appends v as 16 lower-case hex digits.
func appendHex16(b []byte, v uint64) []byte {
	const digits = "0123456789abcdef"
	for shift := 60; shift >= 0; shift -= 4 {
		b = append(b, digits[(v>>uint(shift))&0xf])
	}
	return b
}

// GlobalPhase is where a request is in its global check.
type GlobalPhase uint8

const (
	GlobalIdle    GlobalPhase = iota // not asked
	GlobalWaiting                    // the call is in flight
	GlobalDecided                    // the verdict is in GlobalState
)

type globalVerdict uint8

const (
	globalAdmit globalVerdict = iota
	globalOver
	globalFailed
)

// GlobalState is one request's global check.
type GlobalState struct {
	Phase   GlobalPhase
	verdict globalVerdict
	// For globalOver: the limit that refused and the whole seconds until
	// its window resets.
	index int
	retry int64
}

// Answer decides from the service's answer (msg, or ok false when it
// could not be read) at now: an answer that does not parse, or whose
// overall code is neither OK nor OVER_LIMIT, is a failure of the service
// (failure then says what failed, for Failure). An OVER_LIMIT or OK
// updates rep; for an OVER_LIMIT, metric is the refusing limit's counter.
func (g *Global) Answer(st *GlobalState, plan *RoutePlan, msg []byte, ok bool, now int64, rep *Report) (metric, failure string) {
	r := &g.resp
	switch {
	case plan == nil || !ok:
		return "", "answer not readable"
	case rlsproto.ParseResponse(msg, r) != nil:
		return "", "malformed answer"
	case r.OverallCode == rlsproto.CodeOverLimit:
		g.refused(st, plan, r, now, rep)
		return plan.Global[st.index].Metric, ""
	case r.OverallCode == rlsproto.CodeOK:
		g.admitted(st, plan, r, now, rep)
	default:
		return "", "answer with overall code " + r.OverallCode.String()
	}
	return "", ""
}

// refused records an OVER_LIMIT: the first descriptor the service marks
// OVER_LIMIT names the limit (the first global limit when the statuses do
// not say), and its duration_until_reset gives Retry-After.
func (g *Global) refused(gs *GlobalState, plan *RoutePlan, r *rlsproto.Response, now int64, rep *Report) {
	gs.Phase, gs.verdict, gs.index = GlobalDecided, globalOver, 0
	var st *rlsproto.Status
	for i := range r.Statuses {
		if i < len(plan.Global) && r.Statuses[i].Code == rlsproto.CodeOverLimit {
			gs.index, st = i, &r.Statuses[i]
			break
		}
	}
	l := plan.Global[gs.index]
	window := l.Window
	if st != nil && st.HasLimit && st.Limit.WindowSeconds() > 0 {
		window = st.Limit.WindowSeconds()
	}
	if st != nil && st.HasReset {
		gs.retry = Seconds(int64(st.UntilReset()))
	} else {
		// envoyproxy/ratelimit's windows are aligned on the Unix epoch.
		gs.retry = max(1, window-(now/1e9)%window)
	}
	derivePolicy(plan, r, rep)
}

// admitted records an OK and lets RateLimit report a global limit when
// it has less remaining than the local one reported so far. Only statuses
// with current_limit count: the service sends none for a descriptor its
// configuration does not know.
func (g *Global) admitted(gs *GlobalState, plan *RoutePlan, r *rlsproto.Response, now int64, rep *Report) {
	gs.Phase, gs.verdict = GlobalDecided, globalAdmit
	for i := range r.Statuses {
		st := &r.Statuses[i]
		if i >= len(plan.Global) || !st.HasLimit {
			continue
		}
		remaining := int64(st.Remaining)
		if rep.Current != "" && remaining >= rep.Remaining {
			continue
		}
		secs := int64(1)
		if st.HasReset {
			secs = Seconds(int64(st.UntilReset()))
		} else if w := st.Limit.WindowSeconds(); w > 0 {
			secs = max(1, w-(now/1e9)%w)
		}
		rep.Current = Value(plan.Global[i].Name, remaining, secs)
		rep.Remaining = remaining
	}
	derivePolicy(plan, r, rep)
}

// derivePolicy replaces, in RateLimit-Policy, the quota and window of a
// global limit the service reports differently from the configuration
// (its answer is what applies); the configured value stays otherwise.
func derivePolicy(plan *RoutePlan, r *rlsproto.Response, rep *Report) {
	policy := plan.Policy
	changed := false
	// Back to front, so earlier byte ranges stay valid.
	for i := min(len(r.Statuses), len(plan.Global)) - 1; i >= 0; i-- {
		st := &r.Statuses[i]
		l := plan.Global[i]
		w := st.Limit.WindowSeconds()
		if !st.HasLimit || w == 0 || (int64(st.Limit.RequestsPerUnit) == l.Limit && w == l.Window) {
			continue
		}
		item := AppendPolicyItemSeconds(nil, l.Name, int64(st.Limit.RequestsPerUnit), w)
		policy = policy[:l.PolicyStart] + string(item) + policy[l.PolicyEnd:]
		changed = true
	}
	if changed {
		rep.Policy = policy
	}
}

// Failure records a failed call at now (what failed: the host refused
// it, a gRPC status, a bad answer). line is the log line to write, at
// most once per failureLogPeriod per worker with the number of failures
// since the previous one, "" otherwise.
func (g *Global) Failure(gs *GlobalState, what string, now int64) (line string) {
	gs.Phase, gs.verdict = GlobalDecided, globalFailed
	g.failSinceLog++
	if g.lastFailLog != 0 && now-g.lastFailLog < failureLogPeriod {
		return ""
	}
	mode, cluster := "deny", ""
	if g.Svc != nil && g.Svc.FailureMode == config.FailureAllow {
		mode = "allow"
	}
	if g.Svc != nil {
		cluster = g.Svc.Cluster
	}
	line = "apiguard: rate limit service: " + what + " (cluster " + strconv.Quote(truncate(cluster, 128)) +
		"); failure_mode " + mode + "; " + strconv.Itoa(g.failSinceLog) + " failed calls on this worker since its previous such line"
	g.lastFailLog, g.failSinceLog = now, 0
	return line
}

// Closed is the failure text of a call the host closed with a gRPC
// status; the status message (Envoy's or the service's text) is quoted
// and truncated.
func Closed(status uint32, msg string) string {
	return "grpc status " + strconv.FormatUint(uint64(status), 10) + " " + strconv.Quote(truncate(msg, 128))
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// Apply turns the recorded verdict into the step's decision: the 429 of
// an OVER_LIMIT (policy is the report's RateLimit-Policy); after a
// failure, admission under failure_mode allow (failedOpen) or the 429 of
// an unreachable service, which carries only Retry-After
// (docs/responses.md).
func (g *Global) Apply(gs *GlobalState, plan *RoutePlan, policy string) (d Decision, failedOpen bool) {
	switch gs.verdict {
	case globalOver:
		l := plan.Global[gs.index]
		return Decision{Reason: problem.ReasonGlobalRateLimited, Headers: RefusalHeaders(policy, l.Name, gs.retry)}, false
	case globalFailed:
		if g.Svc != nil && g.Svc.FailureMode == config.FailureAllow {
			return Decision{}, true
		}
		return Decision{Reason: problem.ReasonRateLimitServiceUnavailable, Headers: retryAfterOnly}, false
	}
	return Decision{}, false
}

var retryAfterOnly = []httpx.Pair{{Key: "retry-after", Value: "1"}}
