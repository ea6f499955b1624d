package host

import (
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/apiguard/apiguard/filter/proxy"
)

// HTTPRequest is an HTTP callout as the cluster receives it: header keys
// lower-cased, content-length set when there is a body.
type HTTPRequest struct {
	Cluster  string
	Headers  []proxy.Pair
	Body     []byte
	Trailers []proxy.Pair
	// Timeout is the callout's timeout (0: none).
	Timeout time.Duration
}

// Header returns the first value of a request header (key lower-case).
func (r HTTPRequest) Header(key string) string { return first(r.Headers, key) }

// HTTPResponse is a cluster's answer to an HTTP callout. Headers should
// include ":status".
type HTTPResponse struct {
	Headers  []proxy.Pair
	Body     []byte
	Trailers []proxy.Pair
}

// GRPCRequest is a unary gRPC callout.
type GRPCRequest struct {
	Cluster         string
	Service, Method string
	InitialMetadata []proxy.Pair
	Message         []byte
	Timeout         time.Duration
}

// GRPCResponse is a cluster's answer to a unary gRPC call. Status 0 (OK)
// delivers Message through proxy_on_grpc_receive; any other status arrives
// as proxy_on_grpc_close(status) with StatusMessage readable through
// proxy_get_status.
type GRPCResponse struct {
	Status        uint32
	StatusMessage string
	Message       []byte
}

// GRPCUnavailable is the gRPC status (14) the emulator gives a call that
// failed or timed out.
const GRPCUnavailable = 14

// UpstreamTimeout is the message of a callout that timed out: the body of
// the router's 504 for HTTP, the status message for gRPC.
const UpstreamTimeout = "upstream request timeout"

// Callout describes a callout waiting for its answer.
type Callout struct {
	Token uint32
	// HTTP is set for HTTP callouts, GRPC for gRPC calls.
	HTTP *HTTPRequest
	GRPC *GRPCRequest
	// Deadline is when the callout times out (zero: never).
	Deadline time.Time
}

type callout struct {
	token    uint32
	root     uint32 // the root context that made it and gets the answer
	http     *HTTPRequest
	grpc     *GRPCRequest
	deadline time.Time
	asked    bool
}

// PendingCallouts lists the callouts of this VM not answered yet, in the
// order they were made.
func (vm *VM) PendingCallouts() []Callout {
	out := make([]Callout, 0, len(vm.callouts))
	for _, c := range vm.callouts {
		out = append(out, Callout{Token: c.token, HTTP: c.http, GRPC: c.grpc, Deadline: c.deadline})
	}
	return out
}

// DeliverCallouts asks the clusters to answer every pending callout of this
// VM and delivers the answers, in order; it returns how many it delivered.
func (vm *VM) DeliverCallouts() int {
	n := 0
	for _, c := range append([]*callout(nil), vm.callouts...) {
		if vm.answer(c) {
			n++
		}
	}
	vm.pump()
	return n
}

// pump delivers, in immediate mode, every callout not asked yet; answers
// can make new callouts, which are delivered in turn.
func (vm *VM) pump() {
	if vm.env.cfg.Delivery != DeliverImmediately {
		return
	}
	for {
		var next *callout
		for _, c := range vm.callouts {
			if !c.asked {
				next = c
				break
			}
		}
		if next == nil {
			return
		}
		vm.answer(next)
	}
}

// dropCallouts cancels every pending callout of root context id: no
// callback follows.
func (vm *VM) dropCallouts(id uint32) {
	kept := vm.callouts[:0]
	for _, c := range vm.callouts {
		if c.root != id {
			kept = append(kept, c)
		}
	}
	clear(vm.callouts[len(kept):])
	vm.callouts = kept
}

func (vm *VM) removeCallout(c *callout) bool {
	for i, x := range vm.callouts {
		if x == c {
			vm.callouts = append(vm.callouts[:i], vm.callouts[i+1:]...)
			return true
		}
	}
	return false
}

// answer asks c's cluster and delivers the answer; false if the cluster
// did not answer (ErrNoAnswer) or the callout is gone.
func (vm *VM) answer(c *callout) bool {
	c.asked = true
	cl := vm.env.cfg.Clusters
	if c.http != nil {
		var (
			resp HTTPResponse
			err  error
		)
		if f := cl[c.http.Cluster].HTTP; f != nil {
			resp, err = f(*c.http)
		} else {
			err = errNoHandler
		}
		if err == ErrNoAnswer || !vm.removeCallout(c) {
			return false
		}
		if err != nil {
			vm.httpFailure(c.root, c.token)
		} else {
			vm.httpSuccess(c.root, c.token, resp)
		}
		return true
	}
	var (
		resp GRPCResponse
		err  error
	)
	if f := cl[c.grpc.Cluster].GRPC; f != nil {
		resp, err = f(*c.grpc)
	} else {
		err = errNoHandler
	}
	if err == ErrNoAnswer || !vm.removeCallout(c) {
		return false
	}
	switch {
	case err != nil:
		vm.grpcClose(c.root, c.token, GRPCUnavailable, err.Error())
	case resp.Status != 0:
		vm.grpcClose(c.root, c.token, resp.Status, resp.StatusMessage)
	default:
		vm.grpcReceive(c.root, c.token, resp.Message)
	}
	return true
}

// errNoHandler fails a callout to a cluster without a function for its kind.
var errNoHandler = errors.New("host: cluster has no handler for this kind of call")

// httpSuccess is Envoy Context::onHttpCallSuccess: the response maps and
// body are readable only during the callback.
func (vm *VM) httpSuccess(root, token uint32, resp HTTPResponse) {
	resp.Headers = lowerKeys(resp.Headers)
	resp.Trailers = lowerKeys(resp.Trailers)
	vm.rootCall(root, "proxy_on_http_call_response", func() {
		vm.httpResp = &resp
		defer func() { vm.httpResp = nil }()
		vm.guest.OnHttpCallResponse(root, token, len(resp.Headers), len(resp.Body), len(resp.Trailers))
	})
}

// httpFailure is Envoy Context::onHttpCallFailure: (0,0,0) and the root
// status BrokenConnection "reset" while the callback runs.
func (vm *VM) httpFailure(root, token uint32) {
	vm.rootCall(root, "proxy_on_http_call_response", func() {
		vm.statusCode, vm.statusMsg = uint32(proxy.StatusBrokenConnection), "reset"
		defer func() { vm.statusMsg = "" }()
		vm.guest.OnHttpCallResponse(root, token, 0, 0, 0)
	})
}

// grpcReceive is Envoy's unary success path (onSuccessRaw →
// onGrpcReceiveWrapper): only proxy_on_grpc_receive, no close callback.
func (vm *VM) grpcReceive(root, token uint32, msg []byte) {
	vm.rootCall(root, "proxy_on_grpc_receive", func() {
		vm.grpcRecv = msg
		defer func() { vm.grpcRecv = nil }()
		vm.guest.OnGrpcReceive(root, token, len(msg))
	})
}

// grpcClose is Envoy's unary failure path (onFailure → onGrpcCloseWrapper).
func (vm *VM) grpcClose(root, token, status uint32, msg string) {
	vm.rootCall(root, "proxy_on_grpc_close", func() {
		vm.statusCode, vm.statusMsg = status, msg
		defer func() { vm.statusMsg = "" }()
		vm.guest.OnGrpcClose(root, token, status)
	})
}

func (vm *VM) nextTimeout() (time.Time, bool) {
	var best time.Time
	found := false
	if vm.failed || vm.discarded {
		return best, false
	}
	for _, c := range vm.callouts {
		if !c.deadline.IsZero() && (!found || c.deadline.Before(best)) {
			best, found = c.deadline, true
		}
	}
	return best, found
}

// fireTimeouts answers every callout whose deadline has passed the way
// Envoy's router does: a 504 "upstream request timeout" local reply, which
// a gRPC client sees as Unavailable.
func (vm *VM) fireTimeouts() {
	now := vm.env.clock.Now()
	for _, c := range append([]*callout(nil), vm.callouts...) {
		if c.deadline.IsZero() || c.deadline.After(now) || !vm.removeCallout(c) {
			continue
		}
		const body = UpstreamTimeout
		if c.http != nil {
			vm.httpSuccess(c.root, c.token, HTTPResponse{
				Headers: []proxy.Pair{{Key: ":status", Value: "504"}, {Key: "content-length", Value: strconv.Itoa(len(body))}, {Key: "content-type", Value: "text/plain"}},
				Body:    []byte(body),
			})
		} else {
			vm.grpcClose(c.root, c.token, GRPCUnavailable, body)
		}
	}
}

// httpCall is Envoy Context::httpCall on the root context of the
// effective context.
func (vm *VM) httpCall(cluster string, headers []proxy.Pair, body []byte, trailers []proxy.Pair, timeoutMs uint32) (uint32, proxy.Status) {
	if int32(timeoutMs) < 0 {
		return 0, proxy.StatusBadArgument
	}
	if _, ok := vm.env.cfg.Clusters[cluster]; !ok {
		return 0, proxy.StatusBadArgument
	}
	hs := lowerKeys(headers)
	if !has(hs, ":path") || !has(hs, ":method") || !has(hs, ":authority") {
		return 0, proxy.StatusBadArgument
	}
	if len(body) > 0 {
		hs = setHeader(hs, "content-length", strconv.Itoa(len(body)))
	}
	req := &HTTPRequest{Cluster: cluster, Headers: hs, Body: clone(body), Trailers: lowerKeys(trailers)}
	c := &callout{token: vm.nextHTTPToken, root: vm.currentRoot(), http: req}
	vm.nextHTTPToken++
	if timeoutMs > 0 {
		req.Timeout = time.Duration(timeoutMs) * time.Millisecond
		c.deadline = vm.env.clock.Now().Add(req.Timeout)
	}
	vm.callouts = append(vm.callouts, c)
	return c.token, proxy.StatusOK
}

// grpcCall is Envoy Context::grpcCall: an unknown cluster is ParseFailure
// (kept for ABI 0.1 compatibility, per Envoy's comment); tokens are odd.
func (vm *VM) grpcCall(service, serviceName, method string, md []proxy.Pair, msg []byte, timeoutMs uint32) (uint32, proxy.Status) {
	if _, ok := vm.env.cfg.Clusters[service]; !ok {
		return 0, proxy.StatusParseFailure
	}
	req := &GRPCRequest{Cluster: service, Service: serviceName, Method: method, InitialMetadata: lowerKeys(md), Message: clone(msg)}
	c := &callout{token: vm.nextGRPCToken, root: vm.currentRoot(), grpc: req}
	vm.nextGRPCToken += 2
	if timeoutMs > 0 {
		req.Timeout = time.Duration(timeoutMs) * time.Millisecond
		c.deadline = vm.env.clock.Now().Add(req.Timeout)
	}
	vm.callouts = append(vm.callouts, c)
	return c.token, proxy.StatusOK
}

// grpcCancel covers both proxy_grpc_cancel and proxy_grpc_close for unary
// calls: the call is dropped and no callback follows.
func (vm *VM) grpcCancel(token uint32) proxy.Status {
	for _, c := range vm.callouts {
		if c.grpc != nil && c.token == token {
			vm.removeCallout(c)
			return proxy.StatusOK
		}
	}
	return proxy.StatusNotFound
}

func has(ps []proxy.Pair, key string) bool {
	for _, p := range ps {
		if p.Key == key {
			return true
		}
	}
	return false
}

func first(ps []proxy.Pair, key string) string {
	key = strings.ToLower(key)
	for _, p := range ps {
		if p.Key == key {
			return p.Value
		}
	}
	return ""
}
