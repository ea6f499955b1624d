//go:build race

package reqcheck

// raceEnabled: the race detector's instrumentation allocates where the
// plain build does not, so allocation counts are not checked under -race.
const raceEnabled = true
