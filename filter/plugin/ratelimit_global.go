package plugin

import (
	"github.com/apiguard/apiguard/filter/proxy"
	"github.com/apiguard/apiguard/filter/ratelimit"
)

// Global limits (docs/configuration.md "global limits"): ratelimit.Global
// builds the call to the rate limit service and decides from its answer;
// here the call is made (one unary gRPC call per request, whose own
// timeout bounds the wait: no runtime timer) and the answer, which arrives
// on the root context, is applied to the stream after switching to it.

// globalLimits is the second half of step 11, run once every local limit
// admitted the request: it asks the service (and waits), then applies the
// verdict when the pipeline resumes at this step.
func (s *stream) globalLimits(rl *ratelimit.RoutePlan) result {
	if len(rl.Global) == 0 {
		return next
	}
	g := &s.rl.Global
	switch g.Phase {
	case ratelimit.GlobalWaiting:
		return wait
	case ratelimit.GlobalDecided:
		return s.applyGlobal(rl)
	}
	if st := s.askService(rl); st != proxy.StatusOK {
		s.globalFailure("call not started: " + st.String())
		return s.applyGlobal(rl)
	}
	g.Phase = ratelimit.GlobalWaiting
	return wait
}

// askService starts the call; a status other than OK says the host
// refused it (ParseFailure: no such cluster).
func (s *stream) askService(rl *ratelimit.RoutePlan) proxy.Status {
	gr := s.r.limits.Global
	if gr.Svc == nil {
		return proxy.StatusNotFound
	}
	msg := gr.Message(rl, func(l *ratelimit.GlobalLimit) uint64 { return rateEnv{s}.KeyHash(gr.Hasher(), &l.Key, l.Tweak) })
	token, st := s.host.GrpcCall(gr.Service, ratelimit.RLSService, ratelimit.RLSMethod, nil, msg, gr.TimeoutMs)
	if st != proxy.StatusOK {
		return st
	}
	s.p.grpcCalls[token] = s.id
	return proxy.StatusOK
}

// serviceAnswer delivers the service's answer to the stream that asked
// (Plugin.OnGrpcReceive, on the root context, where Envoy keeps the
// message): size bytes, read here, then decided on the stream.
func (p *Plugin) serviceAnswer(id uint32, size int) {
	var msg []byte
	ok := size >= 0 && size <= ratelimit.MaxAnswerBytes
	if ok {
		var st proxy.Status
		msg, st = p.host.GetBufferBytes(proxy.BufferGrpcReceive, 0, size)
		ok = st == proxy.StatusOK
	}
	p.withStream(id, func(s *stream) { s.onServiceAnswer(msg, ok) })
}

// serviceClosed delivers a failed call to the stream that made it
// (Plugin.OnGrpcClose); proxy_get_status reads the root context's
// status too.
func (p *Plugin) serviceClosed(id uint32, status uint32) {
	_, msg, _ := p.host.GetStatus()
	p.withStream(id, func(s *stream) { s.onServiceClosed(status, msg) })
}

// onServiceAnswer decides from the service's answer
// (ratelimit.Global.Answer) and resumes the pipeline.
func (s *stream) onServiceAnswer(msg []byte, ok bool) {
	g := &s.rl.Global
	if g.Phase != ratelimit.GlobalWaiting {
		return
	}
	metric, failure := s.r.limits.Global.Answer(g, s.route.Limits, msg, ok, s.host.Now(), &s.rl.Report)
	if failure != "" {
		s.globalFailure(failure)
	} else if metric != "" {
		s.r.metrics.Inc(metric)
	}
	s.resume()
}

// onServiceClosed is a failed call: a gRPC error, an unreachable
// cluster, or the timeout.
func (s *stream) onServiceClosed(status uint32, msg string) {
	if s.rl.Global.Phase != ratelimit.GlobalWaiting {
		return
	}
	s.globalFailure(ratelimit.Closed(status, msg))
	s.resume()
}

// globalFailure records a failed call, counts it and logs the line
// ratelimit.Global.Failure spaces out.
func (s *stream) globalFailure(what string) {
	s.r.metrics.Inc(ratelimit.MetricServiceFailed)
	if line := s.r.limits.Global.Failure(&s.rl.Global, what, s.host.Now()); line != "" {
		s.host.Log(proxy.LogWarn, line)
	}
}

// applyGlobal turns the recorded verdict into the step's result.
func (s *stream) applyGlobal(rl *ratelimit.RoutePlan) result {
	d, failedOpen := s.r.limits.Global.Apply(&s.rl.Global, rl, s.rl.Report.Policy)
	if failedOpen {
		s.r.metrics.Inc(ratelimit.MetricServiceFailedOpen)
	}
	return s.refuseLimit(d)
}
