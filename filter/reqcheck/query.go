package reqcheck

import (
	"unicode/utf8"

	"github.com/apiguard/apiguard/filter/config"
)

// NextQueryParam reads the parameter of query that starts at i (0 for the
// first): its name (up to the first '='), its value, its span [start, end)
// in query, and next, where the parameter after it starts. Parameters are
// separated by '&' and by ';' (which some frameworks still split on); a
// name may be empty ("a&&b"). Callers loop while i <= len(query):
//
//	for i := 0; i <= len(query); {
//		name, value, start, end, next := NextQueryParam(query, i)
//		i = next
//		...
//	}
func NextQueryParam(query string, i int) (name, value string, start, end, next int) {
	start, end = i, i
	for end < len(query) && query[end] != '&' && query[end] != ';' {
		end++
	}
	name = query[start:end]
	for j := 0; j < len(name); j++ {
		if name[j] == '=' {
			name, value = name[:j], name[j+1:]
			break
		}
	}
	return name, value, start, end, end + 1
}

// FindQueryParam returns the index in names of the first name (each already
// normalised with config.NormalizeQueryName) that a parameter of query (the
// raw query string, without '?') carries, or -1. A parameter matches when
// its normalised name equals one of names, or when the part of it before a
// '[' does (`access_token[]`): config.QueryNameIndex. Parameters are split
// as NextQueryParam splits them. Only names are looked at; values are never
// read, let alone kept.
//
// It allocates nothing unless a parameter that could still match (see
// mayMatch) normalises to more than 128 bytes (config.QueryNameIndex).
func FindQueryParam(query string, names []string) int {
	if len(names) == 0 || query == "" {
		return -1
	}
	maxLen := 0
	for _, n := range names {
		maxLen = max(maxLen, len(n))
	}
	for i := 0; i <= len(query); {
		name, _, _, _, next := NextQueryParam(query, i)
		i = next
		if name != "" && mayMatch(name, maxLen) {
			if k := config.QueryNameIndex(name, names...); k >= 0 {
				return k
			}
		}
	}
	return -1
}

// mayMatch is a cheap pre-filter: every normalised rune comes from at most
// 12 raw bytes (four percent-escaped UTF-8 bytes) and is at least one byte,
// so a raw name with neither '[' nor '%' nor '+' (a leading space, which is
// dropped) nor a non-ASCII byte normalises to exactly its own length.
func mayMatch(raw string, maxLen int) bool {
	if len(raw) <= maxLen {
		return true
	}
	for i := 0; i < len(raw); i++ {
		if c := raw[i]; c == '[' || c == '%' || c == '+' || c >= utf8.RuneSelf {
			return true
		}
	}
	return false
}
