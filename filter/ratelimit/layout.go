package ratelimit

import (
	"encoding/binary"
	"strconv"
)

// The slot layout. A limit owns `rate_limit_slots` slots; a slot is one
// bucket state, a GCRA theoretical arrival time (8 bytes). Slots are grouped
// GroupCells to a shared-data entry, and a key hashes to one group and to
// Ways distinct slots inside it (a blocked count-min sketch). Keeping all
// of a key's slots in one entry is what makes a request cost one get and
// one set per limit; spreading them over several entries would multiply
// the round trips by Ways.
const (
	// CellBytes is the size of one slot in an entry: an int64 little-endian
	// Unix-nanosecond theoretical arrival time (0: never used).
	CellBytes = 8
	// GroupCells is the number of slots per shared-data entry.
	GroupCells = 16
	// Ways is the number of slots each key updates and reads.
	Ways = 2
	// maxWays bounds the ways a layout may use (measurements try more).
	maxWays = 4
)

// Layout maps key hashes to slots for one slot count.
type Layout struct {
	groups uint32 // power of two
	cells  uint32 // slots per group
	ways   uint32
}

// NewLayout returns the layout for slots slots (a power of two ≥ 1, as the
// configuration guarantees; anything else is rounded down to one).
func NewLayout(slots int) Layout {
	if slots < 1 || slots&(slots-1) != 0 {
		p := 1
		for p*2 <= slots {
			p *= 2
		}
		slots = p
	}
	return newLayout(slots, GroupCells, Ways)
}

// newLayout is NewLayout with the group size and ways chosen, so the
// false-limit measurements can compare layouts.
func newLayout(slots, cells, ways int) Layout {
	if cells > slots {
		cells = slots
	}
	if ways > cells {
		ways = cells
	}
	if ways > maxWays {
		ways = maxWays
	}
	return Layout{groups: uint32(slots / cells), cells: uint32(cells), ways: uint32(ways)}
}

// Groups is the number of shared-data entries a limit can ever use: the
// memory bound of one limit is Groups entries of EntryBytes bytes.
func (l Layout) Groups() int { return int(l.groups) }

// EntryBytes is the size of one entry's value.
func (l Layout) EntryBytes() int { return int(l.cells) * CellBytes }

// Slots is the number of slots of one limit.
func (l Layout) Slots() int { return int(l.groups * l.cells) }

// Place is where one key's state lives: its entry and its slots there.
type Place struct {
	Group uint32
	n     uint8
	cell  [maxWays]uint8
}

// Cells returns the key's slot indexes inside its entry.
func (p *Place) Cells() []uint8 { return p.cell[:p.n] }

// Locate places a key hash. The group comes from the low bits, the slots
// from the high 32 bits, so the two are independent.
func (l Layout) Locate(h uint64) Place {
	p := Place{Group: uint32(h) & (l.groups - 1), n: uint8(l.ways)}
	x := uint32(h >> 32)
	c0 := x % l.cells
	p.cell[0] = uint8(c0)
	// Further slots distinct from the ones before, drawn from the
	// remaining bits.
	x /= l.cells
	for w := uint32(1); w < l.ways; w++ {
		free := l.cells - w
		k := x % free
		x /= free
		// Take the k-th slot not used yet.
		c := uint8(0)
		for ; ; c++ {
			if !p.has(c, w) {
				if k == 0 {
					break
				}
				k--
			}
		}
		p.cell[w] = c
	}
	return p
}

func (p *Place) has(c uint8, n uint32) bool {
	for _, x := range p.cell[:n] {
		if x == c {
			return true
		}
	}
	return false
}

// EntryKey is the shared-data key of a group under prefix.
func EntryKey(prefix string, group uint32) string {
	var b [64]byte
	return string(strconv.AppendUint(append(b[:0], prefix...), uint64(group), 16))
}

// cell reads slot i of an entry value (0 past its end).
func cell(v []byte, i uint8) int64 {
	off := int(i) * CellBytes
	if off+CellBytes > len(v) {
		return 0
	}
	return int64(binary.LittleEndian.Uint64(v[off:]))
}

func setCell(v []byte, i uint8, t int64) {
	binary.LittleEndian.PutUint64(v[int(i)*CellBytes:], uint64(t))
}

// estimate is the key's theoretical arrival time: the least of its slots.
// Every slot of a key is at least the key's own TAT (each update raises
// all of them to at least the new TAT, and other keys only raise them), so
// the least is still at least as strict as the key's own bucket and is the
// one least inflated by collisions.
func (p *Place) estimate(v []byte) int64 {
	est := cell(v, p.cell[0])
	for _, c := range p.cell[1:p.n] {
		if t := cell(v, c); t < est {
			est = t
		}
	}
	return est
}

// state is the key's TAT as a decision uses it: never before now (an idle
// bucket is simply full) and never more than ceiling ahead (see
// Limit.ceiling), so a value written under a clock that has since stepped
// back counts as an empty bucket, not as one empty until the clock
// catches up, and a value no limiter wrote cannot overflow the arithmetic.
func (p *Place) state(v []byte, now, ceiling int64) int64 {
	return min(max(p.estimate(v), now), now+ceiling)
}

// lower brings the key's slots that run more than ceiling ahead of now
// back to now + ceiling, and reports whether it changed any. No limiter
// writes a slot that far ahead under a clock that only moves forward, so
// this takes nothing from any key's legitimate state: it repairs slots
// written before the clock stepped back, which would otherwise refuse
// every key on them until the clock caught up.
func (p *Place) lower(v []byte, now, ceiling int64) bool {
	if v == nil {
		return false
	}
	changed := false
	for _, c := range p.cell[:p.n] {
		if cell(v, c)-now > ceiling {
			setCell(v, c, now+ceiling)
			changed = true
		}
	}
	return changed
}

// raise lifts every slot of the key to at least tat (conservative update:
// slots already above are left, so collisions inflate each other less).
func (p *Place) raise(v []byte, tat int64) {
	for _, c := range p.cell[:p.n] {
		if cell(v, c) < tat {
			setCell(v, c, tat)
		}
	}
}
