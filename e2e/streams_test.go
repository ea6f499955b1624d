package e2e

import (
	"testing"

	"github.com/apiguard/apiguard/e2e/host"
)

// TestStreams_manyOpenAtOnce: the plugin finds each stream by its context
// id in a table of 64 slots (proxy.Contexts, ids past that spill into a
// map) and reuses a finished stream's memory for the next one. With 150
// streams open on one worker, authenticated and anonymous ones
// alternating, answered in reverse order, and then one at a time, every
// stream keeps its own state: the verified one's claims header goes
// upstream and its answer is no-store; the anonymous one gets neither, nor
// anything left over from the stream whose memory it reuses.
func TestStreams_manyOpenAtOnce(t *testing.T) {
	each(t, func(t *testing.T, g guest) {
		e := start(t, g, authBenchConfig(t))
		vm := e.Worker(0)
		tok := benchToken(t, "RS256", "rsa-a")
		check := func(t *testing.T, s *host.Stream, authed bool, what string) {
			t.Helper()
			up, down := s.Upstream(), s.Downstream()
			if down.Status != 200 || down.LocalReply != "" {
				t.Fatalf("%s: status %d (%q)", what, down.Status, down.LocalReply)
			}
			_, user := header(up.Headers, "x-user-id")
			_, cred := header(up.Headers, "authorization")
			cc, _ := header(down.Headers, "cache-control")
			if user != authed || cred || (cc == "no-store") != authed {
				t.Errorf("%s: upstream x-user-id %v, authorization %v; cache-control %q", what, user, cred, cc)
			}
		}
		open := func(i int) *host.Stream {
			s := vm.NewStream(host.StreamProps{})
			h := headers(":method", "GET", ":scheme", "https", ":authority", "api.example.com", ":path", "/p/orders")
			if i%2 == 0 {
				h = headers(":method", "GET", ":scheme", "https", ":authority", "api.example.com", ":path", "/t/orders",
					"authorization", "Bearer "+tok)
			}
			s.RequestHeaders(h, true)
			return s
		}
		answer := func(s *host.Stream) {
			s.ResponseHeaders(headers(":status", "200", "content-type", "text/plain"), true)
		}
		var open150 []*host.Stream
		for i := range 150 {
			open150 = append(open150, open(i))
		}
		for i := len(open150) - 1; i >= 0; i-- {
			answer(open150[i])
		}
		for i, s := range open150 {
			if !s.Ended() {
				t.Fatalf("stream %d still open", i)
			}
			check(t, s, i%2 == 0, "open together")
		}
		for i := range 6 {
			s := open(i)
			answer(s)
			check(t, s, i%2 == 0, "one at a time")
		}
	})
}
