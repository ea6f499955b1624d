//go:build !race

package reqcheck

const raceEnabled = false
