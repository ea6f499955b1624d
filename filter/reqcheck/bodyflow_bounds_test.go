package reqcheck

import "testing"

// TestBody_capBoundary: a body of exactly max_body_bytes passes, one byte
// more is refused, in each mode and whether it comes after the headers or
// while a header step waits; a counted body adds up its chunks, a read one
// is the whole buffer each time (docs/configuration.md max_body_bytes).
func TestBody_capBoundary(t *testing.T) {
	type call struct {
		size int
		end  bool
	}
	for _, c := range []struct {
		name   string
		mode   BodyMode
		chunks []call
		want   []Next // n of each Chunk
	}{
		{"count: exactly the cap", BodyCount, []call{{6, false}, {4, true}}, []Next{Go, Go}},
		{"count: one byte over", BodyCount, []call{{6, false}, {5, true}}, []Next{Go, TooLarge}},
		{"read: exactly the cap", BodyRead, []call{{6, false}, {10, true}}, []Next{Buffer, Check}},
		{"read: one byte over", BodyRead, []call{{6, false}, {11, true}}, []Next{Buffer, TooLarge}},
	} {
		b := Body{Mode: c.mode, Limit: 10}
		for i, ch := range c.chunks {
			if n, _ := b.Chunk(ch.size, ch.end); n != c.want[i] {
				t.Errorf("%s: chunk %d: %v, want %v", c.name, i, n, c.want[i])
			}
		}
	}
	for _, c := range []struct {
		name  string
		mode  BodyMode
		sizes []int // what the host reports at each callback
		want  []Next
		over  bool
		seen  int64
	}{
		{"count: chunks add up to the cap", BodyCount, []int{6, 4}, []Next{Watermark, Watermark}, false, 10},
		{"count: chunks add up past the cap", BodyCount, []int{6, 5}, []Next{Watermark, Drop}, true, 11},
		{"read: the buffer is the cap", BodyRead, []int{6, 10}, []Next{Buffer, Buffer}, false, 10},
		{"read: the buffer is past the cap", BodyRead, []int{6, 11}, []Next{Buffer, Drop}, true, 11},
	} {
		b := Body{Mode: c.mode, Limit: 10}
		for i, size := range c.sizes {
			if n := b.WhileWaiting(size, false, true); n != c.want[i] {
				t.Errorf("%s: callback %d: %v, want %v", c.name, i, n, c.want[i])
			}
		}
		if b.Over != c.over || b.Seen != c.seen {
			t.Errorf("%s: over %v, seen %d; want %v, %d", c.name, b.Over, b.Seen, c.over, c.seen)
		}
	}
}
