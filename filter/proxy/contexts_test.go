package proxy

import (
	"math/rand/v2"
	"testing"
)

// TestContexts_matchesAMap runs random puts, gets and deletes on Contexts
// and on a Go map side by side, with ids that share slots (a stride of the
// table's size) and ids in sequence, as the host gives them.
func TestContexts_matchesAMap(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, pick := range []func() uint32{
		func() uint32 { return uint32(r.IntN(4)) * contextSlots },   // all in slot 0
		func() uint32 { return uint32(r.IntN(3 * contextSlots)) },   // some sharing
		func() uint32 { return uint32(r.IntN(contextSlots)) + 100 }, // no sharing
	} {
		var c Contexts[int]
		m := map[uint32]*int{}
		for i := range 20000 {
			id := pick()
			switch r.IntN(3) {
			case 0:
				v := new(int)
				*v = i
				c.Put(id, v)
				m[id] = v
			case 1:
				c.Delete(id)
				delete(m, id)
			}
			if got, want := c.Get(id), m[id]; got != want {
				t.Fatalf("step %d: Get(%d) = %p, want %p", i, id, got, want)
			}
		}
		for id, want := range m {
			if got := c.Get(id); got != want {
				t.Fatalf("end: Get(%d) = %p, want %p", id, got, want)
			}
		}
	}
}

// TestContexts_sharedSlot keeps two ids of one slot apart: the second goes
// to the map, each is found and deleted on its own, and an id put again
// after its slot freed is not found twice.
func TestContexts_sharedSlot(t *testing.T) {
	var c Contexts[string]
	a, b := "a", "b"
	c.Put(1, &a)
	c.Put(1+contextSlots, &b)
	if c.Get(1) != &a || c.Get(1+contextSlots) != &b {
		t.Fatal("ids sharing a slot not kept apart")
	}
	c.Delete(1)
	if c.Get(1) != nil || c.Get(1+contextSlots) != &b {
		t.Fatal("deleting the slot's id lost the other")
	}
	c2 := "c"
	c.Put(1+contextSlots, &c2) // still in the map: replaced there
	c.Delete(1 + contextSlots)
	if c.Get(1+contextSlots) != nil {
		t.Fatal("an id replaced after its slot freed survived its delete")
	}
	if c.Get(0) != nil {
		t.Fatal("id 0 found in an empty slot")
	}
}

// TestContexts_recycled gives back the last deleted value once, then new
// memory; deleting an id that has no value keeps nothing.
func TestContexts_recycled(t *testing.T) {
	var c Contexts[int]
	v := new(int)
	c.Put(7, v)
	c.Delete(8)
	if got := c.Recycled(); got == v || got == nil {
		t.Fatalf("Recycled before the delete = %p", got)
	}
	c.Delete(7)
	if got := c.Recycled(); got != v {
		t.Fatalf("Recycled = %p, want the deleted %p", got, v)
	}
	if got := c.Recycled(); got == v || got == nil {
		t.Fatalf("Recycled twice gave %p again", got)
	}
	w := new(int)
	c.Put(7, w)
	c.Put(7+contextSlots, v)
	c.Delete(7 + contextSlots) // from the map
	if got := c.Recycled(); got != v {
		t.Fatalf("Recycled after a delete from the map = %p, want %p", got, v)
	}
}
