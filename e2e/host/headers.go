package host

import (
	"strings"

	"github.com/apiguard/apiguard/filter/proxy"
)

// Header maps follow Envoy's HeaderMapImpl where the plugin can tell:
// entries are a list (order and repeats kept), keys are lower-case, and
// pseudo-headers (":x") always stay in front of regular headers.

func lower(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'A' && c <= 'Z' {
			return strings.ToLower(s)
		}
	}
	return s
}

// lowerKeys copies ps with lower-cased keys, as the codec (and
// buildRequestHeaderMapFromPairs) would store them.
func lowerKeys(ps []proxy.Pair) []proxy.Pair {
	if ps == nil {
		return nil
	}
	out := make([]proxy.Pair, len(ps))
	for i, p := range ps {
		out[i] = proxy.Pair{Key: lower(p.Key), Value: p.Value}
	}
	return out
}

// addHeader is HeaderMap::addCopy.
func addHeader(ps []proxy.Pair, key, value string) []proxy.Pair {
	key = lower(key)
	if strings.HasPrefix(key, ":") {
		i := 0
		for i < len(ps) && strings.HasPrefix(ps[i].Key, ":") {
			i++
		}
		ps = append(ps, proxy.Pair{})
		copy(ps[i+1:], ps[i:])
		ps[i] = proxy.Pair{Key: key, Value: value}
		return ps
	}
	return append(ps, proxy.Pair{Key: key, Value: value})
}

// removeHeader is HeaderMap::remove (every entry with the key).
func removeHeader(ps []proxy.Pair, key string) []proxy.Pair {
	key = lower(key)
	out := ps[:0]
	for _, p := range ps {
		if p.Key != key {
			out = append(out, p)
		}
	}
	return out
}

// setHeader is HeaderMap::setCopy with Envoy's default runtime behaviour
// (http_set_copy_replace_all_headers): every entry is removed, then one is
// added.
func setHeader(ps []proxy.Pair, key, value string) []proxy.Pair {
	return addHeader(removeHeader(ps, key), key, value)
}

// getHeader returns the first value of key (Envoy's get_header_map_value
// returns only the first; see the TODO in Envoy Context::getHeaderMapValue).
func getHeader(ps []proxy.Pair, key string) (string, bool) {
	key = lower(key)
	for _, p := range ps {
		if p.Key == key {
			return p.Value, true
		}
	}
	return "", false
}

// joinedHeader returns every value of key joined with ",", as CEL's header
// map attributes (request.headers[...]) present repeated headers.
func joinedHeader(ps []proxy.Pair, key string) (string, bool) {
	key = lower(key)
	var b strings.Builder
	found := false
	for _, p := range ps {
		if p.Key == key {
			if found {
				b.WriteByte(',')
			}
			b.WriteString(p.Value)
			found = true
		}
	}
	return b.String(), found
}

func clonePairs(ps []proxy.Pair) []proxy.Pair {
	if ps == nil {
		return nil
	}
	return append(make([]proxy.Pair, 0, len(ps)), ps...)
}

func clone(b []byte) []byte {
	if b == nil {
		return nil
	}
	return append(make([]byte, 0, len(b)), b...)
}
