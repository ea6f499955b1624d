package apikey

import (
	"crypto/sha256"
	"strings"
	"testing"
	"time"
)

var (
	now    = time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	later  = now.Add(time.Hour)
	before = now.Add(-time.Hour)
)

func testSet() *Set {
	return NewSet([]Key{
		{ID: "acme-2026-05", SHA256: Hash("old-key"), Expires: later},
		{ID: "acme-2026-06", SHA256: Hash("new-key")},
		{ID: "gone", SHA256: Hash("expired-key"), Expires: before},
		{ID: "edge", SHA256: Hash("edge-key"), Expires: now},
	})
}

func TestAPIKey_lookupStatusPerKey(t *testing.T) {
	s := testSet()
	long := strings.Repeat("k", MaxKeyBytes+1)
	cases := []struct {
		name  string
		key   string
		index int
		want  Status
	}{
		{"rotated pair: old key", "old-key", 0, Valid},
		{"rotated pair: new key", "new-key", 1, Valid},
		{"expired", "expired-key", 2, Expired},
		{"expires exactly now", "edge-key", 3, Expired},
		{"unknown", "other-key", -1, Unknown},
		{"prefix of a key", "new-ke", -1, Unknown},
		{"key with a suffix", "new-key ", -1, Unknown},
		{"case differs", "NEW-KEY", -1, Unknown},
		{"empty", "", -1, Unknown},
		{"too long", long, -1, Unknown},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			i, st := s.Lookup(c.key, now)
			if i != c.index || st != c.want {
				t.Fatalf("Lookup = %d, %v; want %d, %v", i, st, c.index, c.want)
			}
		})
	}
}

func TestAPIKey_longKeyUnderLimitFound(t *testing.T) {
	key := strings.Repeat("x", MaxKeyBytes) // beyond the stack buffer
	s := NewSet([]Key{{ID: "long", SHA256: sha256.Sum256([]byte(key))}})
	if i, st := s.Lookup(key, now); i != 0 || st != Valid {
		t.Fatalf("Lookup = %d, %v; want 0, valid", i, st)
	}
}

func TestAPIKey_expiresAtEpoch(t *testing.T) {
	s := NewSet([]Key{{ID: "epoch", SHA256: Hash("k"), Expires: time.Unix(0, 0)}})
	if _, st := s.Lookup("k", now); st != Expired {
		t.Fatalf("a key expiring at the epoch is %v", st)
	}
}

func TestAPIKey_emptySetKnowsNoKey(t *testing.T) {
	s := NewSet(nil)
	if i, st := s.Lookup("anything", now); i != -1 || st != Unknown {
		t.Fatalf("Lookup = %d, %v", i, st)
	}
}

// TestAPIKey_lookupComparesEveryEntry observes the scan: whatever entry matches
// (first, middle, last, none), every configured hash is compared once, in
// order, so the time cannot depend on where the match is. Each comparison
// is crypto/subtle's ConstantTimeCompare of the whole 32-byte hashes, which
// reads every byte and has no early exit on the first differing one.
func TestAPIKey_lookupComparesEveryEntry(t *testing.T) {
	keys := make([]Key, 8)
	for i := range keys {
		keys[i] = Key{ID: string(rune('a' + i)), SHA256: Hash(string(rune('a' + i)))}
	}
	s := NewSet(keys)
	defer func() { probe = nil }()
	for _, c := range []struct {
		key   string
		index int
	}{{"a", 0}, {"d", 3}, {"h", 7}, {"none", -1}} {
		var seen []int
		probe = func(i int) { seen = append(seen, i) }
		if i, _ := s.Lookup(c.key, now); i != c.index {
			t.Fatalf("key %q: index %d, want %d", c.key, i, c.index)
		}
		if len(seen) != len(keys) {
			t.Fatalf("key %q: %d comparisons, want %d", c.key, len(seen), len(keys))
		}
		for i, j := range seen {
			if i != j {
				t.Fatalf("key %q: entries compared in order %v, want each once in order", c.key, seen)
			}
		}
	}
}

// TestAPIKey_firstOrLastByteDifferRefusedAlike: a hash differing from a configured one only
// in its first or only in its last byte is refused alike.
func TestAPIKey_firstOrLastByteDifferRefusedAlike(t *testing.T) {
	h := Hash("presented")
	first, last := h, h
	first[0] ^= 1
	last[sha256.Size-1] ^= 0x80
	for name, cfg := range map[string][sha256.Size]byte{"first": first, "last": last} {
		s := NewSet([]Key{{ID: name, SHA256: cfg}})
		if i, st := s.Lookup("presented", now); i != -1 || st != Unknown {
			t.Errorf("%s byte differs: Lookup = %d, %v", name, i, st)
		}
	}
}

func TestAPIKey_lookupDoesNotAllocate(t *testing.T) {
	s := testSet()
	if n := testing.AllocsPerRun(100, func() { s.Lookup("new-key", now) }); n != 0 {
		t.Fatalf("Lookup allocates %v times", n)
	}
}

func TestAPIKey_statusString(t *testing.T) {
	for st, want := range map[Status]string{Valid: "valid", Expired: "expired", Unknown: "unknown", 9: "unknown"} {
		if got := st.String(); got != want {
			t.Errorf("%d.String() = %q, want %q", st, got, want)
		}
	}
}

// FuzzAPIKey_lookupFindsExactlyConfiguredKeys: a key is found exactly when its SHA-256 is configured, and
// found keys map back to that entry.
func FuzzAPIKey_lookupFindsExactlyConfiguredKeys(f *testing.F) {
	for _, seed := range []string{"old-key", "new-key", "expired-key", "", "x", strings.Repeat("z", 300)} {
		f.Add(seed)
	}
	s := testSet()
	keys := []string{"old-key", "new-key", "expired-key", "edge-key"}
	f.Fuzz(func(t *testing.T, key string) {
		i, st := s.Lookup(key, now)
		want := -1
		if len(key) <= MaxKeyBytes {
			for j, k := range keys {
				if k == key {
					want = j
				}
			}
		}
		if i != want {
			t.Fatalf("Lookup(%q) index %d, want %d", key, i, want)
		}
		if (want < 0) != (st == Unknown) {
			t.Fatalf("Lookup(%q) status %v with index %d", key, st, i)
		}
	})
}

// BenchmarkAPIKey_lookup shows that the time does not depend on where the
// presented hash first differs from a configured one, nor on whether it
// matches.
func BenchmarkAPIKey_lookup(b *testing.B) {
	h := Hash("presented")
	first, last := h, h
	first[0] ^= 1
	last[sha256.Size-1] ^= 1
	for _, c := range []struct {
		name string
		cfg  [sha256.Size]byte
	}{{"match", h}, {"first-byte-differs", first}, {"last-byte-differs", last}} {
		keys := make([]Key, 16)
		for i := range keys {
			keys[i] = Key{ID: "k", SHA256: Hash(string(rune('A' + i)))}
		}
		keys[15].SHA256 = c.cfg
		s := NewSet(keys)
		// The path measured: found only where the last key matches.
		if i, st := s.Lookup("presented", now); (st != Unknown) != (c.name == "match") || c.name == "match" && i != 15 {
			b.Fatalf("%s: %d, %v", c.name, i, st)
		}
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				s.Lookup("presented", now)
			}
		})
	}
}
