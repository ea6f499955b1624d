package host

import (
	"encoding/binary"
	"net"
	"strconv"
	"strings"

	"github.com/apiguard/apiguard/filter/proxy"
)

// EncodeInt64 encodes an int64 property value the way Envoy serialises
// CEL ints (8 bytes, little-endian); also for timestamps and durations in
// nanoseconds.
func EncodeInt64(v int64) []byte {
	b := make([]byte, 8)
	binary.LittleEndian.PutUint64(b, uint64(v))
	return b
}

// EncodeUint64 encodes a uint64 property value.
func EncodeUint64(v uint64) []byte {
	b := make([]byte, 8)
	binary.LittleEndian.PutUint64(b, v)
	return b
}

// EncodeBool encodes a bool property value (one byte).
func EncodeBool(v bool) []byte {
	if v {
		return []byte{1}
	}
	return []byte{0}
}

const (
	defaultSource      = "203.0.113.7:40000"
	defaultDestination = "10.0.0.1:10000"
)

// property is Envoy Context::getProperty for the attributes the emulator
// knows. s is the effective stream (nil on the root context).
func (vm *VM) property(s *Stream, path []string) ([]byte, proxy.Status) {
	if len(path) == 0 || (len(path) == 1 && path[0] == "") {
		return nil, proxy.StatusNotFound
	}
	if s != nil && s.props.Extra != nil {
		if v, ok := s.props.Extra[strings.Join(path, ".")]; ok {
			return clone(v), proxy.StatusOK
		}
	}
	cfg := &vm.env.cfg
	switch path[0] {
	case "plugin_name":
		return leaf(path, []byte(cfg.PluginName))
	case "plugin_root_id":
		return leaf(path, []byte(cfg.RootID))
	case "plugin_vm_id":
		return leaf(path, []byte(cfg.VMID))
	case "xds":
		return vm.xdsProperty(path)
	}
	if s == nil {
		return nil, proxy.StatusNotFound
	}
	switch path[0] {
	case "connection_id":
		return leaf(path, EncodeUint64(s.connID))
	case "request":
		return s.requestProperty(path)
	case "response":
		return s.responseProperty(path)
	case "source":
		return addrProperty(path, orDefault(s.props.SourceAddress, defaultSource))
	case "destination":
		return addrProperty(path, orDefault(s.props.DestinationAddress, defaultDestination))
	case "connection":
		return s.connectionProperty(path)
	}
	// Filter state written by proxy_set_property, found under its first
	// segment only (Envoy looks up "wasm.<name>").
	if v, ok := s.filterState[path[0]]; ok {
		return leaf(path, v)
	}
	return nil, proxy.StatusNotFound
}

func leaf(path []string, v []byte) ([]byte, proxy.Status) {
	if len(path) != 1 {
		return nil, proxy.StatusNotFound
	}
	return clone(v), proxy.StatusOK
}

func orDefault(v, d string) string {
	if v == "" {
		return d
	}
	return v
}

func (vm *VM) xdsProperty(path []string) ([]byte, proxy.Status) {
	cfg := &vm.env.cfg
	if len(path) == 3 && path[1] == "node" {
		switch path[2] {
		case "id":
			return []byte(cfg.NodeID), proxy.StatusOK
		case "cluster":
			return []byte(cfg.NodeCluster), proxy.StatusOK
		}
		return nil, proxy.StatusNotFound
	}
	if len(path) == 2 && path[1] == "node" {
		// A Node proto message: Envoy serialises it as protobuf, which the
		// emulator does not produce.
		return nil, proxy.StatusSerializationFailure
	}
	return nil, proxy.StatusNotFound
}

func addrProperty(path []string, addr string) ([]byte, proxy.Status) {
	if len(path) != 2 {
		if len(path) == 1 {
			return nil, proxy.StatusSerializationFailure
		}
		return nil, proxy.StatusNotFound
	}
	switch path[1] {
	case "address":
		return []byte(addr), proxy.StatusOK
	case "port":
		_, port, err := net.SplitHostPort(addr)
		if err != nil {
			return nil, proxy.StatusNotFound
		}
		n, err := strconv.ParseInt(port, 10, 64)
		if err != nil {
			return nil, proxy.StatusNotFound
		}
		return EncodeInt64(n), proxy.StatusOK
	}
	return nil, proxy.StatusNotFound
}

// activationRequestHeaders is what CEL's request.* attributes read: the
// request headers while the plugin holds them, or the access-log copy.
func (s *Stream) activationRequestHeaders() []proxy.Pair {
	if s.req.hdrAvail || (s.logPhase && s.req.hasHeaders) {
		return s.req.headers
	}
	return nil
}

func (s *Stream) activationResponseHeaders() []proxy.Pair {
	if s.resp.hdrAvail || (s.logPhase && s.resp.hasHeaders) {
		return s.resp.headers
	}
	return nil
}

func headerAttr(hs []proxy.Pair, key string) ([]byte, proxy.Status) {
	if hs == nil {
		return nil, proxy.StatusNotFound
	}
	v, ok := joinedHeader(hs, key)
	if !ok {
		return nil, proxy.StatusNotFound
	}
	return []byte(v), proxy.StatusOK
}

// headersMap serialises a header map attribute as pairs, repeated keys
// merged with ",".
func headersMap(hs []proxy.Pair, path []string) ([]byte, proxy.Status) {
	if hs == nil {
		return nil, proxy.StatusNotFound
	}
	switch len(path) {
	case 2:
		var out []proxy.Pair
		seen := map[string]bool{}
		for _, p := range hs {
			if seen[p.Key] {
				continue
			}
			seen[p.Key] = true
			v, _ := joinedHeader(hs, p.Key)
			out = append(out, proxy.Pair{Key: p.Key, Value: v})
		}
		return proxy.EncodePairs(out), proxy.StatusOK
	case 3:
		return headerAttr(hs, path[2])
	}
	return nil, proxy.StatusNotFound
}

func (s *Stream) requestProperty(path []string) ([]byte, proxy.Status) {
	if len(path) == 1 {
		return nil, proxy.StatusSerializationFailure
	}
	hs := s.activationRequestHeaders()
	if path[1] == "headers" {
		return headersMap(hs, path)
	}
	if len(path) != 2 {
		return nil, proxy.StatusNotFound
	}
	switch path[1] {
	case "path":
		return headerAttr(hs, ":path")
	case "url_path":
		v, st := headerAttr(hs, ":path")
		if st == proxy.StatusOK {
			if i := strings.IndexAny(string(v), "?#"); i >= 0 {
				v = v[:i]
			}
		}
		return v, st
	case "query":
		v, st := headerAttr(hs, ":path")
		if st != proxy.StatusOK {
			return v, st
		}
		p := string(v)
		i := strings.IndexByte(p, '?')
		if i < 0 {
			return []byte{}, proxy.StatusOK
		}
		p = p[i+1:]
		if j := strings.IndexByte(p, '#'); j >= 0 {
			p = p[:j]
		}
		return []byte(p), proxy.StatusOK
	case "host":
		return headerAttr(hs, ":authority")
	case "scheme":
		return headerAttr(hs, ":scheme")
	case "method":
		return headerAttr(hs, ":method")
	case "referer":
		return headerAttr(hs, "referer")
	case "useragent":
		return headerAttr(hs, "user-agent")
	case "id":
		return headerAttr(hs, "x-request-id")
	case "protocol":
		return []byte(orDefault(s.props.Protocol, "HTTP/1.1")), proxy.StatusOK
	case "time":
		return EncodeInt64(s.startTime.UnixNano()), proxy.StatusOK
	case "size":
		return EncodeInt64(int64(s.req.bytes)), proxy.StatusOK
	}
	return nil, proxy.StatusNotFound
}

func (s *Stream) responseProperty(path []string) ([]byte, proxy.Status) {
	if len(path) == 1 {
		return nil, proxy.StatusSerializationFailure
	}
	switch path[1] {
	case "headers":
		return headersMap(s.activationResponseHeaders(), path)
	case "trailers":
		var ts []proxy.Pair
		if s.resp.trlAvail || (s.logPhase && s.resp.hasTrailers) {
			ts = s.resp.trailers
		}
		return headersMap(ts, path)
	}
	if len(path) != 2 {
		return nil, proxy.StatusNotFound
	}
	switch path[1] {
	case "code":
		if s.respCode == 0 {
			return nil, proxy.StatusNotFound
		}
		return EncodeInt64(int64(s.respCode)), proxy.StatusOK
	case "code_details":
		if s.down.Details == "" {
			return nil, proxy.StatusNotFound
		}
		return []byte(s.down.Details), proxy.StatusOK
	case "size":
		return EncodeInt64(int64(len(s.down.Body))), proxy.StatusOK
	case "flags":
		return EncodeUint64(0), proxy.StatusOK
	}
	return nil, proxy.StatusNotFound
}

func (s *Stream) connectionProperty(path []string) ([]byte, proxy.Status) {
	if len(path) != 2 {
		if len(path) == 1 {
			return nil, proxy.StatusSerializationFailure
		}
		return nil, proxy.StatusNotFound
	}
	t := s.props.TLS
	switch path[1] {
	case "id":
		return EncodeUint64(s.connID), proxy.StatusOK
	case "mtls":
		return EncodeBool(t != nil && t.MTLS), proxy.StatusOK
	case "requested_server_name":
		if t == nil {
			return []byte{}, proxy.StatusOK
		}
		return []byte(t.SNI), proxy.StatusOK
	}
	if t == nil {
		return nil, proxy.StatusNotFound
	}
	var v string
	switch path[1] {
	case "tls_version":
		v = t.Version
	case "subject_peer_certificate":
		v = t.PeerSubject
	case "uri_san_peer_certificate":
		v = t.PeerURISAN
	case "dns_san_peer_certificate":
		v = t.PeerDNSSAN
	default:
		return nil, proxy.StatusNotFound
	}
	if v == "" {
		return nil, proxy.StatusNotFound
	}
	return []byte(v), proxy.StatusOK
}
