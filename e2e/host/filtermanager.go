package host

import "github.com/apiguard/apiguard/filter/proxy"

// --- callbacks into the plugin ---

type cbKind int

const (
	cbHeaders cbKind = iota
	cbData
	cbTrailers
)

var cbNames = [2][3]string{
	{"proxy_on_request_headers", "proxy_on_request_body", "proxy_on_request_trailers"},
	{"proxy_on_response_headers", "proxy_on_response_body", "proxy_on_response_trailers"},
}

// invoke runs one stream callback the way cpp-host's ContextBase::on* do:
// CHECK_FAIL_HTTP before and after, the result converted
// (convertVmCallResultTo*Status). The after-call actions are left to the
// caller, which runs them once the filter manager has taken the result.
func (s *Stream) invoke(h *half, kind cbKind, f func(g proxy.Handler) proxy.Action) proxy.Action {
	vm := s.vm
	if h.resp && s.failReplySent {
		// Envoy skips encoder callbacks after the failure local reply.
		return proxy.Continue
	}
	dir := 0
	if h.resp {
		dir = 1
	}
	if !vm.failed {
		var act proxy.Action
		if vm.call(s.id, cbNames[dir][kind], func() { act = f(vm.guest) }) {
			return s.convert(kind, act, vm.stopNext)
		}
	}
	if vm.env.cfg.FailOpen {
		return proxy.Continue
	}
	if !s.streamFailed {
		s.streamFailed = true
		vm.queue(s.failStream)
	}
	return stopFor(kind)
}

func stopFor(kind cbKind) proxy.Action {
	switch kind {
	case cbHeaders:
		return proxy.StopAllIterationAndWatermark
	case cbData:
		return proxy.StopIterationNoBuffer
	}
	return proxy.StopIteration
}

func (s *Stream) convert(kind cbKind, act proxy.Action, stopped bool) proxy.Action {
	switch kind {
	case cbHeaders:
		if stopped || act > proxy.StopAllIterationAndWatermark {
			return proxy.StopAllIterationAndWatermark
		}
		if act == proxy.StopIteration && !s.vm.env.cfg.AllowOnHeadersStopIteration {
			return proxy.StopAllIterationAndWatermark
		}
	case cbData:
		if stopped || act > proxy.StopIterationNoBuffer {
			return proxy.StopIterationNoBuffer
		}
	default:
		if stopped || act > proxy.StopIteration {
			return proxy.StopIteration
		}
	}
	return act
}

// failStream is Envoy Context::failStream under FAIL_CLOSED.
func (s *Stream) failStream() {
	if s.failReplySent || s.ended {
		return
	}
	s.failReplySent = true
	s.localReply(503, nil, nil, GRPCUnavailable, "wasm_fail_stream")
}

// --- the filter manager ---

func (s *Stream) headersIn(h *half, eos bool) {
	if s.ended {
		return
	}
	h.complete = eos
	if s.bypass {
		h.headersContinued = true
		s.sendHeaders(h, eos)
		return
	}
	h.hdrAvail = true
	n := len(h.headers)
	act := s.invoke(h, cbHeaders, func(g proxy.Handler) proxy.Action {
		if h.resp {
			return g.OnResponseHeaders(s.id, n, eos)
		}
		return g.OnRequestHeaders(s.id, n, eos)
	})
	if act == proxy.Continue {
		h.hdrAvail = false
	}
	switch act {
	case proxy.Continue:
		h.headersContinued = true
		s.sendHeaders(h, eos)
	case 2: // ContinueAndEndStream: headers go on alone; body and trailers are dropped.
		h.headersContinued, h.headersOnly = true, true
		s.sendHeaders(h, true)
	case proxy.StopIteration:
		h.stopped = true
	default:
		h.stopAll = true
		h.stopAllBuffer = act == proxy.StopAllIterationAndBuffer
	}
	s.vm.runAfter()
}

func (s *Stream) dataIn(h *half, chunk []byte, eos bool) {
	if s.ended {
		return
	}
	h.bytes += len(chunk)
	if eos {
		h.complete = true
	}
	if h.headersOnly || (!h.resp && s.decodeAborted) {
		return
	}
	if s.bypass {
		s.sendData(h, chunk, eos)
		return
	}
	if h.stopAll {
		// FilterManager::handleDataIfStopAll: buffered for this filter, which
		// sees it only after it continues.
		h.buffered = append(h.buffered, chunk...)
		h.hasBuffered = true
		if h.stopAllBuffer && len(h.buffered) > s.limit() {
			s.overflow(h)
		}
		return
	}
	s.dataToFilter(h, chunk, eos)
}

// dataToFilter is Envoy Context::decodeData/encodeData followed by the
// filter manager's commonHandleAfterDataCallback.
func (s *Stream) dataToFilter(h *half, chunk []byte, eos bool) {
	if h.buffering {
		// addDecodedData: the chunk joins the buffered body before the VM
		// sees it; past the limit Envoy answers and the VM is not called.
		h.buffered = append(h.buffered, chunk...)
		h.hasBuffered = true
		chunk = nil
		if len(h.buffered) > s.limit() {
			s.overflow(h)
			return
		}
	}
	h.chunk, h.inBody, h.cbEOS = chunk, true, eos
	size := len(chunk)
	if h.buffering {
		size = len(h.buffered)
	}
	act := s.invoke(h, cbData, func(g proxy.Handler) proxy.Action {
		if h.resp {
			return g.OnResponseBody(s.id, size, eos)
		}
		return g.OnRequestBody(s.id, size, eos)
	})
	chunk = h.chunk
	h.chunk, h.inBody = nil, false
	h.buffering = act == proxy.StopIterationAndBuffer
	switch act {
	case proxy.Continue:
		if h.stopped {
			h.buffered = append(h.buffered, chunk...)
			h.hasBuffered = true
			s.continueHalf(h)
		} else {
			s.sendData(h, chunk, eos)
		}
	case proxy.StopIterationAndBuffer, proxy.StopIterationAndWatermark:
		h.stopped = true
		h.buffered = append(h.buffered, chunk...)
		h.hasBuffered = true
		if act == proxy.StopIterationAndBuffer && len(h.buffered) > s.limit() {
			s.overflow(h)
		}
	default: // StopIterationNoBuffer: the chunk is dropped.
		h.stopped = true
		if h.complete && !h.hasTrailers && !h.hasBuffered {
			h.hasBuffered = true // an empty frame keeps end_stream for continue
		}
	}
	s.vm.runAfter()
}

func (s *Stream) trailersIn(h *half, t []proxy.Pair) {
	if s.ended {
		return
	}
	h.complete = true
	h.trailers, h.hasTrailers = lowerKeys(t), true
	if h.trailers == nil {
		h.trailers = []proxy.Pair{}
	}
	if h.headersOnly || (!h.resp && s.decodeAborted) {
		return
	}
	if s.bypass {
		s.sendTrailers(h)
		return
	}
	if h.stopAll {
		return
	}
	s.trailersToFilter(h)
}

func (s *Stream) trailersToFilter(h *half) {
	h.trailersDelivered, h.trlAvail = true, true
	n := len(h.trailers)
	act := s.invoke(h, cbTrailers, func(g proxy.Handler) proxy.Action {
		if h.resp {
			return g.OnResponseTrailers(s.id, n)
		}
		return g.OnRequestTrailers(s.id, n)
	})
	if act == proxy.Continue {
		h.trlAvail = false
		if h.stopped {
			s.continueHalf(h)
		} else {
			s.sendTrailers(h)
		}
	} else {
		h.stopped = true
	}
	s.vm.runAfter()
}

// continueHalf is ActiveStreamFilterBase::commonContinue: held headers go
// on, then the buffered body (replayed through this filter first when it
// had stopped all iteration), then trailers.
func (s *Stream) continueHalf(h *half) {
	if s.ended || (!h.stopped && !h.stopAll) {
		return
	}
	fromCurrent := h.stopAll
	h.stopped, h.stopAll = false, false
	hadTrailers := h.hasTrailers && !h.trailersSent
	if !h.headersContinued {
		h.headersContinued = true
		s.sendHeaders(h, h.complete && !h.hasBuffered && !hadTrailers)
		if s.ended {
			return
		}
	}
	if h.hasBuffered {
		data := h.buffered
		h.buffered, h.hasBuffered = nil, false
		eos := h.complete && !hadTrailers
		if fromCurrent {
			s.dataToFilter(h, data, eos)
		} else {
			s.sendData(h, data, eos)
		}
		if s.ended {
			return
		}
	}
	if hadTrailers && !h.trailersSent {
		if fromCurrent && !h.trailersDelivered {
			s.trailersToFilter(h)
		} else if !h.stopped {
			s.sendTrailers(h)
		}
	}
}
