package host

import (
	"strings"
	"testing"
	"time"

	"github.com/apiguard/apiguard/filter/proxy"
)

// TestVM_severalRoots: a second plugin configuration sharing the VM gets a
// root context of its own, started like the first with its own buffer 7;
// streams, timers and callouts belong to the root of the context that made
// them; deleting a root calls done and delete, stops its timer and cancels
// its callouts while the VM and its other root live on.
func TestVM_severalRoots(t *testing.T) {
	var config []string
	clusters := map[string]Cluster{"c": {HTTP: func(HTTPRequest) (HTTPResponse, error) { return HTTPResponse{}, ErrNoAnswer }}}
	e, ts := newEnvoy(t, Config{PluginConfig: []byte("first"), VMConfig: []byte("vm"), Clusters: clusters, Delivery: DeliverManually},
		func(g *toy) {
			g.configure = func(t *toy) bool {
				b, _ := t.h.GetBufferBytes(proxy.BufferPluginConfiguration, 0, 100)
				config = append(config, string(b))
				return string(b) != "refused"
			}
			g.reqHeaders = func(t *toy, _ uint32, _ int, _ bool) proxy.Action {
				t.h.SetTickPeriod(1000)
				t.h.HttpCall("c", hdrs(":method", "GET", ":path", "/", ":authority", "c"), nil, nil, 0)
				return proxy.Continue
			}
		})
	vm, w := e.Worker(0), ts.worker(0)
	a := vm.RootID()
	w.events = nil
	b, err := vm.AddRoot([]byte("second"))
	if err != nil || b != 2 {
		t.Fatalf("AddRoot = %d, %v; want 2", b, err)
	}
	if got, want := w.evs(), "create(2,0) vm_start(2,2) configure(2,6)"; got != want {
		t.Errorf("events = %q, want %q", got, want)
	}
	if got := strings.Join(config, " "); got != "first first second" {
		t.Errorf("buffer 7 read in configure: %q, want each root's own", got)
	}

	w.events = nil
	vm.RoundTrip(Request{Props: StreamProps{Root: b}}, echo(200, ""))
	if !strings.HasPrefix(w.evs(), "create(3,2) ") {
		t.Errorf("a stream of root %d: events %q", b, w.evs())
	}
	if vm.TickPeriod(b) != time.Second || vm.TickPeriod(a) != 0 {
		t.Errorf("tick periods: root a %v, root b %v; want only b's set", vm.TickPeriod(a), vm.TickPeriod(b))
	}
	vm.RoundTrip(Request{}, echo(200, ""))
	if vm.TickPeriod(a) != time.Second {
		t.Errorf("root a's period %v after its stream asked for 1s", vm.TickPeriod(a))
	}
	w.events = nil
	e.Advance(1000 * time.Millisecond)
	if got := w.evs(); !strings.Contains(got, "tick(1)") || !strings.Contains(got, "tick(2)") {
		t.Errorf("each root's timer: events %q", got)
	}
	if n := len(vm.PendingCallouts()); n != 2 {
		t.Fatalf("%d pending callouts, want one per root", n)
	}

	w.events = nil
	vm.DeleteRoot(a)
	if got, want := w.evs(), "done(1) delete(1)"; got != want {
		t.Errorf("DeleteRoot events %q, want %q", got, want)
	}
	if n := len(vm.PendingCallouts()); n != 1 {
		t.Errorf("%d pending callouts after the delete, want root b's only", n)
	}
	if vm.contextExists(a) || !vm.contextExists(b) {
		t.Error("the deleted root still exists, or the other one is gone")
	}
	w.events = nil
	e.Advance(3 * time.Second)
	if got := w.evs(); strings.Contains(got, "tick(1)") || strings.Count(got, "tick(2)") != 3 {
		t.Errorf("ticks after the delete: %q, want root b's only", got)
	}
	if failed, why := vm.Failed(); failed {
		t.Fatalf("VM failed: %s", why)
	}
	func() {
		defer func() {
			if recover() == nil {
				t.Error("a stream on a deleted root was created")
			}
		}()
		vm.NewStream(StreamProps{Root: a})
	}()

	if _, err := vm.AddRoot([]byte("refused")); err == nil || !strings.Contains(err.Error(), "proxy_on_configure returned false") {
		t.Errorf("a refused configuration: %v", err)
	}
	if failed, _ := vm.Failed(); failed {
		t.Error("a refused configuration failed the VM")
	}
}
