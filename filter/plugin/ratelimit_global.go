package plugin

import (
	"crypto/sha256"
	"encoding/binary"
	"strconv"

	"github.com/apiguard/apiguard/filter/config"
	"github.com/apiguard/apiguard/filter/problem"
	"github.com/apiguard/apiguard/filter/proxy"
	"github.com/apiguard/apiguard/filter/ratelimit"
	"github.com/apiguard/apiguard/filter/rlsproto"
)

// Global limits (docs/configuration.md "global limits"): after the local limits admit
// a request, one unary gRPC call to Envoy's rate limit service
// (envoy.service.ratelimit.v3.RateLimitService/ShouldRateLimit) asks about
// every `"global": true` limit of the route at once, one descriptor
// [{key: <limit name>, value: <hashed key value>}] each, hits_addend 1.
// The request waits for the answer; the call's own timeout bounds the
// wait (no runtime timer). The answer arrives on the root context and is
// applied to the stream after switching to it.

const (
	rlsService = "envoy.service.ratelimit.v3.RateLimitService"
	rlsMethod  = "ShouldRateLimit"

	// maxAnswerBytes caps the answer read from the host: a
	// RateLimitResponse for a handful of descriptors is tens of bytes;
	// anything this large is treated as a failure of the service.
	maxAnswerBytes = 64 << 10

	// failureLogPeriod spaces the log lines about a failing service.
	failureLogPeriod = int64(60e9)

	// globalSeedLabel derives the fleet-wide hash seed from the domain
	// alone, without hash_secret (see globalSeed).
	globalSeedLabel = "apiguard/global-rate-limit/v1\x00"
	// globalSecretSeedLabel derives it from the domain and hash_secret.
	globalSecretSeedLabel = "apiguard/global-rate-limit-secret/v1\x00"
)

// Metrics of global limits besides the apiguard.denied.<reason> counters
// and apiguard.rate_limited.<limit name> (counted for global limits too).
const (
	// metricServiceFailed counts requests whose call to the rate limit
	// service failed (error, unreachable cluster, timeout, bad answer),
	// whatever failure_mode then did.
	metricServiceFailed = "apiguard.ratelimit_service.failed"
	// metricServiceFailedOpen counts requests admitted by failure_mode
	// allow after such a failure.
	metricServiceFailedOpen = "apiguard.ratelimit_service.failed_open"
)

// globalRoot is the plugin-wide state of global limits.
type globalRoot struct {
	svc       *config.RateLimitService // nil: no rate_limit_service
	timeoutMs uint32
	// service is proxy_grpc_call's service argument: the cluster name, or
	// a serialized GrpcService naming it when Envoy would misread the bare
	// name as one (see rlsproto.MayParseAsMessage).
	service string
	// hasher hashes key values with a seed every Envoy of the fleet
	// derives alike, so one client's descriptors match across the fleet
	// (the local limits' seed is per Envoy).
	hasher ratelimit.Hasher
	// Scratch reused by every request of this VM (one callback at a time).
	msg  []byte
	resp rlsproto.Response
	// Log spacing for service failures (host time, per worker).
	lastFailLog  int64
	failSinceLog int
	// onAnswer and onClosed are the stream methods the call's callbacks
	// run. They are reached through these fields, set at configure time,
	// because a direct reference would close an initialisation cycle
	// (headerSteps → step 11 → the callbacks → resume → headerSteps).
	onAnswer func(s *stream, msg []byte, ok bool)
	onClosed func(s *stream, status uint32, msg string)
}

// globalPhase is where a stream is in its global check.
type globalPhase uint8

const (
	globalIdle    globalPhase = iota // not asked
	globalWaiting                    // the call is in flight
	globalDecided                    // the verdict is in globalState
)

// globalVerdict is what the service's answer (or its absence) decided.
type globalVerdict uint8

const (
	globalAdmit globalVerdict = iota
	globalOver
	globalFailed
)

// globalState is the per-stream state of the global check.
type globalState struct {
	phase   globalPhase
	verdict globalVerdict
	// For globalOver: the limit that refused and the whole seconds until
	// its window resets.
	index int
	retry int64
}

// globalSeed derives the fleet-wide hash seed. Every Envoy of a fleet
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
func globalSeed(domain, secret string) []byte {
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
	return sum[:ratelimit.SeedBytes]
}

// configureGlobalRoot sets up the service call once per configuration.
func (rr *rateRoot) configureGlobalRoot(svc *config.RateLimitService) {
	g := &rr.global
	*g = globalRoot{svc: svc}
	if svc == nil {
		return
	}
	ms := svc.Timeout.Milliseconds()
	if ms < 1 && svc.Timeout > 0 {
		ms = 1
	}
	g.timeoutMs = uint32(min(ms, int64(^uint32(0)>>1)))
	g.service = svc.Cluster
	if rlsproto.MayParseAsMessage([]byte(svc.Cluster)) {
		g.service = string(rlsproto.AppendGrpcService(nil, svc.Cluster))
	}
	g.hasher = ratelimit.NewHasher(globalSeed(svc.Domain, string(svc.HashSecret)))
	g.msg = make([]byte, 0, 256)
	g.onAnswer = (*stream).onServiceAnswer
	g.onClosed = (*stream).onServiceClosed
}

// globalLimits is the second half of step 11, run once every local limit
// admitted the request: it asks the service (and waits), then applies the
// verdict when the pipeline resumes at this step.
func (s *stream) globalLimits(rl *ratelimit.RoutePlan) result {
	if len(rl.Global) == 0 {
		return next
	}
	g := &s.rl.global
	switch g.phase {
	case globalWaiting:
		return wait
	case globalDecided:
		return s.applyGlobal(rl)
	}
	if st := s.askService(rl); st != proxy.StatusOK {
		s.globalFailure("call not started: " + st.String())
		return s.applyGlobal(rl)
	}
	g.phase = globalWaiting
	return wait
}

// askService starts the call; a status other than OK says the host
// refused it (ParseFailure: no such cluster).
func (s *stream) askService(rl *ratelimit.RoutePlan) proxy.Status {
	gr := &s.r.limits.global
	if gr.svc == nil {
		return proxy.StatusNotFound
	}
	b := rlsproto.AppendDomain(gr.msg[:0], gr.svc.Domain)
	var hex [16]byte
	for _, l := range rl.Global {
		h := s.keyHashWith(&gr.hasher, &l.Key, l.Tweak)
		b = rlsproto.AppendEntryDescriptor(b, l.Name, appendHex16(hex[:0], h))
	}
	b = rlsproto.AppendHitsAddend(b, 1)
	gr.msg = b
	token, st := s.host.GrpcCall(gr.service, rlsService, rlsMethod, nil, b, gr.timeoutMs)
	if st != proxy.StatusOK {
		return st
	}
	p, id, onAnswer, onClosed := s.p, s.id, gr.onAnswer, gr.onClosed
	p.grpcCalls[token] = grpcCall{
		receive: func(size int) {
			// Read on the root context, where Envoy keeps the message.
			var msg []byte
			ok := size >= 0 && size <= maxAnswerBytes
			if ok {
				var st proxy.Status
				msg, st = p.host.GetBufferBytes(proxy.BufferGrpcReceive, 0, size)
				ok = st == proxy.StatusOK
			}
			p.withStream(id, func(s *stream) { onAnswer(s, msg, ok) })
		},
		close: func(status uint32) {
			// proxy_get_status reads the root context's status too.
			_, msg, _ := p.host.GetStatus()
			p.withStream(id, func(s *stream) { onClosed(s, status, msg) })
		},
	}
	return proxy.StatusOK
}

// onServiceAnswer decides from the service's answer and resumes the
// pipeline. An answer that does not parse, or whose overall code is
// neither OK nor OVER_LIMIT, is a failure of the service.
func (s *stream) onServiceAnswer(msg []byte, ok bool) {
	g := &s.rl.global
	if g.phase != globalWaiting {
		return
	}
	rl := s.route.Limits
	gr := &s.r.limits.global
	r := &gr.resp
	switch {
	case rl == nil || !ok:
		s.globalFailure("answer not readable")
	case rlsproto.ParseResponse(msg, r) != nil:
		s.globalFailure("malformed answer")
	case r.OverallCode == rlsproto.CodeOverLimit:
		s.globalRefused(rl, r)
	case r.OverallCode == rlsproto.CodeOK:
		s.globalAdmitted(rl, r)
	default:
		s.globalFailure("answer with overall code " + r.OverallCode.String())
	}
	s.resume()
}

// onServiceClosed is a failed call: a gRPC error, an unreachable
// cluster, or the timeout. The status message (Envoy's or the service's
// text) only reaches the log, quoted and truncated.
func (s *stream) onServiceClosed(status uint32, msg string) {
	if s.rl.global.phase != globalWaiting {
		return
	}
	s.globalFailure("grpc status " + strconv.FormatUint(uint64(status), 10) + " " + strconv.Quote(truncate(msg, 128)))
	s.resume()
}

// globalRefused records an OVER_LIMIT: the first descriptor the service
// marks OVER_LIMIT names the limit (the first global limit when the
// statuses do not say), and its duration_until_reset gives Retry-After.
func (s *stream) globalRefused(rl *ratelimit.RoutePlan, r *rlsproto.Response) {
	g := &s.rl.global
	g.phase, g.verdict, g.index = globalDecided, globalOver, 0
	var st *rlsproto.Status
	for i := range r.Statuses {
		if i < len(rl.Global) && r.Statuses[i].Code == rlsproto.CodeOverLimit {
			g.index, st = i, &r.Statuses[i]
			break
		}
	}
	l := rl.Global[g.index]
	window := l.Window
	if st != nil && st.HasLimit && st.Limit.WindowSeconds() > 0 {
		window = st.Limit.WindowSeconds()
	}
	if st != nil && st.HasReset {
		g.retry = ratelimit.Seconds(int64(st.UntilReset()))
	} else {
		// envoyproxy/ratelimit's windows are aligned on the Unix epoch.
		g.retry = max(1, window-(s.host.Now()/1e9)%window)
	}
	s.derivePolicy(rl, r)
	s.r.metrics.inc(l.Metric)
}

// globalAdmitted records an OK and lets RateLimit report a global limit
// when it has less remaining than the local one reported so far. Only
// statuses with current_limit count: the service sends none for a
// descriptor its configuration does not know.
func (s *stream) globalAdmitted(rl *ratelimit.RoutePlan, r *rlsproto.Response) {
	g := &s.rl.global
	g.phase, g.verdict = globalDecided, globalAdmit
	for i := range r.Statuses {
		st := &r.Statuses[i]
		if i >= len(rl.Global) || !st.HasLimit {
			continue
		}
		remaining := int64(st.Remaining)
		if s.rl.current != "" && remaining >= s.rl.currentRemaining {
			continue
		}
		secs := int64(1)
		if st.HasReset {
			secs = ratelimit.Seconds(int64(st.UntilReset()))
		} else if w := st.Limit.WindowSeconds(); w > 0 {
			secs = max(1, w-(s.host.Now()/1e9)%w)
		}
		s.rl.current = ratelimit.Value(rl.Global[i].Name, remaining, secs)
		s.rl.currentRemaining = remaining
	}
	s.derivePolicy(rl, r)
}

// derivePolicy replaces, in RateLimit-Policy, the quota and window of a
// global limit the service reports differently from the configuration
// (its answer is what applies); the configured value stays otherwise.
func (s *stream) derivePolicy(rl *ratelimit.RoutePlan, r *rlsproto.Response) {
	policy := rl.Policy
	changed := false
	// Back to front, so earlier byte ranges stay valid.
	for i := min(len(r.Statuses), len(rl.Global)) - 1; i >= 0; i-- {
		st := &r.Statuses[i]
		l := rl.Global[i]
		w := st.Limit.WindowSeconds()
		if !st.HasLimit || w == 0 || (int64(st.Limit.RequestsPerUnit) == l.Limit && w == l.Window) {
			continue
		}
		item := ratelimit.AppendPolicyItemSeconds(nil, l.Name, int64(st.Limit.RequestsPerUnit), w)
		policy = policy[:l.PolicyStart] + string(item) + policy[l.PolicyEnd:]
		changed = true
	}
	if changed {
		s.rl.policy = policy
	}
}

// globalFailure records a failed call, counts it and logs it at most
// once per failureLogPeriod per worker, with the number of failures since
// the last line.
func (s *stream) globalFailure(what string) {
	g := &s.rl.global
	g.phase, g.verdict = globalDecided, globalFailed
	s.r.metrics.inc(metricServiceFailed)
	gr := &s.r.limits.global
	gr.failSinceLog++
	now := s.host.Now()
	if gr.lastFailLog != 0 && now-gr.lastFailLog < failureLogPeriod {
		return
	}
	mode := "deny"
	if gr.svc != nil && gr.svc.FailureMode == config.FailureAllow {
		mode = "allow"
	}
	cluster := ""
	if gr.svc != nil {
		cluster = gr.svc.Cluster
	}
	s.host.Log(proxy.LogWarn, "apiguard: rate limit service: "+what+" (cluster "+strconv.Quote(truncate(cluster, 128))+
		"); failure_mode "+mode+"; "+strconv.Itoa(gr.failSinceLog)+" failed calls on this worker since its previous such line")
	gr.lastFailLog, gr.failSinceLog = now, 0
}

// applyGlobal turns the recorded verdict into the step's result.
func (s *stream) applyGlobal(rl *ratelimit.RoutePlan) result {
	g := &s.rl.global
	switch g.verdict {
	case globalOver:
		l := rl.Global[g.index]
		return s.refuse(429, problem.ReasonGlobalRateLimited, limitHeaders(s.rl.policy, l.Name, g.retry))
	case globalFailed:
		gr := &s.r.limits.global
		if gr.svc != nil && gr.svc.FailureMode == config.FailureAllow {
			s.r.metrics.inc(metricServiceFailedOpen)
			return next
		}
		// docs/responses.md: an unreachable service's 429 carries only Retry-After.
		return s.refuse(429, problem.ReasonRateLimitServiceUnavailable, retryAfterOnly)
	}
	return next
}

var retryAfterOnly = []proxy.Pair{{Key: "retry-after", Value: "1"}}

// appendHex16 appends v as 16 lower-case hex digits.
func appendHex16(b []byte, v uint64) []byte {
	const digits = "0123456789abcdef"
	for shift := 60; shift >= 0; shift -= 4 {
		b = append(b, digits[(v>>uint(shift))&0xf])
	}
	return b
}
