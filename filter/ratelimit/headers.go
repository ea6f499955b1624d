package ratelimit

import (
	"strconv"
	"time"

	"github.com/apiguard/apiguard/filter/httpx"
)

// The values of the RateLimit-Policy and RateLimit response headers
// (draft-ietf-httpapi-ratelimit-headers).

// AppendPolicyItem appends one RateLimit-Policy item, `"name";q=N;w=S`
// (names are letters, digits, '.', '_' and '-': a valid sf-string as is),
// after ", " when b is not empty.
func AppendPolicyItem(b []byte, name string, limit int64, window time.Duration) []byte {
	return AppendPolicyItemSeconds(b, name, limit, WindowSeconds(window))
}

// AppendPolicyItemSeconds is AppendPolicyItem with the window in seconds.
func AppendPolicyItemSeconds(b []byte, name string, limit, seconds int64) []byte {
	if len(b) > 0 {
		b = append(b, ", "...)
	}
	b = append(b, '"')
	b = append(b, name...)
	b = append(b, `";q=`...)
	b = strconv.AppendInt(b, limit, 10)
	b = append(b, ";w="...)
	return strconv.AppendInt(b, seconds, 10)
}

// Value is a RateLimit value: `"name";r=N;t=S`.
func Value(name string, remaining, seconds int64) string {
	// Built on the stack: only the returned string is allocated.
	var buf [64]byte
	b := buf[:0]
	b = append(b, '"')
	b = append(b, name...)
	b = append(b, `";r=`...)
	b = strconv.AppendInt(b, remaining, 10)
	b = append(b, ";t="...)
	b = strconv.AppendInt(b, seconds, 10)
	return string(b)
}

// AppendEdits appends the edits an admitted request's report makes to
// the response: RateLimit-Policy and RateLimit replace upstream's own
// values; when no limit reported a remaining count (a global-only route
// whose service gave no statuses, or failed open), upstream's RateLimit
// is removed, since it would name a limit the policy beside it does not
// list. A request whose limits reported nothing (no policy) edits nothing.
func (r *Report) AppendEdits(dst []httpx.Edit) []httpx.Edit {
	if r.Policy == "" {
		return dst
	}
	dst = append(dst, httpx.Edit{Op: httpx.Replace, Key: "ratelimit-policy", Value: r.Policy})
	if r.Current != "" {
		return append(dst, httpx.Edit{Op: httpx.Replace, Key: "ratelimit", Value: r.Current})
	}
	return append(dst, httpx.Edit{Op: httpx.Remove, Key: "ratelimit"})
}
