// Package ratelimit is apiguard's local rate-limit state: token buckets
// kept in proxy-wasm shared data so that every worker VM of one Envoy draws
// from the same bucket, in a bounded number of slots.
//
// A bucket is one int64, a GCRA theoretical arrival time (see Rate). A
// limit owns a fixed number of slots (rate_limit_slots), grouped sixteen to a
// shared-data entry; a key value is hashed (Hasher, keyed and secret) to
// one entry and two slots in it. A key's state is the least of its slots,
// and an admitted request raises both to the new state (a blocked
// count-min sketch with conservative update). Slots only ever move
// forward, and each slot of a key is always at least the key's own state,
// so a collision can only make a limit stricter: no key is ever evicted,
// and no client gets a fresh bucket by flooding the table with new keys.
//
// Updates follow Envoy's CAS protocol (Store) with at most MaxAttempts
// writes per limit; a request whose update keeps losing races is refused
// (Contended), never waved through. One request under one limit costs one
// Get and one Set.
//
// The package is plain Go: time comes from the caller (the host clock),
// there are no timers, and it is tested natively with MemStore.
//
// Room: a feature (step 8 and 11): the rate-limit maths over a Store, the
// compiled plans of each route's limits (Compiler, which policy.Compile
// runs), the per-VM Runtime (the seed every worker agrees on, each limit's
// slots, the lockout), one request's state (Stream: its lockout check,
// its failure count and its local limits, over the plugin's Env), the key
// values of a request (Client: the address, a header of the request view,
// a claim of the verified identity), the
// RateLimit headers and 429s (Decision), and the global limits' call to
// the rate limit service and its verdict (Global). The plugin makes the
// host calls (shared data through Store, the gRPC call) and maps each
// Decision. It imports the model (config) and leaves (claims, httpx,
// jsonx, problem, rlsproto); never another feature, policy, plugin or
// proxy.
package ratelimit
