package grpcupstream

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	rlsv3 "github.com/envoyproxy/go-control-plane/envoy/service/ratelimit/v3"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	grpcstatus "google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/apiguard/apiguard/e2e/host"
	"github.com/apiguard/apiguard/filter/proxy"
)

// rlsServer answers ShouldRateLimit by domain: "ok" echoes the domain's
// descriptor count as limit_remaining, "denied" is a gRPC error, "hang"
// waits for the deadline; the metadata "x-tenant" is echoed in the
// error message of "md".
type rlsServer struct {
	rlsv3.UnimplementedRateLimitServiceServer
}

func (rlsServer) ShouldRateLimit(ctx context.Context, r *rlsv3.RateLimitRequest) (*rlsv3.RateLimitResponse, error) {
	switch r.Domain {
	case "ok":
		return &rlsv3.RateLimitResponse{OverallCode: rlsv3.RateLimitResponse_OVER_LIMIT,
			Statuses: []*rlsv3.RateLimitResponse_DescriptorStatus{{LimitRemaining: uint32(len(r.Descriptors))}}}, nil
	case "denied":
		return nil, grpcstatus.Error(codes.PermissionDenied, "not you")
	case "hang":
		<-ctx.Done()
		return nil, ctx.Err()
	case "md":
		md, _ := metadata.FromIncomingContext(ctx)
		return nil, grpcstatus.Error(codes.InvalidArgument, strings.Join(md.Get("x-tenant"), ","))
	}
	return nil, grpcstatus.Error(codes.NotFound, "unknown domain")
}

func serveRLS(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := grpc.NewServer()
	rlsv3.RegisterRateLimitServiceServer(s, rlsServer{})
	go s.Serve(l)
	t.Cleanup(s.Stop)
	return l.Addr().String()
}

func TestUpstream_bytesAndStatuses(t *testing.T) {
	up, err := Dial(serveRLS(t))
	if err != nil {
		t.Fatal(err)
	}
	defer up.Close()
	msg := func(domain string, descriptors int) []byte {
		r := &rlsv3.RateLimitRequest{Domain: domain}
		for i := 0; i < descriptors; i++ {
			r.Descriptors = append(r.Descriptors, nil)
		}
		b, err := proto.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	call := func(m []byte, md []proxy.Pair, timeout time.Duration) (host.GRPCResponse, error) {
		return up.Call(host.GRPCRequest{Cluster: "rls", Service: "envoy.service.ratelimit.v3.RateLimitService", Method: "ShouldRateLimit",
			InitialMetadata: md, Message: m, Timeout: timeout})
	}

	// The bytes go as they are, and come back as they are.
	r, err := call(msg("ok", 3), nil, 0)
	if err != nil || r.Status != 0 {
		t.Fatalf("ok: %+v, %v", r, err)
	}
	var resp rlsv3.RateLimitResponse
	if err := proto.Unmarshal(r.Message, &resp); err != nil || resp.OverallCode != rlsv3.RateLimitResponse_OVER_LIMIT ||
		len(resp.Statuses) != 1 || resp.Statuses[0].LimitRemaining != 3 {
		t.Fatalf("answer %v (%v)", &resp, err)
	}

	cases := []struct {
		name    string
		domain  string
		md      []proxy.Pair
		timeout time.Duration
		status  uint32
		message string
	}{
		{"server error", "denied", nil, time.Second, uint32(codes.PermissionDenied), "not you"},
		{"metadata", "md", []proxy.Pair{{Key: "x-tenant", Value: "acme"}}, time.Second, uint32(codes.InvalidArgument), "acme"},
		{"timeout", "hang", nil, 50 * time.Millisecond, host.GRPCUnavailable, host.UpstreamTimeout},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, err := call(msg(c.domain, 0), c.md, c.timeout)
			if err != nil || r.Status != c.status || r.StatusMessage != c.message || r.Message != nil {
				t.Errorf("%+v, %v; want status %d %q", r, err, c.status, c.message)
			}
		})
	}
	// A method the server does not have is its Unimplemented.
	r, err = up.Call(host.GRPCRequest{Service: "envoy.service.ratelimit.v3.RateLimitService", Method: "Nope", Message: msg("ok", 0)})
	if err != nil || r.Status != uint32(codes.Unimplemented) {
		t.Errorf("unknown method: %+v, %v", r, err)
	}
}

// An address nobody listens on fails as a transport error, which the
// emulator turns into Unavailable with the error text.
func TestUpstream_unreachable(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	up, err := Dial(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer up.Close()
	r, err := up.Call(host.GRPCRequest{Service: "s", Method: "m", Timeout: 5 * time.Second})
	if err == nil || grpcstatus.Code(err) != codes.Unavailable {
		t.Fatalf("unreachable: %+v, %v", r, err)
	}
}
