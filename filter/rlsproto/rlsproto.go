package rlsproto

import (
	"errors"
	"time"
)

// Wire types (protobuf encoding).
const (
	wireVarint     = 0
	wireI64        = 1
	wireLen        = 2
	wireStartGroup = 3
	wireEndGroup   = 4
	wireI32        = 5
)

// RateLimitRequest fields.
const (
	reqDomain      = 1 // string
	reqDescriptors = 2 // repeated RateLimitDescriptor
	reqHitsAddend  = 3 // uint32
)

// RateLimitDescriptor and its Entry.
const (
	descEntries = 1 // repeated Entry
	entryKey    = 1 // string
	entryValue  = 2 // string
)

// RateLimitResponse fields.
const (
	respOverallCode = 1 // Code
	respStatuses    = 2 // repeated DescriptorStatus

	statusCode         = 1 // Code
	statusCurrentLimit = 2 // RateLimit
	statusRemaining    = 3 // uint32
	statusUntilReset   = 4 // google.protobuf.Duration

	limitRequestsPerUnit = 1 // uint32
	limitUnit            = 2 // Unit
	limitUnitMultiplier  = 4 // google.protobuf.UInt32Value

	durationSeconds = 1 // int64
	durationNanos   = 2 // int32

	wrapperValue = 1
)

// Entry is one entry of a descriptor: a key and its value.
type Entry struct {
	Key, Value string
}

// AppendDomain appends RateLimitRequest.domain. Fields may be appended in
// any order; a request in field order (domain, descriptors, hits_addend)
// is byte-for-byte what protobuf's deterministic marshalling produces.
func AppendDomain(b []byte, domain string) []byte {
	return appendBytesField(b, reqDomain, domain)
}

// AppendDescriptor appends one RateLimitRequest.descriptors element with
// the given entries, in order.
func AppendDescriptor(b []byte, entries ...Entry) []byte {
	n := 0
	for i := range entries {
		el := entryLen(len(entries[i].Key), len(entries[i].Value))
		n += 1 + varintLen(uint64(el)) + el
	}
	b = appendTag(b, reqDescriptors, wireLen)
	b = appendVarint(b, uint64(n))
	for i := range entries {
		e := &entries[i]
		b = appendTag(b, descEntries, wireLen)
		b = appendVarint(b, uint64(entryLen(len(e.Key), len(e.Value))))
		b = appendBytesField(b, entryKey, e.Key)
		b = appendBytesField(b, entryValue, e.Value)
	}
	return b
}

// AppendEntryDescriptor appends a descriptor of exactly one entry whose
// value is given as bytes, so that a caller formatting the value into a
// scratch array needs no string.
func AppendEntryDescriptor(b []byte, key string, value []byte) []byte {
	el := entryLen(len(key), len(value))
	b = appendTag(b, reqDescriptors, wireLen)
	b = appendVarint(b, uint64(1+varintLen(uint64(el))+el))
	b = appendTag(b, descEntries, wireLen)
	b = appendVarint(b, uint64(el))
	b = appendBytesField(b, entryKey, key)
	return appendBytesField(b, entryValue, value)
}

// AppendHitsAddend appends RateLimitRequest.hits_addend (0, the proto3
// default, is written as nothing: the service then counts 1).
func AppendHitsAddend(b []byte, n uint32) []byte {
	if n == 0 {
		return b
	}
	b = appendTag(b, reqHitsAddend, wireVarint)
	return appendVarint(b, uint64(n))
}

// entryLen is the encoded size of an Entry's fields (proto3 leaves empty
// strings out).
func entryLen(k, v int) int {
	n := 0
	if k > 0 {
		n += 1 + varintLen(uint64(k)) + k
	}
	if v > 0 {
		n += 1 + varintLen(uint64(v)) + v
	}
	return n
}

func appendTag(b []byte, field, wire int) []byte {
	return appendVarint(b, uint64(field)<<3|uint64(wire))
}

func appendVarint(b []byte, v uint64) []byte {
	for v >= 0x80 {
		b = append(b, byte(v)|0x80)
		v >>= 7
	}
	return append(b, byte(v))
}

func varintLen(v uint64) int {
	n := 1
	for v >= 0x80 {
		v >>= 7
		n++
	}
	return n
}

// appendBytesField appends a length-delimited field; proto3 leaves an
// empty string out.
func appendBytesField[T string | []byte](b []byte, field int, s T) []byte {
	if len(s) == 0 {
		return b
	}
	b = appendTag(b, field, wireLen)
	b = appendVarint(b, uint64(len(s)))
	return append(b, s...)
}

// Code is RateLimitResponse.Code.
type Code uint32

// Codes of a response and of each descriptor.
const (
	CodeUnknown   Code = 0
	CodeOK        Code = 1
	CodeOverLimit Code = 2
)

// String returns the proto enum name.
func (c Code) String() string {
	switch c {
	case CodeUnknown:
		return "UNKNOWN"
	case CodeOK:
		return "OK"
	case CodeOverLimit:
		return "OVER_LIMIT"
	}
	return "Code(unknown value)"
}

// Unit is RateLimitResponse.RateLimit.Unit.
type Unit uint32

// Units of a limit, with the proto's numbering (WEEK was added after YEAR).
const (
	UnitUnknown Unit = 0
	UnitSecond  Unit = 1
	UnitMinute  Unit = 2
	UnitHour    Unit = 3
	UnitDay     Unit = 4
	UnitMonth   Unit = 5
	UnitYear    Unit = 6
	UnitWeek    Unit = 7
)

// Seconds is the unit's length in seconds, 0 for UNKNOWN and unknown
// values. A month is 30 days and a year 365, as envoyproxy/ratelimit
// counts them.
func (u Unit) Seconds() int64 {
	switch u {
	case UnitSecond:
		return 1
	case UnitMinute:
		return 60
	case UnitHour:
		return 3600
	case UnitDay:
		return 86400
	case UnitWeek:
		return 7 * 86400
	case UnitMonth:
		return 30 * 86400
	case UnitYear:
		return 365 * 86400
	}
	return 0
}

// Limit is the part of RateLimitResponse.RateLimit the filter reads.
type Limit struct {
	RequestsPerUnit uint32
	Unit            Unit
	// UnitMultiplier is unit_multiplier's value (0 when absent: one unit).
	UnitMultiplier uint32
}

// WindowSeconds is the limit's window: unit times multiplier (0 when the
// unit is unknown).
func (l Limit) WindowSeconds() int64 {
	s := l.Unit.Seconds()
	if l.UnitMultiplier > 1 {
		s *= int64(l.UnitMultiplier)
	}
	return s
}

// Status is the part of RateLimitResponse.DescriptorStatus the filter
// reads.
type Status struct {
	Code Code
	// HasLimit says current_limit was present.
	HasLimit bool
	Limit    Limit
	// Remaining is limit_remaining.
	Remaining uint32
	// HasReset says duration_until_reset was present; ResetSeconds and
	// ResetNanos are its fields as sent (see UntilReset).
	HasReset     bool
	ResetSeconds int64
	ResetNanos   int32
}

// maxDuration caps a decoded duration far below time.Duration's range.
const maxDuration = 100 * 365 * 24 * time.Hour

// UntilReset is duration_until_reset as a duration, clamped to
// [0, 100 years] (a negative or absurd answer must not overflow).
func (s *Status) UntilReset() time.Duration {
	secs, nanos := s.ResetSeconds, int64(s.ResetNanos)
	switch {
	case secs < 0 || (secs == 0 && nanos <= 0):
		return 0
	case secs >= int64(maxDuration/time.Second):
		return maxDuration
	}
	d := time.Duration(secs)*time.Second + time.Duration(nanos)
	if d < 0 {
		return 0
	}
	return d
}

// Response is the part of RateLimitResponse the filter reads. Statuses
// come in the order of the request's descriptors.
type Response struct {
	OverallCode Code
	Statuses    []Status
}

// MaxStatuses bounds the statuses ParseResponse keeps; the filter sends
// far fewer descriptors, and a longer answer is malformed.
const MaxStatuses = 1024

// Errors of ParseResponse.
var (
	ErrTruncated   = errors.New("rlsproto: truncated message")
	ErrOverflow    = errors.New("rlsproto: varint overflows 64 bits")
	ErrWireType    = errors.New("rlsproto: invalid wire type or unbalanced group")
	ErrFieldNumber = errors.New("rlsproto: invalid field number")
	ErrTooMany     = errors.New("rlsproto: too many descriptor statuses")
	ErrTooDeep     = errors.New("rlsproto: groups nested too deep")
)

// ParseResponse decodes a RateLimitResponse into r, reusing r.Statuses'
// array. As protobuf specifies, a repeated scalar field keeps its last
// value, a repeated message field merges, and a known field number with
// an unexpected wire type is an unknown field (skipped).
func ParseResponse(b []byte, r *Response) error {
	r.OverallCode = CodeUnknown
	r.Statuses = r.Statuses[:0]
	return walk(b, 0, func(field, wire int, v uint64, sub []byte) error {
		switch {
		case field == respOverallCode && wire == wireVarint:
			r.OverallCode = Code(uint32(v))
		case field == respStatuses && wire == wireLen:
			if len(r.Statuses) >= MaxStatuses {
				return ErrTooMany
			}
			r.Statuses = append(r.Statuses, Status{})
			return parseStatus(sub, &r.Statuses[len(r.Statuses)-1])
		}
		return nil
	})
}

func parseStatus(b []byte, s *Status) error {
	return walk(b, 0, func(field, wire int, v uint64, sub []byte) error {
		switch {
		case field == statusCode && wire == wireVarint:
			s.Code = Code(uint32(v))
		case field == statusCurrentLimit && wire == wireLen:
			s.HasLimit = true
			return parseLimit(sub, &s.Limit)
		case field == statusRemaining && wire == wireVarint:
			s.Remaining = uint32(v)
		case field == statusUntilReset && wire == wireLen:
			s.HasReset = true
			return walk(sub, 0, func(field, wire int, v uint64, _ []byte) error {
				switch {
				case field == durationSeconds && wire == wireVarint:
					s.ResetSeconds = int64(v)
				case field == durationNanos && wire == wireVarint:
					s.ResetNanos = int32(v)
				}
				return nil
			})
		}
		return nil
	})
}

func parseLimit(b []byte, l *Limit) error {
	return walk(b, 0, func(field, wire int, v uint64, sub []byte) error {
		switch {
		case field == limitRequestsPerUnit && wire == wireVarint:
			l.RequestsPerUnit = uint32(v)
		case field == limitUnit && wire == wireVarint:
			l.Unit = Unit(uint32(v))
		case field == limitUnitMultiplier && wire == wireLen:
			return walk(sub, 0, func(field, wire int, v uint64, _ []byte) error {
				if field == wrapperValue && wire == wireVarint {
					l.UnitMultiplier = uint32(v)
				}
				return nil
			})
		}
		return nil
	})
}

// maxGroupDepth bounds the nesting of (unknown) groups skipped.
const maxGroupDepth = 64

// walk calls f for each field of a message: varints with v, I64/I32 with
// v holding the fixed bytes, length-delimited fields with sub (aliasing
// b). Groups (a deprecated encoding no field of these messages uses) are
// skipped whole, as unknown fields.
func walk(b []byte, depth int, f func(field, wire int, v uint64, sub []byte) error) error {
	for len(b) > 0 {
		field, wire, v, sub, rest, err := next(b, depth)
		if err != nil {
			return err
		}
		b = rest
		if wire == wireEndGroup {
			return ErrWireType // an end without its start
		}
		if wire == wireStartGroup {
			continue
		}
		if err := f(field, wire, v, sub); err != nil {
			return err
		}
	}
	return nil
}

// next reads one field; a group is consumed up to its matching end.
func next(b []byte, depth int) (field, wire int, v uint64, sub, rest []byte, err error) {
	tag, n := readVarint(b)
	if n <= 0 {
		return 0, 0, 0, nil, nil, varintErr(n)
	}
	b = b[n:]
	if tag>>3 == 0 || tag>>3 > 1<<29-1 {
		return 0, 0, 0, nil, nil, ErrFieldNumber
	}
	field, wire = int(tag>>3), int(tag&7)
	switch wire {
	case wireVarint:
		v, n = readVarint(b)
		if n <= 0 {
			return 0, 0, 0, nil, nil, varintErr(n)
		}
		b = b[n:]
	case wireI64:
		if len(b) < 8 {
			return 0, 0, 0, nil, nil, ErrTruncated
		}
		for i := 7; i >= 0; i-- {
			v = v<<8 | uint64(b[i])
		}
		b = b[8:]
	case wireI32:
		if len(b) < 4 {
			return 0, 0, 0, nil, nil, ErrTruncated
		}
		v = uint64(b[0]) | uint64(b[1])<<8 | uint64(b[2])<<16 | uint64(b[3])<<24
		b = b[4:]
	case wireLen:
		l, n := readVarint(b)
		if n <= 0 {
			return 0, 0, 0, nil, nil, varintErr(n)
		}
		b = b[n:]
		if l > uint64(len(b)) {
			return 0, 0, 0, nil, nil, ErrTruncated
		}
		sub, b = b[:l], b[l:]
	case wireStartGroup:
		if depth >= maxGroupDepth {
			return 0, 0, 0, nil, nil, ErrTooDeep
		}
		for {
			if len(b) == 0 {
				return 0, 0, 0, nil, nil, ErrTruncated
			}
			f, w, _, _, r, err := next(b, depth+1)
			if err != nil {
				return 0, 0, 0, nil, nil, err
			}
			b = r
			if w == wireEndGroup {
				if f != field {
					return 0, 0, 0, nil, nil, ErrWireType
				}
				break
			}
		}
	case wireEndGroup:
	default:
		return 0, 0, 0, nil, nil, ErrWireType
	}
	return field, wire, v, sub, b, nil
}

// readVarint returns the value and its length; 0 when b ends inside it,
// -1 when it overflows 64 bits.
func readVarint(b []byte) (uint64, int) {
	var v uint64
	for i := 0; i < len(b) && i < 10; i++ {
		c := b[i]
		if i == 9 && c > 1 {
			return 0, -1
		}
		v |= uint64(c&0x7f) << (7 * i)
		if c < 0x80 {
			return v, i + 1
		}
	}
	if len(b) >= 10 {
		return 0, -1
	}
	return 0, 0
}

func varintErr(n int) error {
	if n < 0 {
		return ErrOverflow
	}
	return ErrTruncated
}

// envoy.config.core.v3.GrpcService fields.
const (
	grpcServiceEnvoyGrpc = 1 // EnvoyGrpc
	envoyGrpcClusterName = 1 // string
)

// AppendGrpcService appends a serialized envoy.config.core.v3.GrpcService
// naming an Envoy cluster: {envoy_grpc: {cluster_name: cluster}}, which is
// what Envoy builds itself when proxy_grpc_call is given a bare cluster
// name.
func AppendGrpcService(b []byte, cluster string) []byte {
	inner := 0
	if len(cluster) > 0 {
		inner = 1 + varintLen(uint64(len(cluster))) + len(cluster)
	}
	b = appendTag(b, grpcServiceEnvoyGrpc, wireLen)
	b = appendVarint(b, uint64(inner))
	return appendBytesField(b, envoyGrpcClusterName, cluster)
}

// MayParseAsMessage reports whether b is well-formed protobuf wire
// format. Envoy reads proxy_grpc_call's service argument as a serialized
// GrpcService first and as a cluster name only when that parse fails, so a
// cluster name for which this is true (such as "apiguard1": field 12,
// fixed64) must be sent as AppendGrpcService's encoding instead. It errs
// towards true: nested messages are not checked.
func MayParseAsMessage(b []byte) bool {
	err := walk(b, 0, func(int, int, uint64, []byte) error { return nil })
	return err == nil || err == ErrTooDeep
}
