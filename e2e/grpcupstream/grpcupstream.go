// Package grpcupstream makes an emulated cluster's unary gRPC calls real:
// the network half of the Envoy emulator (e2e/host), which itself does no
// network I/O and reaches servers only through host.Cluster's functions.
package grpcupstream

import (
	"context"
	"errors"
	"fmt"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/mem"
	"google.golang.org/grpc/metadata"
	grpcstatus "google.golang.org/grpc/status"

	"github.com/apiguard/apiguard/e2e/host"
)

// Upstream makes a cluster's unary gRPC calls real: each call the plugin
// makes through proxy_grpc_call goes over HTTP/2 to a gRPC server at a
// real address, with the plugin's message bytes sent as they are and the
// server's answer bytes handed back as they are (no protobuf types
// involved), as Envoy's raw async client does. Use its Call as
// host.Cluster.GRPC:
//
//	up, err := grpcupstream.Dial("127.0.0.1:8081")
//	...
//	defer up.Close()
//	cfg.Clusters = map[string]host.Cluster{"ratelimit": {GRPC: up.Call}}
//
// Outcomes map onto Envoy's: a status from the server is that status
// (OK delivers the message); an unreachable server is Unavailable with the
// transport's error text; a call still running at its timeout is
// Unavailable "upstream request timeout", as the emulator's own timeouts
// are. The call blocks the emulator while it runs, so the timeout is real
// (wall-clock) time here, not the emulator's clock.
type Upstream struct {
	conn *grpc.ClientConn
}

// Dial prepares a plaintext gRPC client for addr (host:port). Like Envoy,
// it connects lazily, on the first call.
func Dial(addr string) (*Upstream, error) {
	conn, err := grpc.NewClient(addr,
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.ForceCodecV2(rawCodec{})))
	if err != nil {
		return nil, fmt.Errorf("grpcupstream: client for %s: %w", addr, err)
	}
	return &Upstream{conn: conn}, nil
}

// Close closes the connection.
func (u *Upstream) Close() error { return u.conn.Close() }

// Call performs req as a real unary call: /<Service>/<Method>, the
// request's initial metadata as metadata, its Timeout as the deadline.
func (u *Upstream) Call(req host.GRPCRequest) (host.GRPCResponse, error) {
	ctx := context.Background()
	if req.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, req.Timeout)
		defer cancel()
	}
	if len(req.InitialMetadata) > 0 {
		md := metadata.MD{}
		for _, p := range req.InitialMetadata {
			md.Append(p.Key, p.Value)
		}
		ctx = metadata.NewOutgoingContext(ctx, md)
	}
	in := req.Message
	var out []byte
	err := u.conn.Invoke(ctx, "/"+req.Service+"/"+req.Method, &in, &out)
	if err == nil {
		return host.GRPCResponse{Message: out}, nil
	}
	if timedOut(ctx) {
		return host.GRPCResponse{Status: host.GRPCUnavailable, StatusMessage: host.UpstreamTimeout}, nil
	}
	st, ok := grpcstatus.FromError(err)
	if !ok {
		return host.GRPCResponse{}, err
	}
	if st.Code() == codes.Unavailable {
		// A transport failure (refused, reset): Envoy fails the call
		// the same way whatever the cause.
		return host.GRPCResponse{}, err
	}
	return host.GRPCResponse{Status: uint32(st.Code()), StatusMessage: st.Message()}, nil
}

// timedOut reports whether the call's deadline has passed. ctx.Err() alone
// is not enough: the server (or gRPC itself, on the server's RST_STREAM)
// can end the call a moment before the context's timer goroutine runs,
// and a timeout must read as a timeout however the race goes.
func timedOut(ctx context.Context) bool {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return true
	}
	d, ok := ctx.Deadline()
	return ok && !time.Now().Before(d)
}

// rawCodec passes message bytes through: requests and answers are
// *[]byte. Its name keeps the content-type application/grpc+proto, which
// is what the bytes are.
type rawCodec struct{}

func (rawCodec) Marshal(v any) (mem.BufferSlice, error) {
	b, ok := v.(*[]byte)
	if !ok {
		return nil, fmt.Errorf("grpcupstream: raw codec cannot marshal %T", v)
	}
	return mem.BufferSlice{mem.SliceBuffer(*b)}, nil
}

func (rawCodec) Unmarshal(data mem.BufferSlice, v any) error {
	b, ok := v.(*[]byte)
	if !ok {
		return fmt.Errorf("grpcupstream: raw codec cannot unmarshal into %T", v)
	}
	*b = data.Materialize()
	return nil
}

func (rawCodec) Name() string { return "proto" }
