package host

import (
	"strconv"
	"strings"

	"github.com/apiguard/apiguard/filter/proxy"
)

// --- what leaves the filter ---

func (s *Stream) sendHeaders(h *half, eos bool) {
	if h.resp {
		s.down.Headers = clonePairs(h.headers)
		s.down.Status = status(h.headers)
		if eos {
			s.down.EndOfStream = true
			s.end()
		}
		return
	}
	s.up.Headers = clonePairs(h.headers)
	s.upStarted = true
	if eos {
		s.up.EndOfStream = true
	}
}

func (s *Stream) sendData(h *half, data []byte, eos bool) {
	if s.ended {
		return
	}
	end := eos && !h.addedTrailers
	if h.resp {
		s.down.Body = append(s.down.Body, data...)
		if end {
			s.down.EndOfStream = true
			s.end()
		}
	} else {
		s.up.Body = append(s.up.Body, data...)
		if end {
			s.up.EndOfStream = true
		}
	}
	if eos && h.addedTrailers {
		s.sendTrailers(h)
	}
}

func (s *Stream) sendTrailers(h *half) {
	if s.ended || h.trailersSent {
		return
	}
	h.trailersSent = true
	if h.resp {
		s.down.Trailers = clonePairs(h.trailers)
		s.down.EndOfStream = true
		s.end()
		return
	}
	s.up.Trailers = clonePairs(h.trailers)
	s.up.EndOfStream = true
}

// overflow is requestDataTooLarge / responseDataTooLarge.
func (s *Stream) overflow(h *half) {
	if h.resp {
		s.localReply(500, []byte("Internal Server Error"), nil, -1, "response_payload_too_large")
		return
	}
	s.localReply(413, []byte("Payload Too Large"), nil, -1, "request_payload_too_large")
}

// localReply is the filter manager's sendLocalReply: through the encoder
// filters while no response headers exist, straight to the client while
// they exist but were not sent, a stream reset once they were sent.
func (s *Stream) localReply(code int, body []byte, extra []proxy.Pair, grpcStatus int64, details string) {
	if s.ended {
		return
	}
	s.down.Details = details
	s.decodeAborted = true
	if s.upStarted && !s.upDone {
		s.up.Reset, s.upDone = true, true
	}
	hs, body := s.buildLocalReply(code, body, extra, grpcStatus)
	switch {
	case !s.resp.hasHeaders:
		s.down.LocalReply = details
		s.resp.headers, s.resp.hasHeaders = hs, true
		s.respCode = code
		s.headersIn(&s.resp, len(body) == 0)
		if len(body) > 0 && !s.ended {
			s.dataIn(&s.resp, body, true)
		}
	case s.down.Headers == nil:
		s.down.LocalReply = details
		s.resp = half{resp: true, headers: hs, hasHeaders: true, complete: true}
		s.respCode = code
		s.down.Headers = clonePairs(hs)
		s.down.Status = status(hs)
		s.down.Body = body
		s.down.EndOfStream = true
		s.end()
	default:
		s.down.Reset = true
		s.end()
	}
}

// buildLocalReply is Http::Utility::sendLocalReply's response shaping.
func (s *Stream) buildLocalReply(code int, body []byte, extra []proxy.Pair, grpcStatus int64) ([]proxy.Pair, []byte) {
	hs := []proxy.Pair{{Key: ":status", Value: strconv.Itoa(code)}}
	for _, p := range extra {
		hs = addHeader(hs, p.Key, p.Value)
	}
	ct, _ := getHeader(s.req.headers, "content-type")
	method, _ := getHeader(s.req.headers, ":method")
	if strings.HasPrefix(ct, "application/grpc") {
		hs = setInline(hs, ":status", "200")
		hs = setInline(hs, "content-type", "application/grpc")
		if _, ok := getHeader(hs, "grpc-status"); !ok {
			gs := int64(httpToGrpc(code))
			if grpcStatus >= 0 && grpcStatus <= 16 {
				gs = grpcStatus
			}
			hs = setInline(hs, "grpc-status", strconv.FormatInt(gs, 10))
		}
		if len(body) > 0 && method != "HEAD" {
			msg := strings.TrimSuffix(string(body), "\n")
			hs = setInline(hs, "grpc-message", percentEncode(msg))
		}
		return removeHeader(hs, "content-length"), nil
	}
	if len(body) > 0 {
		hs = setInline(hs, "content-length", strconv.Itoa(len(body)))
		if _, ok := getHeader(hs, "content-type"); !ok {
			hs = addHeader(hs, "content-type", "text/plain")
		}
	} else {
		hs = removeHeader(removeHeader(hs, "content-length"), "content-type")
	}
	if method == "HEAD" {
		body = nil
	}
	return hs, clone(body)
}

// setInline sets an O(1) header the way Envoy's inline setters do: the
// first entry keeps its place, later duplicates go.
func setInline(ps []proxy.Pair, key, value string) []proxy.Pair {
	for i, p := range ps {
		if p.Key == key {
			ps[i].Value = value
			rest := removeHeader(ps[i+1:], key)
			return ps[:i+1+len(rest)]
		}
	}
	return addHeader(ps, key, value)
}

// httpToGrpc is Grpc::Utility::httpToGrpcStatus.
func httpToGrpc(code int) int {
	switch code {
	case 400:
		return 13
	case 401:
		return 16
	case 403:
		return 7
	case 404:
		return 12
	case 429, 502, 503, 504:
		return 14
	}
	return 2
}

// percentEncode is Http::Utility::PercentEncoding::encode for grpc-message.
func percentEncode(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < ' ' || c > '~' || c == '%' {
			b.WriteByte('%')
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&15])
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// reset is resetStream (proxy_close_stream).
func (s *Stream) reset(details string) {
	if s.ended {
		return
	}
	if s.down.Details == "" { // Envoy keeps details already set (via_upstream, ...)
		s.down.Details = details
	}
	s.down.Reset = true
	s.end()
}

// end finishes the stream: the router resets an upstream request still in
// flight, then the access-log phase (proxy_on_log) and onDestroy
// (proxy_on_done, proxy_on_delete) run, in that order.
func (s *Stream) end() {
	if s.ended {
		return
	}
	s.ended = true
	if s.upStarted && !s.upDone {
		s.up.Reset, s.upDone = true, true
	}
	vm := s.vm
	if !s.created {
		return
	}
	if !vm.failed {
		s.logPhase = true
		vm.call(s.id, "proxy_on_log", func() { vm.guest.OnLog(s.id) })
		s.logPhase = false
		vm.runAfter()
		vm.call(s.id, "proxy_on_done", func() { vm.guest.OnDone(s.id) })
		vm.runAfter()
		vm.call(s.id, "proxy_on_delete", func() { vm.guest.OnDelete(s.id) })
		vm.runAfter()
	}
	delete(vm.streams, s.id)
}
