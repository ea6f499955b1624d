package plugin

import (
	"github.com/apiguard/apiguard/filter/proxy"
	"github.com/apiguard/apiguard/filter/ratelimit"
)

// The host adapters of shared data: the stores the feature packages
// decide over (ratelimit.Store, jwks.Host in auth_jwks.go).

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
