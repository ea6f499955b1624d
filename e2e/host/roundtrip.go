package host

import (
	"strconv"

	"github.com/apiguard/apiguard/filter/proxy"
)

// Request is one client request for RoundTrip.
type Request struct {
	// Method, Path, Authority and Scheme become the pseudo-headers; the
	// defaults are GET, "/", "api.example.com", and "https" with TLS or
	// "http" without.
	Method, Path, Authority, Scheme string
	// Headers follow the pseudo-headers (keys are lower-cased by the codec).
	Headers []proxy.Pair
	Body    []byte
	// ChunkSize splits Body into chunks of this size (0: one chunk).
	ChunkSize int
	// Trailers, when set, follow the body.
	Trailers []proxy.Pair
	Props    StreamProps
}

// UpstreamRequest is what reached the upstream server.
type UpstreamRequest struct {
	Headers  []proxy.Pair
	Body     []byte
	Trailers []proxy.Pair
}

// Header returns the first value of a header of the upstream request.
func (r UpstreamRequest) Header(key string) string { return first(r.Headers, key) }

// Response is the upstream server's answer for RoundTrip.
type Response struct {
	// Status becomes ":status" (default 200) unless Headers has one.
	Status  int
	Headers []proxy.Pair
	Body    []byte
	// ChunkSize splits Body into chunks (0: one chunk).
	ChunkSize int
	Trailers  []proxy.Pair
}

// Result is the outcome of RoundTrip.
type Result struct {
	// UpstreamCalled says the request reached the upstream in full and the
	// upstream function ran.
	UpstreamCalled bool
	Upstream       Upstream
	Downstream     Downstream
	Stream         *Stream
}

// Header returns the first value of a response header the client received.
func (d Downstream) Header(key string) string { return first(d.Headers, key) }

// Header returns the first value of a request header the upstream received.
func (u Upstream) Header(key string) string { return first(u.Headers, key) }

// RoundTrip runs one whole exchange on this VM: the request events, the
// upstream (called only once the complete request reached it, and only if
// the stream is still open), the response events, then the end of the
// stream. Callouts are answered as the Delivery mode says; with
// DeliverManually a request waiting on a callout never reaches upstream and
// is ended as a client disconnect.
func (vm *VM) RoundTrip(req Request, upstream func(UpstreamRequest) Response) Result {
	s := vm.NewStream(req.Props)
	hs := make([]proxy.Pair, 0, 4+len(req.Headers))
	scheme := req.Scheme
	if scheme == "" {
		scheme = "http"
		if req.Props.TLS != nil {
			scheme = "https"
		}
	}
	hs = append(hs,
		proxy.Pair{Key: ":method", Value: orDefault(req.Method, "GET")},
		proxy.Pair{Key: ":scheme", Value: scheme},
		proxy.Pair{Key: ":authority", Value: orDefault(req.Authority, "api.example.com")},
		proxy.Pair{Key: ":path", Value: orDefault(req.Path, "/")},
	)
	hs = append(hs, req.Headers...)
	bodyless := len(req.Body) == 0 && req.Trailers == nil
	s.RequestHeaders(hs, bodyless)
	if !bodyless {
		sendChunks(req.Body, req.ChunkSize, req.Trailers == nil, s.RequestBody)
		if req.Trailers != nil {
			s.RequestTrailers(req.Trailers)
		}
	}
	res := Result{Stream: s}
	if !s.ended && s.up.EndOfStream && !s.up.Reset && upstream != nil {
		res.UpstreamCalled = true
		resp := upstream(UpstreamRequest{Headers: clonePairs(s.up.Headers), Body: clone(s.up.Body), Trailers: clonePairs(s.up.Trailers)})
		rh := make([]proxy.Pair, 0, 1+len(resp.Headers))
		if !has(lowerKeys(resp.Headers), ":status") {
			code := resp.Status
			if code == 0 {
				code = 200
			}
			rh = append(rh, proxy.Pair{Key: ":status", Value: strconv.Itoa(code)})
		}
		rh = append(rh, resp.Headers...)
		rbodyless := len(resp.Body) == 0 && resp.Trailers == nil
		s.ResponseHeaders(rh, rbodyless)
		if !rbodyless {
			sendChunks(resp.Body, resp.ChunkSize, resp.Trailers == nil, s.ResponseBody)
			if resp.Trailers != nil {
				s.ResponseTrailers(resp.Trailers)
			}
		}
	}
	s.Complete()
	res.Upstream, res.Downstream = s.up, s.down
	return res
}

// sendChunks feeds body in chunks; an empty body is one empty chunk.
func sendChunks(body []byte, size int, eos bool, f func([]byte, bool)) {
	if size <= 0 || size >= len(body) {
		f(body, eos)
		return
	}
	for len(body) > 0 {
		n := min(size, len(body))
		f(body[:n], eos && n == len(body))
		body = body[n:]
	}
}
