package plugin

import (
	"github.com/apiguard/apiguard/filter/proxy"
	"github.com/apiguard/apiguard/filter/ratelimit"
)

// The host adapters of shared data: the stores the feature packages
// decide over (ratelimit.Store, jwks.Store).

// hostStore is shared data as ratelimit.Store.
type hostStore struct{ h proxy.Host }

func (s *hostStore) Get(key string) ([]byte, uint32, ratelimit.Status) {
	v, cas, st := s.h.GetSharedData(key)
	switch st {
	case proxy.StatusOK:
		return v, cas, ratelimit.OK
	case proxy.StatusNotFound:
		return nil, 0, ratelimit.NotFound
	}
	return nil, 0, ratelimit.Failed
}

func (s *hostStore) Set(key string, value []byte, cas uint32) ratelimit.Status {
	switch s.h.SetSharedData(key, value, cas) {
	case proxy.StatusOK:
		return ratelimit.OK
	case proxy.StatusCasMismatch:
		return ratelimit.CasMismatch
	}
	return ratelimit.Failed
}

// jwksStore is shared data as jwks.Store.
type jwksStore struct{ h proxy.Host }

func (s jwksStore) Get(key string) ([]byte, uint32, bool) {
	v, cas, st := s.h.GetSharedData(key)
	return v, cas, st == proxy.StatusOK
}

func (s jwksStore) Set(key string, value []byte, cas uint32) bool {
	return s.h.SetSharedData(key, value, cas) == proxy.StatusOK
}
