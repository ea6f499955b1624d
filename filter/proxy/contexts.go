package proxy

// Contexts maps a VM's context ids to their *T, for the plugin's streams:
// every stream callback looks its stream up, so a request made seven
// lookups, an insert and a delete in a Go map, whose hashing and
// bookkeeping are a visible part of a request through the .wasm (no
// hardware hash there; docs/performance.md "Whole requests"). The host
// numbers contexts in sequence, so the streams alive at one time almost
// always fall into distinct slots of a small direct-mapped table (the id
// modulo its size); an id whose slot is taken goes to a map, made on first
// need. The zero value is empty and ready to use.
//
// Delete keeps the value it removed for Recycled, so that the next context
// reuses the memory of the last one instead of allocating its own.
type Contexts[T any] struct {
	slots [contextSlots]contextSlot[T]
	more  map[uint32]*T
	spare *T
}

// contextSlots is the direct-mapped table's size: more streams than this
// alive at once on one VM (one worker) spill into the map.
const contextSlots = 64

type contextSlot[T any] struct {
	id   uint32
	used bool
	v    *T
}

func (c *Contexts[T]) slot(id uint32) *contextSlot[T] { return &c.slots[id%contextSlots] }

// Get returns the value of id, nil if it has none.
func (c *Contexts[T]) Get(id uint32) *T {
	if e := c.slot(id); e.used && e.id == id {
		return e.v
	}
	return c.more[id]
}

// Put sets the value of id.
func (c *Contexts[T]) Put(id uint32, v *T) {
	e := c.slot(id)
	if e.used && e.id == id {
		e.v = v
		return
	}
	if _, ok := c.more[id]; ok || e.used {
		if c.more == nil {
			c.more = map[uint32]*T{}
		}
		c.more[id] = v
		return
	}
	*e = contextSlot[T]{id: id, used: true, v: v}
}

// Delete removes id, and keeps its value for Recycled.
func (c *Contexts[T]) Delete(id uint32) {
	if e := c.slot(id); e.used && e.id == id {
		c.spare = e.v
		*e = contextSlot[T]{}
		return
	}
	if v, ok := c.more[id]; ok {
		c.spare = v
		delete(c.more, id)
	}
}

// Recycled returns the value the last Delete removed, once, or else a new
// T: memory for the next context's value, which the caller must overwrite
// whole. Nothing in c refers to it any more; the caller must not have kept
// the deleted value anywhere else either.
func (c *Contexts[T]) Recycled() *T {
	v := c.spare
	if v == nil {
		return new(T)
	}
	c.spare = nil
	return v
}
