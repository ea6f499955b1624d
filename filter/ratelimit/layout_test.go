package ratelimit

import "testing"

// TestNewLayout_rounding: a slot count that is not a power of two (the
// configuration never gives one, but the layout must not trust that) is
// rounded down, and one below 1 becomes 1, never a layout of no slots.
func TestNewLayout_rounding(t *testing.T) {
	for _, c := range []struct{ slots, want int }{
		{-8, 1}, {-1, 1}, {0, 1}, {1, 1}, {2, 2}, {3, 2}, {5, 4}, {6, 4}, {7, 4}, {8, 8},
		{17, 16}, {31, 16}, {33, 32}, {1<<20 - 1, 1 << 19},
	} {
		l := NewLayout(c.slots)
		if l.Slots() != c.want || l.Groups()*l.EntryBytes()/CellBytes != c.want {
			t.Errorf("NewLayout(%d): %d slots (%d groups of %d bytes), want %d", c.slots, l.Slots(), l.Groups(), l.EntryBytes(), c.want)
		}
	}
}

// TestNewLayout_clamps: the group is never larger than the limit, the
// ways never more than the group's cells nor than maxWays.
func TestNewLayout_clamps(t *testing.T) {
	for _, c := range []struct{ slots, cells, ways, groups, wantCells, wantWays int }{
		{1, 16, 2, 1, 1, 1},
		{4, 16, 2, 1, 4, 2},
		{4, 16, 8, 1, 4, 4},
		{64, 16, 8, 4, 16, 4},
		{64, 2, 3, 32, 2, 2},
		{64, 16, 1, 4, 16, 1},
	} {
		l := newLayout(c.slots, c.cells, c.ways)
		if l.Groups() != c.groups || int(l.cells) != c.wantCells || int(l.ways) != c.wantWays {
			t.Errorf("newLayout(%d, %d, %d) = %d groups, %d cells, %d ways; want %d, %d, %d",
				c.slots, c.cells, c.ways, l.Groups(), l.cells, l.ways, c.groups, c.wantCells, c.wantWays)
		}
		p := l.Locate(testHasher.Sum(0, "k"))
		if len(p.Cells()) != c.wantWays {
			t.Errorf("newLayout(%d, %d, %d): a key uses %d cells", c.slots, c.cells, c.ways, len(p.Cells()))
		}
	}
}

// TestPlace_lowerExactlyAtCeiling: a slot exactly ceiling ahead is one a
// limiter may have written; lower leaves it and reports no repair (a
// repair costs a write). One nanosecond further is repaired.
func TestPlace_lowerExactlyAtCeiling(t *testing.T) {
	l := NewLayout(16)
	p := l.Locate(testHasher.Sum(0, "k"))
	const now, ceiling = int64(1000), int64(50)
	v := make([]byte, l.EntryBytes())
	for _, c := range p.Cells() {
		setCell(v, c, now+ceiling)
	}
	if p.lower(v, now, ceiling) {
		t.Error("a slot exactly ceiling ahead was repaired")
	}
	setCell(v, p.Cells()[0], now+ceiling+1)
	if !p.lower(v, now, ceiling) || cell(v, p.Cells()[0]) != now+ceiling {
		t.Error("a slot past the ceiling was not lowered to it")
	}
}
