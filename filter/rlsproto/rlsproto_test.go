package rlsproto

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	commonrl "github.com/envoyproxy/go-control-plane/envoy/extensions/common/ratelimit/v3"
	rlsv3 "github.com/envoyproxy/go-control-plane/envoy/service/ratelimit/v3"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

func genReq(domain string, addend uint32, descs ...[]Entry) *rlsv3.RateLimitRequest {
	r := &rlsv3.RateLimitRequest{Domain: domain, HitsAddend: addend}
	for _, d := range descs {
		pd := &commonrl.RateLimitDescriptor{}
		for _, e := range d {
			pd.Entries = append(pd.Entries, &commonrl.RateLimitDescriptor_Entry{Key: e.Key, Value: e.Value})
		}
		r.Descriptors = append(r.Descriptors, pd)
	}
	return r
}

func encode(domain string, addend uint32, descs ...[]Entry) []byte {
	b := AppendDomain(nil, domain)
	for _, d := range descs {
		b = AppendDescriptor(b, d...)
	}
	return AppendHitsAddend(b, addend)
}

// The encoding is byte-for-byte what go-control-plane's generated type
// marshals to (deterministically), and decodes to the same message.
func TestRLSRequest_matchesGeneratedType(t *testing.T) {
	long := strings.Repeat("v", 300) // two-byte lengths
	cases := []struct {
		name   string
		domain string
		addend uint32
		descs  [][]Entry
	}{
		{"one descriptor", "apiguard", 1, [][]Entry{{{"fleet-per-user", "0123456789abcdef"}}}},
		{"several descriptors", "apiguard", 1, [][]Entry{
			{{"a", "00000000000000ff"}}, {{"b.c_d-e", "ffffffffffffffff"}}, {{"z", "1"}}}},
		{"several entries", "d", 3, [][]Entry{{{"k1", "v1"}, {"k2", "v2"}}}},
		{"long values", strings.Repeat("d", 200), 1 << 20, [][]Entry{{{long, long}}}},
		{"empty strings left out", "", 0, [][]Entry{{{"", ""}}, {{"k", ""}}, {{"", "v"}}, {}}},
		{"no descriptor", "apiguard", 1, nil},
		{"unicode", "ドメイン", 1, [][]Entry{{{"ключ", "值"}}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := encode(c.domain, c.addend, c.descs...)
			want := genReq(c.domain, c.addend, c.descs...)
			wantBytes, err := proto.MarshalOptions{Deterministic: true}.Marshal(want)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, wantBytes) {
				t.Errorf("encoding\n got %x\nwant %x", got, wantBytes)
			}
			var back rlsv3.RateLimitRequest
			if err := proto.Unmarshal(got, &back); err != nil {
				t.Fatalf("generated type cannot decode it: %v", err)
			}
			if !proto.Equal(&back, want) {
				t.Errorf("decoded %v, want %v", &back, want)
			}
		})
	}
}

func TestRLSRequest_entryDescriptorMatchesDescriptor(t *testing.T) {
	for _, kv := range [][2]string{{"per-user", "0123456789abcdef"}, {"", ""}, {"k", ""}, {strings.Repeat("k", 130), strings.Repeat("v", 20000)}} {
		want := AppendDescriptor([]byte("prefix"), Entry{kv[0], kv[1]})
		got := AppendEntryDescriptor([]byte("prefix"), kv[0], []byte(kv[1]))
		if !bytes.Equal(got, want) {
			t.Errorf("%q: %x, want %x", kv[0], got, want)
		}
	}
}

func mustMarshal(t testing.TB, m proto.Message) []byte {
	t.Helper()
	b, err := proto.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

type dstatus = rlsv3.RateLimitResponse_DescriptorStatus

func limitPB(n uint32, u rlsv3.RateLimitResponse_RateLimit_Unit) *rlsv3.RateLimitResponse_RateLimit {
	return &rlsv3.RateLimitResponse_RateLimit{RequestsPerUnit: n, Unit: u, Name: "ignored name"}
}

// Responses built with the generated types decode to what the filter
// needs, whatever else they carry.
func TestRLSResponse_parse(t *testing.T) {
	cases := []struct {
		name string
		msg  *rlsv3.RateLimitResponse
		want Response
	}{
		{"empty", &rlsv3.RateLimitResponse{}, Response{}},
		{"ok without statuses", &rlsv3.RateLimitResponse{OverallCode: rlsv3.RateLimitResponse_OK},
			Response{OverallCode: CodeOK}},
		{"envoyproxy/ratelimit style", &rlsv3.RateLimitResponse{
			OverallCode: rlsv3.RateLimitResponse_OVER_LIMIT,
			Statuses: []*dstatus{
				{Code: rlsv3.RateLimitResponse_OK, CurrentLimit: limitPB(5000, rlsv3.RateLimitResponse_RateLimit_HOUR),
					LimitRemaining: 4999, DurationUntilReset: durationpb.New(1234 * time.Second)},
				{Code: rlsv3.RateLimitResponse_OVER_LIMIT, CurrentLimit: limitPB(3, rlsv3.RateLimitResponse_RateLimit_MINUTE),
					DurationUntilReset: durationpb.New(41*time.Second + 500*time.Millisecond)},
			}},
			Response{OverallCode: CodeOverLimit, Statuses: []Status{
				{Code: CodeOK, HasLimit: true, Limit: Limit{5000, UnitHour, 0}, Remaining: 4999, HasReset: true, ResetSeconds: 1234},
				{Code: CodeOverLimit, HasLimit: true, Limit: Limit{3, UnitMinute, 0}, HasReset: true, ResetSeconds: 41, ResetNanos: 5e8},
			}}},
		{"status without limit (no rule matched)", &rlsv3.RateLimitResponse{
			OverallCode: rlsv3.RateLimitResponse_OK, Statuses: []*dstatus{{Code: rlsv3.RateLimitResponse_OK}}},
			Response{OverallCode: CodeOK, Statuses: []Status{{Code: CodeOK}}}},
		{"unit multiplier, week", &rlsv3.RateLimitResponse{
			OverallCode: rlsv3.RateLimitResponse_OK, Statuses: []*dstatus{{Code: rlsv3.RateLimitResponse_OK,
				CurrentLimit: &rlsv3.RateLimitResponse_RateLimit{RequestsPerUnit: 7, Unit: rlsv3.RateLimitResponse_RateLimit_WEEK,
					UnitMultiplier: wrapperspb.UInt32(2)}}}},
			Response{OverallCode: CodeOK, Statuses: []Status{{Code: CodeOK, HasLimit: true, Limit: Limit{7, UnitWeek, 2}}}}},
		{"everything else skipped", &rlsv3.RateLimitResponse{
			OverallCode:          rlsv3.RateLimitResponse_OK,
			Statuses:             []*dstatus{{Code: rlsv3.RateLimitResponse_OK, Quota: &rlsv3.RateLimitResponse_Quota{Id: "q", ExpirationSpecifier: &rlsv3.RateLimitResponse_Quota_ValidUntil{}}}},
			ResponseHeadersToAdd: []*corev3.HeaderValue{{Key: "x-a", Value: "b"}},
			RequestHeadersToAdd:  []*corev3.HeaderValue{{Key: "x-c", Value: "d"}},
			RawBody:              []byte("raw"),
			DynamicMetadata:      &structpb.Struct{Fields: map[string]*structpb.Value{"k": structpb.NewNumberValue(1.5)}},
			Quota:                &rlsv3.RateLimitResponse_Quota{Requests: 9},
		}, Response{OverallCode: CodeOK, Statuses: []Status{{Code: CodeOK}}}},
		{"negative duration kept raw", &rlsv3.RateLimitResponse{OverallCode: rlsv3.RateLimitResponse_OVER_LIMIT,
			Statuses: []*dstatus{{Code: rlsv3.RateLimitResponse_OVER_LIMIT, DurationUntilReset: &durationpb.Duration{Seconds: -5, Nanos: -1}}}},
			Response{OverallCode: CodeOverLimit, Statuses: []Status{{Code: CodeOverLimit, HasReset: true, ResetSeconds: -5, ResetNanos: -1}}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var got Response
			if err := ParseResponse(mustMarshal(t, c.msg), &got); err != nil {
				t.Fatal(err)
			}
			if !equalResponse(got, c.want) {
				t.Errorf("got %+v\nwant %+v", got, c.want)
			}
		})
	}
}

func equalResponse(a, b Response) bool {
	if a.OverallCode != b.OverallCode || len(a.Statuses) != len(b.Statuses) {
		return false
	}
	for i := range a.Statuses {
		if a.Statuses[i] != b.Statuses[i] {
			return false
		}
	}
	return true
}

// Protobuf merge rules: the last scalar wins, repeated messages merge,
// and a known field with an unexpected wire type is skipped.
func TestRLSResponse_protobufMergeRules(t *testing.T) {
	status := func(inner ...byte) []byte { return append([]byte{0x12, byte(len(inner))}, inner...) }
	cases := []struct {
		name string
		in   []byte
		want Response
	}{
		{"last overall code wins", []byte{0x08, 0x02, 0x08, 0x01}, Response{OverallCode: CodeOK}},
		{"current_limit twice merges", status(0x12, 0x02, 0x08, 0x05, 0x12, 0x02, 0x10, 0x02),
			Response{Statuses: []Status{{HasLimit: true, Limit: Limit{RequestsPerUnit: 5, Unit: UnitMinute}}}}},
		{"duration twice merges", status(0x22, 0x02, 0x08, 0x07, 0x22, 0x02, 0x10, 0x09),
			Response{Statuses: []Status{{HasReset: true, ResetSeconds: 7, ResetNanos: 9}}}},
		{"overall code as fixed32 is unknown", []byte{0x0d, 2, 0, 0, 0}, Response{}},
		{"statuses as varint is unknown", []byte{0x10, 0x05, 0x08, 0x02}, Response{OverallCode: CodeOverLimit}},
		{"non-minimal varint", []byte{0x08, 0x82, 0x80, 0x00}, Response{OverallCode: CodeOverLimit}},
		{"unknown group skipped", []byte{0xa3, 0x06, 0x08, 0x01, 0xa4, 0x06, 0x08, 0x02}, Response{OverallCode: CodeOverLimit}},
		{"fixed64 skipped", []byte{0x49, 1, 2, 3, 4, 5, 6, 7, 8, 0x08, 0x01}, Response{OverallCode: CodeOK}},
		{"huge code truncates like int32", []byte{0x08, 0x82, 0x80, 0x80, 0x80, 0x10}, Response{OverallCode: CodeOverLimit}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var got Response
			if err := ParseResponse(c.in, &got); err != nil {
				t.Fatal(err)
			}
			if !equalResponse(got, c.want) {
				t.Errorf("got %+v, want %+v", got, c.want)
			}
			var gen rlsv3.RateLimitResponse
			if err := proto.Unmarshal(c.in, &gen); err != nil {
				t.Fatalf("the generated type refuses it: %v", err)
			}
			if Code(gen.OverallCode) != got.OverallCode || len(gen.Statuses) != len(got.Statuses) {
				t.Errorf("generated type reads %v", &gen)
			}
		})
	}
}

func TestRLSResponse_parseErrors(t *testing.T) {
	many := bytes.Repeat([]byte{0x12, 0x00}, MaxStatuses+1)
	deep := append(bytes.Repeat([]byte{0x0b}, maxGroupDepth+2), bytes.Repeat([]byte{0x0c}, maxGroupDepth+2)...)
	cases := []struct {
		name string
		in   []byte
		want error
	}{
		{"truncated tag", []byte{0x80}, ErrTruncated},
		{"truncated varint", []byte{0x08, 0x80}, ErrTruncated},
		{"truncated length", []byte{0x12, 0x05, 0x08}, ErrTruncated},
		{"truncated inside a status", []byte{0x12, 0x02, 0x08, 0x80}, ErrTruncated},
		{"truncated fixed64", []byte{0x09, 1, 2, 3}, ErrTruncated},
		{"truncated fixed32", []byte{0x0d, 1}, ErrTruncated},
		{"varint overflow", []byte{0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02}, ErrOverflow},
		{"eleven-byte varint", []byte{0x08, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00}, ErrOverflow},
		{"field zero", []byte{0x00, 0x01}, ErrFieldNumber},
		{"wire type 6", []byte{0x0e}, ErrWireType},
		{"stray end group", []byte{0x0c}, ErrWireType},
		{"unterminated group", []byte{0x0b, 0x08, 0x01}, ErrTruncated},
		{"mismatched end group", []byte{0x0b, 0x14}, ErrWireType},
		{"too many statuses", many, ErrTooMany},
		{"groups too deep", deep, ErrTooDeep},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var r Response
			if err := ParseResponse(c.in, &r); !errors.Is(err, c.want) {
				t.Errorf("error %v, want %v", err, c.want)
			}
		})
	}
}

func TestRLSResponse_untilReset(t *testing.T) {
	cases := []struct {
		secs  int64
		nanos int32
		want  time.Duration
	}{
		{0, 0, 0},
		{41, 5e8, 41500 * time.Millisecond},
		{0, 1, 1},
		{-1, 0, 0},
		{0, -5, 0},
		{1, -5e8, 500 * time.Millisecond},
		{1 << 62, 0, maxDuration},
		{int64(maxDuration/time.Second) - 1, 999999999, maxDuration - 1},
	}
	for _, c := range cases {
		s := Status{ResetSeconds: c.secs, ResetNanos: c.nanos}
		if got := s.UntilReset(); got != c.want {
			t.Errorf("(%d, %d): %v, want %v", c.secs, c.nanos, got, c.want)
		}
	}
}

func TestRLSResponse_unitSeconds(t *testing.T) {
	cases := []struct {
		l    Limit
		want int64
	}{
		{Limit{Unit: UnitSecond}, 1},
		{Limit{Unit: UnitMinute}, 60},
		{Limit{Unit: UnitHour}, 3600},
		{Limit{Unit: UnitDay}, 86400},
		{Limit{Unit: UnitWeek}, 604800},
		{Limit{Unit: UnitMonth}, 2592000},
		{Limit{Unit: UnitYear}, 31536000},
		{Limit{Unit: UnitUnknown}, 0},
		{Limit{Unit: 99}, 0},
		{Limit{Unit: UnitMinute, UnitMultiplier: 5}, 300},
		{Limit{Unit: UnitMinute, UnitMultiplier: 1}, 60},
	}
	for _, c := range cases {
		if got := c.l.WindowSeconds(); got != c.want {
			t.Errorf("%+v: %d, want %d", c.l, got, c.want)
		}
	}
	// The enum numbering is the proto's.
	for u, g := range map[Unit]rlsv3.RateLimitResponse_RateLimit_Unit{
		UnitSecond: rlsv3.RateLimitResponse_RateLimit_SECOND, UnitMinute: rlsv3.RateLimitResponse_RateLimit_MINUTE,
		UnitHour: rlsv3.RateLimitResponse_RateLimit_HOUR, UnitDay: rlsv3.RateLimitResponse_RateLimit_DAY,
		UnitWeek: rlsv3.RateLimitResponse_RateLimit_WEEK, UnitMonth: rlsv3.RateLimitResponse_RateLimit_MONTH,
		UnitYear: rlsv3.RateLimitResponse_RateLimit_YEAR,
	} {
		if uint32(u) != uint32(g) {
			t.Errorf("unit %d is %s=%d in the proto", u, g, g)
		}
	}
	for c, g := range map[Code]rlsv3.RateLimitResponse_Code{CodeUnknown: rlsv3.RateLimitResponse_UNKNOWN,
		CodeOK: rlsv3.RateLimitResponse_OK, CodeOverLimit: rlsv3.RateLimitResponse_OVER_LIMIT} {
		if uint32(c) != uint32(g) || c.String() != g.String() {
			t.Errorf("code %s=%d is %s=%d in the proto", c, c, g, g)
		}
	}
}

// Whatever the generated type accepts, ParseResponse accepts and reads
// the same; nothing panics.
func FuzzRLSResponse_parseAgreesWithGenerated(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte{0x08, 0x02, 0x12, 0x02, 0x08, 0x02})
	f.Add(mustMarshal(f, &rlsv3.RateLimitResponse{
		OverallCode: rlsv3.RateLimitResponse_OVER_LIMIT,
		Statuses: []*dstatus{{Code: rlsv3.RateLimitResponse_OVER_LIMIT, CurrentLimit: limitPB(3, rlsv3.RateLimitResponse_RateLimit_MINUTE),
			LimitRemaining: 2, DurationUntilReset: durationpb.New(41 * time.Second)}},
		ResponseHeadersToAdd: []*corev3.HeaderValue{{Key: "x-a", Value: "b"}},
	}))
	f.Add([]byte{0xa3, 0x06, 0x08, 0x01, 0xa4, 0x06, 0x08, 0x02})
	f.Fuzz(func(t *testing.T, in []byte) {
		var got Response
		err := ParseResponse(in, &got)
		var gen rlsv3.RateLimitResponse
		if proto.Unmarshal(in, &gen) != nil {
			return
		}
		if err != nil {
			if errors.Is(err, ErrTooMany) || errors.Is(err, ErrTooDeep) {
				return
			}
			t.Fatalf("generated type accepts what ParseResponse refuses: %v", err)
		}
		if uint32(gen.OverallCode) != uint32(got.OverallCode) || len(gen.Statuses) != len(got.Statuses) {
			t.Fatalf("overall %v/%d statuses, got %v/%d", gen.OverallCode, len(gen.Statuses), got.OverallCode, len(got.Statuses))
		}
		for i, g := range gen.Statuses {
			s := got.Statuses[i]
			want := Status{Code: Code(uint32(g.Code)), Remaining: g.LimitRemaining}
			if l := g.CurrentLimit; l != nil {
				want.HasLimit = true
				want.Limit = Limit{RequestsPerUnit: l.RequestsPerUnit, Unit: Unit(uint32(l.Unit)), UnitMultiplier: l.UnitMultiplier.GetValue()}
			}
			if d := g.DurationUntilReset; d != nil {
				want.HasReset, want.ResetSeconds, want.ResetNanos = true, d.Seconds, d.Nanos
			}
			if s != want {
				t.Fatalf("status %d: %+v, want %+v", i, s, want)
			}
		}
	})
}

// FuzzRLSRequest_roundTripsThroughGenerated: any strings encode to what the generated type decodes back.
func FuzzRLSRequest_roundTripsThroughGenerated(f *testing.F) {
	f.Add("apiguard", "per-user", "0123456789abcdef", uint32(1))
	f.Add("", "", "", uint32(0))
	f.Fuzz(func(t *testing.T, domain, key, value string, addend uint32) {
		b := AppendHitsAddend(AppendEntryDescriptor(AppendDescriptor(AppendDomain(nil, domain), Entry{key, value}), key, []byte(value)), addend)
		var back rlsv3.RateLimitRequest
		if err := (proto.UnmarshalOptions{}).Unmarshal(b, &back); err != nil {
			// Only invalid UTF-8, which proto3 strings refuse, may fail.
			if isUTF8(domain) && isUTF8(key) && isUTF8(value) {
				t.Fatal(err)
			}
			return
		}
		want := genReq(domain, addend, []Entry{{key, value}}, []Entry{{key, value}})
		if !proto.Equal(&back, want) {
			t.Fatalf("decoded %v, want %v", &back, want)
		}
	})
}

func isUTF8(s string) bool { return strings.ToValidUTF8(s, "\uFFFD") == s }

func BenchmarkRLSRequest_append(b *testing.B) {
	buf := make([]byte, 0, 256)
	val := []byte("0123456789abcdef")
	// The path measured: a request the generated type reads back.
	buf = AppendHitsAddend(AppendEntryDescriptor(AppendEntryDescriptor(AppendDomain(buf[:0], "apiguard"),
		"fleet-per-user", val), "fleet-per-ip", val), 1)
	var back rlsv3.RateLimitRequest
	if err := proto.Unmarshal(buf, &back); err != nil || back.Domain != "apiguard" || len(back.Descriptors) != 2 || back.HitsAddend != 1 {
		b.Fatalf("%v: %v", err, &back)
	}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		buf = AppendDomain(buf[:0], "apiguard")
		buf = AppendEntryDescriptor(buf, "fleet-per-user", val)
		buf = AppendEntryDescriptor(buf, "fleet-per-ip", val)
		buf = AppendHitsAddend(buf, 1)
	}
}

func BenchmarkRLSResponse_parse(b *testing.B) {
	in := mustMarshal(b, &rlsv3.RateLimitResponse{
		OverallCode: rlsv3.RateLimitResponse_OK,
		Statuses: []*dstatus{
			{Code: rlsv3.RateLimitResponse_OK, CurrentLimit: limitPB(5000, rlsv3.RateLimitResponse_RateLimit_HOUR),
				LimitRemaining: 4999, DurationUntilReset: durationpb.New(1234 * time.Second)},
			{Code: rlsv3.RateLimitResponse_OK, CurrentLimit: limitPB(100, rlsv3.RateLimitResponse_RateLimit_MINUTE),
				LimitRemaining: 50, DurationUntilReset: durationpb.New(12 * time.Second)},
		}})
	var r Response
	// The path measured: both statuses read.
	if err := ParseResponse(in, &r); err != nil || r.OverallCode != CodeOK || len(r.Statuses) != 2 || r.Statuses[1].Remaining != 50 {
		b.Fatalf("%v: %+v", err, r)
	}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if err := ParseResponse(in, &r); err != nil {
			b.Fatal(err)
		}
	}
}

func TestGrpcService_appendDecodes(t *testing.T) {
	for _, name := range []string{"ratelimit", "apiguard1", "x", strings.Repeat("c", 200)} {
		var gs corev3.GrpcService
		b := AppendGrpcService(nil, name)
		if err := proto.Unmarshal(b, &gs); err != nil || gs.GetEnvoyGrpc().GetClusterName() != name {
			t.Errorf("%q: decoded %v (%v)", name, &gs, err)
		}
		want, _ := proto.MarshalOptions{Deterministic: true}.Marshal(&corev3.GrpcService{
			TargetSpecifier: &corev3.GrpcService_EnvoyGrpc_{EnvoyGrpc: &corev3.GrpcService_EnvoyGrpc{ClusterName: name}}})
		if !bytes.Equal(b, want) {
			t.Errorf("%q: %x, want %x", name, b, want)
		}
	}
}

// Cluster names Envoy would read as a serialized GrpcService are
// recognised (a superset of what the generated type parses).
func TestGrpcService_mayParseAsMessage(t *testing.T) {
	cases := map[string]bool{
		"ratelimit": false, "rls": false, "test-h2": false, "rate_limit": false, "envoy.ratelimit": false,
		"apiguard1": true, "00": true, "abcdefghi": true,
	}
	for name, want := range cases {
		if got := MayParseAsMessage([]byte(name)); got != want {
			t.Errorf("%q: %v, want %v", name, got, want)
		}
	}
}

func FuzzGrpcService_mayParseAsMessage(f *testing.F) {
	for _, s := range []string{"ratelimit", "apiguard1", "00", "\x0a\x03\x0a\x01x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		var gs corev3.GrpcService
		if proto.Unmarshal([]byte(name), &gs) == nil && !MayParseAsMessage([]byte(name)) {
			t.Fatalf("%q parses as a GrpcService but MayParseAsMessage says no", name)
		}
	})
}
