// Package rlsproto encodes envoy.service.ratelimit.v3.RateLimitRequest and
// decodes RateLimitResponse by hand, on the protobuf wire format, so that
// the filter can talk to Envoy's rate limit service without linking a
// protobuf runtime, gRPC or package net into the module.
//
// Only the fields apiguard uses are written; every field of the response
// is accepted and the ones apiguard needs are read (unknown and unused
// fields are skipped, as protobuf requires). The package is plain Go with
// no imports beyond errors and time, and it compiles for wasip1.
//
// Field numbers follow envoy/service/ratelimit/v3/rls.proto and
// envoy/extensions/common/ratelimit/v3/ratelimit.proto; the tests check
// both directions against go-control-plane's generated types.
//
// Room: a leaf (the rate limit service's wire format). It imports no other
// filter package.
package rlsproto
