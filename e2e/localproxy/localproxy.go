// Package localproxy runs apiguard for real without Envoy: an HTTP server on
// loopback that passes every request through the Envoy emulator (e2e/host)
// with the module loaded on wazero (e2e/wasmguest), forwards what the filter
// lets through to an upstream, and passes the answer back through the
// filter. It is what `make demo` and `apiguard proxy` run, so operators can
// try a policy before they deploy it to Envoy.
//
// The emulator is single-threaded per Envoy, like one worker's event loop:
// the proxy holds one lock while it drives the filter and releases it while
// it waits for the upstream, so slow upstreams do not stall other requests.
package localproxy

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/apiguard/apiguard/e2e/grpcupstream"
	"github.com/apiguard/apiguard/e2e/host"
	"github.com/apiguard/apiguard/filter/proxy"
)

// Config describes one local proxy.
type Config struct {
	// Guest is the plugin (usually a wasmguest factory for the built module).
	Guest host.GuestFactory
	// PluginConfig is apiguard's JSON configuration.
	PluginConfig []byte
	// Upstream is the host:port requests are forwarded to.
	Upstream string
	// Workers is the number of worker VMs (default 2), used round-robin.
	Workers int
	// NoHold emulates a host without allow_on_headers_stop_iteration (Istio).
	NoHold bool
	// Clusters maps Envoy cluster names the plugin calls out to (remote
	// JWKS over HTTP, the rate limit service over gRPC) to host:port
	// addresses on this machine.
	Clusters map[string]string
	// Env is the VMs' environment (Envoy's vm_config.environment_variables):
	// what the policy's {"env": NAME} references read.
	Env map[string]string
	// ChunkSize is the size of the body chunks handed to the filter
	// (default 16 KiB), as Envoy's codec would deliver them.
	ChunkSize int
	// BufferLimit is Envoy's per_connection_buffer_limit_bytes (default 1 MiB + 64 KiB).
	BufferLimit int
	// HoldTimeout bounds how long a request the filter holds for a tick (a
	// remote key set it waits for) is waited on, as Envoy's stream timeout
	// would (default 65 s: above the plugin's longest timeout_ms).
	HoldTimeout time.Duration
	// Log, when set, receives every line the plugin logs (deny and audit
	// lines, JWKS fetch failures, ...) as it is logged, one per line, so an
	// operator trying a policy sees why a request was refused, as Envoy's
	// log would show it.
	Log io.Writer
	// AccessLog, when set, is called once per request after the filter
	// finished with it and before the client gets the answer.
	AccessLog func(Access)
}

// Access is what the local proxy tells of one request: Envoy's access log
// in the fields an operator trying a policy needs.
type Access struct {
	Method string
	// Path is the request path without its query (a query can carry
	// credentials).
	Path      string
	Status    int    // what the client got; 0 when the connection was closed
	Reason    string // apiguard's refusal or report reason, "" when none
	RequestID string // the x-request-id the filter saw
	Latency   time.Duration
	// UpstreamError is why the upstream could not be reached, if it could not.
	UpstreamError error
}

// String is the access line: `GET /users/acme/orders 403 owner_mismatch 1.2ms request_id=...`.
func (a Access) String() string {
	reason := a.Reason
	if reason == "" {
		reason = "-"
	}
	line := fmt.Sprintf("%s %s %d %s %s request_id=%q", a.Method, a.Path, a.Status, reason,
		a.Latency.Round(10*time.Microsecond), a.RequestID)
	if a.UpstreamError != nil {
		line += fmt.Sprintf(" upstream_error=%q", a.UpstreamError.Error())
	}
	return line
}

// Proxy is a running local proxy.
type Proxy struct {
	cfg    Config
	mu     sync.Mutex // guards the emulator
	envoy  *host.Envoy
	next   int
	client *http.Client
	last   time.Time
	// reasons holds the reason of each deny or report line by request id,
	// until the request's access line takes it (guarded by mu).
	reasons map[string]string
}

// New starts the emulated Envoy with the plugin. It fails when the plugin
// refuses its configuration; the error carries the plugin's log line.
func New(cfg Config) (*Proxy, error) {
	if cfg.Workers <= 0 {
		cfg.Workers = 2
	}
	if cfg.ChunkSize <= 0 {
		cfg.ChunkSize = 16 << 10
	}
	if cfg.BufferLimit <= 0 {
		cfg.BufferLimit = 1<<20 + 64<<10
	}
	if cfg.HoldTimeout <= 0 {
		cfg.HoldTimeout = 65 * time.Second
	}
	p := &Proxy{cfg: cfg, client: &http.Client{Timeout: 30 * time.Second}, reasons: map[string]string{}}
	clusters := map[string]host.Cluster{}
	for name, addr := range cfg.Clusters {
		// gRPC connections are made lazily, on the first call, so one
		// address serves whichever kind of callout the plugin makes to it
		// (remote JWKS over HTTP, the rate limit service over gRPC).
		up, err := grpcupstream.Dial(addr)
		if err != nil {
			return nil, err
		}
		clusters[name] = host.Cluster{HTTP: p.httpCluster(addr), GRPC: up.Call}
	}
	now := time.Now()
	e, err := host.New(host.Config{
		PluginName:                  "apiguard",
		RootID:                      "apiguard",
		VMID:                        "apiguard",
		PluginConfig:                cfg.PluginConfig,
		Workers:                     cfg.Workers,
		AllowOnHeadersStopIteration: !cfg.NoHold,
		BufferLimit:                 cfg.BufferLimit,
		Clock:                       host.NewClock(now),
		Clusters:                    clusters,
		Env:                         cfg.Env,
	}, cfg.Guest)
	if err != nil {
		return nil, err
	}
	p.envoy, p.last = e, now
	p.flushLogs()
	return p, nil
}

// Envoy exposes the emulator (metrics, logs) to callers holding no lock;
// read it only when no request is in flight.
func (p *Proxy) Envoy() *host.Envoy { return p.envoy }

// tick moves the emulated clock to wall time, firing the plugin's ticks.
// Called with p.mu held.
func (p *Proxy) tick() {
	now := time.Now()
	if d := now.Sub(p.last); d > 0 {
		p.envoy.Advance(d)
		p.last = now
	}
	p.flushLogs()
}

// flushLogs writes the plugin's new log lines to cfg.Log and notes the
// reasons of deny and report lines for the access log. Called with p.mu
// held, so lines keep their order.
func (p *Proxy) flushLogs() {
	if p.cfg.Log == nil && p.cfg.AccessLog == nil {
		return
	}
	// Drained, not copied: a proxy that runs for days keeps no history.
	for _, l := range p.envoy.DrainLogs() {
		if p.cfg.AccessLog != nil {
			if id, reason, ok := denyReason(l.Msg); ok && len(p.reasons) < 4096 {
				p.reasons[id] = reason
			}
		}
		if p.cfg.Log != nil {
			fmt.Fprintln(p.cfg.Log, l.String())
		}
	}
}

// denyReason reads `apiguard: deny route=R status=S reason=X request_id="ID"`
// (or `report`).
func denyReason(msg string) (requestID, reason string, ok bool) {
	rest, found := strings.CutPrefix(msg, "apiguard: deny ")
	if !found {
		if rest, found = strings.CutPrefix(msg, "apiguard: report "); !found {
			return "", "", false
		}
	}
	_, after, found := strings.Cut(rest, " reason=")
	if !found {
		return "", "", false
	}
	reason, quoted, found := strings.Cut(after, " request_id=")
	if !found {
		return "", "", false
	}
	id, err := strconv.Unquote(quoted)
	if err != nil {
		return "", "", false
	}
	return id, reason, true
}

// newRequestID is a random UUID (version 4), as Envoy's
// generate_request_id gives a request that arrives without x-request-id.
func newRequestID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// Run advances the emulated clock every interval until ctx ends, so ticks
// (key refreshes, ...) happen without traffic.
func (p *Proxy) Run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			p.mu.Lock()
			p.tick()
			p.mu.Unlock()
		}
	}
}

// httpCluster answers the plugin's HTTP callouts with real requests.
func (p *Proxy) httpCluster(addr string) func(host.HTTPRequest) (host.HTTPResponse, error) {
	return func(r host.HTTPRequest) (host.HTTPResponse, error) {
		method, path, authority, hdrs := splitPseudo(r.Headers)
		ctx := context.Background()
		if r.Timeout > 0 {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, r.Timeout)
			defer cancel()
		}
		req, err := http.NewRequestWithContext(ctx, method, "http://"+addr+path, bytes.NewReader(r.Body))
		if err != nil {
			return host.HTTPResponse{}, err
		}
		req.Host = authority
		for _, h := range hdrs {
			req.Header.Add(h.Key, h.Value)
		}
		resp, err := p.client.Do(req)
		if err != nil {
			return host.HTTPResponse{}, err
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
		if err != nil {
			return host.HTTPResponse{}, err
		}
		out := host.HTTPResponse{Headers: []proxy.Pair{{Key: ":status", Value: strconv.Itoa(resp.StatusCode)}}, Body: body}
		out.Headers = appendHeaders(out.Headers, resp.Header)
		return out, nil
	}
}

// hopByHop headers are connection-scoped and never forwarded.
var hopByHop = map[string]bool{
	"connection": true, "keep-alive": true, "proxy-connection": true, "te": true,
	"trailer": true, "transfer-encoding": true, "upgrade": true,
}

// ServeHTTP implements http.Handler: one stream through the filter.
func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	began := time.Now()
	// Envoy gives every request an id before any filter runs (the HTTP
	// connection manager's generate_request_id, on by default).
	requestID := r.Header.Get("x-request-id")
	if requestID == "" {
		requestID = newRequestID()
		r.Header.Set("x-request-id", requestID)
	}
	hs := []proxy.Pair{
		{Key: ":method", Value: r.Method},
		{Key: ":scheme", Value: "http"},
		{Key: ":authority", Value: r.Host},
		{Key: ":path", Value: r.URL.RequestURI()},
	}
	hs = appendHeaders(hs, r.Header)
	if r.ContentLength > 0 {
		hs = append(hs, proxy.Pair{Key: "content-length", Value: strconv.FormatInt(r.ContentLength, 10)})
	}
	props := host.StreamProps{SourceAddress: r.RemoteAddr, DestinationAddress: r.Host}

	p.mu.Lock()
	p.tick()
	vm := p.envoy.Worker(p.next % p.cfg.Workers)
	p.next++
	s := vm.NewStream(props)
	hasBody := r.ContentLength != 0 && r.Body != nil && r.Body != http.NoBody
	s.RequestHeaders(hs, !hasBody)
	p.mu.Unlock()

	if hasBody {
		buf := make([]byte, p.cfg.ChunkSize)
		for {
			n, err := io.ReadFull(r.Body, buf)
			eof := errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)
			if err != nil && !eof {
				http.Error(w, "request body: "+err.Error(), http.StatusBadRequest)
				p.finish(s)
				return
			}
			p.mu.Lock()
			if !s.Ended() {
				s.RequestBody(buf[:n], eof)
			}
			p.mu.Unlock()
			if eof {
				break
			}
		}
	}

	p.waitHeld(r.Context(), vm, s)

	p.mu.Lock()
	up := s.Upstream()
	reach := !s.Ended() && up.EndOfStream && !up.Reset && s.Downstream().Status == 0
	var upReq *http.Request
	if reach {
		upReq = p.upstreamRequest(r.Context(), up)
	}
	p.mu.Unlock()

	var upErr error
	if upReq != nil {
		resp, err := p.client.Do(upReq)
		p.mu.Lock()
		if err != nil {
			upErr = err
			if p.cfg.Log != nil {
				fmt.Fprintf(p.cfg.Log, "apiguard-proxy: upstream %s: %v\n", p.cfg.Upstream, err)
			}
			// Envoy's own answer when the upstream cannot be reached.
			s.ResponseHeaders([]proxy.Pair{{Key: ":status", Value: "503"}, {Key: "content-type", Value: "text/plain"}}, false)
			s.ResponseBody([]byte("upstream connect error"), true)
		} else {
			p.relayResponse(s, resp)
		}
		p.mu.Unlock()
	}
	p.finish(s)
	if p.cfg.AccessLog != nil {
		p.mu.Lock()
		d := s.Downstream()
		status := d.Status
		if d.Reset {
			status = 0
		}
		reason := p.reasons[requestID]
		delete(p.reasons, requestID)
		p.mu.Unlock()
		p.cfg.AccessLog(Access{Method: r.Method, Path: r.URL.Path, Status: status, Reason: reason,
			RequestID: requestID, Latency: time.Since(began), UpstreamError: upErr})
	}
	p.write(w, s)
}

// holdPoll is how often a held request looks for the tick that resumes it.
const holdPoll = 5 * time.Millisecond

// waitHeld waits, as Envoy does, while the filter holds the whole request
// (nothing sent upstream, nothing answered) on a VM whose ticks may still
// resume it: a request waiting for a remote key set is resumed or answered
// on a tick. It drives the clock itself, so ticks come without Run. A VM
// without ticks can never resume the stream; that case is reported by
// write (noAnswer) at once rather than after HoldTimeout.
func (p *Proxy) waitHeld(ctx context.Context, vm *host.VM, s *host.Stream) {
	deadline := time.Now().Add(p.cfg.HoldTimeout)
	for {
		p.mu.Lock()
		up := s.Upstream()
		held := !s.Ended() && s.Downstream().Status == 0 && up.Headers == nil && vm.Ticking()
		if held {
			p.tick()
		}
		p.mu.Unlock()
		if !held || ctx.Err() != nil || time.Now().After(deadline) {
			return
		}
		time.Sleep(holdPoll)
	}
}

// relayResponse feeds upstream's response through the filter; p.mu held.
func (p *Proxy) relayResponse(s *host.Stream, resp *http.Response) {
	defer resp.Body.Close()
	rh := []proxy.Pair{{Key: ":status", Value: strconv.Itoa(resp.StatusCode)}}
	rh = appendHeaders(rh, resp.Header)
	// Reading the whole upstream body under the lock keeps the stream's
	// events ordered; the body is bounded by Envoy's buffer limit anyway.
	body, _ := io.ReadAll(io.LimitReader(resp.Body, int64(p.cfg.BufferLimit)*4))
	s.ResponseHeaders(rh, len(body) == 0)
	for off := 0; off < len(body) && !s.Ended(); off += p.cfg.ChunkSize {
		end := min(off+p.cfg.ChunkSize, len(body))
		s.ResponseBody(body[off:end], end == len(body))
	}
}

// appendHeaders appends h as lower-case pairs, as Envoy's codecs hand
// headers over, without the hop-by-hop ones, which Envoy never passes on.
func appendHeaders(dst []proxy.Pair, h http.Header) []proxy.Pair {
	for k, vs := range h {
		lk := strings.ToLower(k)
		if hopByHop[lk] {
			continue
		}
		for _, v := range vs {
			dst = append(dst, proxy.Pair{Key: lk, Value: v})
		}
	}
	return dst
}

// splitPseudo takes :method, :path and :authority out of a request's
// headers and returns the regular headers apart.
func splitPseudo(hs []proxy.Pair) (method, path, authority string, rest []proxy.Pair) {
	for _, h := range hs {
		switch h.Key {
		case ":method":
			method = h.Value
		case ":path":
			path = h.Value
		case ":authority":
			authority = h.Value
		default:
			if !strings.HasPrefix(h.Key, ":") {
				rest = append(rest, h)
			}
		}
	}
	return method, path, authority, rest
}

func (p *Proxy) upstreamRequest(ctx context.Context, up host.Upstream) *http.Request {
	method, path, authority, hdrs := splitPseudo(up.Headers)
	req, _ := http.NewRequestWithContext(ctx, "GET", "http://"+p.cfg.Upstream+"/", bytes.NewReader(up.Body))
	for _, h := range hdrs {
		if h.Key != "content-length" {
			req.Header.Add(h.Key, h.Value)
		}
	}
	req.Method = method
	if u, err := req.URL.Parse(path); err == nil {
		req.URL = u
		req.URL.Scheme, req.URL.Host = "http", p.cfg.Upstream
	}
	req.Host = authority
	req.ContentLength = int64(len(up.Body))
	return req
}

func (p *Proxy) finish(s *host.Stream) {
	p.mu.Lock()
	if !s.Ended() {
		s.Complete()
	}
	p.flushLogs()
	p.mu.Unlock()
}

// noAnswer explains a connection closed without an answer: the filter still
// held the request or its response when the exchange was over.
const noAnswer = "apiguard-proxy: the filter held this stream and never answered; connection closed " +
	"(Envoy would wait until its stream timeout). With -no-hold the policy needs \"hold_headers\": false"

// write sends what the client received in the emulator.
func (p *Proxy) write(w http.ResponseWriter, s *host.Stream) {
	p.mu.Lock()
	d := s.Downstream()
	if d.Status == 0 && !d.Reset && p.cfg.Log != nil {
		// Where Envoy would keep waiting, the local proxy gives up at
		// once; say so, or the dropped connection is a mystery. (Under
		// p.mu, like every write to cfg.Log: handlers run concurrently.)
		fmt.Fprintln(p.cfg.Log, noAnswer)
	}
	p.mu.Unlock()
	if d.Status == 0 || d.Reset {
		// Envoy resets the stream: the closest a Go server comes is
		// aborting the handler.
		panic(http.ErrAbortHandler)
	}
	for _, h := range d.Headers {
		if strings.HasPrefix(h.Key, ":") || hopByHop[h.Key] || h.Key == "content-length" {
			continue
		}
		w.Header().Add(h.Key, h.Value)
	}
	w.Header().Set("content-length", strconv.Itoa(len(d.Body)))
	w.WriteHeader(d.Status)
	w.Write(d.Body)
}

// Listen serves the proxy on addr until ctx ends. It returns the bound
// address through ready (useful with port 0).
func (p *Proxy) Listen(ctx context.Context, addr string, ready func(net.Addr)) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen %s: %w", addr, err)
	}
	srv := &http.Server{Handler: p, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		srv.Shutdown(shutdown)
	}()
	go p.Run(ctx, 100*time.Millisecond)
	if ready != nil {
		ready(ln.Addr())
	}
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
