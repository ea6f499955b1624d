// Package reqcheck is the pure logic of apiguard's request protection
// (docs/order-of-checks.md step 1 and the `request` block): path safety, method-override
// detection, query-parameter name matching, Content-Length parsing and the
// JSON body checks (limits, duplicate keys, `fields`).
//
// Everything here runs on the request path, so it is written to allocate
// nothing per request once warm, and to do work linear in what it inspects.
// It has no host dependency: the plugin feeds it strings and bytes it read
// through proxy.Host.
//
// Step 1 on the request view is Hygiene; steps 6, 7 and the content of
// 12 are ForbiddenQuery and Body (the body mode step 7 decides, the
// declared length, CheckContent); the plugin runs the body's callbacks.
//
// Room: a feature (request checks, steps 1, 6, 7 and 12). It imports the
// model and leaves; never another feature, policy, plugin or proxy.
package reqcheck
