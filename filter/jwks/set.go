package jwks

import (
	"crypto/rand"
	"encoding/binary"

	"github.com/apiguard/apiguard/filter/config"
	"github.com/apiguard/apiguard/filter/jwt"
)

// Provider names one remote provider's set for NewSet.
type Provider struct {
	Name, Issuer string
	Cfg          *config.RemoteJWKS
}

// Set is one VM's remote key sets: a Remote per provider, by the
// provider's position in NewSet's list, under one namespace and one
// fetch-lock id, and the requests waiting for keys.
type Set struct {
	remotes []*Remote
	waiters []uint32
	spare   []uint32
}

// NewSet sets up the remote sets of providers in the namespace of
// pluginName (defaultName when the host gives none), with a random
// fetch-lock id for this VM, and loads a set another worker may already
// have fetched. tick is the tick period (ms) that polls for keys within
// the shortest timeout_ms. It makes no HTTP call.
func NewSet(h Host, pluginName, defaultName string, providers []Provider) (s *Set, tick uint32) {
	ns := Namespace(pluginName, defaultName)
	var b [8]byte
	rand.Read(b[:])
	owner := binary.LittleEndian.Uint64(b[:]) | 1
	s = &Set{remotes: make([]*Remote, len(providers))}
	for i, p := range providers {
		rk := NewRemote(ns, p.Name, p.Issuer, owner, p.Cfg)
		s.remotes[i] = rk
		if t := TickPeriod(p.Cfg.Timeout); tick == 0 || t < tick {
			tick = t
		}
		rk.Load(h)
	}
	return s, tick
}

// Remote is the i-th provider's Remote.
func (s *Set) Remote(i int) *Remote { return s.remotes[i] }

// Keys is the set the i-th provider's Remote loaded (nil: none yet),
// stale or not.
func (s *Set) Keys(i int) *jwt.KeySet { return s.remotes[i].Keys() }

// Usable is ks, the key set the i-th provider verifies with, unless it
// has gone stale at now (nil: requests wait for a fetch). i < 0 is a
// provider with an inline set, never stale.
func (s *Set) Usable(ks *jwt.KeySet, i int, now int64) *jwt.KeySet {
	if ks != nil && i >= 0 && s.remotes[i].Stale(now) {
		return nil
	}
	return ks
}

// Tick is each Remote's Tick at the host's now.
func (s *Set) Tick(h Host) {
	now := h.Now()
	for _, rk := range s.remotes {
		rk.Tick(h, now)
	}
}

// Wait records a request (by its stream id) waiting for keys.
func (s *Set) Wait(id uint32) { s.waiters = append(s.waiters, id) }

// Wake hands every waiting request to wake, once, and reports whether
// there was any; a request that must wait again calls Wait from wake and
// waits for the next Wake.
func (s *Set) Wake(wake func(id uint32)) bool {
	if len(s.waiters) == 0 {
		return false
	}
	ids := s.waiters
	s.waiters, s.spare = s.spare[:0], nil
	for _, id := range ids {
		wake(id)
	}
	s.spare = ids[:0]
	return true
}
